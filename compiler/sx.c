/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sx.c - symbolic expressions: constructors that fold, comparison,
 * substitution and the C-like printer (semantics in sx.h).
 *
 * Folding is limited to identities that hold for every value under the
 * 64-bit wrapping semantics, so a folded tree always means the same as the
 * unfolded one; anything that needs the assumptions of an operation (e.g.
 * `(va >> 12) << 12 == va` for aligned va) is the prover's job
 * (verify_equal). Sums are normalized: `a + b - a` cancels to `b`.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sx.h"

const char *const sx_kind_names[] = {
#define X(k, s) s,
    SX_KINDS(X)
#undef X
};

const char *const sx_arg_names[] = { "va", "sz", "flgs", "pa" };

static Sx *node(Arena *a, SxKind k)
{
    Sx *x = arena_alloc(a, sizeof *x);
    x->kind = k;
    return x;
}

Sx *sx_num(Arena *a, uint64_t v)
{
    Sx *x = node(a, SX_NUM);
    x->num = v;
    return x;
}

Sx *sx_bool(Arena *a, bool v)
{
    Sx *x = sx_num(a, v);
    x->is_bool = true;
    return x;
}

Sx *sx_arg(Arena *a, SxArg arg)
{
    Sx *x = node(a, SX_ARG);
    x->arg = arg;
    return x;
}

Sx *sx_flag(Arena *a, int bit, const char *name)
{
    Sx *x = node(a, SX_FLAG);
    x->flag = bit;
    x->name = name;
    x->is_bool = true;
    return x;
}

static Sx *slice_node(Arena *a, SxKind k, const SField *f, unsigned lo, unsigned hi,
                      const char *name)
{
    Sx *x = node(a, k);
    x->field = f;
    x->lo = lo;
    x->hi = hi;
    x->name = name;
    return x;
}

Sx *sx_state(Arena *a, const SField *f, unsigned lo, unsigned hi, const char *name)
{
    return slice_node(a, SX_STATE, f, lo, hi, name);
}

Sx *sx_cur(Arena *a, const SField *f, unsigned lo, unsigned hi, const char *name)
{
    return slice_node(a, SX_CUR, f, lo, hi, name);
}

Sx *sx_var(Arena *a)
{
    return node(a, SX_VAR);
}

Sx *sx_param(Arena *a, int index, const char *name)
{
    Sx *x = node(a, SX_PARAM);
    x->arg = (SxArg)index;
    x->name = name;
    return x;
}

bool sx_is_num(const Sx *x, uint64_t v)
{
    return x && x->kind == SX_NUM && x->num == v;
}

static bool is_const(const Sx *x)
{
    return x && x->kind == SX_NUM;
}

static bool is_logic(BinOp op)
{
    return op == OP_IMPLIES || op == OP_LOR || op == OP_LAND;
}

static bool is_compare(BinOp op)
{
    return op >= OP_EQ && op <= OP_GE;
}

static uint64_t log2_u64(uint64_t v)
{
    uint64_t r = 0;
    while (v >>= 1)
        r++;
    return r;
}

/* Constant folding of a binary operator (the Sx semantics, sx.h). */
static uint64_t fold(BinOp op, uint64_t l, uint64_t r)
{
    switch (op) {
    case OP_IMPLIES: return !l || r;
    case OP_LOR:     return l || r;
    case OP_LAND:    return l && r;
    case OP_EQ:      return l == r;
    case OP_NE:      return l != r;
    case OP_LT:      return l < r;
    case OP_GT:      return l > r;
    case OP_LE:      return l <= r;
    case OP_GE:      return l >= r;
    case OP_BOR:     return l | r;
    case OP_BXOR:    return l ^ r;
    case OP_BAND:    return l & r;
    case OP_SHL:     return r >= 64 ? 0 : l << r;
    case OP_SHR:     return r >= 64 ? 0 : l >> r;
    case OP_ADD:     return l + r;
    case OP_SUB:     return l - r;
    case OP_MUL:     return l * r;
    case OP_DIV:     return r ? l / r : UINT64_MAX;
    case OP_MOD:     return r ? l % r : l;
    }
    return 0;
}

