'use strict';
// The platforms lua-persistent publishes a native addon for: package.json's
// `napi.targets` (Rust target triples, the napi-rs convention), each with its npm
// package (npm/<triple>/package.json, `lua-persistent-<triple>`, the name lib/native.js
// requires) and how scripts/build-targets.js builds it. `node scripts/targets.js --write`
// regenerates the npm/ folders' package.json files from this (the packaging test checks
// they match).
const { readFileSync, writeFileSync, mkdirSync } = require('fs');
const { join } = require('path');

const ROOT = join(__dirname, '..');
const ARCH = { x86_64: 'x64', aarch64: 'arm64' };
const OS = { linux: 'linux', darwin: 'darwin', windows: 'win32' };
/** The oldest glibc the gnu addons run on (what zig links them against). Rust's std needs 2.17. */
const GLIBC = '2.17';

function rootManifest() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
}

/** One target: `rust` (cargo's triple), `triple` (npm's: platform-arch[-abi]), os, cpu,
 * libc (linux only), and `zig`, the target cargo-zigbuild builds (gnu with the glibc
 * baseline appended). */
function describe(rust) {
  const m = /^(x86_64|aarch64)-(?:unknown|apple|pc)-(linux|darwin|windows)(?:-(gnu|musl))?$/.exec(rust);
  if (!m) throw new Error(`targets: unsupported napi target ${rust}`);
  const [, arch, os, abi] = m;
  const triple = [OS[os], ARCH[arch], abi].filter(Boolean).join('-');
  const libc = os === 'linux' ? (abi === 'musl' ? 'musl' : 'glibc') : undefined;
  return { rust, triple, os: OS[os], cpu: ARCH[arch], libc, zig: abi === 'gnu' && os === 'linux' ? `${rust}.${GLIBC}` : rust };
}

/** Every published target, in package.json order. */
function targets() {
  return rootManifest().napi.targets.map(describe);
}

const LABEL = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };

/** The package.json of a target's npm package, for the root package's `version`. */
function platformManifest(t, version = rootManifest().version) {
  const binary = `lua-persistent.${t.triple}.node`;
  const libc = t.libc === 'glibc' ? `, glibc ${GLIBC}+` : t.libc === 'musl' ? ', musl' : '';
  return {
    name: `lua-persistent-${t.triple}`,
    version,
    description: `The lua-persistent native addon for ${LABEL[t.os]} ${t.cpu}${libc} (installed by lua-persistent as an optional dependency)`,
    license: 'MIT',
    main: binary,
    files: [binary],
    os: [t.os],
    cpu: [t.cpu],
    ...(t.libc ? { libc: [t.libc] } : {}),
    engines: { node: '>=18' },
  };
}

/** Writes npm/<triple>/package.json for every target. */
function writeManifests() {
  for (const t of targets()) {
    const dir = join(ROOT, 'npm', t.triple);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(platformManifest(t), null, 2)}\n`);
  }
}

module.exports = { targets, describe, platformManifest, GLIBC, ROOT };

if (require.main === module && process.argv.includes('--write')) writeManifests();
