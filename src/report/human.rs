//! The text formats, one finding at a time: `human` (rustc-style, codespan-reporting), `short`
//! (one line) and `github` (a workflow command). The JSON format embeds the human text (without
//! the snippets of dependencies' sources).

use super::format::level_word;
use super::results::PackageReport;
use crate::lints::diag::{Diagnostic, Level};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel, Severity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor::Buffer};
use std::ops::Range;
use std::path::Path;

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
    // The call chain and the other notes, as the human form prints them.
    for n in &d.notes {
        msg.push_str(&format!("\nnote: {n}"));
    }
    for h in &d.helps {
        msg.push_str(&format!("\nhelp: {h}"));
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        level_word(d.level),
        prop(&crate::report::format::slash_path(
            &pkg.files[p.file].display
        )),
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

/// A file outside the package that a finding points into (a dependency's source), read from
/// disk when the finding is rendered.
struct ExtraFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

/// The files of a package as codespan-reporting reads them, through each file's line index
/// (computed once per file, not once per diagnostic: rendering stays linear in findings), then
/// the diagnostic's files outside the package (ids from `pkg.files.len()` on).
struct PackageFiles<'a> {
    pkg: &'a PackageReport,
    extra: Vec<ExtraFile>,
}

impl PackageFiles<'_> {
    /// The file's display name, text and line starts.
    fn get(&self, id: usize) -> Result<(&str, &str, &[usize]), FilesError> {
        if let Some(f) = self.pkg.files.get(id) {
            return Ok((&f.display, &f.text, f.line_starts()));
        }
        let f = self
            .extra
            .get(id - self.pkg.files.len())
            .ok_or(FilesError::FileMissing)?;
        Ok((&f.name, &f.text, &f.line_starts))
    }
}

impl<'a> Files<'a> for PackageFiles<'a> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.get(id)?.0)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, FilesError> {
        Ok(self.get(id)?.1)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, FilesError> {
        let starts = self.get(id)?.2;
        Ok(starts
            .partition_point(|&s| s <= byte_index)
            .saturating_sub(1))
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<Range<usize>, FilesError> {
        let (_, text, starts) = self.get(id)?;
        let start = |i: usize| match i.cmp(&starts.len()) {
            std::cmp::Ordering::Less => Ok(starts[i]),
            std::cmp::Ordering::Equal => Ok(text.len()),
            std::cmp::Ordering::Greater => Err(FilesError::LineTooLarge {
                given: i,
                max: starts.len() - 1,
            }),
        };
        Ok(start(line_index)?..start(line_index + 1)?)
    }
}

