/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * jit.c - the libgccjit backend of engine.h: the functions of an LModule
 * compiled to native code, each set of them in one gcc_jit_context.
 *
 * Input: a checked LModule (lir.h) and the EngineMem its page-table
 * accesses go to; output: a Jit whose functions run through jit_call
 * (arguments as uint64_t[]) or directly (jit_native). The semantics are
 * lir.h's, as lir_interp.c executes them:
 *   - inside a function every scalar is a uint64_t (a bool 0/1); a value
 *     stored into a bool place, passed as a bool or returned as one becomes
 *     0/1, as in C; pointers and the env are real pointer types; a record
 *     is a struct of 64-bit fields (the env field a void *), so its layout
 *     is uint64_t[n];
 *   - the operations that are undefined or trap in C are guarded without
 *     branches: shifts by >= 64 give 0, x / 0 = UINT64_MAX, x % 0 = x,
 *     log2(0) = 0;
 *   - evaluation is left to right: calls and env operations run at once
 *     into temporaries, and an operand is saved before a later one with an
 *     effect runs; && || ==> and ?: run only what C would run;
 *   - MEM reads and writes are inlined against the EngineMem, whose base
 *     and size are read at run time (the REPL may load another image); the
 *     out-of-range path and every other env operation call the small C
 *     helpers below through function pointers baked in as constants.
 *
 * Every function is exported under its LIR name with its native signature
 * (jit_native): a bool parameter or result is a C bool, the env a pointer,
 * a pointer parameter a pointer, a record parameter a struct by value, any
 * other scalar a uint64_t. jit_call goes through one entry per signature,
 * vrsc_jit_entryN(fn, const uint64_t *args), which unpacks 64-bit arguments
 * (a record argument: a pointer to its words, as the interpreter takes it)
 * and returns the result in 64 bits (void or a record: 0); gcc cannot
 * inline through it, so entries cost next to nothing to compile. The
 * shared object is built with -fno-semantic-interposition, so exported
 * functions still inline into each other, and -fno-strict-aliasing, since
 * page-table memory is read and written at different widths.
 *
 * What a context costs decides how it is compiled. gcc's time grows with
 * the statements it is given (-O0 costs half of what -O2 does), and every
 * context pays a fixed ~20 ms: gcc's start, then the assembler, the linker
 * and dlopen. So:
 *   - jit_compile (the differential tests) compiles the whole module at
 *     -O2, every function exported, as before;
 *   - jit_compile_some and jit_add compile only the call-graph closure of
 *     the functions a caller names (`vrsc translate` needs resolve, and
 *     the traced walk for faults, not map or init), at -O1 with gcc's IPA and points-to analyses
 *     off (lean_flags). The functions named are exported; the rest are
 *     internal, so gcc inlines one called once and emits no copy of it. A
 *     MEM access is one small always-inlined function per width and
 *     direction, built once. For x86-64's resolve and walk that is 300M
 *     instructions of gcc (-O1 with accesses inline and no lean flags:
 *     328M; -O2: 506M; the whole module at -O2: 4.6G; an empty context:
 *     52M), and resolve runs slightly fewer instructions than the whole
 *     module's -O2 code;
 *   - every context links with -nostdlib: the code calls nothing by name,
 *     so the linker need not read the C library (~9 ms a context).
 *
 * Errors (NULL or false) are in storage of the module's arena, m->a, or
 * static: they live as long as the module.
 *
 * Without libgccjit (VRSC_HAVE_JIT undefined) the interface is a stub that
 * says so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

#ifndef VRSC_HAVE_JIT

struct Jit {
    int unused;
};

bool jit_available(void)
{
    return false;
}

Jit *jit_compile(const LModule *m, EngineMem *mem, const char **err)
{
    (void)m;
    (void)mem;
    if (err)
        *err = "vrsc was built without libgccjit";
    return NULL;
}

Jit *jit_compile_some(const LModule *m, LFn *const *entry, int n, EngineMem *mem, const char **err)
{
    (void)entry;
    (void)n;
    return jit_compile(m, mem, err);
}

bool jit_add(Jit *j, LFn *const *entry, int n, const char **err)
{
    (void)j;
    (void)entry;
    (void)n;
    if (err)
        *err = "vrsc was built without libgccjit";
    return false;
}

void jit_free(Jit *j)
{
    (void)j;
}

uint64_t jit_call(Jit *j, const LFn *f, const uint64_t *args)
{
    (void)j;
    (void)f;
    (void)args;
    return 0;
}

void *jit_native(Jit *j, const LFn *f)
{
    (void)j;
    (void)f;
    return NULL;
}

double jit_compile_ms(const Jit *j)
{
    (void)j;
    return 0;
}

#else /* VRSC_HAVE_JIT */

#include <libgccjit.h>

#include "vrs_env.h"

typedef uint64_t EntryFn(void *fn, const uint64_t *args);

struct Jit {
    const LModule   *m;
    EngineMem       *mem;      /* the caller's, or &nomem */
    gcc_jit_result **res;      /* one per context compiled into it */
    int              nres;
    int              nfns;
    void           **native;   /* by LFn id; NULL: not callable */
    void           **entry;    /* by LFn id: the jit_call entry of its signature */
    EngineMem        nomem;    /* the memory when the caller gave none: empty */
    double           ms;
};

/* ---- the C side: helpers the generated code calls ------------------------------------ */

/* A null env makes the operation a no-op reading 0 (the interpreter stops
 * the call instead; generated code cannot). */
static void h_fault(void *mem, uint64_t pa)
{
    EngineMem *m = mem;
    if (m->faults++ == 0)
        m->fault_pa = pa;
}

static uint64_t h_mmio_read(void *env, uint64_t pa, uint64_t width)
{
    return env ? vrs_mmio_read(env, pa, (unsigned)width) : 0;
}

static void h_mmio_write(void *env, uint64_t pa, uint64_t width, uint64_t v)
{
    if (env)
        vrs_mmio_write(env, pa, (unsigned)width, v);
}

static uint64_t h_reg_read(void *env, uint64_t id)
{
    return env ? vrs_reg_read(env, (unsigned)id) : 0;
}

static void h_reg_write(void *env, uint64_t id, uint64_t v)
{
    if (env)
        vrs_reg_write(env, (unsigned)id, v);
}

static void h_instr(void *env, uint64_t id)
{
    if (env)
        vrs_instr(env, (unsigned)id);
}

static void h_barrier(void *env)
{
    if (env)
        vrs_barrier(env);
}

static uint64_t h_alloc_table(void *env, uint64_t bytes, uint64_t align, uint64_t *pa)
{
    return env && pa && vrs_alloc_table(env, bytes, align, pa);
}

static void h_free_table(void *env, uint64_t pa, uint64_t bytes)
{
    if (env)
        vrs_free_table(env, pa, bytes);
}

static void h_tlb_invalidate(void *env, uint64_t va, uint64_t size)
{
    if (env)
        vrs_tlb_invalidate(env, va, size);
}

/* The helpers' signatures: result 'u' (uint64_t) or 'v' (void); arguments
 * 'p' (void *), 'u' (uint64_t), 'q' (uint64_t *). */
typedef enum Helper {
    H_FAULT, H_MMIO_READ, H_MMIO_WRITE, H_REG_READ, H_REG_WRITE, H_INSTR, H_BARRIER,
    H_ALLOC_TABLE, H_FREE_TABLE, H_TLB_INVAL, H_COUNT
} Helper;

static const struct {
    void      (*fn)(void);
    char        ret;
    const char *args;
} helpers[H_COUNT] = {
    [H_FAULT]       = { (void (*)(void))h_fault,          'v', "pu" },
    [H_MMIO_READ]   = { (void (*)(void))h_mmio_read,      'u', "puu" },
    [H_MMIO_WRITE]  = { (void (*)(void))h_mmio_write,     'v', "puuu" },
    [H_REG_READ]    = { (void (*)(void))h_reg_read,       'u', "pu" },
    [H_REG_WRITE]   = { (void (*)(void))h_reg_write,      'v', "puu" },
    [H_INSTR]       = { (void (*)(void))h_instr,          'v', "pu" },
    [H_BARRIER]     = { (void (*)(void))h_barrier,        'v', "p" },
    [H_ALLOC_TABLE] = { (void (*)(void))h_alloc_table,    'u', "puuq" },
    [H_FREE_TABLE]  = { (void (*)(void))h_free_table,     'v', "puu" },
    [H_TLB_INVAL]   = { (void (*)(void))h_tlb_invalidate, 'v', "puu" },
};

_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "code addresses fit a void *");
_Static_assert(offsetof(EngineMem, base) == 0 && offsetof(EngineMem, size) == 8
                   && offsetof(EngineMem, faults) == 16 && offsetof(EngineMem, fault_pa) == 24
                   && sizeof(EngineMem) == 32,
               "the JIT's EngineMem struct matches engine.h");

