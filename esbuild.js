'use strict';
// `lua-persistent/esbuild`: the esbuild plugin that ships the wasm module with a bundle,
// in any output format, so nothing is copied by hand (docs/bundling.md).
//
// Why a plugin: the browser glue (dist/wasm-web/lua_persistent.js) finds its module with
// `new URL('lua_persistent_bg.wasm', import.meta.url)`. webpack 5 and Vite rewrite that
// expression and emit the file; esbuild leaves it as it is (and in the 'iife' and 'cjs'
// formats `import.meta` is empty, so it fails at run time). The plugin rewrites the glue
// as it is loaded into one of:
//   wasm: 'file'   (default) the .wasm goes to the output folder as an asset (esbuild's
//                  `file` loader, named by `assetNames`, prefixed by `publicPath`); the
//                  glue fetches it relative to the bundle: `import.meta.url` in 'esm',
//                  the running script's URL (document.currentScript, or the worker's
//                  location) in 'iife' and 'cjs'.
//   wasm: 'inline' the bytes go into the bundle (esbuild's `binary` loader, base64):
//                  one file, no fetch, about a third larger.
// With `platform: 'node'` the plugin marks lua-persistent external instead: its native
// addon and .wasm are loaded from its installed folder at run time, so it cannot live
// inside a bundle.
const { readFile } = require('fs/promises');
const { dirname } = require('path');

const GLUE = /[\\/]dist[\\/]wasm-web[\\/]lua_persistent\.js$/;
const WASM = /[\\/]dist[\\/]wasm-web[\\/]lua_persistent_bg\.wasm$/;
const LOCATION = /[\\/]web[\\/]wasm-location\.js$/;
const WASM_URL = "new URL('lua_persistent_bg.wasm', import.meta.url)";
const PACKAGE = /^lua-persistent(?:\/.*)?$/;

/** The script's own URL, read while the bundle first runs (document.currentScript is
 * null later); in a worker, the worker's script. */
const SCRIPT_URL = `
const __luapScriptUrl = typeof document !== 'undefined' && document.currentScript && document.currentScript.src
    ? document.currentScript.src
    : (typeof self !== 'undefined' && self.location ? self.location.href : undefined);
`;

/** The glue's source with its module location replaced for `mode` and `format`. */
function rewriteGlue(src, file, mode, format) {
  if (!src.includes(WASM_URL)) {
    throw new Error(`lua-persistent/esbuild: ${file} does not load its module with ${WASM_URL} (is the plugin from the same version as the package?)`);
  }
  const head = "import __luapWasm from './lua_persistent_bg.wasm';\n";
  if (mode === 'inline') return head + src.replace(WASM_URL, '__luapWasm');
  if (format === 'esm') return head + src.replace(WASM_URL, 'new URL(__luapWasm, import.meta.url)');
  return head + SCRIPT_URL + src.replace(WASM_URL, 'new URL(__luapWasm, __luapScriptUrl)');
}

/**
 * The plugin. `options.wasm`: 'file' (default) or 'inline', see the top of this file.
 * @param {{ wasm?: 'file' | 'inline' }} [options]
 */
function luaPersistent(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('luaPersistent: options must be an object');
  const mode = options.wasm === undefined ? 'file' : options.wasm;
  if (mode !== 'file' && mode !== 'inline') throw new TypeError(`luaPersistent: wasm must be 'file' or 'inline', not ${JSON.stringify(mode)}`);
  return {
    name: 'lua-persistent',
    setup(build) {
      const { platform = 'browser', format = 'iife', bundle } = build.initialOptions;
      if (platform === 'node') {
        build.onResolve({ filter: PACKAGE }, (args) => ({ path: args.path, external: true }));
        return;
      }
      if (!bundle) return; // nothing is bundled: the package's files stay where they are
      build.onLoad({ filter: GLUE }, async (args) => ({
        contents: rewriteGlue(await readFile(args.path, 'utf8'), args.path, mode, format),
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
      build.onLoad({ filter: WASM }, async (args) => ({
        contents: await readFile(args.path),
        loader: mode === 'inline' ? 'binary' : 'file',
      }));
      // web/index.js asks whether the glue can locate its module; with the plugin it can.
      build.onLoad({ filter: LOCATION }, () => ({ contents: 'export const moduleLocatable = () => true;\n', loader: 'js' }));
    },
  };
}

module.exports = { luaPersistent };
