//! Diagnostics: what every lint produces and every output format renders.

use crate::registry::Level;
use crate::syntax::source::{FileId, Loc};
use serde::{Deserialize, Serialize};

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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    #[serde(
        serialize_with = "lint_name::serialize",
        deserialize_with = "lint_name::deserialize"
    )]
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

/// A lint's name. An alias, so that serde's derive does not take the field for a string borrowed
/// from the input (which would make `Diagnostic` deserializable only from `'static` data).
pub type LintName = &'static str;

/// A lint name as a string (for the result cache), read back as the registry's `&'static str`.
mod lint_name {
    use crate::registry::{self, PARSE_ERROR};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let name = String::deserialize(d)?;
        if name == PARSE_ERROR.name {
            return Ok(PARSE_ERROR.name);
        }
        registry::find(&name)
            .map(|m| m.name)
            .ok_or_else(|| D::Error::custom(format!("unknown lint `{name}`")))
    }
}
