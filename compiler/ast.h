/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ast.h - the abstract syntax tree of a VRS spec.
 *
 * The parser (grammar/parser.y) builds this tree for all three surface forms:
 * the current syntax, the transitional 2023 forms and the legacy 2021 `unit`
 * syntax. Legacy and transitional input is converted while parsing, so the
 * tree always has the shape of the current syntax and later stages never see
 * which form a construct was written in. Every node carries a source span.
 *
 * Kind enumerations are X-macro tables so that names used by the dumper and
 * the formatter cannot drift from the enums. All nodes live in the arena of
 * their compilation.
 */
#ifndef VRSC_AST_H
#define VRSC_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

typedef struct SrcFile SrcFile;

/* A source span. Field names follow bison's YYLTYPE so Loc is the parser's
 * location type. Lines and columns are 1-based; last_column is inclusive. */
typedef struct Loc {
    SrcFile *file;
    int      first_line;
    int      first_column;
    int      last_line;
    int      last_column;
} Loc;

Loc loc_span(Loc a, Loc b);            /* from the start of a to the end of b */

typedef struct Ident {
    const char *name;
    Loc         loc;
} Ident;

/* ---- types -------------------------------------------------------------- */

#define TYPE_KINDS(X)                                                          \
    X(TYPE_VOID,  "()")                                                        \
    X(TYPE_ADDR,  "addr")                                                      \
    X(TYPE_VADDR, "vaddr")                                                     \
    X(TYPE_PADDR, "paddr")                                                     \
    X(TYPE_SIZE,  "size")                                                      \
    X(TYPE_INT,   "int")                                                       \
    X(TYPE_BOOL,  "bool")                                                      \
    X(TYPE_FLAGS, "flags")                                                     \
    X(TYPE_NAMED, "named")  /* a unit or extern type, by name */

typedef enum TypeKind {
#define X(k, s) k,
    TYPE_KINDS(X)
#undef X
} TypeKind;

extern const char *const type_kind_names[];

typedef struct TypeRef {
    TypeKind    kind;
    const char *name;        /* TYPE_NAMED only */
    Loc         loc;
} TypeRef;

typedef struct Param {
    Ident   name;
    TypeRef type;
    Loc     loc;
} Param;

/* ---- expressions -------------------------------------------------------- */

#define EXPR_KINDS(X)                                                          \
    X(EXPR_NUM,   "num")                                                       \
    X(EXPR_BOOL,  "bool")                                                      \
    X(EXPR_PATH,  "path")                                                      \
    X(EXPR_CALL,  "call")                                                      \
    X(EXPR_SLICE, "slice")   /* base[lo..hi] */                                \
    X(EXPR_ELEM,  "elem")    /* base[index] */                                 \
    X(EXPR_BINOP, "binop")                                                     \
    X(EXPR_UNOP,  "unop")                                                      \
    X(EXPR_IF,    "if")                                                        \
    X(EXPR_QUANT, "quant")

typedef enum ExprKind {
#define X(k, s) k,
    EXPR_KINDS(X)
#undef X
} ExprKind;

extern const char *const expr_kind_names[];

/* Binary operators with their spelling and precedence level (§1.7 of the
 * language reference: 1 binds loosest). */
#define BINOPS(X)                                                              \
    X(OP_IMPLIES, "==>", 1)                                                    \
    X(OP_LOR,     "||",  2)                                                    \
    X(OP_LAND,    "&&",  3)                                                    \
    X(OP_EQ,      "==",  4)                                                    \
    X(OP_NE,      "!=",  4)                                                    \
    X(OP_LT,      "<",   4)                                                    \
    X(OP_GT,      ">",   4)                                                    \
    X(OP_LE,      "<=",  4)                                                    \
    X(OP_GE,      ">=",  4)                                                    \
    X(OP_BOR,     "|",   5)                                                    \
    X(OP_BXOR,    "^",   6)                                                    \
    X(OP_BAND,    "&",   7)                                                    \
    X(OP_SHL,     "<<",  8)                                                    \
    X(OP_SHR,     ">>",  8)                                                    \
    X(OP_ADD,     "+",   9)                                                    \
    X(OP_SUB,     "-",   9)                                                    \
    X(OP_MUL,     "*",   10)                                                   \
    X(OP_DIV,     "/",   10)                                                   \
    X(OP_MOD,     "%",   10)

