//! What gets linted: the packages of a cargo workspace or of the paths given on the command line
//! ([`discover`]), with `cargo metadata`'s answer cached between runs ([`metadata_cache`]). It
//! hands on a [`discover::Workspace`]: packages, their seed files, their dependencies
//! ([`deps`]) and the target directory. [`graph`] loads the resolved dependency graph and where
//! each dependency's source is on disk (issue 17).

pub mod deps;
pub mod discover;
pub mod graph;
pub mod lockfile;
pub mod metadata_cache;
pub mod platform;
