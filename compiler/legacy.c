/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * legacy.c - converting 2021 legacy constructs into the current tree.
 *
 * Runs inside parser actions. The 2021 syntax had statement bodies
 * (`return`, `let`, `assert`, `if` statements); the current language has one
 * expression per body. A body becomes an expression by following every path
 * through the statements: `let` is inlined, an `if` statement becomes an
 * if-expression whose branches carry the statements after it, and an
 * `assert` on a path becomes a `requires` clause guarded by that path's
 * condition. `interface = Memory;` becomes one interface field per state
 * field.
 */
#include <string.h>

#include "parse.h"

typedef enum StmtKind { STMT_RETURN, STMT_LET, STMT_ASSERT, STMT_IF } StmtKind;

struct Stmt {
    StmtKind kind;
    Loc      loc;
    Expr    *e;          /* return value, let value, assertion, if condition */
    Ident    name;       /* let */
    TypeRef  type;       /* let */
    PtrVec   then;       /* if */
    PtrVec   els;        /* if; empty when there is no else */
};

static Stmt *mk_stmt(Parser *p, StmtKind k, Expr *e, Loc loc)
{
    Stmt *s = arena_alloc(p->arena, sizeof *s);
    s->kind = k;
    s->e = e;
    s->loc = loc;
    return s;
}

Stmt *legacy_stmt_return(Parser *p, Expr *e, Loc loc) { return mk_stmt(p, STMT_RETURN, e, loc); }
Stmt *legacy_stmt_assert(Parser *p, Expr *e, Loc loc)
{
    e->parens = false;   /* `assert(e)`: the parentheses belong to assert */
    return mk_stmt(p, STMT_ASSERT, e, loc);
}

Stmt *legacy_stmt_let(Parser *p, Ident name, TypeRef type, Expr *e, Loc loc)
{
    Stmt *s = mk_stmt(p, STMT_LET, e, loc);
    s->name = name;
    s->type = type;
    return s;
}

Stmt *legacy_stmt_if(Parser *p, Expr *cond, PtrVec then, PtrVec *els, Loc loc)
{
    Stmt *s = mk_stmt(p, STMT_IF, cond, loc);
    s->then = then;
    if (els)
        s->els = *els;
    return s;
}

/* let bindings in scope, innermost first */
typedef struct Binding {
    const char     *name;
    Expr           *value;
    struct Binding *next;
} Binding;

/* statements still to run after the current list ends */
typedef struct Cont {
    PtrVec       stmts;
    int          index;
    struct Cont *next;
} Cont;

typedef struct Conv {
    Parser *p;
    PtrVec *requires;
    long    budget;      /* nodes we may still create; inlining can blow up */
    bool    failed;
} Conv;

static Expr *subst(Conv *c, Expr *e, Binding *env);

static PtrVec subst_vec(Conv *c, PtrVec v, Binding *env)
{
    PtrVec r = { 0 };
    VEC_FOREACH(Expr *, x, v) vec_push(c->p->arena, &r, subst(c, x, env));
    return r;
}

static int max3(int a, int b, int c)
{
    int m = a > b ? a : b;
    return m > c ? m : c;
}

/* Copy e with every let-bound name replaced by its value. */
static Expr *subst(Conv *c, Expr *e, Binding *env)
{
    if (!e)
        return NULL;
    if (--c->budget < 0) {
        if (!c->failed)
            diag_error(c->p->diag, e->loc, "legacy method body is too large to convert (its `let`s inline to more than %d nodes)",
                       100000);
        c->failed = true;
        return e;
    }
    Arena *a = c->p->arena;
    if (e->kind == EXPR_PATH && e->path.segs.len == 1) {
        const Ident *id = e->path.segs.items[0];
        for (Binding *b = env; b; b = b->next)
            if (strcmp(b->name, id->name) == 0) {
                return ast_expr_clone(a, b->value);
            }
        return e;
    }
    Expr *r = arena_alloc(a, sizeof *r);
    *r = *e;
    switch (e->kind) {
    case EXPR_NUM:
    case EXPR_BOOL:
    case EXPR_PATH:
        return e;
    case EXPR_CALL:
        r->call.args = subst_vec(c, e->call.args, env);
        r->depth = 1;
        VEC_FOREACH(Expr *, x, r->call.args) if (x->depth + 1 > r->depth) r->depth = x->depth + 1;
        break;
    case EXPR_SLICE:
        r->slice.lo = subst(c, e->slice.lo, env);
        r->slice.hi = subst(c, e->slice.hi, env);
        r->depth = 1 + max3(r->slice.lo->depth, r->slice.hi->depth, 0);
        break;
    case EXPR_ELEM:
        r->elem.index = subst(c, e->elem.index, env);
        r->depth = 1 + r->elem.index->depth;
        break;
    case EXPR_BINOP:
        r->bin.lhs = subst(c, e->bin.lhs, env);
        r->bin.rhs = subst(c, e->bin.rhs, env);
        r->depth = 1 + max3(r->bin.lhs->depth, r->bin.rhs->depth, 0);
        break;
    case EXPR_UNOP:
        r->un.operand = subst(c, e->un.operand, env);
        r->depth = 1 + r->un.operand->depth;
        break;
    case EXPR_IF:
        r->ifelse.cond = subst(c, e->ifelse.cond, env);
        r->ifelse.then = subst(c, e->ifelse.then, env);
        r->ifelse.els = subst(c, e->ifelse.els, env);
        r->depth = 1 + max3(r->ifelse.cond->depth, r->ifelse.then->depth, r->ifelse.els->depth);
        break;
    case EXPR_QUANT:
        r->quant.body = subst(c, e->quant.body, env);
        r->depth = 1 + r->quant.body->depth;
        break;
    }
    if (r->depth > MAX_EXPR_DEPTH && !c->failed) {
        diag_error(c->p->diag, e->loc, "legacy method body nests too deeply after inlining `let`s");
        c->failed = true;
    }
    return r;
}

