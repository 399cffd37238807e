/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit_drv.c - range drivers: map/unmap/protect/resolve over whole address
 * ranges for every root of the composition (docs/driver.md).
 *
 * Input: the IR's composition (tables, choices, table-pointer and leaf
 * segments) and the per-unit functions emit_c.c generates. Output, per
 * root, C code that walks the levels:
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
 *     their own first word, so the driver needs no memory of its own.
 * Roots whose composition does not fit this shape get the per-unit
 * functions only, and a comment says why.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "emit_c_impl.h"

/* The shape the driver handles. */
static bool entry_ok(const IrUnit *x, int depth);

static bool table_ok(const IrUnit *t, int depth)
{
    return t && t->kind == IR_TABLE && t->elem && t->elem_args.len == t->elem->params.len
           && t->table_bytes && depth < 16 && entry_ok(t->elem, depth + 1);
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
    if (x->kind != IR_CHOICE || !x->variants.len)
        return false;
    VEC_FOREACH(const IrUnit *, v, x->variants)
        if (!seg_ok(v, depth) || v->params.len != x->params.len)
            return false;
    return true;
}

/* Variants of an entry: a choice's, or the segment itself. */
static void variants(const IrUnit *x, const IrUnit **out, int *n)
{
    *n = 0;
    if (x->kind == IR_SEGMENT) {
        out[(*n)++] = x;
        return;
    }
    VEC_FOREACH(const IrUnit *, v, x->variants)
        if (*n < 16)
            out[(*n)++] = v;
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
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    for (int i = 0; i < nv; i++)
        collect_tables(vs[i]->child, tabs, n, depth + 1);
}

typedef struct Drv {
    Emit          *e;
    const IrUnit  *root;
    const char    *R;          /* the root's function prefix: x86_64_x8664_cr3 */
    const IrUnit  *tabs[64];
    int            ntabs;
    bool           fast;        /* single-page fast paths were emitted */
    const char    *root_read;   /* the root register read, when the context
                                   caches it (NULL: no cache) */
} Drv;

static int tab_id(const Drv *d, const IrUnit *t)
{
    for (int i = 0; i < d->ntabs; i++)
        if (d->tabs[i] == t)
            return i;
    return -1;
}

static const char *fname(Drv *d, const IrUnit *u, const char *what)
{
    return arena_printf(d->e->a, "%s_%s_%s", d->R, u->cname, what);
}

/* Unit functions emitted by emit_c.c. */
static const char *ufn(Drv *d, const IrUnit *u, const char *what)
{
    return arena_printf(d->e->a, "%s_%s_%s", d->e->prefix, u->cname, what);
}

/* "p0, p1" call arguments of an entry's params, named after the entry. */
static const char *pargs(Drv *d, const IrUnit *u)
{
    return param_args(d->e, u);
}

static const char *pdecl(Drv *d, const IrUnit *u)
{
    return param_decl(d->e, u);
}

/* Is t ever freed (some entry pointing at it can be unmapped)? Only then
 * does it need an emptiness check. */
static bool table_freed(const Drv *d, const IrUnit *t)
{
    VEC_FOREACH(const IrUnit *, u, d->e->ir->units)
        if (u->kind == IR_SEGMENT && u->child == t && u->prog[SYN_UNMAP])
            return true;
    return false;
}

static void table_protos(Drv *d, const IrUnit *t, int depth);

/* The map, unmap/protect and resolve walks of one entry or table. */
static void walk_protos(Drv *d, const IrUnit *u)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const char *S = arena_printf(e->a, "%s_status", e->prefix);
    const char *tx = arena_printf(e->a, "%s_tx *tx", d->R);
    eb_printf(c, "static inline %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt);\n",
              S, fname(d, u, "rmap"), tx, pdecl(d, u), e->prefix);
    eb_printf(c, "static inline %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt);\n",
              S, fname(d, u, "runmap"), tx, pdecl(d, u), e->prefix);
    eb_printf(c, "static inline %s %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz);\n",
              S, fname(d, u, "rresolve"), pdecl(d, u), e->prefix);
}

/* Declarations of the recursive functions (tables and entries call each
 * other). */
static void protos(Drv *d, const IrUnit *x, int depth)
{
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    walk_protos(d, x);
    for (int i = 0; i < nv; i++) {
        const IrUnit *t = vs[i]->child;
        if (t && depth <= 16)
            table_protos(d, t, depth + 1);
    }
}

/* The entry's element params computed from a table's params and index. */
static void elem_params(Drv *d, const IrUnit *t, const char *idx)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    VEC_FOREACH(const Sx *, a, t->elem_args) {
        eb_printf(c, "        uint64_t e_%s = ", (const char *)t->elem->params.items[a_i]);
        ExCtx cx = { "st.", idx, "" };
        emit_expr(e, c, a, &cx);
        eb_put(c, ";\n");
    }
}

static const char *eargs(Drv *d, const IrUnit *t)
{
    char *s = arena_strdup(d->e->a, "");
    VEC_FOREACH(const char *, p, t->elem->params)
        s = arena_printf(d->e->a, "%s, e_%s", s, p);
    return s;
}

/* ---- tables ------------------------------------------------------------------------- */

/* `while (len)`: the entry i and the piece [sub, sub + n) of it that
 * [off, off + len) covers, with the entry's params e_*. */
static void piece_loop(Drv *d, const IrUnit *t, unsigned lo, uint64_t span)
{
    eb_printf(&d->e->c, "    while (len) {\n"
                        "        uint64_t i = off >> %u, sub = off & UINT64_C(0x%" PRIx64 ");\n"
                        "        uint64_t n = UINT64_C(0x%" PRIx64 ") - sub;\n"
                        "        if (n > len)\n            n = len;\n",
              lo, span - 1, span);
    elem_params(d, t, "i");
}

