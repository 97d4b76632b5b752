'use strict';
// Node entry: the native addon by default, the wasm module when asked or when the
// addon cannot load. Browsers and bundlers get web/index.js through package.json's
// "browser" condition.
const { Lua, LuaError, makeCreateLua } = require('./lib/api');

const loaders = {
  native: () => require('./lib/native').load(),
  wasm: () => require('./lib/wasm-node').load(),
};

const createLua = makeCreateLua(loaders, ['native', 'wasm'], (dir) => require('./lib/file-storage').fileStorage(dir));

module.exports = { createLua, Lua, LuaError };
