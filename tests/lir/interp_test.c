/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * interp_test.c - checks of the LIR reference interpreter
 * (compiler/lir_interp.c; ctest lir.interp).
 *
 * Each test builds a small module by hand with the lir.h builders, has
 * lir_check accept it, and runs it: one check per semantic rule of lir.h
 * and engine.h (wrapping arithmetic, the shift/division/log2 edge cases,
 * short-circuits, loops, recursion, records, out-parameters, page-table
 * memory bounds, env operations on a hosted env, the depth limit). Every
 * CHECK is counted; the program prints `N passed, M failed` and exits
 * non-zero if any failed, naming each failed check with its line.
 */
#include "engine.h"
#include "lir.h"
#include "vrs_env.h"
#include "vrs_hosted.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A testing hook of lir_interp.c (proposed for engine.h): the statement
 * budget of the next top-level calls, so exhausting it takes no 2^32 steps. */

static int passed, failed;

#define CHECK(cond) check((cond), #cond, __LINE__)
#define CHECK_EQ(got, want) check_eq((got), (want), #got, __LINE__)

static void check(bool ok, const char *what, int line)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "interp_test.c:%d: check failed: %s\n", line, what);
    }
}

static void check_eq(uint64_t got, uint64_t want, const char *what, int line)
{
    if (got == want) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "interp_test.c:%d: %s is %#llx, want %#llx\n", line, what,
                (unsigned long long)got, (unsigned long long)want);
    }
}

#define MAX UINT64_MAX
#define U64 lt(LK_U64)

static const Loc noloc;

/* One module per test, freed with its arena. */
typedef struct T {
    Arena    a;
    LModule *m;
    LInterp *in;
    EngineMem mem;
} T;

static void t_begin(T *t)
{
    memset(t, 0, sizeof *t);
    arena_init(&t->a);
    t->m = lir_new(&t->a, NULL);
}

/* Checks the module and starts an interpreter on it. */
static bool t_run(T *t)
{
    bool ok = lir_check(t->m, stderr);
    CHECK(ok);
    if (!ok)
        return false;
    t->in = linterp_new(t->m, &t->mem);
    CHECK(t->in != NULL);
    return t->in != NULL;
}

static void t_end(T *t)
{
    linterp_free(t->in);
    arena_free(&t->a);
}

static LFn *fn(T *t, const char *name, LType ret)
{
    return lir_fn(t->m, name, ret, LINK_INTERNAL, noloc);
}

static uint64_t call0(T *t, LFn *f)
{
    return linterp_call(t->in, f, NULL);
}

static uint64_t call1(T *t, LFn *f, uint64_t a)
{
    uint64_t args[1] = { a };
    return linterp_call(t->in, f, args);
}

static uint64_t call2(T *t, LFn *f, uint64_t a, uint64_t b)
{
    uint64_t args[2] = { a, b };
    return linterp_call(t->in, f, args);
}

static uint64_t call3(T *t, LFn *f, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t args[3] = { a, b, c };
    return linterp_call(t->in, f, args);
}

static uint64_t ptr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* bump(p: u64*) -> u64 { *p = *p + 1; return 7 }: a call with an effect. */
static LFn *make_bump(T *t)
{
    LModule *m = t->m;
    LFn *f = fn(t, "bump", U64);
    int p = lir_param(m, f, "p", lt_ptr(LK_U64));
    LB b;
    lb_begin(&b, m, f);
    lb_assign(&b, lx_deref(m, LV(&b, p)), lx_bin(m, OP_ADD, lx_deref(m, LV(&b, p)), lx_num(m, 1)));
    lb_ret(&b, lx_num(m, 7));
    lir_place(m, f);
    return f;
}

/* ---- arithmetic ------------------------------------------------------------------------ */

static void test_binops(void)
{
    static const struct {
        BinOp op;
        uint64_t a, b, want;
    } cases[] = {
        { OP_ADD, MAX, 2, 1 },
        { OP_ADD, 40, 2, 42 },
        { OP_SUB, 0, 1, MAX },
        { OP_SUB, 5, 3, 2 },
        { OP_MUL, UINT64_C(1) << 63, 2, 0 },
        { OP_MUL, MAX, MAX, 1 },
        { OP_DIV, 7, 2, 3 },
        { OP_DIV, 7, 0, MAX },
        { OP_DIV, 0, 0, MAX },
        { OP_MOD, 7, 3, 1 },
        { OP_MOD, 7, 0, 7 },
        { OP_MOD, MAX, 0, MAX },
        { OP_SHL, 1, 63, UINT64_C(1) << 63 },
        { OP_SHL, 1, 64, 0 },
        { OP_SHL, 3, 200, 0 },
        { OP_SHL, 3, MAX, 0 },
        { OP_SHR, MAX, 63, 1 },
        { OP_SHR, MAX, 64, 0 },
        { OP_SHR, MAX, UINT64_C(1) << 40, 0 },
        { OP_SHR, 0xf0, 4, 0xf },
        { OP_BAND, 0xff00, 0x0ff0, 0x0f00 },
        { OP_BOR, 0xff00, 0x0ff0, 0xfff0 },
        { OP_BXOR, 0xff00, 0x0ff0, 0xf0f0 },
        { OP_LT, MAX, 1, 0 },          /* unsigned */
        { OP_LT, 1, MAX, 1 },
        { OP_GT, MAX, 1, 1 },
        { OP_LE, 5, 5, 1 },
        { OP_LE, 6, 5, 0 },
        { OP_GE, 5, 5, 1 },
        { OP_GE, 0, MAX, 0 },
        { OP_EQ, 9, 9, 1 },
        { OP_EQ, 9, 8, 0 },
        { OP_NE, 9, 8, 1 },
        { OP_NE, 9, 9, 0 },
        { OP_LAND, 2, 3, 1 },          /* bool results are 0/1 */
        { OP_LAND, 2, 0, 0 },
        { OP_LOR, 0, 5, 1 },
        { OP_LOR, 0, 0, 0 },
        { OP_IMPLIES, 0, 0, 1 },
        { OP_IMPLIES, 1, 0, 0 },
        { OP_IMPLIES, 5, 7, 1 },
    };
    enum { N = sizeof cases / sizeof cases[0] };
    T t;
    t_begin(&t);
    LFn *fns[N];
    for (int i = 0; i < N; i++) {
        LFn *f = fns[i] = fn(&t, arena_printf(&t.a, "bin%d", i), U64);
        int a = lir_param(t.m, f, "a", U64);
        int b = lir_param(t.m, f, "b", U64);
        LB lb;
        lb_begin(&lb, t.m, f);
        lb_ret(&lb, lx_bin(t.m, cases[i].op, LV(&lb, a), LV(&lb, b)));
        lir_place(t.m, f);
    }
    if (t_run(&t)) {
        for (int i = 0; i < N; i++) {
            uint64_t got = call2(&t, fns[i], cases[i].a, cases[i].b);
            if (got != cases[i].want)
                fprintf(stderr, "  %#llx %s %#llx\n", (unsigned long long)cases[i].a,
                        binop_spelling[cases[i].op], (unsigned long long)cases[i].b);
            CHECK_EQ(got, cases[i].want);
        }
        CHECK(linterp_error(t.in) == NULL);
    }
    t_end(&t);
}

