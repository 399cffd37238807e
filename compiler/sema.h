/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sema.h - the checked program: AST -> resolved, typed, laid-out units.
 *
 * Semantic analysis turns a Program (every parsed file, imports first) into a
 * SemaProgram: one global namespace of consts, flags, extern types and units;
 * per unit its effective (inherited + own) params, widths, consts, state and
 * interface field layouts, methods and map entries; and the composition
 * graph. Expressions are annotated in place (Expr.ty, Expr.sym, Expr.cval).
 *
 * Stages, one file each, run in this order by sema_check() (sema.c):
 *   resolve.c   names: global symbol table, definition cycles, derivation
 *   consteval.c 64-bit constant folding with overflow checks
 *   layout.c    state/interface fields, slices, actions, shared registers
 *   units.c     methods, special signatures, decorators, staticmaps, enums, osspec
 *   typecheck.c every expression: names, types, calls, quantifiers
 *   compose.c   the unit graph: roots, group roots, levels, page sizes
 *   smtcheck.c  Z3 sanity checks (§2.3 of the language reference)
 * Later stages (synthesis, lowering) read only the SemaProgram.
 */
#ifndef VRSC_SEMA_H
#define VRSC_SEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "load.h"

typedef struct SemaUnit SemaUnit;
typedef struct SemaProgram SemaProgram;

/* A resolved type: a built-in, a unit, or an extern type. */
typedef struct SemaType {
    TypeKind    kind;      /* TYPE_NAMED for units and extern types */
    SemaUnit   *unit;      /* TYPE_NAMED naming a unit */
    ExternType *ext;       /* TYPE_NAMED naming an extern type */
    const char *name;      /* TYPE_NAMED: the name as written */
} SemaType;

#define SYM_KINDS(X)                                                           \
    X(SYM_CONST,      "constant")                                              \
    X(SYM_FLAG,       "flag")                                                  \
    X(SYM_UNIT,       "unit")                                                  \
    X(SYM_EXTERN,     "extern type")                                           \
    X(SYM_PARAM,      "parameter")                                             \
    X(SYM_METHOD,     "method")                                                \
    X(SYM_FIELD,      "field")                                                 \
    X(SYM_SLICE,      "field slice")                                           \
    X(SYM_VAR,        "variable")        /* quantifier or map variable */      \
    X(SYM_FLAG_BIT,   "flag bit")        /* flgs.writable */                   \
    X(SYM_EXT_FIELD,  "extern field")    /* p.field of an extern-typed param */

typedef enum SymKind {
#define X(k, s) k,
    SYM_KINDS(X)
#undef X
} SymKind;

extern const char *const sym_kind_names[];

typedef struct SConst SConst;
typedef struct SField SField;
typedef struct SSlice SSlice;
typedef struct SMethod SMethod;

/* What a name in an expression refers to. */
typedef struct Symbol {
    SymKind     kind;
    const char *name;      /* qualified for fields: "state.entry.present" */
    Loc         loc;       /* definition */
    SemaType    type;
    union {
        SConst   *cnst;    /* SYM_CONST */
        SemaUnit *unit;    /* SYM_UNIT */
        Param    *param;   /* SYM_PARAM, SYM_VAR */
        SMethod  *method;  /* SYM_METHOD */
        SField   *field;   /* SYM_FIELD */
        SSlice   *slice;   /* SYM_SLICE */
        int       flag_bit;/* SYM_FLAG, SYM_FLAG_BIT: index in the flags block */
    };
} Symbol;

struct SConst {
    ConstDef *ast;
    SemaType  type;
    uint64_t  value;
    bool      bool_value_valid; /* a bool-typed const: value is 0/1 */
    bool      ok;               /* folded without error */
    int       state;            /* resolve.c: 0 new, 1 evaluating, 2 done */
};

/* A bit slice [lo, hi) of a field. */
struct SSlice {
    const char *name;
    unsigned    lo, hi;
    bool        implicit;  /* the `val` slice of a field without slices */
    Loc         loc;
    SField     *field;
};

