#!/usr/bin/env node
'use strict';
// What one wasm module instance per VM costs (docs/security.md "Containment"): createLua
// time and memory per live VM, against the shared-instance model measured in the same
// run. Both go through the same code (lib/backends.js `wasmBackend`); the baseline's
// `instantiate` hands every VM the same instance, as the loaders did before.
//
//   node bench/containment.js [VMS]      (default 200; uses dist/wasm-node as built)
//   node bench/containment.js --grow [VMS] [MB]   (default 100 VMs of 50 MB, one after
//                                         another: RSS once they are all closed)
//
// Each model runs in its own child process (node --expose-gc), so RSS is its own. Each
// of 5 rounds creates VMS VMs (each runs one small eval and keeps a 1 KB global), reads
// RSS, the JS heap and the wasm linear memory after a GC, and closes them; the medians
// of the rounds are reported.
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
/** Rounds per model (create `count` VMs, measure, close them); medians are reported. */
const ROUNDS = 5;

async function child(model, count) {
  const { makeCreateLua, wasmBackend } = require(path.join(ROOT, 'lib', 'api'));
  const glue = require(path.join(ROOT, 'dist', 'wasm-node', 'lua_persistent.js'));
  const module = glue.compile();
  let shared = null;
  const instantiate = model === 'shared' ? () => (shared = shared || glue.instantiate(module)) : () => glue.instantiate(module);
  const backend = wasmBackend(instantiate);
  const createLua = makeCreateLua({ wasm: () => backend }, ['wasm'], null);
  const settle = async () => {
    global.gc();
    await new Promise((r) => setTimeout(r, 20));
    global.gc();
  };
  // Warm-up: the first VMs pay for lazy compilation of the code they run.
  for (let i = 0; i < 20; i++) (await createLua()).close();
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    await settle();
    const base = process.memoryUsage();
    const vms = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) vms.push(await createLua());
    const createNs = Number(process.hrtime.bigint() - t0);
    for (const [i, lua] of vms.entries()) lua.eval(`x = ("${i % 10}"):rep(1024) return #x`);
    await settle();
    const m = process.memoryUsage();
    const memories = new Set(vms.map((lua) => backend.memoryOf(lua._vm)));
    const wasm = [...memories].reduce((sum, mem) => sum + mem.buffer.byteLength, 0);
    const t1 = process.hrtime.bigint();
    for (const lua of vms) lua.close();
    const closeNs = Number(process.hrtime.bigint() - t1);
    rounds.push({
      createMs: createNs / 1e6 / count,
      closeMs: closeNs / 1e6 / count,
      rssPerVm: (m.rss - base.rss) / count,
      heapPerVm: (m.heapUsed - base.heapUsed) / count,
      wasmPerVm: wasm / count,
    });
  }
  const median = (key) => rounds.map((r) => r[key]).sort((x, y) => x - y)[Math.floor(rounds.length / 2)];
  return Object.fromEntries(Object.keys(rounds[0]).map((key) => [key, median(key)]));
}

/**
 * The issue 23 measure: `count` VMs created and closed one after another, each growing
 * its Lua heap to `mb` MB first (1 MiB strings kept in a table), with no forced GC in
 * between (what an application does); RSS after the last close, then after a full GC,
 * and the peak. With one instance per VM a closed VM's linear memory goes back when V8
 * collects its instance; with a shared instance it stays (wasm memory never shrinks).
 */
