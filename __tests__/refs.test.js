'use strict';
// Live references (issue 20): ref(value) passes a JS object, function or class to Lua
// live: reads and writes reach the object, methods get the right `this`, functions are
// called, classes constructed (Class.new), pairs and == work. Plain values are still
// copied; a reference cannot go into an ext table; JS exceptions are Lua errors with the
// exception as cause. Both backends.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');
const { ref } = require('..');

class Counter {
  constructor(n) {
    this.n = n;
  }
  inc(by = 1) {
    this.n += by;
    return this.n;
  }
  get double() {
    return this.n * 2;
  }
}

forEachBackend((backend) => {
  const make = vms(backend);

  test('reads, writes, methods with this, getters: all on the live object', async () => {
    const lua = await make();
    const c = new Counter(1);
    lua.setGlobal('c', ref(c));
    expect(lua.evalAll('local a = c:inc() local b = c:inc(5) c.label = "x" return a, b, c.n, c.double')).toEqual([2, 7, 7, 14]);
    expect([c.n, c.label]).toEqual([7, 'x']);
    // A method read with '.' is bound to the object it was read from.
    expect(lua.eval('local inc = c.inc return inc(1)')).toBe(8);
    // Nested objects stay live; arrays and primitives read from them are copies.
    const cfg = { db: { port: 1 }, list: [1, 2] };
    lua.setGlobal('cfg', ref(cfg));
    lua.eval('cfg.db.port = 8080 local l = cfg.list l[1] = 99');
    expect(cfg).toEqual({ db: { port: 8080 }, list: [1, 2] });
  });

  test('functions are called, classes constructed with .new, pairs and == work', async () => {
    const lua = await make();
    lua.setGlobal('Counter', ref(Counter));
    lua.setGlobal('double', ref((x) => x * 2));
    expect(lua.evalAll('local k = Counter.new(10) k:inc() local k2 = Counter:new(1) return k.n, k2.n, double(21)')).toEqual([11, 1, 42]);
    const o = { a: 1, b: 'two' };
    lua.setGlobal('o', ref(o));
    lua.setGlobal('same', ref(o));
    expect(lua.evalAll('local ks = {} for k, v in pairs(o) do ks[#ks + 1] = k .. "=" .. tostring(v) end table.sort(ks) return table.concat(ks, ","), o == same, tostring(o)'))
      .toEqual(['a=1,b=two', true, 'js object']);
    // Back in JS, a reference is the object itself.
    lua.setGlobal('isO', (x) => x === o);
    expect(lua.eval('return isO(o)')).toBe(true);
    expect(lua.eval('return o')).toBe(o);
  });

  test('plain values keep copy semantics', async () => {
    const lua = await make();
    const c = new Counter(1);
    lua.setGlobal('copy', c);
    expect(lua.evalAll('copy.n = 5 return copy.n, copy.inc')).toEqual([5, undefined]);
    expect(c.n).toBe(1);
  });

  test('a JS exception is a Lua error with the exception as cause; a reference cannot persist', async () => {
    const lua = await make();
    lua.setGlobal('t', ref({ fail() { throw new Error('bad'); } }));
    const e = thrown(() => lua.eval('local v = t:fail() return v'));
    expect(e).toBeInstanceOf(LuaError);
    expect(e.message).toBe('eval:1: bad');
    expect(e.cause.message).toBe('bad');
    expect(lua.evalAll('local ok, m = pcall(function() local v = t:fail() return v end) return ok, m')).toEqual([false, 'eval:1: bad']);
    const stored = thrown(() => lua.eval("ext.table('x').r = t"));
    expect(stored.kind).toBe('ext');
    expect(stored.message).toMatch(/cannot store a JS reference/);
    expect(() => ref(1)).toThrow(TypeError);
  });

  test('the sandbox holds: Lua reaches only what was passed', async () => {
    const lua = await make();
    lua.setGlobal('o', ref({ x: 1 }));
    expect(lua.evalAll('return getmetatable(o), rawget(o, "x"), globalThis, require')).toEqual([false, undefined, undefined, undefined]);
  });
});
