'use strict';
// The browser build, end to end: bundle apps/example with esbuild (scripts/build-web.js,
// 'lua-persistent' resolved through package.json's "browser" condition), serve it on
// localhost, load it in headless Chromium and run a smoke suite inside the page. The
// snapshot bytes made in the page must equal the bytes made in Node by both backends.
const path = require('path');
const { serve, launchChromium, watchProblems } = require('./browser/harness');
const { createLua } = require('..');
const { build, OUT } = require('../scripts/build-web');


// Same data everywhere: scalars of every kind, nested tables, a second table.
const FILL = `
  local t = ext.table('t')
  t.int, t.float, t.big, t.text, t.flag = 42, 2.5, math.maxinteger, 'héllo', true
  t.bytes, t[1], t[1.5], t[false] = '\\xff\\0\\x01', 'one', 'half', 'no'
  t.nested = { list = { 1, 2, 3 }, deep = { x = 1.25, name = 'deep' } }
  ext.table('second').k = 'v'
`;

let server;
let browser;
let page;
let baseUrl;
const problems = []; // console errors, page errors, failed requests
let reported = 0;

beforeAll(async () => {
  await build({ quiet: true });
  server = await serve(OUT);
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  watchProblems(page, problems);
  await page.goto(baseUrl, { waitUntil: 'load' });
  await page.evaluate(() => window.lpReady);
}, 60000);

afterAll(async () => {
  if (browser) await browser.close();
  if (server) await new Promise((r) => server.close(r));
});

// Any browser-side error fails the test during which it appeared.
afterEach(() => {
  const fresh = problems.slice(reported);
  reported = problems.length;
  if (fresh.length) throw new Error(`the page reported errors:\n${fresh.join('\n')}`);
});

test('the example page loads the wasm next to the bundle and runs its first snippet', async () => {
  // One fetch, the page's preload hint's: the glue's fetch must match it (same URL and
  // CORS mode) or Chromium downloads the module a second time.
  const wasm = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.name.endsWith('.wasm')).map((e) => ({ name: e.name, by: e.initiatorType })));
  expect(wasm).toEqual([{ name: `${baseUrl}lua_persistent_bg.wasm`, by: 'link' }]);
  expect(await page.textContent('#status')).toMatch(/^ok/);
  expect(await page.textContent('#output')).toMatch(/run #1: ada has 10 points/);
  expect(await page.textContent('#ext')).toMatch(/ext\.table\("users"\)/);
  await page.screenshot({ path: path.join(require('os').tmpdir(), 'example.png'), fullPage: true });
});

test('eval, print capture, errors with kinds and lines', async () => {
  const r = await page.evaluate(async () => {
    const { createLua, LuaError } = window.lp;
    const lua = await createLua({ print: () => {} });
    const out = {
      backend: lua.backend,
      sum: lua.eval('return 6 * 7 + 0.5'),
      global: (lua.eval('x = 10'), lua.eval('return x * 2')),
    };
    const run = lua.run('print("hello", 1, true) print("second") return "done"');
    out.run = { ok: run.ok, output: run.output, values: run.values };
    try {
      lua.eval('local a = 1\nlocal b = nil\nreturn a + b', { chunkName: 'calc.lua' });
    } catch (e) {
      out.runtime = { isLuaError: e instanceof LuaError, kind: e.kind, line: e.line, chunkName: e.chunkName, message: e.message };
    }
    const syn = lua.run('local x = \nfunction(');
    out.syntax = { ok: syn.ok, kind: syn.error.kind, isLuaError: syn.error instanceof LuaError };
    lua.close();
    return out;
  });
  expect(r.backend).toBe('wasm');
  expect(r.sum).toBe(42.5);
  expect(r.global).toBe(20);
  expect(r.run).toEqual({ ok: true, output: 'hello\t1\ttrue\nsecond\n', values: ['done'] });
  expect(r.runtime).toMatchObject({ isLuaError: true, kind: 'runtime', line: 3 });
  expect(r.runtime.message).toMatch(/arithmetic/);
  expect(r.syntax).toEqual({ ok: false, kind: 'syntax', isLuaError: true });
});

test('ext tables are Maps in the page, nested tables nested Maps', async () => {
  const r = await page.evaluate(async () => {
    const lua = await window.lp.createLua();
    lua.eval("local t = ext.table('t') t.n = 5 t.f = 1.5 t.s = 'str' t.user = { name = 'ada', score = 3, tags = { 'a', 'b' } }");
    const t = lua.ext.get('t');
    const user = t.get('user');
    const out = {
      isMap: t instanceof Map,
      n: t.get('n'), f: t.get('f'), s: t.get('s'),
      userIsMap: user instanceof Map,
      user: [user.get('name'), user.get('score')],
      tagsIsMap: user.get('tags') instanceof Map,
      tags: [...user.get('tags')],
    };
    user.set('score', 40); // JS writes, Lua reads
    out.fromLua = lua.eval("local u = ext.table('t').user u.score = u.score + 2 return u.score");
    out.after = user.get('score');
    lua.close();
    return out;
  });
  expect(r).toEqual({
    isMap: true, n: 5, f: 1.5, s: 'str', userIsMap: true, user: ['ada', 3], tagsIsMap: true,
    tags: [[1, 'a'], [2, 'b']], fromLua: 42, after: 42,
  });
});