typedef enum BinOp {
#define X(k, s, p) k,
    BINOPS(X)
#undef X
} BinOp;

extern const char *const binop_spelling[];
extern const int         binop_prec[];
#define PREC_COMPARE 4      /* the non-associative level */
#define PREC_UNARY   11

#define UNOPS(X)                                                               \
    X(OP_NOT,    "!")                                                          \
    X(OP_BITNOT, "~")                                                          \
    X(OP_REF,    "&")      /* legacy 2021 syntax only */

typedef enum UnOp {
#define X(k, s) k,
    UNOPS(X)
#undef X
} UnOp;

extern const char *const unop_spelling[];

typedef enum QuantKind { QUANT_FORALL, QUANT_EXISTS } QuantKind;

typedef struct Expr Expr;
struct Symbol;
struct SemaUnit;
struct Expr {
    ExprKind kind;
    Loc      loc;
    bool     parens;      /* written in parentheses; kept by fmt, not semantic */
    int      depth;       /* nesting depth, bounded by the parser */
    /* filled in by semantic analysis (typecheck.c, consteval.c) */
    struct Symbol   *sym;      /* what a path or call names */
    TypeKind         ty;       /* type of the expression */
    struct SemaUnit *ty_unit;  /* TYPE_NAMED: the unit type */
    bool             is_const; /* cval holds the folded value */
    uint64_t         cval;
    union {
        struct { uint64_t value; const char *text; } num;
        bool boolean;
        struct { PtrVec segs; } path;                  /* Ident* */
        struct { Expr *callee; PtrVec args; } call;     /* callee: EXPR_PATH */
        struct { Expr *base; Expr *lo; Expr *hi; } slice;
        struct { Expr *base; Expr *index; } elem;
        struct { BinOp op; Expr *lhs; Expr *rhs; } bin;
        struct { UnOp op; Expr *operand; } un;
        struct { Expr *cond; Expr *then; Expr *els; } ifelse;
        struct { QuantKind q; PtrVec params; Expr *body; } quant;  /* Param* */
    };
};

/* ---- units and their parts ---------------------------------------------- */

typedef struct Decorator {
    Ident  name;
    Ident *arg;            /* NULL when written without "(arg)" */
    Loc    loc;
} Decorator;

typedef struct ConstDef {
    Ident   name;
    TypeRef type;
    Expr   *value;
} ConstDef;

typedef struct FlagsDef {
    PtrVec flags;          /* Ident* */
    bool   unit_level;     /* `flags = {..};` inside a unit (deprecated) */
} FlagsDef;

typedef struct ExternType {
    PtrVec decorators;     /* Decorator* */
    Ident  name;
    PtrVec fields;         /* Param* */
} ExternType;

/* A bit slice [lo, hi) of a field, in bits. lo and hi are EXPR_NUM. */
typedef struct Slice {
    Expr *lo;
    Expr *hi;
    Ident name;
    Loc   loc;
} Slice;

/* `a -> b` moves a into b, `a <- b` moves b into a. The arrow is kept as
 * written; action_src()/action_dst() give the direction-free view. */
typedef enum ArrowKind { ARROW_RIGHT, ARROW_LEFT } ArrowKind;

typedef struct Action {
    Expr     *lhs;
    Expr     *rhs;
    ArrowKind arrow;
    Loc       loc;
} Action;

Expr *action_src(const Action *a);
Expr *action_dst(const Action *a);

