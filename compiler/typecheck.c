/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * typecheck.c - names and types of every expression.
 *
 * Input: units with their fields (layout.c) and methods (units.c). Output:
 * every Expr annotated with its Symbol and type, and the expression rules of
 * the language reference §2.2 reported: undefined names, kinds used as
 * values, operator operand types, if/else, calls, quantifiers, slices,
 * requires/body/ensures types, interface references outside actions, action
 * types, const and map-argument types. Scopes nest global -> unit (params,
 * consts, methods, `state.*`, `interface.*`, flag bits) -> method params ->
 * quantifier variables, with no shadowing.
 */
#include <string.h>

#include "sema.h"

typedef struct Ctx {
    SemaProgram *sp;
    SemaUnit    *unit;
    const char  *no_iface;   /* non-NULL: interface refs are an error here */
    bool         in_action;  /* whole multi-slice fields are values here */
} Ctx;

static const SemaType T_INT = { TYPE_INT, NULL, NULL, NULL };
static const SemaType T_BOOL = { TYPE_BOOL, NULL, NULL, NULL };
static const SemaType T_FLAGS = { TYPE_FLAGS, NULL, NULL, NULL };
/* The type of an expression that already has an error: compatible with
 * everything, so one mistake is reported once. */
static const SemaType T_ERR = { TYPE_NAMED, NULL, NULL, NULL };

static bool is_err(SemaType t)
{
    return t.kind == TYPE_NAMED && !t.unit && !t.ext && !t.name;
}

static bool is_numeric(TypeKind k)
{
    return k == TYPE_INT || k == TYPE_ADDR || k == TYPE_VADDR || k == TYPE_PADDR || k == TYPE_SIZE;
}

bool sema_compatible(SemaType expected, SemaType actual)
{
    if (is_err(expected) || is_err(actual))
        return true;
    switch (expected.kind) {
    case TYPE_INT:
        return is_numeric(actual.kind) || actual.kind == TYPE_FLAGS ||
               (actual.kind == TYPE_NAMED && actual.unit);
    case TYPE_ADDR:
    case TYPE_VADDR:
    case TYPE_PADDR:
    case TYPE_SIZE:
        return is_numeric(actual.kind);
    case TYPE_BOOL:
        return actual.kind == TYPE_BOOL || actual.kind == TYPE_FLAGS;
    case TYPE_FLAGS:
        return actual.kind == TYPE_BOOL || actual.kind == TYPE_FLAGS || is_numeric(actual.kind);
    case TYPE_NAMED:
        if (expected.unit)
            return (actual.kind == TYPE_NAMED && actual.unit == expected.unit) || is_numeric(actual.kind);
        if (expected.ext)
            return actual.kind == TYPE_NAMED && actual.ext == expected.ext;
        return actual.kind == TYPE_NAMED && expected.name && actual.name &&
               strcmp(expected.name, actual.name) == 0;
    case TYPE_VOID:
        return actual.kind == TYPE_VOID;
    }
    return false;
}

const char *sema_type_name(SemaType t)
{
    if (t.kind == TYPE_NAMED)
        return t.name ? t.name : "?";
    return type_kind_names[t.kind];
}

/* A TypeRef as written -> SemaType; a name that is no type was reported by
 * units.c and becomes the error type, so it causes no follow-on errors. */
static SemaType resolve_typeref(SemaProgram *sp, const SemaUnit *u, const TypeRef *t)
{
    SemaType r;
    if (!sema_resolve_type(sp, u, t, &r, false))
        return T_ERR;
    return r;
}

static Symbol *new_sym(SemaProgram *sp, SymKind k, const char *name, Loc loc, SemaType ty)
{
    Symbol *s = arena_alloc(sp->arena, sizeof *s);
    s->kind = k;
    s->name = name;
    s->loc = loc;
    s->type = ty;
    return s;
}