static Sx *raw_bin(Arena *a, BinOp op, Sx *l, Sx *r)
{
    Sx *x = node(a, SX_BIN);
    x->op = op;
    x->a = l;
    x->b = r;
    x->is_bool = is_logic(op) || is_compare(op);
    return x;
}

/* ---- sums: flatten, cancel, rebuild ------------------------------------------ */

typedef struct Term {
    Sx  *x;
    bool neg;
} Term;

enum { MAX_TERMS = 32 };

/* Flatten l op r (op is + or -) into signed terms in written order, with the
 * constants summed into *k. Returns -1 if there are too many terms. */
static int flatten(Sx *l, Sx *r, BinOp op, Term *out, uint64_t *k)
{
    Term stack[2 * MAX_TERMS];
    int sp = 0, n = 0;
    stack[sp++] = (Term){ r, op == OP_SUB };
    stack[sp++] = (Term){ l, false };
    while (sp > 0) {
        Term t = stack[--sp];
        if (t.x->kind == SX_BIN && (t.x->op == OP_ADD || t.x->op == OP_SUB)) {
            if (sp + 2 > 2 * MAX_TERMS)
                return -1;
            stack[sp++] = (Term){ t.x->b, t.x->op == OP_SUB ? !t.neg : t.neg };
            stack[sp++] = (Term){ t.x->a, t.neg };
            continue;
        }
        if (t.x->kind == SX_NUM && !t.x->is_bool) {
            *k += t.neg ? -t.x->num : t.x->num;
            continue;
        }
        if (n == MAX_TERMS)
            return -1;
        out[n++] = t;
    }
    return n;
}

/* a + b - a == b: cancel equal terms of opposite sign, then rebuild with the
 * positive terms first (in written order), the negative ones, the constant. */
static Sx *sum_fold(Arena *a, BinOp op, Sx *l, Sx *r)
{
    Term t[MAX_TERMS];
    uint64_t k = 0;
    int n = flatten(l, r, op, t, &k);
    if (n < 0)
        return raw_bin(a, op, l, r);
    bool dead[MAX_TERMS] = { false };
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && !dead[i]; j++)
            if (!dead[j] && t[i].neg != t[j].neg && sx_equal(t[i].x, t[j].x))
                dead[i] = dead[j] = true;
    Sx *acc = NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            if (dead[i] || t[i].neg != (pass == 1))
                continue;
            if (!acc)
                acc = t[i].neg ? raw_bin(a, OP_SUB, sx_num(a, 0), t[i].x) : t[i].x;
            else
                acc = raw_bin(a, t[i].neg ? OP_SUB : OP_ADD, acc, t[i].x);
        }
    }
    if (!acc)
        return sx_num(a, k);
    if (k == 0)
        return acc;
    /* x + (-k) reads better as x - k */
    if (k > (UINT64_MAX >> 1))
        return raw_bin(a, OP_SUB, acc, sx_num(a, -k));
    return raw_bin(a, OP_ADD, acc, sx_num(a, k));
}

/* ---- constructors ------------------------------------------------------------ */

