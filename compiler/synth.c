/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * synth.c - realization of deduced state values as interface programs, the
 * synthesis driver, and the program printer.
 *
 * Input: checked units, their contracts and deduced targets (deduce.c).
 * Output: per `synth fn map|unmap|protect` a SynthProg, proven by verify.c.
 *
 * Realization works backwards from the state: a target slice is written
 * by the interface field whose write move lands on it (a coupled mem/reg
 * field, or an mmio/reg WriteAction), or by an instruction that moves a
 * staging slice into it, which then becomes the target (MIPS `tlbwr` copies
 * EntryLo into the TLB). An instruction also overwrites every other slice it
 * moves; those must keep their values, so the instruction that moves them
 * back (`tlbr`) runs first. Each written field starts from 0 when nothing
 * it moves must survive, else from its current value (read-modify-write):
 * protect and unmap keep everything they do not set; map keeps the slices
 * the goals mention but do not fix (the current ASID), and zeroes the rest
 * (accessed/dirty/software bits of a fresh entry). Order is deterministic:
 * read-back instructions, then fields in declaration order with the field
 * that holds the enable slice (the one unmap clears) written last, each as
 * zero/read, sets in bit order, write; then the instructions.
 */
#include <string.h>
#include <time.h>

#include "synth.h"

const char *const synth_op_names[] = {
#define X(k, s) s,
    SYNTH_OPS(X)
#undef X
};

/* ---- actions -> moves ------------------------------------------------------------- */

/* `interface.f.s`, `state.f`, `x[lo..hi]` as bits of a field. */
static bool ref_of(SemaUnit *u, const Expr *e, SRef *r)
{
    if (e->kind == EXPR_SLICE) {
        if (!e->slice.lo || !e->slice.hi || !e->slice.lo->is_const || !e->slice.hi->is_const)
            return false;
        SRef b;
        if (!ref_of(u, e->slice.base, &b))
            return false;
        uint64_t lo = e->slice.lo->cval, hi = e->slice.hi->cval;
        if (lo >= hi || b.lo + hi > b.hi)
            return false;
        *r = (SRef){ b.field, b.lo + (unsigned)lo, b.lo + (unsigned)hi, b.iface, NULL };
        return true;
    }
    if (e->kind != EXPR_PATH || e->path.segs.len < 2 || e->path.segs.len > 3)
        return false;
    const char *root = ((Ident *)e->path.segs.items[0])->name;
    const char *fname = ((Ident *)e->path.segs.items[1])->name;
    bool iface = strcmp(root, "interface") == 0;
    if (!iface && strcmp(root, "state") != 0)
        return false;
    SField *f = sema_field(iface ? u->iface : u->state, fname);
    if (!f || f->size < 1 || f->size > 8)
        return false;
    if (e->path.segs.len == 2) {
        *r = (SRef){ f, 0, (unsigned)f->size * 8, iface, NULL };
        return true;
    }
    SSlice *s = sema_slice(f, ((Ident *)e->path.segs.items[2])->name);
    if (!s)
        return false;
    *r = (SRef){ f, s->lo, s->hi, iface, s->implicit ? NULL : s->name };
    return true;
}

static bool moves_of(SemaProgram *sp, SemaUnit *u, const PtrVec *actions, PtrVec *out)
{
    bool ok = true;
    VEC_FOREACH(Action *, ac, *actions) {
        SMove *m = arena_alloc(sp->arena, sizeof *m);
        m->loc = ac->loc;
        if (!ref_of(u, action_src(ac), &m->src) || !ref_of(u, action_dst(ac), &m->dst)) {
            diag_error(sp->diag, ac->loc, "synthesis can only model actions that move a field or "
                       "a slice (`interface.f.s -> state.g.t`)");
            ok = false;
            continue;
        }
        vec_push(sp->arena, out, m);
    }
    return ok;
}

bool synth_unit_io(SemaProgram *sp, SemaUnit *u, PtrVec *out)
{
    bool ok = true;
    VEC_FOREACH(SField *, f, u->iface) {
        SFieldIO *io = arena_alloc(sp->arena, sizeof *io);
        io->field = f;
        ok &= moves_of(sp, u, &f->read_actions, &io->reads);
        ok &= moves_of(sp, u, &f->write_actions, &io->writes);
        vec_push(sp->arena, out, io);
    }
    return ok;
}

/* ---- realization ------------------------------------------------------------------ */

