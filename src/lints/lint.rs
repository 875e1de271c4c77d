//! The vocabulary of a lint: its static description ([`LintMeta`], declared with
//! [`declare_lint!`](crate::declare_lint)) and [`Group`], the [`Lint`] trait and what a lint sees
//! of a crate ([`CrateCx`]). The rule files build on it; the registry lists them.
//!
//! Lints are declared with [`declare_lint!`](crate::declare_lint), which captures the doc comment
//! written above the declaration (What it does / Why is this bad? / Known problems / Example / Use
//! instead) so that `--explain` prints exactly what the source documents.

use super::diag::{Diagnostic, Level};
use crate::analysis::index::CrateIndex;
use crate::syntax::source::SourceFile;
use crate::workspace::discover::Package;

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
        $vis static $ident: $crate::lints::lint::LintMeta = $crate::lints::lint::LintMeta {
            name: stringify!($name),
            group: $crate::lints::lint::group_of(stringify!($group)),
            default_level: $crate::lints::diag::Level::$level,
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

/// A lint's documentation as `--explain` and SARIF show it (doc comments arrive with one
/// leading space per line).
pub fn unindent_docs(docs: &str) -> String {
    docs.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a lint sees of a crate once all its files are indexed.
pub struct CrateCx<'a> {
    pub index: &'a CrateIndex<'a>,
    pub files: &'a [SourceFile],
    /// The package the crate's files belong to (targets, editions, dependencies).
    pub package: &'a Package,
}

/// A lint: hooks with no-op defaults; implement the ones the lint needs.
pub trait Lint: Sync {
    fn meta(&self) -> &'static LintMeta;

    /// Called once per crate after every file has been walked.
    fn check_crate(&self, _cx: &CrateCx<'_>, _out: &mut Vec<Diagnostic>) {}
}
