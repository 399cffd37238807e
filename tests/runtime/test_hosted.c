/* SPDX-License-Identifier: MIT */
/*
 * test_hosted.c - checks of runtime/vrs_env.h and runtime/vrs_hosted.{h,c}
 * (ctest runtime.hosted).
 *
 * Every CHECK is counted; the program prints `N passed, M failed` and exits
 * non-zero if any failed, naming each failed check with its line. Drivers
 * reach the hosted environment only through vrs_env.h, so the checks do
 * too wherever a driver would.
 */
#include "vrs_env.h"
#include "vrs_hosted.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(bool ok, const char *what, int line)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "test_hosted.c:%d: check failed: %s\n", line, what);
    }
}

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)

static uint64_t alloc(struct vrs_env *env, uint64_t bytes, uint64_t align)
{
    uint64_t pa = ~UINT64_C(0);
    return vrs_alloc_table(env, bytes, align, &pa) ? pa : ~UINT64_C(0);
}
#define NO_PA (~UINT64_C(0))

static bool all_bytes(vrs_hosted *h, uint64_t pa, uint64_t bytes, uint8_t v)
{
    const uint8_t *p = vrs_hosted_ptr(h, pa, bytes);
    if (!p)
        return false;
    for (uint64_t i = 0; i < bytes; i++)
        if (p[i] != v)
            return false;
    return true;
}

static void test_memory(void)
{
    vrs_hosted *h = vrs_hosted_new(1 * MiB);
    struct vrs_env *env = vrs_hosted_env(h);
    CHECK(vrs_hosted_new(0) == NULL);
    CHECK(vrs_hosted_from_env(env) == h);
    CHECK(vrs_hosted_phys_bytes(h) == 1 * MiB);
    CHECK(env->direct_map == vrs_hosted_ptr(h, 0, 1 * MiB));
    CHECK(all_bytes(h, 0, 1 * MiB, 0));

    /* The inline direct map hits the buffer; the checked accessors agree. */
    uint64_t v = 0;
    vrs_mem_write64(env, 0x1000, UINT64_C(0x1122334455667788));
    vrs_mem_write32(env, 0x2000, 0xdeadbeef);
    vrs_mem_write16(env, 0x2008, 0xcafe);
    vrs_mem_write8(env, 0x200a, 0x5a);
    CHECK(vrs_hosted_read(h, 0x1000, 8, &v) && v == UINT64_C(0x1122334455667788));
    CHECK(vrs_hosted_read(h, 0x1000, 1, &v) == true);
    CHECK(vrs_mem_read32(env, 0x2000) == 0xdeadbeef);
    CHECK(vrs_mem_read16(env, 0x2008) == 0xcafe);
    CHECK(vrs_mem_read8(env, 0x200a) == 0x5a);
    CHECK(vrs_hosted_write(h, 0x3000, 8, 42) && vrs_mem_read64(env, 0x3000) == 42);
    CHECK(vrs_phys_to_virt(env, 0x3000) == vrs_hosted_ptr(h, 0x3000, 8));

    /* Out of range or bad widths: errors, never a crash. */
    CHECK(vrs_hosted_errors(h) == 0);
    CHECK(!vrs_hosted_read(h, 1 * MiB - 4, 8, &v) && v == 0);
    CHECK(!vrs_hosted_read(h, 0, 3, &v));
    CHECK(!vrs_hosted_write(h, 1 * MiB, 1, 0));
    CHECK(!vrs_hosted_write(h, ~UINT64_C(0), 8, 0));
    CHECK(vrs_hosted_ptr(h, 1 * MiB - 8, 16) == NULL);
    CHECK(vrs_hosted_ptr(h, 8, ~UINT64_C(0)) == NULL);
    CHECK(vrs_hosted_ptr(h, 1 * MiB, 0) != NULL);
    CHECK(vrs_hosted_errors(h) == 6);
    CHECK(strstr(vrs_hosted_last_error(h), "outside memory") != NULL);
    vrs_hosted_free(h);
    vrs_hosted_free(NULL);
}

