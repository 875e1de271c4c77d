//! Configuration: `async-lint.toml` / `.async-lint.toml` at the workspace root, or
//! `[workspace.metadata.async-lint]` / `[package.metadata.async-lint]` in Cargo.toml, or a file
//! given with `--config`. An invalid configuration is an error naming the file and line; it is
//! never silently ignored. It hands on a [`Loaded`] configuration: levels, knowledge-base
//! additions, exclude globs and limits, for the options of a run.

use crate::kb::{ApiEntry, CancelEntry, HeldEntry, IslandEntry, Kb};
use crate::lints::diag::Level;
use crate::lints::lint::Group;
use crate::lints::registry::{self, Levels};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A blocking API the project adds (its own sync database wrapper, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraBlocking {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub replacement: Option<String>,
    pub reason: String,
}

/// A non-cancel-safe method or function the project adds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraCancel {
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub fix: Option<String>,
    pub reason: String,
}

/// A guard or !Send type the project adds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraHeld {
    /// `lock_across_await`, `refcell_across_await`, `non_send_across_await` or
    /// `span_guard_across_await`.
    pub lint: String,
    pub types: Vec<String>,
    #[serde(default)]
    pub help: Option<String>,
    pub reason: String,
}

/// A function whose closure arguments run where blocking is fine (`run_blocking`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraIsland {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Levels by lint, group or `all`, as Cargo's `[lints.clippy]` writes them.
    #[serde(default)]
    pub lints: BTreeMap<String, LevelSpec>,
    /// Globs (relative to the configuration's directory) of files not to lint.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub blocking: Vec<ExtraBlocking>,
    #[serde(default)]
    pub not_cancel_safe: Vec<ExtraCancel>,
    #[serde(default)]
    pub held: Vec<ExtraHeld>,
    #[serde(default)]
    pub islands: Vec<ExtraIsland>,
    /// Files larger than this are reported and not checked: bytes, or a string such as
    /// `"20MiB"` / `"500KB"`. Default [`DEFAULT_MAX_FILE_SIZE`].
    #[serde(default, rename = "max-file-size")]
    pub max_file_size: Option<toml::Value>,
    /// Whether a `clippy.toml` beside the workspace is read for `await-holding-invalid-types`
    /// and `disallowed-methods` (default: yes).
    #[serde(default, rename = "import-clippy-config")]
    pub import_clippy_config: Option<bool>,
}

/// What a `clippy.toml` gives: its `await-holding-invalid-types` as held types, and its
/// `disallowed-methods` that have a `reason` as blocking APIs (so reported in async code only).
#[derive(Debug, Clone, Default)]
pub struct ClippyImport {
    pub path: PathBuf,
    pub held: Vec<ExtraHeld>,
    pub blocking: Vec<ExtraBlocking>,
    /// `disallowed-methods` entries without a reason, left out.
    pub without_reason: usize,
}

/// The names Clippy reads its configuration from, in its order.
const CLIPPY_FILES: [&str; 2] = ["clippy.toml", ".clippy.toml"];

