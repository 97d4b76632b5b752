/*
** lua-persistent (luap_itoa, wasm): integers as decimal text without snprintf, for
** `tostring`, `..` and `string.format("%d")` (lua-5.4.8/VENDORED.md). wasi-libc's
** snprintf is musl's vfprintf, which parses the format twice and runs its whole
** conversion machinery for each integer. The text is "%lld"'s, byte for byte.
*/
#include <stdio.h>

#include "lua.h"

/* Digits of the widest integer (-9223372036854775808) and its terminator. */
#define INT_TEXT 21

int luap_int2str (char *buff, size_t sz, long long n) {
  char digits[INT_TEXT];
  unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
  int nd = 0, len = 0;
  if (sz < INT_TEXT)  /* no caller asks for less; stay correct if one does */
    return snprintf(buff, sz, "%lld", n);
  do {
    digits[nd++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u != 0);
  if (n < 0)
    buff[len++] = '-';
  while (nd > 0)
    buff[len++] = digits[--nd];
  buff[len] = '\0';
  return len;
}