/* Object and code addresses are the same size here (asserted above);
 * copying avoids the casts ISO C leaves undefined. */
static void *code_to_ptr(void (*fn)(void))
{
    void *p;
    memcpy(&p, &fn, sizeof p);
    return p;
}

static EntryFn *ptr_to_entry(void *p)
{
    EntryFn *fn;
    memcpy(&fn, &p, sizeof fn);
    return fn;
}

/* ---- compile state --------------------------------------------------------------------- */

/* A gcc type and its class: 'u' integer (uint64_t), 'b' bool, 'p' pointer,
 * 's' struct, 'v' void. libgccjit 12 cannot tell us the class of a type. */
typedef struct JTy {
    gcc_jit_type *t;
    char          cls;
} JTy;

typedef struct Val {
    gcc_jit_rvalue *rv;     /* NULL: void */
    JTy             ty;
} Val;

typedef struct Place {
    gcc_jit_lvalue *lv;
    JTy             ty;
} Place;

typedef struct JC {
    gcc_jit_context *ctx;
    const LModule   *m;
    Arena            a;          /* scratch, freed after the compile */
    const char      *err;        /* our first error (in m->a) */
    JTy u64, cu64, boolean, vptr, pu64, none;
    gcc_jit_type *t_ull, *t_pcu64;
    gcc_jit_type *t_w[9];        /* unaligned uintN_t by byte width */
    gcc_jit_field *mem_base, *mem_size;
    gcc_jit_rvalue *memp;        /* (struct EngineMem *)mem */
    gcc_jit_type **rec, **prec;  /* by LRec id */
    gcc_jit_field ***recf;       /* by LRec id, field */
    gcc_jit_function **fn;       /* by LFn id */
    const LFn       **shapes;    /* the first function of each signature */
    int               nshapes;
    gcc_jit_function *clz;
    gcc_jit_function *expect;    /* __builtin_expect, for LStmt.rare */
    gcc_jit_type     *t_long;
    gcc_jit_rvalue *helper[H_COUNT];
    bool              mem_fns;   /* MEM accesses call memfn (else inline) */
    gcc_jit_function *memfn[2][9]; /* [write][width], made on first use */
    /* the function being built */
    const LFn        *f;
    gcc_jit_function *gf;
    Place            *slot;
    gcc_jit_block    *cur;       /* NULL: the code here is unreachable */
    int               ntemp;
} JC;

__attribute__((format(printf, 2, 3)))
static void jerr(JC *c, const char *fmt, ...)
{
    if (c->err)
        return;
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->err = arena_printf(c->m->a, "jit: %s%s%s", c->f ? c->f->name : "", c->f ? ": " : "", buf);
}

static gcc_jit_rvalue *u64c(JC *c, uint64_t v)
{
    /* gcc keeps the bit pattern of the long in the 64-bit unsigned type */
    return gcc_jit_context_new_rvalue_from_long(c->ctx, c->u64.t, (long)v);
}

static gcc_jit_rvalue *bin(JC *c, enum gcc_jit_binary_op op, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_binary_op(c->ctx, NULL, op, c->u64.t, a, b);
}

static gcc_jit_rvalue *cmp(JC *c, enum gcc_jit_comparison op, gcc_jit_rvalue *a, gcc_jit_rvalue *b)
{
    return gcc_jit_context_new_comparison(c->ctx, NULL, op, a, b);
}

static gcc_jit_rvalue *cast(JC *c, gcc_jit_rvalue *v, gcc_jit_type *t)
{
    return gcc_jit_context_new_cast(c->ctx, NULL, v, t);
}

static gcc_jit_lvalue *new_local(JC *c, gcc_jit_type *t, const char *prefix)
{
    char name[32];
    snprintf(name, sizeof name, "%s%d", prefix, c->ntemp++);
    return gcc_jit_function_new_local(c->gf, NULL, t, name);
}

/* v, saved in a temporary now. */
static gcc_jit_rvalue *save(JC *c, gcc_jit_rvalue *v, gcc_jit_type *t)
{
    gcc_jit_lvalue *l = new_local(c, t, "t");
    gcc_jit_block_add_assignment(c->cur, NULL, l, v);
    return gcc_jit_lvalue_as_rvalue(l);
}

static void jump(JC *c, gcc_jit_block *to)
{
    if (c->cur)
        gcc_jit_block_end_with_jump(c->cur, NULL, to);
    c->cur = NULL;
}

static gcc_jit_block *new_block(JC *c)
{
    return gcc_jit_function_new_block(c->gf, NULL);
}

/* ---- types ------------------------------------------------------------------------------ */

static int rec_id(JC *c, const LRec *r)
{
    if (r && r->id >= 0 && r->id < c->m->recs.len && c->m->recs.items[r->id] == r)
        return r->id;
    jerr(c, "record %s is not in the module", r ? r->cname : "(null)");
    return -1;
}

/* The type a value of LIR type t is kept in. */
static JTy jty(JC *c, LType t)
{
    switch (t.kind) {
    case LK_VOID:
        return c->none;
    case LK_ENV:
        return c->vptr;
    case LK_PTR:
        if (t.to == LK_REC) {
            int id = rec_id(c, t.rec);
            return id < 0 ? c->pu64 : (JTy){ c->prec[id], 'p' };
        }
        return c->pu64;
    case LK_REC: {
        int id = rec_id(c, t.rec);
        return id < 0 ? c->u64 : (JTy){ c->rec[id], 's' };
    }
    default:
        return c->u64;
    }
}

/* The type of a parameter or result of LIR type t: a bool is a C bool. */
static JTy nty(JC *c, LType t)
{
    return t.kind == LK_BOOL ? c->boolean : jty(c, t);
}

static JTy field_ty(JC *c, LKind k)
{
    return k == LK_ENV ? c->vptr : c->u64;
}

static LKind field_kind(const LRec *r, int k)
{
    return ((const LField *)r->fields.items[k])->kind;
}

static LType slot_ty(const LFn *f, int k)
{
    return ((const LSlot *)f->slots.items[k])->ty;
}

static gcc_jit_rvalue *zero_of(JC *c, JTy t)
{
    switch (t.cls) {
    case 'b':
        return gcc_jit_context_new_rvalue_from_int(c->ctx, t.t, 0);
    case 'p':
        return gcc_jit_context_null(c->ctx, t.t);
    default:
        return gcc_jit_context_zero(c->ctx, t.t);
    }
}

/* v converted to t: integers and bools as in C, integers and pointers by
 * their bits, a pointer to a record to the record it points to. */
static gcc_jit_rvalue *as(JC *c, Val v, JTy t)
{
    if (!v.rv) {
        if (t.cls != 'v')
            jerr(c, "a void value is used");
        return NULL;
    }
    if (v.ty.t == t.t || t.cls == 'v')
        return v.rv;
    switch (t.cls) {
    case 'u':
        if (v.ty.cls == 'u' || v.ty.cls == 'b')
            return cast(c, v.rv, t.t);
        if (v.ty.cls == 'p')
            return gcc_jit_context_new_bitcast(c->ctx, NULL, v.rv, t.t);
        break;
    case 'b':
        if (v.ty.cls == 'u' || v.ty.cls == 'p')
            return cmp(c, GCC_JIT_COMPARISON_NE, v.rv, zero_of(c, v.ty));
        break;
    case 'p':
        if (v.ty.cls == 'p')
            return cast(c, v.rv, t.t);
        if (v.ty.cls == 'u')
            return gcc_jit_context_new_bitcast(c->ctx, NULL, v.rv, t.t);
        if (v.ty.cls == 'b')
            return gcc_jit_context_new_bitcast(c->ctx, NULL, cast(c, v.rv, c->u64.t), t.t);
        break;
    case 's':
        if (v.ty.cls == 'p')
            return gcc_jit_lvalue_as_rvalue(gcc_jit_rvalue_dereference(
                cast(c, v.rv, gcc_jit_type_get_pointer(t.t)), NULL));
        break;
    }
    jerr(c, "a value of class '%c' is used as one of class '%c'", v.ty.cls, t.cls);
    return zero_of(c, t.cls == 's' ? c->u64 : t);
}

/* ---- expressions -------------------------------------------------------------------------- */

static Val gen(JC *c, const LExpr *e);
static gcc_jit_rvalue *gen_bool(JC *c, const LExpr *e);

static bool is_bool_op(BinOp op)
{
    return op == OP_IMPLIES || op == OP_LOR || op == OP_LAND || op == OP_EQ || op == OP_NE
           || op == OP_LT || op == OP_GT || op == OP_LE || op == OP_GE;
}

/* Does evaluating e call or touch the env? Such an operand runs at once,
 * so the operands before it are saved first. */
static bool has_effects(const LExpr *e)
{
    if (!e)
        return false;
    if (e->kind == LE_CALL || e->kind == LE_ENV)
        return true;
    if (has_effects(e->a) || has_effects(e->b) || has_effects(e->c))
        return true;
    return false;
}

