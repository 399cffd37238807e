/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fmt.c - `vrsc fmt`: print a Spec in the canonical current syntax.
 *
 * Input: the tree of one file (legacy and transitional constructs were
 * already converted by the parser) and its comments. Output: the file in the
 * current syntax of the language reference §1, four-space indentation, no
 * line over 100 columns where a construct can be split, expressions with
 * the parentheses the user wrote plus the ones precedence needs. The
 * output re-parses to the same tree and formatting it again changes
 * nothing.
 *
 * Comments are not in the tree, so they are placed by position: before a
 * construct that starts a line is printed, every comment that starts
 * earlier in the source is printed - on its own line if it stood on its own
 * line, otherwise at the end of the last printed line. Comments inside a
 * construct printed on one line move above it. A blank line in the source
 * between two list elements is kept (at most one). Output goes straight to
 * the stream: a newline is written only when the next line starts, so a
 * trailing comment can still join the current line. Widths are measured by
 * printing into a Printer without a stream.
 */
#include "ast.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum { INDENT_WIDTH = 4, MAX_COLS = 100 };

typedef struct Pos {
    int line, col;
} Pos;

typedef struct Printer {
    FILE         *out;          /* NULL: measuring; only col advances */
    const PtrVec *comments;     /* Comment*, in source order */
    int           next_comment; /* first comment not yet printed */
    int           indent;
    int           col;
    bool          line_open;    /* the current line has text, its '\n' is not written */
    bool          line_closed;  /* ... and ends in a // comment */
    bool          block_start;  /* nothing printed since an opening line */
    bool          want_blank;   /* put a blank line before the next line */
    int           last_line;    /* last source line printed so far */
} Printer;

typedef enum FlushMode {
    FLUSH_ALL,          /* comments as they stood: own line or trailing */
    FLUSH_TRAILING,     /* only the trailing comments at the front of the queue */
    FLUSH_INNER,        /* comments inside a one-line construct: all on own lines */
} FlushMode;

/* ---- output primitives --------------------------------------------------- */

static void put_n(Printer *p, const char *s, size_t n)
{
    if (p->out)
        fwrite(s, 1, n, p->out);
    size_t k = n;
    while (k > 0 && s[k - 1] != '\n')
        k--;
    p->col = k > 0 ? (int)(n - k) : p->col + (int)n;
}

static void put(Printer *p, const char *s) { put_n(p, s, strlen(s)); }

static void put_name(Printer *p, const Ident *i) { put(p, i && i->name ? i->name : "?"); }

/* Start a new output line for something from source line src_line. */
static void start_line(Printer *p, int src_line, bool blank_ok)
{
    bool blank = p->want_blank || (blank_ok && src_line > p->last_line + 1);
    if (p->line_open) {
        fputc('\n', p->out);
        if (blank && !p->block_start)
            fputc('\n', p->out);
    }
    for (int i = 0; i < p->indent * INDENT_WIDTH; i++)
        fputc(' ', p->out);
    p->col = p->indent * INDENT_WIDTH;
    p->line_open = true;
    p->line_closed = false;
    p->block_start = false;
    p->want_blank = false;
    if (src_line > p->last_line)
        p->last_line = src_line;
}

/* A Printer that measures the width of what is printed into it. */
static Printer measurer(const Printer *p)
{
    Printer m = *p;
    m.out = NULL;
    m.col = 0;
    return m;
}

static bool fits(const Printer *p, int width)
{
    return p->indent * INDENT_WIDTH + width <= MAX_COLS;
}

/* ---- comments ------------------------------------------------------------ */

/* A NUL byte is placed before a trailing comment while printing: neither code
 * nor comments can contain one (the lexer rejects NUL everywhere), so
 * align_trailing() can find every mark. The mark counts as the two spaces it
 * becomes at least. */
static void put_trailing_mark(Printer *p)
{
    if (p->out)
        fputc('\0', p->out);
    p->col += 2;
}

static Pos start_of(Loc l) { return (Pos){ l.first_line, l.first_column }; }
static Pos end_of(Loc l) { return (Pos){ l.last_line, l.last_column }; }
static const Pos END_OF_FILE = { INT_MAX, INT_MAX };

