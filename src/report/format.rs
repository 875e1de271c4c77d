//! The output formats: which one a run writes ([`Format`]), and the word every format shows for a
//! level ([`level_word`]). The format files build on it.

use crate::lints::diag::Level;

/// How findings are written (`--message-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Short,
    /// Cargo's JSON messages, each diagnostic's `rendered` text as [`Rendered`] says.
    Json(Rendered),
    /// `json-render-diagnostics`: diagnostics rendered for people on stderr, cargo's other JSON
    /// messages (the final `build-finished`) on stdout.
    JsonRenderDiagnostics,
    Sarif,
    Github,
}

/// The `rendered` text of a JSON diagnostic, as cargo's `--message-format` modifiers ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rendered {
    /// The human form, without colour (`json`).
    Plain,
    /// The human form with ANSI colour codes (`json-diagnostic-rendered-ansi`, what
    /// rust-analyzer passes).
    Ansi,
    /// The one-line form (`json-diagnostic-short`).
    Short,
}

/// The values `--message-format` takes: ours, and cargo's (which may also be given
/// comma-separated, as `json,json-diagnostic-short`).
pub const FORMATS: &[&str] = &[
    "human",
    "short",
    "json",
    "sarif",
    "github",
    "json-diagnostic-short",
    "json-diagnostic-rendered-ansi",
    "json-render-diagnostics",
];

impl Format {
    /// A `--message-format` value; `Err` names what is wrong.
    pub fn parse(s: &str) -> Result<Format, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if let Some(bad) = parts.iter().find(|p| !FORMATS.contains(p)) {
            return Err(format!(
                "invalid value `{bad}` for `--message-format` (possible values: {})",
                FORMATS.join(", ")
            ));
        }
        let json = |p: &&str| p.starts_with("json");
        if parts.len() > 1 && !parts.iter().all(json) {
            return Err(format!(
                "`--message-format {s}`: only the JSON forms combine (as cargo's `json,json-diagnostic-short`)"
            ));
        }
        let has = |v: &str| parts.contains(&v);
        Ok(if has("json-render-diagnostics") {
            Format::JsonRenderDiagnostics
        } else if has("json-diagnostic-rendered-ansi") {
            Format::Json(Rendered::Ansi)
        } else if has("json-diagnostic-short") {
            Format::Json(Rendered::Short)
        } else {
            match parts[0] {
                "short" => Format::Short,
                "json" => Format::Json(Rendered::Plain),
                "sarif" => Format::Sarif,
                "github" => Format::Github,
                _ => Format::Human,
            }
        })
    }
}

/// `error` or `warning`, as rustc and cargo write a level.
pub fn level_word(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        _ => "warning",
    }
}

/// A displayed path in the form CI tools read: `/`-separated. Only on Windows is `\\` a
/// separator; elsewhere it is a character of the file's name (`back\\slash.rs`) and stays.
pub fn slash_path(display: &str) -> String {
    if cfg!(windows) {
        display.replace('\\', "/")
    } else {
        display.to_string()
    }
}

/// A path as the path of a URI (RFC 3986): every byte but the unreserved characters and `/`
/// percent-encoded (spaces, `%`, `#`, `?`, `:`, non-ASCII text).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `file://` URI for an absolute path (a drive letter on Windows: `file:///C:/..`).
pub fn file_uri(path: &std::path::Path) -> String {
    let p = slash_path(&path.to_string_lossy());
    let p = if p.starts_with('/') {
        p
    } else {
        format!("/{p}")
    };
    // A drive's colon stays as it is (`file:///C:/src`), as in every SARIF producer.
    match p.get(1..3) {
        Some(d) if cfg!(windows) && d.ends_with(':') => {
            format!("file:///{}{}", d, uri_path(&p[3..]))
        }
        _ => format!("file://{}", uri_path(&p)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_encode_what_a_uri_cannot_hold() {
        assert_eq!(
            uri_path("src/a b/é%#:?.rs"),
            "src/a%20b/%C3%A9%25%23%3A%3F.rs"
        );
        assert_eq!(uri_path("src/lib.rs"), "src/lib.rs");
        #[cfg(unix)]
        {
            assert_eq!(slash_path("src/back\\slash.rs"), "src/back\\slash.rs");
            assert_eq!(uri_path(&slash_path("back\\slash.rs")), "back%5Cslash.rs");
            assert_eq!(
                file_uri(std::path::Path::new("/w/my repo")),
                "file:///w/my%20repo"
            );
        }
    }
}