static void test_alloc(void)
{
    vrs_hosted *h = vrs_hosted_new(8 * MiB);
    struct vrs_env *env = vrs_hosted_env(h);

    /* Zeroed even where memory was dirty, first-fit from 0. */
    memset(vrs_hosted_ptr(h, 0, 8 * MiB), 0xee, 8 * MiB);
    uint64_t a = alloc(env, 4 * KiB, 4 * KiB);
    uint64_t b = alloc(env, 4 * KiB, 4 * KiB);
    CHECK(a == 0 && b == 4 * KiB);
    CHECK(all_bytes(h, a, 4 * KiB, 0) && all_bytes(h, b, 4 * KiB, 0));
    CHECK(all_bytes(h, 8 * KiB, 4 * KiB, 0xee));

    /* Small sizes round up to a frame; odd sizes to whole frames. */
    uint64_t c = alloc(env, 100, 8);
    CHECK(c == 8 * KiB);
    uint64_t d = alloc(env, 12 * KiB, 0);
    CHECK(d == 12 * KiB && all_bytes(h, d, 12 * KiB, 0));
    vrs_hosted_stats s = vrs_hosted_get_stats(h);
    CHECK(s.allocs == 4 && s.live_tables == 4 && s.live_bytes == 24 * KiB);

    /* Power-of-two sizes and alignments above a frame. */
    uint64_t e = alloc(env, 16 * KiB, 16 * KiB);
    CHECK(e != NO_PA && e % (16 * KiB) == 0 && e >= 24 * KiB);
    uint64_t f = alloc(env, 4 * KiB, 2 * MiB);
    CHECK(f == 2 * MiB);
    uint64_t g = alloc(env, 64 * KiB, 64 * KiB);
    CHECK(g != NO_PA && g % (64 * KiB) == 0 && all_bytes(h, g, 64 * KiB, 0));
    uint64_t big = alloc(env, 2 * MiB, 2 * MiB);
    CHECK(big == 4 * MiB);
    /* The 8-KiB hole between d and e is found first-fit. */
    uint64_t hole = alloc(env, 8 * KiB, 8 * KiB);
    CHECK(hole == 24 * KiB);

    /* Bad arguments are errors and failed allocations. */
    s = vrs_hosted_get_stats(h);
    CHECK(alloc(env, 0, 4 * KiB) == NO_PA);
    CHECK(alloc(env, 4 * KiB, 3 * KiB) == NO_PA);
    vrs_hosted_stats t = vrs_hosted_get_stats(h);
    CHECK(t.errors == s.errors + 2 && t.failed_allocs == s.failed_allocs + 2);
    CHECK(t.allocs == s.allocs);
    /* Too large or too aligned: plain exhaustion, no error. */
    CHECK(alloc(env, 16 * MiB, 4 * KiB) == NO_PA);
    CHECK(alloc(env, ~UINT64_C(0), 4 * KiB) == NO_PA);
    CHECK(alloc(env, 4 * KiB, UINT64_C(1) << 40) == NO_PA);   /* pa 0 is taken */
    t = vrs_hosted_get_stats(h);
    CHECK(t.errors == s.errors + 2 && t.failed_allocs == s.failed_allocs + 5);
    vrs_hosted_free(h);

    /* A huge alignment is satisfiable at pa 0. */
    h = vrs_hosted_new(64 * KiB);
    env = vrs_hosted_env(h);
    CHECK(alloc(env, 4 * KiB, UINT64_C(1) << 62) == 0);
    vrs_hosted_free(h);
}

