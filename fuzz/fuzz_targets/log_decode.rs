#![no_main]
// The checks live in src/targets.rs, shared with crates/core/tests/fuzz_regressions.rs.
libfuzzer_sys::fuzz_target!(|data: &[u8]| lua_persistent_fuzz::targets::log_decode(data));
