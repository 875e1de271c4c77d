//! `cargo metadata`'s answer rebuilt from `Cargo.lock` and the sources on disk, for when cargo
//! cannot resolve offline (a git dependency that was never fetched makes it refuse the whole
//! graph). Every registry package of the lock file whose source is in cargo's registry cache is
//! kept, with its lib target read from its manifest; the edges come from the lock file, named as
//! the dependent's manifest names them (a rename, or the dependency's lib name). A dependency
//! declared only for other platforms (`[target.'cfg(windows)'.dependencies]`) is left out, as
//! cargo's `--filter-platform <host>` does; features are not applied: a package that no build
//! uses may be listed (its summary is then unused).
//! The result has the shape [`super::graph::from_metadata`] reads.

use super::deps::DepKind;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One `[[package]]` of the lock file.
struct Locked {
    name: String,
    version: String,
    source: Option<String>,
    /// `name`, `name version` or `name version (source)`.
    deps: Vec<(String, Option<String>)>,
}

fn parse_lock(text: &str) -> Option<Vec<Locked>> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let mut out = Vec::new();
    for p in doc.get("package")?.as_array()? {
        let p = p.as_table()?;
        let deps = p
            .get("dependencies")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| d.as_str())
            .map(|d| {
                let mut parts = d.split(' ');
                let name = parts.next().unwrap_or_default().to_string();
                (name, parts.next().map(String::from))
            })
            .collect();
        out.push(Locked {
            name: p.get("name")?.as_str()?.to_string(),
            version: p.get("version")?.as_str()?.to_string(),
            source: p.get("source").and_then(|s| s.as_str()).map(String::from),
            deps,
        });
    }
    Some(out)
}

/// The folders of cargo's registry source cache (`$CARGO_HOME/registry/src/<index>/`).
fn registry_src_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(home) = home else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A package's lib target as `cargo metadata` describes it: (name, src_path, proc-macro,
/// edition), from its manifest `doc` and cargo's layout conventions.
fn lib_target(
    doc: &toml::Table,
    dir: &Path,
    package: &str,
) -> Option<(String, PathBuf, bool, String)> {
    let lib = doc.get("lib").and_then(|l| l.as_table());
    let edition = doc
        .get("package")
        .and_then(|p| p.get("edition"))
        .and_then(|e| e.as_str())
        .unwrap_or("2015")
        .to_string();
    let name = lib
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or(package)
        .replace('-', "_");
    let path = lib
        .and_then(|l| l.get("path"))
        .and_then(|p| p.as_str())
        .unwrap_or("src/lib.rs");
    let proc_macro = lib
        .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
        .and_then(|p| p.as_bool())
        .unwrap_or(false);
    let src = dir.join(path);
    src.is_file().then_some((name, src, proc_macro, edition))
}

/// A manifest's `[features]` table: feature -> what it turns on.
fn feature_table(doc: &toml::Table) -> HashMap<String, Vec<String>> {
    doc.get("features")
        .and_then(|f| f.as_table())
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let items = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            (k.clone(), items)
        })
        .collect()
}

/// `cargo metadata`-shaped JSON for the workspace whose lock file is `lock`, with `members`
/// as (package id, name, manifest dir), and its target directory (where the metadata cache
/// keeps it). None when the lock file cannot be read. Without features (see the module docs),
/// unless `guess` is given: then with each package's features as cargo would most likely
/// resolve them ([`guess_features`]), for walks started before cargo answers: only a guess,
/// which a walk made with it must be checked against (the features its code asked about);
/// None as soon as that flag is true (deno's lock file and manifests take a quarter of a
/// second to read).
pub fn metadata(
    lock: &Path,
    members: &[(String, String, PathBuf)],
    target_dir: Option<&Path>,
    guess: Option<&std::sync::atomic::AtomicBool>,
) -> Option<Value> {
    metadata_in(
        lock,
        members,
        target_dir,
        &registry_src_dirs(),
        &super::platform::Host::detect,
        guess,
    )
}