/// Finds and reads the `clippy.toml` Clippy would use for the workspace at `root`:
/// `$CLIPPY_CONF_DIR`, else the root and its parents. None when there is none; a file that is
/// not valid TOML is a warning (it is Clippy's to reject).
pub fn read_clippy_config(root: &Path) -> Option<(ClippyImport, String)> {
    let dirs: Vec<PathBuf> = match std::env::var_os("CLIPPY_CONF_DIR") {
        Some(d) => vec![PathBuf::from(d)],
        None => root.ancestors().map(Path::to_path_buf).collect(),
    };
    let path = dirs
        .iter()
        .find_map(|d| CLIPPY_FILES.iter().map(|n| d.join(n)).find(|p| p.is_file()))?;
    let text = std::fs::read_to_string(&path).ok()?;
    let table: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "warning: {}: not read (invalid TOML: {})",
                path.display(),
                e.message()
            );
            return None;
        }
    };
    // An entry is a path, or a table with a `path` and maybe a `reason` (and a `replacement`,
    // in newer Clippy versions).
    let entries = |key: &str| -> Vec<(String, Option<String>, Option<String>)> {
        let Some(list) = table.get(key).and_then(toml::Value::as_array) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|v| match v {
                toml::Value::String(p) => Some((p.clone(), None, None)),
                toml::Value::Table(t) => {
                    let s = |k: &str| t.get(k).and_then(toml::Value::as_str).map(str::to_string);
                    Some((s("path")?, s("reason"), s("replacement")))
                }
                _ => None,
            })
            .collect()
    };
    let source = format!("{} (Clippy's configuration)", path.display());
    let mut import = ClippyImport {
        path: path.clone(),
        ..ClippyImport::default()
    };
    for (ty, reason, _) in entries("await-holding-invalid-types") {
        // A tracing span guard has its own lint; any other type is one that must not be held,
        // which `lock_across_await` reports (its message names the type).
        let last = ty.rsplit("::").next().unwrap_or(&ty);
        let lint =
            if ty.starts_with("tracing::") && (last.contains("Entered") || last.contains("Span")) {
                "span_guard_across_await"
            } else {
                "lock_across_await"
            };
        import.held.push(ExtraHeld {
            lint: lint.into(),
            types: vec![ty.clone()],
            help: reason.clone(),
            reason: reason.unwrap_or_else(|| format!("listed in {source}")),
        });
    }
    for (path, reason, replacement) in entries("disallowed-methods") {
        let Some(reason) = reason else {
            import.without_reason += 1;
            continue;
        };
        // `a::Type::method` is also a method of `a::Type` (a call `x.method()`).
        let segments: Vec<&str> = path.split("::").collect();
        let is_method = segments.len() >= 3
            && segments[segments.len() - 2]
                .chars()
                .next()
                .is_some_and(char::is_uppercase);
        import.blocking.push(ExtraBlocking {
            paths: vec![path.clone()],
            ty: None,
            methods: Vec::new(),
            replacement: replacement.clone(),
            reason: format!("{reason} ({source})"),
        });
        if is_method {
            let (ty, name) = path.rsplit_once("::").unwrap_or_default();
            import.blocking.push(ExtraBlocking {
                paths: Vec::new(),
                ty: Some(ty.to_string()),
                methods: vec![name.to_string()],
                replacement,
                reason: format!("{reason} ({source})"),
            });
        }
    }
    Some((import, text))
}

/// The largest file checked unless `max-file-size` says otherwise: 10 MiB, four times the largest
/// hand-written or generated source file seen in cargo's source cache (encoding_rs' 2.6 MB
/// data table). Parsing needs roughly 100 bytes of memory per byte of source.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// `1048576`, `"10MiB"`, `"500 KB"`, `"2GB"`: a size in bytes.
pub fn parse_size(v: &toml::Value) -> Option<u64> {
    match v {
        toml::Value::Integer(n) => u64::try_from(*n).ok(),
        toml::Value::String(s) => {
            let s = s.trim();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let n: u64 = num.parse().ok()?;
            let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "kb" => 1000,
                "kib" => 1 << 10,
                "mb" => 1_000_000,
                "mib" => 1 << 20,
                "gb" => 1_000_000_000,
                "gib" => 1 << 30,
                _ => return None,
            };
            n.checked_mul(mult)
        }
        _ => None,
    }
}

/// `name = "warn"` or `name = { level = "warn", priority = -1 }` (Cargo's two spellings).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum LevelSpec {
    Level(String),
    Table {
        level: String,
        #[serde(default)]
        priority: i64,
    },
}

impl LevelSpec {
    fn parts(&self) -> (&str, i64) {
        match self {
            LevelSpec::Level(l) => (l, 0),
            LevelSpec::Table { level, priority } => (level, *priority),
        }
    }
}

/// A loaded configuration and where it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    /// The file it was read from (None: no configuration).
    pub path: Option<PathBuf>,
    /// The directory `exclude` globs are relative to.
    pub base: PathBuf,
    text: String,
    /// The `exclude` globs, compiled once (validation already rejected invalid ones).
    excludes: std::sync::OnceLock<globset::GlobSet>,
    /// What was imported from a `clippy.toml`, and that file's text.
    pub clippy: Option<(ClippyImport, String)>,
    /// The configuration's text, then the imported `clippy.toml`'s: what results depend on.
    keyed: String,
}

/// An error in a configuration file: the message names the file and line.
#[derive(Debug)]
pub struct ConfigError(pub String);

const FILE_NAMES: [&str; 2] = ["async-lint.toml", ".async-lint.toml"];

