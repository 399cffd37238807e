/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * smtcheck.c - Z3 sanity checks of method contracts (§2.3 of the language
 * reference), the last stage of sema_check().
 *
 * Input: a fully annotated SemaProgram (Expr.sym, Expr.ty, Expr.cval).
 * Output: diagnostics only; nothing in the program is changed. Three checks:
 *   1. per method: the requires and the `&&`-split bool body of every synth
 *      method, `translate` and #[remap]/#[invariant] method must be jointly
 *      satisfiable;
 *   2. per unit: all requires and bool bodies of all (non-default) methods,
 *      sharing the state and the free variables `va sz flgs pa`, must be
 *      jointly satisfiable; each conflict is named by a minimal unsat core;
 *   3. per enum: every two variants must be told apart by the translate
 *      preconditions that mention state, over one shared state.
 * Unlike the reference (which models every field as 64 bits), a state field
 * is a bit-vector of its real width (size * 8); slices are extracted from it
 * and zero-extended to the 64-bit integers all arithmetic uses (unsigned:
 * bvudiv, bvurem, bvlshr, bvult). `flgs` is a bit-vector with one bit per
 * global flag. Calls are inlined (depth 16). A clause using anything the
 * encoding does not cover, or lacking annotations, is left out silently.
 *
 * Each clause C gets a fresh Boolean literal L and the solver holds L => C;
 * checks are check-sat-assuming over sets of literals, so one solver per unit
 * serves every check and the unsat core maps straight back to clause Exprs.
 * The context is a plain Z3_mk_context (no AST reference counting): every
 * term lives until Z3_del_context. Solvers, params and AST vectors are still
 * reference-counted by hand, as the Z3 API requires. The error handler is
 * set to NULL, so a Z3 error never aborts: it only sets the context's error
 * code, which is checked after each call and makes the clause or the check
 * be skipped. No global or static mutable state.
 *
 * Reporting: an unsatisfiable set is an error whose notes are the clauses of
 * a minimal unsat core; a solver timeout or "unknown" is only a warning
 * ("could not decide"). One Z3 context serves the whole program; one solver
 * (timeout TIMEOUT_MS per check) serves each unit or enum. Under valgrind,
 * libz3 shows "possibly lost" blocks allocated by its process-wide
 * initialisation in the first Z3_mk_config/Z3_mk_context; they are Z3's,
 * are never definitely lost, and can be suppressed.
 */
#include <stdlib.h>
#include <string.h>

#include <z3.h>

#include "sema.h"

enum {
    INLINE_DEPTH  = 16,    /* calls nested deeper than this are not encoded */
    TIMEOUT_MS    = 2000,  /* per solver check */
    MAX_MINIMIZE  = 64,    /* cores larger than this are reported unminimized */
    MAX_CONFLICTS = 8,     /* per-unit conflicts reported before giving up */
    MAX_NODES     = 200000,/* Expr nodes translated per clause (inlining can
                              multiply a body: f2 calls f1 twice, ...) */
};

typedef enum SmtResult { R_SAT, R_UNSAT, R_UNKNOWN, R_ERROR } SmtResult;

/* The Z3 context and what every check of the program shares. */
typedef struct Smt {
    SemaProgram *sp;
    Diag        *diag;
    Z3_context   ctx;
    Z3_params    params;    /* solver params: timeout */
    Z3_sort      bv64, boolean, flags;
    unsigned     nflags;    /* width of the flags sort (at least 1) */
} Smt;

/* A binding of a parameter (inlined call) or quantifier variable. The chain
 * lives on the C stack of the translator. */
typedef struct Bind {
    const Param       *param;
    Z3_ast             val;
    const struct Bind *next;
} Bind;

/* Translation of one clause. */
typedef struct Tr {
    Smt           *s;
    const SMethod *cur;     /* method whose expression is translated now */
    int            depth;   /* inlining depth */
    long           nodes;   /* Expr nodes translated so far */
    bool           failed;  /* unsupported or Z3 error: drop the clause */
    bool           state;   /* a state field or slice was mentioned */
} Tr;

/* A tracked clause of a check. */
typedef struct Clause {
    const Expr *e;
    int         method;     /* index in the unit's (or enum's variant) list */
    Z3_ast      lit;        /* tracking literal, assumed when checked */
} Clause;

typedef struct Clauses {
    Clause *v;
    int     len, cap;
} Clauses;

/* ---- Z3 plumbing -------------------------------------------------------- */

static bool z3_ok(const Smt *s)
{
    return Z3_get_error_code(s->ctx) == Z3_OK;
}

/* Every Z3 term the translator builds goes through here: a NULL result or a
 * raised error code marks the clause as failed. */
static Z3_ast chk(Tr *t, Z3_ast a)
{
    if (!a || !z3_ok(t->s)) {
        t->failed = true;
        return NULL;
    }
    return a;
}

/* The plain SMT solver: on these small bit-vector problems it answers in
 * about half the time of Z3_mk_solver's portfolio, and neither does better
 * on quantified clauses. */
static Z3_solver new_solver(Smt *s)
{
    Z3_solver sol = Z3_mk_simple_solver(s->ctx);
    if (!sol || !z3_ok(s))
        return NULL;
    Z3_solver_inc_ref(s->ctx, sol);
    Z3_solver_set_params(s->ctx, sol, s->params);
    if (!z3_ok(s)) {
        Z3_solver_dec_ref(s->ctx, sol);
        return NULL;
    }
    return sol;
}

