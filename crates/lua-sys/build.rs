//! Build script of lua-persistent-sys: compiles Lua 5.4.8 (`lua-5.4.8/`, the `lua-src`
//! crate's folder with the `luap_work` patches, see `csrc/luap_work.h`) for the target.
//!
//! Native targets: the `cc` crate with the system C compiler and the defines lua-src
//! uses (LUA_USE_LINUX/MACOSX/WINDOWS, LUA_COMPAT_5_3), at -O2 or better even in dev
//! builds (the interpreter's speed should not depend on the Rust profile), with the VM
//! core as one unit like the wasm build (see `NATIVE_FLAGS`).
//!
//! wasm32-unknown-unknown:
//!  1. compiles every Lua core/library C file in `lua-5.4.8/` (vendored copy of the
//!     `lua-src` crate's folder, i.e. without lua.c/luac.c) plus `csrc/wasm/*.c` with
//!     clang-19 for `wasm32-wasi` against Debian's wasi-libc headers, with LLVM's
//!     WebAssembly setjmp/longjmp lowering (legacy exception-handling encoding);
//!  2. archives the objects with llvm-ar-19 into `liblua54wasm.a`;
//!  3. tells cargo to link that archive plus wasi-libc's `libc.a`,
//!     `libwasi-emulated-signal.a` and `libwasi-emulated-process-clocks.a` (and lists
//!     them in `wasi-link.txt` beside the archive, for bench/floor.js).
//!
//! The tools are invoked directly rather than through the `cc` crate: the flags must be
//! exactly these (cc adds its own `--target=wasm32-unknown-unknown`, which the wasi-libc
//! headers refuse), and it keeps the crate free of build dependencies.
//!
//! Environment overrides (all optional):
//!   LUA_WASM_CLANG    C compiler            (default `clang-19`)
//!   LUA_WASM_AR       archiver              (default `llvm-ar-19`)
//!   LUA_WASM_SYSROOT  wasi-libc root with include/ and lib/ subfolders; default is
//!                     Debian's layout /usr/include/wasm32-wasi + /usr/lib/wasm32-wasi
//!   LUA_WASM_OPT_HOT  optimization flags for the VM's hot files (default `-O3 -fno-unroll-loops`)
//!   LUA_WASM_OPT_COLD optimization flags for every other file   (default `-Oz`)
//!   LUA_UNITY         `0` compiles the VM core file by file instead of as one unit
//!                     (both targets)

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

