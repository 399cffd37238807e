/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lir_drv.c - range drivers in LIR: map/unmap/protect/resolve over whole
 * address ranges for every root of the composition (docs/driver.md).
 *
 * Input: the IR's composition (tables, choices, table-pointer and leaf
 * segments) and the per-unit LIR functions of lir_unit.c. Output, per
 * root, LIR functions that walk the levels:
 *   - an entry (a segment, or a choice of segments) is EMPTY, a LEAF of
 *     one variant, or a TABLE variant pointing at a child table;
 *   - map takes the largest leaf whose span the piece fills with an aligned
 *     pa, else goes down a table (allocating it); a different mapping in
 *     the way is EEXIST, an identical one is accepted;
 *   - unmap and protect split a partly covered leaf one level down (the
 *     fresh table is filled with the leaf's mapping, then installed), free
 *     tables that unmap empties, and batch TLB invalidations;
 *   - every call runs twice over the same code: a dry run that finds
 *     conflicts and counts the tables it will need, which are then all
 *     allocated up front (ENOMEM changes nothing), and the commit, which
 *     cannot fail. Pre-allocated tables wait in a list threaded through
 *     their own first word, so the driver needs no memory of its own;
 *   - a one-page call first tries a straight walk (the fast path), which
 *     gives up with RETRY before its first write if it would need a table,
 *     a split or a wider table entry.
 * Roots whose composition does not fit this shape get the per-unit
 * functions only (LModule.no_driver).
 */
#include <string.h>

#include "lir.h"

#define MAXV 16

/* ---- the shape the driver handles ------------------------------------------------- */

static bool entry_ok(const IrUnit *x, int depth);

static bool table_ok(const IrUnit *t, int depth)
{
    return t && t->kind == IR_TABLE && t->elem && t->elem_args.len == t->elem->params.len
           && t->params.len >= 1 && t->table_bytes && depth < 16 && entry_ok(t->elem, depth + 1);
}

static bool seg_ok(const IrUnit *s, int depth)
{
    if (!s || s->kind != IR_SEGMENT || !s->readable || !s->translate)
        return false;
    if (s->child)
        return s->prog[SYN_MAP] && table_ok(s->child, depth);
    return s->prog[SYN_MAP] && s->prog[SYN_UNMAP] && s->prog[SYN_PROTECT];
}

static bool entry_ok(const IrUnit *x, int depth)
{
    if (x->kind == IR_SEGMENT)
        return seg_ok(x, depth);
    if (x->kind != IR_CHOICE || !x->variants.len || x->variants.len > MAXV)
        return false;
    VEC_FOREACH(const IrUnit *, v, x->variants)
        if (!seg_ok(v, depth) || v->params.len != x->params.len)
            return false;
    return true;
}

/* Variants of an entry: a choice's, or the segment itself. */
static int variants(const IrUnit *x, const IrUnit **out)
{
    int n = 0;
    if (x->kind == IR_SEGMENT) {
        out[n++] = x;
        return n;
    }
    VEC_FOREACH(const IrUnit *, v, x->variants)
        if (n < MAXV)
            out[n++] = v;
    return n;
}

/* x refolded with every state slice read as 0 (zero: what a predicate
 * says of a zeroed entry), or with the va and sz arguments 0 and sz (a
 * whole entry of that span). */
typedef struct Fold {
    bool     zero;
    uint64_t sz;
} Fold;

static Sx *refold(Arena *a, Sx *x, const Fold *f)
{
    switch (x->kind) {
    case SX_STATE:
    case SX_CUR:
        return f->zero ? sx_num(a, 0) : x;
    case SX_ARG:
        if (f->zero || (x->arg != ARG_VA && x->arg != ARG_SZ))
            return x;
        return sx_num(a, x->arg == ARG_VA ? 0 : f->sz);
    case SX_BIN:
        return sx_bin(a, x->op, refold(a, x->a, f), refold(a, x->b, f));
    case SX_UN:
        return sx_un(a, x->uop, refold(a, x->a, f));
    case SX_ITE:
        return sx_ite(a, refold(a, x->a, f), refold(a, x->b, f), refold(a, x->c, f));
    case SX_LOG2:
        return sx_log2(a, refold(a, x->a, f));
    default:
        return x;
    }
}

static Sx *zeroed(Arena *a, Sx *x)
{
    return refold(a, x, &(Fold){ .zero = true });
}

/* Whether unmapping all of table t's span can neither fail nor need a
 * table: every leaf below unmaps whole with requires that fold to true
 * (va 0, sz its span), every table entry below has an unmap. Then unmap's
 * dry run need not descend into an entry it covers whole. */
static bool unmap_whole_safe(Arena *a, const IrUnit *t, int depth)
{
    if (!t || t->kind != IR_TABLE || depth > 16)
        return false;
    const IrUnit *vs[MAXV];
    int nv = variants(t->elem, vs);
    for (int i = 0; i < nv; i++) {
        const SynthProg *p = vs[i]->prog[SYN_UNMAP];
        if (!p)
            return false;
        if (vs[i]->child) {
            if (!unmap_whole_safe(a, vs[i]->child, depth + 1))
                return false;
            continue;
        }
        Fold f = { .sz = (uint64_t)1 << vs[i]->inbits };
        VEC_FOREACH(const Sx *, r, p->goals.assumes)
            if (!sx_is_num(refold(a, (Sx *)r, &f), 1))
                return false;
    }
    return true;
}

/* A variant of entry x that a zeroed entry would satisfy (valid() not
 * provably false with every state bit 0), or NULL. The drivers allocate
 * tables zeroed and take every entry of a new one to be empty. */
static const IrUnit *zero_valid(Arena *a, const IrUnit *x)
{
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++)
        if (!vs[i]->valid || !sx_is_num(zeroed(a, vs[i]->valid), 0))
            return vs[i];
    return NULL;
}

/* Tables reachable from a unit, each once, in walk order. */
static void collect_tables(const IrUnit *x, const IrUnit **tabs, int *n, int depth)
{
    if (!x || depth > 32)
        return;
    if (x->kind == IR_TABLE) {
        for (int i = 0; i < *n; i++)
            if (tabs[i] == x)
                return;
        if (*n < 64)
            tabs[(*n)++] = x;
        collect_tables(x->elem, tabs, n, depth + 1);
        return;
    }
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++)
        collect_tables(vs[i]->child, tabs, n, depth + 1);
}

/* The smallest leaf span under x (log2). */
static unsigned min_page(const IrUnit *x, int depth)
{
    unsigned best = 64;
    if (x->kind == IR_TABLE)
        return depth < 16 ? min_page(x->elem, depth + 1) : 64;
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++) {
        unsigned m = vs[i]->child && depth < 16 ? min_page(vs[i]->child->elem, depth + 1) : vs[i]->inbits;
        if (m < best)
            best = m;
    }
    return best;
}

static unsigned max_leaf_out(const IrUnit *x, int depth)
{
    unsigned best = 0;
    if (x->kind == IR_TABLE)
        return depth < 16 && x->elem ? max_leaf_out(x->elem, depth + 1) : 64;
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++) {
        unsigned m = vs[i]->child && depth < 16 ? max_leaf_out(vs[i]->child, depth + 1) : vs[i]->outbits;
        if (m > best)
            best = m;
    }
    return best;
}

static uint64_t mask_of(unsigned w)
{
    return w >= 64 ? UINT64_MAX : ((uint64_t)1 << w) - 1;
}

/* ---- the driver's records and names ------------------------------------------------- */

/* Records of the undo log: runs of entries the optimistic map wrote into
 * tables that existed before it (see "the undo log"). */
#define NLOG 8

/* Tables a call unlinks (unmap emptied them, or an undo) are freed only
 * after the TLB invalidation that covers them: until then another CPU's
 * paging-structure caches may still walk them. The transaction holds up
 * to NDEFER; one more flushes first (as Linux's mmu_gather does when its
 * batch is full). */
#define NDEFER 8

/* Transaction fields. */
enum { TX_ENV, TX_COMMIT, TX_FOUND, TX_TLB_LO, TX_TLB_HI, TX_CLEARED, TX_HINT, TX_ROOT_RAW,
       TX_ROOT_CACHED, TX_ROOT_CHANGED, TX_NDEFER, TX_NEED0 };

/* The walk functions of one entry or table. */
typedef struct Walk {
    const IrUnit *u;
    LFn *rmap, *runmap, *rresolve, *empty;
    LFn *rwalk[16];            /* per level: resolve, recording a trace */
} Walk;

typedef struct Drv {
    LModule       *m;
    Arena         *a;
    const IrUnit  *root;
    const char    *R;          /* the root's function prefix: x86_64_x8664_cr3_drv */
    const IrUnit  *tabs[64];
    int            ntabs;
    Walk           walks[128];
    int            nwalks;
    LRec          *tx, *ctx;
    int            ctx_env, ctx_params[64], ctx_raw, ctx_cached;
    bool           root_cache;  /* the context caches the root register */
    const SField  *root_field;  /* that register */
    LFn           *pend, *tlb, *flush_tlb, *flush, *prealloc, *release, *range_ok;
    LFn           *defer, *free_deferred;   /* NULL: no tables */
    int            tx_defer[NDEFER][2];     /* deferred frees: table, bytes */
    LFn           *fast[3];     /* map, unmap, protect (NULL: none) */
    LRoot         *lr;
    /* the optimistic map (see "the undo log") */
    bool           opt;
    int            tx_un, tx_stop, tx_at[3], tx_open[4], tx_log[NLOG][4];
    LFn           *undo_room, *undo_add, *undo, *undo_run[64], *free_fresh[64];
} Drv;

static int tab_id(const Drv *d, const IrUnit *t)
{
    for (int i = 0; i < d->ntabs; i++)
        if (d->tabs[i] == t)
            return i;
    return 0;
}

static int tx_need(const Drv *d, int tab)
{
    (void)d;
    return TX_NEED0 + tab;
}

static int tx_pool(const Drv *d, int tab)
{
    return TX_NEED0 + (d->ntabs ? d->ntabs : 1) + tab;
}

static const LUnitFns *ufns(Drv *d, const IrUnit *u)
{
    return lir_unit_fns(d->m, u);
}

/* Is t ever freed (some entry pointing at it can be unmapped)? Only then
 * does it need an emptiness check. */
static bool table_freed(const Drv *d, const IrUnit *t)
{
    VEC_FOREACH(const IrUnit *, u, d->m->ir->units)
        if (u->kind == IR_SEGMENT && u->child == t && u->prog[SYN_UNMAP])
            return true;
    return false;
}

static Walk *walk_of(Drv *d, const IrUnit *u)
{
    for (int i = 0; i < d->nwalks; i++)
        if (d->walks[i].u == u)
            return &d->walks[i];
    return NULL;
}

/* A function of the driver: R_unit_what. */
static LFn *dfn(Drv *d, const IrUnit *u, const char *what, LKind ret)
{
    const char *n = u ? arena_printf(d->a, "%s_%s_%s", d->R, u->cname, what) : arena_printf(d->a, "%s_%s", d->R, what);
    return lir_fn(d->m, n, lt(ret), LINK_INTERNAL, u ? u->loc : d->root->loc);
}

/* A function of the driver on a transaction: tx_what(tx, ...); *tx is
 * the slot of its first parameter. */
static LFn *tx_fn(Drv *d, const IrUnit *u, const char *what, LKind ret, int *tx)
{
    LFn *f = dfn(d, u, what, ret);
    *tx = lir_param(d->m, f, "tx", lt_prec(d->tx));
    return f;
}

/* Params of unit u as parameters of f, named after u's; their slots. */
static void uparams(Drv *d, LFn *f, const IrUnit *u, int *ps)
{
    VEC_FOREACH(const char *, p, u->params)
        ps[p_i] = lir_param(d->m, f, p, lt(LK_U64));
}

/* Declare the walk functions of entry or table x (bodies come later). */
static void declare_walk(Drv *d, const IrUnit *x)
{
    if (walk_of(d, x) || d->nwalks >= 128)
        return;
    LModule *m = d->m;
    Walk *w = &d->walks[d->nwalks++];
    w->u = x;
    int ps[64];
    /* (tx, params..., vbase, off, len, flgs, pa | prot, virt). map's virt:
     * the table is new, so no entry in it is valid (the dry run: not
     * allocated yet, only counted; the commit: fresh and zeroed, nothing
     * to read); unmap's virt 2: inside a leaf being split (dry run) */
    for (int um = 0; um < 2; um++) {
        LFn *f = dfn(d, x, um ? "runmap" : "rmap", LK_STATUS);
        lir_param(m, f, "tx", lt_prec(d->tx));
        uparams(d, f, x, ps);
        lir_param(m, f, "vbase", lt(LK_U64));
        lir_param(m, f, "off", lt(LK_U64));
        lir_param(m, f, "len", lt(LK_U64));
        lir_param(m, f, "flgs", lt(LK_FLAGS));
        lir_param(m, f, um ? "prot" : "pa", lt(um ? LK_INT : LK_U64));
        lir_param(m, f, "virt", lt(LK_INT));
        *(um ? &w->runmap : &w->rmap) = f;
    }
    w->rresolve = dfn(d, x, "rresolve", LK_STATUS);
    lir_param(m, w->rresolve, "env", lt(LK_ENV));
    uparams(d, w->rresolve, x, ps);
    lir_param(m, w->rresolve, "off", lt(LK_U64));
    lir_param(m, w->rresolve, "pa", lt_ptr(LK_U64));
    lir_param(m, w->rresolve, "flags", lt_ptr(LK_FLAGS));
    lir_param(m, w->rresolve, "psz", lt_ptr(LK_U64));
    if (x == d->root && d->root_cache)   /* resolve reads the register if needed */
        lir_param(m, w->rresolve, "root_raw", lt(LK_U64));
    if (x->kind == IR_TABLE && table_freed(d, x)) {
        w->empty = dfn(d, x, "empty", LK_BOOL);
        lir_param(m, w->empty, "env", lt(LK_ENV));
        uparams(d, w->empty, x, ps);
        lir_param(m, w->empty, "hint", lt(LK_U64));
    }
    if (x->kind == IR_TABLE) {
        declare_walk(d, x->elem);
        return;
    }
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++)
        if (vs[i]->child)
            declare_walk(d, vs[i]->child);
}

/* ---- small builders ------------------------------------------------------------------ */

static LExpr *num(Drv *d, uint64_t v)
{
    return lx_num(d->m, v);
}

static LExpr *status(Drv *d, int s)
{
    return lx_numk(d->m, (uint64_t)s, LK_STATUS);
}

static LExpr *eq(Drv *d, LExpr *a, LExpr *b)
{
    return lx_bin(d->m, OP_EQ, a, b);
}

static LExpr *ne(Drv *d, LExpr *a, LExpr *b)
{
    return lx_bin(d->m, OP_NE, a, b);
}

static LExpr *land(Drv *d, LExpr *a, LExpr *b)
{
    return lx_bin(d->m, OP_LAND, a, b);
}

static LExpr *lor(Drv *d, LExpr *a, LExpr *b)
{
    return lx_bin(d->m, OP_LOR, a, b);
}

static LExpr *add(Drv *d, LExpr *a, LExpr *b)
{
    return lx_bin(d->m, OP_ADD, a, b);
}

static LExpr *txf(Drv *d, LB *b, int tx, int field)
{
    return lx_field(d->m, LV(b, tx), field);
}

/* `if (c) return r;`: an error status is a rare exit (LStmt.rare) */
static void ret_if(LB *b, LExpr *c, LExpr *r)
{
    bool err = r && r->kind == LE_NUM && r->ty.kind == LK_STATUS && r->num != LIR_OK && r->num != LIR_RETRY;
    if (err)
        lb_if_rare(b, c);
    else
        lb_if(b, c);
    lb_ret(b, r);
    lb_end(b);
}

/* Call with a list: fn(a..., params..., z...). */
typedef struct Args {
    LExpr *v[80];
    int    n;
} Args;

static void arg(Args *a, LExpr *x)
{
    if (a->n < 80)
        a->v[a->n++] = x;
}

static void argv_(Args *a, LExpr *const *xs, int n)
{
    for (int i = 0; i < n; i++)
        arg(a, xs[i]);
}

static LExpr *call(Drv *d, LFn *f, const Args *a)
{
    return lx_call(d->m, f, a->n, (LExpr **)a->v);
}

/* Slots of f's params named after unit u's params, as expressions. */
static LExpr **pexprs(LB *b, const IrUnit *u, int first)
{
    LExpr **ps = arena_alloc(b->m->a, sizeof(LExpr *) * (size_t)(u->params.len + 1));
    for (int i = 0; i < u->params.len; i++)
        ps[i] = LV(b, first + i);
    return ps;
}

/* A local of f named `name`, made on first use. */
static int local_once(LModule *m, LFn *f, const char *name, LType ty)
{
    for (int i = f->nparams; i < f->slots.len; i++)
        if (strcmp(((const LSlot *)f->slots.items[i])->name, name) == 0)
            return i;
    return lir_local(m, f, name, ty);
}

/* Element params of table t at index i, from the table's params. */
static LExpr **elem_params(Drv *d, const IrUnit *t, LExpr *const *tparams, LExpr *i)
{
    LModule *m = d->m;
    LSxEnv e = { 0 };
    e.var = i;
    e.nparams = t->params.len;
    e.pnames = (const char **)t->params.items;
    e.params = (LExpr **)tparams;
    LExpr **out = arena_alloc(d->a, sizeof(LExpr *) * (size_t)(t->elem_args.len + 1));
    VEC_FOREACH(const Sx *, x, t->elem_args)
        out[x_i] = lir_from_sx(m, x, &e);
    return out;
}

/* Element params into locals named pfx + param (computed once per entry;
 * the same prefix twice in a function reuses the locals). */
static LExpr **elem_locals(Drv *d, LB *b, const IrUnit *t, LExpr *const *tparams, LExpr *i, const char *pfx)
{
    LExpr **v = elem_params(d, t, tparams, i);
    LExpr **out = arena_alloc(d->a, sizeof(LExpr *) * (size_t)(t->elem->params.len + 1));
    VEC_FOREACH(const char *, p, t->elem->params) {
        int s = local_once(d->m, b->fn, arena_printf(d->a, "%s%s", pfx, p), lt(LK_U64));
        lb_set(b, s, v[p_i]);
        out[p_i] = LV(b, s);
    }
    return out;
}

/* unit function calls over a state record */
static LExpr *u_valid(Drv *d, const IrUnit *v, LExpr *st, LExpr *const *ps)
{
    Args a = { .n = 0 };
    arg(&a, st);
    argv_(&a, ps, v->params.len);
    return call(d, ufns(d, v)->valid, &a);
}

/* fn(st, params..., va, pa): translate, or vtranslate */
static LExpr *u_trans(Drv *d, LFn *fn, const IrUnit *v, LExpr *st, LExpr *const *ps, LExpr *va, LExpr *pa)
{
    Args a = { .n = 0 };
    arg(&a, st);
    argv_(&a, ps, v->params.len);
    arg(&a, va);
    arg(&a, pa);
    return call(d, fn, &a);
}

static LExpr *u_translate(Drv *d, const IrUnit *v, LExpr *st, LExpr *const *ps, LExpr *va, LExpr *pa)
{
    return u_trans(d, ufns(d, v)->translate, v, st, ps, va, pa);
}

/* valid(st) && translate(st, va, pa) */
static LExpr *u_vtranslate(Drv *d, const IrUnit *v, LExpr *st, LExpr *const *ps, LExpr *va, LExpr *pa)
{
    return u_trans(d, ufns(d, v)->vtranslate, v, st, ps, va, pa);
}

/* vtranslate where map expects a free entry */
static LExpr *u_probe(Drv *d, const IrUnit *v, LExpr *st, LExpr *const *ps, LExpr *va, LExpr *pa)
{
    return u_trans(d, ufns(d, v)->probe, v, st, ps, va, pa);
}

