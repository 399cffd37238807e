/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ast_dump.c - a stable, indented text dump of a parsed Spec.
 *
 * Input: the tree built by the parser (ast.h). Output: one node per line,
 * two spaces of indentation per level, the node kind first, then its scalar
 * attributes, then (only with DumpOptions.locations) its span as
 * " @L:C-L:C". The dump shows only what the tree means: numbers by value,
 * actions by source and destination, and nothing of the surface form
 * (parentheses, arrow direction, legacy or current syntax, comments). That
 * is what makes it usable for golden tests and for the formatter's
 * round-trip check, which compares the dumps of a file and of its
 * formatted text.
 */
#include "ast.h"

#include <inttypes.h>

#include "diag.h"

typedef struct Dumper {
    FILE *out;
    bool  locations;
} Dumper;

/* ---- line primitives ----------------------------------------------------- */

static void indent(const Dumper *d, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("  ", d->out);
}

/* End a node line, with its span when asked for. */
static void end_line(const Dumper *d, const Loc *loc)
{
    if (d->locations && loc)
        fprintf(d->out, " @%d:%d-%d:%d", loc->first_line, loc->first_column, loc->last_line,
                loc->last_column);
    fputc('\n', d->out);
}

static const char *type_name(const TypeRef *t)
{
    return t->kind == TYPE_NAMED && t->name ? t->name : type_kind_names[t->kind];
}

static const char *ident_name(const Ident *i)
{
    return i && i->name ? i->name : "?";
}

/* "a.b.c" for a path expression. */
static void put_path(const Dumper *d, const Expr *e)
{
    if (!e || e->kind != EXPR_PATH) {
        fputs("?", d->out);
        return;
    }
    VEC_FOREACH(Ident *, seg, e->path.segs)
        fprintf(d->out, "%s%s", seg_i ? "." : "", ident_name(seg));
}

/* A node line that holds just a name: "kind name". */
static void name_line(const Dumper *d, int depth, const char *kind, const Ident *name)
{
    indent(d, depth);
    fprintf(d->out, "%s %s", kind, ident_name(name));
    end_line(d, name ? &name->loc : NULL);
}

static void dump_param(const Dumper *d, int depth, const char *kind, const Param *prm)
{
    indent(d, depth);
    fprintf(d->out, "%s %s: %s", kind, ident_name(&prm->name), type_name(&prm->type));
    end_line(d, &prm->loc);
}

/* "params" heads a list that was written, possibly empty; absent otherwise. */
static void dump_params(const Dumper *d, int depth, bool has, const PtrVec *params)
{
    if (!has)
        return;
    indent(d, depth);
    fputs("params", d->out);
    end_line(d, NULL);
    VEC_FOREACH(Param *, prm, *params) dump_param(d, depth + 1, "param", prm);
}

static void dump_decorators(const Dumper *d, int depth, const PtrVec *decos)
{
    VEC_FOREACH(Decorator *, deco, *decos) {
        indent(d, depth);
        fprintf(d->out, "decorator %s", ident_name(&deco->name));
        if (deco->arg)
            fprintf(d->out, "(%s)", ident_name(deco->arg));
        end_line(d, &deco->loc);
    }
}

/* ---- expressions --------------------------------------------------------- */

/* Print e at depth; label names its role in the parent ("lo", "cond", ...). */
static void dump_expr(const Dumper *d, int depth, const char *label, const Expr *e)
{
    indent(d, depth);
    if (label)
        fprintf(d->out, "%s: ", label);
    if (!e) {
        fputs("<none>\n", d->out);
        return;
    }
    fputs(expr_kind_names[e->kind], d->out);
    switch (e->kind) {
    case EXPR_NUM:
        fprintf(d->out, " %" PRIu64, e->num.value);
        break;
    case EXPR_BOOL:
        fputs(e->boolean ? " true" : " false", d->out);
        break;
    case EXPR_PATH:
    case EXPR_CALL:
    case EXPR_SLICE:
    case EXPR_ELEM:
        fputc(' ', d->out);
        put_path(d, e->kind == EXPR_PATH    ? e
                    : e->kind == EXPR_CALL  ? e->call.callee
                    : e->kind == EXPR_SLICE ? e->slice.base
                                            : e->elem.base);
        break;
    case EXPR_BINOP:
        fprintf(d->out, " %s", binop_spelling[e->bin.op]);
        break;
    case EXPR_UNOP:
        fprintf(d->out, " %s", unop_spelling[e->un.op]);
        break;
    case EXPR_QUANT:
        fputs(e->quant.q == QUANT_FORALL ? " forall" : " exists", d->out);
        break;
    case EXPR_IF:
        break;
    }
    end_line(d, &e->loc);

    switch (e->kind) {
    case EXPR_NUM:
    case EXPR_BOOL:
    case EXPR_PATH:
        break;
    case EXPR_CALL:
        VEC_FOREACH(Expr *, arg, e->call.args) dump_expr(d, depth + 1, "arg", arg);
        break;
    case EXPR_SLICE:
        dump_expr(d, depth + 1, "lo", e->slice.lo);
        dump_expr(d, depth + 1, "hi", e->slice.hi);
        break;
    case EXPR_ELEM:
        dump_expr(d, depth + 1, "index", e->elem.index);
        break;
    case EXPR_BINOP:
        dump_expr(d, depth + 1, NULL, e->bin.lhs);
        dump_expr(d, depth + 1, NULL, e->bin.rhs);
        break;
    case EXPR_UNOP:
        dump_expr(d, depth + 1, NULL, e->un.operand);
        break;
    case EXPR_IF:
        dump_expr(d, depth + 1, "cond", e->ifelse.cond);
        dump_expr(d, depth + 1, "then", e->ifelse.then);
        dump_expr(d, depth + 1, "else", e->ifelse.els);
        break;
    case EXPR_QUANT:
        VEC_FOREACH(Param *, prm, e->quant.params) dump_param(d, depth + 1, "var", prm);
        dump_expr(d, depth + 1, "body", e->quant.body);
        break;
    }
}

