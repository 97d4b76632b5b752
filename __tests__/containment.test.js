'use strict';
// Containment (issue 24): the blast radius of one VM. On wasm every VM has a module
// instance of its own, so a trap costs that VM only (kind 'crashed', its ext tables kept
// and still saved), each VM has its own memory (given back when it is closed), and a
// JS Map that misbehaves (a subclass with throwing methods, V8's Map size limit) is a
// plain Lua error on both backends, never a trap.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { createLua, LuaError } = require('..');
const { backends, forEachBackend, ROOT } = require('./backends');
const { vms } = require('./helpers');

const LOCK = 'ext.luap.lock';
const stores = [];
const store = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-contain-'));
  stores.push(d);
  return d;
};
afterAll(() => {
  for (const d of stores) fs.rmSync(d, { recursive: true, force: true });
});

/** Forces a trap inside `lua`'s module as a call would meet one (the test-only export
 * executes `unreachable`); returns the error the call failed with. */
function trap(lua) {
  try {
    lua._call(() => lua._vm.__trapForTests());
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to trap');
}

const crashed = expect.objectContaining({ kind: 'crashed' });
const onWasm = backends.includes('wasm') ? describe : describe.skip;

/** A garbage collection on demand (for the memory-release checks). */
function gcNow() {
  require('v8').setFlagsFromString('--expose-gc');
  require('vm').runInNewContext('gc')();
}
const tick = () => new Promise((r) => setTimeout(r, 0));

onWasm('wasm: a trap costs the trapping VM only', () => {
  test('the VM fails with kind crashed from then on; its ext tables stay readable', async () => {
    const lua = await createLua({ backend: 'wasm' });
    lua.eval('x = 1 ext.table("t").v = 7');
    const f = lua.eval('return function() return 1 end');
    const err = trap(lua);
    expect(err).toBeInstanceOf(LuaError);
    expect(err.kind).toBe('crashed');
    expect(err.message).toMatch(/^wasm trap \(unreachable\): this VM crashed/);
    expect(err.cause).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(() => lua.eval('return 1')).toThrow(crashed);
    expect(lua.run('return 1')).toMatchObject({ ok: false, error: crashed });
    expect(() => lua.getGlobal('x')).toThrow(crashed);
    expect(() => lua.restore(new Uint8Array(0))).toThrow(crashed);
    expect(() => f()).toThrow(crashed);
    expect(lua.ext.get('t').get('v')).toBe(7);
    // snapshot() still encodes the Maps (through a fresh instance): a new VM reads them.
    lua.ext.get('t').set('w', 'js');
    const bytes = lua.snapshot();
    const fresh = await createLua({ backend: 'wasm' });
    fresh.restore(bytes);
    expect(fresh.evalAll('local t = ext.table("t") return t.v, t.w')).toEqual([7, 'js']);
    fresh.close();
    await expect(lua.close()).resolves.toBeUndefined();
    expect(() => lua.eval('return 1')).toThrow(expect.objectContaining({ kind: 'closed' }));
  });

  test('bystander VMs keep their calls, ext, pending autosave and store lock; the next createLua works', async () => {
    const dirA = store();
    const dirB = store();
    const a = await createLua({ backend: 'wasm', storage: dirA });
    const b = await createLua({ backend: 'wasm', storage: dirB, autosave: 30 });
    const c = await createLua({ backend: 'wasm' });
    a.eval('ext.table("t").v = 1');
    b.eval('ext.table("t").n = 1'); // its debounced autosave is pending during the trap
    c.eval('x = 41');
    expect(trap(a).kind).toBe('crashed');

    expect(c.eval('return x + 1')).toBe(42);
    expect(c.eval('ext.table("c").k = "v" return ext.table("c").k')).toBe('v');
    b.eval('ext.table("t").n = ext.table("t").n + 1');
    const d = await createLua({ backend: 'wasm' });
    expect(d.eval('return 6 * 7')).toBe(42);
    d.close();

    // The crashed VM still writes its Maps (save() after JS changed them).
    a.ext.get('t').set('w', 2);
    await a.save();
    await a.close();
    await b.close();
    c.close();
    for (const dir of [dirA, dirB]) expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);

    const a2 = await createLua({ backend: 'wasm', storage: dirA });
    expect(a2.evalAll('local t = ext.table("t") return t.v, t.w')).toEqual([1, 2]);
    const b2 = await createLua({ backend: 'wasm', storage: dirB });
    expect(b2.eval('return ext.table("t").n')).toBe(2);
    await a2.close();
    await b2.close();
  });

  test('autosave writes what the Maps hold after a crash', async () => {
    const dir = store();
    const lua = await createLua({ backend: 'wasm', storage: dir, autosave: 20 });
    lua.eval('ext.table("t").v = 1');
    await lua.save();
    const file = path.join(dir, 'ext.luap');
    const before = fs.readFileSync(file);
    lua.ext.get('t').set('v', 5); // a JS write the VM's dirty flag does not see
    expect(trap(lua).kind).toBe('crashed');
    // The crash counts as a change: its autosave (debounced) writes the Maps as they are.
    await new Promise((r) => setTimeout(r, 150));
    const after = fs.readFileSync(file);
    expect(after.equals(before)).toBe(false);
    await lua.close();
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
    const back = await createLua({ backend: 'wasm', storage: dir });
    expect(back.eval('return ext.table("t").v')).toBe(5);
    await back.close();
  });

  test('close() right after a crash writes the last state, settles and releases the lock', async () => {
    const dir = store();
    const lua = await createLua({ backend: 'wasm', storage: dir, autosave: 60000 });
    lua.eval('ext.table("t").v = 1');
    lua.ext.get('t').set('js', true);
    expect(trap(lua).kind).toBe('crashed');
    await expect(lua.close()).resolves.toBeUndefined(); // the debounced save is pending: written now
    expect(fs.existsSync(path.join(dir, LOCK))).toBe(false);
    const back = await createLua({ backend: 'wasm', storage: dir });
    expect(back.evalAll('local t = ext.table("t") return t.v, t.js')).toEqual([1, true]);
    await back.close();
  });

  test('nothing is thrown outside a call: finalizers of a crashed VM, autosave timers, later VMs', () => {
    // A child process: an uncaught exception or unhandled rejection there fails it
    // (Node's default), and its GC can be driven with --expose-gc.
    const script = `
      const { createLua } = require(${JSON.stringify(ROOT)});
      const fs = require('fs'), os = require('os'), path = require('path');
      const tick = () => new Promise((r) => setTimeout(r, 5));
      (async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-contain-child-'));
        const others = [];
        for (let i = 0; i < 4; i++) others.push(await createLua({ backend: 'wasm' }));
        let fns = [];
        const lua = await createLua({ backend: 'wasm', storage: dir, autosave: 5 });
        for (let i = 0; i < 300; i++) fns.push(lua.eval('return function() return ' + i + ' end'));
        for (const o of others) for (let i = 0; i < 100; i++) fns.push(o.eval('return function() end'));
        lua.eval('ext.table("t").v = 1');
        try { lua._call(() => lua._vm.__trapForTests()); } catch (e) { if (e.kind !== 'crashed') throw e; }
        fns = null;
        for (let i = 0; i < 5; i++) { global.gc(); await tick(); }
        for (const o of others) if (o.eval('return 1 + 1') !== 2) throw new Error('bystander broken');
        await lua.close();
        for (const o of others) o.close();
        const next = await createLua({ backend: 'wasm' });
        if (next.eval('return 40 + 2') !== 42) throw new Error('next VM broken');
        next.close();
        for (let i = 0; i < 3; i++) { global.gc(); await tick(); }
        fs.rmSync(dir, { recursive: true, force: true });
        console.log('ok');
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.status).toBe(0);
  });
});

onWasm('wasm: a stack overflow inside the wasm code', () => {
  test('on a small stack, deep JS/Lua nesting traps: that VM is crashed, the call says so, a bystander works', () => {
    // Each level is a JS callback calling eval; on a 200 KB stack V8 overflows inside
    // the wasm frames before the nesting limit (100). The outer calls' frames ran on in
    // the dead instance: their result must not be taken for an ordinary error.
    const script = `
      const { createLua } = require(${JSON.stringify(ROOT)});
      (async () => {
        const bystander = await createLua({ backend: 'wasm' });
        bystander.eval('x = 41');
        const lua = await createLua({ backend: 'wasm' });
        lua.setGlobal('down', (n) => lua.eval('return ' + n + ' > 0 and down(' + (n - 1) + ') or 0'));
        const r = lua.run('return down(95)');
        const after = lua.run('return 1');
        console.log(JSON.stringify({ ok: r.ok, kind: r.error && r.error.kind, message: r.error && r.error.message,
          after: after.error && after.error.kind, bystander: bystander.eval('return x + 1') }));
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const r = spawnSync(process.execPath, ['--stack-size=200', '-e', script], { encoding: 'utf8', timeout: 60000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, kind: 'crashed', message: expect.stringMatching(/^wasm trap/), after: 'crashed', bystander: 42 });
  });
});

onWasm('wasm: each VM has its own memory', () => {
  test('a VM grown near its memoryLimit does not grow another VM, and both hit kind memory', async () => {
    const limit = 48 * 1024 * 1024;
    const a = await createLua({ backend: 'wasm', memoryLimit: limit });
    const b = await createLua({ backend: 'wasm', memoryLimit: limit });
    const memA = a._impl.memoryOf(a._vm);
    const memB = b._impl.memoryOf(b._vm);
    expect(memA).not.toBe(memB);
    const fill = 'local t = {} for i = 1, 1e6 do t[i] = ("x"):rep(4096) .. i end';
    expect(a.run(fill).error).toMatchObject({ kind: 'memory' });
    expect(memA.buffer.byteLength).toBeGreaterThan(limit * 0.75);
    expect(memB.buffer.byteLength).toBeLessThan(8 * 1024 * 1024);
    expect(b.run(fill).error).toMatchObject({ kind: 'memory' });
    for (const lua of [a, b]) expect(lua.eval('t = nil collectgarbage() return 1 + 1')).toBe(2);
    a.close();
    b.close();
  });

  test('closing a VM gives its wasm memory back, even while the Lua object is still held', async () => {
    const lua = await createLua({ backend: 'wasm' });
    lua.eval('big = ("x"):rep(32 * 1024 * 1024)');
    const memory = new WeakRef(lua._impl.memoryOf(lua._vm));
    expect(memory.deref().buffer.byteLength).toBeGreaterThan(32 * 1024 * 1024);
    await lua.close();
    for (let i = 0; i < 3 && memory.deref() !== undefined; i++) {
      await tick();
      gcNow();
    }
    expect(memory.deref()).toBeUndefined();
    expect(lua.ext).toBeInstanceOf(Map); // the object itself is alive and usable as data
  });

  test('a crashed VM gives its memory back too', async () => {
    const lua = await createLua({ backend: 'wasm' });
    lua.eval('big = ("x"):rep(16 * 1024 * 1024)');
    const memory = new WeakRef(lua._impl.memoryOf(lua._vm));
    expect(trap(lua).kind).toBe('crashed');
    for (let i = 0; i < 3 && memory.deref() !== undefined; i++) {
      await tick();
      gcNow();
    }
    expect(memory.deref()).toBeUndefined();
    await lua.close();
  });
});

/** A Map of the most entries V8 allows (2^24), built once and shared by both backends. */
let fullMap = null;
function mapAtV8Limit() {
  if (fullMap === null) {
    fullMap = new Map();
    try {
      for (let i = 0; ; i++) fullMap.set(i, true);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
  return fullMap;
}
afterAll(() => {
  fullMap = null;
});

forEachBackend((backend) => {
  const make = vms(backend);

  test('a Map subclass with throwing methods is used through the intrinsic Map methods', async () => {
    class Hostile extends Map {
      get() { throw new Error('get called'); }
      set() { throw new Error('set called'); }
      has() { throw new Error('has called'); }
      delete() { throw new Error('delete called'); }
      clear() { throw new Error('clear called'); }
      get size() { throw new Error('size called'); }
    }
    const lua = await make();
    const h = new Hostile();
    Map.prototype.set.call(h, 'a', 1);
    Map.prototype.set.call(h, 'gone', true);
    lua.ext.set('h', h);
    // Many times, each under pcall: a raw JS error escaping used to break the VM.
    for (let i = 0; i < 100; i++) {
      expect(lua.evalAll(`
        local ok, a, n = pcall(function()
          local t = ext.table("h")
          t.b = ${i}
          t.gone = nil
          return t.a, t.b
        end)
        return ok, a, n`)).toEqual([true, 1, i]);
    }
    expect(Map.prototype.get.call(h, 'b')).toBe(99);
    expect(Map.prototype.has.call(h, 'gone')).toBe(false);
    expect(lua.eval('local n = 0 for _ in pairs(ext.table("h")) do n = n + 1 end return n')).toBe(2);
    const bytes = lua.snapshot();
    lua.restore(bytes);
    expect(lua.eval('return ext.table("h").b')).toBe(99);
    expect(lua.eval('return 1 + 1')).toBe(2);
  });

  test("V8's Map size limit is a catchable Lua error, and the VM stays usable", async () => {
    const lua = await make();
    lua.ext.set('full', mapAtV8Limit());
    const r = lua.evalAll('return pcall(function() ext.table("full")[-1] = true end)');
    expect(r[0]).toBe(false);
    expect(String(r[1])).toMatch(/Map maximum size exceeded/);
    const top = lua.run('ext.table("full")[-2] = true');
    expect(top.ok).toBe(false);
    expect(top.error).toBeInstanceOf(LuaError);
    expect(top.error.kind).toBe('ext');
    expect(top.error.message).toMatch(/^eval:1: ext: cannot write to table 'full': .*Map maximum size exceeded/);
    expect(lua.eval('return ext.table("full")[5]')).toBe(true);
    lua.ext.delete('full');
    expect(lua.eval('return 40 + 2')).toBe(42);
  }, 60000);

  test('the backend tells traps from ordinary errors', async () => {
    const lua = await make();
    const isTrap = (e) => lua._impl.isTrap(lua._vm, e);
    expect(isTrap(new Error('x'))).toBe(false);
    expect(isTrap(new RangeError('Map maximum size exceeded'))).toBe(false);
    expect(isTrap(new RangeError('Maximum call stack size exceeded'))).toBe(false); // not from wasm
    expect(isTrap(new WebAssembly.RuntimeError('unreachable'))).toBe(backend === 'wasm');
  });
});
