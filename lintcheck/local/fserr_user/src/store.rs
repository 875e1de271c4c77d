//! The blobs, one file each below the root.

use fs_err as fs;
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(root: PathBuf) -> Store {
        Store { root }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name.replace('/', "_"))
    }

    pub async fn put(&self, name: &str, data: &[u8]) -> io::Result<()> {
        fs::create_dir_all(&self.root)?;
        fs::write(self.path(name), data)
    }

    /// Large blobs are written on the blocking pool.
    pub async fn put_large(&self, name: &str, data: Vec<u8>) -> io::Result<()> {
        let path = self.path(name);
        tokio::task::spawn_blocking(move || fs::write(path, data)).await?
    }

    pub async fn get(&self, name: &str) -> io::Result<Vec<u8>> {
        fs_err::tokio::read(self.path(name)).await
    }

    pub async fn size(&self, name: &str) -> io::Result<u64> {
        Ok(fs::metadata(self.path(name))?.len())
    }

    pub async fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    pub async fn delete(&self, name: &str) -> io::Result<()> {
        tokio::fs::remove_file(self.path(name)).await
    }

    pub async fn backup(&self, name: &str) -> io::Result<u64> {
        let from = self.path(name);
        let to = from.with_extension("bak");
        fs::copy(from, to)
    }

    /// Appends a line to the store's log.
    pub async fn log(&self, text: &str) -> io::Result<()> {
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("store.log"))?;
        writeln!(file, "{text}")
    }

    /// Removes the backups: run from the command line (`--compact`), never from a task.
    pub fn compact(&self) -> io::Result<()> {
        for entry in fs::read_dir(&self.root)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "bak") {
                fs::remove_file(&path)?;
            }
        }
        Ok(())
    }
}
