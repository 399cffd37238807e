/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify.c - the proof of a synthesized program, in Z3 over bit-vectors.
 *
 * Input: a SynthProg of synth.c (unit, contract goals, straight-line ops).
 * Output: a ProofStatus and, for a failing program, an error at the first
 * goal it does not establish with a counterexample as notes; the program is
 * not changed. verify_equal answers deduce.c's "are these two values equal
 * under the assumptions?" when it simplifies deduced values.
 *
 * The program runs symbolically. A state field is a bit-vector of its real
 * width (size * 8), starting as one constant per field (the pre-state); a
 * non-instr interface field has a local copy, starting unknown (a fresh
 * constant), and a `read` makes it unknown again before its moves fill the
 * bits they cover. Values follow sx.h; `va sz pa` are 64-bit constants,
 * `flgs` has one bit per global flag, and SX_VAR is the range offset i
 * (i < sz) of map/unmap or protect's input x. Each goal is one check,
 * assumptions ∧ guard ∧ ¬atom over the final state must be unsat, as a
 * push/pop on one solver per program that holds the assumptions. unmap
 * also proves that no offset of the range still translates; protect that
 * neither which inputs translate nor their translation changes.
 *
 * As in smtcheck.c: a plain Z3_mk_context (terms live until it is deleted),
 * solvers, params and models reference-counted by hand, and no error
 * handler, so a Z3 error only sets the code checked after each call. That,
 * an Sx the encoder does not know (NULL child, unknown kind, slice outside
 * its field) and a solver's "unknown" all make the check undecided, which is
 * reported as an error, never silently. No global or static mutable state.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <z3.h>

#include "synth.h"

enum {
    PROVE_TIMEOUT_MS = 10000,   /* per check of verify_prog */
    EQUAL_TIMEOUT_MS = 30000,   /* per verify_equal query: a last resort */
    EQUAL_RLIMIT = 4000000,     /* per verify_equal query: the real budget */
    MAX_NODES        = 1000000, /* Sx nodes per term: substitution shares
                                   subtrees, which a walk visits again */
    MAX_DEPTH        = 2000,    /* Sx nesting: a corrupt (cyclic) tree must
                                   not overflow the stack */
};

typedef enum Res { R_SAT, R_UNSAT, R_UNKNOWN } Res;

/* One program's symbolic inputs: the pre-state and the initial (unknown)
 * local copies, indexed like unit->state and unit->iface. A NULL entry is
 * a field without a value: an instr field, or a width outside 1..8 bytes. */
typedef struct Frame {
    const SemaUnit *u;
    int             ns, ni;
    Z3_ast         *pre;
    Z3_ast         *init;
    Z3_ast          var;
} Frame;

/* verify_equal's cache: a solver that holds one program's assumptions. The
 * assumption pointers are kept to notice a program that changed (or a new
 * one at the same address). */
typedef struct EqCache {
    const SynthProg *prog;
    SynthOpKind      op;
    void           **assumes;   /* p->goals.assumes.items */
    int              nassumes;
    Z3_solver        sol;
    Frame            fr;
} EqCache;

struct VerifyCtx {
    SemaProgram *sp;
    Z3_context   ctx;
    Z3_params    prove_params, equal_params;
    unsigned     nflags;
    Z3_ast       va, sz, pa, flgs;   /* shared by every check */
    Z3_ast       one;                /* the 1-bit 1: a set flag bit */
    Z3_ast       var_i, var_x;       /* SX_VAR of map/unmap and of protect */
    EqCache      eq;
};

/* Translation of Sx trees against one binding of state and local copies. */
typedef struct Tr {
    VerifyCtx      *vc;
    const SemaUnit *u;
    Z3_ast         *state, *local;
    Z3_ast          var;
    long            nodes;
    bool            failed;     /* unencodable or Z3 error */
    bool            var_used;   /* SX_VAR was met: show it in a counterexample */
} Tr;

/* ---- Z3 plumbing -------------------------------------------------------- */

static bool z3_ok(const VerifyCtx *vc)
{
    return Z3_get_error_code(vc->ctx) == Z3_OK;
}

static Z3_ast fail(Tr *t)
{
    t->failed = true;
    return NULL;
}

/* Every term goes through here, so a Z3 error fails the term it is in. */
static Z3_ast chk(Tr *t, Z3_ast a)
{
    return a && z3_ok(t->vc) ? a : fail(t);
}

static Z3_solver new_solver(VerifyCtx *vc, Z3_params params)
{
    Z3_solver sol = Z3_mk_simple_solver(vc->ctx);
    if (!sol || !z3_ok(vc))
        return NULL;
    Z3_solver_inc_ref(vc->ctx, sol);
    Z3_solver_set_params(vc->ctx, sol, params);
    if (!z3_ok(vc)) {
        Z3_solver_dec_ref(vc->ctx, sol);
        return NULL;
    }
    return sol;
}

static unsigned field_bits(const SField *f)
{
    return f && f->size >= 1 && f->size <= 8 ? (unsigned)f->size * 8 : 0;
}

