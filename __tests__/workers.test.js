'use strict';
// Concurrency: many VMs in many worker_threads at once, each with its own data and its
// own directory store (no crash, no cross-talk, everything persisted); workers racing
// for one store (exactly one wins); concurrent save() calls on one directory store
// (serialized, the last state wins). lifecycle.test.js only checks that a Worker loads.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');
const { forEachBackend } = require('./backends');
const { createLua, ROOT } = require('./helpers');

const WORKERS = 4;
const VMS_PER_WORKER = 3;
const ROUNDS = 150;

/** Runs `code` in a Worker; resolves with the messages it posted once it exits with 0. */
function inWorker(code, workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { root: ROOT, ...workerData } });
    const messages = [];
    w.on('message', (m) => messages.push(m));
    w.on('error', reject);
    w.on('exit', (c) => (c === 0 ? resolve(messages) : reject(new Error(`worker exited with ${c}: ${JSON.stringify(messages)}`))));
  });
}

// Each VM writes under its own name, into a table name every VM uses, and into a
// global; VMs of a worker take turns (awaits between rounds), workers run in parallel.
const MANY_VMS = `
  const { parentPort, workerData: { root, backend, dirs, rounds, worker } } = require('worker_threads');
  const { createLua } = require(root);
  const tick = () => new Promise((r) => setImmediate(r));
  (async () => {
    const vms = [];
    for (const [i, dir] of dirs.entries()) {
      const lua = await createLua({ backend, storage: dir, autosave: 5 });
      lua.setGlobal('me', worker + '-' + i);
      lua.eval('count = 0');
      vms.push(lua);
    }
    for (let r = 1; r <= rounds; r++) {
      for (const lua of vms) {
        lua.eval('count = count + 1 ext.table("mine")[' + r + '] = me .. ":" .. ' + r + ' ext.table("common").last = me');
      }
      await tick();
    }
    const report = vms.map((lua) => lua.evalAll(\`
      local bad, n = 0, 0
      for k, v in pairs(ext.table("mine")) do
        n = n + 1
        if v ~= me .. ":" .. k then bad = bad + 1 end
      end
      return me, count, n, bad, ext.table("common").last, #ext.tables()\`));
    await Promise.all(vms.map((lua) => lua.close()));
    parentPort.postMessage(report);
  })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

// Every worker waits at a barrier, then tries to open the same directory store; a
// winner holds it until every other worker has tried (so a slow starter cannot simply
// open it after the winner closed it), or 10 s.
const RACE = `
  const { parentPort, workerData: { root, backend, dir, barrier, worker } } = require('worker_threads');
  const { createLua } = require(root);
  const state = new Int32Array(barrier); // [ready, workers, failed]
  Atomics.add(state, 0, 1);
  while (Atomics.load(state, 0) < state[1]) Atomics.wait(state, 0, Atomics.load(state, 0), 5);
  createLua({ backend, storage: dir }).then(async (lua) => {
    lua.eval('ext.table("race").winner = ' + worker);
    const until = Date.now() + 10000;
    while (Atomics.load(state, 2) < state[1] - 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await lua.close();
    parentPort.postMessage({ won: true });
  }, (e) => {
    Atomics.add(state, 2, 1);
    parentPort.postMessage({ won: false, message: e.message });
  });
`;

// The directory store's lock itself (lib/file-storage.js, the same JS for both
// backends), raced hard: openers released together, many rounds. An opener once could
// read the winner's lock file before its content was written, take it for a crash's
// leftover and open the store too (2 winners in ~1 round of 13 before the fix).
const LOCK_RACE = `
  const { parentPort, workerData: { root, dir, barrier, openers } } = require('worker_threads');
  const { fileStorage } = require(root + '/lib/file-storage.js');
  const state = new Int32Array(barrier); // [ready, tried]
  Atomics.add(state, 0, 1);
  while (Atomics.load(state, 0) < openers) Atomics.wait(state, 0, Atomics.load(state, 0), 1);
  // A Worker's exit releases its lock: a winner stays until every opener has tried.
  const tried = () => Atomics.add(state, 1, 1);
  const allTried = () => { while (Atomics.load(state, 1) < openers) Atomics.wait(state, 1, Atomics.load(state, 1), 1); };
  fileStorage(dir).open().then(
    () => { tried(); allTried(); parentPort.postMessage({ won: true }); },
    (e) => { tried(); parentPort.postMessage({ won: false, message: e.message }); },
  );
`;

describe('directory store lock', () => {
  test('openers released together in 6 Workers: exactly one wins, every round', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-lock-race-'));
    try {
      for (let round = 0; round < 25; round++) {
        const dir = path.join(tmp, `r${round}`);
        const barrier = new SharedArrayBuffer(8);
        const results = (await Promise.all(Array.from({ length: 6 }, () => inWorker(LOCK_RACE, { dir, barrier, openers: 6 })))).map(([m]) => m);
        expect(results.filter((r) => r.won)).toHaveLength(1);
        for (const r of results.filter((x) => !x.won)) expect(r.message).toMatch(/is in use by another VM of this process/);
        expect(fs.readdirSync(dir)).toEqual([]); // the winner's exit released it; no temp lock left
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

forEachBackend((backend) => {
  let tmp;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lp-workers-${backend}-`));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test(`${WORKERS} workers x ${VMS_PER_WORKER} VMs, ${ROUNDS} interleaved rounds each: no cross-talk, everything persisted`, async () => {
    const dirsOf = (w) => Array.from({ length: VMS_PER_WORKER }, (_, i) => path.join(tmp, `w${w}-vm${i}`));
    const results = await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => inWorker(MANY_VMS, { backend, dirs: dirsOf(w), rounds: ROUNDS, worker: w })),
    );
    // the main thread keeps working meanwhile
    const main = await createLua({ backend });
    expect(main.eval('return #ext.tables()')).toBe(0);
    await main.close();

    results.forEach(([report], w) => {
      expect(report.error).toBeUndefined();
      expect(report).toEqual(dirsOf(w).map((_, i) => [`${w}-${i}`, ROUNDS, ROUNDS, 0, `${w}-${i}`, 2]));
    });
    // Each store holds exactly its own VM's data, readable from this thread.
    for (let w = 0; w < WORKERS; w++) {
      for (const [i, dir] of dirsOf(w).entries()) {
        const lua = await createLua({ backend, storage: dir });
        expect(lua.evalAll(`local t = ext.table("mine") return #t, t[1], t[${ROUNDS}], ext.table("common").last`))
          .toEqual([ROUNDS, `${w}-${i}:1`, `${w}-${i}:${ROUNDS}`, `${w}-${i}`]);
        await lua.close();
      }
    }
  });

  test('workers racing to open one directory store: exactly one wins, the others get a clear error', async () => {
    const dir = path.join(tmp, 'shared');
    const barrier = new SharedArrayBuffer(12);
    new Int32Array(barrier)[1] = WORKERS;
    const results = (await Promise.all(
      Array.from({ length: WORKERS }, (_, w) => inWorker(RACE, { backend, dir, barrier, worker: w })),
    )).map(([m]) => m);
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => !x.won)) expect(r.message).toMatch(/is in use by another VM of this process/);
    const lua = await createLua({ backend, storage: dir });
    expect(lua.eval('return ext.table("race").winner')).toEqual(expect.any(Number));
    await lua.close();
  });

  test('a Worker terminated while holding a store leaves it locked for this process, with a clear error', async () => {
    const dir = path.join(tmp, 'orphan');
    const w = new Worker(`
      const { parentPort, workerData: { root, backend, dir } } = require('worker_threads');
      require(root).createLua({ backend, storage: dir }).then((lua) => {
        lua.eval('ext.table().v = 1');
        return lua.save();
      }).then(() => parentPort.postMessage('saved'));
      setInterval(() => {}, 1000);`, { eval: true, workerData: { root: ROOT, backend, dir } });
    await new Promise((resolve, reject) => {
      w.on('message', resolve);
      w.on('error', reject);
    });
    await w.terminate();
    // The lock file names this (live) process: it cannot tell a dead thread from a live
    // one, so it refuses rather than risk two writers. docs/security.md says so.
    await expect(createLua({ backend, storage: dir })).rejects.toThrow(/in use by another VM of this process.*close it first/);
    fs.rmSync(path.join(dir, 'ext.luap.lock'));
    const lua = await createLua({ backend, storage: dir });
    expect(lua.eval('return ext.table().v')).toBe(1);
    await lua.close();
  });

  test('terminate() ends a Worker whose VM is in an endless loop with every limit off', async () => {
    // V8 stops wasm by itself; the native backend watches for the thread's teardown at
    // its ticks (Host::stopping), without which terminate() never completed.
    const w = new Worker(`
      const { parentPort, workerData: { root, backend } } = require('worker_threads');
      require(root).createLua({ backend, timeout: 0, memoryLimit: 0 }).then((lua) => {
        lua.setGlobal('started', () => parentPort.postMessage('started'));
        lua.eval('started() local t = {} while true do t[#t % 100 + 1] = {} end');
      });`, { eval: true, workerData: { root: ROOT, backend } });
    await new Promise((resolve, reject) => {
      w.on('message', resolve);
      w.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(await w.terminate()).toBe(1);
  }, 20000);

  test('concurrent save() calls on one directory store: serialized, and the last state wins', async () => {
    const dir = path.join(tmp, 'saves');
    const lua = await createLua({ backend, storage: dir, autosave: false });
    const saves = [];
    for (let i = 1; i <= 60; i++) {
      lua.eval(`ext.table().i = ${i} ext.table().blob = string.rep("${i % 10}", ${i} * 100)`);
      saves.push(lua.save());
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(saves);
    const final = Buffer.from(lua.snapshot());
    expect(fs.readFileSync(path.join(dir, 'ext.luap')).equals(final)).toBe(true);
    await lua.close();
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const back = await createLua({ backend, storage: dir });
    expect(back.evalAll('return ext.table().i, #ext.table().blob')).toEqual([60, 6000]);
    // the previous copy is a complete, loadable snapshot too
    back.restore(fs.readFileSync(path.join(dir, 'ext.luap.prev')));
    expect(back.eval('return ext.table().i')).toBeLessThan(60);
    await back.close();
  });
});
