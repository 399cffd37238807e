/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * lir.h - the procedural half of the lowered IR: functions, statements and
 * expressions that every backend executes.
 *
 * ir.h says *what* each unit is (its state, predicates, programs and
 * composition); lir_unit.c and lir_drv.c turn that into LIR functions:
 * the per-unit load/decode/valid/translate/... and the synthesized
 * programs, and per root the range driver (walks over tables, the dry run,
 * table pools, splits, TLB batching). The backends only read the LIR:
 *   - emit_c.c prints it as C (plus declarations taken from ir.h),
 *   - lir_interp.c executes it (the reference semantics),
 *   - jit.c compiles it with libgccjit.
 * None of them knows how a page table works.
 *
 * The model is C-shaped on purpose, so printed C reads like hand-written
 * code:
 *   - every scalar is 64 bits (bool is 0/1; the kind only chooses the C
 *     spelling); arithmetic is Sx's (sx.h): wrapping, shifts by >= 64 give
 *     0, x / 0 = UINT64_MAX, x % 0 = x, log2(0) = 0;
 *   - records (a unit's state, a driver's transaction and context) are
 *     structs of 64-bit fields, passed by pointer;
 *   - pointers are host pointers held in 64 bits (out-parameters, records);
 *   - && and || short-circuit; env operations are the runtime/vrs_env.h
 *     calls, with the env as their first argument.
 * A function's slots are its parameters (first) and its locals; locals
 * start at 0 (records: all fields 0).
 */
#ifndef VRSC_LIR_H
#define VRSC_LIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "ir.h"

/* Scalar kinds, with their C spelling (status and flags_t: NAME_status,
 * NAME_flags_t). */
#define LIR_KINDS(X)                                                           \
    X(LK_VOID,   "void")                                                       \
    X(LK_U64,    "uint64_t")                                                   \
    X(LK_BOOL,   "bool")                                                       \
    X(LK_INT,    "int")                                                        \
    X(LK_STATUS, "status")                                                     \
    X(LK_FLAGS,  "flags_t")                                                    \
    X(LK_ENV,    "struct vrs_env *")                                           \
    X(LK_PTR,    "ptr")                                                        \
    X(LK_REC,    "rec")

typedef enum LKind {
#define X(k, s) k,
    LIR_KINDS(X)
#undef X
} LKind;

extern const char *const lir_kind_names[];

typedef struct LRec LRec;

typedef struct LType {
    LKind       kind;
    LKind       to;     /* LK_PTR to a scalar: its kind (LK_REC: to `rec`) */
    const LRec *rec;    /* LK_REC, or LK_PTR to a record */
} LType;

/* A record: a struct of 64-bit fields (LK_U64, LK_FLAGS, or LK_ENV). */
typedef struct LField {
    const char *name;
    LKind       kind;   /* a scalar kind (LK_ENV allowed) */
    Loc         loc;    /* for the back-link; may be empty */
} LField;

struct LRec {
    const char *cname;      /* the C type name: x86_64_pt_entry_state */
    PtrVec      fields;     /* LField* */
    bool        pub;        /* declared in the header (state, context) */
    const char *comment;    /* printed above it; may be NULL */
    Loc         loc;
    int         id;
    const IrUnit *unit;     /* a unit's state (NULL: a driver's record) */
};

/* Env operations: runtime/vrs_env.h. `width` is the access size in bytes
 * (MEM, MMIO); `id` the register or instruction number. Arguments after the
 * env, in order. */
#define LIR_ENV_OPS(X)                                                         \
    X(LENV_MEM_READ,    "mem_read",    1, LK_U64)   /* pa */                  \
    X(LENV_MEM_WRITE,   "mem_write",   2, LK_VOID)  /* pa, v */               \
    X(LENV_MMIO_READ,   "mmio_read",   1, LK_U64)   /* pa */                  \
    X(LENV_MMIO_WRITE,  "mmio_write",  2, LK_VOID)  /* pa, v */               \
    X(LENV_REG_READ,    "reg_read",    0, LK_U64)                             \
    X(LENV_REG_WRITE,   "reg_write",   1, LK_VOID)  /* v */                   \
    X(LENV_INSTR,       "instr",       0, LK_VOID)                            \
    X(LENV_BARRIER,     "barrier",     0, LK_VOID)                            \
    X(LENV_ALLOC_TABLE, "alloc_table", 3, LK_BOOL)  /* bytes, align, &pa */   \
    X(LENV_FREE_TABLE,  "free_table",  2, LK_VOID)  /* pa, bytes */           \
    X(LENV_TLB_INVAL,   "tlb_invalidate", 2, LK_VOID) /* va, size */

