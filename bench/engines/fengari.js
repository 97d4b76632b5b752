'use strict';
// fengari (Lua 5.3 reimplemented in JS) through its raw C-like API; fengari-interop is
// not used. Values cross with the plain API: lua_tonumber/lua_tojsstring out,
// lua_pushnumber/lua_pushstring in (as fengari-interop does; fengari's integers are
// 32-bit, so JS numbers go in as floats). ext: two JS functions pushed with
// lua_pushjsfunction read and write a JS Map; `ext.table` is the same Lua shim as for
// wasmoon. fengari has no collectgarbage, so gc is a no-op and memory is not reported.
const { EXT_SHIM } = require('./wasmoon');

module.exports = {
  async open() {
    const { lua, lauxlib, lualib, to_luastring } = require('fengari');
    const L = lauxlib.luaL_newstate();
    lualib.luaL_openlibs(L);

    function toJS(S, i) {
      switch (lua.lua_type(S, i)) {
        case lua.LUA_TNUMBER: return lua.lua_tonumber(S, i);
        case lua.LUA_TSTRING: return lua.lua_tojsstring(S, i);
        case lua.LUA_TBOOLEAN: return lua.lua_toboolean(S, i);
        case lua.LUA_TNIL: case lua.LUA_TNONE: return undefined;
        default: throw new Error(`fengari adapter: cannot convert a ${lua.lua_typename(S, lua.lua_type(S, i))}`);
      }
    }
    function push(S, v) {
      if (typeof v === 'number') lua.lua_pushnumber(S, v);
      else if (typeof v === 'string') lua.lua_pushstring(S, to_luastring(v));
      else if (typeof v === 'boolean') lua.lua_pushboolean(S, v);
      else lua.lua_pushnil(S);
    }
    function check(status) {
      if (status !== lua.LUA_OK) {
        const msg = lua.lua_tojsstring(L, -1);
        lua.lua_settop(L, 0);
        throw new Error(`fengari: ${msg}`);
      }
    }
    function firstResult() {
      const v = lua.lua_gettop(L) > 0 ? toJS(L, 1) : undefined;
      lua.lua_settop(L, 0);
      return v;
    }
    const maps = new Map();
    const mapFor = (name) => maps.get(name) || maps.set(name, new Map()).get(name);

    return {
      run(code) {
        check(lauxlib.luaL_dostring(L, to_luastring(code)));
        return firstResult();
      },
      setGlobal(name, v) {
        push(L, v);
        lua.lua_setglobal(L, to_luastring(name));
      },
      installExt() {
        lua.lua_pushjsfunction(L, (S) => {
          push(S, mapFor(lua.lua_tojsstring(S, 1)).get(toKey(S, 2)));
          return 1;
        });
        lua.lua_setglobal(L, to_luastring('__ext_get'));
        lua.lua_pushjsfunction(L, (S) => {
          mapFor(lua.lua_tojsstring(S, 1)).set(toKey(S, 2), toJS(S, 3));
          return 0;
        });
        lua.lua_setglobal(L, to_luastring('__ext_set'));
        check(lauxlib.luaL_dostring(L, to_luastring(EXT_SHIM)));
      },
      getArray(name) {
        lua.lua_getglobal(L, to_luastring(name));
        const n = lua.lua_rawlen(L, -1);
        const out = new Array(n);
        for (let i = 1; i <= n; i++) {
          lua.lua_rawgeti(L, -1, i);
          out[i - 1] = toJS(L, -1);
          lua.lua_pop(L, 1);
        }
        lua.lua_settop(L, 0);
        return out;
      },
      callWithArray(fname, arr) {
        lua.lua_getglobal(L, to_luastring(fname));
        lua.lua_createtable(L, arr.length, 0);
        for (let i = 0; i < arr.length; i++) {
          push(L, arr[i]);
          lua.lua_rawseti(L, -2, i + 1);
        }
        check(lua.lua_pcall(L, 1, 1, 0));
        return firstResult();
      },
      gc() {},
      memory: () => ({}),
      close() {},
    };

    // Keys stay numbers or strings so the Map sees the same keys as on the other engines.
    function toKey(S, i) {
      return lua.lua_type(S, i) === lua.LUA_TNUMBER ? lua.lua_tonumber(S, i) : lua.lua_tojsstring(S, i);
    }
  },
};
