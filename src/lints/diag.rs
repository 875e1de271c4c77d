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

/// A lint's name, as the catalogue spells it.
pub type LintName = &'static str;