test('timeout and memory limit end the call, the VM stays usable', async () => {
  const r = await page.evaluate(async () => {
    const lua = await window.lp.createLua({ memoryLimit: 8 * 1024 * 1024 });
    const t0 = performance.now();
    const loop = lua.run('while true do end', { timeout: 100 });
    const elapsed = performance.now() - t0;
    const afterTimeout = lua.eval('return 1 + 1');
    const mem = lua.run("local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(100) .. i end");
    const afterMemory = lua.eval('t2 = {1, 2, 3} return #t2');
    lua.close();
    return { timeout: loop.error && loop.error.kind, elapsed, afterTimeout, memory: mem.error && mem.error.kind, memMsg: mem.error && mem.error.message, afterMemory };
  });
  expect(r.timeout).toBe('timeout');
  expect(r.elapsed).toBeLessThan(5000);
  expect(r.afterTimeout).toBe(2);
  expect(r.memory).toBe('memory');
  expect(r.memMsg).toMatch(/not enough memory/);
  expect(r.afterMemory).toBe(3);
});

test('the page UI shows errors with their line numbers', async () => {
  await page.selectOption('#examples', 'runtime error');
  await page.click('#run');
  expect(await page.textContent('#error')).toMatch(/runtime error at line 4: .*arithmetic/);
  expect(await page.textContent('#output')).toMatch(/about to fail/);
  await page.screenshot({ path: path.join(require('os').tmpdir(), 'example-error.png') });
  await page.selectOption('#examples', 'ext tables');
  await page.click('#run');
  expect(await page.textContent('#output')).toMatch(/run #2: ada has 20 points/);
});

// A trap costs the trapping VM only: each VM has a module instance of its own.
test('a trap loses one VM only (kind crashed); others and the next createLua work', async () => {
  const r = await page.evaluate(async () => {
    const { createLua } = window.lp;
    const a = await createLua();
    const bystander = await createLua();
    bystander.eval('x = 41');
    a.eval('ext.table("t").v = 1');
    let trap;
    try {
      a._guard(() => a._vm.__trapForTests());
    } catch (e) {
      trap = { kind: e.kind, message: e.message };
    }
    const after = a.run('return 1').error.kind;
    const kept = a.ext.get('t').get('v');
    const snapshotSize = a.snapshot().length;
    await a.close();
    const other = bystander.eval('return x + 1');
    bystander.close();
    const b = await createLua();
    const fresh = b.eval('return 40 + 2');
    b.close();
    return { trap, after, kept, snapshotSize, other, fresh };
  });
  expect(r.trap).toMatchObject({ kind: 'crashed', message: expect.stringMatching(/wasm trap/) });
  expect(r.after).toBe('crashed');
  expect(r.kept).toBe(1);
  expect(r.snapshotSize).toBeGreaterThan(0);
  expect(r.other).toBe(42);
  expect(r.fresh).toBe(42);
});

test('snapshot bytes from the page equal those of the Node wasm and native backends', async () => {
  const fromPage = await page.evaluate(async (fill) => {
    const lua = await window.lp.createLua();
    lua.eval(fill);
    const bytes = Array.from(lua.snapshot());
    lua.close();
    return bytes;
  }, FILL);
  for (const backend of ['wasm', 'native']) {
    const lua = await createLua({ backend });
    lua.eval(FILL);
    expect(Array.from(lua.snapshot())).toEqual(fromPage);
    lua.close();
  }
  // And a Node snapshot restores in the page.
  const node = await createLua({ backend: 'native' });
  node.eval(FILL);
  const back = await page.evaluate(async (bytes) => {
    const lua = await window.lp.createLua();
    lua.restore(new Uint8Array(bytes));
    const t = lua.ext.get('t');
    const r = [t.get('text'), t.get('nested').get('deep').get('x'), lua.eval("return ext.table('second').k")];
    lua.close();
    return r;
  }, Array.from(node.snapshot()));
  node.close();
  expect(back).toEqual(['héllo', 1.25, 'v']);
});

test('storage: a path is refused in the browser, an adapter object works', async () => {
  const r = await page.evaluate(async () => {
    const { createLua } = window.lp;
    let pathError;
    try {
      await createLua({ storage: './data' });
    } catch (e) {
      pathError = `${e.name}: ${e.message}`;
    }
    let saved;
    const adapter = { load: () => saved, save: (b) => { saved = b; } };
    const a = await createLua({ storage: adapter });
    a.eval("ext.table('kv').hits = 3");
    await a.save();
    a.close();
    const b = await createLua({ storage: adapter });
    const hits = b.eval("return ext.table('kv').hits");
    b.close();
    return { pathError, hits };
  });
  expect(r.pathError).toMatch(/TypeError: .*storage path needs Node/);
  expect(r.hits).toBe(3);
});
