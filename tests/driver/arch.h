/*
 * arch.h - glue between the driver tests and one generated driver.
 *
 * Compile with -DDRV_X86_64 or -DDRV_X86_32 and the directory holding the
 * generated NAME.h on the include path. Everything architectural here comes
 * from arch-facts.md (VA size, page sizes, physical reach per page size) or
 * from docs/driver.md (the names of the generated API); the mapping from
 * flags to hardware bits is by the flags' names (writable = R/W, usermode =
 * U/S, executable = not XD, writethrough = PWT, nocache = PCD, global = G).
 */
#ifndef DRIVER_TEST_ARCH_H
#define DRIVER_TEST_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "vrs_hosted.h"
#include "walk.h"

#define KiB(n) ((uint64_t)(n) << 10)
#define MiB(n) ((uint64_t)(n) << 20)
#define GiB(n) ((uint64_t)(n) << 30)

/* A flag bit no spec defines: set in a walker's flags when the leaf has PAT
 * set, which no request can ask for. */
#define ARCH_FLAG_PAT (UINT64_C(1) << 62)

#if defined(DRV_X86_64)

#include "x86_64.h"
#define ARCH_NAME "x86_64"
#define DRV(x) x86_64_##x
#define DST(x) X86_64_##x
typedef x86_64_ctx drv_ctx;
typedef x86_64_flags_t drv_flags_t;
typedef x86_64_status drv_status;
#define ARCH_CR3_REG X86_64_REG_X8664_CR3_CR3
#define ARCH_WALK walk_x86_64
#define ARCH_ENUM walk_enum_x86_64
#define ARCH_VA_LIMIT (UINT64_C(1) << 47) /* lower canonical half */
#define ARCH_ALL_FLAGS                                                                    \
    (X86_64_FLAG_WRITABLE | X86_64_FLAG_USERMODE | X86_64_FLAG_EXECUTABLE |              \
     X86_64_FLAG_WRITETHROUGH | X86_64_FLAG_NOCACHE | X86_64_FLAG_GLOBAL)
#define ARCH_HAS_EXEC 1
#define ARCH_F_W X86_64_FLAG_WRITABLE
#define ARCH_BIG_PAGE MiB(2) /* the span of one page table */
#define ARCH_F_U X86_64_FLAG_USERMODE
/* Random operations stay in a 64 GiB window that straddles the first PML4
 * boundary (512 GiB), so PML4 entries, PDPTs and PDs come and go too. */
#define ARCH_WIN_LO GiB(480)
#define ARCH_WIN_HI GiB(544)
#define ARCH_ZONE GiB(2)
#define ARCH_PA_RANGE (UINT64_C(1) << 40)
static const model_arch arch_model = {
    ARCH_VA_LIMIT, 3,
    { KiB(4), MiB(2), GiB(1) },
    { UINT64_C(1) << 52, UINT64_C(1) << 52, UINT64_C(1) << 52 },
};

static inline uint64_t arch_flags(bool w, bool u, bool nx, const walk_result *r)
{
    uint64_t f = 0;
    if (w)
        f |= X86_64_FLAG_WRITABLE;
    if (u)
        f |= X86_64_FLAG_USERMODE;
    if (!nx)
        f |= X86_64_FLAG_EXECUTABLE;
    if (r->pwt)
        f |= X86_64_FLAG_WRITETHROUGH;
    if (r->pcd)
        f |= X86_64_FLAG_NOCACHE;
    if (r->g)
        f |= X86_64_FLAG_GLOBAL;
    if (r->pat)
        f |= ARCH_FLAG_PAT;
    return f;
}

#elif defined(DRV_X86_32)

#include "x86_32.h"
#define ARCH_NAME "x86_32"
#define DRV(x) x86_32_##x
#define DST(x) X86_32_##x
typedef x86_32_ctx drv_ctx;
typedef x86_32_flags_t drv_flags_t;
typedef x86_32_status drv_status;
#define ARCH_CR3_REG X86_32_REG_X86_CR3_CR3
#define ARCH_WALK walk_x86_32
#define ARCH_ENUM walk_enum_x86_32
#define ARCH_VA_LIMIT (UINT64_C(1) << 32)
#define ARCH_ALL_FLAGS                                                                    \
    (X86_32_FLAG_WRITABLE | X86_32_FLAG_USERMODE | X86_32_FLAG_WRITETHROUGH |            \
     X86_32_FLAG_NOCACHE | X86_32_FLAG_GLOBAL)
#define ARCH_HAS_EXEC 0
#define ARCH_F_W X86_32_FLAG_WRITABLE
#define ARCH_BIG_PAGE MiB(4) /* the span of one page table */
#define ARCH_F_U X86_32_FLAG_USERMODE
#define ARCH_WIN_LO UINT64_C(0)
#define ARCH_WIN_HI GiB(4)
#define ARCH_ZONE MiB(256)
#define ARCH_PA_RANGE GiB(4)
/* 4 KiB frames are 32-bit; 4 MiB frames reach 40 bits with PSE-36. */
static const model_arch arch_model = {
    ARCH_VA_LIMIT, 2,
    { KiB(4), MiB(4) },
    { UINT64_C(1) << 32, UINT64_C(1) << 40 },
};

static inline uint64_t arch_flags(bool w, bool u, bool nx, const walk_result *r)
{
    uint64_t f = 0;
    (void)nx;
    if (w)
        f |= X86_32_FLAG_WRITABLE;
    if (u)
        f |= X86_32_FLAG_USERMODE;
    if (r->pwt)
        f |= X86_32_FLAG_WRITETHROUGH;
    if (r->pcd)
        f |= X86_32_FLAG_NOCACHE;
    if (r->g)
        f |= X86_32_FLAG_GLOBAL;
    if (r->pat)
        f |= ARCH_FLAG_PAT;
    return f;
}

#else
#error "define DRV_X86_64 or DRV_X86_32"
#endif

/* Flags the hardware applies (effective) and the leaf entry's own. */
static inline uint64_t arch_eff_flags(const walk_result *r)
{
    return arch_flags(r->w, r->u, r->nx, r);
}
static inline uint64_t arch_leaf_flags(const walk_result *r)
{
    return arch_flags(r->leaf_w, r->leaf_u, r->leaf_nx, r);
}

static inline uint64_t arch_cr3(vrs_hosted *h)
{
    return *vrs_hosted_reg(h, ARCH_CR3_REG);
}

static inline unsigned arch_status_bit(drv_status s)
{
    switch (s) {
    case DST(OK): return M_OK;
    case DST(EINVAL): return M_EINVAL;
    case DST(EEXIST): return M_EEXIST;
    case DST(ENOENT): return M_ENOENT;
    case DST(ENOMEM): return M_ENOMEM;
    }
    return 0; /* not a status at all */
}

static inline const char *status_set_name(unsigned m)
{
    static char buf[8][64];
    static unsigned k;
    char *b = buf[k++ % 8];
    b[0] = 0;
    const char *names[] = { "OK", "EINVAL", "EEXIST", "ENOENT", "ENOMEM" };
    for (unsigned i = 0; i < 5; i++)
        if (m & (1u << i)) {
            if (b[0])
                strcat(b, "|");
            strcat(b, names[i]);
        }
    if (!b[0])
        strcpy(b, "<invalid status>");
    return b;
}

#endif /* DRIVER_TEST_ARCH_H */
