/* SPDX-License-Identifier: MIT */
/*
 * pt_linux.c - the hand-written baseline of bench/driver_bench.c: an x86-64
 * 4-level page table in the idiom of Linux (see pt_linux.h for what it does
 * and leaves out). The walks follow mm/vmalloc.c (vmap_range_noflush,
 * vmap_try_huge_pud/pmd, vunmap_range) and the entry helpers follow
 * arch/x86/include/asm/pgtable*.h (pXd_none/present/leaf/bad, set_pte,
 * pte_clear, pfn_pte, pXd_populate, pXd_addr_end), so the comparison is
 * with the code an OS would write by hand, not with a straw man. Entries
 * of the tables above the ptes are read plainly (*pmd), ptes with
 * READ_ONCE (ptep_get), and every entry is written with WRITE_ONCE
 * (native_set_pte and friends), as in Linux.
 */
#include "pt_linux.h"

#include <errno.h>
#include <stddef.h>

#define READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define barrier()        __asm__ __volatile__("" ::: "memory")   /* smp_wmb() on x86 */
#define unlikely(x)      __builtin_expect(!!(x), 0)

#define PAGE_SHIFT   12
#define PMD_SHIFT    21
#define PUD_SHIFT    30
#define PGDIR_SHIFT  39
#define PAGE_SIZE    (UINT64_C(1) << PAGE_SHIFT)
#define PMD_SIZE     (UINT64_C(1) << PMD_SHIFT)
#define PUD_SIZE     (UINT64_C(1) << PUD_SHIFT)
#define PGDIR_SIZE   (UINT64_C(1) << PGDIR_SHIFT)
#define PMD_MASK     (~(PMD_SIZE - 1))
#define PUD_MASK     (~(PUD_SIZE - 1))
#define PGDIR_MASK   (~(PGDIR_SIZE - 1))
#define PTRS_PER_PTE 512
#define VA_LIMIT     (UINT64_C(1) << 48)   /* the generated driver's range too */

#define __PHYSICAL_MASK  ((UINT64_C(1) << 52) - 1)
#define PTE_PFN_MASK     (__PHYSICAL_MASK & ~(PAGE_SIZE - 1))
#define PTE_FLAGS_MASK   (~PTE_PFN_MASK)
#define PMD_PAGE_MASK    (__PHYSICAL_MASK & PMD_MASK)     /* PHYSICAL_PMD_PAGE_MASK */
#define PUD_PAGE_MASK    (__PHYSICAL_MASK & PUD_MASK)     /* PHYSICAL_PUD_PAGE_MASK */

#define _KERNPG_TABLE  (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define _PAGE_TABLE    (_KERNPG_TABLE | _PAGE_USER)
/* What protect replaces (pte_modify keeps the rest: pfn, A/D, PAT, PSE). */
#define _PAGE_PROT_MASK (_PAGE_RW | _PAGE_USER | _PAGE_PWT | _PAGE_PCD | _PAGE_GLOBAL | _PAGE_NX)

/* __va(): the direct map. Read once per call, like page_offset_base. */
#define __va(off, pa)  ((void *)(uintptr_t)((pa) + (off)))

static inline uint64_t pgd_index(uint64_t a) { return (a >> PGDIR_SHIFT) & (PTRS_PER_PTE - 1); }
static inline uint64_t pud_index(uint64_t a) { return (a >> PUD_SHIFT) & (PTRS_PER_PTE - 1); }
static inline uint64_t pmd_index(uint64_t a) { return (a >> PMD_SHIFT) & (PTRS_PER_PTE - 1); }
static inline uint64_t pte_index(uint64_t a) { return (a >> PAGE_SHIFT) & (PTRS_PER_PTE - 1); }

/* The end of the entry that addr is in, or end if that comes first. */
#define ADDR_END(size, mask)                                              \
    static inline uint64_t addr_end_##size(uint64_t addr, uint64_t end)   \
    {                                                                     \
        uint64_t b = (addr + size) & mask;                                \
        return b - 1 < end - 1 ? b : end;                                 \
    }
