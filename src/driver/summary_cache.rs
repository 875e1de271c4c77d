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
//! - [`load`], [`store`] and [`flush`]: the summaries a run makes are written together, as
//!   one pack file (see [`pack`]: one file instead of one per summary, which cost 2-8% of a
//!   cold run on deno) in `<user cache dir>/cargo-async-lint/summaries/` (`$XDG_CACHE_HOME` or
//!   `~/.cache`, `%LOCALAPPDATA%` on Windows), shared by every project on the machine, written
//!   atomically (without `fsync`: see [`crate::util::fs::write_cache_entry`]). Each entry
//!   holds a checksum of its key and payload: a damaged, truncated or misplaced entry is a
//!   miss. Packs of like sizes are merged as they accumulate, keeping the newest [`KEEP`]
//!   entries of each package. Summaries are never written anywhere else, and any problem (no
//!   cache directory, unreadable, unwritable) is a miss.

use super::cache::user_cache_dir;
use super::options::Options;
use crate::util::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::util::hash::{Fnv, hash_bytes};
use crate::workspace::graph::{DepPackage, SourceKind};
use std::path::{Path, PathBuf};

mod pack;

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
    super::cache::Contents::read(&pkg.dir).hash_into(&pkg.dir, &mut h);
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
    summaries_dir().is_some_and(|dir| with_store(&dir, |s| s.has_package(package_hash(pkg))))
}

/// Stores the summary of `pkg` under `key`: kept by this process, and written with the others
/// it stores by [`flush`] (silently nothing when that fails).
pub fn store(pkg: &DepPackage, key: u64, bytes: &[u8]) {
    if let Some(dir) = summaries_dir() {
        store_in(&dir, pkg, key, bytes);
    }
}

/// Writes the summaries stored since the last flush, as one pack (see [`pack`]), and merges
/// packs when enough of one size are there.
pub fn flush() {
    if let Some(dir) = summaries_dir() {
        flush_in(&dir);
    }
}

/// The hash of a package's id, which its entries are stored under.
fn package_hash(pkg: &DepPackage) -> u64 {
    let mut h = Fnv::default();
    h.str(&pkg.id);
    h.finish()
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

/// A summaries folder as this process knows it: the packs there when it first looked, those
/// it wrote since, and the entries stored and not yet written. Packs other processes write
/// meanwhile are not seen (a miss, then a summary made again: never a wrong one).
#[derive(Default)]
struct Store {
    packs: Vec<std::sync::Arc<std::fs::File>>,
    /// (package, key) to (pack, row).
    found: HashMap<(u64, u64), (usize, pack::Row)>,
    packages: HashSet<u64>,
    pending: Vec<(pack::Row, Vec<u8>)>,
    /// Whether the entries of the earlier layouts were looked for.
    old_layout_removed: bool,
}

impl Store {
    fn open(dir: &Path) -> Store {
        let mut s = Store::default();
        for (path, _) in pack::list(dir) {
            s.add_pack(&path);
        }
        s
    }

    fn add_pack(&mut self, path: &Path) {
        let Ok(file) = std::fs::File::open(path) else {
            return;
        };
        let Some(rows) = pack::read_rows(&file, FORMAT) else {
            return;
        };
        let i = self.packs.len();
        self.packs.push(std::sync::Arc::new(file));
        for r in rows {
            self.packages.insert(r.package);
            // Two copies of an entry (two runs merged the same packs) hold the same payload.
            self.found.entry((r.package, r.key)).or_insert((i, r));
        }
    }

    fn has_package(&self, package: u64) -> bool {
        self.packages.contains(&package) || self.pending.iter().any(|(r, _)| r.package == package)
    }
}

type Stores = std::sync::Mutex<HashMap<PathBuf, Store>>;

fn stores() -> std::sync::MutexGuard<'static, HashMap<PathBuf, Store>> {
    static STORES: std::sync::OnceLock<Stores> = std::sync::OnceLock::new();
    STORES
        .get_or_init(Stores::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `f` on the store of `dir` (opened on first use).
fn with_store<T>(dir: &Path, f: impl FnOnce(&mut Store) -> T) -> T {
    let mut stores = stores();
    let store = stores
        .entry(dir.to_path_buf())
        .or_insert_with(|| Store::open(dir));
    f(store)
}

fn load_in(dir: &Path, pkg: &DepPackage, key: u64) -> Option<Vec<u8>> {
    enum At {
        Pending(Vec<u8>),
        Pack(std::sync::Arc<std::fs::File>, pack::Row),
    }
    let package = package_hash(pkg);
    let at = with_store(dir, |s| {
        if let Some((_, p)) = s
            .pending
            .iter()
            .find(|(r, _)| (r.package, r.key) == (package, key))
        {
            return Some(At::Pending(p.clone()));
        }
        let (i, row) = *s.found.get(&(package, key))?;
        Some(At::Pack(s.packs[i].clone(), row))
    })?;
    // Read outside the lock: the walks look their packages up side by side.
    match at {
        At::Pending(p) => Some(p),
        At::Pack(file, row) => {
            let payload = pack::read_payload(&file, &row)?;
            (checksum(key, &payload) == row.checksum).then_some(payload)
        }
    }
}

fn store_in(dir: &Path, pkg: &DepPackage, key: u64, payload: &[u8]) {
    let row = pack::Row {
        package: package_hash(pkg),
        key,
        offset: 0,
        len: payload.len() as u64,
        checksum: checksum(key, payload),
        written: now_stamp(),
    };
    with_store(dir, |s| s.pending.push((row, payload.to_vec())));
}

/// Nanoseconds since the epoch, later than any stamp this process gave before (entries stored
/// one after the other are ordered even where the clock is coarse).
fn now_stamp() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let prev = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
            Some(now.max(l + 1))
        })
        .unwrap_or(0);
    now.max(prev + 1)
}

