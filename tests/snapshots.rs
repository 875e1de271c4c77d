//! The rendered human output, pinned with insta.

mod common;
use cargo_async_lint::report::human;

#[test]
fn human_output() {
    let dir = common::root().join("tests/data/snap");
    let report = common::lint_all(&[dir], 1);
    let mut text = String::new();
    for (pkg, d) in report.diagnostics() {
        text.push_str(&human::render_human(pkg, d, false));
    }
    // Paths are shown relative to the working directory; make them stable.
    let text = text.replace(&common::root().display().to_string(), "<root>");
    insta::assert_snapshot!(text);
}
