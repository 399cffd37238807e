/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * jit_bench.c - issue #6's benchmark: how long the JIT takes to compile
 * specs/x86_64.vrs, and how fast the three engines translate addresses.
 *
 * The spec is compiled in-process to LIR through vrsc_core (load, check,
 * synthesize and prove, lower), as tests/lir/engines_diff.c does. Then:
 *   1. what vrsc jit and vrsc translate compile at start (resolve,
 *      against the 60 ms target), first, in a process that has compiled
 *      nothing yet, as theirs has; then jit_compile of the whole module;
 *      then what they compile on first use (the traced walk; map, unmap
 *      and protect). Each time in a fresh libgccjit context: the first
 *      compile of the process (one-time costs included) and the median
 *      and best of the next ones;
 *   2. the generated C driver (x86_64.c, built into this program by
 *      bench/jit_bench.sh) maps a mix of 4 KiB, 2 MiB and 1 GiB pages into
 *      a 64 GiB window straddling the first PML4 boundary; its hosted
 *      memory and CR3 are copied to the interpreter's and the JIT's, whose
 *      contexts (and the C driver's) have root_cached = 0, so every resolve
 *      reads CR3 through the env;
 *   3. the same random addresses (mostly in the mapped areas, some
 *      anywhere in the window; mapped and unmapped at every level) are
 *      resolved by the C driver (x86_64_resolve), the JIT's native code,
 *      the JIT through jit_call, and the interpreter (linterp_call, on a
 *      prefix of the addresses unless -i says otherwise). Each pass hashes
 *      every (status, pa, flags, page size); all hashes of a prefix must be
 *      equal, or the program names the first address they disagree on and
 *      fails.
 * It prints ns per address, millions of addresses per second, and the
 * ratios JIT/interpreter (speedup, target >= 20x) and JIT/C (slowdown,
 * target <= 1.5x). Throughput is CPU time of the loop (wall time beside
 * it), compile time jit_compile_ms (wall; CPU time, with the assembler
 * and linker libgccjit runs as child processes, beside it), so a busy
 * machine shows as a gap between the two. Numbers are reported, never
 * asserted: the exit status is 1 only if the engines disagree or
 * something does not compile.
 *
 * The JIT's native resolve (jit_native) has the signature jit.c gives an
 * LIR function: a status result is a uint64_t (not the C driver's
 * int-sized enum), the context a pointer to its record (uint64_t[3]: env,
 * root_raw, root_cached), flags_t* and uint64_t* out-parameters pointers
 * to uint64_t; see ResolveFn below.
 *
 * Usage: jit_bench [-n ADDRS] [-i INTERP_ADDRS] [-c COMPILES] [-r ROUNDS]
 *                  [-s SEED] [-p compile|c|jit|call|interp] SPEC
 * -p runs only that part (compile: 50 compiles; the others: ROUNDS passes),
 * for perf.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "diag.h"
#include "engine.h"
#include "ir.h"
#include "lir.h"
#include "pipeline.h"
#include "vrs_hosted.h"
#include "x86_64.h"

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define MEM      MiB(64)        /* simulated physical memory of each side */
#define WIN_LO   GiB(480)       /* the window: two PML4 entries */
#define WIN_HI   GiB(544)
/* the mapped areas inside it */
#define A4K_LO   GiB(480)       /* 4 KiB pages, runs and holes */
#define A4K_HI   GiB(482)
#define A2M_LO   GiB(496)       /* 2 MiB pages, runs and holes */
#define A2M_HI   GiB(504)
#define A1G_LO   GiB(512)       /* 1 GiB pages, some missing */
#define A1G_HI   GiB(528)

#define TARGET_COMPILE_MS 60.0
#define TARGET_SPEEDUP    20.0
#define TARGET_SLOWDOWN   1.5

typedef uint64_t ResolveFn(uint64_t *ctx, uint64_t va, uint64_t *pa, uint64_t *flags, uint64_t *psz);

/* One engine's view: its own memory and driver context. */
typedef struct Side {
    vrs_hosted *h;
    EngineMem   mem;
    uint64_t    ctx[3];     /* the root's drv_ctx: env, root_raw, root_cached */
} Side;

typedef struct Bench {
    const LRoot *root;
    vrs_hosted  *ch;        /* the C driver's memory */
    x86_64_ctx   cctx;
    Side         in_side, jit_side;
    LInterp     *in;
    Jit         *jit;
    ResolveFn   *jit_resolve;
    uint64_t    *va;
    long         n;
} Bench;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "jit_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of this thread: the timed loops run on one, and the machine
 * may be shared */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the process and its waited-for children: libgccjit runs the
 * assembler and the linker as child processes */
static double cpu_all_ms(void)
{
    struct rusage s, c;
    getrusage(RUSAGE_SELF, &s);
    getrusage(RUSAGE_CHILDREN, &c);
    double us = (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec + c.ru_stime.tv_sec) * 1e6
                + (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec + c.ru_stime.tv_usec);
    return us / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t rng;

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

/* ---- the spec, down to LIR ---- */

static LModule *compile_spec(Arena *a, const char *path)
{
    Diag d;
    FILE *msgs = tmpfile();   /* the spec's warnings are not this bench's news */
    diag_init(&d, msgs ? msgs : stderr, COLOR_NEVER);
    LModule *m = pipeline_lir(a, &d, path, "x86_64", NULL, NULL);
    if (d.errors && msgs) {
        char buf[4096];
        size_t k;
        rewind(msgs);
        while ((k = fread(buf, 1, sizeof buf, msgs)) > 0)
            fwrite(buf, 1, k, stderr);
    }
    diag_fini(&d);
    if (msgs)
        fclose(msgs);
    if (!m || m->roots.len != 1)
        die("%s does not compile to one root driver", path);
    return m;
}

/* ---- the page table ---- */

static void map_or_die(Bench *b, uint64_t va, uint64_t size, uint64_t pa, x86_64_flags_t f)
{
    x86_64_status s = x86_64_map(&b->cctx, va, size, f, pa, NULL);
    if (s != X86_64_OK)
        die("map %#" PRIx64 "+%#" PRIx64 " -> %#" PRIx64 ": status %d", va, size, pa, (int)s);
}

static x86_64_flags_t rand_flags(void)
{
    static const x86_64_flags_t mix[] = {
        X86_64_FLAG_WRITABLE | X86_64_FLAG_USERMODE,                        /* user data */
        X86_64_FLAG_USERMODE | X86_64_FLAG_EXECUTABLE,                      /* user text */
        X86_64_FLAG_WRITABLE | X86_64_FLAG_GLOBAL,                          /* kernel data */
        X86_64_FLAG_WRITABLE | X86_64_FLAG_NOCACHE | X86_64_FLAG_WRITETHROUGH, /* device */
    };
    return mix[rnd(sizeof mix / sizeof *mix)];
}

/* Runs and holes of 4K and 2M pages, and 1G pages with gaps; returns the
 * bytes mapped per page size (index 0, 1, 2). */
static void populate(Bench *b, uint64_t mapped[3])
{
    /* 4 KiB: runs of 1-256 pages, holes of 0-64 pages; pa never 2 MiB
     * aligned, so only 4 KiB pages fit */
    for (uint64_t va = A4K_LO; va < A4K_HI;) {
        uint64_t n = 1 + rnd(256), size = KiB(4) * n;
        if (va + size > A4K_HI)
            size = A4K_HI - va;
        uint64_t pa = GiB(64) + MiB(2) * rnd(1u << 16) + KiB(4) * (1 + rnd(256));
        map_or_die(b, va, size, pa, rand_flags());
        mapped[0] += size;
        va += size + KiB(4) * rnd(65);
    }
    /* 2 MiB: runs of 1-16 pages, holes of 0-4 pages; pa 2 MiB aligned,
     * never 1 GiB aligned */
    for (uint64_t va = A2M_LO; va < A2M_HI;) {
        uint64_t n = 1 + rnd(16), size = MiB(2) * n;
        if (va + size > A2M_HI)
            size = A2M_HI - va;
        uint64_t pa = GiB(128) + GiB(1) * rnd(64) + MiB(2) * (1 + rnd(256));
        map_or_die(b, va, size, pa, rand_flags());
        mapped[1] += size;
        va += size + MiB(2) * rnd(5);
    }
    /* 1 GiB: three of four */
    for (uint64_t va = A1G_LO; va < A1G_HI; va += GiB(1)) {
        if (rnd(4) == 0)
            continue;
        map_or_die(b, va, GiB(1), GiB(256) + GiB(1) * rnd(256), rand_flags());
        mapped[2] += GiB(1);
    }
}

/* Half in the 4 KiB area, a quarter in the 2 MiB one, an eighth in the
 * 1 GiB one, an eighth anywhere in the window; any byte offset. */
static uint64_t rand_va(void)
{
    switch (rnd(8)) {
    case 0: case 1: case 2: case 3:
        return A4K_LO + rnd(A4K_HI - A4K_LO);
    case 4: case 5:
        return A2M_LO + rnd(A2M_HI - A2M_LO);
    case 6:
        return A1G_LO + rnd(A1G_HI - A1G_LO);
    default:
        return WIN_LO + rnd(WIN_HI - WIN_LO);
    }
}

/* A copy of the C driver's memory and CR3 for an engine. */
static void clone_side(Bench *b, Side *s)
{
    s->h = vrs_hosted_new(MEM);
    if (!s->h)
        die("no hosted memory");
    memcpy(vrs_hosted_ptr(s->h, 0, MEM), vrs_hosted_ptr(b->ch, 0, MEM), MEM);
    *vrs_hosted_reg(s->h, X86_64_REG_X8664_CR3_CR3) = *vrs_hosted_reg(b->ch, X86_64_REG_X8664_CR3_CR3);
    s->mem.base = vrs_hosted_ptr(s->h, 0, MEM);
    s->mem.size = MEM;
    s->ctx[0] = (uint64_t)(uintptr_t)vrs_hosted_env(s->h);
    s->ctx[1] = s->ctx[2] = 0;   /* root_raw, root_cached: read CR3 */
}

/* ---- the four resolvers: each hashes every answer ---- */

typedef enum Eng { E_C, E_JIT, E_CALL, E_INTERP, E_COUNT } Eng;
static const char *const eng_names[E_COUNT] = {
    "compiled C driver", "JIT, native", "JIT, jit_call", "interpreter",
};

static uint64_t mix(uint64_t h, uint64_t s, uint64_t pa, uint64_t f, uint64_t ps)
{
    h = (h ^ s) * 0x100000001b3u;
    h = (h ^ pa) * 0x100000001b3u;
    h = (h ^ f) * 0x100000001b3u;
    return (h ^ ps) * 0x100000001b3u;
}

/* One resolve of va by engine e into *pa, *f, *ps; returns the status. */
static uint64_t resolve1(Bench *b, Eng e, uint64_t va, uint64_t *pa, uint64_t *f, uint64_t *ps)
{
    *pa = *f = *ps = 0;
    switch (e) {
    case E_C: {
        x86_64_flags_t cf = 0;
        uint64_t s = (uint64_t)x86_64_resolve(&b->cctx, va, pa, &cf, ps);
        *f = cf;
        return s;
    }
    case E_JIT:
        return b->jit_resolve(b->jit_side.ctx, va, pa, f, ps);
    case E_CALL: {
        uint64_t args[5] = { (uint64_t)(uintptr_t)b->jit_side.ctx, va, (uint64_t)(uintptr_t)pa,
                             (uint64_t)(uintptr_t)f, (uint64_t)(uintptr_t)ps };
        return jit_call(b->jit, b->root->resolve, args);
    }
    default: {
        uint64_t args[5] = { (uint64_t)(uintptr_t)b->in_side.ctx, va, (uint64_t)(uintptr_t)pa,
                             (uint64_t)(uintptr_t)f, (uint64_t)(uintptr_t)ps };
        uint64_t s = linterp_call(b->in, b->root->resolve, args);
        if (linterp_error(b->in))
            die("interpreter: %s", linterp_error(b->in));
        return s;
    }
    }
}

/* The timed loops: one per engine, so each inlines its own call. */
static uint64_t run_c(Bench *b, long n)
{
    uint64_t h = 0;
    for (long i = 0; i < n; i++) {
        uint64_t pa = 0, ps = 0;
        x86_64_flags_t f = 0;
        x86_64_status s = x86_64_resolve(&b->cctx, b->va[i], &pa, &f, &ps);
        h = mix(h, (uint64_t)s, pa, f, ps);
    }
    return h;
}

static uint64_t run_jit(Bench *b, long n)
{
    ResolveFn *fn = b->jit_resolve;
    uint64_t h = 0;
    for (long i = 0; i < n; i++) {
        uint64_t pa = 0, f = 0, ps = 0;
        uint64_t s = fn(b->jit_side.ctx, b->va[i], &pa, &f, &ps);
        h = mix(h, s, pa, f, ps);
    }
    return h;
}

static uint64_t run_generic(Bench *b, Eng e, long n)
{
    uint64_t h = 0;
    for (long i = 0; i < n; i++) {
        uint64_t pa, f, ps;
        uint64_t s = resolve1(b, e, b->va[i], &pa, &f, &ps);
        h = mix(h, s, pa, f, ps);
    }
    return h;
}

static uint64_t run(Bench *b, Eng e, long n)
{
    return e == E_C ? run_c(b, n) : e == E_JIT ? run_jit(b, n) : run_generic(b, e, n);
}

/* After a hash mismatch: the first address where e and the C driver
 * differ. */
static void find_mismatch(Bench *b, Eng e, long n)
{
    for (long i = 0; i < n; i++) {
        uint64_t cp, cf, cps, p, f, ps;
        uint64_t cs = resolve1(b, E_C, b->va[i], &cp, &cf, &cps);
        uint64_t s = resolve1(b, e, b->va[i], &p, &f, &ps);
        if (cs != s || cp != p || cf != f || cps != ps)
            die("%s disagrees with the C driver at address %ld, va %#" PRIx64 ": status %" PRIu64
                " pa %#" PRIx64 " flags %#" PRIx64 " size %#" PRIx64 ", C: status %" PRIu64 " pa %#" PRIx64
                " flags %#" PRIx64 " size %#" PRIx64,
                eng_names[e], i, b->va[i], s, p, f, ps, cs, cp, cf, cps);
    }
    die("%s: the hashes differ, but no address does (a nondeterministic engine?)", eng_names[e]);
}

/* ---- main ---- */

static long arg_long(const char *s, const char *opt)
{
    char *end;
    double v = strtod(s, &end);   /* accepts 1e7 */
    if (*end || v < 0 || v > 1e12)
        die("%s: bad number %s", opt, s);
    return (long)v;
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
    die("usage: jit_bench [-n ADDRS] [-i INTERP_ADDRS] [-c COMPILES] [-r ROUNDS] [-s SEED]\n"
        "                 [-p compile|c|jit|call|interp] SPEC");
}

/* Timings of a part of the bench: CPU time (the figure reported) and wall
 * time (beside it: much larger means the machine was busy). */
typedef struct Timing {
    double cpu, wall;
} Timing;

/* 1. jit_compile of the whole module (entry NULL) or jit_compile_some of
 *    the closure of `entry`, each in a fresh context: the first of the
 *    process, then the median of `n` more. */
static void time_compiles(const LModule *m, LFn *const *entry, int nentry, long n, Timing *first, Timing *med,
                          double *best)
{
    EngineMem nomem = { 0 };   /* nothing runs: an empty memory */
    double *cpu = calloc((size_t)n + 1, sizeof *cpu), *wall = calloc((size_t)n + 1, sizeof *wall);
    if (!cpu || !wall)
        die("out of memory");
    for (long k = 0; k <= n; k++) {
        const char *err = NULL;
        double c0 = cpu_all_ms();
        Jit *j = entry ? jit_compile_some(m, entry, nentry, &nomem, &err) : jit_compile(m, &nomem, &err);
        cpu[k] = cpu_all_ms() - c0;
        if (!j)
            die("jit_compile: %s", err);
        wall[k] = jit_compile_ms(j);
        jit_free(j);
    }
    *first = (Timing){ cpu[0], wall[0] };
    *best = wall[1];
    for (long k = 2; k <= n; k++)
        *best = wall[k] < *best ? wall[k] : *best;
    *med = (Timing){ median(cpu + 1, (int)n), median(wall + 1, (int)n) };
    free(cpu);
    free(wall);
}

/* The floor: a module of one function returning 1, so the time is what
 * any libgccjit context costs (setup, the assembler, the linker, dlopen). */
static LModule *tiny_module(Arena *a, const LModule *m)
{
    LModule *t = lir_new(a, m->ir);
    LFn *f = lir_fn(t, "vrsc_bench_one", lt(LK_U64), LINK_EXPORT, (Loc){ 0 });
    lir_place(t, f);
    LB lb;
    lb_begin(&lb, t, f);
    lb_ret(&lb, lx_num(t, 1));
    return t;
}

/* One timed pass of engine e over the first n addresses: ns per address. */
static Timing time_pass(Bench *b, Eng e, long n, uint64_t *hash)
{
    double c0 = cpu_ms(), w0 = now_ms();
    *hash = run(b, e, n);
    return (Timing){ (cpu_ms() - c0) * 1e6 / (double)n, (now_ms() - w0) * 1e6 / (double)n };
}

static const char *verdict(bool met)
{
    return met ? "met" : "MISSED";
}

int main(int argc, char **argv)
{
    long n = 10000000, n_interp = 1000000, compiles = 10, rounds = 5;
    uint64_t seed = 1;
    const char *spec = NULL, *profile = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (o[0] == '-' && o[1] && !o[2] && i + 1 < argc) {
            const char *v = argv[++i];
            switch (o[1]) {
            case 'n': n = arg_long(v, o); break;
            case 'i': n_interp = arg_long(v, o); break;
            case 'c': compiles = arg_long(v, o); break;
            case 'r': rounds = arg_long(v, o); break;
            case 's': seed = (uint64_t)arg_long(v, o); break;
            case 'p': profile = v; break;
            default: usage();
            }
        } else if (o[0] != '-' && !spec) {
            spec = o;
        } else {
            usage();
        }
    }
    if (!spec || n < 1 || compiles < 1 || rounds < 1)
        usage();
    n_interp = n_interp < 1 ? 1 : n_interp > n ? n : n_interp;
    if (!jit_available())
        die("this vrsc_core has no libgccjit (configure with it, or see CMakeLists.txt)");
    double load[3] = { 0 };
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = load[1] = load[2] = 0;
        fclose(lf);
    }

    static Bench b;
    double t0 = now_ms();
    Arena a;
    arena_init(&a);
    LModule *m = compile_spec(&a, spec);
    b.root = m->roots.items[0];
    double pipeline_ms = now_ms() - t0;

    /* 1. compile time. First what vrsc jit and vrsc translate compile at
     * start, in a process that has compiled nothing yet, as theirs has:
     * after the whole module's compiles the same compile took 10-20% more
     * (libgccjit's heap, we think). */
    Timing first, med;
    double best;
    bool prof_compile = profile && strcmp(profile, "compile") == 0;
    Timing q_first, q_med, w_first, w_med, u_first, u_med;
    double q_best, w_best, u_best;
    LFn *query[1] = { b.root->resolve };
    if (!prof_compile)
        time_compiles(m, query, 1, compiles, &q_first, &q_med, &q_best);
    time_compiles(m, NULL, 0, prof_compile ? 50 : compiles, &first, &med, &best);
    if (prof_compile)
        return 0;
    /* on first use */
    LFn *walk[1] = { b.root->walk };
    time_compiles(m, walk, 1, compiles, &w_first, &w_med, &w_best);
    LFn *mut[3] = { b.root->map, b.root->unmap, b.root->protect };
    time_compiles(m, mut, 3, compiles, &u_first, &u_med, &u_best);
    Timing tiny_first, tiny;
    double tiny_best;
    time_compiles(tiny_module(&a, m), NULL, 0, compiles, &tiny_first, &tiny, &tiny_best);

    /* 2. the page table, built by the C driver and copied */
    b.ch = vrs_hosted_new(MEM);
    if (!b.ch)
        die("no hosted memory");
    b.cctx.env = vrs_hosted_env(b.ch);
    if (x86_64_init(&b.cctx) != X86_64_OK)
        die("x86_64_init failed");
    rng = 0x9e3779b97f4a7c15u ^ (seed * 0x2545f4914f6cdd1du);
    uint64_t mapped[3] = { 0 };
    populate(&b, mapped);
    b.cctx.root_raw = b.cctx.root_cached = 0;   /* read CR3, like the engines */
    vrs_hosted_stats st = vrs_hosted_get_stats(b.ch);
    clone_side(&b, &b.in_side);
    clone_side(&b, &b.jit_side);
    const char *err = NULL;
    b.in = linterp_new(m, &b.in_side.mem);
    b.jit = jit_compile(m, &b.jit_side.mem, &err);
    if (!b.in || !b.jit)
        die("engines: %s", b.jit ? "linterp_new failed" : err);
    void *code = jit_native(b.jit, b.root->resolve);
    if (!code)
        die("no native code for %s", b.root->resolve->name);
    memcpy(&b.jit_resolve, &code, sizeof code);   /* object to function pointer, as jit.c does */

    /* 3. the addresses */
    b.n = n;
    b.va = malloc(sizeof *b.va * (size_t)n);
    if (!b.va)
        die("out of memory for %ld addresses", n);
    for (long i = 0; i < n; i++)
        b.va[i] = rand_va();

    if (profile) {
        Eng e = strcmp(profile, "c") == 0 ? E_C : strcmp(profile, "jit") == 0 ? E_JIT
              : strcmp(profile, "call") == 0 ? E_CALL : strcmp(profile, "interp") == 0 ? E_INTERP : E_COUNT;
        if (e == E_COUNT)
            usage();
        uint64_t h = 0;
        for (long r = 0; r < rounds; r++)
            h = run(&b, e, e == E_INTERP ? n_interp : n);
        printf("%s: hash %016" PRIx64 "\n", eng_names[e], h);
        return 0;
    }

    /* what the addresses hit, by the C driver */
    long hits[4] = { 0 }, unmapped = 0, other = 0;
    for (long i = 0; i < n; i++) {
        uint64_t p, f, ps;
        uint64_t s = resolve1(&b, E_C, b.va[i], &p, &f, &ps);
        if (s == X86_64_OK)
            hits[ps == KiB(4) ? 0 : ps == MiB(2) ? 1 : ps == GiB(1) ? 2 : 3]++;
        else if (s == X86_64_ENOENT)
            unmapped++;
        else
            other++;
    }

    /* the timed passes: rounds x (C, JIT native, jit_call) interleaved,
     * then the interpreter once over its prefix */
    Timing t[E_COUNT];
    long count[E_COUNT] = { n, n, n, n_interp };
    uint64_t hash[E_COUNT] = { 0 }, hash_prefix = run_c(&b, n_interp);
    double *cpu = calloc((size_t)rounds * E_COUNT, sizeof *cpu), *wall = calloc((size_t)rounds * E_COUNT, sizeof *wall);
    if (!cpu || !wall)
        die("out of memory");
    for (long r = 0; r < rounds; r++) {
        for (int e = E_C; e <= E_CALL; e++) {
            uint64_t h;
            Timing x = time_pass(&b, (Eng)e, n, &h);
            cpu[e * rounds + r] = x.cpu;
            wall[e * rounds + r] = x.wall;
            if (r == 0)
                hash[e] = h;
            else if (h != hash[e])
                die("%s: two passes over the same addresses hash differently", eng_names[e]);
        }
    }
    for (int e = E_C; e <= E_CALL; e++)
        t[e] = (Timing){ median(cpu + e * rounds, (int)rounds), median(wall + e * rounds, (int)rounds) };
    t[E_INTERP] = time_pass(&b, E_INTERP, n_interp, &hash[E_INTERP]);

    for (int e = E_JIT; e < E_COUNT; e++)
        if (hash[e] != (e == E_INTERP ? hash_prefix : hash[E_C]))
            find_mismatch(&b, (Eng)e, count[e]);
    if (b.in_side.mem.faults || b.jit_side.mem.faults)
        die("an engine read outside its memory (first pa %#" PRIx64 ")",
            b.in_side.mem.faults ? b.in_side.mem.fault_pa : b.jit_side.mem.fault_pa);

    /* the report */
    printf("jit_bench: %s, %d LIR functions (root %s; %.0f ms from source to LIR)\n", spec, m->fns.len,
           b.root->name, pipeline_ms);
    printf("load average at start: %.2f %.2f %.2f (times below are CPU time; wall beside it)\n", load[0], load[1],
           load[2]);
    printf("\nJIT compile of the whole module, one fresh libgccjit context each:\n");
    printf("  %-24s %9s %9s\n", "", "wall ms", "cpu ms");
    printf("  %-24s %9.1f %9.1f\n", "first of the process", first.wall, first.cpu);
    printf("  %-24s %9.1f %9.1f   (best wall %.1f)\n", "median of the next", med.wall, med.cpu, best);
    printf("  %-24s %9.1f %9.1f   (median: the cost of any context)\n", "a one-function module", tiny.wall,
           tiny.cpu);
    printf("  (%ld compiles each; wall = jit_compile_ms; cpu includes the assembler and linker libgccjit runs)\n",
           compiles);
    printf("\nJIT compile of what vrsc jit and vrsc translate compile at start (resolve and what it calls):\n");
    printf("  %-24s %9.1f %9.1f\n", "first of the process", q_first.wall, q_first.cpu);
    printf("  %-24s %9.1f %9.1f   (best wall %.1f)\n", "median of the next", q_med.wall, q_med.cpu, q_best);
    printf("  target <= %.0f ms (start-up compile): %s\n", TARGET_COMPILE_MS, verdict(q_med.wall <= TARGET_COMPILE_MS));
    printf("and on first use, each in a context of its own (median of the next; wall, cpu):\n");
    printf("  %-24s %9.1f %9.1f   (`walk`, or the first fault to explain)\n", "the traced walk", w_med.wall,
           w_med.cpu);
    printf("  %-24s %9.1f %9.1f   (the first map, unmap or protect)\n", "map, unmap, protect", u_med.wall,
           u_med.cpu);

    printf("\npage table (built by the C driver, copied to the engines): %" PRIu64 " MiB in 4 KiB pages, %" PRIu64
           " MiB in 2 MiB, %" PRIu64 " GiB in 1 GiB; %" PRIu64 " tables (%" PRIu64 " KiB)\n",
           mapped[0] >> 20, mapped[1] >> 20, mapped[2] >> 30, st.live_tables, st.live_bytes >> 10);
    printf("addresses: %ld, seed %" PRIu64 ", window [%#" PRIx64 ", %#" PRIx64 "): %.1f%% in 4K pages, %.1f%% 2M, "
           "%.1f%% 1G, %.1f%% unmapped%s\n",
           n, seed, (uint64_t)WIN_LO, (uint64_t)WIN_HI, 100.0 * (double)hits[0] / (double)n,
           100.0 * (double)hits[1] / (double)n, 100.0 * (double)hits[2] / (double)n,
           100.0 * (double)unmapped / (double)n, other || hits[3] ? " (and some other status!)" : "");
    printf("\n%-18s %10s %9s %9s %8s %9s  %s\n", "resolve", "addresses", "ns/addr", "Maddr/s", "vs C", "wall ns",
           "hash of the answers");
    for (int e = 0; e < E_COUNT; e++)
        printf("%-18s %10ld %9.1f %9.2f %7.2fx %9.1f  %016" PRIx64 "%s\n", eng_names[e], count[e], t[e].cpu,
               1e3 / t[e].cpu, t[e].cpu / t[E_C].cpu, t[e].wall, hash[e],
               e == E_INTERP && n_interp < n ? " (= the C driver's on this prefix)" : "");
    printf("(C and JIT: median of %ld passes over all addresses; interpreter: one pass over the first %ld%s)\n",
           rounds, n_interp, n_interp < n ? ", per-address figures scale" : "");
    double speedup = t[E_INTERP].cpu / t[E_JIT].cpu, slowdown = t[E_JIT].cpu / t[E_C].cpu;
    printf("\nJIT native vs interpreter: %5.1fx faster  (target >= %.0fx: %s)\n", speedup, TARGET_SPEEDUP,
           verdict(speedup >= TARGET_SPEEDUP));
    printf("JIT native vs C driver:    %5.2fx slower  (target <= %.1fx: %s)\n", slowdown, TARGET_SLOWDOWN,
           verdict(slowdown <= TARGET_SLOWDOWN));
    printf("the engines agree on every address%s\n", n_interp < n ? " (the interpreter on its prefix)" : "");

    free(cpu);
    free(wall);
    free(b.va);
    jit_free(b.jit);
    linterp_free(b.in);
    vrs_hosted_free(b.in_side.h);
    vrs_hosted_free(b.jit_side.h);
    vrs_hosted_free(b.ch);
    arena_free(&a);
    return 0;
}
