//! `cargo metadata`'s answer rebuilt from `Cargo.lock` and the sources on disk, for when cargo
//! cannot resolve offline (a git dependency that was never fetched makes it refuse the whole
//! graph). Every registry package of the lock file whose source is in cargo's registry cache is
//! kept, with its lib target read from its manifest; the edges come from the lock file, named as
//! the dependent's manifest names them (a rename, or the dependency's lib name). A dependency
//! declared only for other platforms (`[target.'cfg(windows)'.dependencies]`) is left out, as
//! cargo's `--filter-platform <host>` does; features are not applied: a package that no build
//! uses may be listed (its summary is then unused).
//! The result has the shape [`super::graph::from_metadata`] reads.

use super::deps::{DepKind, from_manifest};
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
/// edition), from its manifest and cargo's layout conventions.
fn lib_target(dir: &Path, package: &str) -> Option<(String, PathBuf, bool, String)> {
    let doc: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).ok()?).ok()?;
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

/// `cargo metadata`-shaped JSON for the workspace whose lock file is `lock`, with `members`
/// as (package id, name, manifest dir), and its target directory (where the metadata cache
/// keeps it). None when the lock file cannot be read.
pub fn metadata(
    lock: &Path,
    members: &[(String, String, PathBuf)],
    target_dir: Option<&Path>,
) -> Option<Value> {
    let host = super::platform::Host::detect();
    metadata_in(lock, members, target_dir, &registry_src_dirs(), host)
}

fn metadata_in(
    lock: &Path,
    members: &[(String, String, PathBuf)],
    target_dir: Option<&Path>,
    src_dirs: &[PathBuf],
    host: Option<&super::platform::Host>,
) -> Option<Value> {
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
    let find = |name: &str, version: Option<&str>| -> Option<usize> {
        let mut hits = locked
            .iter()
            .enumerate()
            .filter(|(_, l)| l.name == name && version.is_none_or(|v| l.version == v));
        let first = hits.next()?.0;
        hits.next().is_none().then_some(first)
    };
    let mut libs: HashMap<usize, (String, PathBuf, bool, String)> = HashMap::new();
    for (i, l) in locked.iter().enumerate() {
        if let Some(dir) = &dirs[i]
            && let Some(t) = lib_target(dir, &l.name)
        {
            libs.insert(i, t);
        }
    }
    let mut packages = Vec::new();
    let mut nodes = Vec::new();
    for (i, l) in locked.iter().enumerate() {
        let (Some(id), Some(dir)) = (&ids[i], &dirs[i]) else {
            continue;
        };
        let targets: Vec<Value> = libs
            .get(&i)
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
        let decls = from_manifest(dir);
        let mut deps = Vec::new();
        for (name, version) in &l.deps {
            let Some(j) = find(name, version.as_deref()) else {
                continue;
            };
            let Some(dep_id) = &ids[j] else { continue };
            let lib = libs
                .get(&j)
                .map(|t| t.0.clone())
                .unwrap_or(name.replace('-', "_"));
            let mine: Vec<_> = decls.iter().filter(|d| d.package == *name).collect();
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
        nodes.push(json!({"id": id, "deps": deps}));
    }
    let members: Vec<&String> = members.iter().map(|m| &m.0).collect();
    Some(json!({
        "packages": packages,
        "workspace_members": members,
        "resolve": {"nodes": nodes},
        "target_directory": target_dir,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::deps::DepKind as GraphKind;
    use crate::workspace::graph::from_metadata;

    #[test]
    fn the_graph_from_a_lock_file_and_the_sources_on_disk() {
        let dir = std::env::temp_dir().join(format!("async-lint-lockfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write = |rel: &str, text: &str| {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
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
        let members = [(
            "path+file:///ws/app#0.1.0".to_string(),
            "app".to_string(),
            dir.join("ws/app"),
        )];
        let host = crate::workspace::platform::Host::new("x86_64-unknown-linux-gnu", "unix\n");
        let meta = metadata_in(
            &dir.join("ws/Cargo.lock"),
            &members,
            None,
            &[src],
            Some(&host),
        )
        .unwrap();
        let g = from_metadata(&meta, &|p: &Path| p.exists());
        let _ = std::fs::remove_dir_all(&dir);
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
}
