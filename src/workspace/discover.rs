//! What gets linted: workspace members from `cargo metadata`, or the files and directories given
//! on the command line, grouped by package (nearest `Cargo.toml`) because analysis is crate-wide.
//! Hands on a [`Workspace`]; [`child_module_file`] tells the engine where a `mod` lives.

use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A cargo target, as `cargo metadata` describes it (kept for cargo-shaped JSON output).
#[derive(Clone, Debug, Default)]
pub struct TargetInfo {
    pub name: String,
    pub kind: Vec<String>,
    pub crate_types: Vec<String>,
    pub src_path: PathBuf,
    pub edition: String,
}

impl TargetInfo {
    /// A library target (`lib`, `rlib`, `cdylib`, ... or `proc-macro`).
    pub fn is_lib(&self) -> bool {
        self.kind
            .iter()
            .any(|k| k.contains("lib") || k == "proc-macro")
    }
}

/// A file to start from: a crate root, or a file given on the command line.
#[derive(Clone, Debug)]
pub struct Seed {
    pub path: PathBuf,
    /// Canonical module path of the file.
    pub module: String,
    /// Canonical name of its crate root.
    pub crate_root: String,
    /// Index into [`Package::targets`].
    pub target: usize,
    /// A given file linted on its own only if no target's module tree reaches it (there it
    /// gets its module path and its target).
    pub fallback: bool,
}

#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    /// `cargo metadata`'s package id, or a synthesized one.
    pub id: String,
    pub manifest: Option<PathBuf>,
    pub dir: PathBuf,
    pub edition: String,
    pub targets: Vec<TargetInfo>,
    pub seeds: Vec<Seed>,
    /// Follow `mod` declarations from the seeds (cargo mode) or lint only the seeds.
    pub follow_mods: bool,
    /// When files were given inside a package (as pre-commit passes them): report only
    /// findings in these files (canonical paths), while the whole crate is analysed.
    pub report_only: Option<HashSet<PathBuf>>,
    /// What the package depends on (for `--fix`: which runtime, with which features).
    pub deps: Vec<super::deps::Dep>,
    /// Its `[features]` table (cargo mode): each feature, and what it enables.
    pub features: Vec<(String, Vec<String>)>,
    /// The features `--features` / `--no-default-features` enable: code under
    /// `#[cfg(feature = "..")]` that they rule out is not linted. None (the default, and
    /// `--all-features`): the code of every feature is.
    pub enabled_features: Option<std::sync::Arc<std::collections::BTreeSet<String>>>,
}

#[derive(Clone, Debug)]
pub struct Workspace {
    /// Diagnostics show paths relative to this directory.
    pub root: PathBuf,
    pub packages: Vec<Package>,
    /// Cargo's target directory (`cargo metadata`'s `target_directory`; None for paths), where
    /// the result cache is kept.
    pub target_dir: Option<PathBuf>,
    /// Directories below given paths that could not be read (each already reported on stderr
    /// as an error naming it; exit code 2).
    pub unreadable: usize,
    /// How `cargo metadata` was asked for the members (None in path mode): the dependency graph
    /// ([`super::graph::load`]) is asked for the same way.
    pub cargo: Option<CargoQuery>,
}

/// The arguments of a cargo-mode discovery.
#[derive(Clone, Debug)]
pub struct CargoQuery {
    /// `--manifest-path`, if given.
    pub manifest_path: Option<PathBuf>,
    /// Whether `cargo metadata`'s answer may be cached (not with `--no-cache`).
    pub cache: bool,
    /// The witnesses of the cached answer, found unchanged (empty: cargo answered): the cached
    /// graph of dependencies does not check them again.
    pub checked: std::sync::Arc<[(PathBuf, super::metadata_cache::Stamp)]>,
    /// Every member of the workspace as (package id, name, manifest dir), selected or not:
    /// the dependency graph covers them all (it is cached for the workspace, not for one
    /// selection).
    pub members: Vec<(String, String, PathBuf)>,
    /// The `cargo metadata` with dependencies started beside the members' (when they were
    /// not cached and the graph is wanted).
    pub ahead: Option<std::sync::Arc<super::graph::Ahead>>,
}

/// A problem that stops the tool from checking what it was asked to (exit code 2).
#[derive(Debug)]
pub struct ProjectError(pub String);

fn lib_ident(name: &str) -> String {
    name.replace('-', "_")
}

