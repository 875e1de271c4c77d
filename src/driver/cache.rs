//! The result cache: a package's findings are reused when its files, the configuration and the
//! tool version are unchanged.
//!
//! The key of a package is a hash (FNV-1a, 64 bits) of everything its results depend on: the
//! tool version, the built-in knowledge base, the configuration file's text, the effective
//! level of every lint, the options, the package's description (edition, seeds, targets) and
//! the path and *contents* (not the modification time) of every `.rs` file below the package
//! directory (skipping `target/` and hidden directories) and of its Cargo.toml. Any edit to any
//! of these files, in the module tree or not, gives another key. Files the crate reaches outside
//! its directory (`#[path = "../x.rs"]`) are checked against the content hashes stored with the
//! entry, and the paths where a `mod` declaration's file was looked for and not found are
//! stored with it and checked (a `stat` each) to be still missing: a module file created later
//! (where the key's walk does not look: `target/`, hidden directories, outside the package, a
//! `#[path]` not ending in `.rs`) is a miss.
//!
//! Entries live in `<target dir>/async-lint-cache/` (cargo's target directory in cargo mode,
//! `<package>/target/` otherwise, and only for a directory with a Cargo.toml), one JSON file per
//! key, written atomically; the newest few per package are kept. Any problem with the cache
//! (unreadable, corrupt, unwritable) is a miss and never changes the results.

use super::options::Options;
use crate::lints::diag::{Diagnostic, Edit, Label, Level};
use crate::lints::registry;
use crate::report::results::PackageReport;
use crate::syntax::source::SourceFile;
use crate::util::hash::{Fnv, hash_bytes};
use crate::workspace::discover::{self, Package};
use crate::workspace::metadata_cache::DIR_NAME;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bumped whenever the stored format or the meaning of a key changes.
const FORMAT: u64 = 5;
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Entries kept per package (different options or recent states of the files).
const KEEP: usize = 4;

/// The hash of a file's contents (None: it cannot be read), read into a reused buffer (fresh
/// allocations for every file made the kernel's page zeroing the largest cost of a warm run).
pub(crate) fn hash_file_with(path: &Path, buf: &mut Vec<u8>) -> Option<u64> {
    use std::io::Read;
    if let Some(text) = super::overlay::text(path) {
        return Some(hash_bytes(text.as_bytes()));
    }
    buf.clear();
    std::fs::File::open(path).ok()?.read_to_end(buf).ok()?;
    Some(hash_bytes(buf))
}

fn hash_file(path: &Path) -> Option<u64> {
    hash_file_with(path, &mut Vec::new())
}

fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// The cache entry of one package for the current state of its files and options.
pub struct Entry {
    /// The cache directory (not created until an entry is stored).
    dir: PathBuf,
    /// Hash of the package's identity: the prefix of its entries' file names.
    ident: u64,
    key: u64,
    /// The key before [`Entry::rekey`]: what the package's own state gives.
    own_key: u64,
    /// Content hashes of the files hashed into the key, by path.
    hashes: HashMap<PathBuf, Option<u64>>,
    cwd: PathBuf,
}

/// A package's results read from the cache.
pub struct Cached {
    files: Vec<SourceFile>,
    diagnostics: Vec<Diagnostic>,
    unreadable: usize,
    files_checked: usize,
    missed_modules: Vec<PathBuf>,
}

impl Cached {
    pub fn into_report(self, package: Package) -> PackageReport {
        PackageReport {
            package,
            files: self.files,
            diagnostics: self.diagnostics,
            unreadable: self.unreadable,
            files_checked: self.files_checked,
            missed_modules: self.missed_modules,
        }
    }
}

#[derive(Serialize)]
struct StoredRef<'a> {
    format: u64,
    version: &'a str,
    key: String,
    files: Vec<StoredFile>,
    diagnostics: &'a [Diagnostic],
    unreadable: usize,
    files_checked: usize,
    missed_modules: &'a [PathBuf],
}

