/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sema.c - semantic analysis driver: Program -> SemaProgram.
 *
 * Runs the stages of sema.h in order. A stage that depends on a well-formed
 * result of an earlier one (composition, SMT) runs only when the earlier
 * stages reported no errors, so a broken spec gets its real errors and no
 * follow-on noise.
 */
#include "sema.h"

#include <string.h>

const char *const sym_kind_names[] = {
#define X(k, s) s,
    SYM_KINDS(X)
#undef X
};

static unsigned long hash_name(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    return h;
}

Symbol *sema_global(const SemaProgram *sp, const char *name)
{
    if (!sp->symtab_cap)
        return NULL;
    unsigned long mask = (unsigned long)sp->symtab_cap - 1;
    for (unsigned long i = hash_name(name) & mask;; i = (i + 1) & mask) {
        Symbol *s = sp->symtab[i];
        if (!s)
            return NULL;
        if (strcmp(s->name, name) == 0)
            return s;
    }
}

static void symtab_insert(SemaProgram *sp, Symbol *sym)
{
    unsigned long mask = (unsigned long)sp->symtab_cap - 1;
    unsigned long i = hash_name(sym->name) & mask;
    while (sp->symtab[i])
        i = (i + 1) & mask;
    sp->symtab[i] = sym;
}

Symbol *sema_define_global(SemaProgram *sp, Symbol *sym)
{
    Symbol *old = sema_global(sp, sym->name);
    if (old)
        return old;
    if ((sp->symbols.len + 1) * 2 > sp->symtab_cap) {
        int cap = sp->symtab_cap ? sp->symtab_cap * 2 : 64;
        sp->symtab = arena_alloc(sp->arena, sizeof(Symbol *) * (size_t)cap);
        sp->symtab_cap = cap;
        VEC_FOREACH(Symbol *, s, sp->symbols) symtab_insert(sp, s);
    }
    vec_push(sp->arena, &sp->symbols, sym);
    symtab_insert(sp, sym);
    return NULL;
}

SemaUnit *sema_unit(const SemaProgram *sp, const char *name)
{
    Symbol *s = sema_global(sp, name);
    return s && s->kind == SYM_UNIT ? s->unit : NULL;
}

SemaProgram *sema_check(Arena *a, Diag *d, Program *prog, const SemaOptions *opt)
{
    SemaProgram *sp = arena_alloc(a, sizeof *sp);
    sp->arena = a;
    sp->diag = d;
    sp->prog = prog;

    resolve_program(sp);
    layout_units(sp);
    units_check(sp);
    typecheck_program(sp);
    if (d->errors)
        return sp;
    compose_program(sp);
    if (d->errors || !opt || !opt->smt)
        return sp;
    smt_check_program(sp);
    return sp;
}
