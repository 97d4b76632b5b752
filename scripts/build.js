#!/usr/bin/env node
'use strict';
// Builds the native addon with cargo and places it where lib/native.js looks.
// `node scripts/build.js` (debug, fast to rebuild) or `--release` (optimised).
const { execFileSync } = require('child_process');
const { copyFileSync, mkdirSync, renameSync } = require('fs');
const { join } = require('path');
const { platformTriple } = require('../lib/native');

const root = join(__dirname, '..');

/** cargo's addon for a profile ('release' or 'debug'). Also used by bench/snapshot.js. */
function cargoAddon(profile) {
  const lib = { linux: 'liblua_persistent_node.so', darwin: 'liblua_persistent_node.dylib', win32: 'lua_persistent_node.dll' }[process.platform];
  return join(root, 'target', profile, lib);
}

function main() {
  const release = process.argv.includes('--release');
  execFileSync('cargo', ['build', '-p', 'lua-persistent-node', ...(release ? ['--release'] : [])], {
    cwd: root,
    stdio: 'inherit',
  });
  const profile = release ? 'release' : 'debug';
  const triple = platformTriple();
  const target = join(root, `lua-persistent.${triple}.node`);
  // Copy then rename: overwriting the file in place would corrupt the mapping of any
  // process that has the addon loaded (a test run, a REPL) and crash it.
  const tmp = `${target}.${process.pid}.tmp`;
  copyFileSync(cargoAddon(profile), tmp);
  renameSync(tmp, target);
  mkdirSync(join(root, 'npm', triple), { recursive: true });
  console.log(`built ${target} (${profile})`);
}

module.exports = { cargoAddon };

if (require.main === module) main();