/* Does gen(e) add statements or blocks, rather than return one expression
 * tree? Then e cannot be the right operand of a tree && or ||. */
static bool needs_blocks(const LExpr *e)
{
    if (!e)
        return false;
    if (e->kind == LE_CALL || e->kind == LE_ENV || e->kind == LE_ITE)
        return true;
    return needs_blocks(e->a) || needs_blocks(e->b) || needs_blocks(e->c);
}

static Val val(gcc_jit_rvalue *rv, JTy t)
{
    return (Val){ rv, t };
}

static gcc_jit_rvalue *gen_u64(JC *c, const LExpr *e)
{
    return as(c, gen(c, e), c->u64);
}

/* e converted to t; a record slot where a pointer is expected gives its
 * address, as the interpreter takes a record slot's value to be. */
static Place gen_place(JC *c, const LExpr *e);

static gcc_jit_rvalue *gen_as(JC *c, const LExpr *e, JTy t)
{
    if (t.cls == 'p' && e && e->kind == LE_SLOT && e->ty.kind == LK_REC) {
        Place p = gen_place(c, e);
        return cast(c, gcc_jit_lvalue_get_address(p.lv, NULL), t.t);
    }
    return as(c, gen(c, e), t);
}

/* Arguments left to right, each converted to its type; an argument
 * followed by one with effects is saved before that one runs. */
static void gen_args(JC *c, LExpr *const *args, int n, const JTy *tys, gcc_jit_rvalue **out)
{
    int last = -1;
    for (int i = 0; i < n; i++)
        if (has_effects(args[i]))
            last = i;
    for (int i = 0; i < n; i++) {
        out[i] = gen_as(c, args[i], tys[i]);
        if (i < last && args[i]->kind != LE_NUM && out[i])
            out[i] = save(c, out[i], tys[i].t);
    }
}

static Place gen_place(JC *c, const LExpr *e)
{
    switch (e->kind) {
    case LE_SLOT:
        if (e->slot < 0 || e->slot >= c->f->slots.len)
            break;
        return c->slot[e->slot];
    case LE_FIELD: {
        const LRec *r = e->a->ty.rec;
        int id = rec_id(c, r);
        if (id < 0 || e->field < 0 || e->field >= r->fields.len)
            break;
        gcc_jit_field *fl = c->recf[id][e->field];
        JTy t = field_ty(c, field_kind(r, e->field));
        if (e->a->ty.kind == LK_REC) {
            if (e->a->kind != LE_SLOT)
                break;
            return (Place){ gcc_jit_lvalue_access_field(gen_place(c, e->a).lv, NULL, fl), t };
        }
        gcc_jit_rvalue *p = as(c, gen(c, e->a), (JTy){ c->prec[id], 'p' });
        return (Place){ gcc_jit_rvalue_dereference_field(p, NULL, fl), t };
    }
    case LE_DEREF:
        return (Place){ gcc_jit_rvalue_dereference(as(c, gen(c, e->a), c->pu64), NULL), c->u64 };
    default:
        break;
    }
    jerr(c, "a %s expression is not a place", lir_expr_names[e->kind]);
    return (Place){ new_local(c, c->u64.t, "bad"), c->u64 };
}

/* a op b, with the operations C leaves undefined defined as Sx does. */
static gcc_jit_rvalue *gen_arith(JC *c, const LExpr *e)
{
    gcc_jit_rvalue *a = gen_u64(c, e->a);
    if (has_effects(e->b) && e->a->kind != LE_NUM)
        a = save(c, a, c->u64.t);
    gcc_jit_rvalue *b = gen_u64(c, e->b);
    bool konst = e->b->kind == LE_NUM;
    uint64_t k = e->b->num;
    switch (e->op) {
    case OP_BOR:  return bin(c, GCC_JIT_BINARY_OP_BITWISE_OR, a, b);
    case OP_BXOR: return bin(c, GCC_JIT_BINARY_OP_BITWISE_XOR, a, b);
    case OP_BAND: return bin(c, GCC_JIT_BINARY_OP_BITWISE_AND, a, b);
    case OP_ADD:  return bin(c, GCC_JIT_BINARY_OP_PLUS, a, b);
    case OP_SUB:  return bin(c, GCC_JIT_BINARY_OP_MINUS, a, b);
    case OP_MUL:  return bin(c, GCC_JIT_BINARY_OP_MULT, a, b);
    case OP_SHL:
    case OP_SHR: {
        enum gcc_jit_binary_op op = e->op == OP_SHL ? GCC_JIT_BINARY_OP_LSHIFT : GCC_JIT_BINARY_OP_RSHIFT;
        if (konst)
            return k < 64 ? bin(c, op, a, b) : u64c(c, 0);
        /* (a op (b & 63)) & -(b < 64) */
        gcc_jit_rvalue *in = cast(c, cmp(c, GCC_JIT_COMPARISON_LT, b, u64c(c, 64)), c->u64.t);
        gcc_jit_rvalue *sh = bin(c, op, a, bin(c, GCC_JIT_BINARY_OP_BITWISE_AND, b, u64c(c, 63)));
        return bin(c, GCC_JIT_BINARY_OP_BITWISE_AND, sh, bin(c, GCC_JIT_BINARY_OP_MINUS, u64c(c, 0), in));
    }
    case OP_DIV:
    case OP_MOD: {
        enum gcc_jit_binary_op op = e->op == OP_DIV ? GCC_JIT_BINARY_OP_DIVIDE : GCC_JIT_BINARY_OP_MODULO;
        if (konst && k)
            return bin(c, op, a, b);
        if (konst)
            return e->op == OP_DIV ? u64c(c, UINT64_MAX) : a;
        /* z = (b == 0); q = a op (b | z): no division by 0; then
         * x / 0 = q | -z = UINT64_MAX and x % 0 = (q & ~-z) | (a & -z) = a */
        gcc_jit_rvalue *z = cast(c, cmp(c, GCC_JIT_COMPARISON_EQ, b, u64c(c, 0)), c->u64.t);
        gcc_jit_rvalue *mz = bin(c, GCC_JIT_BINARY_OP_MINUS, u64c(c, 0), z);
        gcc_jit_rvalue *q = bin(c, op, a, bin(c, GCC_JIT_BINARY_OP_BITWISE_OR, b, z));
        if (e->op == OP_DIV)
            return bin(c, GCC_JIT_BINARY_OP_BITWISE_OR, q, mz);
        gcc_jit_rvalue *keep = gcc_jit_context_new_unary_op(c->ctx, NULL, GCC_JIT_UNARY_OP_BITWISE_NEGATE,
                                                            c->u64.t, mz);
        return bin(c, GCC_JIT_BINARY_OP_BITWISE_OR, bin(c, GCC_JIT_BINARY_OP_BITWISE_AND, q, keep),
                   bin(c, GCC_JIT_BINARY_OP_BITWISE_AND, a, mz));
    }
    default:
        jerr(c, "operator %s is not arithmetic", binop_spelling[e->op]);
        return u64c(c, 0);
    }
}

/* a && b, a || b, a ==> b (= !a || b): b runs only when C would run it.
 * A right operand that is one expression tree stays in gcc's own
 * short-circuit operator; one with statements gets blocks. */
static gcc_jit_rvalue *gen_logic(JC *c, const LExpr *e)
{
    gcc_jit_rvalue *a = gen_bool(c, e->a);
    if (e->op == OP_IMPLIES)
        a = gcc_jit_context_new_unary_op(c->ctx, NULL, GCC_JIT_UNARY_OP_LOGICAL_NEGATE, c->boolean.t, a);
    bool land = e->op == OP_LAND;
    enum gcc_jit_binary_op op = land ? GCC_JIT_BINARY_OP_LOGICAL_AND : GCC_JIT_BINARY_OP_LOGICAL_OR;
    if (!needs_blocks(e->b))
        return gcc_jit_context_new_binary_op(c->ctx, NULL, op, c->boolean.t, a, gen_bool(c, e->b));
    gcc_jit_lvalue *t = new_local(c, c->boolean.t, "sc");
    gcc_jit_block_add_assignment(c->cur, NULL, t, a);
    gcc_jit_block *rhs = new_block(c), *join = new_block(c);
    gcc_jit_block_end_with_conditional(c->cur, NULL, gcc_jit_lvalue_as_rvalue(t), land ? rhs : join,
                                       land ? join : rhs);
    c->cur = rhs;
    gcc_jit_rvalue *b = gen_bool(c, e->b);
    gcc_jit_block_add_assignment(c->cur, NULL, t, b);
    jump(c, join);
    c->cur = join;
    return gcc_jit_lvalue_as_rvalue(t);
}