static void free_solver(Smt *s, Z3_solver sol)
{
    if (sol)
        Z3_solver_dec_ref(s->ctx, sol);
}

static SmtResult check_lits(Smt *s, Z3_solver sol, const Z3_ast *lits, int n)
{
    Z3_lbool r = Z3_solver_check_assumptions(s->ctx, sol, (unsigned)n, lits);
    if (!z3_ok(s))
        return R_ERROR;
    return r == Z3_L_TRUE ? R_SAT : r == Z3_L_FALSE ? R_UNSAT : R_UNKNOWN;
}

/* The clauses (indices into cs) of the last unsat core of sol, restricted to
 * the candidates idx[0..n). Returns the count, or -1 on a Z3 error. */
static int get_core(Smt *s, Z3_solver sol, const Clauses *cs, const int *idx, int n, int *out)
{
    Z3_ast_vector core = Z3_solver_get_unsat_core(s->ctx, sol);
    if (!core || !z3_ok(s))
        return -1;
    Z3_ast_vector_inc_ref(s->ctx, core);
    unsigned m = Z3_ast_vector_size(s->ctx, core);
    int k = 0;
    for (int i = 0; i < n; i++) {
        for (unsigned j = 0; j < m; j++) {
            if (Z3_is_eq_ast(s->ctx, cs->v[idx[i]].lit, Z3_ast_vector_get(s->ctx, core, j))) {
                out[k++] = idx[i];
                break;
            }
        }
    }
    bool ok = z3_ok(s);
    Z3_ast_vector_dec_ref(s->ctx, core);
    return ok ? k : -1;
}

static SmtResult check_idx(Smt *s, Z3_solver sol, const Clauses *cs, const int *idx, int n)
{
    Z3_ast *lits = malloc(sizeof *lits * (size_t)(n ? n : 1));
    if (!lits)
        return R_ERROR;
    for (int i = 0; i < n; i++)
        lits[i] = cs->v[idx[i]].lit;
    SmtResult r = check_lits(s, sol, lits, n);
    free(lits);
    return r;
}

/* Check the clauses [first, end). */
static SmtResult check_range(Smt *s, Z3_solver sol, const Clauses *cs, int first, int end)
{
    int n = end - first;
    Z3_ast *lits = malloc(sizeof *lits * (size_t)(n > 0 ? n : 1));
    if (!lits)
        return R_ERROR;
    for (int i = 0; i < n; i++)
        lits[i] = cs->v[first + i].lit;
    SmtResult r = check_lits(s, sol, lits, n);
    free(lits);
    return r;
}

/* Deletion-based core minimization: drop each clause whose removal keeps the
 * set unsat. The result is a minimal core (every clause needed), in the order
 * of idx. The first unknown answer (a timeout) stops the minimization, so a
 * hard core costs one timeout here, not one per clause. */
static int minimize(Smt *s, Z3_solver sol, const Clauses *cs, int *idx, int n)
{
    if (n > MAX_MINIMIZE)
        return n;
    int *tmp = malloc(sizeof *tmp * (size_t)(n ? n : 1));
    if (!tmp)
        return n;
    for (int i = 0; i < n && n > 1;) {
        int k = 0;
        for (int j = 0; j < n; j++)
            if (j != i)
                tmp[k++] = idx[j];
        SmtResult r = check_idx(s, sol, cs, tmp, k);
        if (r == R_UNSAT) {
            memcpy(idx, tmp, sizeof *tmp * (size_t)k);
            n = k;
        } else if (r == R_SAT) {
            i++;
        } else {
            break;
        }
    }
    free(tmp);
    return n;
}

/* ---- translation of expressions ----------------------------------------- */

static Z3_ast tr_expr(Tr *t, const Expr *e, const Bind *env);

static bool is_bool(Tr *t, Z3_ast a)
{
    Z3_sort_kind k = Z3_get_sort_kind(t->s->ctx, Z3_get_sort(t->s->ctx, a));
    return k == Z3_BOOL_SORT;
}

static unsigned bv_width(Tr *t, Z3_ast a)
{
    return Z3_get_bv_sort_size(t->s->ctx, Z3_get_sort(t->s->ctx, a));
}

static Z3_ast num64(Tr *t, uint64_t v)
{
    return chk(t, Z3_mk_unsigned_int64(t->s->ctx, v, t->s->bv64));
}

/* A bit-vector of any width as a 64-bit integer (zero-extended or cut). */
static Z3_ast to64(Tr *t, Z3_ast a)
{
    if (!a)
        return NULL;
    unsigned w = bv_width(t, a);
    if (w == 64)
        return a;
    if (w < 64)
        return chk(t, Z3_mk_zero_ext(t->s->ctx, 64 - w, a));
    return chk(t, Z3_mk_extract(t->s->ctx, 63, 0, a));
}

/* Where the type table mixes bool and int (flags), a Bool is 0/1 and an
 * integer is true when non-zero. */
static Z3_ast to_int(Tr *t, Z3_ast a)
{
    if (!a)
        return NULL;
    if (is_bool(t, a))
        return chk(t, Z3_mk_ite(t->s->ctx, a, num64(t, 1), num64(t, 0)));
    return to64(t, a);
}

static Z3_ast to_bool(Tr *t, Z3_ast a)
{
    if (!a)
        return NULL;
    if (is_bool(t, a))
        return a;
    Z3_ast z = num64(t, 0);
    a = to64(t, a);
    if (!a || !z)
        return NULL;
    return chk(t, Z3_mk_not(t->s->ctx, chk(t, Z3_mk_eq(t->s->ctx, a, z))));
}

