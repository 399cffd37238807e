/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * deduce.c - the contract of map/unmap/protect as conjuncts, and deduction
 * of state-slice values from them.
 *
 * Input: a checked unit and one of its `synth fn`s. deduce_goals() converts
 * the spec expressions that make up the operation's contract into Sx
 * (inlining method calls, binding translate's input to va + i for map and
 * unmap or to a free x for protect) and splits them into conjuncts, each
 * with the source location it was written at, so every later error can
 * point at the exact clause. `g ==> c` and `if g {..} else {..}` whose
 * condition does not mention state become guarded conjuncts.
 *
 * deduce_targets() then solves the conjuncts for state slices, the way one
 * would by hand, never by enumerating programs:
 *   1. equalities, isolating the one unknown slice through + - << >> * | ^ ~
 *      and `1 << x` (log2), or several shifted slices that tile the bits of
 *      a value (`(hi << 32) + lo == pa`); range goals use i = 0;
 *   2. bounds against translate's input (va' < S gives S = va + sz, va' >= S
 *      gives S = va), which fix window registers;
 *   3. weak constraints on a still-unknown slice (`!=`, constant bounds);
 *   4. disjunctions, by their first solvable disjunct.
 * Solved slices are substituted into the remaining conjuncts, and rounds
 * repeat until nothing changes. Conjuncts left with no unknown are only
 * checked (by the proof). unmap instead falsifies the first remap or
 * translate-precondition conjunct that a single slice can falsify.
 * Output: Targets (slice := value, optionally under flag guards); values
 * are simplified under the operation's assumptions (verify_equal).
 */
#include <string.h>

#include "synth.h"

enum { INLINE_DEPTH = 16, MAX_ROUNDS = 64 };

const char *const goal_origin_names[] = {
#define X(k, s) s,
    GOAL_ORIGINS(X)
#undef X
};

/* ---- Expr -> Sx ----------------------------------------------------------------- */

typedef SxBind Bind;

typedef struct Conv {
    SemaProgram *sp;
    SemaUnit    *u;
    Arena       *a;
    int          depth;
    const Expr  *bad;       /* first expression that could not be converted */
    const char  *why;
} Conv;

static Sx *conv(Conv *c, const Expr *e, const Bind *env);

static Sx *fail(Conv *c, const Expr *e, const char *why)
{
    if (!c->bad) {
        c->bad = e;
        c->why = why;
    }
    return NULL;
}

static const Bind *lookup(const Bind *env, const Param *p, const char *name)
{
    for (const Bind *b = env; b; b = b->next)
        if ((p && b->param == p) || (name && b->name && strcmp(b->name, name) == 0))
            return b;
    return NULL;
}

/* The unit's own state field of that name (an inherited method may name
 * its parent's SField). */
static SField *own_state(const SemaUnit *u, const SField *f)
{
    if (!f || f->is_interface)
        return NULL;
    return sema_field(u->state, f->name);
}

static Sx *conv_path(Conv *c, const Expr *e, const Bind *env)
{
    const Symbol *s = e->sym;
    switch (s->kind) {
    case SYM_CONST:
        if (!s->cnst || !s->cnst->ok)
            return fail(c, e, "constant without a value");
        return s->cnst->type.kind == TYPE_BOOL ? sx_bool(c->a, s->cnst->value)
                                               : sx_num(c->a, s->cnst->value);
    case SYM_PARAM:
    case SYM_VAR: {
        const Bind *b = lookup(env, s->param, NULL);
        if (!b)
            b = lookup(env, NULL, s->param ? s->param->name.name
                                           : ((const Ident *)e->path.segs.items[0])->name);
        if (!b)
            return fail(c, e, "a parameter synthesis has no value for");
        return b->val;
    }
    case SYM_FIELD: {
        SField *f = own_state(c->u, s->field);
        if (!f)
            return fail(c, e, "an interface field");
        return sx_state(c->a, f, 0, (unsigned)f->size * 8, NULL);
    }
    case SYM_SLICE: {
        SField *f = s->slice ? own_state(c->u, s->slice->field) : NULL;
        SSlice *sl = f ? sema_slice(f, s->slice->name) : NULL;
        if (!sl)
            return fail(c, e, "an interface slice");
        return sx_state(c->a, f, sl->lo, sl->hi, sl->implicit ? NULL : sl->name);
    }
    case SYM_FLAG_BIT: {
        const char *pname = ((const Ident *)e->path.segs.items[0])->name;
        const Bind *b = lookup(env, NULL, pname);
        const char *fname = ((const Ident *)e->path.segs.items[e->path.segs.len - 1])->name;
        if (!b)
            return fail(c, e, "a flags value synthesis has no value for");
        if (b->val->kind == SX_ARG && b->val->arg == ARG_FLGS)
            return sx_flag(c->a, s->flag_bit, fname);
        Sx *bit = sx_bin(c->a, OP_BAND, sx_bin(c->a, OP_SHR, b->val, sx_num(c->a, (uint64_t)s->flag_bit)),
                         sx_num(c->a, 1));
        return sx_bin(c->a, OP_NE, bit, sx_num(c->a, 0));
    }
    default:
        return fail(c, e, "this kind of name");
    }
}

/* The method a call names (NULL if it is not a method call). */
static const SMethod *called(const Expr *e)
{
    const Symbol *s = e->sym;
    if ((!s || s->kind != SYM_METHOD) && e->call.callee)
        s = e->call.callee->sym;
    return s && s->kind == SYM_METHOD ? s->method : NULL;
}

/* Bind m's params to the converted arguments of call e (at most 8), in
 * binds; returns the callee's environment, or NULL (with *ok false) if an
 * argument cannot be converted. */
static const Bind *bind_args(Conv *c, const SMethod *m, const Expr *e, const Bind *env, Bind *binds,
                             bool *ok)
{
    const Bind *callee = NULL;
    *ok = true;
    for (int i = 0; i < m->params.len && i < 8; i++) {
        const Param *p = m->params.items[i];
        Sx *v = conv(c, e->call.args.items[i], env);
        if (!v) {
            *ok = false;
            return NULL;
        }
        binds[i] = (Bind){ p, p->name.name, v, callee };
        callee = &binds[i];
    }
    return callee;
}

