//! `ASYNC_LINT_TIMING=1`: where a run's time goes, on stderr, each line with the time since the
//! process started (for finding what runs one after the other that could overlap).

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// Whether `ASYNC_LINT_TIMING` is set (read once). The first call also marks the start.
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    start();
    *ON.get_or_init(|| std::env::var_os("ASYNC_LINT_TIMING").is_some())
}

/// Prints `timing [+1.234 s, cpu 1.50 s] <what>` when [`enabled`]: the time since the start,
/// and the CPU time the process has used so far (threads idle while the wall clock runs show
/// as a gap between the two).
pub fn mark(what: impl FnOnce() -> String) {
    if enabled() {
        eprintln!(
            "timing [+{:.3} s, cpu {:.2} s] {}",
            start().elapsed().as_secs_f64(),
            cpu_seconds(),
            what()
        );
    }
}

/// The CPU time the process has used (user and system, its own threads only, in steps of
/// 10 ms), for `ASYNC_LINT_TIMING`: 0 where `/proc` cannot tell.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// Whether `ASYNC_LINT_LIST_PARSED` is set (read once): every file read for a parse is then
/// named on stderr (`parsed <path>`, a file parsed twice named twice), for the benchmark that
/// compares a run with syn parsing the same files (`benches/throughput.rs`, set `workspace`).
pub fn list_parsed() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("ASYNC_LINT_LIST_PARSED").is_some())
}
