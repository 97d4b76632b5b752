'use strict';
// Persistence in Node: directory stores, autosave and dirty tracking, locking, damaged
// files kept aside, newer formats refused, custom adapters, both backends.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createLua, LuaError } = require('..');
const { forEachBackend } = require('./backends');

const tmpDirs = [];
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-store-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** An adapter that records every save, to observe what autosave does. */
function countingAdapter(initial) {
  const a = { bytes: initial, saves: 0, load: () => a.bytes, save: (b) => { a.saves++; a.bytes = b; } };
  return a;
}

const flush = () => new Promise((r) => setImmediate(r));

forEachBackend((backend) => {
  describe('directory store', () => {
    test('ext tables survive close and reopen, with every type intact', async () => {
      const dir = tmpDir();
      const a = await createLua({ backend, storage: dir });
      a.eval(`local t = ext.table('s')
        t.n, t.f, t.big, t.s, t.b = 1, 2.0, math.maxinteger, 'héllo', '\\xff\\0'
        t.nested = { list = { 1, 2, 3 }, deep = { x = 0.5 } }`);
      await a.close();
      expect(fs.readdirSync(dir).sort()).toEqual(['ext.luap']);
      const b = await createLua({ backend, storage: dir });
      expect(b.evalAll(`local t = ext.table('s')
        return t.n, math.type(t.f), t.big == math.maxinteger, t.s, t.b == '\\xff\\0', #t.nested.list, t.nested.deep.x`))
        .toEqual([1, 'float', true, 'héllo', true, 3, 0.5]);
      await b.close();
    });

    test('a save keeps the previous snapshot as ext.luap.prev', async () => {
      const dir = tmpDir();
      const lua = await createLua({ backend, storage: dir });
      lua.eval('ext.table().v = 1');
      await lua.save();
      lua.eval('ext.table().v = 2');
      await lua.save();
      await lua.close();
      const prev = await createLua({ backend, storage: 'memory' });
      prev.restore(new Uint8Array(fs.readFileSync(path.join(dir, 'ext.luap.prev'))));
      expect(prev.eval('return ext.table().v')).toBe(1);
      await prev.close();
    });

    test('a second VM on the same store gets a clear error; after close it opens', async () => {
      const dir = tmpDir();
      const a = await createLua({ backend, storage: dir });
      await expect(createLua({ backend, storage: dir })).rejects.toThrow(/in use by another VM of this process/);
      await a.close();
      const b = await createLua({ backend, storage: dir });
      await b.close();
    });

    test('a stale lock (its process is gone) is taken over', async () => {
      const dir = tmpDir();
      fs.writeFileSync(path.join(dir, 'ext.luap.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname() }));
      const lua = await createLua({ backend, storage: dir });
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'ext.luap.lock'), 'utf8')).pid).toBe(process.pid);
      await lua.close();
      expect(fs.existsSync(path.join(dir, 'ext.luap.lock'))).toBe(false);
    });

    test('a corrupted snapshot is kept aside and the previous good copy is used', async () => {
      const dir = tmpDir();
      const a = await createLua({ backend, storage: dir });
      a.eval('ext.table().v = "good"');
      await a.save();
      a.eval('ext.table().v = "newer"');
      await a.close();
      const file = path.join(dir, 'ext.luap');
      const damaged = fs.readFileSync(file);
      damaged[damaged.length - 10] ^= 0xff;
      fs.writeFileSync(file, damaged);

      const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
      const b = await createLua({ backend, storage: dir });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/corrupted.*kept as .*ext\.luap\.corrupt-/));
      warn.mockRestore();
      expect(b.recovery).toMatchObject({ usedPrevious: true, keptAs: expect.stringContaining('ext.luap.corrupt-') });
      expect(b.eval('return ext.table().v')).toBe('good');
      // The damaged bytes are kept, unchanged, and never overwritten by later saves.
      expect(fs.readFileSync(b.recovery.keptAs).equals(damaged)).toBe(true);
      b.eval('ext.table().v = "after"');
      await b.close();
      expect(fs.readFileSync(b.recovery.keptAs).equals(damaged)).toBe(true);
    });

    test('a truncated snapshot with no previous copy: kept aside, start empty', async () => {
      const dir = tmpDir();
      fs.writeFileSync(path.join(dir, 'ext.luap'), Buffer.from('LUAP\x01\x00\x01'));
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
      const lua = await createLua({ backend, storage: dir });
      warn.mockRestore();
      expect(lua.recovery).toMatchObject({ usedPrevious: false });
      expect([...lua.ext.keys()]).toEqual([]);
      expect(fs.readdirSync(dir).some((f) => f.startsWith('ext.luap.corrupt-'))).toBe(true);
      await lua.close();
    });

    test('a snapshot from a newer format version is refused by name, and left alone', async () => {
      const dir = tmpDir();
      const src = await createLua({ backend });
      src.eval('ext.table().v = 1');
      const bytes = Buffer.from(src.snapshot());
      await src.close();
      bytes[4] = 99; // format version
      const { crc32 } = require('./helpers');
      bytes.writeUInt32LE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
      fs.writeFileSync(path.join(dir, 'ext.luap'), bytes);
      const refused = createLua({ backend, storage: dir });
      await expect(refused).rejects.toThrow(/format version 99 is newer/);
      // Typed by the core, so stores tell it from damage without reading the message.
      await expect(refused).rejects.toMatchObject({ name: 'LuaError', kind: 'ext', code: 'newer-format' });
      const lua = await createLua({ backend });
      const thrown = (f) => {
        try {
          f();
        } catch (e) {
          return e;
        }
        return null;
      };
      expect(thrown(() => lua.restore(bytes))).toMatchObject({ kind: 'ext', code: 'newer-format' });
      bytes[4] = 1; // the current version, checksum now wrong: damage, not a newer format
      const damaged = thrown(() => lua.restore(bytes));
      expect(damaged).toMatchObject({ kind: 'ext' });
      expect(damaged.code).toBeUndefined();
      bytes[4] = 99;
      await lua.close();
      expect(fs.readdirSync(dir)).toEqual(['ext.luap']);
      expect(fs.readFileSync(path.join(dir, 'ext.luap')).equals(bytes)).toBe(true);
    });
  });

  describe('autosave', () => {
    test('default: after each call that changed ext data, and only then', async () => {
      const store = countingAdapter();
      const lua = await createLua({ backend, storage: store });
      lua.eval('ext.table().a = 1');
      await flush();
      expect(store.saves).toBe(1);
      lua.eval('local x = ext.table().a; y = 5'); // reads and globals are not ext changes
      lua.eval('return 1');
      await flush();
      expect(store.saves).toBe(1);
      lua.eval('ext.table().a = 1'); // rewriting the same value: marked, but same bytes
      await flush();
      expect(store.saves).toBe(1);
      lua.eval('ext.table().a = 2');
      await lua.close();
      expect(store.saves).toBe(2);
      const again = await createLua({ backend, storage: store });
      expect(again.eval('return ext.table().a')).toBe(2);
      await again.close();
    });

    test('debounced: many changes in the window make one save; close flushes', async () => {
      const store = countingAdapter();
      const lua = await createLua({ backend, storage: store, autosave: 50 });
      for (let i = 0; i < 20; i++) lua.eval(`ext.table().n = ${i}`);
      expect(store.saves).toBe(0);
      await new Promise((r) => setTimeout(r, 120));
      expect(store.saves).toBe(1);
      lua.eval('ext.table().n = 100');
      await lua.close();
      expect(store.saves).toBe(2);
      const again = await createLua({ backend, storage: store });
      expect(again.eval('return ext.table().n')).toBe(100);
      await again.close();
    });

    test('off: nothing is written until save()', async () => {
      const store = countingAdapter();
      const lua = await createLua({ backend, storage: store, autosave: false });
      lua.eval('ext.table().a = 1');
      await lua.close();
      expect(store.saves).toBe(0);
    });

    test('concurrent save() calls are serialized', async () => {
      let inFlight = 0;
      let maxInFlight = 0;
      const store = {
        saved: [],
        load: () => undefined,
        async save(b) {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          store.saved.push(b);
          inFlight--;
        },
      };
      const lua = await createLua({ backend, storage: store, autosave: false });
      const saves = [];
      for (let i = 0; i < 5; i++) {
        lua.eval(`ext.table().i = ${i}`);
        saves.push(lua.save());
      }
      await Promise.all(saves);
      expect(maxInFlight).toBe(1);
      expect(store.saved.length).toBe(5);
      await lua.close();
    });

    test('a failing adapter reports the error and keeps the VM usable', async () => {
      const errors = [];
      const store = { load: () => undefined, save: () => Promise.reject(new Error('disk full')) };
      const lua = await createLua({ backend, storage: store, onSaveError: (e) => errors.push(e.message) });
      lua.eval('ext.table().a = 1');
      await expect(lua.save()).rejects.toThrow('disk full');
      expect(lua.eval('return ext.table().a')).toBe(1);
      await lua.close();
      expect(errors).toContain('disk full');
    });
  });

  test('an empty storage path is a TypeError (it failed in mkdir)', async () => {
    await expect(createLua({ backend, storage: '' })).rejects.toThrow(/non-empty directory path/);
  });

  test('invalid autosave values are TypeErrors', async () => {
    await expect(createLua({ backend, autosave: 'often' })).rejects.toThrow(TypeError);
    await expect(createLua({ backend, autosave: -1 })).rejects.toThrow(TypeError);
  });

  test('an adapter without quarantine refuses damaged data instead of overwriting it', async () => {
    const store = countingAdapter(new Uint8Array([76, 85, 65, 80, 1, 0, 9, 9, 9, 9]));
    await expect(createLua({ backend, storage: store })).rejects.toThrow(/cannot be read.*nothing will be written/);
    expect(store.saves).toBe(0);
  });
});

test('another process holding the store makes createLua fail clearly, until it is gone', async () => {
  const { spawn } = require('child_process');
  const dir = tmpDir();
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'hold-store.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await expect(createLua({ storage: dir })).rejects.toThrow(new RegExp(`in use by process ${child.pid}`));
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
  }
  const lua = await createLua({ storage: dir });
  await lua.close();
});

test.each([['native', 'wasm'], ['wasm', 'native']])('a store written by %s opens with %s', async (from, to) => {
  const dir = tmpDir();
  const a = await createLua({ backend: from, storage: dir });
  a.eval("ext.table('x').v = { 1, 2.5, 'three', k = true }");
  await a.close();
  const b = await createLua({ backend: to, storage: dir });
  expect(b.evalAll("local v = ext.table('x').v return v[1], math.type(v[2]), v[2], v[3], v.k")).toEqual([1, 'float', 2.5, 'three', true]);
  await b.close();
});

test('LuaError is what restore failures are', async () => {
  const lua = await createLua();
  expect(() => lua.restore(new Uint8Array([1, 2, 3]))).toThrow(LuaError);
  await lua.close();
});
