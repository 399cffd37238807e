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

/* Declarations of the recursive functions (tables and entries call each
 * other). */
static void protos(Drv *d, const IrUnit *x, int depth)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const char *S = arena_printf(e->a, "%s_status", e->prefix);
    const char *tx = arena_printf(e->a, "%s_tx *tx", d->R);
    const IrUnit *vs[16];
    int nv;
    variants(x, vs, &nv);
    eb_printf(c, "static %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt);\n",
              S, fname(d, x, "rmap"), tx, pdecl(d, x), e->prefix);
    eb_printf(c, "static %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt);\n",
              S, fname(d, x, "runmap"), tx, pdecl(d, x), e->prefix);
    eb_printf(c, "static %s %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz);\n",
              S, fname(d, x, "rresolve"), pdecl(d, x), e->prefix);
    for (int i = 0; i < nv; i++) {
        const IrUnit *t = vs[i]->child;
        if (!t || depth > 16)
            continue;
        eb_printf(c, "static %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt);\n",
                  S, fname(d, t, "rmap"), tx, pdecl(d, t), e->prefix);
        eb_printf(c, "static %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt);\n",
                  S, fname(d, t, "runmap"), tx, pdecl(d, t), e->prefix);
        eb_printf(c, "static %s %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz);\n",
                  S, fname(d, t, "rresolve"), pdecl(d, t), e->prefix);
        if (table_freed(d, t))
            eb_printf(c, "static inline bool %s(struct vrs_env *env%s);\n", fname(d, t, "empty"), pdecl(d, t));
        protos(d, t->elem, depth + 1);
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
    eb_printf(c, "\n/* %s: is every entry empty? */ %s\nstatic inline bool %s(struct vrs_env *env%s)\n{\n",
              t->name, loc_str(e, t->loc), fname(d, t, "empty"), pdecl(d, t));
    eb_printf(c, "    for (uint64_t i = 0; i < %" PRIu64 "u; i++) {\n", t->entries);
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
    eb_printf(c, "\n%s\nstatic %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt)\n{\n",
              loc_str(e, t->loc), e->prefix, fname(d, t, "rmap"), tx, pdecl(d, t), e->prefix);
    eb_printf(c, "    while (len) {\n"
                 "        uint64_t i = off >> %u, sub = off & UINT64_C(0x%" PRIx64 ");\n"
                 "        uint64_t n = UINT64_C(0x%" PRIx64 ") - sub;\n"
                 "        if (n > len)\n            n = len;\n",
              lo, span - 1, span);
    elem_params(d, t, "i");
    eb_printf(c, "        %s_status s = %s(tx%s, vbase + (i << %u), sub, n, flgs, pa, virt);\n"
                 "        if (s != %s_OK)\n            return s;\n"
                 "        off += n;\n        pa += n;\n        len -= n;\n    }\n    return %s_OK;\n}\n",
              e->prefix, fname(d, x, "rmap"), eargs(d, t), lo, e->P, e->P);

    /* unmap / protect */
    eb_printf(c, "\n%s\nstatic %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt)\n{\n",
              loc_str(e, t->loc), e->prefix, fname(d, t, "runmap"), tx, pdecl(d, t), e->prefix);
    eb_printf(c, "    while (len) {\n"
                 "        uint64_t i = off >> %u, sub = off & UINT64_C(0x%" PRIx64 ");\n"
                 "        uint64_t n = UINT64_C(0x%" PRIx64 ") - sub;\n"
                 "        if (n > len)\n            n = len;\n",
              lo, span - 1, span);
    elem_params(d, t, "i");
    eb_printf(c, "        %s_status s = %s(tx%s, vbase + (i << %u), sub, n, flgs, prot, virt);\n"
                 "        if (s != %s_OK)\n            return s;\n"
                 "        off += n;\n        len -= n;\n    }\n    return %s_OK;\n}\n",
              e->prefix, fname(d, x, "runmap"), eargs(d, t), lo, e->P, e->P);

    /* resolve */
    eb_printf(c, "\n%s\nstatic %s_status %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz)\n{\n",
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
        eb_printf(c, "    %s_%s_state st%d;\n", e->prefix, vs[i]->cname, i);
    eb_printf(c, "    if (!(%s)) {\n", virt_cond);
    const char *raw = shared_raw(d, x);
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
    eb_put(c, "    }\n");
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
                 "static %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt)\n{\n",
              x->name, loc_str(e, x->loc), e->prefix, fname(d, x, "rmap"), tx, pdecl(d, x), e->prefix);
    eb_put(c, "    (void)vbase;\n    (void)tx;\n");
    classify(d, x, "virt");
    eb_printf(c, "    bool whole = off == 0 && len == UINT64_C(0x%" PRIx64 ");\n    (void)whole;\n", span);
    if (L) {
        eb_printf(c, "    if (whole && kind != 2 && %s(tx->env%s, 0, len, flgs, pa)) {\n",
                  ufn(d, L, "map_ok"), pargs(d, x));
        eb_printf(c, "        if (kind == 1) {\n"
                     "            /* identical mapping: accepted; different: in the way */\n");
        eb_put(c, "            uint64_t cur = 0;\n            bool same = false;\n            (void)cur;\n");
        for (int i = 0; i < nv; i++) {
            if (vs[i]->child)
                continue;
            eb_printf(c, "            if (v == %d)\n                same = %s(&st%d%s, 0, &cur) && cur == pa && %s(&st%d%s, flgs);\n",
                      i, ufn(d, vs[i], "translate"), i, pargs(d, x), ufn(d, vs[i], "matchflags"), i,
                      pargs(d, x));
        }
        eb_printf(c, "            return same ? %s_OK : %s_EEXIST;\n        }\n", e->P, e->P);
        eb_printf(c, "        if (tx->commit)\n            (void)%s(tx->env%s, 0, len, flgs, pa);\n"
                     "        return %s_OK;\n    }\n",
                  ufn(d, L, "map"), pargs(d, x), e->P);
    }
    if (T) {
        eb_put(c, "    if (kind == 1) {\n");
        eb_put(c, "        uint64_t cur = 0;\n        bool same = false;\n        (void)cur;\n");
        for (int i = 0; i < nv; i++) {
            if (vs[i]->child)
                continue;
            eb_printf(c, "        if (v == %d)\n            same = %s(&st%d%s, off, &cur) && cur == pa && %s(&st%d%s, flgs);\n",
                      i, ufn(d, vs[i], "translate"), i, pargs(d, x), ufn(d, vs[i], "matchflags"), i,
                      pargs(d, x));
        }
        eb_printf(c, "        return same ? %s_OK : %s_EEXIST;\n    }\n", e->P, e->P);
        eb_printf(c, "    if (kind == 0) {\n"
                     "        if (!tx->commit) {\n"
                     "            tx->need[%d]++;\n"
                     "            return %s(tx%s, vbase, off, len, flgs, pa, 1);\n"
                     "        }\n"
                     "        child = tx->pool[%d];\n"
                     "        tx->pool[%d] = vrs_mem_read64(tx->env, child);\n"
                     "        vrs_mem_write64(tx->env, child, 0);\n"
                     "        if (%s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs, child) != %s_OK)\n"
                     "            return %s_EINVAL;\n"
                     "        return %s(tx%s, vbase, off, len, flgs, pa, 0);\n"
                     "    }\n",
                  cid, fname(d, C, "rmap"), arena_printf(e->a, ", child"), cid, cid, ufn(d, T, "map"),
                  pargs(d, x), span, e->P, e->P, fname(d, C, "rmap"), ", child");
        /* an existing table: widen its rights if the new mapping needs it */
        if (T->prog[SYN_PROTECT]) {
            eb_printf(c, "    if (tx->commit && !%s(&st%d%s, flgs))\n", ufn(d, T, "matchflags"), table,
                      pargs(d, x));
            eb_printf(c, "        (void)%s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "), flgs);\n",
                      ufn(d, T, "protect"), pargs(d, x), span);
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
                 "static %s_status %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt)\n{\n",
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
                     "                    (void)%s(tx->env%s, 0, len, flgs);\n"
                     "                } else {\n"
                     "                    (void)%s(tx->env%s, 0, len);\n"
                     "                }\n",
                  ufn(d, V, "matchflags"), i, pargs(d, x), e->P, ufn(d, V, "protect"), pargs(d, x),
                  ufn(d, V, "unmap"), pargs(d, x));
        eb_printf(c, "                %s_tlb(tx, vbase, UINT64_C(0x%" PRIx64 "));\n            }\n", d->R, span);
    }
    eb_printf(c, "            return %s_OK;\n        }\n", e->P);
    if (T) {
        /* split: a fresh table filled with the leaf's mapping replaces it */
        eb_printf(c, "        if (!tx->commit) {\n"
                     "            if (virt != 2) {\n"
                     "                tx->need[%d]++;\n"
                     "            } else {\n"
                     "                tx->need[%d]++;\n"
                     "            }\n"
                     "            return %s(tx, 0, vbase, off, len, flgs, prot, 2);\n"
                     "        }\n",
                  cid, cid, fname(d, C, "runmap"));
        eb_put(c, "        uint64_t base_pa = 0;\n        " );
        eb_printf(c, "%s_flags_t lf = 0;\n", e->prefix);
        for (int i = 0; i < nv; i++) {
            if (vs[i]->child)
                continue;
            eb_printf(c, "        if (v == %d) {\n            (void)%s(&st%d%s, 0, &base_pa);\n            lf = %s(&st%d);\n        }\n",
                      i, ufn(d, vs[i], "translate"), i, pargs(d, x), ufn(d, vs[i], "flags"), i);
        }
        eb_printf(c, "        child = tx->pool[%d];\n"
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
                  cid, cid, e->prefix, fname(d, C, "rmap"), span, e->P, ufn(d, T, "map"), pargs(d, x),
                  span, e->P, e->P, d->R, span);
    } else {
        eb_printf(c, "        return %s_EINVAL;   /* part of a smallest page */\n", e->P);
    }
    eb_put(c, "    }\n");
    if (T) {
        eb_printf(c, "    {\n"
                     "        %s_status s = %s(tx, child, vbase, off, len, flgs, prot, virt == 2 ? 2 : 0);\n",
                  e->prefix, fname(d, C, "runmap"));
        if (T->prog[SYN_UNMAP]) {
            /* a table that unmap emptied goes: its entry first, then the memory */
            eb_printf(c, "        if (s != %s_OK || !tx->commit || prot)\n            return s;\n"
                         "        if (%s(tx->env, child)) {\n",
                      e->P, fname(d, C, "empty"));
            eb_printf(c, "            (void)%s(tx->env%s, 0, UINT64_C(0x%" PRIx64 "));\n", ufn(d, T, "unmap"),
                      pargs(d, x), span);
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
    eb_printf(c, "\n%s\nstatic %s_status %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz)\n{\n",
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

/* A table root: its own functions, then its entries'. */
static void table_protos(Drv *d, const IrUnit *t)
{
    Emit *e = d->e;
    EBuf *c = &e->c;
    const char *S = arena_printf(e->a, "%s_status", e->prefix);
    const char *tx = arena_printf(e->a, "%s_tx *tx", d->R);
    eb_printf(c, "static %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, uint64_t pa, int virt);\n",
              S, fname(d, t, "rmap"), tx, pdecl(d, t), e->prefix);
    eb_printf(c, "static %s %s(%s%s, uint64_t vbase, uint64_t off, uint64_t len, %s_flags_t flgs, int prot, int virt);\n",
              S, fname(d, t, "runmap"), tx, pdecl(d, t), e->prefix);
    eb_printf(c, "static %s %s(struct vrs_env *env%s, uint64_t off, uint64_t *pa, %s_flags_t *flags, uint64_t *psz);\n",
              S, fname(d, t, "rresolve"), pdecl(d, t), e->prefix);
    if (table_freed(d, t))
        eb_printf(c, "static inline bool %s(struct vrs_env *env%s);\n", fname(d, t, "empty"), pdecl(d, t));
    protos(d, t->elem, 1);
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

/* ---- the public functions of one root ------------------------------------------------- */

static void root_api(Drv *d, bool alias)
{
    Emit *e = d->e;
    EBuf *c = &e->c, *h = &e->h;
    const IrUnit *r = d->root;
    const char *S = arena_printf(e->a, "%s_status", e->prefix);
    unsigned minp = min_page(r, 0);
    uint64_t space = r->inbits >= 64 ? 0 : (uint64_t)1 << r->inbits;
    uint64_t ospace = r->outbits >= 64 ? 0 : (uint64_t)1 << r->outbits;

    /* context and transaction */
    eb_printf(h, "\n/* the %s root driver (docs/driver.md) */\n", r->name);
    eb_printf(h, "typedef struct %s_ctx {\n    struct vrs_env *env;\n", d->R);
    VEC_FOREACH(const char *, p, r->params)
        eb_printf(h, "    uint64_t %s;\n", p);
    eb_printf(h, "} %s_ctx;\n", d->R);
    eb_printf(c, "\ntypedef struct %s_tx {\n    struct vrs_env *env;\n    int commit, found;\n"
                 "    uint64_t need[%d], pool[%d];\n    uint64_t tlb_lo, tlb_hi;\n} %s_tx;\n",
              d->R, d->ntabs ? d->ntabs : 1, d->ntabs ? d->ntabs : 1, d->R);
    /* TLB batching: adjacent ranges merge, others flush */
    eb_printf(c, "\nstatic void %s_tlb(%s_tx *tx, uint64_t va, uint64_t size)\n{\n"
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
    eb_printf(c, "    %s_tx tx = { ctx->env, 0, 0, { 0 }, { 0 }, 0, 0 };\n    %s_status s;\n", d->R, e->prefix);
    eb_put(c, "    if (done)\n        *done = 0;\n");
    eb_printf(c, "    if (!%s_range_ok(va, size) || pa + size < pa || (pa & UINT64_C(0x%" PRIx64 ")) != 0)\n"
                 "        return %s_EINVAL;\n", d->R, mask_of(minp), e->P);
    if (ospace)
        eb_printf(c, "    if (pa + size > UINT64_C(0x%" PRIx64 "))\n        return %s_EINVAL;\n", ospace, e->P);
    eb_printf(c, "    s = %s(&tx%s, 0, va, size, flags, pa, 0);\n    if (s != %s_OK)\n        return s;\n",
              fname(d, r, "rmap"), cparams, e->P);
    eb_printf(c, "    if (!%s_prealloc(&tx)) {\n        %s_release(&tx);\n        return %s_ENOMEM;\n    }\n",
              d->R, d->R, e->P);
    eb_printf(c, "    tx.commit = 1;\n    s = %s(&tx%s, 0, va, size, flags, pa, 0);\n", fname(d, r, "rmap"), cparams);
    eb_printf(c, "    %s_flush(&tx);\n    %s_release(&tx);\n", d->R, d->R);
    eb_printf(c, "    if (s == %s_OK && done)\n        *done = size;\n    return s;\n}\n", e->P);

    /* unmap and protect */
    for (int prot = 0; prot < 2; prot++) {
        const char *args = prot ? arena_printf(e->a, "%s, uint64_t va, uint64_t size, %s_flags_t flags, uint64_t *done", ctx, e->prefix)
                                : arena_printf(e->a, "%s, uint64_t va, uint64_t size, uint64_t *done", ctx);
        fn_open(e, S, arena_printf(e->a, "%s_%s", d->R, prot ? "protect" : "unmap"), args, r->loc);
        eb_printf(c, "    %s_tx tx = { ctx->env, 0, 0, { 0 }, { 0 }, 0, 0 };\n    %s_status s;\n", d->R, e->prefix);
        if (!prot)
            eb_printf(c, "    %s_flags_t flags = 0;\n", e->prefix);
        eb_printf(c, "    if (done)\n        *done = 0;\n    if (!%s_range_ok(va, size))\n        return %s_EINVAL;\n",
                  d->R, e->P);
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
                     "        vrs_free_table(ctx->env, t, %" PRIu64 "u);\n        return %s_EINVAL;\n    }\n"
                     "    return %s_OK;\n}\n",
                  C->table_bytes, C->table_bytes, e->P, ufn(d, rt, "map"), cparams, rspan, e->P,
                  C->table_bytes, e->P, e->P);
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
    eb_printf(&e->c, "\n/* ---- range driver of root %s ---- */\n", r->name);
    eb_printf(&e->c, "\ntypedef struct %s_tx %s_tx;\n", d.R, d.R);
    eb_printf(&e->c, "static void %s_tlb(%s_tx *tx, uint64_t va, uint64_t size);\n", d.R, d.R);
    if (r->kind == IR_TABLE)
        table_protos(&d, r);
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
    body = e->c;
    e->c = saved;
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
