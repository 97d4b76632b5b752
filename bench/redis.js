#!/usr/bin/env node
'use strict';
// Redis storage figures (issue 19; docs/benchmarks.md "Redis"), one run against a real
// redis-server started here: single-key calls per second with 1, 2 and 4 processes on
// one Redis, next to a directory store in 1 process; the contended counter's conflicts
// and retries; the latency a shared store adds per call over the memory store.
//
//   node bench/redis.js [--quick] [--backend native|wasm]
// Build release first (npm run build:release) for figures worth comparing.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { createLua } = require('..');
const { redisStorage } = require('../lib/redis');
const { startRedis } = require('../__tests__/redis-server');

const quick = process.argv.includes('--quick');
const at = process.argv.indexOf('--backend');
const backend = at > 0 ? process.argv[at + 1] : 'native';
const CALLS = quick ? 300 : 3000;
const COUNTER = path.join(__dirname, '..', '__tests__', 'fixtures', 'redis-counter.js');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function counter(url, prefix, calls, mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COUNTER, url, prefix, backend, String(calls), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`counter exited ${code}`))));
  });
}

/** Calls per second of `procs` processes, each making CALLS calls (the slowest's time). */
async function throughput(url, procs, mode) {
  const prefix = `bench${procs}${mode}${Date.now()}`;
  const runs = await Promise.all(Array.from({ length: procs }, () => counter(url, prefix, CALLS, mode)));
  const ms = Math.max(...runs.map((r) => r.ms));
  const sum = (k) => runs.reduce((s, r) => s + r[k], 0);
  return { perSecond: (procs * CALLS * 1000) / ms, commits: sum('commits'), conflicts: sum('conflicts') };
}

/** Median ms per call of `code` in one VM. */
async function perCall(lua, code, n) {
  const times = [];
  for (let round = 0; round < 5; round++) {
    const t0 = now();
    for (let i = 0; i < n; i++) await lua.evalAsync(code);
    times.push((now() - t0) / n);
  }
  return median(times);
}

(async () => {
  const server = await startRedis();
  const code = "local t = ext.table('c'); t.n = (t.n or 0) + 1";
  try {
    const rows = [];
    for (const procs of [1, 2, 4]) rows.push([`Redis, ${procs} process${procs > 1 ? 'es' : ''}, own keys`, await throughput(server.url, procs, 'own')]);
    const contended = await throughput(server.url, 4, 'shared');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'luap-redis-bench-'));
    const file = await createLua({ backend, storage: dir });
    const memory = await createLua({ backend });
    const shared = await createLua({ backend, storage: redisStorage({ url: server.url, prefix: `lat${Date.now()}` }) });
    const n = quick ? 200 : 1000;
    const fileMs = await perCall(file, code, n);
    const memoryMs = await perCall(memory, code, n);
    const redisMs = await perCall(shared, code, n);
    const readMs = await perCall(shared, "return ext.table('c').n", n);
    await Promise.all([file.close(), memory.close(), shared.close()]);
    fs.rmSync(dir, { recursive: true, force: true });

    console.log(`# Redis storage, ${backend} backend, ${CALLS} calls per process (${os.cpus().length} cores)`);
    console.log('| setup | calls/s |');
    console.log('|---|---|');
    console.log(`| directory store, 1 process (evalAsync) | ${Math.round(1000 / fileMs)} |`);
    for (const [name, r] of rows) console.log(`| ${name} | ${Math.round(r.perSecond)} |`);
    console.log(`| Redis, 4 processes, one contended counter | ${Math.round(contended.perSecond)} |`);
    console.log('');
    console.log(`contended counter: ${contended.commits} commits, ${contended.conflicts} conflicts (re-runs), ` +
      `conflict rate ${(contended.conflicts / (contended.commits + contended.conflicts)).toFixed(2)} per attempt, ` +
      `${(contended.conflicts / contended.commits).toFixed(2)} retries per call`);
    console.log(`per call: memory ${memoryMs.toFixed(3)} ms, directory ${fileMs.toFixed(3)} ms, Redis ${redisMs.toFixed(3)} ms ` +
      `(adds ${(redisMs - memoryMs).toFixed(3)} ms: two round trips), Redis read-only ${readMs.toFixed(3)} ms (one round trip)`);
  } finally {
    await server.remove();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