static void test_unops(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    LFn *fnot = fn(&t, "lnot", lt(LK_BOOL));
    LFn *fbit = fn(&t, "bitnot", U64);
    LFn *flog = fn(&t, "log", U64);
    LFn *fs[3] = { fnot, fbit, flog };
    for (int i = 0; i < 3; i++) {
        int x = lir_param(m, fs[i], "x", U64);
        LB b;
        lb_begin(&b, m, fs[i]);
        lb_ret(&b, i == 0 ? lx_not(m, LV(&b, x))
                   : i == 1 ? lx_un(m, OP_BITNOT, LV(&b, x)) : lx_log2(m, LV(&b, x)));
        lir_place(m, fs[i]);
    }
    if (t_run(&t)) {
        CHECK_EQ(call1(&t, fnot, 0), 1);
        CHECK_EQ(call1(&t, fnot, 5), 0);
        CHECK_EQ(call1(&t, fnot, UINT64_C(1) << 63), 0);
        CHECK_EQ(call1(&t, fbit, 0), MAX);
        CHECK_EQ(call1(&t, fbit, 0xf0), ~UINT64_C(0xf0));
        CHECK_EQ(call1(&t, flog, 0), 0);
        CHECK_EQ(call1(&t, flog, 1), 0);
        CHECK_EQ(call1(&t, flog, 2), 1);
        CHECK_EQ(call1(&t, flog, 3), 1);
        CHECK_EQ(call1(&t, flog, 0x1000), 12);
        CHECK_EQ(call1(&t, flog, 0x1fff), 12);
        CHECK_EQ(call1(&t, flog, MAX), 63);
    }
    t_end(&t);
}

/* sc_OP(c) -> u64 { local n; r = <c OP bump(&n)>; return r * 100 + n }:
 * n counts how often bump ran. */
static void test_short_circuit(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    LFn *bump = make_bump(&t);
    enum { AND, OR, IMPL, ITE, NK };
    LFn *fs[NK];
    for (int k = 0; k < NK; k++) {
        LFn *f = fs[k] = fn(&t, arena_printf(&t.a, "sc%d", k), U64);
        int c = lir_param(m, f, "c", U64);
        int n = lir_local(m, f, "n", U64);
        int r = lir_local(m, f, "r", U64);
        LB b;
        lb_begin(&b, m, f);
        LExpr *call = lx_callv(m, bump, lx_addr(m, LV(&b, n)), NULL);
        LExpr *e = k == AND    ? lx_bin(m, OP_LAND, LV(&b, c), call)
                   : k == OR   ? lx_bin(m, OP_LOR, LV(&b, c), call)
                   : k == IMPL ? lx_bin(m, OP_IMPLIES, LV(&b, c), call)
                               : lx_ite(m, LV(&b, c), call, lx_num(m, 3));
        lb_set(&b, r, e);
        lb_ret(&b, lx_bin(m, OP_ADD, lx_bin(m, OP_MUL, LV(&b, r), lx_num(m, 100)), LV(&b, n)));
        lir_place(m, f);
    }
    if (t_run(&t)) {
        CHECK_EQ(call1(&t, fs[AND], 0), 0);       /* bump skipped */
        CHECK_EQ(call1(&t, fs[AND], 9), 101);
        CHECK_EQ(call1(&t, fs[OR], 9), 100);      /* bump skipped */
        CHECK_EQ(call1(&t, fs[OR], 0), 101);
        CHECK_EQ(call1(&t, fs[IMPL], 0), 100);    /* bump skipped */
        CHECK_EQ(call1(&t, fs[IMPL], 2), 101);
        CHECK_EQ(call1(&t, fs[ITE], 1), 701);
        CHECK_EQ(call1(&t, fs[ITE], 0), 300);     /* bump skipped */
    }
    t_end(&t);
}

/* ---- control flow ---------------------------------------------------------------------- */

