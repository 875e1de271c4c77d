//! Crate-wide analysis: the facts of every file of a crate merged and resolved ([`index`]):
//! which function a call reaches, what type a receiver has. It hands the lints a
//! [`index::CrateIndex`]; [`futures`] adds which calls make lazy futures.

pub mod futures;
pub mod held;
pub mod index;
pub mod send;
