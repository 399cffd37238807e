/* SPDX-License-Identifier: MIT */
/*
 * driver_bench.c - issue #5's benchmark: the x86-64 page-table driver that
 * vrsc generates from specs/x86_64.vrs against a hand-written Linux-style
 * page table (pt_linux.c), on identical workloads, in one run, over the
 * same hosted environment (runtime/vrs_hosted.h: the same table allocator,
 * direct map and TLB-invalidation hook for both).
 *
 * Built and run by bench/driver_bench.sh (which generates x86_64.{h,c}
 * first). Rows, each timed with rdtsc over batches of BATCH operations,
 * hot caches, median (and best) over the rounds, and the ratio both as
 * the ratio of the medians and as the median of each round's own ratio
 * (paired; each round times both implementations back to back, so a slow
 * phase of a shared machine that spans the round cancels out):
 *   (a) map a fresh 4 KiB page into an existing page table
 *   (b) protect a mapped 4 KiB page (to different flags)
 *   (c) unmap a 4 KiB page; (c') the same with table indices near 511
 *   (d) resolve a mapped 4 KiB page
 *   (e) map ~1 GiB of ranges whose alignments force 4K, 2M and 1G pages,
 *       tables allocated in the timed call (for both: fresh roots)
 * The pages of (a)-(d) lie in two page tables that each keep one other page
 * mapped (a "keeper"), so the generated driver, which frees tables that
 * unmap empties, allocates and frees nothing in the timed loops. Before the
 * timing, and after it, both implementations must resolve every address of
 * the workloads to the same pa, page size and flags; a mismatch aborts.
 * Prints numbers; asserts nothing about them. -p (for a profiler) runs
 * only (a)-(d) of the first layout.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "pt_linux.h"
#include "vrs_hosted.h"
#include "x86_64.h"

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define BATCH     1000          /* operations per timed batch */
#define PER_PT    500           /* pages of a batch per page table */
#define WARMUP    5             /* rounds not recorded */

/* ---- timing ---- */

static inline uint64_t t_start(void)
{
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
}

