/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * consteval.c - constant folding with 64-bit unsigned semantics.
 *
 * Every constant in a spec - consts, bit widths, ranges, field sizes and
 * offsets, map element arguments - folds through here. Arithmetic never
 * wraps silently: overflow, underflow, division by zero and shifts of 64 or
 * more are errors at the operator. A folded expression is annotated in place
 * (Expr.is_const, Expr.cval). Constants are folded on first use, so they may
 * be used before their definition; one defined through itself is an error
 * that names the cycle.
 */
#include <string.h>

#include "sema.h"

typedef enum { CE_OK, CE_NOTCONST, CE_ERROR } CeResult;

typedef struct Folder {
    SemaProgram        *sp;
    const SemaUnit     *unit;
    const ConstBinding *vars;
} Folder;

static SConst *find_const(const SemaProgram *sp, const SemaUnit *u, const char *name,
                          const SemaUnit **owner)
{
    if (u)
        VEC_FOREACH(SConst *, c, u->consts)
            if (strcmp(c->ast->name.name, name) == 0) {
                *owner = u;
                return c;
            }
    Symbol *s = sema_global(sp, name);
    *owner = NULL;
    return s && s->kind == SYM_CONST ? s->cnst : NULL;
}

static CeResult fold(Folder *f, Expr *e, uint64_t *out);

bool const_fold_def(SemaProgram *sp, const SemaUnit *u, SConst *c)
{
    if (c->state == 2)
        return c->ok;
    if (c->state == 1) {
        diag_error(sp->diag, c->ast->name.loc, "constant `%s` is defined through itself",
                   c->ast->name.name);
        return false;
    }
    c->state = 1;
    Folder f = { sp, u, NULL };
    uint64_t v = 0;
    CeResult r = fold(&f, c->ast->value, &v);
    if (r == CE_NOTCONST)
        diag_error(sp->diag, c->ast->value->loc, "expected a constant expression for `%s`",
                   c->ast->name.name);
    c->state = 2;
    c->ok = r == CE_OK;
    c->value = v;
    return c->ok;
}

static CeResult overflow(Folder *f, Expr *e, const char *what, uint64_t a, uint64_t b)
{
    diag_error(f->sp->diag, e->loc, "constant %s: %llu %s %llu does not fit in 64 bits", what,
               (unsigned long long)a, binop_spelling[e->bin.op], (unsigned long long)b);
    return CE_ERROR;
}

static CeResult fold_binop(Folder *f, Expr *e, uint64_t *out)
{
    uint64_t a, b;
    CeResult ra = fold(f, e->bin.lhs, &a);
    CeResult rb = fold(f, e->bin.rhs, &b);
    if (ra == CE_ERROR || rb == CE_ERROR)
        return CE_ERROR;
    if (ra != CE_OK || rb != CE_OK)
        return CE_NOTCONST;
    switch (e->bin.op) {
    case OP_ADD:
        if (a > UINT64_MAX - b)
            return overflow(f, e, "overflow", a, b);
        *out = a + b;
        break;
    case OP_SUB:
        if (b > a)
            return overflow(f, e, "underflow", a, b);
        *out = a - b;
        break;
    case OP_MUL:
        if (a && b > UINT64_MAX / a)
            return overflow(f, e, "overflow", a, b);
        *out = a * b;
        break;
    case OP_DIV:
    case OP_MOD:
        if (b == 0) {
            diag_error(f->sp->diag, e->loc, "constant %s by zero",
                       e->bin.op == OP_DIV ? "division" : "remainder");
            return CE_ERROR;
        }
        *out = e->bin.op == OP_DIV ? a / b : a % b;
        break;
    case OP_SHL:
    case OP_SHR:
        if (b >= 64) {
            diag_error(f->sp->diag, e->loc, "constant shift by %llu: shifts must be less than 64",
                       (unsigned long long)b);
            return CE_ERROR;
        }
        if (e->bin.op == OP_SHL) {
            if (((a << b) >> b) != a)
                return overflow(f, e, "overflow", a, b);
            *out = a << b;
        } else {
            *out = a >> b;
        }
        break;
    case OP_BAND: *out = a & b; break;
    case OP_BOR:  *out = a | b; break;
    case OP_BXOR: *out = a ^ b; break;
    case OP_EQ:   *out = a == b; break;
    case OP_NE:   *out = a != b; break;
    case OP_LT:   *out = a < b; break;
    case OP_GT:   *out = a > b; break;
    case OP_LE:   *out = a <= b; break;
    case OP_GE:   *out = a >= b; break;
    case OP_LAND: *out = a && b; break;
    case OP_LOR:  *out = a || b; break;
    case OP_IMPLIES: *out = !a || b; break;
    }
    return CE_OK;
}

static CeResult fold_path(Folder *f, Expr *e, uint64_t *out)
{
    if (e->path.segs.len != 1)
        return CE_NOTCONST;
    const char *name = ((Ident *)e->path.segs.items[0])->name;
    for (const ConstBinding *b = f->vars; b; b = b->next)
        if (strcmp(b->name, name) == 0) {
            *out = b->value;
            return CE_OK;
        }
    const SemaUnit *owner;
    SConst *c = find_const(f->sp, f->unit, name, &owner);
    if (!c)
        return CE_NOTCONST;
    if (c->state == 1) {
        diag_error(f->sp->diag, e->loc, "constant `%s` is defined through itself", name);
        diag_note(f->sp->diag, c->ast->name.loc, "`%s` is defined here", name);
        return CE_ERROR;
    }
    if (!const_fold_def(f->sp, owner, c))
        return CE_ERROR;
    *out = c->value;
    return CE_OK;
}

static CeResult fold(Folder *f, Expr *e, uint64_t *out)
{
    CeResult r = CE_NOTCONST;
    uint64_t v = 0;
    switch (e->kind) {
    case EXPR_NUM:
        v = e->num.value;
        r = CE_OK;
        break;
    case EXPR_BOOL:
        v = e->boolean;
        r = CE_OK;
        break;
    case EXPR_PATH:
        r = fold_path(f, e, &v);
        break;
    case EXPR_BINOP:
        r = fold_binop(f, e, &v);
        break;
    case EXPR_UNOP: {
        uint64_t x;
        r = fold(f, e->un.operand, &x);
        if (r == CE_OK) {
            if (e->un.op == OP_BITNOT)
                v = ~x;
            else if (e->un.op == OP_NOT)
                v = !x;
            else
                r = CE_NOTCONST;
        }
        break;
    }
    case EXPR_IF: {
        uint64_t c;
        r = fold(f, e->ifelse.cond, &c);
        if (r == CE_OK)
            r = fold(f, c ? e->ifelse.then : e->ifelse.els, &v);
        break;
    }
    default:
        r = CE_NOTCONST;
        break;
    }
    if (r == CE_OK && f->vars == NULL) {
        e->is_const = true;
        e->cval = v;
    }
    *out = v;
    return r;
}

bool const_eval(SemaProgram *sp, const SemaUnit *u, Expr *e, const ConstBinding *vars, bool must,
                uint64_t *out)
{
    Folder f = { sp, u, vars };
    uint64_t v = 0;
    CeResult r = fold(&f, e, &v);
    if (r == CE_NOTCONST && must)
        diag_error(sp->diag, e->loc, "expected a constant expression");
    *out = v;
    return r == CE_OK;
}
