//! The dependencies a package declares: which package, under which name, of which kind, whether
//! only on some targets or behind a feature, and with which features. `--fix` reads them to
//! write a replacement only where the package can compile it (`tokio::fs` needs tokio's `fs`
//! feature). From `cargo metadata` for a workspace; from `Cargo.toml` (following
//! `workspace = true` inheritance) in path mode.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DepKind {
    Normal,
    Dev,
    Build,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dep {
    /// The package depended on (`tokio`, `async-std`).
    pub package: String,
    /// How the code names it: the key of the declaration (`rt = { package = "tokio" }` is
    /// `rt`), with `-` as `_`.
    pub name: String,
    /// The key of the declaration as written (`futures-util`): what `[features]` entries
    /// (`dep:futures-util`, `futures-util/io`) and the implicit feature of an optional
    /// dependency call it.
    pub key: String,
    pub kind: DepKind,
    /// Only with a feature of this package (`optional = true`) or only on some targets
    /// (`[target.'cfg(..)'.dependencies]`): code cannot count on it.
    pub conditional: bool,
    /// `optional = true`: only with a feature that turns it on.
    pub optional: bool,
    pub default_features: bool,
    pub features: Vec<String>,
    /// The platform of a `[target.'cfg(..)'.dependencies]` (or `[target.<triple>..]`) entry.
    pub target: Option<String>,
}

/// The dependencies of one package in `cargo metadata` output (inheritance already applied).
pub fn from_metadata(pkg: &Value) -> Vec<Dep> {
    let mut out = Vec::new();
    for d in pkg["dependencies"].as_array().into_iter().flatten() {
        let Some(package) = d["name"].as_str() else {
            continue;
        };
        let key = d["rename"].as_str().unwrap_or(package);
        let name = key.replace('-', "_");
        let kind = match d["kind"].as_str() {
            Some("dev") => DepKind::Dev,
            Some("build") => DepKind::Build,
            _ => DepKind::Normal,
        };
        out.push(Dep {
            package: package.to_string(),
            name,
            key: key.to_string(),
            kind,
            conditional: d["optional"].as_bool().unwrap_or(false) || !d["target"].is_null(),
            optional: d["optional"].as_bool().unwrap_or(false),
            target: d["target"].as_str().map(String::from),
            default_features: d["uses_default_features"].as_bool().unwrap_or(true),
            features: d["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(String::from))
                .collect(),
        });
    }
    out
}

/// The dependencies declared in `dir/Cargo.toml`, empty when it cannot be read.
pub fn from_manifest(dir: &Path) -> Vec<Dep> {
    if dir.as_os_str().is_empty() {
        return Vec::new();
    }
    let Some(doc) = read_toml(&dir.join("Cargo.toml")) else {
        return Vec::new();
    };
    from_manifest_doc(dir, &doc)
}

/// The dependencies declared in `doc`, the manifest read from `dir/Cargo.toml`.
pub fn from_manifest_doc(dir: &Path, doc: &toml::Table) -> Vec<Dep> {
    // `[workspace.dependencies]` of the nearest manifest above that has a `[workspace]`.
    let inherited = || {
        dir.ancestors()
            .skip(1)
            .filter_map(|d| read_toml(&d.join("Cargo.toml")))
            .find(|doc| doc.contains_key("workspace"))
            .and_then(|doc| {
                doc.get("workspace")?
                    .get("dependencies")?
                    .as_table()
                    .cloned()
            })
    };
    let mut ws: Option<Option<toml::Table>> = None;
    let mut out = Vec::new();
    let mut tables: Vec<(&toml::Table, Option<&String>)> = vec![(doc, None)];
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        tables.extend(
            targets
                .iter()
                .filter_map(|(platform, t)| Some((t.as_table()?, Some(platform)))),
        );
    }
    for (table, platform) in tables {
        for (key, kind) in [
            ("dependencies", DepKind::Normal),
            ("dev-dependencies", DepKind::Dev),
            ("dev_dependencies", DepKind::Dev),
            ("build-dependencies", DepKind::Build),
            ("build_dependencies", DepKind::Build),
        ] {
            let Some(deps) = table.get(key).and_then(|d| d.as_table()) else {
                continue;
            };
            for (name, spec) in deps {
                let mut dep = Dep {
                    package: name.clone(),
                    name: name.replace('-', "_"),
                    key: name.clone(),
                    kind,
                    conditional: platform.is_some(),
                    optional: false,
                    default_features: true,
                    features: Vec::new(),
                    target: platform.cloned(),
                };
                if let Some(t) = spec.as_table() {
                    if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
                        let ws = ws.get_or_insert_with(inherited);
                        match ws.as_ref().and_then(|w| w.get(name)) {
                            Some(base) => apply_spec(&mut dep, base),
                            // Inherited from a workspace we cannot read: nothing is known.
                            None => continue,
                        }
                    }
                    apply_spec(&mut dep, spec);
                }
                out.push(dep);
            }
        }
    }
    out
}

/// Applies one declaration (`"1"` or a table) to `dep`: features add up, as cargo merges an
/// inherited declaration with the member's.
fn apply_spec(dep: &mut Dep, spec: &toml::Value) {
    let Some(t) = spec.as_table() else {
        return;
    };
    if let Some(p) = t.get("package").and_then(|p| p.as_str()) {
        dep.package = p.to_string();
    }
    for key in ["default-features", "default_features"] {
        if let Some(b) = t.get(key).and_then(|b| b.as_bool()) {
            dep.default_features = b;
        }
    }
    if t.get("optional").and_then(|o| o.as_bool()) == Some(true) {
        dep.conditional = true;
        dep.optional = true;
    }
    if let Some(fs) = t.get("features").and_then(|f| f.as_array()) {
        dep.features
            .extend(fs.iter().filter_map(|f| f.as_str().map(String::from)));
    }
}

pub fn read_toml(path: &Path) -> Option<toml::Table> {
    toml::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_declarations_and_inheritance() {
        let dir = crate::util::scratch::Scratch::new("deps");
        let member = dir.join("member");
        dir.write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"member\"]\n[workspace.dependencies]\n\
             tokio = { version = \"1\", default-features = false, features = [\"rt\"] }\n",
        );
        dir.write(
            "member/Cargo.toml",
            "[package]\nname = \"m\"\n[dependencies]\n\
             tokio = { workspace = true, features = [\"fs\"] }\n\
             rt2 = { package = \"async-std\", version = \"1\", optional = true }\n\
             [dev-dependencies]\nsmol = \"2\"\n\
             [target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n",
        );
        let deps = from_manifest(&member);
        let tokio = deps.iter().find(|d| d.package == "tokio").unwrap();
        assert_eq!(tokio.features, ["rt", "fs"]);
        assert!(!tokio.default_features && !tokio.conditional);
        assert_eq!(tokio.kind, DepKind::Normal);
        let rt2 = deps.iter().find(|d| d.package == "async-std").unwrap();
        assert_eq!(rt2.name, "rt2");
        assert!(rt2.conditional);
        let smol = deps.iter().find(|d| d.package == "smol").unwrap();
        assert_eq!(smol.kind, DepKind::Dev);
        assert!(smol.default_features);
        assert!(
            deps.iter()
                .find(|d| d.package == "libc")
                .unwrap()
                .conditional
        );
    }
}
