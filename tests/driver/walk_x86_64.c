/*
 * walk_x86_64.c - x86-64 4-level walker, from arch-facts.md §1 only.
 *
 *   CR3[51:12] -> PML4 (VA[47:39]) -> PDPT (VA[38:30]) -> PD (VA[29:21])
 *   -> PT (VA[20:12]); 512 entries of 8 bytes per 4 KiB table.
 *   PDPTE.PS=1: 1 GiB leaf, frame [51:30], bits [29:13] RSVD.
 *   PDE.PS=1:   2 MiB leaf, frame [51:21], bits [20:13] RSVD.
 *   PML4E: PS (bit 7) RSVD. PTE: frame [51:12], bit 7 is PAT.
 *   U/S and R/W are ANDed across all levels, NX (bit 63) is ORed.
 * Per level, in order: P=0 -> not present; RSVD -> fault; PS -> leaf.
 */
#include <string.h>

#include "walk.h"

#define B(n) (UINT64_C(1) << (n))
#define FRAME_MASK UINT64_C(0x000ffffffffff000) /* [51:12] */

/* Reserved bits of a present entry at `level` (4..1) given its PS bit. */
static uint64_t rsvd_mask(int level, bool ps)
{
    switch (level) {
    case 4:
        return B(7) | B(8);                      /* PS RSVD; bit 8 RSVD on AMD */
    case 3:
        return ps ? (B(30) - B(13)) : B(8);      /* [29:13] of a 1G leaf; AMD bit 8 */
    case 2:
        return ps ? (B(21) - B(13)) : 0;         /* [20:13] of a 2M leaf */
    default:
        return 0;
    }
}

static void leaf_bits(walk_result *r, uint64_t e, int level)
{
    r->leaf_w = (e & B(1)) != 0;
    r->leaf_u = (e & B(2)) != 0;
    r->leaf_nx = (e & B(63)) != 0;
    r->pwt = (e & B(3)) != 0;
    r->pcd = (e & B(4)) != 0;
    r->g = (e & B(8)) != 0;
    r->pat = level == 1 ? (e & B(7)) != 0 : (e & B(12)) != 0;
}

void walk_x86_64(vrs_hosted *h, uint64_t cr3, uint64_t va, walk_result *r)
{
    memset(r, 0, sizeof *r);
    uint64_t top = va >> 47;
    if (top != 0 && top != UINT64_C(0x1ffff)) {
        r->fault = WALK_BAD_VA;
        r->level = 4;
        return;
    }
    uint64_t table = cr3 & FRAME_MASK;
    r->w = r->u = true;
    r->nx = false;
    for (int level = 4; level >= 1; level--) {
        unsigned shift = 12u + 9u * (unsigned)(level - 1);
        uint64_t idx = (va >> shift) & 511u, e;
        r->level = level;
        if (!walk_read(h, table + idx * 8u, 8, &e)) {
            r->fault = WALK_BAD_TABLE;
            return;
        }
        r->entry = e;
        if (!(e & B(0))) {
            r->fault = WALK_NOT_PRESENT;
            return;
        }
        bool ps = (level == 3 || level == 2) && (e & B(7));
        if (e & rsvd_mask(level, ps)) {
            r->fault = WALK_RSVD;
            return;
        }
        r->w = r->w && (e & B(1));
        r->u = r->u && (e & B(2));
        r->nx = r->nx || (e & B(63));
        if (ps || level == 1) {
            uint64_t size = B(shift);
            r->page_size = size;
            r->page_base = e & FRAME_MASK & ~(size - 1);
            r->pa = r->page_base + (va & (size - 1));
            leaf_bits(r, e, level);
            r->fault = WALK_OK;
            return;
        }
        table = e & FRAME_MASK;
    }
}

typedef struct enum_ctx {
    vrs_hosted *h;
    walk_table_fn *table;
    walk_leaf_fn *leaf;
    void *arg;
} enum_ctx;

static uint64_t canon(uint64_t va)
{
    return (va & B(47)) ? (va | ~(B(48) - 1)) : va;
}

/* Walk the table at `pa` (level `level`), which covers VA from `vbase`;
 * w/u/nx: the effective permissions accumulated above it. */
static void enum_table(enum_ctx *c, uint64_t pa, int level, uint64_t vbase, bool w, bool u,
                       bool nx)
{
    unsigned shift = 12u + 9u * (unsigned)(level - 1);
    uint64_t size = B(shift);
    unsigned present = 0;
    uint64_t ents[512];
    bool bad = false;
    for (unsigned i = 0; i < 512; i++) {
        if (!walk_read(c->h, pa + i * 8u, 8, &ents[i])) {
            bad = true;
            break;
        }
        if (ents[i] & B(0))
            present++;
    }
    if (c->table)
        c->table(c->arg, pa, level, canon(vbase), size * 512u, present);
    if (bad) {
        walk_result r;
        memset(&r, 0, sizeof r);
        r.fault = WALK_BAD_TABLE;
        r.level = level;
        r.page_size = size * 512u;
        if (c->leaf)
            c->leaf(c->arg, canon(vbase), &r);
        return;
    }
    for (unsigned i = 0; i < 512; i++) {
        uint64_t e = ents[i], va = vbase + (uint64_t)i * size;
        if (!(e & B(0)))
            continue;
        bool ps = (level == 3 || level == 2) && (e & B(7));
        bool w2 = w && (e & B(1)), u2 = u && (e & B(2)), nx2 = nx || (e & B(63));
        walk_result r;
        memset(&r, 0, sizeof r);
        r.level = level;
        r.entry = e;
        r.page_size = size;
        if (e & rsvd_mask(level, ps)) {
            r.fault = WALK_RSVD;
            if (c->leaf)
                c->leaf(c->arg, canon(va), &r);
            continue;
        }
        if (ps || level == 1) {
            r.fault = WALK_OK;
            r.w = w2;
            r.u = u2;
            r.nx = nx2;
            r.page_base = e & FRAME_MASK & ~(size - 1);
            r.pa = r.page_base;
            leaf_bits(&r, e, level);
            if (c->leaf)
                c->leaf(c->arg, canon(va), &r);
            continue;
        }
        enum_table(c, e & FRAME_MASK, level - 1, va, w2, u2, nx2);
    }
}

void walk_enum_x86_64(vrs_hosted *h, uint64_t cr3, walk_table_fn *table, walk_leaf_fn *leaf,
                      void *arg)
{
    enum_ctx c = { h, table, leaf, arg };
    enum_table(&c, cr3 & FRAME_MASK, 4, 0, true, true, false);
}