typedef enum LEnvOp {
#define X(k, s, n, r) k,
    LIR_ENV_OPS(X)
#undef X
    LENV_COUNT
} LEnvOp;

extern const char *const lir_env_names[];
extern const int         lir_env_nargs[];     /* without the env */
extern const LKind       lir_env_result[];

#define LIR_EXPR_KINDS(X)                                                      \
    X(LE_NUM,   "num")     /* num */                                          \
    X(LE_SLOT,  "slot")    /* parameter or local `slot` */                    \
    X(LE_FIELD, "field")   /* field `field` of record a (a record slot, or a  \
                              pointer to a record) */                         \
    X(LE_DEREF, "deref")   /* *a (a pointer to a scalar) */                   \
    X(LE_ADDR,  "addr")    /* &a (a slot or a field) */                       \
    X(LE_BIN,   "bin")     /* a op b; OP_LAND/OP_LOR short-circuit */         \
    X(LE_UN,    "un")      /* op a: OP_NOT or OP_BITNOT */                    \
    X(LE_ITE,   "ite")     /* a ? b : c (only the chosen one is evaluated) */ \
    X(LE_LOG2,  "log2")    /* log2(a) */                                      \
    X(LE_CALL,  "call")    /* fn(args) */                                     \
    X(LE_ENV,   "env")     /* env(args[0] is the env, then the op's) */

typedef enum LExprKind {
#define X(k, s) k,
    LIR_EXPR_KINDS(X)
#undef X
} LExprKind;

extern const char *const lir_expr_names[];

typedef struct LFn LFn;
typedef struct LExpr LExpr;
struct LExpr {
    LExprKind kind;
    LType     ty;
    uint64_t  num;      /* LE_NUM */
    int       slot;     /* LE_SLOT */
    int       field;    /* LE_FIELD */
    BinOp     op;       /* LE_BIN */
    UnOp      uop;      /* LE_UN */
    LEnvOp    env;      /* LE_ENV */
    unsigned  width;    /* LE_ENV: bytes (MEM, MMIO) */
    unsigned  id;       /* LE_ENV: register / instruction number */
    LExpr    *a, *b, *c;
    LFn      *fn;       /* LE_CALL */
    LExpr   **args;     /* LE_CALL, LE_ENV */
    int       nargs;
};

#define LIR_STMT_KINDS(X)                                                      \
    X(LS_ASSIGN, "assign")   /* lhs = rhs (lhs: slot, field or deref) */      \
    X(LS_EXPR,   "expr")     /* rhs, for its effect */                        \
    X(LS_IF,     "if")       /* if (rhs) body else els */                     \
    X(LS_WHILE,  "while")    /* while (rhs) body */                           \
    X(LS_BREAK,  "break")    /* leaves the innermost while */                 \
    X(LS_RETURN, "return")   /* rhs may be NULL (void) */

typedef enum LStmtKind {
#define X(k, s) k,
    LIR_STMT_KINDS(X)
#undef X
} LStmtKind;

extern const char *const lir_stmt_names[];

typedef struct LStmt LStmt;
struct LStmt {
    LStmtKind   kind;
    LExpr      *lhs, *rhs;
    PtrVec      body, els;      /* LStmt* */
    Loc         loc;            /* back-link (empty: none) */
    const char *comment;        /* a why-comment the C printer keeps */
    bool        rare;           /* LS_IF: the body is an exit the common
                                   path does not take (an error, an invalid
                                   entry); a backend may lay it out of the
                                   way. Never changes what the code does. */
};

typedef enum LLink {
    LINK_EXPORT,     /* public: declared in the header */
    LINK_INTERNAL,   /* static inline, in the source */
    LINK_HEADER      /* static inline, in the header (decode) */
} LLink;

typedef struct LSlot {
    const char *name;
    LType       ty;
    bool        cnst;   /* a pointer parameter the function only reads */
    bool        noinit; /* a local the function assigns before any read:
                           the C printer leaves it uninitialized (a
                           driver's transaction is not cleared per call) */
} LSlot;

/* Status values (NAME_status), in the order of the generated enum.
 * LIR_RETRY is internal to a range driver (NAME_RETRY_). */
enum { LIR_OK, LIR_EINVAL, LIR_EEXIST, LIR_ENOENT, LIR_ENOMEM, LIR_RETRY = 99 };

