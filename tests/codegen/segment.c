/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * segment.c - the range driver of a root that is one segment
 * (specs/simple_segment.vrs: base/limit registers behind MMIO). A segment
 * maps a range of any size its requires allow, not pages; unmap and
 * protect act on the whole segment, so a range that would split it is
 * EINVAL. Checked through the public API only, with the registers read
 * back from the hosted memory. Prints "N passed, N failed".
 */
#include <inttypes.h>
#include <stdio.h>

#include "simple_segment.h"
#include "vrs_hosted.h"

static int checks, failures;

#define CHECK(c)                                                                    \
    do {                                                                            \
        checks++;                                                                   \
        if (!(c)) {                                                                 \
            failures++;                                                             \
            fprintf(stderr, "segment.c:%d: check failed: %s\n", __LINE__, #c);      \
        }                                                                           \
    } while (0)

int main(void)
{
    vrs_hosted *h = vrs_hosted_new(1 << 20);
    simple_segment_ctx ctx = { vrs_hosted_env(h), 0x1000 };
    const simple_segment_flags_t R = SIMPLE_SEGMENT_FLAG_READABLE, W = SIMPLE_SEGMENT_FLAG_WRITABLE;
    uint64_t done = 1, pa = 0, ps = 0;
    simple_segment_flags_t fl = 0;

    /* nothing mapped yet */
    CHECK(simple_segment_resolve(&ctx, 0x10, &pa, &fl, &ps) == SIMPLE_SEGMENT_ENOENT);
    CHECK(simple_segment_unmap(&ctx, 0, 0x10000, &done) == SIMPLE_SEGMENT_ENOENT && done == 0);

    /* 64 KiB at 0x40000000: not a page size, mapped as it is */
    CHECK(simple_segment_map(&ctx, 0, 0x10000, R | W, 0x40000000, &done) == SIMPLE_SEGMENT_OK);
    CHECK(done == 0x10000);
    CHECK(simple_segment_resolve(&ctx, 0x1234, &pa, &fl, &ps) == SIMPLE_SEGMENT_OK);
    CHECK(pa == 0x40001234);   /* (this spec's flags do not read back: fl is 0) */
    CHECK(simple_segment_resolve(&ctx, 0x10000, &pa, &fl, &ps) == SIMPLE_SEGMENT_ENOENT);   /* the limit */

    /* the same mapping again: accepted; another one: in the way */
    CHECK(simple_segment_map(&ctx, 0, 0x10000, R | W, 0x40000000, &done) == SIMPLE_SEGMENT_OK);
    CHECK(simple_segment_map(&ctx, 0, 0x10000, R | W, 0x50000000, &done) == SIMPLE_SEGMENT_EEXIST);
    CHECK(simple_segment_map(&ctx, 0, 0x20000, R | W, 0x40000000, &done) == SIMPLE_SEGMENT_EEXIST);
    /* a requires broken: the segment starts at 0 */
    CHECK(simple_segment_map(&ctx, 0x1000, 0x1000, R, 0x40000000, &done) == SIMPLE_SEGMENT_EINVAL);

    /* a segment is not split */
    CHECK(simple_segment_unmap(&ctx, 0, 0x8000, &done) == SIMPLE_SEGMENT_EINVAL && done == 0);
    CHECK(simple_segment_protect(&ctx, 0, 0x8000, R, &done) == SIMPLE_SEGMENT_EINVAL);
    CHECK(simple_segment_resolve(&ctx, 0x9000, &pa, &fl, &ps) == SIMPLE_SEGMENT_OK && pa == 0x40009000);

    /* protect the whole segment read-only, then unmap it */
    CHECK(simple_segment_protect(&ctx, 0, 0x10000, R, &done) == SIMPLE_SEGMENT_OK && done == 0x10000);
    CHECK(simple_segment_resolve(&ctx, 0x20, &pa, &fl, &ps) == SIMPLE_SEGMENT_OK && pa == 0x40000020);
    CHECK(simple_segment_unmap(&ctx, 0, 0x10000, &done) == SIMPLE_SEGMENT_OK && done == 0x10000);
    CHECK(simple_segment_resolve(&ctx, 0x20, &pa, &fl, &ps) == SIMPLE_SEGMENT_ENOENT);
    CHECK(vrs_hosted_get_stats(h).tlb_invalidations >= 2);
    CHECK(vrs_hosted_errors(h) == 0);

    printf("%d passed, %d failed\n", checks - failures, failures);
    vrs_hosted_free(h);
    return failures ? 1 : 0;
}
