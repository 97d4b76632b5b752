/*
** lua-persistent: new seeds for a state that already holds strings and tables. On wasm
** Lua's own seeds (luai_makeseed, math's randseed: the time in seconds and addresses)
** are the same in every instance, and the prepared VM (docs/design.md) is copied into
** every instance from one memory image with the seeds it was made with.
**
** Short strings keep the hash the string-hash seed gives them and are chained by it in
** the string table; long strings hash on first use, starting from it; tables place
** string keys by those hashes. So the new seed takes: the short strings' hashes
** recomputed and the string table's chains rebuilt, the long strings made to hash
** again on their next use, then the hash part of every table rebuilt (same sizes),
** where the keys land by their new hashes. Then `math.randomseed(s1, s2)`.
**
** Only for a state that runs no code yet: a `next` traversal across the rehash would
** lose its place. Emergency collections are off meanwhile (one would free objects of
** the list being walked). It runs in protected mode, but a table's rehash fails only
** for memory, which leaves the state half rehashed: the caller then drops the state.
*/
#include "lua.h"
#include "lgc.h"
#include "lstate.h"
#include "lstring.h"
#include "ltable.h"

static void rehashstrings (global_State *g) {
  stringtable *tb = &g->strt;
  TString *all = NULL;
  int i;
  for (i = 0; i < tb->size; i++) {  /* unchain every string, with its new hash */
    TString *p = tb->hash[i];
    tb->hash[i] = NULL;
    while (p != NULL) {
      TString *next = p->u.hnext;
      p->hash = luaS_hash(getshrstr(p), p->shrlen, g->seed);
      p->u.hnext = all;
      all = p;
      p = next;
    }
  }
  while (all != NULL) {  /* chain them again by it */
    TString *next = all->u.hnext;
    TString **list = &tb->hash[lmod(all->hash, tb->size)];
    all->u.hnext = *list;
    *list = all;
    all = next;
  }
}

/* Long strings of the list 'o' hash again from the new seed on their next use. */
static void resetlongstrings (global_State *g, GCObject *o) {
  for (; o != NULL; o = o->next) {
    if (o->tt == LUA_VLNGSTR) {
      TString *ts = gco2ts(o);
      ts->extra = 0;  /* no hash yet */
      ts->hash = g->seed;  /* what luaS_hashlongstr starts from */
    }
  }
}

static void rehashtables (lua_State *L, GCObject *o) {
  for (; o != NULL; o = o->next) {
    if (o->tt == LUA_VTABLE) {
      Table *t = gco2t(o);
      if (!isdummy(t))
        luaH_resize(L, t, luaH_realasize(t), sizenode(t));
    }
  }
}

static int reseed (lua_State *L) {
  global_State *g = G(L);
  GCObject *lists[3];  /* every object that can be a long string or a table */
  int i;
  lists[0] = g->allgc; lists[1] = g->finobj; lists[2] = g->tobefnz;
  g->seed = (unsigned int)lua_tointeger(L, 1);
  rehashstrings(g);
  for (i = 0; i < 3; i++)  /* first: a table's rehash hashes its long keys */
    resetlongstrings(g, lists[i]);
  for (i = 0; i < 3; i++)
    rehashtables(L, lists[i]);
  if (lua_getglobal(L, "math") == LUA_TTABLE &&
      lua_getfield(L, -1, "randomseed") == LUA_TFUNCTION) {
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 0);
  }
  return 0;
}

/* Returns LUA_OK, or an error status when the state must be dropped. */
LUA_API int luap_seed (lua_State *L, lua_Integer s1, lua_Integer s2) {
  global_State *g = G(L);
  lu_byte oldstopem = g->gcstopem;
  int top = lua_gettop(L);
  int status;
  if (!lua_checkstack(L, 3))
    return LUA_ERRMEM;
  g->gcstopem = 1;
  lua_pushcfunction(L, reseed);
  lua_pushinteger(L, s1);
  lua_pushinteger(L, s2);
  status = lua_pcall(L, 2, 0, 0);
  g->gcstopem = oldstopem;
  lua_settop(L, top);
  return status;
}
