'use strict';
// Work done inside single C library calls, where stock Lua never runs its hooks: each
// ends within the limits (crates/lua-sys/csrc/luap_work.h charges it to the count hook)
// and the VM keeps its data. Stock lua5.4 would run several of these for hours.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');

const BOMBS = {
  'pathological pattern in string.find': "local s = string.rep('a', 60) return s:find('.-.-.-.-.-.-.-b')",
  'pathological pattern in string.match': "return string.rep('a', 60):match('(.-)(.-)(.-)(.-)(.-)(.-)(.-)b')",
  'pathological pattern in string.gsub': "return string.gsub(string.rep('a', 60), '.-.-.-.-.-.-.-b', 'x')",
  'pathological pattern in string.gmatch': "for m in string.rep('a', 60):gmatch('.-.-.-.-.-.-.-b') do end",
  'quadratic plain string.find': "local s = string.rep('a', 4e6) return s:find(string.rep('a', 2e6) .. 'b', 1, true)",
  'string.rep of the empty string, 1e12 times': "return #string.rep('', 1e12)",
  'string.rep with a separator, 1e12 times': "return #string.rep('', 1e12, '')",
  'table.move over a huge range': 'return table.move({}, 1, 1e12, 1)',
  'table.insert below a huge __len': "local t = setmetatable({}, {__len = function() return 1e14 end}) table.insert(t, 1, 'x')",
  'table.remove below a huge __len': 'local t = setmetatable({}, {__len = function() return 1e14 end}) table.remove(t, 1)',
  'table.concat of a huge table': "local t = {} for i = 1, 1e6 do t[i] = 'x' end local n = 0 while true do n = n + #table.concat(t) end",
  'table.sort of millions of numbers, repeatedly': 'local t = {} for i = 1, 3e5 do t[i] = (i * 7919) % 1000003 end while true do table.sort(t, nil) table.sort(t, function(a, b) return a > b end) end',
};

forEachBackend((backend) => {
  const make = vms(backend);

  async function loaded(opts) {
    const lua = await make(opts);
    lua.eval('keep = 42 ext.table("data").v = 7');
    return lua;
  }

  function expectAlive(lua) {
    expect(lua.eval('return keep + ext.table("data").v')).toBe(49);
    expect(lua.eval("return (string.rep('ab', 3):find('b.b'))")).toBe(2);
  }

  describe('the timeout stops work inside C library calls', () => {
    for (const [name, code] of Object.entries(BOMBS)) {
      test(name, async () => {
        const lua = await loaded({ timeout: 150 });
        const started = Date.now();
        const e = thrown(() => lua.eval(code));
        const elapsed = Date.now() - started;
        expect(e).toBeInstanceOf(LuaError);
        expect(e.kind).toBe('timeout');
        expect(elapsed).toBeLessThan(3000);
        expectAlive(lua);
      });
    }
  });

  test('pcall cannot swallow a timeout raised inside pattern matching', async () => {
    const lua = await loaded({ timeout: 150 });
    const e = thrown(() => lua.eval("local s = string.rep('a', 60) while true do pcall(string.find, s, '.-.-.-.-.-.-.-b') end"));
    expect(e.kind).toBe('timeout');
    expectAlive(lua);
  });

  test('pattern work counts toward the instruction limit', async () => {
    const lua = await loaded({ timeout: 0, instructionLimit: 1e6 });
    const e = thrown(() => lua.eval("return string.rep('a', 60):find('.-.-.-.-.-.-.-b')"));
    expect(e.kind).toBe('instructions');
    // Ordinary pattern use stays far below it.
    expect(lua.eval("local n = 0 for w in ('the quick brown fox'):gmatch('%a+') do n = n + 1 end return n")).toBe(4);
    expectAlive(lua);
  });

  test('an interrupt request stops pattern matching', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const lua = await loaded({ timeout: 0, interruptBuffer: flag });
    Atomics.store(flag, 0, 1);
    const e = thrown(() => lua.eval("return string.rep('a', 60):find('.-.-.-.-.-.-.-b')"));
    expect(e.kind).toBe('interrupted');
    expectAlive(lua);
  });

  test('the same calls still give Lua results when they finish', async () => {
    const lua = await loaded({ timeout: 5000 });
    expect(lua.eval("return #string.rep('ab', 1000, ',')")).toBe(2999);
    expect(lua.eval("return (string.rep('a', 20):find('.-.-b'))")).toBeUndefined();
    expect(lua.eval("return #table.concat(table.move({1, 2, 3}, 1, 3, 2), ',')")).toBe(7);
    expect(lua.eval('local t = {5, 3, 9, 1} table.sort(t) return table.concat(t, " ")')).toBe('1 3 5 9');
    expect(lua.eval("local s = string.rep('a', 1000) return s:find(string.rep('a', 500) .. 'b', 1, true)")).toBeUndefined();
  });
});