ADDR_END(PGDIR_SIZE, PGDIR_MASK)
ADDR_END(PUD_SIZE, PUD_MASK)
ADDR_END(PMD_SIZE, PMD_MASK)
#define pgd_addr_end(a, e) addr_end_PGDIR_SIZE(a, e)
#define pud_addr_end(a, e) addr_end_PUD_SIZE(a, e)
#define pmd_addr_end(a, e) addr_end_PMD_SIZE(a, e)

static inline bool pgd_none(pgd_t g) { return g.pgd == 0; }
static inline bool pud_none(pud_t u) { return u.pud == 0; }
static inline bool pmd_none(pmd_t m) { return m.pmd == 0; }
static inline bool pte_none(pte_t p) { return p.pte == 0; }
static inline bool pud_present(pud_t u) { return u.pud & _PAGE_PRESENT; }
static inline bool pmd_present(pmd_t m) { return m.pmd & (_PAGE_PRESENT | _PAGE_PSE); }
static inline bool pte_present(pte_t p) { return p.pte & _PAGE_PRESENT; }
static inline bool pud_leaf(pud_t u)
{
    return (u.pud & (_PAGE_PSE | _PAGE_PRESENT)) == (_PAGE_PSE | _PAGE_PRESENT);
}
static inline bool pmd_leaf(pmd_t m) { return (m.pmd & _PAGE_PSE) != 0; }
/* A table entry has exactly the table flags (x86's pXd_bad); a huge leaf is "bad". */
static inline bool pgd_bad(pgd_t g) { return ((g.pgd & PTE_FLAGS_MASK) & ~_PAGE_USER) != _KERNPG_TABLE; }
static inline bool pud_bad(pud_t u) { return ((u.pud & PTE_FLAGS_MASK) & ~(_KERNPG_TABLE | _PAGE_USER)) != 0; }
static inline bool pmd_bad(pmd_t m)
{
    return ((m.pmd & PTE_FLAGS_MASK) & ~(_PAGE_USER | _PAGE_ACCESSED)) != (_KERNPG_TABLE & ~_PAGE_ACCESSED);
}

static inline pgd_t *pgd_offset(const struct pt_linux *pt, uintptr_t off, uint64_t a)
{
    return (pgd_t *)__va(off, pt->pgd_pa) + pgd_index(a);
}
static inline pud_t *pud_offset(pgd_t *pgd, uintptr_t off, uint64_t a)
{
    return (pud_t *)__va(off, pgd->pgd & PTE_PFN_MASK) + pud_index(a);
}
static inline pmd_t *pmd_offset(pud_t *pud, uintptr_t off, uint64_t a)
{
    return (pmd_t *)__va(off, pud->pud & PTE_PFN_MASK) + pmd_index(a);
}
static inline pte_t *pte_offset_kernel(pmd_t *pmd, uintptr_t off, uint64_t a)
{
    return (pte_t *)__va(off, pmd->pmd & PTE_PFN_MASK) + pte_index(a);
}

static inline pte_t ptep_get(pte_t *ptep) { return (pte_t){ READ_ONCE(ptep->pte) }; }
static inline void set_pte(pte_t *ptep, pte_t pte) { WRITE_ONCE(ptep->pte, pte.pte); }
static inline void set_pmd(pmd_t *pmdp, pmd_t pmd) { WRITE_ONCE(pmdp->pmd, pmd.pmd); }
static inline void set_pud(pud_t *pudp, pud_t pud) { WRITE_ONCE(pudp->pud, pud.pud); }
static inline void set_pgd(pgd_t *pgdp, pgd_t pgd) { WRITE_ONCE(pgdp->pgd, pgd.pgd); }
static inline void pte_clear(pte_t *ptep) { set_pte(ptep, (pte_t){ 0 }); }
static inline void pmd_clear(pmd_t *pmdp) { set_pmd(pmdp, (pmd_t){ 0 }); }
static inline void pud_clear(pud_t *pudp) { set_pud(pudp, (pud_t){ 0 }); }

