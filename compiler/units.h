/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * units.h - internal interface of the unit checks (layout.c, units.c, maps.c).
 *
 * Not part of the sema contract (sema.h): these are the helpers the three
 * files share - name-style warnings, type and name lookup within a unit,
 * the DoubleDef/Undefined wording - and the per-kind entry points units.c
 * calls for static maps, enums and OS specs (maps.c). Every function reports
 * through sp->diag and never fails on incomplete input.
 */
#ifndef VRSC_UNITS_H
#define VRSC_UNITS_H

#include "sema.h"

/* Name styles (§2.2): warn at the identifier when the style is not met.
 * `what` names the thing in the message ("field", "method", ...). */
void units_warn_snake(SemaProgram *sp, const Ident *id, const char *what);
void units_warn_camel(SemaProgram *sp, const Ident *id);

/* W `ignored unit node: <what> not supported in <u's kind>` at loc. */
void units_warn_ignored(SemaProgram *sp, const SemaUnit *u, Loc loc, const char *what);

/* DoubleDef, with a note at the first definition. */
void units_double_def(SemaProgram *sp, Loc at, const char *name, Loc first);

/* The unit's own parameter called name, or NULL. */
Param *units_param(const SemaUnit *u, const char *name);

/* What else `name` means in u's scope (a const, method, unit, extern type...),
 * as a word for messages; NULL if nothing. */
const char *units_symbol_kind(const SemaProgram *sp, const SemaUnit *u, const char *name);

/* Resolve a written type in unit u: built-ins, units, global extern types and
 * (in an osspec) its own extern types. Reports Undefined / different kind at
 * the type and returns false when the name is not a type. */
bool units_resolve_type(SemaProgram *sp, const SemaUnit *u, const TypeRef *t, SemaType *out);

bool     units_is_pow2(uint64_t v);
unsigned units_ceil_log2(uint64_t v);     /* 0 for 0 and 1 */

/* The walk over units (units.c). Units are checked dependencies first:
 * the parent, a map's element units, an enum's variants. `chain` holds the
 * units in progress and `uses` where each was referenced (Loc*), so a unit
 * that contains itself is reported as a definition cycle. */
typedef struct UnitsCtx {
    SemaProgram *sp;
    PtrVec       chain;     /* SemaUnit* */
    PtrVec       uses;      /* Loc* */
    PtrVec       broken;    /* SemaUnit*: part of a cycle, not usable */
    uint64_t     expanded;  /* map entries expanded so far (maps.c bounds it) */
} UnitsCtx;

/* Check u now if it is not done yet. Returns false if u is in progress
 * (it contains itself: the cycle is reported at `use`) or part of a cycle. */
bool units_ensure(UnitsCtx *c, SemaUnit *u, Loc use);

/* maps.c: the per-kind checks, called once per unit by units.c. */
void maps_check_staticmap(UnitsCtx *c, SemaUnit *u);
void maps_check_enum(UnitsCtx *c, SemaUnit *u);
void maps_check_osspec(UnitsCtx *c, SemaUnit *u);

#endif
