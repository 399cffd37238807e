/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lir_interp.c - the reference interpreter of LIR (engine.h): the
 * semantics the C emitter and the JIT are compared against.
 *
 * Input: a checked LModule (lir.h), an EngineMem for page-table memory and
 * the caller's 64-bit arguments; output: the function's result, with env
 * effects on the struct vrs_env the arguments carry. A plain tree walk:
 * clarity over speed, but nothing allocated per expression or statement.
 *
 * Frames. Every slot is a 64-bit word (a record slot: one word per field),
 * a function's slots lie at offsets fixed by linterp_new, and a call takes
 * its frame from a stack of chunks. Chunks are chained, never moved, so a
 * pointer into a live frame (&local passed to a callee) stays valid; freed
 * chunks are kept for the next call.
 *
 * Errors. Running past the call depth limit or the statement budget, or
 * anything lir_check should have refused (a bad slot, a null pointer or
 * env), stops the top-level call: it returns 0, later env operations of
 * that call do not run, and linterp_error keeps the first message until
 * linterp_clear_error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "vrs_env.h"

#define MAX_DEPTH    256
#define BUDGET       (UINT64_C(1) << 32)   /* default statements per top-level call */
#define CHUNK_WORDS  ((size_t)1 << 14)     /* 128 KiB of frames per chunk */

/* Where a slot lives in its function's frame. */
typedef struct SlotAt {
    int   off;           /* first word */
    int   words;         /* 1, or a record's fields */
    LKind kind;          /* LK_REC: the words are the record */
} SlotAt;

typedef struct Layout {
    const LFn *fn;
    SlotAt    *at;       /* per slot */
    int        nslots;
    int        locals;   /* the first word after the parameters */
    int        words;    /* frame size */
} Layout;

typedef struct Chunk Chunk;
struct Chunk {
    Chunk    *next;
    size_t    cap, top;  /* words */
    uint64_t  w[];
};

struct LInterp {
    const LModule *m;
    EngineMem     *mem;
    Layout        *lay;      /* by LFn id */
    SlotAt        *ats;      /* storage of every Layout's at */
    int            nfns;
    Chunk         *first, *cur;
    int            depth;
    uint64_t       budget;   /* statements left in this top-level call */
    uint64_t       limit;    /* and in every one */
    bool           stop;     /* the current top-level call is abandoned */
    bool           has_err;
    char           err[200];
};

/* One activation: the function, its layout and its words. */
typedef struct Frame {
    const LFn    *fn;
    const Layout *lay;
    uint64_t     *w;
} Frame;

typedef enum Flow { FLOW_NEXT, FLOW_BREAK, FLOW_RETURN, FLOW_STOP } Flow;

__attribute__((format(printf, 2, 3)))
static void fail(LInterp *in, const char *fmt, ...)
{
    in->stop = true;
    if (in->has_err)
        return;
    in->has_err = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->err, sizeof in->err, fmt, ap);
    va_end(ap);
}

/* ---- frames -------------------------------------------------------------------------- */

static Chunk *chunk_new(size_t cap)
{
    Chunk *c = malloc(sizeof *c + cap * sizeof(uint64_t));
    if (c) {
        c->next = NULL;
        c->cap = cap;
        c->top = 0;
    }
    return c;
}

/* n words on top of the frame stack; *sc and *stop say how to pop them. */
static uint64_t *frame_push(LInterp *in, size_t n, Chunk **sc, size_t *stop)
{
    Chunk *c = in->cur;
    *sc = c;
    *stop = c->top;
    if (c->cap - c->top < n) {
        Chunk *nx = c->next;
        if (!nx || nx->cap < n) {
            /* a too-small successor stays behind the new chunk, unused */
            Chunk *k = chunk_new(n > CHUNK_WORDS ? n : CHUNK_WORDS);
            if (!k)
                return NULL;
            k->next = nx;
            c->next = k;
            nx = k;
        }
        nx->top = 0;
        in->cur = c = nx;
    }
    uint64_t *w = c->w + c->top;
    c->top += n;
    return w;
}

static void frame_pop(LInterp *in, Chunk *sc, size_t stop)
{
    in->cur = sc;
    sc->top = stop;
}

static const Layout *layout_of(LInterp *in, const LFn *f)
{
    if (!f || f->id < 0 || f->id >= in->nfns || in->lay[f->id].fn != f) {
        fail(in, "call of %s, which is not in the module", f ? f->name : "(null)");
        return NULL;
    }
    return &in->lay[f->id];
}