/* Bind a callee's params to the converted arguments. */
static Sx *conv_call(Conv *c, const Expr *e, const Bind *env)
{
    const SMethod *m = called(e);
    if (!m)
        return fail(c, e, "this call");
    if (!m->body) {
        if (m->is_default && (!strcmp(m->name, "valid") || !strcmp(m->name, "matchflags")))
            return sx_bool(c->a, true);
        if (m->is_default && !strcmp(m->name, "translate") && e->call.args.len == 1)
            return conv(c, e->call.args.items[0], env);
        return fail(c, e, "a call of a method without a body");
    }
    if (c->depth >= INLINE_DEPTH)
        return fail(c, e, "calls nested this deep");
    if (m->params.len != e->call.args.len || m->params.len > 8)
        return fail(c, e, "this call");
    Bind binds[8];
    bool ok;
    const Bind *callee = bind_args(c, m, e, env, binds, &ok);
    if (!ok)
        return NULL;
    c->depth++;
    Sx *r = conv(c, m->body, callee);
    c->depth--;
    return r;
}

static Sx *conv(Conv *c, const Expr *e, const Bind *env)
{
    if (!e)
        return fail(c, e, "a missing expression");
    if (e->is_const && e->kind != EXPR_QUANT && e->ty != TYPE_VOID)
        return e->ty == TYPE_BOOL ? sx_bool(c->a, e->cval != 0) : sx_num(c->a, e->cval);
    switch (e->kind) {
    case EXPR_NUM:
        return sx_num(c->a, e->num.value);
    case EXPR_BOOL:
        return sx_bool(c->a, e->boolean);
    case EXPR_PATH:
        if (!e->sym)
            return fail(c, e, "an unresolved name");
        return conv_path(c, e, env);
    case EXPR_CALL:
        return conv_call(c, e, env);
    case EXPR_SLICE: {
        if (!e->slice.lo || !e->slice.hi || !e->slice.lo->is_const || !e->slice.hi->is_const)
            return fail(c, e, "a slice with non-constant bounds");
        uint64_t lo = e->slice.lo->cval, hi = e->slice.hi->cval;
        Sx *b = conv(c, e->slice.base, env);
        if (!b || lo >= hi || hi > 64)
            return b ? fail(c, e, "this slice") : NULL;
        uint64_t mask = hi - lo == 64 ? UINT64_MAX : ((uint64_t)1 << (hi - lo)) - 1;
        return sx_bin(c->a, OP_BAND, sx_bin(c->a, OP_SHR, b, sx_num(c->a, lo)), sx_num(c->a, mask));
    }
    case EXPR_BINOP: {
        Sx *l = conv(c, e->bin.lhs, env);
        Sx *r = l ? conv(c, e->bin.rhs, env) : NULL;
        return r ? sx_bin(c->a, e->bin.op, l, r) : NULL;
    }
    case EXPR_UNOP: {
        if (e->un.op == OP_REF)
            return fail(c, e, "`&`");
        Sx *x = conv(c, e->un.operand, env);
        return x ? sx_un(c->a, e->un.op, x) : NULL;
    }
    case EXPR_IF: {
        Sx *k = conv(c, e->ifelse.cond, env);
        Sx *t = k ? conv(c, e->ifelse.then, env) : NULL;
        Sx *f = t ? conv(c, e->ifelse.els, env) : NULL;
        return f ? sx_ite(c->a, k, t, f) : NULL;
    }
    case EXPR_QUANT:
        return fail(c, e, "a quantifier");
    default:
        return fail(c, e, "this expression");
    }
}

Sx *deduce_expr(SemaProgram *sp, SemaUnit *u, const Expr *e, const SxBind *env, const Expr **bad)
{
    Conv c = { sp, u, sp->arena, 0, NULL, NULL };
    Sx *x = conv(&c, e, env);
    if (bad)
        *bad = x ? NULL : (c.bad ? c.bad : e);
    return x;
}

/* ---- goals ---------------------------------------------------------------------- */

typedef struct Collect {
    Conv       *c;
    PtrVec     *out;
    GoalOrigin  origin;
} Collect;

static void add_goal(Collect *k, Sx *atom, Sx *guard, const char *method, Loc loc)
{
    if (atom->kind == SX_NUM && atom->num)
        return;                         /* true: nothing to do */
    Goal *g = arena_alloc(k->c->a, sizeof *g);
    g->atom = atom;
    g->guard = guard;
    g->origin = k->origin;
    g->method = method;
    g->loc = loc;
    vec_push(k->c->a, k->out, g);
}

static Sx *and_guard(Arena *a, Sx *g, Sx *h)
{
    return g ? sx_bin(a, OP_LAND, g, h) : h;
}

/* Split a bool expression into conjuncts: `&&`, calls of bool methods,
 * and state-free guards of `==>` and `if`. */
static bool collect(Collect *k, const Expr *e, const Bind *env, Sx *guard, const char *method)
{
    Conv *c = k->c;
    if (e->kind == EXPR_BINOP && e->bin.op == OP_LAND)
        return collect(k, e->bin.lhs, env, guard, method) && collect(k, e->bin.rhs, env, guard, method);
    if (e->kind == EXPR_BINOP && e->bin.op == OP_IMPLIES) {
        Sx *g = conv(c, e->bin.lhs, env);
        if (!g)
            return false;
        if (!sx_mentions(g, SX_STATE))
            return collect(k, e->bin.rhs, env, and_guard(c->a, guard, g), method);
    }
    if (e->kind == EXPR_IF && e->ty == TYPE_BOOL) {
        Sx *g = conv(c, e->ifelse.cond, env);
        if (!g)
            return false;
        if (!sx_mentions(g, SX_STATE))
            return collect(k, e->ifelse.then, env, and_guard(c->a, guard, g), method)
                   && collect(k, e->ifelse.els, env, and_guard(c->a, guard, sx_not(c->a, g)), method);
    }
    /* if c { t } else { false } is c && t (legacy bodies read like this) */
    if (e->kind == EXPR_IF && e->ty == TYPE_BOOL && e->ifelse.els && e->ifelse.then) {
        const Expr *t = e->ifelse.then, *f = e->ifelse.els;
        bool f_false = (f->kind == EXPR_BOOL && !f->boolean) || (f->is_const && !f->cval);
        bool t_false = (t->kind == EXPR_BOOL && !t->boolean) || (t->is_const && !t->cval);
        if (f_false)
            return collect(k, e->ifelse.cond, env, guard, method) && collect(k, t, env, guard, method);
        if (t_false) {
            Sx *cnd = conv(c, e->ifelse.cond, env);
            if (!cnd)
                return false;
            add_goal(k, sx_not(c->a, cnd->is_bool ? cnd : sx_bin(c->a, OP_NE, cnd, sx_num(c->a, 0))),
                     guard, method, e->ifelse.cond->loc);
            return collect(k, f, env, guard, method);
        }
    }
    if (e->kind == EXPR_CALL && !e->is_const) {
        const SMethod *m = called(e);
        if (m && m->body && m->ret.kind == TYPE_BOOL && m->params.len == e->call.args.len
            && m->params.len <= 8 && c->depth < INLINE_DEPTH) {
            Bind binds[8];
            bool ok;
            const Bind *callee = bind_args(c, m, e, env, binds, &ok);
            if (!ok)
                return false;
            c->depth++;
            ok = collect(k, m->body, callee, guard, m->name);
            c->depth--;
            return ok;
        }
    }
    Sx *atom = conv(c, e, env);
    if (!atom)
        return false;
    if (!atom->is_bool)
        atom = sx_bin(c->a, OP_NE, atom, sx_num(c->a, 0));
    add_goal(k, atom, guard, method, e->loc);
    return true;
}

