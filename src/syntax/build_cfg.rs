//! What is known of the build the code is read for: whether `cfg(test)` is off (a dependency's
//! library, which its dependents never build with `--test`), and which features are on (when
//! `--features` / `--no-default-features` say). Read by the prescan (which attributes to keep)
//! and the walker (which code to skip), set around each file's read.

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

/// The enabled features of the package being read (None: unknown, every feature's code is read).
pub type Features = Option<std::sync::Arc<std::collections::BTreeSet<String>>>;

thread_local! {
    static FEATURES: std::cell::RefCell<Features> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with the package's enabled features known (`Some`): code under a
/// `#[cfg(feature = "..")]` they rule out is skipped.
pub fn with_features<R>(features: &Features, f: impl FnOnce() -> R) -> R {
    let saved = FEATURES.with(|c| c.replace(features.clone()));
    let r = f();
    FEATURES.with(|c| *c.borrow_mut() = saved);
    r
}

/// Whether `feature` is on: None when the features are not known (see [`with_features`]).
/// Every question is noted in the list [`noting_features_asked`] gives, if any: all that the
/// reading of the code learns of the features goes through here.
pub fn feature_on(feature: &str) -> Option<bool> {
    ASKED.with(|a| {
        if let Some(asked) = &*a.borrow() {
            asked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(feature.to_string());
        }
    });
    FEATURES.with(|c| c.borrow().as_ref().map(|set| set.contains(feature)))
}

/// The features the reading of a package asked about ([`feature_on`]), from every thread that
/// reads its files.
pub type Asked = std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>;

thread_local! {
    static ASKED: std::cell::RefCell<Option<Asked>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` noting in `asked` (when given) the features it asks about: a reading made with
/// features that agree with other ones on each of them is the reading made with those.
pub fn noting_features_asked<R>(asked: Option<&Asked>, f: impl FnOnce() -> R) -> R {
    let saved = ASKED.with(|a| a.replace(asked.cloned()));
    let r = f();
    ASKED.with(|a| *a.borrow_mut() = saved);
    r
}

/// Whether the enabled features are known.
pub fn features_known() -> bool {
    FEATURES.with(|c| c.borrow().is_some())
}

use crate::workspace::platform::Platform;

thread_local! {
    static PLATFORM: std::cell::Cell<Option<&'static Platform>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with the platform known (`Some`: a dependency, built for the host): code under a
/// `#[cfg(..)]` of another platform (`windows`, `target_arch = "arm"`) is skipped.
pub fn with_platform<R>(platform: Option<&'static Platform>, f: impl FnOnce() -> R) -> R {
    let saved = PLATFORM.with(|c| c.replace(platform));
    let r = f();
    PLATFORM.with(|c| c.set(saved));
    r
}

/// The platform being read for, if known (see [`with_platform`]).
pub fn platform() -> Option<&'static Platform> {
    PLATFORM.with(std::cell::Cell::get)
}