/// One package of the lock file as read from its manifest.
struct Read {
    lib: Option<(String, PathBuf, bool, String)>,
    decls: Vec<super::deps::Dep>,
    features: HashMap<String, Vec<String>>,
}

/// [`metadata`] with cargo's registry source folders and the host given.
pub(crate) fn metadata_in(
    lock: &Path,
    members: &[(String, String, PathBuf)],
    target_dir: Option<&Path>,
    src_dirs: &[PathBuf],
    host: &dyn Fn() -> Option<&'static super::platform::Host>,
    guess: Option<&std::sync::atomic::AtomicBool>,
) -> Option<Value> {
    let stopped = || guess.is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed));
    let locked = parse_lock(&std::fs::read_to_string(lock).ok()?)?;
    // Package ids: members by name, registry packages found on disk.
    let mut ids: Vec<Option<String>> = Vec::with_capacity(locked.len());
    let mut dirs: Vec<Option<PathBuf>> = Vec::with_capacity(locked.len());
    for l in &locked {
        match &l.source {
            None => {
                let m = members.iter().find(|(_, name, _)| *name == l.name);
                ids.push(m.map(|m| m.0.clone()));
                dirs.push(m.map(|m| m.2.clone()));
            }
            Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => {
                let dir = src_dirs
                    .iter()
                    .map(|d| d.join(format!("{}-{}", l.name, l.version)))
                    .find(|d| d.join("Cargo.toml").is_file());
                ids.push(Some(format!("{s}#{}@{}", l.name, l.version)));
                dirs.push(dir);
            }
            Some(_) => {
                ids.push(None);
                dirs.push(None);
            }
        }
    }
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in locked.iter().enumerate() {
        by_name.entry(l.name.as_str()).or_default().push(i);
    }
    let find = |name: &str, version: Option<&str>| -> Option<usize> {
        let mut hits = by_name
            .get(name)?
            .iter()
            .copied()
            .filter(|&i| version.is_none_or(|v| locked[i].version == v));
        let first = hits.next()?;
        hits.next().is_none().then_some(first)
    };
    // Each manifest read once, side by side (900 of them on qdrant).
    use rayon::prelude::*;
    let read: Vec<Option<Read>> = locked
        .par_iter()
        .zip(&dirs)
        .map(|(l, dir)| {
            let dir = dir.as_ref().filter(|_| !stopped())?;
            let doc = super::deps::read_toml(&dir.join("Cargo.toml"))?;
            Some(Read {
                lib: lib_target(&doc, dir, &l.name),
                decls: super::deps::from_manifest_doc(dir, &doc),
                features: if guess.is_some() {
                    feature_table(&doc)
                } else {
                    HashMap::new()
                },
            })
        })
        .collect();
    if stopped() {
        return None;
    }
    // The edges of the lock file: per package, its dependencies by package name.
    let edges: Vec<Vec<(&str, usize)>> = locked
        .iter()
        .map(|l| {
            l.deps
                .iter()
                .filter_map(|(name, version)| {
                    Some((name.as_str(), find(name, version.as_deref())?))
                })
                .collect()
        })
        .collect();
    // Asked once the manifests are read (`rustc` answers meanwhile).
    let host = host();
    let guessed = guess.map(|_| {
        let roots: Vec<usize> = (0..locked.len())
            .filter(|&i| locked[i].source.is_none() && ids[i].is_some())
            .collect();
        guess_features(&read, &edges, &roots, host)
    });
    let mut packages = Vec::new();
    let mut nodes = Vec::new();
    for (i, l) in locked.iter().enumerate() {
        let (Some(id), Some(dir)) = (&ids[i], &dirs[i]) else {
            continue;
        };
        // (A manifest that does not read: no target, no declarations.)
        let r = read[i].as_ref();
        let targets: Vec<Value> = r
            .and_then(|r| r.lib.as_ref())
            .map(|(name, src, proc_macro, edition)| {
                let kind = if *proc_macro { "proc-macro" } else { "lib" };
                json!({"name": name, "kind": [kind], "crate_types": [kind], "src_path": src, "edition": edition})
            })
            .into_iter()
            .collect();
        packages.push(json!({
            "id": id,
            "name": l.name,
            "version": l.version,
            "source": l.source,
            "manifest_path": dir.join("Cargo.toml"),
            "targets": targets,
        }));
        let mut deps = Vec::new();
        for &(name, j) in &edges[i] {
            let Some(dep_id) = &ids[j] else { continue };
            // With guessed features, only the dependencies they turn on (the lock file also
            // lists the optional ones some other build turns on).
            if guessed.as_ref().is_some_and(|g| !g.edges.contains(&(i, j))) {
                continue;
            }
            let lib = read[j]
                .as_ref()
                .and_then(|r| r.lib.as_ref())
                .map(|t| t.0.clone())
                .unwrap_or(name.replace('-', "_"));
            let mine: Vec<_> = r
                .into_iter()
                .flat_map(|r| &r.decls)
                .filter(|d| d.package == *name)
                .collect();
            // Declared only for platforms the host is not (`[target.'cfg(windows)'..]`): no
            // build here uses it, as cargo's `--filter-platform <host>` would say.
            if let Some(host) = host
                && !mine.is_empty()
                && mine
                    .iter()
                    .all(|d| d.target.as_deref().is_some_and(|t| !host.uses(t)))
            {
                continue;
            }
            // The name the code uses: a rename, else the dependency's lib name.
            let code_name = mine
                .iter()
                .find(|d| d.name != name.replace('-', "_"))
                .map(|d| d.name.clone())
                .unwrap_or(lib);
            let mut kinds: Vec<Value> = mine
                .iter()
                .map(|d| match d.kind {
                    DepKind::Normal => json!({"kind": null, "target": null}),
                    DepKind::Dev => json!({"kind": "dev", "target": null}),
                    DepKind::Build => json!({"kind": "build", "target": null}),
                })
                .collect();
            if kinds.is_empty() {
                kinds.push(json!({"kind": null, "target": null}));
            }
            deps.push(json!({"name": code_name, "pkg": dep_id, "dep_kinds": kinds}));
        }
        match guessed.as_ref().and_then(|g| g.features[i].as_ref()) {
            Some(on) => nodes.push(json!({"id": id, "deps": deps, "features": on})),
            None => nodes.push(json!({"id": id, "deps": deps})),
        }
    }
    let members: Vec<&String> = members.iter().map(|m| &m.0).collect();
    Some(json!({
        "packages": packages,
        "workspace_members": members,
        "resolve": {"nodes": nodes},
        "target_directory": target_dir,
    }))
}

