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
});