Sx *sx_bin(Arena *a, BinOp op, Sx *l, Sx *r)
{
    if (!l || !r)
        return NULL;
    if (is_const(l) && is_const(r)) {
        uint64_t v = fold(op, l->num, r->num);
        return is_logic(op) || is_compare(op) ? sx_bool(a, v) : sx_num(a, v);
    }
    switch (op) {
    case OP_LAND:
        if (is_const(l))
            return l->num ? r : sx_bool(a, false);
        if (is_const(r))
            return r->num ? l : sx_bool(a, false);
        break;
    case OP_LOR:
        if (is_const(l))
            return l->num ? sx_bool(a, true) : r;
        if (is_const(r))
            return r->num ? sx_bool(a, true) : l;
        break;
    case OP_IMPLIES:
        if (is_const(l))
            return l->num ? r : sx_bool(a, true);
        if (is_const(r) && r->num)
            return sx_bool(a, true);
        break;
    case OP_EQ:
    case OP_NE:
        if (sx_equal(l, r))
            return sx_bool(a, op == OP_EQ);
        /* b == 1, b != 0, b == true on a bool b */
        if (l->is_bool && is_const(r) && (r->num == 0 || r->num == 1))
            return (r->num == 1) == (op == OP_EQ) ? l : sx_not(a, l);
        break;
    case OP_ADD:
    case OP_SUB:
        return sum_fold(a, op, l, r);
    case OP_BOR:
    case OP_BXOR:
        if (sx_is_num(l, 0))
            return r;
        if (sx_is_num(r, 0))
            return l;
        break;
    case OP_BAND:
        if (sx_is_num(l, 0) || sx_is_num(r, 0))
            return sx_num(a, 0);
        /* a slice masked to its low w bits is the slice of those bits */
        if ((l->kind == SX_STATE || l->kind == SX_CUR) && is_const(r) && r->num
            && !(r->num & (r->num + 1))) {
            unsigned w = 0;
            while (w < 64 && (r->num >> w) & 1)
                w++;
            if (w >= l->hi - l->lo)
                return l;
            return slice_node(a, l->kind, l->field, l->lo, l->lo + w, NULL);
        }
        if (sx_is_num(r, UINT64_MAX))
            return l;
        if (sx_is_num(l, UINT64_MAX))
            return r;
        break;
    case OP_SHL:
    case OP_SHR:
        if (sx_is_num(r, 0))
            return l;
        if (sx_is_num(l, 0))
            return l;
        if (is_const(r) && r->num >= 64)
            return sx_num(a, 0);
        /* a slice shifted right is the slice of its upper bits */
        if (op == OP_SHR && (l->kind == SX_STATE || l->kind == SX_CUR) && is_const(r)) {
            if (r->num >= l->hi - l->lo)
                return sx_num(a, 0);
            return slice_node(a, l->kind, l->field, l->lo + (unsigned)r->num, l->hi, NULL);
        }
        /* (x >> k) >> m == x >> (k + m), same for << */
        if (is_const(r) && l->kind == SX_BIN && l->op == op && is_const(l->b)
            && l->b->num < 64 && r->num < 64)
            return sx_bin(a, op, l->a, sx_num(a, l->b->num + r->num));
        break;
    case OP_MUL:
        if (sx_is_num(r, 1))
            return l;
        if (sx_is_num(l, 1))
            return r;
        if (sx_is_num(l, 0) || sx_is_num(r, 0))
            return sx_num(a, 0);
        break;
    case OP_DIV:
        if (sx_is_num(r, 1))
            return l;
        break;
    default:
        break;
    }
    return raw_bin(a, op, l, r);
}

Sx *sx_not(Arena *a, Sx *b)
{
    if (!b)
        return NULL;
    if (is_const(b))
        return sx_bool(a, !b->num);
    if (b->kind == SX_UN && b->uop == OP_NOT && b->a->is_bool)
        return b->a;
    if (b->kind == SX_BIN && is_compare(b->op)) {
        static const BinOp neg[] = { [OP_EQ] = OP_NE, [OP_NE] = OP_EQ, [OP_LT] = OP_GE,
                                     [OP_GT] = OP_LE, [OP_LE] = OP_GT, [OP_GE] = OP_LT };
        return raw_bin(a, neg[b->op], b->a, b->b);
    }
    Sx *x = node(a, SX_UN);
    x->uop = OP_NOT;
    x->a = b;
    x->is_bool = true;
    return x;
}