static Z3_sort sort_of(Smt *s, TypeKind k)
{
    return k == TYPE_BOOL ? s->boolean : k == TYPE_FLAGS ? s->flags : s->bv64;
}

/* A value of a parameter's type from its raw Z3 constant: flags become a
 * 64-bit integer, everything else is used as is. */
static Z3_ast param_value(Tr *t, Z3_ast raw, TypeKind k)
{
    return k == TYPE_FLAGS ? to64(t, raw) : raw;
}

static const Bind *env_find(const Bind *env, const Param *p, const char *name)
{
    for (; env; env = env->next)
        if (env->param == p || (name && strcmp(env->param->name.name, name) == 0))
            return env;
    return NULL;
}

static bool method_has_param(const SMethod *m, const Param *p)
{
    if (!m)
        return false;
    VEC_FOREACH(const Param *, q, m->params)
        if (q == p)
            return true;
    return false;
}

/* The free variable of a parameter not bound by an inlined call. The special
 * names `va sz flgs pa` are shared by all methods of a unit, as in the
 * reference; other method params are private to their method; unit and
 * state params are shared under their own name. */
static Z3_ast param_free(Tr *t, const Param *p)
{
    const char *n = p->name.name;
    char buf[256];
    if (method_has_param(t->cur, p) && strcmp(n, "va") && strcmp(n, "sz") && strcmp(n, "flgs")
        && strcmp(n, "pa")) {
        snprintf(buf, sizeof buf, "%s.%s", t->cur->name ? t->cur->name : "?", n);
        n = buf;
    }
    Z3_symbol sym = Z3_mk_string_symbol(t->s->ctx, n);
    Z3_ast raw = chk(t, Z3_mk_const(t->s->ctx, sym, sort_of(t->s, p->type.kind)));
    return raw ? param_value(t, raw, p->type.kind) : NULL;
}

static Z3_ast param_ref(Tr *t, const Param *p, bool is_var, const Bind *env)
{
    const Bind *b = env_find(env, p, NULL);
    if (b)
        return b->val;
    if (is_var) {           /* a quantifier or map variable out of scope */
        t->failed = true;
        return NULL;
    }
    return param_free(t, p);
}

/* The constant holding a whole field: `state.entry`, size * 8 bits. */
static Z3_ast field_const(Tr *t, const SField *f)
{
    if (!f || !f->name || f->size < 1 || f->size > 8) {
        t->failed = true;
        return NULL;
    }
    if (!f->is_interface)
        t->state = true;
    char buf[256];
    snprintf(buf, sizeof buf, "%s.%s", f->is_interface ? "interface" : "state", f->name);
    Z3_sort so = Z3_mk_bv_sort(t->s->ctx, (unsigned)f->size * 8);
    if (!so || !z3_ok(t->s)) {
        t->failed = true;
        return NULL;
    }
    return chk(t, Z3_mk_const(t->s->ctx, Z3_mk_string_symbol(t->s->ctx, buf), so));
}

/* Bits [lo, hi) of a bit-vector as a 64-bit integer. */
static Z3_ast bits(Tr *t, Z3_ast a, uint64_t lo, uint64_t hi)
{
    if (!a)
        return NULL;
    if (lo >= hi || hi > bv_width(t, a)) {
        t->failed = true;
        return NULL;
    }
    return to64(t, chk(t, Z3_mk_extract(t->s->ctx, (unsigned)hi - 1, (unsigned)lo, a)));
}

/* `flgs.writable`: bit flag_bit of the flags value, as a Bool. */
static Z3_ast flag_bit(Tr *t, const Expr *e, const Bind *env)
{
    if (e->path.segs.len < 1 || e->sym->flag_bit < 0 || e->sym->flag_bit >= 64) {
        t->failed = true;
        return NULL;
    }
    const char *pname = ((const Ident *)e->path.segs.items[0])->name;
    Z3_ast v = NULL;
    const Bind *b = env_find(env, NULL, pname);
    if (b) {
        v = to_int(t, b->val);
    } else if (t->cur) {
        VEC_FOREACH(const Param *, p, t->cur->params)
            if (strcmp(p->name.name, pname) == 0)
                v = to_int(t, param_free(t, p));
    }
    if (!v) {
        t->failed = true;
        return NULL;
    }
    unsigned i = (unsigned)e->sym->flag_bit;
    Z3_ast bit = chk(t, Z3_mk_extract(t->s->ctx, i, i, v));
    Z3_ast one = chk(t, Z3_mk_unsigned_int64(t->s->ctx, 1, Z3_mk_bv_sort(t->s->ctx, 1)));
    if (!bit || !one)
        return NULL;
    return chk(t, Z3_mk_eq(t->s->ctx, bit, one));
}

static Z3_ast tr_path(Tr *t, const Expr *e, const Bind *env)
{
    const Symbol *sym = e->sym;
    switch (sym->kind) {
    case SYM_CONST:
        if (!sym->cnst || !sym->cnst->ok)
            break;
        if (sym->cnst->type.kind == TYPE_BOOL)
            return chk(t, sym->cnst->value ? Z3_mk_true(t->s->ctx) : Z3_mk_false(t->s->ctx));
        return num64(t, sym->cnst->value);
    case SYM_PARAM:
    case SYM_VAR:
        if (!sym->param)
            break;
        return param_ref(t, sym->param, sym->kind == SYM_VAR, env);
    case SYM_FIELD:
        return to64(t, field_const(t, sym->field));
    case SYM_SLICE:
        if (!sym->slice)
            break;
        return bits(t, field_const(t, sym->slice->field), sym->slice->lo, sym->slice->hi);
    case SYM_FLAG_BIT:
        return flag_bit(t, e, env);
    default:
        break;
    }
    t->failed = true;
    return NULL;
}

