#!/usr/bin/env node
'use strict';
// Host interop per call (issue 20; docs/benchmarks.md "Interop"), ours next to wasmoon
// in one run: an awaited JS function called from Lua (ours: evalAsync, no :await();
// wasmoon: doString with :await()), a method call on a live object (ours: ref(obj);
// wasmoon: its proxies) and a property read on one. Median of 7 runs each, ns per call.
//
//   node bench/interop.js          (build release first: npm run build:release)
const { createLua, ref } = require('..');

const AWAITS = 20000;
const CALLS = 200000;

function median(xs) {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

async function timed(runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0));
  }
  return median(times);
}

class Counter {
  constructor() {
    this.n = 0;
  }
  inc() {
    this.n += 1;
    return this.n;
  }
}

async function ours(backend) {
  const lua = await createLua({ backend, timeout: 0 });
  lua.setGlobal('get', (i) => Promise.resolve(i));
  lua.setGlobal('o', ref(new Counter()));
  return {
    await: (await timed(7, () => lua.evalAsync(`local s = 0 for i = 1, ${AWAITS} do s = s + get(i) end return s`))) / AWAITS,
    method: (await timed(7, () => lua.eval(`for i = 1, ${CALLS} do o:inc() end`))) / CALLS,
    property: (await timed(7, () => lua.eval(`local s = 0 for i = 1, ${CALLS} do s = s + o.n end return s`))) / CALLS,
    close: () => lua.close(),
  };
}

async function wasmoon() {
  const { LuaFactory } = require('wasmoon');
  const lua = await new LuaFactory().createEngine({ enableProxy: true, injectObjects: true });
  lua.global.set('get', (i) => Promise.resolve(i));
  lua.global.set('o', new Counter());
  return {
    await: (await timed(7, () => lua.doString(`local s = 0 for i = 1, ${AWAITS} do s = s + get(i):await() end return s`))) / AWAITS,
    method: (await timed(7, () => lua.doStringSync(`for i = 1, ${CALLS} do o:inc() end`))) / CALLS,
    property: (await timed(7, () => lua.doStringSync(`local s = 0 for i = 1, ${CALLS} do s = s + o.n end return s`))) / CALLS,
    close: () => lua.global.close(),
  };
}

async function main() {
  const rows = { native: await ours('native'), wasm: await ours('wasm'), wasmoon: await wasmoon() };
  const lines = ['ns per call, medians of 7 runs, one process:', '', '| measure | native | wasm | wasmoon | wasm / wasmoon |', '|---|---|---|---|---|'];
  for (const [key, label] of [['await', 'awaited JS function (Promise)'], ['method', 'method call on a live object'], ['property', 'property read on a live object']]) {
    const r = (v) => Math.round(v);
    lines.push(`| ${label} | ${r(rows.native[key])} | ${r(rows.wasm[key])} | ${r(rows.wasmoon[key])} | ${(rows.wasm[key] / rows.wasmoon[key]).toFixed(2)} |`);
  }
  console.log(lines.join('\n'));
  for (const r of Object.values(rows)) await r.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
