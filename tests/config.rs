//! Configuration files, knowledge-base additions, exclusion and changed-files mode.

mod common;
use common::Scratch;
use std::path::Path;
use std::process::Output;

fn run(args: &[&str], cwd: &Path) -> Output {
    common::run_bin(args, cwd)
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        common::stdout_and_short(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

const BLOCKING: &str =
    "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";

#[test]
fn levels_from_file_and_command_line_override() {
    let s = Scratch::new(
        "levels",
        &[
            ("a.rs", BLOCKING),
            (
                "async-lint.toml",
                "[lints]\nblocking_in_async = \"allow\"\n",
            ),
        ],
    );
    assert_eq!(run(&["a.rs"], &s.0).status.code(), Some(0));
    // Command-line levels override the file.
    assert_eq!(
        run(&["a.rs", "-W", "blocking_in_async"], &s.0)
            .status
            .code(),
        Some(1)
    );
    // Group names, and Cargo's table form with a priority.
    std::fs::write(
        s.0.join("async-lint.toml"),
        "[lints]\nsuspicious = { level = \"deny\", priority = -1 }\n",
    )
    .unwrap();
    let o = run(&["a.rs"], &s.0);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("error[async_lint::blocking_in_async]"),
        "{}",
        out(&o)
    );
}

#[test]
fn invalid_configuration_is_an_error_naming_the_line() {
    let s = Scratch::new(
        "invalid",
        &[
            ("a.rs", BLOCKING),
            (
                "async-lint.toml",
                "exclude = []\n[lints]\nblocking_in_asink = \"allow\"\n",
            ),
        ],
    );
    // An unknown lint is a warning naming the line (a newer version's lint, or a typo), and
    // the run goes on with the rest of the configuration.
    let o = run(&["a.rs"], &s.0);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(text.contains("warning: "), "{text}");
    assert!(text.contains("async-lint.toml:3"), "{text}");
    assert!(text.contains("did you mean `blocking_in_async`?"), "{text}");

    std::fs::write(
        s.0.join("async-lint.toml"),
        "[lints]\nblocking_in_async = \"maybe\"\n",
    )
    .unwrap();
    let o = run(&["a.rs"], &s.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("async-lint.toml:2"), "{}", out(&o));

    std::fs::write(s.0.join("async-lint.toml"), "[lints\n").unwrap();
    let o = run(&["a.rs"], &s.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("async-lint.toml:1:"), "{}", out(&o));

    std::fs::write(s.0.join("async-lint.toml"), "unknown_key = 1\n").unwrap();
    let o = run(&["a.rs"], &s.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("unknown_key"), "{}", out(&o));

    // `--config` names the file to use.
    let o = run(&["a.rs", "--config", "missing.toml"], &s.0);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn exclude_globs_and_cargo_metadata() {
    let s = Scratch::new(
        "exclude",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[package.metadata.async-lint]\nexclude = [\"gen/**\"]\n",
            ),
            ("gen/a.rs", BLOCKING),
            ("other/b.rs", BLOCKING),
        ],
    );
    let o = run(&[".", "--message-format", "short"], &s.0);
    let text = out(&o);
    assert!(text.contains("other/b.rs:2:5"), "{text}");
    assert!(!text.contains("gen/a.rs"), "{text}");
}

#[test]
fn knowledge_base_additions_with_reasons() {
    let config = r#"
[[blocking]]
paths = ["legacy::fetch_sync"]
replacement = "legacy::fetch(..).await"
reason = "our old HTTP helper waits on a socket"

[[islands]]
paths = ["pool::run_blocking"]
reason = "runs the closure on our blocking pool"

[[held]]
lint = "non_send_across_await"
types = ["legacy::Handle"]
reason = "wraps a raw pointer"

[[not_cancel_safe]]
methods = ["recv_frame"]
reason = "reads a frame in several steps"
"#;
    let src = r#"
async fn tick() {}
pub async fn a() {
    legacy::fetch_sync();
    pool::run_blocking(|| std::fs::read("x"));
}
pub async fn b() {
    let h: legacy::Handle = legacy::open();
    tick().await;
    h.close();
}
pub fn spawn_b() {
    let _ = tokio::spawn(b());
}
pub async fn c(conn: &mut Conn, other: &mut Conn) {
    loop {
        tokio::select! {
            f = conn.recv_frame() => drop(f),
            _ = other.closed() => {}
        }
    }
}
"#;
    let s = Scratch::new("kb", &[("a.rs", src), ("async-lint.toml", config)]);
    let o = run(&["a.rs"], &s.0);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("blocking call to `legacy::fetch_sync`"),
        "{text}"
    );
    assert!(
        text.contains(
            "listed as blocking in the configuration: our old HTTP helper waits on a socket"
        ),
        "{text}"
    );
    assert!(
        !text.contains("std::fs::read"),
        "the island silences it: {text}"
    );
    assert!(text.contains("non_send_across_await"), "{text}");
    assert!(
        text.contains("listed in the configuration: wraps a raw pointer"),
        "{text}"
    );
    assert!(
        text.contains("`recv_frame` is not cancel-safe")
            || text.contains("recv_frame` is not cancel-safe"),
        "{text}"
    );
}

