// Browser / bundler entry (package.json "browser" condition): the same API as Node's
// index.js, on the wasm backend only. The wasm file is found next to the wasm-bindgen
// glue through `new URL('lua_persistent_bg.wasm', import.meta.url)` — no CDN, works
// offline; bundlers must ship that file next to the bundle (see scripts/build-web.js).
// Storage: 'memory' or an adapter object { load(), save(bytes) } (no path storage here).
import init, { Vm, __wbg_reset_state } from '../dist/wasm-web/lua_persistent.js';
import { makeCreateLua, Lua, LuaError, wasmInstance } from '../lib/api.js';

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

const createLua = makeCreateLua({ wasm: loadWasm }, ['wasm'], null);

export { createLua, Lua, LuaError };
