//! The lintcheck, in the spirit of Clippy's `lintcheck/`: the tool runs with every lint on over
//! the pinned real-world set (the dependency trees of `corpus/Cargo.toml` and
//! `lintcheck/Cargo.toml`, fetched into cargo's source cache, never built) and its findings must
//! equal the committed snapshot `lintcheck/findings.txt`. Any change fails until it is reviewed
//! and accepted on purpose:
//!
//! ```sh
//! LINTCHECK_BLESS=1 cargo test --test lintcheck    # rewrites findings.txt and the README table
//! ```
//!
//! The registry crates are linted as given directories, where dependencies are not followed.
//! `lintcheck/local/*/` are small applications of the lintcheck's own, each a workspace with its
//! `Cargo.lock`, linted in cargo mode: their calls into registry crates (`fs_err as fs`) are
//! judged from those crates' source (dependency summaries), offline, as on a user's workspace.
//! The test also checks that `--no-deps` loses findings there (the summaries are at work).
//!
//! Beside it, `lintcheck/verdicts.toml` holds findings reviewed by hand (`true`, `true (test
//! code)` or `false`, with a reason). The README's precision table is computed from it; a false
//! finding marked `fixed` that is reported again fails the test. `LINTCHECK_SAMPLE=<lint>` prints
//! the findings of a lint chosen for review (those without a verdict, in the order of the
//! FNV-1a hash of their line: a fixed pseudo-random sample) for writing new verdicts.

mod common;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const FINDINGS: &str = "lintcheck/findings.txt";
const LOCAL: &str = "lintcheck/local";
const VERDICTS: &str = "lintcheck/verdicts.toml";
const SAMPLE: usize = 40;

/// The lintcheck's own applications, linted in cargo mode: every `lintcheck/local/*/` with a
/// `Cargo.toml`.
fn local_workspaces() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(common::root().join(LOCAL))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("Cargo.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The directories of every package of `manifest`'s resolved graph but its own, from `cargo
/// metadata --offline --locked`.
fn graph_dirs(manifest: &Path) -> Result<BTreeSet<PathBuf>, String> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .arg("--manifest-path")
        .arg(manifest)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{}: {}",
            manifest.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let own = manifest.parent().unwrap().to_path_buf();
    let mut dirs = BTreeSet::new();
    for p in meta["packages"].as_array().unwrap() {
        let dir = Path::new(p["manifest_path"].as_str().unwrap())
            .parent()
            .unwrap()
            .to_path_buf();
        if dir != own {
            dirs.insert(dir);
        }
    }
    // Every package must be on disk: `--offline` resolves from the lock file even when a
    // source was never downloaded.
    if let Some(missing) = dirs.iter().find(|d| !d.join("Cargo.toml").is_file()) {
        return Err(format!(
            "{} is not in cargo's source cache",
            missing.display()
        ));
    }
    Ok(dirs)
}

/// Every package directory of the two pinned sets, or why they (or the dependencies of the
/// local applications) cannot be had offline.
fn package_dirs() -> Result<Vec<PathBuf>, String> {
    let mut dirs = BTreeSet::new();
    for manifest in ["corpus/Cargo.toml", "lintcheck/Cargo.toml"] {
        dirs.extend(graph_dirs(&common::root().join(manifest))?);
    }
    for ws in local_workspaces() {
        graph_dirs(&ws.join("Cargo.toml"))?;
    }
    Ok(dirs.into_iter().collect())
}

/// A path inside a package as the snapshot names it: `<name>-<version>/<path in the package>`.
fn display_path(file: &str) -> String {
    let p = Path::new(file);
    let mut comps: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    // `.../registry/src/<index dir>/<name>-<version>/...`
    if let Some(i) = comps.iter().position(|c| c == "registry")
        && comps.get(i + 1).map(String::as_str) == Some("src")
    {
        comps.drain(..i + 3);
    }
    comps.join("/")
}

