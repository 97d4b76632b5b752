'use strict';
// The engines a run can compare. `lua54` is Debian's reference interpreter, driven by
// bench/lua54-driver.lua; the others run in bench/child.js through an adapter with
// open() -> { run, setGlobal, installExt, getArray, callWithArray, gc, memory, close }.
// Adapters require their engine inside open(), so start-up timings include the import.
// `slow`: 20-50× slower than lua5.4, so its pure-Lua runs (seconds each) are repeated
// only --slow-repeat times and get no warm-up run (its JIT warms up within the run).
const ENGINES = {
  lua54: { label: 'lua5.4', process: 'lua' },
  native: { label: 'native', process: 'node', adapter: () => require('./ours').native },
  wasm: { label: 'wasm', process: 'node', adapter: () => require('./ours').wasm },
  wasmoon: { label: 'wasmoon', process: 'node', adapter: () => require('./wasmoon') },
  fengari: { label: 'fengari', process: 'node', slow: true, adapter: () => require('./fengari') },
};

const ALL = Object.keys(ENGINES);

module.exports = { ENGINES, ALL };
