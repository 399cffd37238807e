/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * jit_some.c - jit_compile_some and jit_add on a real spec (ctest
 * lir.jit_some): the JIT compiles only the closure of the functions asked
 * for, those answer as the interpreter does, and nothing else is callable.
 *
 * The spec is compiled in-process to LIR through vrsc_core, as
 * engines_diff.c does. Two interpreters over two hosted memories run the
 * same random maps (4 KiB runs, large pages, some that fail), so both
 * memories hold the same populated table. Then:
 *   - jit_compile_some({resolve, walk}) over the second memory: the
 *     entries are callable (jit_call and jit_native), the root's map and a
 *     function the closure compiled but did not export are not (0 / NULL,
 *     and nothing runs); bad arguments give errors, not crashes;
 *   - NADDR random addresses (mapped, unmapped, non-canonical) resolve and
 *     walk alike through the interpreter, jit_call and the native code:
 *     status, pa, flags, page size, and every word of the walk's trace;
 *   - jit_add({map, unmap, protect, fini}) fails with libgccjit's error
 *     when gcc is handed an option it rejects (VRSC_JIT_CFLAGS), and the
 *     Jit is as it was; then it makes the mutators callable;
 *     500 random changes through it and through the interpreter give the
 *     same statuses, `done` counts and, at the end, the same memory.
 * It prints the compile times. Usage: jit_some SPEC NADDR SEED; without
 * libgccjit it prints `skipped` and exits 77.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "engine.h"
#include "ir.h"
#include "lir.h"
#include "pipeline.h"
#include "vrs_hosted.h"
#include "../prng.h"

#define MEM   (UINT64_C(64) << 20)
#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)
/* the window the maps go to: it straddles x86-64's first PML4 boundary */
#define WIN_LO GiB(480)
#define WIN_HI GiB(544)

static long checks, failures;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(bool ok, const char *what, int line)
{
    checks++;
    if (!ok && failures++ < 20)
        fprintf(stderr, "jit_some.c:%d: check failed: %s\n", line, what);
}

static void expect(const char *what, uint64_t va, uint64_t want, uint64_t got)
{
    checks++;
    if (want != got && failures++ < 20)
        fprintf(stderr, "jit_some.c: va %#" PRIx64 ": %s is %#" PRIx64 ", the interpreter's %#" PRIx64 "\n", va,
                what, got, want);
}


/* One engine over its own memory and driver context. */
typedef struct Side {
    vrs_hosted *h;
    EngineMem   mem;
    uint64_t    ctx[16];
    LInterp    *in;
    Jit        *jit;
} Side;

static const LRoot *root;

/* what the first maps mapped, for addresses that hit */
static uint64_t region_va[512], region_size[512];
static int nregions;

static void side_init(Side *s)
{
    memset(s, 0, sizeof *s);
    s->h = vrs_hosted_new(MEM);
    if (!s->h) {
        fprintf(stderr, "jit_some: no hosted memory\n");
        exit(1);
    }
    s->mem.base = vrs_hosted_ptr(s->h, 0, MEM);
    s->mem.size = MEM;
    s->ctx[0] = (uint64_t)(uintptr_t)vrs_hosted_env(s->h);
}