struct LFn {
    const char *name;
    LType       ret;
    PtrVec      slots;       /* LSlot*: params, then locals */
    int         nparams;
    PtrVec      body;        /* LStmt* */
    LLink       link;
    Loc         loc;
    const char *comment;     /* printed above it; may be NULL */
    int         id;          /* index in the module */
    const IrUnit *unit;      /* the segment it belongs to (per-unit code) */
    bool        hot;         /* small and on every walk: a C backend
                              * should inline it into its callers */
    bool        cold;        /* rarely run: a C backend keeps it out of
                              * line, so its callers need no frame for it */
    bool        noinline;    /* a C backend keeps it out of line (not
                              * cold): its caller's fast path stays small */
};

/* A root's range driver. */
typedef struct LRoot {
    const IrUnit *unit;
    LRec *ctx;               /* NAME_R_drv_ctx: env, the root's params, ... */
    LFn  *init, *fini;       /* NULL: the root has no table to install */
    LFn  *map, *unmap, *protect, *resolve;
    /* walk(ctx, va, trace *) -> status: resolve's walk, recording every
     * level it reads in a trace record (LTRACE_* below); not printed in C
     * (nothing calls it), run by the engines for `vrsc jit`'s walk. */
    LFn  *walk;
    LRec *trace;
    int   max_levels;        /* levels a trace can hold */
    const char *name;        /* NAME_R_drv */
} LRoot;

/* A walk trace: words [0, LTRACE_LEVEL0) then LTRACE_PER words a level.
 * Per level k, at LTRACE_LEVEL0 + k * LTRACE_PER + LTRACE_*:
 *   UNIT   index in IrProgram.units of the segment read at this level:
 *          the variant that matched, else the entry's first variant
 *   PARAM0 the entry's first parameter (its address for a memory entry)
 *   INDEX  the table index that selected the entry (UINT64_MAX at a root)
 *   RAW    the raw word the entry decodes from (0 if it reads several)
 *   OK     1 if the entry was valid and translated the address, else 0
 *   OUT    what it translated to (the next table, or the leaf's pa)
 * `levels` counts the levels read; the walk stops at the first not-OK
 * level (the fault) or at a leaf (status OK, pa/flags/psz set). */
enum { LTRACE_LEVELS, LTRACE_PA, LTRACE_FLAGS, LTRACE_PSZ, LTRACE_LEVEL0 };
enum { LTRACE_UNIT, LTRACE_PARAM0, LTRACE_INDEX, LTRACE_RAW, LTRACE_OK, LTRACE_OUT, LTRACE_PER };

/* Per-unit functions a backend may call (segments only). */
typedef struct LUnitFns {
    const IrUnit *unit;
    LRec *state;
    LFn  *decode;            /* NULL unless the state reads from one field */
    LFn  *load, *init, *valid, *translate, *matchflags, *flags, *resolve;
    LFn  *vtranslate;        /* valid() && translate(), for walks: its
                                false returns are rare (LStmt.rare) */
    LFn  *probe;             /* the same, unhinted: an entry that map
                                expects to find free */
    LFn  *ok[SYN_COUNT], *do_[SYN_COUNT], *op[SYN_COUNT];
    LFn  *map_tmpl, *map_put;  /* map_do in two, when it builds one field
                                  from zero: its flag-only bits, then the
                                  rest and the write (NULL otherwise) */
} LUnitFns;

typedef struct LModule {
    Arena           *a;
    const IrProgram *ir;
    PtrVec           recs;   /* LRec* */
    PtrVec           fns;    /* LFn*, in definition order (callees first,
                                except recursive ones) */
    PtrVec           units;  /* LUnitFns*, per IR_SEGMENT unit */
    PtrVec           roots;  /* LRoot*, per IR root with a range driver */
    PtrVec           no_driver;  /* const IrUnit*: roots without one */
    PtrVec           no_driver_why;  /* const char*: why, per no_driver */
} LModule;

/* ---- building ---------------------------------------------------------------------- */

LModule *lir_new(Arena *a, const IrProgram *ir);
LRec    *lir_rec(LModule *m, const char *cname, bool pub, Loc loc);
int      lir_rec_field(LModule *m, LRec *r, const char *name, LKind kind, Loc loc);
LFn     *lir_fn(LModule *m, const char *name, LType ret, LLink link, Loc loc);
int      lir_param(LModule *m, LFn *f, const char *name, LType ty);
int      lir_local(LModule *m, LFn *f, const char *name, LType ty);
/* Functions are listed in the order they are defined; a function made
 * before its body is known (a recursive walk) is placed with lir_place. */
void     lir_place(LModule *m, LFn *f);

LType lt(LKind k);
LType lt_ptr(LKind to);
LType lt_rec(const LRec *r);
LType lt_prec(const LRec *r);   /* pointer to a record */

