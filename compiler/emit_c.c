/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit_c.c - the C backend: LIR -> a C driver (NAME.h, NAME.c).
 *
 * Input: the LIR module (lir.h) and, for declarations only, the IR's units
 * (their state slices, flags, registers and instructions). Nothing here
 * looks at the AST or knows how a page table works: every function is
 * printed from its LIR statements. Output, per spec:
 *   - status codes, flag bits, register and instruction numbers;
 *   - per segment: column-aligned _SHIFT/_WIDTH/_MASK defines for every
 *     state slice, the state struct with typed accessors, and the unit's
 *     LIR functions (lir_unit.c);
 *   - per root, the range driver's context, transaction and functions
 *     (lir_drv.c), with NAME_map etc. as aliases when there is one root.
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

#ifndef VRSC_VERSION
#define VRSC_VERSION "0.1.0"
#endif

/* A growing text; an allocation failure sets oom and drops the rest. */
typedef struct EBuf {
    char  *s;
    size_t len, cap;
    bool   oom;
} EBuf;

typedef struct Emit {
    const IrProgram *ir;
    const LModule   *m;
    Arena           *a;          /* scratch: names and strings */
    bool             header_only;
    const char      *prefix;     /* x86_64 */
    const char      *P;          /* X86_64 */
    EBuf             h, c;       /* the header; the source (header_only: appended) */
    bool            *declared;   /* per function: a prototype is out */
    bool            *rec_done;   /* per record: printed */
    const LFn       *fn;         /* being printed */
    int              last_line;  /* the back-link printed last in fn */
} Emit;

