/*
** lua-persistent: the runners every top-level call goes through, in C so that the
** function run is called from C, as the reference interpreter's host calls it: its
** traceback frame is then unnamed ("in main chunk" for a chunk, "in function <...>"
** otherwise), and the runner itself is the "[C]: in ?" frame that ends a traceback of
** lua.c. Called from Lua code, the function would be named after the runner's
** variable ("in local 'f'").
**
** Both take the function and its arguments. luap_runfirst returns its first result;
** luap_runall returns all of them packed in a table with field n (as table.pack), so
** that hundreds of results never need that much stack space on the host side.
*/
#include "lua.h"
#include "lauxlib.h"

int luap_runfirst (lua_State *L) {
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int luap_runall (lua_State *L) {
  int n, i;
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  n = lua_gettop(L);
  luaL_checkstack(L, 2, "too many results");  /* the results may fill the frame */
  lua_createtable(L, n, 1);
  lua_insert(L, 1);
  for (i = n; i >= 1; i--)
    lua_seti(L, 1, i);
  lua_pushinteger(L, n);
  lua_setfield(L, 1, "n");
  return 1;
}
