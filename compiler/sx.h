/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sx.h - symbolic expressions: the value language of synthesized programs.
 *
 * Synthesis converts spec expressions (checked AST) into Sx trees, solves
 * goals over them and emits programs whose inserted values are Sx trees. The
 * Z3 prover (verify.c) and the printers read the same trees, and the lowered
 * IR of the C driver reuses them, so one set of semantics serves all:
 *   - every integer is an unsigned 64-bit value; arithmetic wraps mod 2^64;
 *   - shifts by 64 or more give 0 (Z3's bvshl/bvlshr; emitters must guard);
 *   - a slice reads as its bits [lo, hi) zero-extended to 64 bits;
 *   - a bool is 1/0 where an integer is needed; an integer is true if != 0;
 *   - SX_LOG2 of x is the index of x's highest set bit (0 for x = 0).
 * The kinds are an X-macro table so printers cannot drift from the enum.
 */
#ifndef VRSC_SX_H
#define VRSC_SX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "sema.h"

#define SX_KINDS(X)                                                            \
    X(SX_NUM,   "num")    /* num; is_bool for true/false */                    \
    X(SX_ARG,   "arg")    /* an operation argument: arg (SxArg) */             \
    X(SX_FLAG,  "flag")   /* flgs.<name>: bit `flag` of the flags argument */  \
    X(SX_STATE, "state")  /* state slice [lo,hi) of `field` (a goal's view) */ \
    X(SX_CUR,   "cur")    /* slice [lo,hi) of the local copy of iface `field` */ \
    X(SX_VAR,   "var")    /* the range variable i (map/unmap) or x (protect) */ \
    X(SX_PARAM, "param")  /* unit parameter number `arg` (IR: `name`) */     \
    X(SX_BIN,   "bin")    /* a op b (BinOp: arithmetic, compare, logic) */     \
    X(SX_UN,    "un")     /* op a: OP_NOT (logical) or OP_BITNOT */            \
    X(SX_ITE,   "ite")    /* a ? b : c */                                      \
    X(SX_LOG2,  "log2")   /* log2(a) */

typedef enum SxKind {
#define X(k, s) k,
    SX_KINDS(X)
#undef X
} SxKind;

extern const char *const sx_kind_names[];

/* The arguments of map/unmap/protect, by role (not by spelling). */
typedef enum SxArg { ARG_VA, ARG_SZ, ARG_FLGS, ARG_PA, ARG_COUNT } SxArg;

extern const char *const sx_arg_names[];   /* "va", "sz", "flgs", "pa" */

typedef struct Sx Sx;
struct Sx {
    SxKind        kind;
    bool          is_bool;   /* a truth value (compare, logic, flag, bool num) */
    BinOp         op;        /* SX_BIN */
    UnOp          uop;       /* SX_UN */
    uint64_t      num;       /* SX_NUM */
    SxArg         arg;       /* SX_ARG */
    int           flag;      /* SX_FLAG: bit index in the global flags block */
    const char   *name;      /* SX_FLAG: flag name; SX_STATE/SX_CUR: slice name
                                (NULL for a whole field) */
    const SField *field;     /* SX_STATE: a state field; SX_CUR: an iface field */
    unsigned      lo, hi;    /* SX_STATE, SX_CUR: bits [lo, hi) */
    Sx           *a, *b, *c; /* operands */
};

/* Constructors (arena-allocated, never fail: the arena aborts on OOM).
 * They fold constants and apply identities that hold for all values
 * (x + 0, x << 0, x & 0, !!b, ...), so printed programs stay readable. */
Sx *sx_num(Arena *a, uint64_t v);
Sx *sx_bool(Arena *a, bool v);
Sx *sx_arg(Arena *a, SxArg arg);
Sx *sx_flag(Arena *a, int bit, const char *name);
Sx *sx_state(Arena *a, const SField *f, unsigned lo, unsigned hi, const char *name);
Sx *sx_cur(Arena *a, const SField *f, unsigned lo, unsigned hi, const char *name);
Sx *sx_var(Arena *a);
Sx *sx_param(Arena *a, int index, const char *name);
Sx *sx_bin(Arena *a, BinOp op, Sx *l, Sx *r);
Sx *sx_un(Arena *a, UnOp op, Sx *x);
Sx *sx_ite(Arena *a, Sx *c, Sx *t, Sx *e);
Sx *sx_log2(Arena *a, Sx *x);
Sx *sx_not(Arena *a, Sx *b);            /* logical not */

bool sx_equal(const Sx *x, const Sx *y);        /* structural */
bool sx_is_num(const Sx *x, uint64_t v);
/* Does x mention a kind (SX_STATE, SX_VAR, SX_CUR, ...)? */
bool sx_mentions(const Sx *x, SxKind k);
/* Does x depend on nothing but numbers, flags and the arguments in
 * `args` (a mask of 1 << SxArg): no state, current bits, range variable
 * or unit parameter? */
bool sx_only_args(const Sx *x, unsigned args);
/* The one state bit a flag decoder reads back as it is (`s.f[k]`,
 * `s.f[k] != 0`, `s.f[k] == 1`), or inverted (`s.f[k] == 0`, `!= 1`: *neg
 * set); NULL for anything else. */
const Sx *sx_state_bit(const Sx *d, bool *neg);
/* Does x mention state slice [lo,hi) of f (overlapping bits count)? */
bool sx_mentions_state(const Sx *x, const SField *f, unsigned lo, unsigned hi);
/* Replace every SX_VAR by `by` (re-folding on the way up). */
Sx *sx_subst_var(Arena *a, Sx *x, Sx *by);
/* Replace every node structurally equal to `from` by `to`. */
Sx *sx_subst(Arena *a, Sx *x, const Sx *from, Sx *to);
/* Rebuild x through the folding constructors (after editing children). */
Sx *sx_refold(Arena *a, Sx *x);

/* Print as C-like text: `(pa >> 12) & 0xfffff`, `flgs.writable ? 1 : 0`.
 * Spellings: state slices `state.entry.address`, local copies
 * `entry.address` (whole field: `entry`), the range variable `i`. */
void sx_print(FILE *out, const Sx *x);
/* Same into a buffer (truncated with "..." if too long). */
const char *sx_str(char *buf, size_t n, const Sx *x);

#endif