static gcc_jit_rvalue *gen_bool(JC *c, const LExpr *e)
{
    static const enum gcc_jit_comparison cmps[] = {
        [OP_EQ] = GCC_JIT_COMPARISON_EQ, [OP_NE] = GCC_JIT_COMPARISON_NE,
        [OP_LT] = GCC_JIT_COMPARISON_LT, [OP_GT] = GCC_JIT_COMPARISON_GT,
        [OP_LE] = GCC_JIT_COMPARISON_LE, [OP_GE] = GCC_JIT_COMPARISON_GE,
    };
    switch (e->kind) {
    case LE_NUM:
        return gcc_jit_context_new_rvalue_from_int(c->ctx, c->boolean.t, e->num != 0);
    case LE_BIN:
        if (e->op == OP_LAND || e->op == OP_LOR || e->op == OP_IMPLIES)
            return gen_logic(c, e);
        if (is_bool_op(e->op)) {
            gcc_jit_rvalue *a = gen_u64(c, e->a);
            if (has_effects(e->b) && e->a->kind != LE_NUM)
                a = save(c, a, c->u64.t);
            return cmp(c, cmps[e->op], a, gen_u64(c, e->b));
        }
        break;
    case LE_UN:
        if (e->uop == OP_NOT)
            return gcc_jit_context_new_unary_op(c->ctx, NULL, GCC_JIT_UNARY_OP_LOGICAL_NEGATE, c->boolean.t,
                                                gen_bool(c, e->a));
        break;
    default:
        break;
    }
    return as(c, gen(c, e), c->boolean);
}

/* c ? a : b, through a temporary: libgccjit has no conditional operator. */
static Val gen_ite(JC *c, const LExpr *e)
{
    gcc_jit_rvalue *cond = gen_bool(c, e->a);
    gcc_jit_block *tb = new_block(c), *eb = new_block(c), *join = new_block(c);
    gcc_jit_block_end_with_conditional(c->cur, NULL, cond, tb, eb);
    c->cur = tb;
    Val a = gen(c, e->b);
    JTy t = a.ty.cls == 'p' || a.ty.cls == 's' ? a.ty : c->u64;
    gcc_jit_lvalue *tmp = new_local(c, t.t, "ite");
    gcc_jit_rvalue *av = as(c, a, t);
    if (av)
        gcc_jit_block_add_assignment(c->cur, NULL, tmp, av);
    jump(c, join);
    c->cur = eb;
    gcc_jit_rvalue *bv = as(c, gen(c, e->c), t);
    if (bv)
        gcc_jit_block_add_assignment(c->cur, NULL, tmp, bv);
    jump(c, join);
    c->cur = join;
    return val(gcc_jit_lvalue_as_rvalue(tmp), t);
}

static Val gen_call(JC *c, const LExpr *e)
{
    const LFn *g = e->fn;
    if (!g || g->id < 0 || g->id >= c->m->fns.len || c->m->fns.items[g->id] != g || e->nargs != g->nparams) {
        jerr(c, "call of %s, which is not in the module or has %d parameters", g ? g->name : "(null)",
             g ? g->nparams : 0);
        return val(u64c(c, 0), c->u64);
    }
    if (!c->fn[g->id]) {   /* the closure (mark_closure) has every callee */
        jerr(c, "call of %s, which is not in this context", g->name);
        return val(u64c(c, 0), c->u64);
    }
    JTy *tys = arena_alloc(&c->a, sizeof *tys * (size_t)(e->nargs + 1));
    gcc_jit_rvalue **args = arena_alloc(&c->a, sizeof *args * (size_t)(e->nargs + 1));
    for (int i = 0; i < e->nargs; i++)
        tys[i] = nty(c, slot_ty(g, i));
    gen_args(c, e->args, e->nargs, tys, args);
    gcc_jit_rvalue *call = gcc_jit_context_new_call(c->ctx, NULL, c->fn[g->id], e->nargs, args);
    JTy rt = nty(c, g->ret);
    if (rt.cls == 'v') {
        gcc_jit_block_add_eval(c->cur, NULL, call);
        return val(NULL, rt);
    }
    return val(save(c, call, rt.t), rt);
}

/* A MEM read (v NULL) or write of `w` bytes at pa, checked against the
 * EngineMem as it is when the code runs, inline. */
static gcc_jit_rvalue *mem_inline(JC *c, gcc_jit_rvalue *pa, unsigned w, gcc_jit_rvalue *v)
{
    pa = save(c, pa, c->u64.t);
    if (v)
        v = save(c, v, c->u64.t);
    gcc_jit_rvalue *size =
        gcc_jit_lvalue_as_rvalue(gcc_jit_rvalue_dereference_field(c->memp, NULL, c->mem_size));
    /* w <= size && pa <= size - w: no overflow for any pa, and the part
     * without pa is the same at every access of a walk (gcc computes it
     * once), so an access costs one compare */
    gcc_jit_rvalue *ok = gcc_jit_context_new_binary_op(
        c->ctx, NULL, GCC_JIT_BINARY_OP_LOGICAL_AND, c->boolean.t, cmp(c, GCC_JIT_COMPARISON_LE, u64c(c, w), size),
        cmp(c, GCC_JIT_COMPARISON_LE, pa, bin(c, GCC_JIT_BINARY_OP_MINUS, size, u64c(c, w))));
    gcc_jit_block *in = new_block(c), *out = new_block(c), *join = new_block(c);
    gcc_jit_block_end_with_conditional(c->cur, NULL, ok, in, out);
    gcc_jit_lvalue *res = v ? NULL : new_local(c, c->u64.t, "mem");

    c->cur = in;
    gcc_jit_rvalue *base =
        gcc_jit_lvalue_as_rvalue(gcc_jit_rvalue_dereference_field(c->memp, NULL, c->mem_base));
    gcc_jit_lvalue *byte = gcc_jit_context_new_array_access(c->ctx, NULL, base, pa);
    gcc_jit_rvalue *p = gcc_jit_lvalue_get_address(byte, NULL);
    gcc_jit_lvalue *word = gcc_jit_rvalue_dereference(cast(c, p, gcc_jit_type_get_pointer(c->t_w[w])), NULL);
    if (v)
        gcc_jit_block_add_assignment(c->cur, NULL, word, cast(c, v, c->t_w[w]));
    else
        gcc_jit_block_add_assignment(c->cur, NULL, res, cast(c, gcc_jit_lvalue_as_rvalue(word), c->u64.t));
    jump(c, join);

    c->cur = out;
    gcc_jit_rvalue *fargs[2] = { cast(c, c->memp, c->vptr.t), pa };
    gcc_jit_rvalue *fault = gcc_jit_context_new_call_through_ptr(c->ctx, NULL, c->helper[H_FAULT], 2, fargs);
    gcc_jit_block_add_eval(c->cur, NULL, fault);
    if (!v)
        gcc_jit_block_add_assignment(c->cur, NULL, res, u64c(c, 0));
    jump(c, join);

    c->cur = join;
    return v ? NULL : gcc_jit_lvalue_as_rvalue(res);
}

/* vrsc_mem_readW(pa) -> value or vrsc_mem_writeW(pa, v): mem_inline as a
 * function of the context, made on first use. Always inlined: gcc builds
 * and simplifies its body once rather than at every access (x86-64's
 * resolve and walk: 25M fewer gcc instructions), and a call per access
 * would cost resolve 13% more instructions. */
static gcc_jit_function *mem_fn(JC *c, unsigned w, bool write)
{
    if (c->memfn[write][w])
        return c->memfn[write][w];
    gcc_jit_param *ps[2] = {
        gcc_jit_context_new_param(c->ctx, NULL, c->u64.t, "pa"),
        write ? gcc_jit_context_new_param(c->ctx, NULL, c->u64.t, "v") : NULL,
    };
    char name[32];
    snprintf(name, sizeof name, "vrsc_mem_%s%u", write ? "write" : "read", w);
    gcc_jit_function *gf = gcc_jit_context_new_function(c->ctx, NULL, GCC_JIT_FUNCTION_ALWAYS_INLINE,
                                                        write ? c->none.t : c->u64.t, name, write ? 2 : 1, ps, 0);
    if (!gf)
        return NULL;   /* libgccjit's error says why */
    /* built aside: the function being built goes on after it */
    gcc_jit_function *gf0 = c->gf;
    gcc_jit_block *cur0 = c->cur;
    c->gf = gf;
    c->cur = new_block(c);
    gcc_jit_rvalue *r = mem_inline(c, gcc_jit_param_as_rvalue(ps[0]), w,
                                   write ? gcc_jit_param_as_rvalue(ps[1]) : NULL);
    if (write)
        gcc_jit_block_end_with_void_return(c->cur, NULL);
    else
        gcc_jit_block_end_with_return(c->cur, NULL, r);
    c->gf = gf0;
    c->cur = cur0;
    return c->memfn[write][w] = gf;
}

