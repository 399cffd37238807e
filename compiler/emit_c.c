/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit_c.c - the C backend: lowered IR -> a C driver (NAME.h, NAME.c).
 *
 * Input: the IR only (ir.h); nothing here looks at the AST or re-derives a
 * rule of the language. Output, per spec:
 *   - status codes, flag bits, register and instruction numbers;
 *   - per segment: column-aligned _SHIFT/_WIDTH/_MASK defines for every
 *     state slice, a state struct with typed accessors, and load (read the
 *     state back through the interface), init, valid, translate,
 *     matchflags, resolve, and the proven map/unmap/protect programs, whose
 *     requires become EINVAL checks;
 *   - per root, the range driver (emit_drv.c).
 * The text is built in memory and written only when complete. It is C11,
 * freestanding, warning-free under -Wall -Wextra, deterministic, and every
 * function and operation carries a `/ * spec.vrs:LINE * /` back-link.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_c.h"
#include "emit_c_impl.h"

#ifndef VRSC_VERSION
#define VRSC_VERSION "0.1.0"
#endif

/* ---- text buffer ------------------------------------------------------------------ */

void eb_put(EBuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void eb_printf(EBuf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        eb_put(b, small);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    eb_put(b, big);
    free(big);
}

/* ---- names ------------------------------------------------------------------------ */

const char *upper(Arena *a, const char *s)
{
    char *u = arena_strdup(a, s);
    for (char *p = u; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

const char *loc_str(Emit *e, Loc l)
{
    return arena_printf(e->a, "/* %s:%d */", l.file ? base_name(l.file->path) : e->ir->spec,
                        l.first_line);
}

uint64_t mask_of(unsigned w)
{
    return w >= 64 ? UINT64_MAX : ((uint64_t)1 << w) - 1;
}

/* ---- expressions ------------------------------------------------------------------ */

static void ex(Emit *e, EBuf *b, const Sx *x, const ExCtx *c);

static void num(EBuf *b, uint64_t v, bool wide)
{
    if (wide)
        eb_printf(b, v < 10 ? "UINT64_C(%" PRIu64 ")" : "UINT64_C(0x%" PRIx64 ")", v);
    else
        eb_printf(b, v < 10 ? "%" PRIu64 : "0x%" PRIx64 "u", v);
}

static void bits(EBuf *b, const char *var, unsigned lo, unsigned hi, unsigned width)
{
    if (lo == 0 && hi >= width)
        eb_put(b, var);
    else if (lo == 0)
        eb_printf(b, "(%s & 0x%" PRIx64 "u)", var, mask_of(hi - lo));
    else if (hi >= 64)
        eb_printf(b, "(%s >> %u)", var, lo);
    else
        eb_printf(b, "((%s >> %u) & 0x%" PRIx64 "u)", var, lo, mask_of(hi - lo));
}

/* pre x mid y post: the shape of every operator and call below */
static void ex2(Emit *e, EBuf *b, const char *pre, const Sx *x, const char *mid, const Sx *y,
                const char *post, const ExCtx *c)
{
    eb_put(b, pre);
    ex(e, b, x, c);
    if (y) {
        eb_put(b, mid);
        ex(e, b, y, c);
    }
    eb_put(b, post);
}

static void ex_bin(Emit *e, EBuf *b, const Sx *x, const ExCtx *c)
{
    switch (x->op) {
    case OP_IMPLIES:
        ex2(e, b, "(!", x->a, " || ", x->b, ")", c);
        return;
    case OP_SHL:
    case OP_SHR:
        if (x->b->kind == SX_NUM && x->b->num < 64) {
            eb_put(b, "(");
            if (x->a->kind == SX_NUM)
                num(b, x->a->num, true);
            else
                ex(e, b, x->a, c);
            eb_printf(b, " %s %" PRIu64 ")", x->op == OP_SHL ? "<<" : ">>", x->b->num);
            return;
        }
        ex2(e, b, arena_printf(e->a, "%s_%s(", e->prefix, x->op == OP_SHL ? "shl" : "shr"), x->a, ", ",
            x->b, ")", c);
        return;
    case OP_DIV:
    case OP_MOD:
        ex2(e, b, arena_printf(e->a, "%s_%s(", e->prefix, x->op == OP_DIV ? "div" : "mod"), x->a, ", ",
            x->b, ")", c);
        return;
    default:
        break;
    }
    eb_put(b, "(");
    /* an integer operand of a 64-bit operation is widened first */
    if (x->a->kind == SX_NUM && (x->op == OP_SUB || x->op == OP_ADD || x->op == OP_MUL))
        num(b, x->a->num, true);
    else
        ex(e, b, x->a, c);
    eb_printf(b, " %s ", binop_spelling[x->op]);
    ex(e, b, x->b, c);
    eb_put(b, ")");
}

static void ex(Emit *e, EBuf *b, const Sx *x, const ExCtx *c)
{
    if (!x) {
        eb_put(b, "0");
        return;
    }
    switch (x->kind) {
    case SX_NUM:
        if (x->is_bool)
            eb_put(b, x->num ? "1" : "0");
        else
            num(b, x->num, false);
        return;
    case SX_ARG:
        eb_put(b, sx_arg_names[x->arg]);
        return;
    case SX_FLAG:
        eb_printf(b, "((flgs >> %d) & 1u)", x->flag);
        return;
    case SX_STATE: {
        const char *v = arena_printf(e->a, "%s%s", c->state, x->field->name);
        bits(b, v, x->lo, x->hi, (unsigned)x->field->size * 8);
        return;
    }
    case SX_CUR: {
        const char *v = arena_printf(e->a, "l_%s", x->field->name);
        bits(b, v, x->lo, x->hi, (unsigned)x->field->size * 8);
        return;
    }
    case SX_VAR:
        eb_put(b, c->var ? c->var : "va");
        return;
    case SX_PARAM:
        eb_printf(b, "%s%s", c->param_prefix ? c->param_prefix : "", x->name);
        return;
    case SX_BIN:
        ex_bin(e, b, x, c);
        return;
    case SX_UN:
        ex2(e, b, x->uop == OP_NOT ? "(!" : "(~", x->a, NULL, NULL, ")", c);
        return;
    case SX_ITE:
        ex2(e, b, "(", x->a, " ? ", x->b, " : ", c);
        ex2(e, b, "", x->c, NULL, NULL, ")", c);
        return;
    case SX_LOG2:
        ex2(e, b, arena_printf(e->a, "%s_log2(", e->prefix), x->a, NULL, NULL, ")", c);
        return;
    }
}

void emit_expr(Emit *e, EBuf *b, const Sx *x, const ExCtx *c)
{
    ex(e, b, x, c);
}

/* ---- interface access --------------------------------------------------------------- */

/* C expression reading interface field f raw (memory, MMIO, register). */
const char *io_read(Emit *e, const SField *f, const char *pfx)
{
    unsigned bitsz = (unsigned)f->size * 8;
    switch (f->kind) {
    case FIELD_MEM:
        return arena_printf(e->a, "vrs_mem_read%u(env, %s%s + 0x%" PRIx64 "u)", bitsz, pfx,
                            f->base ? f->base : "0", f->offset);
    case FIELD_MMIO:
        return arena_printf(e->a, "vrs_mmio_read(env, %s%s + 0x%" PRIx64 "u, %u)", pfx,
                            f->base ? f->base : "0", f->offset, (unsigned)f->size);
    case FIELD_REG:
        return arena_printf(e->a, "vrs_reg_read(env, %s_REG_%s)", e->P,
                            reg_name(e, f));
    default:
        return "0";
    }
}

const char *io_write(Emit *e, const SField *f, const char *pfx, const char *val)
{
    unsigned bitsz = (unsigned)f->size * 8;
    switch (f->kind) {
    case FIELD_MEM:
        return arena_printf(e->a, "vrs_mem_write%u(env, %s%s + 0x%" PRIx64 "u, (uint%u_t)%s);",
                            bitsz, pfx, f->base ? f->base : "0", f->offset, bitsz, val);
    case FIELD_MMIO:
        return arena_printf(e->a, "vrs_mmio_write(env, %s%s + 0x%" PRIx64 "u, %u, %s);", pfx,
                            f->base ? f->base : "0", f->offset, (unsigned)f->size, val);
    case FIELD_REG:
        return arena_printf(e->a, "vrs_reg_write(env, %s_REG_%s, %s);", e->P, reg_name(e, f), val);
    case FIELD_INSTR:
        return arena_printf(e->a, "vrs_instr(env, %s_INSTR_%s);", e->P, instr_name(e, f));
    }
    return ";";
}

/* Register and instruction names: UNIT_FIELD, upper case. The IR numbers
 * them in one list across units; the owner is found by pointer. */
const char *reg_name(Emit *e, const SField *f)
{
    int id = ir_reg_id(e->ir, f);
    if (id >= 0)
        f = e->ir->regs.items[id];
    VEC_FOREACH(const IrUnit *, u, e->ir->units) {
        if (u->kind != IR_SEGMENT)
            continue;
        VEC_FOREACH(const SField *, g, u->su->state)
            if (g == f)
                return upper(e->a, arena_printf(e->a, "%s_%s", u->cname, f->name));
        VEC_FOREACH(const SField *, g, u->su->iface)
            if (g == f)
                return upper(e->a, arena_printf(e->a, "%s_%s", u->cname, f->name));
    }
    return upper(e->a, f->name);
}

const char *instr_name(Emit *e, const SField *f)
{
    VEC_FOREACH(const IrUnit *, u, e->ir->units) {
        if (u->kind != IR_SEGMENT)
            continue;
        VEC_FOREACH(const SField *, g, u->su->iface)
            if (g == f)
                return upper(e->a, arena_printf(e->a, "%s_%s", u->cname, f->name));
    }
    return upper(e->a, f->name);
}

/* ---- per-unit code ------------------------------------------------------------------ */

/* Parameter list of a unit: ", uint64_t base" ... */
const char *param_decl(Emit *e, const IrUnit *u)
{
    char *s = arena_strdup(e->a, "");
    VEC_FOREACH(const char *, p, u->params)
        s = arena_printf(e->a, "%s, uint64_t %s", s, p);
    return s;
}

const char *param_args(Emit *e, const IrUnit *u)
{
    char *s = arena_strdup(e->a, "");
    VEC_FOREACH(const char *, p, u->params)
        s = arena_printf(e->a, "%s, %s", s, p);
    return s;
}

static void defines(Emit *e, const IrUnit *u)
{
    EBuf *h = &e->h;
    VEC_FOREACH(const SField *, f, u->su->state) {
        VEC_FOREACH(const SSlice *, s, f->slices) {
            const char *n = upper(e->a, arena_printf(e->a, "%s_%s_%s_%s", e->prefix, u->cname,
                                                     f->name, s->name));
            eb_printf(h, "#define %-48s %u\n", arena_printf(e->a, "%s_SHIFT", n), s->lo);
            eb_printf(h, "#define %-48s %u\n", arena_printf(e->a, "%s_WIDTH", n), s->hi - s->lo);
            eb_printf(h, "#define %-48s UINT64_C(0x%" PRIx64 ")\n", arena_printf(e->a, "%s_MASK", n),
                      mask_of(s->hi - s->lo) << s->lo);
        }
    }
}

static void state_struct(Emit *e, const IrUnit *u)
{
    EBuf *h = &e->h;
    eb_printf(h, "\n/* %s: state */ %s\n", u->name, loc_str(e, u->loc));
    eb_printf(h, "typedef struct %s_%s_state {\n", e->prefix, u->cname);
    VEC_FOREACH(const SField *, f, u->su->state)
        eb_printf(h, "    uint64_t %s; %s\n", f->name, loc_str(e, f->loc));
    if (!u->su->state.len)
        eb_put(h, "    uint64_t none_;\n");
    eb_printf(h, "} %s_%s_state;\n", e->prefix, u->cname);
    VEC_FOREACH(const SField *, f, u->su->state) {
        VEC_FOREACH(const SSlice *, s, f->slices) {
            if (s->implicit)
                continue;
            const char *n = upper(e->a, arena_printf(e->a, "%s_%s_%s_%s", e->prefix, u->cname,
                                                     f->name, s->name));
            eb_printf(h, "static inline uint64_t %s_%s_%s_%s(const %s_%s_state *s)\n{\n"
                         "    return (s->%s & %s_MASK) >> %s_SHIFT;\n}\n",
                      e->prefix, u->cname, f->name, s->name, e->prefix, u->cname, f->name, n, n);
        }
    }
}

/* FN(...) opening: declaration in the header, definition in the source
 * (or `static inline` in the header-only mode). */
void fn_open(Emit *e, const char *ret, const char *name, const char *args, Loc loc)
{
    if (e->header_only) {
        eb_printf(&e->c, "\n%s\nstatic inline %s %s(%s)\n{\n", loc_str(e, loc), ret, name, args);
    } else {
        eb_printf(&e->h, "%s %s(%s);\n", ret, name, args);
        eb_printf(&e->c, "\n%s\n%s %s(%s)\n{\n", loc_str(e, loc), ret, name, args);
    }
}

/* Does move m (interface bits -> state bits) come from io's read actions? */
static bool from_io(const SFieldIO *io, const SMove *m)
{
    VEC_FOREACH(const SMove *, mm, io->reads)
        if (strcmp(mm->dst.field->name, m->src.field->name) == 0 && mm->dst.lo == m->src.lo
            && mm->dst.hi == m->src.hi)
            return true;
    return false;
}

/* The one interface field a unit's whole state is read from, if there is
 * one: then the state decodes from one raw value (NAME_U_decode), and a
 * choice of variants over the same entry reads it once. */
const SFieldIO *single_read(const IrUnit *u)
{
    const SFieldIO *one = NULL;
    VEC_FOREACH(const IrStateRead *, r, u->reads) {
        if (r->ios.len != 1)
            return NULL;
        if (one && one != r->ios.items[0])
            return NULL;
        one = r->ios.items[0];
    }
    return one && one->field->kind != FIELD_INSTR ? one : NULL;
}

/* st->F |= bits of raw, for the moves of one interface field. */
static void decode_moves(Emit *e, EBuf *c, const IrStateRead *r, const SFieldIO *io,
                         const char *indent)
{
    /* moves that keep bit positions collapse into one mask */
    uint64_t same = 0;
    VEC_FOREACH(const SMove *, m, r->moves)
        if (from_io(io, m) && m->src.lo == m->dst.lo && m->src.hi == m->dst.hi)
            same |= mask_of(m->src.hi - m->src.lo) << m->src.lo;
    if (same)
        eb_printf(c, "%sst->%s |= raw & UINT64_C(0x%" PRIx64 "); %s\n", indent, r->field->name, same,
                  loc_str(e, io->field->loc));
    VEC_FOREACH(const SMove *, m, r->moves) {
        if (!from_io(io, m) || (m->src.lo == m->dst.lo && m->src.hi == m->dst.hi))
            continue;
        unsigned w = m->src.hi - m->src.lo;
        unsigned dw = m->dst.hi - m->dst.lo;
        if (dw < w)
            w = dw;
        eb_printf(c, "%sst->%s |= ((raw >> %u) & 0x%" PRIx64 "u) << %u; %s\n", indent,
                  r->field->name, m->src.lo, mask_of(w), m->dst.lo, loc_str(e, m->loc));
    }
}

static void fn_load(Emit *e, const IrUnit *u)
{
    EBuf *c = &e->c;
    const SFieldIO *one = single_read(u);
    if (one) {
        /* decode: static inline in the header, used by load and the walks */
        EBuf *h = &e->h;
        eb_printf(h, "static inline void %s_%s_decode(uint64_t raw, %s_%s_state *st)\n{\n",
                  e->prefix, u->cname, e->prefix, u->cname);
        VEC_FOREACH(const IrStateRead *, r, u->reads) {
            eb_printf(h, "    st->%s = 0;\n", r->field->name);
            decode_moves(e, h, r, one, "    ");
        }
        eb_put(h, "    (void)raw;\n}\n");
    }
    const char *n = arena_printf(e->a, "%s_%s_load", e->prefix, u->cname);
    fn_open(e, "void", n, arena_printf(e->a, "struct vrs_env *env%s, %s_%s_state *st",
                                       param_decl(e, u), e->prefix, u->cname), u->loc);
    if (!u->params.len)
        eb_put(c, "    (void)env;\n");
    if (one) {
        eb_printf(c, "    %s_%s_decode(%s, st);\n}\n", e->prefix, u->cname, io_read(e, one->field, ""));
        return;
    }
    VEC_FOREACH(const IrStateRead *, r, u->reads) {
        eb_printf(c, "    st->%s = 0;\n", r->field->name);
        VEC_FOREACH(const SFieldIO *, io, r->ios) {
            eb_printf(c, "    {\n        uint64_t raw = %s;\n", io_read(e, io->field, ""));
            decode_moves(e, c, r, io, "        ");
            eb_put(c, "        (void)raw;\n    }\n");
        }
    }
    if (!u->su->state.len)
        eb_put(c, "    st->none_ = 0;\n");
    eb_put(c, "}\n");
}

static void fn_bool(Emit *e, const IrUnit *u, const char *what, const Sx *x, bool with_flags,
                    Loc loc)
{
    const char *n = arena_printf(e->a, "%s_%s_%s", e->prefix, u->cname, what);
    const char *args = arena_printf(e->a, "const %s_%s_state *st%s%s", e->prefix, u->cname,
                                    param_decl(e, u), with_flags ? arena_printf(e->a, ", %s_flags_t flgs", e->prefix) : "");
    fn_open(e, "bool", n, args, loc);
    EBuf *c = &e->c;
    eb_put(c, "    (void)st;\n");
    VEC_FOREACH(const char *, p, u->params)
        eb_printf(c, "    (void)%s;\n", p);
    if (with_flags)
        eb_put(c, "    (void)flgs;\n");
    ExCtx cx = { "st->", "va", "" };
    eb_put(c, "    return ");
    if (x)
        emit_expr(e, c, x, &cx);
    else
        eb_put(c, "1");
    eb_put(c, ";\n}\n");
}

static void fn_translate(Emit *e, const IrUnit *u)
{
    const char *n = arena_printf(e->a, "%s_%s_translate", e->prefix, u->cname);
    fn_open(e, "bool", n, arena_printf(e->a, "const %s_%s_state *st%s, uint64_t va, uint64_t *pa",
                                       e->prefix, u->cname, param_decl(e, u)),
            u->su->ast ? u->loc : u->loc);
    EBuf *c = &e->c;
    eb_put(c, "    (void)st;\n    (void)va;\n");
    VEC_FOREACH(const char *, p, u->params)
        eb_printf(c, "    (void)%s;\n", p);
    ExCtx cx = { "st->", "va", "" };
    VEC_FOREACH(const Sx *, x, u->pre) {
        eb_put(c, "    if (!");
        emit_expr(e, c, x, &cx);
        eb_put(c, ")\n        return false;\n");
    }
    eb_put(c, "    *pa = ");
    emit_expr(e, c, u->translate, &cx);
    eb_put(c, ";\n    return true;\n}\n");
}

static void fn_decode(Emit *e, const IrUnit *u)
{
    const char *n = arena_printf(e->a, "%s_%s_flags", e->prefix, u->cname);
    fn_open(e, arena_printf(e->a, "%s_flags_t", e->prefix), n,
            arena_printf(e->a, "const %s_%s_state *st", e->prefix, u->cname), u->loc);
    EBuf *c = &e->c;
    eb_printf(c, "    %s_flags_t f = 0;\n    (void)st;\n", e->prefix);
    ExCtx cx = { "st->", "va", "" };
    VEC_FOREACH(const Sx *, x, u->flag_decode) {
        if (!x)
            continue;
        eb_printf(c, "    f |= (%s_flags_t)(", e->prefix);
        emit_expr(e, c, x, &cx);
        eb_printf(c, ") << %d;   /* %s */\n", x_i, (const char *)e->ir->flags.items[x_i]);
    }
    eb_put(c, "    return f;\n}\n");
}

/* resolve: what this one unit makes of va, read from the hardware: its
 * output address and the flags it grants, or false if it does not map va */
static void fn_resolve(Emit *e, const IrUnit *u)
{
    const char *n = arena_printf(e->a, "%s_%s_resolve", e->prefix, u->cname);
    fn_open(e, "bool", n, arena_printf(e->a, "struct vrs_env *env%s, uint64_t va, uint64_t *pa, %s_flags_t *flags",
                                       param_decl(e, u), e->prefix), u->loc);
    eb_printf(&e->c, "    %s_%s_state st;\n    uint64_t t;\n    %s_%s_load(env%s, &st);\n"
                     "    if (!%s_%s_valid(&st%s) || !%s_%s_translate(&st%s, va, &t))\n        return false;\n"
                     "    *pa = t;\n    *flags = %s_%s_flags(&st);\n    return true;\n}\n",
              e->prefix, u->cname, e->prefix, u->cname, param_args(e, u), e->prefix, u->cname,
              param_args(e, u), e->prefix, u->cname, param_args(e, u), e->prefix, u->cname);
}

static const char *op_args(Emit *e, SynthOpKind k)
{
    switch (k) {
    case SYN_MAP:
        return arena_printf(e->a, "uint64_t va, uint64_t sz, %s_flags_t flgs, uint64_t pa", e->prefix);
    case SYN_UNMAP:
        return "uint64_t va, uint64_t sz";
    default:
        return arena_printf(e->a, "uint64_t va, uint64_t sz, %s_flags_t flgs", e->prefix);
    }
}

static const char *op_call_args(SynthOpKind k)
{
    return k == SYN_MAP ? "va, sz, flgs, pa" : k == SYN_UNMAP ? "va, sz" : "va, sz, flgs";
}

/* (void) for every argument of an operation's function: a program or a
 * check need not use them all. */
static void unused_args(Emit *e, const IrUnit *u, SynthOpKind k)
{
    EBuf *c = &e->c;
    eb_put(c, "    (void)env;\n    (void)va;\n    (void)sz;\n");
    if (k != SYN_UNMAP)
        eb_put(c, "    (void)flgs;\n");
    if (k == SYN_MAP)
        eb_put(c, "    (void)pa;\n");
    VEC_FOREACH(const char *, q, u->params)
        eb_printf(c, "    (void)%s;\n", q);
}

/* The requires of a program (and the implicit ranges), as a predicate:
 * the range driver asks it before it changes anything. */
static void fn_ok(Emit *e, const IrUnit *u, SynthOpKind k)
{
    const SynthProg *p = u->prog[k];
    const char *n = arena_printf(e->a, "%s_%s_%s_ok", e->prefix, u->cname, synth_op_names[k]);
    fn_open(e, "bool", n, arena_printf(e->a, "struct vrs_env *env%s, %s", param_decl(e, u), op_args(e, k)),
            p->method->loc);
    EBuf *c = &e->c;
    ExCtx cx = { "st.", "va", "" };
    bool needs_state = false;
    VEC_FOREACH(const Sx *, a, p->goals.assumes)
        needs_state |= sx_mentions(a, SX_STATE);
    unused_args(e, u, k);
    if (needs_state)
        eb_printf(c, "    %s_%s_state st;\n    %s_%s_load(env%s, &st);\n", e->prefix, u->cname,
                  e->prefix, u->cname, param_args(e, u));
    VEC_FOREACH(const Sx *, a, p->goals.assumes) {
        const Loc *l = p->goals.assume_locs.items[a_i];
        eb_put(c, "    if (!");
        emit_expr(e, c, a, &cx);
        eb_printf(c, ") %s\n        return false;\n", loc_str(e, *l));
    }
    eb_put(c, "    return true;\n}\n");
}

/* A proven program: argument checks, then the operations. */
static void fn_prog(Emit *e, const IrUnit *u, SynthOpKind k)
{
    const SynthProg *p = u->prog[k];
    fn_ok(e, u, k);
    const char *n = arena_printf(e->a, "%s_%s_%s", e->prefix, u->cname, synth_op_names[k]);
    const char *args = arena_printf(e->a, "struct vrs_env *env%s, %s", param_decl(e, u), op_args(e, k));
    EBuf *c = &e->c;
    /* the operations alone (`_do`), for the range driver, which has checked
     * the arguments already; then the checked, exported function */
    eb_printf(c, "\n%s\nstatic inline void %s_do(%s)\n{\n", loc_str(e, p->method->loc), n, args);
    unused_args(e, u, k);
    /* locals of the interface fields the program touches */
    VEC_FOREACH(const SFieldIO *, io, u->io) {
        bool used = false;
        VEC_FOREACH(const SOp *, op, p->ops)
            used |= op->io == io && op->kind != SOP_BARRIER;
        if (used && io->field->kind != FIELD_INSTR)
            eb_printf(c, "    uint64_t l_%s = 0;\n", io->field->name);
    }
    VEC_FOREACH(const SOp *, op, p->ops) {
        const SField *f = op->io ? op->io->field : NULL;
        const char *l = loc_str(e, op->loc);
        switch (op->kind) {
        case SOP_ZERO:
            eb_printf(c, "    l_%s = 0; %s\n", f->name, l);
            break;
        case SOP_READ:
            if (f->kind == FIELD_INSTR)
                eb_printf(c, "    %s %s\n", io_write(e, f, "", ""), l);
            else
                eb_printf(c, "    l_%s = %s; %s\n", f->name, io_read(e, f, ""), l);
            break;
        case SOP_SET: {
            uint64_t m = mask_of(op->hi - op->lo);
            eb_printf(c, "    l_%s = (l_%s & ~(UINT64_C(0x%" PRIx64 ") << %u)) | ((", f->name,
                      f->name, m, op->lo);
            ExCtx vx = { "st.", "va", "" };
            emit_expr(e, c, op->value, &vx);
            eb_printf(c, " & UINT64_C(0x%" PRIx64 ")) << %u); %s\n", m, op->lo, l);
            break;
        }
        case SOP_WRITE:
            if (f->kind == FIELD_INSTR)
                eb_printf(c, "    %s %s\n", io_write(e, f, "", ""), l);
            else
                eb_printf(c, "    %s %s\n", io_write(e, f, "", arena_printf(e->a, "l_%s", f->name)), l);
            break;
        case SOP_BARRIER:
            eb_printf(c, "    vrs_barrier(env); %s\n", l);
            break;
        }
    }
    eb_put(c, "}\n");
    fn_open(e, arena_printf(e->a, "%s_status", e->prefix), n, args, p->method->loc);
    eb_printf(c, "    if (!%s_ok(env%s, %s))\n        return %s_EINVAL;\n", n, param_args(e, u),
              op_call_args(k), e->P);
    eb_printf(c, "    %s_do(env%s, %s);\n    return %s_OK;\n}\n", n, param_args(e, u), op_call_args(k),
              e->P);
}

static void fn_init(Emit *e, const IrUnit *u)
{
    const char *n = arena_printf(e->a, "%s_%s_init", e->prefix, u->cname);
    fn_open(e, "void", n, arena_printf(e->a, "struct vrs_env *env%s", param_decl(e, u)), u->loc);
    EBuf *c = &e->c;
    eb_put(c, "    (void)env;\n");
    VEC_FOREACH(const SFieldIO *, io, u->io) {
        if (io->field->kind == FIELD_INSTR || !io->writes.len)
            continue;
        eb_printf(c, "    %s %s\n", io_write(e, io->field, "", "0"), loc_str(e, io->field->loc));
    }
    eb_put(c, "}\n");
}

static void unit_code(Emit *e, const IrUnit *u)
{
    if (u->kind != IR_SEGMENT)
        return;
    defines(e, u);
    state_struct(e, u);
    fn_load(e, u);
    fn_init(e, u);
    fn_bool(e, u, "valid", u->valid, false, u->loc);
    fn_translate(e, u);
    fn_bool(e, u, "matchflags", u->matchflags, true, u->loc);
    fn_decode(e, u);
    fn_resolve(e, u);
    for (int k = 0; k < SYN_COUNT; k++)
        if (u->prog[k])
            fn_prog(e, u, (SynthOpKind)k);
}

/* ---- files ---------------------------------------------------------------------------- */

static const char banner[] =
    "/* SPDX-License-Identifier: MIT */\n"
    "/*\n"
    " * %s - generated by vrsc " VRSC_VERSION " from %s. Do not edit.\n"
    " *\n"
    " * Permission is hereby granted, free of charge, to any person obtaining a\n"
    " * copy of this generated file, to deal in it without restriction, including\n"
    " * without limitation the rights to use, copy, modify, merge, publish,\n"
    " * distribute, sublicense, and/or sell copies of it, subject to the MIT\n"
    " * license. It is provided \"as is\", without warranty of any kind. The\n"
    " * file may be included in GPLv2 and BSD-licensed kernels.\n"
    " */\n";

static void header_top(Emit *e)
{
    EBuf *h = &e->h;
    eb_printf(h, banner, arena_printf(e->a, "%s.h", e->prefix), e->ir->spec);
    eb_printf(h, "#ifndef %s_H\n#define %s_H\n\n", e->P, e->P);
    eb_put(h, "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n"
              "#include \"vrs_env.h\"\n\n");
    eb_printf(h, "typedef enum %s_status {\n"
                 "    %s_OK = 0,\n"
                 "    %s_EINVAL,  /* an argument breaks a requires */\n"
                 "    %s_EEXIST,  /* a different mapping is in the way */\n"
                 "    %s_ENOENT,  /* nothing is mapped there */\n"
                 "    %s_ENOMEM,  /* a table allocation failed; nothing changed */\n"
                 "} %s_status;\n\n",
              e->prefix, e->P, e->P, e->P, e->P, e->P, e->prefix);
    eb_printf(h, "typedef uint64_t %s_flags_t;\n", e->prefix);
    VEC_FOREACH(const char *, f, e->ir->flags)
        eb_printf(h, "#define %-40s ((%s_flags_t)1 << %d)\n",
                  arena_printf(e->a, "%s_FLAG_%s", e->P, upper(e->a, f)), e->prefix, f_i);
    VEC_FOREACH(const SField *, f, e->ir->regs)
        eb_printf(h, "#define %-40s %d\n", arena_printf(e->a, "%s_REG_%s", e->P, reg_name(e, f)), f_i);
    VEC_FOREACH(const SField *, f, e->ir->instrs)
        eb_printf(h, "#define %-40s %d\n", arena_printf(e->a, "%s_INSTR_%s", e->P, instr_name(e, f)),
                  f_i);
    eb_put(h, "\n");
    /* helpers with the Sx semantics for shifts, division and log2 */
    /* named per driver, so that two drivers can share a translation unit */
    const char *p = e->prefix;
    eb_printf(h,
              "static inline uint64_t %s_shl(uint64_t a, uint64_t b) { return b >= 64 ? 0 : a << b; }\n"
              "static inline uint64_t %s_shr(uint64_t a, uint64_t b) { return b >= 64 ? 0 : a >> b; }\n"
              "static inline uint64_t %s_div(uint64_t a, uint64_t b) { return b ? a / b : UINT64_MAX; }\n"
              "static inline uint64_t %s_mod(uint64_t a, uint64_t b) { return b ? a %% b : a; }\n"
              "static inline uint64_t %s_log2(uint64_t a) { return a ? 63u - (uint64_t)__builtin_clzll(a) : 0; }\n",
              p, p, p, p, p);
}

/* Write b to path.vrsc-tmp; the caller renames it into place. */
static bool write_tmp(Diag *d, const char *tmp, const char *path, const EBuf *b)
{
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(b->s ? b->s : "", 1, b->len, f) == b->len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok) {
        diag_plain(d, DIAG_ERROR, "cannot write '%s': %s", path, strerror(errno));
        remove(tmp);
    }
    return ok;
}

/* Both files or neither: each is written to a temporary name first and
 * renamed into place only when both are complete. */
static bool write_files(Diag *d, Arena *a, const char **paths, const EBuf **bufs, int n)
{
    const char *tmps[2];
    int written = 0;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        tmps[i] = arena_printf(a, "%s.vrsc-tmp", paths[i]);
        ok = write_tmp(d, tmps[i], paths[i], bufs[i]);
        written += ok;
    }
    for (int i = 0; i < n && ok; i++) {
        if (rename(tmps[i], paths[i]) != 0) {
            diag_plain(d, DIAG_ERROR, "cannot write '%s': %s", paths[i], strerror(errno));
            ok = false;
        }
    }
    if (!ok)
        for (int i = 0; i < written; i++)
            remove(tmps[i]);
    return ok;
}

bool emitc_write(const IrProgram *ir, Diag *d, const char *dir, bool header_only)
{
    Arena a;
    arena_init(&a);
    Emit e = { .ir = ir, .a = &a, .header_only = header_only, .prefix = ir->prefix };
    e.P = upper(&a, ir->prefix);
    header_top(&e);
    if (!header_only)
        eb_printf(&e.c, banner, arena_printf(&a, "%s.c", ir->prefix), ir->spec);
    if (!header_only)
        eb_printf(&e.c, "#include \"%s.h\"\n", ir->prefix);
    VEC_FOREACH(const IrUnit *, u, ir->units)
        unit_code(&e, u);
    drv_emit(&e);
    bool ok = !e.h.oom && !e.c.oom;
    if (!ok)
        diag_plain(d, DIAG_ERROR, "out of memory while generating code");
    if (ok) {
        const char *paths[2] = { arena_printf(&a, "%s/%s.h", dir, ir->prefix),
                                 arena_printf(&a, "%s/%s.c", dir, ir->prefix) };
        const EBuf *bufs[2] = { &e.h, &e.c };
        if (header_only)
            eb_put(&e.h, e.c.s ? e.c.s : "");
        eb_printf(&e.h, "\n#endif /* %s_H */\n", e.P);
        ok = !e.h.oom && write_files(d, &a, paths, bufs, header_only ? 1 : 2);
    }
    free(e.h.s);
    free(e.c.s);
    arena_free(&a);
    return ok;
}