/// Finds the configuration for a run rooted at `root` (the workspace root, or the working
/// directory for paths): `async-lint.toml` / `.async-lint.toml` there or in a parent, else the
/// nearest Cargo.toml with a `metadata.async-lint` table.
pub fn discover(root: &Path) -> Result<Loaded, ConfigError> {
    let mut dir = Some(root);
    while let Some(d) = dir {
        let present: Vec<PathBuf> = FILE_NAMES
            .iter()
            .map(|name| d.join(name))
            .filter(|p| p.exists())
            .collect();
        if let Some(p) = present.iter().find(|p| !p.is_file()) {
            return Err(ConfigError(format!(
                "{}: not a file: the configuration must be a TOML file",
                p.display()
            )));
        }
        if let [used, ignored, ..] = present.as_slice() {
            eprintln!(
                "warning: both {} and {} exist; using {}",
                used.display(),
                ignored.display(),
                used.display()
            );
        }
        if let Some(p) = present.first() {
            return load(p);
        }
        let manifest = d.join("Cargo.toml");
        if manifest.is_file()
            && let Some(l) = from_manifest(&manifest)?
        {
            return Ok(l);
        }
        dir = d.parent();
    }
    Ok(Loaded {
        base: root.to_path_buf(),
        ..Loaded::default()
    })
}

/// Loads a configuration file (`--config PATH`): an async-lint.toml, or a Cargo.toml whose
/// `metadata.async-lint` table holds it.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    if path.file_name().is_some_and(|n| n == "Cargo.toml") {
        return from_manifest(path)?.ok_or_else(|| {
            ConfigError(format!(
                "{}: no [package.metadata.async-lint] or [workspace.metadata.async-lint] table",
                path.display()
            ))
        });
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read configuration {}: {e}", path.display())))?;
    let config: Config = toml::from_str(&text).map_err(|e| toml_error(path, &e))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let loaded = Loaded {
        config,
        path: Some(path.to_path_buf()),
        base,
        keyed: text.clone(),
        text,
        excludes: Default::default(),
        clippy: None,
    };
    loaded.validate()?;
    Ok(loaded)
}

fn from_manifest(path: &Path) -> Result<Option<Loaded>, ConfigError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let Ok(doc) = toml::from_str::<toml::Table>(&text) else {
        return Ok(None);
    };
    for section in ["workspace", "package"] {
        let table = doc
            .get(section)
            .and_then(|s| s.get("metadata"))
            .and_then(|m| m.get("async-lint"));
        if let Some(t) = table {
            let config: Config = t.clone().try_into().map_err(|e: toml::de::Error| {
                ConfigError(format!(
                    "{} [{section}.metadata.async-lint]: {}",
                    path.display(),
                    e.message()
                ))
            })?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let loaded = Loaded {
                config,
                path: Some(path.to_path_buf()),
                base,
                keyed: text.clone(),
                text,
                excludes: Default::default(),
                clippy: None,
            };
            loaded.validate()?;
            return Ok(Some(loaded));
        }
    }
    Ok(None)
}

/// `path:line:col: message` from a TOML error (the toml crate reports the span).
fn toml_error(path: &Path, e: &toml::de::Error) -> ConfigError {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let at = e
        .span()
        .map(|s| {
            let (line, col) = crate::syntax::source::LineIndex::new(&text).line_col(s.start);
            format!(":{line}:{col}")
        })
        .unwrap_or_default();
    ConfigError(format!(
        "{}{at}: invalid configuration: {}",
        path.display(),
        e.message()
    ))
}

impl Loaded {
    /// The text of the configuration file (empty without one), and of the `clippy.toml` it
    /// imports: what the results depend on.
    pub fn key_text(&self) -> &str {
        &self.keyed
    }

    /// Reads the workspace's `clippy.toml` (see [`read_clippy_config`]) unless
    /// `import-clippy-config = false`; what it gives joins the knowledge base.
    pub fn import_clippy(&mut self, root: &Path) {
        if self.config.import_clippy_config == Some(false) {
            return;
        }
        if let Some((import, text)) = read_clippy_config(root) {
            self.keyed = format!("{}\n\0{}\n{text}", self.text, import.path.display());
            self.clippy = Some((import, text));
        }
    }

