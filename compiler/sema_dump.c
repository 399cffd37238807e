/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sema_dump.c - a readable summary of the checked program (--dump-sema).
 *
 * Input: a SemaProgram after sema_check(). Output: plain text for golden
 * tests and for people: global consts with their folded values, flags with
 * their bit indices, every unit with its effective params, widths (and where
 * each width came from), state and interface layouts, actions, methods,
 * map entries and enum variants, then the composition (roots, group roots,
 * levels). The order is definition order throughout and nothing depends on
 * addresses, so the output is stable. Expressions are printed by a small
 * printer of its own (nested binary operations parenthesised, decimal
 * numbers), independent of fmt.c, so the dump does not change when the
 * formatter's layout rules do.
 */
#include <stdio.h>
#include <string.h>

#include "sema.h"

/* ---- expressions ------------------------------------------------------- */

/* Printing context. Map-entry arguments are printed with the comprehension
 * variable bound to the entry's index and constant subtrees folded, so
 * `base + i * 8` reads `base + 16` for entry 2; everything else is printed
 * as written. */
typedef struct Printer {
    FILE              *out;
    const SemaProgram *sp;
    const SemaUnit    *u;
    bool               fold;
    const char        *var;     /* comprehension variable, or NULL */
    uint64_t           value;
} Printer;

/* The u64 value of e if it is a constant the printer can see: a number,
 * the bound variable, a folded const, or arithmetic on those. Never
 * reports anything; undefined arithmetic (x / 0, shifts >= 64) does not fold. */
static bool fold(const Printer *p, const Expr *e, uint64_t *v)
{
    if (!e)
        return false;
    if (e->kind == EXPR_NUM) {
        *v = e->num.value;
        return true;
    }
    if (e->is_const && e->ty != TYPE_BOOL) {
        *v = e->cval;
        return true;
    }
    switch (e->kind) {
    case EXPR_PATH: {
        if (e->path.segs.len != 1)
            return false;
        const char *name = ((const Ident *)e->path.segs.items[0])->name;
        if (p->var && strcmp(name, p->var) == 0) {
            *v = p->value;
            return true;
        }
        VEC_FOREACH(SConst *, c, p->u->consts)
            if (c->ok && c->type.kind != TYPE_BOOL && strcmp(c->ast->name.name, name) == 0) {
                *v = c->value;
                return true;
            }
        const Symbol *s = sema_global(p->sp, name);
        if (s && s->kind == SYM_CONST && s->cnst->ok && s->cnst->type.kind != TYPE_BOOL) {
            *v = s->cnst->value;
            return true;
        }
        return false;
    }
    case EXPR_UNOP: {
        uint64_t x;
        if (e->un.op != OP_BITNOT || !fold(p, e->un.operand, &x))
            return false;
        *v = ~x;
        return true;
    }
    case EXPR_BINOP: {
        uint64_t x, y;
        if (!fold(p, e->bin.lhs, &x) || !fold(p, e->bin.rhs, &y))
            return false;
        switch (e->bin.op) {
        case OP_ADD: *v = x + y; return true;
        case OP_SUB: *v = x - y; return true;
        case OP_MUL: *v = x * y; return true;
        case OP_DIV: if (!y) return false; *v = x / y; return true;
        case OP_MOD: if (!y) return false; *v = x % y; return true;
        case OP_SHL: if (y >= 64) return false; *v = x << y; return true;
        case OP_SHR: if (y >= 64) return false; *v = x >> y; return true;
        case OP_BAND: *v = x & y; return true;
        case OP_BOR: *v = x | y; return true;
        case OP_BXOR: *v = x ^ y; return true;
        default: return false;
        }
    }
    default:
        return false;
    }
}

static void print_expr(const Printer *p, const Expr *e, bool top);

static void print_type_ref(FILE *out, const TypeRef *t)
{
    fputs(t->kind == TYPE_NAMED && t->name ? t->name : type_kind_names[t->kind], out);
}

static void print_params(FILE *out, const PtrVec *params)
{
    fputc('(', out);
    for (int i = 0; i < params->len; i++) {
        const Param *prm = params->items[i];
        fprintf(out, "%s%s: ", i ? ", " : "", prm->name.name);
        print_type_ref(out, &prm->type);
    }
    fputc(')', out);
}

static void print_args(const Printer *p, const PtrVec *args)
{
    fputc('(', p->out);
    for (int i = 0; i < args->len; i++) {
        if (i)
            fputs(", ", p->out);
        print_expr(p, args->items[i], true);
    }
    fputc(')', p->out);
}

