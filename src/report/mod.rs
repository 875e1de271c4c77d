//! What a run found and how it is shown: the results ([`results`]), with suppressions applied
//! ([`suppress`]) and known findings hidden ([`baseline`]), written in one of the output formats
//! ([`format`]: [`human`], [`json`], [`sarif`]). It hands on a [`results::Report`] and its text.

pub mod baseline;
pub mod format;
pub mod human;
pub mod json;
pub mod results;
pub mod sarif;
pub mod suppress;
