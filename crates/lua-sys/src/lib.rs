//! Lua 5.4.8 — the real C sources — for both backends, native and `wasm32-unknown-unknown`.
//!
//! This crate provides the Lua C API symbols (`lua_*`, `luaL_*`, `luaopen_*`) that
//! `mlua-sys` 0.10 expects when its `external` feature is on. One copy of the sources
//! serves both backends, so they run the same Lua, including lua-persistent's small
//! patches (`csrc/luap_work.h`): every C path whose cost grows with its input (pattern
//! matching, `string.format`, the utf8 library, string comparison and long-string
//! equality, string making and buffer copies, the lexer and parser, `table.*` loops)
//! charges its work to the count hook and to the tick handler (`csrc/luap_tick.c`), so
//! timeouts, instruction limits and interrupts stop them like any Lua loop (bound:
//! `docs/security.md`, "Limits"). Stock Lua would hang on `string.rep('', 1e12)`.
//!
//! Natively, the build script compiles with the `cc` crate (see `build.rs`). For wasm32
//! it compiles with clang-19 against Debian's `wasi-libc` (printf, strtod, math, time…
//! from musl, so `string.format` and number formatting match native Lua), with
//! setjmp/longjmp lowered to WebAssembly exception handling (legacy try/catch
//! encoding, which Node 20 and current browsers run). See `build.rs` and
//! `csrc/wasm/wasm_sjlj.c`. The hook setters below only do something on wasm32.
//!
//! # No foreign imports
//!
//! wasi-libc calls the WASI "preview1" system interface through functions named
//! `__imported_wasi_snapshot_preview1_<name>`; left undefined, they would become imports
//! of module `wasi_snapshot_preview1`, which wasm-bindgen turns into a
//! `require("wasi_snapshot_preview1")` that breaks users and bundlers. This crate
//! defines every one wasi-libc can reference, in `csrc/wasm/wasi_stubs.c` (in C rather than
//! as Rust `#[no_mangle]` functions because those are exported from any cdylib that
//! links them; the C ones are hidden), so the final module imports nothing but
//! wasm-bindgen's own functions (and its two exception tags):
//!
//! * `clock_time_get` asks the hook installed with [`set_clock`] (default: always 0).
//!   It drives `os.time`, `os.date`, `os.clock` (wasi-libc's emulated process clock)
//!   and the pivot randomisation of `table.sort`.
//! * `fd_write` to fd 1/2 (Lua's `print`, `io.write`, warnings, `io.stderr`) goes to the
//!   hook installed with [`set_stdout`] (default: discarded). The C library buffers
//!   stdout: `print` flushes at each call, `io.write` only when Lua flushes (stderr is
//!   unbuffered).
//! * `environ_*`/`args_*` report an empty environment/argument list: `os.getenv`
//!   returns nil (an error there would make wasi-libc call `_Exit`).
//! * `fd_prestat_get` reports EBADF, i.e. no preopened directories; wasi-libc's
//!   constructors are never run anyway, so every path lookup fails cleanly:
//!   `io.open`, `os.remove`, `os.rename` return `nil, "<name>: Capabilities
//!   insufficient", 76`.
//! * Everything else (reading stdin, seeking, opening…) returns `ENOSYS` (52) without
//!   touching memory, so any input is safe.
//! * `proc_exit` traps (`unreachable`). Only Lua's own `os.exit` could get there (Lua
//!   is compiled with `-Dexit=lua_wasm_sys_exit`, which flushes stdio and calls
//!   `_Exit`), and lua-persistent's core replaces it (stdlib 'all') with a function
//!   that ends the call instead, so no Lua code reaches it; a user of this crate alone
//!   who keeps Lua's `os.exit` loses the instance when it is called.
//!
//! Other differences from a native build, all within what ISO C allows Lua to do:
//! `io.popen` raises "'popen' not supported", `os.execute()` returns false (no shell),
//! `os.tmpname` raises "unable to generate a unique filename", `io.tmpfile` returns
//! `nil, "Function not implemented", 52`, and `os.date` without `!` uses UTC (WASI has
//! no time zones).
//!
//! The hooks are plain `fn` pointers kept in atomics (wasm32 here is single-threaded;
//! atomics keep the crate sound anyway) and passed to the C side as `extern "C"`
//! trampolines.
#![no_std]