static void eb_put(EBuf *b, const char *s);
static void eb_printf(EBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *upper(Arena *a, const char *s);

/* ---- text buffer ------------------------------------------------------------------ */

static void eb_put(EBuf *b, const char *s)
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

static void eb_printf(EBuf *b, const char *fmt, ...)
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

static const char *upper(Arena *a, const char *s)
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

static const char *loc_str(Emit *e, Loc l)
{
    return arena_printf(e->a, "/* %s:%d */", l.file ? base_name(l.file->path) : e->ir->spec,
                        l.first_line);
}

static uint64_t mask_of(unsigned w)
{
    return w >= 64 ? UINT64_MAX : ((uint64_t)1 << w) - 1;
}

/* Register and instruction names: UNIT_FIELD, upper case. The IR numbers
 * them in one list across units; the owner is found by pointer. */
static const char *reg_name(Emit *e, const SField *f)
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

static const char *instr_name(Emit *e, const SField *f)
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

/* ---- types and records ------------------------------------------------------------------ */

static const char *kind_c(Emit *e, LKind k)
{
    switch (k) {
    case LK_STATUS:
        return arena_printf(e->a, "%s_status", e->prefix);
    case LK_FLAGS:
        return arena_printf(e->a, "%s_flags_t", e->prefix);
    case LK_PTR:
    case LK_REC:
        return "uint64_t";
    default:
        return lir_kind_names[k];
    }
}

/* The C spelling of t, followed by `name` (may be ""). */
static const char *decl(Emit *e, LType t, const char *name, bool cnst)
{
    const char *sp = *name ? " " : "";
    if (t.kind == LK_REC)
        return arena_printf(e->a, "%s%s%s", t.rec->cname, sp, name);
    if (t.kind == LK_PTR && t.to == LK_REC)
        return arena_printf(e->a, "%s%s *%s", cnst ? "const " : "", t.rec->cname, name);
    if (t.kind == LK_PTR)
        return arena_printf(e->a, "%s *%s", kind_c(e, t.to == LK_VOID ? LK_U64 : t.to), name);
    if (t.kind == LK_ENV)
        return arena_printf(e->a, "struct vrs_env *%s", name);
    return arena_printf(e->a, "%s%s%s", kind_c(e, t.kind), sp, name);
}

static void record(Emit *e, const LRec *r)
{
    if (e->rec_done[r->id])
        return;
    e->rec_done[r->id] = true;
    EBuf *b = r->pub || e->header_only ? &e->h : &e->c;
    if (r->unit) {
        defines(e, r->unit);
        eb_printf(b, "\n/* %s */ %s\n", r->comment, loc_str(e, r->loc));
    } else if (r->comment) {
        eb_put(b, "\n/* ");
        for (const char *p = r->comment; *p; p++) {
            if (*p == '\n')
                eb_put(b, "\n * ");
            else
                eb_printf(b, "%c", *p);
        }
        eb_put(b, " */\n");
    }
    eb_printf(b, "typedef struct %s {\n", r->cname);
    VEC_FOREACH(const LField *, f, r->fields) {
        eb_printf(b, "    %s;", decl(e, lt(f->kind == LK_FLAGS ? LK_FLAGS : f->kind), f->name, false));
        if (f->loc.file)
            eb_printf(b, " %s", loc_str(e, f->loc));
        eb_put(b, "\n");
    }
    eb_printf(b, "} %s;\n", r->cname);
    if (!r->unit)
        return;
    /* typed accessors of the named slices */
    const IrUnit *u = r->unit;
    VEC_FOREACH(const SField *, f, u->su->state) {
        VEC_FOREACH(const SSlice *, s, f->slices) {
            if (s->implicit)
                continue;
            const char *n = upper(e->a, arena_printf(e->a, "%s_%s_%s_%s", e->prefix, u->cname,
                                                     f->name, s->name));
            eb_printf(b, "static inline uint64_t %s_%s_%s_%s(const %s *s)\n{\n"
                         "    return (s->%s & %s_MASK) >> %s_SHIFT;\n}\n",
                      e->prefix, u->cname, f->name, s->name, r->cname, f->name, n, n);
        }
    }
}

/* ---- expressions ------------------------------------------------------------------------ */

static void ex(Emit *e, EBuf *b, const LExpr *x, bool top);

static bool wide_kind(LKind k)
{
    return k == LK_U64 || k == LK_FLAGS;
}

static bool wide(const LExpr *x)
{
    return x->kind != LE_NUM && (x->ty.kind == LK_U64 || x->ty.kind == LK_FLAGS);
}

static void num(Emit *e, EBuf *b, const LExpr *x, bool w)
{
    uint64_t v = x->num;
    switch (x->ty.kind) {
    case LK_STATUS: {
        static const char *const st[] = { "OK", "EINVAL", "EEXIST", "ENOENT", "ENOMEM" };
        if (v < 5)
            eb_printf(b, "%s_%s", e->P, st[v]);
        else
            eb_printf(b, "%s_RETRY_", e->P);
        return;
    }
    case LK_BOOL:
        eb_put(b, v ? "true" : "false");
        return;
    case LK_PTR:
        eb_put(b, "NULL");
        return;
    default:
        break;
    }
    if (w || v > 0xffffffffu)
        eb_printf(b, v < 10 ? "UINT64_C(%" PRIu64 ")" : "UINT64_C(0x%" PRIx64 ")", v);
    else
        eb_printf(b, v < 10 ? "%" PRIu64 : "0x%" PRIx64 "u", v);
}

/* An operand that must be 64 bits wide in C (a shift's left side, ~). */
static void ex_wide(Emit *e, EBuf *b, const LExpr *x)
{
    if (x->kind == LE_NUM)
        num(e, b, x, true);
    else if (wide(x))
        ex(e, b, x, false);
    else {
        eb_put(b, "(uint64_t)");
        ex(e, b, x, false);
    }
}

static bool arith(BinOp op)
{
    switch (op) {
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_BOR:
    case OP_BXOR:
    case OP_BAND:
        return true;
    default:
        return false;
    }
}

static void ex_bin(Emit *e, EBuf *b, const LExpr *x, bool top)
{
    switch (x->op) {
    case OP_IMPLIES:
        eb_put(b, top ? "!" : "(!");
        ex(e, b, x->a, false);
        eb_put(b, " || ");
        ex(e, b, x->b, false);
        eb_put(b, top ? "" : ")");
        return;
    case OP_SHL:
    case OP_SHR:
        if (x->b->kind == LE_NUM && x->b->num < 64) {
            eb_put(b, top ? "" : "(");
            if (x->op == OP_SHL)
                ex_wide(e, b, x->a);
            else
                ex(e, b, x->a, false);
            eb_printf(b, " %s %" PRIu64, x->op == OP_SHL ? "<<" : ">>", x->b->num);
            eb_put(b, top ? "" : ")");
            return;
        }
        eb_printf(b, "%s_%s(", e->prefix, x->op == OP_SHL ? "shl" : "shr");
        ex(e, b, x->a, true);
        eb_put(b, ", ");
        ex(e, b, x->b, true);
        eb_put(b, ")");
        return;
    case OP_DIV:
    case OP_MOD:
        eb_printf(b, "%s_%s(", e->prefix, x->op == OP_DIV ? "div" : "mod");
        ex(e, b, x->a, true);
        eb_put(b, ", ");
        ex(e, b, x->b, true);
        eb_put(b, ")");
        return;
    default:
        break;
    }
    eb_put(b, top ? "" : "(");
    /* a 64-bit operation on narrow operands (bool, int, literals) widens
     * its left side first */
    if (arith(x->op) && !wide(x->a) && !wide(x->b))
        ex_wide(e, b, x->a);
    else
        ex(e, b, x->a, false);
    eb_printf(b, " %s ", binop_spelling[x->op]);
    ex(e, b, x->b, false);
    eb_put(b, top ? "" : ")");
}

static const char *slot_name(const Emit *e, int s)
{
    return ((const LSlot *)e->fn->slots.items[s])->name;
}

static void args(Emit *e, EBuf *b, LExpr *const *a, int from, int n)
{
    for (int i = from; i < n; i++) {
        if (i > from)
            eb_put(b, ", ");
        ex(e, b, a[i], true);
    }
}

static void ex_env(Emit *e, EBuf *b, const LExpr *x)
{
    unsigned bits = x->width * 8;
    switch (x->env) {
    case LENV_MEM_READ:
        eb_printf(b, "vrs_mem_read%u(", bits);
        args(e, b, x->args, 0, 2);
        break;
    case LENV_MEM_WRITE:
        eb_printf(b, "vrs_mem_write%u(", bits);
        args(e, b, x->args, 0, 2);
        eb_printf(b, ", (uint%u_t)", bits);
        ex(e, b, x->args[2], false);
        break;
    case LENV_MMIO_READ:
        eb_put(b, "vrs_mmio_read(");
        args(e, b, x->args, 0, 2);
        eb_printf(b, ", %u", x->width);
        break;
    case LENV_MMIO_WRITE:
        eb_put(b, "vrs_mmio_write(");
        args(e, b, x->args, 0, 2);
        eb_printf(b, ", %u, ", x->width);
        ex(e, b, x->args[2], true);
        break;
    case LENV_REG_READ:
    case LENV_REG_WRITE:
        eb_printf(b, "vrs_reg_%s(", x->env == LENV_REG_READ ? "read" : "write");
        ex(e, b, x->args[0], true);
        eb_printf(b, ", %s_REG_%s", e->P,
                  x->id < (unsigned)e->ir->regs.len ? reg_name(e, e->ir->regs.items[x->id]) : "NONE");
        if (x->env == LENV_REG_WRITE) {
            eb_put(b, ", ");
            ex(e, b, x->args[1], true);
        }
        break;
    case LENV_INSTR:
        eb_put(b, "vrs_instr(");
        ex(e, b, x->args[0], true);
        eb_printf(b, ", %s_INSTR_%s", e->P,
                  x->id < (unsigned)e->ir->instrs.len ? instr_name(e, e->ir->instrs.items[x->id]) : "NONE");
        break;
    default:
        eb_printf(b, "vrs_%s(", lir_env_names[x->env]);
        args(e, b, x->args, 0, x->nargs);
        break;
    }
    eb_put(b, ")");
}

static void ex(Emit *e, EBuf *b, const LExpr *x, bool top)
{
    switch (x->kind) {
    case LE_NUM:
        num(e, b, x, false);
        return;
    case LE_SLOT:
        eb_put(b, slot_name(e, x->slot));
        return;
    case LE_FIELD: {
        const char *f = ((const LField *)x->a->ty.rec->fields.items[x->field])->name;
        if (x->a->kind == LE_ADDR) {
            ex(e, b, x->a->a, false);
            eb_printf(b, ".%s", f);
        } else {
            ex(e, b, x->a, false);
            eb_printf(b, "%s%s", x->a->ty.kind == LK_PTR ? "->" : ".", f);
        }
        return;
    }
    case LE_DEREF:
        if (x->a->kind == LE_ADDR) {
            ex(e, b, x->a->a, top);
            return;
        }
        eb_put(b, "*");
        ex(e, b, x->a, false);
        return;
    case LE_ADDR:
        eb_put(b, "&");
        ex(e, b, x->a, false);
        return;
    case LE_BIN:
        ex_bin(e, b, x, top);
        return;
    case LE_UN:
        if (x->uop == OP_NOT) {
            eb_put(b, "!");
            ex(e, b, x->a, false);
        } else {
            eb_put(b, "~");
            ex_wide(e, b, x->a);
        }
        return;
    case LE_ITE:
        eb_put(b, top ? "" : "(");
        ex(e, b, x->a, false);
        /* literal arms of a 64-bit choice are 64-bit */
        eb_put(b, " ? ");
        if (x->b->kind == LE_NUM && wide_kind(x->ty.kind))
            num(e, b, x->b, true);
        else
            ex(e, b, x->b, false);
        eb_put(b, " : ");
        if (x->c->kind == LE_NUM && wide_kind(x->ty.kind))
            num(e, b, x->c, true);
        else
            ex(e, b, x->c, false);
        eb_put(b, top ? "" : ")");
        return;
    case LE_LOG2:
        eb_printf(b, "%s_log2(", e->prefix);
        ex(e, b, x->a, true);
        eb_put(b, ")");
        return;
    case LE_CALL:
        eb_printf(b, "%s(", x->fn->name);
        args(e, b, x->args, 0, x->nargs);
        eb_put(b, ")");
        return;
    case LE_ENV:
        ex_env(e, b, x);
        return;
    }
}

/* ---- statements ------------------------------------------------------------------------- */

static void back_link(Emit *e, EBuf *b, Loc l)
{
    if (l.file && l.first_line != e->last_line) {
        eb_printf(b, " %s", loc_str(e, l));
        e->last_line = l.first_line;
    }
}

static void block(Emit *e, EBuf *b, const PtrVec *blk, int ind);

static void stmt(Emit *e, EBuf *b, const LStmt *s, int ind)
{
    if (s->comment)
        eb_printf(b, "%*s/* %s */\n", ind * 4, "", s->comment);
    eb_printf(b, "%*s", ind * 4, "");
    switch (s->kind) {
    case LS_ASSIGN:
        ex(e, b, s->lhs, true);
        eb_put(b, " = ");
        ex(e, b, s->rhs, true);
        eb_put(b, ";");
        back_link(e, b, s->loc);
        eb_put(b, "\n");
        return;
    case LS_EXPR:
        if (s->rhs->kind == LE_CALL && s->rhs->fn->ret.kind != LK_VOID)
            eb_put(b, "(void)");
        ex(e, b, s->rhs, true);
        eb_put(b, ";");
        back_link(e, b, s->loc);
        eb_put(b, "\n");
        return;
    case LS_BREAK:
        eb_put(b, "break;\n");
        return;
    case LS_RETURN:
        eb_put(b, "return");
        if (s->rhs) {
            eb_put(b, " ");
            ex(e, b, s->rhs, true);
        }
        eb_put(b, ";");
        back_link(e, b, s->loc);
        eb_put(b, "\n");
        return;
    case LS_IF:
    case LS_WHILE: {
        if (s->rare) {
            eb_printf(b, "if (%s_UNLIKELY(", e->P);
            ex(e, b, s->rhs, true);
            eb_put(b, "))");
        } else {
            eb_put(b, s->kind == LS_IF ? "if (" : "while (");
            ex(e, b, s->rhs, true);
            eb_put(b, ")");
        }
        const LStmt *only = s->body.len == 1 ? s->body.items[0] : NULL;
        bool simple = only && !s->els.len && only->kind != LS_IF && only->kind != LS_WHILE && !only->comment;
        if (simple) {
            back_link(e, b, s->loc);
            eb_put(b, "\n");
            stmt(e, b, only, ind + 1);
            return;
        }
        eb_put(b, " {");
        back_link(e, b, s->loc);
        eb_put(b, "\n");
        block(e, b, &s->body, ind + 1);
        if (s->els.len) {
            eb_printf(b, "%*s} else {\n", ind * 4, "");
            block(e, b, &s->els, ind + 1);
        }
        eb_printf(b, "%*s}\n", ind * 4, "");
        return;
    }
    }
}

static void block(Emit *e, EBuf *b, const PtrVec *blk, int ind)
{
    VEC_FOREACH(const LStmt *, s, *blk)
        stmt(e, b, s, ind);
}

/* ---- functions -------------------------------------------------------------------------- */

/* Slots read anywhere (not only assigned). */
static void uses_expr(const LExpr *x, bool *used)
{
    if (!x)
        return;
    if (x->kind == LE_SLOT)
        used[x->slot] = true;
    uses_expr(x->a, used);
    uses_expr(x->b, used);
    uses_expr(x->c, used);
    for (int i = 0; i < x->nargs; i++)
        uses_expr(x->args[i], used);
}

static void uses_block(const PtrVec *blk, bool *used)
{
    VEC_FOREACH(const LStmt *, s, *blk) {
        if (s->lhs && s->lhs->kind != LE_SLOT)
            uses_expr(s->lhs, used);
        uses_expr(s->rhs, used);
        uses_block(&s->body, used);
        uses_block(&s->els, used);
    }
}

/* Functions called before they are defined. */
static void calls_expr(const LExpr *x, PtrVec *out, Arena *a)
{
    if (!x)
        return;
    if (x->kind == LE_CALL)
        vec_push(a, out, x->fn);
    calls_expr(x->a, out, a);
    calls_expr(x->b, out, a);
    calls_expr(x->c, out, a);
    for (int i = 0; i < x->nargs; i++)
        calls_expr(x->args[i], out, a);
}

static void calls_block(const PtrVec *blk, PtrVec *out, Arena *a)
{
    VEC_FOREACH(const LStmt *, s, *blk) {
        calls_expr(s->lhs, out, a);
        calls_expr(s->rhs, out, a);
        calls_block(&s->body, out, a);
        calls_block(&s->els, out, a);
    }
}

static const char *signature(Emit *e, const LFn *f)
{
    char *s = arena_strdup(e->a, "");
    for (int i = 0; i < f->nparams; i++) {
        const LSlot *p = f->slots.items[i];
        s = arena_printf(e->a, "%s%s%s", s, i ? ", " : "", decl(e, p->ty, p->name, p->cnst));
    }
    return arena_printf(e->a, "%s(%s)", decl(e, f->ret, f->name, false), f->nparams ? s : "void");
}

static bool is_static(const Emit *e, const LFn *f)
{
    return f->link != LINK_EXPORT || e->header_only;
}

static EBuf *home(Emit *e, const LFn *f)
{
    return f->link == LINK_HEADER || e->header_only ? &e->h : &e->c;
}

static void prototype(Emit *e, const LFn *f)
{
    if (e->declared[f->id])
        return;
    e->declared[f->id] = true;
    EBuf *b = f->link == LINK_EXPORT && !e->header_only ? &e->h : home(e, f);
    eb_printf(b, "%s%s;\n", is_static(e, f) ? "static inline " : "", signature(e, f));
}

static void function(Emit *e, const LFn *f)
{
    /* the records it uses are complete before it */
    for (int i = 0; i < f->slots.len; i++) {
        const LSlot *s = f->slots.items[i];
        if (s->ty.rec)
            record(e, s->ty.rec);
    }
    PtrVec callees = { 0 };
    calls_block(&f->body, &callees, e->a);
    VEC_FOREACH(const LFn *, g, callees)
        if (g->id > f->id)
            prototype(e, g);
    if (f->link == LINK_EXPORT && !e->header_only)
        prototype(e, f);
    EBuf *b = home(e, f);
    e->fn = f;
    e->last_line = f->loc.first_line;
    eb_put(b, "\n");
    if (f->comment)
        eb_printf(b, "/* %s */\n", f->comment);
    /* a hot function is inlined even where gcc guesses the call unlikely
     * (a 4 KiB leaf, four levels down) */
    const char *spec = !is_static(e, f) ? ""
                       : f->hot   ? arena_printf(e->a, "static %s_HOT ", e->P)
                       : f->cold  ? arena_printf(e->a, "static %s_COLD ", e->P)
                       : f->noinline ? arena_printf(e->a, "static %s_NOINLINE ", e->P)
                                  : "static inline ";
    eb_printf(b, "%s\n%s%s\n{\n", loc_str(e, f->loc), spec, signature(e, f));
    bool *used = arena_alloc(e->a, (size_t)f->slots.len + 1);
    uses_block(&f->body, used);
    for (int i = f->nparams; i < f->slots.len; i++) {
        const LSlot *s = f->slots.items[i];
        if (s->noinit)
            eb_printf(b, "    %s;\n", decl(e, s->ty, s->name, false));
        else if (s->ty.kind == LK_REC)
            eb_printf(b, "    %s = { 0 };\n", decl(e, s->ty, s->name, false));
        else
            eb_printf(b, "    %s = 0;\n", decl(e, s->ty, s->name, false));
    }
    for (int i = 0; i < f->slots.len; i++)
        if (!used[i])
            eb_printf(b, "    (void)%s;\n", ((const LSlot *)f->slots.items[i])->name);
    block(e, b, &f->body, 1);
    eb_put(b, "}\n");
}

/* ---- files ------------------------------------------------------------------------------ */
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
                  arena_printf(e->a, "%s_FLAG_%s", e->P, upper(e->a, f)), e->prefix, e->ir->flag_bit[f_i]);
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
    eb_printf(h,
              "/* the small per-unit functions every walk calls (valid, translate,\n"
              " * flags, matchflags): inlined into the driver */\n"
              "#if defined(__GNUC__)\n"
              "#define %s_HOT inline __attribute__((always_inline))\n"
              "#else\n"
              "#define %s_HOT inline\n"
              "#endif\n"
              "/* the exits the common path does not take (errors, invalid\n"
              " * entries): laid out of its way, so that it runs straight */\n"
              "#if defined(__GNUC__)\n"
              "#define %s_UNLIKELY(c) __builtin_expect(!!(c), 0)\n"
              "#else\n"
              "#define %s_UNLIKELY(c) (c)\n"
              "#endif\n",
              e->P, e->P, e->P, e->P);
    bool cold = false, noinline = false;
    VEC_FOREACH(const LFn *, f, e->m->fns) {
        cold |= f->cold;
        noinline |= f->noinline;
    }
    if (noinline)
        eb_printf(h,
                  "/* the range paths of map/unmap/protect: out of line, so the\n"
                  " * one-page path keeps a small frame */\n"
                  "#if defined(__GNUC__)\n"
                  "#define %s_NOINLINE __attribute__((noinline))\n"
                  "#else\n"
                  "#define %s_NOINLINE\n"
                  "#endif\n",
                  e->P, e->P);
    if (cold)
        eb_printf(h,
                  "/* the rare paths (a root register the context has no copy of):\n"
                  " * out of line, so the common path needs no stack frame */\n"
                  "#if defined(__GNUC__)\n"
                  "#define %s_COLD __attribute__((cold, noinline))\n"
                  "#else\n"
                  "#define %s_COLD\n"
                  "#endif\n",
                  e->P, e->P);
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