static void test_exhaustion_and_reserve(void)
{
    vrs_hosted *h = vrs_hosted_new(64 * KiB + 100);   /* the partial frame is never used */
    struct vrs_env *env = vrs_hosted_env(h);
    uint64_t pas[16];
    bool ok = true;
    for (int i = 0; i < 16; i++) {
        pas[i] = alloc(env, 4 * KiB, 4 * KiB);
        ok = ok && pas[i] == (uint64_t)i * 4 * KiB;
    }
    CHECK(ok);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == NO_PA);
    vrs_hosted_stats s = vrs_hosted_get_stats(h);
    CHECK(s.allocs == 16 && s.failed_allocs == 1 && s.errors == 0 && s.live_tables == 16);

    /* Freed frames are reused, lowest first. */
    vrs_free_table(env, pas[9], 4 * KiB);
    vrs_free_table(env, pas[3], 4 * KiB);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == pas[3]);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == pas[9]);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == NO_PA);

    /* reserve refuses while tables live below the new start. */
    CHECK(!vrs_hosted_reserve(h, 8 * KiB));
    for (int i = 0; i < 16; i++)
        vrs_free_table(env, pas[i], 4 * KiB);
    CHECK(vrs_hosted_get_stats(h).live_tables == 0);
    CHECK(vrs_hosted_errors(h) == 0);
    CHECK(!vrs_hosted_reserve(h, 64 * KiB + 101));
    CHECK(vrs_hosted_reserve(h, 5 * KiB));             /* rounds up to 8 KiB */
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == 8 * KiB);
    CHECK(alloc(env, 4 * KiB, 16 * KiB) == 16 * KiB);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == 12 * KiB);
    vrs_free_table(env, 8 * KiB, 4 * KiB);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == 8 * KiB);
    CHECK(vrs_hosted_reserve(h, 8 * KiB));              /* unchanged start: fine */
    CHECK(!vrs_hosted_reserve(h, 12 * KiB));
    vrs_hosted_free(h);
}

static void test_fault_injection(void)
{
    vrs_hosted *h = vrs_hosted_new(1 * MiB);
    struct vrs_env *env = vrs_hosted_env(h);

    vrs_hosted_fail_alloc_after(h, 0);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == NO_PA);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == 0);           /* once only */

    vrs_hosted_fail_alloc_after(h, 2);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) != NO_PA);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) != NO_PA);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == NO_PA);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) != NO_PA);

    vrs_hosted_fail_alloc_after(h, 1);
    vrs_hosted_fail_alloc_after(h, -1);                 /* disarmed */
    CHECK(alloc(env, 4 * KiB, 4 * KiB) != NO_PA);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) != NO_PA);

    vrs_hosted_fail_alloc_every(h, true);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == NO_PA);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == NO_PA);
    vrs_hosted_fail_alloc_every(h, false);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) != NO_PA);

    vrs_hosted_stats s = vrs_hosted_get_stats(h);
    CHECK(s.failed_allocs == 4 && s.allocs == 7 && s.live_tables == 7 && s.errors == 0);
    vrs_hosted_free(h);
}

struct freed {
    int      calls;
    uint64_t pa, bytes;
    uint64_t first_word;        /* the table's contents are still there */
};

static void on_free(void *arg, uint64_t pa, uint64_t bytes)
{
    struct freed *f = arg;
    f->calls++;
    f->pa = pa;
    f->bytes = bytes;
    f->first_word = 0;
}

static vrs_hosted *free_hook_h;

static void on_free_peek(void *arg, uint64_t pa, uint64_t bytes)
{
    on_free(arg, pa, bytes);
    vrs_hosted_read(free_hook_h, pa, 8, &((struct freed *)arg)->first_word);
}