use core::sync::atomic::{AtomicUsize, Ordering};

/// WASI clock ids, as passed to the [`set_clock`] hook.
pub mod clock_id {
    /// Wall-clock time since the Unix epoch (`os.time`, `os.date`, `time()`).
    pub const REALTIME: u32 = 0;
    /// Monotonic time from an arbitrary origin.
    pub const MONOTONIC: u32 = 1;
    /// CPU time of the process (`os.clock`, through wasi-libc's emulated `clock()`).
    pub const PROCESS_CPUTIME: u32 = 2;
    /// CPU time of the thread.
    pub const THREAD_CPUTIME: u32 = 3;
}

fn default_clock(_clock_id: u32) -> u64 {
    0
}

fn default_stdout(_fd: u32, _bytes: &[u8]) {}

static CLOCK: AtomicUsize = AtomicUsize::new(0);
static STDOUT: AtomicUsize = AtomicUsize::new(0);

/// Installs the time source: `f(clock_id)` returns nanoseconds for the WASI clock
/// `clock_id` (see [`clock_id`]): since the Unix epoch for `REALTIME`, since any fixed
/// origin for the others. A wasm-bindgen adapter typically uses `Date.now() * 1e6` for
/// REALTIME and `performance.now() * 1e6` for the rest. Default: always 0.
pub fn set_clock(f: fn(clock_id: u32) -> u64) {
    CLOCK.store(f as usize, Ordering::Relaxed);
    #[cfg(target_arch = "wasm32")]
    // SAFETY: plain pointer store on the C side.
    unsafe {
        ffi::lua_wasm_sys_set_hooks(Some(clock_trampoline), None)
    };
}

