'use strict';
// A Node bundle (esbuild --platform=node, webpack's node target, ncc) copies this
// package's JS into one file, but the native addon and the .wasm module it loads at run
// time stay behind, relative to the package's own folder. Both loaders would then fail
// with a bare "Cannot find module": this says what to do instead.
const { readFileSync } = require('fs');
const { join } = require('path');

const ROOT = join(__dirname, '..');

let installed = null;

/** Whether this file runs from the lua-persistent folder (read at run time, not through
 * require, so a bundler cannot inline it). */
function runsFromPackage() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name === 'lua-persistent';
  } catch {
    return false;
  }
}

/** Throws the bundling advice when the package's files are not around this code. */
function assertInstalled() {
  if (installed === null) installed = runsFromPackage();
  if (installed) return;
  throw new Error('lua-persistent: its files are not next to this code, which looks bundled: lua-persistent loads a native addon '
    + 'and a .wasm module from its own folder at run time, so keep it out of Node bundles and install it next to the bundle. '
    + "Mark it external: esbuild --external:lua-persistent (or the plugin from 'lua-persistent/esbuild'), "
    + "webpack externals: { 'lua-persistent': 'commonjs lua-persistent' }, Rollup/Vite ssr.external: ['lua-persistent'] (docs/bundling.md)");
}

module.exports = { assertInstalled };