/* The environment of a method called as a goal with the operation's
 * arguments: its params bind by name (va, sz, flgs, pa). False if one of
 * them is not such a name. */
static bool args_env(const SMethod *m, Bind *binds, const Bind *ops, const Bind **env)
{
    *env = NULL;
    for (int i = 0; i < m->params.len && i < 8; i++) {
        const Param *p = m->params.items[i];
        const Bind *b = lookup(ops, NULL, p->name.name);
        if (!b)
            return false;
        binds[i] = (Bind){ p, p->name.name, b->val, *env };
        *env = &binds[i];
    }
    return true;
}

static bool goals_of_method(Collect *k, const SMethod *m, const Bind *ops)
{
    Bind binds[8];
    const Bind *env;
    if (m->params.len > 8 || !args_env(m, binds, ops, &env)) {
        diag_error(k->c->sp->diag, m->loc,
                   "synthesis cannot bind the parameters of `%s`: a goal method may only take "
                   "`va`, `sz`, `flgs` and `pa`", m->name);
        return false;
    }
    return collect(k, m->body, env, NULL, m->name);
}

static Sx *pow2(Arena *a, uint64_t bits)
{
    return bits >= 64 ? NULL : sx_num(a, (uint64_t)1 << bits);
}

static void assume(Conv *c, GoalSet *gs, Sx *x, Loc loc)
{
    Loc *l = arena_alloc(c->a, sizeof *l);
    *l = loc;
    vec_push(c->a, &gs->assumes, x);
    vec_push(c->a, &gs->assume_locs, l);
}

bool deduce_goals(SemaProgram *sp, SemaUnit *u, SMethod *op, SynthOpKind kind, GoalSet *gs)
{
    Conv cv = { sp, u, sp->arena, 0, NULL, NULL };
    Conv *c = &cv;
    Arena *a = c->a;
    memset(gs, 0, sizeof *gs);

    /* the operation's params by role: map(va, sz, flgs, pa), unmap(va, sz),
     * protect(va, sz, flgs) */
    static const SxArg roles[] = { ARG_VA, ARG_SZ, ARG_FLGS, ARG_PA };
    Bind ops[4];
    const Bind *env = NULL;
    for (int i = 0; i < op->params.len && i < 4; i++) {
        const Param *p = op->params.items[i];
        ops[i] = (Bind){ p, p->name.name, sx_arg(a, roles[i]), env };
        env = &ops[i];
    }
    /* Goal methods name the arguments va/sz/flgs/pa whatever the operation
     * calls them. */
    Bind named[4];
    const Bind *by_role = NULL;
    for (int i = 0; i < op->params.len && i < 4; i++) {
        named[i] = (Bind){ NULL, sx_arg_names[roles[i]], ops[i].val, by_role };
        by_role = &named[i];
    }
    Sx *va = sx_arg(a, ARG_VA), *sz = sx_arg(a, ARG_SZ), *pa = sx_arg(a, ARG_PA);

    /* assumptions: the operation's requires, then the implicit ranges */
    VEC_FOREACH(Expr *, r, op->requires) {
        Sx *x = conv(c, r, env);
        if (!x)
            break;
        /* `va == 0 && sz == 0x1000` pins both, like two requires */
        Sx *stack[64];
        int n = 0;
        stack[n++] = x->is_bool ? x : sx_bin(a, OP_NE, x, sx_num(a, 0));
        while (n > 0) {
            Sx *y = stack[--n];
            if (y->kind == SX_BIN && y->op == OP_LAND && n + 2 <= 64) {
                stack[n++] = y->b;
                stack[n++] = y->a;
                continue;
            }
            assume(c, gs, y, r->loc);
        }
    }
    gs->nrequires = gs->assumes.len;
    Sx *end = sx_bin(a, OP_ADD, va, sz);
    assume(c, gs, sx_bin(a, OP_GE, end, va), op->loc);          /* no wrap */
    if (u->inbitwidth < 64)
        assume(c, gs, sx_bin(a, OP_LE, end, pow2(a, u->inbitwidth)), op->loc);
    if (kind == SYN_MAP) {
        const Param *pp = op->params.len == 4 ? op->params.items[3] : NULL;
        gs->table = pp && pp->type.kind == TYPE_NAMED;
        Sx *pend = gs->table ? pa : sx_bin(a, OP_ADD, pa, sz);
        if (!gs->table)
            assume(c, gs, sx_bin(a, OP_GE, pend, pa), op->loc);
        if (u->outbitwidth < 64)
            assume(c, gs, gs->table ? sx_bin(a, OP_LT, pa, pow2(a, u->outbitwidth))
                                    : sx_bin(a, OP_LE, pend, pow2(a, u->outbitwidth)), op->loc);
    }

    /* translate's input: va + i over the range, or any x for protect */
    Sx *vin = kind == SYN_PROTECT ? sx_var(a) : sx_bin(a, OP_ADD, va, sx_var(a));
    SMethod *tr = sema_method(u, "translate");
    Collect k = { c, NULL, GO_PRE };
    if (tr && !c->bad) {
        const Param *tp = tr->params.len ? tr->params.items[0] : NULL;
        Bind tb = { tp, tp ? tp->name.name : "va", vin, NULL };
        k.out = &gs->pre;
        k.origin = GO_PRE;
        VEC_FOREACH(Expr *, r, tr->requires)
            if (!collect(&k, r, &tb, NULL, "translate"))
                break;
        if (!c->bad && kind != SYN_UNMAP) {
            Sx *val = tr->body ? conv(c, tr->body, &tb) : (tr->is_default ? vin : NULL);
            Loc loc = tr->body ? tr->body->loc : tr->loc;
            if (val) {
                Sx *atom = val;
                if (kind == SYN_MAP)
                    atom = sx_bin(a, OP_EQ, val, gs->table ? pa : sx_bin(a, OP_ADD, pa, sx_var(a)));
                k.out = &gs->result;
                k.origin = GO_RESULT;
                Goal *g = arena_alloc(a, sizeof *g);
                *g = (Goal){ atom, NULL, GO_RESULT, "translate", loc };
                vec_push(a, &gs->result, g);
            }
        }
    }
    /* valid() and the other #[remap] predicates */
    if (!c->bad) {
        SMethod *valid = sema_method(u, "valid");
        k.out = &gs->remap;
        k.origin = GO_VALID;
        if (valid && valid->body)
            goals_of_method(&k, valid, by_role);
        k.origin = GO_REMAP;
        VEC_FOREACH(SMethod *, m, u->methods) {
            if (c->bad || m == valid || !(m->props & MPROP(PROP_REMAP)) || !m->body
                || m->ret.kind != TYPE_BOOL)
                continue;
            if (!goals_of_method(&k, m, by_role))
                break;
        }
    }
    if (!c->bad && kind != SYN_UNMAP) {
        SMethod *mf = sema_method(u, "matchflags");
        k.out = &gs->flags;
        k.origin = GO_FLAGS;
        if (mf && mf->body && !(mf->props & MPROP(PROP_REMAP)))
            goals_of_method(&k, mf, by_role);
    }
    if (!c->bad) {
        k.out = &gs->ensures;
        k.origin = GO_ENSURES;
        VEC_FOREACH(Expr *, r, op->ensures)
            if (!collect(&k, r, env, NULL, op->name))
                break;
    }
    if (c->bad) {
        Loc loc = c->bad ? c->bad->loc : op->loc;
        /* the same for every operation of the unit: worded so that the
         * diagnostics engine reports it once */
        diag_error(sp->diag, loc, "synthesis for unit `%s` cannot model %s here", u->name,
                   c->why ? c->why : "this expression");
        return false;
    }
    return true;
}

