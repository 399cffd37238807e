/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * image_test.c - `vrsc translate` reads memory images correctly and never
 * crashes on corrupt ones.
 *
 * Three images, each saved as a raw file and handed to `vrsc translate
 * SPEC --image IMG --root PA --va-file F --json --engine=E`:
 *   - driver: tables built by random map/unmap/protect calls of the
 *     generated C driver (tests/driver's library for this arch). Every
 *     answer must equal the C driver's resolve, and the independent walker
 *     (tests/driver/walk_*.c, from arch-facts.md) must agree; `--summary`
 *     must list the walker's leaves, coalesced the same way;
 *   - hand (x86-64): entries written here bit by bit from arch-facts.md §1,
 *     with a 4K, 2M and 1G page, a read-only and an NX page, a reserved bit
 *     in a 1G and a 2M leaf and in a PML4E, a not-present entry with junk,
 *     a table outside the image, and a PML4 entry pointing at the PML4
 *     itself (a loop): vrsc must say what the walker says, and a few
 *     answers are also checked by value;
 *   - fuzz (x86-64): tables of random entries, pointers into and far
 *     outside the image, random reserved and PS bits, loops: vrsc must
 *     agree with the walker for every address, and `--summary` must stop
 *     at its walk limit instead of running for ever.
 * Fault kinds map to the walker's: not_mapped = not present, invalid =
 * reserved bit, outside_memory = table outside memory, bad_va = above the
 * modelled lower half. Usage: image_test VRSC SPEC ENGINE. Prints
 * "N passed, N failed".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../prng.h"
#include "arch.h"

/* Addresses per image: fewer under ASan, where vrsc runs several times
 * slower (the test is built with the same flags as vrsc). */
#if defined(__SANITIZE_ADDRESS__)
#define NADDR 5000
#else
#define NADDR 20000
#endif

static long failures, checks;
static const char *vrsc, *spec, *engine;
static char dir[256];


static void fail(const char *what, uint64_t va, const char *line)
{
    failures++;
    if (failures <= 20)
        fprintf(stderr, "FAIL %s: va 0x%" PRIx64 ": vrsc said: %s", what, va, line ? line : "(nothing)\n");
}

static void check(bool ok, const char *what, uint64_t va, const char *line)
{
    checks++;
    if (!ok)
        fail(what, va, line);
}

/* ---- vrsc's JSON lines ---------------------------------------------------------------- */

/* The value of "key": a string's contents or a bare value, in buf. */
static bool jget(const char *line, const char *key, char *buf, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        return false;
    p += strlen(pat);
    size_t k = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && k + 1 < n; p++)
            buf[k++] = *p;
    } else if (*p == '[') {
        for (; *p && *p != ']' && k + 1 < n; p++)
            buf[k++] = *p;
    } else {
        for (; *p && *p != ',' && *p != '}' && k + 1 < n; p++)
            buf[k++] = *p;
    }
    buf[k] = 0;
    return true;
}

static uint64_t jnum(const char *line, const char *key)
{
    char b[64];
    return jget(line, key, b, sizeof b) ? strtoull(b, NULL, 0) : UINT64_MAX;
}

static const struct {
    const char *name;
    uint64_t    bit;
} flag_names[] = {
    { "writable", DST(FLAG_WRITABLE) },
    { "usermode", DST(FLAG_USERMODE) },
#if ARCH_HAS_EXEC
    { "executable", X86_64_FLAG_EXECUTABLE },
#endif
    { "writethrough", DST(FLAG_WRITETHROUGH) },
    { "nocache", DST(FLAG_NOCACHE) },
    { "global", DST(FLAG_GLOBAL) },
};

static uint64_t jflags(const char *line)
{
    char b[256];
    uint64_t f = 0;
    if (!jget(line, "flags", b, sizeof b))
        return UINT64_MAX;
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++) {
        char q[40];
        snprintf(q, sizeof q, "\"%s\"", flag_names[i].name);
        if (strstr(b, q))
            f |= flag_names[i].bit;
    }
    return f;
}

static bool jis(const char *line, const char *key, const char *want)
{
    char b[64];
    return jget(line, key, b, sizeof b) && strcmp(b, want) == 0;
}