/// Cargo's flags for `cargo metadata` (`--locked`, `--frozen`; it is always asked offline).
#[derive(Clone, Copy, Debug, Default)]
pub struct CargoFlags {
    pub locked: bool,
    pub frozen: bool,
    /// Whether the dependency graph will be asked for: when cargo is asked for the members,
    /// it is asked for the graph at the same time ([`super::graph::Ahead`]).
    pub graph_ahead: bool,
}

/// Which members to lint, as cargo picks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Members {
    /// `--workspace`: every member.
    All,
    /// Nothing said: the package whose manifest is `--manifest-path`, or the nearest above the
    /// working directory, when it is a member other than the root; else the workspace's
    /// default members (`default-members`, or the root package, or at a virtual root every
    /// member).
    Default,
}

/// Runs `cargo metadata` (or reuses its cached answer, with `cache`) and returns the workspace
/// members to lint: those `packages` (`-p`) name, or as `members` says.
pub fn from_cargo(
    manifest_path: Option<&Path>,
    packages: &[String],
    members_wanted: Members,
    cache: bool,
    flags: &CargoFlags,
) -> Result<Workspace, ProjectError> {
    // With `--locked` cargo must check the lock file, so its cached answer is not enough.
    let start = if cache && !flags.locked {
        super::metadata_cache::Start::new(manifest_path)
    } else {
        None
    };
    let mut checked = Vec::new();
    let mut ahead = None;
    let meta: Value = match start.as_ref().and_then(|s| s.load_entry(&[])) {
        Some(entry) => {
            checked = entry.witnesses().to_vec();
            serde_json::from_slice(entry.payload()).map_err(|e| {
                ProjectError(format!(
                    "could not read cached `cargo metadata` output: {e}"
                ))
            })?
        }
        None => {
            let before = start.as_ref().map(|s| s.stamp_ancestors());
            let started = std::time::SystemTime::now();
            ahead = flags
                .graph_ahead
                .then(|| std::sync::Arc::new(super::graph::Ahead::start(manifest_path)));
            let bytes = cargo_metadata(manifest_path, flags)?;
            let meta = serde_json::from_slice(&bytes).map_err(|e| {
                ProjectError(format!("could not read `cargo metadata` output: {e}"))
            })?;
            if let (Some(s), Some(before)) = (&start, before) {
                s.store(&bytes, &meta, before, started);
            }
            meta
        }
    };
    let root = PathBuf::from(meta["workspace_root"].as_str().unwrap_or("."));
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // Without `-p`: the current package, or the default members (see [`Members`]).
    let default_members: Option<Vec<&str>> = (packages.is_empty()
        && members_wanted == Members::Default)
        .then(|| current_members(&meta, manifest_path, &root))
        .flatten();
    let all_members: Vec<(String, String, PathBuf)> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(&id)))
        .map(|p| {
            let manifest = Path::new(p["manifest_path"].as_str().unwrap_or_default());
            (
                p["id"].as_str().unwrap_or_default().to_string(),
                p["name"].as_str().unwrap_or_default().to_string(),
                manifest.parent().map(Path::to_path_buf).unwrap_or_default(),
            )
        })
        .collect();
    let mut out_pkgs = Vec::new();
    // (name, version) of each selected member, to check every `-p` spec matched one.
    let mut selected: Vec<(String, String)> = Vec::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        let id = p["id"].as_str().unwrap_or_default();
        if !members.contains(&id) || default_members.as_ref().is_some_and(|d| !d.contains(&id)) {
            continue;
        }
        let name = p["name"].as_str().unwrap_or_default().to_string();
        let version = p["version"].as_str().unwrap_or_default();
        if !packages.is_empty() && !packages.iter().any(|s| spec_matches(s, &name, version)) {
            continue;
        }
        selected.push((name.clone(), version.to_string()));
        let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let edition = p["edition"].as_str().unwrap_or("2015").to_string();
        let mut targets = Vec::new();
        for t in p["targets"].as_array().into_iter().flatten() {
            let strs = |v: &Value| -> Vec<String> {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            targets.push(TargetInfo {
                name: t["name"].as_str().unwrap_or_default().to_string(),
                kind: strs(&t["kind"]),
                crate_types: strs(&t["crate_types"]),
                src_path: PathBuf::from(t["src_path"].as_str().unwrap_or_default()),
                edition: t["edition"].as_str().unwrap_or(&edition).to_string(),
            });
        }
        let lib_name = targets
            .iter()
            .find(|t| t.is_lib())
            .map(|t| lib_ident(&t.name))
            .unwrap_or_else(|| lib_ident(&name));
        let mut seeds = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let key = if t.is_lib() {
                lib_name.clone()
            } else {
                format!(
                    "{lib_name}#{}:{}",
                    t.kind.first().map(String::as_str).unwrap_or("bin"),
                    t.name
                )
            };
            seeds.push(Seed {
                path: t.src_path.clone(),
                module: key.clone(),
                crate_root: key,
                target: i,
                fallback: false,
            });
        }
        // The library first, so files shared with binaries get the library's module paths.
        seeds.sort_by_key(|s| s.crate_root != lib_name);
        out_pkgs.push(Package {
            name,
            id: id.to_string(),
            manifest: Some(manifest),
            dir,
            edition,
            targets,
            seeds,
            follow_mods: true,
            report_only: None,
            deps: super::deps::from_metadata(p),
            features: p["features"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let items = v
                                .as_array()
                                .map(|a| {
                                    a.iter()
                                        .filter_map(|x| x.as_str().map(String::from))
                                        .collect()
                                })
                                .unwrap_or_default();
                            (k.clone(), items)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            enabled_features: None,
        });
    }
    if !packages.is_empty() {
        for p in packages {
            if !selected
                .iter()
                .any(|(name, version)| spec_matches(p, name, version))
            {
                return Err(ProjectError(format!(
                    "package ID specification `{p}` did not match any member of the workspace at {}",
                    root.display()
                )));
            }
        }
    }
    let target_dir = meta["target_directory"].as_str().map(PathBuf::from);
    Ok(Workspace {
        root,
        packages: out_pkgs,
        target_dir,
        unreadable: 0,
        cargo: Some(CargoQuery {
            manifest_path: manifest_path.map(Path::to_path_buf),
            cache,
            checked: checked.into(),
            members: all_members,
            ahead,
        }),
    })
}

