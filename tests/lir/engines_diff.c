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
#include "engine_side.h"

#define MEM (UINT64_C(64) << 20)

static const LRoot *root;

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
            if (failures++ < 20)
                fprintf(stderr, "op %ld: %s: memory differs from the C driver's first at pa 0x%" PRIx64 "\n", op,
                        sides[i].name, at);
        }
        expect(op, "live tables", sides[i].name, cs.live_tables, ss.live_tables);
        expect(op, "tlb invalidations", sides[i].name, cs.tlb_invalidations, ss.tlb_invalidations);
        expect(op, "memory faults", sides[i].name, 0, sides[i].mem.faults);
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
    Arena a;
    arena_init(&a);
    long nops = 0;
    int status;
    LModule *m = engine_spec("engines_diff", argc, argv, ARCH_NAME, &a, &nops, &status);
    if (!m)
        return status;
    root = m->roots.items[0];

    /* the C driver and the engines, each over its own memory */
    vrs_hosted *ch = vrs_hosted_new(MEM);
    drv_ctx cctx;
    memset(&cctx, 0, sizeof cctx);
    cctx.env = vrs_hosted_env(ch);
    Side sides[2];
    int nsides = 0;
    for (int k = 0; k < 2; k++) {
        int r = side_open(&sides[nsides], k, m, MEM, "engines_diff");
        if (r < 0)
            return 1;
        if (r == 0)
            nsides++;
    }

    drv_status cs = DRV(init)(&cctx);
    for (int i = 0; i < nsides; i++) {
        uint64_t args[1] = { (uint64_t)(uintptr_t)sides[i].ctx };
        expect(-1, "init", sides[i].name, (uint64_t)cs, side_call(&sides[i], root->init, args));
    }
    compare_memory(-1, ch, sides, nsides);

    long counts[OP_KINDS] = { 0 }, oks[OP_KINDS] = { 0 };
    for (long op = 0; op < nops; op++) {
        int kind = (int)rnd(4);
        uint64_t va = rand_va(), size = rand_size(), flags = rand_flags();
        uint64_t pa = rnd(ARCH_PA_RANGE / KiB(4)) * KiB(4);
        if (rnd(3) == 0)   /* aligned pa for large pages */
            pa &= ~(arch_model.page_size[1] - 1);
        if (rnd(50) == 0)  /* a bad argument now and then */
            va |= 0x800;
        counts[kind]++;
        OpAnswer want = { 0 };
        switch (kind) {
        case OP_MAP:
            want.status = (uint64_t)DRV(map)(&cctx, va, size, flags, pa, &want.done);
            break;
        case OP_UNMAP:
            want.status = (uint64_t)DRV(unmap)(&cctx, va, size, &want.done);
            break;
        case OP_PROTECT:
            want.status = (uint64_t)DRV(protect)(&cctx, va, size, flags, &want.done);
            break;
        default: {
            drv_flags_t cf = 0;
            want.status = (uint64_t)DRV(resolve)(&cctx, va, &want.pa, &cf, &want.psz);
            want.flags = cf;
            break;
        }
        }
        oks[kind] += want.status == LIR_OK;
        for (int i = 0; i < nsides; i++)
            side_op(op, &sides[i], root, kind, va, size, flags, pa, &want);
        if (op % 500 == 499)
            compare_memory(op, ch, sides, nsides);
    }
    compare_memory(nops, ch, sides, nsides);

    /* fini frees everything on every side */
    DRV(fini)(&cctx);
    for (int i = 0; i < nsides; i++) {
        uint64_t args[1] = { (uint64_t)(uintptr_t)sides[i].ctx };
        side_call(&sides[i], root->fini, args);
    }
    compare_memory(nops + 1, ch, sides, nsides);
    expect(nops + 1, "live tables after fini", "the C driver", 0, vrs_hosted_get_stats(ch).live_tables);

    printf("engines_diff %s: %ld ops (%ld map, %ld unmap, %ld protect, %ld resolve) on C, interpreter%s\n",
           ARCH_NAME, nops, counts[0], counts[1], counts[2], counts[3], nsides > 1 ? ", JIT" : "");
    require_successes("engines_diff", oks);
    printf("%ld passed, %ld failed\n", checks - failures, failures);
    for (int i = 0; i < nsides; i++)
        side_close(&sides[i]);
    vrs_hosted_free(ch);
    arena_free(&a);
    return failures ? 1 : 0;
}
