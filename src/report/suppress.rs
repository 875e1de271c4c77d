//! Inline suppressions. rustc rejects `#[allow(unknown_tool::lint)]`, so suppressions are
//! comments, as with ruff's `noqa`:
//!
//! - `// async-lint: allow(lint_a, lint_b)` at the end of a line silences that line;
//! - on a line of its own it silences the next code line, or the whole item (fn, impl, mod,
//!   trait) that starts there;
//! - `//! async-lint: allow(..)` silences the whole file;
//! - a reason may follow ` -- `.
//!
//! Clippy's allows (`#[allow(..)]` or `#[expect(..)]`) of the lints that mean the same, on an
//! item or a statement, silence ours in it: `clippy::await_holding_lock` (`lock_across_await`),
//! `clippy::await_holding_refcell_ref` (`refcell_across_await`), `clippy::let_underscore_future`
//! (`unawaited_future`) and `clippy::future_not_send` (`non_send_across_await`); the walker
//! finds them ([`crate::kb::clippy_equivalent`]). rustc's `unused_must_use` (or `unused`)
//! silences `unawaited_future` on the futures dropped as expression statements under it, the
//! form it warns about ([`crate::kb::allows_dropped_statements`]): the walker records one
//! suppression per such statement.

use crate::lints::diag::{Diagnostic, Level};
use crate::lints::lint::Group;
use crate::lints::registry;
use crate::lints::unused_suppression::UNUSED_SUPPRESSION;
use crate::syntax::source::{FileId, Loc};

/// Where a suppression applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Lines(usize, usize),
    File,
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub file: FileId,
    /// The comment itself (for `unused_suppression`).
    pub loc: Loc,
    pub lints: Vec<String>,
    pub scope: Scope,
    /// Per lint: whether it silenced something.
    pub used: Vec<bool>,
    /// From a clippy `#[allow]` (never reported as unused).
    pub from_clippy: bool,
}

const MARKER: &str = "async-lint:";

/// Finds the suppression comments of a file. `items` are the (first, last) lines of its items.
pub fn scan(file: FileId, text: &str, items: &[(usize, usize)]) -> Vec<Suppression> {
    let mut out = Vec::new();
    if !text.contains(MARKER) {
        return out;
    }
    let lines: Vec<&str> = text.lines().collect();
    let comments = crate::syntax::prescan::prescan(text).line_comments;
    let mut line_starts = Vec::with_capacity(lines.len());
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        line_starts.push(offset);
        offset += raw.len();
    }
    for (i, line) in lines.iter().enumerate() {
        let Some(pos) = line.find(MARKER) else {
            continue;
        };
        let before = &line[..pos];
        let Some(mut slashes) = before.rfind("//") else {
            continue;
        };
        // The start of that comment's slashes (`///`, `//!`).
        while slashes > 0 && before.as_bytes()[slashes - 1] == b'/' {
            slashes -= 1;
        }
        // The marker must be in a real line comment that starts here: not in a string
        // literal, a block comment, or the text of another comment (``/// write `// async-lint:
        // allow(x)` here``), as the prescan's lexer finds them.
        if comments.binary_search(&(line_starts[i] + slashes)).is_err() {
            continue;
        }
        let comment_start = &before[slashes..];
        // Only a comment's own marker: `//`, `///`, `//!` followed by spaces.
        if !comment_start
            .trim_start_matches('/')
            .trim_start_matches('!')
            .trim()
            .is_empty()
        {
            continue;
        }
        let rest = line[pos + MARKER.len()..].trim_start();
        let Some(args) = rest.strip_prefix("allow(") else {
            continue;
        };
        let Some(close) = args.find(')') else {
            continue;
        };
        let lints: Vec<String> = args[..close]
            .split(',')
            .map(|l| {
                l.trim()
                    .trim_start_matches("async_lint::")
                    .replace('-', "_")
            })
            .filter(|l| !l.is_empty())
            .collect();
        if lints.is_empty() {
            continue;
        }
        let line_no = i + 1;
        let code_before = !line[..slashes].trim().is_empty();
        let scope = if comment_start.starts_with("//!") && !code_before {
            Scope::File
        } else if code_before {
            Scope::Lines(line_no, line_no)
        } else {
            // The next line that is code (not a comment or an attribute).
            let next = (i + 1..lines.len()).find(|&j| {
                let t = lines[j].trim_start();
                !t.is_empty() && !t.starts_with("//") && !t.starts_with("#[")
            });
            match next {
                Some(j) => {
                    let n = j + 1;
                    match items.iter().filter(|(s, _)| *s == n).map(|(_, e)| *e).max() {
                        Some(end) => Scope::Lines(n, end),
                        None => Scope::Lines(n, n),
                    }
                }
                None => Scope::Lines(line_no, line_no),
            }
        };
        let col = line[..slashes].chars().count() + 1;
        let loc = Loc {
            lo: 0,
            hi: 0,
            line: line_no,
            col,
            end_line: line_no,
            end_col: line.chars().count() + 1,
        };
        let used = vec![false; lints.len()];
        out.push(Suppression {
            file,
            loc,
            lints,
            scope,
            used,
            from_clippy: false,
        });
    }
    out
}

/// Removes suppressed diagnostics, marking the suppressions that were used.
pub fn apply(diags: &mut Vec<Diagnostic>, sups: &mut [Suppression]) {
    diags.retain(|d| {
        let p = d.primary();
        let mut silenced = false;
        for s in sups.iter_mut().filter(|s| s.file == p.file) {
            let covers = match s.scope {
                Scope::File => true,
                Scope::Lines(a, b) => (a..=b).contains(&p.loc.line),
            };
            if !covers {
                continue;
            }
            for (i, l) in s.lints.iter().enumerate() {
                if l == d.lint
                    || l == "all"
                    || registry::find(d.lint).is_some_and(|m| m.group.as_str() == l)
                {
                    s.used[i] = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
}

/// `unused_suppression` findings: suppressions (or lints in them) that silenced nothing, for
/// lints that ran (a suppression of an allowed lint is not unused, just idle).
pub fn unused(sups: &[Suppression], level_of: impl Fn(&str) -> Level) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for s in sups.iter().filter(|s| !s.from_clippy) {
        for (lint, used) in s.lints.iter().zip(&s.used) {
            if *used {
                continue;
            }
            let known =
                registry::find(lint).is_some() || lint == "all" || Group::parse(lint).is_some();
            let ran = registry::find(lint).is_none_or(|m| level_of(m.name) != Level::Allow);
            if known && !ran {
                continue;
            }
            let message = if known {
                format!("this suppression of `{lint}` silences nothing")
            } else {
                let hint = registry::suggest(lint)
                    .map(|h| format!(" (did you mean `{h}`?)"))
                    .unwrap_or_default();
                format!("unknown lint `{lint}` in a suppression{hint}")
            };
            out.push(
                Diagnostic::new(UNUSED_SUPPRESSION.name, s.file, s.loc, message)
                    .label("remove it, or fix the lint name")
                    .help("suppressions that silence nothing hide nothing today but may hide a real finding tomorrow"),
            );
        }
    }
    out
}