    /// `path:line` of the first line mentioning `needle`, for errors found after parsing.
    fn at(&self, needle: &str) -> String {
        let path = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        match self.text.lines().position(|l| l.contains(needle)) {
            Some(i) => format!("{path}:{}", i + 1),
            None => path,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        for (name, spec) in &self.config.lints {
            let (level, _) = spec.parts();
            if Level::parse(level).is_none() {
                return Err(ConfigError(format!(
                    "{}: `{name} = \"{level}\"`: the level must be \"allow\", \"warn\", \"deny\" or \"forbid\"",
                    self.at(name)
                )));
            }
            // An unknown lint is a warning (it may be a newer version's), as in rustc.
            if let Err(e) = Levels::default().apply(name, Level::Warn) {
                eprintln!("warning: {}: {e}", self.at(name));
            }
        }
        for h in &self.config.held {
            if registry::find(&h.lint).is_none_or(|m| !m.name.ends_with("_across_await")) {
                return Err(ConfigError(format!(
                    "{}: [[held]] lint `{}` must be one of lock_across_await, refcell_across_await, non_send_across_await, span_guard_across_await",
                    self.at(&h.lint),
                    h.lint
                )));
            }
        }
        if let Some(v) = &self.config.max_file_size
            && parse_size(v).is_none()
        {
            return Err(ConfigError(format!(
                "{}: `max-file-size = {v}`: expected a number of bytes or a size such as \"20MiB\" or \"500KB\"",
                self.at("max-file-size")
            )));
        }
        for g in &self.config.exclude {
            if g.is_empty() {
                return Err(ConfigError(format!(
                    "{}: an empty `exclude` glob",
                    self.at("exclude")
                )));
            }
        }
        compile_globs(&self.config.exclude)
            .map_err(|(g, e)| ConfigError(format!("{}: `exclude` glob `{g}`: {e}", self.at(&g))))?;
        Ok(())
    }

    /// Applies the `[lints]` table to `levels`: lower priority first, then `all`, groups and
    /// single lints, so the most specific entry wins (as Cargo orders `[lints]`).
    pub fn apply_levels(&self, levels: &mut Levels) {
        let mut entries: Vec<(&String, &LevelSpec)> = self.config.lints.iter().collect();
        let specificity = |n: &str| match n {
            "all" => 0,
            _ if Group::parse(n).is_some() => 1,
            _ => 2,
        };
        entries.sort_by_key(|(n, s)| (s.parts().1, specificity(n)));
        for (name, spec) in entries {
            if let Some(level) = Level::parse(spec.parts().0) {
                let _ = levels.apply(name, level);
            }
        }
    }

    /// The largest file to check, in bytes.
    pub fn max_file_size(&self) -> u64 {
        self.config
            .max_file_size
            .as_ref()
            .and_then(parse_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE)
    }

    /// Whether a file is excluded by the `exclude` globs.
    pub fn excluded(&self, file: &Path) -> bool {
        if self.config.exclude.is_empty() {
            return false;
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let abs = if file.is_absolute() {
            file.to_path_buf()
        } else {
            cwd.join(file)
        };
        let base = if self.base.is_absolute() {
            self.base.clone()
        } else {
            cwd.join(&self.base)
        };
        let rel = abs
            .strip_prefix(&base)
            .unwrap_or(&abs)
            .to_string_lossy()
            .replace('\\', "/");
        self.excludes
            .get_or_init(|| compile_globs(&self.config.exclude).unwrap_or_default())
            .is_match(&rel)
    }

    /// The built-in knowledge base plus this configuration's additions, or None when there are
    /// none (the built-in one is then shared).
    pub fn knowledge_base(&self) -> Result<Option<Kb>, ConfigError> {
        let c = &self.config;
        let (clippy_blocking, clippy_held) = match &self.clippy {
            Some((i, _)) => (&i.blocking[..], &i.held[..]),
            None => (&[][..], &[][..]),
        };
        if c.blocking.is_empty()
            && c.not_cancel_safe.is_empty()
            && c.held.is_empty()
            && c.islands.is_empty()
            && clippy_blocking.is_empty()
            && clippy_held.is_empty()
        {
            return Ok(None);
        }
        let mut kb = Kb::from_sources().map_err(ConfigError)?;
        let source = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        for b in c.blocking.iter().chain(clippy_blocking) {
            kb.add_blocking(ApiEntry {
                paths: b.paths.clone(),
                ty: b.ty.clone(),
                methods: b.methods.clone(),
                replacement: b.replacement.clone().unwrap_or_else(|| {
                    "an async alternative, or `tokio::task::spawn_blocking`".into()
                }),
                fix: Vec::new(),
                source: source.clone(),
                reason: Some(b.reason.clone()),
                lint: None,
                derived: None,
            });
        }
        for e in &c.not_cancel_safe {
            kb.add_not_cancel_safe(CancelEntry {
                methods: e.methods.clone(),
                paths: e.paths.clone(),
                owner: e.ty.clone(),
                ty: e.ty.clone(),
                lost: Some(format!("progress is lost ({})", e.reason)),
                fix: Some(e.fix.clone().unwrap_or_else(|| {
                    "create the future once outside the loop and select on `&mut fut`".into()
                })),
                source: source.clone(),
            });
        }
        for h in c.held.iter().chain(clippy_held) {
            kb.add_held(HeldEntry {
                lint: registry::find(&h.lint)
                    .map(|m| m.name.to_string())
                    .unwrap_or_default(),
                types: h.types.clone(),
                what: format!("a `{}`", h.types.first().cloned().unwrap_or_default()),
                help: h
                    .help
                    .clone()
                    .unwrap_or_else(|| "end the value's life before the `.await`".into()),
                source: source.clone(),
                reason: Some(h.reason.clone()),
            });
        }
        for i in &c.islands {
            kb.add_island(IslandEntry {
                paths: i.paths.clone(),
                methods: i.methods.clone(),
                chain_methods: Vec::new(),
                source: format!("{source}: {}", i.reason),
            });
        }
        Ok(Some(kb))
    }
}

/// Compiles `exclude` globs: `*` and `?` within a path segment, `**` any number of segments,
/// `[..]` classes, `{a,b}` alternatives; a pattern without `/` matches the file name at any depth,
/// and a directory pattern (`target/gen`) everything below it. Matching is linear in the path
/// (globset compiles to a regular-expression automaton): no pattern can make it backtrack.
fn compile_globs(patterns: &[String]) -> Result<globset::GlobSet, (String, globset::Error)> {
    let mut set = globset::GlobSetBuilder::new();
    for raw in patterns {
        let pattern = raw.trim_start_matches("./");
        let rooted = pattern.contains('/');
        let pattern = pattern.trim_end_matches('/');
        let forms = if rooted {
            let mut f = vec![pattern.to_string()];
            if !pattern.ends_with("**") {
                f.push(format!("{pattern}/**"));
            }
            f
        } else {
            vec![format!("**/{pattern}")]
        };
        for form in forms {
            let glob = globset::GlobBuilder::new(&form)
                .literal_separator(true)
                .build()
                .map_err(|e| (raw.clone(), e))?;
            set.add(glob);
        }
    }
    set.build().map_err(|e| (String::new(), e))
}

/// Whether `path` matches the `exclude` glob `pattern` (see [`compile_globs`]).
#[cfg(test)]
fn glob_match(pattern: &str, path: &str) -> bool {
    compile_globs(&[pattern.to_string()]).is_ok_and(|g| g.is_match(path))
}

#[cfg(test)]
mod tests {
    use super::{compile_globs, glob_match};

    #[test]
    fn globs() {
        assert!(glob_match("*.rs", "src/a.rs"));
        assert!(glob_match("src/**/*.rs", "src/a/b/c.rs"));
        assert!(glob_match("src/**/*.rs", "src/c.rs"));
        assert!(!glob_match("src/*.rs", "src/a/c.rs"));
        assert!(glob_match("tests/generated", "tests/generated/x.rs"));
        assert!(glob_match("gen_??.rs", "a/gen_01.rs"));
        assert!(!glob_match("benches/**", "src/benches.rs"));
        assert!(glob_match("src/{gen,proto}/*.rs", "src/proto/a.rs"));
        assert!(glob_match("./target/", "target/x/y.rs"));
        assert!(compile_globs(&["src/[a-".into()]).is_err());
    }

    #[test]
    fn pathological_globs_match_in_linear_time() {
        let name = format!("{}.rs", "a".repeat(200));
        let start = std::time::Instant::now();
        assert!(!glob_match("*a*a*a*a*a*a*a*a*b", &name));
        // The backtracking matcher this replaced took 78 s per file on such a pattern.
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }
}
