/*
** setjmp.h for Lua on wasm32 (lua-wasm-sys).
**
** Debian's wasi-libc (2022) ships a setjmp.h that cannot be used (it includes a
** missing bits/setjmp.h), so this header is put ahead of it on the include path.
**
** setjmp/longjmp are not real functions here: clang-19, given
**   -mllvm -wasm-enable-sjlj -mllvm -wasm-enable-eh -mexception-handling
** rewrites every call to `setjmp` into calls to the runtime functions in
** csrc/wasm/wasm_sjlj.c plus WebAssembly exception-handling instructions (legacy
** try/catch encoding, which Node 20 and current browsers run); `longjmp` is the throw
** itself, inlined (below). The jmp_buf only has
** to hold what that runtime stores: the invocation id and label recorded by setjmp,
** and the {env, val} pair that longjmp throws.
*/
#ifndef LUA_WASM_SYS_SETJMP_H
#define LUA_WASM_SYS_SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

struct __lua_wasm_jmp_buf {
  void *func_invocation_id;   /* written by __wasm_setjmp */
  unsigned int label;         /* written by __wasm_setjmp */
  struct {
    void *env;                /* written by __wasm_longjmp, read by the catch */
    int val;
  } arg;
};

typedef struct __lua_wasm_jmp_buf jmp_buf[1];

int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);

/*
** longjmp as the throw itself, with what __wasm_longjmp (csrc/wasm/wasm_sjlj.c) does
** inlined into the caller: V8's unwinder pays per wasm frame between the throw and
** the catch (a code lookup under a lock), so one frame less makes every Lua error
** cheaper. The catch side is unchanged: it reads arg.env and arg.val as before.
*/
static inline __attribute__((always_inline, noreturn))
void __lua_wasm_longjmp(jmp_buf env, int val) {
  env->arg.env = env;
  env->arg.val = (val == 0) ? 1 : val;
  __builtin_wasm_throw(1, &env->arg);  /* 1: the __c_longjmp tag */
}
#define longjmp(env,val)  __lua_wasm_longjmp(env, val)

#ifdef __cplusplus
}
#endif

#endif
