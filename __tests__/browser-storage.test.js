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
      const keptKey = keys.find((k) => k.startsWith('ext.corrupt-'));
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
