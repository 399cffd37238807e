/*
 * faults.c - allocation-failure injection for one generated driver.
 *
 * Built per driver like diff.c (-DDRV_X86_64 / -DDRV_X86_32, see arch.h).
 * For each scenario: build a starting state, then run one operation with
 * the k-th table allocation failing (vrs_hosted_fail_alloc_after(h, k)),
 * for k = 0, 1, 2, ... until the operation succeeds. Every failed attempt
 * must
 *   - return ENOMEM with *done == 0,
 *   - leave the root register and every table reachable from it (the set of
 *     tables and their raw bytes in simulated memory) byte-identical,
 *   - leave the number of live tables unchanged (nothing leaked),
 *   - cause no hosted-env error, and consume exactly the one injected
 *     failure;
 * the attempt that succeeds must have made exactly k allocations (so every
 * allocation of the operation was made to fail once), and its result must
 * match the reference model (translation and the leaves' own flags, read by
 * the walker; effective permissions are diff.c's business); reachable
 * tables must equal live tables. Finally NAME_fini must leave 0 live
 * tables and 0 errors. Scenario 0 makes init's allocation fail. The last
 * four (conflict_case) fail with a conflict instead, after the driver has
 * written part of the range: the tables must come back byte-identical.
 *
 *   faults [--verbose]
 */
#include "common.h"

#define X(v) ((unsigned long long)(v))
#define G MODEL_GRANULE
#define TABLE_BYTES 4096u
#define MAX_K 64

typedef struct snap {
    uint64_t cr3;
    size_t n;
    uint64_t *pa;
    unsigned char *bytes; /* n * TABLE_BYTES */
} snap;

static bool verbose;
static int failures;

