/*
 * The C floor of bench/floor.js: Lua 5.4 and wasi-libc alone, no Rust and no JS
 * boundary. Linked from the very objects crates/lua-sys built for our release module, it
 * measures what Lua itself costs in size and cold start with our compiler flags.
 */
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static lua_State *L;
static char buffer[4096];

/* Where the host writes a NUL-terminated chunk before calling floor_eval. */
__attribute__((export_name("floor_buffer"))) char *floor_buffer(void) { return buffer; }

/* A state with the whole standard library (luaL_openlibs), as wasmoon creates one. */
__attribute__((export_name("floor_new"))) int floor_new(void) {
  L = luaL_newstate();
  if (L == NULL) return -1;
  luaL_openlibs(L);
  return 0;
}

/* Runs the chunk in the buffer; returns its first result as an integer (-1 on error). */
__attribute__((export_name("floor_eval"))) long long floor_eval(void) {
  if (luaL_loadstring(L, buffer) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) return -1;
  long long r = lua_tointeger(L, -1);
  lua_settop(L, 0);
  return r;
}

/* 128-bit multiply for wasi-libc's integer scanner: in our module it comes from Rust's
 * compiler_builtins, and Debian ships no compiler-rt for wasm32. */
__int128 __multi3(__int128 a, __int128 b) {
  typedef unsigned long long u64;
  unsigned __int128 ua = a, ub = b;
  u64 al = (u64)ua, ah = (u64)(ua >> 64), bl = (u64)ub, bh = (u64)(ub >> 64);
  u64 a0 = al & 0xffffffffu, a1 = al >> 32, b0 = bl & 0xffffffffu, b1 = bl >> 32;
  u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  u64 mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
  u64 lo = (p00 & 0xffffffffu) | (mid << 32);
  u64 hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32) + al * bh + ah * bl;
  return (__int128)(((unsigned __int128)hi << 64) | lo);
}