Sx *sx_un(Arena *a, UnOp op, Sx *v)
{
    if (!v)
        return NULL;
    if (op == OP_NOT)
        return sx_not(a, v);
    if (is_const(v))
        return sx_num(a, ~v->num);
    if (v->kind == SX_UN && v->uop == OP_BITNOT)
        return v->a;
    Sx *x = node(a, SX_UN);
    x->uop = op;
    x->a = v;
    return x;
}

Sx *sx_ite(Arena *a, Sx *c, Sx *t, Sx *e)
{
    if (!c || !t || !e)
        return NULL;
    if (is_const(c))
        return c->num ? t : e;
    if (sx_equal(t, e))
        return t;
    /* c ? 1 : 0 on a bool c is c itself (as an integer it reads 1/0) */
    if (c->is_bool && sx_is_num(t, 1) && sx_is_num(e, 0) && !t->is_bool && !e->is_bool)
        return c;
    if (c->is_bool && sx_is_num(t, 0) && sx_is_num(e, 1) && !t->is_bool && !e->is_bool)
        return sx_not(a, c);
    if (c->kind == SX_UN && c->uop == OP_NOT)
        return sx_ite(a, c->a, e, t);
    /* c ? t : (c ? x : y) == c ? t : y, and c ? (c ? x : y) : e == c ? x : e */
    if (e->kind == SX_ITE && sx_equal(e->a, c))
        return sx_ite(a, c, t, e->c);
    if (t->kind == SX_ITE && sx_equal(t->a, c))
        return sx_ite(a, c, t->b, e);
    Sx *x = node(a, SX_ITE);
    x->a = c;
    x->b = t;
    x->c = e;
    x->is_bool = t->is_bool && e->is_bool;
    return x;
}

Sx *sx_log2(Arena *a, Sx *v)
{
    if (!v)
        return NULL;
    if (is_const(v))
        return sx_num(a, log2_u64(v->num));
    /* log2(1 << e) == e when e < 64: not foldable in general (e >= 64) */
    Sx *x = node(a, SX_LOG2);
    x->a = v;
    return x;
}

/* ---- queries ----------------------------------------------------------------- */

bool sx_equal(const Sx *x, const Sx *y)
{
    if (x == y)
        return true;
    if (!x || !y || x->kind != y->kind)
        return false;
    switch (x->kind) {
    case SX_NUM:
        return x->num == y->num && x->is_bool == y->is_bool;
    case SX_ARG:
        return x->arg == y->arg;
    case SX_FLAG:
        return x->flag == y->flag;
    case SX_STATE:
    case SX_CUR:
        return x->lo == y->lo && x->hi == y->hi
               && (x->field == y->field
                   || (x->field && y->field && strcmp(x->field->name, y->field->name) == 0));
    case SX_VAR:
        return true;
    case SX_PARAM:
        return x->arg == y->arg;
    case SX_BIN:
        return x->op == y->op && sx_equal(x->a, y->a) && sx_equal(x->b, y->b);
    case SX_UN:
        return x->uop == y->uop && sx_equal(x->a, y->a);
    case SX_ITE:
        return sx_equal(x->a, y->a) && sx_equal(x->b, y->b) && sx_equal(x->c, y->c);
    case SX_LOG2:
        return sx_equal(x->a, y->a);
    }
    return false;
}

bool sx_mentions(const Sx *x, SxKind k)
{
    if (!x)
        return false;
    if (x->kind == k)
        return true;
    return sx_mentions(x->a, k) || sx_mentions(x->b, k) || sx_mentions(x->c, k);
}

const Sx *sx_state_bit(const Sx *d, bool *neg)
{
    *neg = false;
    if (d->kind == SX_BIN && d->b->kind == SX_NUM && (d->op == OP_NE || d->op == OP_EQ)
        && (d->b->num == 0 || d->b->num == 1)) {
        *neg = (d->op == OP_EQ) == (d->b->num == 0);
        d = d->a;
    }
    if (d->kind == SX_UN && d->uop == OP_NOT) {
        *neg = !*neg;
        d = d->a;
    }
    return d->kind == SX_STATE && d->hi == d->lo + 1 ? d : NULL;
}

