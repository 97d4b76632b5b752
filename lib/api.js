'use strict';
// The one JS API over either backend: `makeCreateLua` (the createLua of index.js and
// web/index.js) and what the entries re-export. The parts live in focused modules:
// lib/errors.js (LuaError), lib/options.js (defaults, option checks), lib/backends.js
// (native/wasm wrappers), lib/lua.js (the Lua class).

const { LuaError, toError } = require('./errors');
const { nativeBackend, wasmBackend } = require('./backends');
const { Lua } = require('./lua');
const { DEFAULTS, durabilityOption } = require('./options');

// Loaded only when an autosave option needs checking (see lib/lua.js `persistence`).
const persist = () => require('./persist');

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
    if (storage !== 'memory' && !(storage && typeof storage === 'object' && typeof storage.save === 'function' && typeof storage.load === 'function')) {
      throw new TypeError("createLua: storage must be 'memory', a directory path (Node) or an adapter { load(), save(bytes) }");
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
