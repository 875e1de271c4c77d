//! The lints: their vocabulary ([`lint`]) and findings ([`diag`]), one small file per lint that
//! reacts to the facts of the crate index (knowledge of APIs comes from the data in `lints/`),
//! and the catalogue of them all ([`registry`]). It hands on diagnostics and the catalogue.

pub mod diag;
pub mod lint;
pub mod registry;

pub mod block_on_in_async;
pub mod blocking_in_async;
pub mod detached_spawn;
pub mod fs_metadata_in_async;
mod held;
pub mod lock_across_await;
pub mod non_send_across_await;
pub mod parse_error;
pub mod refcell_across_await;
pub mod select_cancel_unsafe;
pub mod span_guard_across_await;
pub mod unawaited_future;
pub mod unused_suppression;