static void table_fns(Drv *d, const IrUnit *t)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const IrUnit *x = t->elem;
    unsigned lo = t->index_lo;
    uint64_t span = (uint64_t)1 << lo;
    const char *tx = arena_printf(e->a, "%s_tx *tx", d->R);

    /* empty: no entry of any variant is valid */
    if (table_freed(d, t)) {
    eb_printf(c, "\n/* %s: is every entry empty? */ %s\nstatic inline bool %s(struct vrs_env *env%s, uint64_t hint)\n{\n",
              t->name, loc_str(e, t->loc), fname(d, t, "empty"), pdecl(d, t));
    /* outward from the entry that was just cleared: its neighbours are the
     * likeliest to be in use */
    eb_printf(c, "    for (uint64_t k = 0; k < %" PRIu64 "u; k++) {\n"
                 "        uint64_t i = (k & 1) ? hint - (k + 1) / 2 : hint + k / 2;\n"
                 "        if (i >= %" PRIu64 "u)\n            continue;\n",
              2 * t->entries, t->entries);
    elem_params(d, t, "i");
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    for (int i = 0; i < nv; i++) {
        eb_printf(c, "        {\n            %s_%s_state st;\n            %s(env%s, &st);\n"
                     "            if (%s(&st%s))\n                return false;\n        }\n",
                  e->prefix, vs[i]->cname, ufn(d, vs[i], "load"), eargs(d, t), ufn(d, vs[i], "valid"),
                  eargs(d, t));
    }
    eb_put(c, "    }\n    return true;\n}\n");
    }

    /* map: one piece per entry */
    eb_printf(c, "\n%s\nstatic inline %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt)\n{\n",
              loc_str(e, t->loc), e->prefix, fname(d, t, "rmap"), tx, pdecl(d, t), e->prefix);
    piece_loop(d, t, lo, span);
    eb_printf(c, "        %s_status s = %s(tx%s, vbase + (i << %u), sub, n, flgs, pa, virt);\n"
                 "        if (s != %s_OK)\n            return s;\n"
                 "        off += n;\n        pa += n;\n        len -= n;\n    }\n    return %s_OK;\n}\n",
              e->prefix, fname(d, x, "rmap"), eargs(d, t), lo, e->P, e->P);

    /* unmap / protect */
    eb_printf(c, "\n%s\nstatic inline %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt)\n{\n",
              loc_str(e, t->loc), e->prefix, fname(d, t, "runmap"), tx, pdecl(d, t), e->prefix);
    piece_loop(d, t, lo, span);
    eb_printf(c, "        uint64_t cleared = tx->cleared;\n"
                 "        %s_status s = %s(tx%s, vbase + (i << %u), sub, n, flgs, prot, virt);\n"
                 "        if (s != %s_OK)\n            return s;\n"
                 "        if (tx->cleared != cleared)\n            tx->hint = i;\n"
                 "        off += n;\n        len -= n;\n    }\n    return %s_OK;\n}\n",
              e->prefix, fname(d, x, "runmap"), eargs(d, t), lo, e->P, e->P);

    /* resolve */
    eb_printf(c, "\n%s\nstatic inline %s_status %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz)\n{\n",
              loc_str(e, t->loc), e->prefix, fname(d, t, "rresolve"), pdecl(d, t), e->prefix);
    eb_printf(c, "    {\n        uint64_t i = off >> %u;\n", lo);
    elem_params(d, t, "i");
    eb_printf(c, "        return %s(env%s, off & UINT64_C(0x%" PRIx64 "), pa, flags, psz);\n    }\n}\n",
              fname(d, x, "rresolve"), eargs(d, t), span - 1);
}

/* ---- entries ------------------------------------------------------------------------ */

/* The read expression every variant of x decodes its state from, if they
 * all read the same single interface field (one load per entry), else
 * NULL. In the walk functions the env is `tx->env` or `env`. */
static const char *shared_raw_env(Drv *d, const IrUnit *x, const char *envname)
{
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    const char *first = NULL;
    for (int i = 0; i < nv; i++) {
        const SFieldIO *one = single_read(vs[i]);
        if (!one)
            return NULL;
        const char *r = io_read(d->e, one->field, "");
        if (first && strcmp(first, r) != 0)
            return NULL;
        first = r;
    }
    if (!first || strncmp(first, "vrs_", 4) != 0)
        return first;
    /* io_read spells the env `env` */
    const char *p = strstr(first, "(env");
    if (!p)
        return first;
    return arena_printf(d->e->a, "%.*s(%s%s", (int)(p - first), first, envname, p + 4);
}

static const char *shared_raw(Drv *d, const IrUnit *x)
{
    return shared_raw_env(d, x, "tx->env");
}

/* Classify an entry: sets `kind` (0 empty, 1 leaf, 2 table), `v` (the
 * variant) and, for a table, `child`; loads each variant's state. */
static void classify(Drv *d, const IrUnit *x, const char *virt_cond)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    eb_put(c, "    int kind = 0, v = -1;\n    uint64_t child = 0, tpa = 0;\n"
              "    (void)child;\n    (void)tpa;\n    (void)v;\n");
    for (int i = 0; i < nv; i++)
        eb_printf(c, "    %s_%s_state st%d = { 0 };\n", e->prefix, vs[i]->cname, i);
    eb_printf(c, "    if (!(%s)) {\n", virt_cond);
    const char *raw = shared_raw(d, x);
    if (raw && x == d->root && d->root_read)
        raw = arena_printf(e->a, "tx->root_cached ? tx->root_raw : %s", raw);
    if (raw)
        eb_printf(c, "        uint64_t raw = %s;\n", raw);
    for (int i = 0; i < nv; i++) {
        if (raw)
            eb_printf(c, "        %s(raw, &st%d);\n", ufn(d, vs[i], "decode"), i);
        else
            eb_printf(c, "        %s(tx->env%s, &st%d);\n", ufn(d, vs[i], "load"), pargs(d, x), i);
        eb_printf(c, "        if (kind == 0 && %s(&st%d%s) && %s(&st%d%s, off, &tpa)) {\n"
                     "            kind = %d;\n            v = %d;\n%s        }\n",
                  ufn(d, vs[i], "valid"), i, pargs(d, x), ufn(d, vs[i], "translate"), i, pargs(d, x),
                  vs[i]->child ? 2 : 1, i, vs[i]->child ? "            child = tpa;\n" : "");
    }
    /* valid, but not for this input (outside the entry's domain): never
     * "empty", which would overwrite it */
    eb_put(c, "        if (kind == 0) {\n");
    for (int i = 0; i < nv; i++)
        eb_printf(c, "            if (%s(&st%d%s))\n                kind = -1;\n", ufn(d, vs[i], "valid"), i,
                  pargs(d, x));
    eb_put(c, "        }\n    }\n");
    eb_printf(c, "    if (kind < 0)\n        return %s_EINVAL;\n", e->P);
}

/* `if (kind == 1) return (leaf maps `at` to pa with flgs) ? OK : EEXIST;` */
static void same_leaf(Drv *d, const IrUnit *x, const char *at, const char *ind)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    eb_printf(c, "%sif (kind == 1) {\n%s    uint64_t cur = 0;\n%s    bool same = false;\n%s    (void)cur;\n",
              ind, ind, ind, ind);
    for (int i = 0; i < nv; i++) {
        if (vs[i]->child)
            continue;
        eb_printf(c, "%s    if (v == %d)\n%s        same = %s(&st%d%s, %s, &cur) && cur == pa && %s(&st%d%s, flgs);\n",
                  ind, i, ind, ufn(d, vs[i], "translate"), i, pargs(d, x), at, ufn(d, vs[i], "matchflags"),
                  i, pargs(d, x));
    }
    eb_printf(c, "%s    return same ? %s_OK : %s_EEXIST;\n%s}\n", ind, e->P, e->P, ind);
}

