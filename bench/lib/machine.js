'use strict';
// What the figures were taken on: CPU, cores, load, versions, and which builds of our
// backends were measured (see addonProfile and wasmProfile).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const { packageRoot, TREE: ROOT } = require('./package-root');

function version(cmd, args) {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0]; } catch { return 'not found'; }
}

const pkgVersion = (name) => {
  try { return require(path.join(ROOT, 'node_modules', name, 'package.json')).version; } catch { return 'not installed'; }
};

const sameBytes = (a, b) => fs.existsSync(b) && fs.statSync(b).size === a.length && fs.readFileSync(b).equals(a);

/** The addon is a copy of cargo's output: which profile's output it equals tells the build. */
function addonProfile(buf) {
  // Cargo's outputs live in the tree even when measuring a snapshot.
  const lib = { linux: 'liblua_persistent_node.so', darwin: 'liblua_persistent_node.dylib', win32: 'lua_persistent_node.dll' }[process.platform];
  if (sameBytes(buf, path.join(ROOT, 'target', 'release', lib))) return 'release';
  if (sameBytes(buf, path.join(ROOT, 'target', 'debug', lib))) return 'dev';
  return 'unknown';
}

// Dev wasm keeps its DWARF sections (wasm-bindgen --keep-debug); release strips them.
const wasmProfile = (buf) => (buf.includes('.debug_info') ? 'dev' : 'release');

function build(file, profileOf) {
  if (!fs.existsSync(file)) return { file, missing: true };
  const buf = fs.readFileSync(file);
  const st = fs.statSync(file);
  return { file, bytes: st.size, modified: st.mtime.toISOString(), profile: profileOf(buf) };
}

/** The builds in package directory `root` (default: the one being measured). */
function builds(root = packageRoot()) {
  const addon = fs.readdirSync(root).find((f) => /^lua-persistent\..*\.node$/.test(f));
  return {
    native: addon ? build(path.join(root, addon), addonProfile) : { missing: true },
    wasm: build(path.join(root, 'dist', 'wasm-web', 'lua_persistent_bg.wasm'), wasmProfile),
    wasmWeb: build(path.join(root, 'dist', 'wasm-web', 'lua_persistent_bg.wasm'), wasmProfile),
  };
}

/** HEAD of the tree, and how many files differ from it (other engineers' work in progress). */
function treeCommit() {
  const head = version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  let dirty = '';
  try {
    const n = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
    if (n) dirty = ` (+${n} uncommitted)`;
  } catch { /* not a git checkout */ }
  return `${head}${dirty}`;
}

/** For a snapshot, the commit it was taken from; else the tree's. */
function measuredCommit() {
  const file = path.join(packageRoot(), 'bench-snapshot.json');
  if (!fs.existsSync(file)) return treeCommit();
  const s = JSON.parse(fs.readFileSync(file, 'utf8'));
  return `${s.commit}, snapshot taken ${s.taken}`;
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus.length ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    lua54: version('lua5.4', ['-v']),
    wasmoon: pkgVersion('wasmoon'),
    fengari: pkgVersion('fengari'),
    commit: measuredCommit(),
    package: packageRoot(),
    builds: builds(),
  };
}

module.exports = { machineInfo, builds, treeCommit };
