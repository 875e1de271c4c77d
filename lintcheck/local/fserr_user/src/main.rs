//! `fserr-user`: a tiny blob store over TCP. One command per line:
//!
//! ```text
//! PUT <name> <data>   GET <name>   SIZE <name>   LIST   DEL <name>   BACKUP <name>   LOG <text>
//! ```
//!
//! Blobs are files below the store's root; file errors name their path thanks to `fs-err`.

mod config;
mod server;
mod store;

use fs_err as fs;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fserr-user.conf"));
    // Before the runtime starts: reading the configuration here blocks nobody.
    let config = config::load(&path)?;
    fs::create_dir_all(&config.root)?;
    if std::env::args().any(|a| a == "--compact") {
        return store::Store::new(config.root.clone()).compact();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(server::run(config, path))
}
