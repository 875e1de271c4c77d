//! The options of a run: the effective lint levels, the knowledge base and the configuration,
//! threads and switches, as the command line and the configuration file set them. The cache
//! keys on them; the engine runs with them.

use super::config::Loaded;
use crate::kb::Kb;
use crate::lints::registry::Levels;

/// What a run is asked to do, besides which packages to lint.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub levels: Levels,
    /// Worker threads; 0 = one per core.
    pub jobs: usize,
    /// The knowledge base with a configuration's additions (None: the built-in one).
    pub kb: Option<std::sync::Arc<Kb>>,
    /// The configuration (exclude globs).
    pub config: Loaded,
    /// Report findings even where a comment or clippy `#[allow]` suppresses them.
    pub ignore_suppressions: bool,
    /// Reuse (and store) results of packages whose files, configuration and tool version are
    /// unchanged, under `target/async-lint-cache/` (see [`super::cache`]).
    pub cache: bool,
    /// Follow calls into the dependencies (summaries of their source; `--no-deps` turns it off).
    pub deps: bool,
    /// A fingerprint of the dependency summaries in `kb` (0: none), part of the result cache's
    /// key.
    pub derived: u64,
}