/// The members cargo would build with no package flag (see [`Members::Default`]), or None for
/// every member (a cargo too old to list default members, nothing found).
fn current_members<'m>(
    meta: &'m Value,
    manifest_path: Option<&Path>,
    root: &Path,
) -> Option<Vec<&'m str>> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    // The manifest cargo starts from: the one given, or the nearest above the working directory.
    let start = match manifest_path {
        Some(m) => canon(m),
        None => {
            let cwd = std::env::current_dir().ok()?;
            let dir = cwd.ancestors().find(|d| d.join("Cargo.toml").is_file())?;
            canon(&dir.join("Cargo.toml"))
        }
    };
    let root_manifest = canon(&root.join("Cargo.toml"));
    if start != root_manifest {
        let members: Vec<&str> = meta["workspace_members"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for p in meta["packages"].as_array()? {
            let id = p["id"].as_str().unwrap_or_default();
            let manifest = Path::new(p["manifest_path"].as_str().unwrap_or_default());
            if members.contains(&id) && canon(manifest) == start {
                return Some(vec![id]);
            }
        }
    }
    let defaults: Vec<&str> = meta["workspace_default_members"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    (!defaults.is_empty()).then_some(defaults)
}

/// Cargo's target selection flags (`--lib`, `--bins`, `--bin NAME`, `--tests`, ...): none
/// given selects every target.
#[derive(Clone, Debug, Default)]
pub struct TargetSelection {
    pub lib: bool,
    pub bins: bool,
    pub bin: Vec<String>,
    pub tests: bool,
    pub test: Vec<String>,
    pub examples: bool,
    pub example: Vec<String>,
    pub benches: bool,
    pub bench: Vec<String>,
}

impl TargetSelection {
    /// No target flag given: every target is linted.
    pub fn is_all(&self) -> bool {
        !(self.lib || self.bins || self.tests || self.examples || self.benches)
            && self.bin.is_empty()
            && self.test.is_empty()
            && self.example.is_empty()
            && self.bench.is_empty()
    }

    /// Whether a target is selected. A build script always is: cargo builds it for any target.
    fn selects(&self, t: &TargetInfo) -> bool {
        let is = |k: &str| t.kind.iter().any(|x| x == k);
        is("custom-build")
            || (t.is_lib() && self.lib)
            || (is("bin") && (self.bins || self.bin.contains(&t.name)))
            || (is("test") && (self.tests || self.test.contains(&t.name)))
            || (is("example") && (self.examples || self.example.contains(&t.name)))
            || (is("bench") && (self.benches || self.bench.contains(&t.name)))
    }
}

/// Keeps the selected targets of each member (see [`TargetSelection`]); a member left with
/// none is not linted. As cargo: a named target that no member has, or `--lib` where no member
/// has a library, is an error.
pub fn select_targets(ws: &mut Workspace, sel: &TargetSelection) -> Result<(), ProjectError> {
    if sel.is_all() {
        return Ok(());
    }
    let has = |kind: &str, name: &str| {
        ws.packages.iter().any(|p| {
            p.targets
                .iter()
                .any(|t| t.name == name && t.kind.iter().any(|k| k == kind))
        })
    };
    for (kind, names) in [
        ("bin", &sel.bin),
        ("test", &sel.test),
        ("example", &sel.example),
        ("bench", &sel.bench),
    ] {
        if let Some(missing) = names.iter().find(|n| !has(kind, n)) {
            return Err(ProjectError(format!("no {kind} target named `{missing}`")));
        }
    }
    if sel.lib
        && !ws
            .packages
            .iter()
            .any(|p| p.targets.iter().any(TargetInfo::is_lib))
    {
        let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
        return Err(ProjectError(format!(
            "no library targets found in packages: {}",
            names.join(", ")
        )));
    }
    for p in &mut ws.packages {
        let targets = &p.targets;
        p.seeds
            .retain(|s| targets.get(s.target).is_some_and(|t| sel.selects(t)));
    }
    // A member with only its build script left has nothing selected.
    ws.packages.retain(|p| {
        p.seeds.iter().any(|s| {
            p.targets
                .get(s.target)
                .is_some_and(|t| !t.kind.iter().any(|k| k == "custom-build"))
        })
    });
    Ok(())
}

/// Cargo's feature flags: `features` (`name` or `member/name`, comma- or space-separated) and
/// `no_default`. With neither (or `all`), nothing changes: the code of every feature is
/// linted. Otherwise each member's enabled features are resolved through its `[features]`
/// table, as cargo does, and code under a `#[cfg(feature = "..")]` they rule out is not linted.
/// A feature that no selected member has is an error, as in cargo.
pub fn select_features(
    ws: &mut Workspace,
    features: &[String],
    no_default: bool,
    all: bool,
) -> Result<(), ProjectError> {
    let requested: Vec<(Option<&str>, &str)> = features
        .iter()
        .flat_map(|f| f.split([',', ' ']))
        .filter(|f| !f.is_empty())
        .map(|f| match f.split_once('/') {
            Some((pkg, feat)) => (Some(pkg), feat),
            None => (None, f),
        })
        .collect();
    if all || (requested.is_empty() && !no_default) {
        return Ok(());
    }
    let has = |p: &Package, f: &str| p.features.iter().any(|(k, _)| k == f);
    for (pkg, feat) in &requested {
        let found = ws
            .packages
            .iter()
            .any(|p| pkg.is_none_or(|n| n == p.name) && has(p, feat));
        if !found {
            let whose = pkg.map_or("any selected package".to_string(), |n| {
                format!("package `{n}`")
            });
            return Err(ProjectError(format!(
                "none of {whose} has the feature `{feat}`"
            )));
        }
    }
    for p in &mut ws.packages {
        let mut queue: Vec<String> = Vec::new();
        if !no_default && has(p, "default") {
            queue.push("default".into());
        }
        for (pkg, feat) in &requested {
            if pkg.is_none_or(|n| n == p.name) && has(p, feat) {
                queue.push(feat.to_string());
            }
        }
        let mut on = std::collections::BTreeSet::new();
        while let Some(f) = queue.pop() {
            if !on.insert(f.clone()) {
                continue;
            }
            let Some((_, items)) = p.features.iter().find(|(k, _)| *k == f) else {
                continue;
            };
            for item in items {
                if item.starts_with("dep:") {
                    // Turns on a dependency, not one of the package's features.
                    continue;
                }
                match item.split_once('/') {
                    // `dep/feat` also turns on the optional dependency's own feature `dep`
                    // (not `dep?/feat`, which only applies when something else does).
                    Some((dep, _)) if !dep.ends_with('?') && has(p, dep) => {
                        queue.push(dep.to_string())
                    }
                    Some(_) => {}
                    None => queue.push(item.clone()),
                }
            }
        }
        p.enabled_features = Some(std::sync::Arc::new(on));
    }
    Ok(())
}

/// `--exclude SPEC`: leaves those members out. As cargo, a spec that matches no member is
/// only a warning.
pub fn exclude(ws: &mut Workspace, specs: &[String]) -> Result<(), ProjectError> {
    for spec in specs {
        let before = ws.packages.len();
        ws.packages
            .retain(|p| !spec_matches(spec, &p.name, id_version(&p.id)));
        if ws.packages.len() == before {
            eprintln!("warning: excluded package(s) `{spec}` not found in workspace");
        }
    }
    Ok(())
}

/// The version in a package id (`path+file:///w/a#0.1.0`, `path+file:///w/b#name@0.2.0`).
fn id_version(id: &str) -> &str {
    let frag = id.rsplit_once('#').map_or("", |(_, f)| f);
    frag.rsplit_once('@').map_or(frag, |(_, v)| v)
}

/// `cargo metadata --no-deps` output.
fn cargo_metadata(
    manifest_path: Option<&Path>,
    flags: &CargoFlags,
) -> Result<Vec<u8>, ProjectError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]);
    if flags.frozen {
        cmd.arg("--frozen");
    } else if flags.locked {
        cmd.arg("--locked");
    }
    if let Some(m) = manifest_path {
        cmd.arg("--manifest-path").arg(m);
    }
    let out = cmd
        .output()
        .map_err(|e| ProjectError(format!("could not run `cargo metadata`: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let msg = stderr.trim().trim_start_matches("error: ");
        return Err(ProjectError(format!("`cargo metadata` failed: {msg}")));
    }
    Ok(out.stdout)
}

fn is_skipped_dir(name: &str) -> bool {
    name == "target" || (name.starts_with('.') && name != "." && name != "..")
}

/// Collects `.rs` files below the given paths (skipping `target/` and hidden directories) and
/// groups them by package.
pub fn from_paths(paths: &[PathBuf]) -> Result<Workspace, ProjectError> {
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    let mut unreadable = 0;
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| ProjectError(format!("cannot read `{}`: {e}", p.display())))?;
        if meta.is_dir() {
            let walker = walkdir::WalkDir::new(p)
                .follow_links(true)
                .sort_by_file_name();
            let mut it = walker.into_iter();
            while let Some(entry) = it.next() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        // An unreadable directory is an error (exit 2) naming it; a symlink
                        // loop is only skipped. Either way the rest is linted.
                        match (e.io_error(), e.path()) {
                            (Some(io), Some(path)) if e.loop_ancestor().is_none() => {
                                eprintln!("error: cannot read `{}`: {io}", path.display());
                                unreadable += 1;
                            }
                            _ => eprintln!("warning: skipping {e}"),
                        }
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy();
                if entry.file_type().is_dir() {
                    if entry.depth() > 0 && is_skipped_dir(&name) {
                        it.skip_current_dir();
                    }
                    continue;
                }
                if name.ends_with(".rs") {
                    // Only regular files: reading a FIFO or a device named `x.rs` would block.
                    if entry.file_type().is_file()
                        || std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file())
                    {
                        files.push((entry.into_path(), false));
                    } else {
                        eprintln!(
                            "warning: skipping {}: not a regular file",
                            entry.path().display()
                        );
                    }
                }
            }
        } else {
            files.push((p.clone(), true));
        }
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    // Files by package (nearest manifest, looked up once per directory); `true` when every
    // path of the package was given as a file.
    let mut groups: BTreeMap<PathBuf, (Vec<PathBuf>, bool)> = BTreeMap::new();
    let mut manifest_of: std::collections::HashMap<PathBuf, PathBuf> = Default::default();
    // The same file named twice (`a.rs ./a.rs $PWD/a.rs .`) is linted once, under the first
    // spelling given.
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for (f, explicit) in files {
        let abs = if f.is_absolute() {
            f.clone()
        } else {
            cwd.join(&f)
        };
        if !seen.insert(std::fs::canonicalize(&abs).unwrap_or_else(|_| abs.clone())) {
            continue;
        }
        let parent = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = manifest_of
            .entry(parent)
            .or_insert_with(|| find_manifest_dir(&abs).unwrap_or_default())
            .clone();
        let g = groups.entry(dir).or_insert_with(|| (Vec::new(), true));
        g.0.push(f);
        g.1 &= explicit;
    }
    let mut packages = Vec::new();
    for (dir, (mut files, explicit)) in groups {
        files.sort();
        files.dedup();
        let has_manifest = !dir.as_os_str().is_empty() && dir.join("Cargo.toml").is_file();
        // Files in cargo's target locations are part of the crate: analyse all of it. Other
        // files (fixtures, scripts) belong to no target and are linted on their own.
        let in_targets = files.iter().any(|f| {
            let abs = if f.is_absolute() {
                f.clone()
            } else {
                cwd.join(f)
            };
            abs.strip_prefix(&dir).is_ok_and(|rel| {
                let first = rel
                    .components()
                    .next()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned());
                matches!(
                    first.as_deref(),
                    Some("src" | "tests" | "examples" | "benches" | "build.rs")
                )
            })
        });
        if explicit && has_manifest && in_targets {
            packages.push(package_for_changed_files(&dir, files, &cwd));
        } else {
            packages.push(package_for_files(&dir, files, &cwd));
        }
    }
    Ok(Workspace {
        root: cwd,
        packages,
        target_dir: None,
        unreadable,
        cargo: None,
    })
}

