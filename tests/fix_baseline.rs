//! `--fix` (atomic, re-parsed, idempotent, `--diff` writes nothing) and baselines.

mod common;
use std::path::Path;
use std::process::{Command, Output};

/// The manifest of a package on tokio with every feature (`--fix` writes tokio replacements
/// only for such a package: `tests/fix_builds.rs` covers the others).
const TOKIO_FULL: &str = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                          [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";

/// A package of `files`, with the [`TOKIO_FULL`] manifest unless they have one (removed at
/// drop).
fn scratch(name: &str, files: &[(&str, &str)]) -> common::Scratch {
    let manifest = [("Cargo.toml", TOKIO_FULL)];
    let extra = if files.iter().any(|(p, _)| *p == "Cargo.toml") {
        &[][..]
    } else {
        &manifest[..]
    };
    let all: Vec<(&str, &str)> = files.iter().chain(extra).copied().collect();
    common::Scratch::new(&format!("fix-{name}"), &all)
}

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

const SRC: &str = "use std::time::Duration;\r\n\r\nasync fn f() -> std::io::Result<String> {\r\n    std::thread::sleep(Duration::from_millis(5));\r\n    let s = std::fs::read_to_string(\"x\")?;\r\n    let lens: Vec<usize> = [\"a\"].iter().map(|p| std::fs::read(p).map(|b| b.len()).unwrap_or(0)).collect();\r\n    Ok(format!(\"{s}{lens:?}\"))\r\n}\r\n";

#[test]
fn fix_diff_then_fix_then_nothing_left() {
    let dir = scratch("fix", &[("a.rs", SRC)]);
    let path = dir.join("a.rs");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }

    // --diff shows the change and writes nothing.
    let o = run(&["a.rs", "--fix", "--diff"], &dir);
    let diff = common::stdout_and_short(&o).into_owned();
    assert!(
        diff.contains("-    std::thread::sleep(Duration::from_millis(5));\r\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+    tokio::time::sleep(Duration::from_millis(5)).await;\r\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+    let s = tokio::fs::read_to_string(\"x\").await?;\r\n"),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), SRC);

    // --fix writes, keeps line endings and permissions; the call inside a sync closure (where
    // `.await` is impossible) is reported but not rewritten.
    let o = run(&["a.rs", "--fix", "--allow-no-vcs"], &dir);
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("    tokio::time::sleep(Duration::from_millis(5)).await;\r\n"),
        "{fixed}"
    );
    assert!(fixed.contains("std::fs::read(p)"), "{fixed}");
    assert_eq!(fixed.matches("\r\n").count(), SRC.matches("\r\n").count());
    assert_eq!(
        o.status.code(),
        Some(1),
        "the closure's blocking call remains"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    assert!(syn::parse_file(&fixed).is_ok());

    // A second run finds nothing left to fix.
    let o = run(&["a.rs", "--fix", "--diff"], &dir);
    assert!(common::stdout_and_short(&o).trim().is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed);
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "a.rs and Cargo.toml only: {leftovers:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn baseline_hides_known_findings_and_survives_line_moves() {
    let src = "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    let dir = scratch("baseline", &[("a.rs", src)]);
    let o = run(&["a.rs", "--write-baseline", "base.json"], &dir);
    assert_eq!(o.status.code(), Some(0));
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("base.json")).unwrap()).unwrap();
    assert_eq!(base["findings"].as_array().unwrap().len(), 1);

    assert_eq!(
        run(&["a.rs", "--baseline", "base.json"], &dir)
            .status
            .code(),
        Some(0)
    );
    // Lines move: still known.
    std::fs::write(dir.join("a.rs"), format!("// header\n\n{src}")).unwrap();
    assert_eq!(
        run(&["a.rs", "--baseline", "base.json"], &dir)
            .status
            .code(),
        Some(0)
    );
    // A new finding is reported.
    std::fs::write(
        dir.join("a.rs"),
        format!("{src}async fn g() {{\n    std::fs::read(\"x\");\n}}\n"),
    )
    .unwrap();
    let o = run(
        &[
            "a.rs",
            "--baseline",
            "base.json",
            "--message-format",
            "short",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1));
    let out = common::stdout_and_short(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("std::fs::read"), "{out}");
    // A broken baseline is an error.
    std::fs::write(dir.join("bad.json"), "{").unwrap();
    assert_eq!(
        run(&["a.rs", "--baseline", "bad.json"], &dir).status.code(),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs git in `dir` (a test repository), which must succeed.
fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn fix_writes_only_where_git_can_undo_it() {
    const BLOCKING: &str =
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n";
    if Command::new("git").arg("--version").output().is_err() {
        println!("skipping: git is not installed");
        return;
    }
    // Outside version control: refused unless --allow-no-vcs.
    let dir = scratch("novcs", &[("a.rs", BLOCKING)]);
    let o = run(&["a.rs", "--fix"], &dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--allow-no-vcs"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join("a.rs")).unwrap(), BLOCKING);

    // A committed file in a clean tree is fixed.
    let dir = scratch("cleanvcs", &[("a.rs", BLOCKING)]);
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "a.rs"]);
    git(&dir, &["commit", "-q", "-m", "x"]);
    let o = run(&["a.rs", "--fix"], &dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        std::fs::read_to_string(dir.join("a.rs"))
            .unwrap()
            .contains("tokio::time::sleep")
    );

    // Uncommitted changes: refused, naming the file, unless --allow-dirty.
    std::fs::write(dir.join("a.rs"), BLOCKING.replace("5", "6")).unwrap();
    let o = run(&["a.rs", "--fix"], &dir);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("uncommitted changes") && err.contains("a.rs"),
        "{err}"
    );
    assert!(
        !std::fs::read_to_string(dir.join("a.rs"))
            .unwrap()
            .contains("tokio::time::sleep")
    );
    let o = run(&["a.rs", "--fix", "--allow-dirty"], &dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        std::fs::read_to_string(dir.join("a.rs"))
            .unwrap()
            .contains("tokio::time::sleep")
    );
    // --diff writes nothing, so it needs neither.
    let dir = scratch("diffnovcs", &[("a.rs", BLOCKING)]);
    let o = run(&["a.rs", "--fix", "--diff"], &dir);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[cfg(unix)]