static void test_free(void)
{
    vrs_hosted *h = vrs_hosted_new(1 * MiB);
    struct vrs_env *env = vrs_hosted_env(h);
    struct freed fr = {0};
    free_hook_h = h;
    vrs_hosted_on_free(h, on_free_peek, &fr);

    uint64_t a = alloc(env, 8 * KiB, 8 * KiB);
    uint64_t b = alloc(env, 100, 0);
    CHECK(a == 0 && b == 8 * KiB);
    vrs_mem_write64(env, a, 0x1234);

    /* A valid free: the hook sees the table, then its frames are poisoned. */
    vrs_free_table(env, a, 8 * KiB);
    CHECK(fr.calls == 1 && fr.pa == a && fr.bytes == 8 * KiB && fr.first_word == 0x1234);
    CHECK(all_bytes(h, a, 8 * KiB, 0x6b));
    vrs_hosted_stats s = vrs_hosted_get_stats(h);
    CHECK(s.frees == 1 && s.live_tables == 1 && s.live_bytes == 4 * KiB && s.errors == 0);

    /* Misuse: counted, no hook, nothing released or overwritten. */
    vrs_free_table(env, a, 8 * KiB);                    /* double free */
    CHECK(vrs_hosted_errors(h) == 1);
    CHECK(strstr(vrs_hosted_last_error(h), "double free") != NULL);
    vrs_mem_write64(env, b, 0x77);
    vrs_free_table(env, b, 8 * KiB);                    /* wrong size */
    vrs_free_table(env, b, 0);                          /* wrong size */
    vrs_free_table(env, b + 8, 4 * KiB);                /* not a frame */
    vrs_free_table(env, 1 * MiB, 4 * KiB);              /* outside memory */
    vrs_free_table(env, ~UINT64_C(0) & ~UINT64_C(0xfff), 4 * KiB);
    vrs_free_table(env, 64 * KiB, 4 * KiB);             /* never allocated */
    CHECK(vrs_hosted_errors(h) == 7);
    CHECK(fr.calls == 1);
    CHECK(vrs_mem_read64(env, b) == 0x77);
    s = vrs_hosted_get_stats(h);
    CHECK(s.frees == 1 && s.live_tables == 1);

    /* Inside a multi-frame table. */
    uint64_t c = alloc(env, 16 * KiB, 16 * KiB);
    CHECK(c == 16 * KiB);
    vrs_free_table(env, c + 4 * KiB, 4 * KiB);
    CHECK(vrs_hosted_errors(h) == 8);
    CHECK(strstr(vrs_hosted_last_error(h), "inside a table") != NULL);
    vrs_free_table(env, c, 16 * KiB);
    vrs_free_table(env, b, 4 * KiB);                    /* the size passed is reported */
    CHECK(fr.calls == 3 && fr.pa == b && fr.bytes == 4 * KiB && fr.first_word == 0x77);

    /* Hook removed. */
    vrs_hosted_on_free(h, NULL, NULL);
    vrs_free_table(env, alloc(env, 4 * KiB, 0), 4 * KiB);
    CHECK(fr.calls == 3);
    s = vrs_hosted_get_stats(h);
    CHECK(s.frees == 4 && s.allocs == 4 && s.live_tables == 0 && s.live_bytes == 0);
    CHECK(s.errors == 8);
    vrs_hosted_free(h);
}

/* Random allocations and frees against a shadow of which frames are in use. */
static void test_alloc_random(void)
{
    enum { NFRAMES = 128, NLIVE = 64 };
    vrs_hosted *h = vrs_hosted_new(NFRAMES * 4 * KiB);
    struct vrs_env *env = vrs_hosted_env(h);
    uint64_t pa[NLIVE], bytes[NLIVE];
    bool used[NFRAMES] = {false};
    int live = 0, bad = 0, failures = 0;
    uint32_t seed = 12345;

    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        if (live < NLIVE && (r & 1)) {
            uint64_t size = (uint64_t)(1 + (r >> 1) % 4096) << (r >> 13) % 4;
            uint64_t align = UINT64_C(4096) << (r >> 16) % 4;
            uint64_t p;
            if (!vrs_alloc_table(env, size, align, &p)) {
                failures++;
                continue;
            }
            uint64_t n = (size + 4095) / 4096;
            if (p % align != 0 || p / 4096 + n > NFRAMES)
                bad++;
            for (uint64_t k = p / 4096; k < p / 4096 + n && k < NFRAMES; k++) {
                if (used[k])
                    bad++;
                used[k] = true;
            }
            if (!all_bytes(h, p, n * 4096, 0))
                bad++;
            memset(vrs_hosted_ptr(h, p, n * 4096), (int)(r & 0xff), n * 4096);
            pa[live] = p;
            bytes[live] = size;
            live++;
        } else if (live > 0) {
            int i = (int)((r >> 1) % (unsigned)live);
            vrs_free_table(env, pa[i], bytes[i]);
            for (uint64_t k = pa[i] / 4096; k < pa[i] / 4096 + (bytes[i] + 4095) / 4096; k++)
                used[k] = false;
            pa[i] = pa[live - 1];
            bytes[i] = bytes[live - 1];
            live--;
        }
    }
    vrs_hosted_stats s = vrs_hosted_get_stats(h);
    CHECK(bad == 0);
    CHECK(failures > 0);                 /* the run did reach exhaustion */
    CHECK(s.errors == 0);
    CHECK(s.live_tables == (uint64_t)live);
    CHECK(s.failed_allocs == (uint64_t)failures);
    /* First-fit: after freeing everything, a frame comes from pa 0. */
    for (int i = 0; i < live; i++)
        vrs_free_table(env, pa[i], bytes[i]);
    CHECK(alloc(env, 4 * KiB, 4 * KiB) == 0);
    CHECK(vrs_hosted_errors(h) == 0);
    vrs_hosted_free(h);
}

