//! Cargo's flags as a Clippy user types them: target selection, `--exclude`, the manifest
//! flags, `-q`, and the exact command lines rust-analyzer runs.

mod common;
use common::Scratch;
use std::process::Output;

fn stdout(o: &Output) -> String {
    common::stdout_and_short(o).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SLEEP: &str = "std::thread::sleep(std::time::Duration::from_secs(1));";

/// A package with a finding in every kind of target, in a scratch folder of its own (`name`:
/// one per test, as the tests of a file run side by side).
fn all_targets(name: &str) -> Scratch {
    let f = |name: &str| format!("pub async fn {name}() {{\n    {SLEEP}\n}}\n");
    let main = |name: &str| format!("{}fn main() {{}}\n", f(name));
    Scratch::new(
        name,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"targets\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", &f("in_lib")),
            ("src/bin/tool.rs", &main("in_tool")),
            ("src/bin/other.rs", &main("in_other")),
            ("tests/t.rs", &f("in_test")),
            ("examples/e.rs", &main("in_example")),
            ("benches/b.rs", &main("in_bench")),
        ],
    )
}

/// The files with findings, from `--message-format short`.
fn files_with_findings(o: &Output) -> Vec<String> {
    let mut files: Vec<String> = stdout(o)
        .lines()
        .filter_map(|l| l.split(':').next().map(str::to_string))
        .collect();
    files.dedup();
    files
}

