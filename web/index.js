// Browser / bundler entry (package.json "browser" condition): the same API as Node's
// index.js, on the wasm backend only. The wasm file is found next to the wasm-bindgen
// glue through `new URL('lua_persistent_bg.wasm', import.meta.url)` — no CDN, works
// offline; bundlers must ship that file next to the bundle (see scripts/build-web.js).
// Storage: 'memory', an adapter object { load(), save(bytes) }, or one of the strings
// 'indexeddb', 'indexeddb:<dbName>', 'localstorage', 'localstorage:<key>' (web/storage.js).
// Directory paths are Node-only.
import init, { Vm, __wbg_reset_state } from '../dist/wasm-web/lua_persistent.js';
import { makeCreateLua, Lua, LuaError, wasmInstance } from '../lib/api.js';
import { indexedDBStorage, localStorageStorage } from './storage.js';

let first = null; // the first instantiation (fetch + compile), shared by concurrent calls
let current = null; // the live instance; after a trap its `alive` is false

/** Loads the wasm module once; after a trap, instantiates it afresh (like lib/wasm-node.js). */
async function loadWasm() {
  if (!first) first = init();
  try {
    await first;
  } catch (e) {
    first = null; // a failed fetch can be retried by the next createLua
    throw e;
  }
  if (current && current.alive) return current;
  if (current) __wbg_reset_state();
  current = wasmInstance(Vm, () => {});
  return current;
}

const STORAGE_FORMS = "'memory', 'indexeddb', 'indexeddb:<dbName>', 'localstorage', 'localstorage:<key>' or an adapter object { load(), save(bytes) }";

/** A storage string (other than 'memory') -> a browser adapter. */
function browserStorage(s) {
  const m = /^(indexeddb|localstorage)(?::([\s\S]*))?$/.exec(s);
  if (m && m[2] !== '') {
    if (m[1] === 'indexeddb') return m[2] === undefined ? indexedDBStorage() : indexedDBStorage(m[2]);
    return m[2] === undefined ? localStorageStorage() : localStorageStorage(m[2]);
  }
  throw new TypeError(`createLua: unknown storage ${JSON.stringify(s)}: in browsers use ${STORAGE_FORMS} (a storage path needs Node)`);
}

const createLua = makeCreateLua({ wasm: loadWasm }, ['wasm'], browserStorage);

export { createLua, Lua, LuaError, indexedDBStorage, localStorageStorage };
