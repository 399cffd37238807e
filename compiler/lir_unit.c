/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lir_unit.c - per-segment LIR functions: the state record, reading it back
 * (decode/load), init, valid, translate, matchflags, the flag decoder,
 * resolve, and the proven map/unmap/protect programs with their argument
 * checks (`_ok`), their bare operations (`_do`) and the checked call.
 *
 * Input: ir.h's units (Sx predicates, state reads, SOp programs). Output:
 * LIR functions named PREFIX_UNIT_WHAT, listed per unit in one block, which
 * the range drivers (lir_drv.c) call and docs/driver.md documents.
 */
#include <string.h>

#include "lir.h"

typedef struct U {
    LModule      *m;
    const IrUnit *u;
    LUnitFns     *fns;
    const char   *pre;       /* prefix_unit */
} U;

static const char *nm(U *x, const char *what)
{
    return arena_printf(x->m->a, "%s_%s", x->pre, what);
}

static LFn *fn(U *x, const char *what, LType ret, LLink link, Loc loc)
{
    LFn *f = lir_fn(x->m, nm(x, what), ret, link, loc);
    f->unit = x->u;
    return f;
}

/* The unit's params as parameters of f; their slots in ps[]. */
static void params(U *x, LFn *f, int *ps)
{
    VEC_FOREACH(const char *, p, x->u->params)
        ps[p_i] = lir_param(x->m, f, p, lt(LK_U64));
}

/* The address of an interface field: its base param + offset. */
static LExpr *io_addr(LModule *m, const SField *f, const IrUnit *u, LExpr *const *params)
{
    LExpr *base = NULL;
    if (f->base)
        VEC_FOREACH(const char *, p, u->params)
            if (strcmp(p, f->base) == 0)
                base = params[p_i];
    if (!base)
        base = lx_num(m, 0);
    return f->offset ? lx_bin(m, OP_ADD, base, lx_num(m, f->offset)) : base;
}

LExpr *lir_io_read(LModule *m, LExpr *env, const SField *f, const IrUnit *u, LExpr *const *params)
{
    switch (f->kind) {
    case FIELD_MEM:
        return lx_env(m, LENV_MEM_READ, (unsigned)f->size, 0, env, io_addr(m, f, u, params), NULL);
    case FIELD_MMIO:
        return lx_env(m, LENV_MMIO_READ, (unsigned)f->size, 0, env, io_addr(m, f, u, params), NULL);
    case FIELD_REG:
        return lx_env(m, LENV_REG_READ, 0, (unsigned)ir_reg_id(m->ir, f), env, NULL);
    default:
        return lx_num(m, 0);
    }
}

LExpr *lir_io_write(LModule *m, LExpr *env, const SField *f, const IrUnit *u, LExpr *const *params,
                    LExpr *v)
{
    switch (f->kind) {
    case FIELD_MEM:
        return lx_env(m, LENV_MEM_WRITE, (unsigned)f->size, 0, env, io_addr(m, f, u, params), v, NULL);
    case FIELD_MMIO:
        return lx_env(m, LENV_MMIO_WRITE, (unsigned)f->size, 0, env, io_addr(m, f, u, params), v, NULL);
    case FIELD_REG:
        return lx_env(m, LENV_REG_WRITE, 0, (unsigned)ir_reg_id(m->ir, f), env, v, NULL);
    case FIELD_INSTR:
        return lx_env(m, LENV_INSTR, 0, (unsigned)ir_instr_id(m->ir, f), env, NULL);
    }
    return lx_num(m, 0);
}

/* The unit's params as expressions of the function being built: they are
 * its parameters of the same names. */
static LExpr **uparams(LB *b, const IrUnit *u)
{
    LExpr **ps = arena_alloc(b->m->a, sizeof(LExpr *) * (size_t)(u->params.len + 1));
    VEC_FOREACH(const char *, p, u->params) {
        ps[p_i] = lx_num(b->m, 0);
        for (int i = 0; i < b->fn->nparams; i++)
            if (strcmp(((const LSlot *)b->fn->slots.items[i])->name, p) == 0)
                ps[p_i] = LV(b, i);
    }
    return ps;
}

static LExpr *io_read(LB *b, LExpr *env, const SField *f)
{
    return lir_io_read(b->m, env, f, b->fn->unit, uparams(b, b->fn->unit));
}

static LExpr *io_write(LB *b, LExpr *env, const SField *f, LExpr *v)
{
    return lir_io_write(b->m, env, f, b->fn->unit, uparams(b, b->fn->unit), v);
}

static uint64_t mask_of(unsigned w)
{
    return w >= 64 ? UINT64_MAX : ((uint64_t)1 << w) - 1;
}

