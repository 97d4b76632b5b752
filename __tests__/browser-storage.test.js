'use strict';
// Browser storage, end to end: the page apps/storage-test (bundled into dist/web-storage by
// scripts/build-web.js, 'lua-persistent' resolved through the "browser" condition) runs in
// headless Chromium. Persistence across page.reload() lives in the browser context's
// profile, so every test gets a fresh context (its own IndexedDB and localStorage) and
// reloads the page inside it. Any console error, page error or failed request fails the test.
const path = require('path');
const { serve, launchChromium, watchProblems } = require('./browser/harness');
const { buildStorageTest, STORAGE_OUT } = require('../scripts/build-web');


let server;
let browser;
let baseUrl;
let context = null;
let problems = [];

beforeAll(async () => {
  await buildStorageTest({ quiet: true });
  server = await serve(STORAGE_OUT);
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  browser = await launchChromium();
}, 60000);

afterAll(async () => {
  if (browser) await browser.close();
  if (server) await new Promise((r) => server.close(r));
});

/** A fresh browser context (empty IndexedDB and localStorage) with the page loaded. */
async function openPage() {
  context = await browser.newContext();
  const page = await context.newPage();
  watchProblems(page, problems);
  await page.goto(baseUrl, { waitUntil: 'load' });
  await page.evaluate(() => window.lpsReady);
  return page;
}

/** Reloads the page (same context, so its storage stays) and waits for the bundle. */
async function reload(page) {
  await page.reload({ waitUntil: 'load' });
  await page.evaluate(() => window.lpsReady);
}

// Any browser-side error fails the test during which it appeared.
afterEach(async () => {
  if (context) await context.close();
  context = null;
  const fresh = problems;
  problems = [];
  if (fresh.length) throw new Error(`the page reported errors:\n${fresh.join('\n')}`);
});

const counter = (page, storage, options) => page.evaluate(([s, o]) => window.lps.counter(s, o), [storage, options]);

test('IndexedDB: the ext tables survive page reloads', async () => {
  const page = await openPage();
  expect(await counter(page, 'indexeddb')).toBe(1);
  await reload(page);
  expect(await counter(page, 'indexeddb')).toBe(2);
  await reload(page);
  expect(await counter(page, 'indexeddb')).toBe(3);
  // Stored where documented: database 'lua-persistent', store 'snapshots', key 'ext', as bytes.
  const stored = await page.evaluate(async () => {
    const { idb } = window.lps;
    const v = await idb.get('ext', idb.createStore('lua-persistent', 'snapshots'));
    return { isBytes: v instanceof Uint8Array, length: v.length };
  });
  expect(stored.isBytes).toBe(true);
  expect(stored.length).toBeGreaterThan(8);
  // 'indexeddb:<dbName>' is a separate database; the adapter factory works directly too.
  expect(await counter(page, 'indexeddb:other-db')).toBe(1);
  expect(await page.evaluate(() => window.lps.counter(window.lps.indexedDBStorage('other-db')))).toBe(2);
  await reload(page);
  expect(await counter(page, 'indexeddb')).toBe(4);
});

test('localStorage: the ext tables survive page reloads, 1.5 MB snapshots included', async () => {
  const page = await openPage();
  expect(await counter(page, 'localstorage')).toBe(1);
  await reload(page);
  expect(await counter(page, 'localstorage')).toBe(2);
  await reload(page);
  expect(await counter(page, 'localstorage')).toBe(3);
  const text = await page.evaluate(() => localStorage.getItem('lua-persistent:ext'));
  expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
  expect(await counter(page, 'localstorage:my-key')).toBe(1);
  expect(await page.evaluate(() => Object.keys(localStorage).sort())).toEqual(['lua-persistent:ext', 'my-key']);

  // Every byte value, 1.5 MB: chunked base64 both ways (no stack overflow), byte-exact.
  const made = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'localstorage:big', autosave: false });
    const len = lua.eval(`
      local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end
      local s = table.concat(t):rep(6144)
      ext.table('big').s = s
      return #s`);
    const snapshot = lua.snapshot().length;
    await lua.save();
    await lua.close();
    return { len, snapshot, stored: localStorage.getItem('big').length };
  });
  expect(made.len).toBe(1.5 * 1024 * 1024);
  expect(made.snapshot).toBeGreaterThan(made.len);
  expect(made.stored).toBe(4 * Math.ceil(made.snapshot / 3));
  await reload(page);
  const back = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'localstorage:big', autosave: false });
    const r = lua.evalAll(`
      local s = ext.table('big').s
      local t = {} for i = 0, 255 do t[#t + 1] = string.char(i) end
      return #s, s == table.concat(t):rep(6144)`);
    await lua.close();
    return r;
  });
  expect(back).toEqual([1.5 * 1024 * 1024, true]);
});