/// Files given one by one (a pre-commit hook's changed files): the whole crate is analysed,
/// from its targets' roots found by cargo's layout conventions, so calls into other files'
/// helpers resolve; only findings in the given files are reported.
fn package_for_changed_files(dir: &Path, files: Vec<PathBuf>, cwd: &Path) -> Package {
    let report_only: HashSet<PathBuf> = files
        .iter()
        .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
        .collect();
    let mut pkg = package_for_files(dir, Vec::new(), cwd);
    let lib = pkg.targets[0].name.clone();
    let mut roots: Vec<(PathBuf, String, usize)> = Vec::new();
    if dir.join("src/lib.rs").is_file() {
        roots.push((dir.join("src/lib.rs"), lib.clone(), 0));
    }
    let mut root = |rel: PathBuf, key: String, roots: &mut Vec<(PathBuf, String, usize)>| {
        let t = target_index(&mut pkg.targets, dir, &rel, &pkg.name, &pkg.edition);
        roots.push((dir.join(rel), key, t));
    };
    if dir.join("src/main.rs").is_file() {
        root("src/main.rs".into(), format!("{lib}#bin:main"), &mut roots);
    }
    let mut listed = |sub: &str, kind: &str, roots: &mut Vec<(PathBuf, String, usize)>| {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let key = format!("{lib}#{kind}:{name}");
            if p.extension().is_some_and(|e| e == "rs") {
                root(Path::new(sub).join(format!("{name}.rs")), key, roots);
            } else if p.join("main.rs").is_file() {
                root(Path::new(sub).join(&name).join("main.rs"), key, roots);
            }
        }
    };
    listed("src/bin", "bin", &mut roots);
    listed("tests", "test", &mut roots);
    listed("examples", "example", &mut roots);
    listed("benches", "bench", &mut roots);
    if dir.join("build.rs").is_file() {
        root("build.rs".into(), format!("{lib}#build"), &mut roots);
    }
    let mut seeds: Vec<Seed> = roots
        .into_iter()
        .map(|(path, key, target)| Seed {
            path,
            module: key.clone(),
            crate_root: key,
            target,
            fallback: false,
        })
        .collect();
    // Given files the module tree does not reach are linted on their own.
    seeds.extend(
        seeds_by_location(dir, files, &lib, cwd)
            .into_iter()
            .map(|s| Seed {
                fallback: true,
                ..s
            }),
    );
    pkg.seeds = seeds;
    pkg.follow_mods = true;
    pkg.report_only = Some(report_only);
    pkg
}

