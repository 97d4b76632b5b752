/* A model of Lua 5.4's interpreter loop in two shapes, for docs/benchmarks.md ("Why the
 * misses", tight loops): the same instruction handlers either behind a jump table in one
 * function (as lvm.c on wasm) or one function each, chained by tail calls (-DTAIL,
 * clang's musttail with -mtail-call: return_call_indirect in wasm). Lua's instruction
 * encoding, a 16-byte tagged value, the fast paths' type tests and a tick on back-edges;
 * just the handful of instructions two of bench/workloads/loops.lua's loops compile to.
 * Built and run by dispatch.js. */
#include <stdint.h>
typedef uint32_t Instruction;
typedef struct { union { int64_t i; double n; } v; uint8_t tt; } TValue;
enum { T_INT = 3, T_FLT = 19 };
typedef struct State { int ticks; int slow; TValue *ret; } State;

#define OPS(X) X(FORLOOP) X(MODK) X(EQI) X(JMP) X(ADDI) X(MMBIN) X(LT) X(ADD) X(MULK) X(RETURN1) X(BXOR) X(LOADK)
#define ENUM(n) OP_##n,
enum { OPS(ENUM) NUM_OPS };
#define GET_OP(i) ((i) & 0x7f)
#define GA(i) (((i) >> 7) & 0xff)
#define GK(i) (((i) >> 15) & 1)
#define GB(i) (((i) >> 16) & 0xff)
#define GC(i) (((i) >> 24) & 0xff)
#define GsC(i) ((int)GC(i) - 127)
#define GsB(i) ((int)GB(i) - 127)
#define GBx(i) ((i) >> 15)
#define GsJ(i) ((int)((i) >> 7) - (1 << 24))
#define RA (base + GA(i))
#define RB (base + GB(i))
#define RC (base + GC(i))
#define KC (k + GC(i))
#define setint(o, x) ((o)->v.i = (x), (o)->tt = T_INT)
#define setflt(o, x) ((o)->v.n = (x), (o)->tt = T_FLT)
#define tonum(o) ((o)->tt == T_INT ? (double)(o)->v.i : (o)->v.n)

__attribute__((noinline)) void slowtick(State *L) { L->ticks = 5000; L->slow++; }
#define TICK if (__builtin_expect(--L->ticks == 0, 0)) slowtick(L)

static inline int64_t imod(int64_t m, int64_t n) {
  if ((uint64_t)n + 1u <= 1u) return 0;
  int64_t r = m % n; if (r != 0 && (r ^ n) < 0) r += n; return r;
}

#define BODY_FORLOOP { TValue *ra = RA; uint64_t count = (uint64_t)ra[1].v.i; \
  if (count > 0) { int64_t step = ra[2].v.i; int64_t idx = ra->v.i; ra[1].v.i = count - 1; \
    idx += step; ra->v.i = idx; setint(ra + 3, idx); pc -= GBx(i); TICK; } }
#define BODY_MODK { TValue *ra = RA; TValue *rb = RB; const TValue *kc = KC; \
  if (rb->tt == T_INT) { setint(ra, imod(rb->v.i, kc->v.i)); pc++; } \
  else if (rb->tt == T_FLT) { setflt(ra, rb->v.n - tonum(kc)); pc++; } /* not Lua's fmod: never run here */ }
#define BODY_EQI { TValue *ra = RA; int cond; int im = GsB(i); \
  if (ra->tt == T_INT) cond = (ra->v.i == im); else if (ra->tt == T_FLT) cond = (ra->v.n == im); else cond = 0; \
  if (cond != GK(i)) pc++; else { Instruction ni = *pc; pc += GsJ(ni) + 1; } }
#define BODY_JMP { int off = GsJ(i); pc += off; if (off < 0) TICK; }
#define BODY_ADDI { TValue *ra = RA; TValue *rb = RB; int ic = GsC(i); \
  if (rb->tt == T_INT) { setint(ra, (int64_t)((uint64_t)rb->v.i + ic)); pc++; } \
  else if (rb->tt == T_FLT) { setflt(ra, rb->v.n + ic); pc++; } }
#define BODY_MMBIN { L->slow += 1000; }
#define BODY_LT { TValue *ra = RA; TValue *rb = RB; int cond; \
  if (ra->tt == T_INT && rb->tt == T_INT) cond = ra->v.i < rb->v.i; else cond = tonum(ra) < tonum(rb); \
  if (cond != GK(i)) pc++; else { Instruction ni = *pc; pc += GsJ(ni) + 1; } }
#define BODY_ADD { TValue *ra = RA; TValue *rb = RB; TValue *rc = RC; \
  if (rb->tt == T_INT && rc->tt == T_INT) { setint(ra, (int64_t)((uint64_t)rb->v.i + (uint64_t)rc->v.i)); pc++; } \
  else if ((rb->tt|16) == T_FLT && (rc->tt|16) == T_FLT) { setflt(ra, tonum(rb) + tonum(rc)); pc++; } }
#define BODY_MULK { TValue *ra = RA; TValue *rb = RB; const TValue *kc = KC; \
  if (rb->tt == T_INT && kc->tt == T_INT) { setint(ra, (int64_t)((uint64_t)rb->v.i * (uint64_t)kc->v.i)); pc++; } \
  else { setflt(ra, tonum(rb) * tonum(kc)); pc++; } }
