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
    lint_with_env(ws, extra, &[])
}

/// [`lint`] with more environment variables.
fn lint_with_env(
    ws: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (BTreeSet<(PathBuf, usize, String)>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["-W", "all", "--no-cache", "--message-format", "short"])
        .args(extra)
        .current_dir(ws)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let out = common::stdout_and_short(&o).into_owned();
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
    // Type-level facts: a guard wrapper, a `Deref` newtype.
    assert!(
        out.contains("`g`, a `StateGuard` (whose field `guard` is a `std::sync::MutexGuard`)"),
        "{out}"
    );
    assert!(
        out.contains("blocking call to `std::process::Child::wait`"),
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
        common::stdout_and_short(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        human.contains(
            "(fsw/src/file.rs:4): `fsw::file::read_through_helper` -> `inner` -> `std::fs::read`"
        ),
        "{human}"
    );
    // The dependency's spawn wrapper is what requires `Send`; its async fn awaits a read that
    // is not cancel-safe, at this line of its source.
    assert!(
        human.contains("this future must be `Send` because it is passed to `kit::spawn`"),
        "{human}"
    );
    assert!(
        human.contains(
            "it awaits `kit::Conn::read_frame` -> `tokio::io::AsyncReadExt::read_exact` (kit/src/lib.rs:146)"
        ),
        "{human}"
    );
    // Through a helper of the crate: the chain goes on into the dependency.
    assert!(
        human.contains(
            "`local_setup` -> `fsw::create_dir_all` -> `std::fs::create_dir_all` (from fsw/src/dir.rs:4)"
        ),
        "{human}"
    );
    // JSON and SARIF give the dependency's file and line as a secondary location.
    let out = |format: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .args(["--no-cache", "--message-format", format])
            .current_dir(&ws)
            .output()
            .unwrap();
        common::stdout_and_short(&o).into_owned()
    };
    let file = canon(&root().join("fixtures/dependencies/deps/fsw/src/file.rs"));
    let json = out("json");
    let span = json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .flat_map(|v| {
            v["message"]["spans"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|s| s["file_name"].as_str().map(Path::new).map(canon) == Some(file.clone()))
        .unwrap_or_else(|| panic!("no span in {}: {json}", file.display()));
    assert_eq!(span["line_start"], 4, "{span}");
    assert_eq!(span["is_primary"], false, "{span}");
    let sarif = out("sarif");
    assert!(
        sarif.contains(&format!("file://{}", file.display())) && sarif.contains("\"startLine\": 4"),
        "{sarif}"
    );
    // Without summaries, the calls into the dependencies are unknown.
    let (got, out) = lint(&ws, &["--no-deps"]);
    assert!(got.is_empty(), "{out}");
}

/// The libraries of the members other members call are walked beside `cargo metadata` until
/// it answers, and the rest by the dependencies' walks: where a library is walked changes
/// nothing. (`helper` is walked beside cargo in a plain run: cargo never answers before the
/// first library starts.)
#[test]
fn member_libraries_walked_beside_cargo_or_after_it_give_the_same_findings() {
    let ws = root().join("fixtures/dependencies/ws");
    let (beside, out) = lint(&ws, &[]);
    let (after, out_after) = lint_with_env(&ws, &[], &[("ASYNC_LINT_NO_PREWALK", "1")]);
    assert_eq!(beside, after, "{out}\n---\n{out_after}");
    // Findings that come from the summary of `helper`, a member.
    let lib = canon(&ws.join("app/src/lib.rs"));
    for line in [140, 141] {
        assert!(
            after.contains(&(lib.clone(), line, "blocking_in_async".to_string())),
            "{out_after}"
        );
    }
}

/// Dependencies walked beside cargo with features guessed from `Cargo.lock` (all of them, with
/// the test hook) are taken when cargo's features agree, and give the findings walks after
/// cargo's answer give: on the lintcheck's application that calls fs-err, a registry crate
/// whose code asks about its `tokio` feature (its sources are fetched by `.ci/run`).
#[test]
fn dependencies_walked_with_guessed_features_give_the_same_findings() {
    let ws = root().join("lintcheck/local/fserr_user");
    let (after, out_after) = lint(&ws, &[]);
    let (guessed, out_guessed) = lint_with_env(
        &ws,
        &[],
        &[("ASYNC_LINT_GUESS_ALL", "1"), ("ASYNC_LINT_TIMING", "1")],
    );
    assert_eq!(after, guessed, "{out_after}\n---\n{out_guessed}");
    // Findings from fs-err's summary (the calls of `fs::` in the application).
    assert!(
        after.iter().any(|(_, _, lint)| lint == "blocking_in_async"),
        "{out_after}"
    );
    // And the walk with guessed features was the one used.
    assert!(
        out_guessed
            .lines()
            .any(|l| l.contains("guessed walk taken:") && l.contains("#fs-err@")),
        "{out_guessed}"
    );
}

#[test]
fn human_output_shows_the_dependency_source_line() {
    let ws = root().join("fixtures/dependencies/ws");
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--no-cache", "--message-format", "human"])
        .current_dir(&ws)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&o.stderr).into_owned();
    // The finding of `fs::read_config(..)` (app/src/lib.rs:8), as rustc shows a span in another
    // crate: the dependency's file (outside the workspace root: an absolute path), its line and
    // a label on the function's name.
    let block = human
        .split("\n\n")
        .find(|b| b.contains("app/src/lib.rs:8:13"))
        .unwrap_or_else(|| panic!("no finding at app/src/lib.rs:8: {human}"));
    let lines: Vec<&str> = block.lines().map(str::trim_end).collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("┌─") && l.ends_with("/src/file.rs:4:8"))
        .unwrap_or_else(|| panic!("no location in the dependency: {block}"));
    let shown = lines[at].trim_start().trim_start_matches("┌─").trim();
    let path = Path::new(shown.strip_suffix(":4:8").unwrap());
    assert!(path.is_absolute(), "{block}");
    assert_eq!(
        canon(path),
        canon(&root().join("fixtures/dependencies/deps/fsw/src/file.rs")),
        "{block}"
    );
    assert_eq!(
        &lines[at + 2..at + 4],
        [
            "4 │ pub fn read_through_helper(path: &Path) -> io::Result<Vec<u8>> {",
            "  │        ------------------- `fsw::file::read_through_helper` is defined here",
        ],
        "{block}"
    );
    // The other formats are unchanged: the short line, and JSON's rendered text, has no
    // snippet of the dependency.
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--no-cache", "--message-format", "json"])
        .current_dir(&ws)
        .output()
        .unwrap();
    let json = common::stdout_and_short(&o);
    assert!(json.contains("is defined here"), "{json}");
    assert!(!json.contains("pub fn read_through_helper"), "{json}");
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn summaries_and_results_are_cached_until_a_dependency_changes() {
    let (tmp, ws) = fixture_copy("cache");
    let run = || {
        let o = run_with_user_cache(
            Path::new(env!("CARGO_BIN_EXE_cargo-async-lint")),
            &ws,
            &tmp,
            &["-W", "all"],
        );
        (
            common::stdout_and_short(&o).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (cold, cold_err) = run();
    assert!(
        cold.contains("`fsw::create_dir_all` blocks"),
        "{cold}{cold_err}"
    );
    assert!(cold_err.contains("summarized"), "{cold_err}");
    // `-v` says what the calls did not reach (here: every dependency is called).
    assert!(
        cold_err.contains("0 not reached by the workspace's calls, 0 `.rs` files"),
        "{cold_err}"
    );
    let summaries = tmp.join("user-cache/cargo-async-lint/summaries");
    assert_eq!(
        stored_summaries(&summaries),
        (1, 4),
        "one summary per dependency (and per member another member depends on), in one file"
    );
    // Warm: the same findings, and no summary is even read (every package hit the cache).
    let (warm, warm_err) = run();
    assert_eq!(warm, cold);
    assert!(!warm_err.contains("summarized"), "{warm_err}");
    // A path dependency that no longer blocks: its summary and the results are rebuilt.
    std::fs::write(
        tmp.join("fx/deps/fsw/src/dir.rs"),
        "use std::io;\nuse std::path::Path;\n\npub fn create_dir_all<P: AsRef<Path>>(_: P) -> io::Result<()> {\n    Ok(())\n}\n\npub async fn create_dir_later(_: &Path) -> io::Result<()> {\n    Ok(())\n}\n",
    )
    .unwrap();
    let (after, after_err) = run();
    assert!(!after.contains("create_dir_all"), "{after}{after_err}");
    assert!(after.contains("`fsw::read_config` blocks"), "{after}");
    // Another member of the workspace that no longer blocks: the results of the members that
    // call it are rebuilt too.
    assert!(after.contains("`helper::load_settings` blocks"), "{after}");
    let lib = tmp.join("fx/ws/helper/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap().replace(
        "std::fs::read_to_string(\"settings.toml\").unwrap_or_default()",
        "String::new()",
    );
    std::fs::write(&lib, text).unwrap();
    let (edited, edited_err) = run();
    assert!(
        !edited.contains("`helper::load_settings` blocks"),
        "{edited}{edited_err}"
    );
    assert!(edited.contains("`fsw::read_config` blocks"), "{edited}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Summaries are keyed by the tool's sources, not by its executable: a rebuild or a copy of
/// the same sources (here a copy with another modification time, which the result cache takes
/// for a rebuild) reads the summaries the first build stored instead of walking the
/// dependencies again.
#[test]
fn a_rebuild_of_the_same_sources_reuses_the_summaries() {
    let (tmp, ws) = fixture_copy("rebuild");
    let tool = tmp.join("tool/cargo-async-lint");
    std::fs::create_dir_all(tmp.join("tool")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_cargo-async-lint"), &tool).unwrap();
    let run = |bin: &Path| {
        common::stdout_and_short(&run_with_user_cache(bin, &ws, &tmp, &[])).into_owned()
    };
    // Every stored summary entry (a new key would add one beside the old).
    let entries = || stored_summaries(&tmp.join("user-cache/cargo-async-lint/summaries")).1;
    let first = run(Path::new(env!("CARGO_BIN_EXE_cargo-async-lint")));
    let stored = entries();
    assert!(stored >= 4, "{stored}");
    // The copy, "rebuilt" a year later.
    let f = std::fs::File::options().write(true).open(&tool).unwrap();
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(365 * 86400))
        .unwrap();
    drop(f);
    assert_eq!(run(&tool), first);
    assert_eq!(entries(), stored, "no summary was made again");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The summary cache's pack files in `dir` and the entries they hold (the number in each
/// pack's head: the magic `ALSPACK1`, the format, the number of entries).
fn stored_summaries(dir: &Path) -> (usize, u64) {
    let mut packs = 0;
    let mut entries = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let bytes = std::fs::read(e.path()).unwrap_or_default();
        assert!(
            e.file_name().to_string_lossy().ends_with(".pack") && bytes.starts_with(b"ALSPACK1"),
            "not a pack: {}",
            e.path().display()
        );
        packs += 1;
        entries += u64::from_le_bytes(bytes[16..24].try_into().unwrap());
    }
    (packs, entries)
}

/// A copy of `fixtures/dependencies` in a scratch folder of its own (`name`): (the folder, its
/// workspace).
fn fixture_copy(name: &str) -> (PathBuf, PathBuf) {
    let tmp = std::env::temp_dir().join(format!("async-lint-deps-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    copy_tree(&root().join("fixtures/dependencies"), &tmp.join("fx"));
    let ws = tmp.join("fx/ws");
    (tmp, ws)
}

/// Runs `bin -v --message-format short` and `args` in `ws` with the user cache in `tmp`.
fn run_with_user_cache(bin: &Path, ws: &Path, tmp: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin)
        .args(args)
        .args(["--message-format", "short", "-v"])
        .current_dir(ws)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", tmp.join("user-cache"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap()
}

/// The benchmark's list of the files a run parses (`ASYNC_LINT_LIST_PARSED`, read by
/// `benches/throughput.rs` for its floor): each file named as often as it is parsed (a member
/// library other members call twice: for its summary, and for its lint); nothing without it.
#[test]
fn the_files_a_run_parses_are_listed_for_the_benchmark() {
    let ws = root().join("fixtures/dependencies/ws");
    let listed = |env: &[(&str, &str)]| {
        let (_, out) = lint_with_env(&ws, &[], env);
        let mut parsed: std::collections::BTreeMap<PathBuf, usize> = Default::default();
        for path in out.lines().filter_map(|l| l.strip_prefix("parsed ")) {
            *parsed.entry(canon(&ws.join(path))).or_default() += 1;
        }
        (parsed, out)
    };
    let (parsed, out) = listed(&[("ASYNC_LINT_LIST_PARSED", "1")]);
    let deps = root().join("fixtures/dependencies/deps");
    let expected = [
        (deps.join("fsw/src/dir.rs"), 1),
        (deps.join("fsw/src/file.rs"), 1),
        (deps.join("fsw/src/lib.rs"), 1),
        (deps.join("kit/src/lib.rs"), 1),
        (deps.join("pool/src/lib.rs"), 1),
        (ws.join("app/src/lib.rs"), 1),
        (ws.join("helper/src/lib.rs"), 2),
    ];
    let expected: std::collections::BTreeMap<PathBuf, usize> =
        expected.iter().map(|(p, n)| (canon(p), *n)).collect();
    assert_eq!(parsed, expected, "{out}");
    let (none, out) = listed(&[]);
    assert!(none.is_empty(), "{out}");
}