/* ---- state and interface ------------------------------------------------- */

static void dump_slice(const Dumper *d, int depth, const Slice *s)
{
    indent(d, depth);
    fprintf(d->out, "slice %" PRIu64 "..%" PRIu64 " %s", s->lo ? s->lo->num.value : 0,
            s->hi ? s->hi->num.value : 0, ident_name(&s->name));
    end_line(d, &s->loc);
}

static void dump_action(const Dumper *d, int depth, const Action *a)
{
    indent(d, depth);
    fputs("action", d->out);
    end_line(d, &a->loc);
    dump_expr(d, depth + 1, "src", action_src(a));
    dump_expr(d, depth + 1, "dst", action_dst(a));
}

static void dump_node(const Dumper *d, int depth, const FieldNode *n)
{
    indent(d, depth);
    fputs(field_node_names[n->kind], d->out);
    end_line(d, &n->loc);
    if (n->kind == NODE_LAYOUT) {
        VEC_FOREACH(Slice *, s, n->items) dump_slice(d, depth + 1, s);
    } else {
        VEC_FOREACH(Action *, a, n->items) dump_action(d, depth + 1, a);
    }
}

static void dump_field(const Dumper *d, int depth, const Field *f)
{
    indent(d, depth);
    fprintf(d->out, "field %s %s", field_kind_names[f->kind], ident_name(&f->name));
    if (f->base.name)
        fprintf(d->out, " base=%s", f->base.name);
    if (f->offset)
        fprintf(d->out, " offset=%" PRIu64, f->offset->num.value);
    if (f->size)
        fprintf(d->out, " size=%" PRIu64, f->size->num.value);
    end_line(d, &f->loc);
    VEC_FOREACH(Slice *, s, f->slices) dump_slice(d, depth + 1, s);
    VEC_FOREACH(FieldNode *, n, f->nodes) dump_node(d, depth + 1, n);
}

static void dump_block(const Dumper *d, int depth, const FieldBlock *b, const Loc *loc)
{
    indent(d, depth);
    fputs(b->is_interface ? "interface" : "state", d->out);
    end_line(d, loc);
    dump_params(d, depth + 1, b->has_params, &b->params);
    VEC_FOREACH(Field *, f, b->fields) dump_field(d, depth + 1, f);
}

/* ---- methods and maps ---------------------------------------------------- */

static void dump_method(const Dumper *d, int depth, const Method *m)
{
    indent(d, depth);
    fprintf(d->out, "fn %s", ident_name(&m->name));
    if (m->is_extern)
        fputs(" extern", d->out);
    if (m->is_abstract)
        fputs(" abstract", d->out);
    if (m->is_synth)
        fputs(" synth", d->out);
    if (m->ret)
        fprintf(d->out, " -> %s", type_name(m->ret));
    end_line(d, &m->loc);
    dump_decorators(d, depth + 1, &m->decorators);
    dump_params(d, depth + 1, m->has_params, &m->params);
    VEC_FOREACH(Expr *, e, m->requires) dump_expr(d, depth + 1, "requires", e);
    VEC_FOREACH(Expr *, e, m->ensures) dump_expr(d, depth + 1, "ensures", e);
    if (m->body)
        dump_expr(d, depth + 1, "body", m->body);
}

