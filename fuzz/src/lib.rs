//! What each fuzz target does with one input. The libFuzzer binaries
//! (`fuzz_targets/*.rs`) and the stable replay test (`crates/core/tests/fuzz_regressions.rs`,
//! which includes `targets.rs` by path) run exactly this code.

/// The core tests' in-memory JS realm, the host every target runs the engine on.
#[path = "../../crates/core/tests/memhost/mod.rs"]
pub mod memhost;
pub mod targets;
