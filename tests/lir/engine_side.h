/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine_side.h - what the engine differential tests (engines_diff.c,
 * engines_any.c) share: an engine (the interpreter or the JIT) over its own
 * hosted memory and root-driver context, a PRNG, one root-driver operation
 * through an engine compared with the C driver's answer, and the check
 * that a run was not vacuous. Static functions: one test per program.
 */
#ifndef ENGINE_SIDE_H
#define ENGINE_SIDE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "engine.h"
#include "lir.h"
#include "pipeline.h"
#include "vrs_hosted.h"
#include "../prng.h"

typedef struct Side {
    const char *name;
    vrs_hosted *h;
    EngineMem   mem;
    uint64_t    ctx[16];   /* the root driver's context record */
    LInterp    *in;
    Jit        *jit;
} Side;

/* An operation's answer: its status, done, resolve's pa/flags/page size. */
typedef struct OpAnswer {
    uint64_t status, done, pa, flags, psz;
} OpAnswer;

enum { OP_MAP, OP_UNMAP, OP_PROTECT, OP_RESOLVE, OP_KINDS };

static long failures, checks;

static void expect(long op, const char *what, const char *side, uint64_t want, uint64_t got)
{
    checks++;
    if (want != got && failures++ < 20)
        fprintf(stderr, "op %ld: %s: %s gives 0x%" PRIx64 ", the C driver 0x%" PRIx64 "\n", op, what, side, got,
                want);
}

static uint64_t side_call(Side *s, const LFn *f, const uint64_t *args)
{
    if (!s->in)
        return jit_call(s->jit, f, args);
    uint64_t r = linterp_call(s->in, f, args);
    if (linterp_error(s->in)) {
        fprintf(stderr, "interp: %s: %s\n", f->name, linterp_error(s->in));
        failures++;
        linterp_clear_error(s->in);
    }
    return r;
}

/* Side k (0 the interpreter, 1 the JIT) with mem_bytes of memory. 0: made;
 * 1: no libgccjit in this build (said on stdout; nothing to free); -1: the
 * JIT failed (said on stderr). */
static int side_open(Side *s, int k, const LModule *m, uint64_t mem_bytes, const char *test)
{
    memset(s, 0, sizeof *s);
    s->name = k ? "the JIT" : "the interpreter";
    if (k && !jit_available()) {
        printf("%s: no libgccjit in this build: the JIT is not compared\n", test);
        return 1;
    }
    s->h = vrs_hosted_new(mem_bytes);
    s->mem.base = vrs_hosted_ptr(s->h, 0, mem_bytes);
    s->mem.size = mem_bytes;
    s->ctx[0] = (uint64_t)(uintptr_t)vrs_hosted_env(s->h);
    if (!k) {
        s->in = linterp_new(m, &s->mem);
        return 0;
    }
    const char *err = NULL;
    s->jit = jit_compile(m, &s->mem, &err);
    if (!s->jit) {
        fprintf(stderr, "%s: jit_compile: %s\n", test, err);
        return -1;
    }
    return 0;
}

static void side_close(Side *s)
{
    if (s->in)
        linterp_free(s->in);
    if (s->jit)
        jit_free(s->jit);
    vrs_hosted_free(s->h);
}

/* Run one operation on side s and compare it with the C driver's answer
 * `want`; a resolve also runs the traced walk, which must agree. */
static void side_op(long op, Side *s, const LRoot *root, int kind, uint64_t va, uint64_t size, uint64_t flags,
                    uint64_t pa, const OpAnswer *want)
{
    static const char *const what[] = { "map status", "unmap status", "protect status", "resolve status" };
    OpAnswer got = { 0 };
    uint64_t cp = (uint64_t)(uintptr_t)s->ctx, dp = (uint64_t)(uintptr_t)&got.done;
    if (kind == OP_MAP) {
        uint64_t args[6] = { cp, va, size, flags, pa, dp };
        got.status = side_call(s, root->map, args);
    } else if (kind == OP_UNMAP) {
        uint64_t args[4] = { cp, va, size, dp };
        got.status = side_call(s, root->unmap, args);
    } else if (kind == OP_PROTECT) {
        uint64_t args[5] = { cp, va, size, flags, dp };
        got.status = side_call(s, root->protect, args);
    } else {
        uint64_t args[5] = { cp, va, (uint64_t)(uintptr_t)&got.pa, (uint64_t)(uintptr_t)&got.flags,
                             (uint64_t)(uintptr_t)&got.psz };
        got.status = side_call(s, root->resolve, args);
    }
    expect(op, what[kind], s->name, want->status, got.status);
    if (kind != OP_RESOLVE) {
        expect(op, "done", s->name, want->done, got.done);
        return;
    }
    uint64_t trace[LTRACE_LEVEL0 + 16 * LTRACE_PER] = { 0 };
    uint64_t wargs[3] = { cp, va, (uint64_t)(uintptr_t)trace };
    expect(op, "walk status", s->name, want->status, side_call(s, root->walk, wargs));
    if (want->status != LIR_OK)
        return;
    expect(op, "resolve pa", s->name, want->pa, got.pa);
    expect(op, "resolve flags", s->name, want->flags, got.flags);
    expect(op, "resolve page size", s->name, want->psz, got.psz);
    expect(op, "walk pa", s->name, want->pa, trace[LTRACE_PA]);
    expect(op, "walk flags", s->name, want->flags, trace[LTRACE_FLAGS]);
    expect(op, "walk page size", s->name, want->psz, trace[LTRACE_PSZ]);
}

/* A run in which no map or no resolve succeeded compared only error
 * paths: that proves nothing, so it fails. */
static void require_successes(const char *test, const long *ok)
{
    checks++;
    if (!ok[OP_MAP] || !ok[OP_RESOLVE]) {
        failures++;
        fprintf(stderr, "%s: no map or no resolve succeeded (%ld, %ld): the operations are not exercised\n", test,
                ok[OP_MAP], ok[OP_RESOLVE]);
    }
}

/* The arguments SPEC NOPS SEED of an engine test named prog, and SPEC
 * compiled in-process to LIR with prefix pfx (in arena a). Seeds rng and
 * sets *nops. NULL, having said why on stderr, unless the spec compiles
 * to exactly one root driver; *status is then the exit status (2 usage,
 * 1 otherwise). */
static LModule *engine_spec(const char *prog, int argc, char **argv, const char *pfx, Arena *a, long *nops,
                            int *status)
{
    *status = 2;
    if (argc != 4) {
        fprintf(stderr, "usage: %s SPEC NOPS SEED\n", prog);
        return NULL;
    }
    *nops = strtol(argv[2], NULL, 0);
    rng ^= strtoull(argv[3], NULL, 0) * 0x2545f4914f6cdd1du;
    *status = 1;
    Diag d;
    diag_init(&d, stderr, COLOR_NEVER);
    LModule *m = pipeline_lir(a, &d, argv[1], pfx, NULL, NULL);
    diag_fini(&d);
    if (!m || m->roots.len != 1) {
        fprintf(stderr, "%s: %s does not compile to one root driver\n", prog, argv[1]);
        return NULL;
    }
    return m;
}

#endif
