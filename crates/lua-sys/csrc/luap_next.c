/*
** lua-persistent: `next` that also walks userdata with a `__next` metafield (ext table
** proxies, whose entries live in a JS Map rather than in a Lua table).
**
** `next` is raw in stock Lua: it reads the table's own slots, so `next(proxy) == nil`,
** the usual emptiness test, could only fail on a proxy. This `next` replaces the global
** one; on a table it is luaB_next (the same checks and messages), on a userdata it asks
** the metafield, which answers `true, key, value`, `true, nil` at the end, or `false`
** when the key given is not in the Map, raised here as Lua's own "invalid key to
** 'next'". `pairs` on a table still returns Lua's own `next` (lbaselib.c pushes it
** directly), so table loops do not pass through here.
*/
#include "lua.h"
#include "lauxlib.h"

int luap_next (lua_State *L) {
  if (lua_type(L, 1) == LUA_TUSERDATA &&
      luaL_getmetafield(L, 1, "__next") == LUA_TFUNCTION) {
    lua_insert(L, 1);  /* __next, t, k */
    lua_settop(L, 3);
    lua_call(L, 2, 3);
    if (!lua_toboolean(L, -3)) {  /* as luaH_next raises it: no position */
      lua_pushliteral(L, "invalid key to 'next'");
      return lua_error(L);
    }
    return lua_isnil(L, -2) ? 1 : 2;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1))
    return 2;
  lua_pushnil(L);
  return 1;
}