test('localStorage full: a clear error, and the previously saved snapshot stays', async () => {
  const page = await openPage();
  expect(await counter(page, 'localstorage', { autosave: false })).toBe(1);
  const r = await page.evaluate(async () => {
    const KEY = 'lua-persistent:ext';
    const before = localStorage.getItem(KEY);
    // Fill the origin's quota with filler keys, halving the chunk until even 16 chars fail.
    let size = 1 << 20;
    let chunk = 'x'.repeat(size);
    let fillers = 0;
    let quotaName;
    while (size >= 16) {
      try {
        localStorage.setItem(`filler:${fillers}`, chunk);
        fillers++;
      } catch (e) {
        quotaName = e.name;
        size >>= 1;
        chunk = chunk.slice(0, size);
      }
    }
    const lua = await window.lps.createLua({ storage: 'localstorage', autosave: false });
    const n = lua.eval("local c = ext.table('counter') c.blob = string.rep('ab', 50000) return c.n");
    const need = lua.snapshot().length;
    let message;
    try {
      await lua.save();
    } catch (e) {
      message = e.message;
    }
    await lua.close();
    return { quotaName, fillers, n, need, message, unchanged: localStorage.getItem(KEY) === before };
  });
  expect(r.quotaName).toBe('QuotaExceededError');
  expect(r.fillers).toBeGreaterThan(2);
  expect(r.n).toBe(1);
  expect(r.message).toMatch(/localStorage is full/);
  expect(r.message).toContain(`${r.need} bytes`);
  expect(r.message).toMatch(/IndexedDB/);
  expect(r.unchanged).toBe(true);

  await reload(page);
  const after = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'localstorage', autosave: false });
    const v = lua.evalAll("local c = ext.table('counter') return c.n, c.blob == nil");
    await lua.close();
    // Room again: saving works.
    for (const k of Object.keys(localStorage)) if (k.startsWith('filler:')) localStorage.removeItem(k);
    return { v, next: await window.lps.counter('localstorage') };
  });
  expect(after).toEqual({ v: [1, true], next: 2 });
});

test('IndexedDB: value types survive a reload byte-exactly', async () => {
  const page = await openPage();
  const before = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'indexeddb' });
    lua.eval(`
      local t = ext.table('types')
      t.float, t.half, t.int, t.huge = 1.0, 2.5, 3, math.huge
      t.big, t.small = math.maxinteger, math.mininteger
      t.bytes, t.utf, t.empty = '\\xff\\0\\x01\\x80', 'héllo ✓', ''
      t.nested = { list = { 1, 2.0, 'three', { x = 1.25 } }, deep = { a = { b = { c = 'd' } } } }
      t[1], t[1.5], t[true] = 'one', 'half', 'yes'
      ext.table('second').k = 'v'`);
    const snap = Array.from(lua.snapshot());
    await lua.save();
    await lua.close();
    return snap;
  });
  await reload(page);
  const r = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'indexeddb' });
    const lua2 = lua.evalAll(`
      local t = ext.table('types')
      local n = t.nested
      return math.type(t.float), t.float == 1, math.type(t.half), t.half, math.type(t.int), t.huge == math.huge,
        math.type(t.big), t.big == math.maxinteger, t.small == math.mininteger,
        t.bytes == '\\xff\\0\\x01\\x80', #t.bytes, t.utf, t.empty,
        #n.list, math.type(n.list[1]), math.type(n.list[2]), n.list[3], n.list[4].x, n.deep.a.b.c,
        t[1], t[1.5], t[true], ext.table('second').k`);
    const t = lua.ext.get('types');
    const js = {
      big: String(t.get('big')),
      bigType: typeof t.get('big'),
      bytes: Array.from(t.get('bytes')),
      nestedIsMap: t.get('nested') instanceof Map,
    };
    const snap = Array.from(lua.snapshot());
    await lua.close();
    return { lua: lua2, js, snap };
  });
  expect(r.lua).toEqual([
    'float', true, 'float', 2.5, 'integer', true,
    'integer', true, true,
    true, 4, 'héllo ✓', '',
    4, 'integer', 'float', 'three', 1.25, 'd',
    'one', 'half', 'yes', 'v',
  ]);
  expect(r.js).toEqual({ big: '9223372036854775807', bigType: 'bigint', bytes: [0xff, 0, 1, 0x80], nestedIsMap: true });
  expect(r.snap).toEqual(before);
});