/* Does move mv (interface bits -> state bits) come from io's read actions? */
static bool from_io(const SFieldIO *io, const SMove *mv)
{
    VEC_FOREACH(const SMove *, mm, io->reads)
        if (strcmp(mm->dst.field->name, mv->src.field->name) == 0 && mm->dst.lo == mv->src.lo
            && mm->dst.hi == mv->src.hi)
            return true;
    return false;
}

const SFieldIO *lir_single_read(const IrUnit *u)
{
    const SFieldIO *one = NULL;
    VEC_FOREACH(const IrStateRead *, r, u->reads) {
        if (r->ios.len != 1)
            return NULL;
        if (one && one != r->ios.items[0])
            return NULL;
        one = r->ios.items[0];
    }
    return one && one->field->kind != FIELD_INSTR ? one : NULL;
}

/* st->F |= the bits of raw that io's moves carry. */
static void decode_moves(LB *b, LExpr *st, int k, const IrStateRead *r, const SFieldIO *io, LExpr *raw)
{
    LModule *m = b->m;
    LExpr *fld = lx_field(m, st, k);
    uint64_t same = 0;
    VEC_FOREACH(const SMove *, mv, r->moves)
        if (from_io(io, mv) && mv->src.lo == mv->dst.lo && mv->src.hi == mv->dst.hi)
            same |= mask_of(mv->src.hi - mv->src.lo) << mv->src.lo;
    if (same) {
        lb_loc(b, io->field->loc);
        lb_assign(b, fld, lx_bin(m, OP_BOR, fld, lx_bin(m, OP_BAND, raw, lx_num(m, same))));
    }
    VEC_FOREACH(const SMove *, mv, r->moves) {
        if (!from_io(io, mv) || (mv->src.lo == mv->dst.lo && mv->src.hi == mv->dst.hi))
            continue;
        unsigned w = mv->src.hi - mv->src.lo, dw = mv->dst.hi - mv->dst.lo;
        if (dw < w)
            w = dw;
        LExpr *bits = lx_bin(m, OP_BAND, mv->src.lo ? lx_bin(m, OP_SHR, raw, lx_num(m, mv->src.lo)) : raw,
                             lx_num(m, mask_of(w)));
        lb_loc(b, mv->loc);
        lb_assign(b, fld, lx_bin(m, OP_BOR, fld, mv->dst.lo ? lx_bin(m, OP_SHL, bits, lx_num(m, mv->dst.lo)) : bits));
    }
}

static void state_record(U *x)
{
    LModule *m = x->m;
    LRec *r = lir_rec(m, arena_printf(m->a, "%s_state", x->pre), true, x->u->loc);
    r->unit = x->u;
    r->comment = arena_printf(m->a, "%s: state", x->u->name);
    VEC_FOREACH(const SField *, f, x->u->su->state)
        lir_rec_field(m, r, f->name, LK_U64, f->loc);
    if (!x->u->su->state.len)
        lir_rec_field(m, r, "none_", LK_U64, (Loc){ 0 });
    x->fns->state = r;
}

static void fn_load(U *x)
{
    LModule *m = x->m;
    const IrUnit *u = x->u;
    LRec *R = x->fns->state;
    const SFieldIO *one = lir_single_read(u);
    LB b;
    if (one) {
        LFn *d = fn(x, "decode", lt(LK_VOID), LINK_HEADER, u->loc);
        int raw = lir_param(m, d, "raw", lt(LK_U64));
        int st = lir_param(m, d, "st", lt_prec(R));
        lb_begin(&b, m, d);
        VEC_FOREACH(const IrStateRead *, r, u->reads) {
            int k = r_i;
            lb_assign(&b, lx_field(m, LV(&b, st), k), lx_num(m, 0));
            decode_moves(&b, LV(&b, st), k, r, one, LV(&b, raw));
        }
        lir_place(m, d);
        x->fns->decode = d;
    }
    LFn *f = fn(x, "load", lt(LK_VOID), LINK_EXPORT, u->loc);
    int env = lir_param(m, f, "env", lt(LK_ENV));
    int ps[64];
    params(x, f, ps);
    int st = lir_param(m, f, "st", lt_prec(R));
    lb_begin(&b, m, f);
    if (one) {
        lb_expr(&b, lx_callv(m, x->fns->decode, io_read(&b, LV(&b, env), one->field), LV(&b, st), NULL));
    } else {
        int raw = lir_local(m, f, "raw", lt(LK_U64));
        VEC_FOREACH(const IrStateRead *, r, u->reads) {
            lb_loc(&b, u->loc);
            lb_assign(&b, lx_field(m, LV(&b, st), r_i), lx_num(m, 0));
            VEC_FOREACH(const SFieldIO *, io, r->ios) {
                lb_loc(&b, io->field->loc);
                lb_set(&b, raw, io_read(&b, LV(&b, env), io->field));
                decode_moves(&b, LV(&b, st), r_i, r, io, LV(&b, raw));
            }
        }
        if (!u->su->state.len)
            lb_assign(&b, lx_field(m, LV(&b, st), 0), lx_num(m, 0));
    }
    lir_place(m, f);
    x->fns->load = f;
}

