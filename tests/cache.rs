//! The result cache: a warm run gives exactly the cold run's output, any change to a crate's
//! files or to the configuration invalidates it, `--no-cache` writes nothing, and a corrupt
//! entry is ignored.

mod common;

use common::Scratch;
#[cfg(unix)]
use common::age;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

const MANIFEST: &str =
    "[package]\nname = \"cached\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";

const LIB: &str = "mod helpers;\n\npub async fn handler() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n    helpers::quiet();\n}\n";

const HELPERS: &str = "pub fn quiet() {}\n";

fn package(name: &str) -> Scratch {
    let s = Scratch::new(
        name,
        &[
            ("Cargo.toml", MANIFEST),
            ("src/lib.rs", LIB),
            ("src/helpers.rs", HELPERS),
            ("src/orphan.rs", "pub fn not_in_the_module_tree() {}\n"),
        ],
    );
    std::fs::create_dir(s.0.join("target")).unwrap();
    s
}

/// Runs the binary in cargo mode (no paths) in `dir`, with cargo's target directory there.
fn run(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .unwrap()
}

fn cache_dir(dir: &Path) -> PathBuf {
    dir.join("target/async-lint-cache")
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(cache_dir(dir))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Replaces a cache entry's payload with `json`, with the checksum the tool expects (of the
/// key, read from the entry's file name `<ident>-<key>.json`, and the payload): a well-formed
/// entry with other contents.
fn rewrite_entry(entry: &Path, name: &str, json: &str) {
    let key = u64::from_str_radix(&name[17..33], 16).unwrap();
    let mut sum = cargo_async_lint::util::hash::Fnv::default();
    sum.u64(key);
    sum.u64(json.len() as u64);
    sum.u64(cargo_async_lint::util::hash::hash_bytes(json.as_bytes()));
    std::fs::write(entry, format!("{:016x}\n{json}", sum.finish())).unwrap();
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        common::stdout_and_short(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn same(a: &Output, b: &Output) {
    assert_eq!(
        a.status.code(),
        b.status.code(),
        "{}\n---\n{}",
        text(a),
        text(b)
    );
    assert_eq!(a.stdout, b.stdout, "{}\n---\n{}", text(a), text(b));
    assert_eq!(a.stderr, b.stderr, "{}\n---\n{}", text(a), text(b));
}

/// Runs once and returns the output and the entry that run added (None: no new entry).
fn run_tracked(dir: &Path, args: &[&str]) -> (Output, Option<String>) {
    let before = entries(dir);
    let o = run(dir, args);
    let new = entries(dir).difference(&before).next().cloned();
    (o, new)
}

fn findings(o: &Output) -> usize {
    common::stdout_and_short(o)
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-message\""))
        .count()
}

#[test]
fn warm_run_gives_the_cold_output() {
    let s = package("cache-warm");
    for format in ["json", "human", "sarif"] {
        let args = ["--message-format", format];
        let _ = std::fs::remove_dir_all(cache_dir(&s.0));
        let (cold, new) = run_tracked(&s.0, &args);
        assert_eq!(cold.status.code(), Some(1), "{}", text(&cold));
        assert!(
            new.is_some(),
            "the cold run stores an entry: {}",
            text(&cold)
        );
        let (warm, new) = run_tracked(&s.0, &args);
        assert!(new.is_none(), "the warm run reuses the entry");
        same(&cold, &warm);
        // The entry is really used: the output comes from it.
        let name = entries(&s.0).into_iter().next().unwrap();
        let entry = cache_dir(&s.0).join(&name);
        let stored = std::fs::read_to_string(&entry).unwrap();
        let (_, json) = stored.split_once('\n').unwrap();
        assert!(json.contains("blocking call"), "{json}");
        rewrite_entry(
            &entry,
            &name,
            &json.replace("blocking call", "BLOCKING CALL"),
        );
        let o = run(&s.0, &args);
        let out = format!(
            "{}{}",
            common::stdout_and_short(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(out.contains("BLOCKING CALL"), "{}", text(&o));
    }
}

#[test]
fn any_change_invalidates() {
    let s = package("cache-invalidate");
    let args = ["--message-format", "json"];
    let (o, new) = run_tracked(&s.0, &args);
    assert!(new.is_some());
    assert_eq!(findings(&o), 1, "{}", text(&o));

    // A new blocking call in a module file appears.
    std::fs::write(
        s.0.join("src/helpers.rs"),
        "pub async fn slow() { std::thread::sleep(std::time::Duration::from_millis(5)); }\npub fn quiet() {}\n",
    )
    .unwrap();
    let (o, new) = run_tracked(&s.0, &args);
    assert!(new.is_some());
    assert_eq!(findings(&o), 2, "{}", text(&o));

    // A file outside the module tree: a new entry, same findings.
    std::fs::write(s.0.join("src/orphan.rs"), "pub fn changed() {}\n").unwrap();
    let (o2, new) = run_tracked(&s.0, &args);
    assert!(
        new.is_some(),
        "editing a file outside the module tree invalidates"
    );
    same(&o, &o2);

    // Cargo.toml.
    std::fs::write(s.0.join("Cargo.toml"), format!("{MANIFEST}\n# a comment\n")).unwrap();
    let (o2, new) = run_tracked(&s.0, &args);
    assert!(new.is_some(), "editing Cargo.toml invalidates");
    same(&o, &o2);

    // The configuration: the findings disappear, then come back.
    std::fs::write(
        s.0.join("async-lint.toml"),
        "[lints]\nblocking_in_async = \"allow\"\n",
    )
    .unwrap();
    let (o, new) = run_tracked(&s.0, &args);
    assert!(new.is_some());
    assert_eq!(findings(&o), 0, "{}", text(&o));
    assert_eq!(o.status.code(), Some(0));
    std::fs::write(
        s.0.join("async-lint.toml"),
        "[lints]\nblocking_in_async = \"deny\"\n",
    )
    .unwrap();
    let o = run(&s.0, &args);
    assert_eq!(findings(&o), 2, "{}", text(&o));
    assert!(common::stdout_and_short(&o).contains("\"level\":\"error\""));

    // Command-line levels are part of the key too.
    let o = run(
        &s.0,
        &["--message-format", "json", "-A", "blocking_in_async"],
    );
    assert_eq!(findings(&o), 0, "{}", text(&o));

    // Removing the calls makes the findings disappear.
    std::fs::write(
        s.0.join("src/lib.rs"),
        "mod helpers;\npub async fn handler() {}\n",
    )
    .unwrap();
    std::fs::write(s.0.join("src/helpers.rs"), HELPERS).unwrap();
    let o = run(&s.0, &args);
    assert_eq!(findings(&o), 0, "{}", text(&o));
    assert_eq!(o.status.code(), Some(0));

    // Only a few entries per package are kept.
    assert!(entries(&s.0).len() <= 4, "{:?}", entries(&s.0));
}

#[test]
fn no_cache_writes_nothing() {
    let s = package("cache-off");
    std::fs::remove_dir(s.0.join("target")).unwrap();
    let o = run(&s.0, &["--no-cache"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!s.0.join("target").exists());
    std::fs::create_dir(s.0.join("target")).unwrap();
    let o = run(&s.0, &["--no-cache"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!cache_dir(&s.0).exists());
    // Linting paths outside any package writes nothing either.
    let loose = Scratch::new("cache-loose", &[("a.rs", LIB)]);
    let o = common::run_bin(&["a.rs"], &loose.0);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let names: Vec<_> = std::fs::read_dir(&loose.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a.rs")]);
}

#[test]
fn corrupt_entries_are_ignored() {
    let s = package("cache-corrupt");
    let args = ["--message-format", "json"];
    let fresh = run(&s.0, &["--message-format", "json", "--no-cache"]);
    let (o, new) = run_tracked(&s.0, &args);
    same(&fresh, &o);
    let entry = cache_dir(&s.0).join(new.unwrap());
    let json = std::fs::read_to_string(&entry).unwrap();
    let corruptions = [
        String::new(),
        "not json".to_string(),
        json[..json.len() / 2].to_string(),
        json.replace("blocking_in_async", "no_such_lint"),
        json.replace("\"file\":0", "\"file\":99"),
    ];
    for bad in corruptions {
        std::fs::write(&entry, &bad).unwrap();
        let o = run(&s.0, &args);
        same(&fresh, &o);
    }
    // An entry whose recorded file contents no longer match is not used either.
    std::fs::write(&entry, json.replace("\"hash\":", "\"hash\":1")).unwrap();
    same(&fresh, &run(&s.0, &args));
    // Paths mode keeps its entries under the package's target/ as well.
    let o = run(&s.0, &["--message-format", "json", "src"]);
    let warm = run(&s.0, &["--message-format", "json", "src"]);
    same(&o, &warm);
    assert_eq!(findings(&o), 1, "{}", text(&o));
}

/// A module file that did not exist when an entry was stored is linted as soon as it is
/// created, wherever the lookup looked for it: next to its parent (`mod later;`), in a hidden
/// directory or a `target/` directory (which the key's walk skips), outside the package, or at a
/// `#[path]` that does not end in `.rs`. Without a change the entry is still used.
#[test]
fn a_module_created_later_is_linted() {
    let lib = "mod later;\n#[path = \".generated/hidden.rs\"]\nmod hidden;\n#[path = \"target/built.rs\"]\nmod built;\n#[path = \"../../outside.rs\"]\nmod outside;\n#[path = \"plain.in\"]\nmod plain;\n\npub async fn handler() {}\n";
    let s = Scratch::new(
        "cache-missed-modules",
        &[("pkg/Cargo.toml", MANIFEST), ("pkg/src/lib.rs", lib)],
    );
    let pkg = s.0.join("pkg");
    std::fs::create_dir(pkg.join("target")).unwrap();
    let args = ["--message-format", "json"];
    let (o, new) = run_tracked(&pkg, &args);
    assert!(new.is_some(), "{}", text(&o));
    assert_eq!(findings(&o), 0, "{}", text(&o));
    let (warm, new) = run_tracked(&pkg, &args);
    assert!(new.is_none(), "nothing changed: the entry is used");
    same(&o, &warm);
    let blocking =
        "pub async fn slow() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n";
    let created = [
        "pkg/src/later.rs",
        "pkg/src/.generated/hidden.rs",
        "pkg/src/target/built.rs",
        "outside.rs",
        "pkg/src/plain.in",
    ];
    for (n, file) in created.iter().enumerate() {
        let path = s.0.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, blocking).unwrap();
        let o = run(&pkg, &args);
        assert_eq!(findings(&o), n + 1, "after creating {file}: {}", text(&o));
        let (warm, new) = run_tracked(&pkg, &args);
        assert!(
            new.is_none(),
            "after creating {file}: the new entry is used"
        );
        same(&o, &warm);
    }
    // Once found, a module file in a skipped directory is checked by its contents.
    std::fs::write(
        s.0.join("pkg/src/.generated/hidden.rs"),
        "pub fn quiet() {}\n",
    )
    .unwrap();
    let o = run(&pkg, &args);
    assert_eq!(findings(&o), created.len() - 1, "{}", text(&o));
}

/// `cargo metadata` runs once for an unchanged workspace; a new target, or an edited manifest,
/// is seen by the very next run.
#[cfg(unix)]
#[test]
fn cargo_metadata_is_reused_until_the_workspace_changes() {
    use std::os::unix::fs::PermissionsExt;
    let s = package("metacache");
    // A cargo that counts its calls (outside the package: a new file there changes its time).
    let log = std::env::temp_dir().join(format!("async-lint-cargo-calls-{}", std::process::id()));
    let wrapper = log.with_extension("sh");
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho call >> '{}'\nexec '{real}' \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_file(&log);
    let calls = || {
        std::fs::read_to_string(&log)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    // `--no-deps`: only the members' `cargo metadata --no-deps` (the dependency graph's call
    // and its cache are tested in tests/dep_graph.rs).
    let lint = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .args(["--message-format", "short", "--no-deps"])
            .current_dir(&s.0)
            .env("CARGO", &wrapper)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .output()
            .unwrap()
    };
    age(&s.0);
    let cold = lint();
    assert_eq!(calls(), 1, "{}", text(&cold));
    let warm = lint();
    assert_eq!(calls(), 1, "cargo ran again on an unchanged workspace");
    same(&cold, &warm);

    // A new integration test is a new target: the next run must lint it.
    std::fs::create_dir(s.0.join("tests")).unwrap();
    std::fs::write(
        s.0.join("tests/new_target.rs"),
        "async fn t() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
    )
    .unwrap();
    let o = lint();
    assert_eq!(calls(), 2);
    assert!(
        common::stdout_and_short(&o).contains("tests/new_target.rs:2:5"),
        "{}",
        text(&o)
    );
    age(&s.0);
    lint();
    lint();
    assert_eq!(calls(), 3, "the new state is cached once it is old enough");

    // A manifest edit (here: the test target is no longer auto-discovered).
    let manifest = std::fs::read_to_string(s.0.join("Cargo.toml")).unwrap();
    std::fs::write(
        s.0.join("Cargo.toml"),
        manifest.replace(
            "edition = \"2021\"\n",
            "edition = \"2021\"\nautotests = false\n",
        ),
    )
    .unwrap();
    let o = lint();
    assert_eq!(calls(), 4);
    assert!(
        !common::stdout_and_short(&o).contains("new_target.rs"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&wrapper);
}

#[test]
fn a_rebuilt_tool_does_not_reuse_entries() {
    // A copy of the binary stands for a rebuild: same version number, another file.
    let s = package("cache-rebuilt");
    let tool = s.0.join("tool/cargo-async-lint");
    std::fs::create_dir(s.0.join("tool")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_cargo-async-lint"), &tool).unwrap();
    let run_tool = || {
        let before = entries(&s.0);
        let o = std::process::Command::new(&tool)
            .args(["--message-format", "json"])
            .current_dir(&s.0)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .output()
            .unwrap();
        assert_eq!(findings(&o), 1, "{}", text(&o));
        entries(&s.0).difference(&before).count()
    };
    assert_eq!(run_tool(), 1, "the cold run stores an entry");
    assert_eq!(run_tool(), 0, "the same build reuses it");
    // "Rebuilt": the executable's modification time changes.
    let f = std::fs::File::options().write(true).open(&tool).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30))
        .unwrap();
    drop(f);
    assert_eq!(
        run_tool(),
        1,
        "a rebuilt tool lints again and stores its own entry"
    );
}

#[test]
fn path_mode_never_caches_into_cargo_sources_and_shares_the_workspace_cache() {
    const BODY: &str =
        "pub async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    let manifest = |name: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"1.0.0\"\nedition = \"2021\"\n")
    };
    let lint = |cwd: &Path, args: &[&str], env: &[(&str, &Path)]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
        c.args(args).current_dir(cwd);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };

    // A package in cargo's registry sources: the cache goes to the user cache directory.
    let pkg_manifest = manifest("dep");
    let s = Scratch::new(
        "cargohome",
        &[
            (
                "home/registry/src/index-x/dep-1.0.0/Cargo.toml",
                &pkg_manifest,
            ),
            ("home/registry/src/index-x/dep-1.0.0/src/lib.rs", BODY),
        ],
    );
    let pkg = s.0.join("home/registry/src/index-x/dep-1.0.0");
    let xdg = s.0.join("xdg");
    lint(
        &pkg,
        &["."],
        &[("CARGO_HOME", &s.0.join("home")), ("XDG_CACHE_HOME", &xdg)],
    );
    assert!(!pkg.join("target").exists(), "wrote into cargo's sources");
    let cached = std::fs::read_dir(xdg.join("cargo-async-lint"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(cached > 0, "nothing in the user cache directory");

    // Files of a workspace member given one by one: the workspace's cache, not the member's.
    let member = manifest("m");
    let s = Scratch::new(
        "wsfiles",
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"m\"]\nresolver = \"2\"\n",
            ),
            ("m/Cargo.toml", &member),
            ("m/src/lib.rs", BODY),
        ],
    );
    lint(&s.0, &["m/src/lib.rs"], &[]);
    assert!(s.0.join("target/async-lint-cache").is_dir());
    assert!(!s.0.join("m/target").exists());
}

#[test]
fn a_damaged_entry_is_a_miss() {
    let s = package("cache-damaged");
    let cold = run(&s.0, &[]);
    let name = entries(&s.0).into_iter().next().unwrap();
    let entry = cache_dir(&s.0).join(&name);
    let stored = std::fs::read_to_string(&entry).unwrap();
    // Valid JSON, wrong content: the checksum no longer matches.
    std::fs::write(&entry, stored.replace("blocking call", "BLOCKING CALL")).unwrap();
    let warm = run(&s.0, &[]);
    assert!(!text(&warm).contains("BLOCKING CALL"), "{}", text(&warm));
    same(&cold, &warm);
    let rewritten = std::fs::read_to_string(&entry).unwrap();
    assert!(
        !rewritten.contains("BLOCKING CALL"),
        "the damaged entry is replaced"
    );
}

#[test]
fn fix_never_applies_edits_read_from_the_cache() {
    let s = package("cache-fix");
    // On tokio with `time`, so that the finding has a fix.
    std::fs::write(
        s.0.join("Cargo.toml"),
        MANIFEST.replace(
            "[workspace]",
            "[dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n\n[workspace]",
        ),
    )
    .unwrap();
    let _ = run(&s.0, &[]);
    let name = entries(&s.0).into_iter().next().unwrap();
    let entry = cache_dir(&s.0).join(&name);
    let stored = std::fs::read_to_string(&entry).unwrap();
    let (_, json) = stored.split_once('\n').unwrap();
    assert!(
        json.contains("tokio::time::sleep"),
        "the entry holds the fix: {json}"
    );
    // A well-formed entry (checksum recomputed) whose fix would write something else.
    rewrite_entry(
        &entry,
        &name,
        &json.replace("tokio::time::sleep", "bogus::sleep"),
    );
    let o = run(&s.0, &["--fix", "--allow-no-vcs"]);
    let lib = std::fs::read_to_string(s.0.join("src/lib.rs")).unwrap();
    assert!(lib.contains("tokio::time::sleep"), "{lib}\n{}", text(&o));
    assert!(!lib.contains("bogus"), "{lib}");
}

#[test]
fn a_dependency_change_invalidates_the_offered_fixes() {
    // A member inheriting tokio from the workspace: only the root manifest changes.
    let root = |features: &str| {
        format!(
            "[workspace]\nmembers = [\"m\"]\n\n[workspace.dependencies]\n\
             tokio = {{ version = \"1\", features = [\"{features}\"] }}\n"
        )
    };
    let s = Scratch::new(
        "cache-deps",
        &[
            ("Cargo.toml", &root("time")),
            (
                "m/Cargo.toml",
                "[package]\nname = \"m\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                 [dependencies]\ntokio = { workspace = true }\n",
            ),
            (
                "m/src/lib.rs",
                "pub async fn f() {\n    std::thread::sleep(std::time::Duration::ZERO);\n}\n",
            ),
        ],
    );
    let json = ["--message-format", "json"];
    let cold = text(&run(&s.0, &json));
    assert!(
        cold.contains("\"suggested_replacement\":\"tokio::time::sleep\""),
        "{cold}"
    );
    // Without tokio's `time` feature, the warm run offers no fix.
    std::fs::write(s.0.join("Cargo.toml"), root("rt")).unwrap();
    let warm = text(&run(&s.0, &json));
    assert!(warm.contains("blocking_in_async"), "{warm}");
    assert!(!warm.contains("tokio::time::sleep\""), "{warm}");
}