static LExpr *u_matchflags(Drv *d, const IrUnit *v, LExpr *st, LExpr *const *ps, LExpr *flgs)
{
    Args a = { .n = 0 };
    arg(&a, st);
    argv_(&a, ps, v->params.len);
    arg(&a, flgs);
    return call(d, ufns(d, v)->matchflags, &a);
}

static LExpr *u_flags(Drv *d, const IrUnit *v, LExpr *st)
{
    return lx_callv(d->m, ufns(d, v)->flags, st, NULL);
}

static LExpr *u_load(Drv *d, const IrUnit *v, LExpr *env, LExpr *const *ps, LExpr *st)
{
    Args a = { .n = 0 };
    arg(&a, env);
    argv_(&a, ps, v->params.len);
    arg(&a, st);
    return call(d, ufns(d, v)->load, &a);
}

static LExpr *u_decode(Drv *d, const IrUnit *v, LExpr *raw, LExpr *st)
{
    return lx_callv(d->m, ufns(d, v)->decode, raw, st, NULL);
}

/* Variant v's state into *st: decoded from the entry's raw word (slot raw,
 * when all variants share one read: shared_read) or loaded. */
static LExpr *u_state(Drv *d, LB *b, const IrUnit *v, int raw, LExpr *env, LExpr *const *ps, LExpr *st)
{
    return raw >= 0 ? u_decode(d, v, LV(b, raw), st) : u_load(d, v, env, ps, st);
}

/* A program of v: _ok, _do or the checked op (which = 0, 1, 2). */
static LExpr *u_prog(Drv *d, const IrUnit *v, int which, SynthOpKind k, LExpr *env, LExpr *const *ps,
                     LExpr *va, LExpr *sz, LExpr *flgs, LExpr *pa)
{
    const LUnitFns *f = ufns(d, v);
    LFn *fn = which == 0 ? f->ok[k] : which == 1 ? f->do_[k] : f->op[k];
    Args a = { .n = 0 };
    arg(&a, env);
    argv_(&a, ps, v->params.len);
    arg(&a, va);
    arg(&a, sz);
    if (k != SYN_UNMAP)
        arg(&a, flgs);
    if (k == SYN_MAP)
        arg(&a, pa);
    return call(d, fn, &a);
}

static int slot_of(const LFn *f, const char *name)
{
    VEC_FOREACH(const LSlot *, s, f->slots)
        if (strcmp(s->name, name) == 0)
            return s_i;
    return 0;
}


static int base_index(const IrUnit *u, const SField *f)
{
    if (f->base)
        VEC_FOREACH(const char *, p, u->params)
            if (strcmp(p, f->base) == 0)
                return p_i;
    return -1;
}

/* The read every variant of x decodes its state from, if they all read
 * the same single interface field (one load per entry), else NULL. */
static const SFieldIO *shared_read(Drv *d, const IrUnit *x, const IrUnit **owner)
{
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    const SFieldIO *first = NULL;
    for (int i = 0; i < nv; i++) {
        const SFieldIO *one = lir_single_read(vs[i]);
        if (!one)
            return NULL;
        const SField *f = one->field, *g = first ? first->field : NULL;
        if (g && (g->kind != f->kind || g->size != f->size || g->offset != f->offset
                  || base_index(vs[0], g) != base_index(vs[i], f)
                  || (f->kind == FIELD_REG && ir_reg_id(d->m->ir, f) != ir_reg_id(d->m->ir, g))))
            return NULL;
        if (!first && owner)
            *owner = vs[i];
        if (!first)
            first = one;
    }
    return first;
}

/* The raw value of entry x (params ps) read through env; at the root with
 * a cached register, the context's copy. */
static LExpr *raw_read(Drv *d, LB *b, const IrUnit *x, LExpr *env, LExpr *const *ps, int tx)
{
    const IrUnit *owner = NULL;
    const SFieldIO *io = shared_read(d, x, &owner);
    LExpr *r = lir_io_read(d->m, env, io->field, owner, ps);
    if (x == d->root && d->root_cache && tx >= 0)
        r = lx_ite(d->m, txf(d, b, tx, TX_ROOT_CACHED), txf(d, b, tx, TX_ROOT_RAW), r);
    return r;
}

/* ---- tables ----------------------------------------------------------------------------- */

/* `while (len)`: the entry i and the piece [sub, sub + n) of it that
 * [off, off + len) covers. Slots: i, sub, n. */
typedef struct Piece {
    int i, sub, n;
} Piece;

static Piece piece_loop(Drv *d, LB *b, const IrUnit *t, int off, int len)
{
    LModule *m = d->m;
    unsigned lo = t->index_lo;
    uint64_t span = (uint64_t)1 << lo;
    Piece p;
    p.i = lir_local(m, b->fn, "i", lt(LK_U64));
    p.sub = lir_local(m, b->fn, "sub", lt(LK_U64));
    p.n = lir_local(m, b->fn, "n", lt(LK_U64));
    lb_while(b, ne(d, LV(b, len), num(d, 0)));
    lb_set(b, p.i, lx_bin(m, OP_SHR, LV(b, off), num(d, lo)));
    lb_set(b, p.sub, lx_bin(m, OP_BAND, LV(b, off), num(d, span - 1)));
    lb_set(b, p.n, lx_bin(m, OP_SUB, num(d, span), LV(b, p.sub)));
    lb_if(b, lx_bin(m, OP_GT, LV(b, p.n), LV(b, len)));
    lb_set(b, p.n, LV(b, len));
    lb_end(b);
    return p;
}

/* The leaf variant a whole entry of x is mapped with (the first without a
 * child), if it has a map program; NULL otherwise. */
static const IrUnit *whole_leaf(Drv *d, const IrUnit *x)
{
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++)
        if (!vs[i]->child)
            return ufns(d, vs[i])->ok[SYN_MAP] ? vs[i] : NULL;
    return NULL;
}

static LExpr *tlb(Drv *d, LB *b, int tx, LExpr *va, uint64_t size)
{
    return lx_callv(d->m, d->tlb, LV(b, tx), va, num(d, size), NULL);
}

/* cnt = the whole entries of table t from entry p.i that [off, off + len)
 * covers, up to the table's end. */
static void run_count(Drv *d, LB *b, const IrUnit *t, Piece p, int len, int cnt)
{
    LModule *m = d->m;
    lb_set(b, cnt, lx_bin(m, OP_SHR, LV(b, len), num(d, t->index_lo)));
    lb_if(b, lx_bin(m, OP_GT, LV(b, cnt), lx_bin(m, OP_SUB, num(d, t->entries), LV(b, p.i))));
    lb_set(b, cnt, lx_bin(m, OP_SUB, num(d, t->entries), LV(b, p.i)));
    lb_end(b);
}

/* ---- requires over a run of leaves ---------------------------------------------------
 *
 * A run maps pa, pa + span, ..., last with one leaf each. Its map's
 * requires (va 0, sz the span) need not be asked per entry if each clause,
 * as a function of pa, holds on the whole run once it holds at both ends:
 * it does not depend on pa, or only on pa's bits below the span (which
 * the run does not change), or it compares pa + K with a number or with pa
 * (monotone while pa + K does not wrap, which the run checks). */

static bool is_pa(const Sx *x)
{
    return x->kind == SX_ARG && x->arg == ARG_PA;
}

/* pa or pa + K (K a number) */
static bool pa_plus(const Sx *x, uint64_t *k)
{
    *k = 0;
    if (is_pa(x))
        return true;
    if (x->kind != SX_BIN || x->op != OP_ADD)
        return false;
    if (is_pa(x->a) && x->b->kind == SX_NUM)
        *k = x->b->num;
    else if (is_pa(x->b) && x->a->kind == SX_NUM)
        *k = x->a->num;
    else
        return false;
    return true;
}

static bool run_clause(const Sx *x, uint64_t span, uint64_t *kmax)
{
    uint64_t k = 0;
    if (!sx_only_args(x, 1u << ARG_PA | 1u << ARG_FLGS))
        return false;
    if (!sx_mentions(x, SX_ARG) || (x->kind == SX_NUM))
        return true;
    if (x->kind != SX_BIN)
        return false;
    const Sx *a = x->a, *b = x->b;
    if ((x->op == OP_EQ || x->op == OP_NE) && b->kind == SX_NUM && a->kind == SX_BIN && a->op == OP_BAND) {
        const Sx *mk = is_pa(a->a) ? a->b : is_pa(a->b) ? a->a : NULL;
        return mk && mk->kind == SX_NUM && mk->num < span;
    }
    if (x->op != OP_LT && x->op != OP_LE && x->op != OP_GT && x->op != OP_GE)
        return false;
    uint64_t k2 = 0;
    if ((pa_plus(a, &k) && (b->kind == SX_NUM || (pa_plus(b, &k2) && is_pa(b))))
        || (pa_plus(b, &k) && (a->kind == SX_NUM || (pa_plus(a, &k2) && is_pa(a))))) {
        if (k > *kmax)
            *kmax = k;
        return true;
    }
    return false;
}

/* Whether L's map requires can be asked at the two ends of a run of whole
 * entries of `span` bytes; *kmax: the largest K added to pa. */
static bool run_requires(Drv *d, const IrUnit *L, uint64_t span, uint64_t *kmax)
{
    const SynthProg *p = L->prog[SYN_MAP];
    Fold f = { .sz = span };
    *kmax = 0;
    VEC_FOREACH(const Sx *, r, p->goals.assumes)
        if (!run_clause(refold(d->a, (Sx *)r, &f), span, kmax))
            return false;
    return true;
}

/* A whole-entry call of leaf L's map_tmpl or map_put (fn): fn(env,
 * params..., 0, span, flgs, pa[, tmpl]). */
static LExpr *map_part(Drv *d, LFn *fn, const IrUnit *L, LExpr *env, LExpr *const *ps, uint64_t span, LExpr *flgs,
                       LExpr *pa, LExpr *tmpl)
{
    Args a = { .n = 0 };
    arg(&a, env);
    argv_(&a, ps, L->params.len);
    arg(&a, num(d, 0));
    arg(&a, num(d, span));
    arg(&a, flgs);
    arg(&a, pa);
    if (tmpl)
        arg(&a, tmpl);
    return call(d, fn, &a);
}

/* One loop of leaf_run over entries k < cnt: the dry run's (commit 0:
 * reads unless virt), the commit's (1: writes) or the commit's in a table
 * it has just allocated (2: writes, reads nothing). ok: -2, the requires are known to hold; -1,
 * ask them per entry; else a slot saying whether they hold for the whole
 * run. */
static void run_loop(Drv *d, LB *b, const IrUnit *t, LExpr *const *tp, Piece p, int k, int cnt, int epa, int pa,
                     int flgs, int virt, int raw, const int *st, int commit, int ok, int tmpl)
{
    LModule *m = d->m;
    const IrUnit *x = t->elem, *L = whole_leaf(d, x), *vs[MAXV];
    int nv = variants(x, vs), tx = 0;
    unsigned lo = t->index_lo;
    uint64_t span = (uint64_t)1 << lo;
    LExpr *env = txf(d, b, tx, TX_ENV);
    lb_while(b, lx_bin(m, OP_LT, LV(b, k), LV(b, cnt)));
    LExpr **ep = elem_locals(d, b, t, tp, add(d, LV(b, p.i), LV(b, k)), "r_");
    lb_set(b, epa, add(d, LV(b, pa), lx_bin(m, OP_SHL, LV(b, k), num(d, lo))));
    if (!commit)
        lb_if(b, lx_not(m, LV(b, virt)));
    if (raw >= 0 && commit != 2)
        lb_set(b, raw, raw_read(d, b, x, env, ep, tx));
    if (raw >= 0 && commit != 2 && !zero_valid(d->a, x)) {
        /* a run covers only zero entries (an entry that is not zero is the
         * general walk's: it may be valid; the undo log restores zeros) */
        lb_if(b, ne(d, LV(b, raw), num(d, 0)));
        lb_break(b);
        lb_end(b);
    } else {
        for (int i = 0; i < nv && commit != 2; i++) {
            LExpr *sp = lx_addr(m, LV(b, st[i]));
            lb_expr(b, u_state(d, b, vs[i], raw, env, ep, sp));
            lb_if(b, u_valid(d, vs[i], sp, ep));
            lb_break(b);
            lb_end(b);
        }
    }
    if (!commit)
        lb_end(b);
    if (ok != -2) {
        LExpr *ok1 = u_prog(d, L, 0, SYN_MAP, env, ep, num(d, 0), num(d, span), LV(b, flgs), LV(b, epa));
        lb_if(b, lx_not(m, ok >= 0 ? lor(d, LV(b, ok), ok1) : ok1));
        lb_break(b);
        lb_end(b);
    }
    if (commit && tmpl >= 0)
        lb_expr(b, map_part(d, ufns(d, L)->map_put, L, env, ep, span, LV(b, flgs), LV(b, epa), LV(b, tmpl)));
    else if (commit)
        lb_expr(b, u_prog(d, L, 1, SYN_MAP, env, ep, num(d, 0), num(d, span), LV(b, flgs), LV(b, epa)));
    lb_set(b, k, add(d, LV(b, k), num(d, 1)));
    lb_end(b);
}

/* A run of whole, empty entries mapped in one loop: entry_map's case of an
 * entry no variant finds valid, without its classification and dispatch.
 * It stops at the first entry that needs more (a mapping or a table is in
 * the way, the leaf's checks fail), which the general walk then takes; k
 * (a slot) counts the entries done, and off, pa and len then advance past
 * them. */
static void leaf_run(Drv *d, LB *b, const IrUnit *t, LExpr *const *tp, Piece p, int k, int vbase, int off,
                     int len, int flgs, int pa, int virt)
{
    LModule *m = d->m;
    LFn *f = b->fn;
    const IrUnit *x = t->elem, *L = whole_leaf(d, x), *vs[MAXV];
    int nv = variants(x, vs), tx = 0;
    unsigned lo = t->index_lo;
    uint64_t span = (uint64_t)1 << lo;
    int cnt = lir_local(m, f, "cnt", lt(LK_U64)), epa = lir_local(m, f, "r_pa", lt(LK_U64));
    LExpr *env = txf(d, b, tx, TX_ENV);
    lb_comment(b, "whole empty entries: mapped in one loop");
    lb_if(b, land(d, eq(d, LV(b, p.sub), num(d, 0)), eq(d, LV(b, p.n), num(d, span))));
    run_count(d, b, t, p, len, cnt);
    /* Separate loops for the commit and the dry run, and for a commit
     * whose requires are known to hold, so each loop does only what it
     * must and the compiler computes the flag part of the entries once. */
    int raw = shared_read(d, x, NULL) ? lir_local(m, f, "r_raw", lt(LK_U64)) : -1;
    int st[MAXV];
    for (int i = 0; i < nv; i++)
        st[i] = lir_local(m, f, arena_printf(d->a, "r_st%d", i), lt_rec(ufns(d, vs[i])->state));
    /* ok: the leaf's requires hold for every entry of the run (asked at
     * both ends, see run_requires) */
    uint64_t kmax = 0;
    int ok = -1;
    if (run_requires(d, L, span, &kmax)) {
        ok = lir_local(m, f, "r_ok", lt(LK_BOOL));
        int last = lir_local(m, f, "r_last", lt(LK_U64));
        LExpr **ep = elem_locals(d, b, t, tp, LV(b, p.i), "r_");
        lb_set(b, last, add(d, LV(b, pa), lx_bin(m, OP_SHL, lx_bin(m, OP_SUB, LV(b, cnt), num(d, 1)), num(d, lo))));
        LExpr *c = land(d, u_prog(d, L, 0, SYN_MAP, env, ep, num(d, 0), num(d, span), LV(b, flgs), LV(b, pa)),
                        lx_bin(m, OP_GE, LV(b, last), LV(b, pa)));
        if (kmax)
            c = land(d, c, lx_bin(m, OP_GE, add(d, LV(b, last), num(d, kmax)), LV(b, last)));
        c = land(d, c, u_prog(d, L, 0, SYN_MAP, env, ep, num(d, 0), num(d, span), LV(b, flgs), LV(b, last)));
        lb_set(b, ok, c);
    }
    /* the commit (all requires known to hold: no check per entry); the
     * flag part of the leaf computed once, if the leaf's map allows */
    lb_if(b, txf(d, b, tx, TX_COMMIT));
    int tmpl = -1;
    if (ufns(d, L)->map_tmpl) {
        tmpl = lir_local(m, f, "r_tmpl", lt(LK_U64));
        LExpr **ep = elem_locals(d, b, t, tp, LV(b, p.i), "r_");
        lb_set(b, tmpl, map_part(d, ufns(d, L)->map_tmpl, L, env, ep, span, LV(b, flgs), LV(b, pa), NULL));
    }
    /* optimistic, in a table that existed: room in the undo log first */
    LExpr *logged = NULL;
    Args la = { .n = 0 };   /* (tx, cid, tab, i) of the run, for the log */
    if (d->opt) {
        arg(&la, LV(b, tx));
        arg(&la, num(d, (uint64_t)tab_id(d, t)));
        arg(&la, tp[0]);
        arg(&la, LV(b, p.i));
        logged = land(d, eq(d, txf(d, b, tx, TX_COMMIT), num(d, 3)), eq(d, LV(b, virt), num(d, 0)));
        lb_if(b, land(d, logged, lx_not(m, call(d, d->undo_room, &la))));
        lb_assign(b, txf(d, b, tx, d->tx_stop), add(d, LV(b, vbase), LV(b, off)));
        lb_ret(b, status(d, LIR_RETRY));
        lb_end(b);
    }
    if (ok >= 0) {
        lb_if(b, LV(b, ok));
        /* a table this commit allocated: all entries empty, none read */
        lb_if(b, LV(b, virt));
        run_loop(d, b, t, tp, p, k, cnt, epa, pa, flgs, virt, raw, st, 2, -2, tmpl);
        lb_else(b);
        run_loop(d, b, t, tp, p, k, cnt, epa, pa, flgs, virt, raw, st, 1, -2, tmpl);
        lb_end(b);
        lb_else(b);
    }
    run_loop(d, b, t, tp, p, k, cnt, epa, pa, flgs, virt, raw, st, 1, -1, tmpl);
    if (ok >= 0)
        lb_end(b);
    if (logged) {
        arg(&la, LV(b, k));
        lb_if(b, logged);
        lb_expr(b, call(d, d->undo_add, &la));
        lb_end(b);
    }
    lb_else(b);
    if (ok >= 0) {
        /* a table only counted: nothing to read, nothing can fail */
        lb_if(b, land(d, ne(d, LV(b, virt), num(d, 0)), LV(b, ok)));
        lb_set(b, k, LV(b, cnt));
        lb_end(b);
    }
    run_loop(d, b, t, tp, p, k, cnt, epa, pa, flgs, virt, raw, st, 0, ok, -1);
    lb_end(b);
    LExpr *bytes = lx_bin(m, OP_SHL, LV(b, k), num(d, lo));
    lb_set(b, off, add(d, LV(b, off), bytes));
    lb_set(b, pa, add(d, LV(b, pa), bytes));
    lb_set(b, len, lx_bin(m, OP_SUB, LV(b, len), bytes));
    lb_end(b);
}

/* The leaf variant unmap_run takes (the only one without a child, with
 * unmap and protect programs), and its index; NULL if there is none. */
static const IrUnit *unmap_leaf(Drv *d, const IrUnit *x, int *li)
{
    const IrUnit *vs[MAXV], *L = NULL;
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++) {
        if (vs[i]->child)
            continue;
        if (L)
            return NULL;
        L = vs[i];
        *li = i;
    }
    return L && ufns(d, L)->do_[SYN_UNMAP] && ufns(d, L)->do_[SYN_PROTECT] ? L : NULL;
}