/// The findings of one run of the tool with every lint on, one line each: `<path>:<line>:<col>
/// <lint> <message>`, the path as `display` gives it.
fn run_findings(args: &[&std::ffi::OsStr], display: &dyn Fn(&str) -> String) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(args)
        .args(["-W", "all", "--message-format", "json", "--no-cache"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = BTreeSet::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["reason"] != "compiler-message" {
            continue;
        }
        let m = &v["message"];
        let span = m["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["is_primary"] == true)
            .unwrap();
        let lint = m["code"]["code"].as_str().unwrap();
        let lint = lint.strip_prefix("async_lint::").unwrap_or(lint);
        lines.insert(format!(
            "{}:{}:{} {lint} {}",
            display(span["file_name"].as_str().unwrap()),
            span["line_start"],
            span["column_start"],
            m["message"].as_str().unwrap().replace('\n', " ")
        ));
    }
    lines
}

/// The findings in a local application (cargo mode, with or without `--no-deps`), their paths
/// from the repository's root: `lintcheck/local/<app>/src/..`.
fn local_findings(ws: &Path, extra: &[&str]) -> BTreeSet<String> {
    let manifest = ws.join("Cargo.toml");
    let mut args: Vec<&std::ffi::OsStr> = vec!["--manifest-path".as_ref(), manifest.as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let rel = ws.strip_prefix(common::root()).unwrap().to_path_buf();
    run_findings(&args, &|file| {
        rel.join(file)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    })
}

/// The current findings, one line each: `<pkg>/<path>:<line>:<col> <lint> <message>` for the
/// registry crates, `lintcheck/local/<app>/<path>:..` for the local applications.
fn current_findings(dirs: &[PathBuf]) -> BTreeSet<String> {
    let args: Vec<&std::ffi::OsStr> = dirs.iter().map(|d| d.as_os_str()).collect();
    let mut lines = run_findings(&args, &display_path);
    for ws in local_workspaces() {
        lines.extend(local_findings(&ws, &[]));
    }
    lines
}

fn read_snapshot(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

fn snapshot_text(findings: &BTreeSet<String>) -> String {
    let mut text = String::from(
        "# The lintcheck's findings (tests/lintcheck.rs): every lint on, over the dependency trees of\n\
         # corpus/Cargo.toml and lintcheck/Cargo.toml. Regenerate on purpose, after reviewing the\n\
         # difference: LINTCHECK_BLESS=1 cargo test --test lintcheck\n",
    );
    for f in findings {
        text.push_str(f);
        text.push('\n');
    }
    text
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Verdicts {
    #[serde(default)]
    verdict: Vec<Verdict>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Verdict {
    finding: String,
    verdict: String,
    reason: String,
    /// A false finding that a fix removed: it must never be reported again.
    #[serde(default)]
    fixed: bool,
}

fn lint_of(finding: &str) -> &str {
    finding.split(' ').nth(1).unwrap_or("")
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The README table: per default-on lint, the findings on the set and the reviewed verdicts.
fn precision_table(findings: &BTreeSet<String>, verdicts: &[Verdict]) -> String {
    let mut text = String::from(
        "| lint | findings | reviewed | true | true (test code) | false | precision |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for meta in cargo_async_lint::lints::registry::all() {
        // `parse_error` reports files the tool could not check, not bugs in them: it has no
        // precision to measure.
        if meta.default_level == cargo_async_lint::lints::diag::Level::Allow
            || meta.name == "parse_error"
        {
            continue;
        }
        let n = findings.iter().filter(|f| lint_of(f) == meta.name).count();
        let mut counts = BTreeMap::new();
        for v in verdicts
            .iter()
            .filter(|v| lint_of(&v.finding) == meta.name && findings.contains(&v.finding))
        {
            *counts.entry(v.verdict.as_str()).or_insert(0usize) += 1;
        }
        let (t, tt, f) = (
            counts.get("true").copied().unwrap_or(0),
            counts.get("true (test code)").copied().unwrap_or(0),
            counts.get("false").copied().unwrap_or(0),
        );
        let reviewed = t + tt + f;
        let precision = if reviewed == 0 {
            "n/a".to_string()
        } else {
            format!("{:.0}%", 100.0 * (t + tt) as f64 / reviewed as f64)
        };
        text.push_str(&format!(
            "| `{}` | {n} | {reviewed} | {t} | {tt} | {f} | {precision} |\n",
            meta.name
        ));
    }
    text
}

#[test]
fn findings_match_the_reviewed_snapshot() {
    let dirs = match package_dirs() {
        Ok(d) => d,
        Err(why) if std::env::var_os("CI").is_none() => {
            println!(
                "skipping the lintcheck: {why}\n(fetch the sets with `cargo fetch --manifest-path \
                 corpus/Cargo.toml` and `cargo fetch --manifest-path lintcheck/Cargo.toml`)"
            );
            return;
        }
        Err(why) => panic!("the lintcheck's sets must be fetched in CI (.ci/run): {why}"),
    };
    let root = common::root();
    let findings = current_findings(&dirs);
    // In the local applications, the calls into registry crates are judged from the crates'
    // source: without it (`--no-deps`) they are unknown calls, and those findings are gone.
    for ws in local_workspaces() {
        let with: BTreeSet<String> = local_findings(&ws, &[]);
        let without = local_findings(&ws, &["--no-deps"]);
        assert!(
            without.is_subset(&with),
            "--no-deps found more in {}: {:?}",
            ws.display(),
            without.difference(&with).collect::<Vec<_>>()
        );
        assert!(
            with.len() > without.len(),
            "no finding in {} comes from a dependency's source (is the dependency graph \
             there? run the tool with -v in it)",
            ws.display()
        );
    }
    let verdicts: Verdicts =
        toml::from_str(&std::fs::read_to_string(root.join(VERDICTS)).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{VERDICTS}: {e}"));
    let bless = std::env::var_os("LINTCHECK_BLESS").is_some();

    if let Ok(lint) = std::env::var("LINTCHECK_SAMPLE") {
        let reviewed: BTreeSet<&str> = verdicts
            .verdict
            .iter()
            .map(|v| v.finding.as_str())
            .collect();
        let mut todo: Vec<&String> = findings
            .iter()
            .filter(|f| lint_of(f) == lint && !reviewed.contains(f.as_str()))
            .collect();
        todo.sort_by_key(|f| fnv(f));
        let already = findings.iter().filter(|f| lint_of(f) == lint).count() - todo.len();
        for f in todo.iter().take(SAMPLE.saturating_sub(already)) {
            println!("SAMPLE {f}");
        }
    }

    // Verdicts are well-formed, and no fixed false finding is back.
    let mut seen = BTreeSet::new();
    for v in &verdicts.verdict {
        assert!(
            matches!(v.verdict.as_str(), "true" | "true (test code)" | "false"),
            "{VERDICTS}: verdict {:?} for {}",
            v.verdict,
            v.finding
        );
        assert!(
            !v.reason.trim().is_empty(),
            "{VERDICTS}: no reason for {}",
            v.finding
        );
        assert!(seen.insert(&v.finding), "{VERDICTS}: {} twice", v.finding);
        if v.fixed {
            assert_eq!(
                v.verdict, "false",
                "{VERDICTS}: only a false finding can be fixed"
            );
            assert!(
                !findings.contains(&v.finding),
                "a false finding came back: {} ({})",
                v.finding,
                v.reason
            );
        } else if !findings.contains(&v.finding) {
            println!("note: reviewed finding no longer reported: {}", v.finding);
        }
    }

    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let (start, end) = ("<!-- precision:start -->\n", "<!-- precision:end -->");
    let a = readme.find(start).expect("README precision start marker") + start.len();
    let b = readme.find(end).expect("README precision end marker");
    let table = precision_table(&findings, &verdicts.verdict);

    let snapshot_path = root.join(FINDINGS);
    let snapshot = read_snapshot(&snapshot_path);
    if bless {
        std::fs::write(&snapshot_path, snapshot_text(&findings)).unwrap();
        std::fs::write(
            &readme_path,
            format!("{}{table}{}", &readme[..a], &readme[b..]),
        )
        .unwrap();
        println!("blessed {} findings", findings.len());
        return;
    }
    let added: Vec<&String> = findings.difference(&snapshot).collect();
    let gone: Vec<&String> = snapshot.difference(&findings).collect();
    if !added.is_empty() || !gone.is_empty() {
        let mut msg = format!(
            "the findings on the lintcheck set changed ({} new, {} gone); review each one, then \
             accept with `LINTCHECK_BLESS=1 cargo test --test lintcheck`\n",
            added.len(),
            gone.len()
        );
        for f in added.iter().take(100) {
            msg.push_str(&format!("+ {f}\n"));
        }
        for f in gone.iter().take(100) {
            msg.push_str(&format!("- {f}\n"));
        }
        panic!("{msg}");
    }
    assert_eq!(
        &readme[a..b],
        table,
        "README's precision table is stale: LINTCHECK_BLESS=1 cargo test --test lintcheck"
    );
}