static bool starts_before(Loc l, Pos pos)
{
    return l.first_line < pos.line || (l.first_line == pos.line && l.first_column < pos.col);
}

static void print_comment(Printer *p, const Comment *c, bool own_line, bool blank_ok)
{
    const char *t = c->text;
    bool line_comment = t[0] == '/' && t[1] == '/';
    if (!own_line && p->line_open && !p->line_closed)
        put_trailing_mark(p);   /* aligned into a column by align_trailing() */
    else
        start_line(p, c->loc.first_line, blank_ok);
    size_t n = strlen(t);
    while (line_comment && n > 2 && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\r'))
        n--;
    put_n(p, t, n);
    p->line_closed = line_comment;
    if (c->loc.last_line > p->last_line)
        p->last_line = c->loc.last_line;
}

/* Print the pending comments that start before pos. */
static void flush_comments(Printer *p, Pos pos, FlushMode mode, bool blank_ok)
{
    if (!p->out)
        return;
    while (p->next_comment < p->comments->len) {
        const Comment *c = p->comments->items[p->next_comment];
        if (!starts_before(c->loc, pos) || (mode == FLUSH_TRAILING && c->own_line))
            break;
        p->next_comment++;
        print_comment(p, c, c->own_line || mode == FLUSH_INNER, blank_ok);
    }
}

/* Does a pending comment lie inside loc? */
static bool has_inner_comment(const Printer *p, Loc loc)
{
    for (int i = p->next_comment; i < p->comments->len; i++) {
        const Comment *c = p->comments->items[i];
        if (!starts_before(c->loc, end_of(loc)))
            return false;
        if (!starts_before(c->loc, start_of(loc)))
            return true;
    }
    return false;
}

/* Start the first line of a construct that spreads over several lines. */
static void open_line(Printer *p, Loc loc, bool blank_ok)
{
    flush_comments(p, start_of(loc), FLUSH_ALL, blank_ok);
    start_line(p, loc.first_line, blank_ok);
}

/* Start the line of a construct printed whole on it; comments inside it
 * move above it. */
static void leaf_line(Printer *p, Loc loc, bool blank_ok)
{
    flush_comments(p, start_of(loc), FLUSH_ALL, blank_ok);
    flush_comments(p, end_of(loc), FLUSH_INNER, blank_ok);
    start_line(p, loc.first_line, blank_ok);
    if (loc.last_line > p->last_line)
        p->last_line = loc.last_line;
}

/* After an opening line: the block's lines are indented one more level. */
static void open_block(Printer *p)
{
    p->indent++;
    p->block_start = true;
}

/* Close the block that ends at loc with text ("}", "},", "]"); comments
 * still inside it are printed first. */
static void close_block(Printer *p, Loc loc, const char *text)
{
    flush_comments(p, end_of(loc), FLUSH_ALL, true);
    p->indent--;
    start_line(p, loc.last_line, false);
    put(p, text);
}

/* ---- expressions ---------------------------------------------------------- */

static void put_expr(Printer *p, const Expr *e);

/* Does operand x of an operator at level prec need parentheses? Quantifiers
 * extend as far right as they can, so they are always wrapped as operands.
 * Comparisons do not associate; every other level associates to the left. */
static bool wrap_operand(const Expr *x, int prec, bool right)
{
    if (x->kind == EXPR_QUANT)
        return true;
    if (x->kind != EXPR_BINOP)
        return false;
    int xp = binop_prec[x->bin.op];
    if (xp != prec)
        return xp < prec;
    return prec == PREC_COMPARE || right;
}

static void put_operand(Printer *p, const Expr *x, bool wrap)
{
    if (wrap && !x->parens) {
        put(p, "(");
        put_expr(p, x);
        put(p, ")");
    } else {
        put_expr(p, x);
    }
}

static void put_type(Printer *p, const TypeRef *t)
{
    put(p, t->kind == TYPE_NAMED && t->name ? t->name : type_kind_names[t->kind]);
}

static void put_param(Printer *p, const Param *prm)
{
    put_name(p, &prm->name);
    put(p, ": ");
    put_type(p, &prm->type);
}

static void put_param_list(Printer *p, const PtrVec *params)
{
    VEC_FOREACH(Param *, prm, *params) {
        if (prm_i)
            put(p, ", ");
        put_param(p, prm);
    }
}

/* "(a: int, b: int)" when the list was written, nothing otherwise. */
static void put_opt_params(Printer *p, bool has, const PtrVec *params)
{
    if (!has)
        return;
    put(p, "(");
    put_param_list(p, params);
    put(p, ")");
}

static void put_args(Printer *p, const PtrVec *args)
{
    put(p, "(");
    VEC_FOREACH(Expr *, a, *args) {
        if (a_i)
            put(p, ", ");
        put_expr(p, a);
    }
    put(p, ")");
}

static void put_num(Printer *p, const Expr *e)
{
    if (e->num.text) {
        put(p, e->num.text);
    } else {
        char buf[24];
        snprintf(buf, sizeof buf, "%" PRIu64, e->num.value);
        put(p, buf);
    }
}

static void put_binop(Printer *p, const Expr *e)
{
    int prec = binop_prec[e->bin.op];
    put_operand(p, e->bin.lhs, wrap_operand(e->bin.lhs, prec, false));
    put(p, " ");
    put(p, binop_spelling[e->bin.op]);
    put(p, " ");
    put_operand(p, e->bin.rhs, wrap_operand(e->bin.rhs, prec, true));
}

static void put_unop(Printer *p, const Expr *e)
{
    const Expr *x = e->un.operand;
    put(p, unop_spelling[e->un.op]);
    /* `& &x`, not `&&x`, which lexes as the logical and */
    if (e->un.op == OP_REF && x->kind == EXPR_UNOP && x->un.op == OP_REF && !x->parens)
        put(p, " ");
    put_operand(p, x, wrap_operand(x, PREC_UNARY, true));
}

static void put_expr_bare(Printer *p, const Expr *e)
{
    switch (e->kind) {
    case EXPR_NUM:
        put_num(p, e);
        break;
    case EXPR_BOOL:
        put(p, e->boolean ? "true" : "false");
        break;
    case EXPR_PATH:
        VEC_FOREACH(Ident *, seg, e->path.segs) {
            if (seg_i)
                put(p, ".");
            put_name(p, seg);
        }
        break;
    case EXPR_CALL:
        put_expr(p, e->call.callee);
        put_args(p, &e->call.args);
        break;
    case EXPR_SLICE:
        put_expr(p, e->slice.base);
        put(p, "[");
        put_expr(p, e->slice.lo);
        put(p, "..");
        put_expr(p, e->slice.hi);
        put(p, "]");
        break;
    case EXPR_ELEM:
        put_expr(p, e->elem.base);
        put(p, "[");
        put_expr(p, e->elem.index);
        put(p, "]");
        break;
    case EXPR_BINOP:
        put_binop(p, e);
        break;
    case EXPR_UNOP:
        put_unop(p, e);
        break;
    case EXPR_IF:
        put(p, "if ");
        put_expr(p, e->ifelse.cond);
        put(p, " { ");
        put_expr(p, e->ifelse.then);
        put(p, " } else { ");
        put_expr(p, e->ifelse.els);
        put(p, " }");
        break;
    case EXPR_QUANT:
        put(p, e->quant.q == QUANT_FORALL ? "forall " : "exists ");
        put_param_list(p, &e->quant.params);
        put(p, " :: ");
        put_expr(p, e->quant.body);
        break;
    }
}

/* An expression in a delimited context, with the parentheses it was
 * written with (one pair, however many the source had). */
static void put_expr(Printer *p, const Expr *e)
{
    if (!e) {
        put(p, "?");
        return;
    }
    if (e->parens)
        put(p, "(");
    put_expr_bare(p, e);
    if (e->parens)
        put(p, ")");
}

/* Print e where it starts a line of its own (a method body or clause). A
 * chain of `==>`, `||` or `&&` too long for the line breaks before each of
 * its operators, continuing one level deeper. Only the line layout
 * differs, so the decision can be made from the one-line width. */
static void put_chain(Printer *p, const Expr *e, int prec)
{
    const Expr *l = e->bin.lhs, *r = e->bin.rhs;
    if (l->kind == EXPR_BINOP && !l->parens && binop_prec[l->bin.op] == prec)
        put_chain(p, l, prec);
    else
        put_operand(p, l, wrap_operand(l, prec, false));
    fputc('\n', p->out);
    p->col = (p->indent + 1) * INDENT_WIDTH;
    for (int i = 0; i < p->col; i++)
        fputc(' ', p->out);
    put(p, binop_spelling[e->bin.op]);
    put(p, " ");
    put_operand(p, r, wrap_operand(r, prec, true));
}

static void put_line_expr(Printer *p, const Expr *e)
{
    Printer w = measurer(p);
    put_expr(&w, e);
    if (!p->out || p->col + w.col <= MAX_COLS || e->kind != EXPR_BINOP || e->parens
        || binop_prec[e->bin.op] > binop_prec[OP_LAND])
        put_expr(p, e);
    else
        put_chain(p, e, binop_prec[e->bin.op]);
}

/* ---- small one-line pieces ------------------------------------------------ */

/* "#[a, b(c)]" */
static void put_decorators(Printer *p, const PtrVec *decos)
{
    put(p, "#[");
    VEC_FOREACH(Decorator *, d, *decos) {
        if (d_i)
            put(p, ", ");
        put_name(p, &d->name);
        if (d->arg) {
            put(p, "(");
            put_name(p, d->arg);
            put(p, ")");
        }
    }
    put(p, "]");
}

static Loc decorators_loc(const PtrVec *decos)
{
    const Decorator *first = decos->items[0], *last = decos->items[decos->len - 1];
    return loc_span(first->loc, last->loc);
}

/* Decorators on their own line above the construct they belong to. */
static void decorators_line(Printer *p, const PtrVec *decos, bool blank_ok)
{
    leaf_line(p, decorators_loc(decos), blank_ok);
    put_decorators(p, decos);
}

static void put_slice(Printer *p, const Slice *s)
{
    put_expr(p, s->lo);
    put(p, "..");
    put_expr(p, s->hi);
    put(p, " ");
    put_name(p, &s->name);
}

/* "flags { a, b }" or, inside a unit, the deprecated "flags = { a, b };" */
static void put_flags_inline(Printer *p, const FlagsDef *f)
{
    put(p, f->unit_level ? "flags = {" : "flags {");
    VEC_FOREACH(Ident *, fl, f->flags) {
        put(p, fl_i ? ", " : " ");
        put_name(p, fl);
    }
    put(p, f->flags.len ? " }" : "}");
    if (f->unit_level)
        put(p, ";");
}

static bool flags_fit(const Printer *p, const FlagsDef *f)
{
    Printer m = measurer(p);
    put_flags_inline(&m, f);
    return f->flags.len == 0 || fits(p, m.col);
}

/* ---- items ------------------------------------------------------------------ */

static void fmt_flags(Printer *p, const Item *it, bool blank_ok)
{
    const FlagsDef *f = it->flags;
    if (flags_fit(p, f)) {
        leaf_line(p, it->loc, blank_ok);
        put_flags_inline(p, f);
        return;
    }
    open_line(p, it->loc, blank_ok);
    put(p, f->unit_level ? "flags = {" : "flags {");
    open_block(p);
    VEC_FOREACH(Ident *, fl, f->flags) {
        leaf_line(p, fl->loc, true);
        put_name(p, fl);
        put(p, ",");
    }
    close_block(p, it->loc, f->unit_level ? "};" : "}");
}

static void fmt_extern_type(Printer *p, const Item *it, bool blank_ok)
{
    const ExternType *x = it->externtype;
    Loc loc = it->loc;
    if (x->decorators.len) {
        decorators_line(p, &x->decorators, blank_ok);
        loc = loc_span(x->name.loc, it->loc);
        blank_ok = false;
    }
    bool empty = x->fields.len == 0 && !has_inner_comment(p, loc);
    if (empty)
        leaf_line(p, loc, blank_ok);
    else
        open_line(p, loc, blank_ok);
    put(p, "extern type ");
    put_name(p, &x->name);
    if (empty) {
        put(p, " {}");
        return;
    }
    put(p, " {");
    open_block(p);
    VEC_FOREACH(Param *, prm, x->fields) {
        leaf_line(p, prm->loc, true);
        put_param(p, prm);
        put(p, ",");
    }
    close_block(p, it->loc, "}");
}

/* "mem name [base, 0, 8]", "reg name [8]", "instr name" */
static void put_field_head(Printer *p, const Field *f)
{
    put(p, field_kind_names[f->kind]);
    put(p, " ");
    put_name(p, &f->name);
    if (f->base.name) {
        put(p, " [");
        put_name(p, &f->base);
        put(p, ", ");
        put_expr(p, f->offset);
        put(p, ", ");
        put_expr(p, f->size);
        put(p, "]");
    } else if (f->size) {
        put(p, " [");
        put_expr(p, f->size);
        put(p, "]");
    }
}

static void fmt_slices(Printer *p, const PtrVec *slices)
{
    VEC_FOREACH(Slice *, s, *slices) {
        leaf_line(p, s->loc, true);
        put_slice(p, s);
        put(p, ",");
    }
}

static void fmt_actions(Printer *p, const PtrVec *actions)
{
    VEC_FOREACH(Action *, a, *actions) {
        leaf_line(p, a->loc, true);
        put_expr(p, a->lhs);
        put(p, a->arrow == ARROW_RIGHT ? " -> " : " <- ");
        put_expr(p, a->rhs);
        put(p, ";");
    }
}

/* `Layout { .. },`, `ReadActions { .. },` or `WriteActions { .. },` */
static void fmt_node(Printer *p, const FieldNode *n)
{
    if (n->items.len == 0 && !has_inner_comment(p, n->loc)) {
        leaf_line(p, n->loc, true);
        put(p, field_node_names[n->kind]);
        put(p, " {},");
        return;
    }
    open_line(p, n->loc, true);
    put(p, field_node_names[n->kind]);
    put(p, " {");
    open_block(p);
    if (n->kind == NODE_LAYOUT)
        fmt_slices(p, &n->items);
    else
        fmt_actions(p, &n->items);
    close_block(p, n->loc, "},");
}

static void fmt_field(Printer *p, const Field *f, bool iface)
{
    if (f->slices.len == 0 && f->nodes.len == 0) {
        leaf_line(p, f->loc, true);
        put_field_head(p, f);
        put(p, ",");
        return;
    }
    open_line(p, f->loc, true);
    put_field_head(p, f);
    put(p, " {");
    open_block(p);
    if (iface && f->slices.len) {
        /* bare slices in an interface field (2021 syntax) are its layout */
        start_line(p, 0, false);
        put(p, "Layout {");
        open_block(p);
        fmt_slices(p, &f->slices);
        p->indent--;
        start_line(p, 0, false);
        put(p, "},");
    } else {
        fmt_slices(p, &f->slices);
    }
    VEC_FOREACH(FieldNode *, n, f->nodes) fmt_node(p, n);
    close_block(p, f->loc, "},");
}

static void fmt_block(Printer *p, const Item *it, bool blank_ok)
{
    const FieldBlock *b = it->block;
    bool empty = b->fields.len == 0 && !has_inner_comment(p, it->loc);
    if (empty)
        leaf_line(p, it->loc, blank_ok);
    else
        open_line(p, it->loc, blank_ok);
    put(p, b->is_interface ? "interface" : "state");
    put_opt_params(p, b->has_params, &b->params);
    if (empty) {
        put(p, " {}");
        return;
    }
    put(p, " {");
    open_block(p);
    VEC_FOREACH(Field *, f, b->fields) fmt_field(p, f, b->is_interface);
    close_block(p, it->loc, "}");
}

/* ---- methods ------------------------------------------------------------ */

/* "extern abstract synth fn name(params) -> type" */
static void put_signature(Printer *p, const Method *m)
{
    if (m->is_extern)
        put(p, "extern ");
    if (m->is_abstract)
        put(p, "abstract ");
    if (m->is_synth)
        put(p, "synth ");
    put(p, "fn ");
    put_name(p, &m->name);
    put_opt_params(p, m->has_params, &m->params);
    if (m->ret) {
        put(p, " -> ");
        put_type(p, m->ret);
    }
}

/* Signature, at most one clause and the body, all on one line. */
static void put_method_inline(Printer *p, const Method *m)
{
    put_signature(p, m);
    VEC_FOREACH(Expr *, e, m->requires) {
        put(p, " requires ");
        put_expr(p, e);
    }
    VEC_FOREACH(Expr *, e, m->ensures) {
        put(p, " ensures ");
        put_expr(p, e);
    }
    if (m->body) {
        put(p, " { ");
        put_expr(p, m->body);
        put(p, " }");
    } else {
        put(p, ";");
    }
}

static bool method_one_line(const Printer *p, const Method *m)
{
    int clauses = m->requires.len + m->ensures.len;
    if (clauses > 1)
        return false;
    if (clauses == 0 && !m->body)
        return true;
    Printer w = measurer(p);
    put_method_inline(&w, m);
    return fits(p, w.col);
}

static void clause_line(Printer *p, const char *kw, const Expr *e)
{
    leaf_line(p, e->loc, false);
    put(p, kw);
    put_line_expr(p, e);
    put(p, ";");
}

/* The body on its own lines: "{", the expression, "}". */
static void body_lines(Printer *p, const Method *m)
{
    open_block(p);
    leaf_line(p, m->body->loc, false);
    put_line_expr(p, m->body);
    close_block(p, m->loc, "}");
}

static void fmt_method(Printer *p, const Item *it, bool blank_ok)
{
    const Method *m = it->method;
    Loc loc = it->loc;
    if (m->decorators.len) {
        decorators_line(p, &m->decorators, blank_ok);
        loc = loc_span(m->name.loc, it->loc);
        blank_ok = false;
    }
    if (method_one_line(p, m)) {
        leaf_line(p, loc, blank_ok);
        put_method_inline(p, m);
        return;
    }
    open_line(p, loc, blank_ok);
    put_signature(p, m);
    if (m->requires.len + m->ensures.len == 0) {
        put(p, " {");       /* only a long body */
        body_lines(p, m);
        return;
    }
    p->indent++;
    VEC_FOREACH(Expr *, e, m->requires) clause_line(p, "requires ", e);
    VEC_FOREACH(Expr *, e, m->ensures) clause_line(p, "ensures ", e);
    p->indent--;
    if (!m->body)
        return;             /* the last clause's ";" ends the method */
    flush_comments(p, start_of(m->body->loc), FLUSH_TRAILING, false);
    start_line(p, 0, false);
    put(p, "{");
    body_lines(p, m);
}

/* ---- maps ---------------------------------------------------------------- */

/* "lo..hi => Unit(args) @ offset" */
static void put_map_elem(Printer *p, const MapElem *me)
{
    if (me->src_lo) {
        put_expr(p, me->src_lo);
        put(p, "..");
        put_expr(p, me->src_hi);
        put(p, " => ");
    }
    put_name(p, &me->unit);
    put_args(p, &me->args);
    if (me->offset) {
        put(p, " @ ");
        put_expr(p, me->offset);
    }
}

static void put_maps_inline(Printer *p, const MapDef *m)
{
    put(p, "maps [");
    VEC_FOREACH(MapElem *, me, m->elems) {
        if (me_i)
            put(p, ", ");
        put_map_elem(p, me);
    }
    if (m->comprehension) {
        put(p, " for ");
        put_name(p, &m->var);
        put(p, " in ");
        put_expr(p, m->lo);
        put(p, "..");
        put_expr(p, m->hi);
    }
    put(p, "]");
}

static bool maps_one_line(const Printer *p, const MapDef *m)
{
    if (m->comprehension)
        return true;
    if (m->elems.len != 1)
        return false;
    Printer w = measurer(p);
    put_maps_inline(&w, m);
    return fits(p, w.col);
}

static void fmt_maps(Printer *p, const Item *it, bool blank_ok)
{
    const MapDef *m = it->maps;
    Loc loc = it->loc;
    if (m->decorators.len) {
        decorators_line(p, &m->decorators, blank_ok);
        loc = loc_span(m->loc, it->loc);
        blank_ok = false;
    }
    if (maps_one_line(p, m)) {
        leaf_line(p, loc, blank_ok);
        put_maps_inline(p, m);
        return;
    }
    open_line(p, loc, blank_ok);
    put(p, "maps [");
    open_block(p);
    VEC_FOREACH(MapElem *, me, m->elems) {
        leaf_line(p, me->loc, true);
        put_map_elem(p, me);
        if (me_i + 1 < m->elems.len)
            put(p, ",");
    }
    close_block(p, it->loc, "]");
}

/* ---- units ----------------------------------------------------------------- */

static void fmt_items(Printer *p, const PtrVec *items, bool top);

/* "abstract segment Name(params) : Parent" */
static void put_unit_head(Printer *p, const Unit *u)
{
    if (u->is_abstract)
        put(p, "abstract ");
    put(p, unit_kind_names[u->kind]);
    put(p, " ");
    put_name(p, &u->name);
    put_opt_params(p, u->has_params, &u->params);
    if (u->parent) {
        put(p, " : ");
        put_name(p, u->parent);
    }
}

static void put_variant(Printer *p, const EnumVariant *v)
{
    put_name(p, &v->name);
    put(p, "(");
    VEC_FOREACH(Ident *, a, v->args) {
        if (a_i)
            put(p, ", ");
        put_name(p, a);
    }
    put(p, ")");
}

static void put_enum_inline(Printer *p, const Unit *u)
{
    put_unit_head(p, u);
    put(p, " {");
    VEC_FOREACH(EnumVariant *, v, u->variants) {
        put(p, v_i ? ", " : " ");
        put_variant(p, v);
    }
    put(p, u->variants.len ? " }" : "}");
}

static void fmt_enum(Printer *p, const Unit *u, bool blank_ok)
{
    Printer w = measurer(p);
    put_enum_inline(&w, u);
    if (fits(p, w.col) || u->variants.len == 0) {
        leaf_line(p, u->loc, blank_ok);
        put_enum_inline(p, u);
        return;
    }
    open_line(p, u->loc, blank_ok);
    put_unit_head(p, u);
    put(p, " {");
    open_block(p);
    VEC_FOREACH(EnumVariant *, v, u->variants) {
        leaf_line(p, v->loc, true);
        put_variant(p, v);
        if (v_i + 1 < u->variants.len)
            put(p, ",");
    }
    close_block(p, u->loc, "}");
}

static bool is_shown(const Item *it)
{
    /* `state = None;` and friends declare nothing */
    return !((it->kind == ITEM_STATE || it->kind == ITEM_INTERFACE) && !it->block);
}

static void fmt_unit(Printer *p, const Unit *u, bool blank_ok)
{
    if (u->kind == UNIT_ENUM) {
        fmt_enum(p, u, blank_ok);
        return;
    }
    bool empty = !has_inner_comment(p, u->loc);
    VEC_FOREACH(Item *, it, u->items) if (is_shown(it)) empty = false;
    if (empty) {
        leaf_line(p, u->loc, blank_ok);
        put_unit_head(p, u);
        put(p, " {}");
        return;
    }
    open_line(p, u->loc, blank_ok);
    put_unit_head(p, u);
    put(p, " {");
    open_block(p);
    fmt_items(p, &u->items, false);
    close_block(p, u->loc, "}");
}

static void fmt_item(Printer *p, const Item *it)
{
    switch (it->kind) {
    case ITEM_IMPORT:
        leaf_line(p, it->loc, true);
        put(p, "import ");
        put_name(p, &it->import);
        put(p, ";");
        break;
    case ITEM_CONST:
        leaf_line(p, it->loc, true);
        put(p, "const ");
        put_name(p, &it->constdef->name);
        put(p, ": ");
        put_type(p, &it->constdef->type);
        put(p, " = ");
        put_expr(p, it->constdef->value);
        put(p, ";");
        break;
    case ITEM_FLAGS:
        fmt_flags(p, it, true);
        break;
    case ITEM_EXTERN_TYPE:
        fmt_extern_type(p, it, true);
        break;
    case ITEM_UNIT:
        fmt_unit(p, it->unit, true);
        break;
    case ITEM_INBITWIDTH:
    case ITEM_OUTBITWIDTH:
        leaf_line(p, it->loc, true);
        put(p, item_kind_names[it->kind]);
        put(p, " = ");
        put_expr(p, it->bitwidth);
        put(p, ";");
        break;
    case ITEM_STATE:
    case ITEM_INTERFACE:
        fmt_block(p, it, true);
        break;
    case ITEM_METHOD:
        fmt_method(p, it, true);
        break;
    case ITEM_MAPS:
        fmt_maps(p, it, true);
        break;
    }
}

/* Is the item printed on a single line? */
static bool item_one_line(const Printer *p, const Item *it)
{
    switch (it->kind) {
    case ITEM_IMPORT:
    case ITEM_CONST:
    case ITEM_INBITWIDTH:
    case ITEM_OUTBITWIDTH:
        return true;
    case ITEM_FLAGS:
        return flags_fit(p, it->flags);
    case ITEM_METHOD:
        return it->method->decorators.len == 0 && method_one_line(p, it->method);
    case ITEM_MAPS:
        return it->maps->decorators.len == 0 && maps_one_line(p, it->maps);
    default:
        return false;
    }
}

static int item_group(ItemKind k) { return k == ITEM_OUTBITWIDTH ? ITEM_INBITWIDTH : (int)k; }

/* Items in source order. A blank line separates multi-line items from
 * everything else and, at the top level, items of different kinds; other
 * one-line items stay together unless the source separated them. */
static void fmt_items(Printer *p, const PtrVec *items, bool top)
{
    const Item *prev = NULL;
    VEC_FOREACH(Item *, it, *items) {
        if (!is_shown(it))
            continue;
        if (prev && ((top && item_group(prev->kind) != item_group(it->kind))
                     || !item_one_line(p, prev) || !item_one_line(p, it)))
            p->want_blank = true;
        fmt_item(p, it);
        prev = it;
    }
}

/* Trailing comments on consecutive lines start in one column, two spaces
 * after the longest code of the run (as gofmt does); a run ends at a line
 * without a trailing comment. Code longer than MAX_COLS is not padded. */
static void align_trailing(FILE *out, const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* find a run of lines with a marker */
        size_t run_start = i, j = i;
        size_t width = 0;
        int lines = 0;
        while (j < len) {
            const char *nl = memchr(buf + j, '\n', len - j);
            size_t end = nl ? (size_t)(nl - buf) : len;
            const char *m = memchr(buf + j, '\0', end - j);
            if (!m)
                break;
            size_t w = (size_t)(m - (buf + j));
            if (w > width)
                width = w;
            lines++;
            j = nl ? end + 1 : len;
        }
        if (lines == 0) {
            const char *nl = memchr(buf + i, '\n', len - i);
            size_t end = nl ? (size_t)(nl - buf) + 1 : len;
            fwrite(buf + i, 1, end - i, out);
            i = end;
            continue;
        }
        bool pad = width <= MAX_COLS;
        for (size_t k = run_start; k < j;) {
            const char *nl = memchr(buf + k, '\n', j - k);
            size_t end = nl ? (size_t)(nl - buf) : j;
            const char *m = memchr(buf + k, '\0', end - k);
            size_t w = (size_t)(m - (buf + k));
            fwrite(buf + k, 1, w, out);
            for (size_t c = 0; c < (pad ? width - w : 0) + 2; c++)
                fputc(' ', out);
            /* a second trailing comment on the line just follows the first */
            for (const char *q = m + 1; q < buf + end; q++) {
                if (*q)
                    fputc(*q, out);
                else
                    fputs("  ", out);
            }
            if (nl)
                fputc('\n', out);
            k = nl ? end + 1 : j;
        }
        i = j;
    }
}

void fmt_spec(FILE *out, const Spec *spec)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return;
    Printer p = { .out = mem, .comments = &spec->comments, .block_start = true };
    fmt_items(&p, &spec->items, true);
    flush_comments(&p, END_OF_FILE, FLUSH_ALL, true);
    if (p.line_open)
        fputc('\n', mem);
    fclose(mem);
    align_trailing(out, buf, len);
    free(buf);
}