#[test]
fn changed_files_use_the_whole_crate() {
    let s = Scratch::new(
        "changed",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", "mod net;\nmod util;\n"),
            (
                "src/util.rs",
                "pub fn load() -> String {\n    std::fs::read_to_string(\"x\").unwrap()\n}\n",
            ),
            (
                "src/net.rs",
                "pub async fn serve() {\n    let _c = crate::util::load();\n}\n",
            ),
        ],
    );
    // Only net.rs is given, but the finding needs util.rs's helper.
    let o = run(&["src/net.rs", "--message-format", "short"], &s.0);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "src/net.rs:2:14: warning: `load` blocks: it calls `std::fs::read_to_string`"
        ),
        "{text}"
    );
    // util.rs alone has no finding of its own (the blocking call there is in sync code).
    let o = run(&["src/util.rs", "--message-format", "short"], &s.0);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn a_configuration_that_is_a_directory_is_an_error_and_two_files_a_warning() {
    let s = Scratch::new("cfgdir", &[("a.rs", BLOCKING)]);
    std::fs::create_dir_all(s.0.join("async-lint.toml")).unwrap();
    let o = run(&["a.rs"], &s.0);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("async-lint.toml: not a file"),
        "{}",
        out(&o)
    );

    let s = Scratch::new(
        "cfgtwo",
        &[
            ("a.rs", BLOCKING),
            (
                "async-lint.toml",
                "[lints]\nblocking_in_async = \"allow\"\n",
            ),
            (
                ".async-lint.toml",
                "[lints]\nblocking_in_async = \"deny\"\n",
            ),
        ],
    );
    let o = run(&["a.rs"], &s.0);
    assert_eq!(o.status.code(), Some(0), "the first file wins: {}", out(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("warning: both")
            && stderr.contains("using")
            && stderr.contains("/async-lint.toml"),
        "{stderr}"
    );
}

#[test]
fn fix_refuses_baselines_and_ignored_suppressions() {
    // On tokio with `time`: without the conflict, the finding would be fixed.
    let manifest = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                    [dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n";
    let s = Scratch::new(
        "fixconflict",
        &[("a.rs", BLOCKING), ("Cargo.toml", manifest)],
    );
    for other in [
        &["--baseline", "b.json"][..],
        &["--write-baseline", "b.json"],
        &["--ignore-suppressions"],
    ] {
        let mut args = vec!["a.rs", "--fix"];
        args.extend_from_slice(other);
        let o = run(&args, &s.0);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", out(&o));
        assert!(out(&o).contains("cannot be used with"), "{}", out(&o));
        assert_eq!(
            std::fs::read_to_string(s.0.join("a.rs")).unwrap(),
            BLOCKING,
            "nothing written"
        );
    }
}

#[test]
fn exclude_globs_with_alternatives_and_invalid_globs() {
    let s = Scratch::new(
        "globalt",
        &[
            ("gen/a.rs", BLOCKING),
            ("proto/b.rs", BLOCKING),
            ("c.rs", BLOCKING),
            ("async-lint.toml", "exclude = [\"{gen,proto}/**\"]\n"),
        ],
    );
    let o = run(&[".", "--message-format", "short", "--no-cache"], &s.0);
    let text = out(&o);
    assert!(
        text.contains("c.rs:") && !text.contains("a.rs:") && !text.contains("b.rs:"),
        "{text}"
    );

    let s = Scratch::new(
        "globbad",
        &[
            ("c.rs", BLOCKING),
            ("async-lint.toml", "\n\nexclude = [\"src/[a-\"]\n"),
        ],
    );
    let o = run(&["c.rs"], &s.0);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("async-lint.toml:3") && out(&o).contains("src/[a-"),
        "{}",
        out(&o)
    );
}

