/* SPDX-License-Identifier: MIT */
/*
 * vrs_hosted.h - a hosted struct vrs_env for tests, the demo and the JIT.
 *
 * MIT-licensed (runtime/LICENSE), like everything in runtime/, so it may be
 * used alongside GPLv2 and BSD kernels; unlike vrs_env.h it needs libc.
 *
 * A vrs_hosted owns a zeroed buffer that simulates physical memory
 * [0, phys_bytes) and an env whose direct_map is the buffer's address, so a
 * driver's vrs_mem_* accesses hit the buffer directly. Those inline accesses
 * cannot be checked: a driver that writes outside the buffer corrupts the
 * host (run under ASan to catch it). Everything that goes through the ops
 * (tables, MMIO, registers) and through the functions below is
 * bounds-checked instead: a bad address, size or id counts as an error
 * (vrs_hosted_errors, vrs_hosted_last_error), reads give 0, nothing is
 * written, and the process never aborts.
 *
 * Tables come from a first-fit frame allocator over [reserve, phys_bytes):
 * 4 KiB frames, any size (rounded up to whole frames) and any power-of-two
 * alignment, zeroed. Fault injection fails chosen allocations. Registers
 * and instruction counters are indexed by the generated NAME_REG_* and
 * NAME_INSTR_* numbers, which must be below VRS_HOSTED_NREGS and
 * VRS_HOSTED_NINSTRS. Not thread-safe.
 */
#ifndef VRS_HOSTED_H
#define VRS_HOSTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrs_env.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRS_HOSTED_FRAME    4096u
#define VRS_HOSTED_NREGS    64u
#define VRS_HOSTED_NINSTRS  64u
#define VRS_HOSTED_TLB_LOG  1024u

typedef struct vrs_hosted vrs_hosted;

/* Counters since vrs_hosted_new (tlb_invalidations: since the last
 * vrs_hosted_tlb_clear). */
typedef struct vrs_hosted_stats {
    uint64_t allocs;            /* successful alloc_table calls */
    uint64_t failed_allocs;     /* alloc_table calls that returned false */
    uint64_t frees;             /* valid free_table calls */
    uint64_t live_tables;       /* allocs - frees */
    uint64_t live_bytes;        /* bytes held by live tables (whole frames) */
    uint64_t errors;            /* misuse: bad free, out-of-range access, bad id */
    uint64_t barriers;
    uint64_t tlb_invalidations;
    uint64_t instrs;            /* all vrs_instr calls with a valid id */
    uint64_t mmio_reads;
    uint64_t mmio_writes;
    uint64_t reg_reads;
    uint64_t reg_writes;
} vrs_hosted_stats;

/* Lifetime. new: NULL if phys_bytes is 0 or cannot be allocated. */
vrs_hosted      *vrs_hosted_new(uint64_t phys_bytes);
void             vrs_hosted_free(vrs_hosted *h);
struct vrs_env  *vrs_hosted_env(vrs_hosted *h);
vrs_hosted      *vrs_hosted_from_env(struct vrs_env *env);   /* env->arg */

/* The simulated memory. ptr: the host address of [pa, pa+bytes), or NULL
 * (an error) if that is not inside memory. read/write: checked accesses of
 * 1, 2, 4 or 8 bytes (host byte order, any alignment); false on error. */
uint64_t  vrs_hosted_phys_bytes(const vrs_hosted *h);
void     *vrs_hosted_ptr(vrs_hosted *h, uint64_t pa, uint64_t bytes);
bool      vrs_hosted_read(vrs_hosted *h, uint64_t pa, unsigned bytes, uint64_t *v);
bool      vrs_hosted_write(vrs_hosted *h, uint64_t pa, unsigned bytes, uint64_t v);

/* Tables are allocated at or above `bytes` (rounded up to a frame), leaving
 * [0, bytes) to the caller's data. false if that is beyond memory or a live
 * table lies below it; nothing changes then. */
bool      vrs_hosted_reserve(vrs_hosted *h, uint64_t bytes);

/* Fault injection. fail_alloc_after(n): of the alloc_table calls from now
 * on, the (n+1)-th fails (n = 0: the next one), once; n < 0 disarms.
 * fail_alloc_every(true): every call fails until turned off. */
void      vrs_hosted_fail_alloc_after(vrs_hosted *h, int64_t n);
void      vrs_hosted_fail_alloc_every(vrs_hosted *h, bool on);

/* free_table hook: called with each validly freed table (pa, bytes as
 * passed to free_table) before its frames are released. Released frames
 * are filled with 0x6b, so a driver still using a freed table reads junk. */
typedef void vrs_hosted_free_fn(void *arg, uint64_t pa, uint64_t bytes);
void      vrs_hosted_on_free(vrs_hosted *h, vrs_hosted_free_fn *fn, void *arg);

/* Registers: a pointer to register `id` to read or set, NULL if id is not
 * below VRS_HOSTED_NREGS. */
uint64_t *vrs_hosted_reg(vrs_hosted *h, unsigned id);

/* Instructions: counted per id, then passed to the hook, if any. */
typedef void vrs_hosted_instr_fn(void *arg, unsigned id);
void      vrs_hosted_on_instr(vrs_hosted *h, vrs_hosted_instr_fn *fn, void *arg);
uint64_t  vrs_hosted_instr_count(const vrs_hosted *h, unsigned id);

/* MMIO: by default simulated memory at pa. A hook returns true if it
 * handled the access (setting *v for reads), false to fall through to
 * memory. Either hook may be NULL. */
typedef bool vrs_hosted_mmio_read_fn(void *arg, uint64_t pa, unsigned bytes, uint64_t *v);
typedef bool vrs_hosted_mmio_write_fn(void *arg, uint64_t pa, unsigned bytes, uint64_t v);
void      vrs_hosted_on_mmio(vrs_hosted *h, vrs_hosted_mmio_read_fn *rd,
                             vrs_hosted_mmio_write_fn *wr, void *arg);

/* TLB invalidations: `back` = 0 is the most recent of the last
 * VRS_HOSTED_TLB_LOG calls; false if the log holds no such entry. */
bool      vrs_hosted_tlb_entry(const vrs_hosted *h, uint64_t back, uint64_t *va,
                               uint64_t *size);
void      vrs_hosted_tlb_clear(vrs_hosted *h);

/* Counters. */
vrs_hosted_stats vrs_hosted_get_stats(const vrs_hosted *h);
uint64_t  vrs_hosted_errors(const vrs_hosted *h);
/* The message of the last counted error or failed save/load ("" if none). */
const char *vrs_hosted_last_error(const vrs_hosted *h);

/* Raw memory images. save writes all of [0, phys_bytes); load copies a
 * file to [at_pa, at_pa + file size), which must lie inside memory. On
 * failure: false, vrs_hosted_last_error says why, memory is unchanged. */
bool      vrs_hosted_save(vrs_hosted *h, const char *path);
bool      vrs_hosted_load(vrs_hosted *h, const char *path, uint64_t at_pa);

#ifdef __cplusplus
}
#endif

#endif /* VRS_HOSTED_H */