/* Unit-scope symbols: own params, consts (incl. inherited), methods. */
static void build_unit_syms(SemaProgram *sp, SemaUnit *u)
{
    if (u->syms.len)
        return;
    VEC_FOREACH(Param *, p, u->params) {
        Symbol *s = new_sym(sp, SYM_PARAM, p->name.name, p->name.loc, resolve_typeref(sp, u, &p->type));
        s->param = p;
        vec_push(sp->arena, &u->syms, s);
    }
    VEC_FOREACH(SConst *, c, u->consts) {
        Symbol *s = new_sym(sp, SYM_CONST, c->ast->name.name, c->ast->name.loc, c->type);
        s->cnst = c;
        vec_push(sp->arena, &u->syms, s);
    }
    VEC_FOREACH(SMethod *, m, u->methods) {
        Symbol *s = new_sym(sp, SYM_METHOD, m->name, m->loc, m->ret);
        s->method = m;
        vec_push(sp->arena, &u->syms, s);
    }
}

Symbol *sema_lookup(const SemaProgram *sp, const SemaUnit *u, const Scope *scope, const char *name)
{
    for (const Scope *sc = scope; sc; sc = sc->parent)
        VEC_FOREACH(Symbol *, s, sc->syms)
            if (strcmp(s->name, name) == 0)
                return s;
    if (u)
        VEC_FOREACH(Symbol *, s, u->syms)
            if (strcmp(s->name, name) == 0)
                return s;
    return sema_global(sp, name);
}

static SemaType check(Ctx *c, const Scope *sc, Expr *e);

static void set_type(Expr *e, SemaType t)
{
    e->ty = t.kind;
    e->ty_unit = t.unit;
}

static const char *path_text(Ctx *c, const Expr *e)
{
    size_t n = 1;
    VEC_FOREACH(Ident *, i, e->path.segs) n += strlen(i->name) + 1;
    char *buf = arena_alloc(c->sp->arena, n);
    size_t k = 0;
    VEC_FOREACH(Ident *, i, e->path.segs) {
        if (k)
            buf[k++] = '.';
        memcpy(buf + k, i->name, strlen(i->name));
        k += strlen(i->name);
    }
    buf[k] = '\0';
    return buf;
}

/* Flags visible in unit u: the global block, else unit-level ones (own or inherited). */
static int flag_index(Ctx *c, const char *name)
{
    int i = 0;
    VEC_FOREACH(Ident *, f, c->sp->flags) {
        if (strcmp(f->name, name) == 0)
            return i;
        i++;
    }
    for (const SemaUnit *u = c->unit; u; u = u->parent) {
        VEC_FOREACH(Item *, it, u->ast->items) {
            if (it->kind != ITEM_FLAGS)
                continue;
            int k = 0;
            VEC_FOREACH(Ident *, f, it->flags->flags) {
                if (strcmp(f->name, name) == 0)
                    return k;
                k++;
            }
        }
    }
    return -1;
}

/* state.f / state.f.s / interface.f / interface.f.s */
static SemaType check_field_path(Ctx *c, Expr *e, bool iface)
{
    PtrVec segs = e->path.segs;
    const char *full = path_text(c, e);
    if (iface && c->no_iface) {
        diag_error(c->sp->diag, e->loc, "interface references are not allowed in %s", c->no_iface);
        return T_ERR;
    }
    if (!c->unit || segs.len < 2 || segs.len > 3) {
        diag_error(c->sp->diag, e->loc, "no symbol named `%s` found in the current scope", full);
        return T_ERR;
    }
    Ident *fid = segs.items[1];
    SField *f = sema_field(iface ? c->unit->iface : c->unit->state, fid->name);
    if (!f) {
        diag_error(c->sp->diag, e->loc, "no symbol named `%s` found in the current scope", full);
        return T_ERR;
    }
    SSlice *sl = NULL;
    if (segs.len == 3) {
        Ident *sid = segs.items[2];
        sl = sema_slice(f, sid->name);
        if (!sl) {
            diag_error(c->sp->diag, e->loc, "no symbol named `%s` found in the current scope", full);
            return T_ERR;
        }
    } else if (f->slices.len == 1) {
        sl = f->slices.items[0];     /* the whole field is its only slice */
    } else if (f->slices.len > 1 && !c->in_action) {
        /* In an action, `interface.f -> state.f` moves the whole field;
         * elsewhere a multi-slice field has no single meaning. */
        diag_error(c->sp->diag, e->loc,
                   "taking the whole field `%s` with more than one slice is not supported", full);
        return T_ERR;
    }
    Symbol *s = new_sym(c->sp, sl ? SYM_SLICE : SYM_FIELD, full, sl ? sl->loc : f->loc, T_INT);
    if (sl)
        s->slice = sl;
    else
        s->field = f;
    e->sym = s;
    return T_INT;
}