fn find_manifest_dir(file: &Path) -> Option<PathBuf> {
    let mut cur = file.parent();
    while let Some(d) = cur {
        if d.join("Cargo.toml").is_file() {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

/// Reads `package.name`, `lib.name` and `package.edition` (following `edition.workspace`).
fn read_manifest(dir: &Path) -> (Option<String>, Option<String>, String) {
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
        return (None, None, "2021".into());
    };
    let Ok(doc) = toml::from_str::<toml::Table>(&text) else {
        return (None, None, "2021".into());
    };
    let pkg = doc.get("package").and_then(|p| p.as_table());
    let name = pkg
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(String::from);
    let lib = doc
        .get("lib")
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .map(String::from);
    let edition = match pkg.and_then(|p| p.get("edition")) {
        Some(toml::Value::String(s)) => s.clone(),
        Some(toml::Value::Table(t))
            if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) =>
        {
            workspace_edition(dir).unwrap_or_else(|| "2015".into())
        }
        _ if pkg.is_some() => "2015".into(),
        _ => "2021".into(),
    };
    (name, lib, edition)
}

fn workspace_edition(dir: &Path) -> Option<String> {
    let mut cur = dir.parent();
    while let Some(d) = cur {
        if let Ok(text) = std::fs::read_to_string(d.join("Cargo.toml"))
            && let Ok(doc) = toml::from_str::<toml::Table>(&text)
            && let Some(ws) = doc.get("workspace")
        {
            return ws
                .get("package")
                .and_then(|p| p.get("edition"))
                .and_then(|e| e.as_str())
                .map(String::from);
        }
        cur = d.parent();
    }
    None
}

fn package_for_files(dir: &Path, files: Vec<PathBuf>, cwd: &Path) -> Package {
    let (name, lib, edition) = if dir.as_os_str().is_empty() {
        (None, None, "2021".to_string())
    } else {
        read_manifest(dir)
    };
    let name = name.unwrap_or_else(|| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "main".into())
    });
    let lib_name = lib
        .map(|l| lib_ident(&l))
        .unwrap_or_else(|| lib_ident(&name));
    let mut seeds = seeds_by_location(dir, files, &lib_name, cwd);
    let manifest = dir.join("Cargo.toml");
    let manifest = manifest.is_file().then_some(manifest);
    let mut targets = vec![TargetInfo {
        name: lib_name,
        kind: vec!["lib".into()],
        crate_types: vec!["lib".into()],
        src_path: dir.join("src/lib.rs"),
        edition: edition.clone(),
    }];
    if manifest.is_some() {
        for s in &mut seeds {
            let abs = if s.path.is_absolute() {
                s.path.clone()
            } else {
                cwd.join(&s.path)
            };
            if let Ok(rel) = abs.strip_prefix(dir) {
                s.target = target_index(&mut targets, dir, rel, &name, &edition);
            }
        }
    }
    Package {
        id: format!("path+file://{}#{name}", dir.display()),
        name: name.clone(),
        manifest,
        dir: dir.to_path_buf(),
        edition,
        targets,
        seeds,
        follow_mods: false,
        report_only: None,
        deps: super::deps::from_manifest(dir),
        features: Vec::new(),
        enabled_features: None,
    }
}

