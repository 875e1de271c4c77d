//! The results of a run: the findings of every package ([`PackageReport`]) with the text of the
//! files they point into, and a finding's [`fingerprint`]. The engine (or the result cache)
//! makes them; baselines, fixes and the output formats read them.

use crate::lints::diag::Diagnostic;
use crate::syntax::source::SourceFile;
use crate::workspace::discover::Package;
use std::path::PathBuf;

/// The findings of one package, with the text of the files they point into.
#[derive(Debug)]
pub struct PackageReport {
    pub package: Package,
    /// Indexed by `FileId`; the text is kept only for files with diagnostics.
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read at all (exit code 2).
    pub unreadable: usize,
    pub files_checked: usize,
    /// Paths where a `mod` declaration's file was looked for and not found (the result cache
    /// checks they still do not exist).
    pub missed_modules: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct Report {
    pub root: PathBuf,
    pub packages: Vec<PackageReport>,
    /// Given directories that could not be read (reported when found; exit code 2).
    pub unreadable: usize,
}

impl Report {
    pub fn diagnostics(&self) -> impl Iterator<Item = (&PackageReport, &Diagnostic)> {
        self.packages
            .iter()
            .flat_map(|p| p.diagnostics.iter().map(move |d| (p, d)))
    }
}

/// A fingerprint of a finding that survives unrelated line moves: the lint, the file, the
/// enclosing item and the text of the primary line (whitespace-trimmed), not the line number.
/// Used by SARIF `partialFingerprints` and by baselines.
pub fn fingerprint(pkg: &PackageReport, d: &Diagnostic) -> String {
    let p = d.primary();
    let f = &pkg.files[p.file];
    let line = f.line_text(p.loc.line.max(1)).unwrap_or("").trim();
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
