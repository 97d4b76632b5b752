'use strict';
// Data that is never silently lost (issue 25): a save that fails is reported and retried
// without taking the result of the call that triggered it; close() always settles and
// releases the store; keys JS and Lua both wrote never make a store unreadable; one
// owner per store even when many processes take over a stale lock at once; leftovers of
// killed processes are cleaned; storage failures name the store.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { createLua, LuaError } = require('..');
const { forEachBackend } = require('./backends');

const tmpDirs = [];
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-safe-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** An adapter that records every save (bytes, count) and every close. */
function recordingAdapter() {
  const a = { bytes: undefined, saves: 0, closes: 0, load: () => a.bytes, save: (b) => { a.saves++; a.bytes = b; }, close: () => { a.closes++; } };
  return a;
}

const flush = () => new Promise((r) => setImmediate(r));
/** Beyond Linux's pid_max (2^22): never a live process. */
const DEAD_PID = 2 ** 22 + 12345;

/** What a store holds, read by a fresh VM (memory storage). */
async function stored(backend, bytes) {
  const lua = await createLua({ backend });
  lua.restore(bytes);
  const t = lua.ext.get('data');
  const out = t ? Object.fromEntries(t) : {};
  await lua.close();
  return out;
}

forEachBackend((backend) => {
  describe('a failed autosave', () => {
    test('goes to onSaveError, leaves the call its result and output, and is retried', async () => {
      const store = recordingAdapter();
      const errors = [];
      const lines = [];
      const lua = await createLua({ backend, storage: store, onSaveError: (e) => errors.push(e), print: (t) => lines.push(t) });
      lua.ext.set('host', new Map([['when', new Date(0)]])); // JS put a value Lua cannot persist
      expect(lua.eval("ext.table('data').a = 1 print('hi') return 42")).toBe(42);
      expect(lines).toEqual(['hi']);
      const r = lua.run("ext.table('data').b = 2 print('out') return 'value'");
      expect([r.ok, r.values, r.output]).toEqual([true, ['value'], 'out\n']);
      expect(lua.call('tostring', 7)).toBe('7');
      await flush();
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors[0]).toBeInstanceOf(LuaError);
      expect(errors[0].kind).toBe('ext');
      expect(errors[0].message).toMatch(/snapshot: table 'host' holds an unsupported JS Date at key "when"/);
      expect(store.saves).toBe(0);
      // The host fixes its value: the next call saves Lua's earlier writes, although it
      // changes no ext data itself.
      lua.ext.get('host').set('when', 0);
      lua.eval('return 1');
      await flush();
      expect(store.saves).toBe(1);
      expect(await stored(backend, store.bytes)).toEqual({ a: 1, b: 2 });
      await lua.close();
    });

    test('without onSaveError goes to console.error (every retry), never thrown', async () => {
      const spy = jest.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const store = recordingAdapter();
        const lua = await createLua({ backend, storage: store });
        lua.ext.set('host', new Map([['f', () => 1]]));
        expect(lua.eval("ext.table('data').a = 1 return 'ok'")).toBe('ok');
        expect(lua.eval('return 2')).toBe(2);
        await flush();
        expect(spy).toHaveBeenCalledTimes(2);
        expect(String(spy.mock.calls[0][1].message)).toMatch(/unsupported JS function at key "f"/);
        lua.ext.delete('host');
        await lua.close(); // the data is still dirty: close writes it
        expect(await stored(backend, store.bytes)).toEqual({ a: 1 });
      } finally {
        spy.mockRestore();
      }
    });

    test('a failing write is retried by the next call and by close', async () => {
      let fail = true;
      const store = recordingAdapter();
      const save = store.save;
      store.save = (b) => (fail ? Promise.reject(new Error('disk full')) : save(b));
      const errors = [];
      const lua = await createLua({ backend, storage: store, onSaveError: (e) => errors.push(e.message) });
      lua.eval("ext.table('data').a = 1");
      await flush();
      expect(errors).toEqual(['disk full']);
      fail = false;
      await lua.close();
      expect(await stored(backend, store.bytes)).toEqual({ a: 1 });
    });

    test('debounced: close() resolves, reports the failure and releases the store', async () => {
      const dir = tmpDir();
      const errors = [];
      const lua = await createLua({ backend, storage: dir, autosave: 1000, onSaveError: (e) => errors.push(e) });
      lua.ext.set('host', new Map([['d', new Date()]]));
      lua.eval("ext.table('data').a = 1");
      const closing = lua.close(); // used to throw here and keep the lock
      expect(closing).toBeInstanceOf(Promise);
      await expect(closing).resolves.toBeUndefined();
      expect(errors.map((e) => e.kind)).toEqual(['ext']);
      expect(fs.existsSync(path.join(dir, 'ext.luap.lock'))).toBe(false);
      const again = await createLua({ backend, storage: dir });
      await again.close();
    });

    test('close() settles and releases the store when the last write fails or onSaveError throws', async () => {
      const store = recordingAdapter();
      store.save = () => {
        throw new Error('gone');
      };
      const spy = jest.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const lua = await createLua({ backend, storage: store, autosave: 1000, onSaveError: () => { throw new Error('handler broke'); } });
        lua.eval("ext.table('data').a = 1");
        await expect(lua.close()).resolves.toBeUndefined();
        expect(store.closes).toBe(1);
        const logged = spy.mock.calls.map((c) => c.map((x) => String(x && x.message)).join(' ')).join('\n');
        expect(logged).toMatch(/handler broke/);
        expect(logged).toMatch(/gone/);
      } finally {
        spy.mockRestore();
      }
    });

    test('calls after close() start no saves (nor reports) of the closed VM', async () => {
      const errors = [];
      const lua = await createLua({ backend, storage: recordingAdapter(), onSaveError: (e) => errors.push(e) });
      lua.ext.set('host', new Map([['d', new Date()]]));
      lua.eval("ext.table('data').a = 1");
      await lua.close();
      const reported = errors.length;
      expect(reported).toBeGreaterThanOrEqual(2); // the autosave, and the retry at close
      expect(() => lua.eval('return 1')).toThrow(expect.objectContaining({ kind: 'closed' }));
      await flush();
      expect(errors.length).toBe(reported);
    });

    test('save() rejects with the snapshot error (and reports it), the VM stays usable', async () => {
      const store = recordingAdapter();
      const errors = [];
      const lua = await createLua({ backend, storage: store, autosave: false, onSaveError: (e) => errors.push(e) });
      lua.ext.set('host', new Map([['o', {}]]));
      const e = await lua.save().catch((x) => x);
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('ext');
      expect(errors).toEqual([e]);
      expect(lua.eval('return 1 + 1')).toBe(2);
      await lua.close();
    });
  });

  describe('a key both JS and Lua wrote', () => {
    test('5n from JS and [5] from Lua: save refuses with the table and key, nothing written', async () => {
      const dir = tmpDir();
      const lua = await createLua({ backend, storage: dir, autosave: false });
      lua.eval("ext.table('data').kept = 'old'");
      await lua.save();
      const before = fs.readFileSync(path.join(dir, 'ext.luap'));
      lua.ext.set('t', new Map([[5n, 'host']]));
      lua.eval("ext.table('t')[5] = 'lua'");
      const e = await lua.save().catch((x) => x);
      expect(e).toBeInstanceOf(LuaError);
      expect(e.kind).toBe('ext');
      expect(e.message).toMatch(/^snapshot: table 't' has the key 5 twice .*BigInt.*nothing was written/);
      expect(fs.readFileSync(path.join(dir, 'ext.luap')).equals(before)).toBe(true);
      // One of them removed: the save goes through, and the store opens again.
      lua.ext.get('t').delete(5n);
      await lua.save();
      await lua.close();
      const again = await createLua({ backend, storage: dir });
      expect(again.recovery).toBeNull();
      expect(again.evalAll("return ext.table('t')[5], ext.table('data').kept")).toEqual(['lua', 'old']);
      await again.close();
    });

    test('in a nested Map too, named by its path', async () => {
      const lua = await createLua({ backend });
      lua.ext.set('t', new Map([['inner', new Map([[2 ** 40, 1], [2n ** 40n, 2]])]]));
      const e = (() => { try { lua.snapshot(); } catch (x) { return x; } })();
      expect(e.kind).toBe('ext');
      expect(e.message).toMatch(/table 't\."inner"' has the key 1099511627776 twice/);
      await lua.close();
    });
  });

  describe('storage errors and adapters', () => {
    test('an adapter load() throwing a non-Error: a clear Error with the value as cause', async () => {
      for (const value of ['nope', { code: 7 }, 42]) {
        const e = await createLua({ backend, storage: { load() { throw value; }, save() {} } }).catch((x) => x);
        expect(e).toBeInstanceOf(Error);
        expect(e).not.toBeInstanceOf(LuaError);
        expect(e.message).toMatch(/^lua-persistent: the storage adapter's load\(\) threw a non-Error value: /);
        expect(e.cause).toBe(value);
      }
      const e = await createLua({ backend, storage: { load: async () => Promise.reject('async nope'), save() {} } }).catch((x) => x);
      expect(e.message).toMatch(/load\(\) threw a non-Error value: "async nope"/);
    });

    test('a store path under a file: ENOTDIR named with the store path', async () => {
      const file = path.join(tmpDir(), 'plain-file');
      fs.writeFileSync(file, 'x');
      const store = path.join(file, 'sub');
      const e = await createLua({ backend, storage: store }).catch((x) => x);
      expect(e.message).toContain(`lua-persistent: cannot open the store ${store}: ENOTDIR`);
      expect(e.message).toMatch(/a part of the path is a file/);
      expect(e.cause.code).toBe('ENOTDIR');
    });

    test('a store directory removed while open: the save names the store (ENOENT)', async () => {
      const dir = tmpDir();
      const lua = await createLua({ backend, storage: dir, autosave: false });
      fs.rmSync(dir, { recursive: true, force: true });
      lua.eval("ext.table('data').a = 1");
      const e = await lua.save().catch((x) => x);
      expect(e.message).toMatch(new RegExp(`^lua-persistent: cannot write to the store ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
      expect(e.code).toBe('ENOENT');
      await lua.close();
    });

    test('assigning lua.ext throws a TypeError that says what to do instead', async () => {
      const lua = await createLua({ backend });
      const ext = lua.ext;
      expect(() => { lua.ext = new Map(); }).toThrow(TypeError);
      expect(() => { lua.ext = new Map(); }).toThrow(/lua\.ext\.clear\(\).*lua\.restore\(bytes\)/);
      expect(lua.ext).toBe(ext);
      lua.ext.clear();
      lua.ext.set('t', new Map([['x', 1]]));
      expect(lua.eval("return ext.table('t').x")).toBe(1);
      await lua.close();
    });
  });

  describe('leftovers of killed processes', () => {
    test('temp files of dead processes are removed on open, a live process\'s are kept', async () => {
      const dir = tmpDir();
      const dead = [`ext.luap.tmp-${DEAD_PID}`, `ext.luap.prev.tmp-${DEAD_PID}`, `ext.luap.lock.${DEAD_PID}-0-abc123`, 'ext.luap.lock.steal-x1'];
      const live = [`ext.luap.tmp-${process.pid}`, `ext.luap.lock.${process.pid}-0-abc123`, 'ext.luap.lock.steal-x2', 'notes.txt'];
      for (const f of [...dead, ...live]) fs.writeFileSync(path.join(dir, f), 'x');
      fs.writeFileSync(path.join(dir, 'ext.luap.lock.steal-x1'), JSON.stringify({ pid: DEAD_PID, host: os.hostname(), id: 'a' }));
      fs.writeFileSync(path.join(dir, 'ext.luap.lock.steal-x2'), JSON.stringify({ pid: process.pid, host: os.hostname(), id: 'b' }));
      const lua = await createLua({ backend, storage: dir });
      const left = fs.readdirSync(dir);
      for (const f of dead) expect(left).not.toContain(f);
      for (const f of live) expect(left).toContain(f);
      await lua.close();
    });

    test('a lock naming no real process (pid 0 or -1, garbage) is stale, not "in use"', async () => {
      const dir = tmpDir();
      for (const content of [{ pid: 0, host: os.hostname() }, { pid: -1, host: os.hostname() }, 'not json']) {
        fs.writeFileSync(path.join(dir, 'ext.luap.lock'), typeof content === 'string' ? content : JSON.stringify(content));
        const lua = await createLua({ backend, storage: dir });
        expect(JSON.parse(fs.readFileSync(path.join(dir, 'ext.luap.lock'), 'utf8')).pid).toBe(process.pid);
        await lua.close();
      }
    });

    test('a stale lock whose takeover claim was left by a dead opener is taken over', async () => {
      const dir = tmpDir();
      const host = os.hostname();
      fs.writeFileSync(path.join(dir, 'ext.luap.lock'), JSON.stringify({ pid: DEAD_PID, host, id: 'stale1' }));
      fs.writeFileSync(path.join(dir, 'ext.luap.lock.steal-stale1'), JSON.stringify({ pid: DEAD_PID + 1, host, id: 'claim1' }));
      const lua = await createLua({ backend, storage: dir });
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'ext.luap.lock'), 'utf8')).pid).toBe(process.pid);
      expect(fs.readdirSync(dir).filter((f) => f.includes('steal'))).toEqual([]);
      await lua.close();
      expect(fs.existsSync(path.join(dir, 'ext.luap.lock'))).toBe(false);
    });
  });

  // Before: several openers could each see the dead owner, one deleted the stale lock and
  // locked, another then deleted that new lock: two owners, a lost update (2 of 20
  // native and 5 of 40 wasm rounds with six processes).
  test('six processes taking over a stale lock at once: one owner, no lost update', async () => {
    const ROUNDS = Number(process.env.LOCK_ROUNDS || 8);
    const CHILDREN = 6;
    const dir = tmpDir();
    const child = path.join(__dirname, 'fixtures', 'open-race.js');
    for (let round = 1; round <= ROUNDS; round++) {
      fs.writeFileSync(path.join(dir, 'ext.luap.lock'), JSON.stringify({ pid: DEAD_PID, host: os.hostname() }));
      const startAt = Date.now() + 1500; // every child has loaded its backend by then
      const procs = Array.from({ length: CHILDREN }, () => spawn(process.execPath, [child, dir, backend, String(startAt)], { stdio: ['ignore', 'pipe', 'inherit'] }));
      const answers = await Promise.all(procs.map((p) => new Promise((resolve) => {
        let out = '';
        p.stdout.on('data', (d) => {
          out += d;
          if (out.endsWith('\n')) resolve(out.trim());
        });
        p.on('close', () => resolve(out.trim()));
      })));
      procs.forEach((p) => p.kill('SIGKILL'));
      await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('close', r)) : null)));
      expect(answers.sort()).toEqual(['busy', 'busy', 'busy', 'busy', 'busy', 'owner']);
      const lua = await createLua({ backend, storage: dir, autosave: false });
      expect(lua.eval("return ext.table('race').n")).toBe(round);
      await lua.close();
      // Make the next round's lock stale again (the owner was killed holding it).
    }
  }, 120000);
});
