#!/usr/bin/env node
'use strict';
// Browser cold start, ours vs wasmoon in one run: page load to first eval in headless
// Chromium (playwright-core, Debian's /usr/bin/chromium).
//
//   node bench/browser-start.js [--repeat N] [--package DIR] [--workload NAME] [--preload]
//
// Each engine gets a one-line app (as bench/lib/sizes.js's browser total: esbuild,
// minified, ESM) next to its .wasm, served from 127.0.0.1; the app creates a VM, runs
// `return 1 + 1` and records performance.now() (ms since navigation start). The engines
// are taken in turn, N loads each, medians reported, in three cache states:
//  - cold: a fresh browser context per load (empty HTTP cache, nothing compiled);
//  - reload: one context, loaded once and left 3 s, then reloaded N times with the files
//    cacheable: a reload in the same tab. The renderer keeps the compiled module in
//    memory (V8's module cache), code compiled on first call included;
//  - revisit: a new browser process each time on one profile, primed by one load left
//    3 s: a visitor coming back another day, the files from the HTTP cache. V8 writes a
//    module compiled by streaming (both engines use compileStreaming or
//    instantiateStreaming) to its disk code cache only once some of it has been
//    optimised, which a one-line app never gets to: here it compiles again, as cold.
//    (An app that ran Lua for a while, traced through CDP, had its module written,
//    read back, and the functions that had run compiled on helper threads.)
// Also loaded in turn: the same page with no engine (its script computes 1 + 1 itself):
// what navigation, the HTML and a module script cost before any engine starts, which
// neither engine can go below. Each engine's own part is its time above that page's.
// Also reported: where each engine's first load's time goes (script start, VM ready,
// first eval), from marks the apps set.
// --preload: also load each engine's app from a page whose HTML starts fetching the .wasm
// (`<link rel="preload" as="fetch" crossorigin>`), so the download overlaps the app's
// script instead of starting once the script runs; reported as a second table.
// --workload NAME: the first eval is bench/workloads/NAME.lua at its full size instead of
// `return 1 + 1`, run twice: the report adds how long each engine's first and second
// evals took. A long first eval runs on V8's baseline code until the interpreter loop is
// entered again (docs/benchmarks.md, "A long first eval").
const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const { packageRoot, TREE } = require('./lib/package-root');
const { median } = require('./lib/stats');
const { launchChromium, launchPersistent, MIME } = require('../__tests__/browser/harness');

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
if (args.includes('--package')) process.env.LUA_BENCH_PACKAGE = path.resolve(opt('--package'));
const REPEAT = Number(opt('--repeat', 9));
const MODULES = path.join(TREE, 'node_modules');
const WORKLOAD = opt('--workload', null);
const PRELOAD = args.includes('--preload');

/** The Lua the engines' apps evaluate, as a JS string literal. */
function evalCode() {
  if (!WORKLOAD) return JSON.stringify('return 1 + 1');
  const w = require('./lib/workloads').listWorkloads().find((x) => x.name === WORKLOAD);
  if (!w) throw new Error(`no workload ${WORKLOAD} in bench/workloads`);
  return JSON.stringify(`N = ${w.n}\n${fs.readFileSync(w.file, 'utf8')}`);
}
const EVAL = evalCode();
/** The app's end: evaluate (twice with --workload), then publish the marks. */
const finish = (run) => `const t1 = performance.now();
  const r = ${run};
  const t2 = performance.now();
  ${WORKLOAD ? run : ''};
  window.__done = { r, firstEval: t2, marks: { script: t0, created: t1, second: performance.now() - t2 } };`;

/** The apps: each writes `window.__done = { firstEval, marks }` once its first eval returned. */
const APPS = {
  ours: {
    pkg: 'lua-persistent', dir: () => packageRoot(), wasm: () => path.join(packageRoot(), 'dist', 'wasm-web', 'lua_persistent_bg.wasm'),
    code: `import { createLua } from 'lua-persistent';
const t0 = performance.now();
createLua().then((lua) => {
  ${finish(`lua.eval(${EVAL})`)}
});
`,
  },
  page: {
    code: `const t0 = performance.now();
window.__done = { r: 1 + 1, firstEval: performance.now(), marks: { script: t0, created: t0 } };
`,
  },
  wasmoon: {
    pkg: 'wasmoon', dir: () => path.join(MODULES, 'wasmoon'), wasm: () => path.join(MODULES, 'wasmoon', 'dist', 'glue.wasm'),
    code: `import { LuaFactory } from 'wasmoon';
const t0 = performance.now();
new LuaFactory(new URL('glue.wasm', location.href).href).createEngine().then((lua) => {
  ${finish(`lua.doStringSync(${EVAL})`)}
});
`,
  },
};
if (PRELOAD) {
  APPS['ours-preload'] = { ...APPS.ours, preload: true };
  APPS['wasmoon-preload'] = { ...APPS.wasmoon, preload: true };
}

async function bundleApp(name, app, tmp) {
  const esbuild = require('esbuild');
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  if (app.pkg) fs.symlinkSync(app.dir(), path.join(dir, 'node_modules', app.pkg), 'dir');
  fs.writeFileSync(path.join(dir, 'app.src.js'), app.code);
  await esbuild.build({
    entryPoints: [path.join(dir, 'app.src.js')], outfile: path.join(dir, 'app.js'), bundle: true, minify: true, format: 'esm',
    platform: 'browser', logLevel: 'silent', nodePaths: [MODULES],
    external: ['fs', 'path', 'url', 'module', 'os', 'crypto', 'child_process', 'readline-sync', 'tmp'],
  });
  if (app.wasm) fs.copyFileSync(app.wasm(), path.join(dir, path.basename(app.wasm())));
  const hint = app.preload ? `<link rel="preload" href="${path.basename(app.wasm())}" as="fetch" crossorigin>` : '';
  fs.writeFileSync(path.join(dir, 'index.html'), `<!doctype html><meta charset="utf-8">${hint}<script type="module" src="app.js"></script>\n`);
  return dir;
}

