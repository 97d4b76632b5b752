/*
** lua-persistent: numbers as text without snprintf on wasm, for `tostring`, `..` and
** `string.format`'s plain "%d" and "%f" forms (patches luap_itoa and luap_ftoa,
** lua-5.4.8/VENDORED.md). wasi-libc's snprintf is musl's vfprintf: it parses the format
** twice, and its float conversion expands the exact decimal value in a big-number
** array, several times the cost of the conversion itself.
**
** Integers are a digit loop. For "%.14g" the fast path covers 1e-4 <= |x| < 1e14,
** where that format writes plain decimals (no exponent): the 14 significant digits are
** round(|x| * 10^j) for the j that puts that integer in [1e13, 1e14). It is computed
** exactly, in integers (x = m * 2^k, so x * 10^j = m * 5^j * 2^(k + j)), and rounded to
** nearest, ties to even, as printf rounds; "%.Pf" is round(|x| * 10^P) the same way.
** Every other value (0, exponents, inf, nan, too many digits) and form goes to
** snprintf. The text is snprintf's byte for byte, with '.' as the decimal point: a
** wasm module has only the C locale. crates/lua-sys/src/lib.rs's tests compare the two
** natively.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"

#define E13 10000000000000ULL
#define E14 100000000000000ULL

/* Exact powers of ten as doubles (10^j is one for every j <= 22), and of five. */
static const double P10[18] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17
};
static const unsigned long long P5[18] = {
  1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL, 390625ULL,
  1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL, 1220703125ULL, 6103515625ULL,
  30517578125ULL, 152587890625ULL, 762939453125ULL
};

/* bit k of the 128-bit number hi:lo, and whether any bit below k is set */
static int bit_at (unsigned long long hi, unsigned long long lo, int k) {
  return (int)((k < 64 ? lo >> k : hi >> (k - 64)) & 1);
}
static int any_below (unsigned long long hi, unsigned long long lo, int k) {
  if (k <= 64) return k > 0 && (lo & (~0ULL >> (64 - k))) != 0;
  return lo != 0 || (hi & (~0ULL >> (128 - k))) != 0;
}

/*
** round(a * 10^j) into *n, ties to even, for a >= 0 and 0 <= j <= 17; 0 (the caller
** falls back to snprintf) if it is not below 2^52. a = m * 2^k with m a 53-bit integer,
** so a * 10^j is (m * 5^j) >> -(k + j), and the bits shifted out decide the rounding.
** The product (below 2^93) is kept in two 64-bit halves: C's 128-bit integers would
** call compiler-rt's shifts, which a plain wasi-libc link does not have.
*/
static int scaled (double a, int j, unsigned long long *n) {
  unsigned long long bits, m, q, p00, p01, p10, mid, lo, hi;
  int shift;
  memcpy(&bits, &a, sizeof bits);
  shift = 1075 - (int)((bits >> 52) & 0x7ff) - j;
  if (shift > 100) {  /* below 2^-7 (zero and subnormals too): rounds to 0 */
    *n = 0;
    return 1;
  }
  if (shift < 2) return 0;
  m = (bits & 0xfffffffffffffULL) | (1ULL << 52);
  q = P5[j];  /* below 2^40 */
  p00 = (m & 0xffffffffULL) * (q & 0xffffffffULL);
  p01 = (m & 0xffffffffULL) * (q >> 32);
  p10 = (m >> 32) * (q & 0xffffffffULL);
  mid = (p00 >> 32) + (p01 & 0xffffffffULL) + (p10 & 0xffffffffULL);
  lo = (mid << 32) | (p00 & 0xffffffffULL);
  hi = (m >> 32) * (q >> 32) + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  if (shift < 64 ? (hi >> shift) != 0 || (lo >> shift | hi << (64 - shift)) >> 52
                 : (hi >> (shift - 64)) >> 52)
    return 0;
  *n = shift < 64 ? lo >> shift | hi << (64 - shift) : hi >> (shift - 64);
  if (bit_at(hi, lo, shift - 1) && (any_below(hi, lo, shift - 1) || (*n & 1)))
    (*n)++;
  return 1;
}

/* The decimal exponent of a (1e-4 <= a < 1e14), maybe one too small or too large. */
static int guess_exponent (double a) {
  int e = 0;
  if (a >= 1) {
    while (e < 13 && a >= P10[e + 1]) e++;
  }
  else {
    while (e > -4 && a * P10[-e] < 1) e--;
  }
  return e;
}

/* Room for any digits below: 20 of a 64-bit integer, 18 of "%.14g"'s 0.000ddd. */
#define DIGITS 24

