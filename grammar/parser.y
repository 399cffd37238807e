/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * parser.y - tokens -> AST, for the current, transitional and legacy syntax.
 *
 * A pure, location-tracking bison parser (IELR, conflict-free: the build runs
 * bison with -Werror). One grammar holds all three surface forms; the
 * actions convert transitional and legacy constructs to the current tree
 * (see legacy.c) and report each deprecated construct kind once per file.
 * The precedence ladder is that of the language reference §1.7: unlike C,
 * comparisons bind looser than & ^ |, and shifts looser than + -.
 *
 * Error recovery happens at three levels - top-level items, unit items and
 * fields - so that every independent error of a file is reported once.
 */
%define api.pure full
%define lr.type ielr
%define parse.error custom
%locations
%initial-action {
    @$.file = p->file;
    @$.first_line = @$.last_line = 1;
    @$.first_column = @$.last_column = 0;
}
%define api.location.type {Loc}
%param {yyscan_t scanner}
%parse-param {Parser *p}

%code requires {
#include "ast.h"
#include "parse.h"
typedef void *yyscan_t;
typedef struct { PtrVec stmts; } StmtList;
}

%code provides {
int yylex(YYSTYPE *yylval, YYLTYPE *yylloc, yyscan_t scanner);
}

%code {
#include <string.h>

/* Deep enough that the expression depth limit (MAX_EXPR_DEPTH) speaks first. */
#define YYMAXDEPTH 100000

#include "diag.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                            \
    do {                                                                       \
        if (N) {                                                               \
            (Cur).file = YYRHSLOC(Rhs, 1).file;                                \
            (Cur).first_line = YYRHSLOC(Rhs, 1).first_line;                    \
            (Cur).first_column = YYRHSLOC(Rhs, 1).first_column;                \
            (Cur).last_line = YYRHSLOC(Rhs, N).last_line;                      \
            (Cur).last_column = YYRHSLOC(Rhs, N).last_column;                  \
        } else {                                                               \
            (Cur).file = YYRHSLOC(Rhs, 0).file;                                \
            (Cur).first_line = (Cur).last_line = YYRHSLOC(Rhs, 0).last_line;   \
            (Cur).first_column = (Cur).last_column =                           \
                YYRHSLOC(Rhs, 0).last_column + 1;                              \
        }                                                                      \
    } while (0)

#define A (p->arena)
#define PUSH(vec, x) vec_push(A, &(vec), (x))

static void yyerror(YYLTYPE *loc, yyscan_t scanner, Parser *p, const char *msg);

static Item *mk_item(Parser *p, ItemKind k, Loc loc) { return ast_item(A, k, loc); }

static Param *mk_param(Parser *p, Ident name, TypeRef type, Loc loc)
{
    Param *x = arena_alloc(A, sizeof *x);
    x->name = name;
    x->type = type;
    x->loc = loc;
    return x;
}

static TypeRef mk_type(TypeKind k, const char *name, Loc loc)
{
    TypeRef t = { k, name, loc };
    return t;
}

/* A legacy IDENT used as a type: the renamed keywords map back to built-ins. */
static TypeRef named_type(Ident id)
{
    static const struct { const char *name; TypeKind kind; } builtin[] = {
        { "vaddr_", TYPE_VADDR }, { "paddr_", TYPE_PADDR }, { "flags_", TYPE_FLAGS },
    };
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(id.name, builtin[i].name) == 0)
            return mk_type(builtin[i].kind, NULL, id.loc);
    return mk_type(TYPE_NAMED, id.name, id.loc);
}

static Expr *mk_num(Parser *p, uint64_t v, const char *text, Loc loc)
{
    return ast_num(A, v, text, loc);
}

static Expr *binop(Parser *p, BinOp op, Expr *l, Expr *r, Loc loc)
{
    Expr *e = ast_binop(A, op, l, r, loc);
    if (e->depth > MAX_EXPR_DEPTH && !p->fatal) {
        diag_error(p->diag, loc, "expression nested too deeply (more than %d levels)",
                   MAX_EXPR_DEPTH);
        p->fatal = true;
    }
    return e;
}

static Expr *unop(Parser *p, UnOp op, Expr *x, Loc loc)
{
    Expr *e = ast_unop(A, op, x, loc);
    if (e->depth > MAX_EXPR_DEPTH && !p->fatal) {
        diag_error(p->diag, loc, "expression nested too deeply (more than %d levels)",
                   MAX_EXPR_DEPTH);
        p->fatal = true;
    }
    return e;
}

static Expr *mk_call(Parser *p, Expr *callee, PtrVec args, Loc loc)
{
    Expr *e = ast_expr(A, EXPR_CALL, loc);
    e->call.callee = callee;
    e->call.args = args;
    e->depth = 2;
    VEC_FOREACH(Expr *, x, args) if (x->depth + 1 > e->depth) e->depth = x->depth + 1;
    return e;
}

static Field *mk_field(Parser *p, FieldKind k, Ident name, Loc loc)
{
    Field *f = arena_alloc(A, sizeof *f);
    f->kind = k;
    f->name = name;
    f->loc = loc;
    return f;
}

static Slice *mk_slice(Parser *p, Expr *lo, Expr *hi, Ident name, Loc loc)
{
    Slice *s = arena_alloc(A, sizeof *s);
    s->lo = lo;
    s->hi = hi;
    s->name = name;
    s->loc = loc;
    return s;
}

/* Legacy inclusive `lo hi name` -> half-open [min, max+1). */
static Slice *incl_slice(Parser *p, Expr *a, Expr *b, Ident name, Loc loc)
{
    parse_deprecated(p, DEP_INCL_SLICE, loc);
    Expr *lo = a->num.value <= b->num.value ? a : b;
    Expr *hi = a->num.value <= b->num.value ? b : a;
    uint64_t top = hi->num.value + 1;
    if (hi->num.value == UINT64_MAX) {
        diag_error(p->diag, hi->loc, "bit index `%s` is out of range", hi->num.text);
        top = hi->num.value;
    }
    Expr *end = mk_num(p, top, arena_printf(A, "%llu", (unsigned long long)top), hi->loc);
    return mk_slice(p, lo, end, name, loc);
}

