/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * resolve.c - the global namespace and the skeleton of every unit.
 *
 * Input: the Program (all files, imports first). Output: sp->symbols (consts,
 * units, extern types), sp->flags, and one SemaUnit per unit with its parent
 * (derivation), consts (inherited + own) and folded in/out bit widths.
 * Resolution is order-independent: every global name is entered before any
 * is used, so use before definition is fine; a unit deriving from itself
 * (directly or not) is an error naming the cycle. Constants are folded lazily
 * by consteval.c, which reports constants defined through themselves.
 */
#include <ctype.h>
#include <string.h>

#include "sema.h"

static bool is_upper_case(const char *s)
{
    for (; *s; s++)
        if (islower((unsigned char)*s))
            return false;
    return true;
}

static bool is_snake_case(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return false;
    return true;
}

static Symbol *new_symbol(SemaProgram *sp, SymKind kind, const char *name, Loc loc)
{
    Symbol *s = arena_alloc(sp->arena, sizeof *s);
    s->kind = kind;
    s->name = name;
    s->loc = loc;
    return s;
}

static void double_def(SemaProgram *sp, const char *name, Loc loc, Loc first)
{
    diag_error(sp->diag, loc, "duplicate definitions with name `%s`", name);
    diag_note(sp->diag, first, "`%s` was first defined here", name);
}

static void define(SemaProgram *sp, Symbol *sym)
{
    Symbol *old = sema_define_global(sp, sym);
    if (old)
        double_def(sp, sym->name, sym->loc, old->loc);
}

static SConst *new_const(SemaProgram *sp, ConstDef *cd)
{
    SConst *c = arena_alloc(sp->arena, sizeof *c);
    c->ast = cd;
    c->type.kind = cd->type.kind;
    c->type.name = cd->type.name;
    if (!is_upper_case(cd->name.name))
        diag_warning(sp->diag, cd->name.loc, "identifier `%s` should have an upper case name",
                     cd->name.name);
    if (cd->type.kind == TYPE_NAMED || cd->type.kind == TYPE_FLAGS || cd->type.kind == TYPE_VOID)
        diag_error(sp->diag, cd->type.loc,
                   "unsupported type `%s`: constants must have a built-in type other than flags",
                   cd->type.kind == TYPE_NAMED ? cd->type.name : type_kind_names[cd->type.kind]);
    return c;
}

static void global_flags(SemaProgram *sp, Item *it, Item **first)
{
    if (*first) {
        double_def(sp, "flags", it->loc, (*first)->loc);
        return;
    }
    *first = it;
    sp->has_flags = true;
    VEC_FOREACH(Ident *, f, it->flags->flags) {
        bool dup = false;
        VEC_FOREACH(Ident *, g, sp->flags)
            if (strcmp(g->name, f->name) == 0) {
                double_def(sp, f->name, f->loc, g->loc);
                dup = true;
                break;
            }
        if (dup)
            continue;
        if (!is_snake_case(f->name))
            diag_warning(sp->diag, f->loc, "flag `%s` should have a snake case name", f->name);
        if (sp->flags.len == 64) {
            diag_error(sp->diag, f->loc, "too many flags: `%s` is the 65th, and flags_t has 64 bits",
                       f->name);
            continue;
        }
        vec_push(sp->arena, &sp->flags, f);
    }
}

static void collect_globals(SemaProgram *sp)
{
    Item *flags_item = NULL;
    VEC_FOREACH(Spec *, spec, sp->prog->specs) {
        VEC_FOREACH(Item *, it, spec->items) {
            switch (it->kind) {
            case ITEM_CONST: {
                SConst *c = new_const(sp, it->constdef);
                Symbol *s = new_symbol(sp, SYM_CONST, it->constdef->name.name, it->constdef->name.loc);
                s->cnst = c;
                s->type = c->type;
                vec_push(sp->arena, &sp->consts, c);
                define(sp, s);
                break;
            }
            case ITEM_FLAGS:
                global_flags(sp, it, &flags_item);
                break;
            case ITEM_EXTERN_TYPE: {
                /* the reference hits todo!() here */
                diag_error(sp->diag, it->loc, "extern types are only supported inside an osspec");
                Symbol *s = new_symbol(sp, SYM_EXTERN, it->externtype->name.name, it->externtype->name.loc);
                s->type.kind = TYPE_NAMED;
                s->type.ext = it->externtype;
                s->type.name = s->name;
                vec_push(sp->arena, &sp->externs, it->externtype);
                define(sp, s);
                break;
            }
            case ITEM_UNIT: {
                Unit *un = it->unit;
                if (!un->name.name)
                    break;
                SemaUnit *u = arena_alloc(sp->arena, sizeof *u);
                u->ast = un;
                u->kind = un->kind;
                u->name = un->name.name;
                u->is_abstract = un->is_abstract;
                u->params = un->params;
                u->inbitwidth = u->outbitwidth = 64;
                Symbol *s = new_symbol(sp, SYM_UNIT, u->name, un->name.loc);
                s->unit = u;
                s->type.kind = TYPE_NAMED;
                s->type.unit = u;
                s->type.name = u->name;
                Symbol *old = sema_define_global(sp, s);
                if (old) {
                    double_def(sp, u->name, un->name.loc, old->loc);
                    break;
                }
                vec_push(sp->arena, &sp->units, u);
                break;
            }
            default:
                break;
            }
        }
    }
}