static bool overlaps(const SRef *a, const SRef *b)
{
    return a->lo < b->hi && b->lo < a->hi
           && (a->field == b->field || strcmp(a->field->name, b->field->name) == 0);
}

static bool covers(const SRef *outer, const SRef *inner)
{
    return outer->lo <= inner->lo && inner->hi <= outer->hi
           && (outer->field == inner->field || strcmp(outer->field->name, inner->field->name) == 0);
}

/* A planned set: bits of an interface field's local copy. */
typedef struct Set {
    SFieldIO *io;
    unsigned  lo, hi;
    const char *name;
    Target   *t;              /* its value, guards and goals */
    Sx       *copy_value;     /* instead of t's value (a staging slice) */
} Set;

typedef struct Real {
    SemaProgram *sp;
    SynthProg   *p;
    Arena       *a;
    PtrVec       sets;        /* Set* */
    PtrVec       used_instr;  /* SFieldIO* instructions run as writers */
    PtrVec       preread;     /* SMove* list owners: SFieldIO* run first */
    PtrVec       preread_is_write;   /* parallel: (void*)1 when its moves are writes */
    PtrVec       keep;        /* SRef*: state bits that must survive */
    PtrVec       targets;     /* Target* */
    const SRef  *enable;      /* the slice unmap clears (written last by map) */
    VerifyCtx   *vc;
    bool         ok;
} Real;

static void push_unique(Arena *a, PtrVec *v, void *x)
{
    VEC_FOREACH(void *, y, *v)
        if (y == x)
            return;
    vec_push(a, v, x);
}

static Target *target_covering(Real *r, const SRef *bits)
{
    VEC_FOREACH(Target *, t, r->targets)
        if (covers(&t->slot, bits))
            return t;
    return NULL;
}

static bool targeted(Real *r, const SRef *bits)
{
    VEC_FOREACH(Target *, t, r->targets)
        if (overlaps(&t->slot, bits))
            return true;
    return false;
}

static Loc target_loc(const Target *t, Loc dflt)
{
    return t->goals.len ? ((Goal *)t->goals.items[0])->loc : dflt;
}

/* Find who writes state bits `s`; plan the set (or the staging target). */
static bool plan_write(Real *r, Target *t, const SRef *s, Sx *copy_value, int depth)
{
    /* an interface field's write move */
    VEC_FOREACH(SFieldIO *, io, r->p->io) {
        if (io->field->kind == FIELD_INSTR)
            continue;
        VEC_FOREACH(SMove *, m, io->writes) {
            if (!m->src.iface || m->dst.iface || !covers(&m->dst, s))
                continue;
            Set *st = arena_alloc(r->a, sizeof *st);
            st->io = io;
            st->lo = m->src.lo + (s->lo - m->dst.lo);
            st->hi = st->lo + (s->hi - s->lo);
            st->name = (st->lo == m->src.lo && st->hi == m->src.hi) ? m->src.name : NULL;
            if (!st->name && st->lo == 0 && st->hi == io->field->size * 8)
                st->name = NULL;
            st->t = t;
            st->copy_value = copy_value;
            vec_push(r->a, &r->sets, st);
            return true;
        }
    }
    /* an instruction moving a staging slice into it */
    if (depth < 4) {
        VEC_FOREACH(SFieldIO *, io, r->p->io) {
            if (io->field->kind != FIELD_INSTR)
                continue;
            VEC_FOREACH(SMove *, m, io->writes) {
                if (m->src.iface || m->dst.iface || !covers(&m->dst, s))
                    continue;
                SRef staged = { m->src.field, m->src.lo + (s->lo - m->dst.lo), 0, false,
                                m->src.name };
                staged.hi = staged.lo + (s->hi - s->lo);
                if (target_covering(r, &staged) && target_covering(r, &staged) != t)
                    continue;       /* the staging slice has a goal of its own */
                push_unique(r->a, &r->used_instr, io);
                return plan_write(r, t, &staged, copy_value, depth + 1);
            }
        }
    }
    return false;
}

/* A copy target x := y (established by an instruction's move y -> x): run
 * that instruction and keep y. */
static bool plan_copy(Real *r, Target *t)
{
    VEC_FOREACH(SFieldIO *, io, r->p->io) {
        if (io->field->kind != FIELD_INSTR)
            continue;
        VEC_FOREACH(SMove *, m, io->writes) {
            if (covers(&m->dst, &t->slot) && covers(&m->src, &t->copy_of)) {
                push_unique(r->a, &r->used_instr, io);
                SRef *k = arena_alloc(r->a, sizeof *k);
                *k = t->copy_of;
                vec_push(r->a, &r->keep, k);
                return true;
            }
        }
    }
    return false;
}

