//! The configuration file: `key = value` lines.

use fs_err as fs;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: String,
    pub root: PathBuf,
    pub log: Option<PathBuf>,
}

pub fn parse(text: &str) -> io::Result<Config> {
    let mut config = Config {
        listen: "127.0.0.1:7070".into(),
        root: PathBuf::from("blobs"),
        log: None,
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, line.to_string()));
        };
        match key.trim() {
            "listen" => config.listen = value.trim().to_string(),
            "root" => config.root = PathBuf::from(value.trim()),
            "log" => config.log = Some(PathBuf::from(value.trim())),
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unknown key {other}"),
                ))
            }
        }
    }
    Ok(config)
}

/// Reads the configuration (at start-up, before the runtime, and on reload).
pub fn load(path: &Path) -> io::Result<Config> {
    parse(&fs::read_to_string(path)?)
}

/// Reads it again after a change: the same file, without the runtime's help.
pub async fn load_async(path: &Path) -> io::Result<Config> {
    parse(&fs_err::tokio::read_to_string(path).await?)
}