/* Derivation: parent lookup, kind check and cycles (state_: 0 new,
 * 1 on the current chain, 2 done). */
static void resolve_parent(SemaProgram *sp, SemaUnit *u, PtrVec *chain)
{
    if (u->state_ == 2)
        return;
    if (u->state_ == 1) {
        /* a cycle: print it from u's first appearance */
        char buf[1024];
        size_t k = 0;
        int start = 0;
        for (int i = 0; i < chain->len; i++)
            if (chain->items[i] == u)
                start = i;
        for (int i = start; i < chain->len && k < sizeof buf; i++)
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%s -> ", ((SemaUnit *)chain->items[i])->name);
        if (k < sizeof buf)
            snprintf(buf + k, sizeof buf - k, "%s", u->name);
        diag_error(sp->diag, u->ast->parent ? u->ast->parent->loc : u->ast->name.loc,
                   "unit `%s` derives from itself: %s", u->name, buf);
        u->parent = NULL;
        return;
    }
    u->state_ = 1;
    vec_push(sp->arena, chain, u);
    Ident *pid = u->ast->parent;
    if (pid && u->kind != UNIT_ENUM && u->kind != UNIT_OSSPEC) {
        Symbol *s = sema_global(sp, pid->name);
        if (!s) {
            diag_error(sp->diag, pid->loc, "no symbol named `%s` found in the current scope", pid->name);
        } else if (s->kind != SYM_UNIT) {
            diag_error(sp->diag, pid->loc, "symbol named `%s` was defined with a different kind (%s)",
                       pid->name, sym_kind_names[s->kind]);
        } else if (s->unit->kind != UNIT_SEGMENT) {
            diag_error(sp->diag, pid->loc, "derived unit is not a `segment` type: `%s` is a %s",
                       pid->name, unit_kind_names[s->unit->kind]);
        } else {
            SemaUnit *p = s->unit;
            resolve_parent(sp, p, chain);
            if (u->state_ == 1 && p->state_ == 2)
                u->parent = p;
            else if (p->state_ == 1 || p == u)
                u->parent = NULL;   /* cycle: reported above */
        }
    }
    chain->len--;
    u->state_ = 2;
}

static void unit_consts(SemaProgram *sp, SemaUnit *u)
{
    if (u->parent)
        VEC_FOREACH(SConst *, c, u->parent->consts) vec_push(sp->arena, &u->consts, c);
    VEC_FOREACH(Item *, it, u->ast->items) {
        if (it->kind != ITEM_CONST)
            continue;
        ConstDef *cd = it->constdef;
        Symbol *g = sema_global(sp, cd->name.name);
        if (g) {
            double_def(sp, cd->name.name, cd->name.loc, g->loc);
            continue;
        }
        bool dup = false;
        VEC_FOREACH(SConst *, c, u->consts)
            if (strcmp(c->ast->name.name, cd->name.name) == 0) {
                double_def(sp, cd->name.name, cd->name.loc, c->ast->name.loc);
                dup = true;
                break;
            }
        if (!dup)
            vec_push(sp->arena, &u->consts, new_const(sp, cd));
    }
}

static void unit_widths(SemaProgram *sp, SemaUnit *u)
{
    Item *in = NULL, *out = NULL;
    if (u->parent) {
        u->inbitwidth = u->parent->inbitwidth;
        u->outbitwidth = u->parent->outbitwidth;
        u->in_given = u->parent->in_given;
        u->out_given = u->parent->out_given;
    }
    VEC_FOREACH(Item *, it, u->ast->items) {
        if (it->kind != ITEM_INBITWIDTH && it->kind != ITEM_OUTBITWIDTH)
            continue;
        bool is_in = it->kind == ITEM_INBITWIDTH;
        Item **seen = is_in ? &in : &out;
        if (*seen) {
            double_def(sp, is_in ? "inbitwidth" : "outbitwidth", it->loc, (*seen)->loc);
            continue;
        }
        *seen = it;
        uint64_t v;
        int errors = sp->diag->errors;
        if (!const_eval(sp, u, it->bitwidth, NULL, false, &v)) {
            if (sp->diag->errors == errors)
                diag_error(sp->diag, it->bitwidth->loc, "%s bitwidth must be a constant expression",
                           is_in ? "input" : "output");
            continue;
        }
        if (is_in) {
            u->inbitwidth = v;
            u->in_given = true;
        } else {
            u->outbitwidth = v;
            u->out_given = true;
        }
    }
}

void resolve_program(SemaProgram *sp)
{
    collect_globals(sp);
    PtrVec chain = { 0 };
    VEC_FOREACH(SemaUnit *, u, sp->units) resolve_parent(sp, u, &chain);
    /* parents before children: derivation is acyclic now */
    PtrVec done = { 0 };
    for (int pass = 0; done.len < sp->units.len && pass <= sp->units.len; pass++) {
        VEC_FOREACH(SemaUnit *, u, sp->units) {
            if (u->state_ == 3 || (u->parent && u->parent->state_ != 3))
                continue;
            unit_consts(sp, u);
            u->state_ = 3;
            vec_push(sp->arena, &done, u);
        }
    }
    /* fold the global consts now, so their errors come in source order */
    VEC_FOREACH(SConst *, c, sp->consts) const_fold_def(sp, NULL, c);
    VEC_FOREACH(SemaUnit *, u, done) {
        VEC_FOREACH(SConst *, c, u->consts) const_fold_def(sp, u, c);
        unit_widths(sp, u);
    }
}
