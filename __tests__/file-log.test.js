'use strict';
// The directory store's log (lib/file-storage.js): append, compact, recovery after
// crashes, durability, quarantine. Adapter level with made-up records and snapshots
// (fixtures/log-state.js): the store treats them as opaque bytes, so no Lua is needed.
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn } = require('child_process');
const { fileStorage } = require('../lib/file-storage');
const { record, snapshotOf, parts, stateOf } = require('./fixtures/log-state');

const CHILD = path.join(__dirname, 'fixtures', 'log-loop.js');
const DEAD_PID = 2 ** 22 + 4321; // above Linux's pid_max: never a live process

const dirs = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-log-'));
  dirs.push(d);
  return d;
}

async function opened(dir, options) {
  const store = fileStorage(dir, options);
  await store.open();
  return store;
}

/** Opens the store, loads it and closes it: what the next VM would find. */
async function loadFresh(dir) {
  const store = await opened(dir);
  try {
    return parts(await store.load());
  } finally {
    await store.close();
  }
}

/** The header the store writes before a log: "LUAPLOG1" + SHA-1 of the snapshot. */
const logHeader = (snapshot) => Buffer.concat([Buffer.from('LUAPLOG1'), crypto.createHash('sha1').update(snapshot).digest()]);

const tick = () => new Promise((resolve) => setImmediate(resolve));
const names = (dir) => fs.readdirSync(dir).sort();
const bytesOf = (u8) => (u8 === undefined ? undefined : Buffer.from(u8));

describe('append and load', () => {
  test('many records come back in order, across close and reopen', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    expect(await store.load()).toBeUndefined();
    const written = [];
    for (let i = 0; i < 3000; i++) {
      const r = crypto.randomBytes(1 + (i % 300)); // any bytes, of varied lengths
      store.append(new Uint8Array(r.buffer, r.byteOffset, r.length));
      written.push(r);
    }
    await store.close();
    const { snapshot, log } = await loadFresh(dir);
    expect(snapshot).toBeUndefined();
    expect(bytesOf(log).equals(Buffer.concat(written))).toBe(true);
  });

  test('appends after a snapshot come back with it; a store without a log gives the snapshot alone', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    await store.save(snapshotOf(0, 100));
    await store.close();
    expect(names(dir)).toEqual(['ext.luap']); // no log file for an empty log
    let loaded = await loadFresh(dir);
    expect(bytesOf(loaded.snapshot).equals(snapshotOf(0, 100))).toBe(true);
    expect(loaded.log).toBeUndefined();

    const again = await opened(dir);
    await again.load();
    for (let i = 1; i <= 5; i++) again.append(record(i));
    await again.close();
    loaded = await loadFresh(dir);
    expect(stateOf(loaded)).toMatchObject({ upTo: 0, last: 5, numbers: [1, 2, 3, 4, 5] });
  });

  test('a store written by the old code (ext.luap only) loads, then takes appends', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'ext.luap'), snapshotOf(7, 1000));
    fs.writeFileSync(path.join(dir, 'ext.luap.prev'), snapshotOf(3, 1000));
    const store = await opened(dir);
    const loaded = parts(await store.load());
    expect(bytesOf(loaded.snapshot).equals(snapshotOf(7, 1000))).toBe(true);
    expect(loaded.log).toBeUndefined();
    expect(bytesOf(await store.loadPrevious()).equals(snapshotOf(3, 1000))).toBe(true);
    store.append(record(8));
    await store.close();
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 7, numbers: [8] });
  });

  test('a record passed as a view of a larger buffer is written as the view', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    const big = Buffer.from('xxr1;r2;yy');
    store.append(new Uint8Array(big.buffer, big.byteOffset + 2, 3));
    store.append(big.subarray(5, 8));
    await store.close();
    expect(stateOf(await loadFresh(dir)).numbers).toEqual([1, 2]);
  });

  test('bad arguments are TypeErrors and change nothing', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    expect(() => store.append('r1;')).toThrow(TypeError);
    await expect(store.compact([1, 2])).rejects.toThrow(TypeError);
    await expect(store.save(undefined)).rejects.toThrow(TypeError);
    store.append(record(1));
    await store.close();
    expect(stateOf(await loadFresh(dir)).numbers).toEqual([1]);
  });
});

