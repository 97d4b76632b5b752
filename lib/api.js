'use strict';
// The one JS API over either backend: `makeCreateLua` (the createLua of lib/index.js and
// web/index.js) and what the entries re-export. The parts live in focused modules:
// lib/errors.js (LuaError), lib/options.js (defaults, option checks), lib/backends.js
// (native/wasm wrappers), lib/lua.js (the Lua class).

const { LuaError, toError } = require('./errors');
const { nativeBackend, wasmBackend } = require('./backends');
const { Lua } = require('./lua');
const { DEFAULTS, durabilityOption } = require('./options');

// Loaded only when an autosave option needs checking (see lib/lua.js `persistence`).
const persist = () => require('./persist');

/** Set once a fallback warning was emitted: one per process is enough to be seen. */
let warned = false;

/**
 * `backend: 'auto'` did not get its first choice (Node: the native addon): the VM says
 * why (`lua.fallbackReason`), and the process is told once, through Node's warnings
 * (`process.on('warning')`, `--disable-warning=LUA_PERSISTENT_FALLBACK`), unless
 * LUA_PERSISTENT_QUIET=1. Asking for `backend: 'wasm'` explicitly warns nothing.
 */
function fellBack(lua, reason) {
  lua._fallbackReason = reason;
  const env = typeof process !== 'undefined' && process.env ? process.env : {};
  if (warned || env.LUA_PERSISTENT_QUIET === '1' || typeof process === 'undefined' || typeof process.emitWarning !== 'function') return;
  warned = true;
  process.emitWarning(`lua-persistent: using the ${lua.backend} backend, the faster native addon did not load (${reason})`, { code: 'LUA_PERSISTENT_FALLBACK' });
}

/**
 * Backend loaders, in the order 'auto' tries them. Each returns the backend's Vm class
 * or throws why it cannot load.
 */
function makeCreateLua(loaders, autoOrder, pathStorage) {
  return async function createLua(options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('createLua: options must be an object');
    const requested = options.backend === undefined ? 'auto' : options.backend;
    if (requested !== 'auto' && !(requested in loaders)) {
      throw new TypeError(`createLua: backend must be 'auto', ${Object.keys(loaders).map((k) => `'${k}'`).join(', ')}`);
    }
    let storage = options.storage === undefined ? 'memory' : options.storage;
    if (typeof storage === 'string' && storage !== 'memory') {
      if (storage === '') throw new TypeError("createLua: storage must be 'memory' or a non-empty directory path");
      if (!pathStorage) throw new TypeError('createLua: a storage path needs Node (use an adapter object in browsers)');
      storage = pathStorage(storage, { durability: durabilityOption(options) });
    }
    const adapter = storage && typeof storage === 'object' && (storage.shared === true || (typeof storage.save === 'function' && typeof storage.load === 'function'));
    if (storage !== 'memory' && !adapter) {
      throw new TypeError("createLua: storage must be 'memory', a directory path (Node), an adapter { load(), save(bytes) } or redisStorage(...)");
    }
    if (options.autosave !== undefined) persist().autosaveMode(options.autosave, storage);
    durabilityOption(options);
    const order = requested === 'auto' ? autoOrder : [requested];
    const failures = [];
    for (const name of order) {
      let impl;
      try {
        const loaded = await loaders[name]();
        impl = typeof loaded === 'function' ? nativeBackend(loaded) : loaded;
      } catch (e) {
        failures.push(`${name}: ${e && e.message}`);
        continue;
      }
      const lua = new Lua(impl, name, { ...options, storage });
      if (requested === 'auto' && failures.length) fellBack(lua, failures.join('; '));
      try {
        await lua._persist.open();
      } catch (e) {
        lua._persist.adapter = null;
        lua.close();
        throw toError(e);
      }
      return lua;
    }
    throw new Error(`lua-persistent: no backend could be loaded (${failures.join('; ')})`);
  };
}

module.exports = { Lua, LuaError, makeCreateLua, wasmBackend, DEFAULTS };
