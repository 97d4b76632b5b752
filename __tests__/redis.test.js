'use strict';
// Ext tables on Redis (lib/redis.js, lib/shared-store.js): many VMs, many processes, one
// store, no lost updates; faults give clear errors and commit nothing partial. Against
// a real redis-server (see redis-server.js), on both backends.
const path = require('path');
const { spawn } = require('child_process');
const Redis = require('ioredis');
const { createLua, LuaError } = require('..');
const { redisStorage } = require('../lib/redis');
const { forEachBackend } = require('./backends');
const { startRedis } = require('./redis-server');

const COUNTER = path.join(__dirname, 'fixtures', 'redis-counter.js');

let server;
let admin;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin.disconnect();
  await server.remove();
});

/** A fresh prefix per test, so tests share the server but not data. */
const fresh = () => `t${process.pid}x${++n}`;

function runCounter(prefix, backend, calls, mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [COUNTER, server.url, prefix, backend, String(calls), mode || ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`counter exited ${code}: ${err}`))));
  });
}

forEachBackend((backend) => {
  const open = (prefix, extra = {}) => createLua({ backend, storage: redisStorage({ url: server.url, prefix, ...extra }) });

  /** Two VMs on one fresh prefix (a with `aOptions`), closed after `fn(a, b)`. */
  async function withTwo(fn, aOptions) {
    const prefix = fresh();
    const a = await open(prefix, aOptions);
    const b = await open(prefix);
    try {
      await fn(a, b, prefix);
    } finally {
      await a.close();
      await b.close();
    }
  }

  /**
   * Interleaves two calls: `aCall(a)` runs until its Lua code calls `pause()` (the first
   * time only; later runs go straight on), then `bCode` runs and commits on b, then a
   * goes on. Resolves with a's outcome and how many times a's code ran.
   */
  async function interleave(a, aCall, b, bCode) {
    let release;
    const gate = new Promise((r) => { release = r; });
    let runs = 0;
    a.setGlobal('pause', () => (++runs === 1 ? gate : undefined));
    const outcome = aCall(a).then((value) => ({ value }), (error) => ({ error }));
    await new Promise((r) => setTimeout(r, 30));
    await b.evalAsync(bCode);
    release();
    return { ...(await outcome), runs };
  }

  /** A VM on a redis-server of its own (which the test may stop), both gone after `fn(lua, own)`. */
  async function withOwnServer(fn) {
    const own = await startRedis();
    const lua = await createLua({ backend, storage: redisStorage({ url: own.url, prefix: fresh(), timeout: 2000 }) });
    let restarted = null;
    try {
      await fn(lua, own, (r) => { restarted = r; });
    } finally {
      await lua.close();
      await (restarted || own).remove();
    }
  }

  test('a VM sees what another committed, from its next call', () => withTwo(async (a, b) => {
    await a.evalAsync("local t = ext.table('users'); t.alice = { score = 1.5, tags = { 'x' } }; t[7] = true; t[2.5] = 'f'");
    expect(await b.evalAsync("local u = ext.table('users'); return u.alice.score + #u.alice.tags")).toBe(2.5);
    expect(await b.evalAsync("local u = ext.table('users'); return math.type(u.alice.score), u[7], u[2.5]")).toBe('float');
    expect(await b.callAsync('tostring', 1)).toBe('1');
    await b.evalAsync("ext.table('users').alice = nil; ext.drop('gone'); ext.table('more').x = 1");
    expect(await a.evalAsync("return ext.table('users').alice == nil and ext.table('users')[7] == true")).toBe(true);
    expect((await a.evalAsync("local n = ext.tables(); table.sort(n); return table.concat(n, ',')"))).toBe('more,users');
    // lua.ext mirrors the last view the VM read.
    expect(a.ext.get('more').get('x')).toBe(1);
  }));

  test('a new VM loads the whole store, and the layout is one hash entry per key', async () => {
    const prefix = fresh();
    const a = await open(prefix);
    await a.evalAsync("local t = ext.table('c'); t.n = 5; t[1] = 'one'; t.flag = false; t.half = 0.5; t.whole = 2.0; t[0.1] = 1; t[-1e300] = 2; t[1/0] = 3");
    await a.close();
    const fields = (await admin.hkeys(`${prefix}:t:c`)).sort();
    expect(fields).toEqual(['f:-1e+300', 'f:0.1', 'f:inf', 'i:1', 's:flag', 's:half', 's:n', 's:whole']);
    expect(await admin.hget(`${prefix}:tables`, 'c')).toBe('1');
    expect(Number(await admin.get(`${prefix}:seq`))).toBe(1);
    expect(await admin.xlen(`${prefix}:log`)).toBe(1);
    const b = await open(prefix);
    try {
      expect(await b.evalAsync("local t = ext.table('c'); return t.n + #t, math.type(t.whole), t.flag, t.half")).toBe(6);
      expect(await b.evalAsync("local t = ext.table('c'); return t[0.1] + t[-1e300] * 10 + t[1/0] * 100")).toBe(321);
      expect(await b.evalAsync("return math.type(ext.table('c').whole)")).toBe('float');
      expect(b.ext.get('c').get('flag')).toBe(false);
    } finally {
      await b.close();
    }
  });

  test('ext access outside async calls fails with kind storage; other code runs', async () => {
    const lua = await open(fresh());
    try {
      expect(lua.eval('return 1 + 1')).toBe(2);
      let err;
      try {
        lua.eval("return ext.table('c').n");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LuaError);
      expect(err.kind).toBe('storage');
      expect(err.message).toMatch(/evalAsync/);
      // pcall catches it, like any ext error.
      expect(lua.eval("return select(2, pcall(ext.table, 'c'))")).toMatch(/shared store/);
      expect(() => lua.restore(new Uint8Array([1]))).toThrow(/restore/);
      expect(await lua.evalAsync("ext.table('c').n = 1; return ext.table('c').n")).toBe(1);
    } finally {
      await lua.close();
    }
  });

  test('a call whose read was changed by another VM runs again and loses nothing', () => withTwo(async (a, b) => {
    await a.evalAsync("ext.table('c').n = 0");
    const r = await interleave(a, (vm) => vm.evalAsync("local t = ext.table('c'); local n = t.n; pause(); t.n = n + 10; return t.n"),
      b, "local t = ext.table('c'); t.n = t.n + 1");
    expect(r).toEqual({ value: 11, runs: 2 });
    expect(await b.evalAsync("return ext.table('c').n")).toBe(11);
  }));

  test('reads of other entries, and blind writes, do not conflict', () => withTwo(async (a, b) => {
    await a.evalAsync("local t = ext.table('c'); t.x = 0; t.y = 0");
    const r = await interleave(a, (vm) => vm.evalAsync("local t = ext.table('c'); local x = t.x; pause(); t.x = x + 1; t.z = 'blind'"),
      b, "local t = ext.table('c'); t.y = t.y + 1; t.z = 'b'");
    expect(r.runs).toBe(1);
    expect(await b.evalAsync("local t = ext.table('c'); return t.x + t.y")).toBe(2);
    expect(await b.evalAsync("return ext.table('c').z")).toBe('blind');
  }));

  test('pairs and # read the whole table: any change to it conflicts', () => withTwo(async (a, b) => {
    await a.evalAsync("local t = ext.table('list'); t[1] = 'a'");
    const r = await interleave(a, (vm) => vm.evalAsync("local t = ext.table('list'); local n = #t; pause(); ext.table('count').n = n; return n"),
      b, "local t = ext.table('list'); t[2] = 'b'");
    expect(r).toEqual({ value: 2, runs: 2 });
  }));

  test('with retries: 0 a conflict fails with code conflict and commits nothing', () => withTwo(async (a, b, prefix) => {
    await a.evalAsync("ext.table('c').n = 0");
    const r = await interleave(a, (vm) => vm.evalAsync("local t = ext.table('c'); local n = t.n; pause(); t.n = n + 10; t.other = 1"),
      b, "local t = ext.table('c'); t.n = t.n + 1");
    expect(r.error).toMatchObject({ kind: 'storage', code: 'conflict' });
    // Undone locally too, and the store holds only b's write.
    expect(a.ext.get('c').get('other')).toBeUndefined();
    expect(await a.evalAsync("local t = ext.table('c'); return t.n, t.other")).toBe(1);
    expect(await admin.hget(`${prefix}:t:c`, 's:other')).toBe(null);
    // runAsync reports it instead.
    const report = await interleave(a, (vm) => vm.runAsync("local t = ext.table('c'); local n = t.n; pause(); t.n = n + 10"),
      b, "local t = ext.table('c'); t.n = t.n + 1");
    expect(report.value.ok).toBe(false);
    expect(report.value.error.code).toBe('conflict');
  }, { retries: 0 }));

  test('a failed call commits nothing', async () => {
    const prefix = fresh();
    const lua = await open(prefix);
    try {
      await lua.evalAsync("ext.table('c').n = 1");
      await expect(lua.evalAsync("local t = ext.table('c'); t.n = 99; t.x = 1; error('boom')")).rejects.toMatchObject({ kind: 'runtime' });
      const r = await lua.runAsync("ext.table('c').n = 50; ext.drop('c'); error('again')");
      expect(r.ok).toBe(false);
      expect(Number(await admin.get(`${prefix}:seq`))).toBe(1);
      expect(await admin.hgetall(`${prefix}:t:c`)).toEqual({ 's:n': expect.any(String) });
      expect(await lua.evalAsync("return ext.table('c').n")).toBe(1);
    } finally {
      await lua.close();
    }
  });

  test('4 processes x 500 increments end at exactly 2000', async () => {
    const prefix = fresh();
    const stats = await Promise.all([0, 1, 2, 3].map(() => runCounter(prefix, backend, 500)));
    const lua = await open(prefix);
    try {
      expect(await lua.evalAsync("return ext.table('c').n")).toBe(2000);
    } finally {
      await lua.close();
    }
    expect(stats.reduce((s, x) => s + x.commits, 0)).toBe(2000);
  }, 120000);

  test('a process killed in the middle of a call commits nothing', async () => {
    const prefix = fresh();
    const lua = await open(prefix);
    await lua.evalAsync("ext.table('c').n = 1");
    const child = spawn(process.execPath, [COUNTER, server.url, prefix, backend, '0', 'hang'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.on('data', (d) => String(d).includes('ready') && resolve()));
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    try {
      expect(await lua.evalAsync("local t = ext.table('c'); return t.n, t.half")).toBe(1);
      expect(await lua.evalAsync("return ext.table('c').half")).toBeUndefined();
    } finally {
      await lua.close();
    }
  }, 60000);

  test('connection refused at start: createLua rejects with kind storage', async () => {
    const spare = await startRedis();
    const url = spare.url;
    await spare.remove();
    const err = await createLua({ backend, storage: redisStorage({ url, prefix: fresh() }) }).catch((e) => e);
    expect(err).toBeInstanceOf(LuaError);
    expect(err.kind).toBe('storage');
    expect(err.code).toBe('unavailable');
    expect(err.message).toMatch(/cannot connect to Redis/);
  });

  test('Redis stopped mid-run: calls fail clearly, nothing partial, work resumes after a restart', () => withOwnServer(async (lua, own, restartedAs) => {
    await lua.evalAsync("ext.table('c').n = 1");
    await own.stop();
    const err = await lua.evalAsync("local t = ext.table('c'); t.n = t.n + 1").catch((e) => e);
    expect(err).toBeInstanceOf(LuaError);
    expect(err.kind).toBe('storage');
    expect(err.code).toBe('unavailable');
    // runAsync reports it, as it reports every failure of the call.
    const report = await lua.runAsync("return ext.table('c').n");
    expect(report).toMatchObject({ ok: false, error: { kind: 'storage', code: 'unavailable' } });
    // The VM is usable meanwhile for code that does not touch ext (async calls read
    // the store first, so they wait for Redis).
    expect(lua.eval('return 6 * 7')).toBe(42);
    restartedAs(await startRedis({ port: own.port, dir: own.dir }));
    let value;
    for (let i = 0; i < 100 && value === undefined; i++) {
      value = await lua.evalAsync("local t = ext.table('c'); t.n = t.n + 1; return t.n").catch(() => undefined);
      if (value === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(value).toBe(2);
  }), 60000);

  test('a commit whose connection fails is undone locally and reported', () => withOwnServer(async (lua, own) => {
    await lua.evalAsync("ext.table('c').n = 1");
    lua.setGlobal('stopRedis', () => own.stop());
    const err = await lua.evalAsync("local t = ext.table('c'); t.n = 2; stopRedis()").catch((e) => e);
    expect(err.kind).toBe('storage');
    expect(err.message).toMatch(/commit/);
    expect(lua.ext.get('c').get('n')).toBe(1);
  }), 60000);

  test('bad data under the prefix gives clear errors, not crashes', async () => {
    const p1 = fresh();
    await admin.set(`${p1}:format`, '9');
    await expect(open(p1)).rejects.toMatchObject({ kind: 'storage', code: 'bad-data', message: expect.stringMatching(/format/) });

    const p2 = fresh();
    await admin.hset(`${p2}:tables`, 'c', '1');
    await admin.hset(`${p2}:t:c`, 's:n', Buffer.from([0xff, 0xff, 0xff]));
    await expect(open(p2)).rejects.toMatchObject({ kind: 'storage', message: expect.stringMatching(/not a lua-persistent value/) });

    const p3 = fresh();
    await admin.hset(`${p3}:tables`, 'c', '1');
    await admin.hset(`${p3}:t:c`, 'zz', 'x');
    await expect(open(p3)).rejects.toMatchObject({ kind: 'storage', message: expect.stringMatching(/not a lua-persistent key/) });

    const p4 = fresh();
    const lua = await open(p4);
    try {
      await lua.evalAsync("ext.table('c').n = 1");
      await admin.set(`${p4}:t:c`, 'not a hash');
      await admin.incr(`${p4}:seq`);
      // The next call's view cannot be read (the log lacks that commit: a whole load
      // finds the foreign key); nothing is written over it.
      await expect(lua.evalAsync("ext.table('c').n = 2")).rejects.toMatchObject({ kind: 'storage', code: 'bad-data' });
      expect(await admin.get(`${p4}:t:c`)).toBe('not a hash');
      expect(lua.eval('return 1')).toBe(1);
    } finally {
      await lua.close();
    }

    const p5 = fresh();
    await admin.set(`${p5}:seq`, 'abc');
    await expect(open(p5)).rejects.toMatchObject({ kind: 'storage', code: 'bad-data' });
  });

  test('a VM far behind the log reloads the whole store', () => withTwo(async (a, b) => {
    await a.evalAsync("ext.table('c').n = 0");
    await b.evalAsync("return ext.table('c').n");
    for (let i = 0; i < 30; i++) await a.evalAsync(`ext.table('c')[${i}] = ${i}; ext.table('c').n = ext.table('c').n + 1`);
    expect(await b.evalAsync("local t = ext.table('c'); return t.n + t[29]")).toBe(59);
  }, { logLength: 5 }));
});

test('redisStorage checks its options', () => {
  expect(() => redisStorage({ prefix: '' })).toThrow(/prefix/);
  expect(() => redisStorage({ logLength: 0 })).toThrow(/logLength/);
  expect(() => redisStorage(null)).toThrow(/options/);
});
