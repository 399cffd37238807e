/* SPDX-License-Identifier: MIT */
/*
 * os_env.h - a stand-in for an OS's own seam (VRS_ENV_HEADER): its own
 * struct vrs_env and inline vrs_* functions, here over a fixed-size pool.
 * vrs_env.h must include this and define nothing itself.
 */
#ifndef OS_ENV_H
#define OS_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defined only here: if vrs_env.h also defined it, compilation would fail. */
struct vrs_env {
    uint64_t pool[64][512];
    unsigned next;
    uint64_t regs[8];
};

static inline void *vrs_phys_to_virt(const struct vrs_env *env, uint64_t pa)
{
    return (void *)((uintptr_t)env->pool + (uintptr_t)pa);
}
static inline uint8_t vrs_mem_read8(const struct vrs_env *env, uint64_t pa)
{ return *(const uint8_t *)vrs_phys_to_virt(env, pa); }
static inline uint16_t vrs_mem_read16(const struct vrs_env *env, uint64_t pa)
{ return *(const uint16_t *)vrs_phys_to_virt(env, pa); }
static inline uint32_t vrs_mem_read32(const struct vrs_env *env, uint64_t pa)
{ return *(const uint32_t *)vrs_phys_to_virt(env, pa); }
static inline uint64_t vrs_mem_read64(const struct vrs_env *env, uint64_t pa)
{ return *(const uint64_t *)vrs_phys_to_virt(env, pa); }
static inline void vrs_mem_write8(const struct vrs_env *env, uint64_t pa, uint8_t v)
{ *(uint8_t *)vrs_phys_to_virt(env, pa) = v; }
static inline void vrs_mem_write16(const struct vrs_env *env, uint64_t pa, uint16_t v)
{ *(uint16_t *)vrs_phys_to_virt(env, pa) = v; }
static inline void vrs_mem_write32(const struct vrs_env *env, uint64_t pa, uint32_t v)
{ *(uint32_t *)vrs_phys_to_virt(env, pa) = v; }
static inline void vrs_mem_write64(const struct vrs_env *env, uint64_t pa, uint64_t v)
{ *(uint64_t *)vrs_phys_to_virt(env, pa) = v; }

static inline uint64_t vrs_mmio_read(struct vrs_env *env, uint64_t pa, unsigned bytes)
{ (void)env; (void)pa; (void)bytes; return 0; }
static inline void vrs_mmio_write(struct vrs_env *env, uint64_t pa, unsigned bytes, uint64_t v)
{ (void)env; (void)pa; (void)bytes; (void)v; }
static inline uint64_t vrs_reg_read(struct vrs_env *env, unsigned reg)
{ return env->regs[reg % 8]; }
static inline void vrs_reg_write(struct vrs_env *env, unsigned reg, uint64_t v)
{ env->regs[reg % 8] = v; }
static inline void vrs_instr(struct vrs_env *env, unsigned id) { (void)env; (void)id; }
static inline void vrs_barrier(struct vrs_env *env) { (void)env; }
static inline bool vrs_alloc_table(struct vrs_env *env, uint64_t bytes, uint64_t align,
                                   uint64_t *pa)
{
    (void)align;
    if (bytes > 4096 || env->next >= 64)
        return false;
    *pa = (uint64_t)env->next++ * 4096;
    return true;
}
static inline void vrs_free_table(struct vrs_env *env, uint64_t pa, uint64_t bytes)
{ (void)env; (void)pa; (void)bytes; }
static inline void vrs_tlb_invalidate(struct vrs_env *env, uint64_t va, uint64_t size)
{ (void)env; (void)va; (void)size; }

#endif
