//! Unsaved editor buffers (the language server's open documents): the text a file has for the
//! analysis when it differs from the disk. Empty outside `lsp`, where it costs one atomic load
//! per read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

static ACTIVE: AtomicBool = AtomicBool::new(false);
static TEXTS: RwLock<Option<HashMap<PathBuf, Arc<str>>>> = RwLock::new(None);

fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Sets the text of `path` (None: the disk's again).
pub fn set(path: &Path, text: Option<Arc<str>>) {
    let mut all = TEXTS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let map = all.get_or_insert_with(HashMap::new);
    match text {
        Some(t) => {
            map.insert(key(path), t);
        }
        None => {
            map.remove(&key(path));
        }
    }
    ACTIVE.store(!map.is_empty(), Ordering::Release);
}

/// The unsaved text of `path`, if an editor has one.
pub fn text(path: &Path) -> Option<Arc<str>> {
    if !ACTIVE.load(Ordering::Acquire) {
        return None;
    }
    let all = TEXTS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    all.as_ref()?.get(&key(path)).cloned()
}

/// The bytes of `path` for the analysis: the unsaved text, else the file's.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    match text(path) {
        Some(t) => Ok(t.as_bytes().to_vec()),
        None => std::fs::read(path),
    }
}