static SemaType check_path(Ctx *c, const Scope *sc, Expr *e)
{
    PtrVec segs = e->path.segs;
    Ident *head = segs.items[0];
    if (strcmp(head->name, "state") == 0)
        return check_field_path(c, e, false);
    if (strcmp(head->name, "interface") == 0)
        return check_field_path(c, e, true);
    Symbol *s = sema_lookup(c->sp, c->unit, sc, head->name);
    if (!s) {
        diag_error(c->sp->diag, e->loc, "no symbol named `%s` found in the current scope",
                   path_text(c, e));
        return T_ERR;
    }
    if (segs.len == 1) {
        if (s->kind == SYM_METHOD || s->kind == SYM_UNIT || s->kind == SYM_EXTERN) {
            diag_error(c->sp->diag, e->loc, "symbol named `%s` was defined with a different kind (%s)",
                       head->name, sym_kind_names[s->kind]);
            return T_ERR;
        }
        e->sym = s;
        if (s->kind == SYM_CONST && s->cnst->ok) {
            e->is_const = true;
            e->cval = s->cnst->value;
        }
        return s->type;
    }
    /* p.x: a flag bit of a flags-typed param, or a field of an extern-typed one */
    Ident *member = segs.items[1];
    if ((s->kind == SYM_PARAM || s->kind == SYM_VAR) && s->type.kind == TYPE_FLAGS && segs.len == 2) {
        int bit = flag_index(c, member->name);
        if (bit < 0) {
            diag_error(c->sp->diag, e->loc, "no flag named `%s`; flags are declared in `flags { ... }`",
                       member->name);
            return T_ERR;
        }
        Symbol *fs = new_sym(c->sp, SYM_FLAG_BIT, path_text(c, e), member->loc, T_FLAGS);
        fs->flag_bit = bit;
        e->sym = fs;
        return T_FLAGS;
    }
    if (s->kind == SYM_PARAM && s->type.kind == TYPE_NAMED && s->type.ext && segs.len == 2) {
        VEC_FOREACH(Param *, f, s->type.ext->fields)
            if (strcmp(f->name.name, member->name) == 0) {
                Symbol *fs = new_sym(c->sp, SYM_EXT_FIELD, path_text(c, e), f->loc,
                                     resolve_typeref(c->sp, c->unit, &f->type));
                fs->param = f;
                e->sym = fs;
                return fs->type;
            }
    }
    diag_error(c->sp->diag, e->loc, "no symbol named `%s` found in the current scope", path_text(c, e));
    return T_ERR;
}