static void fn_init(U *x)
{
    LModule *m = x->m;
    LFn *f = fn(x, "init", lt(LK_VOID), LINK_EXPORT, x->u->loc);
    int env = lir_param(m, f, "env", lt(LK_ENV));
    int ps[64];
    params(x, f, ps);
    LB b;
    lb_begin(&b, m, f);
    VEC_FOREACH(const SFieldIO *, io, x->u->io) {
        if (io->field->kind == FIELD_INSTR || !io->writes.len)
            continue;
        lb_loc(&b, io->field->loc);
        lb_expr(&b, io_write(&b, LV(&b, env), io->field, lx_num(m, 0)));
    }
    lir_place(m, f);
    x->fns->init = f;
}

/* An Sx environment over state record `st` and f's params. */
static LSxEnv sxenv(U *x, LB *b, LExpr *st, const int *ps)
{
    LSxEnv e = { .fn = b->fn, .state = st, .rec = x->fns->state, .unit = x->u };
    e.nparams = x->u->params.len;
    e.pnames = (const char **)x->u->params.items;
    e.params = arena_alloc(x->m->a, sizeof(LExpr *) * (size_t)(e.nparams + 1));
    for (int i = 0; i < e.nparams; i++)
        e.params[i] = ps ? LV(b, ps[i]) : lx_num(x->m, 0);
    return e;
}

/* bool PREFIX_UNIT_WHAT(const state *st, params... [, flags_t flgs]) */
/* The whole state field of `bit`, shifted so that a bit at distance dist
 * from its flag lands on the flag's bit in flags_t. */
static LExpr *field_at(LModule *m, const Sx *bit, int dist, const LSxEnv *e)
{
    Sx whole = *bit;
    whole.lo = 0;
    whole.hi = (unsigned)bit->field->size * 8;
    whole.name = NULL;
    LExpr *v = lir_from_sx(m, &whole, e);
    if (dist > 0)
        v = lx_bin(m, OP_SHR, v, lx_num(m, (uint64_t)dist));
    else if (dist < 0)
        v = lx_bin(m, OP_SHL, v, lx_num(m, (uint64_t)-dist));
    return v;
}

/* One group of matchflags' flag conjuncts: those over bits of one state
 * field at one distance from their flags' bits in flags_t. */
typedef struct FlagGroup {
    const Sx *bit;                 /* one of the bits: names the field */
    int       dist;                /* state bit - flags_t bit */
    uint64_t  eq, imp, inv;        /* flags_t masks */
} FlagGroup;

/* A conjunct over one flag and one state bit: `s == flgs.f` (inverted:
 * `s != flgs.f`, or s an inverted bit) sets *imp false; `flgs.f ==> s`
 * sets it true. */
static bool flag_conjunct(const LModule *m, const Sx *c, const Sx **bit, int *flag, bool *neg, bool *imp)
{
    if (c->kind != SX_BIN)
        return false;
    const Sx *fl = NULL, *s = NULL;
    if (c->op == OP_EQ || c->op == OP_NE) {
        fl = c->a->kind == SX_FLAG ? c->a : c->b;
        s = c->a->kind == SX_FLAG ? c->b : c->a;
        *imp = false;
    } else if (c->op == OP_IMPLIES) {
        fl = c->a;
        s = c->b;
        *imp = true;
    }
    if (!fl || fl->kind != SX_FLAG || fl->flag < 0 || fl->flag >= m->ir->flags.len)
        return false;
    *bit = sx_state_bit(s, neg);
    if (!*bit || (*bit)->field->size > 8)
        return false;
    *neg ^= c->op == OP_NE;
    *flag = fl->flag;
    return true;
}

static void conjuncts(const Sx *c, const Sx **out, int *n, int max)
{
    if (c->kind == SX_BIN && c->op == OP_LAND) {
        conjuncts(c->a, out, n, max);
        conjuncts(c->b, out, n, max);
    } else if (*n < max) {
        out[(*n)++] = c;
    } else {
        *n = max + 1;   /* too many: not split */
    }
}

/* matchflags with its flag conjuncts as masks: per group of state bits at
 * one distance from their flags' bits, `((s >> d) ^ flgs ^ INV) & EQ`
 * (each bit equals its flag) and `flgs & ((s >> d) ^ INV ^ IMP) & IMP`
 * (each flag asked has its bit) are 0; the other conjuncts follow as they
 * are. With flags_t in the leaf's layout (ir.h's flag_bit), x86's PTE
 * check is one xor and one test, as a hand-written pte_flags() compare. */
