#!/usr/bin/env node
'use strict';
// Builds dispatch.c for wasm32 in its two shapes (jump table, tail calls) with clang-19
// and times both in this Node, alternately, each the best of 5 calls:
//
//   node bench/models/dispatch.js [ROUNDS]
//
// prog1: for i = 1, 2e7 do if i % 3 == 0 then s = s + 1 else s = s + 2 end end
// prog2: while i < N * 20000 do i = i + 1; w = (w + i) % 1000003 end   (N = 1000)
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { now, since } = require('../lib/clock');

const ROUNDS = Number(process.argv[2] || 2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-dispatch-'));
const build = (name, flags) => {
  const out = path.join(dir, `${name}.wasm`);
  execFileSync('clang-19', ['--target=wasm32', '-O3', '-fno-unroll-loops', '-nostdlib', ...flags, '-Wl,--no-entry',
    '-Wl,--export=prog1', '-Wl,--export=prog2', '-o', out, path.join(__dirname, 'dispatch.c')]);
  return new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(out)), {}).exports;
};
const shapes = { 'jump table': build('table', []), 'tail calls': build('tail', ['-DTAIL', '-mtail-call']) };
fs.rmSync(dir, { recursive: true, force: true });

const best = (f, n) => {
  let ms = Infinity, r;
  for (let k = 0; k < 5; k++) {
    const t = now();
    r = f(n);
    ms = Math.min(ms, since(t).wallMs);
  }
  return { ms, r };
};
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, m] of Object.entries(shapes)) {
    for (const [prog, n] of [['prog1', 20000000n], ['prog2', 1000n]]) {
      const { ms, r } = best(m[prog], n);
      const key = `${prog} ${name}`;
      (results[key] = results[key] || []).push(ms);
      if (results[`${prog} result`] === undefined) results[`${prog} result`] = r;
      else if (results[`${prog} result`] !== r) throw new Error(`${name} disagrees on ${prog}: ${r}`);
    }
  }
}
for (const [k, v] of Object.entries(results)) {
  if (Array.isArray(v)) console.log(`${k.padEnd(20)} ${v.map((x) => x.toFixed(0)).join(' ')} ms`);
}
