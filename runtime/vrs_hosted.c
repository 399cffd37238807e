/* SPDX-License-Identifier: MIT */
/*
 * vrs_hosted.c - the hosted environment: simulated physical memory, a
 * frame allocator for page tables, registers, instruction and TLB logs.
 *
 * MIT-licensed (runtime/LICENSE); may be used by GPLv2 and BSD kernels'
 * test harnesses alike. See vrs_hosted.h for the contract.
 *
 * The allocator keeps one word per 4 KiB frame: 0 if free, else the number
 * of frames from it to the end of its table, with FRAME_HEAD set on a
 * table's first frame. From any busy frame the search can therefore jump
 * past its table, and a free can tell a table's start from its inside.
 * `hint` is a lower bound on the first free frame at or above `first`, so
 * a run of allocations does not rescan the tables it already placed.
 */
#include "vrs_hosted.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_SHIFT 12
#define FRAME_HEAD  UINT32_C(0x80000000)
#define MAX_FRAMES  (UINT64_C(1) << 31)   /* 8 TiB: counts stay below FRAME_HEAD */
#define POISON      0x6b                   /* fills freed tables, as Linux slab does */

struct vrs_hosted {
    struct vrs_env env;
    uint8_t  *mem;
    uint64_t  phys_bytes;

    uint32_t *frames;           /* per frame: 0 free, else frames left | FRAME_HEAD */
    uint64_t  nframes;
    uint64_t  first;            /* first frame tables may use (vrs_hosted_reserve) */
    uint64_t  hint;             /* no free frame in [first, hint) */

    int64_t   fail_after;       /* < 0: disarmed */
    bool      fail_every;

    vrs_hosted_free_fn *on_free;
    void     *on_free_arg;
    vrs_hosted_instr_fn *on_instr;
    void     *on_instr_arg;
    vrs_hosted_mmio_read_fn  *on_mmio_read;
    vrs_hosted_mmio_write_fn *on_mmio_write;
    void     *on_mmio_arg;

    uint64_t  regs[VRS_HOSTED_NREGS];
    uint64_t  instr_counts[VRS_HOSTED_NINSTRS];
    struct { uint64_t va, size; } tlb[VRS_HOSTED_TLB_LOG];

    vrs_hosted_stats stats;
    char      msg[192];
};

#if defined(__GNUC__)
#define PRINTF_LIKE __attribute__((format(printf, 2, 3)))
#else
#define PRINTF_LIKE
#endif

PRINTF_LIKE static void set_msg(vrs_hosted *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->msg, sizeof h->msg, fmt, ap);
    va_end(ap);
}

/* Misuse: counted, remembered, never fatal. */
PRINTF_LIKE static void misuse(vrs_hosted *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->msg, sizeof h->msg, fmt, ap);
    va_end(ap);
    h->stats.errors++;
}

static bool in_memory(const vrs_hosted *h, uint64_t pa, uint64_t bytes)
{
    return pa <= h->phys_bytes && bytes <= h->phys_bytes - pa;
}

static bool valid_width(unsigned bytes)
{
    return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8;
}

/* Host-order load/store of 1, 2, 4 or 8 bytes at any alignment. */
static uint64_t load(const uint8_t *p, unsigned bytes)
{
    uint8_t b; uint16_t s; uint32_t w; uint64_t d;
    switch (bytes) {
    case 1:  memcpy(&b, p, 1); return b;
    case 2:  memcpy(&s, p, 2); return s;
    case 4:  memcpy(&w, p, 4); return w;
    default: memcpy(&d, p, 8); return d;
    }
}

static void store(uint8_t *p, unsigned bytes, uint64_t v)
{
    uint8_t b = (uint8_t)v; uint16_t s = (uint16_t)v; uint32_t w = (uint32_t)v;
    switch (bytes) {
    case 1:  memcpy(p, &b, 1); break;
    case 2:  memcpy(p, &s, 2); break;
    case 4:  memcpy(p, &w, 4); break;
    default: memcpy(p, &v, 8); break;
    }
}

static uint64_t frames_for(uint64_t bytes)
{
    return (bytes >> FRAME_SHIFT) + ((bytes & (VRS_HOSTED_FRAME - 1)) != 0);
}

static uint64_t round_up(uint64_t x, uint64_t align)
{
    return (x + align - 1) / align * align;
}

/* The env ops. */

static vrs_hosted *of(struct vrs_env *env)
{
    return env->arg;
}