bool sx_only_args(const Sx *x, unsigned args)
{
    if (!x)
        return true;
    switch (x->kind) {
    case SX_ARG:
        return (args >> x->arg) & 1;
    case SX_STATE:
    case SX_CUR:
    case SX_VAR:
    case SX_PARAM:
        return false;
    default:
        return sx_only_args(x->a, args) && sx_only_args(x->b, args) && sx_only_args(x->c, args);
    }
}

bool sx_mentions_state(const Sx *x, const SField *f, unsigned lo, unsigned hi)
{
    if (!x)
        return false;
    if (x->kind == SX_STATE && x->lo < hi && lo < x->hi
        && (x->field == f || strcmp(x->field->name, f->name) == 0))
        return true;
    return sx_mentions_state(x->a, f, lo, hi) || sx_mentions_state(x->b, f, lo, hi)
           || sx_mentions_state(x->c, f, lo, hi);
}

Sx *sx_refold(Arena *a, Sx *x)
{
    if (!x)
        return NULL;
    switch (x->kind) {
    case SX_BIN:
        return sx_bin(a, x->op, x->a, x->b);
    case SX_UN:
        return sx_un(a, x->uop, x->a);
    case SX_ITE:
        return sx_ite(a, x->a, x->b, x->c);
    case SX_LOG2:
        return sx_log2(a, x->a);
    default:
        return x;
    }
}

static Sx *rebuild(Arena *a, const Sx *x, Sx *na, Sx *nb, Sx *nc)
{
    if (na == x->a && nb == x->b && nc == x->c)
        return (Sx *)x;
    Sx *n = node(a, x->kind);
    *n = *x;
    n->a = na;
    n->b = nb;
    n->c = nc;
    return sx_refold(a, n);
}

Sx *sx_subst(Arena *a, Sx *x, const Sx *from, Sx *to)
{
    if (!x)
        return NULL;
    if (sx_equal(x, from))
        return to;
    return rebuild(a, x, sx_subst(a, x->a, from, to), sx_subst(a, x->b, from, to),
                   sx_subst(a, x->c, from, to));
}

Sx *sx_subst_var(Arena *a, Sx *x, Sx *by)
{
    Sx v = { .kind = SX_VAR };
    return sx_subst(a, x, &v, by);
}

/* ---- printing ----------------------------------------------------------------- */

typedef struct Out {
    char  *buf;
    size_t n, len;
    bool   trunc;
} Out;

static void put(Out *o, const char *s)
{
    size_t l = strlen(s);
    if (o->len + l + 4 >= o->n) {
        o->trunc = true;
        return;
    }
    memcpy(o->buf + o->len, s, l + 1);
    o->len += l;
}

static void putnum(Out *o, uint64_t v, bool is_bool)
{
    char b[32];
    if (is_bool)
        snprintf(b, sizeof b, "%s", v ? "true" : "false");
    else if (v < 10)
        snprintf(b, sizeof b, "%" PRIu64, v);
    else
        snprintf(b, sizeof b, "0x%" PRIx64, v);
    put(o, b);
}

/* Precedence of a node for parenthesization (binop_prec; atoms bind
 * tightest; ?: loosest). */
static int prec(const Sx *x)
{
    switch (x->kind) {
    case SX_BIN:
        return binop_prec[x->op];
    case SX_UN:
        return PREC_UNARY;
    case SX_ITE:
        return 0;
    default:
        return PREC_UNARY + 1;
    }
}

static void pr(Out *o, const Sx *x);

