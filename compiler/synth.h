/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * synth.h - synthesis of map/unmap/protect: checked AST -> proven programs.
 *
 * For every concrete segment and every `synth fn map|unmap|protect` it has,
 * synthesis builds a straight-line program of interface operations and
 * proves it with Z3. The stages, one file each:
 *   deduce.c  goals: the operation's contract as Sx conjuncts (translate
 *             result and preconditions, valid(), #[remap], matchflags,
 *             ensures), each with the source location it came from; then
 *             deduction: solve the conjuncts for state slices
 *             (targets), never by enumerating candidate programs;
 *   synth.c   realization: targets -> interface operations through the
 *             fields' write actions, instructions and read-modify-write;
 *             the driver over all units; the printer;
 *   verify.c  the proof: symbolic execution of the program in Z3 over
 *             bit-vectors of the real widths, each goal proven for all
 *             states and arguments satisfying the assumptions (the range
 *             goals for every 0 <= i < sz), counterexamples on failure,
 *             and the equivalence checks that simplify deduced values.
 * Nothing here changes the SemaProgram. Programs live in the SemaProgram's
 * arena. The lowered IR of the C driver reads SynthProg.ops.
 */
#ifndef VRSC_SYNTH_H
#define VRSC_SYNTH_H

#include <stdbool.h>
#include <stdio.h>

#include "sema.h"
#include "sx.h"

#define SYNTH_OPS(X)                                                           \
    X(SYN_MAP,     "map")                                                      \
    X(SYN_UNMAP,   "unmap")                                                    \
    X(SYN_PROTECT, "protect")

typedef enum SynthOpKind {
#define X(k, s) k,
    SYNTH_OPS(X)
#undef X
    SYN_COUNT
} SynthOpKind;

extern const char *const synth_op_names[];

/* ---- interface moves ------------------------------------------------------ */

/* Bits [lo, hi) of a state field or of an interface field's local copy. */
typedef struct SRef {
    SField  *field;
    unsigned lo, hi;
    bool     iface;
    const char *name;      /* slice name, NULL for the whole field */
} SRef;

/* One resolved action `src -> dst`: the dst bits get the src bits
 * (zero-extended or cut to the dst width). */
typedef struct SMove {
    SRef src, dst;
    Loc  loc;
} SMove;

/* The moves of an interface field: what `read F` and `write F` do. For an
 * `instr` field, both are state-to-state moves run by the instruction. */
typedef struct SFieldIO {
    SField *field;          /* an interface field */
    PtrVec  reads;          /* SMove*: ReadActions (or coupling) */
    PtrVec  writes;         /* SMove*: WriteActions (or coupling) */
} SFieldIO;

/* Resolve every interface field's actions of u (in declaration order).
 * Reports actions synthesis cannot model at their location; returns false
 * then. */
bool synth_unit_io(SemaProgram *sp, SemaUnit *u, PtrVec *out /* SFieldIO* */);

/* ---- programs ------------------------------------------------------------- */

#define SOP_KINDS(X)                                                           \
    X(SOP_ZERO,    "zero")     /* local copy of field := 0 */                  \
    X(SOP_READ,    "read")     /* run field's read moves (instr: execute) */   \
    X(SOP_SET,     "set")      /* local field bits [lo,hi) := value */         \
    X(SOP_WRITE,   "write")    /* run field's write moves (instr: execute) */  \
    X(SOP_BARRIER, "barrier")

typedef enum SOpKind {
#define X(k, s) k,
    SOP_KINDS(X)
#undef X
} SOpKind;

typedef struct SOp {
    SOpKind  kind;
    SFieldIO *io;          /* the interface field (not for SOP_BARRIER) */
    unsigned  lo, hi;      /* SOP_SET: bits of the local copy */
    const char *name;      /* SOP_SET: slice name (NULL: whole field) */
    Sx       *value;       /* SOP_SET: 64-bit value, cut to hi - lo bits */
    Loc       loc;         /* back-link: the goal a SET serves, else the field */
} SOp;

#define GOAL_ORIGINS(X)                                                        \
    X(GO_RESULT,  "translate result")                                          \
    X(GO_PRE,     "translate precondition")                                    \
    X(GO_VALID,   "valid()")                                                   \
    X(GO_REMAP,   "#[remap] predicate")                                        \
    X(GO_FLAGS,   "matchflags(flgs)")                                          \
    X(GO_ENSURES, "ensures clause")

typedef enum GoalOrigin {
#define X(k, s) k,
    GOAL_ORIGINS(X)
#undef X
} GoalOrigin;

extern const char *const goal_origin_names[];

/* One conjunct of an operation's contract, over the final state (SX_STATE),
 * the arguments and the range variable SX_VAR. It must hold whenever
 * `guard` (NULL: always; never mentions state) holds; a conjunct that
 * mentions SX_VAR must hold for every value of it in the goal's range. */
typedef struct Goal {
    Sx        *atom;
    Sx        *guard;
    GoalOrigin origin;
    const char *method;    /* the method whose body or clause it came from */
    Loc        loc;        /* the conjunct in the source */
} Goal;

/* An operation's contract. For map and unmap, translate's input is bound to
 * va + i; for protect to a free x (every input). */
