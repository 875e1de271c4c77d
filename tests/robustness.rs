//! Parallel output equals single-threaded output; odd inputs never crash the run.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

#[test]
fn parallel_and_single_threaded_output_are_identical() {
    let fixtures = root().join("fixtures");
    let render = |jobs: usize| {
        let report = lint_all(std::slice::from_ref(&fixtures), jobs);
        report
            .diagnostics()
            .map(|(pkg, d)| cargo_async_lint::report::human::render_human(pkg, d, false))
            .collect::<Vec<_>>()
    };
    let one = render(1);
    assert!(one.len() > 100, "expected many findings, got {}", one.len());
    for jobs in [2, 4] {
        assert_eq!(render(jobs), one, "output with {jobs} threads differs");
    }
}

/// An empty directory of this test process (removed at drop).
fn fresh_dir(tag: &str) -> common::Scratch {
    common::Scratch::empty(tag)
}

/// The tool on every file of `dir`, short output, no cache, output captured.
fn tool(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
    c.args([".", "--message-format", "short", "--no-cache"])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

/// Stdout and stderr of a finished run, which must not have panicked.
fn streams(out: &std::process::Output) -> (String, String) {
    let stdout = common::stdout_and_short(out).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stdout, stderr)
}

/// [`lint_dir`], which must finish within `secs` seconds.
fn lint_dir_within(dir: &Path, secs: u64) -> (String, Option<i32>) {
    let start = std::time::Instant::now();
    let res = lint_dir(dir);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(secs),
        "took {:?}",
        start.elapsed()
    );
    res
}

