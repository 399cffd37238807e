/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * jit_test.c - checks of the libgccjit backend (compiler/jit.c; ctest
 * lir.jit).
 *
 * One module, built by hand with the lir.h builders and accepted by
 * lir_check, holds a function per semantic rule of lir.h and engine.h
 * (wrapping arithmetic, shifts by >= 64, x / 0, x % 0, log2(0),
 * short-circuits and ?: with side effects, loops, recursion, records as
 * locals, parameters and pointers, out-parameters, page-table memory in and
 * out of bounds, env operations on a hosted env, bool conversions). It is
 * compiled once, in one context, as vrsc compiles a driver, and run through
 * jit_call and jit_native. Small modules check the error paths, and
 * jit_compile_some and jit_add (only the entries are callable). A module
 * of 100 driver-like functions measures the compile time.
 *
 * Every CHECK is counted; the program prints `N passed, M failed` and exits
 * non-zero if any failed. Without libgccjit it prints `skipped` and exits
 * 77 (ctest's SKIP_RETURN_CODE).
 */
#include "engine.h"
#include "lir.h"
#include "vrs_env.h"
#include "vrs_hosted.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond) check((cond), #cond, __LINE__)
#define CHECK_EQ(got, want) check_eq((got), (want), #got, __LINE__)

static void check(bool ok, const char *what, int line)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "jit_test.c:%d: check failed: %s\n", line, what);
    }
}

static void check_eq(uint64_t got, uint64_t want, const char *what, int line)
{
    if (got == want) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "jit_test.c:%d: %s is %#llx, want %#llx\n", line, what, (unsigned long long)got,
                (unsigned long long)want);
    }
}

#define MAX UINT64_MAX
static const Loc noloc;

/* ---- building ---------------------------------------------------------------------------- */

typedef struct T {
    Arena    a;
    LModule *m;
    LB       b;
} T;

static void t_init(T *t)
{
    arena_init(&t->a);
    t->m = lir_new(&t->a, NULL);
}

static LFn *fn(T *t, const char *name, LType ret)
{
    LFn *f = lir_fn(t->m, name, ret, LINK_EXPORT, noloc);
    lir_place(t->m, f);
    return f;
}

static LExpr *num(T *t, uint64_t v)
{
    return lx_num(t->m, v);
}

static LExpr *slot(T *t, LFn *f, int s)
{
    return lx_slot(t->m, f, s);
}

static LExpr *bin(T *t, BinOp op, LExpr *a, LExpr *b)
{
    return lx_bin(t->m, op, a, b);
}

/* fn NAME(a, b) -> u64 { return a op b } */
static LFn *fn_bin(T *t, const char *name, BinOp op)
{
    LFn *f = fn(t, name, lt(LK_U64));
    int a = lir_param(t->m, f, "a", lt(LK_U64));
    int b = lir_param(t->m, f, "b", lt(LK_U64));
    lb_begin(&t->b, t->m, f);
    lb_ret(&t->b, bin(t, op, slot(t, f, a), slot(t, f, b)));
    return f;
}

/* fn NAME(a) -> u64 { return a op k } */
static LFn *fn_binc(T *t, const char *name, BinOp op, uint64_t k)
{
    LFn *f = fn(t, name, lt(LK_U64));
    int a = lir_param(t->m, f, "a", lt(LK_U64));
    lb_begin(&t->b, t->m, f);
    lb_ret(&t->b, bin(t, op, slot(t, f, a), num(t, k)));
    return f;
}

static Jit *compile(T *t, EngineMem *mem)
{
    if (!lir_check(t->m, stderr)) {
        CHECK(!"lir_check accepts the module");
        return NULL;
    }
    const char *err = NULL;
    Jit *j = jit_compile(t->m, mem, &err);
    if (!j)
        fprintf(stderr, "jit_test.c: jit_compile: %s\n", err ? err : "(no message)");
    CHECK(j != NULL);
    return j;
}

static uint64_t call0(Jit *j, const LFn *f)
{
    return jit_call(j, f, NULL);
}

static uint64_t call1(Jit *j, const LFn *f, uint64_t a)
{
    return jit_call(j, f, (uint64_t[]){ a });
}

static uint64_t call2(Jit *j, const LFn *f, uint64_t a, uint64_t b)
{
    return jit_call(j, f, (uint64_t[]){ a, b });
}

static uint64_t call3(Jit *j, const LFn *f, uint64_t a, uint64_t b, uint64_t c)
{
    return jit_call(j, f, (uint64_t[]){ a, b, c });
}