struct instr_log {
    unsigned ids[8];
    int n;
};

static void on_instr(void *arg, unsigned id)
{
    struct instr_log *l = arg;
    if (l->n < 8)
        l->ids[l->n] = id;
    l->n++;
}

static void test_regs_instrs_barriers(void)
{
    vrs_hosted *h = vrs_hosted_new(64 * KiB);
    struct vrs_env *env = vrs_hosted_env(h);

    *vrs_hosted_reg(h, 3) = 0xabc;
    CHECK(vrs_reg_read(env, 3) == 0xabc);
    vrs_reg_write(env, 63, 77);
    CHECK(*vrs_hosted_reg(h, 63) == 77);
    CHECK(vrs_hosted_reg(h, 64) == NULL);
    CHECK(vrs_reg_read(env, 64) == 0);
    vrs_reg_write(env, 1000, 1);
    CHECK(vrs_hosted_errors(h) == 2);
    vrs_hosted_stats s = vrs_hosted_get_stats(h);
    CHECK(s.reg_reads == 2 && s.reg_writes == 2);

    struct instr_log log = {{0}, 0};
    vrs_instr(env, 5);                                  /* no hook yet */
    vrs_hosted_on_instr(h, on_instr, &log);
    vrs_instr(env, 5);
    vrs_instr(env, 0);
    vrs_instr(env, 63);
    vrs_instr(env, 64);                                 /* error, not passed on */
    CHECK(log.n == 3 && log.ids[0] == 5 && log.ids[1] == 0 && log.ids[2] == 63);
    CHECK(vrs_hosted_instr_count(h, 5) == 2);
    CHECK(vrs_hosted_instr_count(h, 0) == 1);
    CHECK(vrs_hosted_instr_count(h, 1) == 0);
    CHECK(vrs_hosted_instr_count(h, 64) == 0);
    CHECK(vrs_hosted_errors(h) == 3);
    CHECK(vrs_hosted_get_stats(h).instrs == 4);

    vrs_barrier(env);
    vrs_barrier(env);
    CHECK(vrs_hosted_get_stats(h).barriers == 2);
    vrs_hosted_free(h);
}

struct device {
    uint64_t last_write;
    int reads, writes;
};

#define DEV_PA UINT64_C(0xfee00000)

static bool dev_read(void *arg, uint64_t pa, unsigned bytes, uint64_t *v)
{
    struct device *d = arg;
    if (pa != DEV_PA)
        return false;
    d->reads++;
    *v = bytes == 8 ? d->last_write : 0x99;
    return true;
}

static bool dev_write(void *arg, uint64_t pa, unsigned bytes, uint64_t v)
{
    struct device *d = arg;
    (void)bytes;
    if (pa != DEV_PA)
        return false;
    d->writes++;
    d->last_write = v;
    return true;
}

