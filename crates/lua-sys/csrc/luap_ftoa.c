/*
** lua-persistent (luap_ftoa, wasm): floats as text without snprintf, for `tostring` and
** `..` (Lua's "%.14g") and `string.format`'s plain "%f" forms (lua-5.4.8/VENDORED.md).
** wasi-libc's snprintf is musl's vfprintf: it parses the format twice, and its float
** conversion expands the exact decimal value in a big-number array, several times the
** cost of the conversion itself.
**
** For "%.14g" the fast path covers 1e-4 <= |x| < 1e14, where that format writes plain
** decimals (no exponent): the 14 significant digits are round(|x| * 10^j) for the j
** that puts that integer in [1e13, 1e14). It is computed exactly, in integers
** (x = m * 2^k, so x * 10^j = m * 5^j * 2^(k + j)), and rounded to nearest, ties to
** even, as printf rounds; "%.Pf" is round(|x| * 10^P) the same way. Every other value
** (0, exponents, inf, nan, too many digits) goes to snprintf. The text is snprintf's
** byte for byte, with '.' as the decimal point: a wasm module has only the C locale.
** crates/lua-sys/src/lib.rs's tests compare the two natively.
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

/* Writes the 14 digits of n (1e13 <= n < 1e14) with exponent e as %g does. */
static int write_fixed (char *buff, int neg, unsigned long long n, int e) {
  char d[14];
  unsigned long long v = n;
  int i, len = 0, last;
  for (i = 13; i >= 0; i--) {
    d[i] = (char)('0' + (int)(v % 10));
    v /= 10;
  }
  last = 13;  /* %g drops trailing zeros of the fraction */
  while (last > e && last > 0 && d[last] == '0') last--;
  if (neg) buff[len++] = '-';
  if (e < 0) {
    buff[len++] = '0';
    buff[len++] = '.';
    for (i = e + 1; i < 0; i++) buff[len++] = '0';
  }
  for (i = 0; i <= last; i++) {
    if (i == e + 1 && e >= 0) buff[len++] = '.';
    buff[len++] = d[i];
  }
  buff[len] = '\0';
  return len;
}

int luap_num2str (char *buff, size_t sz, double x) {
  double a = fabs(x);
  int e;
  unsigned long long n = 0;
  if (!(a >= 1e-4 && a < 1e14) || sz < 24)
    return snprintf(buff, sz, "%.14g", x);
  e = guess_exponent(a);
  scaled(a, 13 - e, &n);  /* a * 10^(13 - e) < 1e15: in range */
  if (n >= E14) {  /* rounded up to the next power of ten, or e was too small */
    if (++e > 13) return snprintf(buff, sz, "%.14g", x);
    scaled(a, 13 - e, &n);
  }
  else if (n < E13) {  /* e was too large */
    if (--e < -4) return snprintf(buff, sz, "%.14g", x);
    scaled(a, 13 - e, &n);
  }
  if (n < E13 || n >= E14) return snprintf(buff, sz, "%.14g", x);
  return write_fixed(buff, x < 0, n, e);
}

/*
** `string.format`'s "%f", "%.Pf" and "%W.Pf" (no flags; P <= 17): the text of
** round(|x| * 10^P) with the point P digits from its end, as snprintf writes it (a
** negative x keeps its sign even when it rounds to zero). -1 for any other form, or
** a value whose digits do not fit (the caller uses snprintf).
*/
int luap_fmtf (char *buff, size_t sz, const char *form, double x) {
  const char *f = form + 1;  /* past '%' */
  int width = 0, prec = 6, len, nd = 0, neg, body, pad;
  unsigned long long n;
  char digits[24];
  if (*f == '0') return -1;  /* the zero flag; the others are not digits */
  while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
  if (*f == '.') {
    prec = 0;
    for (f++; *f >= '0' && *f <= '9'; f++) prec = prec * 10 + (*f - '0');
  }
  if (f[0] != 'f' || f[1] != '\0' || prec > 17 || !isfinite(x)) return -1;
  if (!scaled(fabs(x), prec, &n)) return -1;
  do {
    digits[nd++] = (char)('0' + (int)(n % 10));
    n /= 10;
  } while (n != 0 || nd <= prec);  /* at least one digit before the point */
  neg = signbit(x) != 0;
  body = neg + nd + (prec > 0);
  pad = width > body ? width - body : 0;
  if ((size_t)(pad + body) >= sz) return -1;
  for (len = 0; len < pad; len++) buff[len] = ' ';
  if (neg) buff[len++] = '-';
  while (nd > 0) {
    if (nd == prec) buff[len++] = '.';
    buff[len++] = digits[--nd];
  }
  buff[len] = '\0';
  return len;
}
