'use strict';
// The browser playground (apps/playground), end to end in headless Chromium: built by
// scripts/playground.js into a temp directory, served by that script's own server, driven
// with real keystrokes (Ctrl-Enter), clicks, a real download and a real file upload.
// The browser has no native backend: the playground runs the wasm build only, so this
// suite runs once instead of through forEachBackend.
//
// The tests share one page and build on each other (data written by one is inspected,
// reloaded, exported... by the next), so they run in order. Screenshots go to
// /tmp/playground-shots/ (PLAYGROUND_SHOTS to change); any console error, page error or
// failed request fails the suite.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { launchChromium, watchProblems } = require('./browser/harness');
const { build, serve } = require('../scripts/playground');

const SHOTS = process.env.PLAYGROUND_SHOTS || '/tmp/playground-shots';
const TIME_LIMIT = 1500; // ms, the VM's per-run timeout for this suite (?timeout=)

let tmp;
let server;
let browser;
let context;
let page;
const problems = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lp-playground-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  const out = await build({ out: path.join(tmp, 'site'), quiet: true });
  server = await serve(out, { port: 0 });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  watchProblems(page, problems);
  page.on('dialog', (d) => d.accept()); // "Clear storage" asks first
  await open(TIME_LIMIT);
}, 60000);

afterAll(async () => {
  if (browser) await browser.close();
  if (server) await new Promise((r) => server.close(r));
  fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  const seen = problems.splice(0);
  if (seen.length) throw new Error(`the page reported errors:\n${seen.join('\n')}`);
});

/** Waits until the status line matches `re`. */
const statusIs = (re) => page.waitForFunction((src) => new RegExp(src).test(document.getElementById('status').textContent), re.source, { timeout: 5000 });

/** Waits until the VM is up and idle (Run enabled). */
const ready = () => page.waitForSelector('#run:not([disabled])', { timeout: 20000 });

/** (Re)loads the playground with a time limit per run of `timeout` ms. */
async function open(timeout) {
  await page.goto(`http://127.0.0.1:${server.address().port}/?timeout=${timeout}`);
  await ready();
}

const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

const status = () => page.textContent('#status');

