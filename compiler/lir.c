/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lir.c - building, checking and listing the procedural IR (lir.h), and
 * the one translation of Sx values into it.
 *
 * The builders fold nothing clever: lowering already works on folded Sx,
 * and the backends (gcc behind the C emitter, libgccjit) optimize. The
 * checker exists because three backends trust the same structure: a slot
 * out of range or a call with the wrong arity must be a compiler bug report,
 * not a crash in the JIT.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "lir.h"

const char *const lir_kind_names[] = {
#define X(k, s) s,
    LIR_KINDS(X)
#undef X
};

const char *const lir_env_names[] = {
#define X(k, s, n, r) s,
    LIR_ENV_OPS(X)
#undef X
};

const int lir_env_nargs[] = {
#define X(k, s, n, r) n,
    LIR_ENV_OPS(X)
#undef X
};

const LKind lir_env_result[] = {
#define X(k, s, n, r) r,
    LIR_ENV_OPS(X)
#undef X
};

const char *const lir_expr_names[] = {
#define X(k, s) s,
    LIR_EXPR_KINDS(X)
#undef X
};

const char *const lir_stmt_names[] = {
#define X(k, s) s,
    LIR_STMT_KINDS(X)
#undef X
};

/* ---- types, records, functions ----------------------------------------------------- */

LType lt(LKind k)
{
    return (LType){ k, LK_VOID, NULL };
}

LType lt_ptr(LKind to)
{
    return (LType){ LK_PTR, to, NULL };
}

LType lt_rec(const LRec *r)
{
    return (LType){ LK_REC, LK_VOID, r };
}

LType lt_prec(const LRec *r)
{
    return (LType){ LK_PTR, LK_REC, r };
}

LModule *lir_new(Arena *a, const IrProgram *ir)
{
    LModule *m = arena_alloc(a, sizeof *m);
    m->a = a;
    m->ir = ir;
    return m;
}

LRec *lir_rec(LModule *m, const char *cname, bool pub, Loc loc)
{
    LRec *r = arena_alloc(m->a, sizeof *r);
    r->cname = cname;
    r->pub = pub;
    r->loc = loc;
    r->id = m->recs.len;
    vec_push(m->a, &m->recs, r);
    return r;
}

int lir_rec_field(LModule *m, LRec *r, const char *name, LKind kind, Loc loc)
{
    LField *f = arena_alloc(m->a, sizeof *f);
    f->name = name;
    f->kind = kind;
    f->loc = loc;
    vec_push(m->a, &r->fields, f);
    return r->fields.len - 1;
}

LFn *lir_fn(LModule *m, const char *name, LType ret, LLink link, Loc loc)
{
    LFn *f = arena_alloc(m->a, sizeof *f);
    f->name = name;
    f->ret = ret;
    f->link = link;
    f->loc = loc;
    f->id = -1;
    return f;
}

void lir_place(LModule *m, LFn *f)
{
    if (f->id >= 0)
        return;
    f->id = m->fns.len;
    vec_push(m->a, &m->fns, f);
}

static int add_slot(LModule *m, LFn *f, const char *name, LType ty)
{
    LSlot *s = arena_alloc(m->a, sizeof *s);
    s->name = name;
    s->ty = ty;
    vec_push(m->a, &f->slots, s);
    return f->slots.len - 1;
}

int lir_param(LModule *m, LFn *f, const char *name, LType ty)
{
    /* parameters come first: a function gets them all before any local */
    f->nparams++;
    return add_slot(m, f, name, ty);
}

int lir_local(LModule *m, LFn *f, const char *name, LType ty)
{
    return add_slot(m, f, name, ty);
}

/* ---- expressions --------------------------------------------------------------------- */

static LExpr *node(LModule *m, LExprKind k, LType ty)
{
    LExpr *e = arena_alloc(m->a, sizeof *e);
    e->kind = k;
    e->ty = ty;
    return e;
}

LExpr *lx_numk(LModule *m, uint64_t v, LKind k)
{
    LExpr *e = node(m, LE_NUM, lt(k));
    e->num = v;
    return e;
}

LExpr *lx_num(LModule *m, uint64_t v)
{
    return lx_numk(m, v, LK_U64);
}

