//! Output formats: `human` (rustc-style, codespan-reporting), `short` and `json` (cargo's
//! `compiler-message` shape).

use crate::engine::{PackageReport, Report};
use crate::lints::diag::Diagnostic;
use crate::lints::diag::Level;
use crate::lints::lint::PARSE_ERROR;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};
use serde_json::{Value, json};
use std::collections::HashMap;

mod json_out;
pub mod sarif;

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

/// A fingerprint of a finding that survives unrelated line moves: the lint, the file, the
/// enclosing item and the text of the primary line (whitespace-trimmed), not the line number.
/// Used by SARIF `partialFingerprints` and by baselines.
pub fn fingerprint(pkg: &PackageReport, d: &Diagnostic) -> String {
    let p = d.primary();
    let f = &pkg.files[p.file];
    let line = f
        .text
        .lines()
        .nth(p.loc.line.saturating_sub(1))
        .unwrap_or("")
        .trim();
    let key = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}",
        d.lint,
        f.display.replace('\\', "/"),
        d.item,
        line
    );
    // FNV-1a, 64 bits: stable across releases and platforms (unlike std's hasher).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A GitHub Actions workflow command: `::warning file=..,line=..::message`.
pub fn github_line(pkg: &PackageReport, d: &Diagnostic) -> String {
    fn data(s: &str) -> String {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }
    fn prop(s: &str) -> String {
        data(s).replace(':', "%3A").replace(',', "%2C")
    }
    let p = d.primary();
    let mut msg = d.message.clone();
    for h in &d.helps {
        msg.push_str(&format!("\nhelp: {h}"));
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        level_word(d.level),
        prop(&pkg.files[p.file].display.replace('\\', "/")),
        p.loc.line,
        p.loc.col,
        p.loc.end_line,
        p.loc.end_col,
        prop(&format!("async_lint::{}", d.lint)),
        data(&msg)
    )
}

fn severity(level: Level) -> Severity {
    match level {
        Level::Deny => Severity::Error,
        _ => Severity::Warning,
    }
}

pub fn level_word(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        _ => "warning",
    }
}

/// Renders one diagnostic like rustc, with codespan-reporting.
pub fn render_human(pkg: &PackageReport, d: &Diagnostic, color: bool) -> String {
    let mut files = SimpleFiles::new();
    let mut ids: HashMap<usize, usize> = HashMap::new();
    for l in &d.labels {
        ids.entry(l.file).or_insert_with(|| {
            let f = &pkg.files[l.file];
            files.add(f.display.as_str(), f.text.as_str())
        });
    }
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let text = &pkg.files[l.file].text;
            let (lo, hi) = clamp(text, l.loc.lo, l.loc.hi);
            let label = if l.primary {
                CsLabel::primary(ids[&l.file], lo..hi)
            } else {
                CsLabel::secondary(ids[&l.file], lo..hi)
            };
            label.with_message(l.message.clone())
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    notes.extend(d.helps.iter().map(|h| format!("help: {h}")));
    if d.lint != PARSE_ERROR.name {
        notes.push(format!(
            "note: `{}` is set to `{}`; run `cargo async-lint --explain {}` for details",
            d.lint, d.level, d.lint
        ));
    }
    let cs = CsDiagnostic::new(severity(d.level))
        .with_message(d.message.clone())
        .with_code(format!("async_lint::{}", d.lint))
        .with_labels(labels)
        .with_notes(notes);
    let config = term::Config::default();
    let mut buf = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    if term::emit_to_write_style(&mut buf, &config, &files, &cs).is_err() {
        return short_line(pkg, d);
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}

fn clamp(text: &str, lo: usize, hi: usize) -> (usize, usize) {
    let mut lo = lo.min(text.len());
    let mut hi = hi.min(text.len()).max(lo);
    while !text.is_char_boundary(lo) {
        lo -= 1;
    }
    while !text.is_char_boundary(hi) {
        hi += 1;
    }
    (lo, hi)
}

/// `path:line:col: warning: message [async_lint::lint]`
pub fn short_line(pkg: &PackageReport, d: &Diagnostic) -> String {
    let p = d.primary();
    format!(
        "{}:{}:{}: {}: {} [async_lint::{}]\n",
        pkg.files[p.file].display,
        p.loc.line,
        p.loc.col,
        level_word(d.level),
        d.message,
        d.lint
    )
}

/// One JSON object per line, as `cargo --message-format json` writes them.
pub fn json_line(report: &Report, pkg: &PackageReport, d: &Diagnostic) -> String {
    let rendered = render_human(pkg, d, false);
    let v: Value = json_out::compiler_message(report, pkg, d, rendered);
    v.to_string()
}

/// The final line cargo writes in JSON mode.
pub fn json_finished(success: bool) -> String {
    json!({"reason": "build-finished", "success": success}).to_string()
}