static void fail(const char *scen, const char *fmt, ...)
{
    va_list ap;
    printf("FAIL %s: ", scen);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    failures++;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void snap_take(snap *s, vrs_hosted *h)
{
    view v = { 0 };
    view_take(&v, h);
    s->cr3 = arch_cr3(h);
    s->n = v.nt;
    s->pa = xmalloc((v.nt ? v.nt : 1) * sizeof *s->pa);
    for (size_t i = 0; i < v.nt; i++)
        s->pa[i] = v.t[i].pa;
    qsort(s->pa, s->n, sizeof *s->pa, cmp_u64);
    s->bytes = xmalloc((s->n ? s->n : 1) * TABLE_BYTES);
    for (size_t i = 0; i < s->n; i++) {
        uint64_t lim = vrs_hosted_phys_bytes(h);
        if (s->pa[i] <= lim && TABLE_BYTES <= lim - s->pa[i])
            memcpy(s->bytes + i * TABLE_BYTES, vrs_hosted_ptr(h, s->pa[i], TABLE_BYTES),
                   TABLE_BYTES);
        else
            memset(s->bytes + i * TABLE_BYTES, 0xee, TABLE_BYTES);
    }
    view_free(&v);
}

static void snap_free(snap *s)
{
    free(s->pa);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

/* "" if equal, else a description of the first difference. */
static const char *snap_diff(const snap *a, const snap *b)
{
    static char buf[256];
    if (a->cr3 != b->cr3) {
        snprintf(buf, sizeof buf, "root register %#llx -> %#llx", X(a->cr3), X(b->cr3));
        return buf;
    }
    if (a->n != b->n) {
        snprintf(buf, sizeof buf, "%zu reachable tables -> %zu", a->n, b->n);
        return buf;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->pa[i] != b->pa[i]) {
            snprintf(buf, sizeof buf, "reachable table %#llx replaced by %#llx", X(a->pa[i]),
                     X(b->pa[i]));
            return buf;
        }
        const unsigned char *x = a->bytes + i * TABLE_BYTES, *y = b->bytes + i * TABLE_BYTES;
        if (memcmp(x, y, TABLE_BYTES)) {
            size_t o = 0;
            while (x[o] == y[o])
                o++;
            snprintf(buf, sizeof buf, "table %#llx changed at byte offset %#zx", X(a->pa[i]),
                     o);
            return buf;
        }
    }
    return "";
}

enum { F_MAP, F_UNMAP, F_PROTECT };
typedef struct fop {
    int kind;
    uint64_t va, size, flags, pa;
} fop;

static drv_status fop_run(inst *in, const fop *o, uint64_t *done)
{
    *done = UINT64_C(0xdead);
    switch (o->kind) {
    case F_MAP: return DRV(map)(&in->c, o->va, o->size, (drv_flags_t)o->flags, o->pa, done);
    case F_UNMAP: return DRV(unmap)(&in->c, o->va, o->size, done);
    default: return DRV(protect)(&in->c, o->va, o->size, (drv_flags_t)o->flags, done);
    }
}

static void fop_model(model *m, const fop *o)
{
    switch (o->kind) {
    case F_MAP: model_map(m, o->va, o->size, o->flags, o->pa); break;
    case F_UNMAP: model_unmap(m, o->va, o->size); break;
    default: model_protect(m, o->va, o->size, o->flags); break;
    }
}

/* Compare the walker's view (translation and leaf flags) with the model. */
static void check_view(const char *scen, const char *when, inst *in, const model *m)
{
    view v = { 0 };
    model got;
    model_init(&got, &arch_model);
    view_take(&v, in->h);
    for (size_t i = 0; i < v.nl; i++)
        if (v.l[i].fault != WALK_OK)
            fail(scen, "%s: walker %s at level %d for va %#llx", when,
                 walk_fault_name(v.l[i].fault), v.l[i].level, X(v.l[i].va));
    view_to_model(&v, &got, false);
    size_t i, j;
    if (!model_same(m, &got, &i, &j)) {
        char a[128] = "nothing", b[128] = "nothing";
        if (i < m->n)
            snprintf(a, sizeof a, "[%#llx, %#llx) -> %#llx flags %#llx", X(m->v[i].va),
                     X(m->v[i].end), X(m->v[i].pa), X(m->v[i].flags));
        if (j < got.n)
            snprintf(b, sizeof b, "[%#llx, %#llx) -> %#llx flags %#llx", X(got.v[j].va),
                     X(got.v[j].end), X(got.v[j].pa), X(got.v[j].flags));
        fail(scen, "%s: mappings differ from the model: model %s, walker %s", when, a, b);
    }
    vrs_hosted_stats st = inst_stats(in);
    if (st.live_tables != v.nt)
        fail(scen, "%s: %llu live tables, %zu reachable", when, X(st.live_tables), v.nt);
    model_free(&got);
    view_free(&v);
}

typedef struct scenario {
    const char *name;
    fop setup[4];
    int nsetup;
    fop op;
    int allocs; /* the fewest allocations the op needs (informational) */
} scenario;

static void run(const scenario *sc)
{
    int f0 = failures;
    inst in;
    model m;
    model_init(&m, &arch_model);
    if (!inst_new(&in, MiB(16))) {
        fail(sc->name, "cannot create the environment or init failed");
        return;
    }
    for (int i = 0; i < sc->nsetup; i++) {
        uint64_t done;
        drv_status s = fop_run(&in, &sc->setup[i], &done);
        if (s != DST(OK)) {
            fail(sc->name, "setup step %d returned %s", i,
                 status_set_name(arch_status_bit(s)));
            goto out;
        }
        fop_model(&m, &sc->setup[i]);
    }
    check_view(sc->name, "after setup", &in, &m);

    snap before;
    snap_take(&before, in.h);
    vrs_hosted_stats st0 = inst_stats(&in);
    int k;
    bool ok = false;
    for (k = 0; k < MAX_K; k++) {
        vrs_hosted_stats sa = inst_stats(&in);
        uint64_t done;
        vrs_hosted_fail_alloc_after(in.h, k);
        drv_status s = fop_run(&in, &sc->op, &done);
        vrs_hosted_fail_alloc_after(in.h, -1);
        vrs_hosted_stats sb = inst_stats(&in);
        if (sb.errors != st0.errors)
            fail(sc->name, "k=%d: hosted env error: %s", k, vrs_hosted_last_error(in.h));
        if (s == DST(OK)) {
            uint64_t made = sb.allocs - sa.allocs;
            if (sb.failed_allocs != sa.failed_allocs)
                fail(sc->name, "k=%d: succeeded although an allocation failed", k);
            if (made != (uint64_t)k)
                fail(sc->name, "succeeded at k=%d after %llu allocations (each should have "
                               "been made to fail once)",
                     k, X(made));
            if (done != sc->op.size)
                fail(sc->name, "*done = %#llx on success, expected %#llx", X(done),
                     X(sc->op.size));
            fop_model(&m, &sc->op);
            check_view(sc->name, "after the successful op", &in, &m);
            if (verbose || k < sc->allocs)
                printf("  %s: succeeded with %d allocations (at least %d expected), %llu "
                       "tables freed\n",
                       sc->name, k, sc->allocs, X(sb.frees - sa.frees));
            if (k < sc->allocs)
                fail(sc->name, "only %d allocations, the operation needs %d", k, sc->allocs);
            ok = true;
            break;
        }
        if (s != DST(ENOMEM)) {
            fail(sc->name, "k=%d: returned %s, expected ENOMEM", k,
                 status_set_name(arch_status_bit(s)));
            break;
        }
        if (done != 0)
            fail(sc->name, "k=%d: ENOMEM with *done = %#llx", k, X(done));
        if (sb.failed_allocs != sa.failed_allocs + 1)
            fail(sc->name, "k=%d: %llu failed allocations, expected 1", k,
                 X(sb.failed_allocs - sa.failed_allocs));
        if (sb.live_tables != st0.live_tables)
            fail(sc->name, "k=%d: live tables %llu -> %llu after ENOMEM (leak)", k,
                 X(st0.live_tables), X(sb.live_tables));
        snap after;
        snap_take(&after, in.h);
        const char *d = snap_diff(&before, &after);
        if (*d)
            fail(sc->name, "k=%d: ENOMEM but the tables changed: %s", k, d);
        snap_free(&after);
        if (*d || sb.live_tables != st0.live_tables)
            break; /* the state is no longer the starting one */
    }
    if (!ok && k == MAX_K)
        fail(sc->name, "still ENOMEM after %d injected failures", MAX_K);
    snap_free(&before);
out:
    DRV(fini)(&in.c);
    vrs_hosted_stats st = inst_stats(&in);
    if (st.live_tables)
        fail(sc->name, "after fini: %llu live tables (leak)", X(st.live_tables));
    if (st.errors)
        fail(sc->name, "hosted env errors: %llu (%s)", X(st.errors),
             vrs_hosted_last_error(in.h));
    printf("%-52s %s\n", sc->name, failures > f0 ? "FAILED" : "ok");
    vrs_hosted_free(in.h);
    model_free(&m);
}

#define W1 ARCH_F_W
#define WU (ARCH_F_W | ARCH_F_U)

/* A map that fails with a conflict (no allocation failing) leaves the
 * tables byte-identical, whatever it wrote before it met the conflict: the
 * driver maps optimistically and undoes (docs/driver.md). `keepers` pages
 * lie in `tables` page tables of one directory, each at the end of its
 * 2 MiB (x86-32: 4 MiB) region and mapped as the big map would map it, so
 * the map crosses them all (one undo record per table); with `bad`, the
 * region after them holds a page mapped elsewhere, the conflict. `narrow`
 * maps the third keeper read-only: the map writes two tables, must widen
 * the entry above the third (the optimistic walk stops there), and then
 * meets the read-only page, a conflict. */
static void conflict_case(const char *name, int tables, bool bad, bool narrow)
{
    int f0 = failures;
    inst in;
    model m;
    model_init(&m, &arch_model);
    if (!inst_new(&in, MiB(64))) {
        fail(name, "cannot create the environment or init failed");
        return;
    }
    const uint64_t R = ARCH_BIG_PAGE, V = 4 * R * 64, P = 2 * R * 64 + KiB(4);
    for (int k = 0; k <= tables; k++) {
        if (k == tables && !bad)
            break;
        uint64_t off = (uint64_t)k * R + R - KiB(4);
        fop o = { F_MAP, V + off, KiB(4), narrow && k == 2 ? 0 : W1, P + off + (k == tables ? KiB(4) : 0) };
        uint64_t done;
        if (fop_run(&in, &o, &done) != DST(OK)) {
            fail(name, "setup: map of %#llx failed", X(o.va));
            goto out;
        }
        fop_model(&m, &o);
    }
    snap before;
    snap_take(&before, in.h);
    vrs_hosted_stats st0 = inst_stats(&in);
    fop op = { F_MAP, V, (uint64_t)(tables + 1) * R, W1, P };
    uint64_t done;
    vrs_hosted_tlb_clear(in.h);
    drv_status s = fop_run(&in, &op, &done);
    vrs_hosted_stats st1 = inst_stats(&in);
    drv_status want = bad || narrow ? DST(EEXIST) : DST(OK);
    if (s != want) {
        fail(name, "map returned %s, expected %s", status_set_name(arch_status_bit(s)),
             status_set_name(arch_status_bit(want)));
    } else if (s == DST(OK)) {
        fop_model(&m, &op);
    } else {
        snap after;
        snap_take(&after, in.h);
        const char *d = snap_diff(&before, &after);
        if (*d)
            fail(name, "EEXIST but the tables changed: %s", d);
        if (st1.live_tables != st0.live_tables)
            fail(name, "live tables %llu -> %llu after EEXIST", X(st0.live_tables), X(st1.live_tables));
        snap_free(&after);
        /* the leaves it wrote and undid may have reached a TLB meanwhile */
        bool inval = false;
        for (uint64_t i = 0, lva, lsz; vrs_hosted_tlb_entry(in.h, i, &lva, &lsz); i++)
            inval |= lva <= V && lva + lsz >= V + 2 * R;
        if (!inval)
            fail(name, "EEXIST after writing [%#llx, ...): that range was not invalidated", X(V));
    }
    if (st1.errors != st0.errors)
        fail(name, "hosted env error: %s", vrs_hosted_last_error(in.h));
    snap_free(&before);
    check_view(name, "after the op", &in, &m);
out:
    DRV(fini)(&in.c);
    if (inst_stats(&in).live_tables)
        fail(name, "after fini: %llu live tables (leak)", X(inst_stats(&in).live_tables));
    printf("%-52s %s\n", name, failures > f0 ? "FAILED" : "ok");
    vrs_hosted_free(in.h);
    model_free(&m);
}

static void conflicts(void)
{
    conflict_case("conflict after 3 tables (undone)", 3, true, false);
    conflict_case("conflict after 12 tables (log full, then 2 passes)", 12, true, false);
    conflict_case("no conflict across 12 tables", 12, false, false);
    conflict_case("a narrower table entry, then a conflict", 12, false, true);
}

static void init_failure(void)
{
    int f0 = failures;
    const char *name = "init with its root allocation failing";
    vrs_hosted *h = vrs_hosted_new(MiB(1));
    drv_ctx c;
    memset(&c, 0, sizeof c);
    c.env = vrs_hosted_env(h);
    vrs_hosted_fail_alloc_after(h, 0);
    drv_status s = DRV(init)(&c);
    vrs_hosted_stats st = vrs_hosted_get_stats(h);
    if (s != DST(ENOMEM))
        fail(name, "init returned %s, expected ENOMEM", status_set_name(arch_status_bit(s)));
    if (st.live_tables || st.errors)
        fail(name, "%llu live tables, %llu errors", X(st.live_tables), X(st.errors));
    s = DRV(init)(&c);
    if (s != DST(OK))
        fail(name, "init after the failure returned %s", status_set_name(arch_status_bit(s)));
    DRV(fini)(&c);
    st = vrs_hosted_get_stats(h);
    if (st.live_tables || st.errors)
        fail(name, "after fini: %llu live tables, %llu errors", X(st.live_tables),
             X(st.errors));
    printf("%-52s %s\n", name, failures > f0 ? "FAILED" : "ok");
    vrs_hosted_free(h);
}

#if defined(DRV_X86_64)
static const scenario scenarios[] = {
    { "map 1 GiB of 4K/2M pieces across 512 GiB (empty)", { { 0 } }, 0,
      { F_MAP, GiB(512) - MiB(1) - KiB(12), GiB(1), WU, GiB(5) + MiB(1) - KiB(12) }, 6 },
    { "map 1 GiB of 4K/2M pieces (empty, one PD)", { { 0 } }, 0,
      { F_MAP, GiB(3) + KiB(20), GiB(1) - KiB(40), W1, GiB(9) + KiB(20) }, 4 },
    { "unmap 4K inside a 1 GiB page (2 split tables)",
      { { F_MAP, GiB(3), GiB(1), WU, GiB(7) } }, 1,
      { F_UNMAP, GiB(3) + MiB(512) + KiB(20), KiB(4), 0, 0 }, 2 },
    { "unmap across two 1 GiB pages (4 split tables)",
      { { F_MAP, GiB(3), GiB(2), WU, GiB(8) } }, 1,
      { F_UNMAP, GiB(4) - KiB(4), KiB(8), 0, 0 }, 4 },
    { "protect inside a 2 MiB page (1 split table)",
      { { F_MAP, GiB(4) + MiB(6), MiB(2), W1, MiB(64) } }, 1,
      { F_PROTECT, GiB(4) + MiB(6) + KiB(28), KiB(8), WU, 0 }, 1 },
    { "protect 4K inside a 1 GiB page (2 split tables)",
      { { F_MAP, GiB(6), GiB(1), 0, GiB(1) } }, 1,
      { F_PROTECT, GiB(6) + KiB(4), KiB(4), W1, 0 }, 2 },
    { "map next to a narrower mapping (widen + new tables)",
      { { F_MAP, GiB(5) + KiB(4), KiB(4), 0, MiB(3) } }, 1,
      { F_MAP, GiB(5) + KiB(8), GiB(1), ARCH_ALL_FLAGS, GiB(11) + KiB(8) }, 2 },
    { "map into a new PML4 slot (PDPT, PD, PT)", { { F_MAP, GiB(1), KiB(4), 0, 0 } }, 1,
      { F_MAP, GiB(1024) + MiB(2) - KiB(4), KiB(8), W1, MiB(2) - KiB(4) }, 4 },
    { "unmap everything (no allocation)",
      { { F_MAP, GiB(3), GiB(1), WU, GiB(7) }, { F_MAP, GiB(5) + KiB(4), KiB(4), 0, MiB(3) } },
      2, { F_UNMAP, 0, GiB(8), 0, 0 }, 0 },
};
#elif defined(DRV_X86_32)
static const scenario scenarios[] = {
    { "map 1 GiB of 4K/4M pieces (empty)", { { 0 } }, 0,
      { F_MAP, MiB(4) - KiB(12), GiB(1), WU, MiB(64) + MiB(4) - KiB(12) }, 2 },
    { "unmap 4K inside a 4 MiB page (1 split table)",
      { { F_MAP, MiB(8), MiB(4), WU, MiB(40) } }, 1,
      { F_UNMAP, MiB(10) + KiB(20), KiB(4), 0, 0 }, 1 },
    { "unmap across two 4 MiB pages (2 split tables)",
      { { F_MAP, MiB(8), MiB(8), WU, MiB(40) } }, 1,
      { F_UNMAP, MiB(12) - KiB(4), KiB(8), 0, 0 }, 2 },
    { "protect inside a 4 MiB page (1 split table)",
      { { F_MAP, MiB(16), MiB(4), W1, MiB(64) } }, 1,
      { F_PROTECT, MiB(16) + KiB(28), KiB(8), WU, 0 }, 1 },
    { "map next to a narrower mapping (widen + new table)",
      { { F_MAP, MiB(20) + KiB(4), KiB(4), 0, MiB(3) } }, 1,
      { F_MAP, MiB(20) + KiB(8), MiB(8), ARCH_ALL_FLAGS, MiB(100) + KiB(8) }, 1 },
    { "unmap everything (no allocation)",
      { { F_MAP, MiB(8), MiB(4), WU, MiB(40) }, { F_MAP, MiB(20) + KiB(4), KiB(4), 0, MiB(3) } },
      2, { F_UNMAP, 0, GiB(1), 0, 0 }, 0 },
};
#endif

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verbose")) {
            verbose = true;
        } else {
            fprintf(stderr, "usage: %s [--verbose]\n", argv[0]);
            return 2;
        }
    }
    printf("driver faults %s\n", ARCH_NAME);
    init_failure();
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        run(&scenarios[i]);
    conflicts();
    printf("%s: %zu scenarios, %d failures\n", ARCH_NAME,
           sizeof scenarios / sizeof scenarios[0] + 5, failures);
    return failures ? 1 : 0;
}
