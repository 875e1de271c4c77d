//! cargo-async-lint: a Clippy-style static linter for async Rust, built on `syn`.
//!
//! The pipeline: [`project`] finds the files, [`engine`] parses each once and runs the shared
//! [`walker`], which extracts [`facts`]; [`index`] resolves them crate-wide; each lint in
//! [`lints`] turns them into [`diag::Diagnostic`]s, rendered by [`output`].

pub mod analysis;
pub mod driver;
pub mod fix;
pub mod kb;
pub mod lints;
pub mod report;
pub mod syntax;
pub mod util;
pub mod walker;
pub mod workspace;
