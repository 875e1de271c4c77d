//! Arbitrary bytes as `src/lib.rs` of a tiny crate: parse + walk + every lint must not panic.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::write_src(&[("lib.rs", data)]);
    common::lint();
});
