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

/*
** os.setlocale: the module has the "C" locale only (wasi-libc's setlocale would accept
** any name, e.g. "pt_BR", and claim success, while number formatting and tonumber
** keep using "."). Answer as ISO C allows a C library with no other locales to:
** "C", "POSIX" and "" (the native environment, which here is "C") select it and
** return "C"; a query (NULL) returns "C"; any other name fails (NULL, so Lua's
** os.setlocale returns nil). The build compiles Lua with
** -Dsetlocale=lua_wasm_sys_setlocale; only loslib.c calls it.
*/
#include <string.h>

char *lua_wasm_sys_setlocale(int category, const char *locale) {
  static char c_locale[] = "C";
  (void)category;
  if (locale == NULL || locale[0] == '\0' || strcmp(locale, "C") == 0 || strcmp(locale, "POSIX") == 0)
    return c_locale;
  return NULL;
}