static Expr *and_cond(Conv *c, Expr *path, Expr *cond, bool negate, Loc loc)
{
    Arena *a = c->p->arena;
    Expr *x = negate ? ast_unop(a, OP_NOT, cond, cond->loc) : cond;
    return path ? ast_binop(a, OP_LAND, path, x, loc) : x;
}

/* Value of running stmts[i..] then the continuations, under env and the
 * path condition `path` (NULL = true). NULL when no return is reached. */
static Expr *run(Conv *c, PtrVec stmts, int i, Cont *k, Binding *env, Expr *path, Loc end)
{
    Arena *a = c->p->arena;
    for (; i < stmts.len; i++) {
        Stmt *s = stmts.items[i];
        switch (s->kind) {
        case STMT_RETURN:
            if (i + 1 < stmts.len) {
                Stmt *next = stmts.items[i + 1];
                diag_warning(c->p->diag, next->loc, "statement after `return` is never reached");
            }
            return subst(c, s->e, env);
        case STMT_LET: {
            Binding *b = arena_alloc(a, sizeof *b);
            b->name = s->name.name;
            b->value = subst(c, s->e, env);
            b->next = env;
            env = b;
            break;
        }
        case STMT_ASSERT: {
            Expr *x = subst(c, s->e, env);
            if (path)
                x = ast_binop(a, OP_IMPLIES, ast_expr_clone(a, path), x, s->loc);
            vec_push(a, c->requires, x);
            break;
        }
        case STMT_IF: {
            Expr *cond = subst(c, s->e, env);
            Cont *rest = arena_alloc(a, sizeof *rest);
            rest->stmts = stmts;
            rest->index = i + 1;
            rest->next = k;
            Expr *then = run(c, s->then, 0, rest, env, and_cond(c, path, cond, false, s->loc), end);
            Expr *els = run(c, s->els, 0, rest, env, and_cond(c, path, cond, true, s->loc), end);
            if (!then || !els)
                return NULL;
            Expr *e = ast_expr(a, EXPR_IF, s->loc);
            e->ifelse.cond = cond;
            e->ifelse.then = then;
            e->ifelse.els = els;
            e->depth = 1 + max3(cond->depth, then->depth, els->depth);
            return e;
        }
        }
    }
    if (k)
        return run(c, k->stmts, k->index, k->next, env, path, end);
    if (!c->failed)
        diag_error(c->p->diag, end, "legacy method body can end without a `return`");
    c->failed = true;
    return NULL;
}

Expr *legacy_body_to_expr(Parser *p, PtrVec stmts, Loc body_loc, PtrVec *requires)
{
    Conv c = { p, requires, 100000, false };
    Loc end = body_loc;
    end.first_line = end.last_line;
    end.first_column = end.last_column;
    Expr *e = run(&c, stmts, 0, NULL, NULL, NULL, end);
    return c.failed ? NULL : e;
}

FieldBlock *legacy_iface_same_as_state(Parser *p, Unit *u, Loc loc)
{
    FieldBlock *state = NULL;
    VEC_FOREACH(Item *, it, u->items)
        if (it->kind == ITEM_STATE && it->block)
            state = it->block;
    if (!state) {
        diag_error(p->diag, loc, "`interface = Memory;` needs a state to copy, and unit `%s` has none",
                   u->name.name);
        return NULL;
    }
    FieldBlock *b = arena_alloc(p->arena, sizeof *b);
    b->is_interface = true;
    b->has_params = state->has_params;
    b->params = state->params;
    b->loc = loc;
    VEC_FOREACH(Field *, f, state->fields) {
        Field *g = arena_alloc(p->arena, sizeof *g);
        g->kind = f->kind;
        g->name = f->name;
        g->base = f->base;
        g->offset = f->offset;
        g->size = f->size;
        g->loc = f->loc;
        vec_push(p->arena, &b->fields, g);
    }
    return b;
}

