//! cargo-async-lint: a Clippy-style static linter for async Rust, built on `syn`.
//!
//! The modules are the stages of the pipeline, lowest first; each imports only from below it:
//!
//! - [`util`]: hashers and atomic file writes, knowing nothing of linting.
//! - [`workspace`]: the packages and files to lint, from `cargo metadata` or the given paths.
//! - [`kb`]: the knowledge base of APIs, embedded from the TOML data in `lints/`.
//! - [`syntax`]: each file prescanned, parsed once and walked into facts by the shared walker
//!   ([`syntax::walker`]).
//! - [`analysis`]: a crate's facts merged into one index that resolves calls and types.
//! - [`lints`]: the rules that turn the index into diagnostics, and their catalogue.
//! - [`report`]: the results of a run, suppressions, baselines and the output formats.
//! - [`fix`]: applies the machine-applicable fixes of a report.
//! - [`driver`]: the command line, the configuration, the result cache and the engine, which
//!   runs the stages for every package.

pub mod util;

pub mod workspace;

pub mod kb;

pub mod syntax;

pub mod analysis;

pub mod lints;

pub mod report;

pub mod fix;

pub mod driver;
// The language server: above the driver, whose engine it runs on each change.
pub mod lsp;