/* What a legacy/transitional block kind word means for its fields. */
static bool block_kind(Parser *p, Ident word, bool iface, FieldKind *kind, bool *explicit_kind)
{
    static const struct { const char *w; bool iface; FieldKind k; bool expl; } words[] = {
        { "Memory", false, FIELD_MEM, false },      { "Register", false, FIELD_REG, false },
        { "MemoryState", false, FIELD_MEM, false }, { "RegisterState", false, FIELD_REG, false },
        { "StateDef", false, FIELD_MEM, true },
        { "Memory", true, FIELD_MEM, false },       { "MMIO", true, FIELD_MMIO, false },
        { "Register", true, FIELD_REG, false },     { "MemoryInterface", true, FIELD_MEM, false },
        { "MMIOInterface", true, FIELD_MMIO, false },
        { "CPURegisterInterface", true, FIELD_REG, false },
        { "RegisterInterface", true, FIELD_REG, false },
        { "InterfaceDef", true, FIELD_MEM, true },
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (words[i].iface == iface && strcmp(word.name, words[i].w) == 0) {
            *kind = words[i].k;
            *explicit_kind = words[i].expl;
            return true;
        }
    diag_error(p->diag, word.loc, "unknown %s kind `%s`; expected %s", iface ? "interface" : "state",
               word.name,
               iface ? "`Memory`, `MMIO`, `Register`, `InterfaceDef` or `None`"
                     : "`Memory`, `Register`, `StateDef` or `None`");
    *kind = FIELD_MEM;
    *explicit_kind = true;
    return false;
}

/* Fields of an `= KIND {..}` block take the kind of the block unless they
 * spelled their own (StateDef/InterfaceDef era-3 blocks always do). */
static FieldBlock *assign_block(Parser *p, bool iface, Ident word, bool has_params, PtrVec params,
                                PtrVec fields, Loc loc)
{
    FieldKind k;
    bool expl;
    block_kind(p, word, iface, &k, &expl);
    parse_deprecated(p, iface ? DEP_IFACE_ASSIGN : DEP_STATE_ASSIGN, loc);
    FieldBlock *b = arena_alloc(A, sizeof *b);
    b->is_interface = iface;
    b->has_params = has_params;
    b->params = params;
    b->fields = fields;
    b->loc = loc;
    VEC_FOREACH(Field *, f, fields) {
        /* kind (int)-1 marks "not written" (see lfield) */
        if ((int)f->kind == -1) {
            if (expl)
                diag_error(p->diag, f->name.loc, "field `%s` needs a kind: `mem`, `reg`%s", f->name.name,
                           iface ? ", `mmio` or `instr`" : "");
            f->kind = k;
            if (!expl)
                parse_deprecated(p, DEP_FIELD_NOKIND, f->loc);
        }
        /* 2021 interface fields could list bare slices: that is a Layout. */
        if (iface && f->slices.len) {
            FieldNode *n = arena_alloc(A, sizeof *n);
            n->kind = NODE_LAYOUT;
            n->items = f->slices;
            n->loc = f->loc;
            PtrVec nodes = { 0 };
            PUSH(nodes, n);
            VEC_FOREACH(FieldNode *, old, f->nodes) PUSH(nodes, old);
            f->nodes = nodes;
            f->slices = (PtrVec){0};
        }
        if (!iface && f->nodes.len) {
            FieldNode *n = f->nodes.items[0];
            diag_error(p->diag, n->loc, "state field `%s` cannot have %s; only interface fields do",
                       f->name.name, field_node_names[n->kind]);
            f->nodes = (PtrVec){0};
        }
        if (f->kind == FIELD_MEM || f->kind == FIELD_MMIO) {
            if (!f->base.name) {
                diag_error(p->diag, f->loc, "%s field `%s` needs `[base, offset, size]`",
                           field_kind_names[f->kind], f->name.name);
            }
        } else if (f->kind == FIELD_REG && f->base.name) {
            /* The 2021 grammar wrote every interface field as [base, off, size],
             * registers included: only the size means anything for a register. */
            if (expl)
                diag_error(p->diag, f->loc, "reg field `%s` takes `[size]`, not `[base, offset, size]`",
                           f->name.name);
            f->base.name = NULL;
            f->offset = NULL;
        }
    }
    return b;
}

/* Error recovery: skip tokens, nesting-aware, to the next place where an
 * item of the given level can start. Levels have fixed brace depths: top
 * items at 0, unit items at 1, state/interface fields at 2. Runs in the
 * action of an `error` rule; it replaces the parser's lookahead. */
static bool unit_item_start(int t)
{
    switch (t) {
    case KW_INBITWIDTH: case KW_OUTBITWIDTH: case KW_SIZE: case KW_EXTERN: case '#':
    case KW_FN: case KW_ABSTRACT: case KW_SYNTH: case KW_FLAGS: case KW_MAPS: case KW_CONST:
        return true;
    default:
        return false;
    }
}

static bool top_item_start(int t)
{
    switch (t) {
    case KW_IMPORT: case KW_CONST: case KW_FLAGS: case KW_EXTERN: case '#': case KW_ABSTRACT:
    case KW_SEGMENT: case KW_STATICMAP: case KW_ENUM: case KW_OSSPEC: case KW_UNIT:
        return true;
    default:
        return false;
    }
}

static bool resync(Parser *p, int level, int *yychar, YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner)
{
    /* Never stop twice on the same token: that token just failed again. */
    if (*yychar != YYEMPTY && *yychar != END && p->sync_pos == p->pos)
        *yychar = YYEMPTY;
    for (;;) {
        if (*yychar == YYEMPTY)
            *yychar = yylex(lval, lloc, scanner);
        p->sync_pos = p->pos;
        int t = *yychar, d = p->cur_depth;
        /* At the end, leave the parser in recovery so it gives up quietly. */
        if (t == END || p->fatal)
            return false;
        bool after_end = p->prev_tok == ';' || p->prev_tok == '}';
        switch (level) {
        case 0:
            if (d == 0 && top_item_start(t))
                return true;
            break;
        case 1:
            if (d == 1 && (unit_item_start(t) || t == '}'))
                return true;
            if (d == 1 && after_end && (t == KW_STATE || t == KW_INTERFACE || t == KW_STATICMAP || t == IDENT))
                return true;
            if (d == 0)   /* ran out of the unit: let the unit rule see it */
                return true;
            break;
        case 2:
            if (d == 2 && (t == ',' || t == '}'))
                return true;
            if (d < 2)
                return true;
            break;
        }
        *yychar = YYEMPTY;
    }
}

/* Placeholder block for `interface = Memory;` until the unit is complete. */
static FieldBlock same_as_state;

/* Untyped legacy block params (`Memory(base)`) take the unit param's type. */
static void type_block_params(Parser *p, Unit *u, FieldBlock *b)
{
    VEC_FOREACH(Param *, prm, b->params) {
        if (prm->type.kind != TYPE_VOID)
            continue;
        prm->type = mk_type(TYPE_ADDR, NULL, prm->loc);
        bool found = false;
        VEC_FOREACH(Param *, up, u->params)
            if (strcmp(up->name.name, prm->name.name) == 0) {
                prm->type = up->type;
                prm->type.loc = prm->name.loc;
                found = true;
            }
        if (!found)
            diag_error(p->diag, prm->loc, "untyped parameter `%s` is not a parameter of unit `%s`",
                       prm->name.name, u->name.name);
    }
}

static void finish_unit(Parser *p, Unit *u)
{
    /* `state = None;` / `interface = None;` leave no item behind. */
    PtrVec kept = { 0 };
    for (int i = 0; i < u->items.len; i++) {
        Item *it = u->items.items[i];
        if (it->kind == ITEM_INTERFACE && it->block == &same_as_state) {
            /* `interface = Memory;`: expand now that the state is known */
            it->block = legacy_iface_same_as_state(p, u, it->loc);
        }
        if ((it->kind == ITEM_STATE || it->kind == ITEM_INTERFACE) && it->block == NULL)
            continue;
        if (it->kind == ITEM_STATE || it->kind == ITEM_INTERFACE)
            type_block_params(p, u, it->block);
        PUSH(kept, it);
    }
    u->items = kept;
    if (u->form == SYNTAX_LEGACY)
        legacy_convert_signatures(p, u);
}
}

%union {
    struct { uint64_t value; const char *text; Loc loc; } num;
    Ident         ident;
    Ident        *identp;
    Expr         *expr;
    PtrVec        vec;
    Item         *item;
    Unit         *unit;
    Method       *method;
    Field        *field;
    FieldBlock   *block;
    FieldNode    *fnode;
    Slice        *slice;
    Action       *action;
    MapDef       *maps;
    MapElem      *melem;
    Param        *param;
    TypeRef       type;
    Decorator    *deco;
    EnumVariant  *variant;
    Stmt         *stmt;
    int           flag;
    struct { bool has; PtrVec params; } params;
    struct { Expr *lo; Expr *hi; } range;
    struct { PtrVec req; PtrVec ens; } clauses;
    TypeRef      *typep;
}

%token END 0 "end of file"
%token <num> NUM "number"
%token <ident> IDENT "identifier"
%token KW_CONST "const" KW_IMPORT "import" KW_STATICMAP "staticmap" KW_SEGMENT "segment"
%token KW_ENUM "enum" KW_OSSPEC "osspec" KW_INBITWIDTH "inbitwidth" KW_OUTBITWIDTH "outbitwidth"
%token KW_STATE "state" KW_INTERFACE "interface" KW_MAPS "maps" KW_MEM "mem" KW_REG "reg"
%token KW_MMIO "mmio" KW_INSTR "instr" KW_READACTIONS "ReadActions" KW_WRITEACTIONS "WriteActions"
%token KW_LAYOUT "Layout" KW_FN "fn" KW_SYNTH "synth" KW_ABSTRACT "abstract" KW_IF "if"
%token KW_ELSE "else" KW_FOR "for" KW_LET "let" KW_IN "in" KW_RETURN "return"
%token KW_REQUIRES "requires" KW_ENSURES "ensures" KW_ASSERT "assert" KW_FORALL "forall"
%token KW_EXISTS "exists" KW_INVARIANT "invariant" KW_ADDR "addr" KW_VADDR "vaddr"
%token KW_PADDR "paddr" KW_SIZE "size" KW_BOOL "bool" KW_INT "int" KW_FLAGS "flags"
%token KW_NONE "None" KW_EXTERN "extern" KW_TYPE "type" KW_TRUE "true" KW_FALSE "false"
%token KW_UNIT "unit" KW_READACTION "ReadAction" KW_WRITEACTION "WriteAction"
%token IMPLIES "==>" DOTDOT ".." COLONCOLON "::" LARROW "<-" RARROW "->" FATARROW "=>"
%token IFF "<=>" LSHIFT "<<" RSHIFT ">>" LAND "&&" LOR "||" EQ "==" NE "!=" LE "<=" GE ">="