fn flush_in(dir: &Path) {
    // Nothing stored: the folder is not even looked at (`--no-cache` neither reads nor writes).
    let mut stores = stores();
    let Some(s) = stores.get_mut(dir) else {
        return;
    };
    if s.pending.is_empty() {
        return;
    }
    let pending = std::mem::take(&mut s.pending);
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    if !s.old_layout_removed {
        s.old_layout_removed = true;
        remove_old_layout(dir);
        // The packs that runs killed while writing them left half-written.
        crate::util::fs::remove_stale_temporaries_in(dir, |n| n.ends_with(".pack"));
    }
    let rows: Vec<pack::Row> = pending.iter().map(|(r, _)| *r).collect();
    let mut h = Fnv::default();
    h.u64(u64::from(std::process::id()));
    for r in &rows {
        h.u64(r.package);
        h.u64(r.key);
        h.u64(r.written);
    }
    let path = dir.join(format!("{:016x}.pack", h.finish()));
    let payload = |i: usize| Some(std::borrow::Cow::Borrowed(pending[i].1.as_slice()));
    if pack::write(&path, FORMAT, &rows, payload).is_ok() {
        s.add_pack(&path);
        merge(dir);
    }
}

/// Merges the packs [`pack::merge_plan`] picks into one, leaving out the entries of each
/// package older than its newest [`KEEP`] (wherever those are), then removes them.
fn merge(dir: &Path) {
    let packs = pack::list(dir);
    let plan = pack::merge_plan(&packs);
    if plan.is_empty() {
        return;
    }
    let opened: Vec<Option<(std::fs::File, Vec<pack::Row>)>> = packs
        .iter()
        .map(|(path, _)| {
            let f = std::fs::File::open(path).ok()?;
            let rows = pack::read_rows(&f, FORMAT)?;
            Some((f, rows))
        })
        .collect();
    let all: Vec<(usize, pack::Row)> = opened
        .iter()
        .enumerate()
        .flat_map(|(i, o)| {
            o.iter()
                .flat_map(move |(_, rows)| rows.iter().map(move |r| (i, *r)))
        })
        .collect();
    let kept: Vec<(usize, pack::Row)> = pack::kept(&all, KEEP)
        .into_iter()
        .filter(|(i, _)| plan.contains(i))
        .collect();
    if !kept.is_empty() {
        let rows: Vec<pack::Row> = kept.iter().map(|(_, r)| *r).collect();
        let mut h = Fnv::default();
        h.str("merged");
        h.u64(u64::from(std::process::id()));
        for (p, _) in plan.iter().map(|&i| &packs[i]) {
            h.path(p);
        }
        let path = dir.join(format!("{:016x}.pack", h.finish()));
        let payload = |i: usize| {
            let (p, r) = &kept[i];
            let (f, _) = opened[*p].as_ref()?;
            pack::read_payload(f, r).map(std::borrow::Cow::Owned)
        };
        if pack::write(&path, FORMAT, &rows, payload).is_err() {
            return;
        }
    }
    for &i in &plan {
        let _ = std::fs::remove_file(&packs[i].0);
    }
}