static void entry_fns(Drv *d, const IrUnit *x)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    uint64_t span = (uint64_t)1 << x->inbits;
    const char *tx = arena_printf(e->a, "%s_tx *tx", d->R);
    int leaf = -1, table = -1;
    for (int i = 0; i < nv; i++) {
        if (!vs[i]->child && leaf < 0)
            leaf = i;
        if (vs[i]->child && table < 0)
            table = i;
    }
    const IrUnit *L = leaf >= 0 ? vs[leaf] : NULL, *T = table >= 0 ? vs[table] : NULL;
    const IrUnit *C = T ? T->child : NULL;
    int cid = C ? tab_id(d, C) : -1;

    /* ---- map ---- */
    eb_printf(c, "\n/* %s: map [off, off+len) of this entry to pa */ %s\n"
                 "static inline %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt)\n{\n",
              x->name, loc_str(e, x->loc), e->prefix, fname(d, x, "rmap"), tx, pdecl(d, x), e->prefix);
    eb_put(c, "    (void)vbase;\n    (void)tx;\n");
    classify(d, x, "virt");
    eb_printf(c, "    bool whole = off == 0 && len == UINT64_C(0x%" PRIx64 ");\n    (void)whole;\n", span);
    if (L) {
        eb_printf(c, "    if (whole && kind != 2 && %s(tx->env%s, 0, len, flgs, pa)) {\n",
                  ufn(d, L, "map_ok"), pargs(d, x));
        /* identical mapping: accepted; different: in the way */
        same_leaf(d, x, "0", "        ");
        eb_printf(c, "        if (tx->commit)\n            %s(tx->env%s, 0, len, flgs, pa);\n"
                     "        return %s_OK;\n    }\n",
                  ufn(d, L, "map_do"), pargs(d, x), e->P);
    }
    if (T) {
        same_leaf(d, x, "off", "    ");
        eb_printf(c, "    if (kind == 0) {\n"
                     "        if (!tx->commit) {\n"
                     "            tx->need[%d]++;\n"
                     "            return %s(tx%s, vbase, off, len, flgs, pa, 1);\n"
                     "        }\n"
                     "        if (tx->commit == 2 || !tx->pool[%d])\n"
                     "            return %s_RETRY_;   /* needs a table: the two-pass path */\n"
                     "        child = tx->pool[%d];\n"
                     "        tx->pool[%d] = vrs_mem_read64(tx->env, child);\n"
                     "        vrs_mem_write64(tx->env, child, 0);\n"
                     "        if (%s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs, child) != %s_OK)\n"
                     "            return %s_EINVAL;\n"
                     "%s"
                     "        return %s(tx%s, vbase, off, len, flgs, pa, 0);\n"
                     "    }\n",
                  cid, fname(d, C, "rmap"), arena_printf(e->a, ", child"), cid, e->P, cid, cid,
                  ufn(d, T, "map"), pargs(d, x), span, e->P, e->P,
                  x == d->root ? "        tx->root_changed = 1;   /* the root register was rewritten */\n" : "",
                  fname(d, C, "rmap"), ", child");
        /* an existing table: widen its rights if the new mapping needs it */
        if (T->prog[SYN_PROTECT]) {
            eb_printf(c, "    if (tx->commit && !%s(&st%d%s, flgs)) {\n", ufn(d, T, "matchflags"), table,
                      pargs(d, x));
            eb_printf(c, "        if (tx->commit == 2)\n            return %s_RETRY_;\n", e->P);
            eb_printf(c, "        %s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs);\n    }\n",
                      ufn(d, T, "protect_do"), pargs(d, x), span);
        }
        eb_printf(c, "    return %s(tx, child, vbase, off, len, flgs, pa, virt);\n}\n", fname(d, C, "rmap"));
    } else {
        eb_printf(c, "    (void)st0;\n    if (kind == 1) {\n        uint64_t cur = 0;\n"
                     "        bool same = %s(&st0%s, off, &cur) && cur == pa && %s(&st0%s, flgs);\n"
                     "        return same ? %s_OK : %s_EEXIST;\n    }\n    return %s_EINVAL;\n}\n",
                  ufn(d, L, "translate"), pargs(d, x), ufn(d, L, "matchflags"), pargs(d, x), e->P, e->P,
                  e->P);
    }

    /* ---- unmap / protect ---- */
    eb_printf(c, "\n/* %s: unmap (or protect) [off, off+len) of this entry */ %s\n"
                 "static inline %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt)\n{\n",
              x->name, loc_str(e, x->loc), e->prefix, fname(d, x, "runmap"), tx, pdecl(d, x), e->prefix);
    eb_put(c, "    (void)flgs;\n    (void)tx;\n");
    classify(d, x, "virt");
    eb_printf(c, "    bool whole = off == 0 && len == UINT64_C(0x%" PRIx64 ");\n    (void)whole;\n", span);
    eb_printf(c, "    if (virt == 2)\n        kind = 1;   /* inside a leaf being split (dry run) */\n");
    eb_printf(c, "    if (kind == 0)\n        return %s_OK;\n", e->P);
    /* leaf */
    eb_put(c, "    if (kind == 1) {\n        tx->found = 1;\n");
    eb_put(c, "        if (whole) {\n            if (!tx->commit)\n                return ");
    eb_printf(c, "%s_OK;\n", e->P);
    for (int i = 0; i < nv; i++) {
        if (vs[i]->child)
            continue;
        const IrUnit *V = vs[i];
        eb_printf(c, "            if (v == %d) {\n", i);
        eb_printf(c, "                if (prot) {\n                    if (%s(&st%d%s, flgs))\n                        return %s_OK;\n"
                     "                    %s(tx->env%s, 0, len, flgs);\n"
                     "                } else {\n"
                     "                    %s(tx->env%s, 0, len);\n"
                     "                    tx->cleared++;\n"
                     "                }\n",
                  ufn(d, V, "matchflags"), i, pargs(d, x), e->P, ufn(d, V, "protect_do"), pargs(d, x),
                  ufn(d, V, "unmap_do"), pargs(d, x));
        eb_printf(c, "                %s_tlb(tx, vbase, UINT64_C(0x%" PRIx64 "));\n            }\n", d->R, span);
    }
    eb_printf(c, "            return %s_OK;\n        }\n", e->P);
    if (T) {
        /* split: a fresh table filled with the leaf's mapping replaces it */
        eb_put(c, "        uint64_t base_pa = 0;\n        " );
        eb_printf(c, "%s_flags_t lf = 0;\n", e->prefix);
        for (int i = 0; i < nv; i++) {
            if (vs[i]->child)
                continue;
            eb_printf(c, "        if (v == %d) {\n            (void)%s(&st%d%s, 0, &base_pa);\n            lf = %s(&st%d);\n        }\n",
                      i, ufn(d, vs[i], "translate"), i, pargs(d, x), ufn(d, vs[i], "flags"), i);
        }
        /* the dry run also maps the leaf into the would-be table (virtually):
         * a large page the level below cannot express (a 4 MiB PSE-36 page
         * above 4 GiB) fails here, before anything is written */
        eb_printf(c, "        if (!tx->commit) {\n"
                     "            if (virt != 2) {\n"
                     "                int saved = tx->found;\n"
                     "                %s_status fs = %s(tx, 0, vbase, 0, UINT64_C(0x%" PRIx64 "), lf, base_pa, 1);\n"
                     "                tx->found = saved;\n"
                     "                if (fs != %s_OK)\n                    return fs == %s_EEXIST ? %s_EINVAL : fs;\n"
                     "            }\n"
                     "            tx->need[%d]++;\n"
                     "            return %s(tx, 0, vbase, off, len, flgs, prot, 2);\n"
                     "        }\n",
                  e->prefix, fname(d, C, "rmap"), span, e->P, e->P, e->P, cid, fname(d, C, "runmap"));
        eb_printf(c, "        if (tx->commit == 2 || !tx->pool[%d])\n"
                     "            return %s_RETRY_;   /* a split needs a table: the two-pass path */\n"
                     "        child = tx->pool[%d];\n"
                     "        tx->pool[%d] = vrs_mem_read64(tx->env, child);\n"
                     "        vrs_mem_write64(tx->env, child, 0);\n"
                     "        {\n"
                     "            int saved = tx->found;\n"
                     "            %s_status s = %s(tx, child, vbase, 0, UINT64_C(0x%" PRIx64 "), lf, base_pa, 0);\n"
                     "            tx->found = saved;\n"
                     "            if (s != %s_OK)\n                return s;\n"
                     "        }\n"
                     "        if (%s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), lf, child) != %s_OK)\n"
                     "            return %s_EINVAL;\n"
                     "        %s_tlb(tx, vbase, UINT64_C(0x%" PRIx64 "));\n"
                     "        kind = 2;\n",
                  cid, e->P, cid, cid, e->prefix, fname(d, C, "rmap"), span, e->P, ufn(d, T, "map"),
                  pargs(d, x), span, e->P, e->P, d->R, span);
    } else {
        eb_printf(c, "        return %s_EINVAL;   /* part of a smallest page */\n", e->P);
    }
    eb_put(c, "    }\n");
    if (T && T->prog[SYN_PROTECT]) {
        /* protect to more rights than a table entry on the way grants:
         * widen the table entry, as map does */
        eb_printf(c, "    if (prot && tx->commit && kind == 2 && !%s(&st%d%s, flgs)) {\n"
                     "        if (tx->commit == 2)\n            return %s_RETRY_;\n"
                     "        %s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs);\n    }\n",
                  ufn(d, T, "matchflags"), table, pargs(d, x), e->P, ufn(d, T, "protect_do"), pargs(d, x),
                  span);
    }
    if (T) {
        eb_printf(c, "    {\n"
                     "        uint64_t cleared = tx->cleared;\n"
                     "        %s_status s = %s(tx, child, vbase, off, len, flgs, prot, virt == 2 ? 2 : 0);\n"
                     "        (void)cleared;\n",
                  e->prefix, fname(d, C, "runmap"));
        if (T->prog[SYN_UNMAP]) {
            /* a table that unmap emptied goes: its entry first, then the
             * memory; only a table that just lost an entry can be empty */
            eb_printf(c, "        if (s != %s_OK || !tx->commit || prot || tx->cleared == cleared)\n            return s;\n"
                         "        if (%s(tx->env, child, tx->hint)) {\n",
                      e->P, fname(d, C, "empty"));
            eb_printf(c, "            %s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "));\n            tx->cleared++;\n",
                      ufn(d, T, "unmap_do"), pargs(d, x), span);
            eb_printf(c, "            %s_tlb(tx, vbase, UINT64_C(0x%" PRIx64 "));\n"
                         "            vrs_free_table(tx->env, child, %" PRIu64 "u);\n"
                         "        }\n",
                      d->R, span, C->table_bytes);
        } else {
            /* the entry cannot be unmapped (a root register): its table stays */
            eb_put(c, "        (void)prot;\n        return s;\n    }\n}\n");
        }
        if (T->prog[SYN_UNMAP])
            eb_printf(c, "        return %s_OK;\n    }\n}\n", e->P);
    } else {
        eb_printf(c, "    return %s_OK;\n}\n", e->P);
    }

    /* ---- resolve ---- */
    eb_printf(c, "\n%s\nstatic inline %s_status %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz)\n{\n",
              loc_str(e, x->loc), e->prefix, fname(d, x, "rresolve"), pdecl(d, x), e->prefix);
    const char *raw = shared_raw_env(d, x, "env");
    if (raw)
        eb_printf(c, "    uint64_t raw = %s;\n", raw);
    for (int i = 0; i < nv; i++) {
        const IrUnit *V = vs[i];
        eb_printf(c, "    {\n        %s_%s_state st;\n        uint64_t t;\n", e->prefix, V->cname);
        if (raw)
            eb_printf(c, "        %s(raw, &st);\n", ufn(d, V, "decode"));
        else
            eb_printf(c, "        %s(env%s, &st);\n", ufn(d, V, "load"), pargs(d, x));
        eb_printf(c, "        if (%s(&st%s) && %s(&st%s, off, &t)) {\n", ufn(d, V, "valid"), pargs(d, x),
                  ufn(d, V, "translate"), pargs(d, x));
        if (V->child)
            eb_printf(c, "            return %s(env, t, off, pa, flags, psz);\n", fname(d, V->child, "rresolve"));
        else
            eb_printf(c, "            *pa = t;\n            *flags = %s(&st);\n"
                         "            *psz = UINT64_C(0x%" PRIx64 ");\n            return %s_OK;\n",
                      ufn(d, V, "flags"), span, e->P);
        eb_put(c, "        }\n    }\n");
    }
    eb_printf(c, "    return %s_ENOENT;\n}\n", e->P);
}