/// The index in `targets` of the cargo target a file belongs to by cargo's layout conventions
/// (`src/main.rs`, `src/bin/x.rs`, `src/bin/x/..`, `tests/x.rs`, `tests/x/..` with a
/// `main.rs`, the same for `examples/` and `benches/`, `build.rs`), added when it is new; 0
/// (the library) for the rest of `src/` and for anything else.
fn target_index(
    targets: &mut Vec<TargetInfo>,
    dir: &Path,
    rel: &Path,
    package: &str,
    edition: &str,
) -> usize {
    let parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let stem = |f: &str| f.trim_end_matches(".rs").to_string();
    // (kind, name, root relative to `dir`) by the conventions.
    let found = match parts.as_slice() {
        ["build.rs"] => Some((
            "custom-build",
            "build-script-build".into(),
            "build.rs".into(),
        )),
        ["src", "main.rs"] => Some(("bin", package.to_string(), "src/main.rs".into())),
        ["src", "bin", f] if f.ends_with(".rs") => Some(("bin", stem(f), format!("src/bin/{f}"))),
        ["src", "bin", d, ..] => Some(("bin", d.to_string(), format!("src/bin/{d}/main.rs"))),
        [sub @ ("tests" | "examples" | "benches"), rest @ ..] => {
            let kind = match *sub {
                "tests" => "test",
                "examples" => "example",
                _ => "bench",
            };
            match rest {
                [f] if f.ends_with(".rs") => Some((kind, stem(f), format!("{sub}/{f}"))),
                [d, _, ..] if dir.join(sub).join(d).join("main.rs").is_file() => {
                    Some((kind, d.to_string(), format!("{sub}/{d}/main.rs")))
                }
                _ => None,
            }
        }
        _ => None,
    };
    let Some((kind, name, root)) = found else {
        return 0;
    };
    if let Some(i) = targets
        .iter()
        .position(|t| t.kind.first().map(String::as_str) == Some(kind) && t.name == name)
    {
        return i;
    }
    targets.push(TargetInfo {
        name,
        kind: vec![kind.into()],
        crate_types: vec!["bin".into()],
        src_path: dir.join(root),
        edition: edition.to_string(),
    });
    targets.len() - 1
}

