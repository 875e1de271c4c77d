//! `--fix`: applies machine-applicable suggestions. A file is only written when the result
//! still parses, the file has not changed since it was read, and then atomically (a temporary
//! file in the same directory, renamed over the original, keeping its permissions). `--diff`
//! prints a unified diff instead and writes nothing. Nothing else ever writes to a user's file.
//! It reads the fixes of a [`Report`] and hands back an [`Outcome`] per file.

mod imports;

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
        // Each finding's edits, by file.
        let mut by_file: BTreeMap<usize, Vec<&[Edit]>> = BTreeMap::new();
        for d in pkg.diagnostics.iter().filter(|d| !d.fix.is_empty()) {
            by_file.entry(d.fix[0].file).or_default().push(&d.fix);
        }
        // Files are written only inside the workspace or the package (a `#[path]` module may
        // live anywhere).
        let roots = [report.root.as_path(), pkg.package.dir.as_path()]
            .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.to_path_buf()));
        for (file, groups) in by_file {
            let f = &pkg.files[file];
            outcomes.push(fix_file(
                &f.path, &f.display, &f.text, groups, dry_run, &roots,
            ));
        }
    }
    outcomes
}

fn fix_file(
    path: &Path,
    display: &str,
    original: &str,
    groups: Vec<&[Edit]>,
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
    let (text, applied) = edited(original, groups);
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

/// The text with the findings' edits applied, and how many findings that fixed. A finding
/// whose edits overlap an earlier one's, fall outside the text, or need an import that cannot
/// be checked ([`imports`]) is left out whole; imports the fixes leave unused are removed.
fn edited(original: &str, mut groups: Vec<&[Edit]>) -> (String, usize) {
    groups.sort_by_key(|g| g.iter().map(|e| (e.loc.lo, e.loc.hi)).min());
    let valid = |e: &Edit| {
        let (lo, hi) = (e.loc.lo, e.loc.hi);
        lo <= hi
            && hi <= original.len()
            && original.is_char_boundary(lo)
            && original.is_char_boundary(hi)
    };
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut chosen: Vec<Vec<(usize, usize, &str)>> = Vec::new();
    for g in groups {
        let edits: Vec<(usize, usize, &str)> = g
            .iter()
            .map(|e| (e.loc.lo, e.loc.hi, e.replacement.as_str()))
            .collect();
        // Two edits overlap when their ranges intersect, or both insert at one point.
        let clash = |&(lo, hi, _): &(usize, usize, &str)| {
            taken
                .iter()
                .any(|&(a, b)| (lo < b && a < hi) || (lo == hi && a == b && a == lo))
        };
        if g.iter().all(valid) && !edits.iter().any(clash) {
            taken.extend(edits.iter().map(|&(lo, hi, _)| (lo, hi)));
            chosen.push(edits);
        }
    }
    let plan = imports::plan(original, &chosen);
    let mut all: Vec<(usize, usize, &str)> = plan
        .edits
        .iter()
        .map(|(lo, hi, r)| (*lo, *hi, r.as_str()))
        .collect();
    let mut applied = 0;
    for (g, keep) in chosen.iter().zip(&plan.keep) {
        if *keep {
            all.extend(g.iter().copied());
            applied += 1;
        }
    }
    // From the end, so offsets stay valid.
    all.sort_by_key(|&(lo, hi, _)| std::cmp::Reverse((lo, hi)));
    let mut text = original.to_string();
    let mut floor = usize::MAX;
    for (lo, hi, r) in all {
        if hi > floor {
            continue;
        }
        text.replace_range(lo..hi, r);
        floor = lo;
    }
    (text, applied)
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
    let ops = line_diff(&a, &b);
    // Hunks: runs of changes with up to 3 lines of context, merged when 6 or fewer apart.
    let changed: Vec<usize> = (0..ops.len())
        .filter(|&i| !matches!(ops[i], Op::Same(..)))
        .collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(3);
        let mut end = (changed[i] + 4).min(ops.len());
        let mut j = i + 1;
        while j < changed.len() && changed[j] <= end + 3 {
            end = (changed[j] + 4).min(ops.len());
            j += 1;
        }
        // Line numbers of the hunk's first line on each side.
        let (mut la, mut lb) = (1, 1);
        for op in &ops[..start] {
            match op {
                Op::Same(..) => (la, lb) = (la + 1, lb + 1),
                Op::Del(_) => la += 1,
                Op::Add(_) => lb += 1,
            }
        }
        let count = |f: fn(&Op) -> bool| ops[start..end].iter().filter(|o| f(o)).count();
        let na = count(|o| !matches!(o, Op::Add(_)));
        let nb = count(|o| !matches!(o, Op::Del(_)));
        out.push_str(&format!("@@ -{la},{na} +{lb},{nb} @@\n"));
        for op in &ops[start..end] {
            match op {
                Op::Same(k) => push_line(&mut out, ' ', a[*k]),
                Op::Del(k) => push_line(&mut out, '-', a[*k]),
                Op::Add(k) => push_line(&mut out, '+', b[*k]),
            }
        }
        i = j;
    }
    out
}