%precedence QUANT
%left IMPLIES
%left LOR
%left LAND
%nonassoc EQ NE '<' '>' LE GE
%left '|'
%left '^'
%left '&'
%left LSHIFT RSHIFT
%left '+' '-'
%left '*' '/' '%'
%precedence '~' '!' UREF

%type <item> top_item unit_item const_def extern_type import_item flags_item
%type <unit> unit unit_head legacy_unit
%type <flag> opt_abstract opt_unit_semi unit_kw fn_mod fn_mods opt_semi field_sep
%type <params> opt_params opt_lparams
%type <vec> param_list param_list1 flag_list ident_list1 unit_body variants variants1 ident_list0
%type <vec> state_fields state_fields1 slices slices1 iface_fields iface_fields1 fnodes fnodes1
%type <vec> actions actions1 args args1 map_elems1 qparams lfields lslices lslices1 lnodes1
%type <vec> lnodes_bare decorators deco_group deco_list1 extern_fields extern_fields1 stmts lparam_list
%type <vec> lfields1 sactions
%type <clauses> clauses
%type <typep> opt_ret
%type <ident> opt_derive
%type <param> param lparam
%type <type> type
%type <expr> expr primary path num_expr quant if_expr
%type <field> state_field iface_field lfield lfield_head
%type <block> state_block iface_block
%type <fnode> fnode lnode lnode_kw
%type <slice> slice lslice
%type <action> action
%type <maps> map_body map_inner
%type <melem> map_elem map_call
%type <deco> decorator
%type <variant> variant
%type <method> method method_sig
%type <stmt> stmt
%type <range> range

%%

/* file := top_item* EOF */
file
    : %empty
    | file top_item         { if ($2) PUSH(p->spec->items, $2); if (p->fatal || p->diag->stopped) YYABORT; }
    ;

/* top_item := import | extern_type | const_def | unit | global_flags */
top_item
    : import_item
    | extern_type
    | const_def
    | flags_item
    | unit                  { $$ = mk_item(p, ITEM_UNIT, @1); $$->unit = $1; }
    | legacy_unit           { $$ = mk_item(p, ITEM_UNIT, @1); $$->unit = $1; }
    | error                 { $$ = NULL; if (resync(p, 0, &yychar, &yylval, &yylloc, scanner)) yyerrok; }
    ;

import_item
    : KW_IMPORT IDENT ';'   { $$ = mk_item(p, ITEM_IMPORT, @$); $$->import = $2; }
    ;

/* global_flags := "flags" "{" TLIST(IDENT) "}" */
flags_item
    : KW_FLAGS '{' flag_list '}'
        { $$ = mk_item(p, ITEM_FLAGS, @$); $$->flags = arena_alloc(A, sizeof(FlagsDef));
          $$->flags->flags = $3; }
    ;

flag_list
    : %empty                { $$ = (PtrVec){0}; }
    | ','                   { $$ = (PtrVec){0}; }
    | ident_list1           { $$ = $1; }
    | ident_list1 ','       { $$ = $1; }
    ;

ident_list1
    : IDENT                 { $$ = (PtrVec){0}; Ident *i = arena_alloc(A, sizeof *i); *i = $1; PUSH($$, i); }
    | ident_list1 ',' IDENT { $$ = $1; Ident *i = arena_alloc(A, sizeof *i); *i = $3; PUSH($$, i); }
    ;

ident_list0
    : %empty                { $$ = (PtrVec){0}; }
    | ident_list1
    ;

/* const_def := "const" IDENT ":" type "=" expr ";" */
const_def
    : KW_CONST IDENT ':' type '=' expr ';'
        { $$ = mk_item(p, ITEM_CONST, @$); $$->constdef = arena_alloc(A, sizeof(ConstDef));
          $$->constdef->name = $2; $$->constdef->type = $4; $$->constdef->value = $6; }
    ;

/* extern_type := decorators? "extern" "type" IDENT "{" TLIST(param) "}" */
extern_type
    : KW_EXTERN KW_TYPE IDENT '{' extern_fields '}'
        { $$ = mk_item(p, ITEM_EXTERN_TYPE, @$); $$->externtype = arena_alloc(A, sizeof(ExternType));
          $$->externtype->name = $3; $$->externtype->fields = $5; }
    | decorators KW_EXTERN KW_TYPE IDENT '{' extern_fields '}'
        { $$ = mk_item(p, ITEM_EXTERN_TYPE, @$); $$->externtype = arena_alloc(A, sizeof(ExternType));
          $$->externtype->decorators = $1; $$->externtype->name = $4; $$->externtype->fields = $6; }
    ;

extern_fields
    : %empty                { $$ = (PtrVec){0}; }
    | extern_fields1        { $$ = $1; }
    | extern_fields1 ','    { $$ = $1; }
    ;

extern_fields1
    : param                 { $$ = (PtrVec){0}; PUSH($$, $1); }
    | extern_fields1 ',' param { $$ = $1; PUSH($$, $3); }
    ;

/* param := IDENT ":" type */
param
    : IDENT ':' type        { $$ = mk_param(p, $1, $3, @$); }
    ;

param_list
    : %empty                { $$ = (PtrVec){0}; }
    | param_list1
    ;

param_list1
    : param                 { $$ = (PtrVec){0}; PUSH($$, $1); }
    | param_list1 ',' param { $$ = $1; PUSH($$, $3); }
    ;

opt_params
    : %empty                { $$.has = false; $$.params = (PtrVec){0}; }
    | '(' param_list ')'    { $$.has = true; $$.params = $2; }
    ;

/* type := addr | vaddr | paddr | size | int | bool | flags | IDENT */
type
    : KW_ADDR               { $$ = mk_type(TYPE_ADDR, NULL, @1); }
    | KW_VADDR              { $$ = mk_type(TYPE_VADDR, NULL, @1); }
    | KW_PADDR              { $$ = mk_type(TYPE_PADDR, NULL, @1); }
    | KW_SIZE               { $$ = mk_type(TYPE_SIZE, NULL, @1); }
    | KW_INT                { $$ = mk_type(TYPE_INT, NULL, @1); }
    | KW_BOOL               { $$ = mk_type(TYPE_BOOL, NULL, @1); }
    | KW_FLAGS              { $$ = mk_type(TYPE_FLAGS, NULL, @1); }
    | IDENT                 { $$ = named_type($1); }
    ;

/* ---- units -------------------------------------------------------------- */

/* unit := "abstract"? ("segment"|"staticmap") header "{" unit_item* "}"
 *       | "enum" header "{" LIST0(IDENT "(" LIST0(IDENT) ")") "}"
 *       | "osspec" header "{" unit_item* "}"                              */
unit
    : unit_head '{' unit_body '}' opt_unit_semi
        { $$ = $1; $$->items = $3; $$->loc = @$; finish_unit(p, $$);
          if ($5) { parse_deprecated(p, DEP_TRAILING_SEMI, @5); $$->form = SYNTAX_TRANSITIONAL; } }
    | KW_ENUM IDENT opt_params opt_derive '{' variants '}' opt_unit_semi
        { $$ = arena_alloc(A, sizeof(Unit)); $$->kind = UNIT_ENUM; $$->name = $2;
          $$->has_params = $3.has; $$->params = $3.params;
          if ($4.name) { $$->parent = arena_alloc(A, sizeof(Ident)); *$$->parent = $4; }
          $$->variants = $6; $$->loc = @$;
          if ($8) parse_deprecated(p, DEP_TRAILING_SEMI, @8); }
    ;

