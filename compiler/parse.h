/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * parse.h - the front end's shared state: tokens -> AST for one file.
 *
 * grammar/lexer.l and grammar/parser.y both see a Parser: the arena the tree
 * goes into, the diagnostics sink, the file, and the lexer's modes (legacy
 * `unit` keywords, nesting depth). legacy.c holds the conversions from the
 * legacy and transitional forms to the current tree; they run in parser
 * actions. load.c resolves imports on top of parse_file().
 */
#ifndef VRSC_PARSE_H
#define VRSC_PARSE_H

#include "arena.h"
#include "ast.h"
#include "diag.h"

enum {
    MAX_NESTING    = 256,   /* ( [ { levels in one file */
    MAX_EXPR_DEPTH = 1000,  /* operator nesting in one expression */
};

/* Constructs of the older syntaxes; each is reported once per file. */
#define DEPRECATIONS(X)                                                        \
    X(DEP_LEGACY_UNIT,   "the 2021 `unit NAME : Segment|StaticMap { ... };` syntax is deprecated; write `segment NAME { ... }` or `staticmap NAME { ... }`") \
    X(DEP_STATE_ASSIGN,  "`state = KIND(...) { ... };` is deprecated; write `state(...) { ... }`") \
    X(DEP_IFACE_ASSIGN,  "`interface = KIND(...) { ... };` is deprecated; write `interface(...) { ... }`") \
    X(DEP_MAP_ASSIGN,    "`map/staticmap/mapdef = [ ... ];` is deprecated; write `maps [ ... ]`") \
    X(DEP_TRAILING_SEMI, "a `;` after a unit, state, interface or map block is deprecated") \
    X(DEP_UNIT_FLAGS,    "defining flags in unit context is deprecated; use a global `flags { ... }` block") \
    X(DEP_INCL_SLICE,    "inclusive `LO HI name` bit slices are deprecated; write half-open `LO..HI+1 name`") \
    X(DEP_FIELD_NOKIND,  "fields without `mem`/`reg`/`mmio` are deprecated; the kind now comes before the name") \
    X(DEP_FIELD_SEP,     "`;`-separated fields, slices or layout nodes are deprecated; separate them with `,`") \
    X(DEP_ACTION_NAME,   "`ReadAction`/`WriteAction` are deprecated; write `ReadActions`/`WriteActions`") \
    X(DEP_STMT_BODY,     "statement bodies (`return`, `let`, `assert`, `if` statements) are deprecated; a method body is one expression") \
    X(DEP_SIZE,          "`size = N;` is deprecated; write `inbitwidth = N;`") \
    X(DEP_EMPTY_BODY,    "an empty `{}` body is deprecated; leave the body out") \
    X(DEP_UNTYPED_PARAM, "untyped state/interface parameters are deprecated; write `name: type`") \
    X(DEP_IFACE_SAME,    "`interface = Memory;` is deprecated; declare the interface fields") \
    X(DEP_KEYWORD_IDENT, "an identifier that is a keyword today was renamed with a trailing `_`") \
    X(DEP_BRACKET_IFACE, "`interface = KIND(...) [ ... ]` is deprecated; use braces") \
    X(DEP_LEGACY_SIGNATURE, "2021 signatures of translate/map/unmap/protect are deprecated; converted to `translate(va: vaddr) -> paddr` and `synth fn map(va: vaddr, sz: size, flgs: flags, pa: paddr)`, `unmap(va, sz)`, `protect(va, sz, flgs)`")

typedef enum Deprecation {
#define X(k, s) k,
    DEPRECATIONS(X)
#undef X
    DEP_COUNT
} Deprecation;

typedef struct Parser {
    Arena   *arena;
    Diag    *diag;
    SrcFile *file;
    Spec    *spec;
    void    *scanner;         /* yyscan_t */

    /* lexer state */
    int      line, col;       /* position of the next byte */
    size_t   pos;             /* byte offset of the next byte */
    size_t   comment_pos;     /* byte offset of an open block comment */
    int      nesting;         /* open ( [ { */
    bool     legacy;          /* inside a legacy `unit` body */
    int      legacy_depth;    /* brace depth at which the legacy unit opened */
    int      braces;          /* open { */
    bool     fatal;           /* stop parsing this file (limits exceeded) */
    int      tok_depth;       /* brace depth before the last token */
    int      cur_tok, prev_tok;  /* the lookahead and the token before it */
    int      cur_depth;       /* tok_depth of cur_tok */
    size_t   sync_pos;        /* where error recovery last stopped */
    Loc      comment_start;

    unsigned deprecated;      /* bitmask of Deprecation already reported */
    int      errors_at_start;
} Parser;

/* Parse one file into a Spec (imports are not followed). Errors go to diag;
 * the returned Spec holds whatever parsed, and is never NULL. */
Spec *parse_file(Arena *a, Diag *d, SrcFile *f);

/* Report construct kind k as deprecated, once per file. */
void parse_deprecated(Parser *p, Deprecation k, Loc loc);

/* legacy.c - conversions run by parser actions. */
typedef struct Stmt Stmt;
Stmt *legacy_stmt_return(Parser *p, Expr *e, Loc loc);
Stmt *legacy_stmt_let(Parser *p, Ident name, TypeRef type, Expr *e, Loc loc);
Stmt *legacy_stmt_assert(Parser *p, Expr *e, Loc loc);
Stmt *legacy_stmt_if(Parser *p, Expr *cond, PtrVec then, PtrVec *els, Loc loc);
/* Turn a statement body into one expression; `assert`s become requires. */
Expr *legacy_body_to_expr(Parser *p, PtrVec stmts, Loc body_loc, PtrVec *requires);
/* Rewrite 2021 special-method signatures to the current ones. */
void legacy_convert_signatures(Parser *p, Unit *u);
/* `interface = Memory;`: one interface field per state field. */
FieldBlock *legacy_iface_same_as_state(Parser *p, Unit *u, Loc loc);

#endif
