/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engines_any.c - the three backends agree on any spec with one root.
 *
 * engines_diff.c checks the x86 drivers against a model and a walker
 * written from the manuals; this test needs no knowledge of the spec. It
 * is compiled once per spec with the generated driver of that spec
 * (-DPFX=name, its NAME.h on the include path), compiles the same spec
 * in-process down to LIR, and runs one random operation sequence through
 * the compiled C driver, the LIR interpreter and the JIT (when vrsc has
 * libgccjit), each over its own hosted memory. Statuses, done counts,
 * resolve answers, the walk's answer, and every 250 operations the memory,
 * the registers, the instruction counts, live tables and TLB invalidation
 * counts must be equal. Addresses and sizes come from the IR: the root's
 * input space and its smallest page; flags are random bits of the spec's
 * flags. A table root's base is a table taken from the allocator (the
 * same on every side); other root parameters point at memory.
 * Usage: engines_any SPEC NOPS SEED. Prints "N passed, N failed".
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
#include "engine_side.h"

#define XCAT(a, b) a##b
#define CAT(a, b) XCAT(a, b)
#define F(x) CAT(PFX, _##x)
#define STR2(x) #x
#define STR(x) STR2(x)
#define XINC(x) STR(x.h)
#include XINC(PFX)

/* init exists only for a root that installs a table: weak, NULL if not */
extern F(status) F(init)(F(ctx) *ctx) __attribute__((weak));

#define MEM (UINT64_C(16) << 20)
#define NWORDS 16

static void compare_state(long op, vrs_hosted *c, Side *sides, int n)
{
    vrs_hosted_stats cs = vrs_hosted_get_stats(c);
    for (int i = 0; i < n; i++) {
        vrs_hosted *h = sides[i].h;
        vrs_hosted_stats ss = vrs_hosted_get_stats(h);
        checks++;
        if (memcmp(vrs_hosted_ptr(c, 0, MEM), vrs_hosted_ptr(h, 0, MEM), MEM) != 0 && failures++ < 20)
            fprintf(stderr, "op %ld: %s: memory differs from the C driver's\n", op, sides[i].name);
        for (unsigned r = 0; r < VRS_HOSTED_NREGS; r++)
            expect(op, "register", sides[i].name, *vrs_hosted_reg(c, r), *vrs_hosted_reg(h, r));
        for (unsigned k = 0; k < VRS_HOSTED_NINSTRS; k++)
            expect(op, "instruction count", sides[i].name, vrs_hosted_instr_count(c, k), vrs_hosted_instr_count(h, k));
        expect(op, "live tables", sides[i].name, cs.live_tables, ss.live_tables);
        expect(op, "tlb invalidations", sides[i].name, cs.tlb_invalidations, ss.tlb_invalidations);
        expect(op, "engine memory faults", sides[i].name, 0, sides[i].mem.faults);
    }
}

/* The smallest page under x (log2), as the driver's range checks use it. */
static unsigned min_page(const IrUnit *x, int depth)
{
    if (depth > 16)
        return 64;
    if (x->kind == IR_TABLE)
        return min_page(x->elem, depth + 1);
    unsigned best = 64;
    PtrVec one = { (void **)&x, 1, 1 };
    const PtrVec *vs = x->kind == IR_CHOICE ? &x->variants : &one;
    VEC_FOREACH(const IrUnit *, v, *vs) {
        unsigned p = v->child ? min_page(v->child, depth + 1) : v->inbits;
        if (p < best)
            best = p;
    }
    return best;
}