/* Bind the callee's params to the arguments (translated in the caller's
 * env), one stack frame per param, then translate the callee's body. */
static Z3_ast inline_args(Tr *t, const SMethod *m, const Expr *call, int i, const Bind *callee_env,
                          const Bind *env)
{
    if (i == m->params.len) {
        const SMethod *saved = t->cur;
        t->cur = m;
        t->depth++;
        Z3_ast r = tr_expr(t, m->body, callee_env);
        t->depth--;
        t->cur = saved;
        return r;
    }
    Bind b = { m->params.items[i], tr_expr(t, call->call.args.items[i], env), callee_env };
    if (!b.val || !b.param)
        return NULL;
    return inline_args(t, m, call, i + 1, &b, env);
}

static Z3_ast tr_call(Tr *t, const Expr *e, const Bind *env)
{
    const Symbol *sym = e->sym;
    if ((!sym || sym->kind != SYM_METHOD) && e->call.callee)
        sym = e->call.callee->sym;
    if (!sym || sym->kind != SYM_METHOD || !sym->method || t->depth >= INLINE_DEPTH) {
        t->failed = true;
        return NULL;
    }
    const SMethod *m = sym->method;
    if (!m->body) {
        /* vrsc's defaults: valid() = true, matchflags() = true, translate(va) = va */
        if (m->is_default && m->name && (!strcmp(m->name, "valid") || !strcmp(m->name, "matchflags")))
            return chk(t, Z3_mk_true(t->s->ctx));
        if (m->is_default && m->name && !strcmp(m->name, "translate") && e->call.args.len == 1)
            return tr_expr(t, e->call.args.items[0], env);
        t->failed = true;  /* synth, abstract, extern: nothing to inline */
        return NULL;
    }
    if (m->params.len != e->call.args.len) {
        t->failed = true;
        return NULL;
    }
    return inline_args(t, m, e, 0, NULL, env);
}

/* A quantifier over params[i..]: one Z3 quantifier per variable, nested. */
static Z3_ast tr_quant(Tr *t, const Expr *e, int i, const Bind *env)
{
    if (i == e->quant.params.len)
        return to_bool(t, tr_expr(t, e->quant.body, env));
    const Param *p = e->quant.params.items[i];
    if (!p || p->type.kind == TYPE_NAMED || p->type.kind == TYPE_VOID) {
        t->failed = true;
        return NULL;
    }
    Z3_ast raw = chk(t, Z3_mk_fresh_const(t->s->ctx, p->name.name, sort_of(t->s, p->type.kind)));
    if (!raw)
        return NULL;
    Bind b = { p, param_value(t, raw, p->type.kind), env };
    if (!b.val)
        return NULL;
    Z3_ast body = tr_quant(t, e, i + 1, &b);
    if (!body)
        return NULL;
    Z3_app bound[1] = { Z3_to_app(t->s->ctx, raw) };
    if (e->quant.q == QUANT_FORALL)
        return chk(t, Z3_mk_forall_const(t->s->ctx, 0, 1, bound, 0, NULL, body));
    return chk(t, Z3_mk_exists_const(t->s->ctx, 0, 1, bound, 0, NULL, body));
}

static Z3_ast tr_binop(Tr *t, const Expr *e, const Bind *env)
{
    Z3_context c = t->s->ctx;
    Z3_ast l = tr_expr(t, e->bin.lhs, env);
    Z3_ast r = l ? tr_expr(t, e->bin.rhs, env) : NULL;
    if (!l || !r)
        return NULL;
    BinOp op = e->bin.op;
    if (op == OP_IMPLIES || op == OP_LOR || op == OP_LAND) {
        Z3_ast a[2] = { to_bool(t, l), to_bool(t, r) };
        if (!a[0] || !a[1])
            return NULL;
        if (op == OP_IMPLIES)
            return chk(t, Z3_mk_implies(c, a[0], a[1]));
        return chk(t, op == OP_LOR ? Z3_mk_or(c, 2, a) : Z3_mk_and(c, 2, a));
    }
    if ((op == OP_EQ || op == OP_NE) && is_bool(t, l) && is_bool(t, r)) {
        Z3_ast eq = chk(t, Z3_mk_eq(c, l, r));
        return op == OP_EQ || !eq ? eq : chk(t, Z3_mk_not(c, eq));
    }
    l = to_int(t, l);
    r = to_int(t, r);
    if (!l || !r)
        return NULL;
    switch (op) {
    case OP_EQ:   return chk(t, Z3_mk_eq(c, l, r));
    case OP_NE:   return chk(t, Z3_mk_not(c, chk(t, Z3_mk_eq(c, l, r))));
    case OP_LT:   return chk(t, Z3_mk_bvult(c, l, r));
    case OP_GT:   return chk(t, Z3_mk_bvugt(c, l, r));
    case OP_LE:   return chk(t, Z3_mk_bvule(c, l, r));
    case OP_GE:   return chk(t, Z3_mk_bvuge(c, l, r));
    case OP_BOR:  return chk(t, Z3_mk_bvor(c, l, r));
    case OP_BXOR: return chk(t, Z3_mk_bvxor(c, l, r));
    case OP_BAND: return chk(t, Z3_mk_bvand(c, l, r));
    case OP_SHL:  return chk(t, Z3_mk_bvshl(c, l, r));
    case OP_SHR:  return chk(t, Z3_mk_bvlshr(c, l, r));
    case OP_ADD:  return chk(t, Z3_mk_bvadd(c, l, r));
    case OP_SUB:  return chk(t, Z3_mk_bvsub(c, l, r));
    case OP_MUL:  return chk(t, Z3_mk_bvmul(c, l, r));
    case OP_DIV:  return chk(t, Z3_mk_bvudiv(c, l, r));
    case OP_MOD:  return chk(t, Z3_mk_bvurem(c, l, r));
    default:      break;
    }
    t->failed = true;
    return NULL;
}