static inline pte_t pfn_pte(uint64_t pfn, pgprot_t prot)
{
    return (pte_t){ ((pfn << PAGE_SHIFT) & PTE_PFN_MASK) | prot.pgprot };
}
static inline pte_t pte_modify(pte_t pte, pgprot_t prot)
{
    return (pte_t){ (pte.pte & ~_PAGE_PROT_MASK) | (prot.pgprot & _PAGE_PROT_MASK) };
}
/* protval_4k_2_large / protval_large_2_4k: PAT moves between bits 7 and 12. */
static inline uint64_t protval_4k_2_large(uint64_t v)
{
    return (v & ~(_PAGE_PAT | _PAGE_PAT_LARGE)) | ((v & _PAGE_PAT) << (12 - 7));
}
static inline uint64_t protval_large_2_4k(uint64_t v)
{
    return (v & ~(_PAGE_PAT | _PAGE_PAT_LARGE)) | ((v & _PAGE_PAT_LARGE) >> (12 - 7));
}

static inline void flush_tlb_kernel_range(struct vrs_env *env, uint64_t start, uint64_t end)
{
    vrs_tlb_invalidate(env, start, end - start);
}

/* __pXd_alloc + pXd_populate: a zeroed table, visible before the entry. */
static bool table_alloc(struct vrs_env *env, uint64_t *pa)
{
    if (!vrs_alloc_table(env, PAGE_SIZE, PAGE_SIZE, pa))
        return false;
    barrier();
    return true;
}

pgprot_t pt_linux_prot(bool write, bool user, bool exec, bool wt, bool nocache, bool global)
{
    uint64_t v = _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_DIRTY;
    v |= write ? _PAGE_RW : 0;
    v |= user ? _PAGE_USER : 0;
    v |= exec ? 0 : _PAGE_NX;
    v |= wt ? _PAGE_PWT : 0;
    v |= nocache ? _PAGE_PCD : 0;
    v |= global ? _PAGE_GLOBAL : 0;
    return (pgprot_t){ v };
}

int pt_linux_init(struct pt_linux *pt, struct vrs_env *env)
{
    pt->env = env;
    return table_alloc(env, &pt->pgd_pa) ? 0 : -ENOMEM;
}

void pt_linux_fini(struct pt_linux *pt)
{
    struct vrs_env *env = pt->env;
    uintptr_t off = (uintptr_t)env->direct_map;
    pgd_t *pgd = __va(off, pt->pgd_pa);
    for (int i = 0; i < PTRS_PER_PTE; i++) {
        if (pgd_none(pgd[i]) || pgd_bad(pgd[i]))
            continue;
        uint64_t pud_pa = pgd[i].pgd & PTE_PFN_MASK;
        pud_t *pud = __va(off, pud_pa);
        for (int j = 0; j < PTRS_PER_PTE; j++) {
            if (!pud_present(pud[j]) || pud_leaf(pud[j]))
                continue;
            uint64_t pmd_pa = pud[j].pud & PTE_PFN_MASK;
            pmd_t *pmd = __va(off, pmd_pa);
            for (int k = 0; k < PTRS_PER_PTE; k++)
                if (pmd_present(pmd[k]) && !pmd_leaf(pmd[k]))
                    vrs_free_table(env, pmd[k].pmd & PTE_PFN_MASK, PAGE_SIZE);
            vrs_free_table(env, pmd_pa, PAGE_SIZE);
        }
        vrs_free_table(env, pud_pa, PAGE_SIZE);
    }
    vrs_free_table(env, pt->pgd_pa, PAGE_SIZE);
    pt->pgd_pa = 0;
}

static bool range_ok(uint64_t va, uint64_t size)
{
    return size != 0 && ((va | size) & (PAGE_SIZE - 1)) == 0 && va + size > va &&
           va + size <= VA_LIMIT;
}

/* ---- map: vmap_range_noflush ---- */

