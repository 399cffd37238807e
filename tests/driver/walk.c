/*
 * walk.c - helpers shared by the walkers (walk_x86_64.c, walk_x86_32.c).
 */
#include "walk.h"

const char *walk_fault_name(enum walk_fault f)
{
    switch (f) {
    case WALK_OK: return "ok";
    case WALK_NOT_PRESENT: return "not-present";
    case WALK_RSVD: return "reserved-bit";
    case WALK_BAD_TABLE: return "table-outside-memory";
    case WALK_BAD_VA: return "bad-va";
    }
    return "?";
}

bool walk_read(vrs_hosted *h, uint64_t pa, unsigned bytes, uint64_t *v)
{
    uint64_t limit = vrs_hosted_phys_bytes(h);
    if (pa > limit || bytes > limit - pa)
        return false;
    return vrs_hosted_read(h, pa, bytes, v);
}
