//! Cancelling a run in flight: the language server asks for it when a newer edit arrives
//! ([`request`]), and the run stops at its next checkpoint ([`check`]: a file about to be
//! walked, a dependency about to be found or summarized, a package about to be linted) by
//! unwinding to the server's `catch_unwind`, which tells a cancellation from a bug by its
//! payload ([`is_cancelled`]).
//!
//! Nothing half-made is kept: the caches are written only with what a step finished (a
//! package's findings, a dependency's summary), so a cancelled run leaves them as correct as a
//! finished one. The command line never asks, so its checks never unwind.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// The payload a cancelled run unwinds with.
pub struct Cancelled;

/// Asks the run in flight (if any) to stop at its next checkpoint.
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Forgets earlier requests: called as a run starts.
pub fn reset() {
    REQUESTED.store(false, Ordering::Relaxed);
}

/// A checkpoint: unwinds with [`Cancelled`] when a cancellation was requested. Callers hold no
/// lock here (a lock held while unwinding would be poisoned for the next run).
pub fn check() {
    #[cfg(test)]
    PASSES_LEFT.with(|left| match left.get() {
        Some(0) => {
            left.set(None);
            std::panic::resume_unwind(Box::new(Cancelled));
        }
        Some(n) => left.set(Some(n - 1)),
        None => {}
    });
    check_flag(&REQUESTED);
}

#[cfg(test)]
thread_local! {
    /// Tests: how many checkpoints on this thread pass before one unwinds (None: none does).
    static PASSES_LEFT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Tests: cancels the run on this thread at its checkpoint after `passes` more (a cancellation
/// at a chosen step, which the process-wide request cannot aim at without cancelling other
/// tests' runs).
#[cfg(test)]
pub(crate) fn cancel_on_this_thread_after(passes: usize) {
    PASSES_LEFT.with(|left| left.set(Some(passes)));
}

fn check_flag(flag: &AtomicBool) {
    if flag.load(Ordering::Relaxed) {
        // `resume_unwind`, not `panic!`: no panic hook runs, so nothing is printed.
        std::panic::resume_unwind(Box::new(Cancelled));
    }
}

/// Whether a caught unwind is a cancellation (else a bug).
pub fn is_cancelled(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<Cancelled>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requested_cancellation_unwinds_at_the_next_check_only() {
        // A flag of its own: the process-wide one would cancel other tests' runs.
        let flag = AtomicBool::new(false);
        check_flag(&flag);
        flag.store(true, Ordering::Relaxed);
        let caught = std::panic::catch_unwind(|| check_flag(&flag)).expect_err("must unwind");
        assert!(is_cancelled(caught.as_ref()));
        flag.store(false, Ordering::Relaxed);
        check_flag(&flag);
        let bug = std::panic::catch_unwind(|| std::panic::resume_unwind(Box::new("bug")))
            .expect_err("unwinds");
        assert!(!is_cancelled(bug.as_ref()));
    }
}
