#!/usr/bin/env node
'use strict';
// One pure-Lua workload on each backend and on the reference interpreter (Debian's
// lua5.4), in one run: medians of 5, and ratios to lua5.4. Build release first:
// `npm run build:release && node bench/pure.js`
const { execFileSync } = require('child_process');
const { createLua } = require('..');

const WORKLOAD = `
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local t = {}
for i = 1, 200000 do t[i] = (i * 7919) % 1000003 end
table.sort(t)
local parts = {}
for i = 1, 20000 do parts[#parts + 1] = ("%d:%x"):format(i, t[i]) end
local s = table.concat(parts, ",")
local count = 0
for w in s:gmatch("%d+:") do count = count + 1 end
return fib(27) + count + #s
`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeLua54() {
  const code = `local t0 = os.clock() local r = (function() ${WORKLOAD} end)() io.write(string.format("%.6f %d", os.clock() - t0, r))`;
  const out = execFileSync('lua5.4', ['-e', code], { encoding: 'utf8' }).split(' ');
  return { ms: Number(out[0]) * 1000, result: Number(out[1]) };
}

async function main() {
  const rows = {};
  const results = {};
  for (const backend of ['native', 'wasm']) {
    const lua = await createLua({ backend, timeout: 0 });
    const fn = lua.eval(`return function() ${WORKLOAD} end`);
    fn();
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      results[backend] = fn();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    rows[backend] = median(times);
    lua.close();
  }
  const ref = [];
  for (let i = 0; i < 5; i++) {
    const r = timeLua54();
    ref.push(r.ms);
    results.lua54 = r.result;
  }
  rows['lua5.4'] = median(ref);
  const agree = new Set(Object.values(results)).size === 1;
  console.log(`checksums ${agree ? 'agree' : 'DIFFER'}: ${JSON.stringify(results)}`);
  for (const [name, ms] of Object.entries(rows)) {
    console.log(`${name.padEnd(8)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / rows['lua5.4']).toFixed(2)}x lua5.4`);
  }
}
main();