/* Paths dotted, numbers decimal, every nested binary operation in
 * parentheses (the outermost one, `top`, without). */
static void print_expr(const Printer *p, const Expr *e, bool top)
{
    FILE *out = p->out;
    uint64_t v;
    if (!e) {
        fputs("?", out);
        return;
    }
    if (p->fold && e->kind != EXPR_NUM && fold(p, e, &v)) {
        fprintf(out, "%llu", (unsigned long long)v);
        return;
    }
    switch (e->kind) {
    case EXPR_NUM:
        fprintf(out, "%llu", (unsigned long long)e->num.value);
        break;
    case EXPR_BOOL:
        fputs(e->boolean ? "true" : "false", out);
        break;
    case EXPR_PATH:
        for (int i = 0; i < e->path.segs.len; i++)
            fprintf(out, "%s%s", i ? "." : "", ((const Ident *)e->path.segs.items[i])->name);
        break;
    case EXPR_CALL:
        print_expr(p, e->call.callee, false);
        print_args(p, &e->call.args);
        break;
    case EXPR_SLICE:
        print_expr(p, e->slice.base, false);
        fputc('[', out);
        print_expr(p, e->slice.lo, true);
        fputs("..", out);
        print_expr(p, e->slice.hi, true);
        fputc(']', out);
        break;
    case EXPR_ELEM:
        print_expr(p, e->elem.base, false);
        fputc('[', out);
        print_expr(p, e->elem.index, true);
        fputc(']', out);
        break;
    case EXPR_BINOP:
        if (!top)
            fputc('(', out);
        print_expr(p, e->bin.lhs, false);
        fprintf(out, " %s ", binop_spelling[e->bin.op]);
        print_expr(p, e->bin.rhs, false);
        if (!top)
            fputc(')', out);
        break;
    case EXPR_UNOP:
        fputs(unop_spelling[e->un.op], out);
        print_expr(p, e->un.operand, false);
        break;
    case EXPR_IF:
        fputs("if ", out);
        print_expr(p, e->ifelse.cond, true);
        fputs(" { ", out);
        print_expr(p, e->ifelse.then, true);
        fputs(" } else { ", out);
        print_expr(p, e->ifelse.els, true);
        fputs(" }", out);
        break;
    case EXPR_QUANT:
        fprintf(out, "(%s ", e->quant.q == QUANT_FORALL ? "forall" : "exists");
        for (int i = 0; i < e->quant.params.len; i++) {
            const Param *prm = e->quant.params.items[i];
            fprintf(out, "%s%s: ", i ? ", " : "", prm->name.name);
            print_type_ref(out, &prm->type);
        }
        fputs(" :: ", out);
        print_expr(p, e->quant.body, true);
        fputc(')', out);
        break;
    }
}

/* ---- pieces ------------------------------------------------------------ */

static const char *sema_type_str(SemaType t)
{
    if (t.kind == TYPE_NAMED)
        return t.name ? t.name : "?";
    return type_kind_names[t.kind];
}

static void print_const(FILE *out, const char *indent, const SConst *c)
{
    fprintf(out, "%sconst %s: %s = ", indent, c->ast->name.name, sema_type_str(c->type));
    if (!c->ok)
        fputs("<not constant>\n", out);
    else if (c->type.kind == TYPE_BOOL)
        fputs(c->value ? "true\n" : "false\n", out);
    else
        fprintf(out, "%llu (0x%llx)\n", (unsigned long long)c->value,
                (unsigned long long)c->value);
}

static bool has_item(const SemaUnit *u, ItemKind k)
{
    if (!u->ast)
        return false;
    VEC_FOREACH(Item *, it, u->ast->items)
        if (it->kind == k)
            return true;
    return false;
}

/* Where an effective width came from: written in the unit, inherited from a
 * parent, computed by a later stage (a staticmap from its elements, an enum
 * from its variants), or the default of 64 bits. */
static const char *width_origin(const SemaProgram *sp, const SemaUnit *u, ItemKind k, bool given)
{
    if (has_item(u, k))
        return "given";
    int guard = sp->units.len;
    for (const SemaUnit *p = u->parent; p && guard-- > 0; p = p->parent)
        if (has_item(p, k))
            return "inherited";
    /* a staticmap's input always comes from its entries, an enum's widths
     * from its variants */
    if (given || u->kind == UNIT_ENUM || (u->kind == UNIT_STATICMAP && (k == ITEM_INBITWIDTH || u->entries.len)))
        return "computed";
    return "default";
}

