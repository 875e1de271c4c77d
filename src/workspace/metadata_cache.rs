//! A cache for `cargo metadata --no-deps` output, so that a warm run on an unchanged workspace
//! does not wait for cargo (20 ms or more: most of a warm run).
//!
//! An entry is reused only while every *witness* is unchanged: a file or directory whose state
//! (existence, size, modification time) cargo's answer depends on:
//! - `Cargo.toml`, `.cargo/config.toml` and `.cargo/config` in the starting directory and every
//!   ancestor (they decide the workspace root and cargo's configuration), and cargo's home
//!   configuration;
//! - every member's `Cargo.toml`, its directory and the directories cargo discovers targets in
//!   (`src`, `src/bin`, `examples`, `tests`, `benches` and their subdirectories): adding or
//!   removing a file there adds or removes a target, and changes the directory's time;
//! - the directories the workspace's `members` / `exclude` globs start from, where new members
//!   appear.
//!
//! The answer with dependencies ([`Start::with_deps`], for [`super::graph`], which stores the
//! graph it read from it) is an entry of its own kind, with more witnesses: `Cargo.lock` and
//! `rust-toolchain(.toml)` up the tree (the lock file the graph comes from, also when it was read
//! without cargo; the host platform its dependencies are filtered for), and the manifests and
//! target directories of every path package (not only members); `$RUSTC` and
//! `$RUSTUP_TOOLCHAIN` go into its key.
//!
//! Entries are keyed by the starting point and the environment variables that move the target
//! directory, and live with the result cache in `<target dir>/async-lint-cache/`, as one line of
//! JSON (the witnesses) followed by the payload, read without unescaping it. Any problem is a
//! miss. Hands on [`Start`] to discovery, and [`DIR_NAME`] to the result cache.

use crate::util::hash::Fnv;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The name of the cache directory inside a target directory, shared with the result cache.
pub const DIR_NAME: &str = "async-lint-cache";
/// Bumped when what is stored changes shape: 3, dependencies' resolved features (a graph stored
/// before has none, and would read every feature's code).
const FORMAT: u64 = 3;
/// How recent a witness may be for an entry to be stored (coarse file system clocks tick in up
/// to two seconds).
pub const RACY: std::time::Duration = std::time::Duration::from_secs(2);

/// What is known of a path without reading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    exists: bool,
    len: u64,
    mtime_ns: i128,
}

impl Stamp {
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// Nanoseconds since the epoch (-1: unknown).
    pub fn mtime_ns(&self) -> i128 {
        self.mtime_ns
    }
}

/// What is known of a path now.
pub fn stamp(p: &Path) -> Stamp {
    match std::fs::metadata(p) {
        Ok(m) => Stamp {
            exists: true,
            len: if m.is_dir() { 0 } else { m.len() },
            mtime_ns: m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(-1, |d| d.as_nanos() as i128),
        },
        Err(_) => Stamp {
            exists: false,
            len: 0,
            mtime_ns: 0,
        },
    }
}

/// The first line of an entry; the payload follows it.
#[derive(Serialize, Deserialize)]
struct StoredEntry {
    format: u64,
    version: String,
    witnesses: Vec<(PathBuf, Stamp)>,
}

/// Where the run starts: the manifest given with `--manifest-path`, else the working directory.
pub struct Start {
    dir: PathBuf,
    key: u64,
    /// The entry of `cargo metadata` with dependencies (else `--no-deps`).
    deps: bool,
}

impl Start {
    /// The entry of `cargo metadata --no-deps`.
    pub fn new(manifest_path: Option<&Path>) -> Option<Start> {
        Start::of_kind(manifest_path, false)
    }

    /// The entry of `cargo metadata` with dependencies (see the module docs).
    pub fn with_deps(manifest_path: Option<&Path>) -> Option<Start> {
        Start::of_kind(manifest_path, true)
    }