static void test_loops(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    /* sum(n) { i = 0; s = 0; while (1) { if (i == n) break; if (i == 10)
     * break; s = s + i; i = i + 1 } return s } */
    LFn *sum = fn(&t, "sum", U64);
    {
        int n = lir_param(m, sum, "n", U64);
        int i = lir_local(m, sum, "i", U64);
        int s = lir_local(m, sum, "s", U64);
        LB b;
        lb_begin(&b, m, sum);
        lb_while(&b, lx_numk(m, 1, LK_BOOL));
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, i), LV(&b, n)));
        lb_break(&b);
        lb_end(&b);
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, i), lx_num(m, 10)));
        lb_break(&b);
        lb_end(&b);
        lb_set(&b, s, lx_bin(m, OP_ADD, LV(&b, s), LV(&b, i)));
        lb_set(&b, i, lx_bin(m, OP_ADD, LV(&b, i), lx_num(m, 1)));
        lb_end(&b);
        lb_ret(&b, LV(&b, s));
        lir_place(m, sum);
    }
    /* nest(n) { i = 0; c = 0; while (i < n) { j = 0; while (1) { if (j ==
     * i) break; j = j + 1; c = c + 1 } i = i + 1 } return c }: break leaves
     * the inner loop only */
    LFn *nest = fn(&t, "nest", U64);
    {
        int n = lir_param(m, nest, "n", U64);
        int i = lir_local(m, nest, "i", U64);
        int j = lir_local(m, nest, "j", U64);
        int c = lir_local(m, nest, "c", U64);
        LB b;
        lb_begin(&b, m, nest);
        lb_while(&b, lx_bin(m, OP_LT, LV(&b, i), LV(&b, n)));
        lb_set(&b, j, lx_num(m, 0));
        lb_while(&b, lx_numk(m, 1, LK_BOOL));
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, j), LV(&b, i)));
        lb_break(&b);
        lb_end(&b);
        lb_set(&b, j, lx_bin(m, OP_ADD, LV(&b, j), lx_num(m, 1)));
        lb_set(&b, c, lx_bin(m, OP_ADD, LV(&b, c), lx_num(m, 1)));
        lb_end(&b);
        lb_set(&b, i, lx_bin(m, OP_ADD, LV(&b, i), lx_num(m, 1)));
        lb_end(&b);
        lb_ret(&b, LV(&b, c));
        lir_place(m, nest);
    }
    /* sel(x) { if (x) { return 1 } else { if (x == 0) { } } return 2 }:
     * if/else, an empty block, return from inside a block */
    LFn *sel = fn(&t, "sel", U64);
    {
        int x = lir_param(m, sel, "x", U64);
        LB b;
        lb_begin(&b, m, sel);
        lb_if(&b, LV(&b, x));
        lb_ret(&b, lx_num(m, 1));
        lb_else(&b);
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, x), lx_num(m, 0)));
        lb_end(&b);
        lb_end(&b);
        lb_ret(&b, lx_num(m, 2));
        lir_place(m, sel);
    }
    /* off(x) -> u64 { x = x + 1 }: falling off the end returns 0 */
    LFn *off = fn(&t, "off", U64);
    {
        int x = lir_param(m, off, "x", U64);
        LB b;
        lb_begin(&b, m, off);
        lb_set(&b, x, lx_bin(m, OP_ADD, LV(&b, x), lx_num(m, 1)));
        lir_place(m, off);
    }
    if (t_run(&t)) {
        CHECK_EQ(call1(&t, sum, 0), 0);
        CHECK_EQ(call1(&t, sum, 5), 10);
        CHECK_EQ(call1(&t, sum, 100), 45);
        CHECK_EQ(call1(&t, nest, 0), 0);
        CHECK_EQ(call1(&t, nest, 5), 10);
        CHECK_EQ(call1(&t, nest, 100), 4950);
        CHECK_EQ(call1(&t, sel, 3), 1);
        CHECK_EQ(call1(&t, sel, 0), 2);
        CHECK_EQ(call1(&t, off, 5), 0);
        CHECK(linterp_error(t.in) == NULL);
    }
    t_end(&t);
}

static void test_recursion(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    /* fact(n) { return n <= 1 ? 1 : n * fact(n - 1) } */
    LFn *fact = fn(&t, "fact", U64);
    int n = lir_param(m, fact, "n", U64);
    lir_place(m, fact);
    LB b;
    lb_begin(&b, m, fact);
    lb_ret(&b, lx_ite(m, lx_bin(m, OP_LE, LV(&b, n), lx_num(m, 1)), lx_num(m, 1),
                      lx_bin(m, OP_MUL, LV(&b, n),
                             lx_callv(m, fact, lx_bin(m, OP_SUB, LV(&b, n), lx_num(m, 1)), NULL))));
    /* even(n) { if (n == 0) return true; return odd(n - 1) } and odd: mutual
     * recursion, bool results */
    LFn *even = fn(&t, "even", lt(LK_BOOL));
    LFn *odd = fn(&t, "odd", lt(LK_BOOL));
    LFn *eo[2] = { even, odd };
    for (int k = 0; k < 2; k++) {
        int x = lir_param(m, eo[k], "n", U64);
        lir_place(m, eo[k]);
        lb_begin(&b, m, eo[k]);
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, x), lx_num(m, 0)));
        lb_ret(&b, lx_numk(m, k == 0, LK_BOOL));
        lb_end(&b);
        lb_ret(&b, lx_callv(m, eo[1 - k], lx_bin(m, OP_SUB, LV(&b, x), lx_num(m, 1)), NULL));
    }
    if (t_run(&t)) {
        CHECK_EQ(call1(&t, fact, 0), 1);
        CHECK_EQ(call1(&t, fact, 5), 120);
        CHECK_EQ(call1(&t, fact, 20), UINT64_C(2432902008176640000));
        CHECK_EQ(call1(&t, fact, 25), UINT64_C(7034535277573963776));   /* wrapped */
        CHECK_EQ(call1(&t, even, 200), 1);
        CHECK_EQ(call1(&t, odd, 200), 0);
        CHECK_EQ(call1(&t, even, 7), 0);
        CHECK(linterp_error(t.in) == NULL);
    }
    t_end(&t);
}