/* Inherited methods may hold a parent's SField*: match by name then. */
static int field_index(const PtrVec *fields, const SField *f)
{
    if (!f)
        return -1;
    for (int i = 0; i < fields->len; i++)
        if (fields->items[i] == f)
            return i;
    for (int i = 0; f->name && i < fields->len; i++) {
        const SField *g = fields->items[i];
        if (g && g->name && strcmp(g->name, f->name) == 0)
            return i;
    }
    return -1;
}

/* ---- bit-vectors and the Sx value rules ---------------------------------- */

static bool is_bool(Tr *t, Z3_ast a)
{
    return Z3_get_sort_kind(t->vc->ctx, Z3_get_sort(t->vc->ctx, a)) == Z3_BOOL_SORT;
}

static unsigned width(Tr *t, Z3_ast a)
{
    return Z3_get_bv_sort_size(t->vc->ctx, Z3_get_sort(t->vc->ctx, a));
}

static Z3_ast num(Tr *t, uint64_t v, unsigned w)
{
    return chk(t, Z3_mk_unsigned_int64(t->vc->ctx, v, Z3_mk_bv_sort(t->vc->ctx, w)));
}

static Z3_ast truth(Tr *t, bool b)
{
    return chk(t, b ? Z3_mk_true(t->vc->ctx) : Z3_mk_false(t->vc->ctx));
}

/* A bit-vector zero-extended or cut to w bits. */
static Z3_ast resize(Tr *t, Z3_ast a, unsigned w)
{
    if (!a || is_bool(t, a))
        return fail(t);
    unsigned n = width(t, a);
    if (n == w)
        return a;
    if (n < w)
        return chk(t, Z3_mk_zero_ext(t->vc->ctx, w - n, a));
    return chk(t, Z3_mk_extract(t->vc->ctx, w - 1, 0, a));
}

static Z3_ast mk_not(Tr *t, Z3_ast a)
{
    return a ? chk(t, Z3_mk_not(t->vc->ctx, a)) : fail(t);
}

static Z3_ast eq(Tr *t, Z3_ast a, Z3_ast b)
{
    return a && b ? chk(t, Z3_mk_eq(t->vc->ctx, a, b)) : fail(t);
}

static Z3_ast ite(Tr *t, Z3_ast c, Z3_ast a, Z3_ast b)
{
    return c && a && b ? chk(t, Z3_mk_ite(t->vc->ctx, c, a, b)) : fail(t);
}

static Z3_ast to_int(Tr *t, Z3_ast a)
{
    if (a && is_bool(t, a))
        return ite(t, a, num(t, 1, 64), num(t, 0, 64));
    return resize(t, a, 64);
}

static Z3_ast to_bool(Tr *t, Z3_ast a)
{
    if (!a || is_bool(t, a))
        return a;
    return mk_not(t, eq(t, resize(t, a, 64), num(t, 0, 64)));
}

static Z3_ast and2(Tr *t, Z3_ast a, Z3_ast b)
{
    if (!a || !b)
        return fail(t);
    Z3_ast v[2] = { a, b };
    return chk(t, Z3_mk_and(t->vc->ctx, 2, v));
}

/* a == b: two bools compare as bools, anything else as integers. */
static Z3_ast same(Tr *t, Z3_ast a, Z3_ast b)
{
    if (!a || !b)
        return fail(t);
    if (!is_bool(t, a) || !is_bool(t, b)) {
        a = to_int(t, a);
        b = to_int(t, b);
        if (!a || !b)
            return NULL;
    }
    return eq(t, a, b);
}

/* Bits [lo, hi) of v. */
static Z3_ast bits(Tr *t, Z3_ast v, unsigned lo, unsigned hi)
{
    if (!v || lo >= hi || hi > width(t, v))
        return fail(t);
    if (lo == 0 && hi == width(t, v))
        return v;
    return chk(t, Z3_mk_extract(t->vc->ctx, hi - 1, lo, v));
}

static Z3_ast cat(Tr *t, Z3_ast hi, Z3_ast lo)
{
    return hi && lo ? chk(t, Z3_mk_concat(t->vc->ctx, hi, lo)) : fail(t);
}

/* v with bits [lo, hi) replaced by n (zero-extended or cut to fit). */
static Z3_ast splice(Tr *t, Z3_ast v, unsigned lo, unsigned hi, Z3_ast n)
{
    if (!v || lo >= hi || hi > width(t, v))
        return fail(t);
    unsigned w = width(t, v);
    Z3_ast r = resize(t, n, hi - lo);
    if (lo > 0)
        r = cat(t, r, bits(t, v, 0, lo));
    if (hi < w)
        r = cat(t, bits(t, v, hi, w), r);
    return r;
}

/* The current binding of a state field or local copy (NULL: none). */
static Z3_ast *slot(Tr *t, const SField *f, bool iface)
{
    int i = field_index(iface ? &t->u->iface : &t->u->state, f);
    if (i < 0)
        return NULL;
    Z3_ast *s = iface ? &t->local[i] : &t->state[i];
    return *s ? s : NULL;
}

/* ---- Sx -> Z3 ------------------------------------------------------------ */

static Z3_ast ev(Tr *t, const Sx *x, int depth);