async function growChild(model, count, mb) {
  const { makeCreateLua, wasmBackend } = require(path.join(ROOT, 'lib', 'api'));
  const glue = require(path.join(ROOT, 'dist', 'wasm-node', 'lua_persistent.js'));
  const module = glue.compile();
  let shared = null;
  const instantiate = model === 'shared' ? () => (shared = shared || glue.instantiate(module)) : () => glue.instantiate(module);
  const backend = wasmBackend(instantiate);
  const createLua = makeCreateLua({ wasm: () => backend }, ['wasm'], null);
  const mib = (b) => b / 1048576;
  const before = process.memoryUsage().rss;
  let used = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const lua = await createLua({ memoryLimit: 0 });
    lua.eval(`local t = {} for i = 1, ${mb} do t[i] = string.rep(string.char(65 + i % 26), 1048576) end G = t`);
    used = Math.max(used, lua.memory().used);
    lua.close();
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = process.memoryUsage().rss;
  global.gc();
  await new Promise((r) => setTimeout(r, 50));
  global.gc();
  const afterGc = process.memoryUsage().rss;
  const peak = process.resourceUsage().maxRSS * 1024;
  return { before: mib(before), after: mib(after), afterGc: mib(afterGc), peak: mib(peak), heapMiB: mib(used), msPerVm: ms / count };
}

function runGrow(model, count, mb) {
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--grow-child', model, String(count), String(mb)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${model} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function mainGrow(count, mb) {
  console.log(`${count} wasm VMs one after another, each grown to ${mb} MB of Lua heap then closed; node ${process.version}`);
  console.log(`${'model'.padEnd(16)}${'RSS before'.padStart(12)}${'RSS after'.padStart(12)}${'after GC'.padStart(12)}${'peak RSS'.padStart(12)}${'ms per VM'.padStart(12)}`);
  for (const model of ['own', 'shared']) {
    const r = runGrow(model, count, mb);
    const f = (x) => `${x.toFixed(0)} MiB`.padStart(12);
    console.log(`${(model === 'own' ? 'own instance' : 'shared instance').padEnd(16)}${f(r.before)}${f(r.after)}${f(r.afterGc)}${f(r.peak)}${r.msPerVm.toFixed(1).padStart(12)}`);
  }
}

function run(model, count) {
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', model, String(count)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${model} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function main() {
  const count = Number(process.argv[2] || 200);
  const own = run('own', count);
  const shared = run('shared', count);
  const kb = (b) => `${(b / 1024).toFixed(0)} KiB`;
  const rows = [
    ['createLua', `${own.createMs.toFixed(2)} ms`, `${shared.createMs.toFixed(2)} ms`, own.createMs / shared.createMs],
    ['close', `${own.closeMs.toFixed(3)} ms`, `${shared.closeMs.toFixed(3)} ms`, own.closeMs / shared.closeMs],
    ['RSS per live VM', kb(own.rssPerVm), kb(shared.rssPerVm), own.rssPerVm / shared.rssPerVm],
    ['JS heap per live VM', kb(own.heapPerVm), kb(shared.heapPerVm), own.heapPerVm / shared.heapPerVm],
    ['wasm memory per live VM', kb(own.wasmPerVm), kb(shared.wasmPerVm), own.wasmPerVm / shared.wasmPerVm],
  ];
  console.log(`${count} live wasm VMs, node ${process.version}`);
  console.log(`${'measure'.padEnd(26)}${'own instance'.padStart(14)}${'shared'.padStart(12)}${'ratio'.padStart(8)}`);
  for (const [name, a, b, ratio] of rows) console.log(`${name.padEnd(26)}${a.padStart(14)}${b.padStart(12)}${ratio.toFixed(2).padStart(8)}`);
}

if (process.argv[2] === '--grow-child') {
  growChild(process.argv[3], Number(process.argv[4]), Number(process.argv[5])).then((r) => process.stdout.write(JSON.stringify(r)), (e) => {
    process.stderr.write(String((e && e.stack) || e));
    process.exit(1);
  });
} else if (process.argv[2] === '--grow') {
  mainGrow(Number(process.argv[3] || 100), Number(process.argv[4] || 50));
} else if (process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4])).then((r) => process.stdout.write(JSON.stringify(r)), (e) => {
    process.stderr.write(String((e && e.stack) || e));
    process.exit(1);
  });
} else {
  main();
}
