//! Every fixture file is linted with all lints on; the set of (line, lint) findings must equal
//! the set of `//~ lint` markers exactly, in both directions, and no finding is reported twice.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

/// Fixture units: each loose `.rs` file alone, each `*_crate` directory as a whole.
fn units() -> Vec<PathBuf> {
    let mut units = Vec::new();
    let fixtures = root().join("fixtures");
    for lint_dir in std::fs::read_dir(&fixtures).unwrap() {
        let lint_dir = lint_dir.unwrap().path();
        // `runtime` is built and run; `dependencies` is linted in cargo mode (tests/dependencies.rs).
        if !lint_dir.is_dir() || lint_dir.ends_with("runtime") || lint_dir.ends_with("dependencies")
        {
            continue;
        }
        for entry in std::fs::read_dir(&lint_dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() || p.extension().is_some_and(|x| x == "rs") {
                units.push(p);
            }
        }
    }
    units.sort();
    units
}

#[test]
fn fixtures_match_markers() {
    let units = units();
    assert!(units.len() >= 10, "expected fixture files, found {units:?}");
    let mut failures = String::new();
    let mut total = 0;
    for unit in &units {
        let report = lint_all(std::slice::from_ref(unit), 1);
        let got = findings(&report);
        // One finding is one diagnostic: the same lint twice on one span is a duplicate.
        let mut places = BTreeSet::new();
        for (pkg, d) in report.diagnostics() {
            let p = d.primary();
            let path = canon(&pkg.files[p.file].path);
            if !places.insert((path.clone(), p.loc, d.lint)) {
                let (line, lint) = (p.loc.line, d.lint);
                writeln!(failures, "twice: {}:{line} {lint}", path.display()).unwrap();
            }
        }
        let files = if unit.is_dir() {
            rs_files(unit)
        } else {
            vec![unit.clone()]
        };
        let want: BTreeSet<_> = files.iter().flat_map(|f| markers(f)).collect();
        total += want.len();
        for missing in want.difference(&got) {
            writeln!(
                failures,
                "missing: {}:{} {}",
                missing.0.display(),
                missing.1,
                missing.2
            )
            .unwrap();
        }
        for extra in got.difference(&want) {
            writeln!(
                failures,
                "unexpected: {}:{} {}",
                extra.0.display(),
                extra.1,
                extra.2
            )
            .unwrap();
        }
    }
    assert!(failures.is_empty(), "fixture mismatches:\n{failures}");
    assert!(total > 0);
}

/// The thresholds the fixtures promise: enough distinct positive and negative shapes.
#[test]
fn blocking_fixtures_are_substantial() {
    let dir = root().join("fixtures/blocking_in_async");
    let files = rs_files(&dir);
    let positives: usize = files.iter().map(|f| markers(f).len()).sum();
    assert!(
        positives >= 30,
        "only {positives} positive blocking_in_async cases"
    );
}
