/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engines_diff.c - one driver, three backends, the same answers.
 *
 * The spec is compiled in-process down to LIR (load, check, synthesize and
 * prove, lower), then the same random operation sequence runs through
 *   - the compiled C driver that `vrsc build` generated (tests/driver/'s
 *     library for this arch, built with DRV_X86_64 or DRV_X86_32),
 *   - the LIR interpreter (lir_interp.c),
 *   - the JIT (jit.c; skipped with a note when vrsc has no libgccjit),
 * each over its own hosted memory. Every status, `done` count and resolve
 * answer must be equal, and every 500 operations (and at the end) the
 * three simulated memories must be byte-identical, with the same tables
 * live. Usage: engines_diff SPEC NOPS SEED. Prints "N passed, N failed".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "diag.h"
#include "engine.h"
#include "ir.h"
#include "lir.h"
#include "pipeline.h"
#include "vrs_hosted.h"

#define MEM (UINT64_C(64) << 20)

typedef struct Side {
    const char *name;
    vrs_hosted *h;
    EngineMem   mem;
    uint64_t    ctx[16];
    LInterp    *in;
    Jit        *jit;
} Side;

static const LRoot *root;
static long failures, checks;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t rnd(uint64_t n)
{
    return n ? rnd64() % n : 0;
}

static uint64_t call(Side *s, const LFn *f, const uint64_t *args)
{
    if (s->in) {
        uint64_t r = linterp_call(s->in, f, args);
        if (linterp_error(s->in)) {
            fprintf(stderr, "interp: %s: %s\n", f->name, linterp_error(s->in));
            failures++;
            linterp_clear_error(s->in);
        }
        return r;
    }
    return jit_call(s->jit, f, args);
}

static void fail(long op, const char *what, const char *side, uint64_t want, uint64_t got)
{
    if (failures++ < 20)
        fprintf(stderr, "op %ld: %s: %s gives 0x%" PRIx64 ", the C driver 0x%" PRIx64 "\n", op, what, side,
                got, want);
}

static void expect(long op, const char *what, const Side *s, uint64_t want, uint64_t got)
{
    checks++;
    if (want != got)
        fail(op, what, s->name, want, got);
}

static void compare_memory(long op, vrs_hosted *c, Side *sides, int n)
{
    const uint8_t *cm = vrs_hosted_ptr(c, 0, MEM);
    vrs_hosted_stats cs = vrs_hosted_get_stats(c);
    for (int i = 0; i < n; i++) {
        const uint8_t *sm = vrs_hosted_ptr(sides[i].h, 0, MEM);
        vrs_hosted_stats ss = vrs_hosted_get_stats(sides[i].h);
        checks++;
        if (memcmp(cm, sm, MEM) != 0) {
            uint64_t at = 0;
            while (cm[at] == sm[at])
                at++;
            fail(op, "memory byte", sides[i].name, cm[at], sm[at]);
            fprintf(stderr, "  (first difference at pa 0x%" PRIx64 ")\n", at);
        }
        expect(op, "live tables", &sides[i], cs.live_tables, ss.live_tables);
        expect(op, "tlb invalidations", &sides[i], cs.tlb_invalidations, ss.tlb_invalidations);
        expect(op, "memory faults", &sides[i], 0, sides[i].mem.faults);
    }
}

static uint64_t rand_flags(void)
{
    return rnd64() & ARCH_ALL_FLAGS;
}

/* a size: mostly small pages, sometimes large pieces and odd lengths */
static uint64_t rand_size(void)
{
    switch (rnd(8)) {
    case 0:
        return arch_model.page_size[1];
    case 1:
        return arch_model.page_size[1] * (1 + rnd(3)) + KiB(4) * rnd(4);
    case 2:
        return KiB(4) * (1 + rnd(1024));
    case 3:
        /* the largest page: rare, every page under it costs the interpreter */
        return rnd(16) == 0 ? arch_model.page_size[arch_model.nsizes - 1] : arch_model.page_size[1];
    default:
        return KiB(4) * (1 + rnd(8));
    }
}

