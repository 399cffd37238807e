/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lower.c - checked program + synthesized programs -> the lowered IR.
 *
 * Everything a backend needs is resolved here, once: spec expressions
 * become Sx (deduce_expr), the way each state field is read back through
 * the interface is worked out from the read actions, a table's element
 * parameters become Sx over the table's parameters and the index, and the
 * flags a leaf holds are decoded from what its proven map program wrote
 * (`entry.xd = !flgs.executable` decodes as `executable = !xd`). See ir.h.
 */
#include <ctype.h>
#include <string.h>

#include "ir.h"

const char *const ir_unit_kind_names[] = {
#define X(k, s) s,
    IR_UNIT_KINDS(X)
#undef X
};

typedef struct Low {
    SemaProgram     *sp;
    const SynthResult *syn;
    IrProgram       *ir;
    Arena           *a;
    bool             ok;
} Low;

/* CamelCase -> snake_case: PdptEntryPage -> pdpt_entry_page, X8664Cr3 ->
 * x8664_cr3 (a digit run followed by an upper-case letter splits too). */
static const char *snake(Arena *a, const char *s)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, 2 * n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c) && i > 0 && s[i - 1] != '_'
            && (islower((unsigned char)s[i - 1]) || isdigit((unsigned char)s[i - 1])
                || (i + 1 < n && islower((unsigned char)s[i + 1]))))
            out[k++] = '_';
        out[k++] = (char)tolower(c);
    }
    out[k] = 0;
    return out;
}

IrUnit *ir_unit(const IrProgram *ir, const SemaUnit *su)
{
    VEC_FOREACH(IrUnit *, u, ir->units)
        if (u->su == su)
            return u;
    return NULL;
}

static int index_of(const PtrVec *v, const void *x)
{
    VEC_FOREACH(const void *, y, *v)
        if (y == x)
            return y_i;
    return -1;
}

/* An interface register coupled with a state register is that register. */
int ir_reg_id(const IrProgram *ir, const SField *f)
{
    if (f && f->is_interface && f->coupled && f->coupled->kind == FIELD_REG)
        f = f->coupled;
    return index_of(&ir->regs, f);
}

int ir_instr_id(const IrProgram *ir, const SField *f)
{
    return index_of(&ir->instrs, f);
}

/* ---- expressions ---------------------------------------------------------------- */

/* The unit's params bound to SX_PARAM, chained in front of `next`. */
static const SxBind *param_env(Low *l, const SemaUnit *u, SxBind *b, int max, const SxBind *next)
{
    const SxBind *env = next;
    for (int i = 0; i < u->params.len && i < max; i++) {
        const Param *p = u->params.items[i];
        b[i] = (SxBind){ p, p->name.name, sx_param(l->a, i, p->name.name), env };
        env = &b[i];
    }
    return env;
}

static Sx *lower_expr(Low *l, SemaUnit *u, const Expr *e, const SxBind *env, const char *what)
{
    const Expr *bad = NULL;
    Sx *x = deduce_expr(l->sp, u, e, env, &bad);
    if (!x) {
        diag_error(l->sp->diag, bad ? bad->loc : e->loc,
                   "cannot lower %s of unit `%s` for code generation: this expression is not "
                   "supported", what, u->name);
        l->ok = false;
    }
    return x;
}

/* ---- segments ------------------------------------------------------------------- */

/* State field f read back: the inverse of every read move that fills f
 * from an interface field (for a coupled mem/reg field, its default
 * per-slice actions). */
static IrStateRead *state_read(Low *l, IrUnit *iu, SField *f)
{
    IrStateRead *r = arena_alloc(l->a, sizeof *r);
    r->field = f;
    VEC_FOREACH(SFieldIO *, io, iu->io) {
        if (io->field->kind == FIELD_INSTR)
            continue;
        bool used = false;
        VEC_FOREACH(SMove *, m, io->reads) {
            if (m->src.iface || !m->dst.iface || strcmp(m->src.field->name, f->name) != 0)
                continue;
            SMove *inv = arena_alloc(l->a, sizeof *inv);
            inv->src = m->dst;
            inv->dst = m->src;
            inv->loc = m->loc;
            vec_push(l->a, &r->moves, inv);
            used = true;
        }
        if (used)
            vec_push(l->a, &r->ios, io);
    }
    /* complete if every slice of f is covered by some move */
    r->complete = true;
    VEC_FOREACH(SSlice *, s, f->slices) {
        bool cov = false;
        VEC_FOREACH(SMove *, m, r->moves)
            cov |= m->dst.lo <= s->lo && s->hi <= m->dst.hi;
        if (!cov)
            r->complete = false;
    }
    if (!r->moves.len)
        r->complete = false;
    return r;
}