#[test]
fn fix_keeps_links_owners_and_stays_in_the_workspace() {
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    const BLOCKING: &str =
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n";
    let fixed = |p: &Path| {
        fs::read_to_string(p)
            .unwrap()
            .contains("tokio::time::sleep")
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // A symbolic link: its target is fixed, and it stays a link.
    let dir = scratch("symlink", &[("real.rs", BLOCKING)]);
    std::os::unix::fs::symlink("real.rs", dir.join("a.rs")).unwrap();
    let o = run(&["a.rs", "--fix", "--allow-no-vcs"], &dir);
    assert!(fixed(&dir.join("real.rs")), "{}", stderr(&o));
    assert!(
        fs::symlink_metadata(dir.join("a.rs"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A hard-linked file is left alone (a replaced file would no longer be shared).
    let dir = scratch("hardlink", &[("a.rs", BLOCKING)]);
    fs::hard_link(dir.join("a.rs"), dir.join("b.txt")).unwrap();
    let o = run(&["a.rs", "--fix", "--allow-no-vcs"], &dir);
    assert!(stderr(&o).contains("hard links"), "{}", stderr(&o));
    assert!(!fixed(&dir.join("a.rs")));
    assert_eq!(fs::metadata(dir.join("a.rs")).unwrap().nlink(), 2);

    // A read-only file is left alone.
    let dir = scratch("readonly", &[("a.rs", BLOCKING)]);
    fs::set_permissions(dir.join("a.rs"), fs::Permissions::from_mode(0o444)).unwrap();
    let o = run(&["a.rs", "--fix", "--allow-no-vcs"], &dir);
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    assert!(!fixed(&dir.join("a.rs")));

    // Owner and group are kept (only root can give a file away to test it).
    if unsafe { libc::geteuid() } == 0 {
        let dir = scratch("owner", &[("a.rs", BLOCKING)]);
        std::os::unix::fs::chown(dir.join("a.rs"), Some(4242), Some(4343)).unwrap();
        let o = run(&["a.rs", "--fix", "--allow-no-vcs"], &dir);
        assert!(fixed(&dir.join("a.rs")), "{}", stderr(&o));
        let meta = fs::metadata(dir.join("a.rs")).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
    } else {
        println!("skipping the owner case: not root");
    }

    // A temporary file left by a killed run (its process is gone) is removed.
    let dir = scratch(
        "stale",
        &[("a.rs", BLOCKING), (".a.rs.async-lint-4000000.tmp", "x")],
    );
    let o = run(&["a.rs", "--fix", "--allow-no-vcs"], &dir);
    assert!(fixed(&dir.join("a.rs")), "{}", stderr(&o));
    assert!(!dir.join(".a.rs.async-lint-4000000.tmp").exists());

    // A `#[path]` module outside the workspace is reported but never written.
    let elsewhere = scratch("elsewhere", &[("x.rs", BLOCKING)]);
    let lib = format!(
        "#[path = \"{}\"]\nmod x;\n",
        elsewhere.join("x.rs").display()
    );
    let dir = scratch(
        "outside",
        &[
            ("Cargo.toml", &format!("{TOKIO_FULL}\n[workspace]\n")),
            ("src/lib.rs", &lib),
        ],
    );
    let o = run(&["--fix", "--allow-no-vcs", "--no-cache"], &dir);
    assert!(
        stderr(&o).contains("outside the workspace"),
        "{}",
        stderr(&o)
    );
    assert!(!fixed(&elsewhere.join("x.rs")));
}

#[test]
fn a_file_written_while_it_is_being_fixed_is_left_alone() {
    const BLOCKING: &str =
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n";
    let dir = scratch("racing", &[("a.rs", BLOCKING)]);
    // The tool waits 1 s between writing its temporary file and the rename.
    let child = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["a.rs", "--fix", "--allow-no-vcs", "--no-cache"])
        .env("ASYNC_LINT_FIX_DELAY_MS", "1000")
        .current_dir(&dir)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let edited = format!("// edited meanwhile\n{BLOCKING}");
    std::fs::write(dir.join("a.rs"), &edited).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("a.rs")).unwrap(),
        edited,
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("changed while it was being fixed"));
}