static void dump_map_elem(const Dumper *d, int depth, const MapElem *me)
{
    indent(d, depth);
    fprintf(d->out, "map_elem %s", ident_name(&me->unit));
    end_line(d, &me->loc);
    if (me->src_lo) {
        dump_expr(d, depth + 1, "src_lo", me->src_lo);
        dump_expr(d, depth + 1, "src_hi", me->src_hi);
    }
    VEC_FOREACH(Expr *, arg, me->args) dump_expr(d, depth + 1, "arg", arg);
    if (me->offset)
        dump_expr(d, depth + 1, "offset", me->offset);
}

static void dump_maps(const Dumper *d, int depth, const MapDef *m, const Loc *loc)
{
    indent(d, depth);
    fputs("maps", d->out);
    if (m->comprehension)
        fprintf(d->out, " for %s", ident_name(&m->var));
    end_line(d, loc);
    dump_decorators(d, depth + 1, &m->decorators);
    if (m->comprehension) {
        dump_expr(d, depth + 1, "lo", m->lo);
        dump_expr(d, depth + 1, "hi", m->hi);
    }
    VEC_FOREACH(MapElem *, me, m->elems) dump_map_elem(d, depth + 1, me);
}

/* ---- items and units ----------------------------------------------------- */

static void dump_item(const Dumper *d, int depth, const Item *it);

static void dump_variant(const Dumper *d, int depth, const EnumVariant *v)
{
    indent(d, depth);
    fprintf(d->out, "variant %s(", ident_name(&v->name));
    VEC_FOREACH(Ident *, arg, v->args) fprintf(d->out, "%s%s", arg_i ? ", " : "", ident_name(arg));
    fputc(')', d->out);
    end_line(d, &v->loc);
}

static void dump_unit(const Dumper *d, int depth, const Unit *u)
{
    indent(d, depth);
    fprintf(d->out, "unit %s %s", unit_kind_names[u->kind], ident_name(&u->name));
    if (u->is_abstract)
        fputs(" abstract", d->out);
    if (u->parent)
        fprintf(d->out, " : %s", ident_name(u->parent));
    end_line(d, &u->loc);
    dump_params(d, depth + 1, u->has_params, &u->params);
    VEC_FOREACH(Item *, it, u->items) dump_item(d, depth + 1, it);
    VEC_FOREACH(EnumVariant *, v, u->variants) dump_variant(d, depth + 1, v);
}

static void dump_item(const Dumper *d, int depth, const Item *it)
{
    switch (it->kind) {
    case ITEM_IMPORT:
        indent(d, depth);
        fprintf(d->out, "import %s", ident_name(&it->import));
        end_line(d, &it->loc);
        break;
    case ITEM_CONST:
        indent(d, depth);
        fprintf(d->out, "const %s: %s", ident_name(&it->constdef->name),
                type_name(&it->constdef->type));
        end_line(d, &it->loc);
        dump_expr(d, depth + 1, NULL, it->constdef->value);
        break;
    case ITEM_FLAGS:
        indent(d, depth);
        fputs(it->flags->unit_level ? "flags unit_level" : "flags", d->out);
        end_line(d, &it->loc);
        VEC_FOREACH(Ident *, f, it->flags->flags) name_line(d, depth + 1, "flag", f);
        break;
    case ITEM_EXTERN_TYPE:
        indent(d, depth);
        fprintf(d->out, "extern type %s", ident_name(&it->externtype->name));
        end_line(d, &it->loc);
        dump_decorators(d, depth + 1, &it->externtype->decorators);
        VEC_FOREACH(Param *, prm, it->externtype->fields) dump_param(d, depth + 1, "field", prm);
        break;
    case ITEM_UNIT:
        dump_unit(d, depth, it->unit);
        break;
    case ITEM_INBITWIDTH:
    case ITEM_OUTBITWIDTH:
        indent(d, depth);
        fputs(item_kind_names[it->kind], d->out);
        end_line(d, &it->loc);
        dump_expr(d, depth + 1, NULL, it->bitwidth);
        break;
    case ITEM_STATE:
    case ITEM_INTERFACE:
        if (it->block)      /* `state = None;` declares nothing */
            dump_block(d, depth, it->block, &it->loc);
        break;
    case ITEM_METHOD:
        dump_method(d, depth, it->method);
        break;
    case ITEM_MAPS:
        dump_maps(d, depth, it->maps, &it->loc);
        break;
    }
}

void ast_dump(FILE *out, const Spec *spec, const DumpOptions *opt)
{
    Dumper d = { out, opt && opt->locations };
    const char *path = spec->file && spec->file->path ? spec->file->path : "<input>";
    fprintf(out, "file \"%s\"\n", path);
    VEC_FOREACH(Item *, it, spec->items) dump_item(&d, 0, it);
}
