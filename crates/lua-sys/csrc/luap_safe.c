/*
** lua-persistent: the safe stdlib (docs/design.md "Safety by default"), applied in C to a
** state whose libraries are open: `luap_restrict` at the end of this file.
*/
#include "lua.h"
#include "lauxlib.h"
#include "lstate.h"
#include "ltm.h"

#include <string.h>

/*
** The safe stdlib's setmetatable, in C so that object-heavy code pays nothing for the
** check (a Lua wrapper with pcall made metatable-heavy code ~3x slower).
**
** Same behaviour as lbaselib.c's luaB_setmetatable, plus: a metatable with a __gc field
** (even false, which would let a function be put there later) is refused. Finalizers
** run whenever the collector decides, also inside host calls that arm no timeout, so a
** looping __gc could hang the host.
**
** The __gc check is Lua's own cached metamethod lookup (gfasttm, as lgc.c's
** luaC_checkfinalizer does): a metatable's "no __gc" is a flag bit after the first look,
** where pushing "__gc" and a raw get cost ~3% of a metatable-heavy workload natively.
*/
static int safe_setmetatable (lua_State *L) {
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (t == LUA_TTABLE && gfasttm(G(L), (Table *)lua_topointer(L, 2), TM_GC) != NULL)
    return luaL_error(L, "__gc metamethods are not available in the safe stdlib");
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, "cannot change a protected metatable");
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

/* Calls the wrapped original (upvalue 1) with the current arguments; all its results. */
static int call_original (lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/*
** The safe stdlib's `load`: Lua's own with the mode forced to text ("t"), so binary
** chunks never load. Arguments 1 and 2 are checked here, so that their errors name
** 'load' (the original, called from C, would be '?').
*/
static int safe_load (lua_State *L) {
  int n = lua_gettop(L);
  if (!lua_isstring(L, 1))
    luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_optstring(L, 2, NULL);
  lua_settop(L, n > 3 ? n : 3);
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  return call_original(L);
}

/*
** The safe stdlib's `collectgarbage`: only the options that cannot change how the
** collector runs (stopping it, or changing its mode or pace, would let a script defeat
** the memory limit or slow every later call). The original does the work.
*/
static int safe_collectgarbage (lua_State *L) {
  static const char *const allowed[] = {"collect", "count", "step", "isrunning", NULL};
  int i;
  if (lua_isnoneornil(L, 1)) {
    if (lua_gettop(L) == 0) lua_settop(L, 1);
    lua_pushliteral(L, "collect");
    lua_replace(L, 1);
  }
  for (i = 0; lua_type(L, 1) == LUA_TSTRING && allowed[i] != NULL; i++) {
    if (strcmp(lua_tostring(L, 1), allowed[i]) == 0) {
      if (i == 2) luaL_optinteger(L, 2, 0);  /* "step": its size errors name us */
      return call_original(L);
    }
  }
  return luaL_error(L, "collectgarbage('%s') is not available in the safe stdlib",
                    luaL_tolstring(L, 1, NULL));
}

/* Replaces global `name` by `f` closing over the original. */
static void wrap_global (lua_State *L, const char *name, lua_CFunction f) {
  lua_getglobal(L, name);
  lua_pushcclosure(L, f, 1);
  lua_setglobal(L, name);
}

/* Replaces global table `name` by a new one holding only `keep` of its fields. */
static void keep_fields (lua_State *L, const char *name, const char *const keep[]) {
  int i;
  lua_getglobal(L, name);
  lua_newtable(L);
  for (i = 0; keep[i] != NULL; i++) {
    lua_getfield(L, -2, keep[i]);
    lua_setfield(L, -2, keep[i]);
  }
  lua_setglobal(L, name);
  lua_pop(L, 1);
}

/*
** Trims the opened libraries to the safe stdlib (a lua_CFunction, called once per new
** state): no file or process access, no binary chunks, no debug library beyond
** traceback, collectgarbage limited to harmless options, no __gc finalizers. In C
** rather than as a Lua chunk: a chunk run at every VM creation had V8 compile the
** interpreter loop with its optimising tier during start-up (see sandbox.rs).
*/
int luap_restrict (lua_State *L) {
  static const char *const os_keep[] = {"time", "clock", "date", "difftime", NULL};
  static const char *const debug_keep[] = {"traceback", NULL};
  keep_fields(L, "os", os_keep);
  keep_fields(L, "debug", debug_keep);
  lua_pushnil(L);
  lua_setglobal(L, "dofile");
  lua_pushnil(L);
  lua_setglobal(L, "loadfile");
  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  wrap_global(L, "load", safe_load);
  wrap_global(L, "collectgarbage", safe_collectgarbage);
  lua_pushcfunction(L, safe_setmetatable);
  lua_setglobal(L, "setmetatable");
  return 0;
}