/* ---- deduction -------------------------------------------------------------------- */

typedef struct Ded {
    SemaProgram *sp;
    SynthProg   *p;
    VerifyCtx   *vc;
    Arena       *a;
    PtrVec      *targets;
    Sx          *fixed[ARG_COUNT];   /* an argument the requires fix to a constant */
} Ded;

static bool same_slot(const SRef *r, const Sx *x)
{
    return r->lo == x->lo && r->hi == x->hi
           && (r->field == x->field || strcmp(r->field->name, x->field->name) == 0);
}

static Target *find_target(Ded *d, const Sx *slot)
{
    VEC_FOREACH(Target *, t, *d->targets)
        if (same_slot(&t->slot, slot))
            return t;
    return NULL;
}

static Target *new_target(Ded *d, const Sx *slot)
{
    Target *t = find_target(d, slot);
    if (t)
        return t;
    t = arena_alloc(d->a, sizeof *t);
    t->slot = (SRef){ (SField *)slot->field, slot->lo, slot->hi, false, slot->name };
    vec_push(d->a, d->targets, t);
    return t;
}

/* An argument the requires fix (`va == 0`) is that constant everywhere. */
static Sx *fix_args(Ded *d, Sx *x)
{
    for (int i = 0; i < ARG_COUNT; i++) {
        if (!d->fixed[i])
            continue;
        Sx arg = { .kind = SX_ARG, .arg = (SxArg)i };
        x = sx_subst(d->a, x, &arg, d->fixed[i]);
    }
    return x;
}

/* Replace solved slices (unconditional targets and copies) by their values. */
static Sx *subst_solved(Ded *d, Sx *x)
{
    if (!x)
        return NULL;
    if (x->kind == SX_STATE) {
        Target *t = find_target(d, x);
        if (t && t->value)
            return t->value;
        if (t && t->copy_of.field)
            return sx_state(d->a, t->copy_of.field, t->copy_of.lo, t->copy_of.hi, t->copy_of.name);
        return x;
    }
    Sx *na = subst_solved(d, x->a), *nb = subst_solved(d, x->b), *nc = subst_solved(d, x->c);
    if (na == x->a && nb == x->b && nc == x->c)
        return x;
    Sx *n = arena_alloc(d->a, sizeof *n);
    *n = *x;
    n->a = na;
    n->b = nb;
    n->c = nc;
    return sx_refold(d->a, n);
}

static bool has_guards(Ded *d, const Sx *x)
{
    Target *t = x->kind == SX_STATE ? find_target(d, x) : NULL;
    return t && t->guards.len;
}

/* Is slot x unknown (no unconditional value)? A slot with only guarded
 * values is still open to conjuncts under other guards. */
static bool unknown_slot(Ded *d, const Sx *x)
{
    if (x->kind != SX_STATE)
        return false;
    Target *t = find_target(d, x);
    return !t || (!t->value && !t->copy_of.field);
}

static int count_unknown(Ded *d, const Sx *x, const Sx **first)
{
    if (!x)
        return 0;
    if (x->kind == SX_STATE) {
        if (!unknown_slot(d, x))
            return 0;
        if (*first && sx_equal(*first, x))
            return 0;
        if (!*first) {
            *first = x;
            return 1;
        }
        return 2;   /* a second distinct one (callers only ask for 0, 1, many) */
    }
    int n = count_unknown(d, x->a, first);
    n += count_unknown(d, x->b, first);
    n += count_unknown(d, x->c, first);
    return n;
}

static bool has_unknown(Ded *d, const Sx *x)
{
    const Sx *first = NULL;
    return count_unknown(d, x, &first) > 0;
}

/* Record slot := value under guard. A second unconditional value for a slot
 * is not recorded: the conjunct is then only checked by the proof. */
static void assign(Ded *d, const Sx *slot, Sx *value, Sx *guard, Goal *g)
{
    Target *t = new_target(d, slot);
    value = fix_args(d, value);
    if (guard) {
        vec_push(d->a, &t->guards, fix_args(d, guard));
        vec_push(d->a, &t->values, value);
    } else if (!t->value && !t->copy_of.field && !t->guards.len) {
        t->value = value;   /* (flag-guarded values win: this one is a check) */
    }
    vec_push(d->a, &t->goals, g);
}

typedef struct Term {
    Sx  *x;
    bool neg;
} Term;

enum { MAX_TERMS = 16 };

/* Signed terms of a sum. An `|` of parts is read as their sum: exact when
 * the parts occupy disjoint bits, which is what tiling assumes and the
 * proof checks. */
static int terms(Sx *x, bool neg, Term *out, int n)
{
    if (n < 0)
        return n;
    if (x->kind == SX_BIN && (x->op == OP_ADD || x->op == OP_SUB || (x->op == OP_BOR && !neg))) {
        n = terms(x->a, neg, out, n);
        return terms(x->b, x->op == OP_SUB ? !neg : neg, out, n);
    }
    if (n == MAX_TERMS)
        return -1;
    out[n] = (Term){ x, neg };
    return n + 1;
}

