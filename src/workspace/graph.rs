//! The resolved dependency graph of a cargo workspace and where each dependency's source is on
//! disk, so that calls into dependencies can be followed into summaries of their own source
//! (issue 17). Nothing is compiled and nothing goes online.
//!
//! [`load`] runs `cargo metadata --format-version 1 --offline --locked --filter-platform
//! host-tuple` (with dependencies; a cargo that does not know `host-tuple` is asked again with
//! the host's triple from rustc), or reuses its cached answer
//! ([`super::metadata_cache`], an entry kind of its own with `Cargo.lock` among its witnesses).
//! `--locked`: the call never writes `Cargo.lock`, and without one there is no graph (cargo is
//! not even asked). When cargo fails (offline with something not downloaded, a broken manifest)
//! it is an `Err` with cargo's message: the caller goes on without dependency summaries.
//!
//! What the graph holds ([`DepGraph`]):
//! - the non-member packages reachable from the workspace members through normal dependencies
//!   on the host platform, and through the members' own dev-dependencies (build-dependencies
//!   run only in build scripts and are not followed); a proc-macro package is included (marked)
//!   but its own dependencies are not followed (they run in the compiler, never in the code
//!   that calls it);
//! - of those, only packages with a lib (or proc-macro) target whose source is on disk; the
//!   others are listed in [`DepGraph::skipped`] with the reason;
//! - in topological order: a package's dependencies come before it.
//!
//! What the metadata cache keeps is the graph itself, as if every source were on disk
//! (`candidates`: read without parsing cargo's answer again), after a line with what the result
//! cache's key needs ([`Loaded`]: a warm run whose packages all hit the cache never parses the
//! graph). Whether a source is on disk is checked on every load ([`DepGraph::on_disk`]): a
//! `stat` of each path package, and of the folders holding the registry and git packages'
//! folders (`~/.cargo/registry/src/<index>/`), whose packages are checked one by one only when
//! such a folder changed (see `Holders`).

use super::deps::DepKind;
use super::metadata_cache::{RACY, Stamp, stamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a package comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SourceKind {
    /// A registry (`registry+`, `sparse+`) or another immutable source (a local registry, a
    /// vendored directory): its files never change under the same package id.
    Registry,
    /// A git checkout (`git+`).
    Git,
    /// A local path (no source): its files can change at any time.
    Path,
}

/// A dependency of the workspace whose library source is on disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepPackage {
    /// Cargo's package id.
    pub id: String,
    /// The package name (`fs-err`).
    pub name: String,
    pub version: String,
    /// The crate name of its lib (or proc-macro) target, `-` as `_` (`fs_err`).
    pub lib_name: String,
    /// Its lib target is a proc-macro (its own dependencies are then not followed: empty `deps`).
    pub proc_macro: bool,
    /// The package's directory (where its Cargo.toml is).
    pub dir: PathBuf,
    /// The root file of its lib target (`src/lib.rs`).
    pub lib_src: PathBuf,
    /// The lib target's edition (`2021`).
    pub edition: String,
    pub kind: SourceKind,
    /// Its normal dependencies on the host platform that are in the graph: (the name its code
    /// uses for it, `-` as `_`: the rename or the lib name, index into [`DepGraph::packages`]).
    /// Always earlier in `packages` than this package.
    pub deps: Vec<(String, usize)>,
    /// Its enabled features, as cargo resolved them (None: not known, as from the lock file).
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// A workspace member's library (read for every platform, as its lint reads it).
    #[serde(default)]
    pub member: bool,
}

impl DepPackage {
    /// Hashes what identifies the package and where its library is (not its files).
    pub fn hash_identity(&self, h: &mut crate::util::hash::Fnv) {
        h.str(&self.id);
        h.str(&self.lib_name);
        h.u64(u64::from(self.proc_macro));
        h.path(&self.dir);
        h.path(&self.lib_src);
        h.str(&self.edition);
        match &self.features {
            Some(f) => {
                h.u64(f.len() as u64 + 1);
                for x in f {
                    h.str(x);
                }
            }
            None => h.u64(0),
        }
        h.u64(u64::from(self.member));
    }
}

/// The resolved dependency graph (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepGraph {
    /// Every non-member package reachable from the members (normal dependencies on the host
    /// platform, and the members' dev-dependencies) with a lib target on disk; dependencies
    /// before their dependents.
    pub packages: Vec<DepPackage>,
    /// For each workspace member, by package id: its dependencies that are in `packages`, as
    /// (the name its code uses, `-` as `_`; index into `packages`; kind). A dependency declared
    /// with several kinds (normal and dev) has an entry for each. Build-dependencies appear only
    /// when the package is in the graph anyway (reached through another edge). Dependencies on
    /// other members are not listed.
    pub members: HashMap<String, Vec<(String, usize, DepKind)>>,
    /// Reachable packages left out, sorted by id: (package id, why).
    pub skipped: Vec<(String, String)>,
}

