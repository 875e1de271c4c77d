//! Throughput of the linter against its floor: syn alone reading and parsing the same files
//! with the same number of threads, in the same process and run.
//!
//! `cargo bench --bench throughput` measures the tokio crate's sources (from the corpus in
//! `corpus/Cargo.toml`, fetched into cargo's source cache). `ASYNC_LINT_BENCH=all` measures every
//! package of the corpus; `ASYNC_LINT_BENCH_JOBS=N` sets the thread count (default: all cores).

use cargo_async_lint::engine::{self, Options};
use cargo_async_lint::project;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// The same allocator as the binary, for the floor and the linter alike.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus_packages() -> Vec<(String, PathBuf)> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/Cargo.toml");
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(&manifest)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut pkgs: Vec<(String, PathBuf)> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "async-lint-corpus")
        .map(|p| {
            let m = PathBuf::from(p["manifest_path"].as_str().unwrap());
            (
                p["name"].as_str().unwrap().to_string(),
                m.parent().unwrap().to_path_buf(),
            )
        })
        .collect();
    pkgs.sort();
    pkgs
}

fn rs_files(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for d in dirs {
        let mut it = walkdir::WalkDir::new(d).sort_by_file_name().into_iter();
        while let Some(Ok(e)) = it.next() {
            let name = e.file_name().to_string_lossy();
            if e.file_type().is_dir() {
                if e.depth() > 0 && (name == "target" || name.starts_with('.')) {
                    it.skip_current_dir();
                }
            } else if name.ends_with(".rs") {
                files.push(e.into_path());
            }
        }
    }
    files
}

fn floor(files: &[PathBuf]) -> usize {
    files
        .par_iter()
        .map(|f| {
            let text = std::fs::read(f).unwrap_or_default();
            let ok = match std::str::from_utf8(&text) {
                Ok(t) => syn::parse_file(t).map(|ast| ast.items.len()).unwrap_or(0),
                Err(_) => 0,
            };
            proc_macro2::extra::invalidate_current_thread_spans();
            ok
        })
        .sum()
}

fn best_of(n: usize, mut f: impl FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (such as `cargo test --benches`) is a dry run.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let set = std::env::var("ASYNC_LINT_BENCH").unwrap_or_else(|_| "tokio".into());
    let jobs: usize = std::env::var("ASYNC_LINT_BENCH_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
    let pkgs = corpus_packages();
    let dirs: Vec<PathBuf> = pkgs
        .iter()
        .filter(|(name, _)| set == "all" || *name == set)
        .map(|(_, d)| d.clone())
        .collect();
    assert!(!dirs.is_empty(), "no corpus package named {set}");
    let files = rs_files(&dirs);
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(engine::STACK_SIZE)
        .build()
        .unwrap();
    // `ASYNC_LINT_BENCH_ONLY=floor|lint`: run one side once (for callgrind instruction counts).
    if let Ok(only) = std::env::var("ASYNC_LINT_BENCH_ONLY") {
        pool.install(|| match only.as_str() {
            "floor" => {
                floor(&files);
            }
            _ => {
                let ws = project::from_paths(&dirs).unwrap();
                engine::run(
                    ws,
                    &Options {
                        jobs,
                        ..Options::default()
                    },
                );
            }
        });
        return;
    }
    let runs = if set == "all" { 3 } else { 15 };
    // Interleaved, so that drift in the machine's speed hits both sides alike; best of each.
    let mut t_floor = Duration::MAX;
    let mut t_lint = Duration::MAX;
    let mut findings = 0;
    for _ in 0..runs {
        t_floor = t_floor.min(best_of(1, || {
            pool.install(|| floor(&files));
        }));
        t_lint = t_lint.min(best_of(1, || {
            let t = Instant::now();
            let ws = project::from_paths(&dirs).unwrap();
            if std::env::var_os("ASYNC_LINT_TIMING").is_some() {
                eprintln!("discovery {:?}", t.elapsed());
            }
            let report = engine::run(
                ws,
                &Options {
                    jobs,
                    ..Options::default()
                },
            );
            findings = report.diagnostics().count();
        }));
    }
    let mb = bytes as f64 / 1e6;
    let report = |name: &str, t: Duration| {
        let s = t.as_secs_f64();
        println!(
            "{name:>6}: {:>8.1} ms  {:>8.0} files/s  {:>6.1} MB/s",
            s * 1e3,
            files.len() as f64 / s,
            mb / s
        );
    };
    println!(
        "set: {set} ({} packages, {} files, {mb:.1} MB), {jobs} threads, best of {runs}",
        dirs.len(),
        files.len()
    );
    report("floor", t_floor);
    report("lint", t_lint);
    println!(
        "ratio lint/floor: {:.2}x  ({findings} findings)",
        t_lint.as_secs_f64() / t_floor.as_secs_f64()
    );
}