#[test]
fn target_flags_select_like_cargo() {
    let s = all_targets("targets-select");
    let lint = |flags: &[&str]| {
        let mut args = vec!["async-lint", "--message-format", "short"];
        args.extend_from_slice(flags);
        common::run_bin(&args, &s.0)
    };
    let every = [
        "benches/b.rs",
        "examples/e.rs",
        "src/bin/other.rs",
        "src/bin/tool.rs",
        "src/lib.rs",
        "tests/t.rs",
    ];
    for (flags, expected) in [
        (&[][..], &every[..]),
        (&["--all-targets"], &every),
        (&["--lib"], &["src/lib.rs"]),
        (&["--bins"], &["src/bin/other.rs", "src/bin/tool.rs"]),
        (&["--bin", "tool"], &["src/bin/tool.rs"]),
        (&["--tests"], &["tests/t.rs"]),
        (&["--test", "t"], &["tests/t.rs"]),
        (&["--examples"], &["examples/e.rs"]),
        (&["--example", "e"], &["examples/e.rs"]),
        (&["--benches"], &["benches/b.rs"]),
        (&["--bench", "b"], &["benches/b.rs"]),
        (&["--lib", "--examples"], &["examples/e.rs", "src/lib.rs"]),
    ] {
        let o = lint(flags);
        let mut got = files_with_findings(&o);
        got.sort();
        assert_eq!(got, expected, "{flags:?}: {}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(1), "{flags:?}");
    }
    // A target no member has is an error, as in cargo.
    let o = lint(&["--bin", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no bin target named `nope`"),
        "{}",
        stderr(&o)
    );
    // Target selection picks from a cargo workspace, not from given paths.
    let o = lint(&["--lib", "src/lib.rs"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn exclude_and_the_manifest_flags() {
    let member = |name: &str| {
        (
            format!("{name}/Cargo.toml"),
            format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        )
    };
    let (am, at) = member("a");
    let (bm, bt) = member("b");
    let lib = format!("pub async fn f() {{\n    {SLEEP}\n}}\n");
    let s = Scratch::new(
        "exclude",
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
            ),
            (&am, &at),
            (&bm, &bt),
            ("a/src/lib.rs", &lib),
            ("b/src/lib.rs", &lib),
        ],
    );
    // `cargo generate-lockfile` for `--locked`: no dependencies, so nothing is fetched.
    let lock = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["generate-lockfile", "--offline"])
        .current_dir(&s.0)
        .output()
        .expect("cargo");
    assert!(lock.status.success(), "{}", stderr(&lock));
    let o = common::run_bin(
        &[
            "async-lint",
            "--workspace",
            "--exclude",
            "b",
            "--locked",
            "--offline",
            "--frozen",
            "-q",
            "--message-format",
            "short",
        ],
        &s.0,
    );
    assert_eq!(files_with_findings(&o), ["a/src/lib.rs"], "{}", stderr(&o));
    // `-q`: no summary line.
    assert!(!stderr(&o).contains("async-lint:"), "{}", stderr(&o));
    let o = common::run_bin(&["async-lint", "--message-format", "short"], &s.0);
    assert!(
        stderr(&o).contains("2 warnings in 2 files"),
        "{}",
        stderr(&o)
    );
    // `--exclude` of a name no member has: a warning, as cargo's.
    let o = common::run_bin(
        &["async-lint", "--workspace", "--exclude", "zz", "-q"],
        &s.0,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("excluded package(s) `zz` not found"),
        "{}",
        stderr(&o)
    );
    // One file: "1 file", not "1 files".
    let o = common::run_bin(&["async-lint", "--exclude", "a"], &s.0);
    assert!(
        stderr(&o).contains("1 warning in 1 file\n"),
        "{}",
        stderr(&o)
    );
    // `-q` and `-v` together, as cargo: an error.
    let o = common::run_bin(&["async-lint", "-q", "-v"], &s.0);
    assert_eq!(o.status.code(), Some(2));
}

/// What rust-analyzer runs with `"rust-analyzer.check.command": "async-lint"`, verbatim:
/// `cargo async-lint --workspace --message-format=json-diagnostic-rendered-ansi --manifest-path
/// <root>/Cargo.toml --keep-going --all-targets`.
#[test]
fn rust_analyzer_check_command_verbatim() {
    let s = all_targets("targets-ra");
    let manifest = format!("{}", s.0.join("Cargo.toml").display());
    let o = common::run_bin(
        &[
            "async-lint",
            "--workspace",
            "--message-format=json-diagnostic-rendered-ansi",
            "--manifest-path",
            &manifest,
            "--keep-going",
            "--all-targets",
        ],
        &s.0,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let mut messages = 0;
    for msg in cargo_metadata::Message::parse_stream(o.stdout.as_slice()) {
        if let cargo_metadata::Message::CompilerMessage(cm) = msg.expect("a cargo JSON message") {
            messages += 1;
            let rendered = cm.message.rendered.unwrap();
            assert!(rendered.contains("\u{1b}["), "ANSI colour: {rendered:?}");
        }
    }
    assert_eq!(messages, 6);
}

#[test]
fn cargo_json_message_forms() {
    let s = all_targets("targets-json");
    let lint =
        |format: &str| common::run_bin(&["async-lint", "--lib", "--message-format", format], &s.0);
    // `json-diagnostic-short`: the rendered text is the one-line form.
    for format in ["json-diagnostic-short", "json,json-diagnostic-short"] {
        let o = lint(format);
        let rendered: Vec<String> = cargo_metadata::Message::parse_stream(o.stdout.as_slice())
            .filter_map(|m| match m.unwrap() {
                cargo_metadata::Message::CompilerMessage(cm) => cm.message.rendered,
                _ => None,
            })
            .collect();
        assert_eq!(rendered.len(), 1, "{format}");
        assert!(
            rendered[0].starts_with("src/lib.rs:2:5: warning:"),
            "{rendered:?}"
        );
        assert_eq!(rendered[0].lines().count(), 1, "{rendered:?}");
    }
    // `json-render-diagnostics`: diagnostics for people on stderr, the JSON stream on stdout.
    let o = lint("json-render-diagnostics");
    assert!(
        stderr(&o).contains("blocking call to `std::thread::sleep`"),
        "{}",
        stderr(&o)
    );
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"reason\":\"build-finished\""), "{out}");
    // Anything else is refused with the list of values.
    let o = lint("xml");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("json-diagnostic-rendered-ansi"),
        "{}",
        stderr(&o)
    );
    let o = lint("json,short");
    assert_eq!(o.status.code(), Some(2));
}

