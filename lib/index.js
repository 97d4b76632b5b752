'use strict';
// Node entry: the native addon by default, the wasm module when asked or when the
// addon cannot load. Shipped bundled, as dist/node.js (scripts/build-js.js). Browsers
// and bundlers get web/index.js through package.json's "browser" condition.
const { Lua, LuaError, makeCreateLua } = require('./api');
const { multi } = require('./multi');
const { ref } = require('./ref');
const { assertInstalled } = require('./installed');

const loaders = {
  native: () => require('./native').load(),
  wasm: () => require('./wasm-node').load(),
};

const create = makeCreateLua(loaders, ['native', 'wasm'], (dir, opts) => require('./file-storage').fileStorage(dir, opts));

/** createLua, first checking that this code was not bundled away from the package's
 * addon and .wasm (lib/installed.js says what to mark external). */
async function createLua(options) {
  assertInstalled();
  return create(options);
}

/**
 * The browser storage adapters live in the browser build (web/storage.js, over
 * IndexedDB and localStorage). index.d.ts declares them for both builds, so in Node
 * they exist and say where they work instead of being undefined.
 */
function browserOnly(name) {
  return function () {
    throw new TypeError(`lua-persistent: ${name}() is for browsers (the package's browser build); in Node, pass a directory path or an adapter as storage`);
  };
}

const indexedDBStorage = browserOnly('indexedDBStorage');
const localStorageStorage = browserOnly('localStorageStorage');

// Shorthand properties only: Node's ESM loader finds named exports of a CommonJS module
// by reading this statement (cjs-module-lexer), so `import { ref } from 'lua-persistent'`
// works for every name.
module.exports = {
  createLua,
  Lua,
  LuaError,
  multi,
  ref,
  indexedDBStorage,
  localStorageStorage,
};
