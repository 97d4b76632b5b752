'use strict';
// The store engine end to end, on real directory stores and both backends: saves cost
// the change (records appended to ext.luap.log, the snapshot untouched), loading
// replays them, damaged logs are reported and kept, failed calls never reach storage,
// old snapshot-only stores open, and either backend reads what the other wrote.
// Adapter-level log mechanics and kills: file-log.test.js; kills of whole processes:
// crash.test.js; IndexedDB: browser-storage.test.js.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { forEachBackend } = require('./backends');
const { createLua, crc32 } = require('./helpers');

const HEADER = 28; // the log file's own header (lib/file-storage.js)

forEachBackend((backend) => {
  let dir;
  const open = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-store-log-'));
  });
  afterEach(async () => {
    while (open.length) await open.pop().close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  async function make(options = {}, where = dir) {
    const lua = await createLua({ backend, storage: where, ...options });
    open.push(lua);
    return lua;
  }
  async function closeAll() {
    while (open.length) await open.pop().close();
  }
  const file = (name) => path.join(dir, name);
  const size = (name) => (fs.existsSync(file(name)) ? fs.statSync(file(name)).size : 0);

  /** The store's files as they are now, copied aside (the VM still holds the store). */
  function copyStore() {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-store-copy-'));
    for (const f of ['ext.luap', 'ext.luap.log']) if (fs.existsSync(file(f))) fs.copyFileSync(file(f), path.join(copy, f));
    return copy;
  }

  test('a call appends a record of what it changed; the snapshot is not rewritten', async () => {
    const lua = await make();
    lua.eval("local t = ext.table('big') for i = 1, 5000 do t[i] = 'value ' .. i end");
    await lua.save();
    const snapshot = fs.statSync(file('ext.luap'));
    const before = size('ext.luap.log');
    for (let i = 0; i < 100; i++) lua.eval("local t = ext.table('c') t.n = (t.n or 0) + 1");
    const perCall = (size('ext.luap.log') - Math.max(before, HEADER)) / 100;
    expect(perCall).toBeGreaterThan(0);
    expect(perCall).toBeLessThan(64);
    const after = fs.statSync(file('ext.luap'));
    expect([after.ino, after.mtimeMs, after.size]).toEqual([snapshot.ino, snapshot.mtimeMs, snapshot.size]);
    // Written when the call returned: a copy of the files now has every call.
    const copy = copyStore();
    try {
      const other = await make({}, copy);
      expect(other.eval("return ext.table('c').n")).toBe(100);
      expect(other.eval("return ext.table('big')[5000]")).toBe('value 5000');
    } finally {
      await closeAll();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('records replay every kind of change; close() folds the log into the snapshot', async () => {
    const lua = await make();
    lua.eval(`local t = ext.table('t') t.i = 1 t.f = 2.0 t.s = 'x' t.b = '\\xff' t.nested = { list = { 1, 2 }, deep = { x = 0.5 } }
      ext.table('gone').x = 1 ext.table('empty')`);
    lua.eval("local t = ext.table('t') t.i = nil t.nested.list[3] = 3 t.nested.deep.x = 'y' ext.drop('gone') t[1.5] = true t[-0.0] = 'zero'");
    const want = Buffer.from(lua.snapshot());
    const copy = copyStore();
    expect(fs.existsSync(path.join(copy, 'ext.luap.log'))).toBe(true);
    try {
      const other = await make({}, copy);
      expect(Buffer.from(other.snapshot()).equals(want)).toBe(true);
      expect(other.eval("return math.type(ext.table('t').f)")).toBe('float');
      expect(other.recovery).toBeNull();
    } finally {
      await closeAll();
      fs.rmSync(copy, { recursive: true, force: true });
    }
    expect(fs.existsSync(file('ext.luap.log'))).toBe(false);
    const again = await make();
    expect(Buffer.from(again.snapshot()).equals(want)).toBe(true);
  });

  test('a record cut by a crash is ignored and reported; the records before it are kept', async () => {
    const lua = await make();
    lua.eval("ext.table('c').a = 1");
    lua.eval("ext.table('c').b = 2");
    const copy = copyStore();
    await closeAll();
    const log = path.join(copy, 'ext.luap.log');
    fs.truncateSync(log, fs.statSync(log).size - 3);
    try {
      const other = await make({}, copy);
      expect(other.recovery.error.message).toMatch(/incomplete record/);
      expect(other.recovery.records).toBe(1);
      expect(other.evalAll("local c = ext.table('c') return c.a, c.b")).toEqual([1, undefined]);
      // The cut bytes were compacted away: the next records follow a clean log.
      other.eval("ext.table('c').z = 26");
      await closeAll();
      const third = await make({}, copy);
      expect(third.recovery).toBeNull();
      expect(third.evalAll("local c = ext.table('c') return c.a, c.z")).toEqual([1, 26]);
    } finally {
      await closeAll();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('a damaged record before the end: the log is kept aside, the records before it loaded', async () => {
    const lua = await make();
    lua.eval("ext.table('c').a = 1");
    const first = size('ext.luap.log');
    lua.eval("ext.table('c').b = 2");
    lua.eval("ext.table('c').d = 4");
    const copy = copyStore();
    await closeAll();
    const log = path.join(copy, 'ext.luap.log');
    const bytes = fs.readFileSync(log);
    bytes[first + 6] ^= 0xff; // inside the second record
    fs.writeFileSync(log, bytes);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const other = await make({}, copy);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/change log is damaged.*record 2/));
      expect(other.recovery.records).toBe(1);
      expect(other.recovery.keptAs).toContain('ext.luap.log.corrupt-');
      expect(fs.readFileSync(other.recovery.keptAs).equals(bytes)).toBe(true);
      expect(other.evalAll("local c = ext.table('c') return c.a, c.b, c.d")).toEqual([1, undefined, undefined]);
    } finally {
      warn.mockRestore();
      await closeAll();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('a failed call writes nothing: not its changes, not a dropped table, not past storageLimit', async () => {
    const lua = await make({ storageLimit: 64 * 1024 });
    lua.eval("local t = ext.table('acct') t.balance = 100 ext.table('keep').x = 1");
    const logged = size('ext.luap.log');
    expect(() => lua.eval("local t = ext.table('acct') t.balance = t.balance - 50 error('half way')")).toThrow(/half way/);
    expect(() => lua.eval("ext.drop('keep') ext.table('acct').balance = 0 error('no')")).toThrow(/no/);
    expect(() => lua.eval("ext.table('acct').balance = 1 ext.table('acct').big = string.rep('x', 100000)")).toThrow(expect.objectContaining({ kind: 'memory' }));
    // Failed calls may append a record of the entries they touched, holding the values
    // as they are after the undo; replayed, they change nothing.
    expect(size('ext.luap.log')).toBeGreaterThanOrEqual(logged);
    const copy = copyStore();
    try {
      const other = await make({}, copy);
      expect(other.evalAll("return ext.table('acct').balance, ext.table('keep').x, ext.table('acct').big")).toEqual([100, 1, undefined]);
    } finally {
      await closeAll();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('a store written by an older version (a snapshot, no log) opens and goes on with a log', async () => {
    const writer = await createLua({ backend });
    writer.eval("ext.table('old').v = 'from before'");
    fs.writeFileSync(file('ext.luap'), writer.snapshot());
    await writer.close();
    const lua = await make();
    expect(lua.eval("return ext.table('old').v")).toBe('from before');
    lua.eval("ext.table('old').w = 'new'");
    expect(size('ext.luap.log')).toBeGreaterThan(HEADER);
    await closeAll();
    const again = await make();
    expect(again.evalAll("return ext.table('old').v, ext.table('old').w")).toEqual(['from before', 'new']);
  });

  test('a record of a newer format is refused, never misread: createLua rejects, nothing changes', async () => {
    const lua = await make();
    lua.eval("ext.table('c').a = 1");
    lua.eval("ext.table('c').b = 2");
    const copy = copyStore();
    await closeAll();
    const log = path.join(copy, 'ext.luap.log');
    const bytes = fs.readFileSync(log);
    // The second record: bump its version byte and fix its checksum.
    const len = bytes.readUInt32LE(HEADER);
    const second = HEADER + len + 8;
    const secondLen = bytes.readUInt32LE(second);
    bytes[second + 4] += 1;
    bytes.writeUInt32LE(crc32(bytes.subarray(second, second + 4 + secondLen)), second + 4 + secondLen);
    fs.writeFileSync(log, bytes);
    try {
      const e = await createLua({ backend, storage: copy }).then(() => null, (err) => err);
      expect(e).not.toBeNull();
      expect(e.code).toBe('newer-format');
      expect(e.message).toMatch(/change record format version 2 is newer than this build supports \(1\)/);
      expect(fs.readFileSync(log).equals(bytes)).toBe(true);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('durability fsync: same data, each record flushed', async () => {
    const lua = await make({ durability: 'fsync' });
    for (let i = 0; i < 20; i++) lua.eval("local t = ext.table('c') t.n = (t.n or 0) + 1");
    const copy = copyStore();
    try {
      const other = await make({}, copy);
      expect(other.eval("return ext.table('c').n")).toBe(20);
    } finally {
      await closeAll();
      fs.rmSync(copy, { recursive: true, force: true });
    }
    await expect(createLua({ backend, storage: dir, durability: 'disk' })).rejects.toThrow(/durability must be 'os' or 'fsync'/);
  });

  test('what JS changed in lua.ext directly is saved by save() and by close()', async () => {
    const lua = await make();
    lua.eval("ext.table('c').n = 1");
    lua.ext.get('c').set('byJs', 'yes');
    await closeAll();
    const again = await make();
    expect(again.eval("return ext.table('c').byJs")).toBe('yes');
  });

  test('the other backend reads the store this one wrote, log and all', async () => {
    const other = ['native', 'wasm'].find((b) => b !== backend);
    const lua = await make();
    lua.eval("local t = ext.table('x') t.a = 1 t.f = 3.0 t.sub = { s = 'é' }");
    lua.eval("ext.table('x').b = 2");
    const want = Buffer.from(lua.snapshot());
    const copy = copyStore();
    try {
      const there = await createLua({ backend: other, storage: copy });
      expect(Buffer.from(there.snapshot()).equals(want)).toBe(true);
      there.eval("ext.table('x').c = 3");
      await there.close();
      const back = await make({}, copy);
      expect(back.evalAll("local x = ext.table('x') return x.a, x.b, x.c, math.type(x.f), x.sub.s")).toEqual([1, 2, 3, 'float', 'é']);
    } finally {
      await closeAll();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