/* A block comment of text, its lines broken between words before 76
 * columns. */
static void comment_wrapped(EBuf *b, const char *text)
{
    eb_put(b, "\n/*");
    int col = 2;
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        if (col > 3 && col + 1 + (int)n > 76) {
            eb_put(b, "\n *");
            col = 2;
        }
        eb_printf(b, " %.*s", (int)n, p);
        col += 1 + (int)n;
        p += n;
    }
    eb_put(b, " */\n");
}

static void aliases(Emit *e)
{
    EBuf *h = &e->h;
    VEC_FOREACH(const IrUnit *, r, e->m->no_driver)
        comment_wrapped(h, arena_printf(e->a, "No range driver for root %s (see docs/driver.md): %s.", r->name,
                                        (const char *)e->m->no_driver_why.items[r_i]));
    if (e->m->roots.len != 1)
        return;
    const LRoot *r = e->m->roots.items[0];
    eb_put(h, "\n");
    if (r->init)
        eb_printf(h, "#define %s_init %s_init\n#define %s_fini %s_fini\n", e->prefix, r->name, e->prefix, r->name);
    eb_printf(h, "typedef %s_ctx %s_ctx;\n", r->name, e->prefix);
    const char *ops[] = { "map", "unmap", "protect", "resolve" };
    for (int i = 0; i < 4; i++)
        eb_printf(h, "#define %s_%s %s_%s\n", e->prefix, ops[i], r->name, ops[i]);
}

