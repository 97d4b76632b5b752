#!/usr/bin/env node
'use strict';
// Bundles the browser example (apps/example) with esbuild into dist/web-example, and the
// storage test page (apps/storage-test, for __tests__/browser-storage.test.js) into
// dist/web-storage, the way an app would: `import { createLua } from 'lua-persistent'` is resolved through the
// package's own "exports" (a package self-reference) with the "browser" condition, so
// the bundle gets web/index.js and the wasm backend, never the Node entry.
//
// esbuild leaves `new URL('lua_persistent_bg.wasm', import.meta.url)` (in the
// wasm-bindgen glue) untouched, so the .wasm file is copied next to the bundle, where
// that URL points at run time. Needs dist/wasm-web (node scripts/build-wasm.js).
//
//   node scripts/build-web.js         build both and print the example's sizes
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'apps', 'example');
const OUT = path.join(ROOT, 'dist', 'web-example');
const STORAGE_SRC = path.join(ROOT, 'apps', 'storage-test');
const STORAGE_OUT = path.join(ROOT, 'dist', 'web-storage');
const WASM = path.join(ROOT, 'dist', 'wasm-web', 'lua_persistent_bg.wasm');

/**
 * Bundles `entries` of `src` (+ the `statics` files and the wasm) into `out`, replacing
 * it, and checks that the browser condition picked web/index.js and nothing Node-only.
 * Shared with scripts/playground.js.
 */
async function bundle(src, out, quiet, { entries = ['main.js'], statics = ['index.html'] } = {}) {
  const esbuild = require('esbuild');
  if (!fs.existsSync(WASM)) {
    throw new Error(`${path.relative(ROOT, WASM)} is missing: run node scripts/build-wasm.js first`);
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });

  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: entries.map((f) => path.join(src, f)),
    outdir: out,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
  });

  // The browser condition must have picked web/index.js: no Node entry, no Node modules.
  const inputs = Object.keys(result.metafile.inputs).map((p) => p.split(path.sep).join('/'));
  if (!inputs.includes('web/index.js')) throw new Error(`bundle does not use web/index.js: ${inputs.join(', ')}`);
  const nodeOnly = inputs.filter((p) => /^lib\/(index|native|wasm-node|file-storage)\.js$/.test(p) || p.startsWith('cli/') || p.startsWith('dist/wasm-node/'));
  if (nodeOnly.length) throw new Error(`bundle pulled in Node-only files: ${nodeOnly.join(', ')}`);

  for (const f of statics) fs.copyFileSync(path.join(src, f), path.join(out, f));
  fs.copyFileSync(WASM, path.join(out, 'lua_persistent_bg.wasm'));
}

/** The example page (dist/web-example). Each page has its own output directory, so
 * test files running in parallel never rebuild a directory another one is serving. */
async function build({ quiet = false } = {}) {
  await bundle(SRC, OUT, quiet);

  const js = fs.readFileSync(path.join(OUT, 'main.js'));
  const wasm = fs.readFileSync(path.join(OUT, 'lua_persistent_bg.wasm'));
  const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
  const sizes = { js: js.length, wasm: wasm.length, jsGzip: gz(js), wasmGzip: gz(wasm) };
  sizes.gzipTotal = sizes.jsGzip + sizes.wasmGzip;
  if (!quiet) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`built ${path.relative(ROOT, OUT)}/`);
    console.log(`  main.js (minified)       ${kb(sizes.js).padStart(12)}   gzip -9 ${kb(sizes.jsGzip)}`);
    console.log(`  lua_persistent_bg.wasm   ${kb(sizes.wasm).padStart(12)}   gzip -9 ${kb(sizes.wasmGzip)}`);
    console.log(`  total gzip -9            ${kb(sizes.gzipTotal).padStart(12)}`);
  }
  return { out: OUT, sizes };
}

/** The storage test page (dist/web-storage). */
async function buildStorageTest({ quiet = false } = {}) {
  await bundle(STORAGE_SRC, STORAGE_OUT, quiet);
  return { out: STORAGE_OUT };
}

module.exports = { build, OUT, buildStorageTest, STORAGE_OUT, bundle };

if (require.main === module) {
  (async () => {
    await build();
    await buildStorageTest();
    console.log(`built ${path.relative(ROOT, STORAGE_OUT)}/`);
  })().catch((e) => {
    console.error(e.message || e);
    process.exit(1);
  });
}