/* A constant bound of a slice expression `x[lo..hi]`. */
static bool const_of(const Expr *e, uint64_t *v)
{
    if (!e)
        return false;
    if (e->is_const) {
        *v = e->cval;
        return true;
    }
    if (e->kind == EXPR_NUM) {
        *v = e->num.value;
        return true;
    }
    return false;
}

/* Translate e to a Bool or a 64-bit bit-vector; NULL (and t->failed) when
 * any part is unsupported or not annotated. */
static Z3_ast tr_expr(Tr *t, const Expr *e, const Bind *env)
{
    if (t->failed || !e || ++t->nodes > MAX_NODES) {
        t->failed = true;
        return NULL;
    }
    Z3_context c = t->s->ctx;
    /* Folded constants (never mention state or variables). */
    if (e->is_const && e->kind != EXPR_QUANT) {
        if (e->ty == TYPE_BOOL)
            return chk(t, e->cval ? Z3_mk_true(c) : Z3_mk_false(c));
        if (e->ty != TYPE_VOID)
            return num64(t, e->cval);
    }
    switch (e->kind) {
    case EXPR_NUM:
        return num64(t, e->num.value);
    case EXPR_BOOL:
        return chk(t, e->boolean ? Z3_mk_true(c) : Z3_mk_false(c));
    case EXPR_PATH:
        if (!e->sym)
            break;
        return tr_path(t, e, env);
    case EXPR_CALL:
        return tr_call(t, e, env);
    case EXPR_SLICE: {
        uint64_t lo, hi;
        if (!const_of(e->slice.lo, &lo) || !const_of(e->slice.hi, &hi))
            break;
        return bits(t, to_int(t, tr_expr(t, e->slice.base, env)), lo, hi);
    }
    case EXPR_BINOP:
        return tr_binop(t, e, env);
    case EXPR_UNOP: {
        Z3_ast a = tr_expr(t, e->un.operand, env);
        if (e->un.op == OP_NOT)
            return (a = to_bool(t, a)) ? chk(t, Z3_mk_not(c, a)) : NULL;
        if (e->un.op == OP_BITNOT)
            return (a = to_int(t, a)) ? chk(t, Z3_mk_bvnot(c, a)) : NULL;
        break;
    }
    case EXPR_IF: {
        Z3_ast cond = to_bool(t, tr_expr(t, e->ifelse.cond, env));
        Z3_ast a = cond ? tr_expr(t, e->ifelse.then, env) : NULL;
        Z3_ast b = a ? tr_expr(t, e->ifelse.els, env) : NULL;
        if (!b)
            return NULL;
        if (!is_bool(t, a) || !is_bool(t, b)) {
            a = to_int(t, a);
            b = to_int(t, b);
            if (!a || !b)
                return NULL;
        }
        return chk(t, Z3_mk_ite(c, cond, a, b));
    }
    case EXPR_QUANT:
        return tr_quant(t, e, 0, env);
    default:
        break;
    }
    t->failed = true;
    return NULL;
}

/* ---- clauses ------------------------------------------------------------ */

static void clauses_push(Clauses *cs, Clause c)
{
    if (cs->len == cs->cap) {
        int cap = cs->cap ? cs->cap * 2 : 32;
        Clause *v = realloc(cs->v, sizeof *v * (size_t)cap);
        if (!v)
            return;   /* out of memory: the clause is just not checked */
        cs->v = v;
        cs->cap = cap;
    }
    cs->v[cs->len++] = c;
}

/* Translate e (of method m) as one clause: track it by a fresh literal L
 * with L => e on the solver. Top-level `&&` is split into separate clauses
 * so a core can name the conjunct. With only_state, clauses that do not
 * mention a state field are left out (enum differentiators). Returns false
 * if some conjunct could not be encoded (and was left out). Leaving clauses
 * out only weakens a conjunction, so checks 1 and 2 can then miss a
 * conflict but never report a false one. */
static bool add_clauses(Smt *s, Z3_solver sol, Clauses *cs, const SMethod *m, int mi,
                        const Expr *e, bool only_state)
{
    if (!e)
        return false;
    if (e->kind == EXPR_BINOP && e->bin.op == OP_LAND && !e->is_const) {
        bool l = add_clauses(s, sol, cs, m, mi, e->bin.lhs, only_state);
        return add_clauses(s, sol, cs, m, mi, e->bin.rhs, only_state) && l;
    }
    Tr t = { .s = s, .cur = m };
    Z3_ast f = to_bool(&t, tr_expr(&t, e, NULL));
    if (!f || t.failed)
        return false;
    if (only_state && !t.state)
        return true;
    Z3_ast lit = chk(&t, Z3_mk_fresh_const(s->ctx, "clause", s->boolean));
    Z3_ast imp = lit ? chk(&t, Z3_mk_implies(s->ctx, lit, f)) : NULL;
    if (!imp)
        return false;
    Z3_solver_assert(s->ctx, sol, imp);
    if (!z3_ok(s))
        return false;
    clauses_push(cs, (Clause){ .e = e, .method = mi, .lit = lit });
    return true;
}