/* ---- 2021 special-method signatures -------------------------------------- */

typedef struct Rename {
    const char *from;
    const char *to;
} Rename;

static bool rename_head(Expr *e, void *ctx)
{
    const Rename *r = ctx;
    if (e->kind == EXPR_PATH) {
        Ident *head = e->path.segs.items[0];
        if (strcmp(head->name, r->from) == 0)
            head->name = r->to;
    }
    return true;
}

static void rename_in_expr(Expr *e, const char *from, const char *to)
{
    Rename r = { from, to };
    ast_expr_visit(e, rename_head, &r);
}

static void rename_in_vec(PtrVec v, const char *from, const char *to)
{
    VEC_FOREACH(Expr *, x, v) rename_in_expr(x, from, to);
}

/* visitor: stop at a path whose head is the name */
static bool not_named(Expr *e, void *ctx)
{
    return e->kind != EXPR_PATH || strcmp(((Ident *)e->path.segs.items[0])->name, ctx) != 0;
}

static bool mentions(Expr *e, const char *name)
{
    return !ast_expr_visit(e, not_named, (void *)name);
}

static bool mentions_vec(PtrVec v, const char *name)
{
    VEC_FOREACH(Expr *, x, v) if (mentions(x, name)) return true;
    return false;
}

static bool method_mentions(const Method *m, const char *name)
{
    return mentions_vec(m->requires, name) || mentions_vec(m->ensures, name) || mentions(m->body, name);
}

static bool scalar_type(TypeKind k)
{
    return k == TYPE_ADDR || k == TYPE_VADDR || k == TYPE_PADDR || k == TYPE_SIZE || k == TYPE_INT ||
           k == TYPE_FLAGS;
}

/* Give param i the current name and type, renaming its uses. */
static void set_param(Method *m, int i, const char *name, TypeKind kind)
{
    Param *p = m->params.items[i];
    if (strcmp(p->name.name, name) != 0) {
        rename_in_vec(m->requires, p->name.name, name);
        rename_in_vec(m->ensures, p->name.name, name);
        rename_in_expr(m->body, p->name.name, name);
        p->name.name = name;
    }
    if (scalar_type(p->type.kind))
        p->type.kind = kind;
}

/* The 2021 specs wrote `fn translate(va: addr, flags: int) -> addr` and
 * bodiless `fn map(va: addr, sz: size, flags: int, pa: addr) -> bool;`.
 * Their meaning is the current special methods, so they are rewritten to
 * the current signatures when the shape fits; anything else is left for
 * semantic analysis to report. */
void legacy_convert_signatures(Parser *p, Unit *u)
{
    static const struct {
        const char *name;
        int         nparams;
        const char *names[4];
        TypeKind    types[4];
    } special[] = {
        { "map", 4, { "va", "sz", "flgs", "pa" }, { TYPE_VADDR, TYPE_SIZE, TYPE_FLAGS, TYPE_PADDR } },
        { "unmap", 2, { "va", "sz" }, { TYPE_VADDR, TYPE_SIZE } },
        { "protect", 3, { "va", "sz", "flgs" }, { TYPE_VADDR, TYPE_SIZE, TYPE_FLAGS } },
    };
    VEC_FOREACH(Item *, it, u->items) {
        if (it->kind != ITEM_METHOD)
            continue;
        Method *m = it->method;
        const char *name = m->name.name;
        if (strcmp(name, "translate") == 0 && m->params.len >= 1) {
            /* drop trailing params the method never uses (`flags: int`) */
            while (m->params.len > 1 && !method_mentions(m, ((Param *)m->params.items[m->params.len - 1])->name.name))
                m->params.len--;
            set_param(m, 0, "va", TYPE_VADDR);
            if (m->ret && scalar_type(m->ret->kind))
                m->ret->kind = TYPE_PADDR;
            parse_deprecated(p, DEP_LEGACY_SIGNATURE, m->name.loc);
            continue;
        }
        if (strcmp(name, "matchflags") == 0 && m->params.len == 1) {
            set_param(m, 0, "flgs", TYPE_FLAGS);
            continue;
        }
        for (size_t k = 0; k < sizeof special / sizeof special[0]; k++) {
            if (strcmp(name, special[k].name) != 0 || m->body || m->is_extern ||
                m->params.len != special[k].nparams)
                continue;
            for (int i = 0; i < special[k].nparams; i++)
                set_param(m, i, special[k].names[i], special[k].types[i]);
            m->is_synth = true;
            m->is_abstract = false;
            m->ret = NULL;
            parse_deprecated(p, DEP_LEGACY_SIGNATURE, m->name.loc);
        }
    }
}