/* A slice shifted into place: `s`, `s << k` or `s * 2^k`. */
static const Sx *placed(const Sx *x, unsigned *shift)
{
    *shift = 0;
    if (x->kind == SX_STATE)
        return x;
    if (x->kind == SX_BIN && x->b->kind == SX_NUM && x->a->kind == SX_STATE) {
        if (x->op == OP_SHL && x->b->num < 64) {
            *shift = (unsigned)x->b->num;
            return x->a;
        }
        if (x->op == OP_MUL && x->b->num && !(x->b->num & (x->b->num - 1))) {
            unsigned k = 0;
            while (((uint64_t)1 << k) != x->b->num)
                k++;
            *shift = k;
            return x->a;
        }
    }
    return NULL;
}

static bool isolate(Ded *d, Sx *u, Sx *k, Sx *guard, Goal *g);

/* u is a sum with unknown terms: move the known ones to k; one unknown term
 * is isolated, several must be slices that tile disjoint bit ranges. */
static bool isolate_sum(Ded *d, Sx *u, Sx *k, Sx *guard, Goal *g)
{
    Arena *a = d->a;
    Term t[MAX_TERMS];
    int n = terms(u, false, t, 0);
    if (n < 0)
        return false;
    Term unk[MAX_TERMS];
    int nu = 0;
    for (int i = 0; i < n; i++) {
        if (has_unknown(d, t[i].x))
            unk[nu++] = t[i];
        else
            k = sx_bin(a, t[i].neg ? OP_ADD : OP_SUB, k, t[i].x);
    }
    if (nu == 1)
        return isolate(d, unk[0].x, unk[0].neg ? sx_bin(a, OP_SUB, sx_num(a, 0), k) : k, guard, g);
    /* tiling: (hi << 32) + lo == k */
    unsigned lo[MAX_TERMS], hi[MAX_TERMS];
    const Sx *slot[MAX_TERMS];
    for (int i = 0; i < nu; i++) {
        if (unk[i].neg || !(slot[i] = placed(unk[i].x, &lo[i])))
            return false;
        hi[i] = lo[i] + (slot[i]->hi - slot[i]->lo);
        for (int j = 0; j < i; j++)
            if (lo[i] < hi[j] && lo[j] < hi[i])
                return false;
        if (sx_equal(slot[i], slot[0]) && i)
            return false;
    }
    for (int i = 0; i < nu; i++)
        assign(d, slot[i], sx_bin(a, OP_SHR, k, sx_num(a, lo[i])), guard, g);
    return true;
}

/* Solve u == k for the unknown slice in u (k known). */
static bool isolate(Ded *d, Sx *u, Sx *k, Sx *guard, Goal *g)
{
    Arena *a = d->a;
    if (u->kind == SX_STATE) {
        if (!unknown_slot(d, u))
            return false;
        assign(d, u, k, guard, g);
        return true;
    }
    if (u->kind == SX_UN && u->uop == OP_BITNOT)
        return isolate(d, u->a, sx_un(a, OP_BITNOT, k), guard, g);
    if (u->kind == SX_UN && u->uop == OP_NOT)
        return isolate(d, u->a, sx_not(a, k), guard, g);
    if (u->kind != SX_BIN)
        return false;
    bool lk = !has_unknown(d, u->a), rk = !has_unknown(d, u->b);
    switch (u->op) {
    case OP_ADD:
    case OP_SUB:
        return isolate_sum(d, u, k, guard, g);
    case OP_BOR:        /* disjoint parts: like a sum (the proof checks it) */
        return isolate_sum(d, u, k, guard, g);
    case OP_BXOR:
        if (lk)
            return isolate(d, u->b, sx_bin(a, OP_BXOR, k, u->a), guard, g);
        if (rk)
            return isolate(d, u->a, sx_bin(a, OP_BXOR, k, u->b), guard, g);
        return false;
    case OP_SHL:
        if (rk && u->b->kind == SX_NUM)
            return isolate(d, u->a, sx_bin(a, OP_SHR, k, u->b), guard, g);
        if (lk && sx_is_num(u->a, 1))                        /* 1 << e == k */
            return isolate(d, u->b, sx_log2(a, k), guard, g);
        return false;
    case OP_SHR:
        if (rk && u->b->kind == SX_NUM)
            return isolate(d, u->a, sx_bin(a, OP_SHL, k, u->b), guard, g);
        return false;
    case OP_MUL: {
        Sx *c = rk ? u->b : lk ? u->a : NULL, *x = rk ? u->a : u->b;
        if (!c || c->kind != SX_NUM || !c->num)
            return false;
        if (!(c->num & (c->num - 1)))
            return isolate(d, x, sx_bin(a, OP_SHR, k, sx_num(a, sx_log2(a, c)->num)), guard, g);
        return isolate(d, x, sx_bin(a, OP_DIV, k, c), guard, g);
    }
    case OP_BAND: {     /* s & mask == k fixes s only if the mask keeps all of s */
        Sx *m = rk ? u->b : lk ? u->a : NULL, *x = rk ? u->a : u->b;
        if (!m)
            return false;
        /* x & m == k with m known but not a constant (a window mask held
         * in another slice): x = k, exact when k has no bits outside m,
         * which the proof checks */
        if (m->kind != SX_NUM)
            return isolate(d, x, k, guard, g);
        /* (base + va) & 0xffffffff == k: a wrap to the low bits; solve the
         * sum for k itself (k fits the mask: the proof checks it) */
        if (x->kind != SX_STATE)
            return !(m->num & (m->num + 1)) && isolate(d, x, k, guard, g);
        uint64_t w = x->hi - x->lo >= 64 ? UINT64_MAX : ((uint64_t)1 << (x->hi - x->lo)) - 1;
        if ((m->num & w) != w)
            return false;
        return isolate(d, x, k, guard, g);
    }
    default:
        return false;
    }
}

/* Does an instruction move state slice `from` into state slice `to`? */
static bool moved_by_instr(const SynthProg *p, const Sx *from, const Sx *to)
{
    VEC_FOREACH(SFieldIO *, io, p->io) {
        if (io->field->kind != FIELD_INSTR)
            continue;
        for (int w = 0; w < 2; w++) {
            const PtrVec *mv = w ? &io->writes : &io->reads;
            VEC_FOREACH(SMove *, m, *mv)
                if (!m->src.iface && !m->dst.iface && same_slot(&m->src, from)
                    && same_slot(&m->dst, to))
                    return true;
        }
    }
    return false;
}

enum Pass { P_EQ, P_BOUND, P_WEAK, P_OR, P_COUNT };

static Sx *at_var(Ded *d, Sx *k, uint64_t which /* 0: i = 0, 1: i = sz - 1 */)
{
    if (!sx_mentions(k, SX_VAR))
        return k;
    Sx *i = which ? sx_bin(d->a, OP_SUB, sx_arg(d->a, ARG_SZ), sx_num(d->a, 1)) : sx_num(d->a, 0);
    return sx_subst_var(d->a, k, i);
}