/// The span a label on 1-based line `line` of `text` covers: the name after `fn` (the line of
/// a dependency's function is the line of its name), else the line without its indentation.
/// `None` when the file has no such line.
fn line_span(text: &str, line: usize) -> Option<Range<usize>> {
    let start = match line {
        0 => return None,
        1 => 0,
        _ => memchr::memchr_iter(b'\n', text.as_bytes()).nth(line - 2)? + 1,
    };
    let rest = &text[start..];
    let body = rest.split('\n').next().unwrap_or_default().trim_end();
    let ident = |s: &str| {
        s.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    let mut from = 0;
    while let Some(i) = body[from..].find("fn").map(|i| i + from) {
        let before = body[..i].chars().next_back();
        let after = &body[i + 2..];
        let name = after.trim_start();
        let raw = if name.starts_with("r#") { 2 } else { 0 };
        let len = ident(&name[raw..]);
        if !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && after.starts_with(char::is_whitespace)
            && len > 0
        {
            let at = start + (body.len() - name.len());
            return Some(at..at + raw + len);
        }
        from = i + 2;
    }
    let trimmed = body.trim_start();
    if trimmed.is_empty() {
        return None;
    }
    let at = start + (body.len() - trimmed.len());
    Some(at..at + trimmed.len())
}

/// Renders one diagnostic like rustc, with codespan-reporting: the package's files only (the
/// `rendered` text of the JSON format).
pub fn render_human(pkg: &PackageReport, d: &Diagnostic, color: bool) -> String {
    render(pkg, d, color, None)
}

/// Renders one diagnostic like rustc for `--message-format human`: also the places in a
/// dependency's source whose file can be read, as rustc shows spans in other crates. Their path
/// is relative to the workspace `root` when the file is below it, else absolute (as cargo has
/// rustc print a registry crate's paths).
pub fn render_human_with_deps(
    root: &Path,
    pkg: &PackageReport,
    d: &Diagnostic,
    color: bool,
) -> String {
    render(pkg, d, color, Some(root))
}

fn render(pkg: &PackageReport, d: &Diagnostic, color: bool, root: Option<&Path>) -> String {
    let mut files = PackageFiles {
        pkg,
        extra: Vec::new(),
    };
    let mut labels: Vec<CsLabel<usize>> = d
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
    for e in d.external.iter().filter(|_| root.is_some()) {
        let Ok(text) = std::fs::read_to_string(&e.path) else {
            continue;
        };
        let Some(span) = line_span(&text, e.line) else {
            continue;
        };
        let name = root
            .and_then(|r| e.path.strip_prefix(r).ok())
            .unwrap_or(&e.path)
            .to_string_lossy()
            .into_owned();
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        let id = pkg.files.len() + files.extra.len();
        labels.push(CsLabel::secondary(id, span).with_message(e.message.clone()));
        files.extra.push(ExtraFile {
            name,
            text,
            line_starts,
        });
    }
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    notes.extend(d.helps.iter().map(|h| format!("help: {h}")));
    let more = crate::report::catalogue::lint_url(d.lint)
        .map(|u| format!(" or see {u}"))
        .unwrap_or_default();
    notes.push(format!(
        "note: `{}` is set to `{}`; run `cargo async-lint --explain {}`{more} for details",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::source::{Loc, SourceFile};
    use crate::workspace::discover::Package;
    use std::path::PathBuf;

    fn report(text: &str) -> PackageReport {
        PackageReport {
            package: Package {
                name: "app".into(),
                id: "app".into(),
                manifest: None,
                dir: PathBuf::from("app"),
                edition: "2021".into(),
                targets: Vec::new(),
                seeds: Vec::new(),
                follow_mods: true,
                report_only: None,
                deps: Vec::new(),
                features: Vec::new(),
                enabled_features: None,
            },
            files: vec![SourceFile {
                path: PathBuf::from("app/src/lib.rs"),
                display: "app/src/lib.rs".into(),
                text: text.into(),
                target: 0,
                line_starts: Default::default(),
            }],
            diagnostics: Vec::new(),
            unreadable: 0,
            files_checked: 1,
            missed_modules: Vec::new(),
        }
    }

    fn finding(dep: &Path, line: usize) -> Diagnostic {
        let loc = Loc {
            lo: 22,
            hi: 36,
            line: 2,
            col: 5,
            end_line: 2,
            end_col: 19,
        };
        Diagnostic::new("blocking_in_async", 0, loc, "`dep::create` blocks")
            .label("this call blocks")
            .external(dep, line, "`dep::create` is defined here")
    }

    const APP: &str = "async fn f() {\n    dep::create(\"a\");\n}\n";

    #[test]
    fn a_dependency_line_is_a_secondary_snippet() {
        let dir = crate::util::scratch::Scratch::new("human");
        dir.write(
            "dep-1.0.0/src/lib.rs",
            "use std::fs;\n\n    pub fn r#create(p: &str) {\n",
        );
        let file = dir.join("dep-1.0.0/src/lib.rs");
        let pkg = report(APP);
        let d = finding(&file, 3);
        // Below the root: relative to it, the label on the function's name.
        let text = render_human_with_deps(&dir, &pkg, &d, false);
        assert!(
            text.contains(
                "  ┌─ dep-1.0.0/src/lib.rs:3:12\n  │\n3 │     pub fn r#create(p: &str) {\n  │            -------- `dep::create` is defined here\n"
            ),
            "{text}"
        );
        // Elsewhere: the absolute path, as rustc prints a registry crate's files.
        let text = render_human_with_deps(Path::new("/nowhere"), &pkg, &d, false);
        assert!(
            text.contains(&format!("┌─ {}:3:12", file.display())),
            "{text}"
        );
        // A line the file does not have, or a file that cannot be read: as without it.
        for d in [finding(&file, 9), finding(&dir.join("gone.rs"), 3)] {
            assert_eq!(
                render_human_with_deps(&dir, &pkg, &d, false),
                render_human(&pkg, &d, false)
            );
        }
        assert!(!render_human(&pkg, &d, false).contains("dep-1.0.0"));
    }

    #[test]
    fn line_spans() {
        let text = "fn a() {}\n  // fnord\n\tpub(crate) async fn b_2<T>() {}\n  \nx";
        let span = |line| line_span(text, line).map(|r| &text[r]);
        assert_eq!(span(1), Some("a"));
        assert_eq!(span(2), Some("// fnord"));
        assert_eq!(span(3), Some("b_2"));
        assert_eq!(span(4), None);
        assert_eq!(span(5), Some("x"));
        assert_eq!(span(6), None);
        assert_eq!(span(0), None);
    }
}
