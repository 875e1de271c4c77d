//! Throughput of the linter against its floor: syn alone reading and parsing the same files
//! with the same number of threads, in the same process and run.
//!
//! `cargo bench --bench throughput` measures the tokio crate's sources (from the corpus in
//! `corpus/Cargo.toml`, fetched into cargo's source cache). `ASYNC_LINT_BENCH=all` measures every
//! package of the corpus, `ASYNC_LINT_BENCH=generated` a generated workspace (written once under
//! `target/bench-workspace/`); `ASYNC_LINT_BENCH_JOBS=N` sets the thread count (default: all
//! cores).
//!
//! Two measurements: in-process (the engine against syn parsing the same files on the same
//! thread pool, interleaved, best of N; `floor*` parses the text the engine parses, with doc
//! comments and unread attributes blanked) and whole-process (the `cargo-async-lint` binary against
//! a floor process that lists, reads and parses the same files), the latter with peak RSS from
//! `wait4`. For `all`, the single largest package is also linted alone, to compare peak RSS.
//!
//! `ASYNC_LINT_BENCH=workspace:<dir>` times a cargo workspace with its dependency summaries
//! instead, as a first run goes, against syn parsing every file that run parsed (see
//! [`workspace_cold`]): `ASYNC_LINT_BENCH=workspace:$HOME/deno cargo bench --bench throughput`.

use cargo_async_lint::driver::engine;
use cargo_async_lint::driver::options::Options;
use cargo_async_lint::syntax::prescan;
use cargo_async_lint::workspace::discover;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// The same allocator as the binary, for the floor and the linter alike.
#[global_allocator]
static ALLOC: cargo_async_lint::syntax::alloc::Alloc = cargo_async_lint::syntax::alloc::Alloc;

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

/// syn reading and parsing every file: as written, or (`same_text`) as the engine parses it,
/// with doc comments and unread attributes blanked.
fn floor(files: &[PathBuf], same_text: bool) -> usize {
    files
        .par_iter()
        .map(|f| {
            let text = std::fs::read(f).unwrap_or_default();
            let ok = match std::str::from_utf8(&text) {
                Ok(t) => {
                    let blanked = if same_text {
                        prescan::text_to_parse(t)
                    } else {
                        None
                    };
                    let t = blanked.as_deref().unwrap_or(t);
                    syn::parse_file(t).map(|ast| ast.items.len()).unwrap_or(0)
                }
                Err(_) => 0,
            };
            proc_macro2::extra::invalidate_current_thread_spans();
            ok
        })
        .sum()
}

/// A deterministic workspace of `crates` crates with `files` module files each, in the shapes
/// real async code has (imports, impls with async methods, sync helpers, macros, `select!`).
fn generated_workspace(crates: usize, files: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-workspace/v3-{crates}x{files}"));
    if root.join("done").exists() {
        return root;
    }
    let _ = std::fs::remove_dir_all(&root);
    let members: Vec<String> = (0..crates).map(|c| format!("\"crate{c}\"")).collect();
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        format!("[workspace]\nmembers = [{}]\n", members.join(", ")),
    )
    .unwrap();
    for c in 0..crates {
        let dir = root.join(format!("crate{c}"));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"crate{c}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        )
        .unwrap();
        let mut lib = String::from("//! Generated.\n");
        for f in 0..files {
            lib.push_str(&format!("pub mod m{f};\n"));
            std::fs::write(dir.join(format!("src/m{f}.rs")), generated_module(c, f)).unwrap();
        }
        std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    }
    std::fs::write(root.join("done"), "").unwrap();
    root
}