static void walk_fns(Drv *d, const IrUnit *x, int depth);

/* A table's functions, then its entries'. */
static void table_protos(Drv *d, const IrUnit *t, int depth)
{
    walk_protos(d, t);
    if (table_freed(d, t))
        eb_printf(&d->e->c, "static inline bool %s(struct vrs_env *env%s, uint64_t hint);\n", fname(d, t, "empty"), pdecl(d, t));
    protos(d, t->elem, depth);
}

static void walk_fns(Drv *d, const IrUnit *x, int depth)
{
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    entry_fns(d, x);
    for (int i = 0; i < nv; i++) {
        const IrUnit *t = vs[i]->child;
        if (!t || depth > 16)
            continue;
        table_fns(d, t);
        walk_fns(d, t->elem, depth + 1);
    }
}

/* The smallest leaf span under x (log2), for the entry checks. */
static unsigned min_page(const IrUnit *x, int depth)
{
    unsigned best = 64;
    if (x->kind == IR_TABLE)
        return depth < 16 ? min_page(x->elem, depth + 1) : 64;
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    for (int i = 0; i < nv; i++) {
        unsigned m = vs[i]->child && depth < 16 ? min_page(vs[i]->child->elem, depth + 1) : vs[i]->inbits;
        if (m < best)
            best = m;
    }
    return best;
}


/* ---- single-page fast paths ----------------------------------------------------------
 *
 * One straight-line walk from the root to the smallest-page entry, the way
 * a hand-written driver does it: per level one load, decode, the table
 * variant's valid/translate, the index of the next table. Anything but the
 * plain case (a missing table, a large page on the way, rights to widen, a
 * table that unmap would empty) returns RETRY_ before the first write, and
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
    const IrUnit *vs[16], *tv = NULL;
    int nv;
    variants(x, vs, &nv);
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
        const IrUnit *vs[16];
        int nv;
        variants(x, vs, &nv);
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

/* The variable holding table k's (one) parameter: t2_base. */
static const char *tvar(Drv *d, const Chain *ch, int k)
{
    const IrUnit *t = ch->table[k];
    return arena_printf(d->e->a, "t%d_%s", k, t ? (const char *)t->params.items[0] : "base");
}

/* The raw read of entry x (params e<k>_*) through env `envname`, or NULL. */
static const char *raw_read_k(Drv *d, const IrUnit *x, int k, const char *envname)
{
    if (!shared_raw(d, x))
        return NULL;
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    const SFieldIO *one = single_read(vs[0]);
    const char *r = io_read(d->e, one->field, arena_printf(d->e->a, "e%d_", k));
    const char *pos = strstr(r, "(env");
    if (!pos)
        return r;
    return arena_printf(d->e->a, "%.*s(%s%s", (int)(pos - r), r, envname, pos + 4);
}

/* ", e3_base" for entry k's params */
static const char *kargs(Drv *d, const IrUnit *u, int k)
{
    char *s = arena_strdup(d->e->a, "");
    VEC_FOREACH(const char *, p, u->params)
        s = arena_printf(d->e->a, "%s, e%d_%s", s, k, p);
    return s;
}

/* Descend from the root to the last entry: declares e<k>_<param> and
 * leaves `off` as the offset inside the last entry. `op` 0 map, 1 unmap,
 * 2 protect, 3 resolve (which also accepts large leaves on the way). */