/// A `clippy.toml` beside the workspace: `await-holding-invalid-types` become held types, and
/// `disallowed-methods` with a reason become blocking APIs, reported in async code only.
#[test]
fn clippy_configuration_is_imported() {
    let lines = [
        "pub struct Token;",
        "pub fn token() -> Token {",
        "    Token",
        "}",
        "async fn h() {}",
        "pub async fn a() {",
        "    let _ = std::env::current_dir();", // 7: reasoned, in async code
        "}",
        "pub fn b() {",
        "    let _ = std::env::current_dir();", // 10: sync code
        "}",
        "pub async fn c() {",
        "    let _ = std::env::temp_dir();", // 13: no reason
        "}",
        "pub async fn d() {",
        "    let mut s = String::new();",
        "    s.shrink_to_fit();", // 17: a method
        "}",
        "pub async fn e() {",
        "    let t: Token = token();", // 20: held across the await
        "    h().await;",
        "    drop(t);",
        "}",
    ];
    let lib = lines.join("\n") + "\n";
    let clippy = "await-holding-invalid-types = [\n  { path = \"app::Token\", reason = \"a Token must not live across an await\" },\n]\n\
                  disallowed-methods = [\n  { path = \"std::env::current_dir\", reason = \"asks the OS\" },\n  \
                  \"std::env::temp_dir\",\n  { path = \"std::string::String::shrink_to_fit\", reason = \"reallocates\" },\n]\n";
    let s = Scratch::new(
        "clippy-import",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", &lib),
            ("clippy.toml", clippy),
        ],
    );
    let lint = |args: &[&str]| {
        let mut all = vec!["async-lint", "--message-format", "short"];
        all.extend_from_slice(args);
        common::run_bin(&all, &s.0)
    };
    let o = lint(&["-v"]);
    let text = common::stdout_and_short(&o).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let mut found: Vec<(usize, bool)> = text
        .lines()
        .map(|l| {
            let line: usize = l.split(':').nth(1).unwrap().parse().unwrap();
            (line, l.contains("async_lint::lock_across_await"))
        })
        .collect();
    found.sort();
    assert_eq!(found, [(7, false), (17, false), (20, true)], "{text}{err}");
    let human = common::run_bin(&["async-lint"], &s.0);
    let human = String::from_utf8_lossy(&human.stderr).into_owned();
    assert!(human.contains("asks the OS"), "the reason is said: {human}");
    assert!(
        err.contains("clippy.toml: 1 `await-holding-invalid-types`"),
        "{err}"
    );
    assert!(err.contains("1 without a reason left out"), "{err}");
    // The configuration can turn the import off.
    std::fs::write(
        s.0.join("async-lint.toml"),
        "import-clippy-config = false\n",
    )
    .unwrap();
    let o = lint(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout_and_short(&o));
    // A clippy.toml that is not TOML is a warning, not a failure of the run.
    std::fs::remove_file(s.0.join("async-lint.toml")).unwrap();
    std::fs::write(s.0.join("clippy.toml"), "disallowed-methods = [\n").unwrap();
    let o = lint(&[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("clippy.toml: not read"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
