'use strict';
// The package as a user gets it: the main tarball and this platform's addon package,
// packed the way they are published (scripts/pack.js, from the artefacts already built)
// and installed offline into a fresh project, then used through every entry: CJS and
// ESM in Node (both backends), strict TypeScript, arethetypeswrong, browser bundles
// from esbuild (with and without the plugin), webpack 5 and Vite run in headless
// Chromium with the ext data persisting across a reload, and Node bundles. Real tools
// from this repository's node_modules, no network. Runs once, not per backend: each
// Node check drives both backends itself.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');
const { packMain, packPlatform } = require('../scripts/pack');
const { targets, platformManifest } = require('../scripts/targets');
const { platformTriple, PUBLISHED } = require('../lib/native');
const { serve, launchChromium, watchProblems } = require('./browser/harness');

const ROOT = path.join(__dirname, '..');
const BIN = (pkg, rel) => path.join(ROOT, 'node_modules', pkg, rel);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const HOST = targets().find((t) => t.triple === platformTriple());

let tmp;
let app; // the fresh project the tarballs are installed into
let mainTarball;

/** Runs `node args…` in the app; returns { status, out } (stdout + stderr). */
function node(args, opts = {}) {
  const r = spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout: 120000, env: { ...process.env, LUA_PERSISTENT_QUIET: '1', ...opts.env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function write(rel, text) {
  const file = path.join(app, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'luap-packaging-'));
  const out = path.join(tmp, 'packed');
  fs.mkdirSync(out);
  mainTarball = packMain(out);
  const tarballs = [mainTarball];
  // This machine's addon (the test build) as its platform package.
  if (HOST) tarballs.push(packPlatform(HOST, path.join(ROOT, `lua-persistent.${HOST.triple}.node`), out));
  // The one dependency, from this repository's node_modules: the install needs no cache.
  const [idb] = JSON.parse(execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: BIN('idb-keyval', ''), encoding: 'utf8' }));
  tarballs.push(path.join(out, idb.filename));
  const install = (dir, list) => {
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), version: '1.0.0', private: true }));
    execFileSync(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...list], { cwd: dir, stdio: 'pipe' });
  };
  app = path.join(tmp, 'app');
  install(app, tarballs);
  // A project where npm left out the platform package (--omit=optional, another OS).
  install(path.join(tmp, 'no-addon'), tarballs.filter((f) => !/lua-persistent-[a-z]/.test(path.basename(f))));
}, 180000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  // esbuild's service process (a child with piped stdio) would keep an in-band Jest
  // (the 2-core CI runs suites in band) from exiting.
  require('esbuild').stop();
});

