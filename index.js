'use strict';
// Node entry: the native addon by default, the wasm module when asked or when the
// addon cannot load.
const { Lua, LuaError, makeCreateLua } = require('./lib/api');

const loaders = {
  native: () => require('./lib/native').load(),
  wasm: () => {
    throw new Error('the wasm backend is not built yet (see issue: wasm32 backend)');
  },
};

const createLua = makeCreateLua(loaders, ['native', 'wasm'], (dir) => require('./lib/file-storage').fileStorage(dir));

module.exports = { createLua, Lua, LuaError };