#define BODY_BXOR { TValue *ra = RA; TValue *rb = RB; TValue *rc = RC; \
  if (rb->tt == T_INT && rc->tt == T_INT) { setint(ra, rb->v.i ^ rc->v.i); pc++; } }
#define BODY_LOADK { TValue *ra = RA; *ra = k[GBx(i)]; }

#ifdef TAIL
typedef void (*Handler)(State *L, const Instruction *pc, TValue *base, const TValue *k, Instruction i);
static const Handler disp[NUM_OPS];
#define NEXT { Instruction ni = *pc++; __attribute__((musttail)) return disp[GET_OP(ni)](L, pc, base, k, ni); }
#define DEFH(n) static void h_##n(State *L, const Instruction *pc, TValue *base, const TValue *k, Instruction i) { BODY_##n; NEXT }
#define BODY_RETURN1 { L->ret = RA; return; }
OPS(DEFH)
#define HREF(n) h_##n,
static const Handler disp[NUM_OPS] = { OPS(HREF) };
void run(State *L, const Instruction *pc, TValue *base, const TValue *k) {
  Instruction i = *pc++; disp[GET_OP(i)](L, pc, base, k, i);
}
#else
void run(State *L, const Instruction *pc, TValue *base, const TValue *k) {
#define LREF(n) &&L_##n,
  static const void *const disp[NUM_OPS] = { OPS(LREF) };
  Instruction i;
#define NEXT { i = *pc++; goto *disp[GET_OP(i)]; }
  NEXT
#define BODY_RETURN1 { L->ret = RA; return; }
#define CASE(n) L_##n: BODY_##n; NEXT
  OPS(CASE)
}
#endif

/* encoders */
static Instruction iABC(int op, int a, int k, int b, int c) { return op | a << 7 | k << 15 | b << 16 | (uint32_t)c << 24; }
static Instruction iABx(int op, int a, int bx) { return op | a << 7 | (uint32_t)bx << 15; }
static Instruction isJ(int op, int j) { return op | (uint32_t)(j + (1 << 24)) << 7; }

static Instruction code[64];
static TValue stack[32];
static TValue K[8];
State st;

/* program 1: s=0; for i=1,n do if i%3==0 then s=s+1 else s=s+2 end end
   regs: 0=s 1..4 = for state, 5 = tmp */
int64_t prog1(int64_t n) {
  int p = 0;
  /* 0 */ code[p++] = iABC(OP_MODK, 5, 0, 4, 0);   /* tmp = i % K0 */
  /* 1 */ code[p++] = iABC(OP_MMBIN, 0, 0, 0, 0);
  /* 2 */ code[p++] = iABC(OP_EQI, 5, 0, 127 + 0, 0); /* if tmp ~= 0 -> skip jmp (k=0) */
  /* 3 */ code[p++] = isJ(OP_JMP, 3);              /* to else */
  /* 4 */ code[p++] = iABC(OP_ADDI, 0, 0, 0, 127 + 1);
  /* 5 */ code[p++] = iABC(OP_MMBIN, 0, 0, 0, 0);
  /* 6 */ code[p++] = isJ(OP_JMP, 2);
  /* 7 */ code[p++] = iABC(OP_ADDI, 0, 0, 0, 127 + 2);
  /* 8 */ code[p++] = iABC(OP_MMBIN, 0, 0, 0, 0);
  /* 9 */ code[p++] = iABx(OP_FORLOOP, 1, 10);
  /* 10 */ code[p++] = iABC(OP_RETURN1, 0, 0, 0, 0);
  setint(&K[0], 3);
  setint(&stack[0], 0); setint(&stack[1], 1); setint(&stack[2], n - 1); setint(&stack[3], 1); setint(&stack[4], 1);
  st.ticks = 5000; st.slow = 0;
  run(&st, code, stack, K);
  return st.ret->v.i + st.slow;
}
/* program 2: i,w=0,0; while i < n*K do i=i+1; w=(w+i)%1000003 end
   regs 0=i 1=w 2=n 3=tmp 4=tmp2 */
int64_t prog2(int64_t n) {
  int p = 0;
  /* 0 */ code[p++] = iABC(OP_MULK, 3, 0, 2, 1);
  /* 1 */ code[p++] = iABC(OP_MMBIN, 0, 0, 0, 0);
  /* 2 */ code[p++] = iABC(OP_LT, 0, 0, 3, 0);
  /* 3 */ code[p++] = isJ(OP_JMP, 7);  /* exit to 11 */
  /* 4 */ code[p++] = iABC(OP_ADDI, 0, 0, 0, 127 + 1);
  /* 5 */ code[p++] = iABC(OP_MMBIN, 0, 0, 0, 0);
  /* 6 */ code[p++] = iABC(OP_ADD, 4, 0, 1, 0);
  /* 7 */ code[p++] = iABC(OP_MMBIN, 0, 0, 0, 0);
  /* 8 */ code[p++] = iABC(OP_MODK, 1, 0, 4, 2);
  /* 9 */ code[p++] = iABC(OP_MMBIN, 0, 0, 0, 0);
  /* 10 */ code[p++] = isJ(OP_JMP, -11);
  /* 11 */ code[p++] = iABC(OP_RETURN1, 1, 0, 0, 0);
  setint(&K[1], 20000); setint(&K[2], 1000003);
  setint(&stack[0], 0); setint(&stack[1], 0); setint(&stack[2], n);
  st.ticks = 5000; st.slow = 0;
  run(&st, code, stack, K);
  return st.ret->v.i + st.slow;
}