/* A MEM read (v NULL: its value) or write, inline or through mem_fn. */
static gcc_jit_rvalue *mem_access(JC *c, gcc_jit_rvalue *pa, unsigned w, gcc_jit_rvalue *v)
{
    if (!c->mem_fns)
        return mem_inline(c, pa, w, v);
    gcc_jit_function *fn = mem_fn(c, w, v != NULL);
    if (!fn)
        return v ? NULL : u64c(c, 0);
    gcc_jit_rvalue *args[2] = { pa, v };
    gcc_jit_rvalue *call = gcc_jit_context_new_call(c->ctx, NULL, fn, v ? 2 : 1, args);
    if (v) {
        gcc_jit_block_add_eval(c->cur, NULL, call);
        return NULL;
    }
    return save(c, call, c->u64.t);
}

static Val gen_env(JC *c, const LExpr *e)
{

    if ((int)e->env < 0 || e->env >= LENV_COUNT || e->nargs != lir_env_nargs[e->env] + 1 || e->nargs > 4) {
        jerr(c, "env operation with the wrong arguments");
        return val(u64c(c, 0), c->u64);
    }
    JTy tys[4] = { c->vptr, c->u64, c->u64, c->u64 };
    if (e->env == LENV_ALLOC_TABLE)
        tys[3] = c->pu64;
    gcc_jit_rvalue *v[4];
    if (e->env == LENV_MEM_READ || e->env == LENV_MEM_WRITE) {
        if (e->width != 1 && e->width != 2 && e->width != 4 && e->width != 8) {
            jerr(c, "memory access of %u bytes", e->width);
            return val(u64c(c, 0), c->u64);
        }
        /* the env is not used: it matters only if evaluating it has effects */
        if (has_effects(e->args[0]))
            gen(c, e->args[0]);
        gen_args(c, e->args + 1, e->nargs - 1, tys + 1, v + 1);
        gcc_jit_rvalue *r = mem_access(c, v[1], e->width, e->env == LENV_MEM_WRITE ? v[2] : NULL);
        return val(r, r ? c->u64 : c->none);
    }
    gen_args(c, e->args, e->nargs, tys, v);
    Helper h;
    gcc_jit_rvalue *a[4] = { v[0], NULL, NULL, NULL };
    int n = 1;
    switch (e->env) {
    case LENV_MMIO_READ:
    case LENV_MMIO_WRITE:
        h = e->env == LENV_MMIO_READ ? H_MMIO_READ : H_MMIO_WRITE;
        a[n++] = v[1];
        a[n++] = u64c(c, e->width);
        if (e->env == LENV_MMIO_WRITE)
            a[n++] = v[2];
        break;
    case LENV_REG_READ:
    case LENV_REG_WRITE:
    case LENV_INSTR:
        h = e->env == LENV_REG_READ ? H_REG_READ : e->env == LENV_REG_WRITE ? H_REG_WRITE : H_INSTR;
        a[n++] = u64c(c, e->id);
        if (e->env == LENV_REG_WRITE)
            a[n++] = v[1];
        break;
    case LENV_BARRIER:
        h = H_BARRIER;
        break;
    case LENV_ALLOC_TABLE:
        h = H_ALLOC_TABLE;
        a[n++] = v[1];
        a[n++] = v[2];
        a[n++] = v[3];
        break;
    case LENV_FREE_TABLE:
    case LENV_TLB_INVAL:
        h = e->env == LENV_FREE_TABLE ? H_FREE_TABLE : H_TLB_INVAL;
        a[n++] = v[1];
        a[n++] = v[2];
        break;
    default:
        jerr(c, "env operation %s", lir_env_names[e->env]);
        return val(u64c(c, 0), c->u64);
    }
    gcc_jit_rvalue *call = gcc_jit_context_new_call_through_ptr(c->ctx, NULL, c->helper[h], n, a);
    if (helpers[h].ret == 'v') {
        gcc_jit_block_add_eval(c->cur, NULL, call);
        return val(NULL, c->none);
    }
    return val(save(c, call, c->u64.t), c->u64);
}

static Val gen(JC *c, const LExpr *e)
{
    if (!e) {
        jerr(c, "missing expression");
        return val(u64c(c, 0), c->u64);
    }
    switch (e->kind) {
    case LE_NUM:
        return val(u64c(c, e->num), c->u64);
    case LE_FIELD:
        if (e->a && e->a->ty.kind == LK_REC && e->a->kind != LE_SLOT) {
            /* a field of a record value (a call's result) */
            Val r = gen(c, e->a);
            int id = rec_id(c, e->a->ty.rec);
            if (r.ty.cls != 's' || id < 0 || e->field < 0 || e->field >= e->a->ty.rec->fields.len)
                break;
            LKind k = field_kind(e->a->ty.rec, e->field);
            return val(gcc_jit_rvalue_access_field(r.rv, NULL, c->recf[id][e->field]), field_ty(c, k));
        }
        /* fall through */
    case LE_SLOT:
    case LE_DEREF: {
        Place p = gen_place(c, e);
        return val(gcc_jit_lvalue_as_rvalue(p.lv), p.ty);
    }
    case LE_ADDR: {
        Place p = gen_place(c, e->a);
        gcc_jit_type *t = gcc_jit_type_get_pointer(p.ty.t);
        return val(gcc_jit_lvalue_get_address(p.lv, NULL), (JTy){ t, 'p' });
    }
    case LE_BIN:
        if (is_bool_op(e->op))
            return val(gen_bool(c, e), c->boolean);
        return val(gen_arith(c, e), c->u64);
    case LE_UN:
        if (e->uop == OP_NOT)
            return val(gen_bool(c, e), c->boolean);
        if (e->uop == OP_BITNOT)
            return val(gcc_jit_context_new_unary_op(c->ctx, NULL, GCC_JIT_UNARY_OP_BITWISE_NEGATE, c->u64.t,
                                                    gen_u64(c, e->a)),
                       c->u64);
        break;
    case LE_ITE:
        return gen_ite(c, e);
    case LE_LOG2: {
        /* 63 - clz(a | 1): clz(0) is undefined, and a | 1 keeps a's top bit */
        gcc_jit_rvalue *a = bin(c, GCC_JIT_BINARY_OP_BITWISE_OR, gen_u64(c, e->a), u64c(c, 1));
        a = cast(c, a, c->t_ull);
        gcc_jit_rvalue *z = cast(c, gcc_jit_context_new_call(c->ctx, NULL, c->clz, 1, &a), c->u64.t);
        return val(bin(c, GCC_JIT_BINARY_OP_MINUS, u64c(c, 63), z), c->u64);
    }
    case LE_CALL:
        return gen_call(c, e);
    case LE_ENV:
        return gen_env(c, e);
    }
    jerr(c, "cannot compile an expression of kind %d", (int)e->kind);
    return val(u64c(c, 0), c->u64);
}

/* ---- statements ------------------------------------------------------------------------- */

/* The type of a place, without generating it (the value comes first). */
static JTy place_ty(JC *c, const LExpr *e)
{
    if (e->kind == LE_SLOT && e->slot >= 0 && e->slot < c->f->slots.len)
        return c->slot[e->slot].ty;
    if (e->kind == LE_FIELD && e->a->ty.rec && e->field >= 0 && e->field < e->a->ty.rec->fields.len)
        return field_ty(c, field_kind(e->a->ty.rec, e->field));
    return c->u64;
}

static void gen_return(JC *c, const LExpr *e)
{
    JTy rt = nty(c, c->f->ret);
    if (rt.cls == 'v') {
        if (e)
            gen(c, e);
        gcc_jit_block_end_with_void_return(c->cur, NULL);
    } else if (e) {
        gcc_jit_rvalue *v = gen_as(c, e, rt);
        gcc_jit_block_end_with_return(c->cur, NULL, v ? v : zero_of(c, rt));
    } else if (rt.cls == 's') {
        gcc_jit_lvalue *z = new_local(c, rt.t, "zero");
        int id = rec_id(c, c->f->ret.rec);
        for (int i = 0; id >= 0 && i < c->f->ret.rec->fields.len; i++) {
            JTy ft = field_ty(c, field_kind(c->f->ret.rec, i));
            gcc_jit_block_add_assignment(c->cur, NULL, gcc_jit_lvalue_access_field(z, NULL, c->recf[id][i]),
                                         zero_of(c, ft));
        }
        gcc_jit_block_end_with_return(c->cur, NULL, gcc_jit_lvalue_as_rvalue(z));
    } else {
        /* falling off the end of a function with a result: 0 */
        gcc_jit_block_end_with_return(c->cur, NULL, zero_of(c, rt));
    }
    c->cur = NULL;
}

static void gen_stmts(JC *c, const PtrVec *b, gcc_jit_block *brk);