/// Seeds for files whose module paths come from where they sit in their package.
fn seeds_by_location(dir: &Path, files: Vec<PathBuf>, lib: &str, cwd: &Path) -> Vec<Seed> {
    let has_lib = dir.join("src/lib.rs").is_file();
    let has_main = dir.join("src/main.rs").is_file();
    files
        .into_iter()
        .map(|f| {
            let abs = if f.is_absolute() {
                f.clone()
            } else {
                cwd.join(&f)
            };
            let rel = abs
                .strip_prefix(dir)
                .map(Path::to_path_buf)
                .unwrap_or_else(|_| abs.clone());
            let (module, crate_root) = module_by_location(&rel, lib, has_lib, has_main);
            Seed {
                path: f,
                module,
                crate_root,
                target: 0,
                fallback: false,
            }
        })
        .collect()
}

/// The module path and crate root of a file, from where it sits in its package.
pub fn module_by_location(
    rel: &Path,
    lib: &str,
    has_lib: bool,
    has_main: bool,
) -> (String, String) {
    let parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let own_root = || {
        let key = format!("{lib}#{}", parts.join("/"));
        (key.clone(), key)
    };
    if parts.first().map(String::as_str) != Some("src") || parts.len() < 2 {
        return own_root();
    }
    let rest = &parts[1..];
    let strip = |segs: &[String]| -> Vec<String> {
        let mut v: Vec<String> = segs.to_vec();
        if let Some(last) = v.last_mut() {
            *last = last.trim_end_matches(".rs").to_string();
        }
        if v.last().map(String::as_str) == Some("mod") {
            v.pop();
        }
        v
    };
    if rest[0] == "bin" && rest.len() >= 2 {
        let bin = rest[1].trim_end_matches(".rs").to_string();
        let key = format!("{lib}#bin:{bin}");
        let inner = if rest.len() == 2 {
            Vec::new()
        } else {
            strip(&rest[2..])
        };
        let inner: Vec<String> = inner.into_iter().filter(|s| s != "main").collect();
        let module = std::iter::once(key.clone())
            .chain(inner)
            .collect::<Vec<_>>()
            .join("::");
        return (module, key);
    }
    if rest.len() == 1 && rest[0] == "main.rs" {
        let key = format!("{lib}#bin:main");
        return (key.clone(), key);
    }
    if rest.len() == 1 && rest[0] == "lib.rs" {
        return (lib.to_string(), lib.to_string());
    }
    let root = if has_lib || !has_main {
        lib.to_string()
    } else {
        format!("{lib}#bin:main")
    };
    let module = std::iter::once(root.clone())
        .chain(strip(rest))
        .collect::<Vec<_>>()
        .join("::");
    (module, root)
}

