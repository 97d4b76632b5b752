#!/usr/bin/env node
'use strict';
// What one wasm module instance per VM costs (docs/security.md "Containment"): createLua
// time and memory per live VM, against the shared-instance model measured in the same
// run. Both go through the same code (lib/backends.js `wasmBackend`); the baseline's
// `instantiate` hands every VM the same instance, as the loaders did before.
//
//   node bench/containment.js [VMS]      (default 200; uses dist/wasm-node as built)
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

if (process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4])).then((r) => process.stdout.write(JSON.stringify(r)), (e) => {
    process.stderr.write(String((e && e.stack) || e));
    process.exit(1);
  });
} else {
  main();
}