static void fast_descend(Drv *d, const Chain *ch, int op)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const char *env = "tx->env";
    /* the root's params come from the caller under their own names */
    const IrUnit *r0 = ch->entry[0];
    if (!ch->table[0]) {
        VEC_FOREACH(const char *, p, r0->params)
            eb_printf(c, "    uint64_t e0_%s = %s;\n", p, p);
    }
    for (int k = 0; k < ch->n; k++) {
        const IrUnit *t = ch->table[k], *x = ch->entry[k];
        if (t) {
            /* index into the table; the entry's params from the table's */
            uint64_t span = (uint64_t)1 << t->index_lo;
            if (k == 0)
                eb_printf(c, "    uint64_t %s = %s;\n", tvar(d, ch, 0), (const char *)t->params.items[0]);
            eb_printf(c, "    {\n        uint64_t i = off >> %u;\n        off &= UINT64_C(0x%" PRIx64 ");\n",
                      t->index_lo, span - 1);
            VEC_FOREACH(const Sx *, a, t->elem_args) {
                eb_printf(c, "        e%d_%s = ", k, (const char *)x->params.items[a_i]);
                ExCtx cx = { "st.", "i", arena_printf(e->a, "t%d_", k) };
                /* the table's one param is its base */
                Sx *arg = (Sx *)a;
                emit_expr(e, c, arg, &cx);
                eb_put(c, ";\n");
            }
            eb_put(c, "    }\n");
        }
        if (k == ch->n - 1)
            break;
        const IrUnit *tv = ch->tv[k];
        const char *raw = raw_read_k(d, x, k, "tx->env");
        if (raw && k == 0 && !ch->table[0] && d->root_read)
            raw = arena_printf(e->a, "tx->root_cached ? tx->root_raw : %s", raw);
        eb_printf(c, "    {\n        %s_%s_state st;\n", e->prefix, tv->cname);
        const char *ka = kargs(d, x, k);
        if (raw)
            eb_printf(c, "        %s(%s, &st);\n", ufn(d, tv, "decode"), raw);
        else
            eb_printf(c, "        %s(%s%s, &st);\n", ufn(d, tv, "load"), env, ka);
        eb_printf(c, "        if (!%s(&st%s) || !%s(&st%s, off, &%s))\n",
                  ufn(d, tv, "valid"), ka, ufn(d, tv, "translate"), ka, tvar(d, ch, k + 1));
        if (op == 3)
            eb_printf(c, "            return %s(tx->env%s, off, pa, flags, psz);   /* a large page, or nothing */\n",
                      fname(d, x, "rresolve"), ka);
        else
            eb_printf(c, "            return %s_RETRY_;\n", e->P);
        if (op == 0 || op == 2)
            eb_printf(c, "        if (!%s(&st%s, flgs))\n            return %s_RETRY_;   /* rights to widen */\n",
                      ufn(d, tv, "matchflags"), ka, e->P);
        eb_put(c, "    }\n");
    }
}

static void fast_decls(Drv *d, const Chain *ch)
{
    EBuf *c = &d->e->c;
    for (int k = 0; k < ch->n; k++) {
        if (k > 0 || ch->table[0])
            VEC_FOREACH(const char *, p, ch->entry[k]->params)
                eb_printf(c, "    uint64_t e%d_%s = 0;\n", k, p);
        if (k > 0)
            eb_printf(c, "    uint64_t %s = 0;\n", tvar(d, ch, k));
    }
}

static void fast_paths(Drv *d, unsigned minp)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    Chain ch;
    if (!build_chain(d->root, minp, &ch))
        return;
    d->fast = true;
    const IrUnit *L = ch.leaf, *X = ch.entry[ch.n - 1];
    int k = ch.n - 1;
    const char *ka = kargs(d, X, k);
    uint64_t S = (uint64_t)1 << minp;
    const char *rp = pdecl(d, d->root);
    const IrUnit *lt = ch.table[k];

    /* map */
    eb_printf(c, "\n/* one page: map */\nstatic inline %s_status %s_fast_map(%s_tx *tx%s, uint64_t va, %s_flags_t flgs, uint64_t pa)\n{\n"
                 "    uint64_t off = va;\n",
              e->prefix, d->R, d->R, rp, e->prefix);
    fast_decls(d, &ch);
    fast_descend(d, &ch, 0);
    eb_printf(c, "    %s_%s_state st;\n    uint64_t cur;\n", e->prefix, L->cname);
    eb_printf(c, "    %s(tx->env%s, &st);\n", ufn(d, L, "load"), ka);
    eb_printf(c, "    if (%s(&st%s) && %s(&st%s, off, &cur))\n"
                 "        return cur == pa && %s(&st%s, flgs) ? %s_OK : %s_EEXIST;\n",
              ufn(d, L, "valid"), ka, ufn(d, L, "translate"), ka, ufn(d, L, "matchflags"), ka, e->P, e->P);
    if (only_table_variant(X))
        eb_put(c, "    /* (a table here would be another variant: the general path decides) */\n");
    eb_printf(c, "    if (!%s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs, pa))\n        return %s_RETRY_;\n"
                 "    %s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs, pa);\n    return %s_OK;\n}\n",
              ufn(d, L, "map_ok"), ka, S, e->P, ufn(d, L, "map_do"), ka, S, e->P);

    /* unmap and protect */
    for (int prot = 0; prot < 2; prot++) {
        eb_printf(c, "\n/* one page: %s */\nstatic inline %s_status %s_fast_%s(%s_tx *tx%s, uint64_t va, %s_flags_t flgs)\n{\n"
                     "    uint64_t off = va;\n    (void)flgs;\n",
                  prot ? "protect" : "unmap", e->prefix, d->R, prot ? "protect" : "unmap", d->R, rp, e->prefix);
        fast_decls(d, &ch);
        fast_descend(d, &ch, prot ? 2 : 1);
        eb_printf(c, "    %s_%s_state st;\n    uint64_t cur;\n", e->prefix, L->cname);
        eb_printf(c, "    %s(tx->env%s, &st);\n", ufn(d, L, "load"), ka);
        eb_printf(c, "    if (!%s(&st%s) || !%s(&st%s, off, &cur))\n        return %s_RETRY_;   /* nothing, or another variant */\n",
                  ufn(d, L, "valid"), ka, ufn(d, L, "translate"), ka, e->P);
        eb_put(c, "    tx->found = 1;\n");
        if (prot) {
            eb_printf(c, "    if (%s(&st%s, flgs))\n        return %s_OK;\n", ufn(d, L, "matchflags"), ka, e->P);
            eb_printf(c, "    %s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs);\n", ufn(d, L, "protect_do"), ka, S);
        } else {
            /* the table must keep another entry, or the general path frees it */
            if (lt && table_freed(d, lt)) {
                eb_printf(c, "    {\n        uint64_t idx = va >> %u & UINT64_C(0x%" PRIx64 ");\n"
                             "        bool other = false;\n",
                          lt->index_lo, lt->entries - 1);
                /* scan outward for another valid entry */
                eb_printf(c, "        for (uint64_t q = 1; q < %" PRIu64 "u && !other; q++) {\n"
                             "            uint64_t j = (q & 1) ? idx + (q + 1) / 2 : idx - q / 2;\n"
                             "            if (j >= %" PRIu64 "u)\n                continue;\n",
                          2 * lt->entries, lt->entries);
                VEC_FOREACH(const Sx *, a, lt->elem_args) {
                    eb_printf(c, "            uint64_t o_%s = ", (const char *)X->params.items[a_i]);
                    ExCtx cx = { "st.", "j", arena_printf(e->a, "t%d_", k) };
                    emit_expr(e, c, a, &cx);
                    eb_put(c, ";\n");
                }
                const char *oa = arena_strdup(e->a, "");
                VEC_FOREACH(const char *, p, X->params)
                    oa = arena_printf(e->a, "%s, o_%s", oa, p);
                const IrUnit *vs[16];
                int nv;
                variants(X, vs, &nv);
                for (int i = 0; i < nv; i++)
                    eb_printf(c, "            {\n                %s_%s_state o;\n                %s(tx->env%s, &o);\n"
                                 "                other |= %s(&o%s);\n            }\n",
                              e->prefix, vs[i]->cname, ufn(d, vs[i], "load"), oa, ufn(d, vs[i], "valid"), oa);
                eb_printf(c, "        }\n        if (!other)\n            return %s_RETRY_;\n    }\n", e->P);
            }
            eb_printf(c, "    %s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "));\n", ufn(d, L, "unmap_do"), ka, S);
        }
        eb_printf(c, "    %s_tlb(tx, va, UINT64_C(0x%" PRIx64 "));\n    return %s_OK;\n}\n", d->R, S, e->P);
    }

    /* resolve */
    eb_printf(c, "\n/* resolve: the same straight walk */\nstatic inline %s_status %s_fast_resolve(%s_tx *tx%s, uint64_t va, uint64_t *pa, %s_flags_t *flags, uint64_t *psz)\n{\n"
                 "    uint64_t off = va;\n",
              e->prefix, d->R, d->R, rp, e->prefix);
    fast_decls(d, &ch);
    fast_descend(d, &ch, 3);
    eb_printf(c, "    return %s(tx->env%s, off, pa, flags, psz);\n}\n", fname(d, X, "rresolve"), ka);
}

