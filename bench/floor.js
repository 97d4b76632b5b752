#!/usr/bin/env node
'use strict';
// The floor under our wasm module: how much of its size and cold start is Lua itself and
// how much is the boundary around it (Rust core, mlua, wasm-bindgen, JS).
//
//   npm run build:release && node bench/floor.js [--package DIR] [--repeat N] [--breakdown] [--out DIR]
//   node bench/floor.js --smoke    (CI: proves it still works; the figures mean nothing)
//
// 1. Links bench/floor/floor.c with the Lua objects of the last release build
//    (crates/lua-sys's archive, the same hot/cold flag split) and wasi-libc: Lua 5.4
//    with nothing around it, wasm-opt'd with the release module's own passes.
// 2. Builds bench/floor/boundary twice, the smallest Rust + wasm-bindgen boundary around
//    the same Lua (create, eval, one scalar result): once on Lua's C API, once through
//    mlua as crates/core does, both with the release module's profile and wasm-opt passes.
// 3. Sizes (raw, gzip -9, as lib/sizes.js measures them) of the floor, the two
//    boundaries, our browser module and wasmoon's.
// 4. Cold start in fresh processes, from just before the engine is loaded to the result
//    of a first `return 1 + 1` (median of --repeat): ours and wasmoon's are the main
//    benchmark's start-up task (bench/child.js), the others' the same span by hand.
// 5. --breakdown: our module's code by origin (Lua C per file, libc, Rust per crate,
//    wasm-bindgen shims), from a copy wasm-opt'd with its function names kept.
//
// Prints Markdown; writes floor.md/floor.json next to the main report (bench/results).
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { TREE } = require('./lib/package-root');
const { fileSize, apps, bundle } = require('./lib/sizes');
const { median } = require('./lib/stats');
const { runChild, runProcess } = require('./lib/spawn');
const { wasmOpt, cargoWasm } = require(path.join(TREE, 'scripts', 'build-wasm'));

const LUA_DIR = path.join(TREE, 'crates', 'lua-sys', 'lua-5.4.8');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
// --smoke (CI): one sample, dev builds accepted, results to a temp dir; figures mean nothing.
const smoke = args.includes('--smoke');
const repeat = smoke ? 1 : Number(opt('--repeat', 9));
if (opt('--package')) process.env.LUA_BENCH_PACKAGE = path.resolve(opt('--package'));

const sh = (cmd, argv) => execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/**
 * crates/lua-sys's archive from the newest release build (cargo keeps one dir per hash);
 * in smoke mode the dev build's will do (same C flags, plus Lua's API checks).
 */
function luaArchive() {
  const profiles = smoke ? [true, false] : [true];
  const found = profiles.flatMap((release) => {
    const build = path.join(path.dirname(cargoWasm(release)), 'build');
    if (!fs.existsSync(build)) return [];
    return fs.readdirSync(build)
      .filter((d) => d.startsWith('lua-persistent-sys-'))
      .map((d) => path.join(build, d, 'out', 'liblua54wasm.a'))
      .filter((f) => fs.existsSync(f) && fs.existsSync(path.join(path.dirname(f), 'wasi-link.txt')));
  }).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!found.length) throw new Error('no release build of crates/lua-sys; run `npm run build:release` first');
  return found[0];
}

/**
 * The wasi-libc headers and libraries the archive was built against, as
 * crates/lua-sys/build.rs lists them beside it (first line: the include dir).
 */
function wasiLink(archive) {
  const [include, ...libs] = fs.readFileSync(path.join(path.dirname(archive), 'wasi-link.txt'), 'utf8').trim().split('\n');
  return { include, libs };
}

function buildFloor(tmp, archive) {
  const wasi = wasiLink(archive);
  const obj = path.join(tmp, 'floor.o');
  const linked = path.join(tmp, 'floor-linked.wasm');
  const out = path.join(tmp, 'floor.wasm');
  const resource = sh('clang-19', ['-print-resource-dir']).trim();
  sh('clang-19', ['--target=wasm32-wasi', '-nostdinc', '-I', LUA_DIR, '-isystem', path.join(resource, 'include'),
    '-isystem', wasi.include, '-Oz', '-c', path.join(__dirname, 'floor', 'floor.c'), '-o', obj]);
  sh('wasm-ld-19', ['--no-entry', '--gc-sections', '-o', linked, obj, archive, ...wasi.libs]);
  wasmOpt(linked, out);
  return out;
}

/**
 * bench/floor/boundary's module for Node, raw (Lua's C API) or through mlua; wasm-opt'd
 * like ours except in smoke mode (dev build, figures meaningless anyway).
 */
