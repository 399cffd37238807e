/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit_c_impl.h - what the two halves of the C backend share: emit_c.c
 * (files, per-unit code, expressions) and emit_drv.c (range drivers).
 * Not used outside the backend.
 */
#ifndef VRSC_EMIT_C_IMPL_H
#define VRSC_EMIT_C_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir.h"

/* A growing text; an allocation failure sets oom and drops the rest. */
typedef struct EBuf {
    char  *s;
    size_t len, cap;
    bool   oom;
} EBuf;

void eb_put(EBuf *b, const char *s);
void eb_printf(EBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct Emit {
    const IrProgram *ir;
    Arena           *a;          /* scratch: names and strings */
    bool             header_only;
    const char      *prefix;     /* x86_64 */
    const char      *P;          /* X86_64 */
    EBuf             h, c;       /* the header; the source (header_only: appended) */
} Emit;

/* How an Sx prints: state slices as `<state>field`, SX_VAR as `var`,
 * unit params as `<param_prefix>name`. */
typedef struct ExCtx {
    const char *state;
    const char *var;
    const char *param_prefix;
} ExCtx;

void        emit_expr(Emit *e, EBuf *b, const Sx *x, const ExCtx *c);
void        fn_open(Emit *e, const char *ret, const char *name, const char *args, Loc loc);
const char *loc_str(Emit *e, Loc l);
const char *upper(Arena *a, const char *s);
uint64_t    mask_of(unsigned w);
const char *io_read(Emit *e, const SField *f, const char *pfx);
const char *io_write(Emit *e, const SField *f, const char *pfx, const char *val);
const char *reg_name(Emit *e, const SField *f);
const char *instr_name(Emit *e, const SField *f);
const char *param_decl(Emit *e, const IrUnit *u);
const char *param_args(Emit *e, const IrUnit *u);
/* The one interface field a unit's state is read from (then
 * NAME_UNIT_decode(raw, st) exists), or NULL. */
const SFieldIO *single_read(const IrUnit *u);

/* emit_drv.c: the range drivers of every root. */
void drv_emit(Emit *e);

#endif