/* The requires and, for a bool method, the body of m. */
static void method_clauses(Smt *s, Z3_solver sol, Clauses *cs, const SMethod *m, int mi)
{
    VEC_FOREACH(const Expr *, r, m->requires)
        add_clauses(s, sol, cs, m, mi, r, false);
    if (m->body && m->ret.kind == TYPE_BOOL)
        add_clauses(s, sol, cs, m, mi, m->body, false);
}

static bool is_false_clause(const Expr *e)
{
    return (e->is_const && e->ty == TYPE_BOOL && !e->cval) || (e->kind == EXPR_BOOL && !e->boolean);
}

static Loc method_loc(const SMethod *m)
{
    return m->ast ? m->ast->name.loc : m->loc;
}

static Loc unit_loc(const SemaUnit *u)
{
    return u->ast ? u->ast->name.loc : (Loc){ 0 };
}

static const char *owner_name(const SMethod *m, const SemaUnit *u)
{
    return m->owner && m->owner->name ? m->owner->name : u->name;
}

/* Minimal unsat core of the last check over idx[0..n) into core[]; returns
 * its size, 0 if none could be had. */
static int minimal_core(Smt *s, Z3_solver sol, const Clauses *cs, const int *idx, int n, int *core)
{
    int k = get_core(s, sol, cs, idx, n, core);
    if (k <= 0)
        return 0;
    return minimize(s, sol, cs, core, k);
}

static void report_unknown(Smt *s, Z3_solver sol, Loc loc, const char *what)
{
    Z3_string why = Z3_solver_get_reason_unknown(s->ctx, sol);
    if (!why || !z3_ok(s) || !*why)
        why = "unknown";
    bool paren = why[0] == '(';   /* Z3 says "(incomplete quantifiers)" */
    diag_warning(s->diag, loc, "could not decide whether %s can be satisfied %s%s%s", what,
                 paren ? "" : "(", why, paren ? "" : ")");
}

/* ---- check 1: per method ------------------------------------------------ */

static bool method_is_checked(const SMethod *m)
{
    return m->is_synth || (m->name && strcmp(m->name, "translate") == 0)
           || (m->props & (MPROP(PROP_REMAP) | MPROP(PROP_INVARIANT)));
}

/* Check the clauses [first, end) of method m; an unsat result is reported
 * with its core, an unknown one as a warning. */
static SmtResult check_method(Smt *s, Z3_solver sol, const Clauses *cs, const SemaUnit *u,
                              const SMethod *m, int first, int end)
{
    int n = end - first;
    if (n <= 0)
        return R_SAT;
    int *idx = malloc(sizeof *idx * (size_t)n * 2);
    if (!idx)
        return R_ERROR;
    int *core = idx + n;
    for (int i = 0; i < n; i++)
        idx[i] = first + i;
    char what[512];
    snprintf(what, sizeof what, "the constraints of `%s::%s`", owner_name(m, u), m->name);
    SmtResult r = check_idx(s, sol, cs, idx, n);
    switch (r) {
    case R_UNSAT: {
        int k = minimal_core(s, sol, cs, idx, n, core);
        diag_error(s->diag, method_loc(m), "unable to satisfy constraints of `%s::%s`",
                   owner_name(m, u), m->name);
        for (int i = 0; i < k; i++)
            diag_note(s->diag, cs->v[core[i]].e->loc, "this clause is part of the conflict");
        break;
    }
    case R_UNKNOWN:
        report_unknown(s, sol, method_loc(m), what);
        break;
    default:
        break;
    }
    free(idx);
    return r;
}

/* ---- check 2: per unit -------------------------------------------------- */

/* One unit-level conflict (a minimal core) as §2.3's pairwise messages. */
static void report_unit_conflict(Smt *s, const Clauses *cs, const SemaUnit *u, const int *core, int k)
{
    if (k == 1) {
        const Expr *e = cs->v[core[0]].e;
        if (is_false_clause(e))
            diag_error(s->diag, e->loc, "unable to satisfy expression (const `false`)");
        else
            diag_error(s->diag, e->loc, "unable to satisfy expression");
    } else if (k == 2) {
        diag_error(s->diag, cs->v[core[1]].e->loc, "unable to satisfy expression");
        diag_note(s->diag, cs->v[core[0]].e->loc, "it conflicts with this expression");
    } else {
        diag_error(s->diag, unit_loc(u), "unable to satisfy constraints of `%s`", u->name);
        for (int i = 0; i < k; i++)
            diag_note(s->diag, cs->v[core[i]].e->loc, "this clause is part of the conflict");
    }
}

/* All clauses of all methods together. Each minimal core is recorded and
 * its clauses are then left out, so disjoint conflicts are all found (up to
 * MAX_CONFLICTS); they are reported in source order of their first clause,
 * whatever order Z3 found them in. A core lying wholly inside one method that
 * check 1 already reported is not reported again. Methods check 1 could not
 * decide (result[] unknown, already warned about) are left out from the start. */
