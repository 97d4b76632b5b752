#!/usr/bin/env node
'use strict';
// One measurement in a fresh process: `node bench/child.js ENGINE TASK_JSON`, printing
// one JSON line. Spawned by bench/run.js (via lib/spawn.js), never used directly.
const fs = require('fs');
const { now, since } = require('./lib/clock');
const { checksumText } = require('./lib/checksum');
const { ENGINES } = require('./engines');

/**
 * Runs `fn` k times untimed, then k times timed; µs per call on both clocks, and the last
 * result. The warm-up is as long as the timed part so that V8 has tiered up (TurboFan
 * compiles hot wasm and JS functions on helper threads, which the CPU clock counts): with
 * a tenth of k, our wasm tiny eval measured 2.5 µs CPU / 1.8 µs wall, still compiling;
 * with k, 1.2 µs on both (wasmoon ~4 µs either way).
 */
function timeLoop(k, fn) {
  let last;
  for (let i = 0; i < k; i++) last = fn();
  const t0 = now();
  for (let i = 0; i < k; i++) last = fn();
  const t = since(t0);
  return { wallUs: (t.wallMs * 1000) / k, cpuUs: (t.cpuMs * 1000) / k, last };
}

const sum = (arr) => arr.reduce((a, x) => a + x, 0);

const TASKS = {
  async workload(vm, { file, n, warmup, ext }) {
    if (ext) vm.installExt();
    const code = fs.readFileSync(file, 'utf8');
    for (let i = 0; i < warmup; i++) {
      vm.setGlobal('N', n);
      vm.run(code);
      vm.gc();
    }
    vm.setGlobal('N', n);
    const t0 = now();
    const result = vm.run(code);
    return { ...since(t0), checksum: checksumText(result) };
  },
  async tiny(vm, { k }) {
    let total = 0;
    const r = timeLoop(k, () => { total += vm.run('return 1'); });
    // Every call returned 1: the total counts warm-up and timed calls alike.
    return { wallUs: r.wallUs, cpuUs: r.cpuUs, checksum: checksumText(total) };
  },
  async convertOut(vm, { n, k }) {
    vm.run(`T = {} for i = 1, ${n} do T[i] = i end`);
    const r = timeLoop(k, () => vm.getArray('T'));
    return { wallUs: r.wallUs, cpuUs: r.cpuUs, checksum: checksumText(sum(r.last)) };
  },
  async convertIn(vm, { n, k }) {
    vm.run('function sumA(a) local s = 0 for i = 1, #a do s = s + a[i] end return s end');
    const arr = Array.from({ length: n }, (_, i) => i + 1);
    const r = timeLoop(k, () => vm.callWithArray('sumA', arr));
    return { wallUs: r.wallUs, cpuUs: r.cpuUs, checksum: checksumText(r.last) };
  },
  async memory(vm) {
    vm.gc();
    return vm.memory();
  },
};

/** Milliseconds on a monotonic clock that loads nothing: in Node, the first use of
 * `performance` loads perf_hooks (~0.7 ms), which an engine using it would otherwise
 * find already paid for by the harness. */
function coldClock() {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/** Cold start. "import + create + first eval" starts just before the adapter requires the
 * engine: the harness's own modules (and Node's first-require set-up they pay for) are
 * not the engine's start-up. */
async function startup(adapter, task) {
  const t0 = coldClock();
  const vm = await adapter.open(task);
  const result = vm.run('return 1 + 1');
  const t1 = coldClock();
  const sinceProcessStartMs = process.uptime() * 1e3;
  const second = await adapter.open(task);
  second.run('return 1 + 1');
  const t2 = coldClock();
  await second.close();
  return { vm, out: { sinceProcessStartMs, importCreateEvalMs: t1 - t0, secondVmMs: t2 - t1, checksum: checksumText(result) } };
}

async function main() {
  const [engine, json] = process.argv.slice(2);
  const spec = ENGINES[engine];
  if (!spec || !spec.adapter) throw new Error(`child.js: unknown JS engine '${engine}'`);
  const task = JSON.parse(json);
  const adapter = spec.adapter();
  let vm;
  let out;
  if (task.kind === 'startup') ({ vm, out } = await startup(adapter, task));
  else {
    if (!TASKS[task.kind]) throw new Error(`child.js: unknown task '${task.kind}'`);
    vm = await adapter.open(task);
    out = await TASKS[task.kind](vm, task);
  }
  await vm.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