/* ---- records and pointers -------------------------------------------------------------- */

static void test_records(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    LRec *pt = lir_rec(m, "point", false, noloc);
    int fx = lir_rec_field(m, pt, "x", LK_U64, noloc);
    int fy = lir_rec_field(m, pt, "y", LK_U64, noloc);
    int fz = lir_rec_field(m, pt, "z", LK_BOOL, noloc);
    LB b;
    /* sum3(p: point*) { return p->x + p->y + p->z } */
    LFn *sum3 = fn(&t, "sum3", U64);
    {
        int p = lir_param(m, sum3, "p", lt_prec(pt));
        lb_begin(&b, m, sum3);
        lb_ret(&b, lx_bin(m, OP_ADD, lx_bin(m, OP_ADD, lx_field(m, LV(&b, p), fx),
                                            lx_field(m, LV(&b, p), fy)),
                          lx_field(m, LV(&b, p), fz)));
        lir_place(m, sum3);
    }
    /* set(p: point*, v) { p->y = v; p->z = v } (z is a bool: stores 0/1) */
    LFn *set = fn(&t, "set", lt(LK_VOID));
    {
        int p = lir_param(m, set, "p", lt_prec(pt));
        int v = lir_param(m, set, "v", U64);
        lb_begin(&b, m, set);
        lb_assign(&b, lx_field(m, LV(&b, p), fy), LV(&b, v));
        lb_assign(&b, lx_field(m, LV(&b, p), fz), LV(&b, v));
        lb_ret(&b, NULL);
        lir_place(m, set);
    }
    /* mk(x) { local q: point; q.x = x; set(&q, 2 * x); return sum3(&q) } */
    LFn *mk = fn(&t, "mk", U64);
    {
        int x = lir_param(m, mk, "x", U64);
        int q = lir_local(m, mk, "q", lt_rec(pt));
        lb_begin(&b, m, mk);
        lb_assign(&b, lx_field(m, LV(&b, q), fx), LV(&b, x));
        lb_expr(&b, lx_callv(m, set, lx_addr(m, LV(&b, q)), lx_bin(m, OP_MUL, LV(&b, x), lx_num(m, 2)),
                             NULL));
        lb_ret(&b, lx_callv(m, sum3, lx_addr(m, LV(&b, q)), NULL));
        lir_place(m, mk);
    }
    /* peek() { local r: point; local k; s = r.x | r.y | r.z | k; r.x = 99;
     * r.y = 99; k = 5; return s }: locals start at 0 on every call */
    LFn *peek = fn(&t, "peek", U64);
    {
        int r = lir_local(m, peek, "r", lt_rec(pt));
        int k = lir_local(m, peek, "k", U64);
        int s = lir_local(m, peek, "s", U64);
        lb_begin(&b, m, peek);
        lb_set(&b, s, lx_bin(m, OP_BOR,
                             lx_bin(m, OP_BOR, lx_field(m, LV(&b, r), fx), lx_field(m, LV(&b, r), fy)),
                             lx_bin(m, OP_BOR, lx_field(m, LV(&b, r), fz), LV(&b, k))));
        lb_assign(&b, lx_field(m, LV(&b, r), fx), lx_num(m, 99));
        lb_assign(&b, lx_field(m, LV(&b, r), fy), lx_num(m, 99));
        lb_set(&b, k, lx_num(m, 5));
        lb_ret(&b, LV(&b, s));
        lir_place(m, peek);
    }
    /* copy() { local a: point; local c: point; a.x = 1; c = a; c.x = 2;
     * return a.x * 10 + c.x }: a record assigned whole is copied */
    LFn *copy = fn(&t, "copy", U64);
    {
        int a = lir_local(m, copy, "a", lt_rec(pt));
        int c = lir_local(m, copy, "c", lt_rec(pt));
        lb_begin(&b, m, copy);
        lb_assign(&b, lx_field(m, LV(&b, a), fx), lx_num(m, 1));
        lb_set(&b, c, LV(&b, a));
        lb_assign(&b, lx_field(m, LV(&b, c), fx), lx_num(m, 2));
        lb_ret(&b, lx_bin(m, OP_ADD, lx_bin(m, OP_MUL, lx_field(m, LV(&b, a), fx), lx_num(m, 10)),
                          lx_field(m, LV(&b, c), fx)));
        lir_place(m, copy);
    }
    if (t_run(&t)) {
        uint64_t ctx[3] = { 1, 2, 3 };
        CHECK_EQ(call1(&t, sum3, ptr(ctx)), 6);
        CHECK_EQ(call2(&t, set, ptr(ctx), 40), 0);
        CHECK_EQ(ctx[0], 1);
        CHECK_EQ(ctx[1], 40);
        CHECK_EQ(ctx[2], 1);
        CHECK_EQ(call0(&t, peek), 0);
        CHECK_EQ(call1(&t, mk, 5), 5 + 10 + 1);
        CHECK_EQ(call0(&t, peek), 0);
        CHECK_EQ(call0(&t, peek), 0);
        CHECK_EQ(call0(&t, copy), 12);
        CHECK(linterp_error(t.in) == NULL);
    }
    t_end(&t);
}

