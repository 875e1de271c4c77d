//! Runs the pipeline: the command line ([`cli`]) and the configuration ([`config`]) become the
//! [`options`] of a run; the [`engine`] lints each package through the result [`cache`] and hands
//! back a report; [`summary_cache`] keeps dependency summaries per machine. Configuration sits here as it feeds every stage (levels, kb entries, excludes).

pub mod cache;
pub mod cancel;
pub mod cli;
pub mod config;
pub mod engine;
pub mod options;
pub mod overlay;
pub mod progress;
pub mod summaries;
pub mod summary_cache;
pub mod walk;
