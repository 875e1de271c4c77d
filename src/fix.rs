//! `--fix`: applies machine-applicable suggestions. A file is only written when the result
//! still parses, the file has not changed since it was read, and then atomically (a temporary
//! file in the same directory, renamed over the original, keeping its permissions). `--diff`
//! prints a unified diff instead and writes nothing. Nothing else ever writes to a user's file.
//! It reads the fixes of a [`Report`] and hands back an [`Outcome`] per file.

use crate::lints::diag::Edit;
use crate::report::results::Report;
use crate::util::fs::{remove_stale_temporaries, replace_atomically};
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
        // Files are written only inside the workspace or the package (a `#[path]` module may
        // live anywhere).
        let roots = [report.root.as_path(), pkg.package.dir.as_path()]
            .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.to_path_buf()));
        for (file, (findings, edits)) in by_file {
            let f = &pkg.files[file];
            let mut o = fix_file(&f.path, &f.display, &f.text, edits, dry_run, &roots);
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
    roots: &[PathBuf],
) -> Outcome {
    let skipped = |why: String| Outcome::Skipped {
        path: path.to_path_buf(),
        why,
    };
    // A symbolic link is fixed in its target, and stays a link.
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(e) => return skipped(format!("cannot resolve it: {e}")),
    };
    if !roots.iter().any(|r| target.starts_with(r)) {
        return skipped(format!(
            "it is outside the workspace ({}); left untouched",
            target.display()
        ));
    }
    let Ok(before) = std::fs::metadata(&target) else {
        return skipped("cannot read its metadata".into());
    };
    if before.permissions().readonly() {
        return skipped("it is read-only; left untouched".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if before.nlink() > 1 {
            return skipped(format!(
                "it has {} hard links, which a replaced file would no longer share; left untouched",
                before.nlink()
            ));
        }
    }
    // Refuse to touch a file that changed since it was read.
    match std::fs::read(&target) {
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
    if !dry_run {
        remove_stale_temporaries(&target);
        // Right before the rename: still the file that was read (same size, modification time
        // and inode)? A write in the last instant before the rename is not seen (README).
        let same = |now: &std::fs::Metadata| same_file_state(&before, now);
        if let Err(e) = replace_atomically(&target, text.as_bytes(), same) {
            return skipped(format!("cannot write it: {e}"));
        }
    }
    Outcome::Fixed {
        path: path.to_path_buf(),
        edits: applied,
        diff,
    }
}

/// Whether two looks at a file's metadata show the same file, unmodified.
fn same_file_state(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (a.ino(), a.dev()) != (b.ino(), b.dev()) {
            return false;
        }
    }
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
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
