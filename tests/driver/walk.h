/*
 * walk.h - independent page-table walkers for the driver tests.
 *
 * Written from /work/shared/docs/arch-facts.md (§1 x86-64 4-level paging,
 * §2 x86-32 non-PAE paging), not from the specs or the generated code. They
 * read the raw simulated physical memory of a vrs_hosted and the root
 * register value, and report what the hardware would do: the physical
 * address, the page size, the effective permissions (R/W and U/S ANDed, NX
 * ORed across all levels) and the leaf's own bits, or a fault.
 *
 * Assumed control state, the same a kernel using these tables would set:
 *  - x86-64: CR0.PG=1, CR4.PAE=1, LA57=0, EFER.NXE=1 (so bit 63 is XD, not
 *    RSVD), CR4.PCIDE=0, MAXPHYADDR=52, 1 GiB pages supported. Bit 8 of a
 *    non-leaf PML4E/PDPTE is treated as RSVD (true on AMD [KVM]) so a
 *    driver that sets it is caught on every vendor.
 *  - x86-32: CR0.PG=1, CR4.PAE=0, CR4.PSE=1, PSE-36 with the 8 high address
 *    bits QEMU implements (PDE[20:13] = PA[39:32]); bit 21 of a 4 MiB PDE
 *    is RSVD.
 * The walkers never set A/D bits (they inspect, they do not access), and
 * they never count hosted errors: every read is bounds-checked first.
 */
#ifndef DRIVER_TEST_WALK_H
#define DRIVER_TEST_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "vrs_hosted.h"

enum walk_fault {
    WALK_OK = 0,
    WALK_NOT_PRESENT,  /* P=0 at `level` */
    WALK_RSVD,         /* a reserved bit is set at `level` */
    WALK_BAD_TABLE,    /* a table lies (partly) outside simulated memory */
    WALK_BAD_VA,       /* x86-64: non-canonical; x86-32: above 4 GiB (#GP) */
};

typedef struct walk_result {
    enum walk_fault fault;
    int level;            /* level of the leaf or of the fault (4..1 or 2..1) */
    uint64_t entry;       /* raw entry at `level` */
    uint64_t pa;          /* translation of va (leaf base + offset) */
    uint64_t page_base;   /* physical base of the leaf page */
    uint64_t page_size;
    bool w, u, nx;        /* effective: W and U ANDed, NX ORed over all levels */
    bool leaf_w, leaf_u, leaf_nx;
    bool pwt, pcd, g, pat; /* the leaf's memory-type and global bits */
} walk_result;

const char *walk_fault_name(enum walk_fault f);

/* One translation. */
void walk_x86_64(vrs_hosted *h, uint64_t cr3, uint64_t va, walk_result *r);
void walk_x86_32(vrs_hosted *h, uint64_t cr3, uint64_t va, walk_result *r);

/* Enumeration of the whole hierarchy, in VA order:
 *  - table(arg, pa, level, va, size, present): every table reachable from
 *    the root, the root included, the VA range [va, va + size) its entries
 *    cover (va sign-extended, as for leaves), and the number of present
 *    entries in it;
 *  - leaf(arg, va, r): every leaf (r->fault == WALK_OK, r->page_size,
 *    r->page_base) and every present entry the walker rejects (r->fault is
 *    WALK_RSVD or WALK_BAD_TABLE, va is the start of what it covers and
 *    r->page_size its size).
 * x86-64 VAs of the upper half are reported sign-extended. Either callback
 * may be NULL. */
typedef void walk_table_fn(void *arg, uint64_t pa, int level, uint64_t va, uint64_t size,
                           unsigned present);
typedef void walk_leaf_fn(void *arg, uint64_t va, const walk_result *r);
void walk_enum_x86_64(vrs_hosted *h, uint64_t cr3, walk_table_fn *table, walk_leaf_fn *leaf,
                      void *arg);
void walk_enum_x86_32(vrs_hosted *h, uint64_t cr3, walk_table_fn *table, walk_leaf_fn *leaf,
                      void *arg);

/* Checked raw reads of simulated memory (false if out of range; never counts
 * a hosted error). */
bool walk_read(vrs_hosted *h, uint64_t pa, unsigned bytes, uint64_t *v);

#endif /* DRIVER_TEST_WALK_H */