/** A static server over `root`; `cacheable` says whether responses may be cached. */
function serve(root, state) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
      const f = file.endsWith(path.sep) ? path.join(file, 'index.html') : file;
      if (!f.startsWith(root) || !fs.existsSync(f) || !fs.statSync(f).isFile()) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': MIME[path.extname(f)] || 'application/octet-stream', 'Cache-Control': state.cacheable ? 'max-age=3600' : 'no-store' });
      fs.createReadStream(f).pipe(res);
    });
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** Loads app `name` from `base`; every app's result must be the first one's (2 without --workload). */
const results = new Map(WORKLOAD ? [] : [['expected', '2']]);
async function load(page, base, name) {
  await page.goto(`${base}/${name}/`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__done, null, { timeout: 30000 });
  const done = await page.evaluate(() => window.__done);
  if (APPS[name].pkg) results.set(name, String(done.r)); // the page alone runs no Lua
  if (new Set(results.values()).size > 1) throw new Error(`the apps disagree: ${JSON.stringify(Object.fromEntries(results))}`);
  return done;
}


/** The revisit state: per engine a profile primed by one load left 3 s (V8 writes the
 * module to its code cache once some of it was optimised), then REPEAT loads, each in a
 * browser process of its own on that profile. */
async function revisits(names, base, tmp, out) {
  const visit = async (n, wait) => {
    const ctx = await launchPersistent(path.join(tmp, `profile-${n}`));
    try {
      const done = await load(ctx.pages()[0] || (await ctx.newPage()), base, n);
      if (wait) await new Promise((r) => setTimeout(r, wait));
      return done.firstEval;
    } finally {
      await ctx.close();
    }
  };
  for (const n of names) await visit(n, 3000);
  for (let i = 0; i < REPEAT; i++) {
    for (const n of names) out[n].push(await visit(n, 0));
  }
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-browser-start-'));
  const state = { cacheable: false };
  const server = await serve(tmp, state);
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchChromium();
  const res = { cold: {}, reload: {}, revisit: {}, marks: {} };
  try {
    for (const [name, app] of Object.entries(APPS)) await bundleApp(name, app, tmp);
    const names = Object.keys(APPS);
    for (const n of names) { res.cold[n] = []; res.reload[n] = []; res.revisit[n] = []; res.marks[n] = []; }
    state.cacheable = false;
    for (let i = 0; i < REPEAT; i++) {
      for (const n of names) {
        const ctx = await browser.newContext();
        const done = await load(await ctx.newPage(), base, n);
        res.cold[n].push(done.firstEval);
        res.marks[n].push(done.marks);
        await ctx.close();
      }
    }
    state.cacheable = true;
    const pages = {};
    for (const n of names) {
      const ctx = await browser.newContext();
      pages[n] = await ctx.newPage();
      await load(pages[n], base, n);
    }
    await new Promise((r) => setTimeout(r, 3000));
    for (let i = 0; i < REPEAT; i++) {
      for (const n of names) res.reload[n].push((await load(pages[n], base, n)).firstEval);
    }
    await revisits(names, base, tmp, res.revisit);
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  report(res);
}

/** The tables: totals per cache state, then each engine's part above the page alone. */
function report(res) {
  const f = (x) => `${x.toFixed(1)} ms`;
  console.log(`Browser start, page load to first eval (headless Chromium ${CHROMIUM_VERSION()}), medians of ${REPEAT} loads, pages in turn:`);
  table(res, 'ours', 'wasmoon', f);
  if (PRELOAD) {
    console.log('\nThe same apps, their HTML preloading the .wasm:');
    table(res, 'ours-preload', 'wasmoon-preload', f);
  }
  for (const n of Object.keys(APPS).filter((x) => APPS[x].pkg)) {
    const m = res.marks[n];
    console.log(`\n${n}, cold: script start ${f(median(m.map((x) => x.script)))}, VM ready ${f(median(m.map((x) => x.created)))} (fetch + compile + create ${f(median(m.map((x) => x.created - x.script)))}), first eval ${f(median(res.cold[n]))}`);
    if (WORKLOAD) console.log(`${n}, cold: ${WORKLOAD} as the first eval ${f(median(res.cold[n].map((t, i) => t - m[i].created)))}, as the second ${f(median(m.map((x) => x.second)))}`);
  }
  console.log(`\npage alone, cold: script start ${f(median(res.marks.page.map((x) => x.script)))}`);
}

function table(res, ours, peer, f) {
  console.log('\n| cache | ours | wasmoon | ours / wasmoon | page alone | ours above it | wasmoon above it | ours / wasmoon above it |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const k of ['cold', 'reload', 'revisit']) {
    const [a, b, p] = [ours, peer, 'page'].map((n) => median(res[k][n]));
    console.log(`| ${k} | ${f(a)} | ${f(b)} | ${(a / b).toFixed(2)} | ${f(p)} | ${f(a - p)} | ${f(b - p)} | ${((a - p) / (b - p)).toFixed(2)} |`);
  }
}

function CHROMIUM_VERSION() {
  try {
    return require('child_process').execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().replace(/^Chromium\s*/, '');
  } catch {
    return '?';
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
