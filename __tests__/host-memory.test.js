'use strict';
// What a script can make the host hold outside Lua's heap, and the work it makes the
// core do for it: ext data is bounded by storageLimit, copies between Lua and JS are
// charged to the call's limits, error messages and refused Promises cost the host
// nothing unbounded. Each case ends with a clear LuaError and a VM that keeps working.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');

const MB = 1024 * 1024;

forEachBackend((backend) => {
  const make = vms(backend);

  function expectKind(fn, kind) {
    const e = thrown(fn);
    expect(e).toBeInstanceOf(LuaError);
    expect(e.kind).toBe(kind);
    return e;
  }

  /** The bytes of string data held by the ext Maps (keys and values, nested). */
  function extBytes(lua) {
    let n = 0;
    const walk = (m) => {
      for (const [k, v] of m) {
        n += typeof k === 'string' ? k.length : 0;
        if (typeof v === 'string') n += v.length;
        else if (v instanceof Map || Object.prototype.toString.call(v) === '[object Map]') walk(v);
      }
    };
    for (const m of lua.ext.values()) walk(m);
    return n;
  }

  describe('storageLimit', () => {
    test('one string written under many keys stops at the limit with kind "memory"', async () => {
      const lua = await make({ memoryLimit: 8 * MB, storageLimit: 16 * MB });
      const e = expectKind(() => lua.eval(`
        local s = string.rep('x', 3 << 20)
        local t = ext.table('big')
        for i = 1, 2500 do t[i] = s end`), 'memory');
      expect(e.message).toMatch(/not enough memory for ext data \(storageLimit is 16777216 bytes/);
      expect(e.line).toBe(4);
      expect(extBytes(lua)).toBeLessThanOrEqual(16 * MB);
      expect(lua.eval('return 1 + 1')).toBe(2);
    });

    test('the error is catchable and nothing of the refused write is stored', async () => {
      const lua = await make({ storageLimit: 1 * MB });
      const [ok, msg, has] = lua.evalAll(`
        local t = ext.table('t')
        local ok, err = pcall(function() t.big = string.rep('x', 2 << 20) end)
        return ok, err, t.big ~= nil`);
      expect(ok).toBe(false);
      expect(msg).toMatch(/^eval:3: not enough memory for ext data/);
      expect(has).toBe(false);
      lua.eval("ext.table('t').small = 'fits'");
      expect(lua.ext.get('t').get('small')).toBe('fits');
    });

    test('a table that holds the same subtable at every level is refused, not copied 2^40 times', async () => {
      const lua = await make({ storageLimit: 4 * MB });
      const started = Date.now();
      const e = expectKind(() => lua.eval(`
        local t = ext.table('d')
        t[0] = {1}
        for k = 1, 40 do t[k] = { t[k - 1], t[k - 1] } end`), 'memory');
      expect(e.message).toMatch(/storageLimit/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(extBytes(lua)).toBeLessThan(4 * MB);
    });

    test('overwriting the same keys never hits the limit (the tables are measured again)', async () => {
      const lua = await make({ storageLimit: 1 * MB });
      lua.eval(`
        local t = ext.table('t')
        for i = 1, 5000 do t[i % 10] = string.rep('a', 1000) .. i end`);
      expect(lua.ext.get('t').size).toBe(10);
    });

    test('opening many tables counts too', async () => {
      const lua = await make({ storageLimit: 64 * 1024 });
      expectKind(() => lua.eval('for i = 1, 1e6 do ext.table("table number " .. i) end'), 'memory');
      expect(lua.ext.size).toBeLessThan(64 * 1024 / 16);
    });

    test('a snapshot of more than the limit (JS put it there) is refused with kind "ext"', async () => {
      const lua = await make({ storageLimit: 1 * MB });
      lua.ext.set('host', new Map([['blob', 'y'.repeat(2 * MB)]]));
      const e = expectKind(() => lua.snapshot(), 'ext');
      expect(e.message).toMatch(/more than storageLimit \(1048576 bytes\)/);
      lua.ext.get('host').delete('blob');
      expect(lua.snapshot()).toBeInstanceOf(Uint8Array);
    });

    test('data restored beyond the limit loads, and scripts cannot grow it', async () => {
      const big = await make({ storageLimit: 0 });
      big.eval("ext.table('t').s = string.rep('z', 2 << 20)");
      const bytes = big.snapshot();
      const lua = await make({ storageLimit: 1 * MB });
      lua.restore(bytes);
      expect(lua.eval("return #ext.table('t').s")).toBe(2 * MB);
      expectKind(() => lua.eval("ext.table('t').more = string.rep('z', 1000)"), 'memory');
      lua.eval("ext.table('t').s = nil ext.table('t').more = 'now it fits'");
      expect(lua.ext.get('t').get('more')).toBe('now it fits');
    });

    test('0 or Infinity means no limit; bad values are a TypeError', async () => {
      const lua = await make({ storageLimit: Infinity, memoryLimit: 64 * MB });
      lua.eval("local s = string.rep('x', 1 << 20) local t = ext.table('t') for i = 1, 300 do t[i] = s end");
      expect(lua.ext.get('t').size).toBe(300);
      await expect(make({ storageLimit: -1 })).rejects.toThrow(TypeError);
    });
  });

  describe('copies between Lua and JS', () => {
    test('a result holding one big string many times is one JS string, not many copies', async () => {
      const lua = await make({ memoryLimit: 8 * MB });
      const rss = process.memoryUsage().rss;
      const values = lua.eval("local s = string.rep('y', 3 << 20) local t = {} for i = 1, 1500 do t[i] = s end return t");
      expect(values.length).toBe(1500);
      expect(values[1499].length).toBe(3 * MB);
      // 1500 copies would be 4.5 GB.
      expect(process.memoryUsage().rss - rss).toBeLessThan(512 * MB);
    });

    test('reading a big string out of an ext table in a loop is stopped by the timeout', async () => {
      const lua = await make({ timeout: 200 });
      lua.ext.set('t', new Map([['s', 'x'.repeat(16 * MB)]]));
      const started = Date.now();
      expectKind(() => lua.eval("local t = ext.table('t') while true do local s = t.s end"), 'timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    });

    test('a JS function returning a big string in a loop is stopped by the timeout', async () => {
      const lua = await make({ timeout: 200 });
      const big = 'x'.repeat(8 * MB);
      lua.setGlobal('f', () => big);
      const started = Date.now();
      expectKind(() => lua.eval('while true do f() end'), 'timeout');
      expect(Date.now() - started).toBeLessThan(3000);
    });

    test('an instruction limit counts copying work', async () => {
      const lua = await make({ instructionLimit: 1e6 });
      lua.ext.set('t', new Map([['s', 'x'.repeat(16 * MB)]]));
      const r = lua.run("local t, n = ext.table('t'), 0 count = 0 while true do local s = t.s n = n + 1 count = n end");
      expect(r.error.kind).toBe('instructions');
      // 1e6 instructions of plain looping would read the string tens of thousands of times.
      expect(lua.getGlobal('count')).toBeLessThan(20);
    });
  });

  describe('messages and Promises', () => {
    test('a huge error message reaches JS cut to 64 KiB', async () => {
      const lua = await make();
      const e = expectKind(() => lua.eval("error(string.rep('m', 8 << 20))"), 'runtime');
      expect(e.message.length).toBeLessThan(65 * 1024);
      expect(e.message).toMatch(/\.\.\. \[\d+ more bytes\]$/);
      expect(lua.eval('return 1')).toBe(1);
    });

    test('a JS function returning a Promise is a clear error, never an unhandled rejection', async () => {
      const lua = await make();
      const unhandled = [];
      const onUnhandled = (reason) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        lua.setGlobal('later', () => Promise.reject(new Error('nobody waits')));
        lua.setGlobal('soon', async () => 5);
        const e = expectKind(() => lua.eval('local v = later() return v'), 'runtime');
        expect(e.message).toMatch(/^eval:1: cannot pass a Promise to Lua: a synchronous call cannot wait for it/);
        const [ok, msg] = lua.evalAll('return pcall(soon)');
        expect(ok).toBe(false);
        expect(msg).toMatch(/cannot pass a Promise to Lua/);
        expect(() => lua.setGlobal('p', Promise.reject(new Error('also nobody')))).toThrow(/cannot pass a Promise/);
        await new Promise((r) => setTimeout(r, 50));
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });
});