/* The integer operators of SX_BIN, unsigned where it matters. */
typedef Z3_ast (*MkBin)(Z3_context, Z3_ast, Z3_ast);
static const MkBin INT_OPS[] = {
    [OP_LT] = Z3_mk_bvult,   [OP_GT] = Z3_mk_bvugt,   [OP_LE] = Z3_mk_bvule,
    [OP_GE] = Z3_mk_bvuge,   [OP_BOR] = Z3_mk_bvor,   [OP_BXOR] = Z3_mk_bvxor,
    [OP_BAND] = Z3_mk_bvand, [OP_SHL] = Z3_mk_bvshl,  [OP_SHR] = Z3_mk_bvlshr,
    [OP_ADD] = Z3_mk_bvadd,  [OP_SUB] = Z3_mk_bvsub,  [OP_MUL] = Z3_mk_bvmul,
    [OP_DIV] = Z3_mk_bvudiv, [OP_MOD] = Z3_mk_bvurem,
};

static Z3_ast ev_bin(Tr *t, const Sx *x, int depth)
{
    Z3_ast l = ev(t, x->a, depth), r = ev(t, x->b, depth);
    if (x->op == OP_EQ || x->op == OP_NE)
        return x->op == OP_EQ ? same(t, l, r) : mk_not(t, same(t, l, r));
    if (x->op == OP_IMPLIES || x->op == OP_LOR || x->op == OP_LAND) {
        Z3_ast v[2] = { to_bool(t, l), to_bool(t, r) };
        if (!v[0] || !v[1])
            return fail(t);
        if (x->op == OP_IMPLIES)
            return chk(t, Z3_mk_implies(t->vc->ctx, v[0], v[1]));
        return chk(t, (x->op == OP_LOR ? Z3_mk_or : Z3_mk_and)(t->vc->ctx, 2, v));
    }
    l = to_int(t, l);
    r = to_int(t, r);
    if (!l || !r || (unsigned)x->op >= sizeof INT_OPS / sizeof *INT_OPS || !INT_OPS[x->op])
        return fail(t);
    return chk(t, INT_OPS[x->op](t->vc->ctx, l, r));
}

/* The index of the highest set bit (0 for 0): the ite for bit 63 is the
 * outermost, so the highest set bit wins. */
static Z3_ast ev_log2(Tr *t, Z3_ast a)
{
    a = to_int(t, a);
    Z3_ast r = num(t, 0, 64);
    for (unsigned i = 1; i < 64 && r; i++)
        r = ite(t, eq(t, bits(t, a, i, i + 1), t->vc->one), num(t, i, 64), r);
    return r;
}

static Z3_ast ev(Tr *t, const Sx *x, int depth)
{
    if (!x || t->failed || ++t->nodes > MAX_NODES || ++depth > MAX_DEPTH)
        return fail(t);
    VerifyCtx *vc = t->vc;
    switch (x->kind) {
    case SX_NUM:
        return x->is_bool ? truth(t, x->num != 0) : num(t, x->num, 64);
    case SX_ARG:
        switch (x->arg) {
        case ARG_VA:   return vc->va;
        case ARG_SZ:   return vc->sz;
        case ARG_PA:   return vc->pa;
        case ARG_FLGS: return resize(t, vc->flgs, 64);
        default:       return fail(t);
        }
    case SX_FLAG:
        if (x->flag < 0 || (unsigned)x->flag >= vc->nflags)
            return fail(t);
        return eq(t, bits(t, vc->flgs, (unsigned)x->flag, (unsigned)x->flag + 1), vc->one);
    case SX_STATE:
    case SX_CUR: {
        Z3_ast *s = slot(t, x->field, x->kind == SX_CUR);
        return s ? resize(t, bits(t, *s, x->lo, x->hi), 64) : fail(t);
    }
    case SX_VAR:
        t->var_used = true;
        return t->var;
    case SX_PARAM:      /* unit parameters belong to the IR, not to programs */
        return fail(t);
    case SX_BIN:
        return ev_bin(t, x, depth);
    case SX_UN:
        if (x->uop == OP_NOT)
            return mk_not(t, to_bool(t, ev(t, x->a, depth)));
        if (x->uop == OP_BITNOT) {
            Z3_ast a = to_int(t, ev(t, x->a, depth));
            return a ? chk(t, Z3_mk_bvnot(vc->ctx, a)) : NULL;
        }
        return fail(t);
    case SX_ITE: {
        Z3_ast c = to_bool(t, ev(t, x->a, depth));
        Z3_ast a = ev(t, x->b, depth), b = ev(t, x->c, depth);
        if (!c || !a || !b)
            return fail(t);
        if (!is_bool(t, a) || !is_bool(t, b)) {
            a = to_int(t, a);
            b = to_int(t, b);
        }
        return ite(t, c, a, b);
    }
    case SX_LOG2:
        return ev_log2(t, ev(t, x->a, depth));
    }
    return fail(t);
}

static Z3_ast ev_bool(Tr *t, const Sx *x)
{
    return to_bool(t, ev(t, x, 0));
}

/* guard -> atom. */
static Z3_ast holds(Tr *t, const Goal *g)
{
    if (!g)
        return fail(t);
    Z3_ast a = ev_bool(t, g->atom);
    if (!g->guard || !a)
        return a;
    Z3_ast c = ev_bool(t, g->guard);
    return c ? chk(t, Z3_mk_implies(t->vc->ctx, c, a)) : NULL;
}

