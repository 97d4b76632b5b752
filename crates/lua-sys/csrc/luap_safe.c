/*
** lua-persistent: the safe stdlib's setmetatable, in C so that object-heavy code pays
** nothing for the check (a Lua wrapper with pcall made metatable-heavy code ~3x slower).
**
** Same behaviour as lbaselib.c's luaB_setmetatable, plus: a metatable with a __gc field
** (even false, which would let a function be put there later) is refused. Finalizers
** run whenever the collector decides, also inside host calls that arm no timeout, so a
** looping __gc could hang the host.
*/
#include "lua.h"
#include "lauxlib.h"

int luap_safe_setmetatable (lua_State *L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "__gc metamethods are not available in the safe stdlib");
    lua_pop(L, 1);
  }
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}