impl DepGraph {
    /// The index of a package by id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.packages.iter().position(|p| p.id == id)
    }

    /// The graph without the packages whose folder or lib source is not on disk (`exists`
    /// tells), which go to [`DepGraph::skipped`] with the reason; the edges to them are dropped.
    /// On a graph of `candidates`, this is [`from_metadata`]'s answer.
    pub fn on_disk(self, exists: &dyn Fn(&Path) -> bool) -> DepGraph {
        self.on_disk_where(exists, &|_| true)
    }

    /// [`DepGraph::on_disk`], checking only the packages `check` selects (the others are taken
    /// as on disk).
    fn on_disk_where(
        mut self,
        exists: &dyn Fn(&Path) -> bool,
        check: &dyn Fn(&DepPackage) -> bool,
    ) -> DepGraph {
        let mut gone: Vec<usize> = Vec::new();
        for (i, p) in self.packages.iter().enumerate() {
            if !check(p) {
                continue;
            }
            // One `stat` for both when the lib source is inside the folder (a path resolves
            // only through existing folders).
            let lib = exists(&p.lib_src);
            let inside = p.lib_src.strip_prefix(&p.dir).is_ok_and(|rest| {
                rest.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            });
            let why = if p.dir.as_os_str().is_empty() || !((lib && inside) || exists(&p.dir)) {
                format!("source folder {} not on disk", p.dir.display())
            } else if !lib {
                format!("lib source {} not on disk", p.lib_src.display())
            } else {
                continue;
            };
            self.skipped.push((p.id.clone(), why));
            gone.push(i);
        }
        if gone.is_empty() {
            return self;
        }
        // New indices of the packages kept (None: left out).
        let mut new_index: Vec<Option<usize>> = Vec::with_capacity(self.packages.len());
        let mut next = 0;
        for i in 0..self.packages.len() {
            if gone.binary_search(&i).is_ok() {
                new_index.push(None);
            } else {
                new_index.push(Some(next));
                next += 1;
            }
        }
        let packages = std::mem::take(&mut self.packages);
        self.packages = packages
            .into_iter()
            .enumerate()
            .filter(|(i, _)| new_index[*i].is_some())
            .map(|(_, mut p)| {
                p.deps = p
                    .deps
                    .into_iter()
                    .filter_map(|(name, j)| Some((name, new_index[j]?)))
                    .collect();
                p
            })
            .collect();
        for deps in self.members.values_mut() {
            *deps = std::mem::take(deps)
                .into_iter()
                .filter_map(|(name, j, kind)| Some((name, new_index[j]?, kind)))
                .collect();
        }
        self.skipped.sort();
        self
    }
}

/// Loads the dependency graph of the workspace at `manifest_path` (else the working
/// directory), through the metadata cache when `cache`. `Err`: cargo's message (or why its
/// answer could not be read); the run goes on without dependency summaries.
pub fn load(manifest_path: Option<&Path>, cache: bool) -> Result<DepGraph, String> {
    let asked = Asked {
        manifest_path,
        cache,
        seen: &[],
        ahead: None,
    };
    load_with(&asked, &|_| {}, |_| None).map(Loaded::into_graph)
}

/// A dependency graph, read from the metadata cache or made now: what the result cache's key
/// takes of it (see [`Loaded::structure`]) without reading the whole graph, which is read
/// only when asked for ([`Loaded::graph`]: when some package is linted, or with `-v`).
pub struct Loaded {
    /// Why the lock file was read (None: cargo answered).
    pub why: Option<String>,
    /// [`structure_fingerprint`] of the graph.
    pub structure: u64,
    /// Its path and git packages, in the graph's order (their files can change under the same
    /// id: the result cache's key hashes them).
    pub local: Vec<DepPackage>,
    graph: Body,
}

enum Body {
    Graph(DepGraph),
    /// The cached graph's JSON, checked against the hash stored with it, not parsed yet.
    Json(Vec<u8>),
}

impl Loaded {
    fn new(graph: DepGraph, why: Option<String>) -> Loaded {
        Loaded {
            why,
            structure: structure_fingerprint(&graph),
            local: local_packages(&graph),
            graph: Body::Graph(graph),
        }
    }

    /// The graph (read now if it was not).
    pub fn graph(&mut self) -> &DepGraph {
        if let Body::Json(bytes) = &self.graph {
            // Checked against its hash: only a bug makes this fail (an empty graph then).
            let g = serde_json::from_slice(bytes).unwrap_or_default();
            self.graph = Body::Graph(g);
        }
        match &self.graph {
            Body::Graph(g) => g,
            Body::Json(_) => unreachable!(),
        }
    }

    pub fn into_graph(mut self) -> DepGraph {
        self.graph();
        match self.graph {
            Body::Graph(g) => g,
            Body::Json(_) => DepGraph::default(),
        }
    }
}

/// A fingerprint of what the graph says (packages, where their sources are, edges, members'
/// dependencies), not of the files of its path and git packages.
pub fn structure_fingerprint(g: &DepGraph) -> u64 {
    let mut h = crate::util::hash::Fnv::default();
    h.u64(g.packages.len() as u64);
    for p in &g.packages {
        p.hash_identity(&mut h);
        h.u64(p.kind as u64);
        h.u64(p.deps.len() as u64);
        for (name, i) in &p.deps {
            h.str(name);
            h.u64(*i as u64);
        }
    }
    let mut members: Vec<_> = g.members.iter().collect();
    members.sort_by(|a, b| a.0.cmp(b.0));
    h.u64(members.len() as u64);
    for (id, deps) in members {
        h.str(id);
        h.u64(deps.len() as u64);
        for (name, i, kind) in deps {
            h.str(name);
            h.u64(*i as u64);
            h.u64(*kind as u64);
        }
    }
    h.finish()
}