static LExpr *matchflags_expr(U *x, const Sx *pred, const LSxEnv *e)
{
    LModule *m = x->m;
    const Sx *cs[64];
    int n = 0;
    conjuncts(pred, cs, &n, 64);
    if (n > 64)
        return lir_from_sx(m, pred, e);
    FlagGroup g[64];
    int ng = 0;
    bool grouped[64] = { false };
    for (int i = 0; i < n; i++) {
        const Sx *bit;
        int flag;
        bool neg, imp;
        if (!flag_conjunct(m, cs[i], &bit, &flag, &neg, &imp))
            continue;
        int dist = (int)bit->lo - m->ir->flag_bit[flag];
        int k = 0;
        while (k < ng && (g[k].bit->field != bit->field || g[k].dist != dist))
            k++;
        if (k == ng)
            g[ng++] = (FlagGroup){ bit, dist, 0, 0, 0 };
        uint64_t b = ir_flag(m->ir, flag);
        if ((g[k].eq | g[k].imp) & b)
            continue;   /* the flag twice in one group: left as it is */
        *(imp ? &g[k].imp : &g[k].eq) |= b;
        g[k].inv |= neg ? b : 0;
        grouped[i] = true;
    }
    LExpr *r = NULL;
    for (int k = 0; k < ng; k++) {
        LExpr *v = field_at(m, g[k].bit, g[k].dist, e);
        LExpr *c[2] = { NULL, NULL };
        if (g[k].eq) {
            LExpr *t = lx_bin(m, OP_BXOR, v, e->flags);
            if (g[k].inv & g[k].eq)
                t = lx_bin(m, OP_BXOR, t, lx_num(m, g[k].inv & g[k].eq));
            c[0] = lx_bin(m, OP_BAND, t, lx_num(m, g[k].eq));
        }
        if (g[k].imp) {
            LExpr *t = lx_bin(m, OP_BXOR, v, lx_num(m, (g[k].inv & g[k].imp) ^ g[k].imp));
            c[1] = lx_bin(m, OP_BAND, lx_bin(m, OP_BAND, e->flags, t), lx_num(m, g[k].imp));
        }
        for (int j = 0; j < 2; j++)
            if (c[j]) {
                LExpr *z = lx_bin(m, OP_EQ, c[j], lx_num(m, 0));
                r = r ? lx_bin(m, OP_LAND, r, z) : z;
            }
    }
    for (int i = 0; i < n; i++)
        if (!grouped[i]) {
            LExpr *z = lir_from_sx(m, cs[i], e);
            r = r ? lx_bin(m, OP_LAND, r, z) : z;
        }
    return r;
}

static LFn *fn_bool(U *x, const char *what, const Sx *pred, bool with_flags)
{
    LModule *m = x->m;
    LFn *f = fn(x, what, lt(LK_BOOL), LINK_HEADER, x->u->loc);
    f->hot = true;
    int st = lir_param(m, f, "st", lt_prec(x->fns->state));
    ((LSlot *)f->slots.items[st])->cnst = true;
    int ps[64];
    params(x, f, ps);
    int fl = with_flags ? lir_param(m, f, "flgs", lt(LK_FLAGS)) : -1;
    LB b;
    lb_begin(&b, m, f);
    LSxEnv e = sxenv(x, &b, LV(&b, st), ps);
    if (fl >= 0)
        e.flags = LV(&b, fl);
    lb_ret(&b, !pred       ? lx_numk(m, 1, LK_BOOL)
               : fl >= 0   ? matchflags_expr(x, pred, &e)
                           : lir_from_sx(m, pred, &e));
    lir_place(m, f);
    return f;
}

/* Whether x is one of the conjuncts of c (a && b && ...). */
static bool conjunct_of(const Sx *c, const Sx *x)
{
    if (!c)
        return false;
    if (c->kind == SX_BIN && c->op == OP_LAND)
        return conjunct_of(c->a, x) || conjunct_of(c->b, x);
    return sx_equal(c, x);
}

/* translate(st, params, va, pa*) -> bool: translate's requires, then the
 * value. vtranslate: valid() first, then only the requires valid does not
 * already state (x86: present and the page-size bit are both), so a walk
 * tests each bit once; its false returns are marked rare, which lays a
 * walk to an existing mapping out as straight-line code. probe: the same
 * unmarked, for map's look at the entry it expects to be free. */