static bool solve(Ded *d, Goal *g, Sx *atom, Sx *guard, enum Pass pass);

/* u op k, u holding the unknowns. */
static bool solve_cmp(Ded *d, Goal *g, BinOp op, Sx *u, Sx *k, Sx *guard, enum Pass pass)
{
    Arena *a = d->a;
    bool ranged = sx_mentions(k, SX_VAR) || sx_mentions(k, SX_ARG);
    switch (op) {
    case OP_EQ:     /* a range equality is solved at i = 0 (and proven for all i) */
        return pass == P_EQ && isolate(d, at_var(d, u, 0), at_var(d, k, 0), guard, g);
    case OP_NE:
        if (pass != P_WEAK || u->kind != SX_STATE || (!guard && has_guards(d, u)))
            return false;
        k = at_var(d, k, 0);
        if (k->is_bool)
            return isolate(d, u, sx_not(a, k), guard, g);
        if (k->kind == SX_NUM)
            return isolate(d, u, sx_num(a, k->num == 0), guard, g);
        return isolate(d, u, sx_bin(a, OP_BXOR, k, sx_num(a, 1)), guard, g);
    case OP_GT:     /* u above every k: u = max(k) + 1 */
    case OP_GE:
        if (pass != (ranged ? P_BOUND : P_WEAK) || (!ranged && !guard && has_guards(d, u)))
            return false;
        k = at_var(d, k, 1);
        return isolate(d, u, op == OP_GT ? sx_bin(a, OP_ADD, k, sx_num(a, 1)) : k, guard, g);
    case OP_LT:     /* u below every k: u = min(k) (- 1) */
    case OP_LE:
        if (pass != (ranged ? P_BOUND : P_WEAK) || (!ranged && !guard && has_guards(d, u)))
            return false;
        if (!ranged)
            return isolate(d, u, sx_num(a, 0), guard, g);
        k = at_var(d, k, 0);
        return isolate(d, u, op == OP_LT ? sx_bin(a, OP_SUB, k, sx_num(a, 1)) : k, guard, g);
    default:
        return false;
    }
}

static BinOp flip(BinOp op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_GT: return OP_LT;
    case OP_LE: return OP_GE;
    case OP_GE: return OP_LE;
    default:    return op;
    }
}

/* The first if-then-else in x whose condition mentions an unknown slice. */
static Sx *find_ite(Ded *d, Sx *x)
{
    if (!x)
        return NULL;
    if (x->kind == SX_ITE && has_unknown(d, x->a))
        return x;
    Sx *r = find_ite(d, x->a);
    if (!r)
        r = find_ite(d, x->b);
    if (!r)
        r = find_ite(d, x->c);
    return r;
}

/* A snapshot of the targets, to undo a failed case split. */
typedef struct Snap {
    int     len;
    Target *copy;
} Snap;

static Snap snap_take(Ded *d)
{
    Snap s = { d->targets->len, arena_alloc(d->a, sizeof(Target) * (size_t)(d->targets->len + 1)) };
    for (int i = 0; i < s.len; i++)
        s.copy[i] = *(Target *)d->targets->items[i];
    return s;
}

static void snap_restore(Ded *d, const Snap *s)
{
    d->targets->len = s->len;
    for (int i = 0; i < s->len; i++)
        *(Target *)d->targets->items[i] = s->copy[i];
}

static bool solve(Ded *d, Goal *g, Sx *atom, Sx *guard, enum Pass pass);

/* Solve c (as a conjunct) and then x, each through the ordinary passes. */
static bool solve_both(Ded *d, Goal *g, Sx *c, Sx *x, Sx *guard)
{
    bool cs = false, xs = false;
    for (int round = 0; round < 4 && !(cs && xs); round++) {
        for (enum Pass q = P_EQ; q <= P_OR; q++) {
            if (!cs) {
                Sx *cc = subst_solved(d, c);
                cs = !has_unknown(d, cc) || solve(d, g, cc, guard, q);
            }
            if (!xs) {
                Sx *xx = subst_solved(d, x);
                xs = !has_unknown(d, xx) || solve(d, g, xx, guard, q);
            }
        }
    }
    return cs && xs;
}

/* The first if-then-else in x whose condition depends on the range
 * variable (and on no unknown slice): `va < 0x1000 ? even : odd`. */
static Sx *find_var_ite(Ded *d, Sx *x)
{
    if (!x)
        return NULL;
    if (x->kind == SX_ITE && sx_mentions(x->a, SX_VAR) && !has_unknown(d, x->a))
        return x;
    Sx *r = find_var_ite(d, x->a);
    if (!r)
        r = find_var_ite(d, x->b);
    if (!r)
        r = find_var_ite(d, x->c);
    return r;
}

/* Is cond (with the range variable at `at`) true (want) for every
 * argument the assumptions allow? */
static bool cond_is(Ded *d, Sx *cond, Sx *at, bool want)
{
    Sx *c = fix_args(d, sx_subst_var(d->a, cond, at));
    if (c->kind == SX_NUM)
        return (c->num != 0) == want;
    return d->vc && verify_equal(d->vc, d->p, NULL, c, sx_bool(d->a, want));
}

/* A range goal whose value depends on where in the range i is (an entry
 * mapping an even/odd page pair): solve each branch at an i where that
 * branch holds (tried: 0, sz/2, sz - 1); the proof covers every i. */
static bool solve_var_split(Ded *d, Goal *g, Sx *atom, Sx *guard)
{
    Arena *a = d->a;
    Sx *ite = find_var_ite(d, atom);
    if (!ite)
        return false;
    Sx *sz = sx_arg(a, ARG_SZ);
    Sx *cands[3] = { sx_num(a, 0), sx_bin(a, OP_SHR, sz, sx_num(a, 1)),
                     sx_bin(a, OP_SUB, sz, sx_num(a, 1)) };
    bool any = false;
    for (int br = 0; br < 2; br++) {
        Sx *branch = sx_subst(a, atom, ite, br == 0 ? ite->b : ite->c);
        bool witness = false, ok = false;
        for (int k = 0; k < 3 && !ok; k++) {
            if (!cond_is(d, ite->a, cands[k], br == 0))
                continue;
            witness = true;
            Sx *at = sx_subst_var(a, branch, cands[k]);
            Snap sn = snap_take(d);
            for (enum Pass q = P_EQ; q < P_OR && !ok; q++)
                ok = !has_unknown(d, subst_solved(d, at)) || solve(d, g, subst_solved(d, at), guard, q);
            if (!ok)
                snap_restore(d, &sn);
        }
        if (witness && !ok)
            return false;
        any |= witness;
    }
    return any;
}

