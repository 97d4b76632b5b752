'use strict';
// Locates the napi addon: a local build at the package root (napi-rs convention), else
// the per-platform package from npm/.
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

function platformTriple() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

let Vm = null;

function load() {
  if (Vm) return Vm;
  const triple = platformTriple();
  const local = join(__dirname, '..', `lua-persistent.${triple}.node`);
  Vm = existsSync(local) ? require(local).Vm : require(`lua-persistent-${triple}`).Vm;
  return Vm;
}

module.exports = { load, platformTriple };