LExpr *lx_slot(LModule *m, const LFn *f, int slot)
{
    LType ty = lt(LK_VOID);
    if (slot >= 0 && slot < f->slots.len)
        ty = ((const LSlot *)f->slots.items[slot])->ty;
    LExpr *e = node(m, LE_SLOT, ty);
    e->slot = slot;
    return e;
}

LExpr *lx_field(LModule *m, LExpr *rec, int field)
{
    LKind k = LK_VOID;
    const LRec *r = rec->ty.rec;
    if (r && field >= 0 && field < r->fields.len)
        k = ((const LField *)r->fields.items[field])->kind;
    LExpr *e = node(m, LE_FIELD, lt(k));
    e->a = rec;
    e->field = field;
    return e;
}

LExpr *lx_deref(LModule *m, LExpr *p)
{
    LExpr *e = node(m, LE_DEREF, lt(p->ty.kind == LK_PTR ? p->ty.to : LK_VOID));
    e->a = p;
    return e;
}

LExpr *lx_addr(LModule *m, LExpr *lv)
{
    LType ty = lv->ty.kind == LK_REC ? lt_prec(lv->ty.rec) : lt_ptr(lv->ty.kind);
    LExpr *e = node(m, LE_ADDR, ty);
    e->a = lv;
    return e;
}

static bool is_bool_op(BinOp op)
{
    switch (op) {
    case OP_IMPLIES:
    case OP_LOR:
    case OP_LAND:
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_GT:
    case OP_LE:
    case OP_GE:
        return true;
    default:
        return false;
    }
}

LExpr *lx_bin(LModule *m, BinOp op, LExpr *a, LExpr *b)
{
    LKind k = is_bool_op(op) ? LK_BOOL : LK_U64;
    if (!is_bool_op(op) && a->ty.kind == LK_FLAGS && (b->ty.kind == LK_FLAGS || b->kind == LE_NUM))
        k = LK_FLAGS;
    LExpr *e = node(m, LE_BIN, lt(k));
    e->op = op;
    e->a = a;
    e->b = b;
    return e;
}

LExpr *lx_un(LModule *m, UnOp op, LExpr *a)
{
    LExpr *e = node(m, LE_UN, lt(op == OP_NOT ? LK_BOOL : LK_U64));
    e->uop = op;
    e->a = a;
    return e;
}

LExpr *lx_not(LModule *m, LExpr *a)
{
    return lx_un(m, OP_NOT, a);
}

LExpr *lx_ite(LModule *m, LExpr *c, LExpr *a, LExpr *b)
{
    /* arms of one kind keep their type (pointers: what they point to) */
    LExpr *e = node(m, LE_ITE, a->ty.kind == b->ty.kind ? a->ty : lt(LK_U64));
    e->a = c;
    e->b = a;
    e->c = b;
    return e;
}

LExpr *lx_log2(LModule *m, LExpr *a)
{
    LExpr *e = node(m, LE_LOG2, lt(LK_U64));
    e->a = a;
    return e;
}

LExpr *lx_call(LModule *m, LFn *fn, int nargs, LExpr **args)
{
    LExpr *e = node(m, LE_CALL, fn->ret);
    e->fn = fn;
    e->nargs = nargs;
    e->args = arena_alloc(m->a, sizeof(LExpr *) * (size_t)(nargs ? nargs : 1));
    memcpy(e->args, args, sizeof(LExpr *) * (size_t)nargs);
    return e;
}

LExpr *lx_callv(LModule *m, LFn *fn, ...)
{
    LExpr *args[64];
    int n = 0;
    va_list ap;
    va_start(ap, fn);
    for (LExpr *x; (x = va_arg(ap, LExpr *)) != NULL && n < 64;)
        args[n++] = x;
    va_end(ap);
    return lx_call(m, fn, n, args);
}

LExpr *lx_env(LModule *m, LEnvOp op, unsigned width, unsigned id, LExpr *env, ...)
{
    LExpr *args[8];
    int n = 0;
    args[n++] = env;
    va_list ap;
    va_start(ap, env);
    for (LExpr *x; (x = va_arg(ap, LExpr *)) != NULL && n < 8;)
        args[n++] = x;
    va_end(ap);
    LExpr *e = node(m, LE_ENV, lt(lir_env_result[op]));
    e->env = op;
    e->width = width;
    e->id = id;
    e->nargs = n;
    e->args = arena_alloc(m->a, sizeof(LExpr *) * (size_t)n);
    memcpy(e->args, args, sizeof(LExpr *) * (size_t)n);
    return e;
}