/// Installs the sink for the C library's standard output and error: `f(fd, bytes)`
/// with fd 1 (stdout) or 2 (stderr). Default: output is discarded.
pub fn set_stdout(f: fn(fd: u32, bytes: &[u8])) {
    STDOUT.store(f as usize, Ordering::Relaxed);
    #[cfg(target_arch = "wasm32")]
    // SAFETY: plain pointer store on the C side.
    unsafe {
        ffi::lua_wasm_sys_set_hooks(None, Some(write_trampoline))
    };
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn clock_hook() -> fn(u32) -> u64 {
    match CLOCK.load(Ordering::Relaxed) {
        0 => default_clock,
        // SAFETY: only ever stored from a `fn(u32) -> u64` in `set_clock`.
        p => unsafe { core::mem::transmute::<usize, fn(u32) -> u64>(p) },
    }
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn stdout_hook() -> fn(u32, &[u8]) {
    match STDOUT.load(Ordering::Relaxed) {
        0 => default_stdout,
        // SAFETY: only ever stored from a `fn(u32, &[u8])` in `set_stdout`.
        p => unsafe { core::mem::transmute::<usize, fn(u32, &[u8])>(p) },
    }
}

/// The `lua_CFunction`s this crate exports, declared with an opaque state pointer
/// (the crate does not depend on mlua-sys, whose `lua_State` they take).
pub type CFunction = unsafe extern "C-unwind" fn(*mut core::ffi::c_void) -> core::ffi::c_int;

// The [`CFunction`]s.
extern "C-unwind" {
    /// Trims the opened standard libraries to the safe stdlib (`csrc/luap_safe.c` lists
    /// what it removes or wraps). Called once on a fresh state.
    pub fn luap_restrict(state: *mut core::ffi::c_void) -> core::ffi::c_int;
    /// Takes the Lua function the tick handler is to call: stores it (in the registry)
    /// and returns, as a light userdata, the state's main thread, the pointer to pass to
    /// [`luap_armtick`].
    pub fn luap_installtick(state: *mut core::ffi::c_void) -> core::ffi::c_int;
    /// `next` for tables and for userdata with a `__next` metafield (`csrc/luap_next.c`
    /// gives the protocol): the global `next` where ext tables are installed.
    pub fn luap_next(state: *mut core::ffi::c_void) -> core::ffi::c_int;
    /// Lua's `print` (`csrc/luap_print.c`): formats the line as the reference
    /// interpreter does and hands it to the closure's upvalue 1, the sink, called with
    /// `(line, where)`; a string the sink returns is raised as the call's error.
    pub fn luap_print(state: *mut core::ffi::c_void) -> core::ffi::c_int;
    /// The engine's plain error wrapper in C (`csrc/luap_plain.c`): calls the closure's
    /// upvalue 1, which answers `true, results...` or `false, message`, and returns the
    /// results or raises the message.
    pub fn luap_plaincall(state: *mut core::ffi::c_void) -> core::ffi::c_int;
}

extern "C" {
    /// Calls the function [`luap_installtick`] stored every `period` ticks (0: never) of
    /// the state `state` belongs to (all its threads): loop iterations, function entries
    /// and the C library work `csrc/luap_work.h` charges. Cheaper than a count hook,
    /// which traps on every VM instruction (`csrc/luap_tick.c`, patch tag `luap_tick`).
    pub fn luap_armtick(state: *mut core::ffi::c_void, period: core::ffi::c_int);
    /// Returns and clears the C work (in instructions) charged past the count hook's
    /// countdown since the last call: a hook that fires after a huge charge (`%q` of a
    /// long string) counts its period plus this, so instruction limits count C work in
    /// full (`csrc/luap_work.h`). Global to the state; touches no stack, never raises.
    pub fn luap_takework(state: *mut core::ffi::c_void) -> usize;
    /// Gives the state new seeds: `s1` for its string hashes (rehashing the strings and
    /// tables it holds), then `math.randomseed(s1, s2)` (`csrc/luap_seed.c`). Only on a
    /// state that runs no code yet. In protected mode; 0 (`LUA_OK`) or the error
    /// status, after which the state must be dropped.
    pub fn luap_seed(state: *mut core::ffi::c_void, s1: i64, s2: i64) -> core::ffi::c_int;
}

/// The text of a float for names that must read back exactly: the shortest of C's
/// `%.15g`, `%.16g`, `%.17g` that does, with `.` as the decimal point (`2.5`, `0.1`,
/// `1e+300`, `inf`). From the C library (`csrc/luap_float.c`), which the module carries
/// anyway, rather than Rust's float formatting (its code and tables cost the wasm module
/// about 20 KB).
pub fn float_text(x: f64, buf: &mut [u8; FLOAT_TEXT]) -> &str {
    // SAFETY: `buf` has the FLOAT_TEXT bytes luap_float_text writes at most (the
    // length it returns excludes the terminating NUL).
    let len = unsafe { float_ffi::luap_float_text(x, buf.as_mut_ptr().cast()) };
    // `%g` of a double writes ASCII only.
    core::str::from_utf8(&buf[..len]).unwrap_or("")
}

/// The float [`float_text`] writes as `text`; `None` for any other text (spaces, hex,
/// `nan`, extra zeros).
pub fn text_float(text: &str) -> Option<f64> {
    let mut out = 0.0;
    // SAFETY: the C side reads `text.len()` bytes of `text` and writes one double.
    let ok = unsafe { float_ffi::luap_text_float(text.as_ptr().cast(), text.len(), &mut out) };
    (ok != 0).then_some(out)
}

/// The buffer [`float_text`] writes to (`LUAP_FLOAT_TEXT` in `csrc/luap_float.c`).
pub const FLOAT_TEXT: usize = 32;

mod float_ffi {
    extern "C" {
        pub fn luap_float_text(x: f64, buf: *mut core::ffi::c_char) -> usize;
        pub fn luap_text_float(text: *const core::ffi::c_char, len: usize, out: *mut f64) -> core::ffi::c_int;
    }
}

#[cfg(target_arch = "wasm32")]
mod ffi {
    extern "C" {
        /// csrc/wasm/wasi_stubs.c: a null pointer keeps the current hook.
        pub fn lua_wasm_sys_set_hooks(
            clock: Option<extern "C" fn(u32) -> u64>,
            write: Option<unsafe extern "C" fn(u32, *const u8, usize)>,
        );
    }
}

#[cfg(target_arch = "wasm32")]
extern "C" fn clock_trampoline(clock_id: u32) -> u64 {
    clock_hook()(clock_id)
}

/// The C library's writes to stdout and stderr, passed to the `set_stdout` sink.
///
/// # Safety
/// Called by csrc/wasm/wasi_stubs.c only, with `len` readable bytes at `bytes` (one
/// iovec of the C library's buffer) or a null pointer.
#[cfg(target_arch = "wasm32")]
unsafe extern "C" fn write_trampoline(fd: u32, bytes: *const u8, len: usize) {
    if bytes.is_null() || len == 0 {
        return;
    }
    // SAFETY: the function's contract.
    stdout_hook()(fd, unsafe { core::slice::from_raw_parts(bytes, len) });
}

/// A Rust global allocator over the C library's `malloc`, which Lua's C code links
/// anyway: a wasm module registering it (`#[global_allocator]`) carries one allocator
/// instead of two (Rust's own dlmalloc copy is ~12 KB of wasm).
#[cfg(target_arch = "wasm32")]
pub struct LibcAlloc;

#[cfg(target_arch = "wasm32")]
mod libc_alloc {
    use core::alloc::{GlobalAlloc, Layout};

    extern "C" {
        fn malloc(size: usize) -> *mut u8;
        fn aligned_alloc(align: usize, size: usize) -> *mut u8;
        fn realloc(p: *mut u8, size: usize) -> *mut u8;
        fn free(p: *mut u8);
    }

    /// malloc's guarantee on wasm32 (wasi-libc's dlmalloc).
    const MALLOC_ALIGN: usize = 16;

    // SAFETY: malloc/aligned_alloc/realloc/free honour GlobalAlloc's contract for the
    // alignments each is used with.
    unsafe impl GlobalAlloc for super::LibcAlloc {
        /// # Safety
        /// As `GlobalAlloc::alloc`: `layout` has a non-zero size.
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: C's allocators take any size; malloc's blocks are aligned to
            // MALLOC_ALIGN, aligned_alloc's to `align` (a power of two) given a size
            // that is a multiple of it.
            unsafe {
                if layout.align() <= MALLOC_ALIGN {
                    malloc(layout.size())
                } else {
                    aligned_alloc(layout.align(), layout.size().next_multiple_of(layout.align()))
                }
            }
        }

        /// # Safety
        /// As `GlobalAlloc::dealloc`: `p` was allocated by this allocator.
        unsafe fn dealloc(&self, p: *mut u8, _layout: Layout) {
            // SAFETY: the function's contract: `p` came from malloc, aligned_alloc or
            // realloc, all of which free releases.
            unsafe { free(p) }
        }

        /// # Safety
        /// As `GlobalAlloc::realloc`: `p` was allocated by this allocator with
        /// `layout`, and `new_size` is non-zero and fits `layout.align()`.
        unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if layout.align() <= MALLOC_ALIGN {
                // SAFETY: the function's contract; C's realloc keeps malloc's alignment.
                return unsafe { realloc(p, new_size) };
            }
            // SAFETY: the function's contract makes the layout valid; `p` holds
            // `layout.size()` bytes and `q` at least `new_size`, in distinct blocks.
            unsafe {
                let q = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
                if !q.is_null() {
                    core::ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                    free(p);
                }
                q
            }
        }
    }
}

