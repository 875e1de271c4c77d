//! The text formats, one finding at a time: `human` (rustc-style, codespan-reporting), `short`
//! (one line) and `github` (a workflow command). The JSON format embeds the human text.

use super::format::level_word;
use super::results::PackageReport;
use crate::lints::diag::{Diagnostic, Level};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor::Buffer};
use std::ops::Range;

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

/// The files of a package as codespan-reporting reads them, through each file's line index
/// (computed once per file, not once per diagnostic: rendering stays linear in findings).
struct PackageFiles<'a>(&'a PackageReport);

impl<'a> Files<'a> for PackageFiles<'a> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.0.files.get(id).ok_or(FilesError::FileMissing)?.display)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(&self.0.files.get(id).ok_or(FilesError::FileMissing)?.text)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        let starts = self
            .0
            .files
            .get(id)
            .ok_or(FilesError::FileMissing)?
            .line_starts();
        Ok(starts
            .partition_point(|&s| s <= byte_index)
            .saturating_sub(1))
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.0.files.get(id).ok_or(FilesError::FileMissing)?;
        let starts = f.line_starts();
        let start = |i: usize| match i.cmp(&starts.len()) {
            std::cmp::Ordering::Less => Ok(starts[i]),
            std::cmp::Ordering::Equal => Ok(f.text.len()),
            std::cmp::Ordering::Greater => Err(FilesError::LineTooLarge {
                given: i,
                max: starts.len() - 1,
            }),
        };
        Ok(start(line_index)?..start(line_index + 1)?)
    }
}

/// Renders one diagnostic like rustc, with codespan-reporting.
pub fn render_human(pkg: &PackageReport, d: &Diagnostic, color: bool) -> String {
    let files = PackageFiles(pkg);
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let text = &pkg.files[l.file].text;
            let (lo, hi) = clamp(text, l.loc.lo, l.loc.hi);
            let label = if l.primary {
                CsLabel::primary(l.file, lo..hi)
            } else {
                CsLabel::secondary(l.file, lo..hi)
            };
            label.with_message(l.message.clone())
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    notes.extend(d.helps.iter().map(|h| format!("help: {h}")));
    notes.push(format!(
        "note: `{}` is set to `{}`; run `cargo async-lint --explain {}` for details",
        d.lint, d.level, d.lint
    ));
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
