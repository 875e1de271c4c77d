//! The lint registry: one list of every lint, its group, default level and documentation.
//!
//! Lints are declared with [`declare_lint!`], which captures the doc comment written above the
//! declaration (What it does / Why is this bad? / Known problems / Example / Use instead) so that
//! `--explain` prints exactly what the source documents.

use std::fmt;

/// How a finding is reported.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" | "forbid" => Some(Level::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lint groups, as Clippy names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Code that is outright wrong: it panics, deadlocks or silently does nothing.
    Correctness,
    /// Code that is very likely wrong.
    Suspicious,
    /// Stricter checks that some codebases want; allowed by default.
    Pedantic,
}

impl Group {
    pub const ALL: [Group; 3] = [Group::Correctness, Group::Suspicious, Group::Pedantic];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Correctness => "correctness",
            Group::Suspicious => "suspicious",
            Group::Pedantic => "pedantic",
        }
    }

    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Static description of one lint.
#[derive(Debug)]
pub struct LintMeta {
    pub name: &'static str,
    pub group: Group,
    pub default_level: Level,
    pub summary: &'static str,
    pub docs: &'static str,
}

/// Declares a lint: `declare_lint! { /// docs... pub NAME, name, group, Level, "summary" }`.
#[macro_export]
macro_rules! declare_lint {
    ($(#[doc = $doc:literal])* $vis:vis $ident:ident, $name:ident, $group:ident, $level:ident, $summary:literal) => {
        $vis static $ident: $crate::registry::LintMeta = $crate::registry::LintMeta {
            name: stringify!($name),
            group: $crate::registry::group_of(stringify!($group)),
            default_level: $crate::registry::Level::$level,
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
        };
    };
}

/// Used by [`declare_lint!`]; a misspelt group fails at compile time (const evaluation).
pub const fn group_of(s: &str) -> Group {
    match s.as_bytes() {
        b"correctness" => Group::Correctness,
        b"suspicious" => Group::Suspicious,
        b"pedantic" => Group::Pedantic,
        _ => panic!("unknown lint group"),
    }
}

/// A diagnostic that is not a lint finding but is reported like one (a file that does not parse).
pub static PARSE_ERROR: LintMeta = LintMeta {
    name: "parse_error",
    group: Group::Correctness,
    default_level: Level::Deny,
    summary: "a file could not be read or parsed, so it was not checked",
    docs: " ### What it does\n A file could not be read (it is not UTF-8, or reading it failed) or \
           it is not valid Rust, so none of its code was checked.\n\n ### Why is this bad?\n \
           Findings in that file would go unreported.\n",
};

/// Every lint, in the order `--list` prints them.
pub fn all() -> &'static [&'static LintMeta] {
    crate::lints::ALL_META
}

/// Looks a lint up by name (accepting `async_lint::name` and dashes for underscores).
pub fn find(name: &str) -> Option<&'static LintMeta> {
    let name = name
        .strip_prefix("async_lint::")
        .unwrap_or(name)
        .replace('-', "_");
    all().iter().copied().find(|l| l.name == name)
}

/// The closest lint or group name, for "did you mean" messages.
pub fn suggest(name: &str) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    let candidates = all()
        .iter()
        .map(|l| l.name)
        .chain(Group::ALL.iter().map(|g| g.as_str()))
        .chain(std::iter::once("all"));
    for cand in candidates {
        let d = edit_distance(name, cand);
        if d <= cand.len().max(3) / 3 + 1 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The effective level of every lint after command-line (and later config) adjustments.
#[derive(Clone, Debug)]
pub struct Levels {
    levels: Vec<(&'static str, Level)>,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            levels: all().iter().map(|l| (l.name, l.default_level)).collect(),
        }
    }
}

impl Levels {
    pub fn get(&self, name: &str) -> Level {
        self.levels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, l)| *l)
            .unwrap_or(Level::Deny)
    }

    /// Applies `-A/-W/-D spec`, where spec is a lint, a group or `all`. Later calls win.
    pub fn apply(&mut self, spec: &str, level: Level) -> Result<(), String> {
        let spec = spec
            .strip_prefix("async_lint::")
            .unwrap_or(spec)
            .replace('-', "_");
        if spec == "all" {
            for (_, l) in &mut self.levels {
                *l = level;
            }
            return Ok(());
        }
        if let Some(group) = Group::parse(&spec) {
            for (name, l) in &mut self.levels {
                if find(name).is_some_and(|m| m.group == group) {
                    *l = level;
                }
            }
            return Ok(());
        }
        if let Some(meta) = find(&spec) {
            for (name, l) in &mut self.levels {
                if *name == meta.name {
                    *l = level;
                }
            }
            return Ok(());
        }
        let hint = suggest(&spec)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        Err(format!(
            "unknown lint or group `{spec}`{hint}; `cargo async-lint --list` shows them all"
        ))
    }
}