/* Whole entries unmapped (or protected) in one loop: entry_unmap's cases
 * of an empty entry (nothing to do) and of a leaf it covers whole (unmap,
 * or protect unless the flags match; TLB; found, cleared and hint as the
 * general walk keeps them). It stops at the first entry that is a table
 * or valid in any other way, which the general walk then takes; k counts
 * the entries done, and off and len then advance past them. */
static void unmap_run(Drv *d, LB *b, const IrUnit *t, LExpr *const *tp, Piece p, int k, int vbase, int off,
                      int len, int flgs, int prot, int virt)
{
    LModule *m = d->m;
    LFn *f = b->fn;
    int li = 0;
    const IrUnit *x = t->elem, *L = unmap_leaf(d, x, &li), *vs[MAXV];
    int nv = variants(x, vs), tx = 0;
    unsigned lo = t->index_lo;
    uint64_t span = (uint64_t)1 << lo;
    int cnt = lir_local(m, f, "cnt", lt(LK_U64)), tpa = lir_local(m, f, "r_tpa", lt(LK_U64));
    int raw = shared_read(d, x, NULL) ? lir_local(m, f, "r_raw", lt(LK_U64)) : -1;
    LExpr *env = txf(d, b, tx, TX_ENV);
    lb_comment(b, "whole entries: leaves unmapped or protected in one loop");
    lb_if(b, land(d, land(d, eq(d, LV(b, p.sub), num(d, 0)), eq(d, LV(b, p.n), num(d, span))),
                  eq(d, LV(b, virt), num(d, 0))));
    run_count(d, b, t, p, len, cnt);
    int st[MAXV];
    for (int i = 0; i < nv; i++)
        st[i] = lir_local(m, f, arena_printf(d->a, "r_st%d", i), lt_rec(ufns(d, vs[i])->state));
    lb_while(b, lx_bin(m, OP_LT, LV(b, k), LV(b, cnt)));
    LExpr *idx = add(d, LV(b, p.i), LV(b, k));
    LExpr **ep = elem_locals(d, b, t, tp, idx, "r_");
    if (raw >= 0)
        lb_set(b, raw, raw_read(d, b, x, env, ep, tx));
    for (int i = 0; i < nv; i++) {
        LExpr *sp = lx_addr(m, LV(b, st[i]));
        lb_expr(b, u_state(d, b, vs[i], raw, env, ep, sp));
        if (i == li)
            continue;
        lb_if(b, u_valid(d, vs[i], sp, ep));
        lb_break(b);
        lb_end(b);
    }
    LExpr *sl = lx_addr(m, LV(b, st[li]));
    LExpr *va = add(d, LV(b, vbase), lx_bin(m, OP_SHL, idx, num(d, lo)));
    lb_if(b, u_valid(d, L, sl, ep));
    lb_if(b, lx_not(m, u_vtranslate(d, L, sl, ep, num(d, 0), lx_addr(m, LV(b, tpa)))));
    lb_break(b);
    lb_end(b);
    lb_assign(b, txf(d, b, tx, TX_FOUND), num(d, 1));
    lb_if(b, txf(d, b, tx, TX_COMMIT));
    lb_if(b, LV(b, prot));
    lb_if(b, lx_not(m, u_matchflags(d, L, sl, ep, LV(b, flgs))));
    lb_expr(b, u_prog(d, L, 1, SYN_PROTECT, env, ep, num(d, 0), num(d, span), LV(b, flgs), NULL));
    lb_expr(b, tlb(d, b, tx, va, span));
    lb_end(b);
    lb_else(b);
    lb_expr(b, u_prog(d, L, 1, SYN_UNMAP, env, ep, num(d, 0), num(d, span), NULL, NULL));
    lb_assign(b, txf(d, b, tx, TX_CLEARED), add(d, txf(d, b, tx, TX_CLEARED), num(d, 1)));
    lb_assign(b, txf(d, b, tx, TX_HINT), add(d, LV(b, p.i), LV(b, k)));
    lb_expr(b, tlb(d, b, tx, va, span));
    lb_end(b);
    lb_end(b);
    lb_end(b);
    lb_set(b, k, add(d, LV(b, k), num(d, 1)));
    lb_end(b);
    LExpr *bytes = lx_bin(m, OP_SHL, LV(b, k), num(d, lo));
    lb_set(b, off, add(d, LV(b, off), bytes));
    lb_set(b, len, lx_bin(m, OP_SUB, LV(b, len), bytes));
    lb_end(b);
}

static void table_fns(Drv *d, const IrUnit *t)
{
    LModule *m = d->m;
    Walk *w = walk_of(d, t), *we = walk_of(d, t->elem);
    const IrUnit *x = t->elem;
    unsigned lo = t->index_lo;
    int np = t->params.len;
    LB b;

    /* empty: no entry of any variant is valid. The entries next to the
     * one just cleared are the likeliest in use: a few on either side
     * first, then all of them in order. A zero entry is skipped without
     * decoding it when no variant finds a zeroed entry valid (true of
     * every table a driver allocates, see zero_valid). */
    if (w->empty) {
        lb_begin(&b, m, w->empty);
        LExpr **tp = pexprs(&b, t, 1);
        int hint = 1 + np;
        int k = lir_local(m, w->empty, "k", lt(LK_U64));
        int i = lir_local(m, w->empty, "i", lt(LK_U64));
        const IrUnit *vs[MAXV];
        int nv = variants(x, vs), st[MAXV];
        for (int v = 0; v < nv; v++)
            st[v] = lir_local(m, w->empty, arena_printf(d->a, "st%d", v), lt_rec(ufns(d, vs[v])->state));
        int raw = shared_read(d, x, NULL) && !zero_valid(d->a, x) ? lir_local(m, w->empty, "raw", lt(LK_U64)) : -1;
        uint64_t near = t->entries < 8 ? t->entries : 8;
        for (int pass = 0; pass < 2; pass++) {
            lb_set(&b, k, num(d, 0));
            lb_while(&b, lx_bin(m, OP_LT, LV(&b, k), num(d, pass ? t->entries : 2 * near)));
            if (pass)
                lb_set(&b, i, LV(&b, k));
            else
                lb_set(&b, i, lx_ite(m, lx_bin(m, OP_BAND, LV(&b, k), num(d, 1)),
                                     lx_bin(m, OP_SUB, LV(&b, hint), lx_bin(m, OP_SHR, add(d, LV(&b, k), num(d, 1)), num(d, 1))),
                                     add(d, LV(&b, hint), lx_bin(m, OP_SHR, LV(&b, k), num(d, 1)))));
            lb_if(&b, lx_bin(m, OP_LT, LV(&b, i), num(d, t->entries)));
            LExpr **ep = elem_locals(d, &b, t, tp, LV(&b, i), "e_");
            if (raw >= 0) {
                lb_set(&b, raw, raw_read(d, &b, x, LV(&b, 0), ep, -1));
                lb_if(&b, ne(d, LV(&b, raw), num(d, 0)));
            }
            for (int v = 0; v < nv; v++) {
                LExpr *sp = lx_addr(m, LV(&b, st[v]));
                lb_expr(&b, u_state(d, &b, vs[v], raw, LV(&b, 0), ep, sp));
                ret_if(&b, u_valid(d, vs[v], sp, ep), lx_numk(m, 0, LK_BOOL));
            }
            if (raw >= 0)
                lb_end(&b);
            lb_end(&b);
            lb_set(&b, k, add(d, LV(&b, k), num(d, 1)));
            lb_end(&b);
        }
        lb_ret(&b, lx_numk(m, 1, LK_BOOL));
        lir_place(m, w->empty);
    }

    /* map and unmap/protect: one piece per entry */
    for (int um = 0; um < 2; um++) {
        LFn *f = um ? w->runmap : w->rmap;
        lb_begin(&b, m, f);
        lb_loc(&b, t->loc);
        int tx = 0;
        LExpr **tp = pexprs(&b, t, 1);
        int vbase = 1 + np, off = vbase + 1, len = off + 1, flgs = len + 1, pa = flgs + 1;
        int prot = flgs + 1, virt = um ? prot + 1 : pa + 1;
        int s = lir_local(m, f, "s", lt(LK_STATUS));
        int cleared = um ? lir_local(m, f, "cleared", lt(LK_U64)) : -1;
        Piece p = piece_loop(d, &b, t, off, len);
        int k = -1, li = 0;
        if (um ? unmap_leaf(d, x, &li) != NULL : whole_leaf(d, x) != NULL) {
            k = lir_local(m, f, "k", lt(LK_U64));
            lb_set(&b, k, num(d, 0));
            if (um)
                unmap_run(d, &b, t, tp, p, k, vbase, off, len, flgs, prot, virt);
            else
                leaf_run(d, &b, t, tp, p, k, vbase, off, len, flgs, pa, virt);
            lb_comment(&b, "anything else: one entry");
            lb_if(&b, eq(d, LV(&b, k), num(d, 0)));
        }
        LExpr **ep = elem_locals(d, &b, t, tp, LV(&b, p.i), "e_");
        if (um)
            lb_set(&b, cleared, txf(d, &b, tx, TX_CLEARED));
        if (!um && d->opt) {   /* the entry's place, for the undo log */
            lb_assign(&b, txf(d, &b, tx, d->tx_at[0]), num(d, (uint64_t)tab_id(d, t)));
            lb_assign(&b, txf(d, &b, tx, d->tx_at[1]), tp[0]);
            lb_assign(&b, txf(d, &b, tx, d->tx_at[2]), LV(&b, p.i));
        }
        Args a = { .n = 0 };
        arg(&a, LV(&b, tx));
        argv_(&a, ep, x->params.len);
        arg(&a, add(d, LV(&b, vbase), lx_bin(m, OP_SHL, LV(&b, p.i), num(d, lo))));
        arg(&a, LV(&b, p.sub));
        arg(&a, LV(&b, p.n));
        arg(&a, LV(&b, flgs));
        arg(&a, LV(&b, um ? prot : pa));
        arg(&a, LV(&b, virt));
        lb_set(&b, s, call(d, um ? we->runmap : we->rmap, &a));
        ret_if(&b, ne(d, LV(&b, s), status(d, LIR_OK)), LV(&b, s));
        if (um) {
            lb_if(&b, ne(d, txf(d, &b, tx, TX_CLEARED), LV(&b, cleared)));
            lb_assign(&b, txf(d, &b, tx, TX_HINT), LV(&b, p.i));
            lb_end(&b);
        }
        lb_set(&b, off, add(d, LV(&b, off), LV(&b, p.n)));
        if (!um)
            lb_set(&b, pa, add(d, LV(&b, pa), LV(&b, p.n)));
        lb_set(&b, len, lx_bin(m, OP_SUB, LV(&b, len), LV(&b, p.n)));
        if (k >= 0)
            lb_end(&b);
        lb_end(&b);
        lb_ret(&b, status(d, LIR_OK));
        lir_place(m, f);
    }

    /* resolve */
    lb_begin(&b, m, w->rresolve);
    {
        LExpr **tp = pexprs(&b, t, 1);
        int off = 1 + np;
        int i = lir_local(m, w->rresolve, "i", lt(LK_U64));
        /* off is passed on with the bits above the entry: the entry masks
         * it where its leaf needs it, so the masks of the levels above a
         * 4 KiB leaf are not all live across its loads (as in a
         * hand-written walk) */
        lb_set(&b, i, lx_bin(m, OP_SHR, lx_bin(m, OP_BAND, LV(&b, off), num(d, mask_of(t->inbits))), num(d, lo)));
        LExpr **ep = elem_locals(d, &b, t, tp, LV(&b, i), "e_");
        Args a = { .n = 0 };
        arg(&a, LV(&b, 0));
        argv_(&a, ep, x->params.len);
        arg(&a, LV(&b, off));
        arg(&a, LV(&b, off + 1));
        arg(&a, LV(&b, off + 2));
        arg(&a, LV(&b, off + 3));
        lb_ret(&b, call(d, we->rresolve, &a));
    }
    lir_place(m, w->rresolve);
}

/* ---- entries ------------------------------------------------------------------------ */

/* The state of an entry in one walk function: per variant a record, the
 * classification and the child table. */
typedef struct Ent {
    const IrUnit *vs[MAXV];
    int           nv;
    int           st[MAXV];     /* slots */
    int           kind, v, child, tpa;
    int           raw;          /* the shared read, or -1 (not read: virt) */
    LExpr       **ps;           /* the entry's params */
    int           leaf, table;  /* variant indices (-1: none) */
} Ent;

enum { K_EMPTY, K_LEAF, K_TABLE, K_OTHER };   /* K_OTHER: valid, but not for this input */

/* Classify the entry: kind, v (the variant) and, for a table, child;
 * loads each variant's state. Returns EINVAL for K_OTHER. */
static void classify(Drv *d, LB *b, const IrUnit *x, Ent *e, int tx, int off, LExpr *skip)
{
    LModule *m = d->m;
    LFn *f = b->fn;
    e->nv = variants(x, e->vs);
    e->leaf = e->table = -1;
    for (int i = 0; i < e->nv; i++) {
        if (!e->vs[i]->child && e->leaf < 0)
            e->leaf = i;
        if (e->vs[i]->child && e->table < 0)
            e->table = i;
    }
    e->kind = lir_local(m, f, "kind", lt(LK_INT));
    e->v = lir_local(m, f, "v", lt(LK_INT));
    e->child = lir_local(m, f, "child", lt(LK_U64));
    e->tpa = lir_local(m, f, "tpa", lt(LK_U64));
    for (int i = 0; i < e->nv; i++)
        e->st[i] = lir_local(m, f, arena_printf(d->a, "st%d", i), lt_rec(ufns(d, e->vs[i])->state));
    LExpr *env = txf(d, b, tx, TX_ENV);
    lb_if(b, lx_not(m, skip));
    int raw = -1;
    if (shared_read(d, x, NULL)) {
        raw = lir_local(m, f, "raw", lt(LK_U64));
        lb_set(b, raw, raw_read(d, b, x, env, e->ps, tx));
    }
    e->raw = raw;
    for (int i = 0; i < e->nv; i++) {
        const IrUnit *V = e->vs[i];
        LExpr *st = lx_addr(m, LV(b, e->st[i]));
        lb_expr(b, u_state(d, b, V, raw, env, e->ps, st));
        lb_if(b, land(d, eq(d, LV(b, e->kind), num(d, K_EMPTY)),
                      u_probe(d, V, st, e->ps, LV(b, off), lx_addr(m, LV(b, e->tpa)))));
        lb_set(b, e->kind, lx_numk(m, V->child ? K_TABLE : K_LEAF, LK_INT));
        lb_set(b, e->v, lx_numk(m, (uint64_t)i, LK_INT));
        if (V->child)
            lb_set(b, e->child, LV(b, e->tpa));
        lb_end(b);
    }
    /* valid, but not for this input (outside the entry's domain): never
     * "empty", which would overwrite it */
    lb_if(b, eq(d, LV(b, e->kind), num(d, K_EMPTY)));
    for (int i = 0; i < e->nv; i++) {
        lb_if(b, u_valid(d, e->vs[i], lx_addr(m, LV(b, e->st[i])), e->ps));
        lb_set(b, e->kind, lx_numk(m, K_OTHER, LK_INT));
        lb_end(b);
    }
    lb_end(b);
    lb_end(b);
    ret_if(b, eq(d, LV(b, e->kind), num(d, K_OTHER)), status(d, LIR_EINVAL));
}

/* `if (kind == LEAF) return (the leaf maps `at` to pa with flgs) ? OK : EEXIST;` */
static void same_leaf(Drv *d, LB *b, Ent *e, LExpr *at, int pa, int flgs)
{
    LModule *m = d->m;
    int cur = local_once(m, b->fn, "cur", lt(LK_U64));
    int same = local_once(m, b->fn, "same", lt(LK_BOOL));
    lb_if(b, eq(d, LV(b, e->kind), num(d, K_LEAF)));
    lb_set(b, same, lx_numk(m, 0, LK_BOOL));
    for (int i = 0; i < e->nv; i++) {
        const IrUnit *V = e->vs[i];
        if (V->child)
            continue;
        LExpr *st = lx_addr(m, LV(b, e->st[i]));
        lb_if(b, eq(d, LV(b, e->v), num(d, (uint64_t)i)));
        lb_set(b, same, land(d, u_translate(d, V, st, e->ps, at, lx_addr(m, LV(b, cur))),
                             land(d, eq(d, LV(b, cur), LV(b, pa)), u_matchflags(d, V, st, e->ps, LV(b, flgs)))));
        lb_end(b);
    }
    lb_ret(b, lx_ite(m, LV(b, same), status(d, LIR_OK), status(d, LIR_EEXIST)));
    lb_end(b);
}

/* Take a preallocated table of kind cid into `child`. */
static void take_table(Drv *d, LB *b, int tx, int cid, int child)
{
    LModule *m = d->m;
    LExpr *env = txf(d, b, tx, TX_ENV);
    lb_set(b, child, txf(d, b, tx, tx_pool(d, cid)));
    lb_assign(b, txf(d, b, tx, tx_pool(d, cid)), lx_env(m, LENV_MEM_READ, 8, 0, env, LV(b, child), NULL));
    lb_expr(b, lx_env(m, LENV_MEM_WRITE, 8, 0, env, LV(b, child), num(d, 0), NULL));
}


/* Call the child table's walk: fn(tx, child[, 0...], rest...). */
static LExpr *child_call(Drv *d, LFn *f, const IrUnit *C, LExpr *first, LExpr *child, LExpr **rest, int nrest)
{
    Args a = { .n = 0 };
    arg(&a, first);
    arg(&a, child);
    for (int i = 1; i < C->params.len; i++)
        arg(&a, num(d, 0));
    argv_(&a, rest, nrest);
    return call(d, f, &a);
}

/* The start of an entry's map or unmap walk (tx, params..., vbase, off,
 * len, flgs, pa | prot, virt): classify the entry; `whole` (the slot
 * returned) says whether [off, off + len) is all of it. */
static int entry_begin(Drv *d, LB *b, LFn *f, const IrUnit *x, Ent *e)
{
    LModule *m = d->m;
    int off = 2 + x->params.len, len = off + 1, virt = off + 4;
    uint64_t span = (uint64_t)1 << x->inbits;
    lb_begin(b, m, f);
    memset(e, 0, sizeof *e);
    e->ps = pexprs(b, x, 1);
    classify(d, b, x, e, 0, off, LV(b, virt));
    int whole = lir_local(m, f, "whole", lt(LK_BOOL));
    lb_set(b, whole, land(d, eq(d, LV(b, off), num(d, 0)), eq(d, LV(b, len), num(d, span))));
    return whole;
}

/* The optimistic map stops here: the rest of the range, from vbase + off
 * on, takes the two-pass path. */
static void opt_stop(Drv *d, LB *b, int tx, int vbase, int off)
{
    lb_assign(b, txf(d, b, tx, d->tx_stop), add(d, LV(b, vbase), LV(b, off)));
    lb_ret(b, status(d, LIR_RETRY));
}

/* Before the optimistic map writes entry x: at the root, stop (the
 * register would change); in a table that existed, stop unless the entry
 * is zero and the undo log has room, and log it. */
static void opt_before_write(Drv *d, LB *b, const IrUnit *x, const Ent *e, int tx, int vbase, int off, int virt)
{
    LModule *m = d->m;
    if (x == d->root) {
        opt_stop(d, b, tx, vbase, off);
        return;
    }
    lb_if(b, eq(d, LV(b, virt), num(d, 0)));
    Args a = { .n = 0 };
    arg(&a, LV(b, tx));
    for (int k = 0; k < 3; k++)
        arg(&a, txf(d, b, tx, d->tx_at[k]));
    lb_if(b, lor(d, ne(d, LV(b, e->raw), num(d, 0)), lx_not(m, call(d, d->undo_room, &a))));
    opt_stop(d, b, tx, vbase, off);
    lb_end(b);
    arg(&a, num(d, 1));
    lb_expr(b, call(d, d->undo_add, &a));
    lb_end(b);
}