static int slot_words(const LSlot *s)
{
    return s->ty.kind == LK_REC ? (s->ty.rec ? s->ty.rec->fields.len : 0) : 1;
}

static const LSlot *slot_of(const LFn *f, int k)
{
    return f->slots.items[k];
}

static uint64_t *slot_word(const Frame *fr, int k)
{
    return fr->w + fr->lay->at[k].off;
}

/* ---- expressions --------------------------------------------------------------------- */

static uint64_t eval(LInterp *in, const Frame *fr, const LExpr *e);
static uint64_t call(LInterp *in, const LFn *f, const Frame *caller, LExpr *const *args,
                     const uint64_t *vals);

/* A value stored into a bool converts as in C. */
static uint64_t as_kind(LKind k, uint64_t v)
{
    return k == LK_BOOL ? v != 0 : v;
}

static bool slot_ok(LInterp *in, const Frame *fr, int k)
{
    if (k >= 0 && k < fr->lay->nslots)
        return true;
    fail(in, "%s: slot %d out of range", fr->fn->name, k);
    return false;
}

/* The word an lvalue (slot, field, deref) names; NULL after an error. For a
 * record slot, its word 0. */
static uint64_t *lval(LInterp *in, const Frame *fr, const LExpr *e)
{
    if (!e) {
        fail(in, "%s: missing expression", fr->fn->name);
        return NULL;
    }
    switch (e->kind) {
    case LE_SLOT:
        return slot_ok(in, fr, e->slot) ? slot_word(fr, e->slot) : NULL;
    case LE_FIELD: {
        const LExpr *r = e->a;
        const LRec *rec;
        uint64_t *base;
        if (!r) {
            fail(in, "%s: missing expression", fr->fn->name);
            return NULL;
        }
        if (r->kind == LE_SLOT) {
            if (!slot_ok(in, fr, r->slot))
                return NULL;
            base = slot_word(fr, r->slot);
            if (fr->lay->at[r->slot].kind != LK_REC)
                base = (uint64_t *)(uintptr_t)*base;
            rec = slot_of(fr->fn, r->slot)->ty.rec;
        } else {
            base = (uint64_t *)(uintptr_t)eval(in, fr, r);
            rec = r->ty.rec;
        }
        if (in->stop)
            return NULL;
        if (!rec || e->field < 0 || e->field >= rec->fields.len) {
            fail(in, "%s: field %d of a non-record or out of range", fr->fn->name, e->field);
            return NULL;
        }
        if (!base) {
            fail(in, "%s: field of a null record pointer", fr->fn->name);
            return NULL;
        }
        return base + e->field;
    }
    case LE_DEREF: {
        uint64_t *p = (uint64_t *)(uintptr_t)eval(in, fr, e->a);
        if (in->stop)
            return NULL;
        if (!p)
            fail(in, "%s: dereference of a null pointer", fr->fn->name);
        return p;
    }
    default:
        fail(in, "%s: assignment to, or address of, a non-lvalue", fr->fn->name);
        return NULL;
    }
}

static uint64_t binop(BinOp op, uint64_t a, uint64_t b)
{
    switch (op) {
    case OP_EQ:  return a == b;
    case OP_NE:  return a != b;
    case OP_LT:  return a < b;
    case OP_GT:  return a > b;
    case OP_LE:  return a <= b;
    case OP_GE:  return a >= b;
    case OP_BOR: return a | b;
    case OP_BXOR: return a ^ b;
    case OP_BAND: return a & b;
    case OP_SHL: return b >= 64 ? 0 : a << b;
    case OP_SHR: return b >= 64 ? 0 : a >> b;
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return b ? a / b : UINT64_MAX;
    case OP_MOD: return b ? a % b : a;
    /* short-circuit operators are evaluated by the caller */
    case OP_IMPLIES: return !a || b;
    case OP_LOR:  return a || b;
    case OP_LAND: return a && b;
    }
    return 0;
}

static uint64_t log2_u64(uint64_t x)
{
    return x ? 63 - (uint64_t)__builtin_clzll(x) : 0;
}

/* Page-table memory: the EngineMem, bounds-checked, host byte order. */
static bool mem_range(LInterp *in, uint64_t pa, unsigned width)
{
    EngineMem *mem = in->mem;
    if (pa <= mem->size && width <= mem->size - pa)
        return true;
    if (mem->faults++ == 0)
        mem->fault_pa = pa;
    return false;
}

