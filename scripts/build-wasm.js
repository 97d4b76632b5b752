#!/usr/bin/env node
'use strict';
// Builds the wasm backend: cargo (wasm32-unknown-unknown), then wasm-bindgen twice from
// the same module — a CommonJS glue for Node (dist/wasm-node) and an ES module glue for
// browsers and bundlers (dist/wasm-web) — and, with --release, binaryen's wasm-opt.
// `node scripts/build-wasm.js` (dev profile, fast to rebuild) or `--release`.
const { execFileSync } = require('child_process');
const { existsSync, statSync, mkdirSync, readFileSync, writeFileSync, unlinkSync } = require('fs');
const { join } = require('path');
const { tmpdir } = require('os');
const { processGlue } = require('./wasm-glue');
const { dropFeature } = require('./wasm-sections');
const { preinit } = require('./preinit');

const root = join(__dirname, '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const FEATURES = ['--enable-exception-handling', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

/**
 * wasm-opt's passes: -Os to a fixed point, with a whole-program (GUFA) pass between two
 * rounds, assuming the first 1 KB of memory unused (it is: the stack and data start at
 * 1 MB), which lets loads and stores fold constant offsets. -Os rather than -Oz
 * (2026-12-04): 2.7 KB bigger raw but 1.0 KB smaller gzip -9 (what a browser
 * downloads), speed the same (7 workloads, 5 interleaved runs: 1.00-1.01x); -O3 made
 * floats 11% slower and patterns 8% faster, +1.6 KB gzip.
 */
const OPT = ['--low-memory-unused', '-Os', '--gufa-optimizing', '-Os', '--converge'];

/**
 * The release module's wasm-opt pass (also bench/floor.js's, so both are optimised alike).
 * binaryen from npm: Debian's (v108) mishandles wasm-bindgen's externref table.
 * `keepNames` keeps the name section (for size breakdowns by function).
 */
function wasmOpt(input, output, keepNames = false) {
  const strip = keepNames ? ['-g', '--strip-producers'] : ['--strip-debug', '--strip-producers'];
  run(process.execPath, [require.resolve('binaryen/bin/wasm-opt'), ...OPT, ...strip, ...FEATURES, input, '-o', output]);
}

/** cargo's module for a profile (its file is replaced only by a build of that profile). */
function cargoWasm(release) {
  return join(root, 'target', 'wasm32-unknown-unknown', release ? 'wasm-release' : 'debug', 'lua_persistent_wasm.wasm');
}

/**
 * A copy of `wasm`, for wasm-bindgen, whose target_features no longer list `multivalue`
 * (Rust and clang enable it by default; the code is unchanged). With it listed,
 * wasm-bindgen returns each export's results (a Result's value, error and flag) as
 * several wasm values, and V8 11 (Node 20) serves no such signature with its generic
 * JS-to-wasm wrapper: it compiled one with TurboFan per distinct export signature, 16,
 * on every compile of the module, ~1.7 ms of a 15 ms cold start. Without, the results
 * come back through three i32 slots in memory, which the glue reads through its Int32Array
 * view (scripts/wasm-glue.js), as fast as before (`return 1` evals: 0.88-0.91 µs against
 * 0.89-0.96 µs, interleaved).
 * Returns the copy's path; the caller deletes it.
 */
function withoutMultivalue(wasm) {
  const copy = join(tmpdir(), `lua-persistent-${process.pid}-${Date.now()}.wasm`);
  writeFileSync(copy, dropFeature(readFileSync(wasm), 'multivalue'));
  return copy;
}

/**
 * The two glues from one module, into `dist/wasm-node` and `dist/wasm-web` under
 * `distRoot` (release: wasm-opt'd), sharing dist/wasm-web's .wasm. Also used by
 * bench/snapshot.js. Returns the .wasm path (twice: one per glue).
 */
function glue(wasm, distRoot, release) {
  const bins = [];
  let last = null; // { input, output } bytes of the previous wasm-opt run
  const bindgenInput = withoutMultivalue(wasm);
  try {
    for (const [target, dir] of [['nodejs', 'wasm-node'], ['web', 'wasm-web']]) {
      const out = join(distRoot, 'dist', dir);
      mkdirSync(out, { recursive: true });
      // No DWARF in dev builds either: with it the module passed 8 MB, past which
      // Chromium refuses the synchronous per-VM instantiation on the main thread (function
      // names stay, so traps still name their frames).
      run('wasm-bindgen', ['--target', target, '--weak-refs', '--out-dir', out, '--out-name', 'lua_persistent', bindgenInput]);
      processGlue(out, target);
      const bin = join(out, 'lua_persistent_bg.wasm');
      if (release) {
        // Both targets get the same module: optimize it once (wasm-opt takes ~40 s).
        const input = readFileSync(bin);
        if (last && last.input.equals(input)) {
          writeFileSync(bin, last.output);
        } else {
          wasmOpt(bin, bin);
          last = { input, output: readFileSync(bin) };
        }
      }
      bins.push(bin);
    }
  } finally {
    unlinkSync(bindgenInput);
  }
  // One copy in the package: both glues load the browser glue's file (the Node loader
  // reads ../wasm-web/), so the Node one, identical, goes.
  const [nodeBin, webBin] = bins;
  if (!readFileSync(nodeBin).equals(readFileSync(webBin))) throw new Error('build-wasm: the Node and web modules differ');
  unlinkSync(nodeBin);
  preinit(webBin, join(distRoot, 'dist', 'wasm-node', 'lua_persistent.js'));
  return [webBin, webBin];
}

/**
 * Whether the release build rebuilds std with nightly (see NIGHTLY): yes when nightly has
 * rust-src and the wasm32 target (scripts/setup-wasm.sh installs them), unless
 * `LUA_WASM_STD=stable`. Measured on the release module (2026-12-04, issue 23):
 * 654,815 -> 624,991 B raw, 279,795 -> 268,729 B gzip -9; speed against the stable-std
 * module in one run, interleaved fresh processes, CPU medians: closures 1.02x with 15
 * repeats (1.01-1.06x with 5-9), ext 0.97-1.03x, the other workloads 0.97-1.03x; the
 * closures profile shows no Rust function grown (the same C functions, shares within
 * 1%), so the cost is V8's layout of the whole module. Without std's
 * `optimize_for_size` algorithms it is 2.6 KB gzip bigger and no faster.
 */
function nightlyStd() {
  if (process.env.LUA_WASM_STD === 'stable') return false;
  try {
    const sysroot = execFileSync('rustc', ['+nightly', '--print', 'sysroot'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const lib = join(sysroot, 'lib', 'rustlib');
    return existsSync(join(lib, 'src', 'rust', 'library', 'std')) && existsSync(join(lib, 'wasm32-unknown-unknown'));
  } catch {
    return false;
  }
}

/**
 * The release module's Rust half, smaller (~32 KB raw, ~11 KB gzip): std rebuilt with
 * the workspace's size profile and LTO instead of the prebuilt -O3 one, std's
 * size-optimised algorithms, no panic locations (panics trap either way; nothing shows
 * their text), and derived Debug impls reduced to type names (no message uses them).
 */
const NIGHTLY = {
  cargo: ['-Zbuild-std=std,panic_abort', '-Zbuild-std-features=optimize_for_size'],
  rustflags: ['-Zlocation-detail=none', '-Zfmt-debug=shallow'],
};

function cargoBuild(profile, rustflags, nightly) {
  const args = ['build', '--target', 'wasm32-unknown-unknown', '-p', 'lua-persistent-wasm', '--profile', profile];
  execFileSync('cargo', nightly ? ['+nightly', ...args, ...NIGHTLY.cargo] : args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: [...rustflags, ...(nightly ? NIGHTLY.rustflags : [])].join(' ') },
  });
}

function main() {
  const release = process.argv.includes('--release');
  const profile = release ? 'wasm-release' : 'dev';
  // Panic locations embed source paths; shorten them (smaller, and no build-machine paths).
  const cargoHome = process.env.CARGO_HOME || join(require('os').homedir(), '.cargo');
  const rustflags = [`--remap-path-prefix=${join(cargoHome, 'registry', 'src')}=/cargo`, `--remap-path-prefix=${root}=/lua-persistent`];
  let nightly = release && nightlyStd();
  if (release && process.env.LUA_WASM_STD !== 'stable' && !nightly) console.warn('build-wasm: nightly rust-src or its wasm32 target missing (scripts/setup-wasm.sh installs them); stable std, a bigger module');
  try {
    cargoBuild(profile, rustflags, nightly);
  } catch (e) {
    if (!nightly) throw e;
    // A nightly that cannot build this any more must not block a release.
    console.warn('build-wasm: the nightly build failed; building with stable std instead');
    nightly = false;
    cargoBuild(profile, rustflags, false);
  }
  const wasm = cargoWasm(release);
  if (!existsSync(wasm)) process.exit(1);
  const how = release ? `release, ${nightly ? 'nightly std' : 'stable std'}` : 'dev';
  for (const bin of new Set(glue(wasm, root, release))) console.log(`built ${bin} (${statSync(bin).size} bytes, ${how})`);
}

module.exports = { glue, cargoWasm, wasmOpt };

if (require.main === module) main();
