/*
** lua-persistent (luap_itoa, wasm): integers as decimal text without snprintf, for
** `tostring`, `..` and `string.format`'s "%d" forms (lua-5.4.8/VENDORED.md).
** wasi-libc's snprintf is musl's vfprintf, which parses the format twice and runs its
** whole conversion machinery for each integer. The text is snprintf's, byte for byte.
*/
#include <stdio.h>

#include "lua.h"

/* Digits of the widest integer (-9223372036854775808) and its terminator. */
#define INT_TEXT 21

/* The decimal digits of |n|, last digit first; returns how many. */
static int digits_of (long long n, char *digits) {
  unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
  int nd = 0;
  do {
    digits[nd++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u != 0);
  return nd;
}

int luap_int2str (char *buff, size_t sz, long long n) {
  char digits[INT_TEXT];
  int nd, len = 0;
  if (sz < INT_TEXT)  /* no caller asks for less; stay correct if one does */
    return snprintf(buff, sz, "%lld", n);
  nd = digits_of(n, digits);
  if (n < 0)
    buff[len++] = '-';
  while (nd > 0)
    buff[len++] = digits[--nd];
  buff[len] = '\0';
  return len;
}

/*
** `string.format`'s "%d"/"%i" with at most the zero flag and a width ("%5d", "%02d"),
** once checkformat accepted the form; -1 for any other form (the caller uses snprintf).
*/
int luap_fmtd (char *buff, size_t sz, const char *form, long long n) {
  const char *f = form + 1;  /* past '%' */
  char digits[INT_TEXT];
  int zero = 0, width = 0, nd, body, pad, len = 0;
  while (*f == '0') zero = 1, f++;
  while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
  if ((f[0] != 'd' && f[0] != 'i') || f[1] != '\0' || width > 99) return -1;
  nd = digits_of(n, digits);
  body = (n < 0) + nd;
  pad = width > body ? width - body : 0;
  if ((size_t)(pad + body) >= sz) return -1;
  if (!zero)
    while (len < pad) buff[len++] = ' ';
  if (n < 0)
    buff[len++] = '-';
  if (zero)
    while (pad-- > 0) buff[len++] = '0';
  while (nd > 0)
    buff[len++] = digits[--nd];
  buff[len] = '\0';
  return len;
}