static SynthProg *find_prog(const SynthResult *syn, const SemaUnit *u, SynthOpKind k)
{
    if (!syn)
        return NULL;
    VEC_FOREACH(SynthProg *, p, syn->progs)
        if (p->unit == u && p->op == k && p->ok)
            return p;
    return NULL;
}

/* flag k is what map wrote into a state slice: `s = flgs.f` or `s = !flgs.f`
 * (through the field's write move) reads back as `s` or `!s`. */
static Sx *decode_flag(Low *l, IrUnit *iu, int k)
{
    SynthProg *p = iu->prog[SYN_MAP];
    if (!p)
        return NULL;
    VEC_FOREACH(SOp *, op, p->ops) {
        if (op->kind != SOP_SET || !op->value)
            continue;
        const Sx *v = op->value;
        bool neg = false;
        if (v->kind == SX_UN && v->uop == OP_NOT) {
            neg = true;
            v = v->a;
        }
        if (v->kind != SX_FLAG || v->flag != k)
            continue;
        VEC_FOREACH(SMove *, m, op->io->writes) {
            if (!m->src.iface || m->dst.iface || m->src.lo > op->lo || op->hi > m->src.hi)
                continue;
            unsigned lo = m->dst.lo + (op->lo - m->src.lo);
            Sx *s = sx_state(l->a, m->dst.field, lo, lo + (op->hi - op->lo), m->dst.name);
            return neg ? sx_bin(l->a, OP_EQ, s, sx_num(l->a, 0)) : sx_bin(l->a, OP_NE, s, sx_num(l->a, 0));
        }
    }
    return NULL;
}

