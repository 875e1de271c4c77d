//! One file at a time: its text and locations ([`source`]), the prescan before parsing
//! ([`prescan`]), the syntax-tree heap ([`alloc`]), the shared [`walker`] and what it extracts
//! from one parse ([`facts`], with [`liveness`] for values held across `.await`). It hands on
//! per-file facts.

pub mod alloc;
pub mod build_cfg;
pub mod facts;
pub mod liveness;
pub mod prescan;
pub mod source;
pub mod walker;

/// Stack size of the threads that parse and walk: syn and the walker recurse on nested code.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;