static void test_out_params(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    LRec *pair = lir_rec(m, "pair", false, noloc);
    int f0 = lir_rec_field(m, pair, "q", LK_U64, noloc);
    int f1 = lir_rec_field(m, pair, "r", LK_U64, noloc);
    LB b;
    /* divmod(a, d, q: u64*, r: u64*) -> bool { if (d == 0) return false;
     * *q = a / d; *r = a % d; return true } */
    LFn *divmod = fn(&t, "divmod", lt(LK_BOOL));
    {
        int a = lir_param(m, divmod, "a", U64);
        int d = lir_param(m, divmod, "d", U64);
        int q = lir_param(m, divmod, "q", lt_ptr(LK_U64));
        int r = lir_param(m, divmod, "r", lt_ptr(LK_U64));
        lb_begin(&b, m, divmod);
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, d), lx_num(m, 0)));
        lb_ret(&b, lx_numk(m, 0, LK_BOOL));
        lb_end(&b);
        lb_assign(&b, lx_deref(m, LV(&b, q)), lx_bin(m, OP_DIV, LV(&b, a), LV(&b, d)));
        lb_assign(&b, lx_deref(m, LV(&b, r)), lx_bin(m, OP_MOD, LV(&b, a), LV(&b, d)));
        lb_ret(&b, lx_numk(m, 1, LK_BOOL));
        lir_place(m, divmod);
    }
    /* dm(a, d) { local q, r; ok = divmod(a, d, &q, &r); return ok * 10000
     * + q * 100 + r } */
    LFn *dm = fn(&t, "dm", U64);
    {
        int a = lir_param(m, dm, "a", U64);
        int d = lir_param(m, dm, "d", U64);
        int q = lir_local(m, dm, "q", U64);
        int r = lir_local(m, dm, "r", U64);
        int ok = lir_local(m, dm, "ok", lt(LK_BOOL));
        lb_begin(&b, m, dm);
        lb_set(&b, ok, lx_callv(m, divmod, LV(&b, a), LV(&b, d), lx_addr(m, LV(&b, q)),
                                lx_addr(m, LV(&b, r)), NULL));
        lb_ret(&b, lx_bin(m, OP_ADD, lx_bin(m, OP_MUL, LV(&b, ok), lx_num(m, 10000)),
                          lx_bin(m, OP_ADD, lx_bin(m, OP_MUL, LV(&b, q), lx_num(m, 100)), LV(&b, r))));
        lir_place(m, dm);
    }
    /* dmf(a, d) { local p: pair; divmod(a, d, &p.q, &p.r); return p.q * 100
     * + p.r }: out-parameters into fields of a local record */
    LFn *dmf = fn(&t, "dmf", U64);
    {
        int a = lir_param(m, dmf, "a", U64);
        int d = lir_param(m, dmf, "d", U64);
        int p = lir_local(m, dmf, "p", lt_rec(pair));
        lb_begin(&b, m, dmf);
        lb_expr(&b, lx_callv(m, divmod, LV(&b, a), LV(&b, d), lx_addr(m, lx_field(m, LV(&b, p), f0)),
                             lx_addr(m, lx_field(m, LV(&b, p), f1)), NULL));
        lb_ret(&b, lx_bin(m, OP_ADD, lx_bin(m, OP_MUL, lx_field(m, LV(&b, p), f0), lx_num(m, 100)),
                          lx_field(m, LV(&b, p), f1)));
        lir_place(m, dmf);
    }
    /* setb(p: bool*, v) -> bool { *p = v; return v }: a bool out-parameter
     * is a 64-bit word, and a bool stored or returned is 0/1 */
    LFn *setb = fn(&t, "setb", lt(LK_BOOL));
    {
        int p = lir_param(m, setb, "p", lt_ptr(LK_BOOL));
        int v = lir_param(m, setb, "v", U64);
        lb_begin(&b, m, setb);
        lb_assign(&b, lx_deref(m, LV(&b, p)), LV(&b, v));
        lb_ret(&b, LV(&b, v));
        lir_place(m, setb);
    }
    if (t_run(&t)) {
        CHECK_EQ(call2(&t, dm, 47, 5), 10000 + 900 + 2);
        CHECK_EQ(call2(&t, dm, 47, 0), 0);
        CHECK_EQ(call2(&t, dmf, 47, 5), 902);
        uint64_t q = 0, r = 0;
        uint64_t args[4] = { 1234, 100, ptr(&q), ptr(&r) };
        CHECK_EQ(linterp_call(t.in, divmod, args), 1);
        CHECK_EQ(q, 12);
        CHECK_EQ(r, 34);
        uint64_t w = MAX;
        CHECK_EQ(call2(&t, setb, ptr(&w), 6), 1);
        CHECK_EQ(w, 1);
        CHECK_EQ(call2(&t, setb, ptr(&w), 0), 0);
        CHECK_EQ(w, 0);
        CHECK(linterp_error(t.in) == NULL);
    }
    t_end(&t);
}

/* chain(n, up: u64*) { local big: rec; local s; *up = *up + n; if (n == 0)
 * return 0; s = chain(n - 1, &big.last); return s + big.last }: frames
 * larger than, or filling, a chunk of the frame stack keep their addresses
 * while callees write into them. */