/// Files compiled for speed (`LUA_WASM_OPT_HOT`); everything else for size. The VM core
/// is one unity file (`UNITY_CORE`); the string library and lauxlib's buffers are where
/// string-heavy code spends its time. Measured against wasmoon in one process (release
/// builds, CPU time, `/tmp`-style A/B): the unity core took closures from 1.11x to 0.95x
/// wasmoon and tables from 1.07x to 0.75x; lstrlib/lauxlib at -O2 took strings from 1.04x
/// to 0.94x. Cost: +34 KB raw, +9 KB gzip (548 KB module). -O3 rather than -O2
/// (2026-12-01, release builds, 7-9 interleaved fresh-process runs each): recursion
/// 437 -> 397 ms median against wasmoon's 425 (at -O2 it was level with wasmoon,
/// within noise, in every run), serializer and strings a few percent faster, the other
/// workloads within noise; +14 KB raw (luaV_execute 23 -> 33 KB), +4.6 KB gzip.
/// `-O2 -mllvm -inline-threshold=250` was tried: +2.4 KB gzip, no gain on recursion.
/// `-fno-unroll-loops` (2026-12-05, release builds, wasm and wasmoon in the same runs,
/// medians of 5): floats 1.04x -> 0.99x wasmoon, recursion 1.02x -> 1.00x, no workload
/// slower (closures 0.90x, nbody 0.92x, strings 0.97x, patterns 0.98x), 5 KB smaller
/// raw. Unrolled copies of the interpreter's loops made luaV_execute 31 KB, which V8's
/// optimising compiler handled worse. The unity file alone at -O2 gave floats the same
/// gain but recursion 1.05x and patterns (at -O2 with it) 1.05x.
/// ltablib.c and lmathlib.c (+1.2 KB raw together, no change in gzip): `table.sort`/
/// `insert`/`remove` and `math.*` are where the tables and floats workloads leave the VM,
/// the two on which wasmoon's median came out ahead of ours in some full runs.
/// The compiler, llex.c, lparser.c and lcode.c (2026-12-05): at -Oz, `load` of the
/// serializer workload's 1 MB of Lua source took 0.21-0.24 s against wasmoon's 0.19-0.20
/// (1.13x), and the workload as a whole stayed at 1.01-1.03x wasmoon. Hot, with
/// [`COMPILER_INLINE`], `load` takes 0.185-0.19 s (0.95x) and the workload 0.99-1.01x
/// (`bench/run.js --only serializer --repeat 11`, two pairs alternating the builds:
/// 1.019x and 1.017x before, 0.990x and 1.013x after, at -O3's own threshold). Loading
/// large sources, such as data files written as Lua tables, gains the same. The three
/// belong together: llex.c alone gained nothing, lparser.c and lcode.c alone two thirds.
/// lutf8lib.c (2026-12-05, release builds, 3 processes x 4 runs interleaved with
/// wasmoon): `for _, c in utf8.codes(s)` over 1200 characters, 6000 times, took
/// 403-414 ms at -Oz against wasmoon's 353-367 (1.13x), 361-377 hot (1.03x);
/// `utf8.len` 130-141 -> 123-138 ms (wasmoon 127-135). Cost +1.4 KB raw, +0.35 KB gzip.
/// On wasm the libraries among these are compiled inside `UNITY_API_FILE`.
const HOT_FILES: &[&str] = &[
    "lvm.c", "ldo.c", "ltable.c", UNITY_FILE, UNITY_API_FILE, "lstrlib.c", "lauxlib.c",
    "ltablib.c", "lmathlib.c", "llex.c", "lparser.c", "lcode.c", "lutf8lib.c", "lbaselib.c",
];

/// Extra flags for Lua's compiler among the hot files: LLVM's inlining threshold at 150
/// instead of -O3's 250. At 250 the lexer and parser grow by 11 KB of code that V8
/// compiles on a cold start's first eval: that eval took 4.58 ms with them at -Oz, 5.01
/// at 250 and 4.71 at 150 (medians of 11 fresh processes each, interleaved). At 150 they
/// cost +12 KB raw and +3.0 KB gzip over -Oz (250: +17 and +4.2), and `load` takes
/// 0.185-0.19 s against 250's 0.18 (75: 0.19-0.20 s for +1.7 KB gzip).
const COMPILER_FILES: &[&str] = &["llex.c", "lparser.c", "lcode.c"];
const COMPILER_INLINE: &str = "-mllvm -inline-threshold=150";

/// Extra flags for the VM core (the unity file, `UNITY_CORE`): LLVM's inlining threshold
/// at 350. Measured 2026-12-05, release builds, each workload run 3 times in one process,
/// three processes per build interleaved, wasmoon alongside: floats 320 -> 297 ms
/// (wasmoon 314: a tie became 0.95x), nbody 421 -> 394 (wasmoon 440), recursion,
/// closures, concat, oop, tables and strings unchanged. Cost: `luaV_execute` grows from
/// 30.2 to 32.6 KB (luaD_precall inlined into it), which V8 compiles on a cold start's
/// first eval, +0.24 ms (16.20 -> 16.44 ms, medians of 25 interleaved processes; the
/// start is 0.64x wasmoon's), and +1.4 KB gzip. Lua's jump table stays on (a `switch`
/// dispatch, with or without its fetch repeated per instruction, and `luaD_precall` kept
/// out of `luaV_execute` each moved one workload to wasmoon's level: docs/benchmarks.md,
/// "Why the misses").
const VM_CORE_INLINE: &str = "-mllvm -inline-threshold=350";