/* The conjunction of holds() over the goals of some lists. */
static Z3_ast holds_all(Tr *t, const PtrVec *const *lists, int nlists)
{
    Z3_ast r = truth(t, true);
    for (int l = 0; l < nlists; l++)
        for (int i = 0; i < lists[l]->len && r; i++)
            r = and2(t, r, holds(t, lists[l]->items[i]));
    return r;
}

/* ---- frames and the program ---------------------------------------------- */

static void frame_free(Frame *fr)
{
    free(fr->pre);
    *fr = (Frame){ 0 };
}

/* Fresh inputs for u: a constant "state.NAME" per state field (named for
 * readable models; every check has its own solver scope) and a fresh
 * unknown per local copy. */
static bool frame_init(VerifyCtx *vc, Frame *fr, const SynthProg *p)
{
    const SemaUnit *u = p->unit;
    *fr = (Frame){ .u = u, .ns = u->state.len, .ni = u->iface.len };
    fr->var = p->op == SYN_PROTECT ? vc->var_x : vc->var_i;
    fr->pre = calloc((size_t)(fr->ns + fr->ni) + 1, sizeof *fr->pre);
    if (!fr->pre)
        return false;
    fr->init = fr->pre + fr->ns;
    char name[256];
    for (int i = 0; i < fr->ns + fr->ni; i++) {
        bool st = i < fr->ns;
        const SField *f = st ? u->state.items[i] : u->iface.items[i - fr->ns];
        unsigned w = field_bits(f);
        if (!w || (!st && f->kind == FIELD_INSTR))
            continue;
        snprintf(name, sizeof name, "%s%s", st ? "state." : "", f->name ? f->name : "?");
        Z3_sort sort = Z3_mk_bv_sort(vc->ctx, w);
        fr->pre[i] = st ? Z3_mk_const(vc->ctx, Z3_mk_string_symbol(vc->ctx, name), sort)
                        : Z3_mk_fresh_const(vc->ctx, name, sort);
    }
    if (z3_ok(vc))
        return true;
    frame_free(fr);
    return false;
}

static Tr tr_new(VerifyCtx *vc, const Frame *fr, Z3_ast *state, Z3_ast *local)
{
    return (Tr){ .vc = vc, .u = fr->u, .state = state, .local = local, .var = fr->var };
}

/* The moves of one read or write happen at once: every source is read
 * before any destination is written. */
static void apply_moves(Tr *t, const PtrVec *moves)
{
    int n = moves->len;
    Z3_ast *src = calloc((size_t)n + 1, sizeof *src);
    if (!src) {
        fail(t);
        return;
    }
    for (int i = 0; i < n && !t->failed; i++) {
        const SMove *m = moves->items[i];
        Z3_ast *s = m ? slot(t, m->src.field, m->src.iface) : NULL;
        src[i] = s ? bits(t, *s, m->src.lo, m->src.hi) : fail(t);
    }
    for (int i = 0; i < n && !t->failed; i++) {
        const SMove *m = moves->items[i];
        Z3_ast *d = slot(t, m->dst.field, m->dst.iface);
        Z3_ast v = d ? splice(t, *d, m->dst.lo, m->dst.hi, src[i]) : fail(t);
        if (v)
            *d = v;
    }
    free(src);
}

/* Run p's ops on the binding in t (which starts as the frame's inputs).
 * *var_op is the first op whose value uses SX_VAR (NULL if none). */
static void run(Tr *t, const SynthProg *p, const SOp **var_op)
{
    *var_op = NULL;
    for (int i = 0; i < p->ops.len && !t->failed; i++) {
        const SOp *op = p->ops.items[i];
        if (op && op->kind == SOP_BARRIER)
            continue;
        const SFieldIO *io = op ? op->io : NULL;
        if (!io || !io->field) {
            fail(t);
            return;
        }
        bool instr = io->field->kind == FIELD_INSTR;
        Z3_ast *local = instr ? NULL : slot(t, io->field, true);
        Z3_ast v;
        switch (op->kind) {
        case SOP_ZERO:
            v = local ? num(t, 0, width(t, *local)) : fail(t);
            break;
        case SOP_READ:
            /* bits the read moves do not cover are whatever the device has */
            v = local ? chk(t, Z3_mk_fresh_const(t->vc->ctx, io->field->name ? io->field->name : "iface",
                                                 Z3_get_sort(t->vc->ctx, *local)))
                      : instr ? NULL : fail(t);
            if (v)
                *local = v;
            apply_moves(t, &io->reads);
            continue;
        case SOP_WRITE:
            apply_moves(t, &io->writes);
            continue;
        case SOP_SET:
            t->var_used = false;
            v = local ? splice(t, *local, op->lo, op->hi, to_int(t, ev(t, op->value, 0))) : fail(t);
            if (t->var_used && !*var_op)
                *var_op = op;
            break;
        default:
            v = fail(t);
            break;
        }
        if (v)
            *local = v;
    }
}