struct SField {
    Field      *ast;       /* NULL when copied from the state (coupling) */
    FieldKind   kind;
    bool        is_interface;
    const char *name;
    const char *base;      /* mem/mmio: the base param's name */
    uint64_t    offset;    /* bytes */
    uint64_t    size;      /* bytes: 1, 2, 4 or 8 */
    PtrVec      slices;    /* SSlice*, in source order */
    PtrVec      read_actions;   /* Action* (interface fields) */
    PtrVec      write_actions;  /* Action* */
    SField     *coupled;   /* interface field: the same-named state field */
    Loc         loc;
};

#define METHOD_PROPS(X)                                                        \
    X(PROP_REMAP,     "remap")                                                 \
    X(PROP_INVARIANT, "invariant")                                             \
    X(PROP_MALLOC,    "malloc")                                                \
    X(PROP_MFREE,     "mfree")

enum {
#define X(k, s) k##_BIT_,
    METHOD_PROPS(X)
#undef X
};
#define MPROP(k) (1u << k##_BIT_)

struct SMethod {
    Method     *ast;       /* NULL for a default method */
    SemaUnit   *owner;     /* where it is defined (a parent for inherited ones) */
    const char *name;
    bool        is_abstract, is_synth, is_extern;
    bool        is_default;     /* supplied by vrsc: valid = true, translate = va, ... */
    unsigned    props;          /* MPROP(PROP_REMAP) | ... */
    PtrVec      params;         /* Param* */
    SemaType    ret;            /* TYPE_VOID when none */
    PtrVec      requires;       /* Expr* (checked) */
    PtrVec      ensures;        /* Expr* */
    Expr       *body;           /* NULL: none */
    Loc         loc;
};

/* One element of a static map, with the comprehension variable substituted. */
typedef struct MapEntry {
    SemaUnit *unit;        /* element unit */
    PtrVec    args;        /* Expr*: the element's arguments (with `i` folded in) */
    uint64_t  index;       /* value of the comprehension variable, or list position */
    uint64_t  src_lo;      /* input range [src_lo, src_hi) this element covers */
    uint64_t  src_hi;
    uint64_t  offset;      /* `@ offset` (0 when absent) */
    Loc       loc;
} MapEntry;

struct SemaUnit {
    Unit       *ast;
    UnitKind    kind;
    const char *name;
    bool        is_abstract;
    SemaUnit   *parent;         /* derivation */
    PtrVec      params;         /* Param* (own) */
    uint64_t    inbitwidth;     /* effective: own, inherited, computed or 64 */
    uint64_t    outbitwidth;
    bool        in_given, out_given;
    PtrVec      consts;         /* SConst*: own and inherited */
    PtrVec      state_params;   /* Param* */
    PtrVec      iface_params;
    PtrVec      state;          /* SField*: own and inherited */
    PtrVec      iface;          /* SField* */
    bool        has_state, has_iface;
    PtrVec      methods;        /* SMethod*: effective (own override inherited) */
    /* staticmap */
    MapDef     *map;
    PtrVec      entries;        /* MapEntry*, in input order */
    bool        repr_list;      /* #[repr(list)] (default array) */
    /* enum */
    PtrVec      variants;       /* SemaUnit* */
    PtrVec      variant_args;   /* per variant: PtrVec* of Ident* */
    /* composition (compose.c) */
    SemaUnit   *child;          /* segment: the unit its map's `pa` names, if any */
    bool        maps_table;     /* segment: map's pa is a unit type */
    bool        is_root, is_group_root;
    int         state_;         /* resolve.c: cycle detection */
    PtrVec      syms;           /* typecheck.c: unit-scope symbols (params, consts, methods) */
    /* layout.c / units.c */
    bool        layout_done;    /* layout.c: parent-first processing */
    int         units_state;    /* units.c: 0 new, 1 in progress, 2 done */
    FlagsDef   *unit_flags;     /* effective unit-level `flags = {..};` (own or inherited), or NULL */
};

SMethod *sema_method(const SemaUnit *u, const char *name);   /* NULL if none */
SField  *sema_field(PtrVec fields, const char *name);
SSlice  *sema_slice(const SField *f, const char *name);

/* One level of a composed translation structure. */
typedef struct Level {
    SemaUnit *unit;
    int       depth;            /* 0 = root */
    uint64_t  inbits, outbits;
    uint64_t  entries;          /* staticmap: number of entries; else 1 */
    unsigned  index_lo, index_hi;   /* va bits indexing this level: [lo, hi) */
    PtrVec    page_sizes;       /* uint64_t* (log2) of the leaf pages mappable here */
} Level;

