//! End-to-end tests of the binary: subcommand plumbing, formats, levels and exit codes.

mod common;
use common::Scratch;
use std::path::Path;
use std::process::Output;

fn run(args: &[&str], cwd: &Path) -> Output {
    common::run_bin(args, cwd)
}

fn stdout(o: &Output) -> String {
    common::stdout_and_short(o).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const BLOCKING: &str =
    "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";

#[test]
fn list_and_explain() {
    let here = common::root();
    let o = run(&["--list"], &here);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("| `blocking_in_async` | suspicious | warn |"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("| `block_on_in_async` | correctness | deny |"));

    // As cargo runs it: the subcommand name comes again as the first argument.
    let o = run(&["async-lint", "--explain", "blocking_in_async"], &here);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    for section in [
        "### What it does",
        "### Why is this bad?",
        "### Known problems",
        "### Example",
        "### Use instead",
    ] {
        assert!(text.contains(section), "missing {section} in:\n{text}");
    }

    // A group explains itself: its lints, and how to set them.
    let o = run(&["--explain", "suspicious"], &here);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("suspicious (group of"), "{text}");
    assert!(
        text.contains("blocking_in_async") && !text.contains("block_on_in_async"),
        "{text}"
    );
    assert!(!stderr(&o).contains("did you mean"), "{}", stderr(&o));
    let o = run(&["--explain", "all"], &here);
    assert!(stdout(&o).contains("block_on_in_async"), "{}", stdout(&o));

    let o = run(&["--explain", "blocking_in_asyn"], &here);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `blocking_in_async`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn exit_codes_and_levels() {
    let s = Scratch::new("levels", &[("a.rs", BLOCKING)]);
    let p = s.0.join("a.rs");
    let p = p.to_str().unwrap();
    let here = common::root();

    let o = run(&[p], &here);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning[async_lint::blocking_in_async]: blocking call to `std::thread::sleep` in async code"), "{}", stderr(&o));

    assert_eq!(run(&[p, "--exit-zero"], &here).status.code(), Some(0));
    assert_eq!(
        run(&[p, "-A", "blocking_in_async"], &here).status.code(),
        Some(0)
    );
    assert_eq!(run(&[p, "-A", "all"], &here).status.code(), Some(0));
    assert_eq!(run(&[p, "-A", "suspicious"], &here).status.code(), Some(0));
    // Later flags win.
    assert_eq!(
        run(&[p, "-A", "all", "-W", "blocking_in_async"], &here)
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&[p, "-W", "blocking_in_async", "-A", "all"], &here)
            .status
            .code(),
        Some(0)
    );

    let o = run(&[p, "-D", "blocking_in_async"], &here);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error[async_lint::blocking_in_async]: blocking call"),
        "{}",
        stderr(&o)
    );

    // An unknown lint is a warning with the closest name, as in rustc; the run goes on.
    let o = run(&[p, "-W", "blocking_in_asink"], &here);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "warning: unknown lint or group `blocking_in_asink` (did you mean `blocking_in_async`?)"
        ),
        "{}",
        stderr(&o)
    );
    let o = run(
        &[p, "-A", "blocking_in_asink", "-A", "blocking_in_async"],
        &here,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let o = run(&["--no-such-flag"], &here);
    assert_eq!(o.status.code(), Some(2));

    let o = run(&["/definitely/not/here.rs"], &here);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/definitely/not/here.rs"));
}