/* Try to solve one (substituted) atom in this pass. */
static bool solve(Ded *d, Goal *g, Sx *atom, Sx *guard, enum Pass pass)
{
    Arena *a = d->a;
    if (pass == P_EQ && atom->kind == SX_BIN && atom->op == OP_EQ && find_var_ite(d, atom))
        return solve_var_split(d, g, atom, guard);
    /* conjunctions and negated connectives that case splits produce */
    if (atom->kind == SX_UN && atom->uop == OP_NOT && atom->a->kind == SX_BIN
        && (atom->a->op == OP_LAND || atom->a->op == OP_LOR)) {
        Sx *l = sx_not(a, atom->a->a), *r = sx_not(a, atom->a->b);
        return solve(d, g, sx_bin(a, atom->a->op == OP_LAND ? OP_LOR : OP_LAND, l, r), guard, pass);
    }
    if (atom->kind == SX_BIN && atom->op == OP_LAND)
        return pass == P_EQ && solve_both(d, g, atom->a, atom->b, guard);
    /* last resort for `va < (ed == 0 ? len : top)`: pick the branch whose
     * condition can be made true, then solve the rest under it */
    if (pass == P_OR) {
        Sx *ite = find_ite(d, atom);
        if (ite) {
            for (int br = 0; br < 2; br++) {
                Snap sn = snap_take(d);
                Sx *cond = br == 0 ? ite->a : sx_not(a, ite->a);
                Sx *rest = sx_subst(a, atom, ite, br == 0 ? ite->b : ite->c);
                if (solve_both(d, g, cond, rest, guard))
                    return true;
                snap_restore(d, &sn);
            }
            return false;
        }
    }
    if (atom->kind == SX_STATE)                         /* an int used as a bool */
        return pass == P_WEAK && (guard || !has_guards(d, atom)) && isolate(d, atom, sx_num(a, 1), guard, g);
    if (atom->kind == SX_UN && atom->uop == OP_NOT && atom->a->kind == SX_STATE)
        return pass == P_WEAK && (guard || !has_guards(d, atom->a)) && isolate(d, atom->a, sx_num(a, 0), guard, g);
    if (atom->kind != SX_BIN)
        return false;
    if (atom->op == OP_LOR || atom->op == OP_IMPLIES) {
        if (pass != P_OR)
            return false;
        Sx *l = atom->op == OP_IMPLIES ? sx_not(a, atom->a) : atom->a;
        for (enum Pass q = P_EQ; q < P_OR; q++)
            if (solve(d, g, l, guard, q) || solve(d, g, atom->b, guard, q))
                return true;
        return false;
    }
    if (atom->op < OP_EQ || atom->op > OP_GE)
        return false;
    bool lu = has_unknown(d, atom->a), ru = has_unknown(d, atom->b);
    if (lu && ru) {
        /* state.x == state.y where a move copies y into x */
        if (pass != P_EQ || atom->op != OP_EQ || atom->a->kind != SX_STATE
            || atom->b->kind != SX_STATE)
            return false;
        const Sx *dst = atom->a, *src = atom->b;
        if (!moved_by_instr(d->p, src, dst)) {
            dst = atom->b;
            src = atom->a;
            if (!moved_by_instr(d->p, src, dst))
                return false;
        }
        Target *t = new_target(d, dst);
        t->copy_of = (SRef){ (SField *)src->field, src->lo, src->hi, false, src->name };
        vec_push(d->a, &t->goals, g);
        return true;
    }
    if (lu)
        return solve_cmp(d, g, atom->op, atom->a, atom->b, guard, pass);
    return solve_cmp(d, g, flip(atom->op), atom->b, atom->a, guard, pass);
}

/* ---- simplification under the assumptions ---------------------------------------- */

/* Candidate rewrites of one node that hold only under the assumptions. */
static int candidates(Ded *d, const Sx *n, Sx **out)
{
    Arena *a = d->a;
    int k = 0;
    if (n->kind == SX_BIN && n->op == OP_SHL && n->a->kind == SX_BIN && n->a->op == OP_SHR
        && sx_equal(n->a->b, n->b))
        out[k++] = n->a->a;                              /* (x >> k) << k -> x */
    if (n->kind == SX_BIN && n->op == OP_BAND) {
        out[k++] = n->a;                                 /* x & m -> x */
        out[k++] = sx_num(a, 0);                         /* aligned x & m -> 0 */
    }
    if (n->kind == SX_ITE) {
        out[k++] = n->b;                                 /* g ? x : y -> x */
        out[k++] = n->c;
    }
    if (n->kind == SX_BIN && (n->op == OP_SUB || n->op == OP_ADD) && n->b->kind != SX_NUM)
        out[k++] = sx_num(a, 0);                         /* a term that is 0 */
    if (n->kind == SX_BIN && n->op == OP_BOR)
        out[k++] = sx_bin(a, OP_ADD, n->a, n->b);        /* disjoint bits: a sum */
    return k;
}

static Sx *simplify_at(Ded *d, Sx *root, Sx *n, Sx *guard, int *budget)
{
    if (!n || *budget <= 0)
        return root;
    root = simplify_at(d, root, n->a, guard, budget);
    root = simplify_at(d, root, n->b, guard, budget);
    root = simplify_at(d, root, n->c, guard, budget);
    Sx *cand[6];
    int k = candidates(d, n, cand);
    for (int i = 0; i < k && *budget > 0; i++) {
        Sx *alt = sx_subst(d->a, root, n, cand[i]);
        if (alt == root || sx_equal(alt, root))
            continue;
        (*budget)--;
        if (verify_equal(d->vc, d->p, guard, root, alt))
            return alt;
    }
    return root;
}

static Sx *simplify(Ded *d, Sx *v, Sx *guard)
{
    if (!d->vc || !v || !(v->kind == SX_BIN || v->kind == SX_ITE || v->kind == SX_UN
                          || v->kind == SX_LOG2))
        return v;
    int budget = 24;
    for (int round = 0; round < 4; round++) {
        Sx *n = simplify_at(d, v, v, guard, &budget);
        if (n == v || sx_equal(n, v))
            break;
        v = n;
    }
    return v;
}

/* ---- drivers ---------------------------------------------------------------------- */

static void find_fixed_args(Ded *d)
{
    VEC_FOREACH(Sx *, x, d->p->goals.assumes) {
        if (x->kind != SX_BIN || x->op != OP_EQ)
            continue;
        Sx *arg = x->a->kind == SX_ARG ? x->a : x->b->kind == SX_ARG ? x->b : NULL;
        Sx *val = arg == x->a ? x->b : x->a;
        if (arg && val->kind == SX_NUM && !d->fixed[arg->arg])
            d->fixed[arg->arg] = val;
    }
}