/// Extra flags for the C API's unit (`UNITY_API`): a low inlining threshold, so that the
/// libraries take in the API's small functions (`lua_geti`'s fast path, `lua_type`,
/// `lua_tointegerx`...) and little else. Node 20's V8 never inlines one wasm function
/// into another, so each of those was a call, which wasmoon's build inlines. Measured
/// 2026-12-05 against the build before (the API in the VM core's unit, the libraries
/// file by file), release builds, 3 runs per process, 2 processes per build
/// interleaved, wasmoon alongside: a queue of `table.insert/remove` at the front
/// 590 -> 350 ms (wasmoon 590), `math.random` 445 -> 397 (435), `utf8.codes` 370 -> 358
/// (360), `tables` 250 -> 223, `concat` 250 -> 233, the other workloads and the host
/// boundary unchanged; +0.5 KB raw, +0.6 KB gzip. At -O3's own threshold the unit
/// grew the module by 37 KB raw, 10.5 KB gzip. At 40 `index2value` stayed a call in
/// every API function, which made `math.random` and `utf8.codes` slower than before,
/// hence its `l_sinline` (lapi.c, tag luap_apiinline). lstrlib.c stays out: in the
/// unit its matcher lost the inlining it gets at -O3 (`patterns` 1.30x at 40, 1.15x
/// and +4.5 KB gzip at 120), so its API calls stay calls; `string.byte`, where a
/// `lua_pushinteger` per byte made 43 bytes take 3x wasmoon's time, writes its results
/// itself (lstrlib.c, tag luap_apiinline). lbaselib.c joined the unit later
/// (2026-12-05, release builds, 3 processes per build interleaved with wasmoon, each
/// the best of 4 runs): `for _, v in ipairs(t)` over 1000 elements 12,000 times
/// 502 -> 432 ms (wasmoon 472: a loss became 0.92x), a loop of `type`, `select('#')`,
/// `rawget`, `tonumber`, `ipairs` and `pairs` 359 -> 321 (366), `pcall` of `error`
/// 299 -> 291, the workloads unchanged; +1.8 KB raw, +0.35 KB gzip.
const API_INLINE: &str = "-mllvm -inline-threshold=40";

const SETUP_HINT: &str = "run scripts/setup-wasm.sh (installs clang-19, lld-19, llvm-19, wasi-libc, binaryen, wabt and the Rust target)";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "LUA_WASM_CLANG",
        "LUA_WASM_AR",
        "LUA_WASM_SYSROOT",
        "LUA_WASM_OPT_HOT",
        "LUA_WASM_OPT_COLD",
        "LUA_UNITY",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let lua_dir = manifest_dir.join("lua-5.4.8");
    let csrc_dir = manifest_dir.join("csrc");
    let include_dir = manifest_dir.join("include");
    for dir in [&lua_dir, &csrc_dir, &csrc_dir.join("wasm"), &include_dir] {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let lua_sources = c_files(&lua_dir);
    if lua_sources.len() < 30 {
        fail(&format!("expected Lua 5.4.8 sources in {}", lua_dir.display()));
    }

    if env::var("TARGET").unwrap_or_default() == "wasm32-unknown-unknown" {
        let mut sources = lua_sources;
        sources.extend(c_files(&csrc_dir));
        sources.extend(c_files(&csrc_dir.join("wasm")));
        build_wasm(&lua_dir, &csrc_dir, &include_dir, sources);
    } else {
        let mut sources = lua_sources;
        sources.extend(c_files(&csrc_dir));
        build_native(&lua_dir, &csrc_dir, sources);
    }
}

/// Lua's C files in `dir`, without the stand-alone programs, sorted.
fn c_files(dir: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())));
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".c") && name != "lua.c" && name != "luac.c"
        })
        .collect();
    files.sort();
    files
}