test('a damaged snapshot is kept aside and the previous copy loaded; foreign values make createLua reject', async () => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    const { idb, createLua, counter } = window.lps;
    const store = idb.createStore('lua-persistent', 'snapshots');
    const attempt = async (storage) => {
      try {
        const lua = await createLua({ storage });
        const out = { recovery: lua.recovery && { usedPrevious: lua.recovery.usedPrevious, keptAs: lua.recovery.keptAs }, n: lua.eval("return ext.table('counter').n") };
        await lua.close();
        return out;
      } catch (e) {
        return { error: e.message };
      }
    };
    const out = {};
    const warn = console.warn;
    console.warn = () => {};
    try {
      // Two saves: n = 1 becomes the previous copy, n = 2 the current one; then damage it.
      await counter('indexeddb');
      await counter('indexeddb');
      const current = await idb.get('ext', store);
      const flipped = current.slice();
      flipped[flipped.length - 3] ^= 0xff;
      await idb.set('ext', flipped, store);
      out.flipped = await attempt('indexeddb');
      const keys = await new Promise((resolve) => store('readonly', (s) => { const q = s.getAllKeys(); q.onsuccess = () => resolve(q.result); }));
      const keptKey = keys.find((k) => typeof k === 'string' && k.startsWith('ext.corrupt-')); // log keys are arrays
      out.keptIntact = Array.from(await idb.get(keptKey, store)).join() === Array.from(flipped).join();
      // Garbage with no previous copy (fresh database): kept aside, start empty.
      const other = idb.createStore('lp-garbage', 'snapshots');
      const garbage = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 255);
      await idb.set('ext', garbage, other);
      out.garbage = await attempt('indexeddb:lp-garbage');
      // localStorage: damaged base64 snapshot kept aside under another key.
      const mem = await createLua();
      mem.eval("ext.table('counter').n = 7");
      const snap = mem.snapshot();
      await mem.close();
      snap[snap.length - 3] ^= 0xff;
      let bin = '';
      snap.forEach((b) => { bin += String.fromCharCode(b); });
      localStorage.setItem('lua-persistent:ext', btoa(bin));
      out.local = await attempt('localstorage');
      out.localKept = Object.keys(localStorage).some((k) => k.startsWith('lua-persistent:ext.corrupt-'));
    } finally {
      console.warn = warn;
    }
    // Foreign values are not ours to move: reject, untouched.
    await idb.set('ext', 'not bytes', store);
    out.notBytes = await attempt('indexeddb');
    out.notBytesKept = (await idb.get('ext', store)) === 'not bytes';
    localStorage.setItem('lua-persistent:ext', '%%% not base64 %%%');
    out.notBase64 = await attempt('localstorage');
    out.notBase64Kept = localStorage.getItem('lua-persistent:ext') === '%%% not base64 %%%';
    return out;
  });
  expect(r.flipped).toEqual({ recovery: { usedPrevious: true, keptAs: expect.stringContaining('ext.corrupt-') }, n: 1 });
  expect(r.keptIntact).toBe(true);
  expect(r.garbage).toEqual({ recovery: { usedPrevious: false, keptAs: expect.stringContaining('ext.corrupt-') } });
  expect(r.local).toEqual({ recovery: { usedPrevious: false, keptAs: expect.stringContaining('lua-persistent:ext.corrupt-') } });
  expect(r.localKept).toBe(true);
  expect(r.notBytes.error).toMatch(/not a snapshot.*corrupted/);
  expect(r.notBase64.error).toMatch(/snapshot in localStorage key "lua-persistent:ext" is corrupted/);
  expect(r).toMatchObject({ notBytesKept: true, notBase64Kept: true });

  // Still there after a reload: the failed creates wrote nothing.
  await reload(page);
  const still = await page.evaluate(async () => {
    const { idb } = window.lps;
    return idb.get('ext', idb.createStore('lua-persistent', 'snapshots'));
  });
  expect(still).toBe('not bytes');
});