static unsigned max_leaf_out(const IrUnit *x, int depth)
{
    unsigned best = 0;
    if (x->kind == IR_TABLE)
        return depth < 16 && x->elem ? max_leaf_out(x->elem, depth + 1) : 64;
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    for (int i = 0; i < nv; i++) {
        unsigned m = vs[i]->child && depth < 16 ? max_leaf_out(vs[i]->child, depth + 1) : vs[i]->outbits;
        if (m > best)
            best = m;
    }
    return best;
}

/* A transaction's scalar fields; the table pools are set up only where the
 * two-pass path starts (a one-page call does not pay for them). */
static void tx_init(Drv *d, EBuf *c, const char *indent)
{
    eb_printf(c, "%s%s_tx tx;\n%stx.env = ctx->env;\n%stx.commit = tx.found = 0;\n"
                 "%stx.tlb_lo = tx.tlb_hi = 0;\n%stx.cleared = tx.hint = 0;\n"
                 "%stx.root_raw = %s;\n%stx.root_cached = %s;\n%stx.root_changed = 0;\n",
              indent, d->R, indent, indent, indent, indent, indent, d->root_read ? "ctx->root_raw" : "0",
              indent, d->root_read ? "ctx->root_cached" : "0", indent);
}

static void tx_pools(Drv *d, EBuf *c)
{
    eb_printf(c, "    for (int k = 0; k < %d; k++)\n        tx.need[k] = tx.pool[k] = 0;\n",
              d->ntabs ? d->ntabs : 1);
}

/* ---- the public functions of one root ------------------------------------------------- */