/// What turning on a feature (or a package) asks for, in [`guess_features`].
enum Ask {
    /// The package is built (its non-optional dependencies are).
    Package(usize),
    /// A `[features]` item of the package: `name`, `dep:name`, `name/feature`, `name?/feature`.
    Feature(usize, String),
    /// The optional dependency of this key is turned on.
    Optional(usize, String),
    /// Feature of the dependency of this key (always asked with [`Ask::Optional`] of the same
    /// key, which turns an optional one on).
    OfDependency(usize, String, String),
}

/// What [`guess_features`] guesses.
struct Guess {
    /// Per package, its features (None: not built).
    features: Vec<Option<std::collections::BTreeSet<String>>>,
    /// The dependencies built: (dependent, dependency).
    edges: std::collections::HashSet<(usize, usize)>,
}

/// The features of each package (None: not built) as cargo would resolve them for the
/// `roots` (the workspace members, with their default features and dev-dependencies),
/// unifying what every dependent asks for (normal, build and the members' dev-dependencies,
/// on every platform), as `cargo metadata` reports them. A guess: `[patch]` sections and a
/// dependency the lock file names twice under one dependent are not taken into account, so
/// what is read with it is checked against cargo's answer before it is used.
fn guess_features(
    read: &[Option<Read>],
    edges: &[Vec<(&str, usize)>],
    roots: &[usize],
    host: Option<&super::platform::Host>,
) -> Guess {
    use std::collections::{BTreeSet, HashSet};
    let mut built_edges: HashSet<(usize, usize)> = HashSet::new();
    let n = read.len();
    let mut built = vec![false; n];
    let mut on: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
    let mut optional_on: Vec<HashSet<String>> = vec![HashSet::new(); n];
    let is_root = |i: usize| roots.contains(&i);
    // The declarations of package `i` that count: on every platform, as cargo unifies them
    // in what `cargo metadata` reports (a dependency for FreeBSD only adds its features to a
    // package Linux builds too)...
    let used = |i: usize, d: &super::deps::Dep| d.kind != DepKind::Dev || is_root(i);
    // ... but the graph has an edge only where a declaration it uses is for the host (tokio
    // declares `mio` optional, and for `cfg(tokio_uring)` without being optional: no edge).
    let on_host = |d: &super::deps::Dep| {
        d.target
            .as_deref()
            .is_none_or(|t| host.is_none_or(|h| h.uses(t)))
    };
    // The package a declaration of `i` stands for (None: not in the lock file, or twice).
    let target = |i: usize, d: &super::deps::Dep| -> Option<usize> {
        let mut hits = edges[i].iter().filter(|(name, _)| *name == d.package);
        let (_, j) = *hits.next()?;
        hits.next().is_none().then_some(j)
    };
    let has_default = |j: usize| {
        read[j]
            .as_ref()
            .is_some_and(|r| r.features.contains_key("default"))
    };
    let mut queue: Vec<Ask> = roots.iter().map(|&i| Ask::Package(i)).collect();
    queue.extend(roots.iter().map(|&i| Ask::Feature(i, "default".into())));
    // What a declaration of `i` asks of the package it stands for.
    let declared = |i: usize,
                    d: &super::deps::Dep,
                    queue: &mut Vec<Ask>,
                    built_edges: &mut HashSet<(usize, usize)>| {
        if let Some(j) = target(i, d) {
            if on_host(d) {
                built_edges.insert((i, j));
            }
            queue.push(Ask::Package(j));
            if d.default_features && has_default(j) {
                queue.push(Ask::Feature(j, "default".into()));
            }
            queue.extend(d.features.iter().map(|f| Ask::Feature(j, f.clone())));
        }
    };
    while let Some(ask) = queue.pop() {
        match ask {
            Ask::Package(i) => {
                if std::mem::replace(&mut built[i], true) {
                    continue;
                }
                let Some(r) = &read[i] else { continue };
                for d in r.decls.iter().filter(|d| !d.optional && used(i, d)) {
                    declared(i, d, &mut queue, &mut built_edges);
                }
            }
            Ask::Feature(i, f) => {
                let Some(r) = &read[i] else { continue };
                if let Some(dep) = f.strip_prefix("dep:") {
                    queue.push(Ask::Optional(i, dep.to_string()));
                } else if let Some((dep, feature)) = f.split_once('/') {
                    match dep.strip_suffix('?') {
                        // Weak: the dependency is built only for another reason, but the
                        // graph `cargo metadata` gives has it all the same (and so do the
                        // features it reports: 18 more packages of deno's 959 right).
                        Some(dep) => {
                            queue.push(Ask::Optional(i, dep.into()));
                            queue.push(Ask::OfDependency(i, dep.into(), feature.into()));
                        }
                        None => {
                            // Also the optional dependency's implicit feature, unless the
                            // package names it `dep:` somewhere (then it has none).
                            let explicit = r
                                .features
                                .values()
                                .flatten()
                                .any(|x| x.strip_prefix("dep:") == Some(dep));
                            if !explicit && r.decls.iter().any(|d| d.key == dep && d.optional) {
                                queue.push(Ask::Feature(i, dep.into()));
                            }
                            queue.push(Ask::Optional(i, dep.into()));
                            queue.push(Ask::OfDependency(i, dep.into(), feature.into()));
                        }
                    }
                } else if r.features.contains_key(&f) {
                    if on[i].insert(f.clone()) {
                        queue.extend(r.features[&f].iter().map(|x| Ask::Feature(i, x.clone())));
                    }
                } else if r.decls.iter().any(|d| d.key == f && d.optional) {
                    // An optional dependency's implicit feature.
                    if on[i].insert(f.clone()) {
                        queue.push(Ask::Optional(i, f));
                    }
                }
            }
            Ask::Optional(i, dep) => {
                let Some(r) = &read[i] else { continue };
                if !optional_on[i].insert(dep.clone()) {
                    continue;
                }
                for d in r
                    .decls
                    .iter()
                    .filter(|d| d.key == dep && d.optional && used(i, d))
                {
                    declared(i, d, &mut queue, &mut built_edges);
                }
            }
            Ask::OfDependency(i, dep, feature) => {
                let Some(r) = &read[i] else { continue };
                let decls = r.decls.iter().filter(|d| d.key == dep && used(i, d));
                for j in decls.filter_map(|d| target(i, d)) {
                    queue.push(Ask::Package(j));
                    queue.push(Ask::Feature(j, feature.clone()));
                }
            }
        }
    }
    Guess {
        features: (0..n)
            .map(|i| built[i].then(|| std::mem::take(&mut on[i])))
            .collect(),
        edges: built_edges,
    }
}