/** Replaces the editor's text the way a user would: select all, then type/paste. */
async function setCode(code) {
  await page.click('.cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(code);
}

/** Ctrl-Enter; resolves to the new output block's text once the run has ended. */
async function run(code) {
  if (code !== undefined) await setCode(code);
  const before = await page.locator('#output .run:not(.note)').count();
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction((n) => document.querySelectorAll('#output .run:not(.note)').length > n, before, { timeout: 10000 });
  await ready();
  return page.textContent('#output .run:last-child');
}

/** The values line of the last run ('' when it returned nothing). */
const values = async () => (await page.$$eval('#output .run:last-child .values', (v) => v.map((e) => e.textContent))).join('');

/** The inspector's rows directly under a table or nested table (a selector or a
 * locator of its <details>): [[key, type, value]]; a nested table's row is its summary. */
const rowsOf = (details) => (typeof details === 'string' ? page.locator(details) : details)
  .locator(':scope > table > tbody > tr')
  .evaluateAll((trs) => trs.map((tr) => {
    const summary = tr.querySelector(':scope > td > details > summary');
    return [...(summary ? summary.children : tr.children)].map((c) => c.textContent);
  }));

/** Is the button disabled? */
const disabled = (id) => page.$eval(`#${id}`, (b) => b.disabled);

test('starts on the wasm VM with empty storage and a Lua-highlighted editor', async () => {
  expect(await status()).toMatch(/^0 ext tables loaded from IndexedDB · time limit 1.5 s/);
  expect(await page.textContent('#inspector')).toMatch(/No ext tables yet/);
  expect(await disabled('stop')).toBe(true);
  // The Lua mode colours keywords, numbers and strings differently from the line's text.
  await setCode("local answer = 42 .. 'x'");
  const colours = await page.$$eval('.cm-activeLine span', (spans) => Object.fromEntries(spans.map((s) => [s.textContent, getComputedStyle(s).color])));
  const plain = await page.$eval('.cm-activeLine', (l) => getComputedStyle(l).color);
  expect(new Set([plain, colours.local, colours['42'], colours["'x'"]]).size).toBe(4);
});

test('Ctrl-Enter runs the code: print output and returned values, like the REPL', async () => {
  const text = await run([
    "print('hello', 1 + 1)",
    "return 3, 2.5, 'str', nil, true, {1, 2, {x = 'y'}}, math.maxinteger, 1/0",
  ].join('\n'));
  expect(text).toContain('hello\t2');
  expect(text).toContain('3\t2.5\tstr\tnil\ttrue\t{1, 2, {x = "y"}}\t9223372036854775807\tinf');
  // Run times are rounded for people (one decimal under 10 ms), never a raw float.
  expect(await status()).toMatch(/^Run #1 finished in \d+(\.\d)? ms/);
  expect(await page.textContent('#output .run:last-child .run-head')).toMatch(/^run #1 · \d+(\.\d)? ms$/);
  // Globals persist between runs of the same VM.
  await run('counter = (counter or 0) + 1\nreturn counter');
  expect(await values()).toBe('1');
  await run();
  expect(await values()).toBe('2');
});

test('a syntax error and a runtime error are marked at their line, until the next edit', async () => {
  let text = await run('local x = 1\nif x == 1 then\n  print(x)\n-- no end\n');
  expect(text).toMatch(/syntax error: playground:5: 'end' expected \(to close 'if' at line 2\)/);
  // The message points past the last line (<eof>): the mark goes on the last line there is.
  expect(await page.$$eval('.cm-lua-error-line', (ls) => ls.map((l) => l.dataset.errorLine))).toEqual(['5']);

  text = await run("local t = {}\nlocal function f()\n  return t.missing.field\nend\nf()");
  expect(text).toMatch(/runtime error: playground:3: attempt to index a nil value \(field 'missing'\)/);
  expect(await page.$$eval('.cm-lua-error-line', (ls) => ls.map((l) => [l.dataset.errorLine, l.textContent]))).toEqual([['3', '  return t.missing.field']]);
  expect(await page.textContent('.cm-lua-error-message')).toMatch(/^runtime error: playground:3: attempt to index a nil value/);
  expect(await page.textContent('#status')).toMatch(/failed \(runtime\)/);
  await shot('error-line');

  // An error inside a chunk that the code load()ed is not a line of the editor: no mark.
  text = await run("\n\nload('\\n\\nerror(\"x\")', '=other')()");
  expect(text).toContain('runtime error: other:3: x');
  expect(await page.locator('.cm-lua-error-line').count()).toBe(0);

  await run('error("boom")');
  expect(await page.locator('.cm-lua-error-line').count()).toBe(1);
  await page.keyboard.type(' ');
  expect(await page.locator('.cm-lua-error-line').count()).toBe(0);
});

test('the inspector shows every ext table; nested tables expand', async () => {
  await run([
    "local users = ext.table('users')",
    "users.ada = { score = 7, ratio = 2.0, tags = { 'admin', 'math' }, address = { city = 'London' } }",
    "users['grace hopper'] = { score = 9 }",
    "local flags = ext.table('flags')",
    "flags.on, flags[1], flags.pi = true, 'first', math.pi",
  ].join('\n'));
  expect(await page.$$eval('#inspector .ext-table', (ds) => ds.map((d) => [d.dataset.table, d.open]))).toEqual([['flags', true], ['users', true]]);
  // Rows in Lua's canonical key order: numbers ascending, then strings, then booleans.
  expect(await rowsOf('[data-table=flags]')).toEqual([
    ['[1]', 'string', '"first"'], ['on', 'boolean', 'true'], ['pi', 'float', String(Math.PI)],
  ]);
  expect(await rowsOf('[data-table=users]')).toEqual([['ada', 'table', '4 entries'], ['["grace hopper"]', 'table', '1 entry']]);

  // Nested tables start closed; a click on the summary shows their rows.
  const ada = page.locator('[data-table=users] details.nested').first();
  expect(await ada.evaluate((d) => d.open)).toBe(false);
  expect(await ada.locator(':scope > table').isVisible()).toBe(false);
  await ada.locator(':scope > summary').click();
  expect(await ada.locator(':scope > table').isVisible()).toBe(true);
  expect(await ada.getAttribute('data-path')).toBe('["users","ada"]');
  const rows = await rowsOf(ada);
  expect(rows.map((r) => r.slice(0, 2))).toEqual([['address', 'table'], ['ratio', 'float'], ['score', 'integer'], ['tags', 'table']]);
  expect(rows[1][2]).toBe('2.0'); // an integral float stays a float
  expect(rows[2][2]).toBe('7');
  // Two levels down: tags is a sequence.
  const tags = ada.locator('details.nested').last();
  await tags.locator(':scope > summary').click();
  expect(await rowsOf(tags)).toEqual([['[1]', 'string', '"admin"'], ['[2]', 'string', '"math"']]);
  await shot('inspector-nested');

  // Live: the next run redraws the values, and what was open stays open.
  await run("ext.table('users').ada.tags[3] = 'go'");
  expect(await tags.evaluate((d) => d.open)).toBe(true);
  expect(await rowsOf(tags)).toContainEqual(['[3]', 'string', '"go"']);
});

test('a reload keeps the ext tables (IndexedDB) and the editor text', async () => {
  await setCode("return ext.table('users').ada.score");
  await page.reload();
  await ready();
  expect(await status()).toMatch(/^2 ext tables loaded from IndexedDB/);
  expect(await page.textContent('.cm-content')).toBe("return ext.table('users').ada.score");
  await run();
  expect(await values()).toBe('7');
  expect((await rowsOf('[data-table=flags]')).length).toBe(3);
});

test('Stop ends a runaway script; the page stays responsive and the next run works', async () => {
  await open(60000); // the time limit must not end the loop first on a slow machine
  await setCode("ext.table('flags').before_loop = 1\nwhile true do end");
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('#stop:not([disabled])');
  // The page's own thread is free: frames are drawn and the editor takes keystrokes.
  const t0 = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  expect(Date.now() - t0).toBeLessThan(1500); // generous for a loaded CI machine; a frozen page never gets there
  await page.click('.cm-content');
  await page.keyboard.press('End');
  await page.keyboard.type(' -- typed while running');
  expect(await page.textContent('.cm-content')).toContain('-- typed while running');
  expect(await status()).toMatch(/^Running/);
  await shot('running');

  await page.click('#stop', { timeout: 5000 });
  await ready();
  expect(await page.textContent('#output .note:last-child')).toMatch(/run #1 · stopped.*stopped: the worker was terminated/);
  // The new worker reloaded the stored data; the loop's own write never reached storage.
  expect(await status()).toMatch(/^Stopped; new VM: 2 ext tables loaded from IndexedDB/);
  expect((await rowsOf('[data-table=flags]')).map((r) => r[0])).not.toContain('before_loop');
  await shot('stopped');
  await run("return ext.table('users').ada.score, counter");
  expect(await values()).toBe('7\tnil');
  await open(TIME_LIMIT);
});

test('the time limit ends a runaway script on its own', async () => {
  const t0 = Date.now();
  const text = await run('local n = 0\nwhile true do n = n + 1 end');
  const took = Date.now() - t0;
  // Said once: the message already names its kind.
  expect(text).toMatch(/timeout: script ran longer than 1500 ms/);
  expect(text).not.toMatch(/timeout error/);
  expect(took).toBeGreaterThanOrEqual(TIME_LIMIT - 100);
  // The VM's own limit ended it: a run result, not the page watchdog's "stopped" note.
  expect(took).toBeLessThan(TIME_LIMIT + 4000);
  expect(await disabled('stop')).toBe(true);
  await run('return 1 + 1'); // same VM, still usable
  expect(await values()).toBe('2');
});

test('export, clear, import: a snapshot file round-trips the data', async () => {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), page.click('#export')]);
  expect(download.suggestedFilename()).toMatch(/^lua-playground-.*\.luap$/);
  const file = path.join(tmp, 'export.luap');
  await download.saveAs(file);
  expect(fs.statSync(file).size).toBeGreaterThan(50);
  expect(await status()).toMatch(/^Exported a snapshot \(\d+ bytes\)/);

  // Another tab with the playground open (its own VM, same database) does not block it.
  const other = await context.newPage();
  watchProblems(other, problems);
  await other.goto(page.url());
  await other.waitForSelector('#run:not([disabled])', { timeout: 20000 });
  await page.click('#clear');
  await statusIs(/^Storage cleared/);
  await ready();
  await other.close();
  expect(await page.textContent('#inspector')).toMatch(/No ext tables yet/);
  await page.reload(); // the stored snapshot is gone, not only the VM's copy
  await ready();
  expect(await status()).toMatch(/^0 ext tables loaded/);

  // A file that is not a snapshot is refused and changes nothing.
  const junk = path.join(tmp, 'junk.luap');
  fs.writeFileSync(junk, 'not a snapshot');
  await page.setInputFiles('#import', junk);
  await statusIs(/^Could not import junk.luap/);
  expect(await page.getAttribute('#status', 'data-kind')).toBe('error');
  expect(await page.textContent('#output .note:last-child')).toMatch(/^✗?\s*import.*bad magic/);
  await shot('import-refused');

  await page.setInputFiles('#import', file);
  await statusIs(/^Imported export.luap: 2 ext tables/);
  await ready();
  expect((await rowsOf('[data-table=users]')).map((r) => r[0])).toEqual(['ada', '["grace hopper"]']);
  await page.reload(); // imported data was saved to IndexedDB
  await ready();
  expect(await status()).toMatch(/^2 ext tables loaded/);
  await run("return #ext.table('users').ada.tags");
  expect(await values()).toBe('3');
  await shot('imported');
});

test('npm start: builds dist/playground and serves it, .wasm as application/wasm', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'scripts', 'playground.js')], { env: { ...process.env, PORT: '0' } });
  try {
    let out = '';
    const url = await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /playground: (http:\/\/localhost:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const base = url.replace('localhost', '127.0.0.1');
    const html = await fetch(base);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toContain('<div id="editor"');
    const wasm = await fetch(`${base}lua_persistent_bg.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(Buffer.from(await wasm.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    expect((await fetch(`${base}..%2f..%2fpackage.json`)).status).toBe(404);
  } finally {
    child.kill();
  }
}, 30000);
