'use strict';
// Locates the napi addon: a local build at the package root (napi-rs convention), else
// the per-platform package `lua-persistent-<triple>` that npm installed as an optional
// dependency (npm/<triple>/, scripts/targets.js lists the published ones).
const { join } = require('path');
const { existsSync } = require('fs');

function isMusl() {
  // Cheap check first: process.report.getReport() costs milliseconds.
  try {
    return require('fs').readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null;
    return report ? !report.header.glibcVersionRuntime : false;
  }
}

/** This process's platform as the npm packages name it. Windows is `-gnu`: the published
 * Windows addon is built with the MinGW ABI (scripts/build-targets.js cross-builds it). */
function platformTriple() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-gnu`;
  return `${platform}-${arch}`;
}

const PUBLISHED = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-gnu'];

/** Why the platform package could not be required, in words a user can act on. */
function explain(triple, e) {
  const pkg = `lua-persistent-${triple}`;
  if (!e || e.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes(pkg)) return e;
  const why = PUBLISHED.includes(triple)
    ? `${pkg} is not installed (npm installs it as an optional dependency: was it omitted, e.g. --omit=optional or --no-optional, or the lock file made on another platform?)`
    : `there is no prebuilt addon for ${triple} (prebuilt: ${PUBLISHED.join(', ')}); build one from a checkout with \`node scripts/build.js --release\``;
  return new Error(`lua-persistent: native addon unavailable: ${why}`, { cause: e });
}

let Vm = null;

function load() {
  if (Vm) return Vm;
  // An explicit addon file (napi-rs has the same: NAPI_RS_NATIVE_LIBRARY_PATH): a custom
  // build, or a cross-built one under test (scripts/build-targets.js).
  const override = process.env.LUA_PERSISTENT_NATIVE_PATH;
  if (override) {
    Vm = require(require('path').resolve(override)).Vm;
    return Vm;
  }
  const triple = platformTriple();
  const local = join(__dirname, '..', `lua-persistent.${triple}.node`);
  if (existsSync(local)) {
    Vm = require(local).Vm;
  } else {
    try {
      Vm = require(`lua-persistent-${triple}`).Vm;
    } catch (e) {
      throw explain(triple, e);
    }
  }
  return Vm;
}

module.exports = { load, platformTriple, PUBLISHED };
