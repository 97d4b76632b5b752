//! VM options and their documented defaults.

/// Which standard libraries a VM gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdlib {
    /// base (no dofile/loadfile, text-only load), string, table, math, utf8, coroutine,
    /// os.time/clock/date/difftime, debug.traceback. For untrusted scripts.
    Safe,
    /// Everything Lua ships, io and os included. For trusted code only.
    All,
}

/// Options fixed when a VM is created.
#[derive(Debug, Clone)]
pub struct Options {
    pub stdlib: Stdlib,
    /// Lua heap limit in bytes; 0 means unlimited. A u64, so that `memory()` reports the
    /// limit as given on wasm32 too (where the heap cannot pass 4 GiB anyway).
    pub memory_limit: u64,
    /// Default wall-clock limit per call in milliseconds; 0 means none.
    pub timeout_ms: f64,
    /// VM instructions per call; 0 means none.
    pub instruction_limit: u64,
    /// Bytes the ext tables may hold (about their snapshot size, see quota.rs); 0 means
    /// unlimited.
    pub storage_limit: u64,
    /// The host has an interrupt flag another thread can raise ([`crate::Host::interrupted`]):
    /// calls then run the limits' check (see limits.rs) even without other limits, so they
    /// can be stopped.
    pub interruptible: bool,
}

/// Safety by default: a runaway script ends with an error instead of hanging or eating
/// the host's memory. Users opt out explicitly with 0.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 * 1024 * 1024;
pub const DEFAULT_TIMEOUT_MS: f64 = 10_000.0;
/// As much as the default heap: ext data is host memory the script controls.
pub const DEFAULT_STORAGE_LIMIT: u64 = 256 * 1024 * 1024;

impl Default for Options {
    fn default() -> Self {
        Options {
            stdlib: Stdlib::Safe,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            instruction_limit: 0,
            storage_limit: DEFAULT_STORAGE_LIMIT,
            interruptible: false,
        }
    }
}

impl Options {
    /// The options from `createLua`'s numbers, which the JS layer checked are
    /// non-negative (0 for none): a fraction of a byte or an instruction rounds up, so
    /// that `memoryLimit: 0.5` is a limit rather than none; huge values saturate.
    pub fn from_js(stdlib: &str, memory_limit: f64, timeout_ms: f64, instruction_limit: f64, storage_limit: f64, interruptible: bool) -> Options {
        let count = |v: f64| v.max(0.0).ceil() as u64;
        Options {
            stdlib: if stdlib == "all" { Stdlib::All } else { Stdlib::Safe },
            memory_limit: count(memory_limit),
            timeout_ms: timeout_ms.max(0.0),
            instruction_limit: count(instruction_limit),
            storage_limit: count(storage_limit),
            interruptible,
        }
    }
}

/// Per-call settings.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Name shown in error messages; `DEFAULT_CHUNK_NAME` when absent.
    pub chunk_name: Option<String>,
    /// Overrides the VM's timeout for this call.
    pub timeout_ms: Option<f64>,
    /// Send print output to the host as it happens (it is always captured too).
    pub echo: bool,
}

/// Chunk name used when the caller gives none: errors read "eval:1: ...".
pub const DEFAULT_CHUNK_NAME: &str = "eval";