static inline uint64_t t_stop(void)
{
    unsigned aux;
    uint64_t t = __rdtscp(&aux);
    _mm_lfence();
    return t;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* TSC ticks per ns, over ~200 ms of wall clock. */
static double tsc_ghz(void)
{
    double n0 = now_ns();
    uint64_t t0 = __rdtsc();
    double n1;
    do
        n1 = now_ns();
    while (n1 - n0 < 2e8);
    uint64_t t1 = __rdtsc();
    return (double)(t1 - t0) / (n1 - n0);
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p += 1 + (p[1] == ' ');
                p[strcspn(p, "\n")] = 0;
                snprintf(buf, n, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct samples {
    double *v;      /* ticks per op, one per recorded round */
    int     n;
} samples;

static double median(samples *s)
{
    qsort(s->v, s->n, sizeof *s->v, cmp_double);
    return s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

static double best(samples *s)
{
    double b = s->v[0];
    for (int i = 1; i < s->n; i++)
        if (s->v[i] < b)
            b = s->v[i];
    return b;
}

/* ---- the two implementations ---- */

static const char *gen_status(x86_64_status s)
{
    static const char *const names[] = { "OK", "EINVAL", "EEXIST", "ENOENT", "ENOMEM" };
    return (unsigned)s < 5 ? names[s] : "?";
}

static pgprot_t prot_of(x86_64_flags_t f)
{
    return pt_linux_prot(f & X86_64_FLAG_WRITABLE, f & X86_64_FLAG_USERMODE,
                         f & X86_64_FLAG_EXECUTABLE, f & X86_64_FLAG_WRITETHROUGH,
                         f & X86_64_FLAG_NOCACHE, f & X86_64_FLAG_GLOBAL);
}

static x86_64_flags_t flags_of(pgprot_t p)
{
    x86_64_flags_t f = 0;
    f |= p.pgprot & _PAGE_RW ? X86_64_FLAG_WRITABLE : 0;
    f |= p.pgprot & _PAGE_USER ? X86_64_FLAG_USERMODE : 0;
    f |= p.pgprot & _PAGE_NX ? 0 : X86_64_FLAG_EXECUTABLE;
    f |= p.pgprot & _PAGE_PWT ? X86_64_FLAG_WRITETHROUGH : 0;
    f |= p.pgprot & _PAGE_PCD ? X86_64_FLAG_NOCACHE : 0;
    f |= p.pgprot & _PAGE_GLOBAL ? X86_64_FLAG_GLOBAL : 0;
    return f;
}

typedef struct bench {
    vrs_hosted     *h;
    x86_64_ctx      gen;
    struct pt_linux lin;
    uint64_t        va[BATCH], pa[BATCH];
    x86_64_flags_t  f_map, f_prot;
    pgprot_t        p_map, p_prot;
    uint64_t        sink;
} bench;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "driver_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* Both implementations agree about va: both unmapped, or both map it to
 * the same pa with the same page size and flags. Returns the page size
 * (0: unmapped). */
static uint64_t agree(bench *b, uint64_t va)
{
    uint64_t gpa = 0, gps = 0, lpa = 0, lps = 0;
    x86_64_flags_t gf = 0;
    pgprot_t lp = { 0 };
    x86_64_status gs = x86_64_resolve(&b->gen, va, &gpa, &gf, &gps);
    int ls = pt_linux_resolve(&b->lin, va, &lpa, &lp, &lps);
    /* above the canonical lower half (2^47) the generated driver says
     * EINVAL: no address there translates through CR3's lower half */
    if (gs == X86_64_EINVAL && va >= (UINT64_C(1) << 47) && ls != 0)
        return 0;
    if ((gs == X86_64_ENOENT) != (ls != 0) || (gs != X86_64_OK && gs != X86_64_ENOENT))
        die("resolve %#" PRIx64 ": generated %s, hand-written %d", va, gen_status(gs), ls);
    if (gs != X86_64_OK)
        return 0;
    if (gpa != lpa || gps != lps || gf != flags_of(lp))
        die("resolve %#" PRIx64 ": generated pa %#" PRIx64 " size %#" PRIx64 " flags %#" PRIx64
            ", hand-written pa %#" PRIx64 " size %#" PRIx64 " flags %#" PRIx64,
            va, gpa, gps, gf, lpa, lps, flags_of(lp));
    return gps;
}

/* Both map va to pa with flags f; returns the page size. */
static uint64_t expect_mapped(bench *b, uint64_t va, uint64_t pa, x86_64_flags_t f)
{
    uint64_t p = 0, ps = 0, size = agree(b, va);
    x86_64_flags_t got = 0;
    if (size == 0 || x86_64_resolve(&b->gen, va, &p, &got, &ps) != X86_64_OK || p != pa ||
        got != f)
        die("%#" PRIx64 " is not mapped to %#" PRIx64 " as expected", va, pa);
    return size;
}

/* ---- (a)-(d): single 4 KiB pages in existing tables ---- */

typedef struct layout {
    const char *name;
    uint64_t    base;       /* of the two page tables' 4 MiB */
    int         keeper;     /* index of the keeper page in each table */
    int         first;      /* index of the first benchmark page */
} layout;

#define PA_PAGES   UINT64_C(0x0000001000000000)   /* 64 GiB: pas of the pages */
#define PA_KEEPERS UINT64_C(0x0000002000000000)

static void layout_pages(bench *b, const layout *l)
{
    for (int i = 0; i < BATCH; i++) {
        b->va[i] = l->base + MiB(2) * (uint64_t)(i / PER_PT) + KiB(4) * (uint64_t)(l->first + i % PER_PT);
        b->pa[i] = PA_PAGES + KiB(4) * (uint64_t)i;
    }
}

static uint64_t keeper_va(const layout *l, int t) { return l->base + MiB(2) * (uint64_t)t + KiB(4) * (uint64_t)l->keeper; }

static void map_keepers(bench *b, const layout *l)
{
    for (int t = 0; t < BATCH / PER_PT; t++) {
        uint64_t va = keeper_va(l, t), pa = PA_KEEPERS + KiB(4) * (uint64_t)t;
        x86_64_status s = x86_64_map(&b->gen, va, KiB(4), b->f_map, pa, NULL);
        int rc = pt_linux_map(&b->lin, va, KiB(4), pa, b->p_map);
        if (s != X86_64_OK || rc != 0)
            die("keeper %#" PRIx64 ": generated %s, hand-written %d", va, gen_status(s), rc);
    }
}

/* One batch of an op for one implementation; returns ticks for the batch.
 * Statuses are checked after the batch, the same way for both. */
#define BATCH_FN(name, decls, stmt)                                      \
    static uint64_t name(bench *b)                                       \
    {                                                                    \
        decls;                                                           \
        unsigned bad = 0;                                                \
        uint64_t t0 = t_start();                                         \
        for (int i = 0; i < BATCH; i++) {                                \
            stmt;                                                        \
        }                                                                \
        uint64_t t1 = t_stop();                                          \
        if (bad)                                                         \
            die("%s failed", #name);                                     \
        return t1 - t0;                                                  \
    }

BATCH_FN(gen_map, ,
         bad |= x86_64_map(&b->gen, b->va[i], KiB(4), b->f_map, b->pa[i], NULL) != X86_64_OK)
BATCH_FN(gen_protect, ,
         bad |= x86_64_protect(&b->gen, b->va[i], KiB(4), b->f_prot, NULL) != X86_64_OK)
BATCH_FN(gen_unmap, , bad |= x86_64_unmap(&b->gen, b->va[i], KiB(4), NULL) != X86_64_OK)
BATCH_FN(gen_resolve, uint64_t pa = 0; uint64_t ps = 0; x86_64_flags_t f = 0,
         bad |= x86_64_resolve(&b->gen, b->va[i], &pa, &f, &ps) != X86_64_OK; b->sink += pa)
BATCH_FN(lin_map, , bad |= pt_linux_map(&b->lin, b->va[i], KiB(4), b->pa[i], b->p_map) != 0)
BATCH_FN(lin_protect, , bad |= pt_linux_protect(&b->lin, b->va[i], KiB(4), b->p_prot) != 0)
BATCH_FN(lin_unmap, , bad |= pt_linux_unmap(&b->lin, b->va[i], KiB(4)) != 0)
BATCH_FN(lin_resolve, uint64_t pa = 0; uint64_t ps = 0; pgprot_t p = { 0 },
         bad |= pt_linux_resolve(&b->lin, b->va[i], &pa, &p, &ps) != 0; b->sink += pa)

enum { OP_MAP, OP_PROTECT, OP_RESOLVE, OP_UNMAP, NOPS };
static uint64_t (*const gen_ops[NOPS])(bench *) = { gen_map, gen_protect, gen_resolve, gen_unmap };
static uint64_t (*const lin_ops[NOPS])(bench *) = { lin_map, lin_protect, lin_resolve, lin_unmap };

/* Untimed: every page through all four ops, comparing after each. */
static void verify_pages(bench *b, const layout *l)
{
    for (int op = 0; op < NOPS; op++) {
        gen_ops[op](b);
        lin_ops[op](b);
        for (int i = 0; i < BATCH; i++) {
            if (op == OP_UNMAP) {
                if (agree(b, b->va[i]) != 0)
                    die("%#" PRIx64 " still mapped after unmap", b->va[i]);
            } else {
                if (expect_mapped(b, b->va[i] + 0x123, b->pa[i] + 0x123,
                                  op == OP_MAP ? b->f_map : b->f_prot) != KiB(4))
                    die("%#" PRIx64 ": not a 4 KiB page", b->va[i]);
            }
        }
        for (int t = 0; t < BATCH / PER_PT; t++)
            (void)expect_mapped(b, keeper_va(l, t), PA_KEEPERS + KiB(4) * (uint64_t)t, b->f_map);
    }
    /* the gaps between pages and tables stay unmapped */
    for (uint64_t va = l->base - KiB(4); va < l->base + MiB(4) + KiB(4); va += KiB(4))
        (void)agree(b, va);
}

/* Times `rounds` rounds of map/protect/resolve/unmap batches, both
 * implementations, alternating which goes first. s[impl][op]. */
static void run_pages(bench *b, const layout *l, int rounds, samples s[2][NOPS])
{
    layout_pages(b, l);
    map_keepers(b, l);
    verify_pages(b, l);
    for (int r = 0; r < WARMUP + rounds; r++) {
        for (int k = 0; k < 2; k++) {
            int impl = (r + k) % 2;
            uint64_t (*const *ops)(bench *) = impl == 0 ? gen_ops : lin_ops;
            for (int op = 0; op < NOPS; op++) {
                uint64_t t = ops[op](b);
                if (r >= WARMUP)
                    s[impl][op].v[s[impl][op].n++] = (double)t / BATCH;
            }
        }
    }
    verify_pages(b, l);
}

/* ---- (e): ~1 GiB of mixed-alignment ranges ---- */

typedef struct range {
    uint64_t va, size, pa;
} range;

#define VB UINT64_C(0x0000010000000000)    /* 1 TiB: pml4 index 2 */
#define PB UINT64_C(0x0000004000000000)    /* 256 GiB */

static const range mixed[] = {
    /* va = pa mod 1 GiB: 16 x 4K, 2M, 1G, 2M, 16 x 4K */
    { VB + GiB(1) - MiB(2) - KiB(64), KiB(64) + MiB(2) + GiB(1) + MiB(2) + KiB(64),
      PB + GiB(1) - MiB(2) - KiB(64) },
    /* va 2M-aligned, pa only 4K-aligned: 512 x 4K */
    { VB + GiB(4), MiB(2), PB + GiB(4) + KiB(4) },
    /* va = pa mod 2 MiB, not mod 1 GiB: 31 x 2M */
    { VB + GiB(5) + MiB(2), MiB(62), PB + GiB(8) + MiB(2) },
};
#define NMIXED (sizeof mixed / sizeof mixed[0])

static void init_both(bench *b)
{
    if (x86_64_init(&b->gen) != X86_64_OK || pt_linux_init(&b->lin, vrs_hosted_env(b->h)) != 0)
        die("init failed");
}

static void fini_both(bench *b)
{
    x86_64_fini(&b->gen);
    pt_linux_fini(&b->lin);
}

static uint64_t gen_mixed(bench *b)
{
    unsigned bad = 0;
    uint64_t t0 = t_start();
    for (size_t i = 0; i < NMIXED; i++)
        bad |= x86_64_map(&b->gen, mixed[i].va, mixed[i].size, b->f_map, mixed[i].pa, NULL) != X86_64_OK;
    uint64_t t1 = t_stop();
    if (bad)
        die("generated: mixed map failed");
    return t1 - t0;
}

static uint64_t lin_mixed(bench *b)
{
    unsigned bad = 0;
    uint64_t t0 = t_start();
    for (size_t i = 0; i < NMIXED; i++)
        bad |= pt_linux_map(&b->lin, mixed[i].va, mixed[i].size, mixed[i].pa, b->p_map) != 0;
    uint64_t t1 = t_stop();
    if (bad)
        die("hand-written: mixed map failed");
    return t1 - t0;
}

/* Every 4 KiB of every range (and the pages around it) agrees; counts the
 * leaves by size. */
static void verify_mixed(bench *b, uint64_t counts[3], uint64_t *bytes)
{
    counts[0] = counts[1] = counts[2] = 0;
    *bytes = 0;
    for (size_t i = 0; i < NMIXED; i++) {
        const range *r = &mixed[i];
        (void)agree(b, r->va - KiB(4));
        (void)agree(b, r->va + r->size);
        for (uint64_t off = 0; off < r->size; off += KiB(4))
            (void)expect_mapped(b, r->va + off, r->pa + off, b->f_map);
        for (uint64_t off = 0; off < r->size;) {
            uint64_t ps = expect_mapped(b, r->va + off, r->pa + off, b->f_map);
            counts[ps == KiB(4) ? 0 : ps == MiB(2) ? 1 : 2]++;
            off += ps;
        }
        *bytes += r->size;
    }
}

static void run_mixed(bench *b, int rounds, samples s[2], uint64_t counts[3], uint64_t *bytes,
                      uint64_t tables[2])
{
    for (int r = 0; r < WARMUP + rounds; r++) {
        init_both(b);
        uint64_t t[2];
        vrs_hosted_stats st0 = vrs_hosted_get_stats(b->h), st1;
        if (r % 2 == 0) {
            t[0] = gen_mixed(b);
            st1 = vrs_hosted_get_stats(b->h);
            t[1] = lin_mixed(b);
            tables[0] = st1.allocs - st0.allocs;
            tables[1] = vrs_hosted_get_stats(b->h).allocs - st1.allocs;
        } else {
            t[1] = lin_mixed(b);
            t[0] = gen_mixed(b);
        }
        if (r == 0)
            verify_mixed(b, counts, bytes);
        if (r >= WARMUP)
            for (int k = 0; k < 2; k++)
                s[k].v[s[k].n++] = (double)t[k];
        fini_both(b);
    }
}

/* ---- main ---- */

/* The median over the rounds of generated / hand-written, each ratio from
 * the two batches of one round (which run back to back): a slow phase of
 * the machine that spans a round slows both sides of its ratio alike.
 * Before median() sorts either. */
static double paired(const samples *g, const samples *l)
{
    samples r = { calloc((size_t)g->n, sizeof(double)), 0 };
    if (!r.v)
        die("out of memory");
    for (int i = 0; i < g->n && i < l->n; i++)
        r.v[r.n++] = g->v[i] / l->v[i];
    double m = median(&r);
    free(r.v);
    return m;
}

static void row(const char *name, samples *g, samples *l, double ghz)
{
    double pr = paired(g, l), gm = median(g), lm = median(l);
    printf("%-44s %10.1f %9.1f %9.1f   %10.1f %9.1f %9.1f   %6.2f %6.2f\n", name, gm, gm / ghz,
           best(g), lm, lm / ghz, best(l), gm / lm, pr);
}

static samples new_samples(int n)
{
    samples s = { calloc((size_t)n, sizeof(double)), 0 };
    if (!s.v)
        die("out of memory");
    return s;
}

int main(int argc, char **argv)
{
    int rounds = 101, mixed_rounds = 51;
    bool profile = false;
    const char *label = "";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            rounds = mixed_rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
            label = argv[++i];
        else if (strcmp(argv[i], "-p") == 0)
            profile = true;
        else
            die("usage: driver_bench [-r ROUNDS] [-l LABEL] [-p]");
    }
    if (rounds < 1)
        die("-r: at least 1 round");

    static bench b;
    b.h = vrs_hosted_new(MiB(64));
    if (!b.h || !vrs_hosted_reserve(b.h, MiB(1)))
        die("no hosted environment");
    b.gen.env = vrs_hosted_env(b.h);
    b.f_map = X86_64_FLAG_WRITABLE | X86_64_FLAG_GLOBAL;     /* kernel rw data */
    b.f_prot = X86_64_FLAG_GLOBAL;                            /* to read-only */
    b.p_map = prot_of(b.f_map);
    b.p_prot = prot_of(b.f_prot);

    char model[128];
    cpu_model(model, sizeof model);
    double ghz = tsc_ghz();
    printf("driver_bench %s\n", label);
    printf("cpu: %s; TSC %.3f GHz (estimated over 200 ms)\n", model, ghz);
    printf("generated: vrsc's x86_64 driver (specs/x86_64.vrs); hand-written: bench/pt_linux.c\n");
    printf("(a)-(d): %d rounds x batches of %d ops, median ticks/op (best batch beside it)\n",
           rounds, BATCH);
    printf("gen/hw: the ratio of the two medians, and the median of the rounds' own ratios "
           "(paired: each round times both back to back)\n");

    /* (a)-(d), and (c') with every table index near 511 */
    static const layout low = { "low", UINT64_C(0x00007f0000000000), 0, 1 };
    static const layout high = { "high", UINT64_C(0x00007fffffc00000), 511, 0 };
    samples s[2][2][NOPS];
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 2; i++)
            for (int op = 0; op < NOPS; op++)
                s[k][i][op] = new_samples(rounds);
    samples m[2] = { new_samples(mixed_rounds), new_samples(mixed_rounds) };
    init_both(&b);
    run_pages(&b, &low, rounds, s[0]);
    if (profile) {
        /* for perf/callgrind: (a)-(d) of the low layout only, each batch
         * function called 2 + WARMUP + rounds times */
        printf("(a) %.1f / %.1f, (b) %.1f / %.1f, (c) %.1f / %.1f, (d) %.1f / %.1f ticks\n",
               median(&s[0][0][OP_MAP]), median(&s[0][1][OP_MAP]), median(&s[0][0][OP_PROTECT]),
               median(&s[0][1][OP_PROTECT]), median(&s[0][0][OP_UNMAP]),
               median(&s[0][1][OP_UNMAP]), median(&s[0][0][OP_RESOLVE]),
               median(&s[0][1][OP_RESOLVE]));
        goto out;
    }
    run_pages(&b, &high, rounds, s[1]);
    fini_both(&b);
    vrs_hosted_stats st = vrs_hosted_get_stats(b.h);
    if (st.errors || st.live_tables)
        die("hosted environment: %" PRIu64 " errors (%s), %" PRIu64 " tables left", st.errors,
            vrs_hosted_last_error(b.h), st.live_tables);

    uint64_t counts[3] = { 0 }, bytes = 0, tables[2] = { 0 };
    run_mixed(&b, mixed_rounds, m, counts, &bytes, tables);
    st = vrs_hosted_get_stats(b.h);
    if (st.errors || st.live_tables)
        die("hosted environment: %" PRIu64 " errors (%s), %" PRIu64 " tables left", st.errors,
            vrs_hosted_last_error(b.h), st.live_tables);
    printf("verified: both resolve every page of every workload to the same pa, size and flags\n\n");

    printf("%-44s %30s   %30s   %13s\n", "", "generated", "hand-written", "gen/hw");
    printf("%-44s %10s %9s %9s   %10s %9s %9s   %6s %6s\n", "operation", "ticks", "ns", "best",
           "ticks", "ns", "best", "median", "paired");
    row("(a) map 4 KiB, existing table", &s[0][0][OP_MAP], &s[0][1][OP_MAP], ghz);
    row("(b) protect 4 KiB", &s[0][0][OP_PROTECT], &s[0][1][OP_PROTECT], ghz);
    row("(c) unmap 4 KiB (table indices 0)", &s[0][0][OP_UNMAP], &s[0][1][OP_UNMAP], ghz);
    row("(c') unmap 4 KiB (table indices ~511)", &s[1][0][OP_UNMAP], &s[1][1][OP_UNMAP], ghz);
    row("(d) resolve 4 KiB", &s[0][0][OP_RESOLVE], &s[0][1][OP_RESOLVE], ghz);
    char name[96];
    snprintf(name, sizeof name, "(e) map %.2f GiB mixed, per whole set", (double)bytes / GiB(1));
    row(name, &m[0], &m[1], ghz);
    printf("\n(e): %zu ranges, %" PRIu64 " x 4K + %" PRIu64 " x 2M + %" PRIu64 " x 1G leaves, "
           "%" PRIu64 " / %" PRIu64 " tables allocated (generated / hand-written), %d rounds;\n"
           "     per leaf: generated %.1f ticks, hand-written %.1f ticks\n",
           NMIXED, counts[0], counts[1], counts[2], tables[0], tables[1], mixed_rounds,
           median(&m[0]) / (double)(counts[0] + counts[1] + counts[2]),
           median(&m[1]) / (double)(counts[0] + counts[1] + counts[2]));
    printf("(checksum %" PRIu64 ")\n", b.sink & 0xff);
out:
    for (int k = 0; k < 2; k++) {
        free(m[k].v);
        for (int i = 0; i < 2; i++)
            for (int op = 0; op < NOPS; op++)
                free(s[k][i][op].v);
    }
    vrs_hosted_free(b.h);
    return 0;
}
