//! The pre-commit integration: `.pre-commit-hooks.yaml` is a valid manifest, and a hook
//! equivalent to ours (`language: system` pointing at the built binary, so nothing is
//! rebuilt) fails a commit that blocks in async code and passes once it is fixed.
//!
//! pre-commit comes from PATH (2.21.0 or newer, the manifest's minimum) or is installed into
//! a venv under CARGO_TARGET_TMPDIR. When neither works, or git is missing, the pre-commit
//! part prints `skipping: pre-commit not available (...)` and returns; the manifest checks
//! and the hook contract (exit status and output of the binary for the files pre-commit
//! would pass) run in every case.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-async-lint");
const MIN_PRE_COMMIT: (u32, u32, u32) = (2, 21, 0);

const CARGO_TOML: &str = "[package]\nname = \"precommit_demo\"\nversion = \"0.1.0\"\n\
                          edition = \"2021\"\n\n[workspace]\n";
const LIB_BLOCKING: &str = "mod util;\n\npub async fn handler() {\n    \
                            std::thread::sleep(std::time::Duration::from_millis(10));\n}\n";
const LIB_FIXED: &str = "mod util;\n\npub async fn handler() {\n    \
                         tokio::time::sleep(std::time::Duration::from_millis(10)).await;\n}\n";
const UTIL: &str = "pub fn helper() -> u32 {\n    1\n}\n";

/// A scratch directory, removed at drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "async-lint-precommit-{name}-{}-{nanos}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a command with a time limit; Err on spawn failure or timeout (the child is killed).
fn run_timeout(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{:?} did not finish within {}s",
                    cmd.get_program(),
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for {:?}: {e}", cmd.get_program())),
        }
    };
    Ok(Output {
        status,
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
    })
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `pre-commit --version` of `exe` if it runs and is new enough for our manifest.
fn usable_pre_commit(exe: &Path) -> Result<(), String> {
    let o = run_timeout(Command::new(exe).arg("--version"), Duration::from_secs(30))?;
    if !o.status.success() {
        return Err(format!(
            "`{} --version` failed: {}",
            exe.display(),
            text(&o).trim()
        ));
    }
    let out = text(&o);
    // "pre-commit 4.0.1"
    let version = out.split_whitespace().nth(1).unwrap_or("");
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let v = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    if v < MIN_PRE_COMMIT {
        return Err(format!("{} is {version}, older than 2.21.0", exe.display()));
    }
    Ok(())
}

/// Finds pre-commit on PATH or installs it into a venv; Err(reason) when neither works.
fn find_or_install_pre_commit() -> Result<PathBuf, String> {
    let on_path = PathBuf::from("pre-commit");
    let path_reason = match usable_pre_commit(&on_path) {
        Ok(()) => return Ok(on_path),
        Err(e) => e,
    };
    // A venv under the target directory is reused by later runs.
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("precommit-venv");
    let bin_dir = if cfg!(windows) { "Scripts" } else { "bin" };
    let exe = base.join(bin_dir).join("pre-commit");
    if usable_pre_commit(&exe).is_ok() {
        return Ok(exe);
    }
    let _ = std::fs::remove_dir_all(&base);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = String::new();
    for python in ["python3", "python"] {
        let o = match run_timeout(
            Command::new(python).args(["-m", "venv"]).arg(&base),
            Duration::from_secs(60),
        ) {
            Ok(o) => o,
            Err(e) => {
                last = e;
                continue;
            }
        };
        if !o.status.success() {
            last = format!("`{python} -m venv` failed: {}", text(&o).trim());
            continue;
        }
        let pip = base.join(bin_dir).join("pip");
        let left = deadline.saturating_duration_since(Instant::now());
        let o = run_timeout(
            Command::new(&pip)
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "pre-commit",
                ])
                .env("PIP_NO_INPUT", "1"),
            left.max(Duration::from_secs(1)),
        );
        match o {
            Ok(o) if o.status.success() => {
                return usable_pre_commit(&exe)
                    .map(|()| exe)
                    .map_err(|e| format!("installed into a venv but not usable: {e}"));
            }
            Ok(o) => last = format!("pip install pre-commit failed: {}", text(&o).trim()),
            Err(e) => last = e,
        }
        break;
    }
    let _ = std::fs::remove_dir_all(&base);
    Err(format!(
        "not usable on PATH ({path_reason}); venv install: {last}"
    ))
}