fn local_packages(g: &DepGraph) -> Vec<DepPackage> {
    g.packages
        .iter()
        .filter(|p| p.kind != SourceKind::Registry)
        .cloned()
        .collect()
}

/// What the metadata cache keeps of the graph, on the line before the graph's JSON (the graph
/// as if every source were on disk: [`candidates`]).
#[derive(Serialize, Deserialize)]
struct Header {
    why: Option<String>,
    /// When every package was on disk.
    holders: Option<Holders>,
    structure: u64,
    local: Vec<DepPackage>,
    /// The hash of the graph's JSON (an entry cut short is a miss).
    hash: u64,
}

/// The folders that hold the registry and git packages' folders, with their stamps, taken before
/// a check that found every package on disk. While they are unchanged no package folder was
/// added to or removed from them, and their packages are taken as still on disk without a
/// `stat` each (cargo never edits a package it extracted: the summary cache trusts this too, and
/// a git package's files are hashed into the result cache's key anyway); path packages are
/// always checked.
type Holders = Vec<(PathBuf, Stamp)>;

/// The metadata cache's payload for a graph of [`candidates`].
fn payload(graph: &DepGraph, why: &Option<String>, holders: Option<Holders>) -> Option<Vec<u8>> {
    let json = serde_json::to_vec(graph).ok()?;
    let header = Header {
        why: why.clone(),
        holders,
        structure: structure_fingerprint(graph),
        local: local_packages(graph),
        hash: crate::util::hash::hash_bytes(&json),
    };
    let mut out = serde_json::to_vec(&header).ok()?;
    out.push(b'\n');
    out.extend_from_slice(&json);
    Some(out)
}

/// [`load`], with `fallback` asked for `cargo metadata`-shaped output when cargo fails (with
/// cargo's message); the graph it gives is cached as cargo's would be (with `why`, the message).
fn load_with(
    asked: &Asked<'_>,
    meanwhile: &(dyn Fn(&std::sync::atomic::AtomicBool) + Sync),
    fallback: impl FnOnce(&str) -> Option<Value>,
) -> Result<Loaded, String> {
    let Asked {
        manifest_path,
        cache,
        seen,
        ahead,
    } = *asked;
    let start = if cache {
        super::metadata_cache::Start::with_deps(manifest_path)
    } else {
        None
    };
    let exists = |p: &Path| p.exists();
    // The cached graph (an entry that does not read is a miss).
    if let Some(entry) = start.as_ref().and_then(|s| s.load_entry(seen))
        && let Some(newline) = entry.payload().iter().position(|&b| b == b'\n')
        && let Ok(header) = serde_json::from_slice::<Header>(&entry.payload()[..newline])
        && let json = &entry.payload()[newline + 1..]
        && crate::util::hash::hash_bytes(json) == header.hash
    {
        let unchanged = header
            .holders
            .as_ref()
            .is_some_and(|h| h.iter().all(|(p, s)| stamp(p) == *s));
        let paths_on_disk = || {
            let local = DepGraph {
                packages: header.local.clone(),
                ..DepGraph::default()
            };
            let checked = local.on_disk_where(&exists, &|p| p.kind == SourceKind::Path);
            checked.packages.len() == header.local.len()
        };
        if unchanged && paths_on_disk() {
            // Every package is still on disk: the graph is the one cached, read when needed.
            return Ok(Loaded {
                why: header.why,
                structure: header.structure,
                local: header.local,
                graph: Body::Json(json.to_vec()),
            });
        }
        // Checked whole, and the holders' new stamps kept for the next run.
        let Ok(graph) = serde_json::from_slice::<DepGraph>(json) else {
            return Err("could not read the cached dependency graph".into());
        };
        let (checked, now) = check(graph.clone(), &exists);
        if now.is_some()
            && let Some(bytes) = payload(&graph, &header.why, now)
        {
            entry.replace_payload(&bytes);
        }
        return Ok(Loaded::new(checked, header.why));
    }
    let before = start.as_ref().map(|s| s.stamp_ancestors());
    let started = std::time::SystemTime::now();
    let mut why = None;
    // `meanwhile` runs on another thread while cargo works (cargo takes a second on a large
    // workspace, mostly on one core), told when cargo has answered (it may then stop early).
    let answered = std::sync::atomic::AtomicBool::new(false);
    let meta = std::thread::scope(|s| {
        s.spawn(|| meanwhile(&answered));
        let out = cargo_metadata(manifest_path, ahead);
        answered.store(true, std::sync::atomic::Ordering::Relaxed);
        crate::util::timing::mark(|| "dependency graph: `cargo metadata` answered".into());
        match out {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| format!("could not read `cargo metadata` output: {e}")),
            Err(e) => {
                let meta = fallback(&e).ok_or_else(|| e.clone());
                crate::util::timing::mark(|| "dependency graph: read from the lock file".into());
                why = Some(e);
                meta
            }
        }
    })?;
    crate::util::timing::mark(|| "dependency graph: beside cargo done".into());
    let graph = candidates(&meta);
    let (checked, holders) = check(graph.clone(), &exists);
    crate::util::timing::mark(|| "dependency graph: checked".into());
    if let (Some(s), Some(before)) = (&start, before)
        && let Some(bytes) = payload(&graph, &why, holders)
    {
        s.store(&bytes, &meta, before, started);
    }
    Ok(Loaded::new(checked, why))
}