#[test]
fn short_and_json_formats() {
    let manifest = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                    [dependencies]\ntokio = { version = \"1\", features = [\"rt\", \"time\"] }\n";
    let s = Scratch::new("formats", &[("a.rs", BLOCKING), ("Cargo.toml", manifest)]);
    let o = run(&["a.rs", "--message-format", "short"], &s.0);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "a.rs:2:5: warning: blocking call to `std::thread::sleep` in async code [async_lint::blocking_in_async]\n"
    );

    let o = run(&["a.rs", "--message-format", "json"], &s.0);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["reason"], "compiler-message");
    let m = &v["message"];
    assert_eq!(m["code"]["code"], "async_lint::blocking_in_async");
    assert_eq!(m["level"], "warning");
    let span = &m["spans"][0];
    assert_eq!(span["file_name"], "a.rs");
    assert_eq!(span["line_start"], 2);
    assert_eq!(span["column_start"], 5);
    assert_eq!(span["column_end"], 23);
    assert_eq!(span["is_primary"], true);
    let (lo, hi) = (
        span["byte_start"].as_u64().unwrap() as usize,
        span["byte_end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&BLOCKING[lo..hi], "std::thread::sleep");
    assert!(
        m["rendered"]
            .as_str()
            .unwrap()
            .contains("std::thread::sleep")
    );
    assert_eq!(m["children"][0]["level"], "help");
    // The fix rides on the help as a machine-applicable suggestion.
    let sugg = &m["children"][0]["spans"];
    assert_eq!(sugg[0]["suggested_replacement"], "tokio::time::sleep");
    assert_eq!(sugg[1]["suggested_replacement"], ".await");
    let fin: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(fin["reason"], "build-finished");
    // Without a runtime to take the replacement from, the help has no suggestion.
    let bare = Scratch::new("formats-bare", &[("a.rs", BLOCKING)]);
    let o = run(&["a.rs", "--message-format", "json"], &bare.0);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(v["message"]["children"][0]["level"], "help");
    assert_eq!(v["message"]["children"][0]["spans"], serde_json::json!([]));

    // What rust-analyzer and other cargo JSON consumers parse.
    for line in &lines {
        let msg: cargo_metadata::Message =
            serde_json::from_str(line).expect("cargo_metadata parses it");
        if let cargo_metadata::Message::CompilerMessage(cm) = msg {
            assert_eq!(
                cm.message.code.unwrap().code,
                "async_lint::blocking_in_async"
            );
        }
    }
}

#[test]
fn parse_errors_do_not_stop_the_run() {
    let s = Scratch::new(
        "parse",
        &[
            ("bad.rs", "fn broken( {\n"),
            ("good.rs", BLOCKING),
            ("latin1.rs", ""),
        ],
    );
    std::fs::write(s.0.join("latin1.rs"), b"fn f() { let s = \"caf\xe9\"; }\n").unwrap();
    let o = run(&[".", "--message-format", "short"], &s.0);
    let out = stdout(&o);
    assert!(out.contains("bad.rs:1:"), "{out}");
    assert!(out.contains("parse_error"), "{out}");
    assert!(out.contains("good.rs:2:5: warning: blocking call"), "{out}");
    assert!(
        out.contains("latin1.rs:1:") && out.contains("not valid UTF-8"),
        "{out}"
    );
    // A file that cannot be read as text is a problem that stopped the check: exit 2.
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cargo_mode_follows_the_module_tree() {
    let s = Scratch::new(
        "cargo",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"demo-crate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", "mod net;\npub mod util { pub mod io; }\n"),
            (
                "src/net.rs",
                "pub async fn serve() {\n    crate::util::io::load();\n}\n",
            ),
            (
                "src/util/io.rs",
                "pub fn load() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
            ),
            ("src/orphan.rs", BLOCKING),
            (
                "src/bin/tool.rs",
                "#[tokio::main]\nasync fn main() {\n    let _ = std::fs::read(\"x\");\n}\n",
            ),
        ],
    );
    let manifest = s.0.join("Cargo.toml");
    let o = run(
        &[
            "async-lint",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--message-format",
            "short",
        ],
        &s.0,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(
        out.contains("src/net.rs:2:5: warning: `load` blocks: it calls `std::thread::sleep`"),
        "{out}"
    );
    assert!(
        out.contains("src/bin/tool.rs:3:13: warning: blocking call to `std::fs::read`"),
        "{out}"
    );
    assert!(
        !out.contains("orphan"),
        "a file outside the module tree is not linted: {out}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
}

/// rust-analyzer's `check.overrideCommand = ["cargo", "async-lint", "--message-format", "json"]`:
/// cargo runs `cargo-async-lint async-lint --message-format json` in the workspace, and every
/// line must parse as a cargo message.
#[test]
fn rust_analyzer_override_command() {
    let s = Scratch::new(
        "ra",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"ra-demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", BLOCKING),
        ],
    );
    let o = run(&["async-lint", "--message-format", "json"], &s.0);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let mut messages = 0;
    let mut finished = false;
    for msg in cargo_metadata::Message::parse_stream(o.stdout.as_slice()) {
        match msg.expect("a cargo JSON message") {
            cargo_metadata::Message::CompilerMessage(cm) => {
                messages += 1;
                let span = &cm.message.spans[0];
                assert_eq!(span.file_name, "src/lib.rs");
                assert_eq!(span.line_start, 2);
                assert!(cm.message.rendered.unwrap().contains("blocking_in_async"));
            }
            cargo_metadata::Message::BuildFinished(f) => finished = !f.success,
            other => panic!("unexpected message {other:?}"),
        }
    }
    assert_eq!(messages, 1);
    assert!(finished, "a build-finished line ends the stream");
}

