//! `--fix`: applies machine-applicable suggestions. A file is only written when the result
//! still parses, the file has not changed since it was read, and then atomically (a temporary
//! file in the same directory, renamed over the original, keeping its permissions). `--diff`
//! prints a unified diff instead and writes nothing. Nothing else ever writes to a user's file.
//! It reads the fixes of a [`Report`] and hands back an [`Outcome`] per file.

use crate::lints::diag::Edit;
use crate::report::results::Report;
use crate::util::fs::write_atomically;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What happened to one file.
#[derive(Debug)]
pub enum Outcome {
    /// `edits`: how many findings were fixed.
    Fixed {
        path: PathBuf,
        edits: usize,
        diff: String,
    },
    Skipped {
        path: PathBuf,
        why: String,
    },
}

/// Applies the fixes of every reported finding. With `dry_run`, nothing is written and the
/// outcomes carry diffs.
pub fn apply(report: &Report, dry_run: bool) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for pkg in &report.packages {
        // Edits by file, in order.
        let mut by_file: BTreeMap<usize, (usize, Vec<&Edit>)> = BTreeMap::new();
        for d in pkg.diagnostics.iter().filter(|d| !d.fix.is_empty()) {
            let entry = by_file.entry(d.fix[0].file).or_default();
            entry.0 += 1;
            entry.1.extend(&d.fix);
        }
        for (file, (findings, edits)) in by_file {
            let f = &pkg.files[file];
            let mut o = fix_file(&f.path, &f.display, &f.text, edits, dry_run);
            if let Outcome::Fixed { edits, .. } = &mut o {
                *edits = findings;
            }
            outcomes.push(o);
        }
    }
    outcomes
}

fn fix_file(
    path: &Path,
    display: &str,
    original: &str,
    mut edits: Vec<&Edit>,
    dry_run: bool,
) -> Outcome {
    let skipped = |why: String| Outcome::Skipped {
        path: path.to_path_buf(),
        why,
    };
    // Refuse to touch a file that changed since it was read.
    match std::fs::read(path) {
        Ok(now) if now == original.as_bytes() => {}
        Ok(_) => return skipped("the file changed since it was read".into()),
        Err(e) => return skipped(format!("cannot read it again: {e}")),
    }
    // Apply from the end so offsets stay valid; overlapping edits are left out.
    edits.sort_by_key(|e| std::cmp::Reverse((e.loc.lo, e.loc.hi)));
    let mut text = original.to_string();
    let mut applied = 0;
    let mut floor = usize::MAX;
    for e in edits {
        let (lo, hi) = (e.loc.lo, e.loc.hi);
        if hi > floor
            || lo > hi
            || hi > text.len()
            || !text.is_char_boundary(lo)
            || !text.is_char_boundary(hi)
        {
            continue;
        }
        text.replace_range(lo..hi, &e.replacement);
        floor = lo;
        applied += 1;
    }
    if applied == 0 || text == original {
        return skipped("no applicable edit".into());
    }
    if let Err(e) = syn::parse_file(text.trim_start_matches('\u{feff}')) {
        return skipped(format!(
            "the fixed file would not parse ({e}); left untouched"
        ));
    }
    let diff = unified_diff(display, original, &text);
    if !dry_run && let Err(e) = write_atomically(path, text.as_bytes()) {
        return skipped(format!("cannot write it: {e}"));
    }
    Outcome::Fixed {
        path: path.to_path_buf(),
        edits: applied,
        diff,
    }
}

/// A unified diff with three lines of context.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    if a.len() != b.len() {
        // Fixes never add or remove lines; should one, show the whole file.
        out.push_str(&format!("@@ -1,{} +1,{} @@\n", a.len(), b.len()));
        a.iter().for_each(|l| push_line(&mut out, '-', l));
        b.iter().for_each(|l| push_line(&mut out, '+', l));
        return out;
    }
    let changed: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(3);
        let mut end = (changed[i] + 4).min(a.len());
        let mut j = i + 1;
        while j < changed.len() && changed[j] <= end + 3 {
            end = (changed[j] + 4).min(a.len());
            j += 1;
        }
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            start + 1,
            end - start,
            start + 1,
            end - start
        ));
        for k in start..end {
            if a[k] == b[k] {
                push_line(&mut out, ' ', a[k]);
            } else {
                push_line(&mut out, '-', a[k]);
                push_line(&mut out, '+', b[k]);
            }
        }
        i = j;
    }
    out
}

fn push_line(out: &mut String, sign: char, line: &str) {
    out.push(sign);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

/// Whether `--fix` may write in `dir`, as `cargo fix` decides: inside a git working tree
/// without uncommitted changes to tracked files (`allow_dirty` lifts that), and not outside
/// version control at all unless `allow_no_vcs`: the edits must be easy to review and undo.
/// The error lists the dirty files.
pub fn vcs_allows(dir: &Path, allow_dirty: bool, allow_no_vcs: bool) -> Result<(), String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let in_repo = git(&["rev-parse", "--is-inside-work-tree"])
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true");
    if !in_repo {
        return if allow_no_vcs {
            Ok(())
        } else {
            Err(format!(
                "no git working tree found at {}, and `--fix` rewrites files: commit them to \
                 git first, or pass `--allow-no-vcs` to fix anyway",
                dir.display()
            ))
        };
    }
    if allow_dirty {
        return Ok(());
    }
    let status = git(&["status", "--porcelain", "--untracked-files=no"])
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let dirty: Vec<&str> = status.lines().filter_map(|l| l.get(3..)).collect();
    if dirty.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the git working tree has uncommitted changes, and `--fix` rewrites files: commit or \
         stash them first, or pass `--allow-dirty` to fix anyway:\n  {}",
        dirty.join("\n  ")
    ))
}