test('storage strings: accepted forms, and a TypeError listing them for anything else', async () => {
  const page = await openPage();
  const r = await page.evaluate(async () => {
    const out = {};
    for (const s of ['./data', 'indexeddb:', 'IndexedDB', 'sessionstorage', 'localstorage:']) {
      try {
        await window.lps.createLua({ storage: s });
        out[s] = 'resolved';
      } catch (e) {
        out[s] = `${e.name}: ${e.message}`;
      }
    }
    return out;
  });
  for (const msg of Object.values(r)) {
    expect(msg).toMatch(/^TypeError: createLua: unknown storage/);
    for (const form of ["'memory'", "'indexeddb'", "'indexeddb:<dbName>'", "'localstorage'", "'localstorage:<key>'", 'adapter']) {
      expect(msg).toContain(form);
    }
  }
  expect(r['./data']).toMatch(/storage path needs Node/);
});

// The IndexedDB adapter as an incremental store (issue 18), driven directly with made-up
// records: records are opaque bytes to adapters, so any bytes do. `rec(i)` is record i,
// 1 to 5 bytes long, so a record joined in the wrong place or order changes the result.
const REC = 'window.rec = (i) => new Uint8Array(1 + (i % 5)).fill(i & 255); window.cat = (...is) => is.flatMap((i) => Array.from(window.rec(i)));';
const rec = (i) => new Array(1 + (i % 5)).fill(i & 255);
const cat = (...is) => is.flatMap(rec);
const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);

/** A fresh page with `rec`/`cat` defined, and `loaded(r)`: what load() gave, as plain arrays. */
async function logPage() {
  const page = await openPage();
  await defineHelpers(page);
  return page;
}
async function defineHelpers(page) {
  await page.evaluate(`${REC}
    window.plain = (r) => {
      if (r === undefined) return 'nothing';
      if (r instanceof Uint8Array) return { snapshot: Array.from(r), log: undefined };
      return { snapshot: r.snapshot && Array.from(r.snapshot), log: r.log && Array.from(r.log) };
    };
    window.logKeys = async (db) => {
      const { idb } = window.lps;
      return (await idb.keys(idb.createStore(db, 'snapshots'))).filter(Array.isArray);
    };`);
}

test('IndexedDB log: records load in append order, one entry each, across reloads', async () => {
  const page = await logPage();
  const first = await page.evaluate(async () => {
    const a = window.lps.indexedDBStorage('lp-log');
    const empty = window.plain(await a.load());
    for (let i = 0; i < 12; i++) await a.append(window.rec(i));
    // Not awaited one by one: their order is the order of the calls.
    await Promise.all(Array.from({ length: 13 }, (_, j) => a.append(window.rec(12 + j))));
    // The caller's array is copied: changing it later changes nothing stored.
    const r = window.rec(25);
    const p = a.append(r);
    r.fill(0xee);
    await p;
    await a.close();
    return { empty, keys: await window.logKeys('lp-log') };
  });
  expect(first.empty).toBe('nothing');
  // One entry per record, numbered from 0, in numeric order (10 after 9, no padding).
  expect(first.keys).toEqual(range(0, 26).map((i) => ['ext', 'log', i]));

  await reload(page);
  await defineHelpers(page);
  const again = await page.evaluate(async () => {
    const a = window.lps.indexedDBStorage('lp-log');
    const loaded = window.plain(await a.load());
    await a.append(window.rec(26));
    await a.close();
    return loaded;
  });
  expect(again).toEqual({ snapshot: undefined, log: cat(...range(0, 26)) });

  await reload(page);
  await defineHelpers(page);
  const third = await page.evaluate(async () => {
    const a = window.lps.indexedDBStorage('lp-log');
    const loaded = window.plain(await a.load());
    await a.close();
    return { loaded, keys: await window.logKeys('lp-log') };
  });
  // The seq went on after the highest stored one: 26, not 0 (which would have been
  // refused, or sorted first).
  expect(third.loaded).toEqual({ snapshot: undefined, log: cat(...range(0, 27)) });
  expect(third.keys[26]).toEqual(['ext', 'log', 26]);
});