/// The native build's code-generation flags, beyond cc's -O level and -fPIC. Measured
/// on the native backend against the file-by-file build without them (2026-12-02,
/// release addon, 9 interleaved fresh-process runs per workload, paired CPU-time ratios):
/// the unity core (`native_units`) with these two flags took closures 0.77x, coroutines
/// 0.85x, recursion 0.95x, serializer 0.96x, floats 0.99x (1.09x in a second run),
/// tables and strings 1.01x; geomean 0.93x. `-fno-semantic-interposition` lets the
/// library's calls to its own exported `lua_*` functions skip the PLT and inline (they
/// cannot be interposed in a Rust cdylib anyway). The interpreter loop's float paths
/// are sensitive to code layout: the unity core without `-falign-labels=16` measured
/// floats 1.04-1.18x in five runs, with it 0.99x and 1.09x.
const NATIVE_FLAGS: &[&str] = &["-fno-semantic-interposition", "-falign-labels=16"];

fn build_native(lua_dir: &Path, csrc_dir: &Path, sources: Vec<PathBuf>) {
    let mut build = cc::Build::new();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    match os.as_str() {
        "linux" | "android" => build.define("LUA_USE_LINUX", None),
        "macos" | "ios" => build.define("LUA_USE_MACOSX", None),
        "windows" => build.define("LUA_USE_WINDOWS", None),
        _ => build.define("LUA_USE_POSIX", None),
    };
    if env::var("CARGO_CFG_DEBUG_ASSERTIONS").is_ok() {
        build.define("LUA_USE_APICHECK", None);
    }
    let opt = env::var("OPT_LEVEL").unwrap_or_default();
    if !matches!(opt.as_str(), "2" | "3" | "s" | "z") {
        build.opt_level(2);
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let sources = unity(lua_dir, &out_dir, sources, &native_units());
    build
        .define("LUA_COMPAT_5_3", None)
        .include(lua_dir)
        .include(csrc_dir)
        .warnings(false)
        .flag_if_supported("-fno-common");
    for flag in NATIVE_FLAGS {
        build.flag_if_supported(flag);
    }
    build
        .files(&sources)
        .compile("lua54");
}

fn build_wasm(lua_dir: &Path, csrc_dir: &Path, include_dir: &Path, sources: Vec<PathBuf>) {
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());

    let clang = env::var("LUA_WASM_CLANG").unwrap_or_else(|_| "clang-19".into());
    let ar = env::var("LUA_WASM_AR").unwrap_or_else(|_| "llvm-ar-19".into());
    let (sys_include, sys_lib) = match env::var("LUA_WASM_SYSROOT") {
        Ok(root) => (
            Path::new(&root).join("include"),
            Path::new(&root).join("lib"),
        ),
        Err(_) => (
            PathBuf::from("/usr/include/wasm32-wasi"),
            PathBuf::from("/usr/lib/wasm32-wasi"),
        ),
    };
    let opt_hot = env::var("LUA_WASM_OPT_HOT").unwrap_or_else(|_| "-O3 -fno-unroll-loops".into());
    let opt_cold = env::var("LUA_WASM_OPT_COLD").unwrap_or_else(|_| "-Oz".into());

    check_tool(&clang, "--version");
    check_tool(&ar, "--version");
    if !sys_include.join("stdio.h").is_file() {
        fail(&format!(
            "wasi-libc headers not found ({} has no stdio.h)",
            sys_include.display()
        ));
    }
    let system_libs = ["c", "wasi-emulated-signal", "wasi-emulated-process-clocks"];
    for lib in system_libs {
        let file = sys_lib.join(format!("lib{lib}.a"));
        if !file.is_file() {
            fail(&format!("wasi-libc library not found: {}", file.display()));
        }
    }

    let mut common: Vec<String> = vec![
        // wasi-libc's headers only accept a WASI target; the objects are plain wasm32
        // objects that link into the wasm32-unknown-unknown module all the same.
        "--target=wasm32-wasi".into(),
        "-nostdinc".into(),
        // Our setjmp.h must come before wasi-libc's (which is broken in Debian's build).
        "-I".into(),
        include_dir.display().to_string(),
        "-I".into(),
        lua_dir.display().to_string(),
        "-I".into(),
        csrc_dir.display().to_string(),
        "-isystem".into(),
        clang_resource_include(&clang),
        "-isystem".into(),
        sys_include.display().to_string(),
        // setjmp/longjmp through WebAssembly exceptions (legacy try/catch encoding).
        "-mllvm".into(),
        "-wasm-enable-sjlj".into(),
        "-mllvm".into(),
        "-wasm-enable-eh".into(),
        "-mexception-handling".into(),
        "-mnontrapping-fptoint".into(),
        // signal() exists only as wasi-libc's emulation; clock() likewise.
        "-D_WASI_EMULATED_SIGNAL".into(),
        "-D_WASI_EMULATED_PROCESS_CLOCKS".into(),
        // Lua's ISO C path for os.tmpname sizes its buffer with it; WASI headers leave
        // it undefined (tmpnam itself is csrc/wasm/wasm_shims.c's, always failing).
        "-DL_tmpnam=32".into(),
        // Keep wasi-libc's exit.o (and its __wasm_call_dtors) out of the link; see
        // csrc/wasm/wasm_shims.c. Only loslib.c (os.exit) calls exit.
        "-Dexit=lua_wasm_sys_exit".into(),
        // wasi-libc's setlocale (musl's) accepts any locale name and claims success;
        // csrc/wasm/wasm_shims.c answers as a C library without locales. Only
        // loslib.c (os.setlocale) calls it.
        "-Dsetlocale=lua_wasm_sys_setlocale".into(),
        // Same configuration as mlua's native (vendored, lua-src) build of Lua 5.4.
        "-DLUA_COMPAT_5_3".into(),
        "-std=gnu99".into(),
        "-w".into(),
        "-g0".into(),
    ];
    if env::var("CARGO_CFG_DEBUG_ASSERTIONS").is_ok() {
        // lua-src does the same for debug builds of the native side.
        common.push("-DLUA_USE_APICHECK".into());
    }

    let obj_dir = out_dir.join("obj");
    fs::create_dir_all(&obj_dir).unwrap();

    let sources = unity(lua_dir, &out_dir, sources, &wasm_units());

    let jobs = env::var("NUM_JOBS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 16);
    let next = AtomicUsize::new(0);
    let errors = Mutex::new(Vec::<String>::new());
    let objects = Mutex::new(Vec::<PathBuf>::new());
    thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(src) = sources.get(i) else { break };
                let name = src.file_name().unwrap().to_string_lossy().into_owned();
                let obj = obj_dir.join(name.replace(".c", ".o"));
                let opt = if HOT_FILES.contains(&name.as_str()) {
                    &opt_hot
                } else {
                    &opt_cold
                };
                let extra = if COMPILER_FILES.contains(&name.as_str()) {
                    COMPILER_INLINE
                } else if name == UNITY_FILE {
                    VM_CORE_INLINE
                } else if name == UNITY_API_FILE {
                    API_INLINE
                } else {
                    ""
                };
                let output = Command::new(&clang)
                    .args(&common)
                    .args(opt.split_whitespace())
                    .args(extra.split_whitespace())
                    .arg("-c")
                    .arg(src)
                    .arg("-o")
                    .arg(&obj)
                    .stdin(Stdio::null())
                    .output();
                match output {
                    Ok(o) if o.status.success() => objects.lock().unwrap().push(obj),
                    Ok(o) => errors.lock().unwrap().push(format!(
                        "{clang} failed on {}:\n{}",
                        src.display(),
                        String::from_utf8_lossy(&o.stderr)
                    )),
                    Err(e) => errors
                        .lock()
                        .unwrap()
                        .push(format!("cannot run {clang}: {e}")),
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap();
    if !errors.is_empty() {
        fail(&errors.join("\n"));
    }
    let mut objects = objects.into_inner().unwrap();
    objects.sort();

    let lib_name = "lua54wasm";
    let archive = out_dir.join(format!("lib{lib_name}.a"));
    let _ = fs::remove_file(&archive);
    let status = Command::new(&ar)
        .arg("crs")
        .arg(&archive)
        .args(&objects)
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run {ar}: {e}")));
    if !status.success() {
        fail(&format!("{ar} failed creating {}", archive.display()));
    }

    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=static={lib_name}");
    // wasi-libc is linked from its system location (not copied into the rlib).
    println!("cargo:rustc-link-search=native={}", sys_lib.display());
    for lib in system_libs {
        println!("cargo:rustc-link-lib=static:-bundle={lib}");
    }
    write_link_manifest(&out_dir, &sys_include, &sys_lib, &system_libs);
}

/// `wasi-link.txt` next to the archive: the wasi-libc headers, then each library the
/// archive links against, one path per line. bench/floor.js links its C-only floor from
/// it, so the sysroot and library list live here only.
fn write_link_manifest(out_dir: &Path, sys_include: &Path, sys_lib: &Path, libs: &[&str]) {
    let mut text = format!("{}\n", sys_include.display());
    for lib in libs {
        text.push_str(&format!("{}\n", sys_lib.join(format!("lib{lib}.a")).display()));
    }
    if let Err(e) = fs::write(out_dir.join("wasi-link.txt"), text) {
        fail(&format!("cannot write wasi-link.txt: {e}"));
    }
}

/// Lua's VM core, compiled as one translation unit (like Lua's own `onelua.c`): the
/// interpreter loop can then inline table lookups, calls and allocation helpers across
/// files. On wasm every call is a real call (see `HOT_FILES` for what it gained); the
/// native figures are at `NATIVE_FLAGS`. The native unit also holds lapi.c.
const UNITY_CORE: &[&str] = &[
    "lmem.c", "lstate.c", "lgc.c", "lfunc.c", "lobject.c", "ltm.c", "lstring.c",
    "ltable.c", "ldo.c", "lvm.c",
];

/// The generated file that includes `UNITY_CORE` (compiled with `HOT_FILES`' flags).
const UNITY_FILE: &str = "lvm_unity.c";

/// On wasm, the C API and the libraries that call it in loops, as one unit (see
/// `API_INLINE`).
const UNITY_API: &[&str] =
    &["lapi.c", "lauxlib.c", "lbaselib.c", "ltablib.c", "lutf8lib.c", "lmathlib.c"];

/// The generated file that includes `UNITY_API`.
const UNITY_API_FILE: &str = "lapi_unity.c";

/// The units of the native build: the VM core with the C API.
fn native_units() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![(UNITY_FILE, [UNITY_CORE, &["lapi.c"]].concat())]
}

/// The units of the wasm build: the VM core, and the C API with the libraries.
fn wasm_units() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![(UNITY_FILE, UNITY_CORE.to_vec()), (UNITY_API_FILE, UNITY_API.to_vec())]
}