static void root_api(Drv *d, bool alias)
{
    Emit *e = d->e;
    EBuf *c = &e->c, *h = &e->h;
    const IrUnit *r = d->root;
    const char *S = arena_printf(e->a, "%s_status", e->prefix);
    unsigned minp = min_page(r, 0);
    /* the input space: what the root maps (CR3 covers the canonical lower
     * half, 2^47, though VA is 48 bits wide), else 2^inbits */
    uint64_t space = r->inbits >= 64 ? 0 : (uint64_t)1 << r->inbits;
    {
        const IrUnit *rv[16];
        int nrv;
        variants(r, rv, &nrv);
        if (r->kind == IR_SEGMENT && nrv && rv[0]->prog[SYN_MAP] && rv[0]->map_size
            && (!space || rv[0]->map_size < space))
            space = rv[0]->map_size;
    }
    /* the output space: the widest leaf (PSE-36 pages reach past the 32-bit
     * root); each leaf's own requires check the rest */
    unsigned obits = max_leaf_out(r, 0);
    uint64_t ospace = obits >= 64 ? 0 : (uint64_t)1 << obits;

    /* context and transaction */
    eb_printf(h, "\n/* the %s root driver (docs/driver.md) */\n", r->name);
    eb_printf(h, "typedef struct %s_ctx {\n    struct vrs_env *env;\n", d->R);
    VEC_FOREACH(const char *, p, r->params)
        eb_printf(h, "    uint64_t %s;\n", p);
    if (d->root_read)
        eb_put(h, "    /* the root register as init last wrote it (like Linux's mm->pgd);\n"
                  "     * zero them if something else changes the register */\n"
                  "    uint64_t root_raw;\n    int      root_cached;\n");
    eb_printf(h, "} %s_ctx;\n", d->R);
    eb_printf(c, "\n/* one call: dry run (commit 0), commit (1), or single-page fast path (2),\n"
                 " * which gives up with RETRY_ before its first write if it would need a\n"
                 " * table or a split */\n"
                 "typedef struct %s_tx {\n    struct vrs_env *env;\n    int commit, found;\n"
                 "    uint64_t need[%d], pool[%d];\n    uint64_t tlb_lo, tlb_hi;\n"
                 "    uint64_t cleared, hint;   /* entries unmap cleared; the last one's index */\n"
                 "    uint64_t root_raw;        /* the context's copy of the root register */\n"
                 "    int root_cached, root_changed;\n} %s_tx;\n",
              d->R, d->ntabs ? d->ntabs : 1, d->ntabs ? d->ntabs : 1, d->R);
    /* TLB batching: adjacent ranges merge, others flush */
    eb_printf(c, "\nstatic inline void %s_tlb(%s_tx *tx, uint64_t va, uint64_t size)\n{\n"
                 "    if (!tx->commit)\n        return;\n"
                 "    if (tx->tlb_hi != tx->tlb_lo && va == tx->tlb_hi) {\n        tx->tlb_hi = va + size;\n        return;\n    }\n"
                 "    if (tx->tlb_hi != tx->tlb_lo)\n        vrs_tlb_invalidate(tx->env, tx->tlb_lo, tx->tlb_hi - tx->tlb_lo);\n"
                 "    tx->tlb_lo = va;\n    tx->tlb_hi = va + size;\n}\n",
              d->R, d->R);
    eb_printf(c, "\nstatic void %s_flush(%s_tx *tx)\n{\n"
                 "    if (tx->tlb_hi != tx->tlb_lo)\n        vrs_tlb_invalidate(tx->env, tx->tlb_lo, tx->tlb_hi - tx->tlb_lo);\n"
                 "    tx->tlb_lo = tx->tlb_hi = 0;\n}\n", d->R, d->R);
    /* allocate what the dry run counted; on failure give it all back */
    eb_printf(c, "\nstatic bool %s_prealloc(%s_tx *tx)\n{\n    (void)tx;\n", d->R, d->R);
    for (int i = 0; i < d->ntabs; i++)
        eb_printf(c, "    for (uint64_t k = 0; k < tx->need[%d]; k++) {\n"
                     "        uint64_t t;\n"
                     "        if (!vrs_alloc_table(tx->env, %" PRIu64 "u, %" PRIu64 "u, &t))\n            return false;\n"
                     "        vrs_mem_write64(tx->env, t, tx->pool[%d]);\n        tx->pool[%d] = t;\n    }\n",
                  i, d->tabs[i]->table_bytes, d->tabs[i]->table_bytes, i, i);
    eb_put(c, "    return true;\n}\n");
    eb_printf(c, "\nstatic void %s_release(%s_tx *tx)\n{\n", d->R, d->R);
    for (int i = 0; i < d->ntabs; i++)
        eb_printf(c, "    while (tx->pool[%d]) {\n        uint64_t t = tx->pool[%d];\n"
                     "        tx->pool[%d] = vrs_mem_read64(tx->env, t);\n"
                     "        vrs_mem_write64(tx->env, t, 0);\n"
                     "        vrs_free_table(tx->env, t, %" PRIu64 "u);\n    }\n",
                  i, i, i, d->tabs[i]->table_bytes);
    eb_put(c, "    (void)tx;\n}\n");

    /* the range checks every operation shares */
    eb_printf(c, "\nstatic bool %s_range_ok(uint64_t va, uint64_t size)\n{\n"
                 "    if (size == 0 || va + size < va)\n        return false;\n"
                 "    if (((va | size) & UINT64_C(0x%" PRIx64 ")) != 0)\n        return false;\n",
              d->R, mask_of(minp));
    if (space)
        eb_printf(c, "    if (va + size > UINT64_C(0x%" PRIx64 "))\n        return false;\n", space);
    eb_put(c, "    return true;\n}\n");

    const char *ctx = arena_printf(e->a, "%s_ctx *ctx", d->R);
    const char *cparams = "";
    VEC_FOREACH(const char *, p, r->params)
        cparams = arena_printf(e->a, "%s, ctx->%s", cparams, p);

    /* map */
    const char *margs = arena_printf(e->a, "%s, uint64_t va, uint64_t size, %s_flags_t flags, uint64_t pa, uint64_t *done",
                                     ctx, e->prefix);
    fn_open(e, S, arena_printf(e->a, "%s_map", d->R), margs, r->loc);
    tx_init(d, c, "    ");
    eb_printf(c, "    %s_status s;\n", e->prefix);
    eb_put(c, "    if (done)\n        *done = 0;\n");
    eb_printf(c, "    if (!%s_range_ok(va, size) || pa + size < pa || (pa & UINT64_C(0x%" PRIx64 ")) != 0)\n"
                 "        return %s_EINVAL;\n", d->R, mask_of(minp), e->P);
    if (ospace)
        eb_printf(c, "    if (pa + size > UINT64_C(0x%" PRIx64 "))\n        return %s_EINVAL;\n", ospace, e->P);
    const char *mapcall = d->fast ? arena_printf(e->a, "%s_fast_map(&tx%s, va, flags, pa)", d->R, cparams)
                                  : arena_printf(e->a, "%s(&tx%s, 0, va, size, flags, pa, 0)", fname(d, r, "rmap"), cparams);
    eb_printf(c, "    if (size == UINT64_C(0x%" PRIx64 ")) {\n"
                 "        /* one page: check and write in one walk, unless a table is missing */\n"
                 "        tx.commit = 2;\n"
                 "        s = %s;\n"
                 "        if (s != %s_RETRY_) {\n"
                 "            %s_flush(&tx);\n"
                 "            if (s == %s_OK && done)\n                *done = size;\n"
                 "            return s;\n        }\n"
                 "        tx.commit = 0;\n    }\n",
              (uint64_t)1 << minp, mapcall, e->P, d->R, e->P);
    tx_pools(d, c);
    eb_printf(c, "    s = %s(&tx%s, 0, va, size, flags, pa, 0);\n    if (s != %s_OK)\n        return s;\n",
              fname(d, r, "rmap"), cparams, e->P);
    eb_printf(c, "    if (!%s_prealloc(&tx)) {\n        %s_release(&tx);\n        return %s_ENOMEM;\n    }\n",
              d->R, d->R, e->P);
    eb_printf(c, "    tx.commit = 1;\n    s = %s(&tx%s, 0, va, size, flags, pa, 0);\n", fname(d, r, "rmap"), cparams);
    if (d->root_read)
        eb_put(c, "    if (tx.root_changed)\n        ctx->root_cached = 0;\n");
    eb_printf(c, "    %s_flush(&tx);\n    %s_release(&tx);\n", d->R, d->R);
    eb_printf(c, "    if (s == %s_OK && done)\n        *done = size;\n    return s;\n}\n", e->P);

    /* unmap and protect */
    for (int prot = 0; prot < 2; prot++) {
        const char *args = prot ? arena_printf(e->a, "%s, uint64_t va, uint64_t size, %s_flags_t flags, uint64_t *done", ctx, e->prefix)
                                : arena_printf(e->a, "%s, uint64_t va, uint64_t size, uint64_t *done", ctx);
        fn_open(e, S, arena_printf(e->a, "%s_%s", d->R, prot ? "protect" : "unmap"), args, r->loc);
        tx_init(d, c, "    ");
        eb_printf(c, "    %s_status s;\n", e->prefix);
        if (!prot)
            eb_printf(c, "    %s_flags_t flags = 0;\n", e->prefix);
        eb_printf(c, "    if (done)\n        *done = 0;\n    if (!%s_range_ok(va, size))\n        return %s_EINVAL;\n",
                  d->R, e->P);
        const char *call = d->fast ? arena_printf(e->a, "%s_fast_%s(&tx%s, va, flags)", d->R,
                                                  prot ? "protect" : "unmap", cparams)
                                   : arena_printf(e->a, "%s(&tx%s, 0, va, size, flags, %d, 0)",
                                                  fname(d, r, "runmap"), cparams, prot);
        eb_printf(c, "    if (size == UINT64_C(0x%" PRIx64 ")) {\n"
                     "        tx.commit = 2;   /* one page, unless a split needs a table */\n"
                     "        s = %s;\n"
                     "        if (s != %s_RETRY_) {\n"
                     "            %s_flush(&tx);\n"
                     "            if (s == %s_OK && !tx.found)\n                return %s_ENOENT;\n"
                     "            if (s == %s_OK && done)\n                *done = size;\n"
                     "            return s;\n        }\n"
                     "        tx.commit = 0;\n        tx.found = 0;\n    }\n",
                      (uint64_t)1 << minp, call, e->P, d->R, e->P, e->P, e->P);
        tx_pools(d, c);
        eb_printf(c, "    s = %s(&tx%s, 0, va, size, flags, %d, 0);\n    if (s != %s_OK)\n        return s;\n"
                     "    if (!tx.found)\n        return %s_ENOENT;\n",
                  fname(d, r, "runmap"), cparams, prot, e->P, e->P);
        eb_printf(c, "    if (!%s_prealloc(&tx)) {\n        %s_release(&tx);\n        return %s_ENOMEM;\n    }\n",
                  d->R, d->R, e->P);
        eb_printf(c, "    tx.commit = 1;\n    s = %s(&tx%s, 0, va, size, flags, %d, 0);\n", fname(d, r, "runmap"),
                  cparams, prot);
        eb_printf(c, "    %s_flush(&tx);\n    %s_release(&tx);\n", d->R, d->R);
        eb_printf(c, "    if (s == %s_OK && done)\n        *done = size;\n    return s;\n}\n", e->P);
    }

    /* resolve */
    fn_open(e, S, arena_printf(e->a, "%s_resolve", d->R),
            arena_printf(e->a, "%s, uint64_t va, uint64_t *pa, %s_flags_t *flags, uint64_t *page_size", ctx, e->prefix),
            r->loc);
    eb_printf(c, "    uint64_t p = 0, ps = 0;\n    %s_flags_t f = 0;\n    %s_status s;\n", e->prefix, e->prefix);
    if (space)
        eb_printf(c, "    if (va >= UINT64_C(0x%" PRIx64 "))\n        return %s_EINVAL;\n", space, e->P);
    if (d->fast)
    {
        tx_init(d, c, "    ");
        eb_printf(c, "    (void)%s;   /* reached through the fast path */\n"
                     "    s = %s_fast_resolve(&tx%s, va, &p, &f, &ps);\n",
                  fname(d, r, "rresolve"), d->R, cparams);
    }
    else
        eb_printf(c, "    s = %s(ctx->env%s, va, &p, &f, &ps);\n", fname(d, r, "rresolve"), cparams);
    eb_printf(c, "    if (s == %s_OK) {\n        if (pa)\n            *pa = p;\n        if (flags)\n            *flags = f;\n"
                 "        if (page_size)\n            *page_size = ps;\n    }\n    return s;\n}\n", e->P);

    /* init: a fresh, empty table under a root that points at one */
    const IrUnit *rv[16];
    int nrv;
    variants(r, rv, &nrv);
    const IrUnit *rt = NULL;
    for (int i = 0; i < nrv && !rt; i++)
        if (rv[i]->child)
            rt = rv[i];
    bool has_init = rt && r->kind == IR_SEGMENT && rt->prog[SYN_MAP];
    if (has_init) {
        const IrUnit *C = rt->child;
        uint64_t rspan = rt->map_size;
        fn_open(e, S, arena_printf(e->a, "%s_init", d->R), ctx, r->loc);
        eb_printf(c, "    uint64_t t;\n"
                     "    if (!vrs_alloc_table(ctx->env, %" PRIu64 "u, %" PRIu64 "u, &t))\n        return %s_ENOMEM;\n"
                     "    if (%s(ctx->env%s, 0, UINT64_C(0x%" PRIx64 "), 0, t) != %s_OK) {\n"
                     "        vrs_free_table(ctx->env, t, %" PRIu64 "u);\n        return %s_EINVAL;\n    }\n",
                  C->table_bytes, C->table_bytes, e->P, ufn(d, rt, "map"), cparams, rspan, e->P,
                  C->table_bytes, e->P);
        if (d->root_read)
            eb_printf(c, "    ctx->root_raw = %s;\n    ctx->root_cached = 1;\n", d->root_read);
        eb_printf(c, "    return %s_OK;\n}\n", e->P);
        /* fini: unmap everything, then free the root's table */
        fn_open(e, "void", arena_printf(e->a, "%s_fini", d->R), ctx, r->loc);
        eb_printf(c, "    %s_%s_state st;\n    uint64_t t;\n", e->prefix, rt->cname);
        eb_printf(c, "    (void)%s_unmap(ctx, 0, UINT64_C(0x%" PRIx64 "), NULL);\n", d->R,
                  rspan & ~mask_of(min_page(r, 0)));
        eb_printf(c, "    %s(ctx->env%s, &st);\n"
                     "    if (%s(&st%s) && %s(&st%s, 0, &t))\n"
                     "        vrs_free_table(ctx->env, t, %" PRIu64 "u);\n}\n",
                  ufn(d, rt, "load"), cparams, ufn(d, rt, "valid"), cparams, ufn(d, rt, "translate"),
                  cparams, C->table_bytes);
    }
    if (alias) {
        const char *ops[] = { "map", "unmap", "protect", "resolve" };
        if (has_init)
            eb_printf(h, "#define %s_init %s_init\n#define %s_fini %s_fini\n", e->prefix, d->R,
                      e->prefix, d->R);
        eb_printf(h, "typedef %s_ctx %s_ctx;\n", d->R, e->prefix);
        for (int i = 0; i < 4; i++)
            eb_printf(h, "#define %s_%s %s_%s\n", e->prefix, ops[i], d->R, ops[i]);
    }
}

