//! The TCP server: one task per connection, one command per line.

use crate::config::{self, Config};
use crate::store::Store;
use fs_err as fs;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::RwLock;

pub async fn run(config: Config, config_path: PathBuf) -> io::Result<()> {
    let listener = TcpListener::bind(&config.listen).await?;
    if let Some(log) = &config.log {
        fs::write(log, format!("listening on {}\n", config.listen))?;
    }
    let config = Arc::new(RwLock::new(config));
    tokio::spawn(reload_on_hangup(config.clone(), config_path));
    loop {
        let (socket, _) = listener.accept().await?;
        let store = Store::new(config.read().await.root.clone());
        tokio::spawn(async move {
            if let Err(e) = handle(socket, store).await {
                eprintln!("connection: {e}");
            }
        });
    }
}

async fn reload_on_hangup(config: Arc<RwLock<Config>>, path: PathBuf) -> io::Result<()> {
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    while hangup.recv().await.is_some() {
        match config::load_async(&path).await {
            Ok(new) => *config.write().await = new,
            Err(e) => eprintln!("reload: {e}"),
        }
        // The previous configuration, kept for `--rollback`.
        if let Err(e) = keep_previous(&path) {
            eprintln!("reload: {e}");
        }
    }
    Ok(())
}

fn keep_previous(path: &std::path::Path) -> io::Result<()> {
    fs::copy(path, path.with_extension("prev")).map(drop)
}

async fn handle(socket: TcpStream, store: Store) -> io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        let mut words = line.splitn(3, ' ');
        let reply = match (words.next(), words.next(), words.next()) {
            (Some("PUT"), Some(name), Some(data)) if data.len() > 64 * 1024 => store
                .put_large(name, data.as_bytes().to_vec())
                .await
                .map(|()| "OK".to_string()),
            (Some("PUT"), Some(name), Some(data)) => {
                store.put(name, data.as_bytes()).await.map(|()| "OK".into())
            }
            (Some("GET"), Some(name), None) => store
                .get(name)
                .await
                .map(|d| String::from_utf8_lossy(&d).into_owned()),
            (Some("SIZE"), Some(name), None) => store.size(name).await.map(|n| n.to_string()),
            (Some("LIST"), None, None) => store.list().await.map(|n| n.join(" ")),
            (Some("DEL"), Some(name), None) => store.delete(name).await.map(|()| "OK".into()),
            (Some("BACKUP"), Some(name), None) => {
                store.backup(name).await.map(|n| format!("OK {n}"))
            }
            (Some("LOG"), Some(first), rest) => {
                let text = format!("{first} {}", rest.unwrap_or_default());
                store.log(text.trim_end()).await.map(|()| "OK".into())
            }
            _ => Ok("ERR unknown command".into()),
        };
        let reply = reply.unwrap_or_else(|e| format!("ERR {e}"));
        write.write_all(format!("{reply}\n").as_bytes()).await?;
    }
    Ok(())
}
