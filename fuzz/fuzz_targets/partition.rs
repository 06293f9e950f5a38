//! cargo-fuzz target `partition`: see `tests/fuzz_targets/mod.rs`.
#![no_main]

#[path = "../../tests/fuzz_targets/mod.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::init_fuzz_process();
    targets::partition(data);
});