static uint64_t mem_read(LInterp *in, uint64_t pa, unsigned width)
{
    if (!mem_range(in, pa, width))
        return 0;
    const uint8_t *p = in->mem->base + pa;
    switch (width) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static void mem_write(LInterp *in, uint64_t pa, unsigned width, uint64_t v)
{
    if (!mem_range(in, pa, width))
        return;
    uint8_t *p = in->mem->base + pa;
    switch (width) {
    case 1: *p = (uint8_t)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static uint64_t env_op(LInterp *in, const Frame *fr, const LExpr *e)
{
    uint64_t v[4] = { 0 };
    if ((int)e->env < 0 || e->env >= LENV_COUNT || e->nargs != lir_env_nargs[e->env] + 1) {
        fail(in, "%s: env operation with the wrong arguments", fr->fn->name);
        return 0;
    }
    for (int i = 0; i < e->nargs; i++)
        v[i] = eval(in, fr, e->args[i]);
    if (in->stop)
        return 0;
    struct vrs_env *env = (struct vrs_env *)(uintptr_t)v[0];
    unsigned w = e->width;
    switch (e->env) {
    case LENV_MEM_READ:
    case LENV_MEM_WRITE:
    case LENV_MMIO_READ:
    case LENV_MMIO_WRITE:
        if (w != 1 && w != 2 && w != 4 && w != 8) {
            fail(in, "%s: %s of %u bytes", fr->fn->name, lir_env_names[e->env], w);
            return 0;
        }
        break;
    default:
        break;
    }
    if (e->env == LENV_MEM_READ || e->env == LENV_MEM_WRITE) {
        if (!in->mem) {
            fail(in, "%s: page-table memory access without an EngineMem", fr->fn->name);
            return 0;
        }
        if (e->env == LENV_MEM_READ)
            return mem_read(in, v[1], w);
        mem_write(in, v[1], w, v[2]);
        return 0;
    }
    if (!env) {
        fail(in, "%s: %s on a null env", fr->fn->name, lir_env_names[e->env]);
        return 0;
    }
    switch (e->env) {
    case LENV_MMIO_READ:
        return vrs_mmio_read(env, v[1], w);
    case LENV_MMIO_WRITE:
        vrs_mmio_write(env, v[1], w, v[2]);
        return 0;
    case LENV_REG_READ:
        return vrs_reg_read(env, e->id);
    case LENV_REG_WRITE:
        vrs_reg_write(env, e->id, v[1]);
        return 0;
    case LENV_INSTR:
        vrs_instr(env, e->id);
        return 0;
    case LENV_BARRIER:
        vrs_barrier(env);
        return 0;
    case LENV_ALLOC_TABLE: {
        uint64_t *pa = (uint64_t *)(uintptr_t)v[3];
        if (!pa) {
            fail(in, "%s: alloc_table into a null pointer", fr->fn->name);
            return 0;
        }
        return vrs_alloc_table(env, v[1], v[2], pa);
    }
    case LENV_FREE_TABLE:
        vrs_free_table(env, v[1], v[2]);
        return 0;
    case LENV_TLB_INVAL:
        vrs_tlb_invalidate(env, v[1], v[2]);
        return 0;
    default:
        return 0;
    }
}

/* An expression's value; a record slot's value is its address. */
static uint64_t eval(LInterp *in, const Frame *fr, const LExpr *e)
{
    if (!e) {
        fail(in, "%s: missing expression", fr->fn->name);
        return 0;
    }
    switch (e->kind) {
    case LE_NUM:
        return e->num;
    case LE_SLOT: {
        if (!slot_ok(in, fr, e->slot))
            return 0;
        uint64_t *w = slot_word(fr, e->slot);
        return fr->lay->at[e->slot].kind == LK_REC ? (uint64_t)(uintptr_t)w : *w;
    }
    case LE_FIELD:
    case LE_DEREF: {
        const uint64_t *p = lval(in, fr, e);
        return p ? *p : 0;
    }
    case LE_ADDR:
        if (!e->a || (e->a->kind != LE_SLOT && e->a->kind != LE_FIELD)) {
            fail(in, "%s: address of a non-lvalue", fr->fn->name);
            return 0;
        }
        return (uint64_t)(uintptr_t)lval(in, fr, e->a);
    case LE_BIN: {
        uint64_t a = eval(in, fr, e->a);
        switch (e->op) {
        case OP_LAND:
            return a && eval(in, fr, e->b);
        case OP_LOR:
            return a || eval(in, fr, e->b);
        case OP_IMPLIES:
            return !a || eval(in, fr, e->b);
        default:
            return binop(e->op, a, eval(in, fr, e->b));
        }
    }
    case LE_UN: {
        uint64_t a = eval(in, fr, e->a);
        if (e->uop == OP_NOT)
            return !a;
        if (e->uop == OP_BITNOT)
            return ~a;
        fail(in, "%s: unary operator %d", fr->fn->name, (int)e->uop);
        return 0;
    }
    case LE_ITE:
        return eval(in, fr, e->a) ? eval(in, fr, e->b) : eval(in, fr, e->c);
    case LE_LOG2:
        return log2_u64(eval(in, fr, e->a));
    case LE_CALL:
        if (!e->fn || e->nargs != e->fn->nparams) {
            fail(in, "%s: call with the wrong number of arguments", fr->fn->name);
            return 0;
        }
        return call(in, e->fn, fr, e->args, NULL);
    case LE_ENV:
        return env_op(in, fr, e);
    }
    fail(in, "%s: unknown expression kind %d", fr->fn->name, (int)e->kind);
    return 0;
}

/* ---- statements ---------------------------------------------------------------------- */

static void assign(LInterp *in, const Frame *fr, const LStmt *s)
{
    const LExpr *lhs = s->lhs;
    if (lhs && lhs->kind == LE_SLOT && slot_ok(in, fr, lhs->slot)
        && fr->lay->at[lhs->slot].kind == LK_REC) {
        /* a record assigned whole: copied, as a C struct is */
        uint64_t *dst = slot_word(fr, lhs->slot);
        const uint64_t *src = (const uint64_t *)(uintptr_t)eval(in, fr, s->rhs);
        int n = fr->lay->at[lhs->slot].words;
        if (in->stop || !n || src == dst)
            return;
        if (src)
            memmove(dst, src, (size_t)n * sizeof *dst);
        else
            fail(in, "%s: record assigned from a null pointer", fr->fn->name);
        return;
    }
    /* C evaluates either side first; we take the right one, then the place */
    uint64_t v = eval(in, fr, s->rhs);
    uint64_t *p = lval(in, fr, lhs);
    if (p && !in->stop)
        *p = as_kind(lhs->ty.kind, v);
}

static Flow exec_block(LInterp *in, const Frame *fr, const PtrVec *b, uint64_t *ret);

static Flow over_budget(LInterp *in, const Frame *fr)
{
    fail(in, "statement budget of %llu exhausted in %s", (unsigned long long)in->limit,
         fr->fn->name);
    return FLOW_STOP;
}

static Flow exec(LInterp *in, const Frame *fr, const LStmt *s, uint64_t *ret)
{
    if (in->budget-- == 0)
        return over_budget(in, fr);
    switch (s->kind) {
    case LS_ASSIGN:
        assign(in, fr, s);
        break;
    case LS_EXPR:
        eval(in, fr, s->rhs);
        break;
    case LS_IF: {
        uint64_t c = eval(in, fr, s->rhs);
        if (in->stop)
            return FLOW_STOP;
        return exec_block(in, fr, c ? &s->body : &s->els, ret);
    }
    case LS_WHILE:
        for (;;) {
            uint64_t c = eval(in, fr, s->rhs);
            if (in->stop)
                return FLOW_STOP;
            if (!c)
                break;
            Flow fl = exec_block(in, fr, &s->body, ret);
            if (fl == FLOW_BREAK)
                break;
            if (fl != FLOW_NEXT)
                return fl;
            /* an empty body must not spin forever */
            if (in->budget-- == 0)
                return over_budget(in, fr);
        }
        break;
    case LS_BREAK:
        return FLOW_BREAK;
    case LS_RETURN:
        *ret = s->rhs ? as_kind(fr->fn->ret.kind, eval(in, fr, s->rhs)) : 0;
        return in->stop ? FLOW_STOP : FLOW_RETURN;
    default:
        fail(in, "%s: unknown statement kind %d", fr->fn->name, (int)s->kind);
        break;
    }
    return in->stop ? FLOW_STOP : FLOW_NEXT;
}

static Flow exec_block(LInterp *in, const Frame *fr, const PtrVec *b, uint64_t *ret)
{
    for (int i = 0; i < b->len; i++) {
        Flow fl = exec(in, fr, b->items[i], ret);
        if (fl != FLOW_NEXT)
            return fl;
    }
    return FLOW_NEXT;
}

/* Runs f with arguments either evaluated from `args` in the caller's frame
 * or given as `vals`. A record parameter receives a copy of the record its
 * argument points to. */
static uint64_t call(LInterp *in, const LFn *f, const Frame *caller, LExpr *const *args,
                     const uint64_t *vals)
{
    if (in->stop)
        return 0;
    const Layout *lay = layout_of(in, f);
    if (!lay)
        return 0;
    if (f->nparams > lay->nslots) {
        fail(in, "%s: more parameters than slots", f->name);
        return 0;
    }
    if (in->depth >= MAX_DEPTH) {
        fail(in, "call depth limit of %d exceeded calling %s", MAX_DEPTH, f->name);
        return 0;
    }
    Chunk *sc;
    size_t stop;
    uint64_t *w = frame_push(in, (size_t)lay->words, &sc, &stop);
    if (!w) {
        fail(in, "out of memory for the frame of %s", f->name);
        return 0;
    }
    /* arguments go straight into the new frame: calls among them push
     * their frames above it and pop back */
    for (int i = 0; i < f->nparams && !in->stop; i++) {
        const SlotAt *at = &lay->at[i];
        uint64_t v = vals ? vals[i] : eval(in, caller, args[i]);
        uint64_t *p = w + at->off;
        if (at->kind != LK_REC) {
            *p = as_kind(at->kind, v);
            continue;
        }
        int n = at->words;
        if (n && !v)
            fail(in, "%s: record parameter %d from a null pointer", f->name, i);
        else if (n)
            memcpy(p, (const uint64_t *)(uintptr_t)v, (size_t)n * sizeof *p);
    }
    uint64_t ret = 0;
    if (!in->stop) {
        memset(w + lay->locals, 0, (size_t)(lay->words - lay->locals) * sizeof *w);
        Frame fr = { f, lay, w };
        in->depth++;
        if (exec_block(in, &fr, &f->body, &ret) == FLOW_STOP)
            ret = 0;
        in->depth--;
    }
    frame_pop(in, sc, stop);
    return in->stop ? 0 : ret;
}

/* ---- the interface --------------------------------------------------------------------- */

LInterp *linterp_new(const LModule *m, EngineMem *mem)
{
    LInterp *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->m = m;
    in->mem = mem;
    in->limit = BUDGET;
    in->nfns = m->fns.len;
    int nslots = 0;
    VEC_FOREACH(const LFn *, f, m->fns)
        nslots += f->slots.len;
    in->lay = calloc((size_t)in->nfns + 1, sizeof *in->lay);
    in->ats = calloc((size_t)nslots + 1, sizeof *in->ats);
    in->first = in->cur = chunk_new(CHUNK_WORDS);
    if (!in->lay || !in->ats || !in->first) {
        linterp_free(in);
        return NULL;
    }
    SlotAt *at = in->ats;
    VEC_FOREACH(const LFn *, f, m->fns) {
        Layout *l = &in->lay[f_i];
        l->fn = f;
        l->at = at;
        l->nslots = f->slots.len;
        VEC_FOREACH(const LSlot *, s, f->slots) {
            if (s_i == f->nparams)
                l->locals = l->words;
            at[s_i] = (SlotAt){ l->words, slot_words(s), s->ty.kind };
            l->words += at[s_i].words;
        }
        if (f->nparams >= f->slots.len)
            l->locals = l->words;
        at += f->slots.len;
    }
    return in;
}

void linterp_free(LInterp *in)
{
    if (!in)
        return;
    for (Chunk *c = in->first, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(in->lay);
    free(in->ats);
    free(in);
}

uint64_t linterp_call(LInterp *in, const LFn *f, const uint64_t *args)
{
    /* a call from inside an env callback shares the running call's budget */
    if (in->depth == 0) {
        in->stop = false;
        in->budget = in->limit;
    }
    if (f && f->nparams && !args) {
        fail(in, "call of %s without its %d arguments", f->name, f->nparams);
        return 0;
    }
    static const uint64_t none[1] = { 0 };
    return call(in, f, NULL, NULL, args ? args : none);
}

/* A testing hook (tests/lir/interp_test.c declares it; proposed for
 * engine.h): the statement budget of the following top-level calls. */
void linterp_set_budget(LInterp *in, uint64_t statements);
void linterp_set_budget(LInterp *in, uint64_t statements)
{
    in->limit = statements;
}

const char *linterp_error(const LInterp *in)
{
    return in->has_err ? in->err : NULL;
}

void linterp_clear_error(LInterp *in)
{
    in->has_err = false;
    in->err[0] = '\0';
}