LExpr *lx_num(LModule *m, uint64_t v);
LExpr *lx_numk(LModule *m, uint64_t v, LKind k);
LExpr *lx_slot(LModule *m, const LFn *f, int slot);
LExpr *lx_field(LModule *m, LExpr *rec, int field);
LExpr *lx_deref(LModule *m, LExpr *p);
LExpr *lx_addr(LModule *m, LExpr *lv);
LExpr *lx_bin(LModule *m, BinOp op, LExpr *a, LExpr *b);
LExpr *lx_un(LModule *m, UnOp op, LExpr *a);
LExpr *lx_not(LModule *m, LExpr *a);
LExpr *lx_ite(LModule *m, LExpr *c, LExpr *a, LExpr *b);
LExpr *lx_log2(LModule *m, LExpr *a);
LExpr *lx_call(LModule *m, LFn *fn, int nargs, LExpr **args);
LExpr *lx_callv(LModule *m, LFn *fn, ...);             /* args, then NULL */
LExpr *lx_env(LModule *m, LEnvOp op, unsigned width, unsigned id, LExpr *env, ...); /* then NULL */

/* A statement builder: a cursor into a function's body. */
typedef struct LB {
    LModule *m;
    LFn     *fn;
    PtrVec  *blk[32];        /* open blocks; blk[depth] receives statements */
    LStmt   *open[32];       /* the if / while each block belongs to */
    int      depth;
    Loc      loc;            /* back-link for the next statements */
    const char *comment;     /* for the next statement only */
} LB;

void lb_begin(LB *b, LModule *m, LFn *fn);
void lb_loc(LB *b, Loc loc);
void lb_comment(LB *b, const char *text);
void lb_assign(LB *b, LExpr *lhs, LExpr *rhs);
void lb_set(LB *b, int slot, LExpr *rhs);           /* slot = rhs */
void lb_expr(LB *b, LExpr *e);
void lb_if(LB *b, LExpr *cond);
void lb_if_rare(LB *b, LExpr *cond);   /* lb_if, the body marked rare */
void lb_else(LB *b);
void lb_while(LB *b, LExpr *cond);
void lb_end(LB *b);                                   /* closes if / while */
void lb_break(LB *b);
void lb_ret(LB *b, LExpr *e);                         /* NULL: void */

/* Convenience: slot of f as an expression. */
#define LV(b, s) lx_slot((b)->m, (b)->fn, (s))

/* ---- using ------------------------------------------------------------------------- */

/* Structural checks (slots, arities, lvalues, breaks inside loops,
 * returns matching the function): a builder bug is reported on `out` and
 * makes it return false. */
bool lir_check(const LModule *m, FILE *out);

/* Pseudo-C listing, for --dump-lir and tests. */
void lir_dump(FILE *out, const LModule *m);

const LUnitFns *lir_unit_fns(const LModule *m, const IrUnit *u);
LFn            *lir_find(const LModule *m, const char *name);

/* Interface access (lir_unit.c): reading or writing interface field f of
 * unit u, whose params (by u->params position) are `params`; the one field
 * a unit's whole state is read from (NULL: several, or none). */
LExpr *lir_io_read(LModule *m, LExpr *env, const SField *f, const IrUnit *u, LExpr *const *params);
LExpr *lir_io_write(LModule *m, LExpr *env, const SField *f, const IrUnit *u, LExpr *const *params,
                    LExpr *v);
const SFieldIO *lir_single_read(const IrUnit *u);

/* Lower the IR's units and roots (lir_unit.c, lir_drv.c). */
LModule *lir_lower(Arena *a, const IrProgram *ir);
void     lir_lower_units(LModule *m);
void     lir_lower_drivers(LModule *m);

/* Sx (over a unit's state, input, flags and params) as an LIR expression. */
typedef struct LSxEnv {
    const LFn  *fn;
    LExpr      *state;        /* a record (slot or pointer) of the unit's state */
    const LRec *rec;
    const IrUnit *unit;       /* whose state fields `rec` holds */
    LExpr      *var;          /* SX_VAR */
    LExpr      *flags;        /* SX_FLAG reads bits of it */
    LExpr      *args[4];      /* SX_ARG by SxArg */
    LExpr     **params;       /* SX_PARAM, by the unit's param names */
    int         nparams;
    const char **pnames;
    const SField **curf;      /* SX_CUR: the program's locals, by field */
    LExpr     **cur;
    int         ncur;
} LSxEnv;

LExpr *lir_from_sx(LModule *m, const Sx *x, const LSxEnv *env);

#endif
