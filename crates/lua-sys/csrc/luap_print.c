/*
** lua-persistent: `print` as a C function, as in the reference interpreter (so
** `string.dump(print)` fails, `debug.getinfo(print).what` is "C", and
** `debug.upvaluejoin` refuses it), with the output going to the host instead of stdout.
**
** The line is formatted exactly as lbaselib.c's luaB_print does (luaL_tolstring of
** each argument, tab-separated), then handed to the closure's upvalue 1, the sink,
** with the position of print's caller ("chunk:LINE: ", as luaL_where(L, 1)) for the
** sink's error messages. The sink returns nothing on success or an error message,
** which is raised here with lua_error: the sink (Rust) never raises itself, so no
** longjmp crosses its frames.
*/
#include "lua.h"
#include "lauxlib.h"

int luap_print (lua_State *L) {
  int n = lua_gettop(L);
  int i;
  luaL_Buffer b;
  lua_pushvalue(L, lua_upvalueindex(1));  /* the sink, below the buffer */
  luaL_buffinit(L, &b);
  for (i = 1; i <= n; i++) {
    if (i > 1)
      luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);  /* sink, line */
  luaL_where(L, 1);  /* sink, line, where */
  lua_call(L, 2, 1);
  if (!lua_isnil(L, -1))
    return lua_error(L);
  return 0;
}
