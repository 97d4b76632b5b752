#!/usr/bin/env node
'use strict';
// Copies the release builds of lua-persistent, with the JS it needs, to DIR so a
// benchmark can run on them while the tree is rebuilt (the test command rebuilds dev):
//   npm run build:release && node bench/snapshot.js /tmp/lp-release
//   node bench/run.js --package /tmp/lp-release
// Everything comes from cargo's release outputs in target/, which dev builds do not
// touch: the addon is copied, and the wasm glue for Node and browsers is generated from
// the release module by scripts/build-wasm.js's own `glue()`. dist/ is not used: a dev
// build can replace it at any moment. Refuses when any result is not a release build.
const fs = require('fs');
const path = require('path');
const { builds, treeCommit } = require('./lib/machine');
const { TREE } = require('./lib/package-root');
const { platformTriple } = require(path.join(TREE, 'lib', 'native'));

// The package's JS as it ships (package.json "files"), without docs and built outputs.
const COPY = ['package.json', 'dist/node.js', 'index.d.ts', 'redis.d.ts', 'esbuild.js', 'esbuild.d.ts', 'lib', 'web'];
const { glue, cargoWasm } = require(path.join(TREE, 'scripts', 'build-wasm'));
const { cargoAddon } = require(path.join(TREE, 'scripts', 'build'));
const RELEASE_WASM = cargoWasm(true);

function snapshot(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const rel of COPY) fs.cpSync(path.join(TREE, rel), path.join(dir, rel), { recursive: true });
  fs.copyFileSync(cargoAddon('release'), path.join(dir, `lua-persistent.${platformTriple()}.node`));
  if (!fs.existsSync(RELEASE_WASM)) throw new Error(`no release wasm at ${RELEASE_WASM}; run \`npm run build:release\` first`);
  glue(RELEASE_WASM, dir, true);
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