/* Every slice an instruction overwrites but no target fixes must survive:
 * find the instruction that moves it back into the staging slice, to run
 * first. */
static void plan_instr_keep(Real *r, SFieldIO *ins)
{
    VEC_FOREACH(SMove *, m, ins->writes) {
        if (m->src.iface || m->dst.iface || targeted(r, &m->dst))
            continue;
        if (r->p->op == SYN_MAP) {
            /* map: only slices the goals mention must survive */
            bool mentioned = false;
            VEC_FOREACH(SRef *, k, r->keep)
                if (overlaps(k, &m->dst))
                    mentioned = true;
            if (!mentioned)
                continue;
        }
        bool found = false;
        VEC_FOREACH(SFieldIO *, io, r->p->io) {
            if (io == ins || io->field->kind != FIELD_INSTR)
                continue;
            for (int w = 0; w < 2 && !found; w++) {
                VEC_FOREACH(SMove *, b, w ? io->writes : io->reads) {
                    if (covers(&b->src, &m->dst) && covers(&b->dst, &m->src)) {
                        bool dup = false;
                        VEC_FOREACH(SFieldIO *, q, r->preread)
                            dup |= q == io;
                        if (!dup) {
                            vec_push(r->a, &r->preread, io);
                            vec_push(r->a, &r->preread_is_write, w ? (void *)1 : NULL);
                        }
                        found = true;
                        break;
                    }
                }
            }
        }
        if (!found) {
            diag_error(r->sp->diag, m->loc, "cannot synthesize `%s` for unit `%s`: instruction `%s` "
                       "overwrites `state.%s` here, and no instruction moves it back to keep it",
                       synth_op_names[r->p->op], r->p->unit->name, ins->field->name,
                       m->dst.field->name);
            r->ok = false;
            return;
        }
        SRef *k = arena_alloc(r->a, sizeof *k);
        *k = m->src;
        vec_push(r->a, &r->keep, k);
    }
}

/* Must field io start from its current value? unmap and protect change
 * only what they set; map starts from 0 unless a goal relies on a bit it
 * does not set, or the field has bits the spec does not model (a register
 * whose Layout leaves bits out: keep what the hardware has there). */
static bool needs_read(Real *r, SFieldIO *io)
{
    if (r->p->op != SYN_MAP && io->reads.len)
        return true;
    /* a register's unmodelled bits belong to the hardware; a page-table
     * entry in memory (mem) starts clean */
    if (io->reads.len && io->field->kind != FIELD_MEM) {
        for (unsigned bit = 0; bit < io->field->size * 8; bit++) {
            bool moved = false;
            VEC_FOREACH(SMove *, m, io->writes)
                moved |= m->src.iface && m->src.lo <= bit && bit < m->src.hi;
            if (!moved)
                return true;
        }
    }
    VEC_FOREACH(SMove *, m, io->writes) {
        if (m->dst.iface)
            continue;
        bool all_set = false;
        VEC_FOREACH(Set *, s, r->sets) {
            if (s->io != io)
                continue;
            SRef bits = { io->field, s->lo, s->hi, true, NULL };
            if (covers(&bits, &m->src) && !s->t->guards.len)
                all_set = true;
        }
        if (all_set)
            continue;
        if (r->p->op != SYN_MAP)
            return true;
        VEC_FOREACH(SRef *, k, r->keep)
            if (overlaps(k, &m->dst))
                return true;
    }
    return false;
}

/* The value of a set: the target's value, or its guarded values over the
 * base (0, or the current bits). */
static Sx *set_value(Real *r, const Set *s, bool from_zero)
{
    if (s->copy_value)
        return s->copy_value;
    Target *t = s->t;
    if (t->value)
        return t->value;
    Sx *v = from_zero ? sx_num(r->a, 0) : sx_cur(r->a, s->io->field, s->lo, s->hi, s->name);
    for (int i = t->guards.len - 1; i >= 0; i--)
        v = sx_ite(r->a, t->guards.items[i], t->values.items[i], v);
    return v;
}

