#!/usr/bin/env node
'use strict';
// Builds the native addon with cargo and places it where lib/native.js looks.
// `node scripts/build.js` (debug, fast to rebuild) or `--release` (optimised).
const { execFileSync } = require('child_process');
const { copyFileSync, mkdirSync } = require('fs');
const { join } = require('path');
const { platformTriple } = require('../lib/native');

const release = process.argv.includes('--release');
const root = join(__dirname, '..');
execFileSync('cargo', ['build', '-p', 'lua-persistent-node', ...(release ? ['--release'] : [])], {
  cwd: root,
  stdio: 'inherit',
});
const profile = release ? 'release' : 'debug';
const lib = { linux: 'liblua_persistent_node.so', darwin: 'liblua_persistent_node.dylib', win32: 'lua_persistent_node.dll' }[process.platform];
const triple = platformTriple();
const target = join(root, `lua-persistent.${triple}.node`);
copyFileSync(join(root, 'target', profile, lib), target);
mkdirSync(join(root, 'npm', triple), { recursive: true });
console.log(`built ${target} (${profile})`);
