/*
** lua-persistent: the host's tick handler as a Lua function. `luap_settick` (ldo.c,
** tag luap_tick) runs a C hook every `period` ticks — loop iterations, function
** entries and charged C library work — without the per-instruction trap of a count
** hook; this file makes that hook call a Lua function kept in the registry (under the
** address of `tick_key`, so a check costs no string lookup), which the host can write
** in any language that can make a Lua function. The function may raise an error,
** which unwinds the running code like an error raised by a count hook.
*/
#include "lua.h"

static const char tick_key = 0;

static void call_tick (lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &tick_key);
  lua_call(L, 0, 0);
}

/*
** A lua_CFunction taking the function the handler is to call: stores it and returns the
** state's main thread as a light userdata, the pointer to arm the handler through (the
** main thread lives as long as the state).
*/
LUA_API int luap_installtick (lua_State *L) {
  lua_settop(L, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &tick_key);
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  lua_pushlightuserdata(L, lua_tothread(L, -1));
  return 1;
}

/* Calls the function luap_installtick stored every `period` ticks; 0 stops it. */
LUA_API void luap_armtick (lua_State *L, int period) {
  luap_settick(L, call_tick, period);
}