/* Runs vrsc translate on an image with extra arguments; its stdout. */
static FILE *run_vrsc(const char *image, uint64_t root, const char *extra)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' translate '%s' --image '%s' --root 0x%" PRIx64 " --json --engine=%s %s", vrsc,
             spec, image, root, engine, extra);
    FILE *p = popen(cmd, "r");
    if (!p) {
        perror("popen");
        exit(2);
    }
    return p;
}

static void end_vrsc(FILE *p, const char *what)
{
    int st = pclose(p);
    checks++;
    if (st != 0) {
        failures++;
        fprintf(stderr, "FAIL %s: vrsc translate exited with status 0x%x\n", what, st);
    }
}

static void save(vrs_hosted *h, const char *path)
{
    if (!vrs_hosted_save(h, path)) {
        fprintf(stderr, "image_test: %s\n", vrs_hosted_last_error(h));
        exit(2);
    }
}

/* The walker's answer for a line of vrsc's. */
static void compare_walker(vrs_hosted *h, uint64_t cr3, uint64_t va, const char *line, const char *what)
{
    walk_result r;
    ARCH_WALK(h, cr3, va, &r);
    if (va >= ARCH_VA_LIMIT) {
        check(jis(line, "fault", "bad_va"), what, va, line);
        return;
    }
    switch (r.fault) {
    case WALK_OK:
        check(jis(line, "result", "ok") && jnum(line, "pa") == r.pa && jnum(line, "page_size") == r.page_size
                  && jflags(line) == (arch_leaf_flags(&r) & ~ARCH_FLAG_PAT),
              what, va, line);
        break;
    case WALK_NOT_PRESENT:
        check(jis(line, "fault", "not_mapped"), what, va, line);
        break;
    case WALK_RSVD:
        check(jis(line, "fault", "invalid"), what, va, line);
        break;
    case WALK_BAD_TABLE:
        check(jis(line, "fault", "outside_memory"), what, va, line);
        break;
    case WALK_BAD_VA:
        check(jis(line, "fault", "bad_va"), what, va, line);
        break;
    }
}

/* Writes the addresses, runs vrsc on them and compares every line with
 * the walker (and the C driver's resolve if ctx is given). */
static void translate_all(vrs_hosted *h, uint64_t cr3, drv_ctx *ctx, const uint64_t *vas, int n, const char *img,
                          const char *what)
{
    char vfile[300], extra[400];
    snprintf(vfile, sizeof vfile, "%s/vas.txt", dir);
    FILE *f = fopen(vfile, "w");
    if (!f) {
        perror(vfile);
        exit(2);
    }
    fprintf(f, "# %d addresses\n", n);
    for (int i = 0; i < n; i++)
        fprintf(f, "0x%" PRIx64 "\n", vas[i]);
    fclose(f);
    snprintf(extra, sizeof extra, "--va-file '%s'", vfile);
    FILE *p = run_vrsc(img, cr3, extra);
    char line[4096];
    int i = 0;
    while (fgets(line, sizeof line, p)) {
        if (i >= n) {
            fail("extra output", 0, line);
            break;
        }
        uint64_t va = vas[i++];
        check(jnum(line, "va") == va, "address order", va, line);
        compare_walker(h, cr3, va, line, what);
        if (!ctx)
            continue;
        uint64_t pa = 0, ps = 0;
        drv_flags_t fl = 0;
        drv_status s = DRV(resolve)(ctx, va, &pa, &fl, &ps);
        if (s == DST(OK))
            check(jis(line, "result", "ok") && jnum(line, "pa") == pa && jnum(line, "page_size") == ps
                      && jflags(line) == fl,
                  "the C driver's resolve", va, line);
        else
            check(jis(line, "fault", s == DST(EINVAL) ? "bad_va" : "not_mapped"), "the C driver's fault", va, line);
    }
    checks++;
    if (i != n) {
        failures++;
        fprintf(stderr, "FAIL %s: %d lines for %d addresses\n", what, i, n);
    }
    end_vrsc(p, what);
}

/* ---- the summary against the walker's leaves ---------------------------------------- */

typedef struct Leaf {
    uint64_t va, end, pa, psz, flags;
} Leaf;

typedef struct Leaves {
    Leaf *v;
    int   n, cap;
} Leaves;