static bool op_alloc_table(struct vrs_env *env, uint64_t bytes, uint64_t align, uint64_t *pa)
{
    vrs_hosted *h = of(env);
    bool inject = h->fail_every;
    if (h->fail_after >= 0) {
        if (h->fail_after == 0)
            inject = true;
        h->fail_after--;
    }
    if (inject) {
        h->stats.failed_allocs++;
        return false;
    }
    if (bytes == 0 || (align & (align - 1)) != 0) {
        misuse(h, "alloc_table: bad size %#llx or alignment %#llx",
              (unsigned long long)bytes, (unsigned long long)align);
        h->stats.failed_allocs++;
        return false;
    }

    uint64_t n = frames_for(bytes);
    uint64_t step = align > VRS_HOSTED_FRAME ? align >> FRAME_SHIFT : 1;
    if (n <= h->nframes) {
        uint64_t i = round_up(h->hint, step);
        while (i <= h->nframes - n) {
            uint64_t j = i;
            while (j < i + n && h->frames[j] == 0)
                j++;
            if (j == i + n) {
                for (uint64_t k = 0; k < n; k++)
                    h->frames[i + k] = (uint32_t)(n - k);
                h->frames[i] |= FRAME_HEAD;
                if (i == h->hint)
                    h->hint = i + n;
                memset(h->mem + (i << FRAME_SHIFT), 0, (size_t)(n << FRAME_SHIFT));
                h->stats.allocs++;
                h->stats.live_tables++;
                h->stats.live_bytes += n << FRAME_SHIFT;
                *pa = i << FRAME_SHIFT;
                return true;
            }
            /* frames[j] is busy: skip past the rest of its table. */
            i = round_up(j + (h->frames[j] & ~FRAME_HEAD), step);
        }
    }
    h->stats.failed_allocs++;
    return false;
}

static void op_free_table(struct vrs_env *env, uint64_t pa, uint64_t bytes)
{
    vrs_hosted *h = of(env);
    uint64_t i = pa >> FRAME_SHIFT;
    if ((pa & (VRS_HOSTED_FRAME - 1)) != 0 || i >= h->nframes) {
        misuse(h, "free_table: %#llx is not a frame address", (unsigned long long)pa);
        return;
    }
    if (h->frames[i] == 0) {
        misuse(h, "free_table: %#llx is not allocated (double free?)", (unsigned long long)pa);
        return;
    }
    if (!(h->frames[i] & FRAME_HEAD)) {
        misuse(h, "free_table: %#llx is inside a table, not its start", (unsigned long long)pa);
        return;
    }
    uint64_t n = h->frames[i] & ~FRAME_HEAD;
    if (bytes == 0 || frames_for(bytes) != n) {
        misuse(h, "free_table: %#llx freed with size %#llx, allocated with %#llx",
              (unsigned long long)pa, (unsigned long long)bytes,
              (unsigned long long)(n << FRAME_SHIFT));
        return;
    }
    if (h->on_free)
        h->on_free(h->on_free_arg, pa, bytes);
    memset(h->mem + pa, POISON, (size_t)(n << FRAME_SHIFT));
    memset(h->frames + i, 0, (size_t)n * sizeof *h->frames);
    if (i < h->hint)
        h->hint = i;            /* i >= first: reserve keeps tables above it */
    h->stats.frees++;
    h->stats.live_tables--;
    h->stats.live_bytes -= n << FRAME_SHIFT;
}

static uint64_t op_mmio_read(struct vrs_env *env, uint64_t pa, unsigned bytes)
{
    vrs_hosted *h = of(env);
    uint64_t v = 0;
    h->stats.mmio_reads++;
    if (!valid_width(bytes)) {
        misuse(h, "mmio_read: bad width %u at %#llx", bytes, (unsigned long long)pa);
        return 0;
    }
    if (h->on_mmio_read && h->on_mmio_read(h->on_mmio_arg, pa, bytes, &v))
        return v;
    if (!in_memory(h, pa, bytes)) {
        misuse(h, "mmio_read: %u bytes at %#llx are outside memory", bytes,
              (unsigned long long)pa);
        return 0;
    }
    return load(h->mem + pa, bytes);
}

static void op_mmio_write(struct vrs_env *env, uint64_t pa, unsigned bytes, uint64_t v)
{
    vrs_hosted *h = of(env);
    h->stats.mmio_writes++;
    if (!valid_width(bytes)) {
        misuse(h, "mmio_write: bad width %u at %#llx", bytes, (unsigned long long)pa);
        return;
    }
    if (h->on_mmio_write && h->on_mmio_write(h->on_mmio_arg, pa, bytes, v))
        return;
    if (!in_memory(h, pa, bytes)) {
        misuse(h, "mmio_write: %u bytes at %#llx are outside memory", bytes,
              (unsigned long long)pa);
        return;
    }
    store(h->mem + pa, bytes, v);
}