static void print_field(FILE *out, const SemaProgram *sp, const SemaUnit *u, const SField *f)
{
    Printer p = { out, sp, u, false, NULL, 0 };
    fprintf(out, "    %s %s", field_kind_names[f->kind], f->name);
    switch (f->kind) {
    case FIELD_MEM:
    case FIELD_MMIO:
        fprintf(out, " [%s, %llu, %llu]", f->base ? f->base : "?",
                (unsigned long long)f->offset, (unsigned long long)f->size);
        break;
    case FIELD_REG:
        fprintf(out, " [%llu]", (unsigned long long)f->size);
        break;
    case FIELD_INSTR:
        break;
    }
    if (f->is_interface && f->coupled)
        fprintf(out, " <-> state.%s", f->coupled->name);
    if (f->is_interface && !f->ast)
        fputs(" (copied from state)", out);
    fputc('\n', out);
    VEC_FOREACH(SSlice *, s, f->slices)
        fprintf(out, "      [%u, %u) %s%s\n", s->lo, s->hi, s->name,
                s->implicit ? " (implicit)" : "");
    for (int rw = 0; rw < 2; rw++) {
        const PtrVec *acts = rw ? &f->write_actions : &f->read_actions;
        VEC_FOREACH(Action *, a, *acts) {
            fprintf(out, "      %s ", rw ? "write" : "read ");
            print_expr(&p, action_src(a), true);
            fputs(" -> ", out);
            print_expr(&p, action_dst(a), true);
            fputc('\n', out);
        }
    }
}

static void print_block(FILE *out, const SemaProgram *sp, const SemaUnit *u, const char *what,
                        bool has, const PtrVec *params, const PtrVec *fields)
{
    if (!has && !fields->len)
        return;
    fprintf(out, "  %s", what);
    if (params->len)
        print_params(out, params);
    fputc('\n', out);
    VEC_FOREACH(SField *, f, *fields) print_field(out, sp, u, f);
}

static void print_method(FILE *out, const SemaUnit *u, const SMethod *m)
{
    static const char *const prop_names[] = {
#define X(k, s) s,
        METHOD_PROPS(X)
#undef X
    };
    fputs("    ", out);
    if (m->props) {
        fputs("#[", out);
        bool first = true;
        for (unsigned i = 0; i < sizeof prop_names / sizeof *prop_names; i++)
            if (m->props & (1u << i)) {
                fprintf(out, "%s%s", first ? "" : ", ", prop_names[i]);
                first = false;
            }
        fputs("] ", out);
    }
    if (m->is_extern)
        fputs("extern ", out);
    if (m->is_abstract)
        fputs("abstract ", out);
    if (m->is_synth)
        fputs("synth ", out);
    fprintf(out, "fn %s", m->name);
    print_params(out, &m->params);
    if (m->ret.kind != TYPE_VOID)
        fprintf(out, " -> %s", sema_type_str(m->ret));
    if (m->is_default) {
        fputs(" [default]\n", out);
        return;
    }
    fprintf(out, " [requires %d, ensures %d, %s", m->requires.len, m->ensures.len,
            m->body ? "body" : "no body");
    if (m->owner && m->owner != u)
        fprintf(out, ", from %s", m->owner->name);
    fputs("]\n", out);
}

static void print_entry(FILE *out, const SemaProgram *sp, const SemaUnit *u, const MapEntry *e)
{
    const MapDef *md = u->map;
    Printer p = { out, sp, u, true, md && md->comprehension ? md->var.name : NULL, e->index };
    fprintf(out, "    [%llu] %s", (unsigned long long)e->index, e->unit ? e->unit->name : "?");
    print_args(&p, &e->args);
    fprintf(out, " src [0x%llx, 0x%llx) @ 0x%llx\n", (unsigned long long)e->src_lo,
            (unsigned long long)e->src_hi, (unsigned long long)e->offset);
}

static void print_map(FILE *out, const SemaProgram *sp, const SemaUnit *u)
{
    int n = u->entries.len;
    fprintf(out, "  maps %d entr%s, repr %s\n", n, n == 1 ? "y" : "ies",
            u->repr_list ? "list" : "array");
    /* the first two and the last entry stand for the rest */
    for (int i = 0; i < n; i++) {
        if (n > 3 && i == 2) {
            fprintf(out, "    ... %d more\n", n - 3);
            i = n - 1;
        }
        print_entry(out, sp, u, u->entries.items[i]);
    }
}