enum { TR_PLAIN, TR_VALID, TR_PROBE };
static LFn *fn_translate(U *x, int kind)
{
    LModule *m = x->m;
    const IrUnit *u = x->u;
    static const char *const names[] = { "translate", "vtranslate", "probe" };
    bool valid = kind != TR_PLAIN;
    LFn *f = fn(x, names[kind], lt(LK_BOOL), valid ? LINK_INTERNAL : LINK_HEADER, u->loc);
    f->hot = true;
    if (kind == TR_VALID)
        f->comment = "valid() && translate(), each condition once; a walk expects true";
    else if (kind == TR_PROBE)
        f->comment = "vtranslate() for an entry map expects to be free";
    int st = lir_param(m, f, "st", lt_prec(x->fns->state));
    ((LSlot *)f->slots.items[st])->cnst = true;
    int ps[64];
    params(x, f, ps);
    int va = lir_param(m, f, "va", lt(LK_U64));
    int pa = lir_param(m, f, "pa", lt_ptr(LK_U64));
    LB b;
    lb_begin(&b, m, f);
    LSxEnv e = sxenv(x, &b, LV(&b, st), ps);
    e.var = LV(&b, va);
    /* a walk expects the entries on its way to be valid: the false
     * returns are rare */
    void (*open_if)(LB *, LExpr *) = kind == TR_VALID ? lb_if_rare : lb_if;
    bool always = u->valid && u->valid->kind == SX_NUM && u->valid->num != 0;   /* `valid = true` */
    if (valid && u->valid && !always) {
        open_if(&b, lx_not(m, lir_from_sx(m, u->valid, &e)));
        lb_ret(&b, lx_numk(m, 0, LK_BOOL));
        lb_end(&b);
    }
    VEC_FOREACH(const Sx *, p, u->pre) {
        if (valid && conjunct_of(u->valid, p))
            continue;
        open_if(&b, lx_not(m, lir_from_sx(m, p, &e)));
        lb_ret(&b, lx_numk(m, 0, LK_BOOL));
        lb_end(&b);
    }
    lb_assign(&b, lx_deref(m, LV(&b, pa)), lir_from_sx(m, u->translate, &e));
    lb_ret(&b, lx_numk(m, 1, LK_BOOL));
    lir_place(m, f);
    return f;
}

/* flags(st): each flag from its decoder. Flags that copy state bits (as
 * they are or inverted) at the same distance from their bit in flags_t
 * are one shift, xor and mask; where flags_t has the leaf's own layout
 * (ir.h's flag_bit), that is every such flag: x86's PTE flags are
 * `(entry ^ NX) & (NX | G | PCD | PWT | U | W)`, as a hand-written
 * pte_flags() returns them. */
static void fn_flags(U *x)
{
    LModule *m = x->m;
    LFn *f = fn(x, "flags", lt(LK_FLAGS), LINK_HEADER, x->u->loc);
    f->hot = true;
    int st = lir_param(m, f, "st", lt_prec(x->fns->state));
    ((LSlot *)f->slots.items[st])->cnst = true;
    int fl = lir_local(m, f, "f", lt(LK_FLAGS));
    LB b;
    lb_begin(&b, m, f);
    LSxEnv e = sxenv(x, &b, LV(&b, st), NULL);
    e.nparams = 0;
    const PtrVec *dec = &x->u->flag_decode;
    bool *done = arena_alloc(m->a, (size_t)dec->len + 1);
    const uint8_t *at = m->ir->flag_bit;
    VEC_FOREACH(const Sx *, d, *dec) {
        if (!d || done[d_i] || d_i >= 64)
            continue;
        bool neg;
        const Sx *bit = sx_state_bit(d, &neg);
        if (!bit) {
            lb_comment(&b, m->ir->flags.items[d_i]);
            LExpr *v = lx_bin(m, OP_SHL, lir_from_sx(m, d, &e), lx_num(m, at[d_i]));
            v->ty = lt(LK_FLAGS);
            lb_set(&b, fl, lx_bin(m, OP_BOR, LV(&b, fl), v));
            continue;
        }
        /* every later flag that copies a bit of the same field at the
         * same distance joins this one */
        int dist = (int)bit->lo - at[d_i];
        uint64_t mask = 0, inv = 0;
        const char *names = "";
        for (int j = d_i; j < dec->len && j < 64; j++) {
            bool oneg;
            const Sx *o = dec->items[j] ? sx_state_bit(dec->items[j], &oneg) : NULL;
            if (!o || o->field != bit->field || (int)o->lo - at[j] != dist)
                continue;
            done[j] = true;
            mask |= (uint64_t)1 << at[j];
            inv |= oneg ? (uint64_t)1 << at[j] : 0;
            names = arena_printf(m->a, "%s%s%s", names, *names ? ", " : "", (const char *)m->ir->flags.items[j]);
        }
        LExpr *v = field_at(m, bit, dist, &e);
        if (inv)
            v = lx_bin(m, OP_BXOR, v, lx_num(m, inv));
        v = lx_bin(m, OP_BAND, v, lx_num(m, mask));
        v->ty = lt(LK_FLAGS);
        lb_comment(&b, names);
        lb_set(&b, fl, lx_bin(m, OP_BOR, LV(&b, fl), v));
    }
    lb_ret(&b, LV(&b, fl));
    lir_place(m, f);
    x->fns->flags = f;
}

