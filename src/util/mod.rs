//! Helpers that know nothing of linting: fast and stable hashers, atomic file writes. The
//! lowest stage: it imports nothing of the crate, and every other stage may use it.

pub mod fs;
pub mod fxhash;
pub mod hash;
#[cfg(test)]
pub mod scratch;
pub mod timing;