unit_head
    : opt_abstract unit_kw IDENT opt_params opt_derive
        { if (!$1) { @$.file = @2.file; @$.first_line = @2.first_line; @$.first_column = @2.first_column; }
          $$ = arena_alloc(A, sizeof(Unit)); $$->kind = (UnitKind)$2; $$->is_abstract = $1;
          $$->name = $3; $$->has_params = $4.has; $$->params = $4.params;
          if ($5.name) { $$->parent = arena_alloc(A, sizeof(Ident)); *$$->parent = $5; }
          if ($1 && $2 == UNIT_OSSPEC)
              diag_error(p->diag, @1, "an osspec cannot be abstract"); }
    ;

unit_kw
    : KW_SEGMENT            { $$ = UNIT_SEGMENT; }
    | KW_STATICMAP          { $$ = UNIT_STATICMAP; }
    | KW_OSSPEC             { $$ = UNIT_OSSPEC; }
    ;

opt_abstract
    : %empty                { $$ = 0; }
    | KW_ABSTRACT           { $$ = 1; }
    ;

opt_derive
    : %empty                { $$.name = NULL; }
    | ':' IDENT             { $$ = $2; }
    ;

opt_unit_semi
    : %empty                { $$ = 0; }
    | ';'                   { $$ = 1; }
    ;

variants
    : %empty                { $$ = (PtrVec){0}; }
    | variants1
    ;

variants1
    : variant               { $$ = (PtrVec){0}; PUSH($$, $1); }
    | variants1 ',' variant { $$ = $1; PUSH($$, $3); }
    ;

variant
    : IDENT '(' ident_list0 ')'
        { $$ = arena_alloc(A, sizeof(EnumVariant)); $$->name = $1; $$->args = $3; $$->loc = @$; }
    ;

/* legacy_unit := "unit" IDENT params? (":" IDENT)? "{" body "}" ";" */
legacy_unit
    : KW_UNIT IDENT opt_params opt_derive '{' unit_body '}' ';'
        { $$ = arena_alloc(A, sizeof(Unit)); $$->name = $2; $$->has_params = $3.has;
          $$->params = $3.params; $$->items = $6; $$->loc = @$; $$->form = SYNTAX_LEGACY;
          parse_deprecated(p, DEP_LEGACY_UNIT, @1);
          bool has_map = false;
          VEC_FOREACH(Item *, it, $6) if (it->kind == ITEM_MAPS) has_map = true;
          $$->kind = has_map ? UNIT_STATICMAP : UNIT_SEGMENT;
          if ($4.name) {
              if (strcmp($4.name, "Segment") == 0) $$->kind = UNIT_SEGMENT;
              else if (strcmp($4.name, "StaticMap") == 0) $$->kind = UNIT_STATICMAP;
              else { $$->kind = UNIT_SEGMENT; $$->parent = arena_alloc(A, sizeof(Ident)); *$$->parent = $4; }
          }
          finish_unit(p, $$); }
    | KW_UNIT IDENT opt_params opt_derive '{' unit_body '}' error
        { $$ = arena_alloc(A, sizeof(Unit)); $$->name = $2; $$->loc = @$; $$->form = SYNTAX_LEGACY;
          $$->kind = UNIT_SEGMENT; if (resync(p, 0, &yychar, &yylval, &yylloc, scanner)) yyerrok; }
    ;

unit_body
    : %empty                { $$ = (PtrVec){0}; }
    | unit_body unit_item   { $$ = $1; if ($2) PUSH($$, $2); }
    ;

/* unit_item := inbitwidth | outbitwidth | extern_type | method | state | interface
 *            | flags | maps | const  (any order, any multiplicity)             */
unit_item
    : KW_INBITWIDTH '=' expr ';'   { $$ = mk_item(p, ITEM_INBITWIDTH, @$); $$->bitwidth = $3; }
    | KW_OUTBITWIDTH '=' expr ';'  { $$ = mk_item(p, ITEM_OUTBITWIDTH, @$); $$->bitwidth = $3; }
    | KW_SIZE '=' expr ';'
        { $$ = mk_item(p, ITEM_INBITWIDTH, @$); $$->bitwidth = $3;
          parse_deprecated(p, DEP_SIZE, @$); }
    | extern_type
    | method                { $$ = mk_item(p, ITEM_METHOD, @$); $$->method = $1; }
    | state_block           { $$ = mk_item(p, ITEM_STATE, @$); $$->block = $1; }
    | iface_block           { $$ = mk_item(p, ITEM_INTERFACE, @$); $$->block = $1; }
    | KW_FLAGS '=' '{' flag_list '}' opt_semi
        { $$ = mk_item(p, ITEM_FLAGS, @$); $$->flags = arena_alloc(A, sizeof(FlagsDef));
          $$->flags->flags = $4; $$->flags->unit_level = true;
          parse_deprecated(p, DEP_UNIT_FLAGS, @$); }
    | KW_MAPS map_body opt_semi
        { $$ = mk_item(p, ITEM_MAPS, @$); $$->maps = $2;
          if ($3) parse_deprecated(p, DEP_TRAILING_SEMI, @3); }
    | decorators KW_MAPS map_body opt_semi
        { $$ = mk_item(p, ITEM_MAPS, @$); $$->maps = $3; $$->maps->decorators = $1;
          if ($4) parse_deprecated(p, DEP_TRAILING_SEMI, @4); }
    | IDENT '=' '[' map_inner ']' opt_semi
        { $$ = mk_item(p, ITEM_MAPS, @$); $$->maps = $4; $$->maps->loc = @$;
          if (strcmp($1.name, "map") != 0 && strcmp($1.name, "mapdef") != 0)
              diag_error(p->diag, @1, "expected `maps`, `mapdef` or `map`, found `%s`", $1.name);
          parse_deprecated(p, DEP_MAP_ASSIGN, @$); }
    | KW_STATICMAP '=' '[' map_inner ']' opt_semi
        { $$ = mk_item(p, ITEM_MAPS, @$); $$->maps = $4; $$->maps->loc = @$;
          parse_deprecated(p, DEP_MAP_ASSIGN, @$); }
    | const_def
    | error                 { $$ = NULL; if (resync(p, 1, &yychar, &yylval, &yylloc, scanner)) yyerrok; }
    ;

opt_semi
    : %empty                { $$ = 0; }
    | ';'                   { $$ = 1; }
    ;

/* ---- state and interface ------------------------------------------------ */

/* state_block := "state" ("(" LIST0(param) ")")? "{" TLIST(state_field) "}" */
state_block
    : KW_STATE opt_params '{' state_fields '}' opt_semi
        { $$ = arena_alloc(A, sizeof(FieldBlock)); $$->has_params = $2.has; $$->params = $2.params;
          $$->fields = $4; $$->loc = @$;
          if ($6) parse_deprecated(p, DEP_TRAILING_SEMI, @6); }
    | KW_STATE '=' IDENT opt_lparams '{' lfields '}' opt_semi
        { $$ = assign_block(p, false, $3, $4.has, $4.params, $6, @$); }
    | KW_STATE '=' KW_NONE opt_semi
        { /* a unit without state: the current form is `state {}` */
          $$ = arena_alloc(A, sizeof(FieldBlock)); $$->loc = @$;
          parse_deprecated(p, DEP_STATE_ASSIGN, @$); }
    ;

state_fields
    : %empty                { $$ = (PtrVec){0}; }
    | state_fields1
    | state_fields1 ','
    ;

state_fields1
    : state_field           { $$ = (PtrVec){0}; if ($1) PUSH($$, $1); }
    | state_fields1 ',' state_field { $$ = $1; if ($3) PUSH($$, $3); }
    | state_fields1 ';' state_field
        { $$ = $1; if ($3) PUSH($$, $3);
          diag_error(p->diag, @2, "fields are separated by `,`, not `;`"); }
    | state_fields1 state_field
        { $$ = $1; if ($2) PUSH($$, $2);
          diag_error(p->diag, @2, "expected `,` before this field"); }
    ;