bool emitc_write(const LModule *m, Diag *d, const char *dir, bool header_only)
{
    Arena a;
    arena_init(&a);
    const IrProgram *ir = m->ir;
    Emit e = { .ir = ir, .m = m, .a = &a, .header_only = header_only, .prefix = ir->prefix };
    e.P = upper(&a, ir->prefix);
    e.declared = arena_alloc(&a, (size_t)m->fns.len + 1);
    e.rec_done = arena_alloc(&a, (size_t)m->recs.len + 1);
    header_top(&e);
    if (!header_only) {
        eb_printf(&e.c, banner, arena_printf(&a, "%s.c", ir->prefix), ir->spec);
        eb_printf(&e.c, "#include \"%s.h\"\n", ir->prefix);
    }
    if (m->roots.len)
        eb_printf(header_only ? &e.h : &e.c,
                  "\n#ifndef %s_RETRY_\n#define %s_RETRY_ ((%s_status)99)   /* internal: take the two-pass path */\n#endif\n",
                  e.P, e.P, e.prefix);
    /* internal functions nothing reaches (a root's general resolve walk
     * when the fast path covers it) are left out: C warns about them */
    bool *live = arena_alloc(&a, (size_t)m->fns.len + 1);
    VEC_FOREACH(const LFn *, f, m->fns)
        live[f_i] = f->link != LINK_INTERNAL;
    for (bool more = true; more;) {
        more = false;
        VEC_FOREACH(const LFn *, f, m->fns) {
            if (!live[f_i])
                continue;
            PtrVec callees = { 0 };
            calls_block(&f->body, &callees, &a);
            VEC_FOREACH(const LFn *, g, callees)
                if (!live[g->id])
                    more = live[g->id] = true;
        }
    }
    VEC_FOREACH(const LFn *, f, m->fns)
        if (live[f_i])
            function(&e, f);
    aliases(&e);
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