/* The digits of u, last first, at least `min` of them (zeros in front); how many. */
static int digits (unsigned long long u, char *d, int min) {
  int nd = 0;
  do {
    d[nd++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u != 0 || nd < min);
  return nd;
}

/*
** Writes [spaces]['-'][zeros]digits, padded to `width` with zeros after the sign when
** `zero`, else spaces before it; the digits (last first in d) get a '.' before their
** last `point` (0: none). -1 if the text and its terminator do not fit in sz.
*/
static int emit (char *buff, size_t sz, int width, int zero, int neg,
                 const char *d, int nd, int point) {
  int body = neg + nd + (point > 0), pad = width > body ? width - body : 0, len = 0;
  if ((size_t)(pad + body) >= sz) return -1;
  if (!zero)
    while (len < pad) buff[len++] = ' ';
  if (neg)
    buff[len++] = '-';
  if (zero)
    while (pad-- > 0) buff[len++] = '0';
  while (nd > 0) {
    if (nd == point) buff[len++] = '.';
    buff[len++] = d[--nd];
  }
  buff[len] = '\0';
  return len;
}

/* |n| without overflow at the most negative integer. */
static unsigned long long magnitude (long long n) {
  return n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
}

/* Reads "%[0...][width]" of a form; returns where the rest starts. */
static const char *width_of (const char *form, int *zero, int *width) {
  const char *f = form + 1;  /* past '%' */
  *zero = 0;
  *width = 0;
  while (*f == '0') *zero = 1, f++;
  while (*f >= '0' && *f <= '9') *width = *width * 10 + (*f++ - '0');
  return f;
}

int luap_int2str (char *buff, size_t sz, long long n) {
  char d[DIGITS];
  int len = emit(buff, sz, 0, 0, n < 0, d, digits(magnitude(n), d, 1), 0);
  return len >= 0 ? len : snprintf(buff, sz, "%lld", n);
}

/*
** `string.format`'s "%d"/"%i" with at most the zero flag and a width ("%5d", "%02d"),
** once checkformat accepted the form; -1 for any other form (the caller uses snprintf).
*/
int luap_fmtd (char *buff, size_t sz, const char *form, long long n) {
  char d[DIGITS];
  int zero, width;
  const char *f = width_of(form, &zero, &width);
  if ((f[0] != 'd' && f[0] != 'i') || f[1] != '\0' || width > 99) return -1;
  return emit(buff, sz, width, zero, n < 0, d, digits(magnitude(n), d, 1), 0);
}

int luap_num2str (char *buff, size_t sz, double x) {
  double a = fabs(x);
  char d[DIGITS];
  int e, point, nd, z = 0, len = -1;
  unsigned long long n = 0;
  if (a >= 1e-4 && a < 1e14) {
    e = guess_exponent(a);
    scaled(a, 13 - e, &n);  /* a * 10^(13 - e) < 1e15: in range */
    if (n >= E14) {  /* rounded up to the next power of ten, or e was too small */
      if (++e <= 13) scaled(a, 13 - e, &n);
    }
    else if (n < E13) {  /* e was too large */
      if (--e >= -4) scaled(a, 13 - e, &n);
    }
    if (n >= E13 && n < E14 && e >= -4 && e <= 13) {
      /* n * 10^(e - 13) in plain decimals, without the fraction's trailing zeros */
      point = 13 - e;
      nd = digits(n, d, point + 1);  /* "0.000ddd" below 1 */
      while (z < point && d[z] == '0') z++;
      len = emit(buff, sz, 0, 0, x < 0, d + z, nd - z, point - z);
    }
  }
  return len >= 0 ? len : snprintf(buff, sz, "%.14g", x);
}

/*
** `string.format`'s "%f", "%.Pf" and "%W.Pf" (no flags; P <= 17): the text of
** round(|x| * 10^P) with the point P digits from its end, as snprintf writes it (a
** negative x keeps its sign even when it rounds to zero). -1 for any other form, or
** a value whose digits do not fit (the caller uses snprintf).
*/
int luap_fmtf (char *buff, size_t sz, const char *form, double x) {
  char d[DIGITS];
  int zero, width, prec = 6;
  unsigned long long n;
  const char *f = width_of(form, &zero, &width);
  if (zero) return -1;  /* the zero flag; the other flags are not digits */
  if (*f == '.') {
    prec = 0;
    for (f++; *f >= '0' && *f <= '9'; f++) prec = prec * 10 + (*f - '0');
  }
  if (f[0] != 'f' || f[1] != '\0' || prec > 17 || !isfinite(x)) return -1;
  if (!scaled(fabs(x), prec, &n)) return -1;
  return emit(buff, sz, width, 0, signbit(x) != 0, d, digits(n, d, prec + 1), prec);
}