static void lower_segment(Low *l, IrUnit *iu)
{
    SemaUnit *u = iu->su;
    SxBind pb[16];
    const SxBind *penv = param_env(l, u, pb, 16, NULL);
    for (int k = 0; k < SYN_COUNT; k++)
        iu->prog[k] = find_prog(l->syn, u, (SynthOpKind)k);
    /* one set of interface moves: the programs' own, so ops and IR agree */
    for (int k = 0; k < SYN_COUNT && !iu->io.len; k++)
        if (iu->prog[k])
            iu->io = iu->prog[k]->io;
    if (!iu->io.len && !synth_unit_io(l->sp, u, &iu->io))
        l->ok = false;
    VEC_FOREACH(SField *, f, u->state)
        vec_push(l->a, &iu->reads, state_read(l, iu, f));
    SMethod *valid = sema_method(u, "valid");
    if (valid && valid->body)
        iu->valid = lower_expr(l, u, valid->body, penv, "valid()");
    SMethod *tr = sema_method(u, "translate");
    if (tr) {
        const Param *tp = tr->params.len ? tr->params.items[0] : NULL;
        SxBind tb = { tp, tp ? tp->name.name : "va", sx_var(l->a), penv };
        VEC_FOREACH(Expr *, r, tr->requires) {
            Sx *x = lower_expr(l, u, r, &tb, "a translate precondition");
            if (x)
                vec_push(l->a, &iu->pre, x->is_bool ? x : sx_bin(l->a, OP_NE, x, sx_num(l->a, 0)));
        }
        iu->translate = tr->body ? lower_expr(l, u, tr->body, &tb, "translate()") : sx_var(l->a);
    }
    SMethod *mf = sema_method(u, "matchflags");
    if (mf && mf->body) {
        const Param *fp = mf->params.len ? mf->params.items[0] : NULL;
        SxBind fb = { fp, fp ? fp->name.name : "flgs", sx_arg(l->a, ARG_FLGS), penv };
        iu->matchflags = lower_expr(l, u, mf->body, &fb, "matchflags()");
    }
    VEC_FOREACH(Ident *, f, l->sp->flags)
        vec_push(l->a, &iu->flag_decode, decode_flag(l, iu, f_i));
    /* readable: every state slice the IR's expressions use can be read back */
    iu->readable = true;
    const Sx *uses[4] = { iu->valid, iu->translate, iu->matchflags, NULL };
    VEC_FOREACH(IrStateRead *, r, iu->reads) {
        VEC_FOREACH(SSlice *, sl, r->field->slices) {
            bool used = false;
            for (int k = 0; uses[k] || k < 3; k++)
                used |= uses[k] && sx_mentions_state(uses[k], r->field, sl->lo, sl->hi);
            VEC_FOREACH(const Sx *, x, iu->pre)
                used |= sx_mentions_state(x, r->field, sl->lo, sl->hi);
            VEC_FOREACH(const Sx *, x, iu->flag_decode)
                used |= x && sx_mentions_state(x, r->field, sl->lo, sl->hi);
            if (!used)
                continue;
            bool cov = false;
            VEC_FOREACH(SMove *, m, r->moves)
                cov |= m->dst.lo <= sl->lo && sl->hi <= m->dst.hi;
            iu->readable &= cov;
        }
    }
    iu->page_size = iu->inbits < 64 ? (uint64_t)1 << iu->inbits : 0;
    iu->map_size = iu->page_size;
    if (iu->prog[SYN_MAP]) {
        VEC_FOREACH(const Sx *, x, iu->prog[SYN_MAP]->goals.assumes)
            if (x->kind == SX_BIN && x->op == OP_EQ && x->a->kind == SX_ARG && x->a->arg == ARG_SZ
                && x->b->kind == SX_NUM)
                iu->map_size = x->b->num;
    }
    /* register and instruction numbers */
    VEC_FOREACH(SField *, f, u->state)
        if (f->kind == FIELD_REG && index_of(&l->ir->regs, f) < 0)
            vec_push(l->a, &l->ir->regs, f);
    VEC_FOREACH(SField *, f, u->iface) {
        if (f->kind == FIELD_REG && ir_reg_id(l->ir, f) < 0)
            vec_push(l->a, &l->ir->regs, f);
        if (f->kind == FIELD_INSTR && index_of(&l->ir->instrs, f) < 0)
            vec_push(l->a, &l->ir->instrs, f);
    }
}

/* A table: a comprehension `[E(args) for i in lo..hi]` whose entries tile
 * the input space in order. Anything else stays without driver support. */
static void lower_table(Low *l, IrUnit *iu)
{
    SemaUnit *u = iu->su;
    const MapDef *m = u->map;
    iu->entries = (uint64_t)u->entries.len;
    if (!m || !m->comprehension || m->elems.len != 1 || !u->entries.len)
        return;
    const MapElem *el = m->elems.items[0];
    const MapEntry *first = u->entries.items[0];
    SemaUnit *eu = first->unit;
    uint64_t span = eu->inbitwidth < 64 ? (uint64_t)1 << eu->inbitwidth : 0;
    VEC_FOREACH(const MapEntry *, e, u->entries)
        if (e->unit != eu || e->src_lo != e_i * span || e->offset != 0)
            return;
    iu->index_lo = (unsigned)eu->inbitwidth;
    iu->index_hi = (unsigned)u->inbitwidth;
    SxBind pb[16];
    SxBind ib = { NULL, m->var.name, sx_var(l->a), param_env(l, u, pb, 16, NULL) };
    VEC_FOREACH(Expr *, a, el->args) {
        Sx *x = lower_expr(l, u, a, &ib, "a table element's argument");
        if (!x)
            return;
        vec_push(l->a, &iu->elem_args, x);
    }
    iu->elem = ir_unit(l->ir, eu);
}

/* Bytes a table occupies in memory: entries x stride, where the element's
 * first param advances by the stride of its one mem state field. */
