//! The tool over real code: the sources of this crate's own dependency tree (already in
//! cargo's cache, since they were built for these tests). No panic, no hang, and every file
//! that does not parse is a known, explained case.

mod common;
use std::process::Command;

/// Files that legitimately fail to parse, with why.
const KNOWN_PARSE_FAILURES: &[(&str, &str)] = &[
    // Edition 2015 code: `type Action = Fn(&siginfo_t) + Send + Sync;`, a bare trait object
    // with parenthesized arguments, which syn 3 no longer parses.
    ("signal-hook-registry-", "src/lib.rs"),
];

/// Directories of deliberately invalid code (compile-fail UI tests).
fn deliberately_invalid(path: &str) -> bool {
    path.contains("/tests/ui")
        || path.contains("/ui/")
        || path.contains("compile-fail")
        || path.contains("/fail/")
}

#[test]
fn lints_its_own_dependency_tree() {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            // Only what was built for this machine: on a fresh clone, platform-specific
            // dependencies of other targets (e.g. `anstyle-wincon`) were never downloaded.
            "--filter-platform",
            &common::host_triple(),
            "--manifest-path",
        ])
        .arg(common::root().join("Cargo.toml"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = common::root();
    let dirs: Vec<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["manifest_path"].as_str().unwrap())
        .filter(|m| !m.starts_with(root.to_str().unwrap()))
        .map(|m| {
            std::path::Path::new(m)
                .parent()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        dirs.len() > 50,
        "expected a dependency tree, got {} packages",
        dirs.len()
    );
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(&dirs)
        .args(["-W", "all", "--message-format", "short"])
        .output()
        .unwrap();
    let stdout = common::stdout_and_short(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("overflow"),
        "{stderr}"
    );
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        o.status.code()
    );
    let mut unexplained = Vec::new();
    for line in stdout
        .lines()
        .filter(|l| l.contains("[async_lint::parse_error]"))
    {
        let path = line.split(':').next().unwrap_or_default();
        let known = KNOWN_PARSE_FAILURES
            .iter()
            .any(|(pkg, file)| path.contains(pkg) && path.ends_with(file));
        if !known && !deliberately_invalid(path) {
            unexplained.push(line.to_string());
        }
    }
    assert!(
        unexplained.is_empty(),
        "files that do not parse, unexplained:\n{}",
        unexplained.join("\n")
    );
    // It really linted something.
    assert!(
        stderr.contains("in ") && stdout.lines().count() > 10,
        "{stderr}"
    );
}