/// What a module lookup found at one candidate path.
pub enum Probe {
    /// A regular file: the module's file.
    File,
    /// Nothing there (or not a regular file): the lookup goes on to the next candidate.
    Missing,
    /// The path cannot be checked (a directory on the way is unreadable).
    Error(std::io::Error),
}

/// Checks one candidate path of a module lookup (a `stat`).
pub fn probe(path: &Path) -> Probe {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Probe::File,
        Ok(_) => Probe::Missing,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Probe::Missing
        }
        Err(e) => Probe::Error(e),
    }
}

/// The file that `mod name;` in `parent` refers to: `Ok(Some(file))`, `Ok(None)` when there is
/// none, `Err((path, error))` when a candidate path cannot be checked (an unreadable module
/// directory). The candidates tried and not found are added to `missed` (the result cache
/// checks that they still do not exist: creating one changes the crate).
pub fn child_module_file(
    parent: &Path,
    parent_is_mod_root: bool,
    inline_parents: &[String],
    name: &str,
    path_attr: Option<&str>,
    missed: &mut Vec<PathBuf>,
) -> Result<Option<PathBuf>, (PathBuf, std::io::Error)> {
    let file_dir = parent.parent().unwrap_or(Path::new("."));
    let candidates = if let Some(attr) = path_attr {
        let base = if inline_parents.is_empty() {
            file_dir.to_path_buf()
        } else {
            let mut d = module_dir(parent, parent_is_mod_root);
            for p in inline_parents {
                d.push(p);
            }
            d
        };
        vec![base.join(attr)]
    } else {
        let mut d = module_dir(parent, parent_is_mod_root);
        for p in inline_parents {
            d.push(p);
        }
        vec![d.join(format!("{name}.rs")), d.join(name).join("mod.rs")]
    };
    for c in candidates {
        match probe(&c) {
            Probe::File => return Ok(Some(c)),
            Probe::Missing => missed.push(c),
            Probe::Error(e) => return Err((c, e)),
        }
    }
    Ok(None)
}

fn module_dir(file: &Path, is_mod_root: bool) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    if is_mod_root {
        dir
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    }
}

/// Whether a `-p` package ID specification names this package, as cargo reads one: `name`,
/// `name@version` (or the older `name:version`; a partial version such as `1.2` matches
/// `1.2.x`), or a glob of names (`'api-*'`).
pub fn spec_matches(spec: &str, name: &str, version: &str) -> bool {
    if spec.contains(['*', '?', '[']) {
        return globset::Glob::new(spec).is_ok_and(|g| g.compile_matcher().is_match(name));
    }
    match spec.split_once(['@', ':']) {
        None => spec == name,
        Some((n, v)) => {
            let v = v.trim_start_matches('=');
            n == name
                && (version == v || version.strip_prefix(v).is_some_and(|r| r.starts_with('.')))
        }
    }
}