static uint64_t op_reg_read(struct vrs_env *env, unsigned reg)
{
    vrs_hosted *h = of(env);
    h->stats.reg_reads++;
    if (reg >= VRS_HOSTED_NREGS) {
        misuse(h, "reg_read: no register %u", reg);
        return 0;
    }
    return h->regs[reg];
}

static void op_reg_write(struct vrs_env *env, unsigned reg, uint64_t v)
{
    vrs_hosted *h = of(env);
    h->stats.reg_writes++;
    if (reg >= VRS_HOSTED_NREGS) {
        misuse(h, "reg_write: no register %u", reg);
        return;
    }
    h->regs[reg] = v;
}

static void op_instr(struct vrs_env *env, unsigned id)
{
    vrs_hosted *h = of(env);
    if (id >= VRS_HOSTED_NINSTRS) {
        misuse(h, "instr: no instruction %u", id);
        return;
    }
    h->instr_counts[id]++;
    h->stats.instrs++;
    if (h->on_instr)
        h->on_instr(h->on_instr_arg, id);
}

static void op_barrier(struct vrs_env *env)
{
    of(env)->stats.barriers++;
}

static void op_tlb_invalidate(struct vrs_env *env, uint64_t va, uint64_t size)
{
    vrs_hosted *h = of(env);
    uint64_t slot = h->stats.tlb_invalidations % VRS_HOSTED_TLB_LOG;
    h->tlb[slot].va = va;
    h->tlb[slot].size = size;
    h->stats.tlb_invalidations++;
}

static const struct vrs_env_ops hosted_ops = {
    .alloc_table    = op_alloc_table,
    .free_table     = op_free_table,
    .mmio_read      = op_mmio_read,
    .mmio_write     = op_mmio_write,
    .reg_read       = op_reg_read,
    .reg_write      = op_reg_write,
    .instr          = op_instr,
    .barrier        = op_barrier,
    .tlb_invalidate = op_tlb_invalidate,
};

/* Lifetime. */

vrs_hosted *vrs_hosted_new(uint64_t phys_bytes)
{
    if (phys_bytes == 0 || phys_bytes > SIZE_MAX || (phys_bytes >> FRAME_SHIFT) >= MAX_FRAMES)
        return NULL;
    vrs_hosted *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->phys_bytes = phys_bytes;
    h->nframes = phys_bytes >> FRAME_SHIFT;
    /* calloc: large buffers come zeroed from the OS without being touched. */
    h->mem = calloc((size_t)phys_bytes, 1);
    h->frames = calloc(h->nframes ? (size_t)h->nframes : 1, sizeof *h->frames);
    if (!h->mem || !h->frames) {
        vrs_hosted_free(h);
        return NULL;
    }
    h->fail_after = -1;
    h->env.ops = &hosted_ops;
    h->env.direct_map = (unsigned char *)h->mem;
    h->env.arg = h;
    return h;
}

void vrs_hosted_free(vrs_hosted *h)
{
    if (!h)
        return;
    free(h->mem);
    free(h->frames);
    free(h);
}

struct vrs_env *vrs_hosted_env(vrs_hosted *h)
{
    return &h->env;
}

vrs_hosted *vrs_hosted_from_env(struct vrs_env *env)
{
    return env && env->ops == &hosted_ops ? env->arg : NULL;
}

/* Memory. */

uint64_t vrs_hosted_phys_bytes(const vrs_hosted *h)
{
    return h->phys_bytes;
}

void *vrs_hosted_ptr(vrs_hosted *h, uint64_t pa, uint64_t bytes)
{
    if (!in_memory(h, pa, bytes)) {
        misuse(h, "ptr: [%#llx, +%#llx) is outside memory", (unsigned long long)pa,
              (unsigned long long)bytes);
        return NULL;
    }
    return h->mem + pa;
}

bool vrs_hosted_read(vrs_hosted *h, uint64_t pa, unsigned bytes, uint64_t *v)
{
    *v = 0;
    if (!valid_width(bytes) || !in_memory(h, pa, bytes)) {
        misuse(h, "read: %u bytes at %#llx: bad width or outside memory", bytes,
              (unsigned long long)pa);
        return false;
    }
    *v = load(h->mem + pa, bytes);
    return true;
}

bool vrs_hosted_write(vrs_hosted *h, uint64_t pa, unsigned bytes, uint64_t v)
{
    if (!valid_width(bytes) || !in_memory(h, pa, bytes)) {
        misuse(h, "write: %u bytes at %#llx: bad width or outside memory", bytes,
              (unsigned long long)pa);
        return false;
    }
    store(h->mem + pa, bytes, v);
    return true;
}

