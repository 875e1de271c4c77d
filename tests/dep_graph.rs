//! The dependency graph on a real workspace (issue 17): a member with path dependencies, which
//! `cargo metadata --offline` resolves without a network. The graph has them with their lib
//! names and folders; following dependencies changes no finding; `--no-deps` turns it off; and
//! a workspace whose dependencies cargo cannot resolve is still linted.

mod common;

use cargo_async_lint::workspace::deps::DepKind;
use cargo_async_lint::workspace::graph::{self, SourceKind};
use common::Scratch;
#[cfg(unix)]
use common::age;
use std::path::Path;
use std::process::Output;

const APP_MANIFEST: &str = r#"[package]
name = "app"
version = "0.1.0"
edition = "2021"

[dependencies]
hd = { package = "helper-dep", path = "../helper-dep" }

[dev-dependencies]
test-dep = { path = "../test-dep" }

[workspace]
"#;

const APP_LIB: &str = "pub async fn handler() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n    hd::work();\n}\n";

/// The workspace, with its `Cargo.lock` (the tool runs `cargo metadata --locked`, and never
/// writes one).
fn workspace(name: &str) -> Scratch {
    let s = Scratch::new(
        name,
        &[
            ("app/Cargo.toml", APP_MANIFEST),
            ("app/src/lib.rs", APP_LIB),
            (
                "helper-dep/Cargo.toml",
                "[package]\nname = \"helper-dep\"\nversion = \"0.2.0\"\nedition = \"2018\"\n",
            ),
            ("helper-dep/src/lib.rs", "pub fn work() {}\n"),
            (
                "test-dep/Cargo.toml",
                "[package]\nname = \"test-dep\"\nversion = \"0.3.0\"\nedition = \"2021\"\n\n[lib]\npath = \"lib.rs\"\n",
            ),
            ("test-dep/lib.rs", "pub fn check() {}\n"),
        ],
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = std::process::Command::new(cargo)
        .args(["generate-lockfile", "--offline"])
        .current_dir(s.0.join("app"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    s
}

fn run(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .unwrap()
}

fn canonical(p: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(p).unwrap()
}

#[test]
fn path_dependencies_are_in_the_graph() {
    let s = workspace("graph-path");
    let manifest = s.0.join("app/Cargo.toml");
    for cache in [false, true] {
        let g = graph::load(Some(&manifest), cache).expect("cargo metadata --offline");
        assert_eq!(g.packages.len(), 2, "{g:?}");
        assert!(g.skipped.is_empty(), "{:?}", g.skipped);
        let helper = g
            .packages
            .iter()
            .position(|p| p.name == "helper-dep")
            .unwrap();
        let p = &g.packages[helper];
        assert_eq!(p.lib_name, "helper_dep");
        assert_eq!(p.version, "0.2.0");
        assert_eq!(p.edition, "2018");
        assert_eq!(p.kind, SourceKind::Path);
        assert!(!p.proc_macro);
        assert_eq!(canonical(&p.dir), canonical(&s.0.join("helper-dep")));
        assert_eq!(
            canonical(&p.lib_src),
            canonical(&s.0.join("helper-dep/src/lib.rs"))
        );
        let t = g.packages.iter().find(|p| p.name == "test-dep").unwrap();
        assert_eq!(t.lib_name, "test_dep");
        assert_eq!(
            canonical(&t.lib_src),
            canonical(&s.0.join("test-dep/lib.rs"))
        );
        let (id, deps) = g.members.iter().next().unwrap();
        assert_eq!(g.members.len(), 1);
        assert!(id.contains("app"), "{id}");
        let mut deps = deps.clone();
        deps.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(deps.len(), 2, "{deps:?}");
        assert_eq!(deps[0], ("hd".to_string(), helper, DepKind::Normal));
        assert_eq!(deps[1].0, "test_dep");
        assert_eq!(deps[1].2, DepKind::Dev);
    }
}

#[test]
fn following_dependencies_changes_no_finding() {
    let s = workspace("graph-findings");
    let dir = s.0.join("app");
    let json = ["--message-format", "json", "-W", "all"];
    let with = run(&dir, &json);
    let with_v = run(&dir, &[&json[..], &["-v"]].concat());
    let without = run(&dir, &[&json[..], &["--no-deps", "-v"]].concat());
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(with.status.code(), Some(1), "{}", stderr(&with));
    assert!(
        common::stdout_and_short(&with).contains("blocking_in_async"),
        "{}",
        common::stdout_and_short(&with)
    );
    for o in [&with_v, &without] {
        assert_eq!(common::stdout_and_short(o), common::stdout_and_short(&with));
        assert_eq!(o.status.code(), with.status.code());
    }
    assert!(!stderr(&with).contains("note:"), "{}", stderr(&with));
    assert!(
        stderr(&with_v).contains("note: dependency summaries: 2 packages, 0 skipped"),
        "{}",
        stderr(&with_v)
    );
    assert!(
        stderr(&without).contains("note: dependency summaries: off (--no-deps)"),
        "{}",
        stderr(&without)
    );
    // Path mode has no dependency graph.
    let paths = run(&dir, &["src", "-v"]);
    assert!(
        stderr(&paths).contains("note: dependency summaries: off (no cargo workspace)"),
        "{}",
        stderr(&paths)
    );
}

#[test]
fn a_graph_cargo_cannot_resolve_is_left_out() {
    let s = workspace("graph-broken");
    let dir = s.0.join("app");
    // A dependency cargo cannot find offline: the members still load (`--no-deps`), the graph
    // does not.
    let broken = APP_MANIFEST.replace(
        "[dev-dependencies]",
        "missing-from-registry-xyz = \"99.0.0\"\n\n[dev-dependencies]",
    );
    std::fs::write(dir.join("Cargo.toml"), broken).unwrap();
    // Without a lock file either (which the graph would otherwise be read from).
    std::fs::remove_file(dir.join("Cargo.lock")).unwrap();
    let err = graph::load(Some(&dir.join("Cargo.toml")), false).unwrap_err();
    assert!(err.starts_with("`cargo metadata` failed: "), "{err}");
    assert!(!err.contains('\n'), "{err}");
    let o = run(&dir, &["--message-format", "json", "-v"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    // Without a lock file, cargo is not even asked (`--locked` would not write one).
    assert!(
        stderr.contains("note: dependency summaries: off: no ") && stderr.contains("Cargo.lock"),
        "{stderr}"
    );
    assert_eq!(
        o.stdout,
        run(&dir, &["--message-format", "json", "--no-deps"]).stdout
    );
}

/// A cargo that does not know `--filter-platform host-tuple` (before it did, it looked for a
/// target of that name) is asked again with the host's triple: the graph is the same.
#[cfg(unix)]
#[test]
fn a_cargo_that_refuses_host_tuple_is_given_the_triple() {
    use std::os::unix::fs::PermissionsExt;
    let s = workspace("old-cargo");
    let dir = s.0.join("app");
    let log = std::env::temp_dir().join(format!(
        "async-lint-host-tuple-calls-{}",
        std::process::id()
    ));
    let wrapper = log.with_extension("sh");
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\ncase \"$*\" in *host-tuple*)\n\
             echo 'error: failed to run `rustc` to learn about target-specific information' >&2\n\
             echo '  Could not find specification for target \"host-tuple\"' >&2\n\
             exit 101;;\nesac\nexec '{real}' \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_file(&log);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["-v", "--no-cache", "--message-format", "short"])
        .current_dir(&dir)
        .env("CARGO", &wrapper)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&wrapper);
    assert!(
        stderr.contains("dependency summaries: 2 packages"),
        "{stderr}"
    );
    assert!(!stderr.contains("read from Cargo.lock"), "{stderr}");
    let with_deps: Vec<&str> = calls
        .lines()
        .filter(|l| l.contains("--filter-platform"))
        .collect();
    assert_eq!(with_deps.len(), 2, "{calls}");
    assert!(
        with_deps[0].contains("--filter-platform host-tuple"),
        "{calls}"
    );
    let triple = with_deps[1]
        .split_once("--filter-platform ")
        .map(|(_, t)| t.split(' ').next().unwrap_or_default())
        .unwrap_or_default();
    assert!(triple.contains('-') && triple != "host-tuple", "{calls}");
}

/// The graph's `cargo metadata` runs once for an unchanged workspace; an edited `Cargo.lock` or
/// path dependency manifest is seen by the next run.
#[cfg(unix)]
#[test]
fn the_graph_is_cached_until_the_lock_or_a_path_dependency_changes() {
    use std::os::unix::fs::PermissionsExt;
    let s = workspace("graph-cache");
    let dir = s.0.join("app");
    let log = std::env::temp_dir().join(format!("async-lint-graph-calls-{}", std::process::id()));
    let wrapper = log.with_extension("sh");
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexec '{real}' \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_file(&log);
    // Calls of `cargo metadata` with dependencies.
    let calls = || {
        std::fs::read_to_string(&log)
            .map(|t| {
                t.lines()
                    .filter(|l| l.contains("--filter-platform"))
                    .count()
            })
            .unwrap_or(0)
    };
    let lint = || {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .args(["-v", "--message-format", "short"])
            .current_dir(&dir)
            .env("CARGO", &wrapper)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            stderr.contains("dependency summaries: 2 packages"),
            "{stderr}"
        );
    };
    lint();
    age(&s.0);
    lint();
    let n = calls();
    lint();
    lint();
    assert_eq!(calls(), n, "cargo ran again on an unchanged workspace");
    let lock = dir.join("Cargo.lock");
    let text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, format!("{text}\n")).unwrap();
    lint();
    assert_eq!(calls(), n + 1, "an edited Cargo.lock");
    age(&s.0);
    lint();
    lint();
    assert_eq!(calls(), n + 2, "cached again once old enough");
    std::fs::write(
        s.0.join("helper-dep/Cargo.toml"),
        "[package]\nname = \"helper-dep\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    lint();
    assert_eq!(calls(), n + 3, "an edited path dependency manifest");
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&wrapper);
}

/// A graph read from `Cargo.lock` (cargo cannot resolve offline: a git dependency never
/// fetched) is cached like cargo's answer, and an edited lock file is seen by the next run: here
/// the new version of a registry dependency blocks where the old one did not. A registry
/// package removed from cargo's source cache is seen too (the cached graph checks the folder
/// that holds them).
#[cfg(unix)]
#[test]
fn a_graph_read_from_the_lock_file_follows_the_lock_file() {
    let reg = "registry+https://github.com/rust-lang/crates.io-index";
    let lock = |version: &str| {
        format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
             dependencies = [\"foo\", \"gone\"]\n\n\
             [[package]]\nname = \"foo\"\nversion = \"{version}\"\nsource = \"{reg}\"\n\n\
             [[package]]\nname = \"gone\"\nversion = \"0.1.0\"\n\
             source = \"git+https://example.invalid/gone#0123456789abcdef\"\n"
        )
    };
    let foo = "[package]\nname = \"foo\"\nedition = \"2021\"\n";
    let s = Scratch::new(
        "graph-lockfile",
        &[
            (
                "app/Cargo.toml",
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nfoo = \"1\"\ngone = { git = \"https://example.invalid/gone\" }\n\n\
                 [workspace]\n",
            ),
            (
                "app/src/lib.rs",
                "pub async fn handler() {\n    foo::work();\n}\n",
            ),
            ("app/Cargo.lock", &lock("1.0.0")),
            ("home/registry/src/index/foo-1.0.0/Cargo.toml", foo),
            (
                "home/registry/src/index/foo-1.0.0/src/lib.rs",
                "pub fn work() {}\n",
            ),
            ("home/registry/src/index/foo-1.1.0/Cargo.toml", foo),
            (
                "home/registry/src/index/foo-1.1.0/src/lib.rs",
                "pub fn work() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n",
            ),
        ],
    );
    let dir = s.0.join("app");
    let lint_with = |graph: &str| {
        let o = lint_with_home(&dir, &s.0, &["-v"]);
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            stderr.contains(&format!("dependency summaries: {graph}")),
            "{stderr}"
        );
        common::stdout_and_short(&o).into_owned()
    };
    let lint = || lint_with("1 packages, 0 skipped");
    assert!(!lint().contains("foo::work"));
    // Old enough to be cached, then read from the cache.
    age(&s.0);
    assert!(!lint().contains("foo::work"));
    assert!(!lint().contains("foo::work"));
    std::fs::write(dir.join("Cargo.lock"), lock("1.1.0")).unwrap();
    let out = lint();
    assert!(
        out.contains("foo::work"),
        "the lock file's new version: {out}"
    );
    // Cached again, and read from the cache.
    age(&s.0);
    assert!(lint().contains("foo::work"));
    assert!(lint().contains("foo::work"));
    // Removed from cargo's source cache (as its garbage collection does).
    std::fs::remove_dir_all(s.0.join("home/registry/src/index/foo-1.1.0")).unwrap();
    let out = lint_with("0 packages, 1 skipped");
    assert!(
        !out.contains("foo::work"),
        "a package no longer on disk: {out}"
    );
}

/// A path dependency whose lib source is removed where no witness of the cached graph sees it
/// (a folder of its own) is skipped by the next run, which reads the graph from the cache.
#[cfg(unix)]
#[test]
fn a_path_dependency_whose_lib_is_gone_is_skipped() {
    let s = Scratch::new(
        "graph-lib-gone",
        &[
            (
                "app/Cargo.toml",
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\ndeep = { path = \"../deep\" }\n\n[workspace]\n",
            ),
            ("app/src/lib.rs", "pub fn f() {\n    deep::g();\n}\n"),
            (
                "deep/Cargo.toml",
                "[package]\nname = \"deep\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [lib]\npath = \"code/inner/lib.rs\"\n",
            ),
            ("deep/code/inner/lib.rs", "pub fn g() {}\n"),
        ],
    );
    let dir = s.0.join("app");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let o = std::process::Command::new(cargo)
        .args(["generate-lockfile", "--offline"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let graph = || {
        let o = run(&dir, &["-v", "--message-format", "short"]);
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        stderr
            .lines()
            .find_map(|l| l.strip_prefix("note: dependency summaries: "))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(graph(), "1 packages, 0 skipped");
    // Old enough to be cached, then read from the cache.
    age(&s.0);
    assert_eq!(graph(), "1 packages, 0 skipped");
    assert_eq!(graph(), "1 packages, 0 skipped");
    std::fs::remove_file(s.0.join("deep/code/inner/lib.rs")).unwrap();
    assert_eq!(graph(), "0 packages, 1 skipped");
}

/// The graph covers every member whatever the selection: read from the lock file for a run of
/// the root package alone (cargo's default there), and cached, it still holds the other
/// member's dependencies when the next run lints the whole workspace.
#[test]
fn the_graph_of_one_selection_serves_the_whole_workspace() {
    let reg = "registry+https://github.com/rust-lang/crates.io-index";
    let lock = format!(
        "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"gone\"]\n\n\
         [[package]]\nname = \"m\"\nversion = \"0.1.0\"\ndependencies = [\"foo\"]\n\n\
         [[package]]\nname = \"foo\"\nversion = \"1.0.0\"\nsource = \"{reg}\"\n\n\
         [[package]]\nname = \"gone\"\nversion = \"0.1.0\"\n\
         source = \"git+https://example.invalid/gone#0123456789abcdef\"\n"
    );
    let s = Scratch::new(
        "graph-selection",
        &[
            (
                "ws/Cargo.toml",
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\ngone = { git = \"https://example.invalid/gone\" }\n\n\
                 [workspace]\nmembers = [\"m\"]\n",
            ),
            ("ws/src/lib.rs", "pub fn app() {}\n"),
            (
                "ws/m/Cargo.toml",
                "[package]\nname = \"m\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\nfoo = \"1\"\n",
            ),
            (
                "ws/m/src/lib.rs",
                "pub async fn handler() {\n    foo::work();\n}\n",
            ),
            ("ws/Cargo.lock", &lock),
            (
                "home/registry/src/index/foo-1.0.0/Cargo.toml",
                "[package]\nname = \"foo\"\nedition = \"2021\"\n",
            ),
            (
                "home/registry/src/index/foo-1.0.0/src/lib.rs",
                "pub fn work() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n",
            ),
        ],
    );
    let dir = s.0.join("ws");
    let lint =
        |args: &[&str]| common::stdout_and_short(&lint_with_home(&dir, &s.0, args)).into_owned();
    // The root package alone: nothing to report, but the graph is made and cached.
    assert!(!lint(&[]).contains("foo::work"));
    age(&s.0);
    assert!(!lint(&[]).contains("foo::work"));
    let out = lint(&["--workspace"]);
    assert!(
        out.contains("m/src/lib.rs:2:5") && out.contains("foo::work"),
        "the member's dependency is in the cached graph: {out}"
    );
}

/// Lints `dir` (`--message-format short`, and `args`) with a cargo home and a user cache of
/// its own below `root` (`root/home`, `root/user-cache`), and cargo's target directory.
fn lint_with_home(dir: &Path, root: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--message-format", "short"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CARGO_HOME", root.join("home"))
        .env("XDG_CACHE_HOME", root.join("user-cache"))
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .unwrap()
}