static uint64_t P(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* ---- arithmetic ---------------------------------------------------------------------------- */

/* The reference: lir.h's rules, written out. */
static uint64_t ref(BinOp op, uint64_t a, uint64_t b)
{
    switch (op) {
    case OP_IMPLIES: return !a || b;
    case OP_LOR:  return a || b;
    case OP_LAND: return a && b;
    case OP_EQ:   return a == b;
    case OP_NE:   return a != b;
    case OP_LT:   return a < b;
    case OP_GT:   return a > b;
    case OP_LE:   return a <= b;
    case OP_GE:   return a >= b;
    case OP_BOR:  return a | b;
    case OP_BXOR: return a ^ b;
    case OP_BAND: return a & b;
    case OP_SHL:  return b >= 64 ? 0 : a << b;
    case OP_SHR:  return b >= 64 ? 0 : a >> b;
    case OP_ADD:  return a + b;
    case OP_SUB:  return a - b;
    case OP_MUL:  return a * b;
    case OP_DIV:  return b ? a / b : MAX;
    case OP_MOD:  return b ? a % b : a;
    }
    return 0;
}

static const BinOp all_ops[] = {
    OP_IMPLIES, OP_LOR, OP_LAND, OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE, OP_BOR,
    OP_BXOR, OP_BAND, OP_SHL, OP_SHR, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
};
#define NOPS (int)(sizeof all_ops / sizeof all_ops[0])

static const uint64_t vals[] = {
    0, 1, 2, 3, 7, 63, 64, 65, 127, 128, 4096, 0x8000000000000000u, MAX, MAX - 1,
    0x123456789abcdef0u, 0xfedcba9876543210u, 1000000007,
};
#define NVALS (int)(sizeof vals / sizeof vals[0])

/* Constant right operands take the JIT's constant paths. */
static const uint64_t consts[] = { 0, 1, 3, 63, 64, 65, 1000, MAX };
#define NCONSTS (int)(sizeof consts / sizeof consts[0])

typedef struct Arith {
    LFn *op[NOPS];
    LFn *opc[NOPS][NCONSTS];
    LFn *not_, *bitnot, *log2;
} Arith;

static void build_arith(T *t, Arith *ar)
{
    for (int i = 0; i < NOPS; i++) {
        ar->op[i] = fn_bin(t, arena_printf(&t->a, "op%d", i), all_ops[i]);
        for (int k = 0; k < NCONSTS; k++)
            ar->opc[i][k] = fn_binc(t, arena_printf(&t->a, "op%d_c%d", i, k), all_ops[i], consts[k]);
    }
    const struct { LFn **f; const char *name; int kind; } un[] = {
        { &ar->not_, "not", 0 }, { &ar->bitnot, "bitnot", 1 }, { &ar->log2, "log2", 2 },
    };
    for (int i = 0; i < 3; i++) {
        LFn *f = *un[i].f = fn(t, un[i].name, lt(LK_U64));
        int a = lir_param(t->m, f, "a", lt(LK_U64));
        lb_begin(&t->b, t->m, f);
        LExpr *x = slot(t, f, a);
        lb_ret(&t->b, un[i].kind == 0 ? lx_not(t->m, x)
                      : un[i].kind == 1 ? lx_un(t->m, OP_BITNOT, x) : lx_log2(t->m, x));
    }
}

static uint64_t ref_log2(uint64_t x)
{
    uint64_t r = 0;
    while (x >>= 1)
        r++;
    return r;
}

static void test_arith(Jit *j, const Arith *ar)
{
    int bad = 0;
    for (int i = 0; i < NOPS; i++)
        for (int x = 0; x < NVALS; x++) {
            for (int y = 0; y < NVALS; y++) {
                uint64_t got = call2(j, ar->op[i], vals[x], vals[y]);
                if (got != ref(all_ops[i], vals[x], vals[y]) && bad++ < 10)
                    fprintf(stderr, "jit_test.c: %#llx %s %#llx = %#llx, want %#llx\n",
                            (unsigned long long)vals[x], binop_spelling[all_ops[i]],
                            (unsigned long long)vals[y], (unsigned long long)got,
                            (unsigned long long)ref(all_ops[i], vals[x], vals[y]));
            }
            for (int k = 0; k < NCONSTS; k++) {
                uint64_t got = call1(j, ar->opc[i][k], vals[x]);
                if (got != ref(all_ops[i], vals[x], consts[k]) && bad++ < 10)
                    fprintf(stderr, "jit_test.c: %#llx %s const %#llx = %#llx, want %#llx\n",
                            (unsigned long long)vals[x], binop_spelling[all_ops[i]],
                            (unsigned long long)consts[k], (unsigned long long)got,
                            (unsigned long long)ref(all_ops[i], vals[x], consts[k]));
            }
        }
    CHECK(bad == 0);
    /* the edge cases by name, too */
    CHECK_EQ(call2(j, ar->op[12], 1, 64), 0);           /* 1 << 64 */
    CHECK_EQ(call2(j, ar->op[12], 1, 63), 1ull << 63);
    CHECK_EQ(call2(j, ar->op[13], MAX, 64), 0);         /* >> 64 */
    CHECK_EQ(call2(j, ar->op[13], MAX, MAX), 0);
    CHECK_EQ(call2(j, ar->op[17], 5, 0), MAX);          /* 5 / 0 */
    CHECK_EQ(call2(j, ar->op[18], 5, 0), 5);            /* 5 % 0 */
    CHECK_EQ(call2(j, ar->op[14], MAX, 2), 1);          /* wraps */
    CHECK_EQ(call2(j, ar->op[15], 0, 1), MAX);
    for (int x = 0; x < NVALS; x++) {
        CHECK_EQ(call1(j, ar->not_, vals[x]), !vals[x]);
        CHECK_EQ(call1(j, ar->bitnot, vals[x]), ~vals[x]);
        CHECK_EQ(call1(j, ar->log2, vals[x]), ref_log2(vals[x]));
    }
    CHECK_EQ(call1(j, ar->log2, 0), 0);
}

/* ---- control: short-circuits, ?:, loops, recursion, order ---------------------------------- */

typedef struct Ctl {
    LFn *bump, *land, *lor, *impl, *ite, *safe, *safe_ite, *sum, *pairs, *find;
    LFn *fact, *even, *odd, *fib, *order1, *order2, *setx;
} Ctl;

static void build_ctl(T *t, Ctl *c)
{
    LModule *m = t->m;
    LB *b = &t->b;

    /* bump(p) -> bool { *p = *p + 1; return 1 } */
    LFn *f = c->bump = fn(t, "bump", lt(LK_BOOL));
    int p = lir_param(m, f, "p", lt_ptr(LK_U64));
    lb_begin(b, m, f);
    lb_assign(b, lx_deref(m, slot(t, f, p)), bin(t, OP_ADD, lx_deref(m, slot(t, f, p)), num(t, 1)));
    lb_ret(b, lx_numk(m, 1, LK_BOOL));

    /* land / lor / impl (a, p) -> bool { return a OP bump(p) } */
    LFn **dst[] = { &c->land, &c->lor, &c->impl };
    BinOp ops[] = { OP_LAND, OP_LOR, OP_IMPLIES };
    for (int i = 0; i < 3; i++) {
        f = *dst[i] = fn(t, arena_printf(&t->a, "logic%d", i), lt(LK_BOOL));
        int a = lir_param(m, f, "a", lt(LK_U64));
        p = lir_param(m, f, "p", lt_ptr(LK_U64));
        lb_begin(b, m, f);
        lb_ret(b, bin(t, ops[i], slot(t, f, a), lx_callv(m, c->bump, slot(t, f, p), NULL)));
    }

    /* ite(k, p, q) -> u64 { return k ? bump(p) + 10 : bump(q) + 20 } */
    f = c->ite = fn(t, "ite", lt(LK_U64));
    int k = lir_param(m, f, "k", lt(LK_U64));
    p = lir_param(m, f, "p", lt_ptr(LK_U64));
    int q = lir_param(m, f, "q", lt_ptr(LK_U64));
    lb_begin(b, m, f);
    lb_ret(b, lx_ite(m, slot(t, f, k), bin(t, OP_ADD, lx_callv(m, c->bump, slot(t, f, p), NULL), num(t, 10)),
                     bin(t, OP_ADD, lx_callv(m, c->bump, slot(t, f, q), NULL), num(t, 20))));

    /* safe(p) -> bool { return p != 0 && *p == 7 }: no call, one tree */
    f = c->safe = fn(t, "safe", lt(LK_BOOL));
    p = lir_param(m, f, "p", lt_ptr(LK_U64));
    lb_begin(b, m, f);
    lb_ret(b, bin(t, OP_LAND, bin(t, OP_NE, slot(t, f, p), num(t, 0)),
                  bin(t, OP_EQ, lx_deref(m, slot(t, f, p)), num(t, 7))));

    /* safe_ite(p) -> u64 { return p == 0 ? 99 : *p } */
    f = c->safe_ite = fn(t, "safe_ite", lt(LK_U64));
    p = lir_param(m, f, "p", lt_ptr(LK_U64));
    lb_begin(b, m, f);
    lb_ret(b, lx_ite(m, bin(t, OP_EQ, slot(t, f, p), num(t, 0)), num(t, 99), lx_deref(m, slot(t, f, p))));

    /* sum(n): i = 0; s = 0; while 1 { if i >= n { break } s += i; i += 1 } return s */
    f = c->sum = fn(t, "sum", lt(LK_U64));
    int n = lir_param(m, f, "n", lt(LK_U64));
    int i = lir_local(m, f, "i", lt(LK_U64));
    int s = lir_local(m, f, "s", lt(LK_U64));
    lb_begin(b, m, f);
    lb_while(b, lx_numk(m, 1, LK_BOOL));
    lb_if(b, bin(t, OP_GE, slot(t, f, i), slot(t, f, n)));
    lb_break(b);
    lb_end(b);
    lb_set(b, s, bin(t, OP_ADD, slot(t, f, s), slot(t, f, i)));
    lb_set(b, i, bin(t, OP_ADD, slot(t, f, i), num(t, 1)));
    lb_end(b);
    lb_ret(b, slot(t, f, s));

    /* pairs(n): nested loops, the inner one left by break */
    f = c->pairs = fn(t, "pairs", lt(LK_U64));
    n = lir_param(m, f, "n", lt(LK_U64));
    i = lir_local(m, f, "i", lt(LK_U64));
    int jj = lir_local(m, f, "j", lt(LK_U64));
    int cnt = lir_local(m, f, "cnt", lt(LK_U64));
    lb_begin(b, m, f);
    lb_while(b, bin(t, OP_LT, slot(t, f, i), slot(t, f, n)));
    lb_set(b, jj, bin(t, OP_ADD, slot(t, f, i), num(t, 1)));
    lb_while(b, lx_numk(m, 1, LK_BOOL));
    lb_if(b, bin(t, OP_GE, slot(t, f, jj), slot(t, f, n)));
    lb_break(b);
    lb_else(b);
    lb_set(b, cnt, bin(t, OP_ADD, slot(t, f, cnt), num(t, 1)));
    lb_end(b);
    lb_set(b, jj, bin(t, OP_ADD, slot(t, f, jj), num(t, 1)));
    lb_end(b);
    lb_set(b, i, bin(t, OP_ADD, slot(t, f, i), num(t, 1)));
    lb_end(b);
    lb_ret(b, slot(t, f, cnt));

    /* find(n): return from inside a loop; dead code after it */
    f = c->find = fn(t, "find", lt(LK_U64));
    n = lir_param(m, f, "n", lt(LK_U64));
    i = lir_local(m, f, "i", lt(LK_U64));
    lb_begin(b, m, f);
    lb_while(b, bin(t, OP_LT, slot(t, f, i), num(t, 100)));
    lb_if(b, bin(t, OP_GE, bin(t, OP_MUL, slot(t, f, i), slot(t, f, i)), slot(t, f, n)));
    lb_ret(b, slot(t, f, i));
    lb_set(b, i, num(t, 12345)); /* dead */
    lb_end(b);
    lb_set(b, i, bin(t, OP_ADD, slot(t, f, i), num(t, 1)));
    lb_end(b);
    lb_ret(b, num(t, 1000));

    /* fact(n) = n == 0 ? 1 : n * fact(n - 1) */
    f = c->fact = fn(t, "fact", lt(LK_U64));
    n = lir_param(m, f, "n", lt(LK_U64));
    lb_begin(b, m, f);
    lb_ret(b, lx_ite(m, bin(t, OP_EQ, slot(t, f, n), num(t, 0)), num(t, 1),
                     bin(t, OP_MUL, slot(t, f, n),
                         lx_callv(m, f, bin(t, OP_SUB, slot(t, f, n), num(t, 1)), NULL))));

    /* even / odd: mutual recursion, odd defined after even calls it */
    c->even = fn(t, "even", lt(LK_BOOL));
    c->odd = fn(t, "odd", lt(LK_BOOL));
    LFn *eo[2] = { c->even, c->odd };
    for (int x = 0; x < 2; x++) {
        f = eo[x];
        n = lir_param(m, f, "n", lt(LK_U64));
        lb_begin(b, m, f);
        lb_if(b, bin(t, OP_EQ, slot(t, f, n), num(t, 0)));
        lb_ret(b, lx_numk(m, x == 0, LK_BOOL));
        lb_end(b);
        lb_ret(b, lx_callv(m, eo[1 - x], bin(t, OP_SUB, slot(t, f, n), num(t, 1)), NULL));
    }

    /* fib(n): two recursive calls in one expression */
    f = c->fib = fn(t, "fib", lt(LK_U64));
    n = lir_param(m, f, "n", lt(LK_U64));
    lb_begin(b, m, f);
    lb_if(b, bin(t, OP_LT, slot(t, f, n), num(t, 2)));
    lb_ret(b, slot(t, f, n));
    lb_end(b);
    lb_ret(b, bin(t, OP_ADD, lx_callv(m, f, bin(t, OP_SUB, slot(t, f, n), num(t, 1)), NULL),
                  lx_callv(m, f, bin(t, OP_SUB, slot(t, f, n), num(t, 2)), NULL)));

    /* setx(p) -> u64 { *p = 100; return 1 };
     * order1() { x = 5; return x + setx(&x) }  (left first: 6)
     * order2() { x = 5; return setx(&x) + x }  (101) */
    f = c->setx = fn(t, "setx", lt(LK_U64));
    p = lir_param(m, f, "p", lt_ptr(LK_U64));
    lb_begin(b, m, f);
    lb_assign(b, lx_deref(m, slot(t, f, p)), num(t, 100));
    lb_ret(b, num(t, 1));
    for (int x = 0; x < 2; x++) {
        f = fn(t, x ? "order2" : "order1", lt(LK_U64));
        int xs = lir_local(m, f, "x", lt(LK_U64));
        lb_begin(b, m, f);
        lb_set(b, xs, num(t, 5));
        LExpr *cl = lx_callv(m, c->setx, lx_addr(m, slot(t, f, xs)), NULL);
        lb_ret(b, x ? bin(t, OP_ADD, cl, slot(t, f, xs)) : bin(t, OP_ADD, slot(t, f, xs), cl));
        *(x ? &c->order2 : &c->order1) = f;
    }
}

static void test_ctl(Jit *j, const Ctl *c)
{
    uint64_t n = 0, n2 = 0;
    CHECK_EQ(call2(j, c->land, 0, P(&n)), 0);
    CHECK_EQ(n, 0);                                  /* 0 && bump: not run */
    CHECK_EQ(call2(j, c->land, 5, P(&n)), 1);
    CHECK_EQ(n, 1);
    CHECK_EQ(call2(j, c->lor, 3, P(&n)), 1);
    CHECK_EQ(n, 1);                                  /* 3 || bump: not run */
    CHECK_EQ(call2(j, c->lor, 0, P(&n)), 1);
    CHECK_EQ(n, 2);
    CHECK_EQ(call2(j, c->impl, 0, P(&n)), 1);
    CHECK_EQ(n, 2);                                  /* 0 ==> bump: not run */
    CHECK_EQ(call2(j, c->impl, 9, P(&n)), 1);
    CHECK_EQ(n, 3);

    n = n2 = 0;
    CHECK_EQ(call3(j, c->ite, 1, P(&n), P(&n2)), 11);
    CHECK(n == 1 && n2 == 0);
    CHECK_EQ(call3(j, c->ite, 0, P(&n), P(&n2)), 21);
    CHECK(n == 1 && n2 == 1);

    uint64_t seven = 7;
    CHECK_EQ(call1(j, c->safe, 0), 0);               /* *NULL not evaluated */
    CHECK_EQ(call1(j, c->safe, P(&seven)), 1);
    CHECK_EQ(call1(j, c->safe_ite, 0), 99);
    CHECK_EQ(call1(j, c->safe_ite, P(&seven)), 7);

    CHECK_EQ(call1(j, c->sum, 0), 0);
    CHECK_EQ(call1(j, c->sum, 101), 5050);
    CHECK_EQ(call1(j, c->pairs, 10), 45);
    CHECK_EQ(call1(j, c->pairs, 0), 0);
    CHECK_EQ(call1(j, c->find, 50), 8);
    CHECK_EQ(call1(j, c->find, 100000), 1000);
    CHECK_EQ(call1(j, c->fact, 10), 3628800);
    CHECK_EQ(call1(j, c->fact, 25), 7034535277573963776u);   /* 25! mod 2^64 */
    CHECK_EQ(call1(j, c->even, 10), 1);
    CHECK_EQ(call1(j, c->even, 7), 0);
    CHECK_EQ(call1(j, c->odd, 7), 1);
    CHECK_EQ(call1(j, c->fib, 20), 6765);
    CHECK_EQ(call0(j, c->order1), 6);
    CHECK_EQ(call0(j, c->order2), 101);

    /* the native code, with its C signature */
    uint64_t (*fact)(uint64_t);
    bool (*even)(uint64_t);
    bool (*safe)(uint64_t *);
    void *p = jit_native(j, c->fact);
    CHECK(p != NULL);
    memcpy(&fact, &p, sizeof p);
    CHECK_EQ(fact(12), 479001600);
    p = jit_native(j, c->even);
    memcpy(&even, &p, sizeof p);
    CHECK(even(1000) && !even(999));
    p = jit_native(j, c->safe);
    memcpy(&safe, &p, sizeof p);
    CHECK(safe(&seven) && !safe(NULL));
}

/* ---- records, pointers, bools -------------------------------------------------------------- */

typedef struct Recs {
    LRec *r;                 /* { a, b, env } */
    LFn  *addb, *rsum, *rmod, *rlocal, *zero, *set2, *outs, *envrec, *tobool, *boolparam, *boolret;
} Recs;

static void build_recs(T *t, Recs *R)
{
    LModule *m = t->m;
    LB *b = &t->b;
    LRec *r = R->r = lir_rec(m, "jt_rec", false, noloc);
    int fa = lir_rec_field(m, r, "a", LK_U64, noloc);
    int fb = lir_rec_field(m, r, "b", LK_U64, noloc);
    int fe = lir_rec_field(m, r, "env", LK_ENV, noloc);

    /* addb(p: rec*) { p->b = p->b + p->a } */
    LFn *f = R->addb = fn(t, "addb", lt(LK_VOID));
    int p = lir_param(m, f, "p", lt_prec(r));
    lb_begin(b, m, f);
    lb_assign(b, lx_field(m, slot(t, f, p), fb),
              bin(t, OP_ADD, lx_field(m, slot(t, f, p), fb), lx_field(m, slot(t, f, p), fa)));

    /* rsum(x: rec) -> u64 { return x.a + x.b } */
    f = R->rsum = fn(t, "rsum", lt(LK_U64));
    int x = lir_param(m, f, "x", lt_rec(r));
    lb_begin(b, m, f);
    lb_ret(b, bin(t, OP_ADD, lx_field(m, slot(t, f, x), fa), lx_field(m, slot(t, f, x), fb)));

    /* rmod(x: rec) -> u64 { x.a = 77; return x.a }: a copy */
    f = R->rmod = fn(t, "rmod", lt(LK_U64));
    x = lir_param(m, f, "x", lt_rec(r));
    lb_begin(b, m, f);
    lb_assign(b, lx_field(m, slot(t, f, x), fa), num(t, 77));
    lb_ret(b, lx_field(m, slot(t, f, x), fa));

    /* rlocal(v, out: u64*) -> u64 {
     *   r.a = v; r.b = r.a * 2; addb(&r);           r = { v, 3v }
     *   s = r; s.a = 1;                             s = { 1, 3v }
     *   *out = s.a + s.b + rmod(r) * 1000 + r.a * 1000000
     *   return r.a + r.b + rsum(s)                  7v + 1 } */
    f = R->rlocal = fn(t, "rlocal", lt(LK_U64));
    int v = lir_param(m, f, "v", lt(LK_U64));
    int out = lir_param(m, f, "out", lt_ptr(LK_U64));
    int rs = lir_local(m, f, "r", lt_rec(r));
    int ss = lir_local(m, f, "s", lt_rec(r));
    lb_begin(b, m, f);
    lb_assign(b, lx_field(m, slot(t, f, rs), fa), slot(t, f, v));
    lb_assign(b, lx_field(m, slot(t, f, rs), fb), bin(t, OP_MUL, lx_field(m, slot(t, f, rs), fa), num(t, 2)));
    lb_expr(b, lx_callv(m, R->addb, lx_addr(m, slot(t, f, rs)), NULL));
    lb_assign(b, slot(t, f, ss), slot(t, f, rs));
    lb_assign(b, lx_field(m, slot(t, f, ss), fa), num(t, 1));
    LExpr *s_sum = bin(t, OP_ADD, lx_field(m, slot(t, f, ss), fa), lx_field(m, slot(t, f, ss), fb));
    LExpr *mod = bin(t, OP_MUL, lx_callv(m, R->rmod, slot(t, f, rs), NULL), num(t, 1000));
    lb_assign(b, lx_deref(m, slot(t, f, out)),
              bin(t, OP_ADD, bin(t, OP_ADD, s_sum, mod),
                  bin(t, OP_MUL, lx_field(m, slot(t, f, rs), fa), num(t, 1000000))));
    lb_ret(b, bin(t, OP_ADD, bin(t, OP_ADD, lx_field(m, slot(t, f, rs), fa), lx_field(m, slot(t, f, rs), fb)),
                  lx_callv(m, R->rsum, slot(t, f, ss), NULL)));

    /* zero(k) -> u64 { if k { r.a = 5; u = 6 } return r.a + r.b + u }:
     * locals start at 0 on every call */
    f = R->zero = fn(t, "zero", lt(LK_U64));
    int k = lir_param(m, f, "k", lt(LK_U64));
    rs = lir_local(m, f, "r", lt_rec(r));
    int u = lir_local(m, f, "u", lt(LK_U64));
    lb_begin(b, m, f);
    lb_if(b, slot(t, f, k));
    lb_assign(b, lx_field(m, slot(t, f, rs), fa), num(t, 5));
    lb_set(b, u, num(t, 6));
    lb_end(b);
    lb_ret(b, bin(t, OP_ADD, bin(t, OP_ADD, lx_field(m, slot(t, f, rs), fa), lx_field(m, slot(t, f, rs), fb)),
                  slot(t, f, u)));

    /* set2(pa, pb) { *pa = 1; *pb = *pa + 1 } */
    f = R->set2 = fn(t, "set2", lt(LK_VOID));
    int pa = lir_param(m, f, "pa", lt_ptr(LK_U64));
    int pb = lir_param(m, f, "pb", lt_ptr(LK_U64));
    lb_begin(b, m, f);
    lb_assign(b, lx_deref(m, slot(t, f, pa)), num(t, 1));
    lb_assign(b, lx_deref(m, slot(t, f, pb)), bin(t, OP_ADD, lx_deref(m, slot(t, f, pa)), num(t, 1)));
    lb_ret(b, NULL);

    /* outs() -> u64 { set2(&x, &r.b); return x * 10 + r.b } */
    f = R->outs = fn(t, "outs", lt(LK_U64));
    int xs = lir_local(m, f, "x", lt(LK_U64));
    rs = lir_local(m, f, "r", lt_rec(r));
    lb_begin(b, m, f);
    lb_expr(b, lx_callv(m, R->set2, lx_addr(m, slot(t, f, xs)),
                        lx_addr(m, lx_field(m, slot(t, f, rs), fb)), NULL));
    lb_ret(b, bin(t, OP_ADD, bin(t, OP_MUL, slot(t, f, xs), num(t, 10)), lx_field(m, slot(t, f, rs), fb)));

    /* envrec(c: rec*) -> u64 { return env.reg_read#3(c->env) + c->a } */
    f = R->envrec = fn(t, "envrec", lt(LK_U64));
    p = lir_param(m, f, "c", lt_prec(r));
    lb_begin(b, m, f);
    lb_ret(b, bin(t, OP_ADD, lx_env(m, LENV_REG_READ, 0, 3, lx_field(m, slot(t, f, p), fe), NULL),
                  lx_field(m, slot(t, f, p), fa)));

    /* tobool(v) -> bool { bl = v & 6; *&bl stays 0/1; return bl } */
    f = R->tobool = fn(t, "tobool", lt(LK_BOOL));
    v = lir_param(m, f, "v", lt(LK_U64));
    int bl = lir_local(m, f, "bl", lt(LK_BOOL));
    lb_begin(b, m, f);
    lb_set(b, bl, bin(t, OP_BAND, slot(t, f, v), num(t, 6)));
    lb_ret(b, slot(t, f, bl));

    /* boolparam(q: bool) -> u64 { return q } */
    f = R->boolparam = fn(t, "boolparam", lt(LK_U64));
    int q = lir_param(m, f, "q", lt(LK_BOOL));
    lb_begin(b, m, f);
    lb_ret(b, slot(t, f, q));

    /* boolret(v) -> bool { return v } */
    f = R->boolret = fn(t, "boolret", lt(LK_BOOL));
    v = lir_param(m, f, "v", lt(LK_U64));
    lb_begin(b, m, f);
    lb_ret(b, slot(t, f, v));
}

static void test_recs(Jit *j, const Recs *R, struct vrs_env *env, vrs_hosted *h)
{
    uint64_t w[3] = { 4, 5, 0 };
    CHECK_EQ(call1(j, R->addb, P(w)), 0);
    CHECK(w[0] == 4 && w[1] == 9);
    CHECK_EQ(call1(j, R->rsum, P(w)), 13);            /* a record argument: its words */
    CHECK_EQ(call1(j, R->rmod, P(w)), 77);
    CHECK_EQ(w[0], 4);                                 /* passed by value */

    uint64_t out = 0;
    CHECK_EQ(call2(j, R->rlocal, 3, P(&out)), 22);
    CHECK_EQ(out, 1 + 9 + 77000 + 3000000);
    CHECK_EQ(call1(j, R->zero, 1), 11);
    CHECK_EQ(call1(j, R->zero, 0), 0);

    uint64_t a = 0, b = 0;
    CHECK_EQ(call2(j, R->set2, P(&a), P(&b)), 0);      /* void: 0 */
    CHECK(a == 1 && b == 2);
    CHECK_EQ(call0(j, R->outs), 12);

    *vrs_hosted_reg(h, 3) = 0x500;
    uint64_t ctx[3] = { 7, 0, P(env) };
    CHECK_EQ(call1(j, R->envrec, P(ctx)), 0x507);

    CHECK_EQ(call1(j, R->tobool, 4), 1);
    CHECK_EQ(call1(j, R->tobool, 9), 0);
    CHECK_EQ(call1(j, R->boolparam, 5), 1);
    CHECK_EQ(call1(j, R->boolparam, 0), 0);
    CHECK_EQ(call1(j, R->boolret, 0x100), 1);
    bool (*tobool)(uint64_t);
    void *p = jit_native(j, R->tobool);
    memcpy(&tobool, &p, sizeof p);
    CHECK(tobool(2) == true && tobool(1) == false);
}

/* ---- page-table memory and env operations -------------------------------------------------- */

typedef struct Env {
    LFn *rd[9], *wr[9];
    LFn *alloc, *free_, *ops;
} Env;

static void build_env(T *t, Env *E)
{
    LModule *m = t->m;
    LB *b = &t->b;
    for (unsigned w = 1; w <= 8; w *= 2) {
        /* rdW(env, pa) -> u64; wrW(env, pa, v) */
        LFn *f = E->rd[w] = fn(t, arena_printf(&t->a, "rd%u", w), lt(LK_U64));
        int e = lir_param(m, f, "env", lt(LK_ENV));
        int pa = lir_param(m, f, "pa", lt(LK_U64));
        lb_begin(b, m, f);
        lb_ret(b, lx_env(m, LENV_MEM_READ, w, 0, slot(t, f, e), slot(t, f, pa), NULL));
        f = E->wr[w] = fn(t, arena_printf(&t->a, "wr%u", w), lt(LK_VOID));
        e = lir_param(m, f, "env", lt(LK_ENV));
        pa = lir_param(m, f, "pa", lt(LK_U64));
        int v = lir_param(m, f, "v", lt(LK_U64));
        lb_begin(b, m, f);
        lb_expr(b, lx_env(m, LENV_MEM_WRITE, w, 0, slot(t, f, e), slot(t, f, pa), slot(t, f, v), NULL));
    }

    /* alloc(env, out: u64*) -> bool { ok = alloc_table(env, 8192, 4096, &pa); *out = pa; return ok } */
    LFn *f = E->alloc = fn(t, "alloc", lt(LK_BOOL));
    int e = lir_param(m, f, "env", lt(LK_ENV));
    int out = lir_param(m, f, "out", lt_ptr(LK_U64));
    int pa = lir_local(m, f, "pa", lt(LK_U64));
    int ok = lir_local(m, f, "ok", lt(LK_BOOL));
    lb_begin(b, m, f);
    lb_set(b, ok, lx_env(m, LENV_ALLOC_TABLE, 0, 0, slot(t, f, e), num(t, 8192), num(t, 4096),
                         lx_addr(m, slot(t, f, pa)), NULL));
    lb_assign(b, lx_deref(m, slot(t, f, out)), slot(t, f, pa));
    lb_ret(b, slot(t, f, ok));

    /* free(env, pa) { free_table(env, pa, 8192) } */
    f = E->free_ = fn(t, "free", lt(LK_VOID));
    e = lir_param(m, f, "env", lt(LK_ENV));
    pa = lir_param(m, f, "pa", lt(LK_U64));
    lb_begin(b, m, f);
    lb_expr(b, lx_env(m, LENV_FREE_TABLE, 0, 0, slot(t, f, e), slot(t, f, pa), num(t, 8192), NULL));

    /* ops(env, v) -> u64 { reg_write#5(v); instr#2; barrier; tlb_invalidate(0x1000, 0x2000);
     *                      mmio_write4(0x100, v); return reg_read#5 + mmio_read4(0x100) } */
    f = E->ops = fn(t, "ops", lt(LK_U64));
    e = lir_param(m, f, "env", lt(LK_ENV));
    int v = lir_param(m, f, "v", lt(LK_U64));
    lb_begin(b, m, f);
    lb_expr(b, lx_env(m, LENV_REG_WRITE, 0, 5, slot(t, f, e), slot(t, f, v), NULL));
    lb_expr(b, lx_env(m, LENV_INSTR, 0, 2, slot(t, f, e), NULL));
    lb_expr(b, lx_env(m, LENV_BARRIER, 0, 0, slot(t, f, e), NULL));
    lb_expr(b, lx_env(m, LENV_TLB_INVAL, 0, 0, slot(t, f, e), num(t, 0x1000), num(t, 0x2000), NULL));
    lb_expr(b, lx_env(m, LENV_MMIO_WRITE, 4, 0, slot(t, f, e), num(t, 0x100), slot(t, f, v), NULL));
    lb_ret(b, bin(t, OP_ADD, lx_env(m, LENV_REG_READ, 0, 5, slot(t, f, e), NULL),
                  lx_env(m, LENV_MMIO_READ, 4, 0, slot(t, f, e), num(t, 0x100), NULL)));
}

static void test_mem(Jit *j, const Env *E, EngineMem *mem)
{
    uint8_t *buf = (uint8_t *)mem->base;
    memset(buf, 0, mem->size);
    call3(j, E->wr[8], 0, 0, 0x1122334455667788u);
    CHECK_EQ(call2(j, E->rd[8], 0, 0), 0x1122334455667788u);
    CHECK_EQ(call2(j, E->rd[4], 0, 0), 0x55667788u);
    CHECK_EQ(call2(j, E->rd[2], 0, 6), 0x1122);
    CHECK_EQ(call2(j, E->rd[1], 0, 7), 0x11);
    call3(j, E->wr[4], 0, 13, 0xdeadbeefcafef00du);    /* unaligned, truncated */
    CHECK_EQ(call2(j, E->rd[4], 0, 13), 0xcafef00du);
    CHECK_EQ(call2(j, E->rd[8], 0, 13), 0xcafef00du);
    call3(j, E->wr[2], 0, 21, 0xabcd);
    call3(j, E->wr[1], 0, 23, 0x1ef);
    CHECK_EQ(call2(j, E->rd[4], 0, 21), 0xefabcd);
    CHECK(mem->faults == 0);

    /* the last bytes are in range; one past, or a wrapping address, is not */
    uint64_t sz = mem->size;
    call3(j, E->wr[8], 0, sz - 8, 42);
    CHECK_EQ(call2(j, E->rd[8], 0, sz - 8), 42);
    CHECK_EQ(call2(j, E->rd[1], 0, sz - 1), 0);
    CHECK(mem->faults == 0);
    CHECK_EQ(call2(j, E->rd[8], 0, sz - 7), 0);
    CHECK(mem->faults == 1 && mem->fault_pa == sz - 7);
    CHECK_EQ(call2(j, E->rd[1], 0, sz), 0);
    CHECK_EQ(call2(j, E->rd[4], 0, MAX - 1), 0);
    CHECK_EQ(call2(j, E->rd[8], 0, MAX), 0);
    call3(j, E->wr[2], 0, sz - 1, 0xffff);
    call3(j, E->wr[8], 0, MAX - 3, 1);
    CHECK_EQ(buf[sz - 1], 0);
    CHECK(mem->faults == 6 && mem->fault_pa == sz - 7);

    /* base and size are read when the code runs */
    uint8_t other[16] = { 0 };
    other[3] = 0x5a;
    EngineMem saved = *mem;
    mem->base = other;
    mem->size = sizeof other;
    CHECK_EQ(call2(j, E->rd[1], 0, 3), 0x5a);
    CHECK_EQ(call2(j, E->rd[8], 0, 9), 0);
    CHECK(mem->faults == 7 && mem->fault_pa == sz - 7);
    /* a memory smaller than the access: nothing of it is in range */
    mem->size = 4;
    CHECK_EQ(call2(j, E->rd[4], 0, 0), 0x5a000000u);
    CHECK_EQ(call2(j, E->rd[8], 0, 0), 0);
    CHECK(mem->faults == 8 && mem->fault_pa == sz - 7);   /* the first stays */
    *mem = saved;
}

static void test_env(Jit *j, const Env *E, struct vrs_env *env, vrs_hosted *h)
{
    uint64_t pa = 1;
    vrs_hosted_stats s0 = vrs_hosted_get_stats(h);
    CHECK_EQ(call2(j, E->alloc, P(env), P(&pa)), 1);
    CHECK(pa % 4096 == 0 && pa < vrs_hosted_phys_bytes(h));   /* written through &pa */
    vrs_hosted_stats s1 = vrs_hosted_get_stats(h);
    CHECK_EQ(s1.allocs - s0.allocs, 1);
    CHECK_EQ(s1.live_tables, s0.live_tables + 1);
    call2(j, E->free_, P(env), pa);
    CHECK_EQ(vrs_hosted_get_stats(h).frees, s0.frees + 1);
    vrs_hosted_fail_alloc_after(h, 0);
    pa = 7;
    CHECK_EQ(call2(j, E->alloc, P(env), P(&pa)), 0);
    CHECK_EQ(vrs_hosted_get_stats(h).failed_allocs, s0.failed_allocs + 1);

    CHECK_EQ(call2(j, E->ops, P(env), 0x1234), 0x1234 + 0x1234);
    vrs_hosted_stats s2 = vrs_hosted_get_stats(h);
    CHECK_EQ(*vrs_hosted_reg(h, 5), 0x1234);
    CHECK_EQ(vrs_hosted_instr_count(h, 2), 1);
    CHECK_EQ(s2.barriers - s0.barriers, 1);
    CHECK_EQ(s2.mmio_writes - s0.mmio_writes, 1);
    CHECK_EQ(s2.mmio_reads - s0.mmio_reads, 1);
    uint64_t va = 0, size = 0;
    CHECK(vrs_hosted_tlb_entry(h, 0, &va, &size) && va == 0x1000 && size == 0x2000);
    CHECK_EQ(vrs_hosted_errors(h), 0);
    /* a null env: a no-op reading 0, not a crash */
    CHECK_EQ(call2(j, E->ops, 0, 1), 0);
}

/* ---- errors, and a module without memory -------------------------------------------------- */

static void test_errors(void)
{
    /* a module lir_check refuses */
    T t;
    t_init(&t);
    LFn *g = fn(&t, "g", lt(LK_U64));
    lir_param(t.m, g, "a", lt(LK_U64));
    lb_begin(&t.b, t.m, g);
    lb_ret(&t.b, num(&t, 1));
    LFn *f = fn(&t, "f", lt(LK_U64));
    LExpr *none[1] = { NULL };
    lb_begin(&t.b, t.m, f);
    lb_ret(&t.b, lx_call(t.m, g, 0, none));
    const char *err = NULL;
    CHECK(jit_compile(t.m, NULL, &err) == NULL);
    CHECK(err && strstr(err, "lir_check"));
    arena_free(&t.a);

    /* two functions of one name: libgccjit's assembler refuses them, and
     * its message comes back */
    t_init(&t);
    for (int i = 0; i < 2; i++) {
        f = fn(&t, "twice", lt(LK_U64));
        lb_begin(&t.b, t.m, f);
        lb_ret(&t.b, num(&t, (uint64_t)i));
    }
    err = NULL;
    Jit *j = jit_compile(t.m, NULL, &err);
    CHECK(j == NULL);
    CHECK(err != NULL && *err);
    if (j)
        jit_free(j);
    else
        printf("jit_test.c: expected error: %s\n", err ? err : "(none)");
    arena_free(&t.a);

    /* without an EngineMem every access is out of range: 0, no crash */
    t_init(&t);
    f = fn(&t, "rd", lt(LK_U64));
    int pa = lir_param(t.m, f, "pa", lt(LK_U64));
    lb_begin(&t.b, t.m, f);
    lb_expr(&t.b, lx_env(t.m, LENV_MEM_WRITE, 8, 0, num(&t, 0), slot(&t, f, pa), num(&t, 5), NULL));
    lb_ret(&t.b, lx_env(t.m, LENV_MEM_READ, 8, 0, num(&t, 0), slot(&t, f, pa), NULL));
    j = compile(&t, NULL);
    if (j) {
        CHECK_EQ(call1(j, f, 0), 0);
        CHECK(jit_call(j, f, NULL) == 0);        /* missing arguments: 0 */
        CHECK(jit_call(j, NULL, NULL) == 0);
        CHECK(jit_native(j, NULL) == NULL);
        jit_free(j);
    }
    jit_free(NULL);
    arena_free(&t.a);
}

/* ---- compiling some functions ------------------------------------------------------------- */

/* jit_compile_some compiles the closure of its entries and exports only
 * them; jit_add exports more. f(a) = g(a) + fact(a) calls a helper and a
 * recursive function (which stays a function of the context); h is
 * outside f's closure. */
static void test_some(void)
{
    T t;
    t_init(&t);
    LFn *g = fn_binc(&t, "some_g", OP_MUL, 3);
    LFn *fact = fn(&t, "some_fact", lt(LK_U64));
    int n = lir_param(t.m, fact, "n", lt(LK_U64));
    lb_begin(&t.b, t.m, fact);
    lb_if(&t.b, bin(&t, OP_LE, slot(&t, fact, n), num(&t, 1)));
    lb_ret(&t.b, num(&t, 1));
    lb_end(&t.b);
    lb_ret(&t.b, bin(&t, OP_MUL, slot(&t, fact, n),
                     lx_callv(t.m, fact, bin(&t, OP_SUB, slot(&t, fact, n), num(&t, 1)), NULL)));
    LFn *f = fn(&t, "some_f", lt(LK_U64));
    int a = lir_param(t.m, f, "a", lt(LK_U64));
    lb_begin(&t.b, t.m, f);
    lb_ret(&t.b, bin(&t, OP_ADD, lx_callv(t.m, g, slot(&t, f, a), NULL), lx_callv(t.m, fact, slot(&t, f, a), NULL)));
    LFn *h = fn_binc(&t, "some_h", OP_ADD, 100);

    const char *err = NULL;
    Jit *j = jit_compile_some(t.m, &f, 1, NULL, &err);
    CHECK(j != NULL);
    if (!j) {
        fprintf(stderr, "jit_test.c: jit_compile_some: %s\n", err ? err : "(no message)");
        arena_free(&t.a);
        return;
    }
    printf("jit_test.c: jit_compile_some of 1 entry (3 functions): %.1f ms\n", jit_compile_ms(j));
    CHECK_EQ(call1(j, f, 5), 15 + 120);
    uint64_t (*nf)(uint64_t) = NULL;
    void *code = jit_native(j, f);
    memcpy(&nf, &code, sizeof code);
    CHECK(nf != NULL);
    if (nf)
        CHECK_EQ(nf(4), 12 + 24);
    /* compiled into f, or not compiled: not callable either way */
    CHECK(jit_native(j, g) == NULL);
    CHECK(jit_native(j, fact) == NULL);
    CHECK(jit_native(j, h) == NULL);
    CHECK_EQ(call1(j, g, 5), 0);
    CHECK_EQ(call1(j, h, 5), 0);

    /* jit_add: h too, f stays */
    err = NULL;
    CHECK(jit_add(j, (LFn *[]){ h, f }, 2, &err));
    CHECK_EQ(call1(j, h, 5), 105);
    CHECK_EQ(call1(j, f, 3), 9 + 6);
    CHECK(jit_native(j, g) == NULL);
    err = NULL;
    CHECK(!jit_add(j, (LFn *[]){ g }, 0, &err) && err);
    jit_free(j);

    /* a compile that libgccjit fails (two exported functions of one
     * name): jit_add says why and leaves the Jit as it was */
    LFn *dup[2];
    for (int i = 0; i < 2; i++) {
        dup[i] = fn(&t, "some_dup", lt(LK_U64));
        lb_begin(&t.b, t.m, dup[i]);
        lb_ret(&t.b, num(&t, (uint64_t)i));
    }
    err = NULL;
    j = jit_compile_some(t.m, &h, 1, NULL, &err);
    CHECK(j != NULL);
    if (j) {
        err = NULL;
        CHECK(!jit_add(j, (LFn *[]){ f, dup[0], dup[1], dup[0] }, 4, &err) && err && *err);
        CHECK(jit_native(j, dup[0]) == NULL);
        CHECK(jit_native(j, f) == NULL);
        CHECK_EQ(call1(j, h, 1), 101);
        jit_free(j);
    }

    /* an entry of another module, or none */
    T o;
    t_init(&o);
    LFn *other = fn_binc(&o, "other", OP_ADD, 1);
    err = NULL;
    CHECK(jit_compile_some(t.m, &other, 1, NULL, &err) == NULL && err);
    err = NULL;
    CHECK(jit_compile_some(t.m, NULL, 1, NULL, &err) == NULL && err);
    arena_free(&o.a);
    arena_free(&t.a);
}

/* ---- compile time ---------------------------------------------------------------------------- */

/* 100 functions shaped like a driver's per-level code: read an entry,
 * decode fields with shifts and masks, branch, call the next level (25
 * walks of 4 levels). */
static void test_compile_time(void)
{
    T t;
    t_init(&t);
    LModule *m = t.m;
    LB *b = &t.b;
    LFn *prev = NULL;
    LFn *last = NULL;
    for (int i = 0; i < 100; i++) {
        LFn *f = last = fn(&t, arena_printf(&t.a, "level%d", i), lt(LK_U64));
        int e = lir_param(m, f, "env", lt(LK_ENV));
        int va = lir_param(m, f, "va", lt(LK_U64));
        int base = lir_param(m, f, "base", lt(LK_U64));
        int ent = lir_local(m, f, "ent", lt(LK_U64));
        int idx = lir_local(m, f, "idx", lt(LK_U64));
        lb_begin(b, m, f);
        lb_set(b, idx, bin(&t, OP_BAND, bin(&t, OP_SHR, slot(&t, f, va), num(&t, 12 + (uint64_t)(i % 4) * 9)),
                          num(&t, 511)));
        LExpr *pa = bin(&t, OP_ADD, slot(&t, f, base), bin(&t, OP_MUL, slot(&t, f, idx), num(&t, 8)));
        lb_set(b, ent, lx_env(m, LENV_MEM_READ, 8, 0, slot(&t, f, e), pa, NULL));
        lb_if(b, bin(&t, OP_EQ, bin(&t, OP_BAND, slot(&t, f, ent), num(&t, 1)), num(&t, 0)));
        lb_ret(b, num(&t, MAX));
        lb_end(b);
        LExpr *big = bin(&t, OP_NE, bin(&t, OP_BAND, slot(&t, f, ent), num(&t, 0x80)), num(&t, 0));
        lb_if(b, bin(&t, OP_LAND, big, bin(&t, OP_LT, slot(&t, f, idx), num(&t, 256))));
        lb_ret(b, bin(&t, OP_BOR, bin(&t, OP_BAND, slot(&t, f, ent), num(&t, 0x000ffffffffff000u)),
                      bin(&t, OP_BAND, slot(&t, f, va), num(&t, 0xfff))));
        lb_end(b);
        LExpr *next = bin(&t, OP_BAND, slot(&t, f, ent), num(&t, 0x000ffffffffff000u));
        if (i % 4) /* 25 walks of 4 levels */
            lb_ret(b, lx_callv(m, prev, slot(&t, f, e), slot(&t, f, va), next, NULL));
        else
            lb_ret(b, next);
        prev = f;
    }
    uint8_t buf[4096] = { 0 };
    EngineMem mem = { buf, sizeof buf, 0, 0 };
    Jit *j = compile(&t, &mem);
    if (j) {
        printf("jit_test.c: compile time of 100 driver-like functions: %.1f ms\n", jit_compile_ms(j));
        CHECK_EQ(jit_call(j, last, (uint64_t[]){ 0, 0, 0 }), MAX);   /* entry 0 not present */
        jit_free(j);
    }
    arena_free(&t.a);
}

int main(void)
{
    if (!jit_available()) {
        const char *err = NULL;
        T t;
        t_init(&t);
        bool stub_ok = jit_compile(t.m, NULL, &err) == NULL && err && strstr(err, "without libgccjit");
        arena_free(&t.a);
        printf("skipped: vrsc was built without libgccjit%s\n", stub_ok ? "" : " (and the stub misbehaves)");
        return stub_ok ? 77 : 1;
    }

    vrs_hosted *h = vrs_hosted_new(1 << 20);
    struct vrs_env *env = vrs_hosted_env(h);
    uint8_t *membuf = calloc(1, 256);
    EngineMem mem = { membuf, 256, 0, 0 };

    T t;
    t_init(&t);
    Arith ar;
    Ctl ctl;
    Recs recs;
    Env en;
    build_arith(&t, &ar);
    build_ctl(&t, &ctl);
    build_recs(&t, &recs);
    build_env(&t, &en);
    Jit *j = compile(&t, &mem);
    if (j) {
        printf("jit_test.c: compile time of the test module (%d functions): %.1f ms\n", t.m->fns.len,
               jit_compile_ms(j));
        test_arith(j, &ar);
        test_ctl(j, &ctl);
        test_recs(j, &recs, env, h);
        test_mem(j, &en, &mem);
        test_env(j, &en, env, h);
        jit_free(j);
    }
    arena_free(&t.a);
    free(membuf);
    vrs_hosted_free(h);

    test_errors();
    test_some();
    test_compile_time();

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