static void entry_map(Drv *d, const IrUnit *x)
{
    LModule *m = d->m;
    Walk *w = walk_of(d, x);
    LFn *f = w->rmap;
    uint64_t span = (uint64_t)1 << x->inbits;
    LB b;
    int tx = 0, vbase = 1 + x->params.len, off = vbase + 1, len = off + 1, flgs = len + 1, pa = flgs + 1, virt = pa + 1;
    Ent e;
    int whole = entry_begin(d, &b, f, x, &e);
    const IrUnit *L = e.leaf >= 0 ? e.vs[e.leaf] : NULL, *T = e.table >= 0 ? e.vs[e.table] : NULL;
    const IrUnit *C = T ? T->child : NULL;
    int cid = C ? tab_id(d, C) : 0;
    LExpr *env = txf(d, &b, tx, TX_ENV);
    if (L) {
        lb_if(&b, land(d, LV(&b, whole),
                       land(d, ne(d, LV(&b, e.kind), num(d, K_TABLE)),
                            u_prog(d, L, 0, SYN_MAP, env, e.ps, num(d, 0), LV(&b, len), LV(&b, flgs), LV(&b, pa)))));
        /* identical mapping: accepted; different: in the way */
        same_leaf(d, &b, &e, num(d, 0), pa, flgs);
        lb_if(&b, txf(d, &b, tx, TX_COMMIT));
        if (d->opt) {
            lb_if(&b, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 3)));
            opt_before_write(d, &b, x, &e, tx, vbase, off, virt);
            lb_end(&b);
        }
        lb_expr(&b, u_prog(d, L, 1, SYN_MAP, env, e.ps, num(d, 0), LV(&b, len), LV(&b, flgs), LV(&b, pa)));
        lb_end(&b);
        lb_ret(&b, status(d, LIR_OK));
        lb_end(&b);
    }
    if (T) {
        Walk *wc = walk_of(d, C);
        same_leaf(d, &b, &e, LV(&b, off), pa, flgs);
        LExpr *rest[6] = { LV(&b, vbase), LV(&b, off), LV(&b, len), LV(&b, flgs), LV(&b, pa), NULL };
        lb_if(&b, eq(d, LV(&b, e.kind), num(d, K_EMPTY)));
        lb_if(&b, lx_not(m, txf(d, &b, tx, TX_COMMIT)));
        lb_assign(&b, txf(d, &b, tx, tx_need(d, cid)), add(d, txf(d, &b, tx, tx_need(d, cid)), num(d, 1)));
        rest[5] = lx_numk(m, 1, LK_INT);
        lb_ret(&b, child_call(d, wc->rmap, C, LV(&b, tx), num(d, 0), rest, 6));
        lb_end(&b);
        if (d->opt) {
            lb_comment(&b, "optimistic: a table straight from the allocator");
            lb_if(&b, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 3)));
            opt_before_write(d, &b, x, &e, tx, vbase, off, virt);
            uint64_t bytes = C->table_bytes;
            ret_if(&b, lx_not(m, lx_env(m, LENV_ALLOC_TABLE, 0, 0, env, num(d, bytes), num(d, bytes),
                                        lx_addr(m, LV(&b, e.child)), NULL)),
                   status(d, LIR_ENOMEM));
            lb_else(&b);
        }
        lb_comment(&b, "needs a table: the two-pass path");
        ret_if(&b, lor(d, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 2)), eq(d, txf(d, &b, tx, tx_pool(d, cid)), num(d, 0))),
               status(d, LIR_RETRY));
        take_table(d, &b, tx, cid, e.child);
        if (d->opt)
            lb_end(&b);
        lb_if(&b, ne(d, u_prog(d, T, 2, SYN_MAP, env, e.ps, num(d, 0), num(d, span), LV(&b, flgs), LV(&b, e.child)),
                     status(d, LIR_OK)));
        if (d->opt) {   /* (the two-pass path's dry run rules this out) */
            lb_if(&b, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 3)));
            lb_expr(&b, lx_env(m, LENV_FREE_TABLE, 0, 0, env, LV(&b, e.child), num(d, C->table_bytes), NULL));
            lb_end(&b);
        }
        lb_ret(&b, status(d, LIR_EINVAL));
        lb_end(&b);
        if (x == d->root) {
            lb_comment(&b, "the root register was rewritten");
            lb_assign(&b, txf(d, &b, tx, TX_ROOT_CHANGED), num(d, 1));
        }
        rest[5] = lx_numk(m, 1, LK_INT);   /* fresh: every entry empty */
        lb_ret(&b, child_call(d, wc->rmap, C, LV(&b, tx), LV(&b, e.child), rest, 6));
        lb_end(&b);
        /* an existing table: widen its rights if the new mapping needs it */
        if (T->prog[SYN_PROTECT]) {
            LExpr *st = lx_addr(m, LV(&b, e.st[e.table]));
            lb_if(&b, land(d, ne(d, txf(d, &b, tx, TX_COMMIT), num(d, 0)), lx_not(m, u_matchflags(d, T, st, e.ps, LV(&b, flgs)))));
            ret_if(&b, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 2)), status(d, LIR_RETRY));
            if (d->opt) {   /* the undo log does not restore an entry's old value */
                lb_if(&b, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 3)));
                opt_stop(d, &b, tx, vbase, off);
                lb_end(&b);
            }
            lb_expr(&b, u_prog(d, T, 1, SYN_PROTECT, env, e.ps, num(d, 0), num(d, span), LV(&b, flgs), NULL));
            lb_end(&b);
        }
        rest[5] = LV(&b, virt);
        lb_ret(&b, child_call(d, wc->rmap, C, LV(&b, tx), LV(&b, e.child), rest, 6));
    } else {
        int cur = lir_local(m, f, "cur0", lt(LK_U64));
        LExpr *st = lx_addr(m, LV(&b, e.st[0]));
        lb_if(&b, eq(d, LV(&b, e.kind), num(d, K_LEAF)));
        lb_ret(&b, lx_ite(m, land(d, u_translate(d, L, st, e.ps, LV(&b, off), lx_addr(m, LV(&b, cur))),
                                  land(d, eq(d, LV(&b, cur), LV(&b, pa)), u_matchflags(d, L, st, e.ps, LV(&b, flgs)))),
                          status(d, LIR_OK), status(d, LIR_EEXIST)));
        lb_end(&b);
        lb_ret(&b, status(d, LIR_EINVAL));
    }
    lir_place(m, f);
}

/* fs = the leaf's whole mapping (base_pa, flags lf) mapped into child
 * table `child`, a new one (virt 1: in the dry run only counted; in the
 * commit fresh, nothing in it to read), keeping tx->found:
 * the split of a large page. Slots: vbase, lf, base_pa, saved, fs. */
static void refill(Drv *d, LB *b, LFn *rmap, const IrUnit *C, LExpr *child, int virt, const int *sl, uint64_t span)
{
    LModule *m = d->m;
    int tx = 0;
    lb_set(b, sl[3], txf(d, b, tx, TX_FOUND));
    LExpr *rest[6] = { LV(b, sl[0]), num(d, 0), num(d, span), LV(b, sl[1]), LV(b, sl[2]), lx_numk(m, (uint64_t)virt, LK_INT) };
    lb_set(b, sl[4], child_call(d, rmap, C, LV(b, tx), child, rest, 6));
    lb_assign(b, txf(d, b, tx, TX_FOUND), LV(b, sl[3]));
}

static void entry_unmap(Drv *d, const IrUnit *x)
{
    LModule *m = d->m;
    Walk *w = walk_of(d, x);
    LFn *f = w->runmap;
    uint64_t span = (uint64_t)1 << x->inbits;
    LB b;
    int tx = 0, vbase = 1 + x->params.len, off = vbase + 1, len = off + 1, flgs = len + 1, prot = flgs + 1,
        virt = prot + 1;
    Ent e;
    int whole = entry_begin(d, &b, f, x, &e);
    const IrUnit *T = e.table >= 0 ? e.vs[e.table] : NULL;
    const IrUnit *C = T ? T->child : NULL;
    int cid = C ? tab_id(d, C) : 0;
    LExpr *env = txf(d, &b, tx, TX_ENV);
    lb_comment(&b, "inside a leaf being split (dry run)");
    lb_if(&b, eq(d, LV(&b, virt), num(d, 2)));
    lb_set(&b, e.kind, lx_numk(m, K_LEAF, LK_INT));
    lb_end(&b);
    ret_if(&b, eq(d, LV(&b, e.kind), num(d, K_EMPTY)), status(d, LIR_OK));
    /* a leaf */
    lb_if(&b, eq(d, LV(&b, e.kind), num(d, K_LEAF)));
    lb_assign(&b, txf(d, &b, tx, TX_FOUND), num(d, 1));
    lb_if(&b, LV(&b, whole));
    ret_if(&b, lx_not(m, txf(d, &b, tx, TX_COMMIT)), status(d, LIR_OK));
    for (int i = 0; i < e.nv; i++) {
        const IrUnit *V = e.vs[i];
        if (V->child)
            continue;
        LExpr *st = lx_addr(m, LV(&b, e.st[i]));
        lb_if(&b, eq(d, LV(&b, e.v), num(d, (uint64_t)i)));
        lb_if(&b, LV(&b, prot));
        ret_if(&b, u_matchflags(d, V, st, e.ps, LV(&b, flgs)), status(d, LIR_OK));
        lb_expr(&b, u_prog(d, V, 1, SYN_PROTECT, env, e.ps, num(d, 0), LV(&b, len), LV(&b, flgs), NULL));
        lb_else(&b);
        lb_expr(&b, u_prog(d, V, 1, SYN_UNMAP, env, e.ps, num(d, 0), LV(&b, len), NULL, NULL));
        lb_assign(&b, txf(d, &b, tx, TX_CLEARED), add(d, txf(d, &b, tx, TX_CLEARED), num(d, 1)));
        lb_end(&b);
        lb_expr(&b, tlb(d, &b, tx, LV(&b, vbase), span));
        lb_end(&b);
    }
    lb_ret(&b, status(d, LIR_OK));
    lb_end(&b);
    if (T) {
        Walk *wc = walk_of(d, C);
        /* split: a fresh table filled with the leaf's mapping replaces it */
        int base_pa = lir_local(m, f, "base_pa", lt(LK_U64));
        int lf = lir_local(m, f, "lf", lt(LK_FLAGS));
        int saved = lir_local(m, f, "saved", lt(LK_U64));
        int fs = lir_local(m, f, "fs", lt(LK_STATUS));
        for (int i = 0; i < e.nv; i++) {
            const IrUnit *V = e.vs[i];
            if (V->child)
                continue;
            LExpr *st = lx_addr(m, LV(&b, e.st[i]));
            lb_if(&b, eq(d, LV(&b, e.v), num(d, (uint64_t)i)));
            lb_expr(&b, u_translate(d, V, st, e.ps, num(d, 0), lx_addr(m, LV(&b, base_pa))));
            lb_set(&b, lf, u_flags(d, V, st));
            lb_end(&b);
        }
        /* the dry run also maps the leaf into the would-be table (virtually):
         * a large page the level below cannot express (a 4 MiB PSE-36 page
         * above 4 GiB) fails here, before anything is written */
        lb_if(&b, lx_not(m, txf(d, &b, tx, TX_COMMIT)));
        lb_if(&b, ne(d, LV(&b, virt), num(d, 2)));
        refill(d, &b, wc->rmap, C, num(d, 0), 1, (int[]){ vbase, lf, base_pa, saved, fs }, span);
        ret_if(&b, ne(d, LV(&b, fs), status(d, LIR_OK)),
               lx_ite(m, eq(d, LV(&b, fs), status(d, LIR_EEXIST)), status(d, LIR_EINVAL), LV(&b, fs)));
        lb_end(&b);
        lb_assign(&b, txf(d, &b, tx, tx_need(d, cid)), add(d, txf(d, &b, tx, tx_need(d, cid)), num(d, 1)));
        LExpr *urest[6] = { LV(&b, vbase), LV(&b, off), LV(&b, len), LV(&b, flgs), LV(&b, prot), lx_numk(m, 2, LK_INT) };
        lb_ret(&b, child_call(d, wc->runmap, C, LV(&b, tx), num(d, 0), urest, 6));
        lb_end(&b);
        lb_comment(&b, "a split needs a table: the two-pass path");
        ret_if(&b, lor(d, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 2)), eq(d, txf(d, &b, tx, tx_pool(d, cid)), num(d, 0))),
               status(d, LIR_RETRY));
        take_table(d, &b, tx, cid, e.child);
        refill(d, &b, wc->rmap, C, LV(&b, e.child), 1, (int[]){ vbase, lf, base_pa, saved, fs }, span);
        ret_if(&b, ne(d, LV(&b, fs), status(d, LIR_OK)), LV(&b, fs));
        ret_if(&b, ne(d, u_prog(d, T, 2, SYN_MAP, env, e.ps, num(d, 0), num(d, span), LV(&b, lf), LV(&b, e.child)),
                      status(d, LIR_OK)),
               status(d, LIR_EINVAL));
        lb_expr(&b, tlb(d, &b, tx, LV(&b, vbase), span));
        lb_set(&b, e.kind, lx_numk(m, K_TABLE, LK_INT));
    } else {
        lb_comment(&b, "part of a smallest page");
        lb_ret(&b, status(d, LIR_EINVAL));
    }
    lb_end(&b);
    if (T && T->prog[SYN_PROTECT]) {
        /* protect to more rights than a table entry on the way grants:
         * widen the table entry, as map does */
        LExpr *st = lx_addr(m, LV(&b, e.st[e.table]));
        lb_if(&b, land(d, ne(d, LV(&b, prot), num(d, 0)),
                       land(d, ne(d, txf(d, &b, tx, TX_COMMIT), num(d, 0)),
                            land(d, eq(d, LV(&b, e.kind), num(d, K_TABLE)), lx_not(m, u_matchflags(d, T, st, e.ps, LV(&b, flgs)))))));
        ret_if(&b, eq(d, txf(d, &b, tx, TX_COMMIT), num(d, 2)), status(d, LIR_RETRY));
        lb_expr(&b, u_prog(d, T, 1, SYN_PROTECT, env, e.ps, num(d, 0), num(d, span), LV(&b, flgs), NULL));
        lb_end(&b);
    }
    if (T && unmap_whole_safe(d->a, C, 0)) {
        lb_comment(&b, "unmap's dry run: under an entry it covers whole nothing can fail or need a table");
        lb_if(&b, land(d, lx_not(m, txf(d, &b, tx, TX_COMMIT)),
                       land(d, eq(d, LV(&b, prot), num(d, 0)), land(d, LV(&b, whole), eq(d, LV(&b, e.kind), num(d, K_TABLE))))));
        lb_assign(&b, txf(d, &b, tx, TX_FOUND), num(d, 1));
        lb_ret(&b, status(d, LIR_OK));
        lb_end(&b);
    }
    if (T) {
        Walk *wc = walk_of(d, C);
        int cleared = lir_local(m, f, "cleared", lt(LK_U64));
        int s = lir_local(m, f, "s", lt(LK_STATUS));
        lb_set(&b, cleared, txf(d, &b, tx, TX_CLEARED));
        LExpr *rest[6] = { LV(&b, vbase), LV(&b, off), LV(&b, len), LV(&b, flgs), LV(&b, prot),
                           lx_ite(m, eq(d, LV(&b, virt), num(d, 2)), lx_numk(m, 2, LK_INT), lx_numk(m, 0, LK_INT)) };
        lb_set(&b, s, child_call(d, wc->runmap, C, LV(&b, tx), LV(&b, e.child), rest, 6));
        if (T->prog[SYN_UNMAP]) {
            /* a table that unmap emptied goes: its entry first, then the
             * memory; only a table that just lost an entry can be empty */
            ret_if(&b, lor(d, ne(d, LV(&b, s), status(d, LIR_OK)),
                           lor(d, lx_not(m, txf(d, &b, tx, TX_COMMIT)),
                               lor(d, ne(d, LV(&b, prot), num(d, 0)), eq(d, txf(d, &b, tx, TX_CLEARED), LV(&b, cleared))))),
                   LV(&b, s));
            Walk *wct = walk_of(d, C);
            Args a = { .n = 0 };
            arg(&a, env);
            arg(&a, LV(&b, e.child));
            for (int i = 1; i < C->params.len; i++)
                arg(&a, num(d, 0));
            arg(&a, txf(d, &b, tx, TX_HINT));
            /* covered whole, every entry of the child went: no need to look */
            LExpr *gone = call(d, wct->empty, &a);
            if (unmap_whole_safe(d->a, C, 0))
                gone = lor(d, LV(&b, whole), gone);
            lb_if(&b, gone);
            lb_expr(&b, u_prog(d, T, 1, SYN_UNMAP, env, e.ps, num(d, 0), num(d, span), NULL, NULL));
            lb_assign(&b, txf(d, &b, tx, TX_CLEARED), add(d, txf(d, &b, tx, TX_CLEARED), num(d, 1)));
            lb_expr(&b, tlb(d, &b, tx, LV(&b, vbase), span));
            lb_expr(&b, lx_callv(m, d->defer, LV(&b, tx), LV(&b, e.child), num(d, C->table_bytes), NULL));
            lb_end(&b);
            lb_ret(&b, status(d, LIR_OK));
        } else {
            /* the entry cannot be unmapped (a root register): its table stays */
            lb_ret(&b, LV(&b, s));
        }
    } else {
        lb_ret(&b, status(d, LIR_OK));
    }
    lir_place(m, f);
}

/* Variant i of an entry in a resolve walk: its state st<i> decoded from
 * the shared raw word (raw >= 0) or loaded, and `if (vtranslate(st, off,
 * &t<i>))` opened; *t is t<i>'s slot. Returns st's address. */
static LExpr *variant_if(Drv *d, LB *b, const IrUnit *V, int i, int raw, LExpr *env, LExpr **ps, LExpr *off, int *t)
{
    LModule *m = d->m;
    int st = lir_local(m, b->fn, arena_printf(d->a, "st%d", i), lt_rec(ufns(d, V)->state));
    *t = lir_local(m, b->fn, arena_printf(d->a, "t%d", i), lt(LK_U64));
    LExpr *sp = lx_addr(m, LV(b, st));
    if (raw >= 0)
        lb_expr(b, u_decode(d, V, LV(b, raw), sp));
    else
        lb_expr(b, u_load(d, V, env, ps, sp));
    lb_if(b, u_vtranslate(d, V, sp, ps, off, lx_addr(m, LV(b, *t))));
    return sp;
}

static void entry_resolve(Drv *d, const IrUnit *x)
{
    LModule *m = d->m;
    Walk *w = walk_of(d, x);
    LFn *f = w->rresolve;
    uint64_t span = (uint64_t)1 << x->inbits;
    LB b;
    lb_begin(&b, m, f);
    int env = 0, np = x->params.len, off = 1 + np, pa = off + 1, fl = pa + 1, psz = fl + 1;
    LExpr **ps = pexprs(&b, x, 1);
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    int raw = -1;
    if (shared_read(d, x, NULL)) {
        raw = lir_local(m, f, "raw", lt(LK_U64));
        LExpr *r = x == d->root && d->root_cache ? LV(&b, psz + 1)   /* the register, read */
                                                 : raw_read(d, &b, x, LV(&b, env), ps, -1);
        lb_set(&b, raw, r);
    }
    /* off may carry the bits above the entry (see table_fns): masked here,
     * where a leaf needs it, and passed on whole */
    LExpr *om = x == d->root ? LV(&b, off) : lx_bin(m, OP_BAND, LV(&b, off), num(d, span - 1));
    for (int i = 0; i < nv; i++) {
        const IrUnit *V = vs[i];
        int t;
        LExpr *sp = variant_if(d, &b, V, i, raw, LV(&b, env), ps, om, &t);
        if (V->child) {
            Walk *wc = walk_of(d, V->child);
            LExpr *rest[4] = { LV(&b, off), LV(&b, pa), LV(&b, fl), LV(&b, psz) };
            lb_ret(&b, child_call(d, wc->rresolve, V->child, LV(&b, env), LV(&b, t), rest, 4));
        } else {
            lb_assign(&b, lx_deref(m, LV(&b, pa)), LV(&b, t));
            lb_assign(&b, lx_deref(m, LV(&b, fl)), u_flags(d, V, sp));
            lb_assign(&b, lx_deref(m, LV(&b, psz)), num(d, span));
            lb_ret(&b, status(d, LIR_OK));
        }
        lb_end(&b);
    }
    lb_ret(&b, status(d, LIR_ENOENT));
    lir_place(m, f);
}