static void gen_stmt(JC *c, const LStmt *s, gcc_jit_block *brk)
{
    switch (s->kind) {
    case LS_ASSIGN: {
        /* the value first, then the place, as the interpreter does */
        JTy t = place_ty(c, s->lhs);
        gcc_jit_rvalue *v = gen_as(c, s->rhs, t);
        if (s->lhs->ty.kind == LK_BOOL && t.cls == 'u' && v)
            v = cast(c, as(c, val(v, t), c->boolean), t.t);
        Place p = gen_place(c, s->lhs);
        if (v)
            gcc_jit_block_add_assignment(c->cur, NULL, p.lv, v);
        return;
    }
    case LS_EXPR:
        /* calls and env operations ran inside gen; a tree has no effect */
        gen(c, s->rhs);
        return;
    case LS_IF: {
        gcc_jit_rvalue *cond = gen_bool(c, s->rhs);
        if (s->rare && cond) {   /* as the C emitter's NAME_UNLIKELY */
            gcc_jit_rvalue *a[2] = { cast(c, cond, c->t_long), gcc_jit_context_zero(c->ctx, c->t_long) };
            cond = gcc_jit_context_new_comparison(c->ctx, NULL, GCC_JIT_COMPARISON_NE,
                                                  gcc_jit_context_new_call(c->ctx, NULL, c->expect, 2, a),
                                                  gcc_jit_context_zero(c->ctx, c->t_long));
        }
        gcc_jit_block *tb = new_block(c);
        gcc_jit_block *eb = s->els.len ? new_block(c) : NULL;
        gcc_jit_block *join = eb ? NULL : new_block(c);
        gcc_jit_block_end_with_conditional(c->cur, NULL, cond, tb, eb ? eb : join);
        c->cur = tb;
        gen_stmts(c, &s->body, brk);
        gcc_jit_block *tend = c->cur;
        gcc_jit_block *eend = NULL;
        if (eb) {
            c->cur = eb;
            gen_stmts(c, &s->els, brk);
            eend = c->cur;
        }
        if (!join && (tend || eend))
            join = new_block(c);
        c->cur = tend;
        jump(c, join);
        c->cur = eend;
        jump(c, join);
        c->cur = join;
        return;
    }
    case LS_WHILE: {
        gcc_jit_block *head = new_block(c), *body = new_block(c), *exit = new_block(c);
        jump(c, head);
        c->cur = head;
        gcc_jit_rvalue *cond = gen_bool(c, s->rhs);
        gcc_jit_block_end_with_conditional(c->cur, NULL, cond, body, exit);
        c->cur = body;
        gen_stmts(c, &s->body, exit);
        jump(c, head);
        c->cur = exit;
        return;
    }
    case LS_BREAK:
        if (!brk)
            jerr(c, "break outside a loop");
        else
            jump(c, brk);
        return;
    case LS_RETURN:
        gen_return(c, s->rhs);
        return;
    }
    jerr(c, "cannot compile a statement of kind %d", (int)s->kind);
}

static void gen_stmts(JC *c, const PtrVec *b, gcc_jit_block *brk)
{
    /* statements after a return or break are dead: libgccjit wants none */
    VEC_FOREACH(const LStmt *, s, *b) {
        if (!c->cur || c->err)
            return;
        gen_stmt(c, s, brk);
    }
}

/* ---- functions --------------------------------------------------------------------------- */

static void zero_record(JC *c, gcc_jit_lvalue *l, const LRec *r)
{
    int id = rec_id(c, r);
    for (int i = 0; id >= 0 && i < r->fields.len; i++) {
        JTy t = field_ty(c, field_kind(r, i));
        gcc_jit_block_add_assignment(c->cur, NULL, gcc_jit_lvalue_access_field(l, NULL, c->recf[id][i]),
                                     zero_of(c, t));
    }
}

static void declare_fn(JC *c, const LFn *f, enum gcc_jit_function_kind kind)
{
    gcc_jit_param **ps = arena_alloc(&c->a, sizeof *ps * (size_t)(f->nparams + 1));
    for (int i = 0; i < f->nparams; i++) {
        char name[24];
        snprintf(name, sizeof name, "p%d", i);
        ps[i] = gcc_jit_context_new_param(c->ctx, NULL, nty(c, slot_ty(f, i)).t, name);
    }
    c->fn[f->id] = gcc_jit_context_new_function(c->ctx, NULL, kind, nty(c, f->ret).t, f->name, f->nparams, ps, 0);
}

static void define_fn(JC *c, const LFn *f)
{
    c->f = f;
    c->gf = c->fn[f->id];
    c->ntemp = 0;
    if (!c->gf)
        return;   /* libgccjit refused the declaration; its error says why */
    c->slot = arena_alloc(&c->a, sizeof *c->slot * (size_t)(f->slots.len + 1));
    c->cur = new_block(c);
    VEC_FOREACH(const LSlot *, s, f->slots) {
        JTy t = jty(c, s->ty);
        if (t.cls == 'v') {
            jerr(c, "slot %s is void", s->name);
            t = c->u64;
        }
        if (s_i < f->nparams) {
            gcc_jit_lvalue *p = gcc_jit_param_as_lvalue(gcc_jit_function_get_param(c->gf, s_i));
            if (s->ty.kind != LK_BOOL) {
                c->slot[s_i] = (Place){ p, t };
                continue;
            }
            /* a bool parameter is kept in 64 bits, like every scalar slot
             * (its address may be taken) */
            gcc_jit_lvalue *l = new_local(c, t.t, "s");
            gcc_jit_block_add_assignment(c->cur, NULL, l, cast(c, gcc_jit_lvalue_as_rvalue(p), t.t));
            c->slot[s_i] = (Place){ l, t };
            continue;
        }
        gcc_jit_lvalue *l = new_local(c, t.t, "s");
        c->slot[s_i] = (Place){ l, t };
        if (s->noinit)
            continue;
        if (t.cls == 's')
            zero_record(c, l, s->ty.rec);
        else
            gcc_jit_block_add_assignment(c->cur, NULL, l, zero_of(c, t));
    }
    gen_stmts(c, &f->body, NULL);
    if (c->cur)
        gen_return(c, NULL);
    c->f = NULL;
}

/* Do f and g have one native signature? */
static bool same_signature(JC *c, const LFn *f, const LFn *g)
{
    if (f->nparams != g->nparams || nty(c, f->ret).t != nty(c, g->ret).t)
        return false;
    for (int i = 0; i < f->nparams; i++)
        if (nty(c, slot_ty(f, i)).t != nty(c, slot_ty(g, i)).t)
            return false;
    return true;
}

/* The entry of f's signature: uint64_t vrsc_jit_entryN(void *fn, const
 * uint64_t *args) calls fn with 64-bit arguments converted to the native
 * types and returns its result in 64 bits. One per signature, not per
 * function: the function is a run-time pointer, so gcc has nothing to
 * inline and each entry compiles in no time. */
static void define_entry(JC *c, const LFn *f, const char *name)
{
    gcc_jit_param *ps[2] = {
        gcc_jit_context_new_param(c->ctx, NULL, c->vptr.t, "fn"),
        gcc_jit_context_new_param(c->ctx, NULL, c->t_pcu64, "args"),
    };
    c->gf = gcc_jit_context_new_function(c->ctx, NULL, GCC_JIT_FUNCTION_EXPORTED, c->u64.t, name, 2, ps, 0);
    if (!c->gf)
        return;
    c->cur = new_block(c);
    gcc_jit_rvalue **args = arena_alloc(&c->a, sizeof *args * (size_t)(f->nparams + 1));
    gcc_jit_type **tys = arena_alloc(&c->a, sizeof *tys * (size_t)(f->nparams + 1));
    for (int i = 0; i < f->nparams; i++) {
        const LSlot *s = f->slots.items[i];
        JTy t = nty(c, s->ty);
        tys[i] = t.t;
        Val a = val(gcc_jit_lvalue_as_rvalue(gcc_jit_context_new_array_access(
                        c->ctx, NULL, gcc_jit_param_as_rvalue(ps[1]), u64c(c, (uint64_t)i))),
                    c->cu64);
        if (t.cls == 's') { /* a record: a pointer to its words */
            JTy pt = { gcc_jit_type_get_pointer(t.t), 'p' };
            a = val(as(c, a, pt), pt);
        }
        args[i] = as(c, a, t);
    }
    JTy rt = nty(c, f->ret);
    gcc_jit_type *ft = gcc_jit_context_new_function_ptr_type(c->ctx, NULL, rt.t, f->nparams, tys, 0);
    gcc_jit_rvalue *callee = cast(c, gcc_jit_param_as_rvalue(ps[0]), ft);
    gcc_jit_rvalue *call = gcc_jit_context_new_call_through_ptr(c->ctx, NULL, callee, f->nparams, args);
    if (rt.cls == 'v' || rt.cls == 's') {
        gcc_jit_block_add_eval(c->cur, NULL, call);
        gcc_jit_block_end_with_return(c->cur, NULL, u64c(c, 0));
    } else {
        gcc_jit_block_end_with_return(c->cur, NULL, as(c, val(call, rt), c->u64));
    }
    c->cur = NULL;
}