/* The assumptions over the pre-state, and i < sz for map and unmap. */
static Z3_ast base_term(Tr *t, const SynthProg *p)
{
    Z3_ast r = truth(t, true);
    if (p->op != SYN_PROTECT)
        r = and2(t, r, chk(t, Z3_mk_bvult(t->vc->ctx, t->var, t->vc->sz)));
    VEC_FOREACH(const Sx *, a, p->goals.assumes)
        r = and2(t, r, ev_bool(t, a));
    return t->failed ? NULL : r;
}

/* ---- reporting ----------------------------------------------------------- */

typedef struct Buf {
    char   s[2048];
    size_t n;
} Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
    va_end(ap);
    if (k > 0)   /* on truncation, stay at the terminating NUL */
        b->n += (size_t)k < sizeof b->s - b->n ? (size_t)k : sizeof b->s - 1 - b->n;
}

/* "name = 0x..." with a's value in the model ("?" if it has none). */
static void put_value(Buf *b, VerifyCtx *vc, Z3_model m, const char *name, Z3_ast a)
{
    Z3_ast v = NULL;
    uint64_t u = 0;
    if (a && Z3_model_eval(vc->ctx, m, a, true, &v) && v && z3_ok(vc)
        && Z3_get_numeral_uint64(vc->ctx, v, &u) && z3_ok(vc))
        put(b, "%s = 0x%llx", name, (unsigned long long)u);
    else
        put(b, "%s = ?", name);
}

/* Each flag bit is evaluated on its own: flgs may be wider than 64 bits. */
static void put_flags(Buf *b, VerifyCtx *vc, Z3_model m)
{
    const PtrVec *names = &vc->sp->flags;
    int k = 0;
    put(b, ", flgs = {");
    for (unsigned i = 0; i < vc->nflags && (int)i < names->len; i++) {
        Z3_ast bit = Z3_mk_extract(vc->ctx, i, i, vc->flgs), v = NULL;
        Z3_ast on = bit && z3_ok(vc) ? Z3_mk_eq(vc->ctx, bit, vc->one) : NULL;
        if (on && z3_ok(vc) && Z3_model_eval(vc->ctx, m, on, true, &v) && v && z3_ok(vc)
            && Z3_get_bool_value(vc->ctx, v) == Z3_L_TRUE) {
            const Ident *id = names->items[i];
            put(b, "%s%s", k++ ? ", " : "", id && id->name ? id->name : "?");
        }
    }
    put(b, "}");
}

/* The notes of a counterexample: the operation's arguments (and i or x
 * where the check mentions it), then every state field before and after. */
static void report_model(VerifyCtx *vc, const SynthProg *p, Z3_model m, Loc loc, bool var,
                         const Z3_ast *pre, const Z3_ast *post)
{
    Buf b = { .n = 0 };
    put_value(&b, vc, m, "counterexample: va", vc->va);
    put_value(&b, vc, m, ", sz", vc->sz);
    if (p->op == SYN_MAP)
        put_value(&b, vc, m, ", pa", vc->pa);
    if (p->op != SYN_UNMAP)
        put_flags(&b, vc, m);
    if (var)
        put_value(&b, vc, m, p->op == SYN_PROTECT ? ", x" : ", i",
                  p->op == SYN_PROTECT ? vc->var_x : vc->var_i);
    /* no location: the error above just showed the goal's source line */
    (void)loc;
    diag_note(vc->sp->diag, (Loc){ 0 }, "%s", b.s);
    for (int when = 0; when < 2 && p->unit->state.len; when++) {
        b.n = 0;
        put(&b, "state %s: ", when ? "after" : "before");
        for (int i = 0; i < p->unit->state.len; i++) {
            const SField *f = p->unit->state.items[i];
            put(&b, "%s", i ? ", " : "");
            put_value(&b, vc, m, f && f->name ? f->name : "?", (when ? post : pre)[i]);
        }
        diag_note(vc->sp->diag, (Loc){ 0 }, "%s", b.s);
    }
}

static void report_unknown(VerifyCtx *vc, Loc loc, const char *claim, const char *why)
{
    if (why && (strcmp(why, "timeout") == 0 || strcmp(why, "canceled") == 0))
        diag_error(vc->sp->diag, loc, "could not prove within %d s that %s", PROVE_TIMEOUT_MS / 1000,
                   claim);
    else
        diag_error(vc->sp->diag, loc, "could not prove that %s (%s)", claim,
                   why && *why ? why : "unknown");
}

/* ---- verify_prog ---------------------------------------------------------- */

/* One program's proof: its inputs, its final binding and the solver that
 * holds its assumptions. */
typedef struct Prover {
    VerifyCtx       *vc;
    const SynthProg *p;
    char             op[256];             /* "synthesized `map` of unit `X`" */
    Frame            fr;
    Z3_ast          *post, *post_local;   /* after the program */
    Z3_solver        sol;
    bool             var_used;            /* the assumptions use SX_VAR */
    bool             unknown;             /* some check was undecided */
} Prover;

static Loc method_loc(const SynthProg *p)
{
    return p->method ? p->method->loc : (Loc){ 0 };
}

/* A translator over the pre-state or the final state. */
static Tr at(const Prover *pv, bool before)
{
    return tr_new(pv->vc, &pv->fr, before ? pv->fr.pre : pv->post,
                  before ? pv->fr.init : pv->post_local);
}

