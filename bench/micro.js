#!/usr/bin/env node
'use strict';
// Quick host-boundary figures for one backend: µs per tiny eval, per ext set/get from
// Lua, per JS function call from Lua, with a pure-Lua loop as the in-run reference.
// `node bench/micro.js [native|wasm]` (build with `npm run build:release` first).
const { createLua } = require('..');

function time(fn, reps) {
  const samples = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / reps);
  }
  samples.sort((a, b) => a - b);
  return samples[2];
}

async function main() {
  const backend = process.argv[2] || 'native';
  const lua = await createLua({ backend, timeout: 0 });
  const N = 100000;
  const rows = [];
  rows.push(['tiny eval (return 1)', time(() => { for (let i = 0; i < N; i++) lua.eval('return 1'); }, N)]);
  lua.eval('t = ext.table("bench")');
  rows.push(['ext set from Lua', time(() => lua.eval(`for i = 1, ${N} do t[i] = i end`), N)]);
  rows.push(['ext get from Lua', time(() => lua.eval(`local s = 0 for i = 1, ${N} do s = s + t[i] end return s`), N)]);
  lua.setGlobal('jsf', (x) => x);
  rows.push(['JS function call from Lua', time(() => lua.eval(`for i = 1, ${N} do jsf(i) end`), N)]);
  rows.push(['plain Lua table set (reference)', time(() => lua.eval(`local u = {} for i = 1, ${N} do u[i] = i end`), N)]);
  console.log(`backend: ${lua.backend}`);
  for (const [name, us] of rows) console.log(`${name.padEnd(34)} ${us.toFixed(3)} µs/op`);
  lua.close();
}
main();
