//! The README stays true: its lint table is the registry's, and its test command is CI's.

mod common;

#[test]
fn lint_table_matches_registry() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme.find("<!-- lints:start -->\n").expect("start marker") + 21;
    let end = readme.find("<!-- lints:end -->").expect("end marker");
    assert_eq!(
        &readme[start..end],
        cargo_async_lint::driver::cli::list_table(),
        "README.md's lint table is stale: paste the output of `cargo async-lint --list`"
    );
}

#[test]
fn ci_runs_the_readme_test_command() {
    let root = common::root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let test_cmd = ci
        .lines()
        .find(|l| l.starts_with("cargo test"))
        .expect("a cargo test line");
    assert!(
        readme.contains(test_cmd),
        "README.md must show `{test_cmd}`"
    );
    assert!(ci.contains("cargo fmt --all --check"));
    assert!(ci.contains("cargo clippy --workspace --all-targets -- -D warnings"));
}

#[test]
fn every_lint_is_documented() {
    for lint in cargo_async_lint::lints::registry::all() {
        for section in [
            "### What it does",
            "### Why is this bad?",
            "### Known problems",
            "### Example",
            "### Use instead",
        ] {
            assert!(lint.docs.contains(section), "{} lacks {section}", lint.name);
        }
    }
}