/// A changed file given alone (as a pre-commit hook passes it) is analysed where the crate's
/// module tree puts it: `mod io;` in `src/net.rs` is `src/net/io.rs`, so the call into its
/// blocking helper is followed.
#[test]
fn a_given_module_file_keeps_its_place_in_the_module_tree() {
    let s = Scratch::new(
        "given-module",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"given-module\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", "mod net;\n"),
            (
                "src/net.rs",
                "mod io;\n\npub async fn serve() {\n    io::load();\n}\n",
            ),
            (
                "src/net/io.rs",
                "pub fn load() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
            ),
        ],
    );
    let o = run(
        &["src/net.rs", "--message-format", "short", "--no-cache"],
        &s.0,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert_eq!(
        out,
        "src/net.rs:4:5: warning: `load` blocks: it calls `std::thread::sleep` [async_lint::blocking_in_async]\n"
    );
}

#[test]
fn the_same_file_named_twice_is_linted_once() {
    let s = common::Scratch::new(
        "twice",
        &[(
            "a.rs",
            "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
        )],
    );
    let abs = s.0.join("a.rs");
    let abs = abs.to_str().unwrap();
    let o = common::run_bin(
        &[
            "a.rs",
            "./a.rs",
            abs,
            ".",
            "--message-format",
            "short",
            "--no-cache",
        ],
        &s.0,
    );
    let stdout = common::stdout_and_short(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.matches("blocking_in_async").count(), 1, "{stdout}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("in 1 file"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn package_specs_as_cargo_reads_them() {
    let member = |name: &str, version: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n")
    };
    let body =
        "pub async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    let (core, web, tool) = (
        member("api-core", "0.2.0"),
        member("api-web", "0.2.0"),
        member("tool", "1.0.3"),
    );
    let s = Scratch::new(
        "pkgspec",
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"api-core\", \"api-web\", \"tool\"]\nresolver = \"2\"\n",
            ),
            ("api-core/Cargo.toml", &core),
            ("api-core/src/lib.rs", body),
            ("api-web/Cargo.toml", &web),
            ("api-web/src/lib.rs", body),
            ("tool/Cargo.toml", &tool),
            ("tool/src/lib.rs", body),
        ],
    );
    let linted = |spec: &str| {
        let o = common::run_bin(
            &["-p", spec, "--message-format", "short", "--no-cache"],
            &s.0,
        );
        let text = common::stdout_and_short(&o).into_owned();
        let mut dirs: Vec<&str> = ["api-core", "api-web", "tool"]
            .into_iter()
            .filter(|d| text.contains(&format!("{d}/src/lib.rs")))
            .collect();
        dirs.sort();
        (o.status.code(), dirs.join(","))
    };
    assert_eq!(linted("api-core@0.2.0"), (Some(1), "api-core".into()));
    assert_eq!(linted("api-*"), (Some(1), "api-core,api-web".into()));
    assert_eq!(linted("tool@1"), (Some(1), "tool".into()));
    assert_eq!(linted("tool@1.0.3"), (Some(1), "tool".into()));
    assert_eq!(linted("tool@2").0, Some(2));
    let o = common::run_bin(&["-p", "nope"], &s.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did not match"));
}

/// Valid edition-2015 Rust (a bare trait object) that syn does not parse.
const LEGACY: &str = "fn handlers() -> Vec<Box<Fn(u8) -> u8>> {\n    Vec::new()\n}\n";

