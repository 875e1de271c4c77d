//! Shared by the fuzz targets: a per-process crate directory reused by every iteration, and a
//! full lint run (every lint on, one job, no cache) over it, then `--fix --diff` (the crate
//! depends on tokio with every feature, so fixes are offered).

use cargo_async_lint::driver::engine;
use cargo_async_lint::driver::options::Options;
use cargo_async_lint::workspace::discover;
use cargo_async_lint::lints::diag::Level;
use cargo_async_lint::lints::registry::Levels;
use std::path::PathBuf;
use std::sync::OnceLock;

/// `<tmp>/async-lint-fuzz-<pid>/`, holding `Cargo.toml` and `src/`.
pub fn crate_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("async-lint-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"fuzzed\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
             [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
        )
        .unwrap();
        dir
    })
}

/// Replaces the crate's `src/` with the given files (path relative to `src/`, contents).
pub fn write_src(files: &[(&str, &[u8])]) {
    let src = crate_dir().join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            std::fs::remove_dir_all(&p).unwrap();
        } else {
            std::fs::remove_file(&p).unwrap();
        }
    }
    for (name, bytes) in files {
        let p = src.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, bytes).unwrap();
    }
}

/// Parse + walk + every lint over the crate; panics (the bug) propagate to libFuzzer.
pub fn lint() -> usize {
    let mut levels = Levels::default();
    levels.apply("all", Level::Warn).unwrap();
    let ws = discover::from_paths(std::slice::from_ref(crate_dir())).expect("crate dir exists");
    let report = engine::run(
        ws,
        &Options {
            levels,
            jobs: 1,
            ..Options::default()
        },
    );
    // `--fix --diff` over the findings (nothing is written): planning the edits, the imports
    // they leave unused, the re-parse and the diff must not panic either.
    let _ = cargo_async_lint::fix::apply(&report, true);
    report.diagnostics().count()
}