test('IndexedDB log: the seq continues after a reload, also after a compact and without load()', async () => {
  const page = await logPage();
  await page.evaluate(async () => {
    const a = window.lps.indexedDBStorage('lp-seq');
    await a.load();
    for (let i = 0; i < 3; i++) await a.append(window.rec(i));
    await a.compact(new Uint8Array([1, 2, 3]));
    await a.append(window.rec(3)); // seq 3 survives the compact
    await a.close();
  });
  await reload(page);
  await defineHelpers(page);
  const r = await page.evaluate(async () => {
    const a = window.lps.indexedDBStorage('lp-seq');
    const loaded = window.plain(await a.load());
    await a.append(window.rec(4));
    await a.close();
    // A fresh adapter that appends before any load() looks the end of the log up first.
    const b = window.lps.indexedDBStorage('lp-seq');
    await b.append(window.rec(5));
    await b.append(window.rec(6));
    const keys = await window.logKeys('lp-seq');
    const all = window.plain(await b.load());
    await b.close();
    return { loaded, keys, all };
  });
  expect(r.loaded).toEqual({ snapshot: [1, 2, 3], log: cat(3) });
  expect(r.keys).toEqual([3, 4, 5, 6].map((i) => ['ext', 'log', i]));
  expect(r.all).toEqual({ snapshot: [1, 2, 3], log: cat(3, 4, 5, 6) });
});

test('IndexedDB compact: one transaction; records appended while it is pending are exactly the ones kept', async () => {
  const page = await logPage();
  const r = await page.evaluate(async () => {
    const { indexedDBStorage } = window.lps;
    const a = indexedDBStorage('lp-compact');
    await a.load();
    await a.append(window.rec(0));
    await a.append(window.rec(1));
    // rec 2 is appended before compact() is called (its snapshot covers it), recs 3 and 4
    // while the compact is pending; nothing is awaited in between.
    const s1 = new Uint8Array([9, 9, 9]);
    const pending = [a.append(window.rec(2)), a.compact(s1), a.append(window.rec(3)), a.append(window.rec(4))];
    s1.fill(0); // compact() copied the snapshot when called
    await Promise.all(pending);
    const afterFirst = window.plain(await a.load());
    const keysAfterFirst = await window.logKeys('lp-compact');
    // A second compact covering everything: no log left, the first snapshot becomes '.prev'.
    await a.compact(new Uint8Array([8, 8]));
    const afterSecond = window.plain(await a.load());
    const previous = Array.from(await a.loadPrevious());
    // An append called after compact() whose transaction commits first (IndexedDB runs
    // them in creation order, so this is simulated: rec 6 written straight under the
    // next seq before compact's transaction runs) is kept too: compact deletes by seq.
    await a.append(window.rec(5));
    const { idb } = window.lps;
    await idb.set(['ext', 'log', (await window.logKeys('lp-compact'))[0][2] + 1], window.rec(6), idb.createStore('lp-compact', 'snapshots'));
    await a.compact(new Uint8Array([8, 8, 8]));
    const early = window.plain(await a.load());
    await a.close();
    // The transactions: one read-write transaction per compact (snapshot, '.prev' and
    // the deletes together), one per append.
    const seen = [];
    const real = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (...args) {
      if (args[1] === 'readwrite') seen.push(args[0]);
      return real.apply(this, args);
    };
    try {
      const b = indexedDBStorage('lp-compact');
      await b.load();
      await b.append(window.rec(5));
      await b.compact(new Uint8Array([7]));
      await b.close();
    } finally {
      IDBDatabase.prototype.transaction = real;
    }
    return { afterFirst, keysAfterFirst, afterSecond, previous, early, seen };
  });
  expect(r.afterFirst).toEqual({ snapshot: [9, 9, 9], log: cat(3, 4) });
  expect(r.keysAfterFirst).toEqual([['ext', 'log', 3], ['ext', 'log', 4]]);
  expect(r.afterSecond).toEqual({ snapshot: [8, 8], log: undefined });
  expect(r.previous).toEqual([9, 9, 9]);
  expect(r.early).toEqual({ snapshot: [8, 8, 8], log: cat(6) });
  expect(r.seen).toEqual(['snapshots', 'snapshots']);

  // Stored, not just cached: a reload gives the same.
  await reload(page);
  await defineHelpers(page);
  const after = await page.evaluate(async () => {
    const a = window.lps.indexedDBStorage('lp-compact');
    const loaded = window.plain(await a.load());
    await a.close();
    return loaded;
  });
  expect(after).toEqual({ snapshot: [7], log: undefined });
});

