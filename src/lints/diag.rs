//! Diagnostics: what every lint produces ([`Diagnostic`], with its [`Label`]s, fix [`Edit`]s
//! and [`Level`]). Suppressions filter them, the result cache stores them, the output formats
//! render them.

use crate::syntax::source::{FileId, Loc};
use serde::{Deserialize, Serialize};
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

/// A label on a span: the primary one says what is wrong, secondary ones add context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub file: FileId,
    pub loc: Loc,
    pub message: String,
    pub primary: bool,
}

/// A machine-applicable edit: replace `loc` (empty for an insertion) with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub file: FileId,
    pub loc: Loc,
    pub replacement: String,
}

/// A finding. Serialized for the result cache, which reads it back by the lint's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub lint: LintName,
    pub level: Level,
    pub message: String,
    /// The first label is the primary one.
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub helps: Vec<String>,
    /// An optional suggested fix; every edit in it must be applied together.
    pub fix: Vec<Edit>,
    /// The name of the enclosing item (`load_config`, `Server::run`), for fingerprints.
    pub item: String,
    /// Places outside the package's files (a dependency's source), for machine-readable output.
    pub external: Vec<ExternalLabel>,
}

/// A secondary location in a file that is not one of the package's (a dependency's source).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ExternalLabel {
    pub path: std::path::PathBuf,
    pub line: usize,
    pub message: String,
}

impl Diagnostic {
    pub fn new(lint: &'static str, file: FileId, loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            lint,
            level: Level::Warn,
            message: message.into(),
            labels: vec![Label {
                file,
                loc,
                message: String::new(),
                primary: true,
            }],
            notes: Vec::new(),
            helps: Vec::new(),
            fix: Vec::new(),
            item: String::new(),
            external: Vec::new(),
        }
    }

    pub fn label(mut self, msg: impl Into<String>) -> Self {
        self.labels[0].message = msg.into();
        self
    }

    pub fn secondary(mut self, file: FileId, loc: Loc, msg: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            loc,
            message: msg.into(),
            primary: false,
        });
        self
    }

    pub fn note(mut self, msg: impl Into<String>) -> Self {
        self.notes.push(msg.into());
        self
    }

    pub fn help(mut self, msg: impl Into<String>) -> Self {
        self.helps.push(msg.into());
        self
    }

    /// A secondary location in a file outside the package (line 0: none is added).
    pub fn external(mut self, path: &std::path::Path, line: usize, msg: impl Into<String>) -> Self {
        if line > 0 && !path.as_os_str().is_empty() {
            self.external.push(ExternalLabel {
                path: path.to_path_buf(),
                line,
                message: msg.into(),
            });
        }
        self
    }

    /// The way into a dependency: a note with the chain of a derived fact (`name` when the
    /// dependency's file is unknown) and the dependency's file and line as an external location.
    pub fn through_dependency(self, name: &str, derived: &crate::kb::Derived) -> Self {
        let chain: Vec<String> = derived.chain.iter().map(|c| format!("`{c}`")).collect();
        let note = if derived.at.is_empty() {
            format!("call chain: `{name}` -> {}", chain.join(" -> "))
        } else {
            format!(
                "call chain, in the dependency's source ({}): {}",
                derived.at,
                chain.join(" -> ")
            )
        };
        let defined = derived.chain.first().map(String::as_str).unwrap_or(name);
        self.note(note).external(
            &derived.file,
            derived.line,
            format!("`{defined}` is defined here"),
        )
    }

    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.item = item.into();
        self
    }

    pub fn primary(&self) -> &Label {
        &self.labels[0]
    }

    /// Sort key: file, then position, then lint name, so output order is deterministic.
    pub fn sort_key(&self) -> (FileId, usize, usize, &'static str, &str) {
        let p = self.primary();
        (p.file, p.loc.line, p.loc.col, self.lint, &self.message)
    }
}

/// Merges diagnostics that report one finding twice (same lint, same primary label, same
/// message) into the first, which gains the others' secondary labels and notes it lacks. A
/// safety net: a lint reaching one finding by two paths should merge them itself (as the
/// held-value lints do). `diags` must be sorted by [`Diagnostic::sort_key`].
pub fn merge_duplicates(diags: &mut Vec<Diagnostic>) {
    let mut out: Vec<Diagnostic> = Vec::with_capacity(diags.len());
    for d in diags.drain(..) {
        if let Some(prev) = out.last_mut()
            && prev.lint == d.lint
            && prev.message == d.message
            && prev.primary() == d.primary()
        {
            for l in d.labels.into_iter().skip(1) {
                if !prev.labels.contains(&l) {
                    prev.labels.push(l);
                }
            }
            for n in d.notes {
                if !prev.notes.contains(&n) {
                    prev.notes.push(n);
                }
            }
            continue;
        }
        out.push(d);
    }
    *diags = out;
}

/// A lint's name, as the catalogue spells it.
pub type LintName = &'static str;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize) -> Loc {
        Loc {
            line,
            col: 1,
            end_line: line,
            end_col: 2,
            ..Loc::default()
        }
    }

    #[test]
    fn one_finding_reported_twice_is_merged() {
        let d = |await_line| {
            Diagnostic::new("lock_across_await", 0, at(3), "held")
                .secondary(0, at(await_line), "await")
                .note("n")
        };
        let other_message = Diagnostic::new("lock_across_await", 0, at(3), "other");
        let mut diags = vec![d(5), d(5), d(9), other_message.clone()];
        diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        merge_duplicates(&mut diags);
        assert_eq!(diags.len(), 2);
        let merged = diags.iter().find(|d| d.message == "held").unwrap();
        let lines: Vec<usize> = merged.labels.iter().map(|l| l.loc.line).collect();
        assert_eq!(lines, [3, 5, 9]);
        assert_eq!(merged.notes, ["n"]);
        assert!(diags.contains(&other_message));
    }
}
