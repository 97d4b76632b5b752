/*
** lua-persistent: the C form of the engine's "plain" error wrapper (see the core's
** plain.rs). The wrapped function, upvalue 1, answers `true, results...` or
** `false, message`; the wrapper returns the results or raises the message as it is (a
** plain string, which scripts can concatenate and compare, where mlua would raise a
** userdata).
**
** Cheaper than the wrapper written in Lua (no vararg Lua frames): used for the ext
** proxies' metamethods (`#t`, `pairs(t)`, ...). Its lua_call spends one level of Lua's
** C-call budget while the wrapped function runs, so functions that may call back into
** Lua (JS functions calling `lua.eval`) keep the Lua wrapper.
*/
#include "lua.h"

int luap_plaincall (lua_State *L) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  if (!lua_toboolean(L, 1)) {
    lua_settop(L, 2);
    return lua_error(L);
  }
  return lua_gettop(L) - 1;  /* the results, above the flag */
}