static void test_big_frames(void)
{
    static const int sizes[] = { 5000, 20000 };
    for (int z = 0; z < 2; z++) {
        T t;
        t_begin(&t);
        LModule *m = t.m;
        LRec *big = lir_rec(m, "big", false, noloc);
        int last = 0;
        for (int i = 0; i < sizes[z]; i++)
            last = lir_rec_field(m, big, arena_printf(&t.a, "f%d", i), LK_U64, noloc);
        LFn *chain = fn(&t, "chain", U64);
        int n = lir_param(m, chain, "n", U64);
        int up = lir_param(m, chain, "up", lt_ptr(LK_U64));
        int bg = lir_local(m, chain, "big", lt_rec(big));
        int s = lir_local(m, chain, "s", U64);
        lir_place(m, chain);
        LB b;
        lb_begin(&b, m, chain);
        lb_assign(&b, lx_deref(m, LV(&b, up)), lx_bin(m, OP_ADD, lx_deref(m, LV(&b, up)), LV(&b, n)));
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, n), lx_num(m, 0)));
        lb_ret(&b, lx_num(m, 0));
        lb_end(&b);
        lb_set(&b, s, lx_callv(m, chain, lx_bin(m, OP_SUB, LV(&b, n), lx_num(m, 1)),
                               lx_addr(m, lx_field(m, LV(&b, bg), last)), NULL));
        lb_ret(&b, lx_bin(m, OP_ADD, LV(&b, s), lx_field(m, LV(&b, bg), last)));
        if (t_run(&t)) {
            for (int rep = 0; rep < 2; rep++) {
                uint64_t top = 0;
                CHECK_EQ(call2(&t, chain, 30, ptr(&top)), 29 * 30 / 2);
                CHECK_EQ(top, 30);
                CHECK_EQ(call2(&t, chain, 3, ptr(&top)), 3);
            }
            CHECK(linterp_error(t.in) == NULL);
        }
        t_end(&t);
    }
}

/* ---- the env ----------------------------------------------------------------------------- */

static void test_memory(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    static const unsigned widths[] = { 1, 2, 4, 8 };
    LFn *rd[4], *wr[4];
    LB b;
    for (int i = 0; i < 4; i++) {
        /* rdW(env, pa) { return env.mem_readW(pa) } */
        LFn *f = rd[i] = fn(&t, arena_printf(&t.a, "rd%u", widths[i]), U64);
        int env = lir_param(m, f, "env", lt(LK_ENV));
        int pa = lir_param(m, f, "pa", U64);
        lb_begin(&b, m, f);
        lb_ret(&b, lx_env(m, LENV_MEM_READ, widths[i], 0, LV(&b, env), LV(&b, pa), NULL));
        lir_place(m, f);
        /* wrW(env, pa, v) { env.mem_writeW(pa, v) } */
        f = wr[i] = fn(&t, arena_printf(&t.a, "wr%u", widths[i]), lt(LK_VOID));
        env = lir_param(m, f, "env", lt(LK_ENV));
        pa = lir_param(m, f, "pa", U64);
        int v = lir_param(m, f, "v", U64);
        lb_begin(&b, m, f);
        lb_expr(&b, lx_env(m, LENV_MEM_WRITE, widths[i], 0, LV(&b, env), LV(&b, pa), LV(&b, v), NULL));
        lir_place(m, f);
    }
    uint8_t ram[64];
    memset(ram, 0, sizeof ram);
    t.mem = (EngineMem){ ram, sizeof ram, 0, 0 };
    if (t_run(&t)) {
        /* page-table memory needs no env */
        call3(&t, wr[3], 0, 8, UINT64_C(0x1122334455667788));
        uint64_t v64;
        memcpy(&v64, ram + 8, 8);
        CHECK_EQ(v64, UINT64_C(0x1122334455667788));
        uint8_t v8;
        uint16_t v16;
        uint32_t v32;
        memcpy(&v8, ram + 9, 1);
        memcpy(&v16, ram + 9, 2);      /* unaligned */
        memcpy(&v32, ram + 10, 4);
        CHECK_EQ(call2(&t, rd[0], 0, 9), v8);
        CHECK_EQ(call2(&t, rd[1], 0, 9), v16);
        CHECK_EQ(call2(&t, rd[2], 0, 10), v32);
        CHECK_EQ(call2(&t, rd[3], 0, 8), UINT64_C(0x1122334455667788));
        /* writes truncate to their width */
        call3(&t, wr[1], 0, 0, 0xabcdef);
        call3(&t, wr[0], 0, 3, 0x1ff);
        CHECK_EQ(call2(&t, rd[1], 0, 0), 0xcdef);
        CHECK_EQ(ram[2], 0);
        CHECK_EQ(ram[3], 0xff);
        call3(&t, wr[2], 0, 16, MAX);
        CHECK_EQ(call2(&t, rd[3], 0, 16), 0xffffffff);
        /* the last bytes are inside */
        call3(&t, wr[3], 0, 56, 42);
        CHECK_EQ(call2(&t, rd[3], 0, 56), 42);
        CHECK_EQ(call2(&t, rd[0], 0, 63), 0);
        CHECK_EQ(t.mem.faults, 0);
        /* outside: read 0, write nothing, counted, the first address kept */
        CHECK_EQ(call2(&t, rd[3], 0, 60), 0);
        CHECK_EQ(t.mem.faults, 1);
        CHECK_EQ(t.mem.fault_pa, 60);
        uint8_t before[sizeof ram];
        memcpy(before, ram, sizeof ram);
        call3(&t, wr[3], 0, 64, MAX);
        call3(&t, wr[1], 0, 63, MAX);
        call3(&t, wr[3], 0, MAX - 2, MAX);      /* pa + width overflows */
        call3(&t, wr[0], 0, MAX, MAX);
        CHECK_EQ(call2(&t, rd[0], 0, UINT64_C(1) << 40), 0);
        CHECK(memcmp(before, ram, sizeof ram) == 0);
        CHECK_EQ(t.mem.faults, 6);
        CHECK_EQ(t.mem.fault_pa, 60);
        CHECK(linterp_error(t.in) == NULL);
    }
    t_end(&t);
}

/* The other env operations on a hosted env, with the env read from a
 * driver-style context record (field 0). */