static uint64_t rand_va(void)
{
    uint64_t zone = ARCH_WIN_LO + rnd((ARCH_WIN_HI - ARCH_WIN_LO) / ARCH_ZONE) * ARCH_ZONE;
    uint64_t a = rnd(4) == 0 ? arch_model.page_size[1] : KiB(4);
    return zone + rnd(ARCH_ZONE / a) * a;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: engines_diff SPEC NOPS SEED\n");
        return 2;
    }
    long nops = strtol(argv[2], NULL, 0);
    rng ^= strtoull(argv[3], NULL, 0) * 0x2545f4914f6cdd1du;

    /* the spec, down to LIR */
    Arena a;
    arena_init(&a);
    Diag d;
    diag_init(&d, stderr, COLOR_NEVER);
    LModule *m = pipeline_lir(&a, &d, argv[1], ARCH_NAME, NULL, NULL);
    if (!m || m->roots.len != 1) {
        fprintf(stderr, "engines_diff: %s does not compile to one root driver\n", argv[1]);
        return 1;
    }
    root = m->roots.items[0];

    /* the C driver and the engines, each over its own memory */
    vrs_hosted *ch = vrs_hosted_new(MEM);
    drv_ctx cctx;
    memset(&cctx, 0, sizeof cctx);
    cctx.env = vrs_hosted_env(ch);
    Side sides[2];
    int nsides = 0;
    for (int k = 0; k < 2; k++) {
        Side *s = &sides[nsides];
        memset(s, 0, sizeof *s);
        s->name = k ? "the JIT" : "the interpreter";
        s->h = vrs_hosted_new(MEM);
        s->mem.base = vrs_hosted_ptr(s->h, 0, MEM);
        s->mem.size = MEM;
        s->ctx[0] = (uint64_t)(uintptr_t)vrs_hosted_env(s->h);
        if (k == 0) {
            s->in = linterp_new(m, &s->mem);
        } else {
            const char *err = NULL;
            if (!jit_available()) {
                printf("engines_diff: no libgccjit in this build: the JIT is not compared\n");
                vrs_hosted_free(s->h);
                continue;
            }
            s->jit = jit_compile(m, &s->mem, &err);
            if (!s->jit) {
                fprintf(stderr, "engines_diff: jit_compile: %s\n", err);
                return 1;
            }
            printf("engines_diff: JIT compile of %d functions: %.1f ms\n", m->fns.len, jit_compile_ms(s->jit));
        }
        nsides++;
    }

    drv_status cs = DRV(init)(&cctx);
    for (int i = 0; i < nsides; i++) {
        uint64_t args[1] = { (uint64_t)(uintptr_t)sides[i].ctx };
        expect(-1, "init", &sides[i], (uint64_t)cs, call(&sides[i], root->init, args));
    }
    compare_memory(-1, ch, sides, nsides);

    long counts[4] = { 0 };
    for (long op = 0; op < nops; op++) {
        int kind = (int)rnd(4);
        uint64_t va = rand_va(), size = rand_size(), flags = rand_flags();
        uint64_t pa = rnd(ARCH_PA_RANGE / KiB(4)) * KiB(4);
        if (rnd(3) == 0)   /* aligned pa for large pages */
            pa &= ~(arch_model.page_size[1] - 1);
        if (rnd(50) == 0)  /* a bad argument now and then */
            va |= 0x800;
        counts[kind]++;
        uint64_t cdone = 0, done = 0, cpa = 0, cfl = 0, cps = 0, p = 0, f = 0, ps = 0;
        uint64_t want = 0;
        switch (kind) {
        case 0:
            want = (uint64_t)DRV(map)(&cctx, va, size, flags, pa, &cdone);
            break;
        case 1:
            want = (uint64_t)DRV(unmap)(&cctx, va, size, &cdone);
            break;
        case 2:
            want = (uint64_t)DRV(protect)(&cctx, va, size, flags, &cdone);
            break;
        default: {
            drv_flags_t cf = 0;
            want = (uint64_t)DRV(resolve)(&cctx, va, &cpa, &cf, &cps);
            cfl = cf;
            break;
        }
        }
        for (int i = 0; i < nsides; i++) {
            Side *s = &sides[i];
            uint64_t ctxp = (uint64_t)(uintptr_t)s->ctx, dp = (uint64_t)(uintptr_t)&done;
            uint64_t got;
            done = p = f = ps = 0;
            if (kind == 0) {
                uint64_t args[6] = { ctxp, va, size, flags, pa, dp };
                got = call(s, root->map, args);
            } else if (kind == 1) {
                uint64_t args[4] = { ctxp, va, size, dp };
                got = call(s, root->unmap, args);
            } else if (kind == 2) {
                uint64_t args[5] = { ctxp, va, size, flags, dp };
                got = call(s, root->protect, args);
            } else {
                uint64_t args[5] = { ctxp, va, (uint64_t)(uintptr_t)&p, (uint64_t)(uintptr_t)&f,
                                     (uint64_t)(uintptr_t)&ps };
                got = call(s, root->resolve, args);
                /* the traced walk reaches the same answer */
                uint64_t trace[LTRACE_LEVEL0 + 16 * LTRACE_PER] = { 0 };
                uint64_t wargs[3] = { ctxp, va, (uint64_t)(uintptr_t)trace };
                expect(op, "walk status", s, want, call(s, root->walk, wargs));
                if (want == 0) {
                    expect(op, "walk pa", s, cpa, trace[LTRACE_PA]);
                    expect(op, "walk flags", s, cfl, trace[LTRACE_FLAGS]);
                    expect(op, "walk page size", s, cps, trace[LTRACE_PSZ]);
                }
                checks++;
                if (trace[LTRACE_LEVELS] == 0 && want != 1)
                    fail(op, "walk levels", s->name, 1, 0);
            }
            static const char *const what[] = { "map status", "unmap status", "protect status", "resolve status" };
            expect(op, what[kind], s, want, got);
            if (kind < 3) {
                expect(op, "done", s, cdone, done);
            } else if (want == 0) {
                expect(op, "resolve pa", s, cpa, p);
                expect(op, "resolve flags", s, cfl, f);
                expect(op, "resolve page size", s, cps, ps);
            }
        }
        if (op % 500 == 499)
            compare_memory(op, ch, sides, nsides);
    }
    compare_memory(nops, ch, sides, nsides);

    /* fini frees everything on every side */
    DRV(fini)(&cctx);
    for (int i = 0; i < nsides; i++) {
        uint64_t args[1] = { (uint64_t)(uintptr_t)sides[i].ctx };
        call(&sides[i], root->fini, args);
    }
    compare_memory(nops + 1, ch, sides, nsides);
    expect(nops + 1, "live tables after fini", &sides[0], 0, vrs_hosted_get_stats(ch).live_tables);

    printf("engines_diff %s: %ld ops (%ld map, %ld unmap, %ld protect, %ld resolve) on C, interpreter%s\n",
           ARCH_NAME, nops, counts[0], counts[1], counts[2], counts[3], nsides > 1 ? ", JIT" : "");
    printf("%ld passed, %ld failed\n", checks - failures, failures);
    for (int i = 0; i < nsides; i++) {
        if (sides[i].in)
            linterp_free(sides[i].in);
        if (sides[i].jit)
            jit_free(sides[i].jit);
        vrs_hosted_free(sides[i].h);
    }
    vrs_hosted_free(ch);
    diag_fini(&d);
    arena_free(&a);
    return failures ? 1 : 0;
}