#define FIELD_NODE_KINDS(X)                                                    \
    X(NODE_LAYOUT,        "Layout")                                            \
    X(NODE_READ_ACTIONS,  "ReadActions")                                       \
    X(NODE_WRITE_ACTIONS, "WriteActions")

typedef enum FieldNodeKind {
#define X(k, s) k,
    FIELD_NODE_KINDS(X)
#undef X
} FieldNodeKind;

extern const char *const field_node_names[];

typedef struct FieldNode {
    FieldNodeKind kind;
    PtrVec        items;   /* Slice* for Layout, Action* otherwise */
    Loc           loc;
} FieldNode;

#define FIELD_KINDS(X)                                                         \
    X(FIELD_MEM,   "mem")                                                      \
    X(FIELD_REG,   "reg")                                                      \
    X(FIELD_MMIO,  "mmio")                                                     \
    X(FIELD_INSTR, "instr")

typedef enum FieldKind {
#define X(k, s) k,
    FIELD_KINDS(X)
#undef X
} FieldKind;

extern const char *const field_kind_names[];

typedef struct Field {
    FieldKind kind;
    Ident     name;
    Ident     base;        /* mem/mmio only */
    Expr     *offset;      /* mem/mmio only: byte offset, EXPR_NUM */
    Expr     *size;        /* mem/mmio/reg: byte size, EXPR_NUM */
    PtrVec    slices;      /* state fields: Slice*; empty = no slice block */
    PtrVec    nodes;       /* interface fields: FieldNode*; empty = no body */
    Loc       loc;
} Field;

/* `state (params) { fields }` or `interface (params) { fields }`. */
typedef struct FieldBlock {
    bool   is_interface;
    bool   has_params;     /* "(...)" written, possibly empty */
    PtrVec params;         /* Param* */
    PtrVec fields;         /* Field* */
    Loc    loc;
} FieldBlock;

typedef struct Method {
    PtrVec   decorators;   /* Decorator* */
    bool     is_extern;
    bool     is_abstract;
    bool     is_synth;
    Ident    name;
    bool     has_params;
    PtrVec   params;       /* Param* */
    TypeRef *ret;          /* NULL: returns () */
    PtrVec   requires;     /* Expr* */
    PtrVec   ensures;      /* Expr* */
    Expr    *body;         /* NULL: no body */
    Loc      loc;
} Method;

typedef struct MapElem {
    Expr  *src_lo;         /* optional `lo..hi =>` source range */
    Expr  *src_hi;
    Ident  unit;
    PtrVec args;           /* Expr* */
    Expr  *offset;         /* optional `@ offset` */
    Loc    loc;
} MapElem;

typedef struct MapDef {
    PtrVec decorators;     /* Decorator* (list comprehension only) */
    bool   comprehension;  /* [ elem for var in lo..hi ] */
    PtrVec elems;          /* MapElem*; exactly one for a comprehension */
    Ident  var;
    Expr  *lo;
    Expr  *hi;
    Loc    loc;
} MapDef;

typedef struct EnumVariant {
    Ident  name;
    PtrVec args;           /* Ident* */
    Loc    loc;
} EnumVariant;

#define UNIT_KINDS(X)                                                          \
    X(UNIT_SEGMENT,   "segment")                                               \
    X(UNIT_STATICMAP, "staticmap")                                             \
    X(UNIT_ENUM,      "enum")                                                  \
    X(UNIT_OSSPEC,    "osspec")

typedef enum UnitKind {
#define X(k, s) k,
    UNIT_KINDS(X)
#undef X
} UnitKind;

extern const char *const unit_kind_names[];

/* Which surface form a unit was written in. Not part of the tree's meaning
 * (the dump does not show it); later stages use it only to word hints. */
typedef enum SyntaxForm { SYNTAX_CURRENT, SYNTAX_TRANSITIONAL, SYNTAX_LEGACY } SyntaxForm;

