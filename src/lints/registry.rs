//! The catalogue: every lint ([`ALL`], [`all`]), lookup by name with "did you mean"
//! suggestions, and the effective level of each lint ([`Levels`]). It hands the driver the lints
//! to run and the output formats their descriptions.

use super::diag::Level;
use super::lint::{Group, Lint, LintMeta};
use super::{
    block_on_in_async, blocking_in_async, detached_spawn, fs_metadata_in_async, lock_across_await,
    non_send_across_await, parse_error, refcell_across_await, select_cancel_unsafe,
    span_guard_across_await, unawaited_future, unused_suppression,
};

/// Every lint, in `--list` order.
pub static ALL: &[&dyn Lint] = &[
    &blocking_in_async::BlockingInAsync,
    &block_on_in_async::BlockOnInAsync,
    &lock_across_await::LockAcrossAwait,
    &refcell_across_await::RefcellAcrossAwait,
    &non_send_across_await::NonSendAcrossAwait,
    &span_guard_across_await::SpanGuardAcrossAwait,
    &unawaited_future::UnawaitedFuture,
    &select_cancel_unsafe::SelectCancelUnsafe,
    &detached_spawn::DetachedSpawn,
    &fs_metadata_in_async::FsMetadataInAsync,
    &unused_suppression::UnusedSuppression,
    &parse_error::ParseError,
];

/// The metadata of every lint, in `--list` order.
pub static ALL_META: &[&LintMeta] = &[
    &blocking_in_async::BLOCKING_IN_ASYNC,
    &block_on_in_async::BLOCK_ON_IN_ASYNC,
    &lock_across_await::LOCK_ACROSS_AWAIT,
    &refcell_across_await::REFCELL_ACROSS_AWAIT,
    &non_send_across_await::NON_SEND_ACROSS_AWAIT,
    &span_guard_across_await::SPAN_GUARD_ACROSS_AWAIT,
    &unawaited_future::UNAWAITED_FUTURE,
    &select_cancel_unsafe::SELECT_CANCEL_UNSAFE,
    &detached_spawn::DETACHED_SPAWN,
    &fs_metadata_in_async::FS_METADATA_IN_ASYNC,
    &unused_suppression::UNUSED_SUPPRESSION,
    &parse_error::PARSE_ERROR,
];

/// Every lint, in the order `--list` prints them.
pub fn all() -> &'static [&'static LintMeta] {
    ALL_META
}

/// Looks a lint up by name (accepting `async_lint::name` and dashes for underscores).
pub fn find(name: &str) -> Option<&'static LintMeta> {
    let name = name
        .strip_prefix("async_lint::")
        .unwrap_or(name)
        .replace('-', "_");
    all().iter().copied().find(|l| l.name == name)
}

/// The closest lint or group name, for "did you mean" messages.
pub fn suggest(name: &str) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    let candidates = all()
        .iter()
        .map(|l| l.name)
        .chain(Group::ALL.iter().map(|g| g.as_str()))
        .chain(std::iter::once("all"));
    for cand in candidates {
        let d = edit_distance(name, cand);
        if d <= cand.len().max(3) / 3 + 1 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The effective level of every lint after command-line (and later config) adjustments.
#[derive(Clone, Debug)]
pub struct Levels {
    levels: Vec<(&'static str, Level)>,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            levels: all().iter().map(|l| (l.name, l.default_level)).collect(),
        }
    }
}

impl Levels {
    pub fn get(&self, name: &str) -> Level {
        self.levels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, l)| *l)
            .unwrap_or(Level::Deny)
    }

    /// Applies `-A/-W/-D spec`, where spec is a lint, a group or `all`. Later calls win.
    pub fn apply(&mut self, spec: &str, level: Level) -> Result<(), String> {
        let spec = spec
            .strip_prefix("async_lint::")
            .unwrap_or(spec)
            .replace('-', "_");
        if spec == "all" {
            for (_, l) in &mut self.levels {
                *l = level;
            }
            return Ok(());
        }
        if let Some(group) = Group::parse(&spec) {
            for (name, l) in &mut self.levels {
                if find(name).is_some_and(|m| m.group == group) {
                    *l = level;
                }
            }
            return Ok(());
        }
        if let Some(meta) = find(&spec) {
            for (name, l) in &mut self.levels {
                if *name == meta.name {
                    *l = level;
                }
            }
            return Ok(());
        }
        let hint = suggest(&spec)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        Err(format!(
            "unknown lint or group `{spec}`{hint}; `cargo async-lint --list` shows them all"
        ))
    }
}