#[test]
fn parse_error_warns_by_default_and_takes_levels_like_any_lint() {
    let s = Scratch::new(
        "parse-levels",
        &[
            ("legacy.rs", LEGACY),
            ("deny.toml", "[lints]\nparse_error = \"deny\"\n"),
            ("allow.toml", "[lints]\ncorrectness = \"allow\"\n"),
        ],
    );
    let short = [".", "--message-format", "short", "--no-cache"];
    // A warning that does not fail the run: the parser's limits must not break a CI gate.
    let o = run(&short, &s.0);
    let out = stdout(&o);
    assert!(
        out.contains("legacy.rs:1:") && out.contains("warning: could not parse file"),
        "{out}"
    );
    assert!(out.contains("[async_lint::parse_error]"), "{out}");
    assert_eq!(o.status.code(), Some(0), "{out}");
    let human = run(&[".", "--no-cache"], &s.0);
    assert!(
        stderr(&human).contains("`parse_error` is set to `warn`"),
        "{}",
        stderr(&human)
    );
    assert_eq!(human.status.code(), Some(0));
    // Denied on the command line or in the configuration: an error, exit 1.
    for extra in [
        &["-D", "parse_error"][..],
        &["-A", "all", "-D", "parse-error"],
        &["--config", "deny.toml"],
    ] {
        let o = run(&[&short[..], extra].concat(), &s.0);
        let out = stdout(&o);
        assert!(
            out.contains("legacy.rs:1:") && out.contains("error: could not parse"),
            "{extra:?}: {out}"
        );
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {out}");
    }
    // Allowed: nothing reported.
    for extra in [
        &["-A", "parse_error"][..],
        &["-D", "parse_error", "-A", "correctness"],
        &["--config", "allow.toml"],
    ] {
        let o = run(&[&short[..], extra].concat(), &s.0);
        assert_eq!(stdout(&o), "", "{extra:?}");
        assert_eq!(o.status.code(), Some(0), "{extra:?}");
    }
    // `--explain` and `--list` know it.
    let o = run(&["--explain", "parse_error"], &s.0);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("warn by default"), "{}", stdout(&o));
}

#[test]
fn a_file_comment_allows_parse_error_in_a_file_that_does_not_parse() {
    let s = Scratch::new(
        "parse-suppress",
        &[
            (
                "legacy.rs",
                &format!("//! async-lint: allow(parse_error) -- edition-2015 syntax\n{LEGACY}"),
            ),
            ("other.rs", LEGACY),
            ("fine.rs", "//! async-lint: allow(parse_error)\nfn f() {}\n"),
        ],
    );
    let args = [
        ".",
        "--message-format",
        "short",
        "--no-cache",
        "-D",
        "parse_error",
        "-W",
        "unused_suppression",
    ];
    let o = run(&args, &s.0);
    let out = stdout(&o);
    assert!(!out.contains("legacy.rs"), "{out}");
    assert!(out.contains("other.rs:1:"), "{out}");
    // A suppression of parse_error in a file that parses silences nothing.
    assert!(
        out.contains("fine.rs:1:1: warning: this suppression of `parse_error` silences nothing"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(o.status.code(), Some(1));
    // `--ignore-suppressions` reports it again.
    let o = run(&[&args[..], &["--ignore-suppressions"]].concat(), &s.0);
    assert!(stdout(&o).contains("legacy.rs:2:"), "{}", stdout(&o));
    // Allowed, the suppression is idle, not unused.
    let o = run(&[&args[..], &["-A", "parse_error"]].concat(), &s.0);
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn an_unreadable_file_exits_2_unless_parse_error_is_allowed() {
    let s = Scratch::new("parse-unreadable", &[("good.rs", "fn f() {}\n")]);
    std::fs::write(s.0.join("latin1.rs"), b"fn f() { let s = \"caf\xe9\"; }\n").unwrap();
    let o = run(&[".", "--message-format", "short", "--no-cache"], &s.0);
    assert!(stdout(&o).contains("latin1.rs:1:"), "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(2));
    let o = run(
        &[
            ".",
            "--message-format",
            "short",
            "--no-cache",
            "-A",
            "parse_error",
        ],
        &s.0,
    );
    assert_eq!(stdout(&o), "");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn cached_parse_errors_keep_their_level() {
    let s = Scratch::new(
        "parse-cache",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"legacy\"\nversion = \"0.1.0\"\nedition = \"2015\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", LEGACY),
        ],
    );
    let short = [".", "--message-format", "short"];
    let cold = run(&short, &s.0);
    assert!(
        stdout(&cold).contains("warning: could not parse"),
        "{}",
        stdout(&cold)
    );
    assert_eq!(cold.status.code(), Some(0));
    assert!(s.0.join("target/async-lint-cache").is_dir());
    let warm = run(&short, &s.0);
    assert_eq!(stdout(&warm), stdout(&cold));
    assert_eq!(warm.status.code(), Some(0));
    let denied = run(&[&short[..], &["-D", "parse_error"]].concat(), &s.0);
    assert!(
        stdout(&denied).contains("error: could not parse"),
        "{}",
        stdout(&denied)
    );
    assert_eq!(denied.status.code(), Some(1));
}