/* state_field := "mem" IDENT "[" IDENT "," NUM "," NUM "]" slice_block?
 *              | "reg" IDENT "[" NUM "]" slice_block?                    */
state_field
    : KW_MEM IDENT '[' IDENT ',' num_expr ',' num_expr ']'
        { $$ = mk_field(p, FIELD_MEM, $2, @$); $$->base = $4; $$->offset = $6; $$->size = $8; }
    | KW_MEM IDENT '[' IDENT ',' num_expr ',' num_expr ']' '{' slices '}'
        { $$ = mk_field(p, FIELD_MEM, $2, @$); $$->base = $4; $$->offset = $6; $$->size = $8;
          $$->slices = $11;
          if ($11.len == 0) parse_deprecated(p, DEP_EMPTY_BODY, @10); }
    | KW_REG IDENT '[' num_expr ']'
        { $$ = mk_field(p, FIELD_REG, $2, @$); $$->size = $4; }
    | KW_REG IDENT '[' num_expr ']' '{' slices '}'
        { $$ = mk_field(p, FIELD_REG, $2, @$); $$->size = $4; $$->slices = $7;
          if ($7.len == 0) parse_deprecated(p, DEP_EMPTY_BODY, @6); }
    | error                 { $$ = NULL; if (resync(p, 2, &yychar, &yylval, &yylloc, scanner)) yyerrok; }
    ;

num_expr
    : NUM                   { $$ = mk_num(p, $1.value, $1.text, @1); }
    ;

slices
    : %empty                { $$ = (PtrVec){0}; }
    | slices1
    | slices1 ','
    ;

slices1
    : slice                 { $$ = (PtrVec){0}; PUSH($$, $1); }
    | slices1 ',' slice     { $$ = $1; PUSH($$, $3); }
    ;

/* slice := NUM ".." NUM IDENT    (half-open, in bits) */
slice
    : num_expr DOTDOT num_expr IDENT { $$ = mk_slice(p, $1, $3, $4, @$); }
    ;

/* interface_block := "interface" ("(" LIST0(param) ")")? "{" TLIST(iface_field) "}" */
iface_block
    : KW_INTERFACE opt_params '{' iface_fields '}' opt_semi
        { $$ = arena_alloc(A, sizeof(FieldBlock)); $$->is_interface = true; $$->has_params = $2.has;
          $$->params = $2.params; $$->fields = $4; $$->loc = @$;
          if ($6) parse_deprecated(p, DEP_TRAILING_SEMI, @6); }
    | KW_INTERFACE '=' IDENT opt_lparams '{' lfields '}' opt_semi
        { $$ = assign_block(p, true, $3, $4.has, $4.params, $6, @$); }
    | KW_INTERFACE '=' IDENT opt_lparams '[' lfields ']' opt_semi
        { $$ = assign_block(p, true, $3, $4.has, $4.params, $6, @$);
          parse_deprecated(p, DEP_BRACKET_IFACE, @5); }
    | KW_INTERFACE '=' IDENT ';'
        { /* `interface = Memory;`: same fields as the state, expanded in finish_unit */
          $$ = NULL;
          if (strcmp($3.name, "Memory") != 0)
              diag_error(p->diag, @3, "only `interface = Memory;` may leave out the field list");
          else {
              parse_deprecated(p, DEP_IFACE_SAME, @$);
              $$ = &same_as_state;
          } }
    | KW_INTERFACE '=' KW_NONE opt_semi
        { $$ = arena_alloc(A, sizeof(FieldBlock)); $$->is_interface = true; $$->loc = @$;
          parse_deprecated(p, DEP_IFACE_ASSIGN, @$); }
    ;

iface_fields
    : %empty                { $$ = (PtrVec){0}; }
    | iface_fields1
    | iface_fields1 ','
    ;

iface_fields1
    : iface_field           { $$ = (PtrVec){0}; if ($1) PUSH($$, $1); }
    | iface_fields1 ',' iface_field { $$ = $1; if ($3) PUSH($$, $3); }
    | iface_fields1 ';' iface_field
        { $$ = $1; if ($3) PUSH($$, $3);
          diag_error(p->diag, @2, "fields are separated by `,`, not `;`"); }
    | iface_fields1 iface_field
        { $$ = $1; if ($2) PUSH($$, $2);
          diag_error(p->diag, @2, "expected `,` before this field"); }
    ;

/* iface_field := ("mem"|"mmio") IDENT "[" IDENT "," NUM "," NUM "]" iface_body?
 *              | "reg" IDENT "[" NUM "]" iface_body? | "instr" IDENT iface_body? */
iface_field
    : KW_MEM IDENT '[' IDENT ',' num_expr ',' num_expr ']' fnodes
        { $$ = mk_field(p, FIELD_MEM, $2, @$); $$->base = $4; $$->offset = $6; $$->size = $8; $$->nodes = $10; }
    | KW_MMIO IDENT '[' IDENT ',' num_expr ',' num_expr ']' fnodes
        { $$ = mk_field(p, FIELD_MMIO, $2, @$); $$->base = $4; $$->offset = $6; $$->size = $8; $$->nodes = $10; }
    | KW_REG IDENT '[' num_expr ']' fnodes
        { $$ = mk_field(p, FIELD_REG, $2, @$); $$->size = $4; $$->nodes = $6; }
    | KW_INSTR IDENT fnodes
        { $$ = mk_field(p, FIELD_INSTR, $2, @$); $$->nodes = $3; }
    | error                 { $$ = NULL; if (resync(p, 2, &yychar, &yylval, &yylloc, scanner)) yyerrok; }
    ;

/* iface_body := "{" TLIST(iface_node) "}" */
fnodes
    : %empty                { $$ = (PtrVec){0}; }
    | '{' '}'               { $$ = (PtrVec){0}; parse_deprecated(p, DEP_EMPTY_BODY, @$); }
    | '{' fnodes1 '}'       { $$ = $2; }
    | '{' fnodes1 ',' '}'   { $$ = $2; }
    ;

fnodes1
    : fnode                 { $$ = (PtrVec){0}; PUSH($$, $1); }
    | fnodes1 ',' fnode     { $$ = $1; PUSH($$, $3); }
    ;

/* iface_node := "Layout" "{" TLIST(slice) "}" | ("ReadActions"|"WriteActions") "{" (action ";")* "}" */
fnode
    : KW_LAYOUT '{' slices '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_LAYOUT; $$->items = $3; $$->loc = @$; }
    | KW_READACTIONS '{' sactions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_READ_ACTIONS; $$->items = $3; $$->loc = @$; }
    | KW_WRITEACTIONS '{' sactions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_WRITE_ACTIONS; $$->items = $3; $$->loc = @$; }
    | IDENT '{' actions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->items = $3; $$->loc = @$;
          if (strcmp($1.name, "ReadAction") == 0) $$->kind = NODE_READ_ACTIONS;
          else if (strcmp($1.name, "WriteAction") == 0) $$->kind = NODE_WRITE_ACTIONS;
          else { diag_error(p->diag, @1, "expected `Layout`, `ReadActions` or `WriteActions`, found `%s`", $1.name);
                 $$->kind = NODE_READ_ACTIONS; }
          parse_deprecated(p, DEP_ACTION_NAME, @1); }
    ;

/* current syntax: (action ";")* */
sactions
    : %empty                { $$ = (PtrVec){0}; }
    | sactions action ';'   { $$ = $1; PUSH($$, $2); }
    ;

/* older syntax: actions separated by ";", the last ";" optional */
actions
    : %empty                { $$ = (PtrVec){0}; }
    | actions1              { $$ = $1; }
    | actions1 ';'          { $$ = $1; }
    ;

actions1
    : action                { $$ = (PtrVec){0}; PUSH($$, $1); }
    | actions1 ';' action   { $$ = $1; PUSH($$, $3); }
    ;

