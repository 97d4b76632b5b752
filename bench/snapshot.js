#!/usr/bin/env node
'use strict';
// Copies the release builds of lua-persistent, with the JS it needs, to DIR so a
// benchmark can run on them while the tree is rebuilt (the test command rebuilds dev):
//   npm run build:release && node bench/snapshot.js /tmp/lp-release
//   node bench/run.js --package /tmp/lp-release
// Everything comes from cargo's release outputs in target/, which dev builds do not
// touch: the addon is copied, and the wasm glue for Node and browsers is generated from
// the release module the way scripts/build-wasm.js --release does it (same
// wasm-bindgen and wasm-opt arguments; keep them in step). dist/ is not used: a dev
// build can replace it at any moment. Refuses when any result is not a release build.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { builds, treeCommit } = require('./lib/machine');
const { TREE } = require('./lib/package-root');
const { platformTriple } = require(path.join(TREE, 'lib', 'native'));

const COPY = ['package.json', 'index.js', 'index.d.ts', 'lib', 'web/index.js', 'web/storage.js'];
const RELEASE_WASM = path.join(TREE, 'target', 'wasm32-unknown-unknown', 'wasm-release', 'lua_persistent_wasm.wasm');
const FEATURES = ['--enable-exception-handling', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

function wasmGlue(dir) {
  for (const [target, sub] of [['nodejs', 'wasm-node'], ['web', 'wasm-web']]) {
    const out = path.join(dir, 'dist', sub);
    execFileSync('wasm-bindgen', ['--target', target, '--weak-refs', '--experimental-reset-state-function', '--out-dir', out, '--out-name', 'lua_persistent', RELEASE_WASM]);
    const bin = path.join(out, 'lua_persistent_bg.wasm');
    execFileSync(process.execPath, [require.resolve('binaryen/bin/wasm-opt'), '-Oz', '--converge', '--strip-debug', '--strip-producers', ...FEATURES, bin, '-o', bin]);
  }
}
const LIB = { linux: 'liblua_persistent_node.so', darwin: 'liblua_persistent_node.dylib', win32: 'lua_persistent_node.dll' }[process.platform];

function snapshot(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const rel of COPY) fs.cpSync(path.join(TREE, rel), path.join(dir, rel), { recursive: true });
  fs.copyFileSync(path.join(TREE, 'target', 'release', LIB), path.join(dir, `lua-persistent.${platformTriple()}.node`));
  if (!fs.existsSync(RELEASE_WASM)) throw new Error(`no release wasm at ${RELEASE_WASM}; run \`npm run build:release\` first`);
  wasmGlue(dir);
  // What the builds were made from, for the report (cargo's outputs are already built).
  fs.writeFileSync(path.join(dir, 'bench-snapshot.json'), `${JSON.stringify({ commit: treeCommit(), taken: new Date().toISOString() })}\n`);
  const b = builds(dir);
  const notRelease = Object.entries(b).filter(([, x]) => x.profile !== 'release').map(([k, x]) => `${k} (${x.profile || 'missing'})`);
  if (notRelease.length) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`not release builds: ${notRelease.join(', ')}; run \`npm run build:release\` first`);
  }
  return b;
}

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/snapshot.js DIR');
  process.exit(2);
}
try {
  const b = snapshot(path.resolve(dir));
  console.log(`snapshot of release builds in ${path.resolve(dir)}: native ${b.native.bytes} B, wasm ${b.wasm.bytes} B, browser wasm ${b.wasmWeb.bytes} B`);
} catch (e) {
  console.error(`snapshot: ${e.message}`);
  process.exit(1);
}
