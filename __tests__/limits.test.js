'use strict';
// Resource limits: memory, time, instructions, Lua stack and C stack. Each bomb ends
// that eval with a LuaError; the same VM keeps its globals and ext data and keeps working.
const { forEachBackend } = require('./backends');
const { LuaError, vms, thrown } = require('./helpers');

const MB = 1024 * 1024;

forEachBackend((backend) => {
  const make = vms(backend);

  /** A VM holding a global and some ext data, to check after each bomb. */
  async function loaded(opts) {
    const lua = await make(opts);
    lua.eval('keep = 42 ext.table("data").v = 7 ext.table("data").list = {1, 2, 3}');
    return lua;
  }

  function expectAlive(lua) {
    expect(lua.eval('return keep')).toBe(42);
    expect(lua.eval('return ext.table("data").v + #ext.table("data").list')).toBe(10);
    expect(lua.ext.get('data').get('v')).toBe(7);
    expect(lua.eval('local t = {} for i = 1, 1000 do t[i] = tostring(i) end return #t')).toBe(1000);
    lua.eval('keep2 = (keep2 or 0) + 1');
    expect(lua.eval('return keep2')).toBeGreaterThanOrEqual(1);
  }

  function expectKind(fn, kind) {
    const e = thrown(fn);
    expect(e).toBeInstanceOf(LuaError);
    expect(e.kind).toBe(kind);
    return e;
  }

  describe('memoryLimit', () => {
    test('a huge string.rep ends with kind "memory"', async () => {
      const lua = await loaded({ memoryLimit: 16 * MB });
      const e = expectKind(() => lua.eval('return #string.rep("x", 1e8)'), 'memory');
      expect(e.message).toMatch(/not enough memory/);
      expectAlive(lua);
    });

    test('a table-growing loop ends with kind "memory"', async () => {
      const lua = await loaded({ memoryLimit: 16 * MB });
      expectKind(() => lua.eval('local t = {} for i = 1, 1e9 do t[i] = {i} end'), 'memory');
      expectAlive(lua);
    });

    test('string doubling ends with kind "memory"', async () => {
      const lua = await loaded({ memoryLimit: 16 * MB });
      expectKind(() => lua.eval('local s = "x" while true do s = s .. s end'), 'memory');
      expectAlive(lua);
    });

    test('memory bombs in globals: the VM stays usable once they are dropped', async () => {
      const lua = await loaded({ memoryLimit: 16 * MB });
      expectKind(() => lua.eval('hog = {} for i = 1, 1e9 do hog[i] = i end'), 'memory');
      lua.eval('hog = nil');
      lua.gc();
      expect(lua.memory().used).toBeLessThan(4 * MB);
      expectAlive(lua);
    });

    test('out-of-memory inside pcall is catchable by Lua', async () => {
      const lua = await loaded({ memoryLimit: 16 * MB });
      expect(lua.evalAll('return pcall(string.rep, "x", 1e8)')).toEqual([false, 'not enough memory']);
      expectAlive(lua);
    });

    test('run() reports a memory error without throwing', async () => {
      const lua = await loaded({ memoryLimit: 16 * MB });
      const r = lua.run('print("start") local s = string.rep("x", 1e8)');
      expect(r.ok).toBe(false);
      expect(r.error.kind).toBe('memory');
      expect(r.output).toBe('start\n');
      expectAlive(lua);
    });
  });

  describe('timeout', () => {
    test('per-VM timeout ends an infinite loop with kind "timeout"', async () => {
      const lua = await loaded({ timeout: 200 });
      const t0 = Date.now();
      const e = expectKind(() => lua.eval('while true do end'), 'timeout');
      const elapsed = Date.now() - t0;
      expect(elapsed).toBeGreaterThanOrEqual(150);
      expect(elapsed).toBeLessThan(5000);
      expect(e.message).toMatch(/timeout|longer/i);
      expectAlive(lua);
    });

    test('per-call {timeout} overrides the VM default', async () => {
      const lua = await loaded(); // default timeout is long
      const t0 = Date.now();
      expectKind(() => lua.eval('while true do end', { timeout: 100 }), 'timeout');
      expect(Date.now() - t0).toBeLessThan(5000);
      expectKind(() => lua.evalAll('while true do end', { timeout: 50 }), 'timeout');
      const r = lua.run('while true do end', { timeout: 50 });
      expect(r.ok).toBe(false);
      expect(r.error.kind).toBe('timeout');
      expectAlive(lua);
    });

    test('a per-call timeout can be longer than the VM one', async () => {
      const lua = await loaded({ timeout: 50 });
      const code = 'local t0 = os.clock() while os.clock() - t0 < 0.2 do end return "done"';
      expectKind(() => lua.eval(code), 'timeout');
      expect(lua.eval(code, { timeout: 5000 })).toBe('done');
    });

    test('the timeout is per eval, not cumulative', async () => {
      const lua = await loaded({ timeout: 300 });
      const code = 'local t0 = os.clock() while os.clock() - t0 < 0.1 do end return true';
      for (let i = 0; i < 5; i++) expect(lua.eval(code)).toBe(true);
    });

    test('pcall cannot swallow the timeout', async () => {
      const lua = await loaded({ timeout: 200 });
      expectKind(() => lua.eval('while true do pcall(function() while true do end end) end'), 'timeout');
      expectAlive(lua);
    });

    test('error handlers (xpcall) cannot swallow the timeout either', async () => {
      const lua = await loaded({ timeout: 200 });
      expectKind(() => lua.eval('while true do xpcall(function() while true do end end, function(m) return m end) end'), 'timeout');
      expectAlive(lua);
    });

    test('a loop inside a coroutine times out', async () => {
      const lua = await loaded({ timeout: 200 });
      expectKind(() => lua.eval('coroutine.wrap(function() while true do end end)()'), 'timeout');
      expectAlive(lua);
    });

    test('a loop inside a table.sort comparator times out', async () => {
      const lua = await loaded({ timeout: 200 });
      expectKind(() => lua.eval('local t = {3, 2, 1} table.sort(t, function(a, b) while true do end end)'), 'timeout');
      expectAlive(lua);
    });

    test('a long string.gsub with a Lua callback times out', async () => {
      const lua = await loaded({ timeout: 200 });
      const t0 = Date.now();
      expectKind(() => lua.eval('while true do string.rep("x", 1e6):gsub(".", function(c) return c end) end'), 'timeout');
      expect(Date.now() - t0).toBeLessThan(5000);
      expectAlive(lua);
    });

    // Timeouts are checked at loop iterations, function entries and charged C library
    // work (lua-sys's tick handler), not per instruction: each way a script can run
    // forever must pass one of those points.
    test.each([
      ['a goto loop', '::top:: goto top'],
      ['a repeat loop', 'repeat until false'],
      ['a generic for over an endless iterator', 'for _ in function() return 1 end do end'],
      ['loop-free recursion (exponential calls, no back-edge)', 'local function f(n) if n == 0 then return 0 end return f(n - 1) + f(n - 1) end return f(60)'],
      ['endless tail calls', 'local function f() return f() end return f()'],
      ['a loop in an __index metamethod', 'local t = setmetatable({}, { __index = function() while true do end end }) return t.x'],
      ['a loop in a __tostring metamethod called by tostring', 'return tostring(setmetatable({}, { __tostring = function() while true do end end }))'],
      ['a pathological pattern in one string.find call', 'return string.rep("a", 3e4):find(".-.-.-.-b")'],
      ['a quadratic plain find repeated', 'local s = string.rep("a", 1e6) while true do s:find(string.rep("a", 1e3) .. "b", 1, true) end'],
      ['a loop in a coroutine resumed again and again', 'local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end'],
      // On wasm an integer for loop charges its ticks in runs of 64 (lvm.c, luap_forruntick)
      ['a long integer for loop', 'for i = 1, math.maxinteger do end'],
      ['a long for loop counting down', 'local s = 0 for i = math.maxinteger, 1, -3 do s = s + 1 end'],
      ['a float for loop', 'for x = 0.5, math.huge do end'],
      ['short for loops nested in a long one', 'for a = 1, math.maxinteger do for b = 1, 2 do for c = 1, 63 do end end end'],
      ['short for loops in an endless while', 'while true do for i = 1, 3 do end for j = 1, 65 do end end'],
    ])('%s times out', async (_name, code) => {
      const lua = await loaded({ timeout: 100 });
      const t0 = Date.now();
      expectKind(() => lua.eval(code), 'timeout');
      expect(Date.now() - t0).toBeLessThan(5000);
      expectAlive(lua);
    });

    test('a caught timeout still fails the call, even when no loop or call follows', async () => {
      const lua = await loaded({ timeout: 100 });
      expectKind(() => lua.eval('local ok = pcall(function() while true do end end) return ok'), 'timeout');
      expectKind(() => lua.eval('local ok, e = pcall(function() while true do end end) error("mine: " .. tostring(e))'), 'timeout');
      // No loop or call follows, so no check comes round: the assignment runs, and the
      // call fails all the same. (A call would meet the check: print is a Lua function.)
      const r = lua.run('local ok = pcall(function() while true do end end) after = true return ok');
      expect(r.ok).toBe(false);
      expect(r.error.kind).toBe('timeout');
      expect(lua.eval('return after')).toBe(true);
      expect(lua.eval('return 1 + 1')).toBe(2);
      expectAlive(lua);
    });

    test("with stdlib 'all', clearing debug hooks does not turn the timeout off", async () => {
      const lua = await loaded({ timeout: 100, stdlib: 'all' });
      expectKind(() => lua.eval('debug.sethook() while true do end'), 'timeout');
      expectKind(() => lua.eval('debug.sethook(function() end, "", 1) while true do end'), 'timeout');
      // A hook with loops of its own, run at every instruction: most ticks fall inside it.
      expectKind(() => lua.eval('debug.sethook(function() for i = 1, 50 do end end, "", 1) while true do end'), 'timeout');
      expectAlive(lua);
    });

    test('a timeout and an instruction limit together: whichever comes first', async () => {
      const fast = await loaded({ timeout: 60000, instructionLimit: 100000 });
      expectKind(() => fast.eval('while true do end'), 'instructions');
      expectAlive(fast);
      const slow = await loaded({ timeout: 100, instructionLimit: 1e15 });
      expectKind(() => slow.eval('while true do end'), 'timeout');
      expectAlive(slow);
    });

    test('calls alternating between timeout and none each get theirs', async () => {
      const lua = await loaded({ timeout: 0 });
      for (let i = 0; i < 3; i++) {
        expect(lua.eval('local s = 0 for i = 1, 1e5 do s = s + i end return s')).toBe(5000050000);
        expectKind(() => lua.eval('while true do end', { timeout: 30 }), 'timeout');
        expect(lua.eval('return 1 + 1')).toBe(2);
      }
      expectAlive(lua);
    });

    test('a timeout still works after reset()', async () => {
      const lua = await loaded({ timeout: 100 });
      expectKind(() => lua.eval('while true do end'), 'timeout');
      lua.reset();
      expectKind(() => lua.eval('while true do end'), 'timeout');
      expect(lua.eval('return 1 + 1')).toBe(2);
    });

    test('run() stats report no instruction count without an instruction limit', async () => {
      const lua = await loaded({ timeout: 1000 });
      const r = lua.run('local s = 0 for i = 1, 10000 do s = s + i end');
      expect(r.ok).toBe(true);
      expect(r.stats.instructions).toBeUndefined();
    });

    test('run() keeps the output printed before the timeout', async () => {
      const lua = await loaded({ timeout: 100 });
      const r = lua.run('print("tick") while true do end');
      expect(r.ok).toBe(false);
      expect(r.error.kind).toBe('timeout');
      expect(r.output).toBe('tick\n');
    });

    test('invalid per-call timeouts are TypeErrors', async () => {
      const lua = await loaded();
      expect(() => lua.eval('return 1', { timeout: -1 })).toThrow(TypeError);
      expect(() => lua.eval('return 1', { timeout: 'soon' })).toThrow(TypeError);
    });

    test('chunk names that are not NUL-free strings are TypeErrors, and the VM stays', async () => {
      const lua = await loaded();
      for (const chunkName of [42, {}, 'a\0b']) {
        expect(() => lua.eval('return 1', { chunkName })).toThrow(/chunkName must be a string without NUL/);
        expect(() => lua.run('return 1', { chunkName })).toThrow(TypeError);
      }
      expect(thrown(() => lua.eval('error("x")', { chunkName: null })).chunkName).toBe('eval');
      expectAlive(lua);
    });
  });

  describe('finalizers and debug hooks (stdlib "all")', () => {
    // Lua runs no hooks inside __gc finalizers or debug hooks; lua-sys's tick handler
    // runs there all the same, and host calls that can run finalizers arm the timeout.
    const LOOPING = 'setmetatable({}, { __gc = function() while true do end end })';

    test('a looping finalizer run by the script ends the eval with "timeout"', async () => {
      const lua = await loaded({ stdlib: 'all', timeout: 100 });
      expectKind(() => lua.eval(`${LOOPING} collectgarbage() return 'done'`), 'timeout');
      expectAlive(lua);
    });

    test('...also with an instruction limit, which does not count there', async () => {
      const lua = await loaded({ stdlib: 'all', timeout: 100, instructionLimit: 1e9 });
      expectKind(() => lua.eval(`${LOOPING} collectgarbage() return 'done'`), 'timeout');
      expectAlive(lua);
    });

    test('gc() stops a looping finalizer, finishes, and throws "timeout"', async () => {
      const lua = await loaded({ stdlib: 'all', timeout: 100 });
      lua.eval(`local a, b = ${LOOPING}, ${LOOPING}`);
      expectKind(() => lua.gc(), 'timeout');
      lua.gc(); // both finalizers ran (and were stopped): nothing is left to loop
      expectAlive(lua);
    });

    test('reset() and close() free a state whose finalizers loop', async () => {
      const lua = await loaded({ stdlib: 'all', timeout: 100 });
      lua.eval(`pending = ${LOOPING}`);
      lua.reset();
      expect(lua.eval('return keep')).toBeUndefined();
      expect(lua.ext.get('data').get('v')).toBe(7);
      lua.eval(`pending = ${LOOPING}`);
      lua.close();
      expectKind(() => lua.eval('return 1'), 'closed');
    });

    test('a callback that closes or resets the VM: the call frees the old state', async () => {
      const lua = await loaded({ stdlib: 'all', timeout: 100 });
      lua.setGlobal('renew', () => lua.reset());
      expect(lua.eval(`local p = ${LOOPING} renew() return 'returned'`)).toBe('returned');
      expect(lua.eval('return keep')).toBeUndefined();
      lua.setGlobal('die', () => {
        lua.close();
      });
      expect(lua.eval(`local p = ${LOOPING} die() return 'returned'`)).toBe('returned');
      expect(lua.backend).toBe(backend);
      expectKind(() => lua.eval('return 1'), 'closed');
    });

    test('host calls that allocate run pending finalizers under the timeout', async () => {
      const lua = await loaded({ stdlib: 'all', timeout: 50 });
      lua.eval(`for i = 1, 3 do ${LOOPING} end`);
      const big = Array.from({ length: 20000 }, (_, i) => ({ i }));
      const kinds = [];
      for (let i = 0; i < 10; i++) {
        try {
          lua.setGlobal('big', big);
          kinds.push('ok');
        } catch (e) {
          kinds.push(e.kind);
        }
      }
      expect(kinds.every((k) => k === 'ok' || k === 'timeout')).toBe(true);
      expect(kinds).toContain('timeout'); // the collector did reach the finalizers
      expect(lua.eval('return #big')).toBe(20000);
      expectAlive(lua);
    });

    test('a looping debug hook ends the eval with "timeout"', async () => {
      const lua = await loaded({ stdlib: 'all', timeout: 100 });
      expectKind(() => lua.eval('debug.sethook(function() while true do end end, "c") local function f() end f()'), 'timeout');
      // The hook is still set (it is the script's); the next call meets it at once.
      expectKind(() => lua.eval('local function f() end f()'), 'timeout');
      lua.reset();
      expect(lua.eval('local function f() return 3 end return f()')).toBe(3);
    });
  });

  describe('instructionLimit', () => {
    test('an infinite loop ends with kind "instructions"', async () => {
      const lua = await loaded({ instructionLimit: 100000 });
      const e = expectKind(() => lua.eval('while true do end'), 'instructions');
      expect(e.message).toMatch(/instruction/i);
      expectAlive(lua);
    });

    test('code within the limit runs, and the limit is per eval', async () => {
      const lua = await loaded({ instructionLimit: 100000 });
      const code = 'local s = 0 for i = 1, 15000 do s = s + i end return s';
      for (let i = 0; i < 10; i++) expect(lua.eval(code)).toBe(112507500);
    });

    test('run() stats count instructions when a limit is set', async () => {
      const lua = await loaded({ instructionLimit: 1000000 });
      const small = lua.run('local s = 0 for i = 1, 10 do s = s + i end').stats.instructions;
      const big = lua.run('local s = 0 for i = 1, 10000 do s = s + i end').stats.instructions;
      expect(typeof big).toBe('number');
      expect(big).toBeGreaterThan(small);
    });

    test('a caught instruction limit still fails the call', async () => {
      const lua = await loaded({ instructionLimit: 100000 });
      expectKind(() => lua.eval('local ok = pcall(function() while true do end end) return ok'), 'instructions');
      expect(lua.eval('return 1 + 1')).toBe(2);
    });

    test('pcall cannot swallow the instruction limit', async () => {
      const lua = await loaded({ instructionLimit: 100000 });
      expectKind(() => lua.eval('while true do pcall(function() while true do end end) end'), 'instructions');
      expectAlive(lua);
    });
  });

  describe('stack overflows', () => {
    test('deep Lua recursion ends with a runtime error mentioning stack overflow', async () => {
      const lua = await loaded();
      const e = expectKind(() => lua.eval('local function f() return 1 + f() end return f()'), 'runtime');
      expect(e.message).toMatch(/stack overflow/i);
      expectAlive(lua);
    });

    test('deep recursion under pcall is catchable by Lua', async () => {
      const lua = await loaded();
      const [ok, msg] = lua.evalAll('local function f() return 1 + f() end return pcall(f)');
      expect(ok).toBe(false);
      expect(msg).toMatch(/stack overflow/i);
      expectAlive(lua);
    });

    test('C-stack overflow through nested string.gsub callbacks', async () => {
      const lua = await loaded();
      const e = expectKind(() => lua.eval('local function g(s) return (string.gsub(s, ".", g)) end return g("x")'), 'runtime');
      expect(e.message).toMatch(/stack overflow/i);
      expectAlive(lua);
    });

    test('C-stack overflow through nested coroutine.wrap', async () => {
      const lua = await loaded();
      const e = expectKind(() => lua.eval('local function f() return coroutine.wrap(f)() end return f()'), 'runtime');
      expect(e.message).toMatch(/stack overflow/i);
      expectAlive(lua);
    });

    test('C-stack overflow through nested metamethods', async () => {
      const lua = await loaded();
      const e = expectKind(
        () => lua.eval('local t = setmetatable({}, {__index = function(t, k) return t[k .. "x"] end}) return t.a'),
        'runtime',
      );
      expect(e.message).toMatch(/stack overflow|too long/i);
      expectAlive(lua);
    });

    test('recursion through a JS callback ends with an error, not a crash', async () => {
      const lua = await loaded();
      lua.setGlobal('again', () => lua.call('rec'));
      lua.eval('function rec() return again() end');
      const e = thrown(() => lua.call('rec'));
      expect(e).toBeInstanceOf(LuaError);
      expectAlive(lua);
    });

    test('calls nest 100 deep between JS and Lua, then fail the same way on both backends', async () => {
      const lua = await loaded();
      let deepest = 0;
      lua.setGlobal('down', (n) => {
        deepest = Math.max(deepest, n);
        return lua.eval(`return down(${n + 1})`);
      });
      const e = expectKind(() => lua.eval('return down(1)'), 'runtime');
      expect(e.message).toMatch(/too many nested calls between JS and Lua \(more than 100\)/);
      expect(deepest).toBe(100); // the 100th callback's eval was the 101st call
      lua.setGlobal('down', (n) => (n < 90 ? lua.eval(`return down(${n + 1})`) : n));
      expect(lua.eval('return down(1)')).toBe(90);
      expectAlive(lua);
    });
  });

  describe('memory() and gc()', () => {
    test('memory().limit is the limit as given, past 4 GiB too (the same on wasm32)', async () => {
      const lua = await make({ memoryLimit: 1e15 });
      expect(lua.memory().limit).toBe(1e15);
      expect(lua.eval('return #string.rep("x", 1e6)')).toBe(1e6);
    });

    test('a fractional limit rounds up: below one byte or instruction is still a limit', async () => {
      const tiny = await make({ memoryLimit: 0.5 });
      expect(tiny.memory().limit).toBe(1);
      expectKind(() => tiny.eval('return {}'), 'memory');
      const counted = await make({ instructionLimit: 0.5 });
      expectKind(() => counted.eval('while true do end'), 'instructions');
    });

    test('memory() returns numbers { used, peak, limit }', async () => {
      const lua = await make({ memoryLimit: 32 * MB });
      const m = lua.memory();
      expect(Object.keys(m).sort()).toEqual(['limit', 'peak', 'used']);
      for (const k of ['used', 'peak', 'limit']) expect(typeof m[k]).toBe('number');
      expect(m.limit).toBe(32 * MB);
      expect(m.used).toBeGreaterThan(0);
      expect(m.used).toBeLessThanOrEqual(m.limit);
      expect(m.peak).toBeGreaterThanOrEqual(m.used);
    });

    test('used grows with live data and drops after gc(); peak remembers', async () => {
      const lua = await make();
      const base = lua.memory().used;
      lua.eval('junk = {} for i = 1, 20000 do junk[i] = {i} end');
      const grown = lua.memory();
      expect(grown.used).toBeGreaterThan(base + 500000);
      lua.eval('junk = nil');
      expect(lua.gc()).toBeUndefined();
      const after = lua.memory();
      expect(after.used).toBeLessThan(grown.used / 2);
      expect(after.peak).toBeGreaterThanOrEqual(grown.used);
    });

    test('peak reaches the limit after a memory error', async () => {
      const lua = await make({ memoryLimit: 8 * MB });
      expect(() => lua.eval('local t = {} for i = 1, 1e9 do t[i] = i end')).toThrow(LuaError);
      const m = lua.memory();
      expect(m.peak).toBeGreaterThan(4 * MB);
      expect(m.peak).toBeLessThanOrEqual(8 * MB);
    });
  });
});