/// Removes the entries of the earlier layouts, which no key reads any more: `.bin` files in
/// the folder itself (the first) and a folder per package (the second).
fn remove_old_layout(dir: &Path) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(t) = e.file_type() else { continue };
        if t.is_file() && name.ends_with(".bin") {
            let _ = std::fs::remove_file(e.path());
        } else if t.is_dir() && name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
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

    /// Forgets what this process knows of `dir`, as a new process would.
    fn forget(dir: &Path) {
        stores().remove(dir);
    }

    fn packs_in(dir: &Path) -> usize {
        pack::list(dir).len()
    }

    #[test]
    fn round_trip_and_damaged_entries() {
        let s = Scratch::new("store");
        let dir = s.0.join("summaries");
        let pkg = package(Path::new("/nowhere/dep"), SourceKind::Registry);
        assert_eq!(load_in(&dir, &pkg, 7), None, "nothing stored yet");
        let payload = b"summary\nwith lines\n\x00\xff".to_vec();
        store_in(&dir, &pkg, 7, &payload);
        store_in(&dir, &pkg, 9, b"");
        assert!(!dir.exists(), "nothing written before the flush");
        assert_eq!(
            load_in(&dir, &pkg, 7),
            Some(payload.clone()),
            "stored, not written yet"
        );
        flush_in(&dir);
        assert_eq!(packs_in(&dir), 1, "one file for the run");
        for fresh in [false, true] {
            if fresh {
                forget(&dir);
            }
            assert_eq!(load_in(&dir, &pkg, 7), Some(payload.clone()));
            assert_eq!(load_in(&dir, &pkg, 8), None, "another key");
            let other = DepPackage {
                id: "other".into(),
                ..pkg.clone()
            };
            assert_eq!(load_in(&dir, &other, 7), None, "another package");
            assert_eq!(load_in(&dir, &pkg, 9), Some(Vec::new()), "an empty payload");
            with_store(&dir, |st| {
                assert!(
                    st.has_package(package_hash(&pkg)) && !st.has_package(package_hash(&other))
                );
            });
        }
        // Written atomically: no temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| n.ends_with(".pack")), "{names:?}");

        let (file, _) = pack::list(&dir).pop().unwrap();
        let good = std::fs::read(&file).unwrap();
        let damaged = |bytes: &[u8], k: u64| {
            std::fs::write(&file, bytes).unwrap();
            forget(&dir);
            load_in(&dir, &pkg, k)
        };
        let at = good
            .windows(payload.len())
            .position(|w| w == payload)
            .unwrap();
        let mut flipped = good.clone();
        flipped[at + 3] ^= 1;
        assert_eq!(damaged(&flipped, 7), None, "a flipped bit in its payload");
        assert_eq!(
            damaged(&flipped, 9),
            Some(Vec::new()),
            "the other entry is whole"
        );
        assert_eq!(damaged(&good[..good.len() - 1], 7), None, "truncated");
        assert_eq!(damaged(b"", 7), None, "empty");
        assert_eq!(damaged(&good, 7), Some(payload.clone()));
        // An entry under another key than its checksum's.
        let misplaced = pack::Row {
            package: package_hash(&pkg),
            key: 7,
            offset: 0,
            len: payload.len() as u64,
            checksum: checksum(8, &payload),
            written: 1,
        };
        let bytes = |_| Some(std::borrow::Cow::Borrowed(payload.as_slice()));
        pack::write(&file, FORMAT, &[misplaced], bytes).unwrap();
        forget(&dir);
        assert_eq!(load_in(&dir, &pkg, 7), None, "misplaced");
    }

    #[test]
    fn a_flush_with_nothing_stored_does_not_look_at_the_folder() {
        let s = Scratch::new("untouched");
        let dir = s.0.join("summaries");
        flush_in(&dir);
        assert!(!stores().contains_key(&dir), "the folder was opened");
        assert!(!dir.exists());
    }

    #[test]
    fn packs_merge_and_keep_the_newest_entries_of_each_package() {
        let s = Scratch::new("prune");
        let pkg = package(Path::new("/nowhere/dep"), SourceKind::Registry);
        let other = DepPackage {
            id: "other".into(),
            ..pkg.clone()
        };
        store_in(&s.0, &other, 1, b"kept");
        flush_in(&s.0);
        let mut most = 0;
        for k in 0..10u64 {
            store_in(&s.0, &pkg, 100 + k, b"x");
            flush_in(&s.0);
            most = most.max(packs_in(&s.0));
        }
        assert!(
            most < pack::MERGE_AT + 1,
            "packs are merged: at most {most}"
        );
        forget(&s.0);
        for k in 10 - KEEP as u64..10 {
            assert!(
                load_in(&s.0, &pkg, 100 + k).is_some(),
                "one of the newest: {k}"
            );
        }
        assert!(load_in(&s.0, &pkg, 100).is_none(), "the oldest");
        assert_eq!(
            load_in(&s.0, &other, 1),
            Some(b"kept".to_vec()),
            "another package's"
        );
        let stored: usize = pack::list(&s.0)
            .iter()
            .map(|(p, _)| {
                pack::read_rows(&std::fs::File::open(p).unwrap(), FORMAT)
                    .unwrap()
                    .len()
            })
            .sum();
        assert!(stored <= 1 + KEEP + pack::MERGE_AT, "{stored} entries left");
    }

    #[test]
    fn the_earlier_layouts_and_dead_runs_temporaries_are_removed_on_the_first_write() {
        let s = Scratch::new("layout");
        let dir = s.0.join("summaries");
        s.write("summaries/0123456789abcdef/0000000000000007.bin", "old");
        s.write("summaries/0000000000000007.bin", "older");
        s.write("summaries/notes/keep.txt", "not ours");
        // A pack half-written by a run that was killed (no process has that number).
        s.write(
            "summaries/.0000000000000001.pack.async-lint-999999999.tmp",
            "ALSPACK1",
        );
        let pkg = package(Path::new("/nowhere/dep"), SourceKind::Registry);
        store_in(&dir, &pkg, 7, b"new");
        flush_in(&dir);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(
            names[0].ends_with(".pack") && names[1] == "notes",
            "{names:?}"
        );
    }
}