static void print_variants(FILE *out, const SemaUnit *u)
{
    for (int i = 0; i < u->variants.len; i++) {
        const SemaUnit *v = u->variants.items[i];
        fprintf(out, "  variant %s(", v ? v->name : "?");
        const PtrVec *args = i < u->variant_args.len ? u->variant_args.items[i] : NULL;
        for (int j = 0; args && j < args->len; j++)
            fprintf(out, "%s%s", j ? ", " : "", ((const Ident *)args->items[j])->name);
        fputs(")\n", out);
    }
}

static void print_unit(FILE *out, const SemaProgram *sp, const SemaUnit *u)
{
    fprintf(out, "\n%s%s %s", u->is_abstract ? "abstract " : "", unit_kind_names[u->kind],
            u->name);
    if (u->parent)
        fprintf(out, " : %s", u->parent->name);
    fputc('\n', out);
    if (u->params.len) {
        fputs("  params ", out);
        print_params(out, &u->params);
        fputc('\n', out);
    }
    if (u->kind != UNIT_OSSPEC) {
        fprintf(out, "  inbitwidth %llu (%s)\n", (unsigned long long)u->inbitwidth,
                width_origin(sp, u, ITEM_INBITWIDTH, u->in_given));
        fprintf(out, "  outbitwidth %llu (%s)\n", (unsigned long long)u->outbitwidth,
                width_origin(sp, u, ITEM_OUTBITWIDTH, u->out_given));
    }
    VEC_FOREACH(SConst *, c, u->consts) print_const(out, "  ", c);
    print_block(out, sp, u, "state", u->has_state, &u->state_params, &u->state);
    print_block(out, sp, u, "interface", u->has_iface, &u->iface_params, &u->iface);
    if (u->methods.len) {
        fputs("  methods\n", out);
        VEC_FOREACH(SMethod *, m, u->methods) print_method(out, u, m);
    }
    if (u->kind == UNIT_STATICMAP)
        print_map(out, sp, u);
    if (u->kind == UNIT_ENUM)
        print_variants(out, u);
}

static void print_unit_list(FILE *out, const char *what, const PtrVec *units)
{
    fprintf(out, "  %s:", what);
    if (!units->len)
        fputs(" -", out);
    VEC_FOREACH(SemaUnit *, u, *units) fprintf(out, " %s", u->name);
    fputc('\n', out);
}

static void print_composition(FILE *out, const Composition *c)
{
    fputs("\ncomposition\n", out);
    print_unit_list(out, "roots", &c->roots);
    print_unit_list(out, "group roots", &c->group_roots);
    if (!c->levels.len)
        return;
    fputs("  levels\n", out);
    VEC_FOREACH(Level *, l, c->levels) {
        fprintf(out, "    %d %*s%s: in %llu, out %llu, entries %llu, index ", l->depth,
                2 * (l->depth < 32 ? l->depth : 32), "", l->unit->name,
                (unsigned long long)l->inbits, (unsigned long long)l->outbits,
                (unsigned long long)l->entries);
        if (l->index_hi == l->index_lo + 1)
            fprintf(out, "va[%u]", l->index_lo);
        else if (l->index_hi > l->index_lo)
            fprintf(out, "va[%u:%u]", l->index_hi - 1, l->index_lo);
        else
            fputc('-', out);
        fputs(", pages", out);
        if (!l->page_sizes.len)
            fputs(" -", out);
        char buf[16];
        VEC_FOREACH(uint64_t *, p, l->page_sizes) fprintf(out, " %s", compose_size_name(buf, *p));
        fputc('\n', out);
    }
}

void sema_dump(FILE *out, const SemaProgram *sp)
{
    fputs("consts\n", out);
    if (!sp->consts.len)
        fputs("  -\n", out);
    VEC_FOREACH(SConst *, c, sp->consts) print_const(out, "  ", c);
    fputs("flags\n", out);
    if (!sp->flags.len)
        fputs("  -\n", out);
    for (int i = 0; i < sp->flags.len; i++)
        fprintf(out, "  %d %s\n", i, ((const Ident *)sp->flags.items[i])->name);
    VEC_FOREACH(ExternType *, x, sp->externs) {
        fprintf(out, "extern type %s ", x->name.name);
        print_params(out, &x->fields);
        fputc('\n', out);
    }
    VEC_FOREACH(SemaUnit *, u, sp->units) print_unit(out, sp, u);
    print_composition(out, &sp->comp);
}
