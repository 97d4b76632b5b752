/*
** lua-persistent: lets C work reach the count hook and the tick handler (luap_tick,
** see ldo.c), so that timeouts, instruction limits and interrupts hold against it.
**
** Lua calls its count hook between VM instructions only, so a single call into C
** (a pathological pattern in string.find, string.format('%q') of a huge string, the
** parser resolving thousands of gotos, `==` on two long strings) could run for
** minutes with no way for the host's timeout, instruction limit or interrupt flag to
** stop it. Every C path whose cost grows with its input (look for "luap_work" and
** "luap_debt") charges its work to the same counters the VM decrements, in
** instruction-sized units (see LUAP_SCAN / LUAP_COPY), in one of two ways:
**
** - luap_work: where raising an error is safe (library functions, the parser under
**   luaD_protectedparser): charges and, when a budget runs out, runs the hook there
**   and then; the hook may raise, which unwinds the C function like any Lua error.
** - luap_debt: where it is not (inside table lookups, lua_rawequal, the string
**   constructor every API call uses, luaL_Buffer copies that error handlers use):
**   only charges, and makes the next safe point run the hook: the count hook at the
**   next VM instruction, the tick handler at the VM's next tick (loop back-edge,
**   function entry) or the next luap_work. Never raises, never allocates.
**
** Work past the count hook's countdown is added to 'luap_workextra' (read and cleared
** by luap_takework), so an instruction limit counts a huge charge in full instead of
** as one hook period.
**
** Costs one predictable branch per counter when no hook is due.
*/
#ifndef luap_work_h
#define luap_work_h

#include <limits.h>
#include <stddef.h>

#include "lstate.h"
#include "ldebug.h"
#include "ldo.h"

/*
** Bytes per unit, as shifts: a unit should cost about what a VM instruction costs
** (a few ns), so that an instruction limit counts C work at roughly its price and the
** tick handler's period (crates/core/src/limits.rs, 5000 ticks) stays in the microseconds.
*/
#define LUAP_SCAN 4  /* byte-at-a-time loops (quoting, case mapping, UTF-8, lexing) */
#define LUAP_COPY 6  /* memcpy, memcmp, strcoll, string hashing */

/* Bytes a chunked byte loop handles between charges (a power of 2). */
#define LUAP_CHUNK 4096

/*
** The most units one charge carries: the counters it is subtracted from (the tick
** budget, the count hook's countdown) are ints of at most INT_MAX.
*/
#define LUAP_MAXUNITS (INT_MAX / 4)

/* Units for `n` bytes at 2^shift bytes a unit, capped at LUAP_MAXUNITS. */
static inline int luap_units (size_t n, int shift) {
  size_t u = n >> shift;
  return (u > (size_t)LUAP_MAXUNITS) ? LUAP_MAXUNITS : (int)u;
}

/* Charges `units` VM instructions' worth of work and runs a hook that falls due now. */
static inline void luap_work (lua_State *L, int units) {
  if (l_unlikely(L->hookmask & LUA_MASKCOUNT) && (L->hookcount -= units) <= 0) {
    G(L)->luap_workextra += (size_t)(-L->hookcount);  /* overshoot (luap_takework) */
    resethookcount(L);
    luaD_hook(L, LUA_HOOKCOUNT, -1, 0, 0);
  }
  /* and to the tick budget (luap_tick in ldo.c), in the same units */
  if (luap_tickn(L, units))
    luap_runtick(L);
}

/*
** Charges `units` like luap_work but never runs a hook here: one that falls due runs
** at the next safe point (see above). For code that must not raise.
*/
static inline void luap_debt (lua_State *L, int units) {
  global_State *g = G(L);
  if (l_unlikely(L->hookmask & LUA_MASKCOUNT) && (L->hookcount -= units) <= 0) {
    g->luap_workextra += (size_t)(1 - L->hookcount);  /* overshoot (luap_takework) */
    L->hookcount = 1;  /* the count hook runs at the next instruction */
  }
  if (luap_tickout(L, units))
    g->luap_ticks = 1;  /* the tick handler runs at the next tick */
}

/*
** In a byte loop at index `i`: charges LUAP_CHUNK bytes each time `i` reaches the end
** of a chunk, so that a loop over a huge string checks its limits as it goes (one AND
** and one well-predicted branch per byte). A last partial chunk goes uncharged: it is
** bounded, and the string the loop makes is charged when it is created (lstring.c).
*/
#define luap_workat(L,i,shift) \
  { if (l_unlikely(((i) & (LUAP_CHUNK - 1)) == LUAP_CHUNK - 1)) \
      luap_work(L, LUAP_CHUNK >> (shift)); }

/*
** Elements a per-element C loop charges at once (luap_workrun): table.insert/remove
** at the front of a table move every element through lua_geti/lua_seti. A luap_work
** per element made a queue (insert and remove at the front) 12% slower on wasm, and
** a check per element for a charge every 64 still 6%. 1024 moves take ~10 us.
*/
#define LUAP_RUN 1024

/*
** For a loop over `left` more elements: charges the next run of them, a unit each,
** and returns how many that is (at most LUAP_RUN). The caller does those in an inner
** loop of its own, so the per-element loop carries no charge at all.
*/
static inline lua_Integer luap_workrun (lua_State *L, lua_Integer left) {
  lua_Integer n = (left < LUAP_RUN) ? left : LUAP_RUN;
  luap_work(L, (int)n);
  return n;
}

/* Pattern-matching steps per instruction unit: a step is a few machine instructions. */
#define LUAP_MATCH_STEPS 8

/*
** Steps counted before they are charged, all at once (64 units, far below the tick
** handler's period of 5000): a charge every 8 steps cost the `patterns` benchmark
** about 4% on wasm, where luap_work is a call.
*/
#define LUAP_MATCH_BATCH 512

#endif