/// Hook blocks of a `.pre-commit-hooks.yaml`, as (id, key: value lines), read textually
/// (no YAML crate among the dependencies): each hook starts with `- id:` at column 0.
fn manifest_hooks(yaml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut hooks: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in yaml.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (is_new, body) = match line.strip_prefix("- ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        // Keys sit at two columns of indentation; deeper lines continue a value.
        let indent = body.len() - body.trim_start().len();
        if !is_new && indent != 2 {
            continue;
        }
        let Some((k, v)) = body.trim().split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        if is_new {
            hooks.push((v.clone(), Vec::new()));
        }
        if let Some(h) = hooks.last_mut() {
            h.1.push((k, v));
        }
    }
    hooks
}

fn get<'a>(hook: &'a [(String, String)], key: &str) -> Option<&'a str> {
    hook.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[test]
fn manifest_declares_the_hooks() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let yaml = std::fs::read_to_string(&path).expect(".pre-commit-hooks.yaml exists");
    let hooks = manifest_hooks(&yaml);
    let ids: Vec<&str> = hooks.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["async-lint", "async-lint-workspace"], "{yaml}");
    for (id, keys) in &hooks {
        for key in ["id", "name", "entry", "language"] {
            assert!(
                get(keys, key).is_some_and(|v| !v.is_empty()),
                "hook {id} lacks {key}"
            );
        }
        let entry = if id == "async-lint-workspace" {
            "cargo-async-lint --workspace"
        } else {
            "cargo-async-lint"
        };
        assert_eq!(get(keys, "entry"), Some(entry), "hook {id}");
        assert_eq!(get(keys, "language"), Some("rust"), "hook {id}");
        assert_eq!(get(keys, "require_serial"), Some("true"), "hook {id}");
        assert_eq!(
            get(keys, "minimum_pre_commit_version"),
            Some("\"2.21.0\""),
            "hook {id}"
        );
    }
    let file_hook = &hooks[0].1;
    assert_eq!(get(file_hook, "types"), Some("[rust]"));
    assert_eq!(get(file_hook, "pass_filenames"), Some("true"));
    assert_eq!(get(&hooks[1].1, "pass_filenames"), Some("false"));
}

