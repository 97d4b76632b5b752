// Browser / bundler entry (package.json "browser" condition): the same API as Node's
// index.js, on the wasm backend only. The wasm file is found next to the wasm-bindgen
// glue through `new URL('lua_persistent_bg.wasm', import.meta.url)` — no CDN, works
// offline; bundlers must ship that file next to the bundle (see scripts/build-web.js).
// Storage: 'memory', an adapter object { load(), save(bytes) }, or one of the strings
// 'indexeddb', 'indexeddb:<dbName>', 'localstorage', 'localstorage:<key>' (web/storage.js).
// Directory paths are Node-only.
import compile, { instantiate } from '../dist/wasm-web/lua_persistent.js';
import { makeCreateLua, Lua, LuaError, wasmBackend } from '../lib/api.js';
import { indexedDBStorage, localStorageStorage } from './storage.js';
import { multi } from '../lib/multi.js';
import { ref } from '../lib/ref.js';
import { moduleLocatable } from './wasm-location.js';

let compiling = null; // fetch + compile, once, shared by concurrent calls
let backend = null;

/** The error for a bundle whose format leaves the glue no way to find its module. */
function unlocatable(cause) {
  return new Error('lua-persistent: cannot locate the wasm module: this bundle is not an ES module, so import.meta.url is empty '
    + "(esbuild's default format 'iife', or 'cjs'). Build with format 'esm' and load it with <script type=\"module\">, "
    + "or add the plugin from 'lua-persistent/esbuild', which works in every format (docs/bundling.md)", { cause });
}

/** Compiles the wasm module once; every VM then gets an instance of its own (like
 * lib/wasm-node.js). */
async function loadWasm() {
  if (backend) return backend;
  if (!compiling) compiling = compile();
  let module;
  try {
    module = await compiling;
  } catch (e) {
    compiling = null; // a failed fetch can be retried by the next createLua
    throw moduleLocatable() ? e : unlocatable(e);
  }
  backend = backend || wasmBackend(() => instantiate(module));
  return backend;
}

const STORAGE_FORMS = "'memory', 'indexeddb', 'indexeddb:<dbName>', 'localstorage', 'localstorage:<key>' or an adapter object { load(), save(bytes) }";

/** A storage string (other than 'memory') -> a browser adapter. `options` are
 * createLua's: IndexedDB takes its `durability` ('os' or 'fsync'). */
function browserStorage(s, options = {}) {
  const m = /^(indexeddb|localstorage)(?::([\s\S]*))?$/.exec(s);
  if (m && m[2] !== '') {
    if (m[1] === 'indexeddb') return indexedDBStorage(m[2], undefined, { durability: options.durability });
    return m[2] === undefined ? localStorageStorage() : localStorageStorage(m[2]);
  }
  throw new TypeError(`createLua: unknown storage ${JSON.stringify(s)}: in browsers use ${STORAGE_FORMS} (a storage path needs Node)`);
}

const createLua = makeCreateLua({ wasm: loadWasm }, ['wasm'], browserStorage);

export { createLua, Lua, LuaError, multi, ref, indexedDBStorage, localStorageStorage };