/* action := expr ("->" | "<-") expr */
action
    : expr RARROW expr
        { $$ = arena_alloc(A, sizeof(Action)); $$->lhs = $1; $$->rhs = $3; $$->arrow = ARROW_RIGHT; $$->loc = @$; }
    | expr LARROW expr
        { $$ = arena_alloc(A, sizeof(Action)); $$->lhs = $1; $$->rhs = $3; $$->arrow = ARROW_LEFT; $$->loc = @$; }
    ;

/* ---- legacy and transitional fields ------------------------------------- */

/* Params of `state = Memory(base: addr)`; the 2021 form allows `Memory(base)`. */
opt_lparams
    : %empty                { $$.has = false; $$.params = (PtrVec){0}; }
    | '(' ')'               { $$.has = true; $$.params = (PtrVec){0}; }
    | '(' lparam_list ')'   { $$.has = true; $$.params = $2; }
    ;

lparam_list
    : lparam                { $$ = (PtrVec){0}; PUSH($$, $1); }
    | lparam_list ',' lparam { $$ = $1; PUSH($$, $3); }
    ;

lparam
    : param
    | IDENT
        { TypeRef t = mk_type(TYPE_VOID, NULL, @1);  /* resolved from the unit params later */
          $$ = mk_param(p, $1, t, @$); parse_deprecated(p, DEP_UNTYPED_PARAM, @1); }
    ;

/* Fields separated by "," or ";" (trailing allowed), kind keyword optional. */
lfields
    : %empty                { $$ = (PtrVec){0}; }
    | lfields1
    ;

lfields1
    : lfield                { $$ = (PtrVec){0}; if ($1) PUSH($$, $1); }
    | lfields1 field_sep    { $$ = $1; if ($2 == ';') parse_deprecated(p, DEP_FIELD_SEP, @2); }
    | lfields1 lfield       { $$ = $1; if ($2) PUSH($$, $2); }   /* 2022: `};?` */
    ;

field_sep
    : ','                   { $$ = ','; }
    | ';'                   { $$ = ';'; }
    ;

lfield
    : lfield_head           { $$ = $1; }
    | lfield_head '{' '}'   { $$ = $1; parse_deprecated(p, DEP_EMPTY_BODY, @2); }
    | lfield_head '{' lslices1 '}'  { $$ = $1; $$->slices = $3; }
    | lfield_head '{' lnodes1 '}'   { $$ = $1; $$->nodes = $3; }
    | lfield_head lnodes_bare       { $$ = $1; $$->nodes = $2; }
    | KW_INSTR IDENT               { $$ = mk_field(p, FIELD_INSTR, $2, @$); }
    | KW_INSTR IDENT '{' lnodes1 '}' { $$ = mk_field(p, FIELD_INSTR, $2, @$); $$->nodes = $4; }
    | error                 { $$ = NULL; if (resync(p, 2, &yychar, &yylval, &yylloc, scanner)) yyerrok; }
    ;

lfield_head
    : IDENT '[' IDENT ',' num_expr ',' num_expr ']'
        { $$ = mk_field(p, (FieldKind)-1, $1, @$); $$->base = $3; $$->offset = $5; $$->size = $7; }
    | IDENT '[' num_expr ']'
        { $$ = mk_field(p, (FieldKind)-1, $1, @$); $$->size = $3; }
    | KW_MEM IDENT '[' IDENT ',' num_expr ',' num_expr ']'
        { $$ = mk_field(p, FIELD_MEM, $2, @$); $$->base = $4; $$->offset = $6; $$->size = $8; }
    | KW_MMIO IDENT '[' IDENT ',' num_expr ',' num_expr ']'
        { $$ = mk_field(p, FIELD_MMIO, $2, @$); $$->base = $4; $$->offset = $6; $$->size = $8; }
    | KW_REG IDENT '[' num_expr ']'
        { $$ = mk_field(p, FIELD_REG, $2, @$); $$->size = $4; }
    ;

/* Slices in older blocks: `lo hi name` (inclusive) or `lo..hi name`, "," or ";". */
lslices
    : %empty                { $$ = (PtrVec){0}; }
    | lslices1
    ;

lslices1
    : lslice                { $$ = (PtrVec){0}; PUSH($$, $1); }
    | lslices1 field_sep    { $$ = $1; if ($2 == ';') parse_deprecated(p, DEP_FIELD_SEP, @2); }
    | lslices1 field_sep lslice
        { $$ = $1; PUSH($$, $3); if ($2 == ';') parse_deprecated(p, DEP_FIELD_SEP, @2); }
    ;

lslice
    : num_expr DOTDOT num_expr IDENT { $$ = mk_slice(p, $1, $3, $4, @$); }
    | num_expr num_expr IDENT        { $$ = incl_slice(p, $1, $2, $3, @$); }
    ;

/* Interface field bodies of 2021-2023: `{ Layout {..}; ReadAction {..}; }` */
lnodes1
    : lnode                 { $$ = (PtrVec){0}; PUSH($$, $1); }
    | lnodes1 field_sep     { $$ = $1; if ($2 == ';') parse_deprecated(p, DEP_FIELD_SEP, @2); }
    | lnodes1 field_sep lnode
        { $$ = $1; PUSH($$, $3); if ($2 == ';') parse_deprecated(p, DEP_FIELD_SEP, @2); }
    ;

/* ... or, in the 2021 parser, with no braces: `Layout {..}; ReadAction {..};`
 * (only the keyword forms: there `ReadAction` is a keyword) */
lnodes_bare
    : lnode_kw ';'             { $$ = (PtrVec){0}; PUSH($$, $1); }
    | lnodes_bare lnode_kw ';' { $$ = $1; PUSH($$, $2); }
    ;

lnode
    : lnode_kw
    | IDENT '{' actions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->items = $3; $$->loc = @$;
          if (strcmp($1.name, "ReadAction") == 0) $$->kind = NODE_READ_ACTIONS;
          else if (strcmp($1.name, "WriteAction") == 0) $$->kind = NODE_WRITE_ACTIONS;
          else { diag_error(p->diag, @1, "expected `Layout`, `ReadActions` or `WriteActions`, found `%s`", $1.name);
                 $$->kind = NODE_READ_ACTIONS; }
          parse_deprecated(p, DEP_ACTION_NAME, @1); }
    ;

lnode_kw
    : KW_LAYOUT '{' lslices '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_LAYOUT; $$->items = $3; $$->loc = @$; }
    | KW_READACTION '{' actions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_READ_ACTIONS; $$->items = $3; $$->loc = @$;
          parse_deprecated(p, DEP_ACTION_NAME, @1); }
    | KW_WRITEACTION '{' actions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_WRITE_ACTIONS; $$->items = $3; $$->loc = @$;
          parse_deprecated(p, DEP_ACTION_NAME, @1); }
    | KW_READACTIONS '{' actions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_READ_ACTIONS; $$->items = $3; $$->loc = @$; }
    | KW_WRITEACTIONS '{' actions '}'
        { $$ = arena_alloc(A, sizeof(FieldNode)); $$->kind = NODE_WRITE_ACTIONS; $$->items = $3; $$->loc = @$; }
    ;

/* ---- maps --------------------------------------------------------------- */

/* map_body := "[" map_elem ("," map_elem)* "]" | "[" map_elem "for" IDENT "in" range "]" */
map_body
    : '[' map_inner ']'     { $$ = $2; $$->loc = @$; }
    ;

map_inner
    : map_elems1
        { $$ = arena_alloc(A, sizeof(MapDef)); $$->elems = $1; }
    | map_elem KW_FOR IDENT KW_IN range
        { $$ = arena_alloc(A, sizeof(MapDef)); $$->comprehension = true; PUSH($$->elems, $1);
          $$->var = $3; $$->lo = $5.lo; $$->hi = $5.hi; }
    ;

map_elems1
    : map_elem              { $$ = (PtrVec){0}; PUSH($$, $1); }
    | map_elems1 ',' map_elem { $$ = $1; PUSH($$, $3); }
    ;

