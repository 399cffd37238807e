/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ast.c - AST constructors, the kind-name tables and small tree utilities.
 */
#include "ast.h"

#include <string.h>

const char *const type_kind_names[] = {
#define X(k, s) s,
    TYPE_KINDS(X)
#undef X
};
const char *const expr_kind_names[] = {
#define X(k, s) s,
    EXPR_KINDS(X)
#undef X
};
const char *const binop_spelling[] = {
#define X(k, s, p) s,
    BINOPS(X)
#undef X
};
const int binop_prec[] = {
#define X(k, s, p) p,
    BINOPS(X)
#undef X
};
const char *const unop_spelling[] = {
#define X(k, s) s,
    UNOPS(X)
#undef X
};
const char *const field_node_names[] = {
#define X(k, s) s,
    FIELD_NODE_KINDS(X)
#undef X
};
const char *const field_kind_names[] = {
#define X(k, s) s,
    FIELD_KINDS(X)
#undef X
};
const char *const unit_kind_names[] = {
#define X(k, s) s,
    UNIT_KINDS(X)
#undef X
};
const char *const item_kind_names[] = {
#define X(k, s) s,
    ITEM_KINDS(X)
#undef X
};

Loc loc_span(Loc a, Loc b)
{
    Loc r = a;
    r.last_line = b.last_line;
    r.last_column = b.last_column;
    return r;
}

Expr *action_src(const Action *a) { return a->arrow == ARROW_RIGHT ? a->lhs : a->rhs; }
Expr *action_dst(const Action *a) { return a->arrow == ARROW_RIGHT ? a->rhs : a->lhs; }

Expr *ast_expr(Arena *a, ExprKind kind, Loc loc)
{
    Expr *e = arena_alloc(a, sizeof *e);
    e->kind = kind;
    e->loc = loc;
    e->depth = 1;
    return e;
}

Expr *ast_num(Arena *a, uint64_t value, const char *text, Loc loc)
{
    Expr *e = ast_expr(a, EXPR_NUM, loc);
    e->num.value = value;
    e->num.text = text;
    return e;
}

Expr *ast_binop(Arena *a, BinOp op, Expr *lhs, Expr *rhs, Loc loc)
{
    Expr *e = ast_expr(a, EXPR_BINOP, loc);
    e->bin.op = op;
    e->bin.lhs = lhs;
    e->bin.rhs = rhs;
    e->depth = 1 + (lhs->depth > rhs->depth ? lhs->depth : rhs->depth);
    return e;
}

Expr *ast_unop(Arena *a, UnOp op, Expr *operand, Loc loc)
{
    Expr *e = ast_expr(a, EXPR_UNOP, loc);
    e->un.op = op;
    e->un.operand = operand;
    e->depth = 1 + operand->depth;
    return e;
}

Expr *ast_path1(Arena *a, const char *name, Loc loc)
{
    Expr *e = ast_expr(a, EXPR_PATH, loc);
    Ident *i = arena_alloc(a, sizeof *i);
    i->name = name;
    i->loc = loc;
    vec_push(a, &e->path.segs, i);
    return e;
}

Item *ast_item(Arena *a, ItemKind kind, Loc loc)
{
    Item *it = arena_alloc(a, sizeof *it);
    it->kind = kind;
    it->loc = loc;
    return it;
}

static PtrVec clone_vec(Arena *a, PtrVec v)
{
    PtrVec r = { 0 };
    VEC_FOREACH(Expr *, e, v) vec_push(a, &r, ast_expr_clone(a, e));
    return r;
}

/* Deep copy; Idents and Params are shared (they are never mutated). */
Expr *ast_expr_clone(Arena *a, const Expr *e)
{
    if (!e)
        return NULL;
    Expr *c = arena_alloc(a, sizeof *c);
    *c = *e;
    switch (e->kind) {
    case EXPR_NUM:
    case EXPR_BOOL:
        break;
    case EXPR_PATH: {
        PtrVec segs = { 0 };
        VEC_FOREACH(Ident *, i, e->path.segs) vec_push(a, &segs, i);
        c->path.segs = segs;
        break;
    }
    case EXPR_CALL:
        c->call.callee = ast_expr_clone(a, e->call.callee);
        c->call.args = clone_vec(a, e->call.args);
        break;
    case EXPR_SLICE:
        c->slice.base = ast_expr_clone(a, e->slice.base);
        c->slice.lo = ast_expr_clone(a, e->slice.lo);
        c->slice.hi = ast_expr_clone(a, e->slice.hi);
        break;
    case EXPR_ELEM:
        c->elem.base = ast_expr_clone(a, e->elem.base);
        c->elem.index = ast_expr_clone(a, e->elem.index);
        break;
    case EXPR_BINOP:
        c->bin.lhs = ast_expr_clone(a, e->bin.lhs);
        c->bin.rhs = ast_expr_clone(a, e->bin.rhs);
        break;
    case EXPR_UNOP:
        c->un.operand = ast_expr_clone(a, e->un.operand);
        break;
    case EXPR_IF:
        c->ifelse.cond = ast_expr_clone(a, e->ifelse.cond);
        c->ifelse.then = ast_expr_clone(a, e->ifelse.then);
        c->ifelse.els = ast_expr_clone(a, e->ifelse.els);
        break;
    case EXPR_QUANT: {
        PtrVec ps = { 0 };
        VEC_FOREACH(Param *, prm, e->quant.params) vec_push(a, &ps, prm);
        c->quant.params = ps;
        c->quant.body = ast_expr_clone(a, e->quant.body);
        break;
    }
    }
    return c;
}

int ast_expr_depth(const Expr *e) { return e ? e->depth : 0; }

bool ast_expr_visit(Expr *e, bool (*fn)(Expr *e, void *ctx), void *ctx)
{
    if (!e)
        return true;
    if (!fn(e, ctx))
        return false;
    switch (e->kind) {
    case EXPR_NUM:
    case EXPR_BOOL:
    case EXPR_PATH:
        return true;
    case EXPR_CALL:
        VEC_FOREACH(Expr *, a, e->call.args) if (!ast_expr_visit(a, fn, ctx)) return false;
        return true;
    case EXPR_SLICE:
        return ast_expr_visit(e->slice.base, fn, ctx) && ast_expr_visit(e->slice.lo, fn, ctx) &&
               ast_expr_visit(e->slice.hi, fn, ctx);
    case EXPR_ELEM:
        return ast_expr_visit(e->elem.base, fn, ctx) && ast_expr_visit(e->elem.index, fn, ctx);
    case EXPR_BINOP:
        return ast_expr_visit(e->bin.lhs, fn, ctx) && ast_expr_visit(e->bin.rhs, fn, ctx);
    case EXPR_UNOP:
        return ast_expr_visit(e->un.operand, fn, ctx);
    case EXPR_IF:
        return ast_expr_visit(e->ifelse.cond, fn, ctx) && ast_expr_visit(e->ifelse.then, fn, ctx) &&
               ast_expr_visit(e->ifelse.els, fn, ctx);
    case EXPR_QUANT:
        return ast_expr_visit(e->quant.body, fn, ctx);
    }
    return true;
}