static void on_leaf(void *arg, uint64_t va, const walk_result *r)
{
    Leaves *l = arg;
    if (r->fault != WALK_OK)
        return;
    uint64_t fl = arch_leaf_flags(r) & ~ARCH_FLAG_PAT;
    Leaf *last = l->n ? &l->v[l->n - 1] : NULL;
    if (last && last->end == va && last->pa + (last->end - last->va) == r->page_base && last->psz == r->page_size
        && last->flags == fl) {
        last->end += r->page_size;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = realloc(l->v, sizeof *l->v * (size_t)l->cap);
        if (!l->v)
            exit(2);
    }
    l->v[l->n++] = (Leaf){ va, va + r->page_size, r->page_base, r->page_size, fl };
}

static void compare_summary(vrs_hosted *h, uint64_t cr3, const char *img)
{
    Leaves l = { 0 };
    ARCH_ENUM(h, cr3, NULL, on_leaf, &l);
    FILE *p = run_vrsc(img, cr3, "--summary");
    char line[4096];
    int i = 0;
    while (fgets(line, sizeof line, p)) {
        if (jnum(line, "ranges") != UINT64_MAX) {
            check(jnum(line, "ranges") == (uint64_t)l.n, "summary: number of ranges", 0, line);
            continue;
        }
        if (i >= l.n) {
            fail("summary: a range the walker has not", jnum(line, "va"), line);
            continue;
        }
        const Leaf *w = &l.v[i++];
        check(jnum(line, "va") == w->va && jnum(line, "end") == w->end && jnum(line, "pa") == w->pa
                  && jnum(line, "page_size") == w->psz && jflags(line) == w->flags,
              "summary range", w->va, line);
    }
    checks++;
    if (i != l.n) {
        failures++;
        fprintf(stderr, "FAIL summary: %d ranges, the walker has %d\n", i, l.n);
    }
    end_vrsc(p, "summary");
    free(l.v);
}

/* ---- the images --------------------------------------------------------------------- */

static uint64_t rand_va_in_window(void)
{
    return ARCH_WIN_LO + rnd((ARCH_WIN_HI - ARCH_WIN_LO) / KiB(4)) * KiB(4) + rnd(KiB(4));
}

/* Tables built by the generated C driver. */
static void driver_image(void)
{
    vrs_hosted *h = vrs_hosted_new(MiB(32));
    drv_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.env = vrs_hosted_env(h);
    vrs_hosted_reserve(h, MiB(1));
    if (DRV(init)(&ctx) != DST(OK)) {
        fprintf(stderr, "image_test: init failed\n");
        exit(2);
    }
    long ok = 0;
    for (int i = 0; i < 3000; i++) {
        uint64_t va = rand_va_in_window() & ~(KiB(4) - 1);
        uint64_t size = KiB(4) * (1 + rnd(16)), done = 0;
        uint64_t pa = rnd(ARCH_PA_RANGE / KiB(4)) * KiB(4);
        if (rnd(4) == 0) {
            va &= ~(arch_model.page_size[1] - 1);
            pa &= ~(arch_model.page_size[1] - 1);
            size = arch_model.page_size[1] * (1 + rnd(2));
        }
        drv_flags_t fl = rnd64() & ARCH_ALL_FLAGS;
        drv_status s;
        switch (rnd(6)) {
        case 0:
            s = DRV(unmap)(&ctx, va, size, &done);
            break;
        case 1:
            s = DRV(protect)(&ctx, va, size, fl, &done);
            break;
        default:
            s = DRV(map)(&ctx, va, size, fl, pa, &done);
            break;
        }
        ok += s == DST(OK);
    }
    char img[300];
    snprintf(img, sizeof img, "%s/driver.bin", dir);
    save(h, img);
    uint64_t cr3 = arch_cr3(h);
    enum { N = NADDR };
    uint64_t *vas = malloc(sizeof *vas * N);
    for (int i = 0; i < N; i++) {
        switch (rnd(8)) {
        case 0:
            vas[i] = rnd(ARCH_VA_LIMIT);
            break;
        case 1:
            vas[i] = ARCH_VA_LIMIT + rnd(GiB(1)); /* past the modelled space */
            break;
        default:
            vas[i] = rand_va_in_window();
            break;
        }
    }
    translate_all(h, cr3, &ctx, vas, N, img, "driver image");
    compare_summary(h, cr3, img);
    printf("image_test %s: driver image, %ld successful operations, %d addresses\n", ARCH_NAME, ok, N);
    free(vas);
    vrs_hosted_free(h);
}

