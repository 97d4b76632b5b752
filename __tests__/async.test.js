'use strict';
// Async calls (issue 20): evalAsync / runAsync / callAsync. A JS function that returns
// a Promise suspends the Lua code until it settles; it goes on with the value, or with a
// Lua error at that call's line (catchable by pcall). Where Lua cannot suspend, a clear
// error. Limits count running time only; one async call per VM at a time; close() and
// reset() during a wait end it, its ext changes undone. Both backends.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { forEachBackend } = require('./backends');
const { createLua, LuaError, vms, thrown } = require('./helpers');

const sleep = (ms, v) => new Promise((resolve) => setTimeout(() => resolve(v), ms));

forEachBackend((backend) => {
  const make = vms(backend);

  async function withFetch(options = {}) {
    const lua = await make(options);
    lua.setGlobal('fetch', (x) => sleep(5, x * 2));
    lua.setGlobal('fail', (m) => Promise.reject(new Error(m)));
    lua.setGlobal('failWith', (v) => Promise.reject(v));
    return lua;
  }

  async function rejection(p) {
    try {
      await p;
    } catch (e) {
      return e;
    }
    throw new Error('expected a rejection');
  }

  test('several awaits in one call, mixed with sync calls; callAsync and runAsync', async () => {
    const lua = await withFetch();
    lua.setGlobal('inc', (x) => x + 1);
    expect(await lua.evalAsync('local a = fetch(1) local b = fetch(a) return a + b + inc(1)')).toBe(8);
    lua.eval('function twice(x) return fetch(x), fetch(x + 1) end');
    expect(await lua.callAsync('twice', 10)).toBe(20);
    const r = await lua.runAsync("print('before') local v = fetch(4) print('after', v) return v, 'x'");
    expect([r.ok, r.values, r.output]).toEqual([true, [8, 'x'], 'before\nafter\t8\n']);
    // A call that awaits nothing works as the sync one.
    expect(await lua.evalAsync('return 1 + 1')).toBe(2);
  });

  test('a rejection is a Lua error at the call\'s line, catchable by pcall; uncaught, it rejects with the reason as cause', async () => {
    const lua = await withFetch();
    expect(await lua.evalAsync("local ok, e = pcall(function() local v = fail('nope') return v end) return e")).toBe('eval:1: nope');
    const e = await rejection(lua.evalAsync("local x = 1\nlocal v = fail('boom')\nreturn v"));
    expect(e).toBeInstanceOf(LuaError);
    expect(e.kind).toBe('runtime');
    expect(e.message).toBe('eval:2: boom');
    expect(e.cause).toBeInstanceOf(Error);
    expect(e.cause.message).toBe('boom');
    expect((await rejection(lua.evalAsync("local v = failWith('plain') return v"))).message).toBe('eval:1: a Promise was rejected with "plain"');
    const r = await lua.runAsync("fail('in run')");
    expect([r.ok, r.error.kind, r.error.message]).toEqual([false, 'runtime', 'eval:1: in run']);
  });

  test('where Lua cannot suspend, a clear error; the Promise is let go', async () => {
    const lua = await withFetch();
    const sorted = await lua.evalAsync('local t = {3, 1, 2} return select(2, pcall(table.sort, t, function(a, b) fetch(1) return a < b end))');
    expect(sorted).toMatch(/cannot wait for a Promise here: Lua cannot suspend inside this call/);
    const inCoroutine = await lua.evalAsync('local co = coroutine.wrap(function() return fetch(2) end) return select(2, pcall(co))');
    expect(inCoroutine).toMatch(/cannot wait for a Promise inside a coroutine of the script/);
    // A rejected Promise let go this way is never an unhandled rejection.
    expect(await lua.evalAsync("return select(2, pcall(table.sort, {2, 1}, function(a, b) fail('x') return a < b end))")).toMatch(/cannot wait/);
    await sleep(20);
    // Metamethods called from Lua code can wait.
    expect(await lua.evalAsync("local t = setmetatable({}, { __index = function(_, k) return fetch(k) end }) return t[21]")).toBe(42);
  });

  test('the sync API still refuses a Promise', async () => {
    const lua = await withFetch();
    expect(thrown(() => lua.eval('return fetch(1)')).message).toMatch(/cannot pass a Promise to Lua: a synchronous call cannot wait/);
  });

  test('timeout and instruction limits count running time, not waiting', async () => {
    const lua = await make({ timeout: 100 });
    lua.setGlobal('slow', () => sleep(150, 1));
    // 300 ms of waiting under a 100 ms timeout.
    expect(await lua.evalAsync('return slow() + slow()')).toBe(2);
    const e = await rejection(lua.evalAsync('slow() while true do end'));
    expect(e.kind).toBe('timeout');
    const counted = await make({ instructionLimit: 300000 });
    counted.setGlobal('tick', () => sleep(1, 1));
    // Each segment spends from the one budget.
    const spent = await rejection(counted.evalAsync('for i = 1, 10 do tick() for j = 1, 100000 do end end'));
    expect(spent.kind).toBe('instructions');
  });

  test('one async call at a time: others queue, sync calls meanwhile are refused (busy)', async () => {
    const lua = await withFetch();
    const first = lua.evalAsync('return fetch(1)');
    expect(thrown(() => lua.eval('return 1')).message).toMatch(/the VM is busy: an async call is waiting for a Promise/);
    expect(await Promise.all([first, lua.evalAsync('return fetch(2)'), lua.evalAsync('return fetch(3)')])).toEqual([2, 4, 6]);
    expect(lua.eval('return 1')).toBe(1);
  });

  test('an async call is one transaction: a rejection undoes every ext write, awaits included', async () => {
    const lua = await withFetch();
    lua.eval("ext.table('acct').balance = 100");
    const e = await rejection(lua.evalAsync("local t = ext.table('acct') t.balance = 50 fetch(1) t.other = true fail('x')"));
    expect(e.message).toBe('eval:1: x');
    expect([...lua.ext.get('acct')]).toEqual([['balance', 100]]);
    expect(await lua.evalAsync("local t = ext.table('acct') t.balance = t.balance - fetch(5) return t.balance")).toBe(90);
  });

  test('close() and reset() during a wait end the call, its ext changes undone', async () => {
    const lua = await withFetch();
    lua.setGlobal('never', () => new Promise(() => {}));
    lua.eval("ext.table('t').keep = 1");
    const waiting = lua.evalAsync("ext.table('t').gone = 1 return never()");
    await sleep(5);
    lua.reset();
    const e = await rejection(waiting);
    expect(e.message).toMatch(/the VM was reset while this async call waited/);
    expect([...lua.ext.get('t').keys()]).toEqual(['keep']);
    lua.setGlobal('never', () => new Promise(() => {}));
    const closing = lua.evalAsync("ext.table('t').gone = 1 return never()");
    await sleep(5);
    await lua.close();
    const c = await rejection(closing);
    expect(c.kind).toBe('closed');
    expect([...lua.ext.get('t').keys()]).toEqual(['keep']);
  });

  test('save() during an async call waits for it: a failed call\'s writes are never saved', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-async-save-'));
    try {
      const lua = await createLua({ backend, storage: dir, autosave: false });
      lua.eval("ext.table('c').n = 1");
      lua.setGlobal('later', () => sleep(20).then(() => Promise.reject(new Error('no'))));
      const call = lua.evalAsync("ext.table('c').n = 2 later()");
      const saved = lua.save();
      await rejection(call);
      await saved;
      await lua.close();
      const again = await createLua({ backend, storage: dir });
      expect(again.eval("return ext.table('c').n")).toBe(1);
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with a store, an async call is saved once it ends, as one record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-async-'));
    try {
      const lua = await createLua({ backend, storage: dir });
      lua.setGlobal('fetch', (x) => sleep(5, x * 2));
      expect(await lua.evalAsync("local t = ext.table('c') t.a = fetch(1) t.b = fetch(2) return t.a + t.b")).toBe(6);
      await lua.close();
      const again = await createLua({ backend, storage: dir });
      expect(again.evalAll("return ext.table('c').a, ext.table('c').b")).toEqual([2, 4]);
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