    fn of_kind(manifest_path: Option<&Path>, deps: bool) -> Option<Start> {
        let cwd = std::env::current_dir().ok()?;
        let dir = match manifest_path {
            Some(m) => cwd.join(m).parent()?.to_path_buf(),
            None => cwd.clone(),
        };
        let mut h = Fnv::default();
        h.u64(FORMAT);
        h.str(env!("CARGO_PKG_VERSION"));
        h.path(&cwd);
        h.str(
            &manifest_path
                .map(|m| m.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        for var in [
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET_DIR",
            "CARGO_HOME",
            "CARGO",
        ] {
            h.str(&std::env::var(var).unwrap_or_default());
        }
        if deps {
            h.str("with dependencies");
            for var in ["RUSTC", "RUSTUP_TOOLCHAIN"] {
                h.str(&std::env::var(var).unwrap_or_default());
            }
        }
        Some(Start {
            dir,
            key: h.finish(),
            deps,
        })
    }

    fn file_name(&self) -> String {
        let kind = if self.deps {
            "metadata-deps"
        } else {
            "metadata"
        };
        format!("{kind}-{:016x}.json", self.key)
    }

    /// The payload stored with witnesses that are all unchanged.
    pub fn load(&self) -> Option<Vec<u8>> {
        Some(self.load_entry(&[])?.into_payload())
    }

    /// The entry whose witnesses are all unchanged; those in `seen` (checked by this run, with
    /// their stamps then) are not checked again.
    pub fn load_entry(&self, seen: &[(PathBuf, Stamp)]) -> Option<Loaded> {
        let candidates: Vec<PathBuf> = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(t) => vec![self.dir.join(t)],
            None => self.dir.ancestors().map(|a| a.join("target")).collect(),
        };
        let file = candidates
            .iter()
            .map(|t| t.join(DIR_NAME).join(self.file_name()))
            .find(|f| f.is_file())?;
        let bytes = std::fs::read(&file).ok()?;
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let entry: StoredEntry = serde_json::from_slice(&bytes[..newline]).ok()?;
        let fresh = entry.format == FORMAT
            && entry.version == env!("CARGO_PKG_VERSION")
            && unchanged(&entry.witnesses, seen);
        fresh.then_some(Loaded {
            file,
            bytes,
            newline,
            witnesses: entry.witnesses,
        })
    }

    /// Stores `payload` (what was read from `cargo metadata` output `meta`) with its witnesses
    /// (`before`: stamped before cargo ran). Nothing is stored while any witness changed less
    /// than [`RACY`] before cargo started: a change in the same tick of the file system's clock
    /// could otherwise go unseen.
    pub fn store(
        &self,
        payload: &[u8],
        meta: &Value,
        before: Vec<(PathBuf, Stamp)>,
        started: std::time::SystemTime,
    ) {
        let Some(target) = meta["target_directory"].as_str() else {
            return;
        };
        let mut witnesses = before;
        for p in member_witnesses(meta, self.deps) {
            let s = stamp(&p);
            witnesses.push((p, s));
        }
        let limit = started
            .checked_sub(RACY)
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        if witnesses.iter().any(|(_, s)| s.mtime_ns >= limit) {
            return;
        }
        let entry = StoredEntry {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_string(),
            witnesses,
        };
        let dir = Path::new(target).join(DIR_NAME);
        // Compact JSON has no newline: the first one ends the witnesses.
        if let Ok(mut bytes) = serde_json::to_vec(&entry)
            && std::fs::create_dir_all(&dir).is_ok()
        {
            bytes.push(b'\n');
            bytes.extend_from_slice(payload);
            let _ = crate::util::fs::write_cache_entry(&dir.join(self.file_name()), &bytes);
        }
    }

    /// The witnesses known before cargo runs: manifests and configuration up the tree.
    pub fn stamp_ancestors(&self) -> Vec<(PathBuf, Stamp)> {
        let mut paths = Vec::new();
        for a in self.dir.ancestors() {
            paths.push(a.join("Cargo.toml"));
            paths.push(a.join(".cargo/config.toml"));
            paths.push(a.join(".cargo/config"));
            if self.deps {
                paths.push(a.join("Cargo.lock"));
                paths.push(a.join("rust-toolchain"));
                paths.push(a.join("rust-toolchain.toml"));
            }
        }
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
        if let Some(h) = home {
            paths.push(h.join("config.toml"));
            paths.push(h.join("config"));
        }
        paths
            .into_iter()
            .map(|p| {
                let s = stamp(&p);
                (p, s)
            })
            .collect()
    }
}

/// Whether every witness has its stamp; those `seen` with the same stamp are not checked
/// again.
fn unchanged(witnesses: &[(PathBuf, Stamp)], seen: &[(PathBuf, Stamp)]) -> bool {
    let seen: std::collections::HashMap<&Path, &Stamp> =
        seen.iter().map(|(p, s)| (p.as_path(), s)).collect();
    witnesses
        .iter()
        .all(|(p, s)| seen.get(p.as_path()) == Some(&s) || stamp(p) == *s)
}

/// An entry read by [`Start::load_entry`].
pub struct Loaded {
    file: PathBuf,
    bytes: Vec<u8>,
    /// Where the witnesses' line ends.
    newline: usize,
    witnesses: Vec<(PathBuf, Stamp)>,
}

impl Loaded {
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.newline + 1..]
    }

    pub fn into_payload(mut self) -> Vec<u8> {
        self.bytes.drain(..=self.newline);
        self.bytes
    }

    /// The witnesses, found unchanged.
    pub fn witnesses(&self) -> &[(PathBuf, Stamp)] {
        &self.witnesses
    }

    /// Replaces the payload, keeping the witnesses: for what was learnt from the payload itself,
    /// not from what the witnesses guard. Nothing is written when the entry changed since it was
    /// read.
    pub fn replace_payload(&self, payload: &[u8]) {
        let Ok(now) = std::fs::read(&self.file) else {
            return;
        };
        if now.get(..=self.newline) != Some(&self.bytes[..=self.newline]) {
            return;
        }
        let mut bytes = self.bytes[..=self.newline].to_vec();
        bytes.extend_from_slice(payload);
        let _ = crate::util::fs::write_cache_entry(&self.file, &bytes);
    }
}

