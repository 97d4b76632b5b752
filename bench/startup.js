#!/usr/bin/env node
'use strict';
// Cold start to first eval in a fresh process (require + createLua + eval), per backend,
// median of 7 processes; and a second VM in the warm process.
// `node bench/startup.js` (release builds: `npm run build:release`).
const { execFileSync } = require('child_process');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const CHILD = `
const t0 = process.hrtime.bigint();
const { createLua } = require(${JSON.stringify(ROOT)});
createLua({ backend: process.argv[1] }).then(async (lua) => {
  lua.eval('return 1');
  const t1 = process.hrtime.bigint();
  const second = await createLua({ backend: process.argv[1] });
  second.eval('return 1');
  const t2 = process.hrtime.bigint();
  console.log(Number(t1 - t0) / 1e6, Number(t2 - t1) / 1e6);
});`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const backend of ['native', 'wasm']) {
  const cold = [];
  const warm = [];
  for (let i = 0; i < 7; i++) {
    const [c, w] = execFileSync(process.execPath, ['-e', CHILD, backend], { encoding: 'utf8' }).trim().split(' ').map(Number);
    cold.push(c);
    warm.push(w);
  }
  console.log(`${backend.padEnd(7)} cold start to first eval ${median(cold).toFixed(1)} ms, second VM ${median(warm).toFixed(2)} ms`);
}