static SOp *new_op(Real *r, SOpKind k, SFieldIO *io, Loc loc)
{
    SOp *op = arena_alloc(r->a, sizeof *op);
    op->kind = k;
    op->io = io;
    op->loc = loc;
    vec_push(r->a, &r->p->ops, op);
    return op;
}

static bool holds_enable(Real *r, SFieldIO *io)
{
    if (!r->enable)
        return false;
    VEC_FOREACH(SMove *, m, io->writes)
        if (!m->dst.iface && overlaps(&m->dst, r->enable))
            return true;
    return false;
}

static void emit_field(Real *r, SFieldIO *io)
{
    bool any = false;
    VEC_FOREACH(Set *, s, r->sets)
        any |= s->io == io;
    if (!any)
        return;
    bool rd = needs_read(r, io);
    if (rd && !io->reads.len) {
        diag_error(r->sp->diag, io->field->loc, "cannot synthesize `%s` for unit `%s`: interface "
                   "field `%s` must keep bits it does not set, but it cannot be read back (no "
                   "ReadActions)", synth_op_names[r->p->op], r->p->unit->name, io->field->name);
        r->ok = false;
    }
    new_op(r, rd ? SOP_READ : SOP_ZERO, io, io->field->loc);
    /* sets in bit order (stable for equal lo) */
    for (unsigned bit = 0; bit < io->field->size * 8; bit++) {
        VEC_FOREACH(Set *, s, r->sets) {
            if (s->io != io || s->lo != bit)
                continue;
            Sx *v = set_value(r, s, !rd);
            if (s->t->guards.len)
                v = deduce_simplify(r->sp, r->p, r->vc, v);
            if (!rd && sx_is_num(v, 0))
                continue;               /* already 0 */
            SOp *op = new_op(r, SOP_SET, io, target_loc(s->t, io->field->loc));
            op->lo = s->lo;
            op->hi = s->hi;
            op->name = s->name;
            op->value = v;
        }
    }
    new_op(r, SOP_WRITE, io, io->field->loc);
}

static bool realize(SemaProgram *sp, SynthProg *p, VerifyCtx *vc, PtrVec *targets,
                    const SRef *enable)
{
    Real r = { .sp = sp, .p = p, .a = sp->arena, .targets = *targets, .enable = enable,
               .vc = vc, .ok = true };
    /* map keeps what the goals mention but do not fix; every operation must
     * not let a read-back instruction clobber what the goals mention */
    PtrVec mentioned = { 0 };
    {
        const PtrVec *lists[] = { &p->goals.result, &p->goals.pre, &p->goals.remap,
                                  &p->goals.flags, &p->goals.ensures };
        for (int l = 0; l < 5; l++) {
            VEC_FOREACH(Goal *, g, *lists[l]) {
                /* every state slice in the goal */
                Sx *stack[256];
                int n = 0;
                stack[n++] = g->atom;
                while (n > 0) {
                    Sx *x = stack[--n];
                    if (!x)
                        continue;
                    if (x->kind == SX_STATE) {
                        SRef *k = arena_alloc(r.a, sizeof *k);
                        *k = (SRef){ (SField *)x->field, x->lo, x->hi, false, x->name };
                        if (!targeted(&r, k)) {
                            vec_push(r.a, &mentioned, k);
                            if (p->op == SYN_MAP)
                                vec_push(r.a, &r.keep, k);
                        }
                        continue;
                    }
                    if (n + 3 <= 256) {
                        stack[n++] = x->a;
                        stack[n++] = x->b;
                        stack[n++] = x->c;
                    }
                }
            }
        }
    }
    VEC_FOREACH(Target *, t, *targets) {
        bool ok = t->copy_of.field ? plan_copy(&r, t) : plan_write(&r, t, &t->slot, NULL, 0);
        if (!ok) {
            Loc loc = target_loc(t, p->method->loc);
            diag_error(sp->diag, loc, "cannot synthesize `%s` for unit `%s`: this goal needs "
                       "`state.%s%s%s`, which no interface field or instruction writes",
                       synth_op_names[p->op], p->unit->name, t->slot.field->name,
                       t->slot.name ? "." : "", t->slot.name ? t->slot.name : "");
            r.ok = false;
        }
    }
    VEC_FOREACH(SFieldIO *, ins, r.used_instr)
        plan_instr_keep(&r, ins);
    if (!r.ok)
        return false;
    /* 0. a read-back instruction also overwrites staging slices the goals
     * rely on (MIPS tlbr overwrites EntryHi, whose ASID is the current
     * one): save the interface field that holds them, restore it last */
    PtrVec saved = { 0 };
    VEC_FOREACH(SFieldIO *, ins, r.preread) {
        const PtrVec *mv = r.preread_is_write.items[ins_i] ? &ins->writes : &ins->reads;
        VEC_FOREACH(SMove *, m, *mv) {
            bool needed = false;
            VEC_FOREACH(SRef *, k, mentioned)
                needed |= overlaps(k, &m->dst);
            if (!needed)
                continue;
            VEC_FOREACH(SFieldIO *, io, p->io) {
                if (io->field->kind == FIELD_INSTR || !io->reads.len)
                    continue;
                bool holds = false, written = false;
                VEC_FOREACH(SMove *, w, io->writes)
                    holds |= !w->dst.iface && overlaps(&w->dst, &m->dst);
                VEC_FOREACH(Set *, st, r.sets)
                    written |= st->io == io;
                if (holds && !written)
                    push_unique(r.a, &saved, io);
            }
        }
    }
    VEC_FOREACH(SFieldIO *, io, saved)
        new_op(&r, SOP_READ, io, io->field->loc);
    /* 1. instructions that move kept slices back into staging */
    VEC_FOREACH(SFieldIO *, io, r.preread)
        new_op(&r, r.preread_is_write.items[io_i] ? SOP_WRITE : SOP_READ, io, io->field->loc);
    /* 2. fields, the one holding the enable slice last (map) */
    for (int pass = 0; pass < 2; pass++)
        VEC_FOREACH(SFieldIO *, io, p->io)
            if (io->field->kind != FIELD_INSTR
                && (p->op == SYN_MAP ? holds_enable(&r, io) : false) == (pass == 1))
                emit_field(&r, io);
    /* 3. instructions that commit the staging slices */
    VEC_FOREACH(SFieldIO *, io, p->io)
        VEC_FOREACH(SFieldIO *, u, r.used_instr)
            if (u == io)
                new_op(&r, SOP_WRITE, io, io->field->loc);
    /* 4. the saved fields back */
    VEC_FOREACH(SFieldIO *, io, saved)
        new_op(&r, SOP_WRITE, io, io->field->loc);
    return r.ok;
}