static int vmap_pte_range(struct vrs_env *env, uintptr_t off, pmd_t *pmd, uint64_t addr,
                          uint64_t end, uint64_t phys, pgprot_t prot)
{
    /* pte_alloc_kernel */
    if (unlikely(pmd_none(*pmd))) {
        uint64_t pa;
        if (!table_alloc(env, &pa))
            return -ENOMEM;
        set_pmd(pmd, (pmd_t){ pa | _PAGE_TABLE });
    } else if (unlikely(pmd_bad(*pmd))) {
        return -EBUSY;   /* a huge leaf in the way (Linux would BUG) */
    }
    pte_t *pte = pte_offset_kernel(pmd, off, addr);
    uint64_t pfn = phys >> PAGE_SHIFT;
    do {
        if (unlikely(!pte_none(ptep_get(pte))))
            return -EBUSY;   /* Linux: BUG_ON(!pte_none(ptep_get(pte))) */
        set_pte(pte, pfn_pte(pfn, prot));
        pfn++;
    } while (pte++, addr += PAGE_SIZE, addr != end);
    return 0;
}

/* vmap_try_huge_pmd + pmd_free_pte_page + pmd_set_huge */
static bool vmap_try_huge_pmd(struct vrs_env *env, pmd_t *pmd, uint64_t addr, uint64_t end,
                              uint64_t phys, pgprot_t prot)
{
    if (end - addr != PMD_SIZE || (addr & ~PMD_MASK) != 0 || (phys & ~PMD_MASK) != 0)
        return false;
    if (pmd_present(*pmd)) {
        if (pmd_leaf(*pmd))
            return false;       /* and vmap_pte_range says -EBUSY */
        /* pmd_free_pte_page: the range is unmapped, its pte table goes */
        uint64_t pte_pa = pmd->pmd & PTE_PFN_MASK;
        pmd_clear(pmd);
        flush_tlb_kernel_range(env, addr, addr + PAGE_SIZE);
        vrs_free_table(env, pte_pa, PAGE_SIZE);
    }
    set_pmd(pmd, (pmd_t){ (phys & PMD_PAGE_MASK) | protval_4k_2_large(prot.pgprot) | _PAGE_PSE });
    return true;
}

static int vmap_pmd_range(struct vrs_env *env, uintptr_t off, pud_t *pud, uint64_t addr,
                          uint64_t end, uint64_t phys, pgprot_t prot)
{
    /* pmd_alloc */
    if (unlikely(pud_none(*pud))) {
        uint64_t pa;
        if (!table_alloc(env, &pa))
            return -ENOMEM;
        set_pud(pud, (pud_t){ pa | _PAGE_TABLE });
    } else if (unlikely(pud_bad(*pud))) {
        return -EBUSY;
    }
    pmd_t *pmd = pmd_offset(pud, off, addr);
    uint64_t next;
    do {
        next = pmd_addr_end(addr, end);
        if (vmap_try_huge_pmd(env, pmd, addr, next, phys, prot))
            continue;
        int err = vmap_pte_range(env, off, pmd, addr, next, phys, prot);
        if (err)
            return err;
    } while (pmd++, phys += next - addr, addr = next, addr != end);
    return 0;
}

/* vmap_try_huge_pud + pud_set_huge. A pmd table in the way is kept (x86's
 * pud_free_pmd_page would free it and everything below), a leaf in the way
 * makes vmap_pmd_range say -EBUSY. */
static bool vmap_try_huge_pud(pud_t *pud, uint64_t addr, uint64_t end, uint64_t phys,
                              pgprot_t prot)
{
    if (end - addr != PUD_SIZE || (addr & ~PUD_MASK) != 0 || (phys & ~PUD_MASK) != 0)
        return false;
    if (pud_present(*pud))
        return false;
    set_pud(pud, (pud_t){ (phys & PUD_PAGE_MASK) | protval_4k_2_large(prot.pgprot) | _PAGE_PSE });
    return true;
}

static int vmap_pud_range(struct vrs_env *env, uintptr_t off, pgd_t *pgd, uint64_t addr,
                          uint64_t end, uint64_t phys, pgprot_t prot)
{
    /* pud_alloc (p4d folded) */
    if (unlikely(pgd_none(*pgd))) {
        uint64_t pa;
        if (!table_alloc(env, &pa))
            return -ENOMEM;
        set_pgd(pgd, (pgd_t){ pa | _PAGE_TABLE });
    }
    pud_t *pud = pud_offset(pgd, off, addr);
    uint64_t next;
    do {
        next = pud_addr_end(addr, end);
        if (vmap_try_huge_pud(pud, addr, next, phys, prot))
            continue;
        int err = vmap_pmd_range(env, off, pud, addr, next, phys, prot);
        if (err)
            return err;
    } while (pud++, phys += next - addr, addr = next, addr != end);
    return 0;
}

