//! A per-machine store for dependency summaries (issue 17): what the linter learnt from a
//! dependency's own source, kept so that the next run (of any project on the machine using the
//! same dependency) does not walk it again.
//!
//! - [`key`]: the key of a package's summary, None when nothing may be cached (`--no-cache`:
//!   `opts.summary_cache` is false, so nothing is ever read or written; or a package without an
//!   absolute directory). `--fix` uses summaries from the cache: they are facts about
//!   dependencies, checksummed and keyed by their contents, never edits. It covers the tool (version and
//!   [`SOURCE_HASH`], a hash of the sources it was built from: a tool built from other sources
//!   never reads its predecessor's summaries, while a rebuild or a copy of the same sources does), the package's id, lib target and edition, and for
//!   a path or git package the contents of its `Cargo.toml` and of every `.rs` file below its
//!   directory (skipping `target/` and hidden directories), as the result cache does. A registry
//!   package's files never change under its id, so they are not read. The key covers the
//!   package's own source only: a summary that also depends on something else (the
//!   configuration, its dependencies' summaries) must mix that into what it stores or into the
//!   key it asks with.
//! - [`load`] and [`store`]: the entry `<user cache dir>/cargo-async-lint/summaries/<hash of the
//!   package id>/<key>.bin` (`$XDG_CACHE_HOME` or `~/.cache`, `%LOCALAPPDATA%` on Windows), shared
//!   by every project on the machine, written atomically (without `fsync`: see
//!   [`crate::util::fs::write_cache_entry`]), as `<checksum>\n<payload>` where the checksum is of
//!   the key and the payload: a damaged, truncated or misplaced entry is a miss. The newest
//!   [`KEEP`] entries of each package are kept (a folder per package: pruning one lists only its
//!   own entries). Summaries are never written anywhere else, and any problem (no cache
//!   directory, unreadable, unwritable) is a miss.

use super::cache::{hash_file_with, package_files, user_cache_dir};
use super::options::Options;
use crate::util::hash::{Fnv, hash_bytes};
use crate::workspace::graph::{DepPackage, SourceKind};
use std::path::{Path, PathBuf};

/// Bumped whenever the stored format or the meaning of a key changes.
const FORMAT: u64 = 2;
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// A hash of the tool's sources (`src/`, `lints/`, the manifest and lock file; `build.rs`): a
/// summary depends on them alone, not on which build of them runs.
pub const SOURCE_HASH: &str = env!("ASYNC_LINT_SOURCE_HASH");
/// Entries kept per package (a path dependency being edited, or a few builds of the tool).
pub const KEEP: usize = 3;

/// The key of a package's summary (see the module docs); None: do not cache it.
pub fn key(pkg: &DepPackage, opts: &Options) -> Option<u64> {
    if !opts.summary_cache {
        return None;
    }
    key_of(pkg)
}

/// A hash of a path or git package's manifest and Rust files (None: not absolute).
pub fn content_key(pkg: &DepPackage) -> Option<u64> {
    if !pkg.dir.is_absolute() {
        return None;
    }
    let mut h = Fnv::default();
    let files = package_files(&pkg.dir, &mut h);
    h.u64(files.len() as u64);
    let mut buf = Vec::new();
    for f in &files {
        h.path(f.strip_prefix(&pkg.dir).unwrap_or(f));
        h.u64(hash_file_with(f, &mut buf).unwrap_or(0));
    }
    Some(h.finish())
}

fn key_of(pkg: &DepPackage) -> Option<u64> {
    if !pkg.dir.is_absolute() {
        return None;
    }
    let mut h = Fnv::default();
    h.str("cargo-async-lint dependency summary");
    h.u64(FORMAT);
    h.str(VERSION);
    h.str(SOURCE_HASH);
    pkg.hash_identity(&mut h);
    // A dependency is read for the host (its `cfg(target_os = ..)` code).
    if !pkg.member {
        h.str(&crate::workspace::platform::host_triple().unwrap_or_default());
    }
    match pkg.kind {
        SourceKind::Registry => h.str("registry"),
        SourceKind::Git | SourceKind::Path => {
            h.str(if pkg.kind == SourceKind::Git {
                "git"
            } else {
                "path"
            });
            h.u64(content_key(pkg)?);
        }
    }
    Some(h.finish())
}

/// The directory of the summaries: `<user cache dir>/cargo-async-lint/summaries/`.
fn summaries_dir() -> Option<PathBuf> {
    user_cache_dir().map(|d| d.join("cargo-async-lint").join("summaries"))
}

/// The stored summary of `pkg` under `key` (None on a miss, whatever its cause).
pub fn load(pkg: &DepPackage, key: u64) -> Option<Vec<u8>> {
    load_in(&summaries_dir()?, pkg, key)
}