/* ---- driver ------------------------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static SMethod *synth_method(SemaUnit *u, SynthOpKind k)
{
    SMethod *m = sema_method(u, synth_op_names[k]);
    return m && m->is_synth && !m->is_default ? m : NULL;
}

/* The test hook: corrupt the last set (or drop the last write). */
static void break_prog(SemaProgram *sp, SynthProg *p)
{
    for (int i = p->ops.len - 1; i >= 0; i--) {
        SOp *op = p->ops.items[i];
        if (op->kind == SOP_SET) {
            op->value = sx_bin(sp->arena, OP_BXOR, op->value, sx_num(sp->arena, 1));
            return;
        }
    }
    if (p->ops.len)
        p->ops.len--;
}

static bool wants_break(const SynthOptions *o, const SynthProg *p)
{
    if (!o->break_prog)
        return false;
    size_t n = strlen(p->unit->name);
    return strncmp(o->break_prog, p->unit->name, n) == 0 && o->break_prog[n] == '.'
           && strcmp(o->break_prog + n + 1, synth_op_names[p->op]) == 0;
}

static void synth_unit(SemaProgram *sp, const SynthOptions *opt, VerifyCtx *vc, SemaUnit *u,
                       SynthResult *res)
{
    PtrVec io = { 0 };
    bool io_ok = synth_unit_io(sp, u, &io);
    SynthProg *progs[SYN_COUNT] = { NULL };
    PtrVec targets[SYN_COUNT] = { { 0 } };
    /* unmap first: the slice it clears is the one map enables last */
    static const SynthOpKind order[] = { SYN_UNMAP, SYN_MAP, SYN_PROTECT };
    const SRef *enable = NULL;
    for (int oi = 0; oi < SYN_COUNT; oi++) {
        SynthOpKind k = order[oi];
        SMethod *m = synth_method(u, k);
        if (!m)
            continue;
        double t0 = now_ms();
        SynthProg *p = arena_alloc(sp->arena, sizeof *p);
        p->unit = u;
        p->op = k;
        p->method = m;
        p->io = io;
        progs[k] = p;
        p->ok = io_ok && deduce_goals(sp, u, m, k, &p->goals)
                && deduce_targets(sp, p, vc, &targets[k])
                && realize(sp, p, vc, &targets[k], k == SYN_MAP ? enable : NULL);
        if (k == SYN_UNMAP && targets[k].len)
            enable = &((Target *)targets[k].items[0])->slot;
        if (p->ok && wants_break(opt, p))
            break_prog(sp, p);
        if (p->ok && opt->verify) {
            p->proof = verify_prog(vc, p);
            p->ok = p->proof == PROOF_PROVEN;
        }
        p->ms = now_ms() - t0;
    }
    for (int k = 0; k < SYN_COUNT; k++) {
        if (!progs[k])
            continue;
        vec_push(sp->arena, &res->progs, progs[k]);
        res->failed += !progs[k]->ok;
    }
}