int pt_linux_map(struct pt_linux *pt, uint64_t va, uint64_t size, uint64_t pa, pgprot_t prot)
{
    if (!range_ok(va, size) || (pa & (PAGE_SIZE - 1)) != 0 || pa + size < pa ||
        pa + size > __PHYSICAL_MASK + 1)
        return -EINVAL;
    struct vrs_env *env = pt->env;
    uintptr_t off = (uintptr_t)env->direct_map;
    uint64_t addr = va, end = va + size, next;
    pgd_t *pgd = pgd_offset(pt, off, addr);
    do {
        next = pgd_addr_end(addr, end);
        int err = vmap_pud_range(env, off, pgd, addr, next, pa, prot);
        if (err)
            return err;
    } while (pgd++, pa += next - addr, addr = next, addr != end);
    return 0;
}

/* ---- unmap: vunmap_range ---- */

static void vunmap_pte_range(uintptr_t off, pmd_t *pmd, uint64_t addr, uint64_t end)
{
    pte_t *pte = pte_offset_kernel(pmd, off, addr);
    do {
        pte_clear(pte);
    } while (pte++, addr += PAGE_SIZE, addr != end);
}

static void vunmap_pmd_range(uintptr_t off, pud_t *pud, uint64_t addr, uint64_t end)
{
    pmd_t *pmd = pmd_offset(pud, off, addr);
    uint64_t next;
    do {
        next = pmd_addr_end(addr, end);
        if (pmd_leaf(*pmd)) {           /* pmd_clear_huge: the whole leaf goes */
            pmd_clear(pmd);
            continue;
        }
        if (pmd_none(*pmd) || unlikely(pmd_bad(*pmd)))   /* pmd_none_or_clear_bad */
            continue;
        vunmap_pte_range(off, pmd, addr, next);
    } while (pmd++, addr = next, addr != end);
}

static void vunmap_pud_range(uintptr_t off, pgd_t *pgd, uint64_t addr, uint64_t end)
{
    pud_t *pud = pud_offset(pgd, off, addr);
    uint64_t next;
    do {
        next = pud_addr_end(addr, end);
        if (pud_leaf(*pud)) {           /* pud_clear_huge */
            pud_clear(pud);
            continue;
        }
        if (pud_none(*pud) || unlikely(pud_bad(*pud)))
            continue;
        vunmap_pmd_range(off, pud, addr, next);
    } while (pud++, addr = next, addr != end);
}

int pt_linux_unmap(struct pt_linux *pt, uint64_t va, uint64_t size)
{
    if (!range_ok(va, size))
        return -EINVAL;
    struct vrs_env *env = pt->env;
    uintptr_t off = (uintptr_t)env->direct_map;
    uint64_t addr = va, end = va + size, next;
    pgd_t *pgd = pgd_offset(pt, off, addr);
    do {
        next = pgd_addr_end(addr, end);
        if (pgd_none(*pgd) || unlikely(pgd_bad(*pgd)))
            continue;
        vunmap_pud_range(off, pgd, addr, next);
    } while (pgd++, addr = next, addr != end);
    flush_tlb_kernel_range(env, va, va + size);
    return 0;
}

/* ---- protect: change_protection, without splitting ---- */

static int prot_pte_range(uintptr_t off, pmd_t *pmd, uint64_t addr, uint64_t end, pgprot_t prot)
{
    pte_t *pte = pte_offset_kernel(pmd, off, addr);
    int pages = 0;
    do {
        pte_t old = ptep_get(pte);
        if (pte_present(old)) {
            set_pte(pte, pte_modify(old, prot));
            pages++;
        }
    } while (pte++, addr += PAGE_SIZE, addr != end);
    return pages;
}