/* Is `bad` unsat under the assumptions? A model of it is reported as "<op>
 * <failmsg>" with its counterexample; an undecided check (or a NULL `bad`:
 * something could not be encoded) as "could not prove that <op> <claim>". */
static Res refute(Prover *pv, Z3_ast bad, bool var, Loc loc, const char *failmsg, const char *what)
{
    VerifyCtx *vc = pv->vc;
    char claim[1024];
    snprintf(claim, sizeof claim, "%s %s", pv->op, what);
    Res res = R_UNKNOWN;
    const char *why = "a value the prover cannot encode";
    if (bad) {
        Z3_solver_push(vc->ctx, pv->sol);
        Z3_solver_assert(vc->ctx, pv->sol, bad);
        Z3_lbool r = z3_ok(vc) ? Z3_solver_check(vc->ctx, pv->sol) : Z3_L_UNDEF;
        Z3_model m = r == Z3_L_TRUE && z3_ok(vc) ? Z3_solver_get_model(vc->ctx, pv->sol) : NULL;
        if (!z3_ok(vc)) {
            why = Z3_get_error_msg(vc->ctx, Z3_get_error_code(vc->ctx));
        } else if (r == Z3_L_FALSE) {
            res = R_UNSAT;
        } else if (m) {
            Z3_model_inc_ref(vc->ctx, m);
            diag_error(vc->sp->diag, loc, "%s %s", pv->op, failmsg);
            report_model(vc, pv->p, m, loc, var || pv->var_used, pv->fr.pre, pv->post);
            Z3_model_dec_ref(vc->ctx, m);
            res = R_SAT;
        } else {
            why = Z3_solver_get_reason_unknown(vc->ctx, pv->sol);
            why = z3_ok(vc) ? why : "unknown";
        }
        Z3_solver_pop(vc->ctx, pv->sol, 1);
    }
    if (res == R_UNKNOWN) {
        report_unknown(vc, loc, claim, why);
        pv->unknown = true;
    }
    return res;
}

/* One contract conjunct, over the final state. */
static Res prove_goal(Prover *pv, const Goal *g)
{
    const char *origin = g && g->origin <= GO_ENSURES ? goal_origin_names[g->origin] : "goal";
    const char *method = g && g->method ? g->method : "?";
    char failmsg[512], what[512], in[300] = "";
    /* name the method only where the origin does not already: a conjunct
     * of valid() written in a helper (`rsvd_clear`) */
    if (strncmp(origin, method, strlen(method)) != 0 && strcmp(method, "translate") != 0)
        snprintf(in, sizeof in, " (in `%s`)", method);
    snprintf(failmsg, sizeof failmsg, "does not establish this %s%s", origin, in);
    snprintf(what, sizeof what, "establishes this %s%s", origin, in);
    Tr t = at(pv, false);
    Z3_ast bad = mk_not(&t, holds(&t, g));
    return refute(pv, t.failed ? NULL : bad, t.var_used, g ? g->loc : method_loc(pv->p), failmsg,
                  what);
}

static Res prove_goals(Prover *pv, const PtrVec *goals)
{
    Res r = R_UNSAT;
    for (int i = 0; i < goals->len && r != R_SAT; i++)
        r = prove_goal(pv, goals->items[i]);
    return r;
}

/* unmap: no offset of the range still meets translate's preconditions and
 * the remap predicates. */
static Res prove_unmapped(Prover *pv)
{
    const PtrVec *lists[2] = { &pv->p->goals.remap, &pv->p->goals.pre };
    Tr t = at(pv, false);
    Z3_ast bad = holds_all(&t, lists, 2);
    return refute(pv, t.failed ? NULL : bad, t.var_used, method_loc(pv->p),
                  "leaves the range translating", "stops the range translating");
}

/* protect: (a) whether x translates is unchanged; (b) where it translates,
 * the translated value (the atom of each result goal) is unchanged. */
static Res prove_protected(Prover *pv)
{
    const SynthProg *p = pv->p;
    const PtrVec *lists[1] = { &p->goals.pre };
    Tr b = at(pv, true), a = at(pv, false);
    Z3_ast pb = holds_all(&b, lists, 1), pa = holds_all(&a, lists, 1);
    Z3_ast bad = pb && pa ? chk(&a, Z3_mk_xor(pv->vc->ctx, pb, pa)) : NULL;
    Res r = refute(pv, b.failed || a.failed ? NULL : bad, b.var_used || a.var_used, method_loc(p),
                   "changes which addresses translate", "keeps which addresses translate");
    for (int i = 0; i < p->goals.result.len && r != R_SAT; i++) {
        const Goal *g = p->goals.result.items[i];
        Z3_ast tb = g ? to_int(&b, ev(&b, g->atom, 0)) : NULL;
        Z3_ast ta = g ? to_int(&a, ev(&a, g->atom, 0)) : NULL;
        bad = and2(&a, pb, mk_not(&a, same(&a, tb, ta)));
        if (g && g->guard)
            bad = and2(&a, bad, ev_bool(&a, g->guard));
        r = refute(pv, b.failed || a.failed ? NULL : bad, b.var_used || a.var_used, method_loc(p),
                   "changes the translation", "keeps the translation");
    }
    return r;
}