/* A root that is a table-pointer segment, or a table reached through it,
 * or a plain segment: the root's own functions are entry functions with
 * the root's params coming from the context. */
static void root_driver(Emit *e, const IrUnit *r, bool alias)
{
    Drv d = { .e = e, .root = r };
    d.R = arena_printf(e->a, "%s_%s_drv", e->prefix, r->cname);
    if (r->kind == IR_TABLE ? !table_ok(r, 0) : !entry_ok(r, 0)) {
        eb_printf(&e->h, "\n/* No range driver for root %s: vrsc generates range drivers for roots\n"
                         " * that are segments whose tables are memory-backed staticmaps of segments\n"
                         " * or enums of segments (see docs/driver.md). */\n", r->name);
        return;
    }
    collect_tables(r, d.tabs, &d.ntabs, 0);
    /* a root register read through a hook: the context keeps a copy */
    if (r->kind == IR_SEGMENT) {
        const SFieldIO *one = single_read(r);
        if (one && one->field->kind == FIELD_REG) {
            const char *rd = io_read(e, one->field, "");
            const char *pos = strstr(rd, "(env");
            if (pos)
                d.root_read = arena_printf(e->a, "%.*s(ctx->env%s", (int)(pos - rd), rd, pos + 4);
        }
    }
    eb_printf(&e->c, "\n/* ---- range driver of root %s ---- */\n", r->name);
    eb_printf(&e->c, "\n#ifndef %s_RETRY_\n#define %s_RETRY_ ((%s_status)99)   /* internal: take the two-pass path */\n#endif\n",
              e->P, e->P, e->prefix);
    eb_printf(&e->c, "\ntypedef struct %s_tx %s_tx;\n", d.R, d.R);
    eb_printf(&e->c, "static void %s_tlb(%s_tx *tx, uint64_t va, uint64_t size);\n", d.R, d.R);
    if (r->kind == IR_TABLE)
        table_protos(&d, r, 1);
    else
        protos(&d, r, 0);
    /* tx must be complete before the functions that use it */
    EBuf body = { 0 };
    EBuf saved = e->c;
    e->c = body;
    if (r->kind == IR_TABLE) {
        table_fns(&d, r);
        walk_fns(&d, r->elem, 1);
    } else {
        walk_fns(&d, r, 0);
    }
    fast_paths(&d, min_page(r, 0));
    body = e->c;
    e->c = saved;
    if (d.fast) {
        const char *rp = pdecl(&d, r);
        eb_printf(&e->c, "static inline %s_status %s_fast_map(%s_tx *tx%s, uint64_t va, %s_flags_t flgs, uint64_t pa);\n",
                  e->prefix, d.R, d.R, rp, e->prefix);
        eb_printf(&e->c, "static inline %s_status %s_fast_unmap(%s_tx *tx%s, uint64_t va, %s_flags_t flgs);\n",
                  e->prefix, d.R, d.R, rp, e->prefix);
        eb_printf(&e->c, "static inline %s_status %s_fast_protect(%s_tx *tx%s, uint64_t va, %s_flags_t flgs);\n",
                  e->prefix, d.R, d.R, rp, e->prefix);
        eb_printf(&e->c, "static inline %s_status %s_fast_resolve(%s_tx *tx%s, uint64_t va, uint64_t *pa, %s_flags_t *flags, uint64_t *psz);\n",
                  e->prefix, d.R, d.R, rp, e->prefix);
    }
    root_api(&d, alias);
    eb_put(&e->c, body.s ? body.s : "");
    if (body.oom)
        e->c.oom = true;
    free(body.s);
}

void drv_emit(Emit *e)
{
    bool alias = e->ir->roots.len == 1;
    VEC_FOREACH(const IrUnit *, r, e->ir->roots)
        root_driver(e, r, alias);
}