/// Whether some summary of `pkg` is stored (under any key).
pub fn stored_any(pkg: &DepPackage) -> bool {
    summaries_dir().is_some_and(|dir| package_dir(&dir, pkg).is_dir())
}

/// Stores the summary of `pkg` under `key` (silently nothing when that fails).
pub fn store(pkg: &DepPackage, key: u64, bytes: &[u8]) {
    if let Some(dir) = summaries_dir() {
        store_in(&dir, pkg, key, bytes);
    }
}

/// The folder of a package's entries: the hash of its id.
fn package_dir(dir: &Path, pkg: &DepPackage) -> PathBuf {
    let mut h = Fnv::default();
    h.str(&pkg.id);
    dir.join(format!("{:016x}", h.finish()))
}

fn entry_file(dir: &Path, pkg: &DepPackage, key: u64) -> PathBuf {
    package_dir(dir, pkg).join(format!("{key:016x}.bin"))
}

/// The checksum an entry is stored with: of its key and its payload.
fn checksum(key: u64, payload: &[u8]) -> u64 {
    let mut h = Fnv::default();
    h.u64(FORMAT);
    h.u64(key);
    h.u64(payload.len() as u64);
    h.u64(hash_bytes(payload));
    h.finish()
}

fn load_in(dir: &Path, pkg: &DepPackage, key: u64) -> Option<Vec<u8>> {
    let mut bytes = std::fs::read(entry_file(dir, pkg, key)).ok()?;
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    if bytes[..newline] != *format!("{:016x}", checksum(key, &bytes[newline + 1..])).as_bytes() {
        return None;
    }
    bytes.drain(..=newline);
    Some(bytes)
}

fn store_in(dir: &Path, pkg: &DepPackage, key: u64, payload: &[u8]) {
    let header = format!("{:016x}\n", checksum(key, payload));
    let package = package_dir(dir, pkg);
    if std::fs::create_dir_all(&package).is_err() {
        return;
    }
    remove_old_layout(dir);
    let path = entry_file(dir, pkg, key);
    if crate::util::fs::write_cache_entry_parts(&path, &[header.as_bytes(), payload]).is_ok() {
        crate::util::fs::keep_newest(&package, "", ".bin", &path, KEEP);
    }
}

