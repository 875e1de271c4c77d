//! `--fix` leaves crates that build: one source, in three packages (tokio with every feature,
//! tokio with `rt` and `macros` only, no async runtime), is checked with `cargo check` and
//! `cargo clippy -D warnings` before and after `--fix` (offline, against the registry sources
//! cargo already has). Only the package whose tokio has `time` and `fs` gets rewrites, and
//! there only where no guard, `RefCell` borrow or `Rc` would be held across the new `.await`;
//! the imports the rewrites leave unused are removed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The code every package holds.
const LIB: &str = r#"use std::cell::RefCell;
use std::fs;
use std::rc::Rc;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

pub async fn sleeps() {
    thread::sleep(Duration::from_millis(1));
}

pub async fn reads(p: &str) -> std::io::Result<usize> {
    let s = fs::read_to_string(p)?;
    Ok(s.len())
}

/// An `.await` here would hold the guard (clippy's `await_holding_lock`, and a future that
/// is no longer `Send`).
pub async fn guard_alive(m: &Mutex<u32>) -> u32 {
    let g = m.lock().unwrap();
    std::thread::sleep(Duration::from_millis(1));
    *g
}

/// An `.await` here would hold the borrow (clippy's `await_holding_refcell_ref`).
pub async fn borrow_alive(c: &RefCell<u32>) -> u32 {
    let mut b = c.borrow_mut();
    std::thread::sleep(Duration::from_millis(1));
    *b += 1;
    *b
}

/// An `.await` here would hold the `Rc`.
pub async fn rc_alive() -> usize {
    let rc = Rc::new(1);
    std::thread::sleep(Duration::from_millis(1));
    *rc
}
"#;

/// Added for the packages on tokio: two futures above are spawned, so they must stay `Send`.
const SPAWNS: &str = r#"
pub fn spawn_all() {
    static M: Mutex<u32> = Mutex::new(0);
    drop(tokio::spawn(guard_alive(&M)));
    drop(tokio::spawn(rc_alive()));
}
"#;

fn package(dir: &Path, tokio: Option<&str>) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let deps = tokio
        .map(|f| format!("tokio = {{ version = \"1\", features = [{f}] }}\n"))
        .unwrap_or_default();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fix-build\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
             publish = false\n\n[dependencies]\n{deps}\n[workspace]\n"
        ),
    )
    .unwrap();
    let lib = if tokio.is_some() {
        format!("{LIB}{SPAWNS}")
    } else {
        LIB.to_string()
    };
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    // The versions this repository builds with, so that nothing needs the network.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
}

/// `cargo check` and `cargo clippy -D warnings`, offline, into a target directory shared by
/// the packages (tokio is built once per feature set). Err: what cargo printed.
fn builds(dir: &Path, target: &Path) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for args in [
        &["check", "--offline", "--quiet"][..],
        &["clippy", "--offline", "--quiet", "--", "-D", "warnings"][..],
    ] {
        let o = Command::new(&cargo)
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target)
            .env_remove("RUSTFLAGS")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "`cargo {}` failed:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
    }
    Ok(())
}

fn fix(dir: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--fix", "--allow-no-vcs", "--allow-dirty", "--no-cache"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn lint(dir: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--no-cache", "-W", "all"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether clippy can run here at all (CI has it; a bare toolchain may not).
fn clippy_available() -> bool {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(["clippy", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn fixed_crates_still_build() {
    if !clippy_available() {
        eprintln!("skipped: `cargo clippy` is not installed");
        return;
    }
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fix-builds");
    let target = base.join("target");
    let cases = [
        ("tokio-full", Some("\"full\"")),
        ("tokio-minimal", Some("\"rt\", \"macros\"")),
        ("no-runtime", None),
    ];
    for (name, tokio) in cases {
        let dir = base.join(name);
        package(&dir, tokio);
        let before = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        if let Err(e) = builds(&dir, &target) {
            // The registry sources are missing (a machine that never fetched them): nothing
            // can be built offline.
            if e.contains("--offline was specified")
                || e.contains("failed to download")
                || e.contains("no matching package named")
            {
                eprintln!("skipped: the registry has no tokio sources to build offline:\n{e}");
                return;
            }
            panic!("{name}: the package does not build before --fix: {e}");
        }
        let out = fix(&dir);
        let after = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        builds(&dir, &target)
            .unwrap_or_else(|e| panic!("{name}: no longer builds after --fix:\n{e}\n{after}"));
        if name == "tokio-full" {
            assert!(
                after.contains("    tokio::time::sleep(Duration::from_millis(1)).await;\n"),
                "{out}\n{after}"
            );
            assert!(
                after.contains("    let s = tokio::fs::read_to_string(p).await?;\n"),
                "{out}\n{after}"
            );
            // The imports only the rewritten calls used are gone, the others stay.
            assert!(!after.contains("use std::thread;"), "{after}");
            assert!(!after.contains("use std::fs;"), "{after}");
            assert!(after.contains("use std::time::Duration;"), "{after}");
            // No `.await` where the guard, the borrow or the Rc is alive: those calls stay
            // (3 of them), reported.
            assert_eq!(
                after.matches("std::thread::sleep(").count(),
                3,
                "{out}\n{after}"
            );
            let again = lint(&dir);
            for l in [
                "lock_across_await",
                "refcell_across_await",
                "non_send_across_await",
            ] {
                assert!(
                    !again.contains(l),
                    "--fix created a `{l}` finding:\n{again}"
                );
            }
        } else {
            // tokio without `time` and `fs`, or no runtime: nothing is rewritten; the
            // findings stay with their help.
            assert_eq!(after, before, "{name}: {out}");
            assert!(
                lint(&dir).contains("help: use tokio::time::sleep"),
                "{name}"
            );
        }
    }
}