/* ---- statements ---------------------------------------------------------------------- */

void lb_begin(LB *b, LModule *m, LFn *fn)
{
    memset(b, 0, sizeof *b);
    b->m = m;
    b->fn = fn;
    b->blk[0] = &fn->body;
    b->loc = fn->loc;
}

void lb_loc(LB *b, Loc loc)
{
    b->loc = loc;
}

void lb_comment(LB *b, const char *text)
{
    b->comment = text;
}

static LStmt *stmt(LB *b, LStmtKind k)
{
    LStmt *s = arena_alloc(b->m->a, sizeof *s);
    s->kind = k;
    s->loc = b->loc;
    s->comment = b->comment;
    b->comment = NULL;
    vec_push(b->m->a, b->blk[b->depth], s);
    return s;
}

void lb_assign(LB *b, LExpr *lhs, LExpr *rhs)
{
    LStmt *s = stmt(b, LS_ASSIGN);
    s->lhs = lhs;
    s->rhs = rhs;
}

void lb_set(LB *b, int slot, LExpr *rhs)
{
    lb_assign(b, LV(b, slot), rhs);
}

void lb_expr(LB *b, LExpr *e)
{
    stmt(b, LS_EXPR)->rhs = e;
}

static void push(LB *b, LStmt *s, PtrVec *blk)
{
    if (b->depth + 1 >= 32)
        return;   /* lir_check reports the statements that went missing */
    b->depth++;
    b->blk[b->depth] = blk;
    b->open[b->depth] = s;
}

void lb_if(LB *b, LExpr *cond)
{
    LStmt *s = stmt(b, LS_IF);
    s->rhs = cond;
    push(b, s, &s->body);
}

void lb_if_rare(LB *b, LExpr *cond)
{
    lb_if(b, cond);
    LStmt *s = b->open[b->depth];
    if (s && s->kind == LS_IF && s->rhs == cond)
        s->rare = true;
}

void lb_else(LB *b)
{
    LStmt *s = b->open[b->depth];
    if (s && s->kind == LS_IF)
        b->blk[b->depth] = &s->els;
}

void lb_while(LB *b, LExpr *cond)
{
    LStmt *s = stmt(b, LS_WHILE);
    s->rhs = cond;
    push(b, s, &s->body);
}

void lb_end(LB *b)
{
    if (b->depth > 0)
        b->depth--;
}

void lb_break(LB *b)
{
    stmt(b, LS_BREAK);
}

void lb_ret(LB *b, LExpr *e)
{
    stmt(b, LS_RETURN)->rhs = e;
}

/* ---- lookups --------------------------------------------------------------------------- */

const LUnitFns *lir_unit_fns(const LModule *m, const IrUnit *u)
{
    VEC_FOREACH(const LUnitFns *, f, m->units)
        if (f->unit == u)
            return f;
    return NULL;
}

