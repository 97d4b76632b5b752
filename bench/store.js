#!/usr/bin/env node
'use strict';
// The store engine's figures (issue 18; docs/benchmarks.md "Store"): what an autosaved
// call costs as the store grows, per durability mode, next to the whole-snapshot path;
// the undo of a failed call; loading a long change log. Everything in one run, both
// backends, real directory stores in a temp dir. Medians of repeated measurements.
//
//   node bench/store.js            full run (build release first: npm run build:release)
//   node bench/store.js --quick    smaller sizes, for a smoke check
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createLua } = require('..');
const { fileStorage } = require('../lib/file-storage');

const quick = process.argv.includes('--quick');
const BIG = quick ? 10000 : 100000;
const EVALS = quick ? 200 : 1000;
const SNAPSHOT_PATH_EVALS = quick ? 10 : 20;
const ROLLBACK_KEYS = 10000;
const LOG_RECORDS = quick ? 10000 : 100000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'luap-store-bench-'));
let dirs = 0;
const newDir = () => path.join(tmp, `s${dirs++}`);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

/** The whole-snapshot path: the directory store without its log (only load/save). */
function snapshotOnly(dir) {
  const s = fileStorage(dir);
  return { open: s.open, load: async () => { const d = await s.load(); return d && !(d instanceof Uint8Array) ? d.snapshot : d; }, save: s.save, close: s.close };
}

async function filled(backend, storage, entries, durability) {
  const lua = await createLua({ backend, storage, durability });
  if (entries) lua.eval(`local t = ext.table('big') for i = 1, ${entries} do t['k' .. i] = i end`);
  await lua.save();
  return lua;
}

/** ms per autosaved one-key eval (each appends its record before it returns), median
 * of `rounds` batches of `n`; a compaction that comes due runs between batches. */
async function perEval(lua, n, rounds = 5) {
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < n; i++) lua.eval('local t = ext.table(\'c\') t.n = (t.n or 0) + 1');
    times.push((now() - t0) / n);
    await new Promise(setImmediate);
  }
  return median(times);
}

async function growth(backend) {
  const out = {};
  for (const [label, entries] of [['empty', 0], [`${BIG} entries`, BIG]]) {
    const lua = await filled(backend, newDir(), entries);
    out[label] = await perEval(lua, EVALS / 5);
    await lua.close();
  }
  return out;
}

async function modes(backend) {
  const out = {};
  for (const durability of ['os', 'fsync']) {
    const lua = await filled(backend, newDir(), BIG, durability);
    const t0 = now();
    for (let i = 0; i < EVALS; i++) lua.eval('local t = ext.table(\'c\') t.n = (t.n or 0) + 1');
    out[`log, ${durability}`] = (now() - t0) / EVALS;
    await lua.close();
  }
  const lua = await filled(backend, snapshotOnly(newDir()), BIG);
  const t0 = now();
  for (let i = 0; i < SNAPSHOT_PATH_EVALS; i++) {
    lua.eval('local t = ext.table(\'c\') t.n = (t.n or 0) + 1');
    await lua.save();
  }
  out['whole snapshot (old path)'] = (now() - t0) / SNAPSHOT_PATH_EVALS;
  await lua.close();
  return out;
}

async function rollback(backend) {
  const lua = await createLua({ backend });
  lua.eval(`local t = ext.table('r') for i = 1, ${ROLLBACK_KEYS} do t[i] = 0 end`);
  const code = (fail) => `local t = ext.table('r') for i = 1, ${ROLLBACK_KEYS} do t[i] = i end ${fail ? "error('x')" : ''}`;
  const ok = [];
  const failed = [];
  for (let r = 0; r < 9; r++) {
    let t0 = now();
    lua.eval(code(false));
    ok.push(now() - t0);
    lua.eval(`local t = ext.table('r') for i = 1, ${ROLLBACK_KEYS} do t[i] = 0 end`);
    t0 = now();
    try {
      lua.eval(code(true));
    } catch {
      // expected: the undo is what is timed
    }
    failed.push(now() - t0);
    if (lua.ext.get('r').get(5) !== 0) throw new Error('rollback did not undo');
  }
  await lua.close();
  return { 'call that writes 10,000 keys': median(ok), 'same call failing (writes + undo)': median(failed), 'undo alone': median(failed) - median(ok) };
}

async function loading(backend) {
  const dir = newDir();
  let lua = await createLua({ backend, storage: dir });
  // One record per eval: a log of LOG_RECORDS records over a small snapshot. The
  // compaction threshold would fold it early, so the records are written by appends
  // made through a store whose snapshot is large enough to keep the log.
  lua.eval(`local t = ext.table('pad') t.blob = string.rep('x', ${LOG_RECORDS * 40})`);
  await lua.save();
  for (let i = 0; i < LOG_RECORDS; i++) lua.eval(`ext.table('k')[${i}] = ${i}`);
  // close() would fold the log into the snapshot: open a copy of the files as they are.
  const copy = newDir();
  fs.mkdirSync(copy);
  for (const f of ['ext.luap', 'ext.luap.log']) fs.copyFileSync(path.join(dir, f), path.join(copy, f));
  await lua.close();
  return { dir: copy, ...(await openTimes(backend, copy)) };
}

async function openTimes(backend, dir) {
  const logFile = path.join(dir, 'ext.luap.log');
  const logBytes = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  const timeOpen = async () => {
    const times = [];
    for (let r = 0; r < 5; r++) {
      const t0 = now();
      const l = await createLua({ backend, storage: dir, autosave: false });
      if (l.eval("return ext.table('k')[0]") !== 0) throw new Error('the log was not loaded');
      times.push(now() - t0);
      await l.close();
    }
    return median(times);
  };
  const withLog = await timeOpen();
  const lua = await createLua({ backend, storage: dir });
  await lua.save();
  await lua.close();
  const compacted = await timeOpen();
  return { [`open with a ${LOG_RECORDS}-record log (${(logBytes / 1e6).toFixed(1)} MB)`]: withLog, 'open, same data compacted': compacted };
}

const strip = ({ dir, ...rest }) => rest;

async function main() {
  const results = {};
  for (const backend of ['native', 'wasm']) {
    process.stderr.write(`${backend}...\n`);
    results[backend] = {
      growth: await growth(backend),
      modes: await modes(backend),
      rollback: await rollback(backend),
      loading: strip(await loading(backend)),
    };
  }
  const lines = [];
  lines.push(`Store figures (${quick ? 'quick' : 'full'} run, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores): ms, medians.`, '');
  lines.push('| measure | native | wasm |', '|---|---|---|');
  const row = (name, get) => lines.push(`| ${name} | ${fmt(get(results.native))} | ${fmt(get(results.wasm))} |`);
  for (const k of Object.keys(results.native.growth)) row(`autosaved one-key eval, store ${k}`, (r) => r.growth[k]);
  const [empty, big] = Object.keys(results.native.growth);
  lines.push(`| ratio ${big} / empty (target <= 1.2) | ${(results.native.growth[big] / results.native.growth[empty]).toFixed(2)} | ${(results.wasm.growth[big] / results.wasm.growth[empty]).toFixed(2)} |`);
  for (const k of Object.keys(results.native.modes)) row(`per eval in a row, ${BIG} entries: ${k}`, (r) => r.modes[k]);
  for (const k of Object.keys(results.native.rollback)) row(k, (r) => r.rollback[k]);
  for (const k of Object.keys(results.native.loading)) row(k, (r) => r.loading[k]);
  console.log(lines.join('\n'));
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
});
