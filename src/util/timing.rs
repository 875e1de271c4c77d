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

/// Prints `timing [+1.234 s] <what>` when [`enabled`].
pub fn mark(what: impl FnOnce() -> String) {
    if enabled() {
        eprintln!(
            "timing [+{:.3} s] {}",
            start().elapsed().as_secs_f64(),
            what()
        );
    }
}