bool vrs_hosted_reserve(vrs_hosted *h, uint64_t bytes)
{
    uint64_t first = frames_for(bytes);
    if (bytes > h->phys_bytes || first > h->nframes)
        return false;
    for (uint64_t i = 0; i < first; i++)
        if (h->frames[i] != 0)
            return false;
    h->first = first;
    h->hint = first;
    return true;
}

/* Fault injection and hooks. */

void vrs_hosted_fail_alloc_after(vrs_hosted *h, int64_t n)
{
    h->fail_after = n < 0 ? -1 : n;
}

void vrs_hosted_fail_alloc_every(vrs_hosted *h, bool on)
{
    h->fail_every = on;
}

void vrs_hosted_on_free(vrs_hosted *h, vrs_hosted_free_fn *fn, void *arg)
{
    h->on_free = fn;
    h->on_free_arg = arg;
}

void vrs_hosted_on_instr(vrs_hosted *h, vrs_hosted_instr_fn *fn, void *arg)
{
    h->on_instr = fn;
    h->on_instr_arg = arg;
}

void vrs_hosted_on_mmio(vrs_hosted *h, vrs_hosted_mmio_read_fn *rd,
                        vrs_hosted_mmio_write_fn *wr, void *arg)
{
    h->on_mmio_read = rd;
    h->on_mmio_write = wr;
    h->on_mmio_arg = arg;
}

/* Registers, instructions, TLB log, counters. */

uint64_t *vrs_hosted_reg(vrs_hosted *h, unsigned id)
{
    return id < VRS_HOSTED_NREGS ? &h->regs[id] : NULL;
}

uint64_t vrs_hosted_instr_count(const vrs_hosted *h, unsigned id)
{
    return id < VRS_HOSTED_NINSTRS ? h->instr_counts[id] : 0;
}

bool vrs_hosted_tlb_entry(const vrs_hosted *h, uint64_t back, uint64_t *va, uint64_t *size)
{
    uint64_t total = h->stats.tlb_invalidations;
    if (back >= total || back >= VRS_HOSTED_TLB_LOG)
        return false;
    uint64_t slot = (total - 1 - back) % VRS_HOSTED_TLB_LOG;
    *va = h->tlb[slot].va;
    *size = h->tlb[slot].size;
    return true;
}

void vrs_hosted_tlb_clear(vrs_hosted *h)
{
    h->stats.tlb_invalidations = 0;
}

vrs_hosted_stats vrs_hosted_get_stats(const vrs_hosted *h)
{
    return h->stats;
}

uint64_t vrs_hosted_errors(const vrs_hosted *h)
{
    return h->stats.errors;
}

const char *vrs_hosted_last_error(const vrs_hosted *h)
{
    return h->msg;
}

/* Memory images. */

bool vrs_hosted_save(vrs_hosted *h, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        set_msg(h, "save: cannot open %s: %s", path, strerror(errno));
        return false;
    }
    size_t n = fwrite(h->mem, 1, (size_t)h->phys_bytes, f);
    int werr = ferror(f);
    if (fclose(f) != 0 || werr || n != (size_t)h->phys_bytes) {
        set_msg(h, "save: cannot write %s: %s", path, strerror(errno));
        remove(path);
        return false;
    }
    return true;
}

bool vrs_hosted_load(vrs_hosted *h, const char *path, uint64_t at_pa)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_msg(h, "load: cannot open %s: %s", path, strerror(errno));
        return false;
    }
    bool ok = false;
    uint8_t *buf = NULL;
    long size;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        set_msg(h, "load: cannot size %s: %s", path, strerror(errno));
        goto out;
    }
    if (!in_memory(h, at_pa, (uint64_t)size)) {
        set_msg(h, "load: %s (%ld bytes) does not fit at %#llx in %#llx bytes of memory",
                path, size, (unsigned long long)at_pa, (unsigned long long)h->phys_bytes);
        goto out;
    }
    /* Read all of it first, so a short read leaves memory unchanged. */
    buf = malloc(size ? (size_t)size : 1);
    if (!buf) {
        set_msg(h, "load: out of memory for %s (%ld bytes)", path, size);
        goto out;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        set_msg(h, "load: cannot read %s: %s", path,
                ferror(f) ? strerror(errno) : "file shrank while reading");
        goto out;
    }
    memcpy(h->mem + at_pa, buf, (size_t)size);
    ok = true;
out:
    free(buf);
    fclose(f);
    return ok;
}
