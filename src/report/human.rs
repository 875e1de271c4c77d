//! The text formats, one finding at a time: `human` (rustc-style, codespan-reporting), `short`
//! (one line) and `github` (a workflow command). The JSON format embeds the human text.

use super::format::level_word;
use super::results::PackageReport;
use crate::lints::diag::{Diagnostic, Level};
use crate::lints::lint::PARSE_ERROR;
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};
use std::collections::HashMap;

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