describe('compact', () => {
  test('appends made while it runs are kept: load gives the new snapshot and exactly those', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    await store.save(snapshotOf(0, 10));
    for (let i = 1; i <= 20; i++) store.append(record(i));
    const done = store.compact(snapshotOf(20, 3e6)); // big: takes several turns
    let i = 20;
    let settled = false;
    done.then(() => { settled = true; });
    while (!settled) {
      store.append(record(++i));
      await tick();
    }
    const during = i - 20;
    expect(during).toBeGreaterThan(2); // some before the new log was written, some after
    for (let k = 0; k < 5; k++) store.append(record(++i));
    await store.close();
    const state = stateOf(await loadFresh(dir));
    expect(state.upTo).toBe(20);
    expect(state.numbers).toEqual(Array.from({ length: during + 5 }, (_, k) => 21 + k));
    // The snapshot before is kept as the previous one; no temp file is left.
    const again = await opened(dir);
    await again.load();
    expect(bytesOf(await again.loadPrevious()).equals(snapshotOf(0, 10))).toBe(true);
    await again.close();
    expect(names(dir)).toEqual(['ext.luap', 'ext.luap.log', 'ext.luap.prev']);
  });

  test('a compaction with no appends in flight empties the log', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    for (let i = 1; i <= 4; i++) store.append(record(i));
    await store.compact(snapshotOf(4, 10));
    expect(names(dir)).toEqual(['ext.luap', 'ext.luap.lock']);
    store.append(record(5));
    await store.close();
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 4, numbers: [5] });
  });

  test('a compaction that fails keeps the old snapshot and every record, and the store goes on', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    await store.save(snapshotOf(0, 10));
    store.append(record(1));
    // Its snapshot temp file cannot be created: a directory is in the way.
    fs.mkdirSync(path.join(dir, `ext.luap.tmp-${process.pid}`));
    const failed = store.compact(snapshotOf(1, 10));
    store.append(record(2));
    await expect(failed).rejects.toThrow(new RegExp(`cannot write to the store ${dir}.*EISDIR`));
    store.append(record(3));
    fs.rmdirSync(path.join(dir, `ext.luap.tmp-${process.pid}`));
    expect(names(dir).filter((n) => n.includes('tmp'))).toEqual([]);
    await store.close();
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 0, numbers: [1, 2, 3] });
  });

  test('overlapping compactions are refused; close() waits for the running one', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    store.append(record(1));
    const first = store.compact(snapshotOf(1, 1e6));
    await expect(store.compact(snapshotOf(1, 10))).rejects.toThrow(/while another compact\(\) or save\(\) runs/);
    store.append(record(2));
    await store.close();
    await first;
    expect(() => store.append(record(3))).toThrow(/cannot append to the store .*closed/);
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 1, numbers: [2] });
  });
});

describe('a log that follows another snapshot', () => {
  test('is not returned, and the next append starts a log for this snapshot', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    await store.save(snapshotOf(0, 10));
    for (let i = 1; i <= 3; i++) store.append(record(i));
    await store.close();
    // The snapshot changes under the log (here by hand; in real life a crash between
    // a compaction's renames, handled by the next test).
    fs.writeFileSync(path.join(dir, 'ext.luap'), snapshotOf(10, 10));
    const again = await opened(dir);
    const loaded = parts(await again.load());
    expect(bytesOf(loaded.snapshot).equals(snapshotOf(10, 10))).toBe(true);
    expect(loaded.log).toBeUndefined();
    again.append(record(11));
    await again.close();
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 10, numbers: [11] });
  });

  test('after a crash between the two renames, the temp log that matches is used, then cleaned', async () => {
    const dir = tmpDir();
    const file = (n) => path.join(dir, n);
    // What a compaction of state 5 killed after its snapshot rename leaves: the new
    // snapshot, the old log (every record), the complete new log under its temp name.
    fs.writeFileSync(file('ext.luap'), snapshotOf(5, 50));
    fs.writeFileSync(file('ext.luap.prev'), snapshotOf(0, 50));
    fs.writeFileSync(file('ext.luap.log'), Buffer.concat([logHeader(snapshotOf(0, 50)), ...[1, 2, 3, 4, 5, 6, 7].map(record)]));
    fs.writeFileSync(file(`ext.luap.log.tmp-${DEAD_PID}-1`), Buffer.concat([logHeader(snapshotOf(5, 50)), record(6), record(7)]));
    // A leftover of an older compaction that never got as far: not this snapshot's log.
    fs.writeFileSync(file(`ext.luap.log.tmp-${DEAD_PID}-2`), Buffer.concat([logHeader(snapshotOf(9, 50)), record(10)]));
    const store = await opened(dir);
    expect(names(dir)).toContain(`ext.luap.log.tmp-${DEAD_PID}-1`); // open leaves it to load
    expect(stateOf(await store.load())).toMatchObject({ upTo: 5, numbers: [6, 7] });
    expect(names(dir)).toEqual(['ext.luap', 'ext.luap.lock', 'ext.luap.log', 'ext.luap.prev']);
    store.append(record(8));
    await store.close();
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 5, numbers: [6, 7, 8] });
  });

  test('when ext.luap.log matches, a temp log with the same header is not preferred', async () => {
    const dir = tmpDir();
    const file = (n) => path.join(dir, n);
    // A compaction to identical bytes killed while writing its temp log: ext.luap.log has
    // every record, the temp one only a part.
    fs.writeFileSync(file('ext.luap'), snapshotOf(2, 50));
    fs.writeFileSync(file('ext.luap.log'), Buffer.concat([logHeader(snapshotOf(2, 50)), record(3), record(4)]));
    fs.writeFileSync(file(`ext.luap.log.tmp-${DEAD_PID}-1`), Buffer.concat([logHeader(snapshotOf(2, 50)), record(4)]));
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 2, numbers: [3, 4] });
    expect(names(dir)).toEqual(['ext.luap', 'ext.luap.log']);
  });
});