static SemaType check_call(Ctx *c, const Scope *sc, Expr *e)
{
    Expr *callee = e->call.callee;
    const char *name = path_text(c, callee);
    PtrVec args = e->call.args;
    VEC_FOREACH(Expr *, a, args) check(c, sc, a);
    Symbol *s = callee->path.segs.len == 1 ? sema_lookup(c->sp, c->unit, sc, name) : NULL;
    if (!s) {
        diag_error(c->sp->diag, callee->loc, "no symbol named `%s` found in the current scope", name);
        return T_ERR;
    }
    PtrVec params = { 0 };
    SemaType ret;
    if (s->kind == SYM_METHOD) {
        params = s->method->params;
        ret = s->method->ret;
    } else if (s->kind == SYM_UNIT) {
        params = s->unit->params;
        ret = s->type;
        if (s->unit->is_abstract)
            diag_error(c->sp->diag, e->loc, "attempted to instantiate abstract unit `%s`", name);
    } else {
        diag_error(c->sp->diag, callee->loc, "symbol named `%s` was defined with a different kind (%s)",
                   name, sym_kind_names[s->kind]);
        return T_ERR;
    }
    callee->sym = s;
    e->sym = s;
    if (args.len != params.len) {
        Loc at = args.len > params.len ? ((Expr *)args.items[params.len])->loc : e->loc;
        diag_error(c->sp->diag, at, "%s: `%s` takes %d argument%s but %d %s supplied",
                   args.len > params.len ? "unexpected argument" : "missing argument", name,
                   params.len, params.len == 1 ? "" : "s", args.len, args.len == 1 ? "was" : "were");
        return ret;
    }
    for (int i = 0; i < args.len; i++) {
        Param *p = params.items[i];
        Expr *a = args.items[i];
        SemaType want = resolve_typeref(c->sp, c->unit, &p->type);
        SemaType got = { a->ty, a->ty_unit, NULL, NULL };
        if (a->sym && a->sym->type.kind == TYPE_NAMED)
            got = a->sym->type;
        if (!sema_compatible(want, got))
            diag_error(c->sp->diag, a->loc, "mismatched types: expected `%s`, found `%s`",
                       sema_type_name(want), sema_type_name(got));
    }
    return ret;
}

/* Reported at the start of the whole expression, like GCC. */
static SemaType binop_error(Ctx *c, Expr *e, SemaType l, SemaType r, SemaType result)
{
    Loc at = e->loc;
    diag_error(c->sp->diag, at,
               "unsupported type combination in binary operation: no implementation for `%s %s %s`",
               sema_type_name(l), binop_spelling[e->bin.op], sema_type_name(r));
    return result;
}

static SemaType check_binop(Ctx *c, const Scope *sc, Expr *e)
{
    SemaType l = check(c, sc, e->bin.lhs);
    SemaType r = check(c, sc, e->bin.rhs);
    switch (e->bin.op) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
    case OP_SHL: case OP_SHR: case OP_BAND: case OP_BOR: case OP_BXOR:
        if (!sema_compatible(T_INT, l) || !sema_compatible(T_INT, r))
            return binop_error(c, e, l, r, T_INT);
        return T_INT;
    case OP_EQ: case OP_NE:
        if (!sema_compatible(l, r) && !(l.kind == TYPE_NAMED && sema_compatible(r, l)))
            return binop_error(c, e, l, r, T_BOOL);
        return T_BOOL;
    case OP_LT: case OP_GT: case OP_LE: case OP_GE:
        if (!sema_compatible(T_INT, l) || !sema_compatible(T_INT, r))
            return binop_error(c, e, l, r, T_BOOL);
        return T_BOOL;
    case OP_LAND: case OP_LOR: case OP_IMPLIES:
        if (!sema_compatible(T_BOOL, l) || !sema_compatible(T_BOOL, r))
            return binop_error(c, e, l, r, T_BOOL);
        return T_BOOL;
    }
    return T_INT;
}

