//! A progress line on stderr while a run takes a while, as cargo shows one: the files parsed so
//! far and the packages walked (the members and the dependencies being summarized). Only on a
//! terminal, never in CI logs, with `-q`, or for machine formats; it appears after half a
//! second and is erased before the findings are written.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

static FILES: AtomicUsize = AtomicUsize::new(0);
static PACKAGES_STARTED: AtomicUsize = AtomicUsize::new(0);
static PACKAGES_DONE: AtomicUsize = AtomicUsize::new(0);

/// A file was read and parsed.
pub fn file_parsed() {
    FILES.fetch_add(1, Ordering::Relaxed);
}

/// A package's walk started (`done: false`) or ended.
pub fn package(done: bool) {
    let counter = if done {
        &PACKAGES_DONE
    } else {
        &PACKAGES_STARTED
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The progress line's text.
fn line() -> String {
    let done = PACKAGES_DONE.load(Ordering::Relaxed);
    let started = PACKAGES_STARTED.load(Ordering::Relaxed);
    format!(
        "    Checking {} files, {done}/{started} packages",
        FILES.load(Ordering::Relaxed)
    )
}

/// Whether to show it: `ASYNC_LINT_PROGRESS=always|never` decides, else a terminal on stderr
/// outside CI (`CI` set), for human formats without `-q`.
pub fn wanted(human_format: bool, quiet: bool) -> bool {
    match std::env::var("ASYNC_LINT_PROGRESS").as_deref() {
        Ok("always") => return true,
        Ok("never") => return false,
        _ => {}
    }
    use std::io::IsTerminal;
    human_format
        && !quiet
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none_or(|v| v.is_empty())
}

/// The line's thread; [`Progress::finish`] (or dropping it) erases the line.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts showing the line after half a second, when `enabled`.
    pub fn start(enabled: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = enabled.then(|| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let tick = Duration::from_millis(100);
                for _ in 0..5 {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(tick);
                }
                let mut shown = false;
                while !stop.load(Ordering::Relaxed) {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K{}", line());
                    let _ = err.flush();
                    shown = true;
                    drop(err);
                    std::thread::sleep(tick);
                }
                if shown {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K");
                    let _ = err.flush();
                }
            })
        });
        Progress { stop, thread }
    }

    /// Stops and erases the line.
    pub fn finish(mut self) {
        self.end();
    }

    fn end(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.end();
    }
}