fn lint_dir(dir: &Path) -> (String, Option<i32>) {
    let o = tool(dir).output().unwrap();
    let text = format!(
        "{}{}",
        common::stdout_and_short(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (text, o.status.code())
}

#[test]
fn hostile_files_are_reported_or_linted_and_the_run_goes_on() {
    let dir = fresh_dir("hostile");
    let blocking =
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    std::fs::write(dir.join("empty.rs"), "").unwrap();
    std::fs::write(dir.join("bom.rs"), format!("\u{feff}{blocking}")).unwrap();
    std::fs::write(dir.join("crlf.rs"), blocking.replace('\n', "\r\n")).unwrap();
    // 100 000 nested parentheses and blocks: parsed on a large stack, the walk bounded.
    let deep = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    std::fs::write(dir.join("deep_parens.rs"), deep).unwrap();
    let blocks = format!("fn g() {}{}\n", "{ ".repeat(100_000), "}".repeat(100_000));
    std::fs::write(dir.join("deep_blocks.rs"), blocks).unwrap();
    // A very long line.
    std::fs::write(
        dir.join("long.rs"),
        format!("const S: &str = \"{}\";\n{blocking}", "x".repeat(2_000_000)),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&dir, dir.join("loop")).unwrap();
    std::fs::write(dir.join("good.rs"), blocking).unwrap();

    let (out, code) = lint_dir(&dir);
    for f in ["bom.rs", "crlf.rs", "good.rs"] {
        assert!(
            out.contains(&format!("{f}:2:5: warning: blocking call")),
            "{f} not linted: {out}"
        );
    }
    assert!(out.contains("long.rs:3:5: warning: blocking call"), "{out}");
    // The BOM does not shift columns, and CRLF does not shift lines.
    assert!(out.contains("bom.rs:2:5:"), "{out}");
    assert!(!out.contains("empty.rs"), "{out}");
    assert!(
        out.contains("deep_parens.rs") && out.contains("deep_blocks.rs"),
        "deeply nested files are named: {out}"
    );
    assert_eq!(code, Some(1), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A FIFO named like a source file is skipped, not read (a read would block forever).
#[cfg(unix)]
#[test]
fn fifos_do_not_hang_the_run() {
    let dir = fresh_dir("fifo");
    let made = Command::new("mkfifo").arg(dir.join("pipe.rs")).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipping: mkfifo not available");
        return;
    }
    std::fs::write(
        dir.join("a.rs"),
        "async fn f() {\n    std::thread::sleep(d);\n}\n",
    )
    .unwrap();
    let mut child = tool(&dir).spawn().unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the run hung on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let text = common::stdout_and_short(&out);
    assert!(text.contains("a.rs:2:5"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("pipe.rs: not a regular file"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--fix` killed while it writes leaves every file either as it was or fully fixed. The
/// writer is slowed down (`ASYNC_LINT_FIX_DELAY_MS`, between writing the temporary file and
/// renaming it) so that kills land in the middle of the writes.
#[test]
fn killing_fix_never_leaves_a_half_written_file() {
    let dir = fresh_dir("kill");
    // On tokio with `time`, so that the findings have fixes.
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"k\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n",
    )
    .unwrap();
    let old = "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";
    let new = old.replace(
        "std::thread::sleep(std::time::Duration::from_millis(1));",
        "tokio::time::sleep(std::time::Duration::from_millis(1)).await;",
    );
    let n = 12;
    let mut partial = 0;
    for kill_after_ms in [450u64, 650, 850] {
        for i in 0..n {
            std::fs::write(dir.join(format!("f{i:02}.rs")), old).unwrap();
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .args([".", "--fix", "--allow-no-vcs", "-j", "1", "--no-cache"])
            .env("ASYNC_LINT_FIX_DELAY_MS", "100")
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(kill_after_ms));
        let _ = child.kill();
        let _ = child.wait();
        let mut fixed = 0;
        for i in 0..n {
            let text = std::fs::read_to_string(dir.join(format!("f{i:02}.rs"))).unwrap();
            assert!(
                text == old || text == new,
                "f{i:02}.rs is neither the old nor the new file: {text:?}"
            );
            fixed += usize::from(text == new);
        }
        eprintln!("killed after {kill_after_ms} ms: {fixed}/{n} files fixed");
        partial += usize::from(fixed > 0 && fixed < n);
    }
    // The write phase takes about 1.2 s: the kills must have landed inside it.
    assert!(
        partial >= 1,
        "no kill landed while files were being written"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Found by fuzzing (tests/data/fuzz-regressions/lint_structured-timeout-71d598f6): repeated and
/// self-referential imports made path resolution branch exponentially; it must stay bounded.
#[test]
fn import_cycles_with_many_alternatives_resolve_quickly() {
    let mut src = String::from("use tokio::spawn as h;\n");
    for _ in 0..30 {
        src.push_str("use futures::future::join as s;\n");
    }
    src.push_str("use std::io::Read as s;\nuse self::h as m;\n");
    for i in 0..50 {
        src.push_str(&format!(
            "use self::h;\nuse self::m as h{i};\nuse self::h{i} as m;\n"
        ));
    }
    src.push_str("async fn f() {\n    h(async {});\n    m(async {});\n    s(a, b);\n    std::thread::sleep(d);\n}\n");
    let dir = fresh_dir("imports");
    std::fs::write(dir.join("a.rs"), &src).unwrap();
    let (out, code) = lint_dir_within(&dir, 20);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("blocking call to `std::thread::sleep`"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file deleted between listing and reading is named on stderr and skipped; the other files
/// are linted and the exit code is the one their findings give (not 2). The read is delayed
/// (`ASYNC_LINT_READ_DELAY_MS`) so that the deletion lands inside the run.
#[test]
fn a_file_deleted_during_the_run_is_named_and_skipped() {
    let dir = fresh_dir("vanish");
    let blocking = "async fn f() {\n    std::thread::sleep(d);\n}\n";
    for f in ["a.rs", "b.rs", "c.rs"] {
        std::fs::write(dir.join(f), blocking).unwrap();
    }
    let child = tool(&dir)
        .args(["-j", "1"])
        .env("ASYNC_LINT_READ_DELAY_MS", "1000")
        .spawn()
        .unwrap();
    // Listing takes milliseconds; the first read starts after a second.
    std::thread::sleep(std::time::Duration::from_millis(400));
    std::fs::remove_file(dir.join("b.rs")).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = streams(&out);
    assert!(
        stderr.contains("b.rs was not found (removed while the run was under way"),
        "{stderr}"
    );
    assert!(
        stdout.contains("a.rs:2:5") && stdout.contains("c.rs:2:5"),
        "{stdout}"
    );
    assert!(!stdout.contains("b.rs"), "{stdout}");
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A target whose file was never written (`[[test]] path = ..`: cargo lists it all the same)
/// is named on stderr and skipped; the package's other files are linted.
#[test]
fn a_target_whose_file_does_not_exist_is_named_and_skipped() {
    let dir = common::Scratch::new(
        "missing-target",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"m\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [[test]]\nname = \"t\"\npath = \"tests/t.rs\"\n",
            ),
            (
                "src/lib.rs",
                "async fn f() {\n    std::thread::sleep(d);\n}\n",
            ),
        ],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--no-deps", "--message-format", "short", "--no-cache"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let (stdout, stderr) = streams(&out);
    assert!(
        stderr.contains("t.rs was not found (removed while the run was under way, or a target's file that does not exist)"),
        "{stderr}"
    );
    assert!(stdout.contains("src/lib.rs:2:5"), "{stdout}");
    // The file that does not exist is not counted as checked.
    assert!(
        stdout.contains("1 warning in 1 file") || stderr.contains("1 warning in 1 file"),
        "{stdout}{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
}

/// Runs `cmd` where permissions apply: as `nobody` (uid and gid 65534, no supplementary
/// groups) when this process is root, which ignores them. None (after printing why the test is
/// skipped) when that cannot be done.
#[cfg(unix)]
fn output_unprivileged(mut cmd: Command) -> Option<std::process::Output> {
    use std::os::unix::process::CommandExt;
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        // As root, std also drops the supplementary groups before switching.
        cmd.uid(65534).gid(65534);
    }
    match cmd.output() {
        Ok(o) => Some(o),
        Err(e) if root => {
            // The binary lives where `nobody` may not go (a home directory).
            eprintln!("skipping: cannot run the tool as nobody: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// A crate with a module directory `src/hidden/` and a module file `src/open.rs` (with a
/// blocking call), everything readable by everyone, in a fresh directory.
#[cfg(unix)]
fn crate_with_modules(tag: &str) -> common::Scratch {
    use std::os::unix::fs::PermissionsExt;
    let dir = fresh_dir(tag);
    let blocking = "pub async fn f() {\n    std::thread::sleep(d);\n}\n";
    for (f, text) in [
        (
            "Cargo.toml",
            "[package]\nname = \"modules\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("src/lib.rs", "mod hidden;\nmod open;\n"),
        ("src/hidden/mod.rs", blocking),
        ("src/open.rs", blocking),
    ] {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    for e in walkdir::WalkDir::new(&dir).into_iter().map(Result::unwrap) {
        let mode = if e.file_type().is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    dir
}

/// An unreadable module directory is an error naming the path with the OS error (exit 2), not a
/// module silently left out: reached through `mod` (the crate of a file given, as pre-commit
/// does) and below a directory given. The rest is linted.
#[cfg(unix)]
#[test]
fn an_unreadable_module_directory_is_named_and_the_run_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = crate_with_modules("unreadable-mod-dir");
    std::fs::set_permissions(
        dir.join("src/hidden"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let cases: [(&[&str], &str); 2] = [
        (
            &["src/open.rs"],
            "src/lib.rs:1:1: warning: cannot read `src/hidden/mod.rs`: Permission denied",
        ),
        (
            &["src"],
            "error: cannot read `src/hidden`: Permission denied",
        ),
    ];
    for (paths, expected) in cases {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
        cmd.args(paths)
            .args(["--message-format", "short", "--no-cache"])
            .current_dir(&dir);
        let Some(out) = output_unprivileged(cmd) else {
            break;
        };
        let (stdout, stderr) = streams(&out);
        assert!(
            stdout.contains(expected) || stderr.contains(expected),
            "{paths:?}: {stdout}{stderr}"
        );
        assert!(
            stdout.contains("src/open.rs:2:5: warning: blocking call"),
            "{paths:?}: {stdout}{stderr}"
        );
        assert_eq!(out.status.code(), Some(2), "{paths:?}: {stdout}{stderr}");
    }
    std::fs::set_permissions(
        dir.join("src/hidden"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Files given one by one (pre-commit) are analysed with their whole crate: another file of the
/// crate that cannot be read is named with the OS error (exit 2), though findings are reported
/// only for the given files.
#[cfg(unix)]
#[test]
fn an_unreadable_crate_file_in_file_mode_is_named_and_the_run_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = crate_with_modules("unreadable-crate-file");
    std::fs::set_permissions(
        dir.join("src/lib.rs"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
    cmd.args(["src/open.rs", "--message-format", "short", "--no-cache"])
        .current_dir(&dir);
    if let Some(out) = output_unprivileged(cmd) {
        let (stdout, stderr) = streams(&out);
        assert!(
            stdout.contains("src/lib.rs:1:1: warning: cannot read file: Permission denied"),
            "{stdout}{stderr}"
        );
        assert!(
            stdout.contains("src/open.rs:2:5: warning: blocking call"),
            "{stdout}{stderr}"
        );
        assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file the user may not read is reported by name with the OS error, the other files are
/// linted, and the exit code is 2 (the run could not check everything it was asked to). As
/// root, permissions do not apply, so the tool runs as `nobody`.
#[cfg(unix)]
#[test]
fn an_unreadable_file_is_named_and_the_run_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let dir = fresh_dir("unreadable");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let blocking = "async fn f() {\n    std::thread::sleep(d);\n}\n";
    for f in ["a.rs", "secret.rs"] {
        std::fs::write(dir.join(f), blocking).unwrap();
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(
        dir.join("secret.rs"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let Some(out) = output_unprivileged(tool(&dir)) else {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    };
    let (stdout, stderr) = streams(&out);
    assert!(
        stdout.contains("secret.rs:1:1: warning: cannot read file: Permission denied"),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("a.rs:2:5: warning: blocking call"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 50 MB generated file is reported as too large and not parsed (parsing needs about 100
/// bytes of memory per byte of source); `max-file-size` sets the limit.
#[test]
fn huge_files_are_reported_not_parsed() {
    let dir = fresh_dir("huge");
    let unit = "pub async fn f(x: u32) -> u32 {\n    std::thread::sleep(d);\n    x\n}\n";
    let big = unit.repeat(50 * 1024 * 1024 / unit.len() + 1);
    std::fs::write(dir.join("generated.rs"), &big).unwrap();
    drop(big);
    std::fs::write(dir.join("small.rs"), unit).unwrap();
    let (out, code) = lint_dir_within(&dir, 20);
    assert!(
        out.contains(
            "generated.rs:1:1: warning: file is 50.0 MiB, larger than `max-file-size` (10.0 MiB): it was not checked"
        ),
        "{out}"
    );
    assert!(
        out.contains("small.rs:2:5: warning: blocking call"),
        "{out}"
    );
    assert_eq!(code, Some(1), "{out}");
    std::fs::remove_file(dir.join("generated.rs")).unwrap();

    // A lower limit from the configuration, and a clear error for a bad value.
    std::fs::write(dir.join("async-lint.toml"), "max-file-size = \"50B\"\n").unwrap();
    let (out, code) = lint_dir(&dir);
    let expected = format!(
        "small.rs:1:1: warning: file is {} bytes, larger than `max-file-size` (50 bytes)",
        unit.len()
    );
    assert!(out.contains(&expected), "{out}");
    // A file that was not checked is a warning that does not fail the run.
    assert_eq!(code, Some(0), "{out}");
    std::fs::write(
        dir.join("async-lint.toml"),
        "max-file-size = \"ten megs\"\n",
    )
    .unwrap();
    let (out, code) = lint_dir(&dir);
    assert!(
        out.contains(
            "async-lint.toml:1: `max-file-size = \"ten megs\"`: expected a number of bytes"
        ),
        "{out}"
    );
    assert_eq!(code, Some(2), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_nul_byte_is_named_with_its_position() {
    let dir = fresh_dir("nul");
    std::fs::write(dir.join("nul.rs"), "fn f() {}\nfn g() { \0 }\n").unwrap();
    let (text, code) = lint_dir(&dir);
    // Like a file that is not UTF-8: input that cannot be checked (exit 2).
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("nul.rs:2:10")
            && text.contains("NUL byte (line 2, column 10, byte offset 19)"),
        "{text}"
    );
}

#[test]
fn an_absurd_thread_count_is_clamped() {
    let dir = fresh_dir("jobs");
    std::fs::write(
        dir.join("a.rs"),
        "async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); }\n",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let out = tool(&dir).args(["-j", "100000"]).output().unwrap();
    let (stdout, _) = streams(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("a.rs:1:16"), "{stdout}");
    // 100,000 threads with their stacks would abort or take minutes.
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn output_time_grows_linearly_with_the_findings() {
    // One file with n findings, rendered in every format and written as a baseline: four times
    // the findings must take about four times as long (it took the square when every finding
    // scanned its file from the top). A ratio, so the machine's speed does not matter.
    let time_for = |n: usize, args: &[&str]| {
        let dir = fresh_dir(&format!("many{n}"));
        let mut src = String::from("async fn f(d: std::time::Duration) {\n");
        for _ in 0..n {
            src.push_str("    std::thread::sleep(d);\n");
        }
        src.push_str("}\n");
        std::fs::write(dir.join("many.rs"), src).unwrap();
        let start = std::time::Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .args(["many.rs", "--no-cache"])
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}");
        start.elapsed().as_secs_f64()
    };
    for args in [
        &["--message-format", "json"][..],
        &["--message-format", "human"],
        &["--message-format", "sarif"],
        &["--write-baseline", "b.json"],
    ] {
        let small = time_for(4_000, args);
        let large = time_for(16_000, args);
        assert!(
            large < 8.0 * small + 1.0,
            "{args:?}: 4,000 findings {small:.2} s, 16,000 findings {large:.2} s"
        );
    }
}

#[test]
fn long_flat_chains_are_not_deep_nesting() {
    // rustc compiles all three; they nest in the syntax tree but not in the code.
    let dir = fresh_dir("chains");
    let sum: Vec<String> = (0..400).map(|i| i.to_string()).collect();
    let ors: Vec<String> = (0..400).map(|i| format!("x == {i}")).collect();
    let args: String = (0..400)
        .map(|i| match i {
            // Deep inside the chain: still walked.
            200 => ".arg(std::fs::read_to_string(\"name\").unwrap())".to_string(),
            _ => format!(".arg(\"{i}\")"),
        })
        .collect();
    let src = format!(
        "pub async fn f(x: u32) -> bool {{\n    let n = {};\n    let c = std::process::Command::new(\"true\"){args}.output();\n    std::thread::sleep(std::time::Duration::from_millis(n));\n    c.is_ok() && ({})\n}}\n",
        sum.join(" + "),
        ors.join(" || ")
    );
    std::fs::write(dir.join("chains.rs"), src).unwrap();
    let (text, code) = lint_dir(&dir);
    assert!(!text.contains("too deep"), "{text}");
    assert_eq!(code, Some(1), "{text}");
    // The checks still run inside the chains.
    assert!(text.contains("std::fs::read_to_string"), "{text}");
    assert!(text.contains("std::thread::sleep"), "{text}");
}

/// Peak memory of a 10 MiB file of ordinary async code (ignored by default: it measures, and
/// asserts only a generous bound). Run it with
/// `cargo test --release --test robustness peak_memory -- --ignored --nocapture`; it needs
/// `/usr/bin/time` (GNU) for the child's peak RSS. A file over 1 MiB is parsed and walked in
/// parts: the peak was about 90 times the file's size, and is about 27 times since.
#[test]
#[ignore]
fn peak_memory_of_a_10_mib_file() {
    let dir = fresh_dir("peak-memory");
    let mut src = String::from("use std::sync::Arc;\nuse tokio::sync::Mutex;\n\n");
    let mut i = 0;
    while src.len() < 10 << 20 {
        src.push_str(&format!(
            "pub async fn handler_{i}(state: Arc<Mutex<Vec<u64>>>, input: u64) -> Result<u64, std::io::Error> {{\n    \
             let mut total = input + {i};\n    let guard = state.lock().await;\n    \
             let first = guard.first().copied().unwrap_or(0);\n    drop(guard);\n    \
             let data = tokio::fs::read_to_string(\"config_{i}.toml\").await?;\n    \
             total += data.len() as u64 + first;\n    let next = helper_{i}(total).await;\n    \
             tokio::time::sleep(std::time::Duration::from_millis(next % 10)).await;\n    \
             if next > 100 {{\n        total = compute(total, next).await?;\n    }}\n    Ok(total)\n}}\n\n\
             async fn helper_{i}(x: u64) -> u64 {{\n    let y = x.wrapping_mul(31).wrapping_add({i});\n    y ^ (y >> 7)\n}}\n\n"
        ));
        i += 1;
    }
    src.push_str("async fn compute(a: u64, b: u64) -> Result<u64, std::io::Error> { Ok(a + b) }\n");
    std::fs::write(dir.join("big.rs"), &src).unwrap();
    std::fs::write(dir.join("async-lint.toml"), "max-file-size = \"20MiB\"\n").unwrap();
    let out = match Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kb %M"])
        .arg(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["big.rs", "--no-cache", "-j", "1"])
        .current_dir(&dir)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipping: cannot run /usr/bin/time: {e}");
            return;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(kb) = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kb "))
        .and_then(|n| n.trim().parse::<u64>().ok())
    else {
        eprintln!("skipping: no peak RSS from /usr/bin/time: {stderr}");
        return;
    };
    let ratio = (kb * 1024) as f64 / src.len() as f64;
    eprintln!(
        "{} bytes ({i} fns): peak RSS {} MB, {ratio:.1}x the file",
        src.len(),
        kb / 1024
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(ratio < 60.0, "peak RSS {ratio:.1}x the file's size");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Code that nests without brackets, one form per file: a type, an `impl Fn() ->` chain, a
/// closure or a prefix operator repeated `n` times.
fn deep_forms(n: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "vec",
            format!("type T = {}u8{};\n", "Vec<".repeat(n), ">".repeat(n)),
        ),
        ("refs", format!("type T = {}u8;\n", "&".repeat(n))),
        ("ptrs", format!("type T = {}u8;\n", "*const ".repeat(n))),
        (
            "impl_fn",
            format!("fn f() -> {}u8 {{ 0 }}\n", "impl Fn() -> ".repeat(n)),
        ),
        (
            "closures",
            format!("fn f() {{ let _ = {}0; }}\n", "|| ".repeat(n)),
        ),
        (
            "closures_x",
            format!("fn f() {{ let _ = {}0; }}\n", "|x| ".repeat(n)),
        ),
        ("not", format!("fn f() {{ let _ = {}x; }}\n", "!".repeat(n))),
        ("neg", format!("fn f() {{ let _ = {}x; }}\n", "-".repeat(n))),
        (
            "addr",
            format!("fn f() {{ let _ = {}x; }}\n", "&".repeat(n)),
        ),
        (
            "deref",
            format!("fn f() {{ let _ = {}x; }}\n", "*".repeat(n)),
        ),
    ]
}

#[test]
fn deep_nesting_without_brackets_is_reported_not_a_crash() {
    // syn recurses once per level of these: 50,000 levels overflow even a 256 MiB stack.
    let dir = fresh_dir("deep-operators");
    let forms = deep_forms(50_000);
    for (name, src) in &forms {
        std::fs::write(dir.join(format!("{name}.rs")), src).unwrap();
    }
    std::fs::write(dir.join("syntax_error.rs"), "fn f( {}\n").unwrap();
    let (text, code) = lint_dir(&dir);
    assert!(!text.contains("overflow"), "{text}");
    for (name, _) in &forms {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name}.rs:1:"))
                && l.contains("levels deep without brackets")),
            "{name}.rs: {text}"
        );
    }
    // As for a file that does not parse.
    let (_, error_code) = {
        let only = fresh_dir("deep-operators-syntax-error");
        std::fs::write(only.join("syntax_error.rs"), "fn f( {}\n").unwrap();
        lint_dir(&only)
    };
    assert_eq!(code, error_code, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nesting_without_brackets_below_the_limit_is_checked() {
    // Just below the limit of 4,000 (each form counts one per level): parsed and walked on the
    // worker stack (the walker skips expressions nested deeper than its own limit), checked.
    let dir = fresh_dir("deep-operators-below");
    let blocking =
        "async fn g() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    for (name, src) in deep_forms(3_900) {
        std::fs::write(dir.join(format!("{name}.rs")), format!("{src}{blocking}")).unwrap();
    }
    let (text, code) = lint_dir(&dir);
    assert!(!text.contains("without brackets"), "{text}");
    for (name, src) in deep_forms(3_900) {
        let line = src.lines().count() + 2;
        assert!(
            text.contains(&format!("{name}.rs:{line}:5: warning: blocking call")),
            "{name}.rs not checked: {text}"
        );
    }
    assert_eq!(code, Some(1), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