static SemaType check_quant(Ctx *c, const Scope *sc, Expr *e)
{
    Scope inner = { sc, { 0 } };
    VEC_FOREACH(Param *, p, e->quant.params) {
        if (p->type.kind == TYPE_NAMED || p->type.kind == TYPE_VOID)
            diag_error(c->sp->diag, p->type.loc, "quantifier variables must have a built-in type");
        Symbol *old = sema_lookup(c->sp, c->unit, &inner, p->name.name);
        if (old) {
            diag_error(c->sp->diag, p->name.loc, "duplicate definitions with name `%s`", p->name.name);
            diag_note(c->sp->diag, old->loc, "`%s` was first defined here", p->name.name);
        }
        Symbol *s = new_sym(c->sp, SYM_VAR, p->name.name, p->name.loc, resolve_typeref(c->sp, c->unit, &p->type));
        s->param = p;
        vec_push(c->sp->arena, &inner.syms, s);
    }
    SemaType b = check(c, &inner, e->quant.body);
    if (!sema_compatible(T_BOOL, b))
        diag_error(c->sp->diag, e->quant.body->loc, "quantifier body must be boolean, found `%s`",
                   sema_type_name(b));
    return T_BOOL;
}

static SemaType check(Ctx *c, const Scope *sc, Expr *e)
{
    SemaType t = T_INT;
    switch (e->kind) {
    case EXPR_NUM:
        e->is_const = true;
        e->cval = e->num.value;
        break;
    case EXPR_BOOL:
        t = T_BOOL;
        e->is_const = true;
        e->cval = e->boolean;
        break;
    case EXPR_PATH:
        t = check_path(c, sc, e);
        break;
    case EXPR_CALL:
        t = check_call(c, sc, e);
        break;
    case EXPR_SLICE: {
        SemaType b = check(c, sc, e->slice.base);
        SemaType tl = check(c, sc, e->slice.lo);
        SemaType th = check(c, sc, e->slice.hi);
        if (!sema_compatible(T_INT, b))
            diag_error(c->sp->diag, e->slice.base->loc, "cannot take bits of a `%s` value", sema_type_name(b));
        bool typed = true;
        if (!is_numeric(tl.kind) && !is_err(tl)) {
            diag_error(c->sp->diag, e->slice.lo->loc, "mismatched types in range: expected numeric, found `%s`",
                       sema_type_name(tl));
            typed = false;
        }
        if (!is_numeric(th.kind) && !is_err(th)) {
            diag_error(c->sp->diag, e->slice.hi->loc, "mismatched types in range: expected numeric, found `%s`",
                       sema_type_name(th));
            typed = false;
        }
        if (!typed)
            break;
        uint64_t lo, hi;
        bool ok = const_eval(c->sp, c->unit, e->slice.lo, NULL, true, &lo);
        ok = const_eval(c->sp, c->unit, e->slice.hi, NULL, true, &hi) && ok;
        if (!ok)
            break;
        if (lo == hi)
            diag_warning(c->sp->diag, e->slice.lo->loc, "empty range [%llu..%llu]", (unsigned long long)lo,
                         (unsigned long long)hi);
        else if (lo > hi)
            diag_warning(c->sp->diag, e->slice.lo->loc, "start of range %llu is larger than its end %llu",
                         (unsigned long long)lo, (unsigned long long)hi);
        else if (hi > 64)
            diag_error(c->sp->diag, e->slice.hi->loc, "bit slice [%llu..%llu] exceeds 64 bits",
                       (unsigned long long)lo, (unsigned long long)hi);
        break;
    }
    case EXPR_ELEM:
        check(c, sc, e->elem.base);
        check(c, sc, e->elem.index);
        diag_error(c->sp->diag, e->loc, "element access `x[i]` is not supported; use a bit slice `x[lo..hi]`");
        break;
    case EXPR_BINOP:
        t = check_binop(c, sc, e);
        break;
    case EXPR_UNOP: {
        SemaType x = check(c, sc, e->un.operand);
        if (e->un.op == OP_NOT) {
            t = T_BOOL;
            if (!sema_compatible(T_BOOL, x))
                diag_error(c->sp->diag, e->loc, "unsupported type combination in unary operation: `!%s`",
                           sema_type_name(x));
        } else if (e->un.op == OP_BITNOT) {
            if (!sema_compatible(T_INT, x))
                diag_error(c->sp->diag, e->loc, "unsupported type combination in unary operation: `~%s`",
                           sema_type_name(x));
        } else {
            diag_error(c->sp->diag, e->loc, "the 2021 reference operator `&` is not supported");
        }
        break;
    }
    case EXPR_IF: {
        SemaType cond = check(c, sc, e->ifelse.cond);
        SemaType a = check(c, sc, e->ifelse.then);
        SemaType b = check(c, sc, e->ifelse.els);
        if (cond.kind != TYPE_BOOL)
            diag_error(c->sp->diag, e->ifelse.cond->loc, "expected boolean expression, found `%s` expression",
                       sema_type_name(cond));
        else if (e->ifelse.cond->is_const)
            diag_warning(c->sp->diag, e->ifelse.cond->loc,
                         "the condition of the if-then-else expression is always %s",
                         e->ifelse.cond->cval ? "true" : "false");
        bool same = a.kind == b.kind || (is_numeric(a.kind) && is_numeric(b.kind));
        if (!same)
            diag_error(c->sp->diag, e->loc,
                       "the two branches of the if-then-else expression have different types (`%s` and `%s`)",
                       sema_type_name(a), sema_type_name(b));
        t = a;
        break;
    }
    case EXPR_QUANT:
        t = check_quant(c, sc, e);
        break;
    }
    /* fold what folds, quietly: errors were reported at definitions */
    if (!e->is_const && (e->kind == EXPR_BINOP || e->kind == EXPR_UNOP)) {
        bool kids = e->kind == EXPR_BINOP ? e->bin.lhs->is_const && e->bin.rhs->is_const
                                          : e->un.operand->is_const;
        if (kids) {
            uint64_t v;
            const_eval(c->sp, c->unit, e, NULL, false, &v);
        }
    }
    set_type(e, t);
    return t;
}