static bool is_bitwise(const Sx *x)
{
    return x->kind == SX_BIN && (x->op == OP_BAND || x->op == OP_BOR || x->op == OP_BXOR
                                 || x->op == OP_SHL || x->op == OP_SHR);
}

static void pr_sub(Out *o, const Sx *x, int min_prec)
{
    if (prec(x) < min_prec) {
        put(o, "(");
        pr(o, x);
        put(o, ")");
    } else {
        pr(o, x);
    }
}

static void pr_slice(Out *o, const Sx *x)
{
    if (x->kind == SX_STATE)
        put(o, "state.");
    put(o, x->field ? x->field->name : "?");
    if (x->name) {
        put(o, ".");
        put(o, x->name);
    } else if (x->field && (x->lo != 0 || x->hi != x->field->size * 8)) {
        char b[48];
        snprintf(b, sizeof b, "[%u..%u]", x->lo, x->hi);
        put(o, b);
    }
}

static void pr(Out *o, const Sx *x)
{
    if (!x) {
        put(o, "?");
        return;
    }
    switch (x->kind) {
    case SX_NUM:
        putnum(o, x->num, x->is_bool);
        return;
    case SX_ARG:
        put(o, sx_arg_names[x->arg]);
        return;
    case SX_FLAG:
        put(o, "flgs.");
        put(o, x->name ? x->name : "?");
        return;
    case SX_STATE:
    case SX_CUR:
        pr_slice(o, x);
        return;
    case SX_VAR:
        put(o, "i");
        return;
    case SX_PARAM:
        put(o, x->name ? x->name : "?");
        return;
    case SX_BIN: {
        int p = binop_prec[x->op];
        /* comparisons do not chain; arithmetic is left-associative; mixed
         * bitwise/shift operands get parentheses for the reader. */
        bool bitwise = x->op == OP_BAND || x->op == OP_BOR || x->op == OP_BXOR
                       || x->op == OP_SHL || x->op == OP_SHR;
        /* operands of a bitwise or shift operator that are themselves
         * operators get parentheses, whatever C's precedence says */
        int lp = bitwise ? PREC_UNARY : p == PREC_COMPARE ? p + 1 : p;
        if (p <= PREC_COMPARE && is_bitwise(x->a))
            lp = PREC_UNARY;        /* (va & 0xfff) == 0, as a C reader expects */
        pr_sub(o, x->a, x->a->kind == SX_BIN ? lp : p);
        put(o, " ");
        put(o, binop_spelling[x->op]);
        put(o, " ");
        if ((x->op == OP_SHL || x->op == OP_SHR) && x->b->kind == SX_NUM) {
            char b[24];
            snprintf(b, sizeof b, "%" PRIu64, x->b->num);   /* shift counts in decimal */
            put(o, b);
            return;
        }
        pr_sub(o, x->b, x->b->kind == SX_BIN && (bitwise || (p <= PREC_COMPARE && is_bitwise(x->b)))
                            ? PREC_UNARY : p + 1);
        return;
    }
    case SX_UN:
        put(o, unop_spelling[x->uop]);
        pr_sub(o, x->a, PREC_UNARY);
        return;
    case SX_ITE:
        pr_sub(o, x->a, 1);
        put(o, " ? ");
        pr_sub(o, x->b, 1);
        put(o, " : ");
        pr_sub(o, x->c, 0);
        return;
    case SX_LOG2:
        put(o, "log2(");
        pr(o, x->a);
        put(o, ")");
        return;
    }
}

const char *sx_str(char *buf, size_t n, const Sx *x)
{
    Out o = { buf, n, 0, false };
    if (n)
        buf[0] = 0;
    pr(&o, x);
    if (o.trunc && n > 4)
        memcpy(buf + (o.len < n - 4 ? o.len : n - 4), "...", 4);
    return buf;
}

void sx_print(FILE *out, const Sx *x)
{
    char buf[4096];
    fputs(sx_str(buf, sizeof buf, x), out);
}