/* resolve: what this one unit makes of va, read from the hardware */
static void fn_resolve(U *x)
{
    LModule *m = x->m;
    LFn *f = fn(x, "resolve", lt(LK_BOOL), LINK_EXPORT, x->u->loc);
    int env = lir_param(m, f, "env", lt(LK_ENV));
    int ps[64];
    params(x, f, ps);
    int va = lir_param(m, f, "va", lt(LK_U64));
    int pa = lir_param(m, f, "pa", lt_ptr(LK_U64));
    int fl = lir_param(m, f, "flags", lt_ptr(LK_FLAGS));
    int st = lir_local(m, f, "st", lt_rec(x->fns->state));
    int t = lir_local(m, f, "t", lt(LK_U64));
    LB b;
    lb_begin(&b, m, f);
    LExpr *args[70];
    int n = 0;
    args[n++] = LV(&b, env);
    for (int i = 0; i < x->u->params.len; i++)
        args[n++] = LV(&b, ps[i]);
    args[n++] = lx_addr(m, LV(&b, st));
    lb_expr(&b, lx_call(m, x->fns->load, n, args));
    n = 0;
    args[n++] = lx_addr(m, LV(&b, st));
    for (int i = 0; i < x->u->params.len; i++)
        args[n++] = LV(&b, ps[i]);
    args[n++] = LV(&b, va);
    args[n++] = lx_addr(m, LV(&b, t));
    lb_if(&b, lx_not(m, lx_call(m, x->fns->vtranslate, n, args)));
    lb_ret(&b, lx_numk(m, 0, LK_BOOL));
    lb_end(&b);
    lb_assign(&b, lx_deref(m, LV(&b, pa)), LV(&b, t));
    lb_assign(&b, lx_deref(m, LV(&b, fl)), lx_callv(m, x->fns->flags, lx_addr(m, LV(&b, st)), NULL));
    lb_ret(&b, lx_numk(m, 1, LK_BOOL));
    lir_place(m, f);
    x->fns->resolve = f;
}

/* env, params..., va, sz[, flgs][, pa] */
typedef struct OpSlots {
    int env, ps[64], va, sz, flgs, pa;
} OpSlots;

static void op_params(U *x, LFn *f, SynthOpKind k, OpSlots *o)
{
    LModule *m = x->m;
    o->env = lir_param(m, f, "env", lt(LK_ENV));
    params(x, f, o->ps);
    o->va = lir_param(m, f, "va", lt(LK_U64));
    o->sz = lir_param(m, f, "sz", lt(LK_U64));
    o->flgs = k != SYN_UNMAP ? lir_param(m, f, "flgs", lt(LK_FLAGS)) : -1;
    o->pa = k == SYN_MAP ? lir_param(m, f, "pa", lt(LK_U64)) : -1;
}

static int op_args(LB *b, const OpSlots *o, int np, LExpr **args)
{
    int n = 0;
    for (int i = 0; i < b->fn->nparams && i < 70; i++)
        args[n++] = LV(b, i);
    (void)o;
    (void)np;
    return n;
}

static LSxEnv op_env(U *x, LB *b, const OpSlots *o, LExpr *st)
{
    LSxEnv e = sxenv(x, b, st, o->ps);
    e.var = LV(b, o->va);
    e.args[ARG_VA] = LV(b, o->va);
    e.args[ARG_SZ] = LV(b, o->sz);
    if (o->flgs >= 0) {
        e.args[ARG_FLGS] = LV(b, o->flgs);
        e.flags = LV(b, o->flgs);
    }
    if (o->pa >= 0)
        e.args[ARG_PA] = LV(b, o->pa);
    return e;
}

/* The requires of a program (and the implicit ranges) as a predicate: the
 * range driver asks it before it changes anything. */
static LFn *fn_ok(U *x, SynthOpKind k)
{
    LModule *m = x->m;
    const SynthProg *p = x->u->prog[k];
    LFn *f = fn(x, arena_printf(m->a, "%s_ok", synth_op_names[k]), lt(LK_BOOL), LINK_EXPORT, p->method->loc);
    OpSlots o;
    op_params(x, f, k, &o);
    bool needs_state = false;
    VEC_FOREACH(const Sx *, a, p->goals.assumes)
        needs_state |= sx_mentions(a, SX_STATE);
    int st = needs_state ? lir_local(m, f, "st", lt_rec(x->fns->state)) : -1;
    LB b;
    lb_begin(&b, m, f);
    if (needs_state) {
        LExpr *args[70];
        int n = 0;
        args[n++] = LV(&b, o.env);
        for (int i = 0; i < x->u->params.len; i++)
            args[n++] = LV(&b, o.ps[i]);
        args[n++] = lx_addr(m, LV(&b, st));
        lb_expr(&b, lx_call(m, x->fns->load, n, args));
    }
    LSxEnv e = op_env(x, &b, &o, st >= 0 ? LV(&b, st) : NULL);
    VEC_FOREACH(const Sx *, a, p->goals.assumes) {
        const Loc *l = p->goals.assume_locs.items[a_i];
        lb_loc(&b, *l);
        lb_if(&b, lx_not(m, lir_from_sx(m, a, &e)));
        lb_ret(&b, lx_numk(m, 0, LK_BOOL));
        lb_end(&b);
    }
    lb_loc(&b, p->method->loc);
    lb_ret(&b, lx_numk(m, 1, LK_BOOL));
    lir_place(m, f);
    return f;
}