describe('durability', () => {
  test("'fsync' syncs every append to the disk; 'os' (the default) does not", async () => {
    const spy = jest.spyOn(fs, 'fdatasyncSync');
    try {
      for (const [options, perAppend] of [[{ durability: 'fsync' }, 1], [{ durability: 'os' }, 0], [undefined, 0]]) {
        const dir = tmpDir();
        const store = await opened(dir, options);
        await store.load();
        store.append(record(1)); // the first append also creates the log
        spy.mockClear();
        for (let i = 2; i <= 6; i++) store.append(record(i));
        expect(spy).toHaveBeenCalledTimes(5 * perAppend);
        const done = store.compact(snapshotOf(6, 1e5));
        store.append(record(7));
        await done;
        store.append(record(8));
        await store.close();
        expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 6, numbers: [7, 8] });
      }
    } finally {
      spy.mockRestore();
    }
  });

  test('a bad value is a TypeError naming the allowed values', () => {
    for (const bad of ['full', 'FSYNC', true, 1, null]) {
      expect(() => fileStorage('/nowhere', { durability: bad })).toThrow(TypeError);
      expect(() => fileStorage('/nowhere', { durability: bad })).toThrow(/durability must be 'os' or 'fsync'/);
    }
    expect(() => fileStorage('/nowhere', 'fsync')).toThrow(TypeError);
    expect(fileStorage('/nowhere', {}).durability).toBe('os');
  });
});

describe('quarantine', () => {
  test('quarantineLog moves the log aside under a new name each time; the store works after', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    await store.save(snapshotOf(0, 10));
    store.append(record(1));
    store.append(Buffer.from('damaged'));
    const kept = await store.quarantineLog(new Error('bad record'));
    expect(path.basename(kept)).toMatch(/^ext\.luap\.log\.corrupt-/);
    expect(fs.readFileSync(kept).subarray(28).toString()).toBe('r1;damaged');
    expect(fs.existsSync(path.join(dir, 'ext.luap.log'))).toBe(false);
    // Persist compacts the rebuilt state right after, then appends go on.
    await store.compact(snapshotOf(1, 10));
    store.append(record(2));
    store.append(Buffer.from('again'));
    const kept2 = await store.quarantineLog(new Error('bad record'));
    expect(kept2).not.toBe(kept);
    expect(fs.readFileSync(kept).subarray(28).toString()).toBe('r1;damaged'); // not overwritten
    expect(await store.quarantineLog(new Error('no log'))).toBeUndefined();
    store.append(record(2));
    await store.close();
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 1, numbers: [2] });
  });

  test('quarantine moves the snapshot and its log aside; the previous snapshot goes on without a log', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    await store.save(snapshotOf(0, 10));
    await store.save(snapshotOf(3, 10));
    store.append(record(4));
    await store.close();

    const again = await opened(dir);
    expect(stateOf(await again.load())).toMatchObject({ upTo: 3, numbers: [4] });
    const kept = await again.quarantine(new Error('unreadable'));
    expect(path.basename(kept)).toMatch(/^ext\.luap\.corrupt-/);
    expect(fs.readFileSync(kept).equals(snapshotOf(3, 10))).toBe(true);
    expect(fs.readFileSync(`${kept}.log`).subarray(28).toString()).toBe('r4;');
    expect(bytesOf(await again.loadPrevious()).equals(snapshotOf(0, 10))).toBe(true);
    again.append(record(1)); // the state restarts from the previous snapshot
    await again.close();
    expect(stateOf(await loadFresh(dir))).toMatchObject({ upTo: 0, numbers: [1] });
  });
});