static void make_types(JC *c, EngineMem *mem)
{
    gcc_jit_context *x = c->ctx;
    c->u64 = (JTy){ gcc_jit_context_get_type(x, GCC_JIT_TYPE_UINT64_T), 'u' };
    c->cu64 = (JTy){ gcc_jit_type_get_const(c->u64.t), 'u' };
    c->boolean = (JTy){ gcc_jit_context_get_type(x, GCC_JIT_TYPE_BOOL), 'b' };
    c->vptr = (JTy){ gcc_jit_context_get_type(x, GCC_JIT_TYPE_VOID_PTR), 'p' };
    c->pu64 = (JTy){ gcc_jit_type_get_pointer(c->u64.t), 'p' };
    c->none = (JTy){ gcc_jit_context_get_type(x, GCC_JIT_TYPE_VOID), 'v' };
    c->t_ull = gcc_jit_context_get_type(x, GCC_JIT_TYPE_UNSIGNED_LONG_LONG);
    c->t_pcu64 = gcc_jit_type_get_pointer(c->cu64.t);
    static const enum gcc_jit_types sized[9] = {
        [1] = GCC_JIT_TYPE_UINT8_T, [2] = GCC_JIT_TYPE_UINT16_T,
        [4] = GCC_JIT_TYPE_UINT32_T, [8] = GCC_JIT_TYPE_UINT64_T,
    };
    for (int w = 1; w <= 8; w *= 2)
        c->t_w[w] = gcc_jit_type_get_aligned(gcc_jit_context_get_type(x, sized[w]), 1);

    gcc_jit_type *pu8 = gcc_jit_type_get_pointer(gcc_jit_context_get_type(x, GCC_JIT_TYPE_UINT8_T));
    gcc_jit_field *mf[4] = {
        c->mem_base = gcc_jit_context_new_field(x, NULL, pu8, "base"),
        c->mem_size = gcc_jit_context_new_field(x, NULL, c->u64.t, "size"),
        gcc_jit_context_new_field(x, NULL, c->u64.t, "faults"),
        gcc_jit_context_new_field(x, NULL, c->u64.t, "fault_pa"),
    };
    gcc_jit_struct *st = gcc_jit_context_new_struct_type(x, NULL, "EngineMem", 4, mf);
    gcc_jit_type *t_mem = gcc_jit_struct_as_type(st);
    c->memp = gcc_jit_context_new_rvalue_from_ptr(x, gcc_jit_type_get_pointer(t_mem), mem);

    int nrec = c->m->recs.len;
    c->rec = arena_alloc(&c->a, sizeof *c->rec * (size_t)(nrec + 1));
    c->prec = arena_alloc(&c->a, sizeof *c->prec * (size_t)(nrec + 1));
    c->recf = arena_alloc(&c->a, sizeof *c->recf * (size_t)(nrec + 1));
    VEC_FOREACH(const LRec *, r, c->m->recs) {
        int n = r->fields.len;
        gcc_jit_field **fs = arena_alloc(&c->a, sizeof *fs * (size_t)(n + 1));
        for (int i = 0; i < n; i++) {
            char name[24];
            snprintf(name, sizeof name, "f%d", i);
            fs[i] = gcc_jit_context_new_field(x, NULL, field_ty(c, field_kind(r, i)).t, name);
        }
        if (n == 0) /* C has no empty structs; the padding word is never used */
            fs[n++] = gcc_jit_context_new_field(x, NULL, c->u64.t, "unused");
        c->recf[r_i] = fs;
        c->rec[r_i] = gcc_jit_struct_as_type(gcc_jit_context_new_struct_type(x, NULL, r->cname, n, fs));
        c->prec[r_i] = gcc_jit_type_get_pointer(c->rec[r_i]);
    }

    for (int h = 0; h < H_COUNT; h++) {
        gcc_jit_type *ps[4];
        int n = (int)strlen(helpers[h].args);
        for (int i = 0; i < n; i++)
            ps[i] = helpers[h].args[i] == 'p' ? c->vptr.t : helpers[h].args[i] == 'q' ? c->pu64.t : c->u64.t;
        gcc_jit_type *rt = helpers[h].ret == 'v' ? c->none.t : c->u64.t;
        gcc_jit_type *ft = gcc_jit_context_new_function_ptr_type(x, NULL, rt, n, ps, 0);
        c->helper[h] = gcc_jit_context_new_rvalue_from_ptr(x, ft, code_to_ptr(helpers[h].fn));
    }
    c->clz = gcc_jit_context_get_builtin_function(x, "__builtin_clzll");
    c->expect = gcc_jit_context_get_builtin_function(x, "__builtin_expect");
    c->t_long = gcc_jit_context_get_type(x, GCC_JIT_TYPE_LONG);
}

/* ---- the call-graph closure ---------------------------------------------------------------- */

static bool in_module(const LModule *m, const LFn *f)
{
    return f && f->id >= 0 && f->id < m->fns.len && m->fns.items[f->id] == f;
}

/* Marks the functions e calls (by LFn id in `in`), queueing the new ones. */
static void mark_expr(const LModule *m, const LExpr *e, bool *in, const LFn **todo, int *ntodo)
{
    for (; e; e = e->c) {
        if (e->kind == LE_CALL && in_module(m, e->fn) && !in[e->fn->id]) {
            in[e->fn->id] = true;
            todo[(*ntodo)++] = e->fn;
        }
        for (int i = 0; i < e->nargs; i++)
            mark_expr(m, e->args[i], in, todo, ntodo);
        mark_expr(m, e->a, in, todo, ntodo);
        mark_expr(m, e->b, in, todo, ntodo);
    }
}

static void mark_stmts(const LModule *m, const PtrVec *b, bool *in, const LFn **todo, int *ntodo)
{
    VEC_FOREACH(const LStmt *, s, *b) {
        mark_expr(m, s->lhs, in, todo, ntodo);
        mark_expr(m, s->rhs, in, todo, ntodo);
        mark_stmts(m, &s->body, in, todo, ntodo);
        mark_stmts(m, &s->els, in, todo, ntodo);
    }
}

/* Marks in `in` the entries and every function they call, directly or
 * not. False if an entry is not a function of m (or out of memory). */
static bool mark_closure(const LModule *m, LFn *const *entry, int n, bool *in)
{
    const LFn **todo = malloc(sizeof *todo * (size_t)(m->fns.len + 1));
    if (!todo)
        return false;
    int ntodo = 0;
    for (int i = 0; i < n; i++) {
        if (!in_module(m, entry[i])) {
            free(todo);
            return false;
        }
        if (!in[entry[i]->id]) {
            in[entry[i]->id] = true;
            todo[ntodo++] = entry[i];
        }
    }
    while (ntodo > 0) {
        const LFn *f = todo[--ntodo];
        mark_stmts(m, &f->body, in, todo, &ntodo);
    }
    free(todo);
    return true;
}

/* ---- compiling a context ------------------------------------------------------------------- */

/* How a context is compiled (see the top of the file). */
typedef struct JitCfg {
    int  opt;        /* gcc's -O level */
    bool lean;       /* IPA and points-to analyses off; MEM accesses through mem_fn */
} JitCfg;

static const JitCfg cfg_all = { 2, false };    /* jit_compile */
static const JitCfg cfg_some = { 1, true };    /* jit_compile_some, jit_add */

/* The analyses `lean` turns off: 7% of gcc's time at -O1 on x86-64's
 * resolve and walk, for no loss of speed we could measure. (Turning off
 * -O1's other passes one by one saved 9% more, but made resolve up to 30%
 * slower; -finline-small-functions, -Og and -Os saved nothing.) */
static const char *const lean_flags[] = {
    "-fno-tree-pta", "-fno-ipa-modref", "-fno-ipa-pure-const", "-fno-ipa-reference",
    "-fno-ipa-reference-addressable", "-fno-ipa-profile",
};

/* VRSC_JIT_CFLAGS: more options for libgccjit's compiler, separated by
 * blanks, after vrsc's own (so `-O0 -g` wins), for looking at what gcc
 * makes of the LIR. An option gcc rejects makes the compile fail with
 * libgccjit's error, as any other failure does. */
