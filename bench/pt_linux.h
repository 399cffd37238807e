/* SPDX-License-Identifier: MIT */
/*
 * pt_linux.h - a hand-written x86-64 4-level page table, written the way
 * Linux writes it (arch/x86/include/asm/pgtable*.h, mm/vmalloc.c), as the
 * baseline that bench/driver_bench.c holds the vrsc-generated driver
 * against. Not part of vrsc and not used by generated code.
 *
 * pml4 (pgd) -> pud (pdpt) -> pmd (pd) -> pte (pt); p4d is folded, as with
 * 4-level paging in Linux. Entries are pfn | protection bits (pte_t etc.),
 * tables come from the same environment as the generated driver's
 * (vrs_alloc_table) and are reached through the same direct map
 * (env->direct_map + pa, Linux's __va()).
 *
 * What it does, and what it leaves out (as Linux does):
 *  - map: vmap_range_noflush/ioremap_page_range: each piece gets a 1 GiB or
 *    2 MiB leaf when va, pa and the remaining length allow
 *    (vmap_try_huge_pud/pmd), 4 KiB ptes otherwise; tables on demand.
 *    A present leaf in the way fails with -EBUSY (Linux: BUG_ON(!pte_none)),
 *    even an identical one. A 2 MiB leaf replaces an empty-by-contract pte
 *    table (pmd_free_pte_page frees it unchecked, as on x86); a pmd table in
 *    the way of a 1 GiB leaf is kept. No rollback: on -ENOMEM/-EBUSY what
 *    was mapped before the failure stays (Linux's callers vunmap the area).
 *  - unmap: vunmap_range: pte_clear of every pte, pmd/pud_clear of every
 *    huge leaf the range touches (pXd_clear_huge: the whole leaf goes, as in
 *    Linux; there is no splitting), one TLB flush for the range. Tables are
 *    never freed (vunmap does not; free_pgd_range happens elsewhere).
 *  - protect: the new protection replaces W/U/NX/PWT/PCD/G of every present
 *    leaf (pte_modify: pfn, A/D, PAT stay), one TLB flush if any changed. A
 *    range covering part of a huge leaf fails with -EINVAL (no splitting)
 *    after changing the leaves before it.
 *  - resolve: a software walk (lookup_address + slow_virt_to_phys).
 * Nothing reports "nothing was mapped" (ENOENT) for unmap/protect.
 */
#ifndef PT_LINUX_H
#define PT_LINUX_H

#include <stdbool.h>
#include <stdint.h>

#include "vrs_env.h"

typedef struct { uint64_t pte; } pte_t;
typedef struct { uint64_t pmd; } pmd_t;
typedef struct { uint64_t pud; } pud_t;
typedef struct { uint64_t pgd; } pgd_t;
typedef struct { uint64_t pgprot; } pgprot_t;

#define _PAGE_PRESENT    (UINT64_C(1) << 0)
#define _PAGE_RW         (UINT64_C(1) << 1)
#define _PAGE_USER       (UINT64_C(1) << 2)
#define _PAGE_PWT        (UINT64_C(1) << 3)
#define _PAGE_PCD        (UINT64_C(1) << 4)
#define _PAGE_ACCESSED   (UINT64_C(1) << 5)
#define _PAGE_DIRTY      (UINT64_C(1) << 6)
#define _PAGE_PSE        (UINT64_C(1) << 7)
#define _PAGE_PAT        (UINT64_C(1) << 7)     /* in a 4 KiB pte */
#define _PAGE_GLOBAL     (UINT64_C(1) << 8)
#define _PAGE_PAT_LARGE  (UINT64_C(1) << 12)    /* in a 2 MiB / 1 GiB leaf */
#define _PAGE_NX         (UINT64_C(1) << 63)

struct pt_linux {
    struct vrs_env *env;
    uint64_t        pgd_pa;     /* mm->pgd, as a physical address */
};

int  pt_linux_init(struct pt_linux *pt, struct vrs_env *env);   /* 0 or -ENOMEM */
void pt_linux_fini(struct pt_linux *pt);                        /* frees every table */

/* The protection of a leaf: present, accessed, dirty (as PAGE_KERNEL) plus
 * the given bits. */
pgprot_t pt_linux_prot(bool write, bool user, bool exec, bool wt, bool nocache, bool global);

/* All take page-aligned va, size, pa (-EINVAL otherwise); 0 or -errno. */
int pt_linux_map(struct pt_linux *pt, uint64_t va, uint64_t size, uint64_t pa, pgprot_t prot);
int pt_linux_unmap(struct pt_linux *pt, uint64_t va, uint64_t size);
int pt_linux_protect(struct pt_linux *pt, uint64_t va, uint64_t size, pgprot_t prot);
/* -ENOENT if nothing is mapped at va. *prot: the leaf's bits, PSE and the
 * pfn cleared. */
int pt_linux_resolve(struct pt_linux *pt, uint64_t va, uint64_t *pa, pgprot_t *prot,
                     uint64_t *page_size);

#endif /* PT_LINUX_H */