#if defined(DRV_X86_64)

#define P   UINT64_C(0x1)
#define W   UINT64_C(0x2)
#define U   UINT64_C(0x4)
#define PS  UINT64_C(0x80)
#define NX  (UINT64_C(1) << 63)

static void put(vrs_hosted *h, uint64_t pa, uint64_t v)
{
    vrs_hosted_write(h, pa, 8, v);
}

/* Entries written by hand from arch-facts.md §1. Tables: PML4 0x1000,
 * PDPT 0x2000, PD 0x3000, PT 0x4000; the image is 64 KiB. */
static void hand_image(void)
{
    vrs_hosted *h = vrs_hosted_new(KiB(64));
    put(h, 0x1000 + 0 * 8, 0x2000 | P | W | U);           /* PML4[0] -> PDPT */
    put(h, 0x1000 + 1 * 8, 0x1000 | P | W | U);           /* PML4[1] -> the PML4: a loop */
    put(h, 0x1000 + 2 * 8, 0x2000 | P | W | PS);          /* PML4[2]: PS is reserved */
    put(h, 0x1000 + 3 * 8, UINT64_C(0x7ff00000000) | P);  /* PML4[3] -> a PDPT outside */
    put(h, 0x2000 + 0 * 8, 0x3000 | P | W | U);           /* PDPT[0] -> PD */
    put(h, 0x2000 + 1 * 8, 0x40000000 | (1u << 13) | P | W | PS); /* 1G leaf, bit 13 reserved */
    put(h, 0x2000 + 2 * 8, 0xc0000000 | P | W | PS | NX); /* 1G leaf at 3 GiB, NX */
    put(h, 0x2000 + 3 * 8, 0x12345000);                   /* not present, with junk */
    put(h, 0x3000 + 0 * 8, 0x4000 | P | W | U);           /* PD[0] -> PT */
    put(h, 0x3000 + 1 * 8, 0x200000 | P | PS);            /* 2M leaf, read-only */
    put(h, 0x3000 + 2 * 8, 0x400000 | (1u << 20) | P | PS); /* 2M leaf, bit 20 reserved */
    put(h, 0x4000 + 0 * 8, 0x5000 | P | W);               /* 4K: writable */
    put(h, 0x4000 + 1 * 8, 0x6000 | P | NX);              /* 4K: read-only, NX */
    put(h, 0x4000 + 2 * 8, 0x7000 | P | W | U | (1u << 3) | (1u << 4) | (1u << 8)); /* PWT PCD G */
    char img[300];
    snprintf(img, sizeof img, "%s/hand.bin", dir);
    save(h, img);
    uint64_t vas[] = {
        0x0, 0x123, 0x1fff, 0x2abc, 0x3000, 0x200000, 0x3fffff, 0x400000, 0x600000,
        GiB(1), GiB(1) + 5, GiB(2), GiB(3) + 0x1234, GiB(4) - 1, GiB(4),
        GiB(512), GiB(512) + 0x1000, GiB(512) + GiB(1), GiB(1024), GiB(1536) + 0x42,
        GiB(2048), UINT64_C(1) << 47,
    };
    int n = (int)(sizeof vas / sizeof vas[0]);
    translate_all(h, 0x1000, NULL, vas, n, img, "hand image");

    /* a few by value, in text: what a person reads */
    char cmd[2048], line[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' translate '%s' --image '%s' --root 0x1000 --engine=%s --va 0x123,0x200000,0x40000000,0x400000 "
             "--va 0x1001 --access write --va 0x8000000000,0x18000000000",
             vrsc, spec, img, engine);
    static const char *const want[] = {
        "0x123 -> 0x5123 (4K page, writable executable)\n",
        "0x200000: fault: permission: write needs writable (-> 0x200000, 2M page, executable)\n",
        "0x40000000: fault: invalid entry (reserved bits set) at level 2: PdptEntry [1] at 0x2008, raw 0x40002083\n",
        "0x400000: fault: invalid entry (reserved bits set) at level 3: PdEntry [2] at 0x3010, raw 0x500081\n",
        "0x1001: fault: permission: write needs writable (-> 0x6001, 4K page, no flags)\n",
        "0x8000000000 -> 0x4000 (4K page, writable usermode executable)\n",
        ("0x18000000000: fault: entry outside memory at level 1: Pml4Entry [3] at 0x1018, raw 0x7ff00000001: "
         "its table at 0x7ff00000000 is past the end of memory (0x11000 bytes)\n"),
    };
    FILE *p = popen(cmd, "r");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!fgets(line, sizeof line, p))
            line[0] = 0;
        checks++;
        if (strcmp(line, want[i]) != 0) {
            failures++;
            fprintf(stderr, "FAIL hand image, text: want %s      got %s", want[i], line);
        }
    }
    end_vrsc(p, "hand image, text");
    printf("image_test %s: hand-built image, %d addresses\n", ARCH_NAME, n);
    vrs_hosted_free(h);
}

