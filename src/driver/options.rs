//! The options of a run: the effective lint levels, the knowledge base and the configuration,
//! threads and switches, as the command line and the configuration file set them. The cache
//! keys on them; the engine runs with them.

use super::config::Loaded;
use crate::kb::Kb;
use crate::lints::registry::Levels;

/// What a run is asked to do, besides which packages to lint.
#[derive(Clone, Debug)]
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
    /// Reuse (and store) dependency summaries in the user cache directory (not with
    /// `--no-cache`; `--fix` does, see [`super::summary_cache`]).
    pub summary_cache: bool,
    /// Follow calls into dependencies (issue 17): the engine loads the dependency graph
    /// ([`crate::workspace::graph`]) of a cargo workspace. False with `--no-deps`, and in path
    /// mode, where there is no cargo workspace.
    pub deps: bool,
    /// `-v`: notes on stderr (which dependencies are summarized, which are skipped and why).
    pub verbose: bool,
    /// A fingerprint of the dependency summaries in `kb` (0: none), part of the result cache's
    /// key.
    pub derived: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            levels: Levels::default(),
            jobs: 0,
            kb: None,
            config: Loaded::default(),
            ignore_suppressions: false,
            cache: false,
            summary_cache: false,
            deps: true,
            verbose: false,
            derived: 0,
        }
    }
}
