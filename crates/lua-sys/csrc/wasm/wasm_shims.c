/*
** C library functions Lua 5.4 references that Debian's wasi-libc does not define
** (lua-wasm-sys). Without these the linker would turn them into `env.*` imports.
** There is no shell and no temporary directory in a browser or a Node wasm module,
** so each fails the way the C standard allows; Lua reports the failure normally:
**   os.execute()      -> false   (system(NULL) == 0: no command processor)
**   os.execute(cmd)   -> nil, "Function not implemented", 52
**   os.tmpname()      -> error "unable to generate a unique filename"
**   io.tmpfile()      -> nil, "Function not implemented", 52
*/
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

int system(const char *command) {
  if (command == NULL)
    return 0;
  errno = ENOSYS;
  return -1;
}

char *tmpnam(char *s) {
  (void)s;
  errno = ENOSYS;
  return NULL;
}

FILE *tmpfile(void) {
  errno = ENOSYS;
  return NULL;
}

/*
** Lua's os.exit calls exit(); the build compiles Lua with -Dexit=lua_wasm_sys_exit so
** that wasi-libc's exit.o is not linked: it defines __wasm_call_dtors, and with that
** symbol present wasm-ld wraps *every* export of the module in a "command export"
** wrapper that runs the C constructors before and the destructors after each call.
** Flush stdio (os.exit's documented effect on open streams), then _Exit, which ends in
** proc_exit: a trap (see csrc/wasm/wasi_stubs.c).
*/
_Noreturn void _Exit(int);

_Noreturn void lua_wasm_sys_exit(int status) {
  fflush(NULL);
  _Exit(status);
}
