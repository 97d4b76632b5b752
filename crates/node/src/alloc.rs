//! The addon's heap: mimalloc instead of the C library's malloc.
//!
//! Every Lua allocation goes through mlua's allocator to Rust's global allocator. In
//! Node that is a multi-threaded process, where glibc's malloc takes its locked and
//! atomic paths, and its heap degrades under Lua's bursts of small blocks: the
//! `binarytrees` program (bench/workloads), run 8 times in one VM, slowed from 706 to
//! 1430 ms a run, while lua5.4 in its single-threaded process went from 380 to 879 ms.
//! mimalloc keeps a heap per thread without locks on its fast paths (swc's Node bindings
//! use it too): the same 8 runs took 353-420 ms each. Measured 2026-12-06 on the release
//! addon before and after, interleaved, each process the best of 6 runs in one VM,
//! medians of 3 processes: json 426 -> 339 ms, serializer 237 -> 186, concat 312 -> 257,
//! closures 232 -> 208, libcalls 265 -> 250, coroutines 174 -> 166; tables, strings,
//! oop, recursion, patterns and nbody within 3%. The x64 addon grew by ~140 KiB.
//!
//! Linux only, where the C library's malloc is glibc's or musl's; not on arm64 musl
//! (swc leaves it out there too). macOS and Windows keep their own malloc: neither was
//! measured degrading, and mimalloc's macOS build needs SDK headers the cross build
//! (scripts/build-targets.js, zig) does not have.

#[cfg(all(target_os = "linux", not(all(target_env = "musl", target_arch = "aarch64"))))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