test('IndexedDB quarantineLog / quarantine: the log is moved aside whole, under a new name each time', async () => {
  const page = await logPage();
  const r = await page.evaluate(async () => {
    const { indexedDBStorage, idb } = window.lps;
    const store = idb.createStore('lp-q', 'snapshots');
    const a = indexedDBStorage('lp-q');
    await a.save(new Uint8Array([1]));
    await a.load();
    for (let i = 0; i < 4; i++) await a.append(window.rec(i));
    const where1 = await a.quarantineLog(new Error('record 2 is damaged'));
    const afterFirst = window.plain(await a.load());
    await a.append(window.rec(4));
    const where2 = await a.quarantineLog(new Error('again'));
    const none = await a.quarantineLog(new Error('no log'));
    await a.append(window.rec(5));
    const afterSecond = window.plain(await a.load());
    const names = (await idb.keys(store)).filter((k) => typeof k === 'string' && k.startsWith('ext.corrupt-log-'));
    const kept = await Promise.all(names.map(async (k) => Array.from(await idb.get(k, store))));

    // quarantine(): the snapshot is unreadable, so its log goes with it.
    await a.save(new Uint8Array([2])); // '.prev' = [1], 'ext' = [2], no log
    await a.load();
    await a.append(window.rec(6));
    await a.append(window.rec(7));
    await a.load(); // as persist: load, then quarantine what it gave
    const where3 = await a.quarantine(new Error('bad snapshot'));
    const previous = Array.from(await a.loadPrevious());
    const afterQuarantine = window.plain(await a.load());
    const all = (await idb.keys(store)).filter((k) => typeof k === 'string');
    const snapAs = all.find((k) => /^ext\.corrupt-[^.]*$/.test(k));
    const logAs = all.find((k) => /^ext\.corrupt-[^.]*\.log$/.test(k));
    const moved = { snapshot: Array.from(await idb.get(snapAs, store)), log: Array.from(await idb.get(logAs, store)) };
    await a.close();
    return { where1, where2, none, afterFirst, afterSecond, names, kept, where3, snapAs, logAs, moved, previous, afterQuarantine };
  });
  expect(r.where1).toMatch(/^IndexedDB database "lp-q", store "snapshots", key "ext\.corrupt-log-[^"]+"$/);
  expect(r.where2).toMatch(/key "ext\.corrupt-log-/);
  expect(r.where2).not.toBe(r.where1); // even within one millisecond
  expect(r.none).toBeUndefined();
  expect(r.afterFirst).toEqual({ snapshot: [1], log: undefined });
  expect(r.afterSecond).toEqual({ snapshot: [1], log: cat(5) });
  expect(r.names).toHaveLength(2);
  expect(r.kept.sort((x, y) => y.length - x.length)).toEqual([cat(0, 1, 2, 3), cat(4)]);
  expect(r.where3).toContain(`key "${r.snapAs}"`);
  expect(r.where3).toContain(r.logAs);
  expect(r.moved).toEqual({ snapshot: [2], log: cat(6, 7) });
  expect(r.previous).toEqual([1]);
  // 'ext' is gone: '.prev' is loaded, with no log (it went with the bad snapshot).
  expect(r.afterQuarantine).toEqual({ snapshot: [1], log: undefined });
});

test('IndexedDB: an old store holding only a snapshot loads; save() after appends drops the log', async () => {
  const page = await logPage();
  const r = await page.evaluate(async () => {
    const { indexedDBStorage, idb, createLua } = window.lps;
    const store = idb.createStore('lp-old', 'snapshots');
    // As written before logs existed: the snapshot (and its previous copy) as bytes.
    const mem = await createLua();
    mem.eval("ext.table('counter').n = 41");
    const snap = mem.snapshot();
    await mem.close();
    await idb.set('ext', snap, store);
    await idb.set('ext.prev', new Uint8Array([5, 5]), store);
    const a = indexedDBStorage('lp-old');
    const old = await a.load();
    const oldIsBare = old instanceof Uint8Array && Array.from(old).join() === Array.from(snap).join();
    // The VM opens it as ever.
    const lua = await createLua({ storage: indexedDBStorage('lp-old') });
    const n = lua.eval(window.lps.COUNTER);
    await lua.close();

    // save() is a compact: the log it replaces is gone, the old snapshot is '.prev'.
    await a.load();
    await a.append(window.rec(0));
    await a.append(window.rec(1));
    const withLog = window.plain(await a.load());
    await a.save(new Uint8Array([6, 6, 6]));
    const saved = window.plain(await a.load());
    const prev = Array.from(await idb.get('ext.prev', store));
    const logKeys = await window.logKeys('lp-old');
    await a.close();

    // Two writers on one key (two tabs): a record is never written over; the second
    // writer's append fails with an error naming the store.
    const w1 = indexedDBStorage('lp-old');
    const w2 = indexedDBStorage('lp-old');
    await w1.load();
    await w2.load();
    await w1.append(window.rec(1));
    let clash;
    try {
      await w2.append(window.rec(2));
    } catch (e) {
      clash = { message: e.message, cause: e.cause && e.cause.name };
    }
    const afterClash = window.plain(await w1.load());
    await w1.close();
    await w2.close();

    // A value under a log key that is not bytes is not ours: load() says so.
    await idb.set(['ext', 'log', 3], 'not bytes', store);
    let error;
    try {
      await indexedDBStorage('lp-old').load();
    } catch (e) {
      error = e.message;
    }
    return { oldIsBare, n, withLog, saved, prev, logKeys, clash, afterClash, error };
  });
  expect(r.oldIsBare).toBe(true);
  expect(r.n).toBe(42);
  expect(r.withLog.log).toEqual(cat(0, 1));
  expect(r.saved).toEqual({ snapshot: [6, 6, 6], log: undefined });
  expect(r.prev).not.toEqual([6, 6, 6]);
  expect(r.prev.length).toBeGreaterThan(8); // the VM's snapshot saved by createLua
  expect(r.logKeys).toEqual([]);
  expect(r.clash).toEqual({ message: expect.stringMatching(/^lua-persistent: IndexedDB failed \(IndexedDB database "lp-old", store "snapshots", key "ext"\): ConstraintError: /), cause: 'ConstraintError' });
  expect(r.afterClash).toEqual({ snapshot: [6, 6, 6], log: cat(1) });
  expect(r.error).toMatch(/key \["ext","log",3\] is not a log record \(a String, expected bytes\): the log is corrupted/);
});

test("IndexedDB durability: 'fsync' writes with 'strict', the default with 'relaxed'; other values are refused", async () => {
  const page = await logPage();
  const r = await page.evaluate(async () => {
    const { indexedDBStorage } = window.lps;
    const seen = [];
    const real = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (...args) {
      const t = real.apply(this, args);
      if (args[1] === 'readwrite') seen.push(t.durability);
      return t;
    };
    const run = async (...args) => {
      seen.length = 0;
      const a = indexedDBStorage(...args);
      await a.load();
      await a.append(window.rec(1));
      await a.compact(new Uint8Array([1]));
      await a.save(new Uint8Array([2]));
      await a.quarantineLog(new Error('x'));
      await a.close();
      return seen.slice();
    };
    try {
      const out = { fsync: await run('lp-dur', 'ext', { durability: 'fsync' }), os: await run('lp-dur', 'k2', { durability: 'os' }), plain: await run('lp-dur', 'k3') };
      out.bad = [];
      for (const d of ['strict', 'relaxed', 'FSYNC', 1]) {
        try {
          indexedDBStorage('lp-dur', 'ext', { durability: d });
        } catch (e) {
          out.bad.push(`${e.name}: ${e.message}`);
        }
      }
      return out;
    } finally {
      IDBDatabase.prototype.transaction = real;
    }
  });
  expect(r.fsync).toEqual(['strict', 'strict', 'strict', 'strict']);
  expect(r.os).toEqual(['relaxed', 'relaxed', 'relaxed', 'relaxed']);
  expect(r.plain).toEqual(r.os);
  expect(r.bad).toEqual([
    'TypeError: indexedDBStorage: durability must be \'os\' or \'fsync\', not "strict"',
    'TypeError: indexedDBStorage: durability must be \'os\' or \'fsync\', not "relaxed"',
    'TypeError: indexedDBStorage: durability must be \'os\' or \'fsync\', not "FSYNC"',
    "TypeError: indexedDBStorage: durability must be 'os' or 'fsync', not number",
  ]);
});

test('IndexedDB through createLua: a record per call, replayed after a reload; torn and damaged logs reported', async () => {
  const page = await openPage();
  const count = async () => page.evaluate(async () => {
    const store = window.lps.idb.createStore('lua-persistent', 'snapshots');
    return (await window.lps.idb.keys(store)).filter((k) => Array.isArray(k) && k[0] === 'ext' && k[1] === 'log').length;
  });
  // Calls append one record each; the tab goes away without close(): only the log has them.
  const logged = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'indexeddb' });
    for (let i = 0; i < 5; i++) lua.eval(window.lps.COUNTER);
    try {
      lua.eval("ext.table('counter').n = -1 error('undone')");
    } catch (e) {
      // a failed call: nothing of it may be stored
    }
    await lua._persist.appends;
    return lua.eval("return ext.table('counter').n");
  });
  expect(logged).toBe(5);
  expect(await count()).toBeGreaterThanOrEqual(5);
  await reload(page);
  const replayed = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'indexeddb' });
    const n = lua.eval("return ext.table('counter').n");
    lua.eval(window.lps.COUNTER);
    await lua._persist.appends;
    return { n, recovery: lua.recovery };
  });
  expect(replayed).toEqual({ n: 5, recovery: null });

  // Cut the last record, as a crash in the middle of a write would not (IndexedDB writes
  // are atomic) but damaged storage might: it is ignored and reported.
  await reload(page);
  const torn = await page.evaluate(async () => {
    const store = window.lps.idb.createStore('lua-persistent', 'snapshots');
    const logKeys = (await window.lps.idb.keys(store)).filter((k) => Array.isArray(k) && k[1] === 'log').sort((a, b) => a[2] - b[2]);
    const last = logKeys[logKeys.length - 1];
    const bytes = await window.lps.idb.get(last, store);
    await window.lps.idb.set(last, bytes.slice(0, bytes.length - 2), store);
    const lua = await window.lps.createLua({ storage: 'indexeddb' });
    const out = { n: lua.eval("return ext.table('counter').n"), message: lua.recovery && lua.recovery.error.message };
    await lua.close();
    return out;
  });
  expect(torn.n).toBe(5);
  expect(torn.message).toMatch(/incomplete record/);
  expect(await count()).toBe(0); // compacted right away

  // A damaged record before the end: the log is moved aside, the records before it load.
  await reload(page);
  const damaged = await page.evaluate(async () => {
    const lua = await window.lps.createLua({ storage: 'indexeddb' });
    for (let i = 0; i < 3; i++) lua.eval(window.lps.COUNTER);
    await lua._persist.appends;
    const store = window.lps.idb.createStore('lua-persistent', 'snapshots');
    const logKeys = (await window.lps.idb.keys(store)).filter((k) => Array.isArray(k) && k[1] === 'log').sort((a, b) => a[2] - b[2]);
    const second = await window.lps.idb.get(logKeys[1], store);
    second[6] ^= 0xff;
    await window.lps.idb.set(logKeys[1], second, store);
    const warned = [];
    const warn = console.warn;
    console.warn = (m) => warned.push(String(m));
    try {
      const again = await window.lps.createLua({ storage: 'indexeddb' });
      return { n: again.eval("return ext.table('counter').n"), records: again.recovery.records, keptAs: again.recovery.keptAs, warned };
    } finally {
      console.warn = warn;
    }
  });
  expect(damaged.n).toBe(6);
  expect(damaged.records).toBe(1);
  expect(damaged.keptAs).toMatch(/corrupt-log/);
  expect(damaged.warned.join('\n')).toMatch(/change log is damaged/);
});
