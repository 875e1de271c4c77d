//! What a run found and how it is shown: the results ([`results`]), with suppressions applied
//! ([`suppress`]) and known findings hidden ([`baseline`]), written in an output format
//! ([`format`](mod@format): [`human`], [`json`], [`sarif`]). It hands on a [`results::Report`].

pub mod baseline;
pub mod catalogue;
pub mod format;
pub mod human;
pub mod json;
pub mod results;
pub mod sarif;
pub mod suppress;
