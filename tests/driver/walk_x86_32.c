/*
 * walk_x86_32.c - x86-32 non-PAE 2-level walker, from arch-facts.md §2 only.
 *
 *   CR3[31:12] -> PD (1024 x 4-byte PDEs, VA[31:22]) -> PT (VA[21:12]).
 *   Entry bits 0-8 as in 64-bit entries; bits [31:12] the frame.
 *   PDE.PS=1 (CR4.PSE=1): 4 MiB page, PA[31:22] = PDE[31:22],
 *   PA[39:32] = PDE[20:13] (PSE-36, 8 bits as in QEMU), PAT = bit 12,
 *   bit 21 RSVD. No NX and no reserved bits in 4 KiB entries.
 *   U/S and R/W are ANDed across both levels.
 */
#include <string.h>

#include "walk.h"

#define B(n) (UINT64_C(1) << (n))
#define FRAME32 UINT64_C(0xfffff000) /* [31:12] */

static void leaf_bits(walk_result *r, uint64_t e, bool big)
{
    r->leaf_w = (e & B(1)) != 0;
    r->leaf_u = (e & B(2)) != 0;
    r->leaf_nx = false;
    r->pwt = (e & B(3)) != 0;
    r->pcd = (e & B(4)) != 0;
    r->g = (e & B(8)) != 0;
    r->pat = big ? (e & B(12)) != 0 : (e & B(7)) != 0;
}

static uint64_t big_base(uint64_t e)
{
    return (e & UINT64_C(0xffc00000)) | (((e >> 13) & 0xffu) << 32);
}

void walk_x86_32(vrs_hosted *h, uint64_t cr3, uint64_t va, walk_result *r)
{
    memset(r, 0, sizeof *r);
    if (va >> 32) {
        r->fault = WALK_BAD_VA;
        r->level = 2;
        return;
    }
    uint64_t pd = cr3 & FRAME32, e;
    r->level = 2;
    if (!walk_read(h, pd + ((va >> 22) & 1023u) * 4u, 4, &e)) {
        r->fault = WALK_BAD_TABLE;
        return;
    }
    r->entry = e;
    if (!(e & B(0))) {
        r->fault = WALK_NOT_PRESENT;
        return;
    }
    r->w = (e & B(1)) != 0;
    r->u = (e & B(2)) != 0;
    r->nx = false;
    if (e & B(7)) {
        if (e & B(21)) {
            r->fault = WALK_RSVD;
            return;
        }
        r->page_size = B(22);
        r->page_base = big_base(e);
        r->pa = r->page_base + (va & (B(22) - 1));
        leaf_bits(r, e, true);
        return;
    }
    uint64_t pt = e & FRAME32;
    r->level = 1;
    if (!walk_read(h, pt + ((va >> 12) & 1023u) * 4u, 4, &e)) {
        r->fault = WALK_BAD_TABLE;
        return;
    }
    r->entry = e;
    if (!(e & B(0))) {
        r->fault = WALK_NOT_PRESENT;
        return;
    }
    r->w = r->w && (e & B(1));
    r->u = r->u && (e & B(2));
    r->page_size = B(12);
    r->page_base = e & FRAME32;
    r->pa = r->page_base + (va & 0xfffu);
    leaf_bits(r, e, false);
}

static bool read_table(vrs_hosted *h, uint64_t pa, uint64_t ents[1024], unsigned *present)
{
    *present = 0;
    for (unsigned i = 0; i < 1024; i++) {
        if (!walk_read(h, pa + i * 4u, 4, &ents[i]))
            return false;
        if (ents[i] & B(0))
            (*present)++;
    }
    return true;
}

void walk_enum_x86_32(vrs_hosted *h, uint64_t cr3, walk_table_fn *table, walk_leaf_fn *leaf,
                      void *arg)
{
    static uint64_t pd[1024], pt[1024]; /* not reentrant; fine for the tests */
    unsigned present;
    walk_result r;
    uint64_t pdpa = cr3 & FRAME32;
    bool ok = read_table(h, pdpa, pd, &present);
    if (table)
        table(arg, pdpa, 2, 0, B(32), present);
    if (!ok) {
        memset(&r, 0, sizeof r);
        r.fault = WALK_BAD_TABLE;
        r.level = 2;
        r.page_size = B(32);
        if (leaf)
            leaf(arg, 0, &r);
        return;
    }
    for (unsigned i = 0; i < 1024; i++) {
        uint64_t e = pd[i], va = (uint64_t)i << 22;
        if (!(e & B(0)))
            continue;
        memset(&r, 0, sizeof r);
        r.level = 2;
        r.entry = e;
        r.page_size = B(22);
        if (e & B(7)) {
            if (e & B(21)) {
                r.fault = WALK_RSVD;
            } else {
                r.w = (e & B(1)) != 0;
                r.u = (e & B(2)) != 0;
                r.page_base = r.pa = big_base(e);
                leaf_bits(&r, e, true);
            }
            if (leaf)
                leaf(arg, va, &r);
            continue;
        }
        bool w = (e & B(1)) != 0, u = (e & B(2)) != 0;
        uint64_t ptpa = e & FRAME32;
        ok = read_table(h, ptpa, pt, &present);
        if (table)
            table(arg, ptpa, 1, va, B(22), present);
        if (!ok) {
            r.fault = WALK_BAD_TABLE;
            if (leaf)
                leaf(arg, va, &r);
            continue;
        }
        for (unsigned j = 0; j < 1024; j++) {
            uint64_t f = pt[j];
            if (!(f & B(0)))
                continue;
            memset(&r, 0, sizeof r);
            r.level = 1;
            r.entry = f;
            r.page_size = B(12);
            r.w = w && (f & B(1));
            r.u = u && (f & B(2));
            r.page_base = r.pa = f & FRAME32;
            leaf_bits(&r, f, false);
            if (leaf)
                leaf(arg, va + ((uint64_t)j << 12), &r);
        }
    }
}