static void test_hosted_env(void)
{
    vrs_hosted *h = vrs_hosted_new(1 << 20);
    CHECK(h != NULL);
    if (!h)
        return;
    T t;
    t_begin(&t);
    LModule *m = t.m;
    LRec *ctx = lir_rec(m, "ctx", true, noloc);
    int fenv = lir_rec_field(m, ctx, "env", LK_ENV, noloc);
    LB b;
#define ENV(bp, c) lx_field(m, LV(bp, c), fenv)
    /* alloc(c: ctx*, bytes, align) { local pa; if (!env.alloc_table(bytes,
     * align, &pa)) return MAX; env.mem_write8(pa + 8, 0x55); return pa } */
    LFn *alloc = fn(&t, "alloc", U64);
    {
        int c = lir_param(m, alloc, "c", lt_prec(ctx));
        int by = lir_param(m, alloc, "bytes", U64);
        int al = lir_param(m, alloc, "align", U64);
        int pa = lir_local(m, alloc, "pa", U64);
        lb_begin(&b, m, alloc);
        lb_if(&b, lx_not(m, lx_env(m, LENV_ALLOC_TABLE, 0, 0, ENV(&b, c), LV(&b, by), LV(&b, al),
                                   lx_addr(m, LV(&b, pa)), NULL)));
        lb_ret(&b, lx_num(m, MAX));
        lb_end(&b);
        lb_expr(&b, lx_env(m, LENV_MEM_WRITE, 8, 0, ENV(&b, c),
                           lx_bin(m, OP_ADD, LV(&b, pa), lx_num(m, 8)), lx_num(m, 0x55), NULL));
        lb_ret(&b, LV(&b, pa));
        lir_place(m, alloc);
    }
    /* misc(c: ctx*, pa, v) { env.free_table(pa, 4096); env.tlb_invalidate(v,
     * 8192); env.reg_write#3(v); env.instr#2(); env.barrier();
     * env.mmio_write4(64, v); return env.reg_read#3() + env.mmio_read2(64) } */
    LFn *misc = fn(&t, "misc", U64);
    {
        int c = lir_param(m, misc, "c", lt_prec(ctx));
        int pa = lir_param(m, misc, "pa", U64);
        int v = lir_param(m, misc, "v", U64);
        lb_begin(&b, m, misc);
        lb_expr(&b, lx_env(m, LENV_FREE_TABLE, 0, 0, ENV(&b, c), LV(&b, pa), lx_num(m, 4096), NULL));
        lb_expr(&b, lx_env(m, LENV_TLB_INVAL, 0, 0, ENV(&b, c), LV(&b, v), lx_num(m, 8192), NULL));
        lb_expr(&b, lx_env(m, LENV_REG_WRITE, 0, 3, ENV(&b, c), LV(&b, v), NULL));
        lb_expr(&b, lx_env(m, LENV_INSTR, 0, 2, ENV(&b, c), NULL));
        lb_expr(&b, lx_env(m, LENV_BARRIER, 0, 0, ENV(&b, c), NULL));
        lb_expr(&b, lx_env(m, LENV_MMIO_WRITE, 4, 0, ENV(&b, c), lx_num(m, 64), LV(&b, v), NULL));
        lb_ret(&b, lx_bin(m, OP_ADD, lx_env(m, LENV_REG_READ, 0, 3, ENV(&b, c), NULL),
                          lx_env(m, LENV_MMIO_READ, 2, 0, ENV(&b, c), lx_num(m, 64), NULL)));
        lir_place(m, misc);
    }
#undef ENV
    t.mem = (EngineMem){ vrs_hosted_ptr(h, 0, vrs_hosted_phys_bytes(h)), vrs_hosted_phys_bytes(h),
                         0, 0 };
    if (t_run(&t)) {
        uint64_t c[1] = { ptr(vrs_hosted_env(h)) };
        uint64_t pa = call3(&t, alloc, ptr(c), 4096, 4096);
        CHECK(pa != MAX && pa % 4096 == 0);
        uint64_t v = 0;
        CHECK(vrs_hosted_read(h, pa + 8, 8, &v));
        CHECK_EQ(v, 0x55);
        CHECK_EQ(vrs_hosted_get_stats(h).live_tables, 1);
        vrs_hosted_fail_alloc_after(h, 0);
        CHECK_EQ(call3(&t, alloc, ptr(c), 4096, 4096), MAX);
        CHECK_EQ(call3(&t, misc, ptr(c), pa, 0x12345678), 0x12345678 + 0x5678);
        vrs_hosted_stats st = vrs_hosted_get_stats(h);
        CHECK_EQ(st.live_tables, 0);
        CHECK_EQ(st.frees, 1);
        CHECK_EQ(st.failed_allocs, 1);
        CHECK_EQ(st.barriers, 1);
        CHECK_EQ(st.mmio_reads, 1);
        CHECK_EQ(st.mmio_writes, 1);
        CHECK_EQ(*vrs_hosted_reg(h, 3), 0x12345678);
        CHECK_EQ(vrs_hosted_instr_count(h, 2), 1);
        uint64_t va = 0, size = 0;
        CHECK(vrs_hosted_tlb_entry(h, 0, &va, &size));
        CHECK_EQ(va, 0x12345678);
        CHECK_EQ(size, 8192);
        CHECK_EQ(vrs_hosted_errors(h), 0);
        CHECK_EQ(t.mem.faults, 0);
        CHECK(linterp_error(t.in) == NULL);
        /* a null env is an error, not a crash */
        uint64_t c0[1] = { 0 };
        CHECK_EQ(call3(&t, misc, ptr(c0), 0, 1), 0);
        CHECK(linterp_error(t.in) != NULL);
        CHECK_EQ(vrs_hosted_get_stats(h).barriers, 1);
    }
    t_end(&t);
    vrs_hosted_free(h);
}

