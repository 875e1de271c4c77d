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
pub fn feature_on(feature: &str) -> Option<bool> {
    FEATURES.with(|c| c.borrow().as_ref().map(|set| set.contains(feature)))
}

/// Whether the enabled features are known.
pub fn features_known() -> bool {
    FEATURES.with(|c| c.borrow().is_some())
}

/// The `cfg` values of the platform the code is built for, as `rustc --print cfg` gives them:
/// names (`unix`) and pairs (`target_os = "linux"`). Only the platform's own keys are decided
/// by it ([`PLATFORM_KEYS`], `unix`, `windows`); `debug_assertions`, `panic`, `target_feature`
/// and the cfgs build scripts set stay unknown.
#[derive(Debug, Default)]
pub struct Platform {
    pub names: std::collections::HashSet<String>,
    pub pairs: std::collections::HashSet<(String, String)>,
}

/// The `key = "value"` cfgs a platform decides.
pub const PLATFORM_KEYS: &[&str] = &[
    "target_os",
    "target_arch",
    "target_family",
    "target_env",
    "target_pointer_width",
    "target_endian",
    "target_vendor",
    "target_abi",
    "target_has_atomic",
];

/// The name cfgs a platform decides.
pub const PLATFORM_NAMES: &[&str] = &["unix", "windows"];

impl Platform {
    /// Whether the platform sets `name` (`unix`): None for a name it does not decide.
    pub fn name(&self, name: &str) -> Option<bool> {
        PLATFORM_NAMES
            .contains(&name)
            .then(|| self.names.contains(name))
    }

    /// Whether the platform sets `key = "value"`: None for a key it does not decide.
    pub fn pair(&self, key: &str, value: &str) -> Option<bool> {
        PLATFORM_KEYS
            .contains(&key)
            .then(|| self.pairs.contains(&(key.to_string(), value.to_string())))
    }
}

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