static void walk_fns(Drv *d, const IrUnit *x, int depth)
{
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    if (walk_of(d, x)->rmap->id >= 0)
        return;
    entry_map(d, x);
    entry_unmap(d, x);
    entry_resolve(d, x);
    for (int i = 0; i < nv; i++) {
        const IrUnit *t = vs[i]->child;
        if (!t || depth > 16 || walk_of(d, t)->rmap->id >= 0)
            continue;
        table_fns(d, t);
        walk_fns(d, t->elem, depth + 1);
    }
}

/* ---- single-page fast paths ----------------------------------------------------------
 *
 * One straight-line walk from the root to the smallest-page entry, the way
 * a hand-written driver does it: per level one load, decode, the table
 * variant's valid/translate, the index of the next table. Anything but the
 * plain case (a missing table, a large page on the way, rights to widen, a
 * table that unmap would empty) returns RETRY before the first write, and
 * the general two-pass walk takes over. */

typedef struct Chain {
    const IrUnit *entry[16];    /* entry units from the root down */
    const IrUnit *tv[16];       /* their table variant (NULL at the last) */
    const IrUnit *table[16];    /* table[k] holds entry[k] (NULL for a root entry) */
    int           n;
    const IrUnit *leaf;         /* the smallest-page leaf variant of entry[n-1] */
} Chain;

static const IrUnit *only_table_variant(const IrUnit *x)
{
    const IrUnit *vs[MAXV], *tv = NULL;
    int nv = variants(x, vs);
    for (int i = 0; i < nv; i++) {
        if (!vs[i]->child)
            continue;
        if (tv)
            return NULL;
        tv = vs[i];
    }
    return tv;
}

static bool build_chain(const IrUnit *r, unsigned minp, Chain *ch)
{
    memset(ch, 0, sizeof *ch);
    const IrUnit *t = NULL, *x = r;
    if (r->kind == IR_TABLE) {
        t = r;
        x = r->elem;
    }
    while (ch->n < 16) {
        if (t && (t->params.len != 1 || t->elem_args.len != x->params.len))
            return false;
        ch->entry[ch->n] = x;
        ch->table[ch->n] = t;
        const IrUnit *vs[MAXV];
        int nv = variants(x, vs);
        for (int i = 0; i < nv; i++)
            if (!vs[i]->child && vs[i]->inbits == minp && vs[i]->prog[SYN_MAP] && vs[i]->prog[SYN_UNMAP]
                && vs[i]->prog[SYN_PROTECT])
                ch->leaf = vs[i];
        if (ch->leaf) {
            ch->n++;
            return true;
        }
        const IrUnit *tv = only_table_variant(x);
        if (!tv || !tv->child || tv->child->kind != IR_TABLE)
            return false;
        ch->tv[ch->n] = tv;
        ch->n++;
        t = tv->child;
        x = t->elem;
    }
    return false;
}

enum { OP_FMAP, OP_FUNMAP, OP_FPROTECT };

/* A fast path's walk state: per level the entry's params; `off` is the
 * offset inside the current entry. */
typedef struct Fast {
    int    off;
    LExpr **ek[16];     /* entry k's params */
} Fast;

/* Descend from the root to the last entry; a table variant that is not
 * there means RETRY: the general path decides. */
static void fast_descend(Drv *d, LB *b, const Chain *ch, Fast *fs, int op, LExpr **rootps)
{
    LModule *m = d->m;
    LFn *f = b->fn;
    int tx = 0;
    LExpr *env = txf(d, b, tx, TX_ENV);
    LExpr *tk = NULL;   /* table k's base */
    if (ch->table[0])
        tk = rootps[0];
    else
        fs->ek[0] = rootps;
    for (int k = 0; k < ch->n; k++) {
        const IrUnit *t = ch->table[k], *x = ch->entry[k];
        if (t) {
            uint64_t span = (uint64_t)1 << t->index_lo;
            int i = lir_local(m, f, arena_printf(d->a, "i%d", k), lt(LK_U64));
            lb_set(b, i, lx_bin(m, OP_SHR, LV(b, fs->off), num(d, t->index_lo)));
            lb_set(b, fs->off, lx_bin(m, OP_BAND, LV(b, fs->off), num(d, span - 1)));
            LExpr *tp[1] = { tk };
            fs->ek[k] = elem_locals(d, b, t, tp, LV(b, i), arena_printf(d->a, "e%d_", k));
        }
        if (k == ch->n - 1)
            break;
        const IrUnit *tv = ch->tv[k];
        int st = lir_local(m, f, arena_printf(d->a, "st%d", k), lt_rec(ufns(d, tv)->state));
        int next = lir_local(m, f, arena_printf(d->a, "t%d", k + 1), lt(LK_U64));
        LExpr *sp = lx_addr(m, LV(b, st));
        if (shared_read(d, x, NULL))
            lb_expr(b, u_decode(d, tv, raw_read(d, b, x, env, fs->ek[k], tx), sp));
        else
            lb_expr(b, u_load(d, tv, env, fs->ek[k], sp));
        lb_if(b, lx_not(m, u_vtranslate(d, tv, sp, fs->ek[k], LV(b, fs->off), lx_addr(m, LV(b, next)))));
        lb_ret(b, status(d, LIR_RETRY));
        lb_end(b);
        if (op == OP_FMAP || op == OP_FPROTECT) {
            lb_comment(b, "rights to widen");
            ret_if(b, lx_not(m, u_matchflags(d, tv, sp, fs->ek[k], LV(b, 1 + d->root->params.len + 1))),
                   status(d, LIR_RETRY));
        }
        tk = LV(b, next);
    }
}

static LFn *fast_fn(Drv *d, const char *what, int op, int *va_slot)
{
    LModule *m = d->m;
    LFn *f = dfn(d, NULL, arena_printf(d->a, "fast_%s", what), LK_STATUS);
    lir_param(m, f, "tx", lt_prec(d->tx));
    int ps[64];
    uparams(d, f, d->root, ps);
    *va_slot = lir_param(m, f, "va", lt(LK_U64));
    lir_param(m, f, "flgs", lt(LK_FLAGS));
    if (op == OP_FMAP)
        lir_param(m, f, "pa", lt(LK_U64));
    return f;
}

static void fast_paths(Drv *d, unsigned minp)
{
    LModule *m = d->m;
    Chain ch;
    if (!build_chain(d->root, minp, &ch))
        return;
    const IrUnit *L = ch.leaf, *X = ch.entry[ch.n - 1];
    int k = ch.n - 1;
    uint64_t S = (uint64_t)1 << minp;
    const IrUnit *lt_ = ch.table[k];
    int np = d->root->params.len;
    const char *names[3] = { "map", "unmap", "protect" };
    for (int op = 0; op < 3; op++) {
        int va;
        LFn *f = fast_fn(d, names[op], op, &va);
        f->comment = arena_printf(d->a, "one page: %s", names[op]);
        LB b;
        lb_begin(&b, m, f);
        int tx = 0, flgs = va + 1, pa = va + 2;
        LExpr *env = txf(d, &b, tx, TX_ENV);
        Fast fs = { 0 };
        fs.off = lir_local(m, f, "off", lt(LK_U64));
        lb_set(&b, fs.off, LV(&b, va));
        fast_descend(d, &b, &ch, &fs, op, pexprs(&b, d->root, 1));
        LExpr **ek = fs.ek[k];
        int st = lir_local(m, f, "st", lt_rec(ufns(d, L)->state));
        int cur = lir_local(m, f, "cur", lt(LK_U64));
        LExpr *sp = lx_addr(m, LV(&b, st));
        lb_expr(&b, u_load(d, L, env, ek, sp));
        LExpr *mapped = op == OP_FMAP ? u_probe(d, L, sp, ek, LV(&b, fs.off), lx_addr(m, LV(&b, cur)))
                                      : u_vtranslate(d, L, sp, ek, LV(&b, fs.off), lx_addr(m, LV(&b, cur)));
        if (op == OP_FMAP) {
            lb_if(&b, mapped);
            lb_ret(&b, lx_ite(m, land(d, eq(d, LV(&b, cur), LV(&b, pa)), u_matchflags(d, L, sp, ek, LV(&b, flgs))),
                              status(d, LIR_OK), status(d, LIR_EEXIST)));
            lb_end(&b);
            if (only_table_variant(X))
                lb_comment(&b, "a table here would be another variant: the general path decides");
            ret_if(&b, lx_not(m, u_prog(d, L, 0, SYN_MAP, env, ek, num(d, 0), num(d, S), LV(&b, flgs), LV(&b, pa))),
                   status(d, LIR_RETRY));
            lb_expr(&b, u_prog(d, L, 1, SYN_MAP, env, ek, num(d, 0), num(d, S), LV(&b, flgs), LV(&b, pa)));
            lb_ret(&b, status(d, LIR_OK));
            lir_place(m, f);
            d->fast[op] = f;
            continue;
        }
        lb_comment(&b, "nothing, or another variant");
        ret_if(&b, lx_not(m, mapped), status(d, LIR_RETRY));
        lb_assign(&b, txf(d, &b, tx, TX_FOUND), num(d, 1));
        if (op == OP_FPROTECT) {
            ret_if(&b, u_matchflags(d, L, sp, ek, LV(&b, flgs)), status(d, LIR_OK));
            lb_expr(&b, u_prog(d, L, 1, SYN_PROTECT, env, ek, num(d, 0), num(d, S), LV(&b, flgs), NULL));
        } else {
            /* the table must keep another entry, or the general path frees it */
            if (lt_ && table_freed(d, lt_)) {
                int idx = lir_local(m, f, "idx", lt(LK_U64));
                int other = lir_local(m, f, "other", lt(LK_BOOL));
                int q = lir_local(m, f, "q", lt(LK_U64));
                int j = lir_local(m, f, "j", lt(LK_U64));
                lb_set(&b, idx, lx_bin(m, OP_BAND, lx_bin(m, OP_SHR, LV(&b, va), num(d, lt_->index_lo)),
                                       num(d, lt_->entries - 1)));
                uint64_t near = lt_->entries < 8 ? lt_->entries : 8;
                /* the last table's base: the variable its elem params read */
                LExpr *tbase = k > 0 ? LV(&b, slot_of(f, arena_printf(d->a, "t%d", k))) : pexprs(&b, d->root, 1)[0];
                LExpr *tp[1] = { tbase };
                const IrUnit *vs[MAXV];
                int nv = variants(X, vs), o[MAXV];
                for (int i = 0; i < nv; i++)
                    o[i] = lir_local(m, f, arena_printf(d->a, "o%d", i), lt_rec(ufns(d, vs[i])->state));
                lb_comment(&b, "another valid entry: a few on either side, then all of them");
                for (int pass = 0; pass < 2; pass++) {
                    lb_set(&b, q, num(d, pass ? 0 : 1));
                    lb_while(&b, land(d, lx_bin(m, OP_LT, LV(&b, q), num(d, pass ? lt_->entries : 2 * near + 1)),
                                      lx_not(m, LV(&b, other))));
                    if (pass) {
                        /* circular, from just after the entry: one side's
                         * end does not cost a lap of misses */
                        lb_set(&b, j, add(d, add(d, LV(&b, idx), num(d, 1)), LV(&b, q)));
                        lb_if(&b, lx_bin(m, OP_GE, LV(&b, j), num(d, lt_->entries)));
                        lb_set(&b, j, lx_bin(m, OP_SUB, LV(&b, j), num(d, lt_->entries)));
                        lb_end(&b);
                    } else
                        lb_set(&b, j, lx_ite(m, lx_bin(m, OP_BAND, LV(&b, q), num(d, 1)),
                                             add(d, LV(&b, idx), lx_bin(m, OP_SHR, add(d, LV(&b, q), num(d, 1)), num(d, 1))),
                                             lx_bin(m, OP_SUB, LV(&b, idx), lx_bin(m, OP_SHR, LV(&b, q), num(d, 1)))));
                    lb_if(&b, land(d, lx_bin(m, OP_LT, LV(&b, j), num(d, lt_->entries)), ne(d, LV(&b, j), LV(&b, idx))));
                    LExpr **oe = elem_locals(d, &b, lt_, tp, LV(&b, j), "o_");
                    for (int i = 0; i < nv; i++) {
                        lb_expr(&b, u_load(d, vs[i], env, oe, lx_addr(m, LV(&b, o[i]))));
                        lb_set(&b, other, lor(d, LV(&b, other), u_valid(d, vs[i], lx_addr(m, LV(&b, o[i])), oe)));
                    }
                    lb_end(&b);
                    lb_set(&b, q, add(d, LV(&b, q), num(d, 1)));
                    lb_end(&b);
                }
                ret_if(&b, lx_not(m, LV(&b, other)), status(d, LIR_RETRY));
            }
            lb_expr(&b, u_prog(d, L, 1, SYN_UNMAP, env, ek, num(d, 0), num(d, S), NULL, NULL));
        }
        lb_expr(&b, tlb(d, &b, tx, LV(&b, va), S));
        lb_ret(&b, status(d, LIR_OK));
        lir_place(m, f);
        d->fast[op] = f;
        (void)np;
    }
}

/* ---- the root's transaction helpers -------------------------------------------------- */

static void tx_helpers(Drv *d)
{
    LModule *m = d->m;
    LB b;
    LFn *f = NULL;
    int tx;
    if (d->ntabs) {
        /* free the deferred tables (their invalidation was issued) */
        f = d->free_deferred = tx_fn(d, NULL, "free_deferred", LK_VOID, &tx);
        f->cold = true;   /* out of line: the callers stay small */
        lb_begin(&b, m, f);
        for (int j = 0; j < NDEFER; j++) {
            lb_if(&b, lx_bin(m, OP_GT, txf(d, &b, tx, TX_NDEFER), num(d, (uint64_t)j)));
            lb_expr(&b, lx_env(m, LENV_FREE_TABLE, 0, 0, txf(d, &b, tx, TX_ENV), txf(d, &b, tx, d->tx_defer[j][0]),
                               txf(d, &b, tx, d->tx_defer[j][1]), NULL));
            lb_end(&b);
        }
        lb_assign(&b, txf(d, &b, tx, TX_NDEFER), num(d, 0));
        lir_place(m, f);
    }

    /* TLB batching: adjacent ranges merge, others flush */
    f = d->pend = tx_fn(d, NULL, "pend", LK_VOID, &tx);
    int va = lir_param(m, f, "va", lt(LK_U64));
    int size = lir_param(m, f, "size", lt(LK_U64));
    lb_begin(&b, m, f);
    LExpr *env = txf(d, &b, tx, TX_ENV);
    LExpr *lo = txf(d, &b, tx, TX_TLB_LO), *hi = txf(d, &b, tx, TX_TLB_HI);
    lb_if(&b, land(d, ne(d, hi, lo), eq(d, LV(&b, va), hi)));
    lb_assign(&b, hi, add(d, LV(&b, va), LV(&b, size)));
    lb_ret(&b, NULL);
    lb_end(&b);
    lb_if(&b, ne(d, hi, lo));
    lb_expr(&b, lx_env(m, LENV_TLB_INVAL, 0, 0, env, lo, lx_bin(m, OP_SUB, hi, lo), NULL));
    lb_end(&b);
    lb_assign(&b, lo, LV(&b, va));
    lb_assign(&b, hi, add(d, LV(&b, va), LV(&b, size)));
    lir_place(m, f);

    /* a change the commit made (the dry run changes nothing) */
    f = d->tlb = tx_fn(d, NULL, "tlb", LK_VOID, &tx);
    va = lir_param(m, f, "va", lt(LK_U64));
    size = lir_param(m, f, "size", lt(LK_U64));
    lb_begin(&b, m, f);
    lb_if(&b, txf(d, &b, tx, TX_COMMIT));
    lb_expr(&b, lx_callv(m, d->pend, LV(&b, tx), LV(&b, va), LV(&b, size), NULL));
    lb_end(&b);
    lir_place(m, f);

    /* the pending invalidation */
    f = d->flush_tlb = tx_fn(d, NULL, "flush_tlb", LK_VOID, &tx);
    lb_begin(&b, m, f);
    lb_if(&b, ne(d, hi, lo));
    lb_expr(&b, lx_env(m, LENV_TLB_INVAL, 0, 0, env, lo, lx_bin(m, OP_SUB, hi, lo), NULL));
    lb_end(&b);
    lb_assign(&b, lo, num(d, 0));
    lb_assign(&b, hi, num(d, 0));
    lir_place(m, f);

    /* then the tables it made safe to free (the one-page paths free
     * none: they call flush_tlb, which keeps them small) */
    f = d->flush = tx_fn(d, NULL, "flush", LK_VOID, &tx);
    lb_begin(&b, m, f);
    lb_expr(&b, lx_callv(m, d->flush_tlb, LV(&b, tx), NULL));
    if (d->ntabs) {
        lb_if(&b, ne(d, txf(d, &b, tx, TX_NDEFER), num(d, 0)));
        lb_expr(&b, lx_callv(m, d->free_deferred, LV(&b, tx), NULL));
        lb_end(&b);
    }
    lir_place(m, f);

    if (d->ntabs) {
        /* a table unlinked, whose range was passed to tlb or pend: freed
         * at the next flush */
        f = d->defer = tx_fn(d, NULL, "defer", LK_VOID, &tx);
        int t = lir_param(m, f, "tab", lt(LK_U64));
        int bytes = lir_param(m, f, "bytes", lt(LK_U64));
        lb_begin(&b, m, f);
        /* full: invalidate what is pending and free; the range stays
         * pending, as it may cover tables unlinked after this one */
        lb_if(&b, eq(d, txf(d, &b, tx, TX_NDEFER), num(d, NDEFER)));
        lb_if(&b, ne(d, txf(d, &b, tx, TX_TLB_HI), txf(d, &b, tx, TX_TLB_LO)));
        lb_expr(&b, lx_env(m, LENV_TLB_INVAL, 0, 0, txf(d, &b, tx, TX_ENV), txf(d, &b, tx, TX_TLB_LO),
                           lx_bin(m, OP_SUB, txf(d, &b, tx, TX_TLB_HI), txf(d, &b, tx, TX_TLB_LO)), NULL));
        lb_end(&b);
        lb_expr(&b, lx_callv(m, d->free_deferred, LV(&b, tx), NULL));
        lb_end(&b);
        for (int j = 0; j < NDEFER; j++) {
            lb_if(&b, eq(d, txf(d, &b, tx, TX_NDEFER), num(d, (uint64_t)j)));
            lb_assign(&b, txf(d, &b, tx, d->tx_defer[j][0]), LV(&b, t));
            lb_assign(&b, txf(d, &b, tx, d->tx_defer[j][1]), LV(&b, bytes));
            lb_end(&b);
        }
        lb_assign(&b, txf(d, &b, tx, TX_NDEFER), add(d, txf(d, &b, tx, TX_NDEFER), num(d, 1)));
        lir_place(m, f);
    }

    /* allocate what the dry run counted; on failure give it all back */
    f = d->prealloc = tx_fn(d, NULL, "prealloc", LK_BOOL, &tx);
    int k = lir_local(m, f, "k", lt(LK_U64));
    int t = lir_local(m, f, "t", lt(LK_U64));
    lb_begin(&b, m, f);
    for (int i = 0; i < d->ntabs; i++) {
        uint64_t bytes = d->tabs[i]->table_bytes;
        lb_set(&b, k, num(d, 0));
        lb_while(&b, lx_bin(m, OP_LT, LV(&b, k), txf(d, &b, tx, tx_need(d, i))));
        ret_if(&b, lx_not(m, lx_env(m, LENV_ALLOC_TABLE, 0, 0, env, num(d, bytes), num(d, bytes), lx_addr(m, LV(&b, t)), NULL)),
               lx_numk(m, 0, LK_BOOL));
        lb_expr(&b, lx_env(m, LENV_MEM_WRITE, 8, 0, env, LV(&b, t), txf(d, &b, tx, tx_pool(d, i)), NULL));
        lb_assign(&b, txf(d, &b, tx, tx_pool(d, i)), LV(&b, t));
        lb_set(&b, k, add(d, LV(&b, k), num(d, 1)));
        lb_end(&b);
    }
    lb_ret(&b, lx_numk(m, 1, LK_BOOL));
    lir_place(m, f);

    f = d->release = tx_fn(d, NULL, "release", LK_VOID, &tx);
    t = lir_local(m, f, "t", lt(LK_U64));
    lb_begin(&b, m, f);
    for (int i = 0; i < d->ntabs; i++) {
        lb_while(&b, ne(d, txf(d, &b, tx, tx_pool(d, i)), num(d, 0)));
        lb_set(&b, t, txf(d, &b, tx, tx_pool(d, i)));
        lb_assign(&b, txf(d, &b, tx, tx_pool(d, i)), lx_env(m, LENV_MEM_READ, 8, 0, env, LV(&b, t), NULL));
        lb_expr(&b, lx_env(m, LENV_MEM_WRITE, 8, 0, env, LV(&b, t), num(d, 0), NULL));
        lb_expr(&b, lx_env(m, LENV_FREE_TABLE, 0, 0, env, LV(&b, t), num(d, d->tabs[i]->table_bytes), NULL));
        lb_end(&b);
    }
    lir_place(m, f);
}