/* ---- limits and errors ----------------------------------------------------------------- */

static void test_limits(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    LFn *bump = make_bump(&t);
    LB b;
    /* down(n, p: u64*) { if (n == 0) return bump(p); return down(n - 1, p)
     * + 1 }: n + 1 frames deep, the last one with an effect */
    LFn *down = fn(&t, "down", U64);
    {
        int n = lir_param(m, down, "n", U64);
        int p = lir_param(m, down, "p", lt_ptr(LK_U64));
        lir_place(m, down);
        lb_begin(&b, m, down);
        lb_if(&b, lx_bin(m, OP_EQ, LV(&b, n), lx_num(m, 0)));
        lb_ret(&b, lx_callv(m, bump, LV(&b, p), NULL));
        lb_end(&b);
        lb_ret(&b, lx_bin(m, OP_ADD, lx_callv(m, down, lx_bin(m, OP_SUB, LV(&b, n), lx_num(m, 1)),
                                              LV(&b, p), NULL),
                          lx_num(m, 1)));
    }
    /* spin(p: u64*) { while (true) { } }, and spin2 counting in *p */
    LFn *spin = fn(&t, "spin", U64);
    {
        lir_param(m, spin, "p", lt_ptr(LK_U64));
        lb_begin(&b, m, spin);
        lb_while(&b, lx_numk(m, 1, LK_BOOL));
        lb_end(&b);
        lb_ret(&b, lx_num(m, 1));
        lir_place(m, spin);
    }
    LFn *spin2 = fn(&t, "spin2", U64);
    {
        int p = lir_param(m, spin2, "p", lt_ptr(LK_U64));
        lb_begin(&b, m, spin2);
        lb_while(&b, lx_numk(m, 1, LK_BOOL));
        lb_expr(&b, lx_callv(m, bump, LV(&b, p), NULL));
        lb_end(&b);
        lb_ret(&b, lx_num(m, 1));
        lir_place(m, spin2);
    }
    /* a function never placed in the module */
    LFn *stray = fn(&t, "stray", U64);
    if (t_run(&t)) {
        uint64_t hits = 0;
        /* 256 frames: the limit itself is allowed */
        CHECK_EQ(call2(&t, down, 254, ptr(&hits)), 254 + 7);
        CHECK_EQ(hits, 1);
        CHECK(linterp_error(t.in) == NULL);
        /* 257: stopped before bump, result 0 */
        CHECK_EQ(call2(&t, down, 255, ptr(&hits)), 0);
        CHECK_EQ(hits, 1);
        const char *err = linterp_error(t.in);
        CHECK(err != NULL && strstr(err, "depth") != NULL);
        /* the error stays until cleared; the interpreter still works */
        CHECK_EQ(call2(&t, down, 3, ptr(&hits)), 3 + 7);
        CHECK(linterp_error(t.in) == err);
        linterp_clear_error(t.in);
        CHECK(linterp_error(t.in) == NULL);
        CHECK_EQ(call2(&t, down, 100000, ptr(&hits)), 0);
        CHECK(linterp_error(t.in) != NULL);
        linterp_clear_error(t.in);

        linterp_set_budget(t.in, 100000);
        CHECK_EQ(call1(&t, spin, ptr(&hits)), 0);
        err = linterp_error(t.in);
        CHECK(err != NULL && strstr(err, "budget") != NULL);
        linterp_clear_error(t.in);
        hits = 0;
        CHECK_EQ(call1(&t, spin2, ptr(&hits)), 0);
        CHECK(hits > 1000 && hits < 100000);
        CHECK(linterp_error(t.in) != NULL);
        linterp_clear_error(t.in);
        /* the budget is per top-level call */
        linterp_set_budget(t.in, 1000);
        for (int i = 0; i < 20; i++)
            CHECK_EQ(call2(&t, down, 200, ptr(&hits)), 207);
        CHECK(linterp_error(t.in) == NULL);

        CHECK_EQ(call0(&t, stray), 0);
        CHECK(linterp_error(t.in) != NULL);
        linterp_clear_error(t.in);
        CHECK_EQ(linterp_call(t.in, down, NULL), 0);
        CHECK(linterp_error(t.in) != NULL);
    }
    t_end(&t);
}

/* What lir_check refuses must not crash the interpreter either. */
static void test_bad_module(void)
{
    T t;
    t_begin(&t);
    LModule *m = t.m;
    LFn *f = fn(&t, "bad", U64);
    int x = lir_param(m, f, "x", U64);
    LB b;
    lb_begin(&b, m, f);
    lb_set(&b, x, lx_num(m, 1));
    LExpr *e = lx_slot(m, f, 0);
    e->slot = 99;
    lb_ret(&b, e);
    lir_place(m, f);
    LFn *g = fn(&t, "bad2", U64);
    lb_begin(&b, m, g);
    lb_assign(&b, lx_num(m, 3), lx_num(m, 4));
    lb_ret(&b, lx_field(m, lx_num(m, 8), 0));
    lir_place(m, g);
    CHECK(!lir_check(m, NULL));
    t.in = linterp_new(m, &t.mem);
    CHECK(t.in != NULL);
    if (t.in) {
        CHECK_EQ(call1(&t, f, 5), 0);
        CHECK(linterp_error(t.in) != NULL);
        linterp_clear_error(t.in);
        CHECK_EQ(call0(&t, g), 0);
        CHECK(linterp_error(t.in) != NULL);
    }
    t_end(&t);
}

int main(void)
{
    test_binops();
    test_unops();
    test_short_circuit();
    test_loops();
    test_recursion();
    test_records();
    test_out_params();
    test_big_frames();
    test_memory();
    test_hosted_env();
    test_limits();
    test_bad_module();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