/// [`DepGraph::on_disk`], and the [`Holders`] stamped before the check when every package was
/// on disk (and the holders changed long enough before: see [`RACY`]).
fn check(graph: DepGraph, exists: &dyn Fn(&Path) -> bool) -> (DepGraph, Option<Holders>) {
    let started = std::time::SystemTime::now();
    let mut folders: Vec<&Path> = graph
        .packages
        .iter()
        .filter(|p| p.kind != SourceKind::Path)
        .filter_map(|p| p.dir.parent())
        .collect();
    folders.sort_unstable();
    folders.dedup();
    let holders: Holders = folders
        .into_iter()
        .map(|f| (f.to_path_buf(), stamp(f)))
        .collect();
    let n = graph.packages.len();
    let checked = graph.on_disk(exists);
    let limit = started
        .checked_sub(RACY)
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    let settled = holders
        .iter()
        .all(|(_, s)| s.exists() && s.mtime_ns() < limit);
    let all = checked.packages.len() == n;
    (checked, (all && settled).then_some(holders))
}

/// How cargo is asked for the graph.
#[derive(Clone, Copy)]
pub struct Asked<'a> {
    /// `--manifest-path`, if given.
    pub manifest_path: Option<&'a Path>,
    /// Whether the graph may be cached.
    pub cache: bool,
    /// The witnesses of the metadata cache this run found unchanged (not checked again).
    pub seen: &'a [(PathBuf, Stamp)],
    /// The `cargo metadata` started for the graph before, if any ([`Ahead`]).
    pub ahead: Option<&'a Ahead>,
}

/// [`load`], or when cargo cannot answer offline (a git dependency never fetched), the graph
/// rebuilt from `Cargo.lock` and the registry sources on disk ([`super::lockfile`]). `members`:
/// the workspace's packages as (package id, name, manifest dir); `lock`: the workspace's
/// `Cargo.lock`. `Err`: cargo's message, when neither works, or (cargo not asked) that there
/// is no `Cargo.lock`. [`Loaded::why`] says when the lock file was used, and why.
/// `meanwhile` runs on another thread while cargo (or the lock file's reading) works, when the
/// graph is not served from the cache; the flag it is given turns true once cargo has answered.
pub fn load_or_lockfile(
    asked: &Asked<'_>,
    lock: &Path,
    members: &[(String, String, PathBuf)],
    target_dir: Option<&Path>,
    meanwhile: &(dyn Fn(&std::sync::atomic::AtomicBool) + Sync),
) -> Result<Loaded, String> {
    // `cargo metadata --locked` refuses to create a lock file (and the tool never writes one):
    // without one (a library that does not commit it) every run would ask cargo in vain.
    if !lock.is_file() {
        return Err(format!(
            "no {} (`cargo generate-lockfile` makes one)",
            lock.display()
        ));
    }
    load_with(asked, meanwhile, |_| {
        super::lockfile::metadata(lock, members, target_dir, None)
    })
}

/// The `cargo metadata` command with dependencies, for the host platform (`platform`: a
/// triple, or `host-tuple`, which a recent cargo reads as the host's), offline.
fn metadata_command(manifest_path: Option<&Path>, platform: &str) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", platform]);
    if let Some(m) = manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    cmd
}

/// What [`metadata_command`] is first given: cargo learns the host itself, so it starts without
/// waiting for `rustc` (an older cargo refuses the name, and is asked again with the triple:
/// [`refused_host_tuple`]).
const HOST_TUPLE: &str = "host-tuple";

/// Whether cargo failed because it does not know [`HOST_TUPLE`] (it then looked for a target
/// of that name).
fn refused_host_tuple(out: &std::process::Output) -> bool {
    !out.status.success() && String::from_utf8_lossy(&out.stderr).contains(HOST_TUPLE)
}

/// `cargo metadata` with dependencies started ahead: when the workspace's own `cargo metadata
/// --no-deps` is not cached, the graph's rarely is, and cargo then resolves the graph beside
/// the members' query instead of after it (and rustc's host triple and `cfg`, which the
/// dependencies' walks read, are asked meanwhile). [`load_or_lockfile`] takes the process (for the same
/// manifest); one left untaken (the graph was cached after all, or the run stopped first) is killed when
/// dropped.
pub struct Ahead {
    manifest_path: Option<PathBuf>,
    started: std::sync::Mutex<Option<std::sync::mpsc::Receiver<Option<std::process::Child>>>>,
}

