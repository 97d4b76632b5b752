'use strict';
// wasmoon (Lua 5.4 compiled by emscripten) through its own JS API. enableProxy is off so
// a JS array passed in becomes a Lua table (as on our backends) rather than a userdata
// proxy. ext: JS functions set as globals read and write a JS Map, and `ext.table(name)`
// is a Lua table whose __index/__newindex call them (wasmoon would convert the proxy
// table itself to a JS object if it were passed, so a Lua closure passes only the key).
const EXT_SHIM = `
local get, set = __ext_get, __ext_set
ext = { table = function(name)
  return setmetatable({}, {
    __index = function(_, k) return get(name, k) end,
    __newindex = function(_, k, v) set(name, k, v) end,
  })
end }`;

module.exports = {
  async open() {
    const { LuaFactory } = require('wasmoon');
    const lua = await new LuaFactory().createEngine({ enableProxy: false });
    const maps = new Map();
    const mapFor = (name) => maps.get(name) || maps.set(name, new Map()).get(name);
    return {
      run: (code) => lua.doStringSync(code),
      setGlobal: (name, v) => lua.global.set(name, v),
      installExt() {
        lua.global.set('__ext_get', (name, k) => mapFor(name).get(k));
        lua.global.set('__ext_set', (name, k, v) => { mapFor(name).set(k, v); });
        lua.doStringSync(EXT_SHIM);
      },
      getArray: (name) => lua.global.get(name),
      callWithArray: (fname, arr) => lua.global.get(fname)(arr),
      gc: () => lua.doStringSync("collectgarbage('collect')"),
      memory: () => ({ count: lua.doStringSync("return collectgarbage('count')") * 1024 }),
      close: () => lua.global.close(),
    };
  },
  EXT_SHIM,
};