describe('the tarball', () => {
  const files = () => execFileSync('tar', ['tzf', mainTarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));

  test('holds one wasm module, no addon, the LICENSE, the CHANGELOG and every doc the README links to', () => {
    const list = files();
    expect(list.filter((f) => f.endsWith('.wasm'))).toEqual(['dist/wasm-web/lua_persistent_bg.wasm']);
    expect(list.filter((f) => f.endsWith('.node'))).toEqual([]);
    expect(list).toEqual(expect.arrayContaining(['LICENSE', 'CHANGELOG.md', 'README.md', 'esbuild.js', 'esbuild.d.ts', 'web/wasm-location.js']));
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // Every relative link (a file, or a folder with something in it), anchors dropped.
    const linked = [...readme.matchAll(/\]\((?!https?:|#)([^)#\s]+)/g)].map((m) => m[1].replace(/^\.\//, ''));
    expect(linked.length).toBeGreaterThan(10);
    for (const doc of linked) expect([doc, list.some((f) => f === doc || (doc.endsWith('/') && f.startsWith(doc)))]).toEqual([doc, true]);
  });

  test('depends on every platform package at its own version; the npm/ manifests are current', () => {
    const manifest = JSON.parse(execFileSync('tar', ['xzf', mainTarball, '-O', 'package/package.json'], { encoding: 'utf8' }));
    const expected = Object.fromEntries(targets().map((t) => [`lua-persistent-${t.triple}`, manifest.version]));
    expect(manifest.optionalDependencies).toEqual(expected);
    expect(manifest.devDependencies).toBeUndefined();
    expect(targets().map((t) => t.triple)).toEqual(PUBLISHED);
    for (const t of targets()) {
      const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', t.triple, 'package.json'), 'utf8'));
      expect(committed).toEqual(platformManifest(t));
    }
  });

  test('arethetypeswrong finds no problem', () => {
    const r = spawnSync(process.execPath, [BIN('@arethetypeswrong/cli', 'dist/index.js'), mainTarball, '--no-definitely-typed', '--format', 'ascii', '--no-color'], { encoding: 'utf8', timeout: 60000 });
    expect(r.stdout + r.stderr).toMatch(/No problems found/);
    expect(r.stdout + r.stderr).not.toMatch(/❌|⚠️/);
    expect(r.status).toBe(0);
  }, 60000);
});

describe('Node, from the installed package', () => {
  const SMOKE = `
    const dir = require('fs').mkdtempSync(require('path').join(require('os').tmpdir(), 'luap-pkg-'));
    process.on('exit', () => require('fs').rmSync(dir, { recursive: true, force: true }));
    async function run(createLua, backend) {
      let lua = await createLua({ backend, storage: dir + '/' + backend });
      const first = lua.eval("local t = ext.table('t'); t.n = 41; return _VERSION .. ' ' .. (t.n + 1)");
      await lua.close();
      lua = await createLua({ backend, storage: dir + '/' + backend });
      const again = lua.eval("return ext.table('t').n");
      await lua.close();
      return [lua.backend, first, again];
    }`;

  test('CJS: require works on both backends; auto picks the addon from the platform package', () => {
    write('cjs.js', `${SMOKE}
      const { createLua } = require('lua-persistent');
      (async () => {
        const auto = await createLua();
        const result = { auto: [auto.backend, auto.fallbackReason], addon: require.resolve('lua-persistent-${HOST ? HOST.triple : 'none'}') };
        auto.close();
        result.native = await run(createLua, 'native');
        result.wasm = await run(createLua, 'wasm');
        console.log(JSON.stringify(result));
      })().catch((e) => { console.error(e); process.exit(1); });`);
    const r = node(['cjs.js']);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.out);
    expect(HOST).toBeDefined(); // a platform with a published addon
    expect(result.auto).toEqual(['native', null]); // no fallbackReason (undefined, in JSON null)
    expect(result.addon).toContain(path.join('node_modules', `lua-persistent-${HOST.triple}`));
    expect(result.native).toEqual(['native', 'Lua 5.4 42', 41]);
    expect(result.wasm).toEqual(['wasm', 'Lua 5.4 42', 41]);
  });

  test('without its platform package, auto falls back to wasm once, loudly, saying why', () => {
    fs.writeFileSync(path.join(tmp, 'no-addon', 'fallback.js'), `
      const { createLua } = require('lua-persistent');
      const warnings = [];
      process.on('warning', (w) => warnings.push([w.code, w.message]));
      (async () => {
        const a = await createLua();
        const b = await createLua();
        const native = await createLua({ backend: 'native' }).then(() => 'loaded', (e) => e.message);
        setImmediate(() => console.log(JSON.stringify({ backends: [a.backend, b.backend], reason: a.fallbackReason, warnings, native, value: a.eval('return 6 * 7') })));
      })();`);
    const env = { ...process.env };
    delete env.LUA_PERSISTENT_QUIET;
    const r = spawnSync(process.execPath, ['fallback.js'], { cwd: path.join(tmp, 'no-addon'), encoding: 'utf8', timeout: 60000, env });
    expect(r.stderr).toMatch(/LUA_PERSISTENT_FALLBACK/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backends).toEqual(['wasm', 'wasm']);
    expect(out.value).toBe(42);
    expect(out.reason).toMatch(new RegExp(`lua-persistent-${HOST.triple} is not installed \\(npm installs it as an optional dependency`));
    expect(out.warnings).toEqual([['LUA_PERSISTENT_FALLBACK', expect.stringContaining(`lua-persistent-${HOST.triple} is not installed`)]]);
    expect(out.native).toMatch(/no backend could be loaded \(native: lua-persistent: native addon unavailable/);
  });

  test('ESM: every export is a named import; the esbuild plugin too', () => {
    const names = Object.keys(require(ROOT));
    expect(names).toEqual(expect.arrayContaining(['createLua', 'Lua', 'LuaError', 'multi', 'ref']));
    write('esm.mjs', `import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      ${SMOKE}
      import { ${names.join(', ')} } from 'lua-persistent';
      import { luaPersistent } from 'lua-persistent/esbuild';
      const types = { ${names.join(', ')}, luaPersistent };
      const out = { types: Object.fromEntries(Object.entries(types).map(([k, v]) => [k, typeof v])) };
      out.native = await run(createLua, 'native');
      out.wasm = await run(createLua, 'wasm');
      console.log(JSON.stringify(out));`);
    const r = node(['esm.mjs']);
    expect(r.out).toMatch(/^\{/);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.types).toEqual(Object.fromEntries([...names, 'luaPersistent'].map((n) => [n, 'function'])));
    expect(out.native).toEqual(['native', 'Lua 5.4 42', 41]);
    expect(out.wasm).toEqual(['wasm', 'Lua 5.4 42', 41]);
  });

  test('strict TypeScript (node16, CJS and ESM files) compiles code using the API and the plugin', () => {
    const usage = `
      import { createLua, LuaError, multi, ref, type Lua } from 'lua-persistent';
      import { luaPersistent } from 'lua-persistent/esbuild';
      export async function main(): Promise<number> {
        const lua: Lua = await createLua({ backend: 'wasm', storage: 'memory', timeout: 1000 });
        const n: unknown = lua.eval('return 1 + 1');
        lua.setGlobal('pair', () => multi(1, 2));
        lua.setGlobal('box', ref({ a: 1 }));
        try { lua.eval('error("x")'); } catch (e) { if (e instanceof LuaError) console.log(e.kind); }
        const plugin = luaPersistent({ wasm: 'inline' });
        console.log(plugin.name, lua.backend, lua.fallbackReason ?? 'none');
        await lua.close();
        return typeof n === 'number' ? n : 0;
      }`;
    write('ts/usage.ts', usage);
    write('ts/usage.mts', usage);
    write('ts/tsconfig.json', JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', lib: ['es2022', 'dom'], types: [], skipLibCheck: false },
      include: ['usage.ts', 'usage.mts'],
    }));
    const r = spawnSync(process.execPath, [BIN('typescript', 'bin/tsc'), '-p', path.join(app, 'ts')], { encoding: 'utf8', timeout: 120000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 120000);

  describe('bundled with esbuild --platform=node', () => {
    const esbuild = () => require('esbuild');
    const build = (outfile, plugins) => esbuild().build({
      absWorkingDir: app, entryPoints: ['cjs.js'], bundle: true, platform: 'node', outfile, plugins, logLevel: 'silent',
    });

    test('without the plugin it fails saying what to mark external', async () => {
      await build('node-bundle/plain.js', []);
      const r = node(['node-bundle/plain.js']);
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/looks bundled.*Mark it external: esbuild --external:lua-persistent/);
    });

    test('with the plugin (lua-persistent external) both backends work', async () => {
      const { luaPersistent } = require(path.join(app, 'node_modules', 'lua-persistent', 'esbuild'));
      await build('node-bundle/external.js', [luaPersistent()]);
      expect(fs.readFileSync(path.join(app, 'node-bundle/external.js'), 'utf8')).toContain('require("lua-persistent")');
      const r = node(['node-bundle/external.js']);
      expect(r.status).toBe(0);
      const result = JSON.parse(r.out);
      expect(result.native).toEqual(['native', 'Lua 5.4 42', 41]);
      expect(result.wasm).toEqual(['wasm', 'Lua 5.4 42', 41]);
    });
  });
});

describe('browsers, bundled from the installed package', () => {
  // Counts its runs in localStorage: 'run 2' after a reload means the ext table persisted.
  const MAIN = `
    import { createLua } from 'lua-persistent';
    (async () => {
      try {
        const lua = await createLua({ storage: 'localstorage:packaging' });
        const value = lua.eval("local t = ext.table('runs'); t.n = (t.n or 0) + 1; return 'Lua ' .. _VERSION:sub(5) .. ' run ' .. t.n");
        await lua.save();
        window.__result = { backend: lua.backend, value };
      } catch (e) {
        window.__result = { error: String((e && e.message) || e) };
      }
    })();`;
  const page = (script, type) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script ${type ? `type="${type}" ` : ''}src="${script}"></script>`;

  let server;
  let browser;
  let origin;

  beforeAll(async () => {
    write('src/main.js', MAIN);
    server = await serve(app);
    origin = `http://127.0.0.1:${server.address().port}`;
    browser = await launchChromium();
  }, 60000);

  afterAll(async () => {
    if (browser) await browser.close();
    if (server) server.close();
  });

  /** Opens `url` twice (load, reload) in a fresh context; the two results and problems. */
  async function openTwice(url) {
    const context = await browser.newContext();
    const problems = [];
    try {
      const tab = await context.newPage();
      watchProblems(tab, problems);
      const results = [];
      for (const go of [() => tab.goto(url), () => tab.reload()]) {
        await go();
        await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: 30000 });
        results.push(await tab.evaluate(() => window.__result));
      }
      return { results, problems };
    } finally {
      await context.close();
    }
  }

  const PERSISTED = [{ backend: 'wasm', value: 'Lua 5.4 run 1' }, { backend: 'wasm', value: 'Lua 5.4 run 2' }];

  /** esbuild with `options` into <dir>/, a page loading it; the page's URL. */
  async function esbuildPage(dir, options, type) {
    await require('esbuild').build({
      absWorkingDir: app, entryPoints: ['src/main.js'], bundle: true, platform: 'browser', outdir: dir, logLevel: 'silent', ...options,
    });
    write(`${dir}/index.html`, page('main.js', type));
    return `${origin}/${dir}/index.html`;
  }

  const plugin = (options) => require(path.join(app, 'node_modules', 'lua-persistent', 'esbuild')).luaPersistent(options);

  test.each([
    ['esm', 'file'],
    ['iife', 'file'],
    ['iife', 'inline'],
  ])('esbuild format %s with the plugin (wasm: %s) runs and persists', async (format, wasm) => {
    const dir = `esbuild-${format}-${wasm}`;
    const url = await esbuildPage(dir, { format, plugins: [plugin({ wasm })], assetNames: 'assets/[name]-[hash]' }, format === 'esm' ? 'module' : undefined);
    const emitted = fs.readdirSync(path.join(app, dir)).concat(fs.existsSync(path.join(app, dir, 'assets')) ? fs.readdirSync(path.join(app, dir, 'assets')) : []);
    expect(emitted.some((f) => f.endsWith('.wasm'))).toBe(wasm === 'file');
    const { results, problems } = await openTwice(url);
    expect(results).toEqual(PERSISTED);
    expect(problems).toEqual([]);
  }, 60000);

  test("esbuild's default format without the plugin fails with what to do", async () => {
    const url = await esbuildPage('esbuild-iife-plain', {});
    const { results } = await openTwice(url);
    expect(results[0].error).toMatch(/cannot locate the wasm module: this bundle is not an ES module.*'lua-persistent\/esbuild'/);
  }, 60000);

  test('webpack 5 with no configuration runs and persists', async () => {
    const webpack = require('webpack');
    const stats = await new Promise((resolve, reject) => webpack({
      mode: 'production', context: app, entry: './src/main.js', output: { path: path.join(app, 'webpack'), filename: 'main.js' }, performance: { hints: false },
    }, (err, s) => (err ? reject(err) : resolve(s))));
    expect(stats.toJson({ all: false, errors: true }).errors).toEqual([]);
    write('webpack/index.html', page('main.js'));
    const { results, problems } = await openTwice(`${origin}/webpack/index.html`);
    expect(results).toEqual(PERSISTED);
    expect(problems).toEqual([]);
  }, 120000);

  test('vite build with no configuration runs and persists', async () => {
    write('index.html', page('/src/main.js', 'module'));
    const r = node([BIN('vite', 'bin/vite.js'), 'build', '--outDir', 'vite', '--base', './', '--logLevel', 'error']);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
    const { results, problems } = await openTwice(`${origin}/vite/index.html`);
    expect(results).toEqual(PERSISTED);
    expect(problems).toEqual([]);
  }, 120000);
});
