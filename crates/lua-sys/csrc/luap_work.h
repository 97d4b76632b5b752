/*
** lua-persistent: lets long-running C library loops reach the count hook and the
** tick handler (luap_tick, see ldo.c).
**
** Lua calls its count hook between VM instructions only, so a single call into C
** (a pathological pattern in string.find, a quadratic plain find, table.move over a
** huge range, sorting millions of numbers) could run for minutes with no way for the
** host's timeout, instruction limit or interrupt flag to stop it. The library loops
** patched to include this header (lstrlib.c, ltablib.c; look for "luap_work") charge
** their work to the same hook counter the VM decrements, in instruction-sized units,
** and fire the count hook when it runs out, exactly as the VM would. The hook may
** raise an error, which unwinds the C function like any other Lua error.
**
** Costs nothing when no count hook is set (one branch on the hook mask).
*/
#ifndef luap_work_h
#define luap_work_h

#include "lstate.h"
#include "ldebug.h"
#include "ldo.h"

/* Charges `units` VM instructions' worth of work to the count hook of `L`. */
static inline void luap_work (lua_State *L, int units) {
  if (l_unlikely(L->hookmask & LUA_MASKCOUNT) && (L->hookcount -= units) <= 0) {
    resethookcount(L);
    luaD_hook(L, LUA_HOOKCOUNT, -1, 0, 0);
  }
  /* and to the tick budget (luap_tick in ldo.c), in the same units */
  if (luap_tickn(L, units))
    luap_runtick(L);
}

/* Pattern-matching steps per instruction unit: a step is a few machine instructions. */
#define LUAP_MATCH_STEPS 8

#endif