typedef struct GoalSet {
    PtrVec assumes;        /* Sx*: requires of the operation + implicit ranges */
    PtrVec assume_locs;    /* Loc* parallel to assumes (implicit: the method) */
    int    nrequires;      /* assumes[0..nrequires) are the written requires;
                              the rest keep va + sz and pa + sz in the unit's
                              input and output ranges */
    PtrVec result;         /* Goal*: translate(va') == pa + i (or == pa) */
    PtrVec pre;            /* Goal*: translate's requires at va' */
    PtrVec remap;          /* Goal*: valid() and #[remap] predicates */
    PtrVec flags;          /* Goal*: matchflags(flgs) */
    PtrVec ensures;        /* Goal*: the operation's ensures */
    bool   table;          /* pa names a child table: result is == pa */
} GoalSet;

typedef enum ProofStatus { PROOF_NONE, PROOF_PROVEN, PROOF_FAILED, PROOF_UNKNOWN } ProofStatus;

typedef struct SynthProg {
    SemaUnit   *unit;
    SynthOpKind op;
    SMethod    *method;     /* the `synth fn` */
    PtrVec      io;         /* SFieldIO* of the unit */
    GoalSet     goals;
    PtrVec      ops;        /* SOp* */
    bool        ok;         /* synthesized (a failed one has an error) */
    ProofStatus proof;
    double      ms;         /* synthesis + proof time */
} SynthProg;

typedef struct SynthOptions {
    bool        verify;     /* prove every program (default on) */
    const char *unit;       /* only this unit (NULL: all) */
    const char *break_prog; /* test hook "Unit.op": corrupt that program
                               before the proof, which must then fail */
} SynthOptions;

typedef struct SynthResult {
    PtrVec progs;           /* SynthProg*, unit definition order, map/unmap/protect */
    int    failed;          /* programs that failed */
} SynthResult;

/* Synthesize (and prove) every program. Errors go to sp->diag. */
SynthResult *synth_program(SemaProgram *sp, const SynthOptions *opt);

/* Print the programs as pseudo-C with back-links and proof status (and
 * times unless `times` is false, for golden files). */
void synth_print(FILE *out, const SynthResult *r, bool times);

/* ---- deduce.c ------------------------------------------------------------- */

/* Build the contract of `op` of unit u. Reports constructs it cannot model
 * (e.g. a quantifier in valid()) and returns false. */
bool deduce_goals(SemaProgram *sp, SemaUnit *u, SMethod *op, SynthOpKind kind, GoalSet *out);

/* A binding of a parameter (by pointer, else by name) to a value. */
typedef struct SxBind {
    const Param          *param;
    const char           *name;
    Sx                   *val;
    const struct SxBind  *next;
} SxBind;

/* Convert a checked expression of unit u to Sx: calls inlined, state
 * slices as SX_STATE, names bound by `env`. NULL if it uses something Sx
 * cannot express (a quantifier, an interface field...); *bad (may be NULL)
 * then gets that subexpression. Reports nothing. */
Sx *deduce_expr(SemaProgram *sp, SemaUnit *u, const Expr *e, const SxBind *env, const Expr **bad);

/* A deduced value for a state slice, with the goal it came from. The value
 * is `value` if set; otherwise guards[k] ? values[k] : ... in order, and
 * where no guard holds the slice is left to realization (keep or zero). */
typedef struct Target {
    SRef   slot;            /* a state slice */
    Sx    *value;           /* unconditional value, or NULL */
    PtrVec guards, values;  /* Sx*: conditional values */
    PtrVec goals;           /* Goal*: the conjuncts that fixed it, in order */
    SRef   copy_of;         /* copy_of.field set: the final value of this
                               state slice (a move establishes it) */
} Target;

typedef struct VerifyCtx VerifyCtx;

/* Solve the goals for state slices. Fills `targets` (Target*, deterministic
 * order) and reports a conjunct it cannot meet as an error naming the unit,
 * the operation and the conjunct. `vc` (may be NULL) simplifies values under
 * the assumptions. */
bool deduce_targets(SemaProgram *sp, SynthProg *p, VerifyCtx *vc, PtrVec *targets);

/* Simplify a value under p's assumptions (e.g. drop the last guard of an
 * exhaustive chain, `(va >> 5) << 5` -> va for aligned va). */
Sx *deduce_simplify(SemaProgram *sp, SynthProg *p, VerifyCtx *vc, Sx *v);

/* ---- verify.c ------------------------------------------------------------- */

VerifyCtx *verify_new(SemaProgram *sp);
void       verify_free(VerifyCtx *vc);

/* Prove p's program against its goals. On failure reports, for the first
 * failing conjunct, an error at the conjunct with the counterexample
 * (arguments, i or x, and the state fields that matter) as notes. */
ProofStatus verify_prog(VerifyCtx *vc, SynthProg *p);

/* Under p's assumptions (and `guard`, may be NULL), is x == y for every
 * value of the arguments, state and SX_VAR? Used to simplify values. */
bool verify_equal(VerifyCtx *vc, const SynthProg *p, const Sx *guard, const Sx *x, const Sx *y);

#endif
