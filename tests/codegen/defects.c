/* SPDX-License-Identifier: MIT */
/*
 * defects.c - every defect reference-compiler.md §1.9 confirmed in the
 * reference's generated x86-64 driver, as a check that vrsc's driver does
 * not have it. Built by tests/run/codegen_defects.sh against the drivers
 * vrsc generates from specs/x86_64.vrs and tests/synth/mmio_regs.vrs, over
 * the hosted environment. Prints one line per check; exit 1 on a failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mmio_regs.h"
#include "vrs_hosted.h"
#include "x86_64.h"

static int failures, checks;

#define CHECK(what, cond)                                                      \
    do {                                                                       \
        checks++;                                                              \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            printf("FAIL: %s (%s:%d)\n", what, __FILE__, __LINE__);            \
        }                                                                      \
    } while (0)

static uint64_t live(vrs_hosted *h)
{
    return vrs_hosted_get_stats(h).live_tables;
}

static bool maps_to(x86_64_ctx *c, uint64_t va, uint64_t want_pa, uint64_t want_ps)
{
    uint64_t pa = 0, ps = 0;
    x86_64_flags_t f;
    return x86_64_resolve(c, va, &pa, &f, &ps) == X86_64_OK && pa == want_pa && ps == want_ps;
}

int main(void)
{
    vrs_hosted *h = vrs_hosted_new(UINT64_C(32) << 20);
    if (!h || !vrs_hosted_reserve(h, UINT64_C(1) << 20))
        return 2;
    x86_64_ctx c = { .env = vrs_hosted_env(h) };
    CHECK("init", x86_64_init(&c) == X86_64_OK);
    uint64_t done;

    /* 1. resolve terminates and recurses into the child (the reference's
     * table-entry resolve called itself forever) */
    CHECK("1: map 4K", x86_64_map(&c, 0x200000, 0x1000, 0, 0x5000, &done) == X86_64_OK);
    CHECK("1: resolve through four levels", maps_to(&c, 0x200123, 0x5123, 0x1000));
    CHECK("1: resolve of an unmapped address ends", !maps_to(&c, 0x400000, 0, 0));

    /* 2. multi-page requests: 8 KiB is two pages, 6 MiB three large ones */
    CHECK("2: map 8 KiB", x86_64_map(&c, 0x10000, 0x2000, 0, 0x7000, &done) == X86_64_OK && done == 0x2000);
    CHECK("2: both pages", maps_to(&c, 0x10000, 0x7000, 0x1000) && maps_to(&c, 0x11fff, 0x8fff, 0x1000));
    CHECK("2: map 6 MiB", x86_64_map(&c, 0x40000000, 0x600000, 0, 0x40000000, &done) == X86_64_OK);
    CHECK("2: as 2 MiB pages", maps_to(&c, 0x40400000, 0x40400000, 0x200000));

    /* 3. existing mappings are not overwritten, and nothing leaks */
    uint64_t before = live(h);
    CHECK("3: remap elsewhere is EEXIST", x86_64_map(&c, 0x200000, 0x1000, 0, 0x6000, &done) == X86_64_EEXIST);
    CHECK("3: old mapping intact", maps_to(&c, 0x200000, 0x5000, 0x1000));
    CHECK("3: 2 MiB over a page table is EEXIST", x86_64_map(&c, 0x200000, 0x200000, 0, 0x200000, &done) == X86_64_EEXIST);
    CHECK("3: the table and its page stay", maps_to(&c, 0x200000, 0x5000, 0x1000) && live(h) == before);
    CHECK("3: identical remap is accepted", x86_64_map(&c, 0x200000, 0x1000, 0, 0x5000, &done) == X86_64_OK);

    /* 4. unmap frees tables; allocation failures are reported, not ignored */
    CHECK("4: unmap all", x86_64_unmap(&c, 0, UINT64_C(1) << 47, &done) == X86_64_OK);
    CHECK("4: only the root table left", live(h) == 1);
    vrs_hosted_fail_alloc_after(h, 0);
    CHECK("4: ENOMEM when a table cannot be had", x86_64_map(&c, 0x1000, 0x1000, 0, 0x1000, &done) == X86_64_ENOMEM);
    vrs_hosted_fail_alloc_after(h, -1);
    CHECK("4: and nothing was mapped", !maps_to(&c, 0x1000, 0x1000, 0x1000) && live(h) == 1);

    /* 5. the pa alignment requires of a table pointer is a real check */
    CHECK("5: misaligned table pa is EINVAL",
          x86_64_pd_entry_table_map(c.env, 0x100000, 0, 0x200000, 0, 0x1234) == X86_64_EINVAL);
    CHECK("5: misaligned range is EINVAL", x86_64_map(&c, 0x1000, 0x1000, 0, 0x1234, &done) == X86_64_EINVAL);

    /* 6 (self-contained headers) is checked by the build: this file
     * includes the generated headers first, under -Werror. */

    /* 7. entries of enum-typed tables see their own offset: a 2 MiB page
     * high in the address space resolves at every offset */
    CHECK("7: map high", x86_64_map(&c, UINT64_C(0x7f0000200000), 0x200000, 0, 0x600000, &done) == X86_64_OK);
    CHECK("7: resolve high", maps_to(&c, UINT64_C(0x7f00002fffff), 0x6fffff, 0x200000));

    /* 8. MMIO state is read with the read accessor: program an iATU
     * window through its unit functions, read it back, translate */
    mmio_regs_dw_pcie_atu_region_state st;
    CHECK("8: map window", mmio_regs_dw_pcie_atu_region_map(c.env, 0x10000, 0x2000, 0x3000, 0, 0x1234000) == MMIO_REGS_OK);
    mmio_regs_dw_pcie_atu_region_load(c.env, 0x10000, &st);
    uint64_t pa = 0;
    CHECK("8: valid after map", mmio_regs_dw_pcie_atu_region_valid(&st, 0x10000));
    CHECK("8: translates", mmio_regs_dw_pcie_atu_region_translate(&st, 0x10000, 0x2100, &pa) && pa == 0x1234100);
    CHECK("8: outside the window", !mmio_regs_dw_pcie_atu_region_translate(&st, 0x10000, 0x5000, &pa));
    CHECK("8: MMIO reads went through the env", vrs_hosted_get_stats(h).mmio_reads > 0);

    x86_64_fini(&c);
    CHECK("fini frees every table", live(h) == 0 && vrs_hosted_errors(h) == 0);
    vrs_hosted_free(h);
    printf("defects: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