/// The wasm build's number-to-text functions (patches luap_itoa and luap_ftoa in
/// `lua-5.4.8/VENDORED.md`) against the C library's `snprintf`, which they replace
/// there: compiled natively too, so they can be compared with glibc's here.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod number_text {
    extern crate std;
    use core::ffi::{c_char, c_int};
    use std::format;
    use std::string::String;
    use std::vec;

    extern "C" {
        fn luap_num2str(buff: *mut c_char, sz: usize, x: f64) -> c_int;
        fn luap_int2str(buff: *mut c_char, sz: usize, n: i64) -> c_int;
        fn luap_fmtf(buff: *mut c_char, sz: usize, form: *const c_char, x: f64) -> c_int;
        fn luap_fmtd(buff: *mut c_char, sz: usize, form: *const c_char, n: i64) -> c_int;
        fn snprintf(buff: *mut c_char, sz: usize, format: *const c_char, ...) -> c_int;
    }

    fn text<const N: usize>(buf: &[u8; N], len: c_int) -> String {
        assert!(len >= 0 && (len as usize) < buf.len() && buf[len as usize] == 0, "length {len}");
        String::from_utf8(buf[..len as usize].to_vec()).unwrap()
    }

    fn float_pair(x: f64) -> (String, String) {
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        // SAFETY: both write at most 64 bytes, NUL included, into their own buffers.
        let (la, lb) = unsafe {
            (luap_num2str(a.as_mut_ptr().cast(), 44, x), snprintf(b.as_mut_ptr().cast(), 44, c"%.14g".as_ptr(), x))
        };
        (text(&a, la), text(&b, lb))
    }

    fn check(x: f64) {
        for v in [x, -x] {
            let (ours, c) = float_pair(v);
            assert_eq!(ours, c, "{v:e} (bits {:#x})", v.to_bits());
        }
    }

    /// xorshift64*: reproducible values without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    #[test]
    fn floats_print_as_snprintf_does() {
        for x in [0.0, 1.0, 0.1, 0.5, 1.5, 2.5, 1e-4, 1e-5, 1e13, 1e14, 1e15, 123.456, 1.0 / 3.0, f64::INFINITY, f64::NAN, 5e-324, f64::MAX] {
            check(x);
        }
        // Around every power of ten the fast path covers: its edges and the roundings
        // that carry into the next power.
        for k in -6..=16 {
            let p: f64 = format!("1e{k}").parse().unwrap();
            let mut below = p;
            let mut above = p;
            for _ in 0..64 {
                below = f64::from_bits(below.to_bits() - 1);
                above = f64::from_bits(above.to_bits() + 1);
                check(below);
                check(above);
            }
            for d in ["9.99999999999994", "9.99999999999995", "9.999999999999949", "9.999999999999951", "9.9999999999999"] {
                check(format!("{d}e{}", k - 1).parse().unwrap());
            }
        }
        // Exact ties at the 14th digit round to even, as C's printf does.
        for n in [10_000_000_000_000u64, 10_000_000_000_001, 99_999_999_999_999, 12_345_678_901_234] {
            check(n as f64 + 0.5);
            check((n as f64 + 0.5) / 1024.0);
        }
        // Decimal-looking values, as programs make them.
        for i in 1..20_000 {
            let f = i as f64;
            for x in [f / 7.0, f / 3.0, f * 0.1, f + 0.25, f / 8.0, f * 1.1, f * 1e-4, f * 1e9 + 0.3] {
                check(x);
            }
        }
        // Random values over the whole fast range and a decade beyond each end.
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..400_000 {
            let exp = (rng.next() % 21) as i32 - 6;
            let mantissa = f64::from_bits(0x3ff0_0000_0000_0000 | (rng.next() >> 12));
            check(mantissa * 10f64.powi(exp));
            check(f64::from_bits(rng.next()));
        }
    }

    #[test]
    fn fixed_point_formats_print_as_snprintf_does() {
        let forms = [c"%f", c"%.0f", c"%.1f", c"%.2f", c"%.3f", c"%5.1f", c"%8.3f", c"%10.2f", c"%.9f", c"%.17f", c"%3f", c"%.f", c"%99.2f"];
        let declined = [c"%-5.2f", c"%05.1f", c"%+.2f", c"% .2f", c"%#.0f", c"%.2e", c"%.2g", c"%.18f"];
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let mut values = vec![0.0, 0.5, 1.5, 2.5, 0.125, 0.375, 1e-3, 0.005, 0.015, 0.045, 1e15, 4503599627370495.5, 1e300, 5e-324];
        values.extend([f64::INFINITY, f64::NAN]);
        for i in 0..20_000 {
            let f = i as f64;
            values.extend([f / 7.0, f / 8.0, f * 0.01, f / 3.0 * 1e-5, f * 1e7 + 0.5]);
        }
        for _ in 0..100_000 {
            let exp = (rng.next() % 30) as i32 - 12;
            values.push(f64::from_bits(0x3ff0_0000_0000_0000 | (rng.next() >> 12)) * 10f64.powi(exp));
        }
        let mut fast = 0;
        for &v in &values {
            for x in [v, -v] {
                for form in forms.iter().chain(declined.iter()) {
                    let (mut a, mut b) = ([0u8; 128], [0u8; 128]);
                    // SAFETY: both write at most 120 bytes, NUL included, into their own buffers.
                    let (la, lb) = unsafe {
                        (luap_fmtf(a.as_mut_ptr().cast(), 120, form.as_ptr(), x), snprintf(b.as_mut_ptr().cast(), 120, form.as_ptr(), x))
                    };
                    if declined.contains(form) || la < 0 {
                        assert!(la < 0 || !declined.contains(form), "{form:?} taken");
                        continue;
                    }
                    fast += 1;
                    assert_eq!(text(&a, la), text(&b, lb), "{form:?} of {x:e} (bits {:#x})", x.to_bits());
                }
            }
        }
        // Left to snprintf: inf, nan and digits past 2^52 (%.17f of most values, the
        // random values near 1e17): 84% of these are fast.
        assert!(fast > values.len() * 2 * forms.len() * 4 / 5, "{fast} fast");
    }

    #[test]
    fn integers_print_as_snprintf_does() {
        // (string.format's form, the same for a long long)
        let forms = [
            (c"%d", c"%lld"), (c"%i", c"%lli"), (c"%5d", c"%5lld"), (c"%02d", c"%02lld"), (c"%005d", c"%005lld"),
            (c"%20d", c"%20lld"), (c"%99d", c"%99lld"), (c"%1d", c"%1lld"),
        ];
        let declined = [c"%-5d", c"%+d", c"% d", c"%.3d", c"%5.2d", c"%x", c"%100d"];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let fixed = [0, 1, -1, 9, 10, -10, 99, 100, i64::MAX, i64::MIN, i64::MIN + 1, 1 << 53];
        for n in fixed.into_iter().chain((0..100_000).map(|_| rng.next() as i64 >> (rng.next() % 64))) {
            let (mut a, mut b) = ([0u8; 128], [0u8; 128]);
            // SAFETY: each call writes at most 120 bytes, NUL included, into its own buffer.
            let (la, lb) = unsafe {
                (luap_int2str(a.as_mut_ptr().cast(), 44, n), snprintf(b.as_mut_ptr().cast(), 44, c"%lld".as_ptr(), n))
            };
            assert_eq!(text(&a, la), text(&b, lb), "{n}");
            for (form, c_form) in forms {
                // SAFETY: as above.
                let (la, lb) = unsafe {
                    (luap_fmtd(a.as_mut_ptr().cast(), 120, form.as_ptr(), n), snprintf(b.as_mut_ptr().cast(), 120, c_form.as_ptr(), n))
                };
                assert_eq!(text(&a, la), text(&b, lb), "{form:?} of {n}");
            }
            for form in declined {
                // SAFETY: as above.
                assert!(unsafe { luap_fmtd(a.as_mut_ptr().cast(), 120, form.as_ptr(), n) } < 0, "{form:?} taken");
            }
        }
    }
}