function buildBoundary(tmp, withMlua) {
  const profile = smoke ? 'dev' : 'wasm-release';
  execFileSync('cargo', ['build', '--target', 'wasm32-unknown-unknown', '-p', 'lua-floor-boundary', '--profile', profile,
    ...(withMlua ? ['--features', 'mlua'] : [])], { cwd: TREE, stdio: ['ignore', 'ignore', 'pipe'] });
  const out = path.join(tmp, withMlua ? 'mlua' : 'raw');
  const built = path.join(path.dirname(cargoWasm(!smoke)), 'lua_floor_boundary.wasm');
  // Node's glue for the cold start; a browser package (ES module glue) for the bundle.
  for (const [target, dir] of [['nodejs', out], ['web', path.join(out, 'web')]]) {
    execFileSync('wasm-bindgen', ['--target', target, '--out-dir', dir, '--out-name', 'boundary', built], { stdio: 'inherit' });
  }
  const wasm = path.join(out, 'boundary_bg.wasm');
  const web = path.join(out, 'web', 'boundary_bg.wasm');
  if (!smoke) wasmOpt(wasm, wasm);
  fs.copyFileSync(wasm, web); // the same module either way: wasm-bindgen's targets differ only in their glue
  fs.writeFileSync(path.join(out, 'web', 'package.json'), JSON.stringify({ name: 'boundary', type: 'module', main: 'boundary.js' }));
  const app = {
    pkg: 'boundary', dir: path.join(out, 'web'), wasm: web,
    code: "import init, { Vm } from 'boundary';\ninit().then(() => console.log(new Vm().eval('return 1 + 1')));\n",
  };
  return { glue: path.join(out, 'boundary.js'), wasm, app };
}

// ---- cold start, one fresh process per sample

/** The floor's start-up in a child: compile, instantiate, new state + libraries, eval. */
const floorChild = (wasm) => `
  const t0 = performance.now();
  const m = new WebAssembly.Module(require('fs').readFileSync(${JSON.stringify(wasm)}));
  const x = new WebAssembly.Instance(m, {}).exports;
  if (x.floor_new() !== 0) throw new Error('floor_new failed');
  new Uint8Array(x.memory.buffer).set(Buffer.from('return 1 + 1\\0'), x.floor_buffer());
  const r = x.floor_eval();
  console.log(JSON.stringify({ importCreateEvalMs: performance.now() - t0, checksum: String(r) }));`;

/** A boundary's start-up in a child: load its glue (compiles the module), new Vm, eval. */
const boundaryChild = (glue) => `
  const t0 = performance.now();
  const { Vm } = require(${JSON.stringify(glue)});
  const r = new Vm().eval('return 1 + 1');
  console.log(JSON.stringify({ importCreateEvalMs: performance.now() - t0, checksum: String(r) }));`;