static void table_bytes(Low *l, IrUnit *iu)
{
    (void)l;
    if (!iu->elem || !iu->elem_args.len)
        return;
    IrUnit *e = iu->elem->kind == IR_CHOICE && iu->elem->variants.len ? iu->elem->variants.items[0]
                                                                      : iu->elem;
    if (e->kind != IR_SEGMENT || e->su->state.len != 1)
        return;
    const SField *f = e->su->state.items[0];
    if (f->kind != FIELD_MEM)
        return;
    const Sx *x = iu->elem_args.items[0];
    /* base + i * size */
    if (x->kind == SX_BIN && x->op == OP_ADD && x->a->kind == SX_PARAM && x->b->kind == SX_BIN
        && x->b->op == OP_MUL && x->b->a->kind == SX_VAR && x->b->b->kind == SX_NUM
        && x->b->b->num == f->size && f->offset == 0)
        iu->table_bytes = iu->entries * f->size;
}

/* A flag's place in flags_t: the bit at which a leaf keeps it, taken from
 * the leaves with the smallest pages first (they are the most numerous),
 * then from the other segments, in definition order; a flag no unit keeps
 * in one bit, or whose bit is taken, gets the lowest free bit. Any
 * one-to-one choice is correct; this one makes flags(), matchflags() and
 * the flag half of map masks, as in a hand-written driver. */
static void place_flags(IrProgram *ir)
{
    bool placed[64] = { 0 }, used[64] = { 0 };
    const IrUnit *order[256];
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        VEC_FOREACH(const IrUnit *, iu, ir->units) {
            bool leaf = iu->kind == IR_SEGMENT && !iu->child && iu->prog[SYN_MAP];
            if (iu->kind != IR_SEGMENT || leaf != (pass == 0) || n == 256)
                continue;
            int at = n++;
            /* leaves: by page size, stable */
            while (pass == 0 && at > 0 && order[at - 1]->page_size > iu->page_size) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = iu;
        }
    for (int u = 0; u < n; u++)
        VEC_FOREACH(const Sx *, d, order[u]->flag_decode) {
            bool neg;
            const Sx *b = d && d_i < 64 ? sx_state_bit(d, &neg) : NULL;
            if (!b || placed[d_i] || b->lo >= 64 || used[b->lo])
                continue;
            placed[d_i] = used[b->lo] = true;
            ir->flag_bit[d_i] = (uint8_t)b->lo;
        }
    int free = 0;
    for (int i = 0; i < ir->flags.len && i < 64; i++) {
        if (placed[i])
            continue;
        while (used[free])
            free++;
        used[free] = true;
        ir->flag_bit[i] = (uint8_t)free;
    }
}

uint64_t ir_flags_all(const IrProgram *ir)
{
    uint64_t all = 0;
    for (int i = 0; i < ir->flags.len && i < 64; i++)
        all |= ir_flag(ir, i);
    return all;
}

IrProgram *ir_lower(SemaProgram *sp, const SynthResult *syn, const char *prefix)
{
    Low l = { sp, syn, NULL, sp->arena, true };
    IrProgram *ir = arena_alloc(l.a, sizeof *ir);
    l.ir = ir;
    ir->sp = sp;
    ir->prefix = prefix;
    {
        const Spec *main = sp->prog->specs.len ? sp->prog->specs.items[sp->prog->specs.len - 1] : NULL;
        const char *path = main && main->file ? main->file->path : "spec.vrs";
        const char *b = strrchr(path, '/');
        ir->spec = b ? b + 1 : path;
    }
    VEC_FOREACH(Ident *, f, sp->flags)   /* at most 64 (resolve.c) */
        vec_push(l.a, &ir->flags, (void *)f->name);
    /* units first, so tables and choices can point at their elements */
    VEC_FOREACH(SemaUnit *, u, sp->units) {
        if (u->kind == UNIT_OSSPEC || u->is_abstract)
            continue;
        IrUnit *iu = arena_alloc(l.a, sizeof *iu);
        iu->su = u;
        iu->kind = u->kind == UNIT_SEGMENT ? IR_SEGMENT : u->kind == UNIT_STATICMAP ? IR_TABLE
                                                                                    : IR_CHOICE;
        iu->name = u->name;
        iu->cname = snake(l.a, u->name);
        iu->inbits = (unsigned)u->inbitwidth;
        iu->outbits = (unsigned)u->outbitwidth;
        iu->loc = u->ast ? u->ast->loc : (Loc){ 0 };
        VEC_FOREACH(Param *, p, u->params)
            vec_push(l.a, &iu->params, (void *)p->name.name);
        vec_push(l.a, &ir->units, iu);
    }
    VEC_FOREACH(IrUnit *, iu, ir->units) {
        switch (iu->kind) {
        case IR_SEGMENT:
            lower_segment(&l, iu);
            break;
        case IR_TABLE:
            lower_table(&l, iu);
            break;
        case IR_CHOICE:
            VEC_FOREACH(SemaUnit *, v, iu->su->variants) {
                IrUnit *vu = ir_unit(ir, v);
                if (vu)
                    vec_push(l.a, &iu->variants, vu);
            }
            break;
        }
    }
    VEC_FOREACH(IrUnit *, iu, ir->units) {
        if (iu->kind == IR_SEGMENT && iu->su->maps_table && iu->su->child)
            iu->child = ir_unit(ir, iu->su->child);
        if (iu->kind == IR_TABLE)
            table_bytes(&l, iu);
    }
    place_flags(ir);
    VEC_FOREACH(SemaUnit *, r, sp->comp.roots) {
        IrUnit *iu = ir_unit(ir, r);
        if (iu)
            vec_push(l.a, &ir->roots, iu);
    }
    return l.ok ? ir : NULL;
}