static void test_mmio(void)
{
    vrs_hosted *h = vrs_hosted_new(64 * KiB);
    struct vrs_env *env = vrs_hosted_env(h);
    uint64_t v;

    /* Default: simulated memory at pa, any of the four widths. */
    vrs_mmio_write(env, 0x100, 4, UINT64_C(0x1122334455667788));
    CHECK(vrs_mmio_read(env, 0x100, 4) == 0x55667788);
    CHECK(vrs_hosted_read(h, 0x100, 4, &v) && v == 0x55667788);
    vrs_mmio_write(env, 0x201, 8, UINT64_C(0x0102030405060708));   /* unaligned is fine */
    CHECK(vrs_mmio_read(env, 0x201, 8) == UINT64_C(0x0102030405060708));
    vrs_mmio_write(env, 0x300, 1, 0x1ff);
    CHECK(vrs_mmio_read(env, 0x300, 1) == 0xff);
    vrs_mmio_write(env, 0x302, 2, 0xbeef);
    CHECK(vrs_mmio_read(env, 0x302, 2) == 0xbeef);
    CHECK(vrs_hosted_errors(h) == 0);

    /* Out of range and bad widths: errors, reads 0, memory untouched. */
    CHECK(vrs_mmio_read(env, 64 * KiB - 4, 8) == 0);
    CHECK(vrs_mmio_read(env, ~UINT64_C(0), 1) == 0);
    CHECK(vrs_mmio_read(env, 0x100, 3) == 0);
    vrs_mmio_write(env, 64 * KiB, 1, 1);
    vrs_mmio_write(env, 0x100, 16, 0);
    CHECK(vrs_mmio_read(env, 0x100, 4) == 0x55667788);
    CHECK(vrs_hosted_errors(h) == 5);

    /* Hooks take their addresses and pass the others on to memory. */
    struct device dev = {0, 0, 0};
    vrs_hosted_on_mmio(h, dev_read, dev_write, &dev);
    vrs_mmio_write(env, DEV_PA, 8, 0xfeed);
    CHECK(vrs_mmio_read(env, DEV_PA, 8) == 0xfeed);
    CHECK(vrs_mmio_read(env, DEV_PA, 4) == 0x99);
    CHECK(vrs_mmio_read(env, 0x100, 4) == 0x55667788);
    vrs_mmio_write(env, 0x400, 8, 5);
    CHECK(vrs_mem_read64(env, 0x400) == 5);
    CHECK(vrs_mmio_read(env, DEV_PA, 5) == 0);           /* width checked first */
    CHECK(dev.reads == 2 && dev.writes == 1);
    CHECK(vrs_hosted_errors(h) == 6);
    vrs_hosted_on_mmio(h, NULL, NULL, NULL);
    CHECK(vrs_mmio_read(env, DEV_PA, 8) == 0 && vrs_hosted_errors(h) == 7);
    vrs_hosted_stats s = vrs_hosted_get_stats(h);
    CHECK(s.mmio_reads == 13 && s.mmio_writes == 8);
    vrs_hosted_free(h);
}

static void test_tlb_log(void)
{
    vrs_hosted *h = vrs_hosted_new(64 * KiB);
    struct vrs_env *env = vrs_hosted_env(h);
    uint64_t va = 0, size = 0;

    CHECK(!vrs_hosted_tlb_entry(h, 0, &va, &size));
    vrs_tlb_invalidate(env, 0x1000, 0x2000);
    CHECK(vrs_hosted_tlb_entry(h, 0, &va, &size) && va == 0x1000 && size == 0x2000);
    CHECK(!vrs_hosted_tlb_entry(h, 1, &va, &size));

    for (uint64_t i = 1; i < 1500; i++)
        vrs_tlb_invalidate(env, i << 12, i);
    CHECK(vrs_hosted_get_stats(h).tlb_invalidations == 1500);
    CHECK(vrs_hosted_tlb_entry(h, 0, &va, &size) && va == UINT64_C(1499) << 12 && size == 1499);
    CHECK(vrs_hosted_tlb_entry(h, 1023, &va, &size) && size == 1500 - 1024);
    CHECK(!vrs_hosted_tlb_entry(h, 1024, &va, &size));

    vrs_hosted_tlb_clear(h);
    CHECK(vrs_hosted_get_stats(h).tlb_invalidations == 0);
    CHECK(!vrs_hosted_tlb_entry(h, 0, &va, &size));
    vrs_tlb_invalidate(env, 7, 8);
    CHECK(vrs_hosted_tlb_entry(h, 0, &va, &size) && va == 7 && size == 8);
    vrs_hosted_free(h);
}

