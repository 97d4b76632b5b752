'use strict';
// createLua options, backend property, close(), reset(), worker_threads.
const { Worker } = require('worker_threads');
const { forEachBackend } = require('./backends');
const { createLua, LuaError, vms, thrown, ROOT } = require('./helpers');

forEachBackend((backend) => {
  const make = vms(backend);

  describe('createLua', () => {
    test('resolves to a VM whose backend property is the requested backend', async () => {
      const lua = await make();
      expect(lua.backend).toBe(backend);
      expect(lua.eval('return 1')).toBe(1);
    });

    test('returns a Promise', () => {
      const p = createLua({ backend });
      expect(p).toBeInstanceOf(Promise);
      return p.then((lua) => lua.close());
    });

    test('an unknown backend rejects with a TypeError', async () => {
      await expect(createLua({ backend: 'bogus' })).rejects.toThrow(TypeError);
    });

    test.each([
      ['negative timeout', { timeout: -1 }],
      ['string timeout', { timeout: '100' }],
      ['negative memoryLimit', { memoryLimit: -5 }],
      ['NaN memoryLimit', { memoryLimit: NaN }],
      ['negative instructionLimit', { instructionLimit: -1 }],
      ["stdlib 'x'", { stdlib: 'x' }],
      ['print not a function', { print: 42 }],
      ['bad storage', { storage: 42 }],
    ])('invalid option (%s) rejects with a TypeError', async (_, opts) => {
      await expect(createLua({ backend, ...opts })).rejects.toThrow(TypeError);
    });

    test('non-object options reject with a TypeError', async () => {
      await expect(createLua('native')).rejects.toThrow(TypeError);
    });

    test('limits of 0 or Infinity mean "no limit"', async () => {
      const lua = await make({ timeout: 0, memoryLimit: Infinity, instructionLimit: 0 });
      expect(lua.eval('local s = 0 for i = 1, 1e6 do s = s + 1 end return s')).toBe(1e6);
    });
  });

  describe('seeds', () => {
    // Lua seeds its string hashes and math.random from the time in seconds and the
    // state's address, the same in every wasm instance (and on wasm every VM with the
    // safe stdlib starts as a copy of one memory image, docs/design.md): each VM must
    // still get seeds of its own.
    const ORDER = "local t = {} for i = 1, 40 do t['key' .. i] = i end local o = {} for k in pairs(t) do o[#o + 1] = k end return table.concat(o, ',')";

    test.each(['safe', 'all'])('VMs (stdlib %s) draw different random numbers and order string keys differently', async (stdlib) => {
      const draws = new Set();
      const orders = new Set();
      for (let i = 0; i < 4; i++) {
        const lua = await make({ stdlib });
        draws.add(lua.eval('return math.random(0, 1 << 40)'));
        orders.add(lua.eval(ORDER));
      }
      expect(draws.size).toBe(4);
      expect(orders.size).toBeGreaterThan(1);
    });

    test('reset() gives the new state seeds of its own too', async () => {
      const draws = new Set();
      for (let i = 0; i < 4; i++) {
        const lua = await make();
        lua.reset();
        draws.add(lua.eval('return math.random(0, 1 << 40)'));
      }
      expect(draws.size).toBe(4);
    });

    test.each(['safe', 'all'])('a memoryLimit below what a new VM (stdlib %s) holds fails its calls, not its creation', async (stdlib) => {
      const lua = await make({ stdlib, memoryLimit: 1 });
      expect(lua.memory().limit).toBe(1);
      expect(lua.run('return {}').error.kind).toBe('memory');
    });

    test('a new VM finds every entry of its global and library tables by key', async () => {
      const lua = await make();
      const found = lua.eval(`
        local n = 0
        for _, t in ipairs({ _G, string, table, math, os, coroutine, utf8, ext, getmetatable('') }) do
          for k, v in pairs(t) do assert(rawget(t, k) == v, tostring(k)) n = n + 1 end
        end
        collectgarbage()
        return n, ('abc'):upper(), string.format('%d', 42)`);
      expect(found).toBeGreaterThan(100);
      expect(lua.evalAll("return ('abc'):upper(), ('x'):rep(3)")).toEqual(['ABC', 'xxx']);
    });
  });

  describe('close()', () => {
    const calls = {
      eval: (lua) => lua.eval('return 1'),
      evalAll: (lua) => lua.evalAll('return 1'),
      setGlobal: (lua) => lua.setGlobal('x', 1),
      getGlobal: (lua) => lua.getGlobal('x'),
      call: (lua) => lua.call('f'),
      snapshot: (lua) => lua.snapshot(),
      restore: (lua) => lua.restore(new Uint8Array([76, 85, 65, 80])),
      memory: (lua) => lua.memory(),
      gc: (lua) => lua.gc(),
      reset: (lua) => lua.reset(),
    };

    test.each(Object.keys(calls))('%s after close throws LuaError kind "closed"', async (name) => {
      const lua = await make();
      lua.eval('function f() return 1 end ext.table("t").a = 1');
      lua.close();
      const e = thrown(() => calls[name](lua));
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('closed');
    });

    test('run after close returns ok false with kind "closed" (run never throws)', async () => {
      const lua = await make();
      lua.close();
      let r;
      expect(() => { r = lua.run('return 1'); }).not.toThrow();
      expect(r.ok).toBe(false);
      expect(r.error).toBeInstanceOf(LuaError);
      expect(r.error.kind).toBe('closed');
    });

    test('save after close rejects with kind "closed"', async () => {
      const lua = await make();
      lua.close();
      await expect(lua.save()).rejects.toMatchObject({ kind: 'closed' });
    });

    test('closing twice is fine', async () => {
      const lua = await make();
      lua.close();
      expect(() => lua.close()).not.toThrow();
    });

    test('closing one VM does not affect another', async () => {
      const a = await make();
      const b = await make();
      a.eval('x = 1');
      b.eval('x = 2');
      a.close();
      expect(b.eval('return x')).toBe(2);
    });

    test('many VMs can be created and closed', async () => {
      for (let i = 0; i < 50; i++) {
        const lua = await createLua({ backend });
        expect(lua.eval(`return ${i}`)).toBe(i);
        lua.close();
      }
    });
  });

  describe('reset()', () => {
    test('clears globals but keeps ext data', async () => {
      const lua = await make();
      lua.eval('g = 1 function f() end ext.table("keep").x = 5 ext.table("keep").nested = {y = 6}');
      const m = lua.ext.get('keep');
      lua.reset();
      expect(lua.evalAll('return g, f')).toEqual([undefined, undefined]);
      expect(lua.evalAll('return ext.table("keep").x, ext.table("keep").nested.y')).toEqual([5, 6]);
      expect(lua.ext.get('keep')).toBe(m);
    });

    test('the VM works normally after reset (stdlib, print, ext writes)', async () => {
      const lua = await make();
      lua.reset();
      const r = lua.run('print(string.upper("ok")) ext.table("t").v = math.floor(2.5) return #ext.tables()');
      expect(r).toMatchObject({ ok: true, output: 'OK\n', values: [1] });
      expect(lua.ext.get('t').get('v')).toBe(2);
    });

    test('keeps the limits', async () => {
      const lua = await make({ instructionLimit: 10000 });
      lua.reset();
      expect(thrown(() => lua.eval('while true do end')).kind).toBe('instructions');
    });
  });

  describe('worker_threads', () => {
    function inWorker(code) {
      return new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { root: ROOT, backend } });
        let msg;
        w.on('message', (m) => { msg = m; });
        w.on('error', reject);
        w.on('exit', (c) => (c === 0 ? resolve(msg) : reject(new Error(`worker exited with ${c}`))));
      });
    }

    const WORKER = `
      const { parentPort, workerData } = require('worker_threads');
      const { createLua } = require(workerData.root);
      createLua({ backend: workerData.backend }).then((lua) => {
        const v = lua.eval('local t = ext.table("w") t.n = 41 return t.n + 1');
        const out = lua.run('print("from worker")').output;
        parentPort.postMessage({ v, out, backend: lua.backend, ext: lua.ext.get('w').get('n') });
        lua.close();
      }, (e) => parentPort.postMessage({ error: String(e && e.message) }));
    `;

    test('the addon loads and evaluates inside a Worker', async () => {
      const r = await inWorker(WORKER);
      expect(r).toEqual({ v: 42, out: 'from worker\n', backend, ext: 41 });
    });

    test('several Workers at once, and the main thread still works', async () => {
      const results = await Promise.all([1, 2, 3].map(() => inWorker(WORKER)));
      for (const r of results) expect(r.v).toBe(42);
      const lua = await make();
      expect(lua.eval('return 5')).toBe(5);
    });
  });
});