/// Removes (once per process) the entries of the first format, all in one folder, which no
/// key reads any more.
fn remove_old_layout(dir: &Path) {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = e.file_name();
            if name.to_string_lossy().ends_with(".bin") && e.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("async-lint-summary-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn write(&self, rel: &str, text: &str) {
            let p = self.0.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn package(dir: &Path, kind: SourceKind) -> DepPackage {
        DepPackage {
            id: format!("dep@0.1.0 ({})", dir.display()),
            name: "dep".into(),
            version: "0.1.0".into(),
            lib_name: "dep".into(),
            proc_macro: false,
            dir: dir.to_path_buf(),
            lib_src: dir.join("src/lib.rs"),
            edition: "2021".into(),
            kind,
            deps: Vec::new(),
            features: None,
            member: false,
        }
    }

    fn crate_dir(name: &str) -> Scratch {
        let s = Scratch::new(name);
        s.write("Cargo.toml", "[package]\nname = \"dep\"\n");
        s.write("src/lib.rs", "pub mod a;\n");
        s.write("src/a.rs", "pub fn f() {}\n");
        s
    }

    fn caching() -> Options {
        Options {
            summary_cache: true,
            ..Options::default()
        }
    }

    #[test]
    fn no_key_without_the_cache() {
        let s = crate_dir("nocache");
        let pkg = package(&s.0, SourceKind::Path);
        assert!(key(&pkg, &caching()).is_some());
        assert_eq!(key(&pkg, &Options::default()), None);
        let relative = package(Path::new("rel/dep"), SourceKind::Registry);
        assert_eq!(key(&relative, &caching()), None);
    }

    #[test]
    fn path_and_git_keys_follow_the_sources() {
        for kind in [SourceKind::Path, SourceKind::Git] {
            let s = crate_dir(&format!("keys-{kind:?}"));
            let pkg = package(&s.0, kind);
            let k = || key_of(&pkg).unwrap();
            let k0 = k();
            assert_eq!(k(), k0, "stable");
            // Not part of the sources: other files, target/, hidden directories.
            s.write("README.md", "docs");
            s.write("target/debug/x.rs", "fn x() {}");
            s.write(".git/hooks/y.rs", "fn y() {}");
            assert_eq!(k(), k0, "{kind:?}: only Cargo.toml and .rs files count");
            s.write("src/a.rs", "pub fn f() { g() }\n");
            let k1 = k();
            assert_ne!(k1, k0, "{kind:?}: an edited file");
            s.write("src/b.rs", "");
            let k2 = k();
            assert_ne!(k2, k1, "{kind:?}: a new file");
            s.write(
                "Cargo.toml",
                "[package]\nname = \"dep\"\nedition = \"2021\"\n",
            );
            assert_ne!(k(), k2, "{kind:?}: the manifest");
            s.write("Cargo.toml", "[package]\nname = \"dep\"\n");
            std::fs::remove_file(s.0.join("src/b.rs")).unwrap();
            s.write("src/a.rs", "pub mod a;\n");
            s.write("src/a.rs", "pub fn f() {}\n");
            assert_eq!(k(), k0, "{kind:?}: the same contents again");
        }
    }

    #[test]
    fn registry_keys_follow_the_id_not_the_files() {
        let s = crate_dir("registry");
        let pkg = package(&s.0, SourceKind::Registry);
        let k0 = key_of(&pkg).unwrap();
        s.write("src/a.rs", "pub fn f() { g() }\n");
        assert_eq!(key_of(&pkg).unwrap(), k0);
        let other = DepPackage {
            id: "dep@0.1.1".into(),
            ..pkg.clone()
        };
        assert_ne!(key_of(&other).unwrap(), k0);
        let edition = DepPackage {
            edition: "2024".into(),
            ..pkg.clone()
        };
        assert_ne!(key_of(&edition).unwrap(), k0);
        // The same package from another source kind is another key.
        assert_ne!(key_of(&package(&s.0, SourceKind::Path)).unwrap(), k0);
    }

    #[test]
    fn round_trip_and_damaged_entries() {
        let s = Scratch::new("store");
        let dir = s.0.join("summaries");
        let pkg = package(Path::new("/nowhere/dep"), SourceKind::Registry);
        assert_eq!(load_in(&dir, &pkg, 7), None, "nothing stored yet");
        let payload = b"summary\nwith lines\n\x00\xff".to_vec();
        store_in(&dir, &pkg, 7, &payload);
        assert_eq!(load_in(&dir, &pkg, 7), Some(payload.clone()));
        assert_eq!(load_in(&dir, &pkg, 8), None, "another key");
        let other = DepPackage {
            id: "other".into(),
            ..pkg.clone()
        };
        assert_eq!(load_in(&dir, &other, 7), None, "another package");
        store_in(&dir, &pkg, 9, b"");
        assert_eq!(load_in(&dir, &pkg, 9), Some(Vec::new()), "an empty payload");

        let file = entry_file(&dir, &pkg, 7);
        let good = std::fs::read(&file).unwrap();
        let damaged = |bytes: &[u8]| {
            std::fs::write(&file, bytes).unwrap();
            load_in(&dir, &pkg, 7)
        };
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(damaged(&flipped), None, "a flipped bit");
        assert_eq!(damaged(&good[..good.len() - 1]), None, "truncated");
        assert_eq!(damaged(&good[..10]), None, "no newline");
        assert_eq!(damaged(b""), None, "empty");
        let mut extended = good.clone();
        extended.push(b'x');
        assert_eq!(damaged(&extended), None, "extended");
        // Another key's valid entry under this key's name.
        std::fs::copy(entry_file(&dir, &pkg, 9), &file).unwrap();
        assert_eq!(load_in(&dir, &pkg, 7), None, "misplaced");
        std::fs::write(&file, &good).unwrap();
        assert_eq!(load_in(&dir, &pkg, 7), Some(payload));
        // Written atomically: no temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(package_dir(&dir, &pkg))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| n.ends_with(".bin")), "{names:?}");
    }

    #[test]
    fn old_entries_are_pruned() {
        let s = Scratch::new("prune");
        let pkg = package(Path::new("/nowhere/dep"), SourceKind::Registry);
        let other = DepPackage {
            id: "other".into(),
            ..pkg.clone()
        };
        store_in(&s.0, &other, 1, b"kept");
        for k in 0..KEEP as u64 + 3 {
            store_in(&s.0, &pkg, 100 + k, b"x");
            // Distinct modification times for the newest-first order.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let count = std::fs::read_dir(package_dir(&s.0, &pkg)).unwrap().count();
        assert_eq!(count, KEEP);
        assert!(
            load_in(&s.0, &pkg, 100 + KEEP as u64 + 2).is_some(),
            "the newest"
        );
        assert!(load_in(&s.0, &pkg, 100).is_none(), "the oldest");
        assert_eq!(load_in(&s.0, &other, 1), Some(b"kept".to_vec()));
    }
}
