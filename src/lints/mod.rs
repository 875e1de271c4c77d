//! The lints. Each is one small file that reacts to the facts of the shared walker
//! ([`crate::analysis::index::CrateIndex`]); knowledge of APIs comes from the data in `lints/`.

use crate::analysis::index::CrateIndex;
use crate::diag::Diagnostic;
use crate::registry::LintMeta;
use crate::syntax::source::SourceFile;

pub mod block_on_in_async;
pub mod blocking_in_async;
pub mod detached_spawn;
mod held;
pub mod lock_across_await;
pub mod non_send_across_await;
pub mod refcell_across_await;
pub mod select_cancel_unsafe;
pub mod span_guard_across_await;
pub mod unawaited_future;
pub mod unused_suppression;

/// What a lint sees of a crate once all its files are indexed.
pub struct CrateCx<'a> {
    pub index: &'a CrateIndex<'a>,
    pub files: &'a [SourceFile],
}

/// A lint: hooks with no-op defaults; implement the ones the lint needs.
pub trait Lint: Sync {
    fn meta(&self) -> &'static LintMeta;

    /// Called once per crate after every file has been walked.
    fn check_crate(&self, _cx: &CrateCx<'_>, _out: &mut Vec<Diagnostic>) {}
}

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
    &unused_suppression::UnusedSuppression,
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
    &unused_suppression::UNUSED_SUPPRESSION,
];