typedef struct Item Item;

typedef struct Unit {
    UnitKind   kind;
    bool       is_abstract;
    Ident      name;
    bool       has_params;
    PtrVec     params;     /* Param* */
    Ident     *parent;     /* derivation `: Parent`, or NULL */
    PtrVec     items;      /* Item*, in source order */
    PtrVec     variants;   /* EnumVariant* (enum units) */
    SyntaxForm form;
    Loc        loc;
} Unit;

#define ITEM_KINDS(X)                                                          \
    X(ITEM_IMPORT,      "import")                                              \
    X(ITEM_CONST,       "const")                                               \
    X(ITEM_FLAGS,       "flags")                                               \
    X(ITEM_EXTERN_TYPE, "extern type")                                         \
    X(ITEM_UNIT,        "unit")                                                \
    X(ITEM_INBITWIDTH,  "inbitwidth")                                          \
    X(ITEM_OUTBITWIDTH, "outbitwidth")                                         \
    X(ITEM_STATE,       "state")                                               \
    X(ITEM_INTERFACE,   "interface")                                           \
    X(ITEM_METHOD,      "fn")                                                  \
    X(ITEM_MAPS,        "maps")

typedef enum ItemKind {
#define X(k, s) k,
    ITEM_KINDS(X)
#undef X
} ItemKind;

extern const char *const item_kind_names[];

/* A top-level item or a unit-body item. */
struct Item {
    ItemKind kind;
    Loc      loc;
    union {
        Ident       import;       /* ITEM_IMPORT */
        ConstDef   *constdef;     /* ITEM_CONST */
        FlagsDef   *flags;        /* ITEM_FLAGS */
        ExternType *externtype;   /* ITEM_EXTERN_TYPE */
        Unit       *unit;         /* ITEM_UNIT */
        Expr       *bitwidth;     /* ITEM_INBITWIDTH, ITEM_OUTBITWIDTH */
        FieldBlock *block;        /* ITEM_STATE, ITEM_INTERFACE */
        Method     *method;       /* ITEM_METHOD */
        MapDef     *maps;         /* ITEM_MAPS */
    };
};

typedef struct Comment {
    const char *text;      /* as written, including the delimiters */
    Loc         loc;
    bool        own_line;  /* nothing but white space before it on its line */
} Comment;

/* One parsed file. */
typedef struct Spec {
    SrcFile *file;
    PtrVec   items;        /* Item* */
    PtrVec   comments;     /* Comment*, in source order */
} Spec;

/* ---- constructors (ast.c) ----------------------------------------------- */

Expr *ast_expr(Arena *a, ExprKind kind, Loc loc);
Expr *ast_num(Arena *a, uint64_t value, const char *text, Loc loc);
Expr *ast_binop(Arena *a, BinOp op, Expr *lhs, Expr *rhs, Loc loc);
Expr *ast_unop(Arena *a, UnOp op, Expr *operand, Loc loc);
Expr *ast_path1(Arena *a, const char *name, Loc loc);
Item *ast_item(Arena *a, ItemKind kind, Loc loc);
Expr *ast_expr_clone(Arena *a, const Expr *e);
/* Call fn on e and every subexpression, parents first; fn returns false to
 * stop the walk early. Returns false if the walk was stopped. */
bool  ast_expr_visit(Expr *e, bool (*fn)(Expr *e, void *ctx), void *ctx);
int   ast_expr_depth(const Expr *e);          /* 0 for NULL */

/* ---- printers ----------------------------------------------------------- */

typedef struct DumpOptions {
    bool locations;        /* print @line:col-line:col spans */
} DumpOptions;

/* ast_dump.c: a stable, indented dump of the tree for golden tests. */
void ast_dump(FILE *out, const Spec *spec, const DumpOptions *opt);

/* fmt.c: the spec in canonical current syntax, comments kept. */
void fmt_spec(FILE *out, const Spec *spec);

#endif
