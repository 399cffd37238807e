/* SPDX-License-Identifier: MIT */
/*
 * freestanding.c - a translation unit as a kernel would build it: it
 * includes only vrs_env.h and calls every seam function, so each one is
 * instantiated. Compiled (never linked) by freestanding.sh with
 * -ffreestanding -nostdlib under strict warnings, once with the default
 * definitions and once with -DVRS_ENV_HEADER='"os_env.h"'.
 */
#include "vrs_env.h"

uint64_t use_every_seam_function(struct vrs_env *env, uint64_t pa);

uint64_t use_every_seam_function(struct vrs_env *env, uint64_t pa)
{
    uint64_t t, sum = 0;
    if (!vrs_alloc_table(env, 4096, 4096, &t))
        return 0;
    vrs_mem_write8(env, t, 1);
    vrs_mem_write16(env, t + 2, 2);
    vrs_mem_write32(env, t + 4, 3);
    vrs_mem_write64(env, t + 8, pa);
    sum += vrs_mem_read8(env, t) + vrs_mem_read16(env, t + 2);
    sum += vrs_mem_read32(env, t + 4) + vrs_mem_read64(env, t + 8);
    sum += (uint64_t)(uintptr_t)vrs_phys_to_virt(env, t);
    vrs_barrier(env);
    vrs_mmio_write(env, pa, 4, sum);
    sum += vrs_mmio_read(env, pa, 8);
    vrs_reg_write(env, 1, sum);
    sum += vrs_reg_read(env, 1);
    vrs_instr(env, 2);
    vrs_tlb_invalidate(env, pa, 4096);
    vrs_free_table(env, t, 4096);
    return sum;
}