LFn *lir_find(const LModule *m, const char *name)
{
    VEC_FOREACH(LFn *, f, m->fns)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* ---- Sx -------------------------------------------------------------------------------- */

static LExpr *slice(LModule *m, LExpr *v, unsigned lo, unsigned hi, unsigned width)
{
    if (lo == 0 && hi >= width)
        return v;
    LExpr *x = lo ? lx_bin(m, OP_SHR, v, lx_num(m, lo)) : v;
    if (hi >= 64)
        return x;
    uint64_t mask = hi - lo >= 64 ? UINT64_MAX : ((uint64_t)1 << (hi - lo)) - 1;
    return lx_bin(m, OP_BAND, x, lx_num(m, mask));
}

static int state_index(const IrUnit *u, const SField *f)
{
    VEC_FOREACH(const SField *, g, u->su->state)
        if (g == f || strcmp(g->name, f->name) == 0)
            return g_i;
    return -1;
}

/* Where flag k is in flags_t; a unit-level `flags = {..}` (deprecated)
 * makes no global flags, and its flags stay at their index. */
static unsigned flag_bit(const LModule *m, int k)
{
    return k >= 0 && k < m->ir->flags.len ? m->ir->flag_bit[k] : (unsigned)k;
}

LExpr *lir_from_sx(LModule *m, const Sx *x, const LSxEnv *env)
{
    if (!x)
        return lx_numk(m, 0, LK_U64);
    switch (x->kind) {
    case SX_NUM:
        return lx_numk(m, x->num, x->is_bool ? LK_BOOL : LK_U64);
    case SX_ARG:
        return env->args[x->arg] ? env->args[x->arg] : lx_num(m, 0);
    case SX_FLAG:
        return lx_bin(m, OP_BAND, lx_bin(m, OP_SHR, env->flags, lx_num(m, flag_bit(m, x->flag))),
                      lx_num(m, 1));
    case SX_STATE: {
        int k = env->unit ? state_index(env->unit, x->field) : -1;
        if (k < 0 || !env->state)
            return lx_num(m, 0);
        return slice(m, lx_field(m, env->state, k), x->lo, x->hi, (unsigned)x->field->size * 8);
    }
    case SX_CUR:
        for (int i = 0; i < env->ncur; i++)
            if (env->curf[i] == x->field)
                return slice(m, env->cur[i], x->lo, x->hi, (unsigned)x->field->size * 8);
        return lx_num(m, 0);
    case SX_VAR:
        return env->var ? env->var : lx_num(m, 0);
    case SX_PARAM:
        for (int i = 0; i < env->nparams; i++)
            if (strcmp(env->pnames[i], x->name) == 0)
                return env->params[i];
        return lx_num(m, 0);
    case SX_BIN:
        if (x->op == OP_IMPLIES)
            return lx_bin(m, OP_LOR, lx_not(m, lir_from_sx(m, x->a, env)), lir_from_sx(m, x->b, env));
        return lx_bin(m, x->op, lir_from_sx(m, x->a, env), lir_from_sx(m, x->b, env));
    case SX_UN:
        return lx_un(m, x->uop == OP_NOT ? OP_NOT : OP_BITNOT, lir_from_sx(m, x->a, env));
    case SX_ITE:
        return lx_ite(m, lir_from_sx(m, x->a, env), lir_from_sx(m, x->b, env), lir_from_sx(m, x->c, env));
    case SX_LOG2:
        return lx_log2(m, lir_from_sx(m, x->a, env));
    }
    return lx_num(m, 0);
}

/* ---- checking ------------------------------------------------------------------------ */

typedef struct Chk {
    const LModule *m;
    const LFn     *f;
    FILE          *out;
    bool           ok;
    int            loops;
} Chk;

static void bad(Chk *c, const char *what)
{
    if (c->ok && c->out)
        fprintf(c->out, "vrsc: internal error: LIR function %s: %s\n", c->f->name, what);
    c->ok = false;
}

static bool is_lvalue(const LExpr *e)
{
    return e->kind == LE_SLOT || e->kind == LE_FIELD || e->kind == LE_DEREF;
}

static void chk_expr(Chk *c, const LExpr *e)
{
    if (!e) {
        bad(c, "missing expression");
        return;
    }
    switch (e->kind) {
    case LE_NUM:
        return;
    case LE_SLOT:
        if (e->slot < 0 || e->slot >= c->f->slots.len)
            bad(c, "slot out of range");
        return;
    case LE_FIELD:
        chk_expr(c, e->a);
        if (!e->a->ty.rec || e->field < 0 || e->field >= e->a->ty.rec->fields.len)
            bad(c, "field of a non-record, or out of range");
        return;
    case LE_DEREF:
        chk_expr(c, e->a);
        if (e->a->ty.kind != LK_PTR || e->a->ty.to == LK_REC)
            bad(c, "dereference of a non-scalar pointer");
        return;
    case LE_ADDR:
        chk_expr(c, e->a);
        if (e->a->kind != LE_SLOT && e->a->kind != LE_FIELD)
            bad(c, "address of a non-lvalue");
        return;
    case LE_BIN:
        chk_expr(c, e->a);
        chk_expr(c, e->b);
        return;
    case LE_UN:
    case LE_LOG2:
        chk_expr(c, e->a);
        return;
    case LE_ITE:
        chk_expr(c, e->a);
        chk_expr(c, e->b);
        chk_expr(c, e->c);
        return;
    case LE_CALL:
        if (!e->fn || e->nargs != e->fn->nparams)
            bad(c, "call with the wrong number of arguments");
        else if (e->fn->id < 0)
            bad(c, "call of a function that is not in the module");
        for (int i = 0; i < e->nargs; i++)
            chk_expr(c, e->args[i]);
        return;
    case LE_ENV:
        if ((int)e->env < 0 || e->env >= LENV_COUNT || e->nargs != lir_env_nargs[e->env] + 1)
            bad(c, "env operation with the wrong number of arguments");
        for (int i = 0; i < e->nargs; i++)
            chk_expr(c, e->args[i]);
        if ((e->env == LENV_MEM_READ || e->env == LENV_MEM_WRITE || e->env == LENV_MMIO_READ
             || e->env == LENV_MMIO_WRITE)
            && e->width != 1 && e->width != 2 && e->width != 4 && e->width != 8)
            bad(c, "memory access of a width other than 1, 2, 4 or 8 bytes");
        return;
    }
    bad(c, "unknown expression kind");
}

static void chk_block(Chk *c, const PtrVec *b, int depth)
{
    if (depth > 64) {
        bad(c, "statements nested too deep");
        return;
    }
    VEC_FOREACH(const LStmt *, s, *b) {
        switch (s->kind) {
        case LS_ASSIGN:
            chk_expr(c, s->lhs);
            chk_expr(c, s->rhs);
            if (s->lhs && !is_lvalue(s->lhs))
                bad(c, "assignment to a non-lvalue");
            break;
        case LS_EXPR:
            chk_expr(c, s->rhs);
            break;
        case LS_IF:
            chk_expr(c, s->rhs);
            chk_block(c, &s->body, depth + 1);
            chk_block(c, &s->els, depth + 1);
            break;
        case LS_WHILE:
            chk_expr(c, s->rhs);
            c->loops++;
            chk_block(c, &s->body, depth + 1);
            c->loops--;
            break;
        case LS_BREAK:
            if (!c->loops)
                bad(c, "break outside a loop");
            break;
        case LS_RETURN:
            if ((s->rhs == NULL) != (c->f->ret.kind == LK_VOID))
                bad(c, "return does not match the function's type");
            if (s->rhs)
                chk_expr(c, s->rhs);
            break;
        }
    }
}

bool lir_check(const LModule *m, FILE *out)
{
    Chk c = { .m = m, .out = out, .ok = true };
    VEC_FOREACH(const LFn *, f, m->fns) {
        c.f = f;
        if (f->id != f_i)
            bad(&c, "function listed out of place");
        chk_block(&c, &f->body, 0);
    }
    return c.ok;
}

/* ---- listing --------------------------------------------------------------------------- */

static void dump_type(FILE *out, LType t)
{
    if (t.kind == LK_REC)
        fprintf(out, "%s", t.rec ? t.rec->cname : "rec?");
    else if (t.kind == LK_PTR && t.to == LK_REC)
        fprintf(out, "%s*", t.rec ? t.rec->cname : "rec?");
    else if (t.kind == LK_PTR)
        fprintf(out, "%s*", lir_kind_names[t.to]);
    else
        fprintf(out, "%s", lir_kind_names[t.kind]);
}

static void dump_expr(FILE *out, const LFn *f, const LExpr *e)
{
    switch (e->kind) {
    case LE_NUM:
        fprintf(out, e->num < 10 ? "%" PRIu64 : "0x%" PRIx64, e->num);
        return;
    case LE_SLOT:
        fprintf(out, "%s", ((const LSlot *)f->slots.items[e->slot])->name);
        return;
    case LE_FIELD:
        dump_expr(out, f, e->a);
        fprintf(out, ".%s", ((const LField *)e->a->ty.rec->fields.items[e->field])->name);
        return;
    case LE_DEREF:
        fputs("*", out);
        dump_expr(out, f, e->a);
        return;
    case LE_ADDR:
        fputs("&", out);
        dump_expr(out, f, e->a);
        return;
    case LE_BIN:
        fputs("(", out);
        dump_expr(out, f, e->a);
        fprintf(out, " %s ", binop_spelling[e->op]);
        dump_expr(out, f, e->b);
        fputs(")", out);
        return;
    case LE_UN:
        fputs(e->uop == OP_NOT ? "!" : "~", out);
        dump_expr(out, f, e->a);
        return;
    case LE_ITE:
        fputs("(", out);
        dump_expr(out, f, e->a);
        fputs(" ? ", out);
        dump_expr(out, f, e->b);
        fputs(" : ", out);
        dump_expr(out, f, e->c);
        fputs(")", out);
        return;
    case LE_LOG2:
        fputs("log2(", out);
        dump_expr(out, f, e->a);
        fputs(")", out);
        return;
    case LE_CALL:
    case LE_ENV:
        if (e->kind == LE_CALL)
            fprintf(out, "%s(", e->fn->name);
        else
            fprintf(out, "env.%s%s%u(", lir_env_names[e->env],
                    e->env == LENV_REG_READ || e->env == LENV_REG_WRITE || e->env == LENV_INSTR ? "#" : "",
                    e->env == LENV_REG_READ || e->env == LENV_REG_WRITE || e->env == LENV_INSTR ? e->id
                                                                                              : e->width);
        for (int i = e->kind == LE_ENV ? 1 : 0; i < e->nargs; i++) {
            if (i > (e->kind == LE_ENV ? 1 : 0))
                fputs(", ", out);
            dump_expr(out, f, e->args[i]);
        }
        fputs(")", out);
        return;
    }
}

static void dump_block(FILE *out, const LFn *f, const PtrVec *b, int ind)
{
    VEC_FOREACH(const LStmt *, s, *b) {
        fprintf(out, "%*s", ind * 2, "");
        switch (s->kind) {
        case LS_ASSIGN:
            dump_expr(out, f, s->lhs);
            fputs(" = ", out);
            dump_expr(out, f, s->rhs);
            fputs("\n", out);
            break;
        case LS_EXPR:
            dump_expr(out, f, s->rhs);
            fputs("\n", out);
            break;
        case LS_IF:
        case LS_WHILE:
            fputs(s->kind == LS_WHILE ? "while " : s->rare ? "if rare " : "if ", out);
            dump_expr(out, f, s->rhs);
            fputs(" {\n", out);
            dump_block(out, f, &s->body, ind + 1);
            if (s->els.len) {
                fprintf(out, "%*s} else {\n", ind * 2, "");
                dump_block(out, f, &s->els, ind + 1);
            }
            fprintf(out, "%*s}\n", ind * 2, "");
            break;
        case LS_BREAK:
            fputs("break\n", out);
            break;
        case LS_RETURN:
            fputs("return", out);
            if (s->rhs) {
                fputs(" ", out);
                dump_expr(out, f, s->rhs);
            }
            fputs("\n", out);
            break;
        }
    }
}

void lir_dump(FILE *out, const LModule *m)
{
    VEC_FOREACH(const LRec *, r, m->recs) {
        fprintf(out, "record %s {", r->cname);
        VEC_FOREACH(const LField *, fl, r->fields)
            fprintf(out, "%s %s %s", fl_i ? "," : "", lir_kind_names[fl->kind], fl->name);
        fputs(" }\n", out);
    }
    VEC_FOREACH(const LFn *, f, m->fns) {
        fprintf(out, "\nfn %s(", f->name);
        for (int i = 0; i < f->nparams; i++) {
            const LSlot *s = f->slots.items[i];
            fprintf(out, "%s%s: ", i ? ", " : "", s->name);
            dump_type(out, s->ty);
        }
        fputs(") -> ", out);
        dump_type(out, f->ret);
        fputs(" {\n", out);
        for (int i = f->nparams; i < f->slots.len; i++) {
            const LSlot *s = f->slots.items[i];
            fprintf(out, "  local %s: ", s->name);
            dump_type(out, s->ty);
            fputs("\n", out);
        }
        dump_block(out, f, &f->body, 1);
        fputs("}\n", out);
    }
}