/* The checks of each operation in order, until the first failure. An
 * undecided check is already reported and noted in pv->unknown. */
static Res prove_all(Prover *pv)
{
    const GoalSet *gs = &pv->p->goals;
    const PtrVec *lists[] = { &gs->result, &gs->pre, &gs->remap, &gs->flags, &gs->ensures };
    int first = 0;   /* map: all five lists */
    Res r = R_UNSAT;
    if (pv->p->op == SYN_UNMAP) {
        r = prove_unmapped(pv);
        first = 4;   /* ensures */
    } else if (pv->p->op == SYN_PROTECT) {
        r = prove_protected(pv);
        first = 3;   /* flags, ensures */
    } else if (pv->p->op != SYN_MAP) {
        return R_UNKNOWN;
    }
    for (int i = first; i < 5 && r != R_SAT; i++)
        r = prove_goals(pv, lists[i]);
    return r;
}

/* Run the program, assert the assumptions, check every goal. */
static ProofStatus prove_prog(Prover *pv, const char *claim)
{
    VerifyCtx *vc = pv->vc;
    const SynthProg *p = pv->p;
    Tr t = at(pv, false);
    const SOp *var_op;
    run(&t, p, &var_op);
    if (t.failed) {
        report_unknown(vc, method_loc(p), claim, "an operation the prover cannot encode");
        return PROOF_UNKNOWN;
    }
    /* i and x are the goals' "for all": a value computed from them is no
     * program (it would hold for each i, not for all of them at once) */
    if (var_op) {
        diag_error(vc->sp->diag, var_op->loc, "%s computes a value from `%s`, which it cannot know",
                   pv->op, p->op == SYN_PROTECT ? "x" : "i");
        return PROOF_FAILED;
    }
    Tr b = at(pv, true);
    Z3_ast base = base_term(&b, p);
    pv->var_used = b.var_used;
    pv->sol = base ? new_solver(vc, vc->prove_params) : NULL;
    if (!pv->sol) {
        report_unknown(vc, method_loc(p), claim, "assumptions the prover cannot encode");
        return PROOF_UNKNOWN;
    }
    Z3_solver_assert(vc->ctx, pv->sol, base);
    Res r = z3_ok(vc) ? prove_all(pv) : R_UNKNOWN;
    if (r == R_UNKNOWN && !pv->unknown)
        report_unknown(vc, method_loc(p), claim, "Z3 error");
    Z3_solver_dec_ref(vc->ctx, pv->sol);
    if (r == R_SAT)
        return PROOF_FAILED;
    return pv->unknown || r == R_UNKNOWN ? PROOF_UNKNOWN : PROOF_PROVEN;
}

ProofStatus verify_prog(VerifyCtx *vc, SynthProg *p)
{
    if (!vc || !p || !p->unit)
        return PROOF_UNKNOWN;
    Prover pv = { .vc = vc, .p = p };
    char claim[512];
    snprintf(pv.op, sizeof pv.op, "synthesized `%s` of unit `%s`",
             p->op < SYN_COUNT ? synth_op_names[p->op] : "?", p->unit->name ? p->unit->name : "?");
    snprintf(claim, sizeof claim, "%s meets its contract", pv.op);
    ProofStatus st = PROOF_UNKNOWN;
    if (frame_init(vc, &pv.fr, p)) {
        /* the program starts from the inputs: pre-state, unknown locals */
        int n = pv.fr.ns + pv.fr.ni;
        pv.post = calloc((size_t)n + 1, sizeof *pv.post);
        if (pv.post) {
            pv.post_local = pv.post + pv.fr.ns;
            memcpy(pv.post, pv.fr.pre, sizeof *pv.post * (size_t)n);
            st = prove_prog(&pv, claim);
        }
    }
    if (!pv.post)
        report_unknown(vc, method_loc(p), claim, "Z3 could not set up the state");
    free(pv.post);
    frame_free(&pv.fr);
    return st;
}

/* ---- verify_equal --------------------------------------------------------- */

static void eq_drop(VerifyCtx *vc)
{
    if (vc->eq.sol)
        Z3_solver_dec_ref(vc->ctx, vc->eq.sol);
    frame_free(&vc->eq.fr);
    vc->eq = (EqCache){ 0 };
}

/* Make the cached solver hold p's assumptions. A GoalSet that gained an
 * assumption (or a new one at p's address) has another items array. */
static bool eq_prepare(VerifyCtx *vc, const SynthProg *p)
{
    EqCache *c = &vc->eq;
    if (c->sol && c->prog == p && c->op == p->op && c->fr.u == p->unit
        && c->assumes == p->goals.assumes.items && c->nassumes == p->goals.assumes.len)
        return true;
    eq_drop(vc);
    if (!frame_init(vc, &c->fr, p))
        return false;
    c->prog = p;
    c->op = p->op;
    c->assumes = p->goals.assumes.items;
    c->nassumes = p->goals.assumes.len;
    Tr t = tr_new(vc, &c->fr, c->fr.pre, c->fr.init);
    Z3_ast base = base_term(&t, p);
    c->sol = base ? new_solver(vc, vc->equal_params) : NULL;
    if (c->sol)
        Z3_solver_assert(vc->ctx, c->sol, base);
    if (c->sol && z3_ok(vc))
        return true;
    eq_drop(vc);
    return false;
}