int main(int argc, char **argv)
{
    Arena a;
    arena_init(&a);
    long nops = 0;
    int status;
    LModule *m = engine_spec("engines_any", argc, argv, STR(PFX), &a, &nops, &status);
    if (!m)
        return status;
    const LRoot *root = m->roots.items[0];
    const IrUnit *ru = root->unit;
    int nwords = root->ctx->fields.len;
    if (nwords > NWORDS || (int)(sizeof(F(ctx)) / 8) != nwords) {
        fprintf(stderr, "engines_any: the C context (%zu words) is not the LIR record (%d)\n",
                sizeof(F(ctx)) / 8, nwords);
        return 1;
    }
    /* a page table: its smallest page; a segment maps any size its
     * requires allow: 4 KiB steps, starting at 0 half of the time */
    bool segment = ru->kind == IR_SEGMENT && !ru->child;
    unsigned minp = segment ? 12 : min_page(ru, 0);
    uint64_t page = (uint64_t)1 << minp;
    unsigned inbits = ru->inbits < 40 ? ru->inbits : 40;
    uint64_t space = (uint64_t)1 << inbits;
    uint64_t all_flags = ir_flags_all(m->ir);

    /* every side: its memory, its context; the root's params equal */
    vrs_hosted *ch = vrs_hosted_new(MEM);
    uint64_t cctx[NWORDS] = { 0 };
    cctx[0] = (uint64_t)(uintptr_t)vrs_hosted_env(ch);
    Side sides[2];
    int nsides = 0;
    for (int k = 0; k < 2; k++) {
        int r = side_open(&sides[nsides], k, m, MEM, "engines_any");
        if (r < 0)
            return 1;
        if (r == 0)
            nsides++;
    }
    vrs_hosted *all[3] = { ch, nsides > 0 ? sides[0].h : NULL, nsides > 1 ? sides[1].h : NULL };
    for (int p = 0; p < ru->params.len; p++) {
        uint64_t v = 0x10000 + 0x1000 * (uint64_t)p;
        if (ru->kind == IR_TABLE && p == 0) {
            /* a table root: its base is a table, the same on every side */
            for (int i = 0; i <= nsides; i++) {
                struct vrs_env *env = vrs_hosted_env(all[i]);
                if (!env->ops->alloc_table(env, ru->table_bytes, ru->table_bytes, &v)) {
                    fprintf(stderr, "engines_any: no memory for the root table\n");
                    return 1;
                }
            }
        }
        cctx[1 + p] = v;
        for (int i = 0; i < nsides; i++)
            sides[i].ctx[1 + p] = v;
    }

    if ((root->init != NULL) != (F(init) != NULL)) {
        fprintf(stderr, "engines_any: the C driver and the LIR disagree about init\n");
        return 1;
    }
    if (root->init) {
        uint64_t want = (uint64_t)F(init)((F(ctx) *)cctx);
        for (int i = 0; i < nsides; i++) {
            uint64_t args[1] = { (uint64_t)(uintptr_t)sides[i].ctx };
            expect(-1, "init", sides[i].name, want, side_call(&sides[i], root->init, args));
        }
    }
    compare_state(-1, ch, sides, nsides);

    long counts[OP_KINDS] = { 0 }, oks[OP_KINDS] = { 0 };
    for (long op = 0; op < nops; op++) {
        int kind = (int)rnd(4);
        uint64_t npages = 1 + (rnd(4) ? rnd(4) : rnd(64));
        uint64_t size = npages * page;
        uint64_t va = rnd(space / page) * page;
        if (rnd(8) == 0 || (segment && rnd(2)))
            va &= segment ? 0 : ~(uint64_t)0xfffff;
        uint64_t pa = rnd(((uint64_t)1 << 32) / page) * page;
        if (rnd(4) == 0)
            pa = va;
        uint64_t flags = rnd64() & all_flags;
        if (rnd(40) == 0)
            va |= page >> 1;   /* misaligned now and then */
        counts[kind]++;
        OpAnswer want = { 0 };
        F(flags_t) cf = 0;
        F(ctx) *cx = (F(ctx) *)cctx;
        switch (kind) {
        case OP_MAP:
            want.status = (uint64_t)F(map)(cx, va, size, flags, pa, &want.done);
            break;
        case OP_UNMAP:
            want.status = (uint64_t)F(unmap)(cx, va, size, &want.done);
            break;
        case OP_PROTECT:
            want.status = (uint64_t)F(protect)(cx, va, size, flags, &want.done);
            break;
        default:
            want.status = (uint64_t)F(resolve)(cx, va, &want.pa, &cf, &want.psz);
            want.flags = cf;
            break;
        }
        oks[kind] += want.status == LIR_OK;
        for (int i = 0; i < nsides; i++)
            side_op(op, &sides[i], root, kind, va, size, flags, pa, &want);
        if (op % 250 == 249)
            compare_state(op, ch, sides, nsides);
    }
    compare_state(nops, ch, sides, nsides);

    printf("engines_any %s: %ld ops on C, interpreter%s; OK/all: map %ld/%ld, unmap %ld/%ld, protect %ld/%ld, "
           "resolve %ld/%ld\n",
           STR(PFX), nops, nsides > 1 ? ", JIT" : "", oks[0], counts[0], oks[1], counts[1], oks[2], counts[2], oks[3],
           counts[3]);
    require_successes("engines_any", oks);
    printf("%ld passed, %ld failed\n", checks - failures, failures);
    for (int i = 0; i < nsides; i++)
        side_close(&sides[i]);
    vrs_hosted_free(ch);
    arena_free(&a);
    return failures ? 1 : 0;
}
