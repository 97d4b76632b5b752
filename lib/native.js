'use strict';
// Locates the napi addon: a local build at the package root (napi-rs convention), else
// the per-platform package from npm/.
const { join } = require('path');
const { existsSync } = require('fs');

function platformTriple() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const glibc = process.report && typeof process.report.getReport === 'function'
      ? Boolean(process.report.getReport().header.glibcVersionRuntime) : true;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function load() {
  const triple = platformTriple();
  const local = join(__dirname, '..', `lua-persistent.${triple}.node`);
  if (existsSync(local)) return require(local).Vm;
  return require(`lua-persistent-${triple}`).Vm;
}

module.exports = { load, platformTriple };