typedef struct Composition {
    PtrVec roots;               /* SemaUnit* */
    PtrVec group_roots;         /* SemaUnit* */
    PtrVec levels;              /* Level*, all roots, depth-first */
} Composition;

struct SemaProgram {
    Arena      *arena;
    Diag       *diag;
    Program    *prog;
    PtrVec      consts;         /* SConst* (global) */
    PtrVec      flags;          /* Ident*: the global flags, in order */
    bool        has_flags;
    PtrVec      externs;        /* ExternType* (global) */
    PtrVec      units;          /* SemaUnit*, in definition order */
    PtrVec      symbols;        /* Symbol* of the global namespace, in order */
    Symbol    **symtab;         /* open-addressing index over symbols */
    int         symtab_cap;
    Composition comp;
};

typedef struct SemaOptions {
    bool smt;                   /* run the Z3 sanity checks */
} SemaOptions;

/* Check the whole program. Returns NULL only on internal failure; errors are
 * reported to the Diag and counted there. */
SemaProgram *sema_check(Arena *a, Diag *d, Program *prog, const SemaOptions *opt);

/* Stage entry points (one file each). */
void resolve_program(SemaProgram *sp);
void layout_units(SemaProgram *sp);
void units_check(SemaProgram *sp);
void typecheck_program(SemaProgram *sp);
void compose_program(SemaProgram *sp);
void smt_check_program(SemaProgram *sp);

/* Scopes for typecheck_expr: a chain of symbol lists, innermost first. The
 * unit scope (params, consts, methods, fields, slices, flag bits) and the
 * global scope are implied by `u` and `sp`. */
typedef struct Scope {
    const struct Scope *parent;
    PtrVec              syms;   /* Symbol* */
} Scope;

/* Type-check e in unit u (NULL at top level) and annotate it in place.
 * Reports every error of §2.2 "Expressions" at its location. */
SemaType typecheck_expr(SemaProgram *sp, SemaUnit *u, const Scope *scope, Expr *e);
bool     sema_compatible(SemaType expected, SemaType actual);   /* §2.1 table */
/* A written type in unit u (NULL: top level): built-ins, units, global extern
 * types and, in an osspec, its own extern types. Returns false for a name
 * that is not a type, reporting it only if `report` (units.c reports each
 * written type once; later stages resolve quietly). */
bool     sema_resolve_type(SemaProgram *sp, const SemaUnit *u, const TypeRef *t, SemaType *out,
                           bool report);
const char *sema_type_name(SemaType t);
Symbol  *sema_lookup(const SemaProgram *sp, const SemaUnit *u, const Scope *scope, const char *name);

/* Printers. */
void sema_dump(FILE *out, const SemaProgram *sp);              /* --dump-sema */
void graph_dot(FILE *out, const SemaProgram *sp);              /* vrsc graph */
/* compose.c: the size 2^log2 as "4K", "2M", "1G", ... or "2^n" below 1K. */
const char *compose_size_name(char buf[16], uint64_t log2);

/* Add a global symbol; returns the existing one (and adds nothing) if the
 * name is taken. */
Symbol *sema_define_global(SemaProgram *sp, Symbol *sym);

/* Lookup in the global namespace; NULL if absent. */
Symbol *sema_global(const SemaProgram *sp, const char *name);
SemaUnit *sema_unit(const SemaProgram *sp, const char *name);

/* consteval.c: fold e to a u64 if it is constant. Reports overflow, division
 * by zero and too-wide shifts at the operator. `vars` binds map/quantifier
 * variables (may be NULL). Returns false if e is not constant (no report
 * unless `must` is set, then "expected a constant expression"). */
typedef struct ConstBinding {
    const char *name;
    uint64_t    value;
    const struct ConstBinding *next;
} ConstBinding;
bool const_eval(SemaProgram *sp, const SemaUnit *u, Expr *e, const ConstBinding *vars,
                bool must, uint64_t *out);
/* Fold a const definition once (u: the unit it belongs to, NULL if global);
 * a const defined through itself is reported with the cycle. */
bool const_fold_def(SemaProgram *sp, const SemaUnit *u, SConst *c);

#endif
