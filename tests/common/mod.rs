//! Shared helpers for the integration tests.
#![allow(dead_code)]

use cargo_async_lint::driver::engine;
use cargo_async_lint::driver::options::Options;
use cargo_async_lint::lints::diag::Level;
use cargo_async_lint::lints::registry::Levels;
use cargo_async_lint::report::results::Report;
use cargo_async_lint::workspace::discover;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The host target triple, from `rustc -vV`.
pub fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV prints the host triple")
        .trim()
        .to_owned()
}

/// Lints paths with every lint enabled (`-W all`), single-threaded or not.
pub fn lint_all(paths: &[PathBuf], jobs: usize) -> Report {
    lint_with(paths, jobs, false)
}

/// As [`lint_all`], optionally ignoring suppressions (the runtime fixtures carry clippy
/// `#[allow]`s on their deliberate bugs, which would also silence ours).
pub fn lint_with(paths: &[PathBuf], jobs: usize, ignore_suppressions: bool) -> Report {
    let mut levels = Levels::default();
    levels.apply("all", Level::Warn).unwrap();
    let ws = discover::from_paths(paths).expect("paths exist");
    engine::run(
        ws,
        &Options {
            levels,
            jobs,
            ignore_suppressions,
            ..Options::default()
        },
    )
}

/// (file path, line, lint) of every diagnostic.
pub fn findings(report: &Report) -> BTreeSet<(PathBuf, usize, String)> {
    report
        .diagnostics()
        .map(|(pkg, d)| {
            let p = d.primary();
            (
                canon(&pkg.files[p.file].path),
                p.loc.line,
                d.lint.to_string(),
            )
        })
        .collect()
}

pub fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `//~ lint_a, lint_b` markers of a file.
pub fn markers(path: &Path) -> BTreeSet<(PathBuf, usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(pos) = line.find("//~") {
            for lint in line[pos + 3..].split(',') {
                let lint = lint.trim();
                if !lint.is_empty() {
                    out.insert((canon(path), i + 1, lint.to_string()));
                }
            }
        }
    }
    out
}

/// Every `.rs` file below a directory.
pub fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

/// A scratch directory with files, removed at drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str, files: &[(&str, &str)]) -> Scratch {
        let dir = std::env::temp_dir().join(format!("async-lint-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (path, text) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        Scratch(dir)
    }
}

impl Scratch {
    /// An empty scratch directory.
    pub fn empty(name: &str) -> Scratch {
        Scratch::new(name, &[])
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

/// Sets the modification time of everything below `dir` an hour back, so that the metadata
/// cache's guard against same-tick changes does not apply.
#[cfg(unix)]
pub fn age(dir: &Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for p in paths {
        std::fs::File::open(&p).unwrap().set_modified(then).unwrap();
    }
}

/// Runs the binary in `cwd` without colours (whatever the environment the tests run in says:
/// GitHub's Rust workflow sets `CARGO_TERM_COLOR=always`).
pub fn run_bin(args: &[&str], cwd: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("ASYNC_LINT_CATALOGUE_URL")
        .output()
        .unwrap()
}

/// What a run wrote for tools to read: its stdout, then the `short` diagnostics
/// (`path:line:col: level: message`), which go to stderr as cargo's do.
pub fn stdout_and_short(o: &std::process::Output) -> std::borrow::Cow<'static, str> {
    let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
    for line in String::from_utf8_lossy(&o.stderr).lines() {
        if is_short_line(line) {
            text.push_str(line);
            text.push('\n');
        }
    }
    std::borrow::Cow::Owned(text)
}

/// `path:line:col: level: message`, as `--message-format short` writes a finding.
fn is_short_line(line: &str) -> bool {
    let mut parts = line.splitn(4, ':');
    let (Some(path), Some(l), Some(c), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !path.is_empty()
        && !path.starts_with(' ')
        && l.parse::<usize>().is_ok()
        && c.parse::<usize>().is_ok()
        && (rest.starts_with(" warning: ") || rest.starts_with(" error: "))
}
