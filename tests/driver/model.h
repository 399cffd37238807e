/*
 * model.h - an independent reference model of a generated driver's API.
 *
 * Written from the semantics in docs/driver.md only (not from any spec or
 * generated code): a plain interval map va -> (pa, flags) at 4 KiB
 * granularity. The model knows nothing about tables; the only architecture
 * facts it is given (by the caller, from arch-facts.md) are the VA limit,
 * the page sizes and the highest physical address each page size can reach,
 * because docs/driver.md says "each piece gets the largest page size its va
 * and pa alignment and the remaining length allow" and "requires become
 * EINVAL".
 *
 * Predictions are sets of acceptable statuses (a bitmask), because the API
 * does not say which error wins when several apply (see model_predict_map).
 */
#ifndef DRIVER_TEST_MODEL_H
#define DRIVER_TEST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_GRANULE UINT64_C(0x1000)

/* Status sets. */
enum {
    M_OK = 1u << 0,
    M_EINVAL = 1u << 1,
    M_EEXIST = 1u << 2,
    M_ENOENT = 1u << 3,
    M_ENOMEM = 1u << 4,
};

typedef struct model_ival {
    uint64_t va, end; /* [va, end), granule-aligned, non-empty */
    uint64_t pa;      /* pa of va; pa of x is pa + (x - va) */
    uint64_t flags;
} model_ival;

#define MODEL_MAX_SIZES 8

typedef struct model_arch {
    uint64_t va_limit;                     /* valid VAs: [0, va_limit) */
    unsigned nsizes;                       /* page sizes, ascending */
    uint64_t page_size[MODEL_MAX_SIZES];
    uint64_t pa_limit[MODEL_MAX_SIZES];    /* a page of this size must end <= this */
} model_arch;

typedef struct model {
    model_arch arch;
    model_ival *v; /* sorted, disjoint, maximally coalesced */
    size_t n, cap;
} model;

void model_init(model *m, const model_arch *arch);
void model_free(model *m);
void model_clear(model *m);

/* Highest pa limit over all page sizes (a map must end at or below it). */
uint64_t model_pa_max(const model *m);

/* Predictions (sets of acceptable statuses). They do not change the model. */
unsigned model_predict_map(const model *m, uint64_t va, uint64_t size, uint64_t flags,
                           uint64_t pa);
unsigned model_predict_unmap(const model *m, uint64_t va, uint64_t size);
unsigned model_predict_protect(const model *m, uint64_t va, uint64_t size);

/* Updates; call them only when the operation succeeded. */
void model_map(model *m, uint64_t va, uint64_t size, uint64_t flags, uint64_t pa);
void model_unmap(model *m, uint64_t va, uint64_t size);
void model_protect(model *m, uint64_t va, uint64_t size, uint64_t flags);

/* resolve: M_OK (pa of va itself, any byte offset), M_ENOENT or M_EINVAL. */
unsigned model_resolve(const model *m, uint64_t va, uint64_t *pa, uint64_t *flags);

/* The interval containing va, or NULL. */
const model_ival *model_find(const model *m, uint64_t va);
/* Index of the first interval with end > va (n if none). */
size_t model_lower(const model *m, uint64_t va);
/* Is every granule of [va, va+size) mapped to pa + offset with `flags`? */
bool model_identical(const model *m, uint64_t va, uint64_t size, uint64_t pa, uint64_t flags);
/* Is any granule of [va, va+size) mapped? */
bool model_any_mapped(const model *m, uint64_t va, uint64_t size);

/* Raw insertion for rebuilding the model from another view: [va, va+size)
 * must not overlap anything already there. Coalesces. */
void model_insert_raw(model *m, uint64_t va, uint64_t size, uint64_t pa, uint64_t flags);

/* The largest-page decomposition of a map request, per docs/driver.md:
 * returns the size of the piece starting at (va, pa) with `rem` bytes left,
 * ignoring pa limits. */
uint64_t model_piece(const model *m, uint64_t va, uint64_t pa, uint64_t rem);

/* Self-check of the invariants (sorted, disjoint, coalesced); false if broken. */
bool model_check(const model *m);

#endif /* DRIVER_TEST_MODEL_H */
