/*
 * common.h - helpers shared by diff.c and faults.c (one driver per build,
 * see arch.h): a hosted instance of the driver, and a "view" of the page
 * tables taken by the independent walker (every leaf and every table).
 */
#ifndef DRIVER_TEST_COMMON_H
#define DRIVER_TEST_COMMON_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"

static inline void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static inline void *xrealloc2(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ---- a driver instance on a fresh hosted environment ---- */

typedef struct inst {
    vrs_hosted *h;
    drv_ctx c;
} inst;

/* false if the environment or init failed. */
static inline bool inst_new(inst *in, uint64_t phys_bytes)
{
    memset(in, 0, sizeof *in);
    in->h = vrs_hosted_new(phys_bytes);
    if (!in->h)
        return false;
    in->c.env = vrs_hosted_env(in->h);
    return DRV(init)(&in->c) == DST(OK);
}

static inline vrs_hosted_stats inst_stats(const inst *in)
{
    return vrs_hosted_get_stats(in->h);
}

/* ---- the walker's view of the tables ---- */

typedef struct view_leaf {
    uint64_t va, size; /* what the entry covers */
    uint64_t pa;       /* page base */
    uint64_t eff, leaf; /* flags: effective and the leaf's own (arch_flags) */
    enum walk_fault fault;
    int level;
    uint64_t entry;
} view_leaf;

typedef struct view_table {
    uint64_t pa;
    int level;
    unsigned present;
    uint64_t va, size;   /* what its entries cover */
} view_table;

typedef struct view {
    view_leaf *l;
    size_t nl, capl;
    view_table *t;
    size_t nt, capt;
} view;

static inline void view_on_table(void *arg, uint64_t pa, int level, uint64_t va, uint64_t size,
                                 unsigned present)
{
    view *v = arg;
    if (v->nt == v->capt) {
        v->capt = v->capt ? 2 * v->capt : 256;
        v->t = xrealloc2(v->t, v->capt * sizeof *v->t);
    }
    view_table t = { pa, level, present, va, size };
    v->t[v->nt++] = t;
}

static inline void view_on_leaf(void *arg, uint64_t va, const walk_result *r)
{
    view *v = arg;
    if (v->nl == v->capl) {
        v->capl = v->capl ? 2 * v->capl : 1024;
        v->l = xrealloc2(v->l, v->capl * sizeof *v->l);
    }
    view_leaf l;
    l.va = va;
    l.size = r->page_size;
    l.pa = r->page_base;
    l.fault = r->fault;
    l.level = r->level;
    l.entry = r->entry;
    l.eff = r->fault == WALK_OK ? arch_eff_flags(r) : 0;
    l.leaf = r->fault == WALK_OK ? arch_leaf_flags(r) : 0;
    v->l[v->nl++] = l;
}

static inline void view_take(view *v, vrs_hosted *h)
{
    v->nl = v->nt = 0;
    ARCH_ENUM(h, arch_cr3(h), view_on_table, view_on_leaf, v);
}

static inline void view_free(view *v)
{
    free(v->l);
    free(v->t);
    memset(v, 0, sizeof *v);
}

/* The translation the view describes, as a model: every good leaf inside the
 * VA space, with its effective or its own flags. */
static inline void view_to_model(const view *v, model *m, bool effective)
{
    model_clear(m);
    for (size_t i = 0; i < v->nl; i++) {
        const view_leaf *l = &v->l[i];
        if (l->fault != WALK_OK || l->va >= ARCH_VA_LIMIT || l->va + l->size > ARCH_VA_LIMIT)
            continue;
        model_insert_raw(m, l->va, l->size, l->pa, effective ? l->eff : l->leaf);
    }
}

/* Are two models the same translation? On a difference, *ia and *ib are the
 * indices of the first intervals that differ (n if past the end). */
static inline bool model_same(const model *a, const model *b, size_t *ia, size_t *ib)
{
    size_t i = 0;
    for (; i < a->n && i < b->n; i++) {
        const model_ival *x = &a->v[i], *y = &b->v[i];
        if (x->va != y->va || x->end != y->end || x->pa != y->pa || x->flags != y->flags)
            break;
    }
    *ia = i;
    *ib = i;
    return i == a->n && i == b->n;
}

#endif /* DRIVER_TEST_COMMON_H */