static void push_all(Arena *a, PtrVec *dst, const PtrVec *src)
{
    VEC_FOREACH(Goal *, g, *src)
        vec_push(a, dst, g);
}

/* Are all unknown slices of x ones that have guarded values? */
static bool only_guarded(Ded *d, const Sx *x)
{
    if (!x)
        return true;
    if (x->kind == SX_STATE)
        return !unknown_slot(d, x) || has_guards(d, x);
    return only_guarded(d, x->a) && only_guarded(d, x->b) && only_guarded(d, x->c);
}

static bool run_passes(Ded *d, PtrVec *goals)
{
    Arena *a = d->a;
    bool *done = arena_alloc(a, sizeof(bool) * (size_t)(goals->len + 1));
    for (int round = 0; round < MAX_ROUNDS; round++) {
        bool progress = false;
        for (enum Pass pass = P_EQ; pass < P_COUNT && !progress; pass++) {
            VEC_FOREACH(Goal *, g, *goals) {
                int gi = g_i;
                if (done[gi])
                    continue;
                Sx *atom = subst_solved(d, g->atom);
                if (!has_unknown(d, atom)) {
                    done[gi] = true;           /* only checked by the proof */
                    continue;
                }
                if (solve(d, g, atom, g->guard, pass)) {
                    done[gi] = true;
                    progress = true;
                }
            }
        }
        if (!progress)
            break;
    }
    bool ok = true;
    VEC_FOREACH(Goal *, g, *goals) {
        if (done[g_i])
            continue;
        Sx *atom = subst_solved(d, g->atom);
        if (only_guarded(d, atom))
            continue;       /* constrains slices the flag guards fix: a check */
        char buf[256];
        diag_error(d->sp->diag, g->loc,
                   "cannot synthesize `%s` for unit `%s`: vrsc could not solve this %s for the state",
                   synth_op_names[d->p->op], d->p->unit->name, goal_origin_names[g->origin]);
        diag_note(d->sp->diag, g->loc, "after the other goals, it reads `%s`; synthesis can "
                  "solve equalities and bounds of state slices, not this form",
                  sx_str(buf, sizeof buf, atom));
        ok = false;
    }
    return ok;
}

/* A slice and a value that make atom x false, or false. `r == 1 || w == 1`
 * (VT-d: present is R or W) needs every disjunct false: up to 8 slices. */
static int falsify_atom(Ded *d, Sx *x, Sx **slots, Sx **vals, int n);

static bool falsify_one(Ded *d, Sx *x, Sx **slot_out, Sx **val_out)
{
    Arena *a = d->a;
    {
        Sx *slot = NULL, *val = NULL;
        if (x->kind == SX_STATE) {
            slot = x;
            val = sx_num(a, 0);
        } else if (x->kind == SX_UN && x->uop == OP_NOT && x->a->kind == SX_STATE) {
            slot = x->a;
            val = sx_num(a, 1);
        } else if (x->kind == SX_BIN && x->op >= OP_EQ && x->op <= OP_GE) {
            bool ls = x->a->kind == SX_STATE, rs = x->b->kind == SX_STATE;
            Sx *k = ls ? x->b : x->a;
            BinOp op = ls ? x->op : flip(x->op);
            if ((!ls && !rs) || (ls && rs) || sx_mentions(k, SX_STATE))
                return false;
            slot = ls ? x->a : x->b;
            if (k->kind == SX_NUM) {
                uint64_t c = k->num;
                if (op == OP_EQ)
                    val = sx_num(a, c == 0);
                else if (op == OP_NE)
                    val = sx_num(a, c);
                else if ((op == OP_GE && c > 0) || op == OP_GT)
                    val = sx_num(a, 0);
            } else if (op == OP_GT && sx_mentions(k, SX_VAR)) {
                val = sx_num(a, 0);                      /* va' < bound: bound = 0 */
            }
        }
        if (!slot || !val)
            return false;
        *slot_out = slot;
        *val_out = val;
        return true;
    }
}

static int falsify_atom(Ded *d, Sx *x, Sx **slots, Sx **vals, int n)
{
    if (n < 0)
        return n;
    if (x->kind == SX_BIN && x->op == OP_LOR) {
        n = falsify_atom(d, x->a, slots, vals, n);
        return falsify_atom(d, x->b, slots, vals, n);
    }
    if (n >= 8 || !falsify_one(d, x, &slots[n], &vals[n]))
        return -1;
    return n + 1;
}

/* unmap: the slices that falsify the first remap or precondition conjunct
 * that can be falsified. */
static bool falsify(Ded *d)
{
    Arena *a = d->a;
    PtrVec cands = { 0 };
    push_all(a, &cands, &d->p->goals.remap);
    push_all(a, &cands, &d->p->goals.pre);
    VEC_FOREACH(Goal *, g, cands) {
        if (g->guard)
            continue;
        Sx *slots[8], *vals[8];
        int n = falsify_atom(d, g->atom, slots, vals, 0);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; i++)
            assign(d, slots[i], vals[i], NULL, g);
        return true;
    }
    diag_error(d->sp->diag, d->p->method->loc,
               "cannot synthesize `unmap` for unit `%s`: no single state slice can make "
               "`valid()` or a translate precondition false", d->p->unit->name);
    if (cands.len)
        diag_note(d->sp->diag, ((Goal *)cands.items[0])->loc,
                  "the first candidate conjunct; an unmap needs one of the form `state.f.s == C`, "
                  "`state.f.s != C` or `va < state.f.s`");
    return false;
}

bool deduce_targets(SemaProgram *sp, SynthProg *p, VerifyCtx *vc, PtrVec *targets)
{
    Ded d = { sp, p, vc, sp->arena, targets, { NULL } };
    find_fixed_args(&d);
    bool ok;
    if (p->op == SYN_UNMAP) {
        ok = falsify(&d);
    } else {
        PtrVec goals = { 0 };
        if (p->op == SYN_MAP) {
            push_all(d.a, &goals, &p->goals.result);
            push_all(d.a, &goals, &p->goals.pre);
            push_all(d.a, &goals, &p->goals.remap);
        }
        push_all(d.a, &goals, &p->goals.flags);
        push_all(d.a, &goals, &p->goals.ensures);
        ok = run_passes(&d, &goals);
    }
    VEC_FOREACH(Target *, t, *targets) {
        t->value = simplify(&d, t->value, NULL);
        for (int i = 0; i < t->values.len; i++)
            t->values.items[i] = simplify(&d, t->values.items[i], t->guards.items[i]);
    }
    return ok;
}

Sx *deduce_simplify(SemaProgram *sp, SynthProg *p, VerifyCtx *vc, Sx *v)
{
    Ded d = { sp, p, vc, sp->arena, NULL, { NULL } };
    return simplify(&d, v, NULL);
}