describe('errors name the store', () => {
  test('append, compact and load after the directory was removed', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    store.append(record(1));
    fs.rmSync(dir, { recursive: true, force: true });
    let err;
    try {
      store.append(record(2));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`lua-persistent: cannot append to the store ${dir}: its log file was removed (the directory or a file in it was removed)`);
    expect(err.code).toBe('ENOENT');
    await expect(store.compact(snapshotOf(1, 10))).rejects.toMatchObject({
      message: expect.stringContaining(`cannot write to the store ${dir}: ENOENT`),
      code: 'ENOENT',
    });
    await expect(store.load()).rejects.toThrow(`cannot read the store ${dir}: ENOENT`);
    await store.close();
  });

  test('a first append into a removed directory', async () => {
    const dir = tmpDir();
    const store = await opened(dir);
    await store.load();
    fs.rmSync(dir, { recursive: true, force: true });
    expect(() => store.append(record(1))).toThrow(new RegExp(`^lua-persistent: cannot append to the store ${dir}: ENOENT.*\\(the directory or a file in it was removed\\)$`));
    await store.close();
  });
});

/**
 * Runs fixtures/log-loop.js on `dir`. Kills it `killMs` after it is ready, or (crashAt)
 * lets it kill itself. Resolves with what it printed: the last acknowledged record, whether
 * a compaction was running, how many completed, the states compactions started with.
 */
function runChild(dir, { every, size, durability, killMs, crashAt }) {
  return new Promise((resolve, reject) => {
    const args = [CHILD, dir, String(every), String(size), durability];
    if (crashAt) args.push(crashAt);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer = null;
    const guard = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      if (!crashAt && timer === null && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killMs);
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(guard);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited by itself (${code}): ${err}`));
      let acked = null;
      let inCompaction = false;
      let compactions = 0;
      const started = [];
      const acks = `${dir}.acks`;
      for (const line of fs.existsSync(acks) ? fs.readFileSync(acks, 'utf8').split('\n') : []) {
        if (/^\d+$/.test(line)) acked = Number(line);
        else if (line.startsWith('c')) {
          inCompaction = true;
          started.push(Number(line.slice(1)));
        } else if (line.startsWith('C')) {
          inCompaction = false;
          compactions++;
        }
      }
      fs.rmSync(acks, { force: true });
      resolve({ acked, inCompaction, compactions, started });
    });
  });
}

describe('SIGKILL', () => {
  test.each([
    ['before the snapshot rename', 'before:ext.luap', 'old'],
    ['between the snapshot rename and the log rename', 'after:ext.luap', 'new'],
    ['after the log rename', 'after:ext.luap.log', 'new'],
  ])('a kill %s loses no record', async (_, crashAt, expected) => {
    const dir = tmpDir();
    const run = await runChild(dir, { every: 50, size: 2e6, durability: 'os', crashAt });
    expect(run.compactions).toBe(0); // killed in the first one
    expect(run.started).toHaveLength(1);
    const [compactedTo] = run.started;
    expect(compactedTo).toBeGreaterThanOrEqual(50);
    // Killed between the renames: the complete new log is still under its temp name.
    if (crashAt === 'after:ext.luap') expect(names(dir).some((n) => /^ext\.luap\.log\.tmp-/.test(n))).toBe(true);
    const state = stateOf(await loadFresh(dir)); // throws on a gap or a duplicate
    expect(state.upTo).toBe(expected === 'old' ? 0 : compactedTo);
    // Appends went on during the compaction, and every acknowledged one is there.
    expect(state.last).toBeGreaterThan(compactedTo);
    expect(state.last - run.acked).toBeGreaterThanOrEqual(0);
    expect(state.last - run.acked).toBeLessThanOrEqual(1);
    expect(names(dir).filter((n) => n.includes('tmp'))).toEqual([]);
  }, 30000);

  test('kills at random moments, during appends and compactions, never lose or repeat a record', async () => {
    const dir = tmpDir();
    const rounds = Number(process.env.CRASH_ITERATIONS || 30);
    let last = 0;
    const killedIn = { compaction: 0, appends: 0 };
    for (let round = 0; round < rounds; round++) {
      const durability = round % 5 === 4 ? 'fsync' : 'os';
      const run = await runChild(dir, { every: 4000, size: 3e6, durability, killMs: Math.floor(Math.random() * 250) });
      const state = stateOf(await loadFresh(dir)); // throws on a gap or a duplicate
      expect(state.torn).toBe(false);
      // Everything acknowledged is there, and at most the one record being written more.
      const acked = run.acked === null ? last : run.acked;
      expect(state.last).toBeGreaterThanOrEqual(Math.max(acked, last));
      expect(state.last).toBeLessThanOrEqual(Math.max(acked, last) + 1);
      if (run.acked !== null) killedIn[run.inCompaction ? 'compaction' : 'appends']++;
      last = state.last;
    }
    expect(last).toBeGreaterThan(0);
    // Both kinds of moment were hit (else the test proves less than it says).
    expect(killedIn.compaction).toBeGreaterThan(0);
    expect(killedIn.appends).toBeGreaterThan(0);
  }, 60000);
});
