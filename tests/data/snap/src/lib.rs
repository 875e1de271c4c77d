use std::fs;
use std::time::Duration;

mod config;

pub async fn handler() -> std::io::Result<String> {
    std::thread::sleep(Duration::from_millis(50));
    let text = fs::read_to_string("settings.toml")?;
    let settings = config::load();
    Ok(format!("{text}{settings}"))
}

pub async fn nested(m: &tokio::sync::Mutex<u32>) -> u32 {
    *m.blocking_lock()
}
