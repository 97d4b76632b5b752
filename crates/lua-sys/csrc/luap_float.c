/*
** lua-persistent: floats as text and back, exactly (the shared store's field names,
** crates/core/src/sharing.rs). In C because the module already carries the C library's
** printf and strtod for Lua's own number formatting, while Rust's float formatting and
** parsing would add their own code and tables (about 20 KB of the wasm module).
**
** The text is the shortest of "%.15g", "%.16g" and "%.17g" that reads back as the same
** double (any double with at most 15 significant digits prints exactly at %.15g), with
** '.' as the decimal point whatever the C locale: "2.5", "0.1", "1e+300", "inf".
*/
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LUAP_FLOAT_TEXT 32

static char locale_point (void) {
  return localeconv()->decimal_point[0];
}

/* Swaps the locale's decimal point and '.' in `buf` (one direction per call). */
static void swap_point (char *buf, char from, char to) {
  char *p = strchr(buf, from);
  if (p) *p = to;
}

/* Writes the text of `x` to `buf` (LUAP_FLOAT_TEXT bytes); returns its length. */
size_t luap_float_text (double x, char *buf) {
  char point = locale_point();
  int prec;
  if (isinf(x)) {  /* spelled out: not every C library's printf writes "inf" */
    strcpy(buf, x > 0 ? "inf" : "-inf");
    return strlen(buf);
  }
  for (prec = 15; prec < 17; prec++) {
    snprintf(buf, LUAP_FLOAT_TEXT, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  if (prec == 17) snprintf(buf, LUAP_FLOAT_TEXT, "%.17g", x);
  if (point != '.') swap_point(buf, point, '.');
  return strlen(buf);
}

/* Reads `len` bytes of `text` as a double into `*out`; 1 when it is exactly the text
** luap_float_text writes for that double (so no spaces, hex, "nan" or extra zeros). */
int luap_text_float (const char *text, size_t len, double *out) {
  char buf[LUAP_FLOAT_TEXT], again[LUAP_FLOAT_TEXT];
  char *end;
  double x;
  if (len == 0 || len >= LUAP_FLOAT_TEXT || memchr(text, '\0', len)) return 0;
  memcpy(buf, text, len);
  buf[len] = '\0';
  swap_point(buf, '.', locale_point());
  x = strtod(buf, &end);
  if (end != buf + len || isnan(x)) return 0;
  if (luap_float_text(x, again) != len || memcmp(again, text, len) != 0) return 0;
  *out = x;
  return 1;
}
