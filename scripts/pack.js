#!/usr/bin/env node
'use strict';
// Packs what gets published: the main package plus one package per platform addon
// (napi-rs style; the platform list is package.json's napi.targets, see
// scripts/targets.js). `node scripts/pack.js [--out DIR]` (default target/pack) packs
// the main package and every npm/<triple>/ that holds its addon (built by
// `npm run build:targets`), from the artefacts already built: it builds nothing and runs
// no npm scripts; it refuses a debug wasm module unless --debug-wasm. The packaging test
// (__tests__/packaging.test.js) packs the same way. A plain `npm pack` in the checkout
// is refused (package.json `prepack`).
//
// Why a staging copy instead of a plain `npm pack`: the main package's
// `optionalDependencies` (one per platform package) are written only into the packed
// manifest. In the repository they would make `npm ci` fail until every platform
// package is on the registry (the lock file cannot hold them). lightningcss does the same.
const { execFileSync } = require('child_process');
const { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } = require('fs');
const { dirname, join } = require('path');
const { targets, platformManifest, ROOT } = require('./targets');
const { staleEntry } = require('./build-js');

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** `npm pack` of `dir` into `out`, scripts off; returns the tarball's path. */
function npmPack(dir, out) {
  const [info] = JSON.parse(execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' }));
  return join(out, info.filename);
}

/** The files `npm pack` would put in the main package (its `files`, README, LICENSE…). */
function mainFiles() {
  const [info] = JSON.parse(execFileSync(NPM, ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, encoding: 'utf8' }));
  return info.files.map((f) => f.path);
}

/** The main package's manifest as published: the repository's, plus an optional
 * dependency on every platform package at the same version. */
function publishedManifest() {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const optional = Object.fromEntries(targets().map((t) => [`lua-persistent-${t.triple}`, manifest.version]));
  // What only the repository uses.
  for (const key of ['devDependencies', 'scripts', 'jest']) delete manifest[key];
  return { ...manifest, optionalDependencies: optional };
}

/** Copies the main package, as published, into `stage` (emptied first). Also what
 * scripts/build-targets.js runs its smoke test from. */
function stageMain(stage) {
  rmSync(stage, { recursive: true, force: true });
  for (const file of mainFiles()) {
    mkdirSync(dirname(join(stage, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(stage, file));
  }
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(publishedManifest(), null, 2)}\n`);
  return stage;
}

/** Packs the main package into `out` through a staging copy; returns the tarball path. */
function packMain(out) {
  return npmPack(stageMain(join(out, 'stage', 'lua-persistent')), out);
}

/** Packs target `t`'s package around the addon file `addon`; returns the tarball path.
 * Refuses when npm/<triple>/package.json is not what scripts/targets.js makes. */
function packPlatform(t, addon, out) {
  const committed = JSON.parse(readFileSync(join(ROOT, 'npm', t.triple, 'package.json'), 'utf8'));
  if (JSON.stringify(committed) !== JSON.stringify(platformManifest(t))) {
    throw new Error(`pack: npm/${t.triple}/package.json is out of date: run node scripts/targets.js --write`);
  }
  const stage = join(out, 'stage', t.triple);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(committed, null, 2)}\n`);
  copyFileSync(addon, join(stage, committed.main));
  copyFileSync(join(ROOT, 'LICENSE'), join(stage, 'LICENSE'));
  return npmPack(stage, out);
}

/** Where scripts/build-targets.js leaves target `t`'s addon. */
function builtAddon(t) {
  return join(ROOT, 'npm', t.triple, `lua-persistent.${t.triple}.node`);
}

/** Larger than this, the wasm module is a debug build (release: about 0.5 MB). */
const RELEASE_WASM_MAX = 1.5 * 1024 * 1024;

/** What a plain `npm pack` / `npm publish` in the checkout runs (package.json
 * `prepack`): a refusal, since that tarball would lack the platform packages. */
function refusePlainPack() {
  console.error('lua-persistent: a plain `npm pack` or `npm publish` here makes a main package without its platform '
    + 'packages (optionalDependencies). Run `node scripts/pack.js` and publish the tarballs it makes (docs/install.md#releasing).');
  process.exit(1);
}

function main() {
  if (process.argv.includes('--refuse')) refusePlainPack();
  const stale = staleEntry();
  if (stale) {
    console.error(`pack: the Node entry cannot ship: ${stale}; run node scripts/build-js.js first`);
    process.exit(1);
  }
  const wasm = join(ROOT, 'dist', 'wasm-web', 'lua_persistent_bg.wasm');
  if (statSync(wasm).size > RELEASE_WASM_MAX && !process.argv.includes('--debug-wasm')) {
    console.error(`pack: ${wasm} is a debug build (${(statSync(wasm).size / 1048576).toFixed(1)} MB): run node scripts/build-wasm.js --release first, or pass --debug-wasm`);
    process.exit(1);
  }
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? process.argv[at + 1] : join(ROOT, 'target', 'pack');
  mkdirSync(out, { recursive: true });
  const packed = [packMain(out)];
  const missing = [];
  for (const t of targets()) {
    if (existsSync(builtAddon(t))) packed.push(packPlatform(t, builtAddon(t), out));
    else missing.push(t.triple);
  }
  for (const file of packed) console.log(`${file} (${(statSync(file).size / 1024).toFixed(0)} KiB)`);
  if (missing.length) console.log(`not packed (no addon built, run npm run build:targets): ${missing.join(', ')}`);
}

module.exports = { packMain, packPlatform, stageMain, publishedManifest, builtAddon };

if (require.main === module) main();