static void check_unit_all(Smt *s, Z3_solver sol, const Clauses *cs, const SemaUnit *u,
                           const SmtResult *result)
{
    int n = cs->len;
    if (n == 0)
        return;
    int *idx = malloc(sizeof *idx * (size_t)n * 3);
    if (!idx)
        return;
    int *core = idx + n;
    int *conflict = idx + 2 * n;   /* per clause: the round whose core has it, or -1 */
    int k0 = 0;
    for (int i = 0; i < n; i++) {
        conflict[i] = -1;
        if (result[cs->v[i].method] != R_UNKNOWN)
            idx[k0++] = i;
    }
    n = k0;
    SmtResult r = R_SAT;
    for (int round = 0; round < MAX_CONFLICTS && n > 0; round++) {
        r = check_idx(s, sol, cs, idx, n);
        if (r != R_UNSAT)
            break;
        int k = minimal_core(s, sol, cs, idx, n, core);
        if (k == 0)
            break;
        bool covered = result[cs->v[core[0]].method] == R_UNSAT;
        for (int i = 1; i < k; i++)
            covered = covered && cs->v[core[i]].method == cs->v[core[0]].method;
        for (int i = 0; i < k; i++)
            conflict[core[i]] = covered ? MAX_CONFLICTS : round;
        int m = 0;   /* drop the core's clauses and look for another conflict */
        for (int i = 0; i < n; i++)
            if (conflict[idx[i]] < 0)
                idx[m++] = idx[i];
        n = m;
    }
    bool done[MAX_CONFLICTS] = { false };
    for (int i = 0; i < cs->len; i++) {
        int c = conflict[i];
        if (c < 0 || c >= MAX_CONFLICTS || done[c])
            continue;
        done[c] = true;
        int k = 0;
        for (int j = i; j < cs->len; j++)
            if (conflict[j] == c)
                core[k++] = j;
        report_unit_conflict(s, cs, u, core, k);
    }
    if (r == R_UNKNOWN) {
        char what[512];
        snprintf(what, sizeof what, "the constraints of `%s`", u->name);
        report_unknown(s, sol, unit_loc(u), what);
    }
    free(idx);
}

static void check_unit(Smt *s, SemaUnit *u)
{
    int nm = u->methods.len;
    if (nm == 0)
        return;
    Z3_solver sol = new_solver(s);
    int *start = calloc((size_t)nm + 1, sizeof *start);
    SmtResult *result = calloc((size_t)nm, sizeof *result);   /* R_SAT: not checked */
    Clauses cs = { 0 };
    if (!sol || !start || !result)
        goto out;
    for (int i = 0; i < nm; i++) {
        const SMethod *m = u->methods.items[i];
        start[i] = cs.len;
        if (m && !m->is_default)
            method_clauses(s, sol, &cs, m, i);
    }
    start[nm] = cs.len;
    /* Each method's clauses are a subset of the unit's: when all of them
     * hold together (the usual case), checks 1 and 2 are done in one query. */
    if (check_range(s, sol, &cs, 0, cs.len) == R_SAT)
        goto out;
    for (int i = 0; i < nm; i++) {
        const SMethod *m = u->methods.items[i];
        if (m && !m->is_default && method_is_checked(m))
            result[i] = check_method(s, sol, &cs, u, m, start[i], start[i + 1]);
    }
    check_unit_all(s, sol, &cs, u, result);
out:
    free(cs.v);
    free(start);
    free(result);
    free_solver(s, sol);
}

/* ---- check 3: enum distinguishability ----------------------------------- */
/*
 * A variant's differentiator is the set D of its translate's requires
 * clauses (split on top-level `&&`, calls inlined) that mention a state
 * field. All variants share one state: `state.<field>` is one Z3 constant
 * per field name and width, as are `va` and the unit params.
 *   - A and B are indistinguishable (error) when D(A) ∧ D(B) is satisfiable:
 *     some state satisfies both variants' preconditions.
 *   - A clause c of D(A) separates A from B when c ∧ D(B) is unsatisfiable.
 *     A is over-specified against B (warning "multiple ways") when two or
 *     more clauses of D(A) separate it from B, or the same for B against A:
 *     generated code would test only one of them, and which one is arbitrary.
 * A variant with a translate precondition the encoding cannot express is
 * left out of every pair: with that clause missing, D(A) would be too weak
 * and the error could be false. */

static Loc variant_loc(const SemaUnit *en, int i, const SemaUnit *v)
{
    if (en->ast && i < en->ast->variants.len) {
        const EnumVariant *ev = en->ast->variants.items[i];
        if (ev && v->name && ev->name.name && strcmp(ev->name.name, v->name) == 0)
            return ev->loc;
    }
    return unit_loc(en);
}

/* The clauses of D(other) (idx[0..n)) plus one clause c: unsat? */
static SmtResult separates(Smt *s, Z3_solver sol, const Clauses *cs, int *idx, int n, int c)
{
    idx[n] = c;
    return check_idx(s, sol, cs, idx, n + 1);
}

/* Clause indices of variant vi into out; returns the count. */
static int variant_idx(const Clauses *cs, int vi, int *out)
{
    int k = 0;
    for (int i = 0; i < cs->len; i++)
        if (cs->v[i].method == vi)
            out[k++] = i;
    return k;
}

/* Count the clauses of variant a that separate it from b; their indices go
 * to sep[]. An undecided query ends the count (no warning on a guess). */
static int count_separating(Smt *s, Z3_solver sol, const Clauses *cs, int a, int b, int *buf,
                            int *sep)
{
    int nb = variant_idx(cs, b, buf);
    int k = 0;
    for (int i = 0; i < cs->len; i++) {
        if (cs->v[i].method != a)
            continue;
        SmtResult r = separates(s, sol, cs, buf, nb, i);
        if (r == R_UNSAT)
            sep[k++] = i;
        else if (r != R_SAT)
            return 0;
    }
    return k;
}