/** Median ms to a first eval per engine, the engines taken in turn on each repeat. */
async function coldStart(floorWasm, boundaries) {
  const run = {
    floor: () => runProcess(process.execPath, ['-e', floorChild(floorWasm)]),
    raw: () => runProcess(process.execPath, ['-e', boundaryChild(boundaries.raw.glue)]),
    mlua: () => runProcess(process.execPath, ['-e', boundaryChild(boundaries.mlua.glue)]),
    ours: () => runChild('wasm', { kind: 'startup' }),
    wasmoon: () => runChild('wasmoon', { kind: 'startup' }),
  };
  const times = Object.fromEntries(Object.keys(run).map((k) => [k, []]));
  for (let i = 0; i < repeat; i++) {
    for (const [name, start] of Object.entries(run)) {
      const { importCreateEvalMs, checksum } = await start();
      if (checksum !== '2') throw new Error(`${name} returned ${checksum} for 1 + 1`);
      times[name].push(importCreateEvalMs);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

// ---- our module's code by origin

/** Function sizes by name, from wasm-objdump's listing of a module with a name section. */
function functionSizes(wasm) {
  const rows = [];
  for (const line of sh('wasm-objdump', ['-x', '-j', 'Code', wasm]).split('\n')) {
    const m = /^ - func\[\d+\] size=(\d+)(?: <(.*)>)?/.exec(line);
    if (m) rows.push({ size: Number(m[1]), name: m[2] || '' });
  }
  return rows;
}

/** Which Lua object file defines each C symbol. */
function luaSymbols(archive) {
  const owner = new Map();
  let file = null;
  for (const line of sh('llvm-nm-19', ['--defined-only', archive]).split('\n')) {
    const f = /^(.*\.o):$/.exec(line);
    if (f) { file = f[1]; continue; }
    const s = /^\S*\s+[A-Za-z]\s+(\S+)$/.exec(line);
    if (s && file) owner.set(s[1], file);
  }
  return owner;
}

const RUST_CRATES = ['lua_persistent_core', 'lua_persistent_wasm', 'mlua', 'wasm_bindgen', 'js_sys', 'postcard', 'serde', 'hashbrown', 'parking_lot', 'alloc', 'core', 'std'];

function origin(name, lua) {
  if (lua.has(name)) return `Lua C: ${lua.get(name)}`;
  if (/ shim| wrapper$/.test(name)) return 'wasm-bindgen export shims (Rust inlined)';
  if (name.includes('::') || name.startsWith('<') || /^_[RZ]/.test(name)) {
    const crate = RUST_CRATES.find((c) => new RegExp(`(^|[<\\s&*(])${c}(\\[[0-9a-f]+\\])?::`).test(name));
    return `Rust: ${crate || 'other'}`;
  }
  return 'libc and other C';
}

function breakdown(tmp, archive) {
  const named = path.join(tmp, 'named');
  execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', named, '--out-name', 'm', cargoWasm(true)], { stdio: 'inherit' });
  const wasm = path.join(named, 'm_bg.wasm');
  wasmOpt(wasm, wasm, true);
  const lua = luaSymbols(archive);
  const by = new Map();
  for (const { size, name } of functionSizes(wasm)) {
    const k = origin(name, lua);
    by.set(k, (by.get(k) || 0) + size);
  }
  const total = [...by.values()].reduce((a, b) => a + b, 0);
  const group = (k) => k.split(':')[0];
  const groups = new Map();
  for (const [k, v] of by) groups.set(group(k), (groups.get(group(k)) || 0) + v);
  return { total, groups: Object.fromEntries(groups), detail: Object.fromEntries([...by].sort((a, b) => b[1] - a[1])) };
}

// ---- report

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

const ROWS = [
  ['floor', 'Lua 5.4 + wasi-libc alone (our objects, no Rust)'],
  ['raw', 'smallest Rust boundary: Lua\'s C API + wasm-bindgen (bench/floor/boundary)'],
  ['mlua', 'smallest mlua boundary: the same through mlua (--features mlua)'],
  ['ours', 'lua-persistent (browser module)'],
  ['wasmoon', 'wasmoon 1.16'],
];

function report(r) {
  const lines = ['# The floor under the wasm module', '',
    `Release builds, ${new Date().toISOString().slice(0, 10)}; cold start: median of ${repeat} fresh processes, `
    + 'from just before the engine loads to the result of `return 1 + 1`.', '',
    '| Module | wasm raw | wasm gzip -9 | browser total (min JS + wasm, gzip -9) | cold start to first eval |',
    '| --- | --- | --- | --- | --- |'];
  for (const [name, label] of ROWS) {
    const total = r.browser[name] ? kb(r.browser[name]) : '-';
    lines.push(`| ${label} | ${kb(r.sizes[name].raw)} | ${kb(r.sizes[name].gzip)} | ${total} | ${r.cold[name].toFixed(1)} ms |`);
  }
  const over = (a, b) => `${kb(r.sizes[a].gzip - r.sizes[b].gzip)} gzip and ${(r.cold[a] - r.cold[b]).toFixed(1)} ms`;
  lines.push('', 'Over the row before: the Rust toolchain and wasm-bindgen (smallest boundary on the C API) '
    + `${over('raw', 'floor')}; mlua ${over('mlua', 'raw')}; our features (core, limits, ext tables, snapshots, `
    + `conversions) ${over('ours', 'mlua')}.`);
  if (r.breakdown) {
    lines.push('', `Our module's code by origin (${kb(r.breakdown.total)} of function bodies):`, '', '| Origin | Code |', '| --- | --- |');
    const rows = Object.entries(r.breakdown.groups).filter(([k]) => k !== 'Rust');
    rows.push(...Object.entries(r.breakdown.detail).filter(([k]) => k.startsWith('Rust: ')));
    for (const [k, v] of rows.sort((a, b) => b[1] - a[1])) lines.push(`| ${k} | ${kb(v)} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-floor-'));
  try {
    const archive = luaArchive();
    const floorWasm = buildFloor(tmp, archive);
    const boundaries = { raw: buildBoundary(tmp, false), mlua: buildBoundary(tmp, true) };
    const { ours, wasmoon } = apps();
    const sizes = { floor: fileSize(floorWasm), raw: fileSize(boundaries.raw.wasm), mlua: fileSize(boundaries.mlua.wasm),
      ours: fileSize(ours.wasm), wasmoon: fileSize(wasmoon.wasm) };
    // What a browser app downloads with each (the floor has no JS API to bundle).
    const browser = {};
    for (const [name, app] of [['raw', boundaries.raw.app], ['mlua', boundaries.mlua.app], ['ours', ours], ['wasmoon', wasmoon]]) {
      browser[name] = (await bundle(name, app, tmp)).totalGzip;
    }
    const cold = await coldStart(floorWasm, boundaries);
    const r = { sizes, browser, cold, breakdown: args.includes('--breakdown') ? breakdown(tmp, archive) : null };
    const md = report(r);
    const outDir = opt('--out', smoke ? path.join(tmp, 'results') : path.join(__dirname, 'results'));
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'floor.md'), md);
    fs.writeFileSync(path.join(outDir, 'floor.json'), `${JSON.stringify(r, null, 2)}\n`);
    process.stdout.write(md);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