impl Ahead {
    pub fn start(manifest_path: Option<&Path>) -> Ahead {
        let (tx, rx) = std::sync::mpsc::channel();
        let path = manifest_path.map(Path::to_path_buf);
        let spawned = std::thread::Builder::new().spawn(move || {
            let child = metadata_command(path.as_deref(), HOST_TUPLE)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .ok();
            let _ = tx.send(child);
            let _ = super::platform::Host::detect();
        });
        Ahead {
            manifest_path: manifest_path.map(Path::to_path_buf),
            // A thread that could not start sends nothing: the graph is then asked as usual.
            started: std::sync::Mutex::new(spawned.is_ok().then_some(rx)),
        }
    }

    /// The process started for `manifest_path`, once (None: not started, taken already, or
    /// for another manifest, which is then killed).
    fn take(&self, manifest_path: Option<&Path>) -> Option<std::process::Child> {
        let rx = self
            .started
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()?;
        let child = rx.recv().ok().flatten()?;
        if self.manifest_path.as_deref() == manifest_path {
            return Some(child);
        }
        stop(child);
        None
    }
}

/// Kills a `cargo metadata` no one reads, and reaps it.
fn stop(mut child: std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Ahead {
    fn drop(&mut self) {
        let path = self.manifest_path.clone();
        if let Some(child) = self.take(path.as_deref()) {
            stop(child);
        }
    }
}

impl std::fmt::Debug for Ahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ahead")
            .field("manifest_path", &self.manifest_path)
            .finish_non_exhaustive()
    }
}

/// `cargo metadata` output with dependencies, for the host platform, offline: from the process
/// started `ahead` when there is one.
fn cargo_metadata(manifest_path: Option<&Path>, ahead: Option<&Ahead>) -> Result<Vec<u8>, String> {
    let run = |out: std::io::Result<std::process::Output>| {
        out.map_err(|e| format!("could not run `cargo metadata`: {e}"))
    };
    let mut out = run(match ahead.and_then(|a| a.take(manifest_path)) {
        Some(child) => child.wait_with_output(),
        None => metadata_command(manifest_path, HOST_TUPLE).output(),
    })?;
    if refused_host_tuple(&out) {
        let host = super::platform::host_triple()?;
        out = run(metadata_command(manifest_path, &host).output())?;
    }
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // One line: cargo's message, its `Caused by:` parts joined.
        let msg = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| l.trim_start_matches("error: "))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(format!("`cargo metadata` failed: {msg}"));
    }
    Ok(out.stdout)
}

/// A dependency edge of the resolve graph: (name the code uses, package id, kinds).
type Edge<'a> = (String, &'a str, Vec<DepKind>);