bool verify_equal(VerifyCtx *vc, const SynthProg *p, const Sx *guard, const Sx *x, const Sx *y)
{
    if (!vc || !p || !p->unit || !x || !y)
        return false;
    if (x == y)
        return true;
    if (!eq_prepare(vc, p))
        return false;
    EqCache *c = &vc->eq;
    Tr t = tr_new(vc, &c->fr, c->fr.pre, c->fr.init);
    Z3_ast bad = mk_not(&t, same(&t, ev(&t, x, 0), ev(&t, y, 0)));
    if (guard)
        bad = and2(&t, bad, ev_bool(&t, guard));
    if (t.failed || !bad)
        return false;
    Z3_solver_push(vc->ctx, c->sol);
    Z3_solver_assert(vc->ctx, c->sol, bad);
    Z3_lbool r = z3_ok(vc) ? Z3_solver_check(vc->ctx, c->sol) : Z3_L_UNDEF;
    bool ok = z3_ok(vc);
    Z3_solver_pop(vc->ctx, c->sol, 1);
    if (!ok || !z3_ok(vc))
        eq_drop(vc);   /* the solver's scopes may be off: start afresh */
    return ok && r == Z3_L_FALSE;
}

/* ---- context -------------------------------------------------------------- */

/* A query's budget: `rlimit` counts Z3's own steps, so whether a query
 * finishes does not depend on the machine's load (a time limit made the
 * simplifier, and so the generated code, differ between a busy and an idle
 * machine); the time limit stays as a last resort. */
static Z3_params mk_params(VerifyCtx *vc, unsigned timeout_ms, unsigned rlimit)
{
    Z3_params params = Z3_mk_params(vc->ctx);
    if (!params || !z3_ok(vc))
        return NULL;
    Z3_params_inc_ref(vc->ctx, params);
    Z3_params_set_uint(vc->ctx, params, Z3_mk_string_symbol(vc->ctx, "timeout"), timeout_ms);
    if (rlimit)
        Z3_params_set_uint(vc->ctx, params, Z3_mk_string_symbol(vc->ctx, "rlimit"), rlimit);
    if (z3_ok(vc))
        return params;
    Z3_params_dec_ref(vc->ctx, params);
    return NULL;
}

static Z3_ast mk_arg(VerifyCtx *vc, const char *name, Z3_sort sort)
{
    return Z3_mk_const(vc->ctx, Z3_mk_string_symbol(vc->ctx, name), sort);
}

VerifyCtx *verify_new(SemaProgram *sp)
{
    VerifyCtx *vc = sp && sp->diag ? calloc(1, sizeof *vc) : NULL;
    Z3_config cfg = vc ? Z3_mk_config() : NULL;
    if (!cfg) {
        free(vc);
        return NULL;
    }
    vc->sp = sp;
    vc->ctx = Z3_mk_context(cfg);
    Z3_del_config(cfg);
    if (!vc->ctx) {
        free(vc);
        return NULL;
    }
    /* No handler: errors only set the code that chk()/z3_ok() look at. */
    Z3_set_error_handler(vc->ctx, NULL);
    /* wide enough for the global flags and any (legacy) unit-level block */
    vc->nflags = sp->flags.len > 0 ? (unsigned)sp->flags.len : 1;
    VEC_FOREACH(const SemaUnit *, u, sp->units)
        if (u->unit_flags && (unsigned)u->unit_flags->flags.len > vc->nflags)
            vc->nflags = (unsigned)u->unit_flags->flags.len;
    Z3_sort bv64 = Z3_mk_bv_sort(vc->ctx, 64);
    vc->va = mk_arg(vc, "va", bv64);
    vc->sz = mk_arg(vc, "sz", bv64);
    vc->pa = mk_arg(vc, "pa", bv64);
    vc->flgs = mk_arg(vc, "flgs", Z3_mk_bv_sort(vc->ctx, vc->nflags));
    vc->var_i = mk_arg(vc, "i", bv64);
    vc->var_x = mk_arg(vc, "x", bv64);
    vc->one = Z3_mk_unsigned_int64(vc->ctx, 1, Z3_mk_bv_sort(vc->ctx, 1));
    if (z3_ok(vc)) {
        vc->prove_params = mk_params(vc, PROVE_TIMEOUT_MS, 0);
        vc->equal_params = mk_params(vc, EQUAL_TIMEOUT_MS, EQUAL_RLIMIT);
    }
    if (vc->prove_params && vc->equal_params)
        return vc;
    verify_free(vc);
    return NULL;
}

void verify_free(VerifyCtx *vc)
{
    if (!vc)
        return;
    eq_drop(vc);
    if (vc->prove_params)
        Z3_params_dec_ref(vc->ctx, vc->prove_params);
    if (vc->equal_params)
        Z3_params_dec_ref(vc->ctx, vc->equal_params);
    Z3_del_context(vc->ctx);
    free(vc);
}