/* Random entries: some valid, some with reserved bits, pointers inside and
 * far outside the image, and loops. Bit 8 stays clear: the walker treats
 * it as reserved in a PML4E/PDPTE (AMD), the spec as ignored. */
static void fuzz_image(void)
{
    enum { TABLES = 16 };
    uint64_t bytes = KiB(4) * (TABLES + 1);
    vrs_hosted *h = vrs_hosted_new(bytes);
    for (uint64_t t = 1; t <= TABLES; t++)
        for (uint64_t i = 0; i < 512; i++) {
            uint64_t e = 0;
            switch (rnd(8)) {
            case 0: case 1: case 2:
                break;                                      /* empty */
            case 3:
                e = rnd64() & ~(uint64_t)0x100;             /* junk */
                break;
            case 4:
                e = (GiB(1) + rnd(GiB(1))) & ~(KiB(4) - 1); /* far outside */
                e |= P | (rnd64() & 0x7e);
                break;
            default:
                e = (1 + rnd(TABLES)) * KiB(4);             /* another table */
                e |= P | (rnd64() & (W | U | PS | 0x78));
                if (rnd(8) == 0)
                    e |= rnd64() & UINT64_C(0x3fe000);      /* reserved bits of a leaf */
                if (rnd(4) == 0)
                    e |= NX;
                break;
            }
            put(h, t * KiB(4) + i * 8, e);
        }
    char img[300];
    snprintf(img, sizeof img, "%s/fuzz.bin", dir);
    save(h, img);
    enum { N = NADDR };
    uint64_t *vas = malloc(sizeof *vas * N);
    for (int i = 0; i < N; i++)
        vas[i] = rnd(4) ? rnd(ARCH_VA_LIMIT) : (rnd(64) << 39 | rnd(64) << 30 | rnd(64) << 21 | rnd(512) << 12);
    translate_all(h, KiB(4), NULL, vas, N, img, "fuzz image");

    /* a summary of a table full of loops: it must stop at its limit */
    FILE *p = run_vrsc(img, KiB(4), "--summary --max-walks 200000");
    char line[4096];
    bool stopped = false;
    long lines = 0;
    while (fgets(line, sizeof line, p)) {
        lines++;
        stopped |= strstr(line, "\"stopped_at\"") != NULL || jnum(line, "ranges") != UINT64_MAX;
    }
    check(stopped && lines > 1, "fuzz summary ends with its summary line", 0, NULL);
    end_vrsc(p, "fuzz summary");
    printf("image_test %s: fuzzed image, %d addresses, summary of %ld lines\n", ARCH_NAME, N, lines);
    free(vas);
    vrs_hosted_free(h);
}
#endif

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: image_test VRSC SPEC jit|interp\n");
        return 2;
    }
    rng = 0x2545f4914f6cdd1du;   /* this test's stream (tests/prng.h) */
    vrsc = argv[1];
    spec = argv[2];
    engine = argv[3];
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/vrsc-image.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 2;
    }
    driver_image();
#if defined(DRV_X86_64)
    hand_image();
    fuzz_image();
#endif
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "image_test: could not remove %s\n", dir);
    printf("%ld passed, %ld failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