static void check_pair(Smt *s, Z3_solver sol, const Clauses *cs, const SemaUnit *en, int a, int b,
                       int *buf, int *sep)
{
    const SemaUnit *va = en->variants.items[a], *vb = en->variants.items[b];
    int n = variant_idx(cs, a, buf);
    n += variant_idx(cs, b, buf + n);
    char what[512];
    switch (check_idx(s, sol, cs, buf, n)) {
    case R_SAT:
        diag_error(s->diag, unit_loc(en), "unable to distinguish `%s` from `%s`", va->name, vb->name);
        diag_note(s->diag, variant_loc(en, b, vb),
                  "check the translate preconditions of each variant: some state satisfies "
                  "those of both `%s` and `%s`", va->name, vb->name);
        return;
    case R_UNKNOWN:
        snprintf(what, sizeof what, "`%s` and `%s` can be told apart", va->name, vb->name);
        report_unknown(s, sol, unit_loc(en), what);
        return;
    case R_ERROR:
        return;
    case R_UNSAT:
        break;
    }
    for (int side = 0; side < 2; side++) {
        int x = side ? b : a, y = side ? a : b;
        int k = count_separating(s, sol, cs, x, y, buf, sep);
        if (k < 2)
            continue;
        const SemaUnit *vx = en->variants.items[x], *vy = en->variants.items[y];
        diag_warning(s->diag, unit_loc(en), "multiple ways to distinguish `%s` from `%s`",
                     vx->name, vy->name);
        for (int i = 0; i < k; i++)
            diag_note(s->diag, cs->v[sep[i]].e->loc,
                      "this precondition of `%s` alone excludes `%s`", vx->name, vy->name);
        return;
    }
}

static void check_enum(Smt *s, SemaUnit *en)
{
    int nv = en->variants.len;
    if (nv < 2)
        return;
    Z3_solver sol = new_solver(s);
    Clauses cs = { 0 };
    int *buf = NULL, *sep = NULL;
    bool *partial = calloc((size_t)nv, sizeof *partial);
    if (!sol || !partial)
        goto out;
    for (int i = 0; i < nv; i++) {
        const SemaUnit *v = en->variants.items[i];
        const SMethod *tr = v ? sema_method(v, "translate") : NULL;
        if (tr && !tr->is_default) {
            VEC_FOREACH(const Expr *, r, tr->requires)
                if (!add_clauses(s, sol, &cs, tr, i, r, true))
                    partial[i] = true;
        }
    }
    buf = malloc(sizeof *buf * ((size_t)cs.len + 1));
    sep = malloc(sizeof *sep * ((size_t)cs.len + 1));
    if (!buf || !sep)
        goto out;
    for (int a = 0; a < nv; a++) {
        for (int b = a + 1; b < nv; b++) {
            const SemaUnit *va = en->variants.items[a], *vb = en->variants.items[b];
            if (va && vb && va != vb && va->name && vb->name && !partial[a] && !partial[b])
                check_pair(s, sol, &cs, en, a, b, buf, sep);
        }
    }
out:
    free(partial);
    free(buf);
    free(sep);
    free(cs.v);
    free_solver(s, sol);
}

/* ---- entry point -------------------------------------------------------- */

/* One bit per flag: the global block, or the longest deprecated unit-level
 * `flags = {..};` block (typecheck numbers a unit's flag bits by those). */
static unsigned flags_width(const SemaProgram *sp)
{
    int n = sp->flags.len;
    VEC_FOREACH(const SemaUnit *, u, sp->units) {
        if (!u->ast)
            continue;
        VEC_FOREACH(const Item *, it, u->ast->items)
            if (it->kind == ITEM_FLAGS && it->flags && it->flags->flags.len > n)
                n = it->flags->flags.len;
    }
    return n > 0 ? (unsigned)n : 1;
}

void smt_check_program(SemaProgram *sp)
{
    if (!sp || !sp->diag)
        return;
    Z3_config cfg = Z3_mk_config();
    if (!cfg)
        return;
    Z3_set_param_value(cfg, "model", "false");
    Smt s = { .sp = sp, .diag = sp->diag };
    s.ctx = Z3_mk_context(cfg);
    Z3_del_config(cfg);
    if (!s.ctx)
        return;
    /* No handler: errors only set the code that chk()/z3_ok() look at. */
    Z3_set_error_handler(s.ctx, NULL);
    s.nflags = flags_width(sp);
    s.bv64 = Z3_mk_bv_sort(s.ctx, 64);
    s.boolean = Z3_mk_bool_sort(s.ctx);
    s.flags = Z3_mk_bv_sort(s.ctx, s.nflags);
    s.params = Z3_mk_params(s.ctx);
    if (!z3_ok(&s) || !s.params)
        goto out;
    Z3_params_inc_ref(s.ctx, s.params);
    Z3_params_set_uint(s.ctx, s.params, Z3_mk_string_symbol(s.ctx, "timeout"), TIMEOUT_MS);
    if (!z3_ok(&s))
        goto out_params;

    VEC_FOREACH(SemaUnit *, u, sp->units) {
        if (u->kind == UNIT_SEGMENT || u->kind == UNIT_STATICMAP)
            check_unit(&s, u);
        else if (u->kind == UNIT_ENUM)
            check_enum(&s, u);
    }
out_params:
    Z3_params_dec_ref(s.ctx, s.params);
out:
    Z3_del_context(s.ctx);
}