/// Colour as cargo decides it: `--color`, then `CARGO_TERM_COLOR`, then `NO_COLOR` /
/// `CLICOLOR_FORCE` (output to a pipe here, so no terminal).
#[test]
fn colour_from_the_flag_and_the_environment() {
    let s = all_targets("targets-colour");
    let lint = |flags: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
        cmd.args(["async-lint", "--lib"])
            .args(flags)
            .current_dir(&s.0);
        for var in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "CARGO_TERM_COLOR"] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        stderr(&o).contains("\u{1b}[")
    };
    assert!(!lint(&[], &[]), "a pipe: no colour");
    assert!(lint(&[], &[("CARGO_TERM_COLOR", "always")]));
    assert!(!lint(
        &["--color", "never"],
        &[("CARGO_TERM_COLOR", "always")]
    ));
    assert!(lint(
        &["--color", "always"],
        &[("CARGO_TERM_COLOR", "never")]
    ));
    assert!(lint(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!lint(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
}

/// Which members a run lints, as cargo builds them: the package of the working directory (or
/// of `--manifest-path`), else the default members; `--workspace` every member.
#[test]
fn members_like_cargo() {
    let lib = format!("pub async fn f() {{\n    {SLEEP}\n}}\n");
    let manifest = |name: &str, extra: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{extra}")
    };
    // A root package with two members besides it.
    let root_toml = manifest("root", "\n[workspace]\nmembers = [\"m\", \"n\"]\n");
    let (m_toml, n_toml) = (manifest("m", ""), manifest("n", ""));
    let s = Scratch::new(
        "members-rooted",
        &[
            ("Cargo.toml", &root_toml),
            ("src/lib.rs", &lib),
            ("m/Cargo.toml", &m_toml),
            ("m/src/lib.rs", &lib),
            ("n/Cargo.toml", &n_toml),
            ("n/src/lib.rs", &lib),
        ],
    );
    let lint = |args: &[&str], dir: &std::path::Path| {
        let mut all = vec!["async-lint", "--message-format", "short"];
        all.extend_from_slice(args);
        let o = common::run_bin(&all, dir);
        let mut files = files_with_findings(&o);
        files.sort();
        (o.status.code(), files, stderr(&o))
    };
    let root = &s.0;
    let (_, files, err) = lint(&[], root);
    assert_eq!(files, ["src/lib.rs"], "the root package only: {err}");
    let (_, files, err) = lint(&["--workspace"], root);
    assert_eq!(
        files,
        ["m/src/lib.rs", "n/src/lib.rs", "src/lib.rs"],
        "{err}"
    );
    let (_, files, err) = lint(&[], &root.join("m/src"));
    assert_eq!(
        files,
        ["m/src/lib.rs"],
        "the member of the working directory: {err}"
    );
    let m_manifest = root.join("n/Cargo.toml");
    let (_, files, err) = lint(&["--manifest-path", m_manifest.to_str().unwrap()], root);
    assert_eq!(files, ["n/src/lib.rs"], "{err}");
    let (_, files, err) = lint(&["--workspace", "--exclude", "root"], root);
    assert_eq!(files, ["m/src/lib.rs", "n/src/lib.rs"], "{err}");
    let (code, _, err) = lint(&["-p", "m", "--workspace"], root);
    assert_eq!(
        code,
        Some(2),
        "-p with --workspace is an error, as in cargo: {err}"
    );

    // A virtual root: its `default-members`, else every member.
    let s = Scratch::new(
        "members-virtual",
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"m\", \"n\"]\ndefault-members = [\"n\"]\nresolver = \"2\"\n",
            ),
            ("m/Cargo.toml", &m_toml),
            ("m/src/lib.rs", &lib),
            ("n/Cargo.toml", &n_toml),
            ("n/src/lib.rs", &lib),
        ],
    );
    let (_, files, err) = lint(&[], &s.0);
    assert_eq!(files, ["n/src/lib.rs"], "default-members: {err}");
    std::fs::write(
        s.0.join("Cargo.toml"),
        "[workspace]\nmembers = [\"m\", \"n\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    let (_, files, err) = lint(&[], &s.0);
    assert_eq!(
        files,
        ["m/src/lib.rs", "n/src/lib.rs"],
        "every member: {err}"
    );
}