/// Tests: the member `app` of a workspace in `dir/ws` (as discovery lists members), and a
/// Linux host.
#[cfg(test)]
pub(crate) fn app_on_linux(
    dir: &Path,
) -> (
    Vec<(String, String, PathBuf)>,
    &'static super::platform::Host,
) {
    let members = vec![(
        "path+file:///ws/app#0.1.0".to_string(),
        "app".to_string(),
        dir.join("ws/app"),
    )];
    let host = super::platform::Host::new("x86_64-unknown-linux-gnu", "unix\n");
    (members, Box::leak(Box::new(host)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::deps::DepKind as GraphKind;
    use crate::workspace::graph::from_metadata;

    #[test]
    fn the_graph_from_a_lock_file_and_the_sources_on_disk() {
        let dir = crate::util::scratch::Scratch::new("lockfile");
        let write = |rel: &str, text: &str| dir.write(rel, text);
        let src = dir.join("registry/src/index");
        write(
            "registry/src/index/foo-1.0.0/Cargo.toml",
            "[package]\nname = \"foo\"\nedition = \"2021\"\n",
        );
        write("registry/src/index/foo-1.0.0/src/lib.rs", "");
        write(
            "registry/src/index/bar-baz-2.0.0/Cargo.toml",
            "[package]\nname = \"bar-baz\"\n[lib]\nname = \"barlib\"\npath = \"lib.rs\"\n",
        );
        write("registry/src/index/bar-baz-2.0.0/lib.rs", "");
        // On disk and in the lock file, but declared for Windows only.
        write(
            "registry/src/index/winonly-1.0.0/Cargo.toml",
            "[package]\nname = \"winonly\"\nedition = \"2021\"\n",
        );
        write("registry/src/index/winonly-1.0.0/src/lib.rs", "");
        write(
            "ws/app/Cargo.toml",
            "[package]\nname = \"app\"\n[dependencies]\nfoo = \"1\"\nb = { package = \"bar-baz\", version = \"2\" }\n\
             gone = { git = \"https://example.invalid/gone\" }\n\
             [target.'cfg(windows)'.dependencies]\nwinonly = \"1\"\n",
        );
        let reg = "registry+https://github.com/rust-lang/crates.io-index";
        write(
            "ws/Cargo.lock",
            &format!(
                "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                 dependencies = [\"bar-baz\", \"foo\", \"gone\", \"winonly\"]\n\n\
                 [[package]]\nname = \"bar-baz\"\nversion = \"2.0.0\"\nsource = \"{reg}\"\n\n\
                 [[package]]\nname = \"foo\"\nversion = \"1.0.0\"\nsource = \"{reg}\"\n\
                 dependencies = [\"bar-baz 2.0.0\"]\n\n\
                 [[package]]\nname = \"gone\"\nversion = \"0.1.0\"\n\
                 source = \"git+https://example.invalid/gone#abc\"\n\n\
                 [[package]]\nname = \"winonly\"\nversion = \"1.0.0\"\nsource = \"{reg}\"\n"
            ),
        );
        let (members, host) = app_on_linux(&dir);
        let meta = metadata_in(
            &dir.join("ws/Cargo.lock"),
            &members,
            None,
            &[src],
            &|| Some(host),
            None,
        )
        .unwrap();
        let g = from_metadata(&meta, &|p: &Path| p.exists());
        // Dependencies first; the git package, not on disk, is not there, nor the Windows-only
        // one on this (Linux) host.
        let names: Vec<&str> = g.packages.iter().map(|p| p.lib_name.as_str()).collect();
        assert_eq!(names, ["barlib", "foo"]);
        // foo names bar-baz by its lib name; the member by its rename.
        assert_eq!(g.packages[1].deps, [("barlib".to_string(), 0)]);
        let mut m = g.members[&members[0].0].clone();
        m.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            m,
            [
                ("b".to_string(), 0, GraphKind::Normal),
                ("foo".to_string(), 1, GraphKind::Normal)
            ]
        );
    }

    #[test]
    fn features_guessed_as_cargo_resolves_them() {
        let dir = crate::util::scratch::Scratch::new("guess");
        let write = |rel: &str, text: &str| dir.write(rel, text);
        let reg = "registry+https://github.com/rust-lang/crates.io-index";
        let mut lock = String::from("version = 4\n");
        let mut package = |name: &str, manifest: &str, deps: &[&str]| {
            write(
                &format!("registry/src/index/{name}-1.0.0/Cargo.toml"),
                &format!("[package]\nname = \"{name}\"\nedition = \"2021\"\n{manifest}"),
            );
            write(&format!("registry/src/index/{name}-1.0.0/src/lib.rs"), "");
            let deps: Vec<String> = deps.iter().map(|d| format!("\"{d}\"")).collect();
            lock += &format!(
                "\n[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = \"{reg}\"\ndependencies = [{}]\n",
                deps.join(", ")
            );
        };
        // `core` has a default feature, an optional dependency turned on by `dep:` (no
        // implicit feature then), one by its implicit feature (through `io`), and a weak
        // feature of a third that nothing else turns on (which `cargo metadata` lists all the
        // same, with that feature: checked with cargo 1.95 on path dependencies).
        package(
            "core",
            "[features]\ndefault = [\"std\"]\nstd = [\"dep:alloc-kit\"]\nio = [\"io-kit/read\"]\n\
             extra = [\"never-kit?/x\"]\nunused = []\n\
             [dependencies]\nalloc-kit = { version = \"1\", optional = true }\n\
             io-kit = { version = \"1\", optional = true }\n\
             never-kit = { version = \"1\", optional = true }\n\
             unused-kit = { version = \"1\", optional = true }\n\
             [target.'cfg(some_cfg)'.dependencies]\nunused-kit = \"1\"\n\
             [dev-dependencies]\ndevonly = \"1\"\n\
             alloc-kit = { version = \"1\", features = [\"testing\"] }\n",
            &["alloc-kit", "devonly", "io-kit", "never-kit", "unused-kit"],
        );
        package("alloc-kit", "[features]\nbig = []\ntesting = []\n", &[]);
        package("io-kit", "[features]\nread = []\nwrite = []\n", &[]);
        package("never-kit", "[features]\nx = []\n", &[]);
        package("unused-kit", "", &[]);
        // Only a dev-dependency of a dependency (not built), and one for Windows only.
        package("devonly", "", &[]);
        package(
            "winonly",
            "[dependencies]\nio-kit = { version = \"1\", features = [\"write\"] }\n",
            &["io-kit"],
        );
        // `tools` is asked for without its default features, with `core`'s `io` and `extra`
        // through its own feature list.
        package(
            "tools",
            "[features]\ndefault = [\"slow\"]\nslow = []\nfast = []\n\
             [dependencies]\ncore = { version = \"1\", features = [\"io\", \"extra\"] }\n",
            &["core"],
        );
        write(
            "ws/app/Cargo.toml",
            "[package]\nname = \"app\"\n[features]\ndefault = [\"mine\"]\nmine = []\n\
             [dependencies]\ncore = \"1\"\ntools = { version = \"1\", default-features = false, features = [\"fast\"] }\n\
             [dev-dependencies]\nalloc-kit = { version = \"1\", features = [\"big\"] }\n\
             [target.'cfg(windows)'.dependencies]\nwinonly = \"1\"\n",
        );
        lock += "\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                 dependencies = [\"alloc-kit\", \"core\", \"tools\", \"winonly\"]\n";
        write("ws/Cargo.lock", &lock);
        let (members, host) = app_on_linux(&dir);
        let src = [dir.join("registry/src/index")];
        let meta = |guess| {
            metadata_in(
                &dir.join("ws/Cargo.lock"),
                &members,
                None,
                &src,
                &|| Some(host),
                guess,
            )
        };
        let not_yet = std::sync::atomic::AtomicBool::new(false);
        let guessed = from_metadata(&meta(Some(&not_yet)).unwrap(), &|p: &Path| p.exists());
        let plain = from_metadata(&meta(None).unwrap(), &|p: &Path| p.exists());
        // Once cargo has answered, nothing is guessed.
        assert!(meta(Some(&std::sync::atomic::AtomicBool::new(true))).is_none());
        let features = |name: &str| -> Option<Vec<String>> {
            guessed
                .packages
                .iter()
                .find(|p| p.name == name)
                .unwrap_or_else(|| panic!("{name} not in {:?}", guessed.packages))
                .features
                .clone()
        };
        let list = |l: &[&str]| Some(l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            features("core"),
            list(&["default", "extra", "io", "io-kit", "std"])
        );
        // `big` from the member's dev-dependencies; not `testing`, which only a dependency's
        // dev-dependencies ask for.
        assert_eq!(features("alloc-kit"), list(&["big"]));
        // `write`: what a dependency for Windows only asks for counts, as in what cargo
        // reports (checked as above).
        assert_eq!(features("io-kit"), list(&["read", "write"]));
        assert_eq!(features("tools"), list(&["fast"]));
        assert_eq!(features("never-kit"), list(&["x"]));
        // Not built: `devonly` (a dependency's dev-dependency), `winonly` (another platform),
        // the optional `unused-kit` no feature turns on (and which another declaration asks
        // for `cfg(some_cfg)` only, as tokio asks for `mio`). Without the guess, the lock
        // file's edges are kept (`unused-kit`), and nothing has features.
        let names = |g: &crate::workspace::graph::DepGraph| -> Vec<String> {
            let mut n: Vec<String> = g.packages.iter().map(|p| p.name.clone()).collect();
            n.sort();
            n
        };
        assert_eq!(
            names(&guessed),
            ["alloc-kit", "core", "io-kit", "never-kit", "tools"]
        );
        assert_eq!(
            names(&plain),
            [
                "alloc-kit",
                "core",
                "io-kit",
                "never-kit",
                "tools",
                "unused-kit"
            ]
        );
        assert!(plain.packages.iter().all(|p| p.features.is_none()));
    }
}