/* Does x depend on more than the flags and constants (an address, a size,
 * a unit parameter, the state or the field's current bits)? */
static bool varies(const Sx *x)
{
    return !sx_only_args(x, 1u << ARG_FLGS);
}

/* The program's operations, with each field's flag-only sets moved ahead
 * of the sets that depend on the addresses (where their bits are disjoint,
 * so the result is the same): the flag part of an entry is then computed
 * once per loop of a range driver, not once per entry. */
static const SOp **do_order(Arena *a, const SynthProg *p)
{
    int n = p->ops.len;
    const SOp **o = arena_alloc(a, sizeof *o * (size_t)(n + 1));
    for (int i = 0; i < n; i++)
        o[i] = p->ops.items[i];
    for (bool moved = true; moved;) {
        moved = false;
        for (int i = 0; i + 1 < n; i++) {
            const SOp *x = o[i], *y = o[i + 1];
            if (x->kind == SOP_SET && y->kind == SOP_SET && x->io == y->io && (x->hi <= y->lo || y->hi <= x->lo)
                && varies(x->value) && !varies(y->value) && !sx_mentions(x->value, SX_CUR)) {
                o[i] = y;
                o[i + 1] = x;
                moved = true;
            }
        }
    }
    return o;
}

/* Where a map program splits into a template and the rest: it zeroes one
 * field, sets bits of it, writes it, and nothing else, and its first sets
 * depend on the flags only. Returns the index of the first op after the
 * flag-only sets (0: no split). A range driver computes the template once
 * per run of leaves. */
static int tmpl_split(const SynthProg *p, const SOp **order)
{
    int n = p->ops.len;
    if (n < 3 || order[0]->kind != SOP_ZERO || order[n - 1]->kind != SOP_WRITE || !order[0]->io)
        return 0;
    const SField *f = order[0]->io->field;
    if (f->kind == FIELD_INSTR)
        return 0;
    for (int i = 0; i < n; i++) {
        const SOp *op = order[i];
        if (!op->io || op->io->field != f || (i > 0 && i < n - 1 && op->kind != SOP_SET))
            return 0;
    }
    int split = 1;
    while (split < n - 1 && !varies(order[split]->value))
        split++;
    return split > 1 ? split : 0;
}

/* The operations alone, for the range driver (which checked the
 * arguments): part 0, all of them (_do); part 1, a map's template (the
 * zeroed field with its flag-only bits, returned); part 2, the rest, from
 * a template parameter (_put). */
static LFn *fn_do(U *x, SynthOpKind k, int part)
{
    LModule *m = x->m;
    const IrUnit *u = x->u;
    const SynthProg *p = u->prog[k];
    const SOp **order = do_order(m->a, p);
    int split = k == SYN_MAP ? tmpl_split(p, order) : 0;
    if (part && !split)
        return NULL;
    static const char *const what[] = { "do", "tmpl", "put" };
    LFn *f = fn(x, arena_printf(m->a, "%s_%s", synth_op_names[k], what[part]), lt(part == 1 ? LK_U64 : LK_VOID),
                LINK_INTERNAL, p->method->loc);
    OpSlots o;
    op_params(x, f, k, &o);
    int tmpl = part == 2 ? lir_param(m, f, "tmpl", lt(LK_U64)) : -1;
    /* a local per interface field the program touches */
    const SField *curf[64];
    LExpr *cur[64];
    int cslot[64], ncur = 0;
    LB b;
    lb_begin(&b, m, f);
    VEC_FOREACH(const SFieldIO *, io, u->io) {
        bool used = false;
        VEC_FOREACH(const SOp *, op, p->ops)
            used |= op->io == io && op->kind != SOP_BARRIER;
        if (used && io->field->kind != FIELD_INSTR && ncur < 64) {
            curf[ncur] = io->field;
            cslot[ncur] = lir_local(m, f, arena_printf(m->a, "l_%s", io->field->name), lt(LK_U64));
            cur[ncur] = LV(&b, cslot[ncur]);
            ncur++;
        }
    }
    LSxEnv e = op_env(x, &b, &o, NULL);
    e.curf = curf;
    e.cur = cur;
    e.ncur = ncur;
    int from = part == 2 ? split : 0, to = part == 1 ? split : p->ops.len;
    if (part == 2)
        lb_set(&b, cslot[0], LV(&b, tmpl));
    for (int oi = from; oi < to; oi++) {
        const SOp *op = order[oi];
        const SField *fl = op->io ? op->io->field : NULL;
        int c = -1;
        for (int i = 0; i < ncur; i++)
            if (curf[i] == fl)
                c = cslot[i];
        lb_loc(&b, op->loc);
        switch (op->kind) {
        case SOP_ZERO:
            if (c >= 0)
                lb_set(&b, c, lx_num(m, 0));
            break;
        case SOP_READ:
            if (fl->kind == FIELD_INSTR)
                lb_expr(&b, io_write(&b, LV(&b, o.env), fl, NULL));
            else if (c >= 0)
                lb_set(&b, c, io_read(&b, LV(&b, o.env), fl));
            break;
        case SOP_SET: {
            if (c < 0)
                break;
            uint64_t mk = mask_of(op->hi - op->lo);
            LExpr *keep = lx_bin(m, OP_BAND, LV(&b, c), lx_num(m, ~(mk << op->lo)));
            const Sx *val = op->value;
            LExpr *v;
            if (op->lo && val->kind == SX_BIN && val->op == OP_SHR && sx_is_num(val->b, op->lo))
                /* ((x >> lo) & mk) << lo: the bits of x in place */
                v = lx_bin(m, OP_BAND, lir_from_sx(m, val->a, &e), lx_num(m, mk << op->lo));
            else {
                v = lx_bin(m, OP_BAND, lir_from_sx(m, val, &e), lx_num(m, mk));
                if (op->lo)
                    v = lx_bin(m, OP_SHL, v, lx_num(m, op->lo));
            }
            lb_set(&b, c, lx_bin(m, OP_BOR, keep, v));
            break;
        }
        case SOP_WRITE:
            lb_expr(&b, io_write(&b, LV(&b, o.env), fl, c >= 0 ? LV(&b, c) : lx_num(m, 0)));
            break;
        case SOP_BARRIER:
            lb_expr(&b, lx_env(m, LENV_BARRIER, 0, 0, LV(&b, o.env), NULL));
            break;
        }
    }
    if (part == 1)
        lb_ret(&b, LV(&b, cslot[0]));
    lir_place(m, f);
    return f;
}