SemaType typecheck_expr(SemaProgram *sp, SemaUnit *u, const Scope *scope, Expr *e)
{
    Ctx c = { sp, u, NULL, false };
    if (u)
        build_unit_syms(sp, u);
    return check(&c, scope, e);
}

static void method_scope(SemaProgram *sp, SMethod *m, Scope *sc)
{
    VEC_FOREACH(Param *, p, m->params) {
        Symbol *s = new_sym(sp, SYM_PARAM, p->name.name, p->name.loc, resolve_typeref(sp, m->owner, &p->type));
        s->param = p;
        vec_push(sp->arena, &sc->syms, s);
    }
}

static void check_method(SemaProgram *sp, SemaUnit *u, SMethod *m)
{
    Scope sc = { NULL, { 0 } };
    method_scope(sp, m, &sc);
    Ctx c = { sp, u, "requires clauses", false };
    VEC_FOREACH(Expr *, r, m->requires) {
        SemaType t = check(&c, &sc, r);
        if (!sema_compatible(T_BOOL, t))
            diag_error(sp->diag, r->loc, "requires clause has incompatible type `%s`; expected `bool`",
                       sema_type_name(t));
    }
    c.no_iface = "ensures clauses";
    VEC_FOREACH(Expr *, r, m->ensures) {
        SemaType t = check(&c, &sc, r);
        if (!sema_compatible(T_BOOL, t))
            diag_error(sp->diag, r->loc, "ensures clause has incompatible type `%s`; expected `bool`",
                       sema_type_name(t));
    }
    if (m->body) {
        c.no_iface = "method bodies";
        SemaType t = check(&c, &sc, m->body);
        if (m->ret.kind != TYPE_VOID && !sema_compatible(m->ret, t))
            diag_error(sp->diag, m->body->loc, "method body has incompatible type: expected `%s`, found `%s`",
                       sema_type_name(m->ret), sema_type_name(t));
    }
}