/// The edges of one resolve node.
fn edges(node: &Value) -> Vec<Edge<'_>> {
    let mut out = Vec::new();
    for d in node["deps"].as_array().into_iter().flatten() {
        let (Some(name), Some(pkg)) = (d["name"].as_str(), d["pkg"].as_str()) else {
            continue;
        };
        let mut kinds: Vec<DepKind> = Vec::new();
        for k in d["dep_kinds"].as_array().into_iter().flatten() {
            let kind = match k["kind"].as_str() {
                Some("dev") => DepKind::Dev,
                Some("build") => DepKind::Build,
                _ => DepKind::Normal,
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        // Cargo before 1.41 gave no `dep_kinds`: a normal dependency.
        if d.get("dep_kinds").is_none() {
            kinds.push(DepKind::Normal);
        }
        out.push((name.replace('-', "_"), pkg, kinds));
    }
    out
}

/// Whether a target is a lib (`Some(false)`) or a proc-macro (`Some(true)`).
fn lib_kind(t: &Value) -> Option<bool> {
    let kinds = t["kind"].as_array()?;
    let has = |k: &str| kinds.iter().any(|v| v.as_str() == Some(k));
    if has("proc-macro") {
        return Some(true);
    }
    ["lib", "rlib", "dylib", "cdylib", "staticlib"]
        .iter()
        .any(|k| has(k))
        .then_some(false)
}

/// The lib or proc-macro target of a package: (crate name, src_path, edition, proc-macro).
fn lib_target(p: &Value) -> Option<(String, PathBuf, String, bool)> {
    let pkg_edition = p["edition"].as_str().unwrap_or("2015");
    p["targets"].as_array()?.iter().find_map(|t| {
        let proc_macro = lib_kind(t)?;
        Some((
            t["name"].as_str().unwrap_or_default().replace('-', "_"),
            PathBuf::from(t["src_path"].as_str().unwrap_or_default()),
            t["edition"].as_str().unwrap_or(pkg_edition).to_string(),
            proc_macro,
        ))
    })
}

fn source_kind(source: &Value) -> SourceKind {
    match source.as_str() {
        None => SourceKind::Path,
        Some(s) if s.starts_with("git+") => SourceKind::Git,
        Some(_) => SourceKind::Registry,
    }
}

/// The graph in `cargo metadata` output (with `resolve`); `exists` tells whether a path is on
/// disk.
pub fn from_metadata(meta: &Value, exists: &dyn Fn(&Path) -> bool) -> DepGraph {
    candidates(meta).on_disk(exists)
}

/// The graph in `cargo metadata` output as if every source were on disk: what the metadata
/// cache keeps ([`DepGraph::on_disk`] then leaves out what is not).
fn candidates(meta: &Value) -> DepGraph {
    let packages: HashMap<&str, &Value> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let features: HashMap<&str, Vec<String>> = meta["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            let list = n["features"].as_array()?;
            let mut f: Vec<String> = list
                .iter()
                .filter_map(|x| Some(x.as_str()?.to_string()))
                .collect();
            f.sort_unstable();
            Some((n["id"].as_str()?, f))
        })
        .collect();
    let nodes: BTreeMap<&str, Vec<Edge<'_>>> = meta["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, edges(n))))
        .collect();
    let mut members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    members.sort_unstable();
    let is_member = |id: &str| members.binary_search(&id).is_ok();
    let proc_macros: HashSet<&str> = packages
        .iter()
        .filter(|(_, p)| {
            p["targets"]
                .as_array()
                .is_some_and(|ts| ts.iter().any(|t| lib_kind(t) == Some(true)))
        })
        .map(|(id, _)| *id)
        .collect();
    let is_proc_macro = |id: &str| proc_macros.contains(id);
    // The normal dependencies a package's code calls (none for a proc-macro).
    let normal = |id: &str| -> Vec<&Edge<'_>> {
        if is_proc_macro(id) {
            return Vec::new();
        }
        nodes
            .get(id)
            .into_iter()
            .flatten()
            .filter(|(_, dep, kinds)| kinds.contains(&DepKind::Normal) && !is_member(dep))
            .collect()
    };
    // Depth-first from the members' normal and dev dependencies; post-order is topological
    // (normal dependencies have no cycles; a back edge would be ignored).
    let mut order: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for m in &members {
        for (_, root, kinds) in nodes.get(m).into_iter().flatten() {
            if is_member(root) || !kinds.iter().any(|k| *k != DepKind::Build) {
                continue;
            }
            if !seen.insert(root) {
                continue;
            }
            // An explicit stack: (package, its edges, next edge).
            let mut stack: Vec<(&str, Vec<&Edge<'_>>, usize)> = vec![(root, normal(root), 0)];
            while let Some((id, deps, next)) = stack.last_mut() {
                let id: &str = id;
                let dep: Option<&str> = deps.get(*next).map(|e| e.1);
                *next += 1;
                match dep {
                    Some(dep) if seen.insert(dep) => {
                        stack.push((dep, normal(dep), 0));
                    }
                    Some(_) => {}
                    None => {
                        order.push(id);
                        stack.pop();
                    }
                }
            }
        }
    }
    let mut graph = DepGraph::default();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for id in order {
        let Some(p) = packages.get(id) else {
            graph
                .skipped
                .push((id.to_string(), "not in `cargo metadata`'s packages".into()));
            continue;
        };
        let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let Some((lib_name, lib_src, edition, proc_macro)) = lib_target(p) else {
            graph.skipped.push((id.to_string(), "no lib target".into()));
            continue;
        };
        let deps = normal(id)
            .into_iter()
            .filter_map(|(name, dep, _)| Some((name.clone(), *index.get(dep)?)))
            .collect();
        index.insert(id, graph.packages.len());
        graph.packages.push(DepPackage {
            id: id.to_string(),
            name: p["name"].as_str().unwrap_or_default().to_string(),
            version: p["version"].as_str().unwrap_or_default().to_string(),
            lib_name,
            proc_macro,
            dir,
            lib_src,
            edition,
            kind: source_kind(&p["source"]),
            deps,
            features: features.get(id).cloned(),
            member: false,
        });
    }
    for m in &members {
        let mut deps = Vec::new();
        for (name, dep, kinds) in nodes.get(m).into_iter().flatten() {
            if let Some(&i) = index.get(dep) {
                for k in kinds {
                    deps.push((name.clone(), i, *k));
                }
            }
        }
        graph.members.insert(m.to_string(), deps);
    }
    graph.skipped.sort();
    graph
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const REG: &str = "registry+https://github.com/rust-lang/crates.io-index";

    /// A package of `cargo metadata` output: (id, name, source, lib target kind, lib name).
    fn package(name: &str, version: &str, source: Option<&str>, lib_kind: &str) -> Value {
        let dir = match source {
            Some(s) if s.starts_with("git+") => format!("/git/{name}"),
            Some(_) => format!("/reg/{name}-{version}"),
            None => format!("/ws/{name}"),
        };
        json!({
            "id": id(name, version, source),
            "name": name,
            "version": version,
            "source": source,
            "edition": "2021",
            "manifest_path": format!("{dir}/Cargo.toml"),
            "targets": [
                {"name": "build-script-build", "kind": ["custom-build"], "src_path": format!("{dir}/build.rs")},
                {"name": name, "kind": [lib_kind], "src_path": format!("{dir}/src/lib.rs"), "edition": "2018"},
            ],
        })
    }

    fn id(name: &str, version: &str, source: Option<&str>) -> String {
        match source {
            Some(s) => format!("{s}#{name}@{version}"),
            None => format!("path+file:///ws/{name}#{version}"),
        }
    }

    fn reg(name: &str) -> String {
        id(name, "1.0.0", Some(REG))
    }

    /// A resolve edge: (name the code uses, package id, kinds).
    fn dep(name: &str, pkg: &str, kinds: &[Option<&str>]) -> Value {
        let kinds: Vec<Value> = kinds
            .iter()
            .map(|k| json!({"kind": k, "target": null}))
            .collect();
        json!({"name": name, "pkg": pkg, "dep_kinds": kinds})
    }

    fn metadata() -> Value {
        let git = "git+https://example.com/gitdep#0123456789abcdef";
        let packages = vec![
            package("app", "0.1.0", None, "lib"),
            package("helper", "0.1.0", None, "lib"),
            package("local", "0.2.0", None, "lib"),
            package("gitdep", "0.3.0", Some(git), "lib"),
            package("fs-err", "1.0.0", Some(REG), "lib"),
            package("tokio", "1.0.0", Some(REG), "lib"),
            package("bytes", "1.0.0", Some(REG), "lib"),
            package("insta", "1.0.0", Some(REG), "lib"),
            package("similar", "1.0.0", Some(REG), "lib"),
            package("cc", "1.0.0", Some(REG), "lib"),
            package("jobserver", "1.0.0", Some(REG), "lib"),
            package("missing", "1.0.0", Some(REG), "lib"),
            package("memchr", "1.0.0", Some(REG), "lib"),
            package("nolibsrc", "1.0.0", Some(REG), "lib"),
            package("derive-thing", "1.0.0", Some(REG), "proc-macro"),
            package("syn", "1.0.0", Some(REG), "lib"),
        ];
        let app = id("app", "0.1.0", None);
        let helper = id("helper", "0.1.0", None);
        let local = id("local", "0.2.0", None);
        let gitdep = id("gitdep", "0.3.0", Some(git));
        let nodes = json!([
            {"id": app, "deps": [
                dep("myfs", &reg("fs-err"), &[None]),
                dep("tokio", &reg("tokio"), &[None, Some("dev")]),
                dep("cc", &reg("cc"), &[Some("build")]),
                dep("insta", &reg("insta"), &[Some("dev")]),
                dep("helper", &helper, &[None]),
                dep("local", &local, &[None]),
                dep("gitdep", &gitdep, &[None]),
                dep("missing", &reg("missing"), &[None]),
                dep("nolibsrc", &reg("nolibsrc"), &[None]),
                dep("derive_thing", &reg("derive-thing"), &[None]),
            ]},
            {"id": helper, "deps": [dep("bytes", &reg("bytes"), &[None])]},
            {"id": local, "deps": [
                dep("bytes", &reg("bytes"), &[None]),
                dep("helper", &helper, &[None]),
                dep("similar", &reg("similar"), &[Some("dev")]),
            ]},
            {"id": gitdep, "deps": []},
            {"id": reg("fs-err"), "deps": [dep("tokio", &reg("tokio"), &[None])]},
            {"id": reg("tokio"), "deps": [
                dep("bytes", &reg("bytes"), &[None]),
                dep("cc", &reg("cc"), &[Some("build")]),
            ]},
            {"id": reg("bytes"), "deps": []},
            {"id": reg("insta"), "deps": [dep("similar", &reg("similar"), &[None])]},
            {"id": reg("similar"), "deps": []},
            {"id": reg("cc"), "deps": [dep("jobserver", &reg("jobserver"), &[None])]},
            {"id": reg("jobserver"), "deps": []},
            {"id": reg("missing"), "deps": [dep("memchr", &reg("memchr"), &[None])]},
            {"id": reg("memchr"), "deps": []},
            {"id": reg("nolibsrc"), "deps": []},
            {"id": reg("derive-thing"), "deps": [dep("syn", &reg("syn"), &[None])]},
            {"id": reg("syn"), "deps": []},
        ]);
        json!({
            "packages": packages,
            "workspace_members": [app, helper],
            "resolve": {"nodes": nodes, "root": null},
            "workspace_root": "/ws",
            "target_directory": "/ws/target",
        })
    }

    /// Everything is on disk except `missing`'s folder and `nolibsrc`'s lib.rs.
    fn on_disk(p: &Path) -> bool {
        !p.starts_with("/reg/missing-1.0.0") && p != Path::new("/reg/nolibsrc-1.0.0/src/lib.rs")
    }

    fn graph() -> DepGraph {
        from_metadata(&metadata(), &on_disk)
    }

    fn pkg<'a>(g: &'a DepGraph, name: &str) -> &'a DepPackage {
        g.packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} not in the graph"))
    }

    #[test]
    fn reachable_packages_only() {
        let g = graph();
        let mut names: Vec<&str> = g.packages.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        // Not: members (app, helper), build-only (cc, jobserver), a proc-macro's dependencies
        // (syn), a path package's dev-dependency only (similar comes through insta), the
        // packages not on disk (missing, nolibsrc); memchr is reached through `missing`.
        assert_eq!(
            names,
            [
                "bytes",
                "derive-thing",
                "fs-err",
                "gitdep",
                "insta",
                "local",
                "memchr",
                "similar",
                "tokio"
            ]
        );
    }

    #[test]
    fn topological_order() {
        let g = graph();
        for (i, p) in g.packages.iter().enumerate() {
            for (_, d) in &p.deps {
                assert!(
                    *d < i,
                    "{} before its dependency {}",
                    p.name,
                    g.packages[*d].name
                );
            }
        }
        let at = |n: &str| g.packages.iter().position(|p| p.name == n).unwrap();
        assert!(at("bytes") < at("tokio") && at("tokio") < at("fs-err"));
        assert!(at("similar") < at("insta"));
    }

    #[test]
    fn names_renames_and_kinds() {
        let g = graph();
        let fs = pkg(&g, "fs-err");
        assert_eq!(fs.lib_name, "fs_err");
        assert_eq!(fs.version, "1.0.0");
        assert_eq!(fs.edition, "2018");
        assert_eq!(fs.dir, Path::new("/reg/fs-err-1.0.0"));
        assert_eq!(fs.lib_src, Path::new("/reg/fs-err-1.0.0/src/lib.rs"));
        assert_eq!(fs.kind, SourceKind::Registry);
        assert!(!fs.proc_macro);
        let tokio = g.find(&reg("tokio")).unwrap();
        assert_eq!(fs.deps, [("tokio".to_string(), tokio)]);
        assert_eq!(pkg(&g, "local").kind, SourceKind::Path);
        assert_eq!(pkg(&g, "gitdep").kind, SourceKind::Git);
        // Edges to members are dropped, dev-dependencies of non-members are not followed.
        let bytes = g.find(&reg("bytes")).unwrap();
        assert_eq!(pkg(&g, "local").deps, [("bytes".to_string(), bytes)]);
        let dt = pkg(&g, "derive-thing");
        assert!(dt.proc_macro && dt.deps.is_empty());
        assert_eq!(dt.lib_name, "derive_thing");

        let app = &g.members[&id("app", "0.1.0", None)];
        let named = |name: &str| -> Vec<(usize, DepKind)> {
            app.iter()
                .filter(|(n, _, _)| n == name)
                .map(|(_, i, k)| (*i, *k))
                .collect()
        };
        let fs_i = g.find(&reg("fs-err")).unwrap();
        assert_eq!(named("myfs"), [(fs_i, DepKind::Normal)]);
        assert_eq!(
            named("tokio"),
            [(tokio, DepKind::Normal), (tokio, DepKind::Dev)]
        );
        assert_eq!(named("insta").len(), 1);
        assert_eq!(named("insta")[0].1, DepKind::Dev);
        assert!(named("cc").is_empty() && named("helper").is_empty());
        assert!(named("missing").is_empty());
        assert_eq!(
            g.members[&id("helper", "0.1.0", None)],
            [("bytes".to_string(), bytes, DepKind::Normal)]
        );
    }

    #[test]
    fn skipped_with_reasons() {
        let g = graph();
        let skipped: Vec<&str> = g.skipped.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(skipped, [reg("missing"), reg("nolibsrc")]);
        assert!(g.skipped[0].1.contains("/reg/missing-1.0.0 not on disk"));
        assert!(g.skipped[1].1.contains("lib source"));
    }

    #[test]
    fn the_cached_graph_gives_the_same_graph() {
        // What the cache keeps, through its serialized form, then checked against the disk.
        let cached = candidates(&metadata());
        assert_eq!(cached.packages.len(), 11, "{:?}", cached.skipped);
        let bytes = serde_json::to_vec(&(&cached, &None::<String>)).unwrap();
        let (read, why): (DepGraph, Option<String>) = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(why, None);
        assert_eq!(read.on_disk(&on_disk), graph());
        // Everything on disk: the graph as cached.
        assert_eq!(from_metadata(&metadata(), &|_| true), cached);
    }

    #[test]
    fn no_resolve_is_an_empty_graph() {
        let mut meta = metadata();
        meta["resolve"] = Value::Null;
        let g = from_metadata(&meta, &on_disk);
        assert!(g.packages.is_empty() && g.skipped.is_empty());
    }

    #[test]
    fn cargo_started_ahead_answers_as_cargo_asked_then_for_its_manifest_only() {
        let dir = crate::util::scratch::Scratch::new("ahead");
        dir.write(
            "Cargo.toml",
            "[package]\nname = \"ahead\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        );
        dir.write("src/lib.rs", "");
        dir.write(
            "Cargo.lock",
            "version = 4\n\n[[package]]\nname = \"ahead\"\nversion = \"0.1.0\"\n",
        );
        let manifest = dir.join("Cargo.toml");
        let asked = cargo_metadata(Some(&manifest), None);
        let ahead = Ahead::start(Some(&manifest));
        assert_eq!(cargo_metadata(Some(&manifest), Some(&ahead)), asked);
        assert!(
            asked
                .as_ref()
                .is_ok_and(|b| String::from_utf8_lossy(b).contains("\"ahead\"")),
            "{asked:?}"
        );
        // Taken once; and never for another manifest (that one is killed).
        assert!(ahead.take(Some(&manifest)).is_none());
        let other = Ahead::start(Some(&manifest));
        assert!(
            other
                .take(Some(&dir.join("elsewhere/Cargo.toml")))
                .is_none()
        );
        assert!(other.take(Some(&manifest)).is_none());
    }
}