/* ---- dump ------------------------------------------------------------------------- */

static void dump_sx(FILE *out, const char *label, const Sx *x)
{
    if (!x)
        return;
    fprintf(out, "    %s: ", label);
    sx_print(out, x);
    fputc('\n', out);
}

void ir_dump(FILE *out, const IrProgram *ir)
{
    fprintf(out, "ir %s\n", ir->prefix);
    VEC_FOREACH(const char *, f, ir->flags)
        fprintf(out, "  flag %d %s\n", f_i, f);
    VEC_FOREACH(const SField *, f, ir->regs)
        fprintf(out, "  reg %d %s\n", f_i, f->name);
    VEC_FOREACH(const SField *, f, ir->instrs)
        fprintf(out, "  instr %d %s\n", f_i, f->name);
    VEC_FOREACH(const IrUnit *, r, ir->roots)
        fprintf(out, "  root %s\n", r->name);
    VEC_FOREACH(const IrUnit *, u, ir->units) {
        fprintf(out, "\n%s %s (%s) in %u out %u", ir_unit_kind_names[u->kind], u->name, u->cname,
                u->inbits, u->outbits);
        VEC_FOREACH(const char *, p, u->params)
            fprintf(out, "%s%s", p_i ? ", " : " params ", p);
        fputc('\n', out);
        switch (u->kind) {
        case IR_SEGMENT:
            VEC_FOREACH(const IrStateRead *, r, u->reads) {
                fprintf(out, "    read state.%s:", r->field->name);
                VEC_FOREACH(const SFieldIO *, io, r->ios)
                    fprintf(out, " %s", io->field->name);
                fprintf(out, "%s\n", r->complete ? "" : " (incomplete)");
            }
            dump_sx(out, "valid", u->valid);
            VEC_FOREACH(const Sx *, x, u->pre)
                dump_sx(out, "pre", x);
            dump_sx(out, "translate", u->translate);
            dump_sx(out, "matchflags", u->matchflags);
            VEC_FOREACH(const Sx *, x, u->flag_decode) {
                if (!x)
                    continue;
                char lab[64];
                snprintf(lab, sizeof lab, "flag %s", (const char *)ir->flags.items[x_i]);
                dump_sx(out, lab, x);
            }
            for (int k = 0; k < SYN_COUNT; k++)
                if (u->prog[k])
                    fprintf(out, "    %s: %d ops\n", synth_op_names[k], u->prog[k]->ops.len);
            if (u->child)
                fprintf(out, "    child %s\n", u->child->name);
            break;
        case IR_TABLE:
            fprintf(out, "    %llu entries, index va[%u..%u), %llu bytes\n",
                    (unsigned long long)u->entries, u->index_lo, u->index_hi,
                    (unsigned long long)u->table_bytes);
            if (u->elem)
                fprintf(out, "    elem %s\n", u->elem->name);
            VEC_FOREACH(const Sx *, x, u->elem_args)
                dump_sx(out, "arg", x);
            break;
        case IR_CHOICE:
            VEC_FOREACH(const IrUnit *, v, u->variants)
                fprintf(out, "    variant %s\n", v->name);
            break;
        }
    }
}