/* ---- the undo log ----------------------------------------------------------------------
 * A map of more than one page first runs optimistically (commit 3): one
 * walk that writes as it goes and takes tables straight from the
 * allocator, instead of a dry run, the pools and the commit. It writes
 * only entries that read as zero. Where it writes into a table that
 * existed before it, it logs the run of entries (cid, table, first,
 * count: the open run in tx.o_*, NLOG closed ones in tx.l<j>_*); tables it
 * allocates hang below those entries, or below each other. Undoing frees
 * every table below a logged entry and zeroes the entry, which gives back
 * the memory exactly as it was. It stops (RETRY, at tx.stop, nothing
 * written from there on) where it would write an entry that is not zero,
 * widen a table entry that existed, change the root, or log a run with
 * the log full; the rest of the range then takes the two-pass path, and
 * a failure there undoes the first part too. */

/* Drivers whose tables all hold one memory word per entry (read and
 * written whole), none valid when zero, and take one param (their base). */
static bool opt_ok(Drv *d)
{
    if (!d->ntabs)
        return false;
    for (int i = 0; i < d->ntabs; i++) {
        const IrUnit *t = d->tabs[i], *vs[MAXV];
        const SFieldIO *io = shared_read(d, t->elem, NULL);
        if (t->params.len != 1 || !t->table_bytes || zero_valid(d->a, t->elem) || !io || io->field->kind != FIELD_MEM)
            return false;
        int nv = variants(t->elem, vs);
        for (int v = 0; v < nv; v++)
            if (vs[v]->io.len != 1)
                return false;
    }
    return true;
}

static void opt_fields(Drv *d)
{
    LModule *m = d->m;
    static const char *const rec[4] = { "cid", "tab", "first", "cnt" };
    d->tx_un = lir_rec_field(m, d->tx, "un", LK_U64, (Loc){ 0 });
    d->tx_stop = lir_rec_field(m, d->tx, "stop", LK_U64, (Loc){ 0 });
    for (int k = 0; k < 3; k++)
        d->tx_at[k] = lir_rec_field(m, d->tx, arena_printf(d->a, "at_%s", rec[k]), LK_U64, (Loc){ 0 });
    for (int k = 0; k < 4; k++)
        d->tx_open[k] = lir_rec_field(m, d->tx, arena_printf(d->a, "o_%s", rec[k]), LK_U64, (Loc){ 0 });
    for (int j = 0; j < NLOG; j++)
        for (int k = 0; k < 4; k++)
            d->tx_log[j][k] = lir_rec_field(m, d->tx, arena_printf(d->a, "l%d_%s", j, rec[k]), LK_U64, (Loc){ 0 });
}

/* The child table of an entry whose raw value is in slot raw, if a table
 * variant holds one: fn(tx, child) for it. */
static void each_child(Drv *d, LB *b, const IrUnit *x, int raw, LExpr *const *ep, const int *st, int tx, LFn *const *fns)
{
    LModule *m = d->m;
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs);
    int c = local_once(m, b->fn, "c", lt(LK_U64));
    for (int v = 0; v < nv; v++) {
        if (!vs[v]->child)
            continue;
        LExpr *sp = lx_addr(m, LV(b, st[v]));
        lb_expr(b, u_decode(d, vs[v], LV(b, raw), sp));
        lb_if(b, u_vtranslate(d, vs[v], sp, ep, num(d, 0), lx_addr(m, LV(b, c))));
        lb_expr(b, lx_callv(m, fns[tab_id(d, vs[v]->child)], LV(b, tx), LV(b, c), NULL));
        lb_end(b);
    }
}

static void undo_helpers(Drv *d)
{
    LModule *m = d->m;
    LB b;
    int *O = d->tx_open;
    /* the open run can take entry i of tab (it ends there), or there is
     * room for a new one */
    int tx;
    LFn *f = d->undo_room = tx_fn(d, NULL, "undo_room", LK_BOOL, &tx);
    int cid = lir_param(m, f, "cid", lt(LK_U64)), tab = lir_param(m, f, "tab", lt(LK_U64));
    int i = lir_param(m, f, "i", lt(LK_U64));
    lb_begin(&b, m, f);
    LExpr *adj = land(d, eq(d, txf(d, &b, tx, O[0]), LV(&b, cid)),
                      land(d, eq(d, txf(d, &b, tx, O[1]), LV(&b, tab)),
                           eq(d, add(d, txf(d, &b, tx, O[2]), txf(d, &b, tx, O[3])), LV(&b, i))));
    lb_ret(&b, lor(d, eq(d, txf(d, &b, tx, O[3]), num(d, 0)),
                   lor(d, adj, lx_bin(m, OP_LT, txf(d, &b, tx, d->tx_un), num(d, NLOG)))));
    lir_place(m, f);

    /* log entries [i, i + n) of tab (undo_room said yes) */
    f = d->undo_add = tx_fn(d, NULL, "undo_add", LK_VOID, &tx);
    cid = lir_param(m, f, "cid", lt(LK_U64));
    tab = lir_param(m, f, "tab", lt(LK_U64));
    i = lir_param(m, f, "i", lt(LK_U64));
    int n = lir_param(m, f, "n", lt(LK_U64));
    lb_begin(&b, m, f);
    ret_if(&b, eq(d, LV(&b, n), num(d, 0)), NULL);
    adj = land(d, ne(d, txf(d, &b, tx, O[3]), num(d, 0)),
               land(d, eq(d, txf(d, &b, tx, O[0]), LV(&b, cid)),
                    land(d, eq(d, txf(d, &b, tx, O[1]), LV(&b, tab)),
                         eq(d, add(d, txf(d, &b, tx, O[2]), txf(d, &b, tx, O[3])), LV(&b, i)))));
    lb_if(&b, adj);
    lb_assign(&b, txf(d, &b, tx, O[3]), add(d, txf(d, &b, tx, O[3]), LV(&b, n)));
    lb_ret(&b, NULL);
    lb_end(&b);
    lb_comment(&b, "close the open run");
    lb_if(&b, ne(d, txf(d, &b, tx, O[3]), num(d, 0)));
    for (int j = 0; j < NLOG; j++) {
        lb_if(&b, eq(d, txf(d, &b, tx, d->tx_un), num(d, (uint64_t)j)));
        for (int k = 0; k < 4; k++)
            lb_assign(&b, txf(d, &b, tx, d->tx_log[j][k]), txf(d, &b, tx, O[k]));
        lb_end(&b);
    }
    lb_assign(&b, txf(d, &b, tx, d->tx_un), add(d, txf(d, &b, tx, d->tx_un), num(d, 1)));
    lb_end(&b);
    LExpr *nv[4] = { LV(&b, cid), LV(&b, tab), LV(&b, i), LV(&b, n) };
    for (int k = 0; k < 4; k++)
        lb_assign(&b, txf(d, &b, tx, O[k]), nv[k]);
    lir_place(m, f);

    /* per table kind, callees first: free_fresh(tx, tab) frees a table the
     * optimistic map allocated and every table below it; undo_run(tx,
     * tab, first, cnt) frees what hangs below the entries and zeroes them */
    for (int ti = d->ntabs - 1; ti >= 0; ti--) {
        const IrUnit *t = d->tabs[ti], *x = t->elem, *vs[MAXV];
        int nv2 = variants(x, vs);
        for (int run = 0; run < 2; run++) {
            f = tx_fn(d, t, run ? "undo_run" : "free_fresh", LK_VOID, &tx);
            tab = lir_param(m, f, "tab", lt(LK_U64));
            int first = run ? lir_param(m, f, "first", lt(LK_U64)) : -1;
            int cnt = run ? lir_param(m, f, "cnt", lt(LK_U64)) : -1;
            int k = lir_local(m, f, "k", lt(LK_U64));
            int raw = lir_local(m, f, "raw", lt(LK_U64));
            int st[MAXV];
            for (int v = 0; v < nv2; v++)
                st[v] = lir_local(m, f, arena_printf(d->a, "st%d", v), lt_rec(ufns(d, vs[v])->state));
            lb_begin(&b, m, f);
            LExpr *env = txf(d, &b, tx, TX_ENV);
            LExpr *tp[1] = { LV(&b, tab) };
            lb_while(&b, lx_bin(m, OP_LT, LV(&b, k), run ? LV(&b, cnt) : num(d, t->entries)));
            LExpr **ep = elem_locals(d, &b, t, tp, run ? add(d, LV(&b, first), LV(&b, k)) : LV(&b, k), "e_");
            lb_set(&b, raw, raw_read(d, &b, x, env, ep, -1));
            lb_if(&b, ne(d, LV(&b, raw), num(d, 0)));
            if (run) {   /* unlinked before anything below is deferred */
                const IrUnit *owner = NULL;
                const SFieldIO *io = shared_read(d, x, &owner);
                lb_expr(&b, lir_io_write(m, env, io->field, owner, ep, num(d, 0)));
            }
            each_child(d, &b, x, raw, ep, st, tx, d->free_fresh);
            lb_end(&b);
            lb_set(&b, k, add(d, LV(&b, k), num(d, 1)));
            lb_end(&b);
            if (!run)
                lb_expr(&b, lx_callv(m, d->defer, LV(&b, tx), LV(&b, tab), num(d, t->table_bytes), NULL));
            lir_place(m, f);
            *(run ? &d->undo_run[ti] : &d->free_fresh[ti]) = f;
        }
    }

    /* undo everything the log holds, newest first, in [va, va + size):
     * the walker may have seen the entries between their write and their
     * undoing, so the range is invalidated before the tables go */
    f = d->undo = tx_fn(d, NULL, "undo", LK_VOID, &tx);
    int va = lir_param(m, f, "va", lt(LK_U64));
    int size = lir_param(m, f, "size", lt(LK_U64));
    lb_begin(&b, m, f);
    ret_if(&b, land(d, eq(d, txf(d, &b, tx, O[3]), num(d, 0)), eq(d, txf(d, &b, tx, d->tx_un), num(d, 0))), NULL);
    lb_expr(&b, lx_callv(m, d->pend, LV(&b, tx), LV(&b, va), LV(&b, size), NULL));
    for (int j = NLOG; j >= 0; j--) {
        const int *r = j == NLOG ? O : d->tx_log[j];
        lb_if(&b, j == NLOG ? ne(d, txf(d, &b, tx, O[3]), num(d, 0))
                            : lx_bin(m, OP_GT, txf(d, &b, tx, d->tx_un), num(d, (uint64_t)j)));
        for (int ti = 0; ti < d->ntabs; ti++) {
            lb_if(&b, eq(d, txf(d, &b, tx, r[0]), num(d, (uint64_t)ti)));
            Args a = { .n = 0 };
            arg(&a, LV(&b, tx));
            for (int k = 1; k < 4; k++)
                arg(&a, txf(d, &b, tx, r[k]));
            lb_expr(&b, call(d, d->undo_run[ti], &a));
            lb_end(&b);
        }
        lb_end(&b);
    }
    lb_assign(&b, txf(d, &b, tx, d->tx_un), num(d, 0));
    lb_assign(&b, txf(d, &b, tx, O[3]), num(d, 0));
    lb_expr(&b, lx_callv(m, d->flush, LV(&b, tx), NULL));
    lir_place(m, f);
}

/* ---- the public functions of one root ------------------------------------------------- */

/* `undo(&tx, va0, total);` */
static void undo_all(Drv *d, LB *b, int tx, int va0, int total)
{
    LModule *m = d->m;
    lb_expr(b, lx_callv(m, d->undo, lx_addr(m, LV(b, tx)), LV(b, va0), LV(b, total), NULL));
}

/* tx.env = ctx->env and the other scalars (the pools and ndefer only
 * where a path that may free starts: a one-page call does not pay for
 * them). */
static void tx_init(Drv *d, LB *b, int tx, int ctx)
{
    LModule *m = d->m;
    lb_assign(b, lx_field(m, LV(b, tx), TX_ENV), lx_field(m, LV(b, ctx), d->ctx_env));
    for (int k = TX_COMMIT; k <= TX_ROOT_CHANGED; k++) {
        LExpr *v = num(d, 0);
        if (k == TX_ROOT_RAW && d->root_cache)
            v = lx_field(m, LV(b, ctx), d->ctx_raw);
        if (k == TX_ROOT_CACHED && d->root_cache)
            v = lx_field(m, LV(b, ctx), d->ctx_cached);
        lb_assign(b, lx_field(m, LV(b, tx), k), v);
    }
}

static void tx_pools(Drv *d, LB *b, int tx)
{
    int n = d->ntabs ? d->ntabs : 1;
    for (int i = 0; i < n; i++) {
        lb_assign(b, lx_field(d->m, LV(b, tx), tx_need(d, i)), num(d, 0));
        lb_assign(b, lx_field(d->m, LV(b, tx), tx_pool(d, i)), num(d, 0));
    }
}

static LExpr **ctx_params(Drv *d, LB *b, int ctx)
{
    LExpr **ps = arena_alloc(d->a, sizeof(LExpr *) * (size_t)(d->root->params.len + 1));
    for (int i = 0; i < d->root->params.len; i++)
        ps[i] = lx_field(d->m, LV(b, ctx), d->ctx_params[i]);
    return ps;
}

static LFn *api_fn(Drv *d, const char *what, LKind ret)
{
    LFn *f = lir_fn(d->m, arena_printf(d->a, "%s_%s", d->R, what), lt(ret), LINK_EXPORT, d->root->loc);
    lir_param(d->m, f, "ctx", lt_prec(d->ctx));
    return f;
}

/* A mutator's API function, op 0 map, 1 unmap, 2 protect, in the root. */
static void set_op(Drv *d, int op, LFn *f)
{
    if (op == 0)
        d->lr->map = f;
    else if (op == 1)
        d->lr->unmap = f;
    else
        d->lr->protect = f;
}

/* what(ctx, va, pa *, flags *, page_size *): slots 1 to 4 */
static LFn *resolve_fn(Drv *d, const char *what, LLink link)
{
    LFn *f = api_fn(d, what, LK_STATUS);
    f->link = link;
    lir_param(d->m, f, "va", lt(LK_U64));
    lir_param(d->m, f, "pa", lt_ptr(LK_U64));
    lir_param(d->m, f, "flags", lt_ptr(LK_FLAGS));
    lir_param(d->m, f, "page_size", lt_ptr(LK_U64));
    return f;
}

/* resolve, whose out-pointers may be NULL: resolve_to (which writes all
 * three, on success only) with a scratch variable for each NULL one. In
 * the header, so that a caller passing addresses pays no NULL tests
 * (they fold away), and resolve_to's walk writes straight to them. */
static LFn *resolve_api(Drv *d, LFn *to)
{
    LModule *m = d->m;
    LFn *f = resolve_fn(d, "resolve", LINK_HEADER);
    f->comment = "NULL out-pointers get scratch; resolve_to does the walk";
    LB b;
    lb_begin(&b, m, f);
    Args a = { .n = 0 };
    arg(&a, LV(&b, 0));
    arg(&a, LV(&b, 1));
    static const char *const scratch[3] = { "no_pa", "no_flags", "no_page_size" };
    for (int i = 2; i < 5; i++) {
        const LSlot *p = f->slots.items[i];
        int s = lir_local(m, f, scratch[i - 2], lt(p->ty.to));
        arg(&a, lx_ite(m, ne(d, LV(&b, i), lx_numk(m, 0, LK_U64)), LV(&b, i), lx_addr(m, LV(&b, s))));
    }
    lb_ret(&b, call(d, to, &a));
    lir_place(m, f);
    return f;
}

/* resolve with a context that has no copy of the root register: reads
 * it into a copy of the context and resolves with that. Out of line, so
 * that resolve's own path, the common one, makes no call and needs no
 * stack frame; resolve stays free of writes to the context (callers may
 * resolve concurrently). */
static LFn *resolve_reg_fn(Drv *d, LFn *resolve)
{
    LModule *m = d->m;
    LFn *f = lir_fn(m, arena_printf(d->a, "%s_resolve_reg", d->R), lt(LK_STATUS), LINK_INTERNAL,
                    d->root->loc);
    f->cold = true;
    for (int i = 0; i < resolve->nparams; i++) {
        const LSlot *p = resolve->slots.items[i];
        lir_param(m, f, p->name, p->ty);
    }
    int c = lir_local(m, f, "c", lt_rec(d->ctx));
    LB b;
    lb_begin(&b, m, f);
    VEC_FOREACH(const LField *, fd, d->ctx->fields)
        if (fd_i != d->ctx_raw && fd_i != d->ctx_cached)
            lb_assign(&b, lx_field(m, LV(&b, c), fd_i), lx_field(m, LV(&b, 0), fd_i));
    LExpr **cps = ctx_params(d, &b, c);
    lb_assign(&b, lx_field(m, LV(&b, c), d->ctx_raw),
              raw_read(d, &b, d->root, lx_field(m, LV(&b, c), d->ctx_env), cps, -1));
    lb_assign(&b, lx_field(m, LV(&b, c), d->ctx_cached), num(d, 1));
    Args a = { .n = 0 };
    arg(&a, lx_addr(m, LV(&b, c)));
    for (int i = 1; i < 5; i++)
        arg(&a, LV(&b, i));
    lb_ret(&b, call(d, resolve, &a));
    lir_place(m, f);
    return f;
}

/* `if (done != NULL) *done = v;` */
static void set_out(Drv *d, LB *b, int p, LExpr *v)
{
    lb_if(b, ne(d, LV(b, p), lx_numk(d->m, 0, LK_U64)));
    lb_assign(b, lx_deref(d->m, LV(b, p)), v);
    lb_end(b);
}

/* `if (size == S) {` [tx_init, when ctx >= 0] the one-page attempt with
 * commit 2; unless it says RETRY: flush, the status (ENOENT if an unmap
 * or protect found nothing) and *done. Leaves the if open. */