/// The progress line: on a terminal only (forced here with `ASYNC_LINT_PROGRESS=always`, as a
/// test has no terminal), after half a second, erased before the findings.
#[test]
fn progress_line_only_where_asked() {
    let s = all_targets("targets-progress");
    let lint = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
        cmd.args(["async-lint", "--no-cache"])
            .current_dir(&s.0)
            .env("NO_COLOR", "1")
            .env_remove("ASYNC_LINT_PROGRESS")
            // Each file read takes 400 ms: the run lasts past the half second.
            .env("ASYNC_LINT_READ_DELAY_MS", "400");
        for (k, v) in env {
            cmd.env(k, v);
        }
        stderr(&cmd.output().unwrap())
    };
    let shown = lint(&[("ASYNC_LINT_PROGRESS", "always")]);
    assert!(shown.contains("    Checking "), "{shown:?}");
    assert!(shown.contains(" packages"), "{shown:?}");
    // Erased (`\r` and erase-line) before the findings are written.
    let findings = shown.find("warning[").expect("a finding");
    let last_erase = shown.rfind("\r\u{1b}[2K").unwrap();
    assert!(last_erase < findings, "{shown:?}");
    assert!(
        !shown[last_erase..findings].contains("Checking"),
        "{shown:?}"
    );
    // Not in a pipe (the default here), and never when told so.
    assert!(!lint(&[]).contains("Checking"));
    assert!(!lint(&[("ASYNC_LINT_PROGRESS", "never")]).contains("Checking"));
}

/// `--features` / `--no-default-features` as cargo resolves them: code under a
/// `#[cfg(feature = "..")]` they rule out (an item, a `mod` and its file) is not linted; with
/// neither, or with `--all-features`, every feature's code is.
#[test]
fn feature_flags_decide_which_gated_code_is_linted() {
    let f = |name: &str, cfg: &str| format!("{cfg}\npub async fn {name}() {{\n    {SLEEP}\n}}\n");
    let lib = [
        f("f_fast", "#[cfg(feature = \"fast\")]"),
        f("f_more", "#[cfg(feature = \"more\")]"),
        f("f_not_fast", "#[cfg(not(feature = \"fast\"))]"),
        f("f_any", "#[cfg(any(feature = \"more\", unix))]"),
        f("plain", ""),
        // A statement under a feature, in an ungated fn.
        format!("pub async fn stmt_more() {{\n    #[cfg(feature = \"more\")]\n    {SLEEP}\n}}\n"),
        "#[cfg(all(feature = \"more\", not(test)))]\nmod gated;\n".to_string(),
    ]
    .concat();
    let s = Scratch::new(
        "features",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"feat\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [features]\ndefault = [\"fast\"]\nfast = []\nextra = [\"more\"]\nmore = []\n\n[workspace]\n",
            ),
            ("src/lib.rs", &lib),
            ("src/gated.rs", &f("in_gated", "")),
        ],
    );
    let lint = |flags: &[&str]| {
        let mut args = vec!["async-lint", "--message-format", "short"];
        args.extend_from_slice(flags);
        let o = common::run_bin(&args, &s.0);
        let mut fns: Vec<String> = stdout(&o)
            .lines()
            .map(|l| {
                let (file, rest) = l.split_once(':').unwrap();
                let line: usize = rest.split(':').next().unwrap().parse().unwrap();
                let text = std::fs::read_to_string(s.0.join(file)).unwrap();
                // The fn whose body holds the finding: the nearest definition above it.
                let def = text
                    .lines()
                    .take(line - 1)
                    .filter(|l| l.starts_with("pub async fn "))
                    .last()
                    .unwrap();
                def.trim_start_matches("pub async fn ")
                    .split('(')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        fns.sort();
        (o.status.code(), fns, stderr(&o))
    };
    let every = [
        "f_any",
        "f_fast",
        "f_more",
        "f_not_fast",
        "in_gated",
        "plain",
        "stmt_more",
    ];
    for (flags, expected) in [
        (&[][..], &every[..]),
        (&["--all-features"], &every),
        (&["--all-features", "--no-default-features"], &every),
        (
            &["--features", "extra"],
            &[
                "f_any",
                "f_fast",
                "f_more",
                "in_gated",
                "plain",
                "stmt_more",
            ],
        ),
        (
            &["--no-default-features"],
            &["f_any", "f_not_fast", "plain"],
        ),
        (
            &["--no-default-features", "-F", "feat/more"],
            &[
                "f_any",
                "f_more",
                "f_not_fast",
                "in_gated",
                "plain",
                "stmt_more",
            ],
        ),
    ] {
        let (_, fns, err) = lint(flags);
        assert_eq!(fns, expected, "{flags:?}: {err}");
    }
    let (code, _, err) = lint(&["--features", "nope"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("has the feature `nope`"), "{err}");
}
