'use strict';
// Long runs leave and re-enter the VM loop on wasm (luap_reenter in crates/lua-sys,
// docs/design.md "Long runs on wasm"), so that V8's optimised code takes over a long
// first eval. reenter.lua runs loops, recursion, coroutines, metamethods, pcall and
// to-be-closed variables far past the 5000 ticks after which the VM leaves, and
// reenter-all.lua finalizers and hooks; their output must match lua5.4's (when
// installed) and be the same on every backend, with the tick handler set (a timeout)
// and without it. Limits must still stop every loop form.
const fs = require('fs');
const path = require('path');
const { forEachBackend } = require('./backends');
const { vms, thrown, luaReference } = require('./helpers');

const references = new Map(); // lua5.4's output per file, run once

/** Runs a file of this folder in `lua`, checks its output against lua5.4's when installed, returns its lines. */
function runLikeLua54(lua, file) {
  const r = lua.run(fs.readFileSync(path.join(__dirname, file), 'utf8'), { chunkName: file });
  expect(r.error).toBeUndefined();
  if (!references.has(file)) references.set(file, luaReference(file));
  const reference = references.get(file);
  if (reference !== null) expect(r.output).toBe(reference);
  return r.output.trimEnd().split('\n');
}

const LOOPS = {
  'while': 'while true do end',
  'numeric for': 'local s = 0 for i = 1, math.huge do s = s + i end',
  'goto': '::again:: goto again',
  'repeat': 'local n = 0 repeat n = n + 1 until n < 0',
  'recursion with a conditional': 'local function f(n) if n > 20 then return 0 end return f(n + 1) + f(n + 1) end while true do f(0) end',
  'a coroutine': 'coroutine.wrap(function() local i = 0 while true do i = i + 1 end end)()',
};

forEachBackend((backend) => {
  const make = vms(backend);

  test.each([
    ['a timeout set', { timeout: 60000 }],
    ['no limits', { timeout: 0, instructionLimit: 0, memoryLimit: 0 }],
  ])('reenter.lua prints what lua5.4 prints, with %s', async (_, opts) => {
    const lines = runLikeLua54(await make(opts), 'reenter.lua');
    // Spot checks that hold without the reference interpreter.
    expect(lines[0]).toBe('for,599997,800050000.5,66709,144000');
    expect(lines).toContain('recursion,46368,603');
    expect(lines).toContain('coroutine,200010000 800020000 1800030000 3200040000 5000050000 done/5000050000');
    expect(lines).toContain('close,10000 20000 30000 40000 50000 x');
    expect(lines[lines.length - 1]).toBe('tight,100000');
  });

  test('reenter-all.lua (finalizers, hooks set mid-loop, coroutine.close) prints what lua5.4 prints', async () => {
    const lines = runLikeLua54(await make({ stdlib: 'all' }), 'reenter-all.lua');
    expect(lines[0]).toBe('finalizers,3,300000 599997 899998,1250025000');
    expect(lines[lines.length - 1]).toBe('close,true,yes,dead');
  });

  test.each(Object.entries(LOOPS))('a timeout stops %s, and the VM keeps its state', async (_, loop) => {
    const lua = await make({ timeout: 100 });
    lua.eval('kept = 41');
    const e = thrown(() => lua.eval(loop));
    expect(e.kind).toBe('timeout');
    expect(lua.eval('kept = kept + 1 return kept')).toBe(42);
    expect(lua.eval('local s = 0 for i = 1, 100000 do s = s + i end return s')).toBe(5000050000);
  });

  test('an instruction limit still counts every instruction of a long loop', async () => {
    // With hooks on the VM does not leave: the count hook alone decides, as in lua5.4.
    const lua = await make({ instructionLimit: 100000 });
    const e = thrown(() => lua.eval('local n = 0 while true do n = n + 1 counted = n end'));
    expect(e.kind).toBe('instructions');
    // Three instructions an iteration (ADDI, which skips its MMBINI, SETTABUP, JMP).
    expect(lua.eval('return counted')).toBeGreaterThan(33300);
    expect(lua.eval('return counted')).toBeLessThanOrEqual(33334);
  });
});