SynthResult *synth_program(SemaProgram *sp, const SynthOptions *opt)
{
    SynthResult *res = arena_alloc(sp->arena, sizeof *res);
    VerifyCtx *vc = verify_new(sp);
    VEC_FOREACH(SemaUnit *, u, sp->units) {
        if (u->kind != UNIT_SEGMENT || u->is_abstract)
            continue;
        if (opt->unit && strcmp(opt->unit, u->name) != 0)
            continue;
        synth_unit(sp, opt, vc, u, res);
    }
    verify_free(vc);
    return res;
}

/* ---- printer ----------------------------------------------------------------------- */

static const char *base_name(const Loc *l)
{
    const char *p = l->file ? l->file->path : "?";
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void print_op(FILE *out, const SOp *op)
{
    char line[8192];
    char val[4096];
    const SField *f = op->io ? op->io->field : NULL;
    switch (op->kind) {
    case SOP_ZERO:
        snprintf(line, sizeof line, "%s = 0;", f->name);
        break;
    case SOP_READ:
        snprintf(line, sizeof line, f->kind == FIELD_INSTR ? "%s();" : "%s = read(%s);", f->name,
                 f->name);
        break;
    case SOP_WRITE:
        snprintf(line, sizeof line, f->kind == FIELD_INSTR ? "%s();" : "write(%s);", f->name);
        break;
    case SOP_SET:
        sx_str(val, sizeof val, op->value);
        if (op->name)
            snprintf(line, sizeof line, "%s.%s = %s;", f->name, op->name, val);
        else if (op->lo == 0 && op->hi == f->size * 8)
            snprintf(line, sizeof line, "%s = %s;", f->name, val);
        else
            snprintf(line, sizeof line, "%s[%u..%u] = %s;", f->name, op->lo, op->hi, val);
        break;
    case SOP_BARRIER:
        snprintf(line, sizeof line, "barrier();");
        break;
    }
    fprintf(out, "    %-48s /* %s:%d */\n", line, base_name(&op->loc), op->loc.first_line);
}

static const char *status_name(const SynthProg *p)
{
    if (!p->ok)
        return "FAILED";
    switch (p->proof) {
    case PROOF_PROVEN:  return "proven";
    case PROOF_FAILED:  return "proof FAILED";
    case PROOF_UNKNOWN: return "proof unknown";
    default:            return "not verified";
    }
}

void synth_print(FILE *out, const SynthResult *r, bool times)
{
    const SemaUnit *last = NULL;
    VEC_FOREACH(const SynthProg *, p, r->progs) {
        if (p->unit != last) {
            if (last)
                fputc('\n', out);
            fprintf(out, "// unit %s (%s:%d)\n", p->unit->name, base_name(&p->unit->ast->loc),
                    p->unit->ast->loc.first_line);
            last = p->unit;
        }
        fprintf(out, "\n%s(", p->method->name);
        VEC_FOREACH(const Param *, q, p->method->params)
            fprintf(out, "%s%s", q_i ? ", " : "", q->name.name);
        fprintf(out, ")  /* %s:%d */\n", base_name(&p->method->loc), p->method->loc.first_line);
        VEC_FOREACH(const Sx *, a, p->goals.assumes) {
            char buf[1024];
            fprintf(out, "    %s %s\n", a_i < p->goals.nrequires ? "requires" : "assume  ",
                    sx_str(buf, sizeof buf, a));
        }
        if (times)
            fprintf(out, "    // %s in %.1f ms\n", status_name(p), p->ms);
        else
            fprintf(out, "    // %s\n", status_name(p));
        fprintf(out, "{\n");
        VEC_FOREACH(const SOp *, op, p->ops)
            print_op(out, op);
        fprintf(out, "}\n");
    }
}
