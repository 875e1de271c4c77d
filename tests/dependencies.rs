//! Dependency summaries: a workspace whose member calls into path dependencies outside it
//! (`fixtures/dependencies/`) is linted in cargo mode; the findings are exactly the `//~`
//! markers of the member's files, and `--no-deps` reports none of those that come from a
//! dependency's source.

mod common;

use common::{canon, markers, root};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lint(ws: &Path, extra: &[&str]) -> (BTreeSet<(PathBuf, usize, String)>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["-W", "all", "--no-cache", "--message-format", "short"])
        .args(extra)
        .current_dir(ws)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut found = BTreeSet::new();
    for line in out.lines() {
        // `app/src/lib.rs:6:5: warning: .. [async_lint::blocking_in_async]`
        let (Some((file, rest)), Some(lint)) = (
            line.split_once(':'),
            line.rsplit_once("[async_lint::")
                .map(|(_, l)| l.trim_end_matches(']')),
        ) else {
            continue;
        };
        let n: usize = rest.split(':').next().unwrap().parse().unwrap();
        found.insert((canon(&ws.join(file)), n, lint.to_string()));
    }
    (
        found,
        format!("{out}{}", String::from_utf8_lossy(&o.stderr)),
    )
}

#[test]
fn calls_into_dependencies_follow_their_source() {
    let ws = root().join("fixtures/dependencies/ws");
    let want = markers(&ws.join("app/src/lib.rs"));
    assert!(want.len() >= 4, "{want:?}");
    let (got, out) = lint(&ws, &[]);
    assert_eq!(got, want, "{out}");
    assert!(
        out.contains("`fsw::read_config` blocks: it calls `std::fs::read`"),
        "{out}"
    );
    // The human output names the dependency's file and line.
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--no-cache"])
        .current_dir(&ws)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let human = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        human.contains(
            "(fsw/src/file.rs:4): `fsw::file::read_through_helper` -> `inner` -> `std::fs::read`"
        ),
        "{human}"
    );
    // Without summaries, the calls into the dependencies are unknown.
    let (got, out) = lint(&ws, &["--no-deps"]);
    assert!(got.is_empty(), "{out}");
}