/// One line of a diff: the same in both (indices in old and new), removed, or added.
enum Op {
    Same(usize),
    Del(usize),
    Add(usize),
}

/// A shortest edit script between two lists of lines (Myers' greedy algorithm: fixes change
/// few lines, so this is near linear); in each change the removed lines come first.
fn line_diff(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let off = n + m + 1;
    let at = |k: isize| (off + k) as usize;
    let mut v = vec![0isize; (2 * off + 1) as usize];
    // `trace[d]`: the furthest x on each diagonal at the start of round d.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut done = false;
    let mut d = 0;
    while !done {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let down = k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]);
            let mut x = if down { v[at(k + 1)] } else { v[at(k - 1)] + 1 };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[at(k)] = x;
            if x >= n && y >= m {
                done = true;
                break;
            }
            k += 2;
        }
        d += 1;
    }
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..trace.len() as isize).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let down = k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]);
        let pk = if down { k + 1 } else { k - 1 };
        let (px, py) = (v[at(pk)], v[at(pk)] - pk);
        let (sx, sy) = if down { (px, py + 1) } else { (px + 1, py) };
        while x > sx && y > sy {
            ops.push(Op::Same((x - 1) as usize));
            x -= 1;
            y -= 1;
        }
        if down {
            ops.push(Op::Add(py as usize));
        } else {
            ops.push(Op::Del(px as usize));
        }
        (x, y) = (px, py);
    }
    while x > 0 && y > 0 {
        ops.push(Op::Same((x - 1) as usize));
        x -= 1;
        y -= 1;
    }
    ops.reverse();
    // Removed lines before added ones within each change.
    let mut i = 0;
    while i < ops.len() {
        let mut j = i;
        while j < ops.len() && !matches!(ops[j], Op::Same(..)) {
            j += 1;
        }
        ops[i..j].sort_by_key(|o| matches!(o, Op::Add(_)));
        i = j + 1;
    }
    ops
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Both sides rebuilt from the script, for pairs of texts that differ in every way a fix
    /// can make them differ (lines changed, removed, both, at the ends, everything).
    #[test]
    fn line_diff_rebuilds_both_sides() {
        let texts = [
            "",
            "a\n",
            "a\nb\nc\n",
            "x\na\nb\nc\n",
            "a\nB\nc\n",
            "a\nc\n",
            "b\nc\nd\ne\n",
            "a\nb\nc",
            "q\nr\n",
        ];
        for old in texts {
            for new in texts {
                let a: Vec<&str> = old.split_inclusive('\n').collect();
                let b: Vec<&str> = new.split_inclusive('\n').collect();
                let ops = line_diff(&a, &b);
                let (mut ra, mut rb) = (String::new(), String::new());
                for op in &ops {
                    match op {
                        Op::Same(k) => {
                            ra.push_str(a[*k]);
                            rb.push_str(a[*k]);
                        }
                        Op::Del(k) => ra.push_str(a[*k]),
                        Op::Add(k) => rb.push_str(b[*k]),
                    }
                }
                assert_eq!((ra.as_str(), rb.as_str()), (old, new));
            }
        }
        // One line removed is one `-` line with its context.
        let d = unified_diff("f", "use a;\nx\ny\n", "x\ny\n");
        assert_eq!(d, "--- a/f\n+++ b/f\n@@ -1,3 +1,2 @@\n-use a;\n x\n y\n");
    }
}