static int prot_pmd_range(uintptr_t off, pud_t *pud, uint64_t addr, uint64_t end, pgprot_t prot)
{
    pmd_t *pmd = pmd_offset(pud, off, addr);
    uint64_t next;
    int pages = 0;
    do {
        next = pmd_addr_end(addr, end);
        if (pmd_leaf(*pmd)) {
            if (next - addr != PMD_SIZE)
                return -EINVAL;     /* no splitting */
            set_pmd(pmd, (pmd_t){ pte_modify((pte_t){ pmd->pmd }, prot).pte });
            pages++;
            continue;
        }
        if (pmd_none(*pmd) || unlikely(pmd_bad(*pmd)))
            continue;
        pages += prot_pte_range(off, pmd, addr, next, prot);
    } while (pmd++, addr = next, addr != end);
    return pages;
}

static int prot_pud_range(uintptr_t off, pgd_t *pgd, uint64_t addr, uint64_t end, pgprot_t prot)
{
    pud_t *pud = pud_offset(pgd, off, addr);
    uint64_t next;
    int pages = 0;
    do {
        next = pud_addr_end(addr, end);
        if (pud_leaf(*pud)) {
            if (next - addr != PUD_SIZE)
                return -EINVAL;
            set_pud(pud, (pud_t){ pte_modify((pte_t){ pud->pud }, prot).pte });
            pages++;
            continue;
        }
        if (pud_none(*pud) || unlikely(pud_bad(*pud)))
            continue;
        int n = prot_pmd_range(off, pud, addr, next, prot);
        if (n < 0)
            return n;
        pages += n;
    } while (pud++, addr = next, addr != end);
    return pages;
}

int pt_linux_protect(struct pt_linux *pt, uint64_t va, uint64_t size, pgprot_t prot)
{
    if (!range_ok(va, size))
        return -EINVAL;
    struct vrs_env *env = pt->env;
    uintptr_t off = (uintptr_t)env->direct_map;
    uint64_t addr = va, end = va + size, next;
    pgd_t *pgd = pgd_offset(pt, off, addr);
    int pages = 0, err = 0;
    do {
        next = pgd_addr_end(addr, end);
        if (pgd_none(*pgd) || unlikely(pgd_bad(*pgd)))
            continue;
        int n = prot_pud_range(off, pgd, addr, next, prot);
        if (n < 0) {
            err = n;
            break;
        }
        pages += n;
    } while (pgd++, addr = next, addr != end);
    if (pages || err)
        flush_tlb_kernel_range(env, va, va + size);
    return err;
}

/* ---- resolve: lookup_address + slow_virt_to_phys ---- */

int pt_linux_resolve(struct pt_linux *pt, uint64_t va, uint64_t *pa, pgprot_t *prot,
                     uint64_t *page_size)
{
    if (va >= VA_LIMIT)
        return -EINVAL;
    uintptr_t off = (uintptr_t)pt->env->direct_map;
    pgd_t *pgd = pgd_offset(pt, off, va);
    if (pgd_none(*pgd))
        return -ENOENT;
    pud_t *pud = pud_offset(pgd, off, va);
    pud_t u = *pud;
    if (!pud_present(u))
        return -ENOENT;
    if (pud_leaf(u)) {
        *pa = (u.pud & PUD_PAGE_MASK) | (va & ~PUD_MASK);
        *prot = (pgprot_t){ protval_large_2_4k(u.pud & ~PUD_PAGE_MASK & ~_PAGE_PSE) };
        *page_size = PUD_SIZE;
        return 0;
    }
    pmd_t *pmd = pmd_offset(pud, off, va);
    pmd_t m = *pmd;
    if (!pmd_present(m))
        return -ENOENT;
    if (pmd_leaf(m)) {
        *pa = (m.pmd & PMD_PAGE_MASK) | (va & ~PMD_MASK);
        *prot = (pgprot_t){ protval_large_2_4k(m.pmd & ~PMD_PAGE_MASK & ~_PAGE_PSE) };
        *page_size = PMD_SIZE;
        return 0;
    }
    pte_t p = ptep_get(pte_offset_kernel(pmd, off, va));
    if (!pte_present(p))
        return -ENOENT;
    *pa = (p.pte & PTE_PFN_MASK) | (va & (PAGE_SIZE - 1));
    *prot = (pgprot_t){ p.pte & PTE_FLAGS_MASK };
    *page_size = PAGE_SIZE;
    return 0;
}
