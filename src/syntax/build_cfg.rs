//! What is known of the build the code is read for: whether `cfg(test)` is off (a dependency's
//! library, which its dependents never build with `--test`). Read by the prescan (which
//! attributes to keep) and the walker (which code to skip), set around each file's read.

thread_local! {
    /// Whether `cfg(test)` is known to be off for the code being read (a dependency's library,
    /// which its dependents never build with `--test`).
    static TEST_OFF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with `cfg(test)` known to be off (`off`) or unknown (the workspace's own code, which
/// is linted with its tests), on this thread: the prescan keeps the `cfg`s that name `test`,
/// and the walker skips the code under `#[cfg(test)]`.
pub fn with_cfg_test_off<R>(off: bool, f: impl FnOnce() -> R) -> R {
    let saved = TEST_OFF.with(|t| t.replace(off));
    let r = f();
    TEST_OFF.with(|t| t.set(saved));
    r
}

/// See [`with_cfg_test_off`].
pub fn cfg_test_off() -> bool {
    TEST_OFF.with(std::cell::Cell::get)
}