static void test_save_load(void)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/vrs_hosted_XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);

    vrs_hosted *h = vrs_hosted_new(64 * KiB);
    uint8_t *m = vrs_hosted_ptr(h, 0, 64 * KiB);
    for (unsigned i = 0; i < 64 * KiB; i++)
        m[i] = (uint8_t)(i * 7 + (i >> 8));
    CHECK(vrs_hosted_save(h, path));

    /* Round trip into a fresh, larger memory, at 0 and at an offset. */
    vrs_hosted *g = vrs_hosted_new(256 * KiB);
    CHECK(vrs_hosted_load(g, path, 0));
    CHECK(memcmp(vrs_hosted_ptr(g, 0, 64 * KiB), m, 64 * KiB) == 0);
    CHECK(vrs_hosted_load(g, path, 192 * KiB));
    CHECK(memcmp(vrs_hosted_ptr(g, 192 * KiB, 64 * KiB), m, 64 * KiB) == 0);
    CHECK(all_bytes(g, 64 * KiB, 128 * KiB, 0));

    /* Does not fit: refused, message set, memory unchanged, no error count. */
    CHECK(!vrs_hosted_load(g, path, 192 * KiB + 1));
    CHECK(strstr(vrs_hosted_last_error(g), "does not fit") != NULL);
    CHECK(!vrs_hosted_load(g, path, ~UINT64_C(0)));
    CHECK(all_bytes(g, 64 * KiB, 128 * KiB, 0));
    vrs_hosted *small = vrs_hosted_new(16 * KiB);
    CHECK(!vrs_hosted_load(small, path, 0));
    CHECK(all_bytes(small, 0, 16 * KiB, 0));
    CHECK(vrs_hosted_errors(small) == 0 && vrs_hosted_errors(g) == 0);

    /* Missing files and unwritable paths. */
    remove(path);
    CHECK(!vrs_hosted_load(g, path, 0));
    CHECK(strstr(vrs_hosted_last_error(g), "cannot open") != NULL);
    CHECK(!vrs_hosted_save(h, "/nonexistent-dir/vrs_hosted.img"));
    CHECK(strstr(vrs_hosted_last_error(h), "cannot open") != NULL);
    CHECK(!vrs_hosted_load(g, "/", 0));                  /* a directory */

    vrs_hosted_free(small);
    vrs_hosted_free(g);
    vrs_hosted_free(h);
}

/* vrs_env.h with a null ops table, with sparse ops, and over a plain buffer. */
static bool only_alloc(struct vrs_env *env, uint64_t bytes, uint64_t align, uint64_t *pa)
{
    (void)bytes;
    (void)align;
    *pa = 0x2000;
    *(int *)env->arg += 1;
    return true;
}

static void test_env_null_ops(void)
{
    uint64_t buf[512] = {0};
    int calls = 0;
    struct vrs_env env = { NULL, (unsigned char *)buf, &calls };
    uint64_t pa = 0x55;

    CHECK(!vrs_alloc_table(&env, 4096, 4096, &pa) && pa == 0x55);
    vrs_free_table(&env, 0, 4096);
    CHECK(vrs_mmio_read(&env, 0, 8) == 0);
    vrs_mmio_write(&env, 0, 8, 1);
    CHECK(vrs_reg_read(&env, 0) == 0);
    vrs_reg_write(&env, 0, 1);
    vrs_instr(&env, 0);
    vrs_barrier(&env);
    vrs_tlb_invalidate(&env, 0, 4096);
    CHECK(buf[0] == 0);

    /* The direct map works without any ops. */
    vrs_mem_write64(&env, 16, 0x42);
    CHECK(buf[2] == 0x42 && vrs_mem_read64(&env, 16) == 0x42);
    vrs_mem_write8(&env, 3, 0xff);
    CHECK(vrs_mem_read8(&env, 3) == 0xff);

    static const struct vrs_env_ops empty = {0};
    env.ops = &empty;
    CHECK(!vrs_alloc_table(&env, 4096, 4096, &pa) && pa == 0x55);
    vrs_free_table(&env, 0, 4096);
    CHECK(vrs_mmio_read(&env, 0, 8) == 0 && vrs_reg_read(&env, 9) == 0);
    vrs_mmio_write(&env, 0, 8, 1);
    vrs_reg_write(&env, 0, 1);
    vrs_instr(&env, 0);
    vrs_barrier(&env);
    vrs_tlb_invalidate(&env, 0, 4096);

    static const struct vrs_env_ops sparse = { .alloc_table = only_alloc };
    env.ops = &sparse;
    CHECK(vrs_alloc_table(&env, 4096, 4096, &pa) && pa == 0x2000 && calls == 1);
    vrs_free_table(&env, pa, 4096);
    vrs_barrier(&env);
    CHECK(vrs_reg_read(&env, 1) == 0);
    CHECK(vrs_hosted_from_env(&env) == NULL);
    CHECK(buf[1] == 0 && buf[3] == 0);                  /* only the writes above */
}

int main(void)
{
    test_memory();
    test_alloc();
    test_exhaustion_and_reserve();
    test_fault_injection();
    test_free();
    test_alloc_random();
    test_regs_instrs_barriers();
    test_mmio();
    test_tlb_log();
    test_save_load();
    test_env_null_ops();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