#[derive(Deserialize)]
struct Stored {
    format: u64,
    version: String,
    key: String,
    files: Vec<StoredFile>,
    diagnostics: Vec<StoredDiagnostic>,
    unreadable: usize,
    files_checked: usize,
    /// Where `mod` declarations' files were looked for and not found: one that exists now
    /// (a module created since, also in `target/`, a hidden directory or outside the package,
    /// which the key does not cover) makes the entry a miss.
    missed_modules: Vec<PathBuf>,
}

/// A [`Diagnostic`] as stored, read back with its lint as a name.
#[derive(Deserialize)]
struct StoredDiagnostic {
    lint: String,
    level: Level,
    message: String,
    labels: Vec<Label>,
    notes: Vec<String>,
    helps: Vec<String>,
    fix: Vec<Edit>,
    item: String,
    #[serde(default)]
    external: Vec<crate::lints::diag::ExternalLabel>,
}

impl StoredDiagnostic {
    /// The diagnostic, its lint name looked up in the catalogue (None: no such lint, a miss).
    fn into_diagnostic(self) -> Option<Diagnostic> {
        let lint = registry::find(&self.lint)?.name;
        Some(Diagnostic {
            lint,
            level: self.level,
            message: self.message,
            labels: self.labels,
            notes: self.notes,
            helps: self.helps,
            fix: self.fix,
            item: self.item,
            external: self.external,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct StoredFile {
    path: PathBuf,
    display: String,
    /// Content hash when the results were computed (None: unreadable).
    hash: Option<u64>,
    /// [`SourceFile::target`].
    target: usize,
}

impl Entry {
    /// The entry for a package, or None when the package cannot be cached: it has no
    /// Cargo.toml, or a knowledge base was given that no configuration text describes.
    pub fn open(
        pkg: &Package,
        root: &Path,
        target_dir: Option<&Path>,
        opts: &Options,
    ) -> Option<Entry> {
        Entry::open_with(pkg, root, target_dir, opts, None)
    }

    /// [`Entry::open`] with the package's files hashed before (see [`Contents`]; None: hashed
    /// now).
    pub fn open_with(
        pkg: &Package,
        root: &Path,
        target_dir: Option<&Path>,
        opts: &Options,
        contents: Option<Contents>,
    ) -> Option<Entry> {
        if !pkg.dir.is_absolute() || !pkg.dir.join("Cargo.toml").is_file() {
            return None;
        }
        // A knowledge base given programmatically (tests) is in no key; one that a
        // configuration or the dependency summaries extended is (their text, their fingerprint).
        if opts.kb.is_some() && opts.config.key_text().is_empty() && opts.derived == 0 {
            return None;
        }
        let dir = match target_dir {
            Some(t) => t.join(DIR_NAME),
            None => path_mode_dir(&pkg.dir)?,
        };
        let cwd = std::env::current_dir().ok()?;
        let mut id = Fnv::default();
        id.str(&pkg.id);
        id.path(&pkg.dir);
        let contents = contents.unwrap_or_else(|| Contents::read(&pkg.dir));
        let (key, hashes) = key(pkg, root, &cwd, opts, contents);
        Some(Entry {
            dir,
            ident: id.finish(),
            key,
            own_key: key,
            hashes,
            cwd,
        })
    }

    /// A fingerprint of the contents of the package's files (as its key hashed them).
    pub fn content(&self) -> u64 {
        let mut files: Vec<(&PathBuf, &Option<u64>)> = self.hashes.iter().collect();
        files.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut h = Fnv::default();
        for (path, hash) in files {
            h.path(path);
            h.u64(hash.unwrap_or(0));
        }
        h.finish()
    }

    /// Mixes `extra` into the key: something else the package's results depend on (the
    /// contents of the workspace members whose summaries its lint uses).
    pub fn rekey(&mut self, extra: u64) {
        let mut h = Fnv::default();
        h.u64(self.key);
        h.u64(extra);
        self.key = h.finish();
    }

    fn file(&self) -> PathBuf {
        self.dir
            .join(format!("{:016x}-{:016x}.json", self.ident, self.key))
    }

    /// The cached results (None on a miss, whatever its cause).
    pub fn load(&self) -> Option<Cached> {
        let bytes = std::fs::read(self.file()).ok()?;
        // `<checksum of key and payload>\n<payload>`: a damaged or tampered entry is a miss.
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let (sum, payload) = (&bytes[..newline], &bytes[newline + 1..]);
        if sum != format!("{:016x}", self.checksum(payload)).as_bytes() {
            return None;
        }
        let stored: Stored = serde_json::from_slice(payload).ok()?;
        if stored.format != FORMAT
            || stored.version != VERSION
            || stored.key != format!("{:016x}", self.key)
        {
            return None;
        }
        // One `stat` per missed path, cheaper than reading files: checked first.
        for p in &stored.missed_modules {
            if !matches!(
                discover::probe(&absolute(p, &self.cwd)),
                discover::Probe::Missing
            ) {
                return None;
            }
        }
        let diagnostics: Vec<Diagnostic> = stored
            .diagnostics
            .into_iter()
            .map(StoredDiagnostic::into_diagnostic)
            .collect::<Option<_>>()?;
        let n = stored.files.len();
        // Files that diagnostics point into keep their text (as the engine does).
        let mut used = vec![false; n];
        for d in &diagnostics {
            if d.labels.is_empty() || d.fix.iter().any(|e| e.file >= n) {
                return None;
            }
            for l in &d.labels {
                *used.get_mut(l.file)? = true;
            }
        }
        let mut files = Vec::with_capacity(n);
        for (f, used) in stored.files.into_iter().zip(used) {
            let abs = absolute(&f.path, &self.cwd);
            let mut text = String::new();
            if used {
                // Read the text now and check it is the one the findings were computed on.
                match super::overlay::read(&abs) {
                    Ok(b) => {
                        if Some(hash_bytes(&b)) != f.hash {
                            return None;
                        }
                        text = String::from_utf8(b)
                            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                    }
                    Err(_) if f.hash.is_none() => {}
                    Err(_) => return None,
                }
            } else {
                let now = match self.hashes.get(&abs) {
                    Some(h) => *h,
                    // Outside the package directory (or reached by another path): hash it.
                    None => hash_file(&abs),
                };
                if now != f.hash {
                    return None;
                }
            }
            files.push(SourceFile {
                path: f.path,
                display: f.display,
                text: text.into(),
                target: f.target,
                line_starts: Default::default(),
            });
        }
        Some(Cached {
            files,
            diagnostics,
            unreadable: stored.unreadable,
            files_checked: stored.files_checked,
            missed_modules: stored.missed_modules,
        })
    }

    /// Stores a freshly computed report (silently does nothing when that fails, or when the
    /// package's files changed while it was being linted).
    pub fn store(
        &self,
        report: &PackageReport,
        root: &Path,
        target_dir: Option<&Path>,
        opts: &Options,
    ) {
        // A file edited during the run: the results may match neither state, so keep nothing.
        match Entry::open(&report.package, root, target_dir, opts) {
            Some(again) if again.key == self.own_key => {}
            _ => return,
        }
        let files = report
            .files
            .iter()
            .map(|f| {
                let abs = absolute(&f.path, &self.cwd);
                let hash = match self.hashes.get(&abs) {
                    Some(h) => *h,
                    None => hash_file(&abs),
                };
                StoredFile {
                    path: f.path.clone(),
                    display: f.display.clone(),
                    hash,
                    target: f.target,
                }
            })
            .collect();
        let stored = StoredRef {
            format: FORMAT,
            version: VERSION,
            key: format!("{:016x}", self.key),
            files,
            diagnostics: &report.diagnostics,
            unreadable: report.unreadable,
            files_checked: report.files_checked,
            missed_modules: &report.missed_modules,
        };
        let Ok(payload) = serde_json::to_vec(&stored) else {
            return;
        };
        let mut bytes = format!("{:016x}\n", self.checksum(&payload)).into_bytes();
        bytes.extend_from_slice(&payload);
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let path = self.file();
        if crate::util::fs::write_cache_entry(&path, &bytes).is_ok() {
            self.prune(&path);
        }
    }

    /// The checksum an entry's payload is stored with: of the entry's key and its bytes.
    fn checksum(&self, payload: &[u8]) -> u64 {
        let mut h = Fnv::default();
        h.u64(self.key);
        h.u64(payload.len() as u64);
        h.u64(hash_bytes(payload));
        h.finish()
    }

    /// Keeps the newest [`KEEP`] entries of this package.
    fn prune(&self, current: &Path) {
        let prefix = format!("{:016x}-", self.ident);
        crate::util::fs::keep_newest(&self.dir, &prefix, ".json", current, KEEP);
    }
}

/// The files whose contents go into a package's key: every `.rs` file below its directory
/// (skipping `target/` and hidden directories), and its Cargo.toml, sorted.
pub(crate) fn package_files(dir: &Path, h: &mut Fnv) -> Vec<PathBuf> {
    let mut out = vec![dir.join("Cargo.toml")];
    let mut it = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // A symlink loop or an unreadable directory: part of the key, deterministically.
                h.str("walk error");
                h.path(e.path().unwrap_or(Path::new("")));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_dir() {
            if entry.depth() > 0
                && (name == "target" || (name.starts_with('.') && name != "." && name != ".."))
            {
                it.skip_current_dir();
            }
            continue;
        }
        if name.ends_with(".rs") {
            out.push(entry.into_path());
        }
    }
    out
}

/// The running executable's size and modification time: a rebuilt tool (a new rule, a fixed
/// false positive) must not reuse results of the old build that carries the same version.
pub(crate) fn build_identity() -> u64 {
    static ID: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *ID.get_or_init(|| {
        let mut h = Fnv::default();
        if let Some(m) = std::env::current_exe()
            .ok()
            .and_then(|p| std::fs::metadata(p).ok())
        {
            h.u64(m.len());
            if let Ok(d) = m
                .modified()
                .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default())
            {
                h.u64(d.as_secs());
                h.u64(u64::from(d.subsec_nanos()));
            }
        }
        h.finish()
    })
}

/// A hash of the built-in knowledge base's text, computed once per run (its 300 KB hashed for
/// every package took a quarter of a warm run on deno).
fn builtin_kb_hash() -> u64 {
    static HASH: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *HASH.get_or_init(|| {
        let mut h = Fnv::default();
        for kb in [
            crate::kb::BLOCKING_TOML,
            crate::kb::BLOCK_ON_TOML,
            crate::kb::TYPES_TOML,
            crate::kb::ISLANDS_TOML,
            crate::kb::HELD_TOML,
            crate::kb::FUTURES_TOML,
            crate::kb::CANCEL_TOML,
        ] {
            h.str(kb);
        }
        h.finish()
    })
}

/// The files of a package folder that a result cache key covers, with their content hashes:
/// what the key reads from the disk, which a run can read while cargo still works (the rest of
/// the key needs the dependency graph's fingerprint).
pub struct Contents {
    /// A hash of the problems met listing the folder (see [`package_files`]).
    walk: u64,
    files: Vec<PathBuf>,
    hashes: Vec<Option<u64>>,
}

impl Contents {
    /// Lists the package's files and hashes them (in parallel).
    pub fn read(dir: &Path) -> Contents {
        let mut h = Fnv::default();
        let files = package_files(dir, &mut h);
        let hashes: Vec<Option<u64>> = files
            .par_iter()
            .map_init(Vec::new, |buf, p| hash_file_with(p, buf))
            .collect();
        Contents {
            walk: h.finish(),
            files,
            hashes,
        }
    }

    /// Hashes the listing's problems, and every file's path (below `dir`) and contents.
    pub fn hash_into(&self, dir: &Path, h: &mut Fnv) {
        h.u64(self.walk);
        h.u64(self.files.len() as u64);
        for (p, fh) in self.files.iter().zip(&self.hashes) {
            h.path(p.strip_prefix(dir).unwrap_or(p));
            match fh {
                Some(v) => {
                    h.u64(1);
                    h.u64(*v);
                }
                None => h.u64(0),
            }
        }
    }
}

/// The key of a package, and the content hashes of its files by path.
fn key(
    pkg: &Package,
    root: &Path,
    cwd: &Path,
    opts: &Options,
    contents: Contents,
) -> (u64, HashMap<PathBuf, Option<u64>>) {
    let mut h = Fnv::default();
    h.str("cargo-async-lint result cache");
    h.u64(FORMAT);
    h.str(VERSION);
    h.u64(build_identity());
    h.u64(builtin_kb_hash());
    // The configuration: its text (levels, exclude globs, knowledge-base additions), where it
    // is (exclude globs are relative to it).
    h.u64(u64::from(opts.kb.is_some()));
    // What the dependency summaries added to the knowledge base.
    h.u64(opts.derived);
    h.path(opts.config.path.as_deref().unwrap_or(Path::new("")));
    h.path(&opts.config.base);
    h.str(opts.config.key_text());
    for name in registry::all().iter().map(|m| m.name) {
        h.str(name);
        h.str(opts.levels.get(name).as_str());
    }
    h.u64(u64::from(opts.ignore_suppressions));
    // Displayed paths are relative to the root, given paths to the working directory.
    h.path(root);
    h.path(cwd);
    // The package as discovered.
    h.str(&pkg.name);
    h.str(&pkg.id);
    h.path(pkg.manifest.as_deref().unwrap_or(Path::new("")));
    h.path(&pkg.dir);
    h.str(&pkg.edition);
    h.u64(pkg.targets.len() as u64);
    for t in &pkg.targets {
        h.str(&t.name);
        h.str(&t.kind.join(","));
        h.str(&t.crate_types.join(","));
        h.path(&t.src_path);
        h.str(&t.edition);
    }
    // The features `--features` enabled (their code alone is linted).
    match &pkg.enabled_features {
        None => h.str("every feature"),
        Some(set) => {
            h.u64(set.len() as u64);
            for f in set.iter() {
                h.str(f);
            }
        }
    }
    h.u64(pkg.seeds.len() as u64);
    for s in &pkg.seeds {
        h.path(&s.path);
        h.str(&s.module);
        h.str(&s.crate_root);
        h.u64(s.target as u64);
    }
    h.u64(u64::from(pkg.follow_mods));
    // Its dependencies decide which fixes are offered.
    h.u64(pkg.deps.len() as u64);
    for d in &pkg.deps {
        h.str(&format!("{d:?}"));
    }
    match &pkg.report_only {
        None => h.str("all files"),
        Some(only) => {
            let mut only: Vec<&PathBuf> = only.iter().collect();
            only.sort();
            h.u64(only.len() as u64);
            for p in only {
                h.path(p);
            }
        }
    }
    // Every file's path and contents.
    contents.hash_into(&pkg.dir, &mut h);
    (
        h.finish(),
        contents.files.into_iter().zip(contents.hashes).collect(),
    )
}

/// Where path mode (no `cargo metadata`) keeps its cache: a package of the user's own caches in
/// its workspace's `target/` (the outermost directory above it whose Cargo.toml has a
/// `[workspace]`, else the package's own), so that files given one by one (a pre-commit hook)
/// share one cache per workspace; a package in cargo's own source caches (`$CARGO_HOME/registry`,
/// `$CARGO_HOME/git`), which is not the user's to write into, caches in the user cache directory
/// (`$XDG_CACHE_HOME` or `~/.cache`, `%LOCALAPPDATA%` on Windows). None: nowhere to cache.
fn path_mode_dir(pkg_dir: &Path) -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| home_dir().map(|h| h.join(".cargo")));
    let canonical = std::fs::canonicalize(pkg_dir).unwrap_or_else(|_| pkg_dir.to_path_buf());
    let in_cargo_home = cargo_home.is_some_and(|c| {
        let c = std::fs::canonicalize(&c).unwrap_or(c);
        canonical.starts_with(c.join("registry")) || canonical.starts_with(c.join("git"))
    });
    if in_cargo_home {
        return user_cache_dir().map(|d| d.join("cargo-async-lint"));
    }
    let mut root = pkg_dir;
    for dir in pkg_dir.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if std::fs::read_to_string(&manifest)
            .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        {
            root = dir;
        }
    }
    Some(root.join("target").join(DIR_NAME))
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The user's cache directory.
pub(crate) fn user_cache_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("LOCALAPPDATA").map(PathBuf::from);
    }
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home_dir().map(|h| h.join(".cache")))
}