/* map_elem := (range "=>")? IDENT "(" LIST0(expr) ")" ("@" expr)? */
map_elem
    : map_call              { $$ = $1; }
    | map_call '@' expr     { $$ = $1; $$->offset = $3; $$->loc = @$; }
    | range FATARROW map_call
        { $$ = $3; $$->src_lo = $1.lo; $$->src_hi = $1.hi; $$->loc = @$; }
    | range FATARROW map_call '@' expr
        { $$ = $3; $$->src_lo = $1.lo; $$->src_hi = $1.hi; $$->offset = $5; $$->loc = @$; }
    ;

map_call
    : IDENT '(' args ')'
        { $$ = arena_alloc(A, sizeof(MapElem)); $$->unit = $1; $$->args = $3; $$->loc = @$; }
    ;

range
    : expr DOTDOT expr      { $$.lo = $1; $$.hi = $3; }
    ;

/* ---- methods ------------------------------------------------------------ */

/* method := decorators? "extern"? "abstract"? "synth"? "fn" IDENT ("(" params ")")?
 *           ("->" type)? requires* ensures* ("{" expr "}")? ";"?                   */
method
    : method_sig clauses
        { $$ = $1; $$->requires = $2.req; $$->ensures = $2.ens; $$->loc = @$; }
    | method_sig clauses '{' expr '}'
        { $$ = $1; $$->requires = $2.req; $$->ensures = $2.ens; $$->body = $4; $$->loc = @$; }
    | method_sig clauses '{' expr '}' ';'
        { $$ = $1; $$->requires = $2.req; $$->ensures = $2.ens; $$->body = $4; $$->loc = @$; }
    | method_sig clauses '{' '}' opt_semi
        { $$ = $1; $$->requires = $2.req; $$->ensures = $2.ens; $$->loc = @$;
          parse_deprecated(p, DEP_EMPTY_BODY, @3); }
    | method_sig clauses '{' stmts '}' opt_semi
        { $$ = $1; $$->requires = $2.req; $$->ensures = $2.ens; $$->loc = @$;
          parse_deprecated(p, DEP_STMT_BODY, @3);
          $$->body = legacy_body_to_expr(p, $4, loc_span(@3, @5), &$$->requires); }
    ;

method_sig
    : KW_FN IDENT opt_params opt_ret
        { $$ = arena_alloc(A, sizeof(Method)); $$->name = $2; $$->has_params = $3.has;
          $$->params = $3.params; $$->ret = $4; }
    | fn_mods KW_FN IDENT opt_params opt_ret
        { $$ = arena_alloc(A, sizeof(Method)); $$->name = $3; $$->has_params = $4.has;
          $$->params = $4.params; $$->ret = $5;
          $$->is_extern = $1 & 1; $$->is_abstract = ($1 >> 1) & 1; $$->is_synth = ($1 >> 2) & 1; }
    | decorators KW_FN IDENT opt_params opt_ret
        { $$ = arena_alloc(A, sizeof(Method)); $$->decorators = $1; $$->name = $3;
          $$->has_params = $4.has; $$->params = $4.params; $$->ret = $5; }
    | decorators fn_mods KW_FN IDENT opt_params opt_ret
        { $$ = arena_alloc(A, sizeof(Method)); $$->decorators = $1; $$->name = $4;
          $$->has_params = $5.has; $$->params = $5.params; $$->ret = $6;
          $$->is_extern = $2 & 1; $$->is_abstract = ($2 >> 1) & 1; $$->is_synth = ($2 >> 2) & 1; }
    ;

opt_ret
    : %empty                { $$ = NULL; }
    | RARROW type           { $$ = arena_alloc(A, sizeof(TypeRef)); *$$ = $2; }
    ;

/* Modifiers in the fixed order extern abstract synth; bit 0/1/2. */
fn_mods
    : fn_mod                { $$ = $1; }
    | fn_mods fn_mod
        { if ($1 & $2) diag_error(p->diag, @2, "duplicate method modifier");
          else if ($1 > $2) diag_error(p->diag, @2, "method modifiers must come in the order `extern abstract synth`");
          $$ = $1 | $2; }
    ;

fn_mod
    : KW_EXTERN             { $$ = 1; }
    | KW_ABSTRACT           { $$ = 2; }
    | KW_SYNTH              { $$ = 4; }
    ;

/* requires* ensures*, each optionally followed by ";" */
clauses
    : %empty                { $$.req = (PtrVec){0}; $$.ens = (PtrVec){0}; }
    | clauses KW_REQUIRES expr
        { $$ = $1; PUSH($$.req, $3);
          if ($1.ens.len) diag_error(p->diag, @2, "`requires` clause after an `ensures` clause; all requires come first"); }
    | clauses KW_ENSURES expr
        { $$ = $1; PUSH($$.ens, $3); }
    | clauses ';'           { $$ = $1; }
    ;

decorators
    : deco_group            { $$ = $1; }
    | decorators deco_group { $$ = $1; VEC_FOREACH(Decorator *, d, $2) PUSH($$, d); }
    ;

/* decorators := "#" "[" LIST1(IDENT ("(" IDENT ")")?) "]" */
deco_group
    : '#' '[' deco_list1 ']' { $$ = $3; }
    ;

deco_list1
    : decorator             { $$ = (PtrVec){0}; PUSH($$, $1); }
    | deco_list1 ',' decorator { $$ = $1; PUSH($$, $3); }
    ;

decorator
    : IDENT                 { $$ = arena_alloc(A, sizeof(Decorator)); $$->name = $1; $$->loc = @$; }
    | KW_INVARIANT          { $$ = arena_alloc(A, sizeof(Decorator)); $$->name.name = "invariant";
                              $$->name.loc = @1; $$->loc = @$; }
    | IDENT '(' IDENT ')'
        { $$ = arena_alloc(A, sizeof(Decorator)); $$->name = $1; $$->arg = arena_alloc(A, sizeof(Ident));
          *$$->arg = $3; $$->loc = @$; }
    ;

/* ---- legacy statement bodies -------------------------------------------- */

stmts
    : stmt                  { $$ = (PtrVec){0}; PUSH($$, $1); }
    | stmts stmt            { $$ = $1; PUSH($$, $2); }
    ;

stmt
    : KW_RETURN expr ';'    { $$ = legacy_stmt_return(p, $2, @$); }
    | KW_LET IDENT ':' type '=' expr ';' { $$ = legacy_stmt_let(p, $2, $4, $6, @$); }
    | KW_ASSERT expr ';'    { $$ = legacy_stmt_assert(p, $2, @$); }
    | KW_IF expr '{' stmts '}'  { $$ = legacy_stmt_if(p, $2, $4, NULL, @$); }
    | KW_IF expr '{' stmts '}' KW_ELSE '{' stmts '}' { $$ = legacy_stmt_if(p, $2, $4, &$8, @$); }
    ;

/* ---- expressions -------------------------------------------------------- */

expr
    : expr IMPLIES expr     { $$ = binop(p, OP_IMPLIES, $1, $3, @$); }
    | expr LOR expr         { $$ = binop(p, OP_LOR, $1, $3, @$); }
    | expr LAND expr        { $$ = binop(p, OP_LAND, $1, $3, @$); }
    | expr EQ expr          { $$ = binop(p, OP_EQ, $1, $3, @$); }
    | expr NE expr          { $$ = binop(p, OP_NE, $1, $3, @$); }
    | expr '<' expr         { $$ = binop(p, OP_LT, $1, $3, @$); }
    | expr '>' expr         { $$ = binop(p, OP_GT, $1, $3, @$); }
    | expr LE expr          { $$ = binop(p, OP_LE, $1, $3, @$); }
    | expr GE expr          { $$ = binop(p, OP_GE, $1, $3, @$); }
    | expr '|' expr         { $$ = binop(p, OP_BOR, $1, $3, @$); }
    | expr '^' expr         { $$ = binop(p, OP_BXOR, $1, $3, @$); }
    | expr '&' expr         { $$ = binop(p, OP_BAND, $1, $3, @$); }
    | expr LSHIFT expr      { $$ = binop(p, OP_SHL, $1, $3, @$); }
    | expr RSHIFT expr      { $$ = binop(p, OP_SHR, $1, $3, @$); }
    | expr '+' expr         { $$ = binop(p, OP_ADD, $1, $3, @$); }
    | expr '-' expr         { $$ = binop(p, OP_SUB, $1, $3, @$); }
    | expr '*' expr         { $$ = binop(p, OP_MUL, $1, $3, @$); }
    | expr '/' expr         { $$ = binop(p, OP_DIV, $1, $3, @$); }
    | expr '%' expr         { $$ = binop(p, OP_MOD, $1, $3, @$); }
    | '~' expr              { $$ = unop(p, OP_BITNOT, $2, @$); }
    | '!' expr              { $$ = unop(p, OP_NOT, $2, @$); }
    | '&' expr %prec UREF   { $$ = unop(p, OP_REF, $2, @$); }
    | primary
    ;