/// What the `async-lint` hook does with the files pre-commit passes, without pre-commit.
#[test]
fn hook_contract_without_pre_commit() {
    let s = Scratch::new("contract");
    s.write("Cargo.toml", CARGO_TOML);
    s.write("src/lib.rs", LIB_BLOCKING);
    s.write("src/util.rs", UTIL);
    let lint = |args: &[&str]| {
        run_timeout(
            Command::new(BIN)
                .args(args)
                .current_dir(&s.0)
                .env("NO_COLOR", "1")
                .env("PRE_COMMIT", "1"),
            Duration::from_secs(60),
        )
        .unwrap()
    };
    let o = lint(&["src/lib.rs", "src/util.rs"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("blocking_in_async"), "{}", text(&o));
    // Only the clean file staged: the finding in src/lib.rs is not reported.
    let o = lint(&["src/util.rs"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    s.write("src/lib.rs", LIB_FIXED);
    let o = lint(&["src/lib.rs", "src/util.rs"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn pre_commit_runs_the_hook() {
    let started = Instant::now();
    if let Err(e) = run_timeout(
        Command::new("git").arg("--version"),
        Duration::from_secs(30),
    )
    .and_then(|o| {
        o.status
            .success()
            .then_some(())
            .ok_or("git --version failed".into())
    }) {
        println!("skipping: pre-commit not available (git is not usable: {e})");
        return;
    }
    let pre_commit = match find_or_install_pre_commit() {
        Ok(p) => p,
        Err(reason) => {
            println!("skipping: pre-commit not available ({reason})");
            return;
        }
    };
    eprintln!(
        "using {} (found in {:.1}s)",
        pre_commit.display(),
        started.elapsed().as_secs_f64()
    );

    let s = Scratch::new("repo");
    let home = s.0.join("pre-commit-home");
    let repo = s.0.join("repo");
    let git_config = s.0.join("gitconfig");
    std::fs::write(&git_config, "").unwrap();
    let env = |c: &mut Command| {
        c.current_dir(&repo)
            .env("PRE_COMMIT_HOME", &home)
            .env("GIT_AUTHOR_NAME", "async-lint test")
            .env("GIT_AUTHOR_EMAIL", "async-lint@example.invalid")
            .env("GIT_COMMITTER_NAME", "async-lint test")
            .env("GIT_COMMITTER_EMAIL", "async-lint@example.invalid")
            .env("GIT_CONFIG_GLOBAL", &git_config)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("PRE_COMMIT_COLOR")
            .env_remove("SKIP");
    };
    let run = |program: &Path, args: &[&str]| -> Output {
        let mut c = Command::new(program);
        c.args(args);
        env(&mut c);
        run_timeout(&mut c, Duration::from_secs(60)).unwrap()
    };

    // Our own manifest, as pre-commit reads it.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    std::fs::create_dir_all(&repo).unwrap();
    let o = run(
        &pre_commit,
        &["validate-manifest", manifest.to_str().unwrap()],
    );
    assert!(o.status.success(), "validate-manifest: {}", text(&o));

    // A repository whose config uses hooks equivalent to ours, run from the built binary.
    let bin = BIN.replace('\\', "/").replace('\'', "'\\''");
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      \
         - id: async-lint\n        name: cargo async-lint\n        \
         entry: \"'{bin}'\"\n        language: system\n        types: [rust]\n        \
         pass_filenames: true\n        require_serial: true\n      \
         - id: async-lint-workspace\n        name: cargo async-lint (workspace)\n        \
         entry: \"'{bin}' --workspace\"\n        language: system\n        \
         files: '(\\.rs|(^|/)Cargo\\.toml)$'\n        pass_filenames: false\n        \
         require_serial: true\n"
    );
    let write = |rel: &str, t: &str| {
        let p = repo.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    };
    write(".pre-commit-config.yaml", &config);
    write("Cargo.toml", CARGO_TOML);
    write("src/lib.rs", LIB_BLOCKING);
    write("src/util.rs", UTIL);
    let git = Path::new("git");
    let o = run(git, &["init", "-q"]);
    assert!(o.status.success(), "git init: {}", text(&o));
    let o = run(git, &["add", "-A"]);
    assert!(o.status.success(), "git add: {}", text(&o));
    let o = run(&pre_commit, &["validate-config", ".pre-commit-config.yaml"]);
    assert!(
        o.status.success(),
        "validate-config: {}\n{config}",
        text(&o)
    );

    let pc = |args: &[&str]| {
        let mut all = vec!["run", "--color", "never"];
        all.extend_from_slice(args);
        run(&pre_commit, &all)
    };

    // Blocking call: both hooks fail and say why.
    for hook in ["async-lint", "async-lint-workspace"] {
        let o = pc(&[hook, "--all-files"]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{hook} should fail:\n{}",
            text(&o)
        );
        assert!(
            text(&o).contains("blocking_in_async"),
            "{hook}:\n{}",
            text(&o)
        );
    }
    // Only the clean file selected: the file hook reports nothing from src/lib.rs.
    let o = pc(&["async-lint", "--files", "src/util.rs"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "async-lint on src/util.rs:\n{}",
        text(&o)
    );

    // Fixed: everything passes.
    write("src/lib.rs", LIB_FIXED);
    let o = run(git, &["add", "-A"]);
    assert!(o.status.success(), "git add: {}", text(&o));
    let o = pc(&["--all-files"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "should pass after the fix:\n{}",
        text(&o)
    );
    assert!(!text(&o).contains("blocking_in_async"), "{}", text(&o));

    eprintln!(
        "pre-commit test took {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
