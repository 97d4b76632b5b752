#!/usr/bin/env node
'use strict';
// Copies the release builds of lua-persistent, with the JS it needs, to DIR so a
// benchmark can run on them while the tree is rebuilt (the test command rebuilds dev):
//   npm run build:release && node bench/snapshot.js /tmp/lp-release
//   node bench/run.js --package /tmp/lp-release
// The addon comes straight from cargo's release output; refuses when any build is not
// a release build.
const fs = require('fs');
const path = require('path');
const { builds } = require('./lib/machine');
const { TREE } = require('./lib/package-root');
const { platformTriple } = require(path.join(TREE, 'lib', 'native'));

const COPY = ['package.json', 'index.js', 'index.d.ts', 'lib', 'web/index.js', 'web/storage.js', 'dist/wasm-node', 'dist/wasm-web'];
const LIB = { linux: 'liblua_persistent_node.so', darwin: 'liblua_persistent_node.dylib', win32: 'lua_persistent_node.dll' }[process.platform];

function snapshot(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const rel of COPY) fs.cpSync(path.join(TREE, rel), path.join(dir, rel), { recursive: true });
  fs.copyFileSync(path.join(TREE, 'target', 'release', LIB), path.join(dir, `lua-persistent.${platformTriple()}.node`));
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