static void one_page(Drv *d, LB *b, int op, uint64_t S, int ctx, int tx, int s, int size, int done,
                     LExpr *attempt, LFn *flush)
{
    LModule *m = d->m;
    lb_comment(b, op == 0 ? "one page: check and write in one walk, unless a table is missing"
                          : "one page, unless a split needs a table");
    lb_if(b, eq(d, LV(b, size), num(d, S)));
    if (ctx >= 0)
        tx_init(d, b, tx, ctx);
    lb_assign(b, txf(d, b, tx, TX_COMMIT), num(d, 2));
    lb_set(b, s, attempt);
    lb_if(b, ne(d, LV(b, s), status(d, LIR_RETRY)));
    lb_expr(b, lx_callv(m, flush, lx_addr(m, LV(b, tx)), NULL));
    if (op != 0)
        ret_if(b, land(d, eq(d, LV(b, s), status(d, LIR_OK)), lx_not(m, txf(d, b, tx, TX_FOUND))),
               status(d, LIR_ENOENT));
    lb_if(b, eq(d, LV(b, s), status(d, LIR_OK)));
    set_out(d, b, done, LV(b, size));
    lb_end(b);
    lb_ret(b, LV(b, s));
    lb_end(b);
}

/* ---- the traced walk (vrsc jit's `walk`, translate's faults) --------------------------
 *
 * resolve's walk once more, recording per level the unit, its first
 * parameter, the index, the raw word and whether it translated (lir.h,
 * LTRACE_*). Levels are constants: a unit reached at two depths gets a
 * function per depth. Nothing in the C driver calls it. */

static int levels_below(const IrUnit *x, int depth)
{
    if (depth > 15)
        return 16;
    if (x->kind == IR_TABLE)
        return levels_below(x->elem, depth + 1);
    const IrUnit *vs[MAXV];
    int nv = variants(x, vs), best = 1;
    for (int i = 0; i < nv; i++)
        if (vs[i]->child) {
            int n = 1 + levels_below(vs[i]->child, depth + 1);
            if (n > best)
                best = n;
        }
    return best;
}

static int unit_id(const Drv *d, const IrUnit *u)
{
    VEC_FOREACH(const IrUnit *, v, d->m->ir->units)
        if (v == u)
            return v_i;
    return 0;
}

static int tr(int level, int what)
{
    return LTRACE_LEVEL0 + level * LTRACE_PER + what;
}

static LFn *rwalk(Drv *d, const IrUnit *x, int level);

static void rwalk_table(Drv *d, const IrUnit *t, int level, LFn *f)
{
    LModule *m = d->m;
    LB b;
    lb_begin(&b, m, f);
    int np = t->params.len, off = 1 + np, trace = off + 1;
    LExpr **tp = pexprs(&b, t, 1);
    int i = lir_local(m, f, "i", lt(LK_U64));
    lb_set(&b, i, lx_bin(m, OP_SHR, LV(&b, off), num(d, t->index_lo)));
    LExpr **ep = elem_locals(d, &b, t, tp, LV(&b, i), "e_");
    Args a = { .n = 0 };
    arg(&a, LV(&b, 0));
    argv_(&a, ep, t->elem->params.len);
    arg(&a, lx_bin(m, OP_BAND, LV(&b, off), num(d, mask_of(t->index_lo))));
    arg(&a, LV(&b, trace));
    arg(&a, LV(&b, i));
    lb_ret(&b, call(d, rwalk(d, t->elem, level), &a));
    lir_place(m, f);
}

static void rwalk_entry(Drv *d, const IrUnit *x, int level, LFn *f)
{
    LModule *m = d->m;
    LB b;
    lb_begin(&b, m, f);
    int env = 0, np = x->params.len, off = 1 + np, trace = off + 1, index = trace + 1;
    LExpr **ps = pexprs(&b, x, 1);
    const IrUnit *vs[MAXV] = { 0 };
    int nv = variants(x, vs);
    LExpr *T = LV(&b, trace);
    lb_assign(&b, lx_field(m, T, LTRACE_LEVELS), num(d, (uint64_t)level + 1));
    lb_assign(&b, lx_field(m, T, tr(level, LTRACE_UNIT)), num(d, nv ? (uint64_t)unit_id(d, vs[0]) : 0));
    lb_assign(&b, lx_field(m, T, tr(level, LTRACE_PARAM0)), np ? ps[0] : num(d, 0));
    lb_assign(&b, lx_field(m, T, tr(level, LTRACE_INDEX)), LV(&b, index));
    lb_assign(&b, lx_field(m, T, tr(level, LTRACE_OK)), num(d, 0));
    lb_assign(&b, lx_field(m, T, tr(level, LTRACE_OUT)), num(d, 0));
    int raw = -1;
    if (shared_read(d, x, NULL)) {
        raw = lir_local(m, f, "raw", lt(LK_U64));
        lb_set(&b, raw, raw_read(d, &b, x, LV(&b, env), ps, -1));
        lb_assign(&b, lx_field(m, T, tr(level, LTRACE_RAW)), LV(&b, raw));
    } else {
        lb_assign(&b, lx_field(m, T, tr(level, LTRACE_RAW)), num(d, 0));
    }
    uint64_t span = (uint64_t)1 << x->inbits;
    for (int i = 0; i < nv; i++) {
        const IrUnit *V = vs[i];
        int t;
        LExpr *sp = variant_if(d, &b, V, i, raw, LV(&b, env), ps, LV(&b, off), &t);
        lb_assign(&b, lx_field(m, T, tr(level, LTRACE_UNIT)), num(d, (uint64_t)unit_id(d, V)));
        lb_assign(&b, lx_field(m, T, tr(level, LTRACE_OK)), num(d, 1));
        lb_assign(&b, lx_field(m, T, tr(level, LTRACE_OUT)), LV(&b, t));
        if (V->child && level + 1 < d->lr->max_levels) {
            const IrUnit *C = V->child;
            Args a = { .n = 0 };
            arg(&a, LV(&b, env));
            arg(&a, LV(&b, t));
            for (int q = 1; q < C->params.len; q++)
                arg(&a, num(d, 0));
            arg(&a, LV(&b, off));
            arg(&a, T);
            lb_ret(&b, call(d, rwalk(d, C, level + 1), &a));
        } else if (V->child) {
            lb_ret(&b, status(d, LIR_ENOENT));
        } else {
            lb_assign(&b, lx_field(m, T, LTRACE_PA), LV(&b, t));
            lb_assign(&b, lx_field(m, T, LTRACE_FLAGS), u_flags(d, V, sp));
            lb_assign(&b, lx_field(m, T, LTRACE_PSZ), num(d, span));
            lb_ret(&b, status(d, LIR_OK));
        }
        lb_end(&b);
    }
    lb_ret(&b, status(d, LIR_ENOENT));
    lir_place(m, f);
}

/* The traced walk of x at `level`, made on first use. A table's walk is
 * at the level of its entries. */
static LFn *rwalk(Drv *d, const IrUnit *x, int level)
{
    LModule *m = d->m;
    Walk *w = walk_of(d, x);
    if (level > 15)
        level = 15;
    if (w->rwalk[level])
        return w->rwalk[level];
    LFn *f = w->rwalk[level] = dfn(d, x, arena_printf(d->a, "rwalk%d", level), LK_STATUS);
    int ps[64];
    lir_param(m, f, "env", lt(LK_ENV));
    uparams(d, f, x, ps);
    lir_param(m, f, "off", lt(LK_U64));
    lir_param(m, f, "trace", lt_prec(d->lr->trace));
    if (x->kind == IR_TABLE) {
        rwalk_table(d, x, level, f);
    } else {
        lir_param(m, f, "index", lt(LK_U64));
        rwalk_entry(d, x, level, f);
    }
    return f;
}

static void walk_api(Drv *d, uint64_t space)
{
    LModule *m = d->m;
    const IrUnit *r = d->root;
    LRoot *lr = d->lr;
    lr->max_levels = levels_below(r, 0);
    LRec *t = lr->trace = lir_rec(m, arena_printf(d->a, "%s_trace", d->R), false, r->loc);
    t->comment = "a walk's trace (lir.h, LTRACE_*)";
    static const char *const head[] = { "levels", "pa", "flags", "psz" };
    static const char *const per[] = { "unit", "param0", "index", "raw", "ok", "out" };
    for (int i = 0; i < LTRACE_LEVEL0; i++)
        lir_rec_field(m, t, head[i], LK_U64, (Loc){ 0 });
    for (int k = 0; k < lr->max_levels; k++)
        for (int i = 0; i < LTRACE_PER; i++)
            lir_rec_field(m, t, arena_printf(d->a, "%s%d", per[i], k), LK_U64, (Loc){ 0 });
    LFn *f = lir_fn(m, arena_printf(d->a, "%s_walk", d->R), lt(LK_STATUS), LINK_INTERNAL, r->loc);
    int ctx = lir_param(m, f, "ctx", lt_prec(d->ctx));
    int va = lir_param(m, f, "va", lt(LK_U64));
    int trace = lir_param(m, f, "trace", lt_prec(t));
    LB b;
    lb_begin(&b, m, f);
    lb_assign(&b, lx_field(m, LV(&b, trace), LTRACE_LEVELS), num(d, 0));
    if (space)
        ret_if(&b, lx_bin(m, OP_GE, LV(&b, va), num(d, space)), status(d, LIR_EINVAL));
    Args a = { .n = 0 };
    arg(&a, lx_field(m, LV(&b, ctx), d->ctx_env));
    argv_(&a, ctx_params(d, &b, ctx), r->params.len);
    arg(&a, LV(&b, va));
    arg(&a, LV(&b, trace));
    if (r->kind != IR_TABLE)
        arg(&a, num(d, UINT64_MAX));
    lb_ret(&b, call(d, rwalk(d, r, 0), &a));
    lir_place(m, f);
    lr->walk = f;
}

static void root_api(Drv *d)
{
    LModule *m = d->m;
    const IrUnit *r = d->root;
    unsigned minp = min_page(r, 0);
    Walk *wr = walk_of(d, r);
    /* the input space: what the root maps (CR3 covers the canonical lower
     * half, 2^47, though VA is 48 bits wide), else 2^inbits */
    uint64_t space = r->inbits >= 64 ? 0 : (uint64_t)1 << r->inbits;
    const IrUnit *rv[MAXV];
    int nrv = variants(r, rv);
    if (r->kind == IR_SEGMENT && nrv && rv[0]->prog[SYN_MAP] && rv[0]->map_size && (!space || rv[0]->map_size < space))
        space = rv[0]->map_size;
    /* the output space: the widest leaf (PSE-36 pages reach past the 32-bit
     * root); each leaf's own requires check the rest */
    unsigned obits = max_leaf_out(r, 0);
    uint64_t ospace = obits >= 64 ? 0 : (uint64_t)1 << obits;
    uint64_t S = (uint64_t)1 << minp;
    LB b;

    /* the range checks every operation shares */
    LFn *f = d->range_ok = dfn(d, NULL, "range_ok", LK_BOOL);
    int va = lir_param(m, f, "va", lt(LK_U64));
    int size = lir_param(m, f, "size", lt(LK_U64));
    lb_begin(&b, m, f);
    ret_if(&b, lor(d, eq(d, LV(&b, size), num(d, 0)), lx_bin(m, OP_LT, add(d, LV(&b, va), LV(&b, size)), LV(&b, va))),
           lx_numk(m, 0, LK_BOOL));
    ret_if(&b, ne(d, lx_bin(m, OP_BAND, lx_bin(m, OP_BOR, LV(&b, va), LV(&b, size)), num(d, mask_of(minp))), num(d, 0)),
           lx_numk(m, 0, LK_BOOL));
    if (space)
        ret_if(&b, lx_bin(m, OP_GT, add(d, LV(&b, va), LV(&b, size)), num(d, space)), lx_numk(m, 0, LK_BOOL));
    lb_ret(&b, lx_numk(m, 1, LK_BOOL));
    lir_place(m, f);

    /* map, unmap, protect: the public function checks the arguments and
     * tries the one-page path; the rest is an out-of-line NAME_op_range,
     * so that the one-page path's frame holds none of the rest's state */
    for (int op = 0; op < 3; op++) {
        static const char *const names[] = { "map", "unmap", "protect" };
        LFn *pub = api_fn(d, names[op], LK_STATUS);
        f = dfn(d, NULL, arena_printf(d->a, "%s_range", names[op]), LK_STATUS);
        f->noinline = true;
        lir_param(m, f, "ctx", lt_prec(d->ctx));
        int ctx = 0, flags = -1, pa = -1, done = -1;
        for (int k = 0; k < 2; k++) {
            LFn *h = k ? f : pub;
            va = lir_param(m, h, "va", lt(LK_U64));
            size = lir_param(m, h, "size", lt(LK_U64));
            flags = op != 1 ? lir_param(m, h, "flags", lt(LK_FLAGS)) : -1;
            pa = op == 0 ? lir_param(m, h, "pa", lt(LK_U64)) : -1;
            done = lir_param(m, h, "done", lt_ptr(LK_U64));
        }
        int nparams = pub->nparams;
        int tx = -1, s = -1;
        for (int k = 0; k < 2; k++) {
            LFn *h = k ? pub : f;   /* (f's slots first: the same numbers) */
            tx = lir_local(m, h, "tx", lt_rec(d->tx));
            ((LSlot *)h->slots.items[tx])->noinit = true;
            s = lir_local(m, h, "s", lt(LK_STATUS));
            if (op == 1)
                flags = lir_local(m, h, "flags", lt(LK_FLAGS));
        }
        int total = -1;
        Args all = { .n = 0 };   /* pub's params, passed on to f */
        LFn *walk = op == 0 ? wr->rmap : wr->runmap;

        lb_begin(&b, m, pub);
        set_out(d, &b, done, num(d, 0));
        LExpr *bad = lx_not(m, lx_callv(m, d->range_ok, LV(&b, va), LV(&b, size), NULL));
        if (op == 0)
            bad = lor(d, bad, lor(d, lx_bin(m, OP_LT, add(d, LV(&b, pa), LV(&b, size)), LV(&b, pa)),
                                  ne(d, lx_bin(m, OP_BAND, LV(&b, pa), num(d, mask_of(minp))), num(d, 0))));
        ret_if(&b, bad, status(d, LIR_EINVAL));
        if (op == 0 && ospace)
            ret_if(&b, lx_bin(m, OP_GT, add(d, LV(&b, pa), LV(&b, size)), num(d, ospace)), status(d, LIR_EINVAL));
        if (d->fast[op]) {
            LExpr **cps = ctx_params(d, &b, ctx);
            Args a = { .n = 0 };
            arg(&a, lx_addr(m, LV(&b, tx)));
            argv_(&a, cps, r->params.len);
            arg(&a, LV(&b, va));
            arg(&a, LV(&b, flags));
            if (op == 0)
                arg(&a, LV(&b, pa));
            one_page(d, &b, op, S, ctx, tx, s, size, done, call(d, d->fast[op], &a), d->flush_tlb);
            lb_end(&b);
        }
        for (int i = 0; i < nparams; i++)
            arg(&all, LV(&b, i));
        lb_ret(&b, call(d, f, &all));

        lb_begin(&b, m, f);
        tx_init(d, &b, tx, ctx);
        lb_assign(&b, txf(d, &b, tx, TX_NDEFER), num(d, 0));
        LExpr **cps = ctx_params(d, &b, ctx);
        /* the general walk: (tx, params, 0, va, size, flags, pa | prot, 0) */
        Args g = { .n = 0 };
        arg(&g, lx_addr(m, LV(&b, tx)));
        argv_(&g, cps, r->params.len);
        arg(&g, num(d, 0));
        arg(&g, LV(&b, va));
        arg(&g, LV(&b, size));
        arg(&g, LV(&b, flags));
        arg(&g, op == 0 ? LV(&b, pa) : lx_numk(m, op == 2, LK_INT));
        arg(&g, lx_numk(m, 0, LK_INT));
        if (!d->fast[op]) {
            one_page(d, &b, op, S, -1, tx, s, size, done, call(d, walk, &g), d->flush);
            lb_assign(&b, txf(d, &b, tx, TX_COMMIT), num(d, 0));
            lb_assign(&b, txf(d, &b, tx, TX_FOUND), num(d, 0));
            lb_end(&b);
        }
        bool opt = op == 0 && d->opt;
        LExpr *txp = lx_addr(m, LV(&b, tx));
        int va0 = -1;
        if (opt) {
            total = lir_local(m, f, "total", lt(LK_U64));
            va0 = lir_local(m, f, "va0", lt(LK_U64));
            int n = lir_local(m, f, "n", lt(LK_U64));
            lb_set(&b, total, LV(&b, size));
            lb_set(&b, va0, LV(&b, va));
            lb_comment(&b, "one walk that writes as it goes, undone if it fails");
            lb_assign(&b, txf(d, &b, tx, TX_COMMIT), num(d, 3));
            lb_assign(&b, txf(d, &b, tx, d->tx_un), num(d, 0));
            lb_assign(&b, txf(d, &b, tx, d->tx_open[3]), num(d, 0));
            lb_set(&b, s, call(d, walk, &g));
            lb_if(&b, eq(d, LV(&b, s), status(d, LIR_OK)));
            lb_expr(&b, lx_callv(m, d->flush, txp, NULL));
            set_out(d, &b, done, LV(&b, total));
            lb_ret(&b, LV(&b, s));
            lb_end(&b);
            lb_if(&b, ne(d, LV(&b, s), status(d, LIR_RETRY)));
            undo_all(d, &b, tx, va0, total);
            ret_if(&b, ne(d, LV(&b, s), status(d, LIR_ENOMEM)), LV(&b, s));
            lb_comment(&b, "out of memory: a conflict in the range still comes first, as in the dry run");
            lb_assign(&b, txf(d, &b, tx, TX_COMMIT), num(d, 0));
            tx_pools(d, &b, tx);
            lb_set(&b, s, call(d, walk, &g));
            lb_ret(&b, lx_ite(m, eq(d, LV(&b, s), status(d, LIR_OK)), status(d, LIR_ENOMEM), LV(&b, s)));
            lb_end(&b);
            lb_comment(&b, "stopped: the rest of the range in two passes");
            lb_set(&b, n, lx_bin(m, OP_SUB, txf(d, &b, tx, d->tx_stop), LV(&b, va)));
            lb_set(&b, va, add(d, LV(&b, va), LV(&b, n)));
            lb_set(&b, pa, add(d, LV(&b, pa), LV(&b, n)));
            lb_set(&b, size, lx_bin(m, OP_SUB, LV(&b, size), LV(&b, n)));
            lb_assign(&b, txf(d, &b, tx, TX_COMMIT), num(d, 0));
        }
        tx_pools(d, &b, tx);
        lb_set(&b, s, call(d, walk, &g));
        lb_if(&b, ne(d, LV(&b, s), status(d, LIR_OK)));
        if (opt)
            undo_all(d, &b, tx, va0, total);
        lb_ret(&b, LV(&b, s));
        lb_end(&b);
        if (op != 0)
            ret_if(&b, lx_not(m, txf(d, &b, tx, TX_FOUND)), status(d, LIR_ENOENT));
        lb_if(&b, lx_not(m, lx_callv(m, d->prealloc, txp, NULL)));
        lb_expr(&b, lx_callv(m, d->release, txp, NULL));
        if (opt)
            undo_all(d, &b, tx, va0, total);
        lb_ret(&b, status(d, LIR_ENOMEM));
        lb_end(&b);
        lb_assign(&b, txf(d, &b, tx, TX_COMMIT), num(d, 1));
        if (op == 1)   /* the dry run took a table it covered whole to hold a mapping */
            lb_assign(&b, txf(d, &b, tx, TX_FOUND), num(d, 0));
        lb_set(&b, s, call(d, walk, &g));
        if (op == 1) {
            lb_comment(&b, "only empty tables were in the range (a loaded image): nothing changed");
            lb_if(&b, land(d, eq(d, LV(&b, s), status(d, LIR_OK)), lx_not(m, txf(d, &b, tx, TX_FOUND))));
            lb_set(&b, s, status(d, LIR_ENOENT));
            lb_end(&b);
        }
        if (d->root_cache && op == 0) {
            lb_if(&b, txf(d, &b, tx, TX_ROOT_CHANGED));
            lb_assign(&b, lx_field(m, LV(&b, ctx), d->ctx_cached), num(d, 0));
            lb_end(&b);
        }
        if (opt) {   /* (the dry run rules a failure out) */
            lb_if(&b, ne(d, LV(&b, s), status(d, LIR_OK)));
            undo_all(d, &b, tx, va0, total);
            lb_end(&b);
        }
        lb_expr(&b, lx_callv(m, d->flush, lx_addr(m, LV(&b, tx)), NULL));
        lb_expr(&b, lx_callv(m, d->release, lx_addr(m, LV(&b, tx)), NULL));
        lb_if(&b, eq(d, LV(&b, s), status(d, LIR_OK)));
        set_out(d, &b, done, LV(&b, opt ? total : size));
        lb_end(&b);
        lb_ret(&b, LV(&b, s));
        lir_place(m, f);
        lir_place(m, pub);
        set_op(d, op, pub);
    }

    /* the root's variant that points at a table, if any */
    const IrUnit *rt = NULL;
    for (int i = 0; i < nrv && !rt; i++)
        if (rv[i]->child)
            rt = rv[i];

    /* resolve */
    walk_api(d, space);
    f = resolve_fn(d, "resolve_to", LINK_EXPORT);
    {
        int ctx = 0, pa = 2, flags = 3, psz = 4;
        va = 1;
        lb_begin(&b, m, f);
        /* va >= space as (va >> lo) >= space >> lo, lo the first table's
         * index shift: the compiler then shares the shift with that
         * table's index (x86-64: one instruction less on every resolve) */
        const IrUnit *t1 = r->kind == IR_TABLE ? r : rt && rt->child->kind == IR_TABLE ? rt->child : NULL;
        unsigned lo = t1 && t1->index_lo < 64 && !(space & mask_of(t1->index_lo)) ? t1->index_lo : 0;
        if (space)
            ret_if(&b, lx_bin(m, OP_GE, lo ? lx_bin(m, OP_SHR, LV(&b, va), num(d, lo)) : LV(&b, va), num(d, space >> lo)),
                   status(d, LIR_EINVAL));
        if (d->root_cache) {
            LFn *g = resolve_reg_fn(d, f);
            Args a = { .n = 0 };
            for (int i = 0; i < 5; i++)
                arg(&a, LV(&b, i));
            ret_if(&b, lx_not(m, lx_field(m, LV(&b, ctx), d->ctx_cached)), call(d, g, &a));
        }
        LExpr **cps = ctx_params(d, &b, ctx);
        /* the general walk: a straight fast path, as map has, was no
         * faster (bench/driver_bench.sh) and doubled the JIT's work */
        Args a = { .n = 0 };
        arg(&a, lx_field(m, LV(&b, ctx), d->ctx_env));
        argv_(&a, cps, r->params.len);
        arg(&a, LV(&b, va));
        /* the walk writes them at its leaf, on success only */
        arg(&a, LV(&b, pa));
        arg(&a, LV(&b, flags));
        arg(&a, LV(&b, psz));
        if (d->root_cache)
            arg(&a, lx_field(m, LV(&b, ctx), d->ctx_raw));
        lb_ret(&b, call(d, wr->rresolve, &a));
        lir_place(m, f);
        d->lr->resolve = resolve_api(d, f);
    }

    /* init: a fresh, empty table under a root that points at one */
    if (!(rt && r->kind == IR_SEGMENT && rt->prog[SYN_MAP]))
        return;
    const IrUnit *C = rt->child;
    uint64_t rspan = rt->map_size;
    f = api_fn(d, "init", LK_STATUS);
    {
        int ctx = 0;
        int t = lir_local(m, f, "t", lt(LK_U64));
        lb_begin(&b, m, f);
        LExpr *env = lx_field(m, LV(&b, ctx), d->ctx_env);
        LExpr **cps = ctx_params(d, &b, ctx);
        ret_if(&b, lx_not(m, lx_env(m, LENV_ALLOC_TABLE, 0, 0, env, num(d, C->table_bytes), num(d, C->table_bytes),
                                    lx_addr(m, LV(&b, t)), NULL)),
               status(d, LIR_ENOMEM));
        lb_if(&b, ne(d, u_prog(d, rt, 2, SYN_MAP, env, cps, num(d, 0), num(d, rspan), lx_numk(m, 0, LK_FLAGS), LV(&b, t)),
                     status(d, LIR_OK)));
        lb_expr(&b, lx_env(m, LENV_FREE_TABLE, 0, 0, env, LV(&b, t), num(d, C->table_bytes), NULL));
        lb_ret(&b, status(d, LIR_EINVAL));
        lb_end(&b);
        if (d->root_cache) {
            lb_assign(&b, lx_field(m, LV(&b, ctx), d->ctx_raw),
                      lx_env(m, LENV_REG_READ, 0, (unsigned)ir_reg_id(m->ir, d->root_field), env, NULL));
            lb_assign(&b, lx_field(m, LV(&b, ctx), d->ctx_cached), num(d, 1));
        }
        lb_ret(&b, status(d, LIR_OK));
        lir_place(m, f);
        d->lr->init = f;
    }
    /* fini: unmap everything, then free the root's table */
    f = api_fn(d, "fini", LK_VOID);
    {
        int ctx = 0;
        int st = lir_local(m, f, "st", lt_rec(ufns(d, rt)->state));
        int t = lir_local(m, f, "t", lt(LK_U64));
        int ci = tab_id(d, C);
        bool fast = d->opt && d->ntabs && d->tabs[ci] == C;
        int tx = fast ? lir_local(m, f, "tx", lt_rec(d->tx)) : -1;
        lb_begin(&b, m, f);
        LExpr *env = lx_field(m, LV(&b, ctx), d->ctx_env);
        LExpr **cps = ctx_params(d, &b, ctx);
        LExpr *sp = lx_addr(m, LV(&b, st));
        uint64_t all = rspan & ~mask_of(minp);
        if (fast) {
            /* the tables, one word per entry, are the undo's: unlink each
             * entry of the root's table, then free what hung below it once
             * one invalidation of the whole space has covered it (no
             * entry below needs writing: its table goes) */
            lb_expr(&b, u_load(d, rt, env, cps, sp));
            ret_if(&b, lx_not(m, u_vtranslate(d, rt, sp, cps, num(d, 0), lx_addr(m, LV(&b, t)))), NULL);
            tx_init(d, &b, tx, ctx);
            lb_assign(&b, txf(d, &b, tx, TX_NDEFER), num(d, 0));
            LExpr *txp = lx_addr(m, LV(&b, tx));
            lb_expr(&b, lx_callv(m, d->pend, txp, num(d, 0), num(d, all), NULL));
            lb_expr(&b, lx_callv(m, d->undo_run[ci], txp, LV(&b, t), num(d, 0), num(d, C->entries), NULL));
            lb_expr(&b, lx_callv(m, d->flush, txp, NULL));
            lb_expr(&b, lx_env(m, LENV_FREE_TABLE, 0, 0, env, LV(&b, t), num(d, C->table_bytes), NULL));
        } else {
            lb_expr(&b, lx_callv(m, d->lr->unmap, LV(&b, ctx), num(d, 0), num(d, all), lx_numk(m, 0, LK_PTR), NULL));
            lb_expr(&b, u_load(d, rt, env, cps, sp));
            lb_if(&b, u_vtranslate(d, rt, sp, cps, num(d, 0), lx_addr(m, LV(&b, t))));
            lb_expr(&b, lx_env(m, LENV_FREE_TABLE, 0, 0, env, LV(&b, t), num(d, C->table_bytes), NULL));
            lb_end(&b);
        }
        lir_place(m, f);
        d->lr->fini = f;
    }
}

