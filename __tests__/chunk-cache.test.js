'use strict';
// eval caches compiled chunks by source (lib/lua.js): repeated sources must behave
// exactly as if they were loaded afresh each time.
const { forEachBackend } = require('./backends');
const { vms, thrown } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);

  test('a repeated source starts with fresh locals and sees current globals', async () => {
    const lua = await make();
    const src = 'local n = 0 n = n + 1 counter = (counter or 0) + n return counter, n';
    expect(lua.evalAll(src)).toEqual([1, 1]);
    expect(lua.evalAll(src)).toEqual([2, 1]);
    expect(lua.run(src).values).toEqual([3, 1]);
  });

  test('chunks assigning _ENV behave as if loaded afresh', async () => {
    const lua = await make();
    const src = 'local seen = x _ENV = {x = 99} return seen';
    lua.eval('x = 1');
    expect(lua.eval(src)).toBe(1);
    expect(lua.eval(src)).toBe(1);
  });

  test('the chunk name is part of the key: errors name the right chunk', async () => {
    const lua = await make();
    const src = 'error("boom")';
    expect(thrown(() => lua.eval(src, { chunkName: 'a.lua' })).message).toBe('a.lua:1: boom');
    expect(thrown(() => lua.eval(src, { chunkName: 'b.lua' })).message).toBe('b.lua:1: boom');
    expect(thrown(() => lua.eval(src)).message).toBe('eval:1: boom');
  });

  test('syntax errors repeat the same way; reset() forgets compiled chunks', async () => {
    const lua = await make();
    for (let i = 0; i < 2; i++) expect(thrown(() => lua.eval('return +')).kind).toBe('syntax');
    expect(lua.eval('function f() return 7 end return f()')).toBe(7);
    lua.reset();
    expect(lua.eval('return f')).toBeUndefined();
    expect(lua.eval('function f() return 7 end return f()')).toBe(7);
  });

  test('many distinct sources evict old ones without breaking them', async () => {
    const lua = await make();
    for (let i = 0; i < 300; i++) expect(lua.eval(`return ${i}`)).toBe(i);
    for (let i = 0; i < 300; i += 37) expect(lua.eval(`return ${i}`)).toBe(i);
    expect(lua.memory().used).toBeLessThan(4 * 1024 * 1024);
  });

  test('per-call timeouts apply to cached chunks', async () => {
    const lua = await make({ timeout: 0 });
    const src = 'local i = 0 while i < 5e6 do i = i + 1 end return i';
    expect(lua.eval(src)).toBe(5e6);
    expect(thrown(() => lua.eval('while true do end', { timeout: 50 })).kind).toBe('timeout');
    expect(thrown(() => lua.eval('while true do end', { timeout: 50 })).kind).toBe('timeout');
  });
});