/// Replaces the files of each unit in `sources` by one generated file that includes
/// them (`LUA_UNITY=0`: file by file).
fn unity(
    lua_dir: &Path,
    out_dir: &Path,
    sources: Vec<PathBuf>,
    units: &[(&str, Vec<&str>)],
) -> Vec<PathBuf> {
    if env::var("LUA_UNITY").map(|v| v == "0").unwrap_or(false) {
        return sources;
    }
    let in_unit = |p: &PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy();
        units.iter().any(|(_, files)| files.contains(&name.as_ref()))
    };
    let mut rest: Vec<PathBuf> = sources.into_iter().filter(|p| !in_unit(p)).collect();
    for (file, files) in units {
        let path = out_dir.join(file);
        let body: String = files
            .iter()
            .map(|f| format!("#include \"{}\"\n", lua_dir.join(f).display()))
            .collect();
        fs::write(&path, body).unwrap();
        rest.push(path);
    }
    rest
}

/// clang's own headers (stddef.h, stdarg.h, float.h...), needed because of -nostdinc.
fn clang_resource_include(clang: &str) -> String {
    let out = Command::new(clang)
        .arg("-print-resource-dir")
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run {clang}: {e}")));
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let inc = Path::new(&dir).join("include");
    if !inc.join("stddef.h").is_file() {
        fail(&format!(
            "{clang} has no resource headers in {}",
            inc.display()
        ));
    }
    inc.display().to_string()
}

fn check_tool(tool: &str, arg: &str) {
    match Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => {}
        _ => fail(&format!("`{tool}` not found or not working")),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: lua-persistent-sys: {msg}\nhint: {SETUP_HINT}");
    panic!("lua-persistent-sys: {msg}; {SETUP_HINT}");
}