/* ---- a root that is one segment ------------------------------------------------------
 *
 * A segment (base/limit, an MPU region, a window) maps a range of any
 * size its requires allow, not pages: map passes [va, va + size) to the
 * segment's program as it is; an identical mapping is accepted, another
 * one is EEXIST. unmap and protect act on the whole segment, so a range
 * that leaves part of it mapped (the byte before va or at va + size still
 * translates) is EINVAL: a segment cannot be split. */

static void seg_root_api(Drv *d)
{
    LModule *m = d->m;
    const IrUnit *r = d->root;
    uint64_t space = r->inbits >= 64 ? 0 : (uint64_t)1 << r->inbits;
    LB b;
    for (int op = 0; op < 3; op++) {
        static const char *const names[] = { "map", "unmap", "protect" };
        SynthOpKind k = op == 0 ? SYN_MAP : op == 1 ? SYN_UNMAP : SYN_PROTECT;
        LFn *f = api_fn(d, names[op], LK_STATUS);
        int ctx = 0;
        int va = lir_param(m, f, "va", lt(LK_U64));
        int size = lir_param(m, f, "size", lt(LK_U64));
        int flags = op != 1 ? lir_param(m, f, "flags", lt(LK_FLAGS)) : -1;
        int pa = op == 0 ? lir_param(m, f, "pa", lt(LK_U64)) : -1;
        int done = lir_param(m, f, "done", lt_ptr(LK_U64));
        int st = lir_local(m, f, "st", lt_rec(ufns(d, r)->state));
        int cur = lir_local(m, f, "cur", lt(LK_U64));
        lb_begin(&b, m, f);
        LExpr *env = lx_field(m, LV(&b, ctx), d->ctx_env);
        LExpr **ps = ctx_params(d, &b, ctx);
        LExpr *sp = lx_addr(m, LV(&b, st));
        LExpr *fl = flags >= 0 ? LV(&b, flags) : NULL;
        LExpr *last = lx_bin(m, OP_SUB, add(d, LV(&b, va), LV(&b, size)), num(d, 1));
        set_out(d, &b, done, num(d, 0));
        LExpr *bad = lor(d, eq(d, LV(&b, size), num(d, 0)), lx_bin(m, OP_LT, add(d, LV(&b, va), LV(&b, size)), LV(&b, va)));
        if (op == 0)
            bad = lor(d, bad, lx_bin(m, OP_LT, add(d, LV(&b, pa), LV(&b, size)), LV(&b, pa)));
        if (space)
            bad = lor(d, bad, lx_bin(m, OP_GT, add(d, LV(&b, va), LV(&b, size)), num(d, space)));
        ret_if(&b, bad, status(d, LIR_EINVAL));
        lb_expr(&b, u_load(d, r, env, ps, sp));
        if (op == 0) {
            ret_if(&b, lx_not(m, u_prog(d, r, 0, k, env, ps, LV(&b, va), LV(&b, size), fl, LV(&b, pa))),
                   status(d, LIR_EINVAL));
            /* identical: the first and the last byte land where asked,
             * with the flags asked */
            lb_if(&b, u_valid(d, r, sp, ps));
            LExpr *same = land(d, u_translate(d, r, sp, ps, LV(&b, va), lx_addr(m, LV(&b, cur))),
                               land(d, eq(d, LV(&b, cur), LV(&b, pa)),
                                    land(d, u_translate(d, r, sp, ps, last, lx_addr(m, LV(&b, cur))),
                                         land(d, eq(d, LV(&b, cur), lx_bin(m, OP_SUB, add(d, LV(&b, pa), LV(&b, size)), num(d, 1))),
                                              u_matchflags(d, r, sp, ps, fl)))));
            ret_if(&b, lx_not(m, same), status(d, LIR_EEXIST));
            set_out(d, &b, done, LV(&b, size));
            lb_ret(&b, status(d, LIR_OK));
            lb_end(&b);
        } else {
            ret_if(&b, lx_not(m, land(d, u_valid(d, r, sp, ps),
                                      u_translate(d, r, sp, ps, LV(&b, va), lx_addr(m, LV(&b, cur))))),
                   status(d, LIR_ENOENT));
            lb_comment(&b, "a segment is not split: the range must cover all of it");
            LExpr *before = land(d, ne(d, LV(&b, va), num(d, 0)),
                                 u_translate(d, r, sp, ps, lx_bin(m, OP_SUB, LV(&b, va), num(d, 1)), lx_addr(m, LV(&b, cur))));
            LExpr *after = u_translate(d, r, sp, ps, add(d, LV(&b, va), LV(&b, size)), lx_addr(m, LV(&b, cur)));
            ret_if(&b, lor(d, before, after), status(d, LIR_EINVAL));
            ret_if(&b, lx_not(m, u_prog(d, r, 0, k, env, ps, LV(&b, va), LV(&b, size), fl, NULL)), status(d, LIR_EINVAL));
            if (op == 2) {
                lb_if(&b, u_matchflags(d, r, sp, ps, fl));
                set_out(d, &b, done, LV(&b, size));
                lb_ret(&b, status(d, LIR_OK));
                lb_end(&b);
            }
        }
        lb_expr(&b, u_prog(d, r, 1, k, env, ps, LV(&b, va), LV(&b, size), fl, op == 0 ? LV(&b, pa) : NULL));
        lb_expr(&b, lx_env(m, LENV_TLB_INVAL, 0, 0, env, LV(&b, va), LV(&b, size), NULL));
        set_out(d, &b, done, LV(&b, size));
        lb_ret(&b, status(d, LIR_OK));
        lir_place(m, f);
        set_op(d, op, f);
    }
    walk_api(d, space);
    LFn *f = resolve_fn(d, "resolve_to", LINK_EXPORT);
    int ctx = 0, va = 1, pa = 2, flags = 3, psz = 4;
    int st = lir_local(m, f, "st", lt_rec(ufns(d, r)->state));
    int t = lir_local(m, f, "t", lt(LK_U64));
    lb_begin(&b, m, f);
    LExpr *env = lx_field(m, LV(&b, ctx), d->ctx_env);
    LExpr **ps = ctx_params(d, &b, ctx);
    LExpr *sp = lx_addr(m, LV(&b, st));
    if (space)
        ret_if(&b, lx_bin(m, OP_GE, LV(&b, va), num(d, space)), status(d, LIR_EINVAL));
    lb_expr(&b, u_load(d, r, env, ps, sp));
    ret_if(&b, lx_not(m, u_vtranslate(d, r, sp, ps, LV(&b, va), lx_addr(m, LV(&b, t)))),
           status(d, LIR_ENOENT));
    lb_assign(&b, lx_deref(m, LV(&b, pa)), LV(&b, t));
    lb_assign(&b, lx_deref(m, LV(&b, flags)), u_flags(d, r, sp));
    lb_comment(&b, "a segment has no pages: the size is the unit's span");
    lb_assign(&b, lx_deref(m, LV(&b, psz)), num(d, r->inbits >= 64 ? 0 : (uint64_t)1 << r->inbits));
    lb_ret(&b, status(d, LIR_OK));
    lir_place(m, f);
    d->lr->resolve = resolve_api(d, f);
}

/* A root that is a table-pointer segment, or a table reached through it,
 * or a plain segment. */
static void root_driver(LModule *m, const IrUnit *r)
{
    Drv *d = arena_alloc(m->a, sizeof *d);
    d->m = m;
    d->a = m->a;
    d->root = r;
    d->R = arena_printf(m->a, "%s_%s_drv", m->ir->prefix, r->cname);
    if (r->kind == IR_TABLE ? !table_ok(r, 0) : !entry_ok(r, 0)) {
        vec_push(m->a, &m->no_driver, (void *)r);
        vec_push(m->a, &m->no_driver_why,
                 "vrsc generates range drivers for roots that are segments whose tables "
                 "are memory-backed staticmaps of segments or enums of segments");
        return;
    }
    collect_tables(r, d->tabs, &d->ntabs, 0);
    for (int i = 0; i < d->ntabs; i++) {
        const IrUnit *t = d->tabs[i], *v = zero_valid(m->a, t->elem);
        if (v && !(t == r && r->kind == IR_TABLE)) {
            vec_push(m->a, &m->no_driver, (void *)r);
            vec_push(m->a, &m->no_driver_why,
                     arena_printf(m->a, "it would allocate %s tables zeroed and take every entry "
                                        "of a new one to be empty, but a zeroed %s is valid",
                                  t->name, v->name));
            return;
        }
    }
    /* a root register read through a hook: the context keeps a copy */
    if (r->kind == IR_SEGMENT) {
        const SFieldIO *one = lir_single_read(r);
        if (one && one->field->kind == FIELD_REG) {
            d->root_cache = true;
            d->root_field = one->field;
        }
    }
    d->lr = arena_alloc(m->a, sizeof *d->lr);
    d->lr->unit = r;
    d->lr->name = d->R;
    vec_push(m->a, &m->roots, d->lr);

    /* the context (public) and the transaction (internal) */
    LRec *ctx = d->ctx = lir_rec(m, arena_printf(m->a, "%s_ctx", d->R), true, r->loc);
    ctx->comment = arena_printf(m->a, "the %s root driver (docs/driver.md)", r->name);
    d->ctx_env = lir_rec_field(m, ctx, "env", LK_ENV, (Loc){ 0 });
    VEC_FOREACH(const char *, p, r->params)
        d->ctx_params[p_i] = lir_rec_field(m, ctx, p, LK_U64, (Loc){ 0 });
    if (d->root_cache) {
        d->ctx_raw = lir_rec_field(m, ctx, "root_raw", LK_U64, (Loc){ 0 });
        d->ctx_cached = lir_rec_field(m, ctx, "root_cached", LK_U64, (Loc){ 0 });
    }
    d->lr->ctx = ctx;
    LRec *tx = d->tx = lir_rec(m, arena_printf(m->a, "%s_tx", d->R), false, r->loc);
    tx->comment = "one call: dry run (commit 0), commit (1), single-page fast path (2),\n"
                  "which gives up with RETRY before its first write if it would need a\n"
                  "table or a split, or optimistic map (3), which logs what it writes\n"
                  "into tables that existed and stops with RETRY at tx.stop where it\n"
                  "cannot (docs/driver.md)";
    static const char *const txn[] = { "env", "commit", "found", "tlb_lo", "tlb_hi", "cleared", "hint",
                                       "root_raw", "root_cached", "root_changed", "ndefer" };
    for (int i = 0; i < TX_NEED0; i++)
        lir_rec_field(m, tx, txn[i], i == TX_ENV ? LK_ENV : LK_U64, (Loc){ 0 });
    int n = d->ntabs ? d->ntabs : 1;
    for (int i = 0; i < n; i++)
        lir_rec_field(m, tx, arena_printf(m->a, "need%d", i), LK_U64, (Loc){ 0 });
    for (int i = 0; i < n; i++)
        lir_rec_field(m, tx, arena_printf(m->a, "pool%d", i), LK_U64, (Loc){ 0 });
    for (int j = 0; d->ntabs && j < NDEFER; j++) {
        d->tx_defer[j][0] = lir_rec_field(m, tx, arena_printf(m->a, "d%d_tab", j), LK_U64, (Loc){ 0 });
        d->tx_defer[j][1] = lir_rec_field(m, tx, arena_printf(m->a, "d%d_bytes", j), LK_U64, (Loc){ 0 });
    }
    d->opt = !(r->kind == IR_SEGMENT && !r->child) && opt_ok(d);
    if (d->opt)
        opt_fields(d);

    if (r->kind == IR_SEGMENT && !r->child) {
        declare_walk(d, r);
        seg_root_api(d);
        return;
    }
    tx_helpers(d);
    if (d->opt)
        undo_helpers(d);
    declare_walk(d, r);
    if (r->kind == IR_TABLE) {
        table_fns(d, r);
        walk_fns(d, r->elem, 1);
    } else {
        walk_fns(d, r, 0);
    }
    fast_paths(d, min_page(r, 0));
    root_api(d);
}

void lir_lower_drivers(LModule *m)
{
    VEC_FOREACH(const IrUnit *, r, m->ir->roots)
        root_driver(m, r);
}