/* primary := NUM | true | false | IDENT "(" args ")" | path "[" expr ".." expr "]"
 *          | path "[" expr "]" | if | path | quantifier | "(" expr ")"           */
primary
    : NUM                   { $$ = mk_num(p, $1.value, $1.text, @1); }
    | KW_TRUE               { $$ = ast_expr(A, EXPR_BOOL, @1); $$->boolean = true; }
    | KW_FALSE              { $$ = ast_expr(A, EXPR_BOOL, @1); $$->boolean = false; }
    | path
    | IDENT '(' args ')'
        { $$ = mk_call(p, ast_path1(A, $1.name, @1), $3, @$); }
    | path '.' IDENT '(' args ')'
        { Ident *i = arena_alloc(A, sizeof *i); *i = $3; PUSH($1->path.segs, i); $1->loc = loc_span(@1, @3);
          $$ = mk_call(p, $1, $5, @$); }
    | path '[' expr DOTDOT expr ']'
        { $$ = ast_expr(A, EXPR_SLICE, @$); $$->slice.base = $1; $$->slice.lo = $3; $$->slice.hi = $5;
          $$->depth = 1 + ($3->depth > $5->depth ? $3->depth : $5->depth); }
    | path '[' expr ']'
        { $$ = ast_expr(A, EXPR_ELEM, @$); $$->elem.base = $1; $$->elem.index = $3; $$->depth = 1 + $3->depth; }
    | if_expr
    | quant
    | '(' expr ')'          { $$ = $2; $$->parens = true; $$->loc = @$; }
    ;

if_expr
    : KW_IF expr '{' expr '}' KW_ELSE '{' expr '}'
        { $$ = ast_expr(A, EXPR_IF, @$); $$->ifelse.cond = $2; $$->ifelse.then = $4; $$->ifelse.els = $8;
          int d = $2->depth; if ($4->depth > d) d = $4->depth; if ($8->depth > d) d = $8->depth;
          $$->depth = d + 1; }
    ;

/* ("forall" | "exists") LIST1(param) "::" expr -- the body extends as far right as possible */
quant
    : KW_FORALL qparams COLONCOLON expr %prec QUANT
        { $$ = ast_expr(A, EXPR_QUANT, @$); $$->quant.q = QUANT_FORALL; $$->quant.params = $2;
          $$->quant.body = $4; $$->depth = $4->depth + 1; }
    | KW_EXISTS qparams COLONCOLON expr %prec QUANT
        { $$ = ast_expr(A, EXPR_QUANT, @$); $$->quant.q = QUANT_EXISTS; $$->quant.params = $2;
          $$->quant.body = $4; $$->depth = $4->depth + 1; }
    ;

qparams
    : param                 { $$ = (PtrVec){0}; PUSH($$, $1); }
    | qparams ',' param     { $$ = $1; PUSH($$, $3); }
    ;

/* path := (IDENT | "state" | "interface" | "staticmap") ("." IDENT)* */
path
    : IDENT                 { $$ = ast_path1(A, $1.name, @1); }
    | KW_STATE              { $$ = ast_path1(A, "state", @1); }
    | KW_INTERFACE          { $$ = ast_path1(A, "interface", @1); }
    | KW_STATICMAP          { $$ = ast_path1(A, "staticmap", @1); }
    | path '.' IDENT
        { $$ = $1; Ident *i = arena_alloc(A, sizeof *i); *i = $3; PUSH($$->path.segs, i); $$->loc = @$; }
    ;

args
    : %empty                { $$ = (PtrVec){0}; }
    | args1
    ;

args1
    : expr                  { $$ = (PtrVec){0}; PUSH($$, $1); }
    | args1 ',' expr        { $$ = $1; PUSH($$, $3); }
    ;

%%

/* Source text of a span on one line, for "found `...`" in messages. */
static const char *span_text(Parser *p, Loc loc, char *buf, size_t cap)
{
    SrcFile *f = p->file;
    if (!loc.file || loc.first_line != loc.last_line) {
        snprintf(buf, cap, "?");
        return buf;
    }
    /* walk to the line: the lexer does not keep line starts, so scan */
    size_t off = 0;
    int line = 1;
    while (off < f->len && line < loc.first_line)
        if (f->text[off++] == '\n')
            line++;
    off += (size_t)loc.first_column - 1;
    size_t n = (size_t)(loc.last_column - loc.first_column + 1);
    if (off > f->len || n > f->len - off)
        n = off > f->len ? 0 : f->len - off;
    if (n > 40)
        n = 40;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)f->text[off + i];
        buf[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    buf[k] = '\0';
    return buf;
}

/* A token kind as users read it: `fn`, `{`, identifier, end of file. */
static const char *token_text(yysymbol_kind_t tok, char *buf, size_t cap)
{
    const char *name = yysymbol_name(tok);
    size_t len = strlen(name);
    if (tok == YYSYMBOL_YYEOF || tok == YYSYMBOL_IDENT || tok == YYSYMBOL_NUM)
        snprintf(buf, cap, "%s", name);
    else if (len >= 2 && (name[0] == '"' || name[0] == '\''))
        snprintf(buf, cap, "`%.*s`", (int)len - 2, name + 1);
    else
        snprintf(buf, cap, "`%s`", name);
    return buf;
}

/* "expected X, Y or Z, found `tok`" at the unexpected token. */
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, Parser *p)
{
    (void)scanner;
    enum { MAX_EXPECTED = 6 };
    yysymbol_kind_t expected[MAX_EXPECTED];
    int n = yypcontext_expected_tokens(ctx, expected, MAX_EXPECTED);
    yysymbol_kind_t tok = yypcontext_token(ctx);
    const Loc *loc = yypcontext_location(ctx);

    char found[128], what[96];
    if (tok == YYSYMBOL_YYEOF) {
        snprintf(found, sizeof found, "end of file");
    } else if (tok == YYSYMBOL_IDENT || tok == YYSYMBOL_NUM) {
        snprintf(found, sizeof found, "%s `%s`", tok == YYSYMBOL_IDENT ? "identifier" : "number",
                 span_text(p, *loc, what, sizeof what));
    } else if (tok == YYSYMBOL_YYUNDEF || tok == YYSYMBOL_YYerror) {
        snprintf(found, sizeof found, "invalid token");
    } else {
        bool kw = tok >= YYSYMBOL_KW_CONST && tok <= YYSYMBOL_KW_WRITEACTION;
        snprintf(found, sizeof found, "%s%s", kw ? "keyword " : "", token_text(tok, what, sizeof what));
    }

    char exp[512] = "";
    if (n > 0 && n <= MAX_EXPECTED - 1) {
        size_t k = 0;
        for (int i = 0; i < n; i++) {
            char one[64];
            token_text(expected[i], one, sizeof one);
            k += (size_t)snprintf(exp + k, sizeof exp - k, "%s%s",
                                  i == 0 ? "" : i == n - 1 ? " or " : ", ", one);
            if (k >= sizeof exp)
                break;
        }
        diag_error(p->diag, *loc, "expected %s, found %s", exp, found);
    } else {
        diag_error(p->diag, *loc, "unexpected %s", found);
    }
    return 0;
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, Parser *p, const char *msg)
{
    (void)scanner;
    /* Only "memory exhausted" reaches here: the parse stack hit YYMAXDEPTH. */
    (void)msg;
    if (!p->fatal)
        diag_error(p->diag, *loc, "expression nested too deeply (the parser's stack is full)");
    p->fatal = true;
}