static uint64_t P(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* f through the JIT if the side has one, else the interpreter. */
static uint64_t call(Side *s, const LFn *f, const uint64_t *args)
{
    if (s->jit)
        return jit_call(s->jit, f, args);
    uint64_t r = linterp_call(s->in, f, args);
    if (linterp_error(s->in)) {
        fprintf(stderr, "interp: %s: %s\n", f->name, linterp_error(s->in));
        failures++;
        linterp_clear_error(s->in);
    }
    return r;
}

/* A random change (map, unmap or protect) on both sides, compared. */
static void change(Side *a, Side *b, int kind, bool compare)
{
    static const uint64_t sizes[] = { KiB(4), KiB(4), MiB(2), GiB(1) };
    uint64_t psz = sizes[rnd(4)], n = psz == KiB(4) ? 1 + rnd(64) : 1 + rnd(2);
    uint64_t va = WIN_LO + rnd((WIN_HI - WIN_LO) / psz) * psz, size = psz * n;
    uint64_t pa = rnd(UINT64_C(1) << 40) & ~(psz - 1), flags = rnd(64);
    if (rnd(40) == 0)
        va |= 0x800;   /* a bad argument now and then */
    uint64_t done[2] = { 0, 0 }, st[2];
    Side *sides[2] = { a, b };
    for (int i = 0; i < 2; i++) {
        uint64_t c = P(sides[i]->ctx), d = P(&done[i]);
        if (kind == 0)
            st[i] = call(sides[i], root->map, (uint64_t[]){ c, va, size, flags, pa, d });
        else if (kind == 1)
            st[i] = call(sides[i], root->unmap, (uint64_t[]){ c, va, size, d });
        else
            st[i] = call(sides[i], root->protect, (uint64_t[]){ c, va, size, flags, d });
    }
    if (kind == 0 && st[0] == LIR_OK && nregions < 512) {
        region_va[nregions] = va;
        region_size[nregions++] = size;
    }
    if (compare) {
        expect("change status", va, st[0], st[1]);
        expect("change done", va, done[0], done[1]);
    }
}

/* Half in what was mapped first (some of it since unmapped), the rest
 * anywhere in the window, a few anywhere at all (non-canonical ones
 * included). */
static uint64_t rand_va(void)
{
    uint64_t k = rnd(16);
    if (k == 0)
        return rnd64();
    if (k < 8 && nregions > 0) {
        k = rnd((uint64_t)nregions);
        return region_va[k] + rnd(region_size[k]);
    }
    return WIN_LO + rnd(WIN_HI - WIN_LO);
}

/* The first function f calls (in its body's order), or NULL. */
static LFn *first_callee_e(const LExpr *e)
{
    for (; e; e = e->c) {
        if (e->kind == LE_CALL)
            return e->fn;
        for (int i = 0; i < e->nargs; i++) {
            LFn *g = first_callee_e(e->args[i]);
            if (g)
                return g;
        }
        LFn *g = first_callee_e(e->a);
        if (!g)
            g = first_callee_e(e->b);
        if (g)
            return g;
    }
    return NULL;
}

static LFn *first_callee(const PtrVec *body)
{
    VEC_FOREACH(const LStmt *, s, *body) {
        LFn *g = first_callee_e(s->lhs);
        if (!g)
            g = first_callee_e(s->rhs);
        if (!g)
            g = first_callee(&s->body);
        if (!g)
            g = first_callee(&s->els);
        if (g)
            return g;
    }
    return NULL;
}

typedef uint64_t ResolveFn(uint64_t *ctx, uint64_t va, uint64_t *pa, uint64_t *flags, uint64_t *psz);
typedef uint64_t WalkFn(uint64_t *ctx, uint64_t va, uint64_t *trace);

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: jit_some SPEC NADDR SEED\n");
        return 2;
    }
    long naddr = strtol(argv[2], NULL, 0);
    rng ^= strtoull(argv[3], NULL, 0) * 0x2545f4914f6cdd1du;
    if (!jit_available()) {
        printf("skipped: vrsc was built without libgccjit\n");
        return 77;
    }

    /* the spec, down to LIR */
    Arena a;
    arena_init(&a);
    Diag d;
    FILE *msgs = tmpfile();   /* the spec's warnings are not this test's news */
    diag_init(&d, msgs ? msgs : stderr, COLOR_NEVER);
    LModule *m = pipeline_lir(&a, &d, argv[1], "x86_64", NULL, NULL);
    if (!m || m->roots.len != 1) {
        fprintf(stderr, "jit_some: %s does not compile to one root driver\n", argv[1]);
        return 1;
    }
    root = m->roots.items[0];
    if (!root->init || !root->fini || !root->walk) {
        fprintf(stderr, "jit_some: the root of %s has no table to install, or no walk\n", argv[1]);
        return 1;
    }

    /* two memories with one table, built by two interpreters */
    Side in, jt;
    side_init(&in);
    side_init(&jt);
    in.in = linterp_new(m, &in.mem);
    jt.in = linterp_new(m, &jt.mem);
    CHECK(call(&in, root->init, (uint64_t[]){ P(in.ctx) }) == LIR_OK);
    CHECK(call(&jt, root->init, (uint64_t[]){ P(jt.ctx) }) == LIR_OK);
    for (int i = 0; i < 300; i++)
        change(&in, &jt, i % 10 == 9 ? 1 : 0, true);
    CHECK(memcmp(in.mem.base, jt.mem.base, MEM) == 0);
    linterp_free(jt.in);
    jt.in = NULL;

    /* the query closure */
    const char *err = NULL;
    LFn *query[2] = { root->resolve, root->walk };
    jt.jit = jit_compile_some(m, query, 2, &jt.mem, &err);
    if (!jt.jit) {
        fprintf(stderr, "jit_some: jit_compile_some: %s\n", err ? err : "(no message)");
        return 1;
    }
    printf("jit_some: jit_compile_some of resolve and walk: %.1f ms (of %d functions)\n",
           jit_compile_ms(jt.jit), m->fns.len);
    ResolveFn *nresolve = NULL;
    WalkFn *nwalk = NULL;
    void *code = jit_native(jt.jit, root->resolve), *resolve_code = code;
    memcpy(&nresolve, &code, sizeof code);
    code = jit_native(jt.jit, root->walk);
    memcpy(&nwalk, &code, sizeof code);
    CHECK(nresolve != NULL);
    CHECK(nwalk != NULL);

    /* outside the entries: nothing callable, nothing runs */
    LFn *inner = first_callee(&root->resolve->body);
    CHECK(inner != NULL);
    CHECK(jit_native(jt.jit, inner) == NULL);
    CHECK(jit_native(jt.jit, root->map) == NULL);
    CHECK(jit_native(jt.jit, root->init) == NULL);
    uint64_t done = 7;
    CHECK(jit_call(jt.jit, root->map, (uint64_t[]){ P(jt.ctx), WIN_LO, KiB(4), 0, 0, P(&done) }) == 0);
    CHECK(done == 7);
    CHECK(memcmp(in.mem.base, jt.mem.base, MEM) == 0);

    /* bad arguments: errors, not crashes; the Jit stays as it was */
    err = NULL;
    CHECK(jit_compile_some(m, query, 0, &jt.mem, &err) == NULL && err);
    err = NULL;
    CHECK(jit_compile_some(NULL, query, 2, &jt.mem, &err) == NULL && err);
    err = NULL;
    LFn stranger = *root->map;   /* the same name and id, another function */
    LFn *bad[2] = { root->map, &stranger };
    CHECK(!jit_add(jt.jit, bad, 2, &err) && err);
    CHECK(jit_native(jt.jit, root->map) == NULL);
    CHECK(!jit_add(NULL, query, 2, &err));
    CHECK(jit_add(jt.jit, query, 2, &err));   /* already callable: nothing to do */

    /* the queries agree with the interpreter */
    int tw = root->trace->fields.len;
    uint64_t *tin = calloc((size_t)tw, sizeof *tin), *tj = calloc((size_t)tw, sizeof *tj);
    long mapped = 0;
    for (long i = 0; i < naddr; i++) {
        uint64_t va = rand_va();
        uint64_t w[4] = { 0 }, c[4] = { 0 }, n[4] = { 0 };
        w[0] = call(&in, root->resolve, (uint64_t[]){ P(in.ctx), va, P(&w[1]), P(&w[2]), P(&w[3]) });
        c[0] = call(&jt, root->resolve, (uint64_t[]){ P(jt.ctx), va, P(&c[1]), P(&c[2]), P(&c[3]) });
        n[0] = nresolve(jt.ctx, va, &n[1], &n[2], &n[3]);
        static const char *const what[4] = { "status", "pa", "flags", "page size" };
        for (int k = 0; k < 4; k++) {
            expect(what[k], va, w[k], c[k]);
            expect(what[k], va, w[k], n[k]);
        }
        mapped += w[0] == LIR_OK;
        memset(tin, 0, sizeof *tin * (size_t)tw);
        memset(tj, 0, sizeof *tj * (size_t)tw);
        uint64_t ws = call(&in, root->walk, (uint64_t[]){ P(in.ctx), va, P(tin) });
        expect("walk status", va, ws, i % 2 ? call(&jt, root->walk, (uint64_t[]){ P(jt.ctx), va, P(tj) })
                                            : nwalk(jt.ctx, va, tj));
        checks++;
        if (memcmp(tin, tj, sizeof *tin * (size_t)tw) != 0 && failures++ < 20)
            fprintf(stderr, "jit_some.c: va %#" PRIx64 ": the walks' traces differ\n", va);
    }
    free(tin);
    free(tj);
    CHECK(mapped > naddr / 4);   /* the table is not empty */
    CHECK(jt.mem.faults == 0);

    /* the mutators, added: first with an option gcc rejects, so the real
     * libgccjit fails (its error, and the Jit as it was), then for real */
    double before = jit_compile_ms(jt.jit);
    LFn *mut[4] = { root->map, root->unmap, root->protect, root->fini };
    err = NULL;
    setenv("VRSC_JIT_CFLAGS", "-fno-such-vrsc-option", 1);
    CHECK(!jit_add(jt.jit, mut, 4, &err) && err && strstr(err, "libgccjit"));
    unsetenv("VRSC_JIT_CFLAGS");
    CHECK(jit_native(jt.jit, root->map) == NULL);
    CHECK(jit_native(jt.jit, root->resolve) == resolve_code);
    err = NULL;
    if (!jit_add(jt.jit, mut, 4, &err)) {
        fprintf(stderr, "jit_some: jit_add: %s\n", err ? err : "(no message)");
        return 1;
    }
    printf("jit_some: jit_add of map, unmap, protect and fini: %.1f ms\n", jit_compile_ms(jt.jit) - before);
    CHECK(jit_native(jt.jit, root->map) != NULL);
    CHECK(jit_native(jt.jit, root->resolve) != NULL);   /* the first part stays */
    CHECK(jit_native(jt.jit, root->init) == NULL);
    for (int i = 0; i < 500; i++)
        change(&in, &jt, (int)rnd(3), true);
    CHECK(memcmp(in.mem.base, jt.mem.base, MEM) == 0);
    CHECK(vrs_hosted_get_stats(in.h).live_tables == vrs_hosted_get_stats(jt.h).live_tables);
    call(&in, root->fini, (uint64_t[]){ P(in.ctx) });
    call(&jt, root->fini, (uint64_t[]){ P(jt.ctx) });
    CHECK(vrs_hosted_get_stats(jt.h).live_tables == 0);
    CHECK(memcmp(in.mem.base, jt.mem.base, MEM) == 0);
    CHECK(jt.mem.faults == 0);

    printf("jit_some: %ld addresses (%ld mapped) resolved and walked, 500 changes\n", naddr, mapped);
    printf("%ld passed, %ld failed\n", checks - failures, failures);
    jit_free(jt.jit);
    linterp_free(in.in);
    vrs_hosted_free(in.h);
    vrs_hosted_free(jt.h);
    diag_fini(&d);
    if (msgs)
        fclose(msgs);
    arena_free(&a);
    return failures ? 1 : 0;
}
