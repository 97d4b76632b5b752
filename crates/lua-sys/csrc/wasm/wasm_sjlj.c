/*
** Runtime for LLVM's WebAssembly setjmp/longjmp lowering (lua-wasm-sys).
**
** With `-mllvm -wasm-enable-sjlj` LLVM 19 turns, in every function that calls setjmp,
**   setjmp(env)      into __wasm_setjmp(env, label, func_invocation_id)
**   longjmp(env, v)  into __wasm_longjmp(env, v)
** and wraps the calls made after a setjmp in a try/catch on the `__c_longjmp` tag
** (tag index 1 for __builtin_wasm_throw). In the catch it calls
** __wasm_setjmp_test(env, func_invocation_id): a non-zero label means the longjmp
** targets a setjmp of this very invocation, which then resumes with arg.val; zero
** means rethrow to an outer frame. This is the same protocol as wasi-libc's
** newer libsetjmp (rt.c), which Debian's wasi-libc (2022) lacks.
*/
#include <setjmp.h>
#include <stdint.h>

void __wasm_setjmp(void *env, uint32_t label, void *func_invocation_id);
uint32_t __wasm_setjmp_test(void *env, void *func_invocation_id);
_Noreturn void __wasm_longjmp(void *env, int val);

void __wasm_setjmp(void *env, uint32_t label, void *func_invocation_id) {
  struct __lua_wasm_jmp_buf *jb = env;
  if (label == 0 || func_invocation_id == 0)
    __builtin_trap();
  jb->func_invocation_id = func_invocation_id;
  jb->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *func_invocation_id) {
  struct __lua_wasm_jmp_buf *jb = env;
  if (jb->func_invocation_id == func_invocation_id)
    return jb->label;
  return 0;
}

/* Lua's own longjmps inline this throw (setjmp.h); this is for any other caller. */
_Noreturn void __wasm_longjmp(void *env, int val) {
  __lua_wasm_longjmp(env, val);
}