fn generated_module(c: usize, f: usize) -> String {
    let mut s = String::from(
        "use std::collections::HashMap;\nuse std::sync::{Arc, Mutex};\nuse std::time::Duration;\nuse tokio::sync::mpsc;\n\n",
    );
    for i in 0..6 {
        let n = c * 1000 + f * 20 + i;
        // One finding per crate (a sync helper reading a file, called from async code).
        let first_call = if f == 0 && i == 0 {
            "self.load_config(\"app.toml\").map_or(0, |t| t.len() as u64)"
        } else {
            "0u64"
        };
        s.push_str(&format!(
            r#"/// State number {n}.
#[derive(Debug, Clone, Default)]
pub struct State{i} {{
    pub name: String,
    pub counts: HashMap<String, u64>,
    shared: Arc<Mutex<Vec<u8>>>,
}}

impl State{i} {{
    pub fn new(name: &str) -> Self {{
        Self {{ name: name.to_string(), ..Default::default() }}
    }}

    /// Reads the configuration (a sync helper).
    fn load_config(&self, path: &str) -> std::io::Result<String> {{
        let text = std::fs::read_to_string(path)?;
        Ok(format!("{{}}:{{}}", self.name, text.len()))
    }}

    pub async fn handle(&mut self, mut rx: mpsc::Receiver<u64>, key: String) -> Result<u64, String> {{
        let mut total = {first_call};
        while let Some(v) = rx.recv().await {{
            total = total.wrapping_add(v * {n});
            *self.counts.entry(key.clone()).or_insert(0) += 1;
            if total % 7 == 3 {{
                tokio::time::sleep(Duration::from_millis(1)).await;
            }}
        }}
        {{
            let mut g = self.shared.lock().unwrap();
            g.push((total % 251) as u8);
        }}
        let cfg = tokio::task::spawn_blocking(move || std::fs::read("cfg.toml")).await;
        match cfg {{
            Ok(Ok(bytes)) if !bytes.is_empty() => println!("{{}} bytes for {{}}", bytes.len(), key),
            Ok(Err(e)) => return Err(e.to_string()),
            _ => {{}}
        }}
        tokio::select! {{
            _ = tokio::time::sleep(Duration::from_millis(5)) => {{}}
            v = async {{ total + 1 }} => total = v,
        }}
        let items: Vec<u64> = (0..total % 10).map(|x| x * 2).filter(|x| x % 3 != 0).collect();
        assert!(items.len() < 100, "too many items: {{}}", items.len());
        Ok(items.iter().sum::<u64>() + self.counts.len() as u64)
    }}
}}

pub fn helper{i}(values: &[u64]) -> Option<u64> {{
    let mut best = None;
    for (i, v) in values.iter().enumerate() {{
        if best.map_or(true, |b| *v > b) && i % 2 == 0 {{
            best = Some(*v);
        }}
    }}
    best
}}

"#
        ));
    }
    s
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
    // A child process of the `workspace` set: syn alone on the files the run parsed.
    if let Ok(list) = std::env::var("ASYNC_LINT_BENCH_FILES") {
        let files: Vec<PathBuf> = std::fs::read_to_string(list)
            .expect("the list of files")
            .lines()
            .map(PathBuf::from)
            .collect();
        pool(jobs).install(|| floor(&files, false));
        return;
    }
    if let Some(ws) = set.strip_prefix("workspace:") {
        workspace_cold(Path::new(ws), jobs);
        return;
    }
    let dirs: Vec<PathBuf> = if let Ok(d) = std::env::var("ASYNC_LINT_BENCH_DIRS") {
        // A child process of this benchmark: the parent found the directories.
        d.lines().map(PathBuf::from).collect()
    } else if set == "generated" {
        vec![generated_workspace(60, 40)]
    } else {
        corpus_packages()
            .iter()
            .filter(|(name, _)| set == "all" || *name == set)
            .map(|(_, d)| d.clone())
            .collect()
    };
    assert!(!dirs.is_empty(), "no corpus package named {set}");
    let files = rs_files(&dirs);
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let pool = pool(jobs);
    // `ASYNC_LINT_BENCH_ONLY=floor|lint`: run one side once (for callgrind instruction counts).
    if let Ok(only) = std::env::var("ASYNC_LINT_BENCH_ONLY") {
        pool.install(|| match only.as_str() {
            "floor" => {
                floor(&files, false);
            }
            _ => {
                let ws = discover::from_paths(&dirs).unwrap();
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
    let runs = if set == "tokio" { 15 } else { 3 };
    // Whole processes first, while this process is small: a child's peak RSS (from wait4)
    // includes the memory of its parent at the spawn.
    // SAFETY: a zeroed rusage is valid; getrusage fills it.
    let mut own: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut own) };
    // The binary against a process that lists, reads and parses the same files.
    let dir_list: String = dirs.iter().map(|d| format!("{}\n", d.display())).collect();
    let floor_cmd = || {
        let mut c = std::process::Command::new(std::env::current_exe().unwrap());
        c.arg("--bench")
            .env("ASYNC_LINT_BENCH_ONLY", "floor")
            .env("ASYNC_LINT_BENCH_DIRS", &dir_list)
            .env("ASYNC_LINT_BENCH_JOBS", jobs.to_string());
        c
    };
    let lint_cmd = |dirs: &[PathBuf]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
        c.args(dirs)
            .args(["--no-cache", "--message-format", "json", "-j"])
            .arg(jobs.to_string());
        c
    };
    let (mut p_floor, mut p_lint) = ((Duration::MAX, 0), (Duration::MAX, 0));
    // The ratio of each adjacent pair too: steadier than the ratio of the bests when the
    // machine's speed drifts.
    let mut p_pairs = Vec::new();
    for _ in 0..runs.min(5) {
        let f = measured(&mut floor_cmd());
        let l = measured(&mut lint_cmd(&dirs));
        p_pairs.push(l.0.as_secs_f64() / f.0.as_secs_f64());
        p_floor = best(p_floor, f);
        p_lint = best(p_lint, l);
    }
    // Interleaved, so that drift in the machine's speed hits both sides alike; best of each.
    let mut t_floor = Duration::MAX;
    let mut t_same = Duration::MAX;
    let mut t_lint = Duration::MAX;
    let mut findings = 0;
    let mut pairs = Vec::new();
    for _ in 0..runs {
        let f = best_of(1, || {
            pool.install(|| floor(&files, false));
        });
        t_floor = t_floor.min(f);
        t_same = t_same.min(best_of(1, || {
            pool.install(|| floor(&files, true));
        }));
        let l = best_of(1, || {
            let t = Instant::now();
            let ws = discover::from_paths(&dirs).unwrap();
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
        });
        t_lint = t_lint.min(l);
        pairs.push(l.as_secs_f64() / f.as_secs_f64());
        // The linter frees large indexes on a background thread: let that finish before the
        // next floor measurement, which it would otherwise slow down.
        std::thread::sleep(Duration::from_millis(100));
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
        "set: {set} ({} directories, {} files, {mb:.1} MB), {jobs} threads, best of {runs}",
        dirs.len(),
        files.len()
    );
    report("floor", t_floor);
    report("floor*", t_same);
    report("lint", t_lint);
    println!(
        "ratio lint/floor: {:.2}x, median of adjacent pairs {:.2}x  ({findings} findings)",
        t_lint.as_secs_f64() / t_floor.as_secs_f64(),
        median(&mut pairs)
    );
    println!(
        "ratio lint/floor*: {:.2}x  (floor*: syn on the text the engine parses, doc comments and \
         unread attributes blanked: the walker's and the index's own overhead)",
        t_lint.as_secs_f64() / t_same.as_secs_f64()
    );

    let report_p = |name: &str, (t, rss): (Duration, u64)| {
        let s = t.as_secs_f64();
        println!(
            "{name:>6}: {:>8.1} ms  {:>8.0} files/s  {:>6.1} MB/s  peak RSS {:>6.1} MB",
            s * 1e3,
            files.len() as f64 / s,
            mb / s,
            rss as f64 / 1024.0
        );
    };
    println!(
        "whole process, best of {} (peak RSS includes this benchmark's {:.1} MB at the spawn):",
        runs.min(5),
        own.ru_maxrss as f64 / 1024.0
    );
    report_p("floor", p_floor);
    report_p("lint", p_lint);
    println!(
        "ratio lint/floor: {:.2}x wall (median of adjacent pairs {:.2}x), {:.2}x peak RSS",
        p_lint.0.as_secs_f64() / p_floor.0.as_secs_f64(),
        median(&mut p_pairs),
        p_lint.1 as f64 / p_floor.1 as f64
    );
    if set == "all" {
        // The single largest package (by bytes of Rust), linted alone.
        let largest = dirs
            .iter()
            .max_by_key(|d| {
                rs_files(std::slice::from_ref(d))
                    .iter()
                    .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
                    .sum::<u64>()
            })
            .unwrap();
        let mut one = (Duration::MAX, 0);
        for _ in 0..3 {
            one = best(one, measured(&mut lint_cmd(std::slice::from_ref(largest))));
        }
        println!(
            "largest package {}: {:.1} ms, peak RSS {:.1} MB; whole set / largest package peak RSS: {:.2}x",
            largest.file_name().unwrap().to_string_lossy(),
            one.0.as_secs_f64() * 1e3,
            one.1 as f64 / 1024.0,
            p_lint.1 as f64 / one.1 as f64
        );
    }
}

/// `ASYNC_LINT_BENCH=workspace:<dir>`: a cargo workspace (`<dir>`, its dependencies fetched)
/// linted with `--workspace` as a first run goes (default flags, so the results and the
/// dependency summaries are written; a new target folder and user cache folder each run,
/// none deleted before the end, as ext4 makes creating files right after deleting many several
/// times slower), against syn alone parsing every file the run parsed (the workspace's and
/// the dependencies' its analysis reached, each once), in a process of its own, alternated run
/// by run (`ASYNC_LINT_BENCH_RUNS`, default 8). Then warm runs: everything cached, and the
/// summaries cached but not the results (a new target folder). The ratio to read is the
/// median of the adjacent pairs: the machine's speed drifts between runs.
fn workspace_cold(ws: &Path, jobs: usize) {
    let ws = ws.canonicalize().expect("the workspace folder");
    let runs: usize = std::env::var("ASYNC_LINT_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
        .max(1);
    let scratch = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-workspace")
        .join(format!("cold-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut fresh = 0;
    let mut folders = || {
        fresh += 1;
        let run = scratch.join(fresh.to_string());
        (run.join("target"), run.join("cache"))
    };
    let lint_cmd = |(target, cache): &(PathBuf, PathBuf)| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"));
        c.args(["async-lint", "--workspace", "--message-format", "json"])
            .current_dir(&ws)
            .env("CARGO_TARGET_DIR", target)
            .env("XDG_CACHE_HOME", cache)
            .env_remove("ASYNC_LINT_TIMING")
            .env_remove("ASYNC_LINT_LIST_PARSED");
        c
    };
    // A first run, not timed, names the files it parses (and says what it summarized).
    let listed = lint_cmd(&folders())
        .env("ASYNC_LINT_LIST_PARSED", "1")
        .arg("-v")
        .stdout(std::process::Stdio::null())
        .output()
        .expect("the listing run");
    let stderr = String::from_utf8_lossy(&listed.stderr);
    let mut files: Vec<PathBuf> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut twice = 0;
    for path in stderr.lines().filter_map(|l| l.strip_prefix("parsed ")) {
        let path = ws.join(path);
        if seen.insert(path.clone()) {
            files.push(path);
        } else {
            twice += 1;
        }
    }
    assert!(!files.is_empty(), "the run parsed no file: {stderr}");
    let in_ws = files.iter().filter(|f| f.starts_with(&ws)).count();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let list = scratch.join("files.txt");
    let text: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    std::fs::write(&list, text).unwrap();
    let floor_cmd = || {
        let mut c = std::process::Command::new(std::env::current_exe().unwrap());
        c.arg("--bench")
            .env("ASYNC_LINT_BENCH_FILES", &list)
            .env("ASYNC_LINT_BENCH_JOBS", jobs.to_string());
        c
    };
    println!(
        "set: workspace {} ({} files parsed, {:.1} MB: {in_ws} in the workspace, {} in dependencies; \
         {twice} parsed twice), {jobs} threads, {runs} runs",
        ws.display(),
        files.len(),
        bytes as f64 / 1e6,
        files.len() - in_ws
    );
    for note in stderr
        .lines()
        .filter(|l| l.starts_with("note: dependency summaries"))
    {
        println!("  {note}");
    }
    let (mut lints, mut floors, mut pairs) = (Vec::new(), Vec::new(), Vec::new());
    let mut cpu_pairs = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let run = folders();
        let l = measured_cpu(&mut lint_cmd(&run));
        last = Some(run);
        let f = measured_cpu(&mut floor_cmd());
        println!(
            "  lint {:.2} s ({:.2} s CPU, {:.0} MB)  floor {:.2} s ({:.2} s CPU, {:.0} MB)  {:.2}x",
            l.0.as_secs_f64(),
            l.2,
            l.1 as f64 / 1024.0,
            f.0.as_secs_f64(),
            f.2,
            f.1 as f64 / 1024.0,
            l.0.as_secs_f64() / f.0.as_secs_f64()
        );
        pairs.push(l.0.as_secs_f64() / f.0.as_secs_f64());
        cpu_pairs.push(l.2 / f.2);
        lints.push(l.0.as_secs_f64());
        floors.push(f.0.as_secs_f64());
    }
    println!(
        "cold: lint {:.2} s, floor {:.2} s (medians); ratio {:.2}x (median of the adjacent pairs), \
         {:.2}x in CPU time",
        median(&mut lints),
        median(&mut floors),
        median(&mut pairs),
        median(&mut cpu_pairs)
    );
    // Warm: the last cold run's folders (results and summaries cached), then the summaries
    // alone (a new target folder each time).
    let last = last.expect("at least one run");
    let warm = (0..3)
        .map(|_| measured_cpu(&mut lint_cmd(&last)).0)
        .min()
        .unwrap();
    let summaries_only = (0..3)
        .map(|_| {
            let (target, _) = folders();
            measured_cpu(&mut lint_cmd(&(target, last.1.clone()))).0
        })
        .min()
        .unwrap();
    let summaries: u64 = walkdir::WalkDir::new(last.1.join("cargo-async-lint/summaries"))
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum();
    println!(
        "warm (best of 3): {:.0} ms with everything cached, {:.0} ms with the summaries cached \
         (a new target folder); summary cache {:.1} MB",
        warm.as_secs_f64() * 1e3,
        summaries_only.as_secs_f64() * 1e3,
        summaries as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

/// The engine's thread pool, with `jobs` threads.
fn pool(jobs: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .stack_size(engine::STACK_SIZE)
        .build()
        .unwrap()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Shortest wall time; peak RSS of that run's kind (the largest seen).
fn best(a: (Duration, u64), b: (Duration, u64)) -> (Duration, u64) {
    (a.0.min(b.0), a.1.max(b.1))
}

/// Runs a process to completion: wall time and peak RSS in KiB (from `wait4`).
fn measured(cmd: &mut std::process::Command) -> (Duration, u64) {
    let (wall, rss, _) = measured_cpu(cmd);
    (wall, rss)
}

/// [`measured`], with the CPU time (user and system) of the process and the children it
/// waited for (`cargo metadata`), in seconds.
#[allow(clippy::zombie_processes, reason = "the child is reaped by wait4")]
fn measured_cpu(cmd: &mut std::process::Command) -> (Duration, u64, f64) {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let t = Instant::now();
    let child = cmd.spawn().expect("spawn");
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for the child we just spawned.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
    let wall = t.elapsed();
    assert_eq!(r, child.id() as libc::pid_t, "wait4 failed");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        wall,
        ru.ru_maxrss as u64,
        secs(ru.ru_utime) + secs(ru.ru_stime),
    )
}