static void check_actions(SemaProgram *sp, SemaUnit *u, SField *f)
{
    Ctx c = { sp, u, NULL, true };
    for (int k = 0; k < 2; k++) {
        PtrVec acts = k ? f->write_actions : f->read_actions;
        VEC_FOREACH(Action *, a, acts) {
            Expr *src = action_src(a), *dst = action_dst(a);
            SemaType ts = check(&c, NULL, src);
            SemaType td = check(&c, NULL, dst);
            if (is_err(ts) || is_err(td))
                continue;
            if (!is_numeric(ts.kind) && !(ts.kind == TYPE_NAMED && ts.unit))
                diag_error(sp->diag, src->loc, "unsupported type `%s` in action source", sema_type_name(ts));
            else if (!sema_compatible(td, ts))
                diag_error(sp->diag, dst->loc, "type mismatch in action: `%s` into `%s`", sema_type_name(ts),
                           sema_type_name(td));
        }
    }
}

static void check_map(SemaProgram *sp, SemaUnit *u)
{
    MapDef *m = u->map;
    if (!m)
        return;
    Ctx c = { sp, u, "map elements", false };
    Scope sc = { NULL, { 0 } };
    if (m->comprehension && m->var.name) {
        Symbol *s = new_sym(sp, SYM_VAR, m->var.name, m->var.loc, T_INT);
        vec_push(sp->arena, &sc.syms, s);
    }
    VEC_FOREACH(MapElem *, el, m->elems) {
        SemaUnit *target = sema_unit(sp, el->unit.name);
        VEC_FOREACH(Expr *, a, el->args) check(&c, &sc, a);
        if (el->offset)
            check(&c, &sc, el->offset);
        if (!target || target->params.len != el->args.len)
            continue;   /* units.c reports unknown units and arity */
        for (int i = 0; i < el->args.len; i++) {
            Param *p = target->params.items[i];
            Expr *a = el->args.items[i];
            SemaType want = resolve_typeref(sp, target, &p->type);
            SemaType got = { a->ty, a->ty_unit, NULL, NULL };
            if (!sema_compatible(want, got))
                diag_error(sp->diag, a->loc, "mismatched types: expected `%s`, found `%s`",
                           sema_type_name(want), sema_type_name(got));
        }
    }
}

static void check_const(SemaProgram *sp, SemaUnit *u, SConst *k)
{
    Ctx c = { sp, u, "constants", false };
    SemaType t = check(&c, NULL, k->ast->value);
    SemaType want = k->type;
    if (want.kind == TYPE_NAMED || want.kind == TYPE_FLAGS || want.kind == TYPE_VOID)
        return;   /* reported by resolve.c */
    if (!sema_compatible(want, t) || (want.kind != TYPE_BOOL && t.kind == TYPE_BOOL))
        diag_error(sp->diag, k->ast->value->loc, "mismatched types: expected `%s`, found `%s`",
                   is_numeric(want.kind) ? "numeric" : sema_type_name(want),
                   t.kind == TYPE_BOOL ? "boolean" : sema_type_name(t));
}

void typecheck_program(SemaProgram *sp)
{
    VEC_FOREACH(SConst *, k, sp->consts) check_const(sp, NULL, k);
    VEC_FOREACH(SemaUnit *, u, sp->units) {
        build_unit_syms(sp, u);
        VEC_FOREACH(Item *, it, u->ast->items)
            if (it->kind == ITEM_CONST)
                VEC_FOREACH(SConst *, k, u->consts)
                    if (k->ast == it->constdef)
                        check_const(sp, u, k);
        VEC_FOREACH(SMethod *, m, u->methods)
            if (m->owner == u && m->ast)
                check_method(sp, u, m);
        VEC_FOREACH(SField *, f, u->iface)
            if (f->ast || f->read_actions.len || f->write_actions.len)
                check_actions(sp, u, f);
        if (u->kind == UNIT_STATICMAP)
            check_map(sp, u);
    }
}
