//! The output formats: which one a run writes ([`Format`]), and the word every format shows for a
//! level ([`level_word`]). The format files build on it.

use crate::lints::diag::Level;

/// How findings are written (`--message-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Short,
    Json,
    Sarif,
    Github,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "human" => Some(Format::Human),
            "short" => Some(Format::Short),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "github" => Some(Format::Github),
            _ => None,
        }
    }
}

/// `error` or `warning`, as rustc and cargo write a level.
pub fn level_word(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        _ => "warning",
    }
}
