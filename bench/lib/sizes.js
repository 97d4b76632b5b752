'use strict';
// Download sizes: the wasm modules and JS glue as shipped, and a browser bundle of a
// tiny app per engine (esbuild, minified, browser platform) plus the wasm it fetches,
// each gzipped at level 9 (the same deflate as `gzip -9`), totals summed.
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

const { packageRoot, TREE } = require('./package-root');

const MODULES = path.join(TREE, 'node_modules');

/** The tiny app per engine; ours from the package being measured. */
const apps = (ROOT = packageRoot()) => ({
  ours: {
    pkg: 'lua-persistent', dir: ROOT, wasm: path.join(ROOT, 'dist', 'wasm-web', 'lua_persistent_bg.wasm'),
    glue: path.join(ROOT, 'dist', 'wasm-web', 'lua_persistent.js'),
    code: "import { createLua } from 'lua-persistent';\ncreateLua().then((lua) => console.log(lua.eval('return 1 + 1')));\n",
  },
  wasmoon: {
    pkg: 'wasmoon', dir: path.join(MODULES, 'wasmoon'), wasm: path.join(MODULES, 'wasmoon', 'dist', 'glue.wasm'),
    glue: path.join(MODULES, 'wasmoon', 'dist', 'index.js'),
    code: "import { LuaFactory } from 'wasmoon';\nnew LuaFactory().createEngine().then((lua) => console.log(lua.doStringSync('return 1 + 1')));\n",
  },
  fengari: {
    pkg: 'fengari', dir: path.join(MODULES, 'fengari'),
    code: "import { lauxlib, lualib, to_luastring } from 'fengari';\nconst L = lauxlib.luaL_newstate();\nlualib.luaL_openlibs(L);\nconsole.log(lauxlib.luaL_dostring(L, to_luastring('return 1 + 1')));\n",
  },
});

// Node built-ins the peers reach only on their Node code paths; left as externals so
// they add nothing to the browser bundle (esbuild cannot resolve them for a browser).
const NODE_ONLY = ['fs', 'path', 'url', 'module', 'os', 'crypto', 'child_process', 'readline-sync', 'tmp'];

const measure = (buf) => ({ raw: buf.length, gzip: zlib.gzipSync(buf, { level: 9 }).length });
const fileSize = (file) => measure(fs.readFileSync(file));

async function bundle(name, app, tmp) {
  const esbuild = require('esbuild');
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.symlinkSync(app.dir, path.join(dir, 'node_modules', app.pkg), 'dir');
  fs.writeFileSync(path.join(dir, 'app.js'), app.code);
  const out = await esbuild.build({
    entryPoints: [path.join(dir, 'app.js')], bundle: true, minify: true, format: 'esm',
    platform: 'browser', write: false, logLevel: 'silent', nodePaths: [MODULES], external: NODE_ONLY,
  });
  // A bundle with the wasm inlined (or missing code) would make the sum meaningless.
  if (out.outputFiles.length !== 1) throw new Error(`expected one output file, got ${out.outputFiles.length}`);
  const js = measure(Buffer.from(out.outputFiles[0].contents));
  const wasm = app.wasm ? fileSize(app.wasm) : null;
  return { js, wasm, totalGzip: js.gzip + (wasm ? wasm.gzip : 0) };
}

async function measureSizes(log) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lua-bench-sizes-'));
  const out = { wasm: {}, glue: {}, bundle: {} };
  try {
    for (const [name, app] of Object.entries(apps())) {
      try {
        if (app.wasm) out.wasm[name] = fileSize(app.wasm);
        if (app.glue) out.glue[name] = fileSize(app.glue);
        out.bundle[name] = await bundle(name, app, tmp);
      } catch (e) {
        out.bundle[name] = { error: e.errors && e.errors[0] ? e.errors[0].text : String(e.message || e) };
        log(`  bundle for ${name} failed: ${out.bundle[name].error}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const kb = (b) => `${(b / 1000).toFixed(1)} KB`;
  log(`sizes        gzip     ${Object.entries(out.bundle).map(([k, v]) => `${k} ${v.totalGzip ? kb(v.totalGzip) : '-'}`).join(', ')}`);
  return out;
}

module.exports = { measureSizes, fileSize, apps, bundle };