static void user_flags(gcc_jit_context *ctx)
{
    const char *env = getenv("VRSC_JIT_CFLAGS");
    char opt[256];
    while (env && *env) {
        size_t n = strcspn(env, " \t");
        if (n > 0 && n < sizeof opt) {
            memcpy(opt, env, n);
            opt[n] = 0;
            gcc_jit_context_add_command_line_option(ctx, opt);   /* libgccjit copies it */
        }
        env += n;
        env += strspn(env, " \t");
    }
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Compiles the functions marked in `want` into one new context of j: those
 * marked in `pub` are exported and become callable through j, the others
 * are internal to the context. All or nothing: on failure j is unchanged.
 * Returns NULL, or the error (in m->a). */
static const char *compile_part(Jit *j, const bool *want, const bool *pub, JitCfg cfg)
{
    const LModule *m = j->m;
    gcc_jit_result **res = realloc(j->res, sizeof *res * (size_t)(j->nres + 1));
    if (!res)
        return "jit: out of memory";
    j->res = res;

    JC c = { .m = m, .mem_fns = cfg.lean };
    arena_init(&c.a);
    c.ctx = gcc_jit_context_acquire();
    if (!c.ctx) {
        arena_free(&c.a);
        return "jit: libgccjit could not make a context";
    }
    gcc_jit_context_set_int_option(c.ctx, GCC_JIT_INT_OPTION_OPTIMIZATION_LEVEL, cfg.opt);
    gcc_jit_context_set_bool_option(c.ctx, GCC_JIT_BOOL_OPTION_DEBUGINFO, 0);
    gcc_jit_context_set_bool_print_errors_to_stderr(c.ctx, 0);
    gcc_jit_context_set_bool_allow_unreachable_blocks(c.ctx, 1);
    gcc_jit_context_add_command_line_option(c.ctx, "-fno-strict-aliasing");
    gcc_jit_context_add_command_line_option(c.ctx, "-fno-semantic-interposition");
    for (size_t i = 0; cfg.lean && i < sizeof lean_flags / sizeof *lean_flags; i++)
        gcc_jit_context_add_command_line_option(c.ctx, lean_flags[i]);
    /* the code calls nothing by name: no C library to link */
    gcc_jit_context_add_driver_option(c.ctx, "-nostdlib");
    user_flags(c.ctx);

    make_types(&c, j->mem);
    int nfns = m->fns.len;
    c.fn = arena_alloc(&c.a, sizeof *c.fn * (size_t)(nfns + 1));
    memset(c.fn, 0, sizeof *c.fn * (size_t)(nfns + 1));
    c.shapes = arena_alloc(&c.a, sizeof *c.shapes * (size_t)(nfns + 1));
    int *shape = arena_alloc(&c.a, sizeof *shape * (size_t)(nfns + 1));
    const char **entry_names = arena_alloc(&c.a, sizeof *entry_names * (size_t)(nfns + 1));
    VEC_FOREACH(const LFn *, f, m->fns)
        if (want[f_i])
            declare_fn(&c, f, pub[f_i] ? GCC_JIT_FUNCTION_EXPORTED : GCC_JIT_FUNCTION_INTERNAL);
    VEC_FOREACH(const LFn *, f, m->fns) {
        if (!want[f_i])
            continue;
        define_fn(&c, f);
        if (!pub[f_i])
            continue;
        int k = 0;
        while (k < c.nshapes && !same_signature(&c, c.shapes[k], f))
            k++;
        shape[f_i] = k;
        if (k < c.nshapes)
            continue;
        c.shapes[c.nshapes++] = f;
        entry_names[k] = arena_printf(&c.a, "vrsc_jit_entry%d", k);
        define_entry(&c, f, entry_names[k]);
    }

    gcc_jit_result *r = NULL;
    const char *gerr = gcc_jit_context_get_first_error(c.ctx);
    if (!c.err && !gerr) {
        r = gcc_jit_context_compile(c.ctx);
        gerr = gcc_jit_context_get_first_error(c.ctx);
        if (!r && !gerr)
            gerr = "compilation failed";
    }
    if (!c.err && gerr)
        c.err = arena_printf(m->a, "libgccjit: %s", gerr);
    void **native = arena_alloc(&c.a, sizeof *native * (size_t)(nfns + 1));
    void **entry = arena_alloc(&c.a, sizeof *entry * (size_t)(c.nshapes + 1));
    VEC_FOREACH(const LFn *, f, m->fns) {
        if (c.err)
            break;
        if (pub[f_i] && !(native[f_i] = gcc_jit_result_get_code(r, f->name)))
            c.err = arena_printf(m->a, "jit: no code for %s", f->name);
    }
    for (int k = 0; k < c.nshapes && !c.err; k++)
        if (!(entry[k] = gcc_jit_result_get_code(r, entry_names[k])))
            c.err = arena_printf(m->a, "jit: no code for %s", entry_names[k]);
    if (!c.err) {
        VEC_FOREACH(const LFn *, f, m->fns) {
            if (pub[f_i]) {
                j->native[f_i] = native[f_i];
                j->entry[f_i] = entry[shape[f_i]];
            }
        }
        j->res[j->nres++] = r;
    } else if (r) {
        gcc_jit_result_release(r);
    }
    gcc_jit_context_release(c.ctx);
    arena_free(&c.a);
    return c.err;
}

/* ---- the interface ------------------------------------------------------------------------- */

bool jit_available(void)
{
    return true;
}

static void jit_release(Jit *j)
{
    for (int i = 0; i < j->nres; i++)
        gcc_jit_result_release(j->res[i]);
    free(j->res);
    free(j->native);
    free(j->entry);
    free(j);
}

static Jit *jit_new(const LModule *m, EngineMem *mem, const char **err)
{
    if (!m) {
        *err = "jit: no module";
        return NULL;
    }
    if (!lir_check(m, NULL)) {
        *err = "jit: the module fails lir_check (run it with an output for the details)";
        return NULL;
    }
    Jit *j = calloc(1, sizeof *j);
    if (j) {
        j->m = m;
        j->mem = mem ? mem : &j->nomem;
        j->nfns = m->fns.len;
        j->native = calloc((size_t)j->nfns + 1, sizeof *j->native);
        j->entry = calloc((size_t)j->nfns + 1, sizeof *j->entry);
    }
    if (!j || !j->native || !j->entry) {
        if (j)
            jit_release(j);
        *err = "jit: out of memory";
        return NULL;
    }
    return j;
}

/* Compiles the closure of entry[0..n) into j: a part for the entries not
 * yet callable, if any. */
static const char *add_part(Jit *j, LFn *const *entry, int n)
{
    if (n < 1 || !entry)
        return "jit: no entry functions";
    size_t len = (size_t)j->nfns + 1;
    bool *want = calloc(len, 1), *pub = calloc(len, 1);
    const char *err = NULL;
    if (!want || !pub) {
        err = "jit: out of memory";
    } else if (!mark_closure(j->m, entry, n, want)) {
        err = "jit: an entry function is not in the module (or out of memory)";
    } else {
        bool any = false;
        for (int i = 0; i < n; i++) {
            pub[entry[i]->id] = !j->native[entry[i]->id];
            any |= pub[entry[i]->id];
        }
        if (any)
            err = compile_part(j, want, pub, cfg_some);
    }
    free(want);
    free(pub);
    return err;
}

/* Errors go to *err in storage of the module's arena (m->a) or static:
 * they live as long as the module. */
Jit *jit_compile(const LModule *m, EngineMem *mem, const char **err)
{
    const char *ignored;
    if (!err)
        err = &ignored;
    *err = NULL;
    double t0 = now_ms();
    Jit *j = jit_new(m, mem, err);
    if (!j)
        return NULL;
    bool *all = malloc((size_t)j->nfns + 1);
    if (!all) {
        jit_release(j);
        *err = "jit: out of memory";
        return NULL;
    }
    memset(all, 1, (size_t)j->nfns + 1);
    *err = compile_part(j, all, all, cfg_all);
    free(all);
    if (*err) {
        jit_release(j);
        return NULL;
    }
    j->ms = now_ms() - t0;
    return j;
}

Jit *jit_compile_some(const LModule *m, LFn *const *entry, int n, EngineMem *mem, const char **err)
{
    const char *ignored;
    if (!err)
        err = &ignored;
    *err = NULL;
    double t0 = now_ms();
    Jit *j = jit_new(m, mem, err);
    if (!j)
        return NULL;
    if ((*err = add_part(j, entry, n))) {
        jit_release(j);
        return NULL;
    }
    j->ms = now_ms() - t0;
    return j;
}

bool jit_add(Jit *j, LFn *const *entry, int n, const char **err)
{
    const char *ignored;
    if (!err)
        err = &ignored;
    *err = NULL;
    if (!j) {
        *err = "jit: no JIT";
        return false;
    }
    double t0 = now_ms();
    if ((*err = add_part(j, entry, n)))
        return false;
    j->ms += now_ms() - t0;
    return true;
}

void jit_free(Jit *j)
{
    if (j)
        jit_release(j);
}

/* Is f a function of j's module that j can call? */
static bool owns(const Jit *j, const LFn *f)
{
    return j && f && f->id >= 0 && f->id < j->nfns && j->m->fns.items[f->id] == f && j->native[f->id];
}

uint64_t jit_call(Jit *j, const LFn *f, const uint64_t *args)
{
    static const uint64_t none[1] = { 0 };
    if (!owns(j, f) || (f->nparams && !args))
        return 0;
    return ptr_to_entry(j->entry[f->id])(j->native[f->id], args ? args : none);
}

void *jit_native(Jit *j, const LFn *f)
{
    return owns(j, f) ? j->native[f->id] : NULL;
}

double jit_compile_ms(const Jit *j)
{
    return j ? j->ms : 0;
}

#endif /* VRSC_HAVE_JIT */
