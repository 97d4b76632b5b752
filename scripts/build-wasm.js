#!/usr/bin/env node
'use strict';
// Builds the wasm backend: cargo (wasm32-unknown-unknown), then wasm-bindgen twice from
// the same module — a CommonJS glue for Node (dist/wasm-node) and an ES module glue for
// browsers and bundlers (dist/wasm-web) — and, with --release, binaryen's wasm-opt.
// `node scripts/build-wasm.js` (dev profile, fast to rebuild) or `--release`.
const { execFileSync } = require('child_process');
const { existsSync, statSync, mkdirSync } = require('fs');
const { join } = require('path');
const { inlineImportWrappers } = require('./wasm-glue');

const root = join(__dirname, '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const FEATURES = ['--enable-exception-handling', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

/** cargo's module for a profile (its file is replaced only by a build of that profile). */
function cargoWasm(release) {
  return join(root, 'target', 'wasm32-unknown-unknown', release ? 'wasm-release' : 'debug', 'lua_persistent_wasm.wasm');
}

/**
 * The two glues from one module, into `dist/wasm-node` and `dist/wasm-web` under
 * `distRoot` (release: wasm-opt'd). Also used by bench/snapshot.js. Returns the .wasm paths.
 */
function glue(wasm, distRoot, release) {
  const bins = [];
  for (const [target, dir] of [['nodejs', 'wasm-node'], ['web', 'wasm-web']]) {
    const out = join(distRoot, 'dist', dir);
    mkdirSync(out, { recursive: true });
    run('wasm-bindgen', ['--target', target, '--weak-refs', '--experimental-reset-state-function', '--out-dir', out, '--out-name', 'lua_persistent', ...(release ? [] : ['--keep-debug']), wasm]);
    inlineImportWrappers(join(out, 'lua_persistent.js'));
    const bin = join(out, 'lua_persistent_bg.wasm');
    if (release) {
      // binaryen from npm: Debian's (v108) mishandles wasm-bindgen's externref table.
      run(process.execPath, [require.resolve('binaryen/bin/wasm-opt'), '-Oz', '--converge', '--strip-debug', '--strip-producers', ...FEATURES, bin, '-o', bin]);
    }
    bins.push(bin);
  }
  return bins;
}

function main() {
  const release = process.argv.includes('--release');
  const profile = release ? 'wasm-release' : 'dev';
  // Panic locations embed source paths; shorten them (smaller, and no build-machine paths).
  const cargoHome = process.env.CARGO_HOME || join(require('os').homedir(), '.cargo');
  const rustflags = [`--remap-path-prefix=${join(cargoHome, 'registry', 'src')}=/cargo`, `--remap-path-prefix=${root}=/lua-persistent`];
  execFileSync('cargo', ['build', '--target', 'wasm32-unknown-unknown', '-p', 'lua-persistent-wasm', '--profile', profile], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: rustflags.join(' ') },
  });
  const wasm = cargoWasm(release);
  if (!existsSync(wasm)) process.exit(1);
  for (const bin of glue(wasm, root, release)) console.log(`built ${bin} (${statSync(bin).size} bytes, ${release ? 'release' : 'dev'})`);
}

module.exports = { glue, cargoWasm };

if (require.main === module) main();