static LFn *fn_op(U *x, SynthOpKind k, LFn *ok, LFn *dof)
{
    LModule *m = x->m;
    const SynthProg *p = x->u->prog[k];
    LFn *f = fn(x, synth_op_names[k], lt(LK_STATUS), LINK_EXPORT, p->method->loc);
    OpSlots o;
    op_params(x, f, k, &o);
    LB b;
    lb_begin(&b, m, f);
    LExpr *args[70];
    int n = op_args(&b, &o, 0, args);
    lb_if(&b, lx_not(m, lx_call(m, ok, n, args)));
    lb_ret(&b, lx_numk(m, LIR_EINVAL, LK_STATUS));
    lb_end(&b);
    lb_expr(&b, lx_call(m, dof, n, args));
    lb_ret(&b, lx_numk(m, LIR_OK, LK_STATUS));
    lir_place(m, f);
    return f;
}

static void unit_fns(LModule *m, const IrUnit *u)
{
    U x = { .m = m, .u = u };
    x.pre = arena_printf(m->a, "%s_%s", m->ir->prefix, u->cname);
    x.fns = arena_alloc(m->a, sizeof *x.fns);
    x.fns->unit = u;
    vec_push(m->a, &m->units, x.fns);
    state_record(&x);
    fn_load(&x);
    fn_init(&x);
    x.fns->valid = fn_bool(&x, "valid", u->valid, false);
    x.fns->translate = fn_translate(&x, TR_PLAIN);
    x.fns->vtranslate = fn_translate(&x, TR_VALID);
    x.fns->probe = fn_translate(&x, TR_PROBE);
    x.fns->matchflags = fn_bool(&x, "matchflags", u->matchflags, true);
    fn_flags(&x);
    fn_resolve(&x);
    for (int k = 0; k < SYN_COUNT; k++) {
        if (!u->prog[k])
            continue;
        x.fns->ok[k] = fn_ok(&x, (SynthOpKind)k);
        x.fns->do_[k] = fn_do(&x, (SynthOpKind)k, 0);
        if (k == SYN_MAP) {
            x.fns->map_tmpl = fn_do(&x, (SynthOpKind)k, 1);
            x.fns->map_put = x.fns->map_tmpl ? fn_do(&x, (SynthOpKind)k, 2) : NULL;
        }
        x.fns->op[k] = fn_op(&x, (SynthOpKind)k, x.fns->ok[k], x.fns->do_[k]);
    }
}

void lir_lower_units(LModule *m)
{
    VEC_FOREACH(const IrUnit *, u, m->ir->units)
        if (u->kind == IR_SEGMENT)
            unit_fns(m, u);
}

LModule *lir_lower(Arena *a, const IrProgram *ir)
{
    LModule *m = lir_new(a, ir);
    lir_lower_units(m);
    lir_lower_drivers(m);
    return m;
}
