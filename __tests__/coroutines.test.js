'use strict';
// Coroutines. A yield from Lua code returns to lua_resume instead of long-jumping there
// (luap_fastyield in crates/lua-sys/lua-5.4.8, the wasm backend's big coroutine win),
// falling back to the long jump across metamethods, pcall, iterators and continuations.
// coroutines.lua covers those paths; its output must match lua5.4's (when installed)
// and be the same on every backend. Limits must stop code that yields in a loop.
const fs = require('fs');
const path = require('path');
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown, luaReference } = require('./helpers');

const FILE = path.join(__dirname, 'coroutines.lua');
const source = fs.readFileSync(FILE, 'utf8');

/** A generator pipeline that yields forever: only a limit ends it. */
const ENDLESS = `
  local gen = coroutine.wrap(function() local i = 0 while true do i = i + 1 coroutine.yield(i) end end)
  local relay = coroutine.wrap(function() while true do coroutine.yield(gen()) end end)
  while true do relay() end`;

forEachBackend((backend) => {
  const make = vms(backend);

  test('coroutines.lua prints what lua5.4 prints', async () => {
    const lua = await make();
    const r = lua.run(source, { chunkName: 'coroutines.lua' });
    expect(r.error).toBeUndefined();
    const lines = r.output.split('\n');
    // Spot checks that hold without the reference interpreter.
    expect(lines.slice(0, 4)).toEqual(['1,2', '2,4', '3,6', 'done']);
    expect(lines).toContain('got bar');
    expect(lines).toContain('false,attempt to yield across a C-call boundary');
    expect(lines).toContain('989973');
    const ref = luaReference('coroutines.lua');
    if (ref !== null) expect(r.output).toBe(ref);
  });

  test('a coroutine can be resumed across evals and keeps its state', async () => {
    const lua = await make();
    lua.eval('gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * 10) end return "end" end)');
    expect([lua.eval('return gen()'), lua.eval('return gen()'), lua.eval('return gen()')]).toEqual([10, 20, 30]);
    expect(lua.eval('return gen()')).toBe('end');
    expect(thrown(() => lua.eval('return gen()')).message).toMatch(/cannot resume dead coroutine/);
  });

  test.each([
    ['timeout', { timeout: 100 }],
    ['instructions', { instructionLimit: 200000 }],
  ])('%s stops a loop of yields, and the VM keeps working', async (kind, opts) => {
    const lua = await make(opts);
    lua.eval('keep = 1');
    const e = thrown(() => lua.eval(ENDLESS));
    expect(e).toBeInstanceOf(LuaError);
    expect(e.kind).toBe(kind);
    expect(lua.eval('keep = keep + 1 local co = coroutine.wrap(function() coroutine.yield(keep) end) return co()')).toBe(2);
  });

  test('a memory bomb inside a coroutine is a memory error', async () => {
    const lua = await make({ memoryLimit: 8 * 1024 * 1024 });
    const e = thrown(() => lua.eval(`
      local co = coroutine.wrap(function()
        local t = {} while true do t[#t + 1] = string.rep('x', 1000) coroutine.yield() end
      end)
      while true do co() end`));
    expect(e.kind).toBe('memory');
    expect(lua.eval('return coroutine.wrap(function() coroutine.yield("alive") end)()')).toBe('alive');
  });

  test('an error after many yields carries its message and line', async () => {
    const lua = await make();
    const e = thrown(() => lua.eval(`local co = coroutine.wrap(function()
      for i = 1, 1000 do coroutine.yield(i) end
      error('late failure')
    end)
    for i = 1, 1001 do co() end`, { chunkName: 'late' }));
    expect(e.kind).toBe('runtime');
    expect(e.message).toMatch(/late:3: late failure/);
  });

  test('thousands of suspended coroutines are collected', async () => {
    const lua = await make();
    lua.eval('for i = 1, 20000 do local co = coroutine.wrap(function() coroutine.yield(i) end) co() end');
    lua.gc();
    const before = lua.memory().used;
    lua.eval('for i = 1, 20000 do local co = coroutine.wrap(function() coroutine.yield(i) end) co() end');
    lua.gc();
    expect(lua.memory().used).toBeLessThan(before + 64 * 1024);
  });
});