/// Paths whose state decides the members and their targets (see the module docs); `deps`: also
/// `Cargo.lock` and every path package's.
fn member_witnesses(meta: &Value, deps: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for p in meta["packages"].as_array().into_iter().flatten() {
        let path_package = deps && p["source"].is_null();
        if !path_package && !members.contains(&p["id"].as_str().unwrap_or_default()) {
            continue;
        }
        let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap_or_default());
        let Some(dir) = manifest.parent() else {
            continue;
        };
        out.push(manifest.clone());
        out.push(dir.to_path_buf());
        for sub in ["src", "src/bin", "examples", "tests", "benches"] {
            let d = dir.join(sub);
            out.push(d.clone());
            if sub != "src" {
                out.extend(subdirectories(&d));
            }
        }
    }
    // Where the workspace's member globs look for new members.
    if let Some(root) = meta["workspace_root"].as_str() {
        let root = Path::new(root);
        out.push(root.to_path_buf());
        out.push(root.join("Cargo.toml"));
        if deps {
            out.push(root.join("Cargo.lock"));
        }
        if let Some(ws) = std::fs::read_to_string(root.join("Cargo.toml"))
            .ok()
            .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
            .and_then(|t| t.get("workspace").cloned())
        {
            for key in ["members", "exclude", "default-members"] {
                for pat in ws
                    .get(key)
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                {
                    out.push(root.join(glob_base(pat)));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The directories directly inside `dir` (targets such as `tests/suite/main.rs`).
fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

/// The part of a member glob before its first wildcard component: `crates/*` → `crates`.
fn glob_base(pattern: &str) -> PathBuf {
    Path::new(pattern)
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_bases() {
        assert_eq!(glob_base("crates/*"), PathBuf::from("crates"));
        assert_eq!(glob_base("a/b*/c"), PathBuf::from("a"));
        assert_eq!(glob_base("tools/cli"), PathBuf::from("tools/cli"));
        assert_eq!(glob_base("*"), PathBuf::new());
    }
}
