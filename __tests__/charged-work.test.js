'use strict';
// Limits hold against C-level work (issue 25): every C path whose cost grows with its
// input charges that work to the limits' counters (crates/lua-sys/csrc/luap_work.h), so
// a loop whose body is one expensive C call stops at the timeout like any Lua loop, an
// instruction limit counts the work, and so does compiling a huge or label-heavy chunk.
// Before, each of these loops ran for 10 s to minutes under a 200 ms timeout (the check
// came every 1000 ticks, i.e. hundreds of expensive calls); they now stop within the
// bound docs/security.md ("Limits") gives, limit + 50 ms. The assertions allow a wide
// margin for loaded CI machines and still fail on the old code by far.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');

const LIMIT_MS = 200;
/** The documented bound is LIMIT_MS + 50; this adds CI margin (old code: >= 9 s). */
const BOUND_MS = LIMIT_MS + 1800;

jest.setTimeout(60000);

/** Lua: a ~`n` MiB string of the Lua literal `lit` (4 KiB copied 256 * n times: cheap). */
const big = (n, lit = '"x"') => `string.rep(string.rep(${lit}, 4096 // #${lit}), 256 * ${n})`;

forEachBackend((backend) => {
  const make = vms(backend);

  /** Runs `code` under a 200 ms timeout: must end with kind 'timeout' within the bound. */
  async function stopsInTime(code, opts = {}) {
    const lua = await make({ timeout: LIMIT_MS, ...opts });
    const t0 = Date.now();
    const e = thrown(() => lua.eval(code));
    const ms = Date.now() - t0;
    expect(e).toBeInstanceOf(LuaError);
    expect(e.kind).toBe('timeout');
    expect(ms).toBeLessThan(BOUND_MS);
    // The VM stays usable.
    expect(lua.eval('return 1 + 1')).toBe(2);
    return lua;
  }

  describe('a timeout stops loops of expensive C calls', () => {
    test("string.format('%q') of a long string", async () => {
      await stopsInTime(`local s = ${big(8, '"a\\0"')} while true do local r = string.format('%q', s) end`);
    });

    test("string.format('%s') with a width, and plain '%s'", async () => {
      await stopsInTime(`local s = ${big(16)} while true do local r = string.format('%5s', s) end`);
      await stopsInTime(`local s = ${big(16)} while true do local r = ('%s%s'):format(s, s) end`);
    });

    test('utf8.len and utf8.offset of long strings (also malformed ones)', async () => {
      await stopsInTime(`local s = ${big(8, '"\\u{4e2d}\\u{6587}"')} while true do local n = utf8.len(s) end`);
      await stopsInTime(`local s = ${big(8, '"\\u{4e2d}\\u{6587}"')} while true do local n = utf8.offset(s, -1) local m = utf8.offset(s, 2e6) end`);
      await stopsInTime(`local s = ${big(8, '"\\x80"')} while true do local n = utf8.offset('a' .. s, 0, #s + 1) end`);
    });

    test('== and < on long strings (the VM collects the charge at its next tick)', async () => {
      const setup = `local a = ${big(32)} local b = ${big(32)} local n = 0`;
      await stopsInTime(`${setup} while true do if a == b then n = n + 1 end end`);
      await stopsInTime(`${setup} while true do if a < b then n = n + 1 end end`);
    });

    test('table reads and writes with an equal long-string key of another object', async () => {
      // The table compares the two keys whole; the VM's table opcodes charge it.
      await stopsInTime(`local a = ${big(32)} local b = ${big(32)} local t = {[a] = 1} local n = 0
        while true do n = n + t[b] t[b] = 1 end`);
    });

    test('rawequal of long strings (lua_rawequal cannot raise: only a debt)', async () => {
      // Ten compares per loop iteration, none of them a tick of their own.
      const r = Array(10).fill('r(a, b)').join(', ');
      await stopsInTime(`local a = ${big(32)} local b = ${big(32)} local r = rawequal while true do local t = {${r}} end`);
    });

    test('string.upper/lower/reverse/sub and table.concat of long strings', async () => {
      await stopsInTime(`local s = ${big(32)} while true do local u = s:upper() end`);
      await stopsInTime(`local s = ${big(32)} while true do local u = s:lower() local v = s:reverse() end`);
      await stopsInTime(`local s = ${big(32)} while true do local u = s:sub(2) end`);
      await stopsInTime(`local s = ${big(16)} while true do local u = table.concat({s, s}) end`);
    });

    test('concatenation of long strings', async () => {
      await stopsInTime(`local s = ${big(16)} while true do local u = s .. s end`);
    });

    test('gsub with a long replacement string', async () => {
      await stopsInTime(`local r = ${big(1)} while true do local u = ('abcd'):gsub('.', r) end`);
    });
  });

  describe('compiling is limited too', () => {
    /**
     * 30,000 forward gotos, then their labels: each label searches the pending gotos,
     * quadratic (the old code compiled this 1 MB chunk in 0.85 s native, 3.2 s wasm).
     * Run, it jumps to the first label and falls through to the end.
     */
    const labels = () => {
      const parts = [];
      for (let i = 1; i <= 30000; i++) parts.push(`do goto l${i} end `);
      for (let i = 1; i <= 30000; i++) parts.push(`::l${i}:: x = 1 `);
      return parts.join('');
    };

    test('load of a label-heavy chunk in a loop', async () => {
      await stopsInTime(`local src = ... while true do load(src) end`.replace('...', JSON.stringify(labels())));
    });

    test('load of a large chunk in a loop (the lexer and parser charge per byte)', async () => {
      await stopsInTime('local src = "local x = 0 " .. string.rep("x = x + 1 ", 1e6) while true do load(src) end');
    });

    test('a label-heavy chunk given to eval stops while compiling', async () => {
      const lua = await make({ timeout: 50 });
      const src = labels();
      expect(lua.eval(`local f = load(${JSON.stringify(src)}) f() return x`, { timeout: 60000 })).toBe(1);
      const t0 = Date.now();
      // Once compiled, the chunk runs in no time: only the compile can time out (with
      // the old code the eval returned).
      const e = thrown(() => lua.eval(src));
      expect(e.kind).toBe('timeout');
      expect(Date.now() - t0).toBeLessThan(50 + 1800);
      expect(lua.eval('return 1 + 1')).toBe(2);
    });
  });

  describe('instruction limits count C work', () => {
    test("instructionLimit stops a loop of string.format('%q')", async () => {
      // A timeout as a backstop: the old code counted each call as a few instructions
      // and ended with it instead.
      const lua = await make({ instructionLimit: 1e6, timeout: 5000 });
      lua.setGlobal('s', 'ab'.repeat(4 * 1024 * 1024));
      const t0 = Date.now();
      const e = thrown(() => lua.eval("while true do local r = string.format('%q', s) end"));
      expect(e.kind).toBe('instructions');
      expect(Date.now() - t0).toBeLessThan(3000);
    });

    test('a short call counts its C work in full, not as one hook period', async () => {
      // utf8.len of 2M characters charges ~2M units, in 512 charges of 4096: counted
      // as one hook period (1000) each, they would stay under the 1M limit.
      const lua = await make({ instructionLimit: 1e6 });
      lua.setGlobal('s', 'é'.repeat(2 * 1024 * 1024));
      expect(thrown(() => lua.eval('return utf8.len(s)')).kind).toBe('instructions');
      expect(lua.eval('return utf8.len(s, 1, 1000)')).toBe(500);
    });
  });

  describe('ext next', () => {
    test('next(t, k) costs O(1) per step whatever key it is given', async () => {
      // Each eval lists the 100k keys once (the host entered the core since the last
      // listing); steps after that are O(1). The old code listed them for every step:
      // 2000 steps took ~60 s. Timed against one step in the same VM rather than against
      // the clock, so a slow machine (arm64 under qemu) passes and the old code still fails.
      const lua = await make({ timeout: 30000 });
      lua.eval('local t = ext.table("big") for i = 1, 100000 do t["k" .. i] = i end');
      const steps = (count) => {
        const t0 = process.hrtime.bigint();
        const n = lua.eval(`local t = ext.table("big") local n = 0
          for i = 1, ${count} do local k, v = next(t, "k" .. (i * 37 % 99999 + 1)) if v == i * 37 % 99999 + 2 then n = n + 1 end end
          return n`);
        expect(n).toBe(count);
        return Number(process.hrtime.bigint() - t0);
      };
      const one = Math.min(steps(1), steps(1));
      expect(steps(2000)).toBeLessThan(20 * one);
    });

    test('a key added after the traversal began is still found; a missing one is an error', async () => {
      const lua = await make();
      expect(lua.eval(`local t = ext.table("m") t.a = 1 t.b = 2
        local k = next(t) t.c = 3
        local k2 = next(t, "c") return tostring(k2)`)).toBe('nil');
      expect(lua.evalAll('return pcall(next, ext.table("m"), "zz")')).toEqual([false, "invalid key to 'next'"]);
      // Clearing entries during a traversal from scattered keys works as for tables.
      expect(lua.eval(`local t = ext.table("m") t.d = 4 next(t)
        for _, k in ipairs({"c", "a", "d", "b"}) do t[k] = nil next(t, k) end
        return next(t) == nil`)).toBe(true);
    });

    test('JS changes between calls are seen (the cursor is listed again)', async () => {
      const lua = await make();
      lua.eval('local t = ext.table("j") t.a = 1 t.b = 2 step = next(t)');
      lua.ext.get('j').set('c', 3);
      expect(lua.evalAll('local t = ext.table("j") return next(t, "b")')).toEqual(['c', 3]);
    });
  });

  describe('os.setlocale', () => {
    test('a locale the C library does not have is refused', async () => {
      const lua = await make({ stdlib: 'all' });
      expect(lua.eval('return os.setlocale("xx_NOWHERE.UTF-8")')).toBeUndefined();
      expect(lua.eval('return tonumber("3,4")')).toBeUndefined();
      expect(lua.eval('return os.setlocale("C")')).toBe('C');
    });

    if (backend === 'wasm') {
      test('wasm answers as a C library without locales', async () => {
        const lua = await make({ stdlib: 'all' });
        expect(lua.evalAll('return os.setlocale("pt_BR"), os.setlocale(nil, "numeric")')).toEqual([undefined, 'C']);
        expect(lua.evalAll('return os.setlocale(), os.setlocale(""), os.setlocale("POSIX", "ctype")')).toEqual(['C', 'C', 'C']);
        expect(lua.eval('return tonumber("3,4") == nil and tonumber("3.5") == 3.5')).toBe(true);
      });
    }
  });
});
