/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * units.c - unit headers, derivation, unit-level flags and methods.
 *
 * Input: the SemaUnits of resolve.c, laid out by layout.c. Output, per unit:
 * SemaUnit.methods (own methods, inherited ones, and for a concrete segment
 * vrsc's defaults for missing special methods) and unit_flags. Checks §2.2
 * "Unit headers", "Derivation", "Segment only", "Unit-level flags",
 * "Methods" (everything but expression types, which typecheck.c checks) and
 * "Special methods", including the structural form of translate's mixed
 * preconditions. Units are visited dependencies first (parent, map elements,
 * enum variants); static maps, enums and OS specs continue in maps.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sema.h"
#include "units.h"

/* ---- lookups (sema.h) --------------------------------------------------- */

SMethod *sema_method(const SemaUnit *u, const char *name)
{
    if (!u || !name)
        return NULL;
    VEC_FOREACH(SMethod *, m, u->methods)
        if (m->name && strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

SField *sema_field(PtrVec fields, const char *name)
{
    if (!name)
        return NULL;
    VEC_FOREACH(SField *, f, fields)
        if (f->name && strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

SSlice *sema_slice(const SField *f, const char *name)
{
    if (!f || !name)
        return NULL;
    VEC_FOREACH(SSlice *, s, f->slices)
        if (s->name && strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* ---- helpers shared with layout.c and maps.c (units.h) ------------------ */

static bool is_snake_case(const char *s)
{
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static bool is_camel_case(const char *s)
{
    if (!isupper((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s))
            return false;
    return true;
}

void units_warn_snake(SemaProgram *sp, const Ident *id, const char *what)
{
    if (id->name && !is_snake_case(id->name))
        diag_warning(sp->diag, id->loc, "%s `%s` should have a snake_case name", what, id->name);
}

void units_warn_camel(SemaProgram *sp, const Ident *id)
{
    if (id->name && !is_camel_case(id->name))
        diag_warning(sp->diag, id->loc, "identifier `%s` should have a camel case name", id->name);
}

void units_warn_ignored(SemaProgram *sp, const SemaUnit *u, Loc loc, const char *what)
{
    static const char *const where[] = { "segments", "staticmaps", "enums", "OS specifications" };
    diag_warning(sp->diag, loc, "ignored unit node: %s not supported in %s", what, where[u->kind]);
}

void units_double_def(SemaProgram *sp, Loc at, const char *name, Loc first)
{
    diag_error(sp->diag, at, "duplicate definitions with name `%s`", name);
    diag_note(sp->diag, first, "`%s` was first defined here", name);
}

Param *units_param(const SemaUnit *u, const char *name)
{
    if (!u || !name)
        return NULL;
    VEC_FOREACH(Param *, p, u->params)
        if (p->name.name && strcmp(p->name.name, name) == 0)
            return p;
    return NULL;
}

const char *units_symbol_kind(const SemaProgram *sp, const SemaUnit *u, const char *name)
{
    if (u) {
        VEC_FOREACH(SConst *, k, u->consts)
            if (k->ast && strcmp(k->ast->name.name, name) == 0)
                return "constant";
        VEC_FOREACH(Item *, it, u->ast->items)
            if (it->kind == ITEM_METHOD && it->method && it->method->name.name &&
                strcmp(it->method->name.name, name) == 0)
                return "method";
    }
    Symbol *s = sema_global(sp, name);
    return s ? sym_kind_names[s->kind] : NULL;
}

static ExternType *local_extern(const SemaUnit *u, const char *name)
{
    if (!u || u->kind != UNIT_OSSPEC)
        return NULL;
    VEC_FOREACH(Item *, it, u->ast->items)
        if (it->kind == ITEM_EXTERN_TYPE && it->externtype && it->externtype->name.name &&
            strcmp(it->externtype->name.name, name) == 0)
            return it->externtype;
    return NULL;
}

bool units_resolve_type(SemaProgram *sp, const SemaUnit *u, const TypeRef *t, SemaType *out)
{
    return sema_resolve_type(sp, u, t, out, true);
}

bool sema_resolve_type(SemaProgram *sp, const SemaUnit *u, const TypeRef *t, SemaType *out, bool report)
{
    memset(out, 0, sizeof *out);
    out->kind = t->kind;
    if (t->kind != TYPE_NAMED)
        return true;
    out->name = t->name;
    if (!t->name)
        return false;
    if ((out->ext = local_extern(u, t->name)) != NULL)
        return true;
    if (u && u->kind == UNIT_OSSPEC && strcmp(t->name, "UnitType") == 0)
        return true;        /* predefined in an OS spec */
    Symbol *s = sema_global(sp, t->name);
    if (!s) {
        if (report)
            diag_error(sp->diag, t->loc, "no symbol named `%s` found in the current scope", t->name);
        return false;
    }
    if (s->kind == SYM_UNIT) {
        out->unit = s->unit;
        return true;
    }
    if (s->kind == SYM_EXTERN) {
        out->ext = s->type.ext;
        return true;
    }
    if (report)
        diag_error(sp->diag, t->loc, "symbol named `%s` was defined with a different kind (%s, not a type)",
                   t->name, sym_kind_names[s->kind]);
    return false;
}

bool units_is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

unsigned units_ceil_log2(uint64_t v)
{
    unsigned n = 0;
    while (n < 64 && ((uint64_t)1 << n) < v)
        n++;
    return n;
}

/* ---- unit header -------------------------------------------------------- */

static bool is_addr_type(TypeKind k) { return k == TYPE_ADDR || k == TYPE_VADDR || k == TYPE_PADDR; }

static Loc type_loc(const Param *p) { return p->type.loc.file ? p->type.loc : p->loc; }

static void check_unit_params(SemaProgram *sp, SemaUnit *u)
{
    Diag *d = sp->diag;
    Param *addr = NULL;
    for (int i = 0; i < u->params.len; i++) {
        Param *p = u->params.items[i];
        if (!p->name.name)
            continue;
        units_warn_snake(sp, &p->name, "parameter");
        TypeKind k = p->type.kind;
        if (k == TYPE_NAMED || k == TYPE_FLAGS || k == TYPE_VOID) {
            diag_error(d, type_loc(p), "unsupported type: unit parameters only support built-in "
                       "types other than flags (found `%s`)",
                       k == TYPE_NAMED && p->type.name ? p->type.name : type_kind_names[k]);
        } else if (is_addr_type(k)) {
            if (addr) {
                diag_error(d, p->name.loc, "unit has multiple address parameters defined");
                diag_note(d, addr->name.loc, "the first address parameter is `%s`", addr->name.name);
            } else {
                addr = p;
            }
        }
        Param *dup = NULL;
        for (int j = 0; j < i && !dup; j++) {
            Param *q = u->params.items[j];
            if (q->name.name && strcmp(q->name.name, p->name.name) == 0)
                dup = q;
        }
        Symbol *g = dup ? NULL : sema_global(sp, p->name.name);
        if (dup)
            units_double_def(sp, p->name.loc, p->name.name, dup->name.loc);
        else if (g)
            units_double_def(sp, p->name.loc, p->name.name, g->loc);
    }
}

static Item *own_item(const SemaUnit *u, ItemKind kind)
{
    VEC_FOREACH(Item *, it, u->ast->items)
        if (it->kind == kind)
            return it;
    return NULL;
}

/* utils::check_addressing_width on the unit's own in/outbitwidth. */
static void check_width(SemaProgram *sp, SemaUnit *u, ItemKind kind)
{
    Item *it = own_item(u, kind);
    uint64_t v;
    if (!it || !it->bitwidth || !const_eval(sp, u, it->bitwidth, NULL, false, &v))
        return;
    if (v > 64)
        diag_error(sp->diag, it->bitwidth->loc, "unsupported addressing width: exceeds maximum "
                   "addressing size of 64 bits (%llu)", (unsigned long long)v);
    else if (v == 0)
        diag_error(sp->diag, it->bitwidth->loc, "unsupported addressing width: 0");
    else if (v < 8)
        diag_warning(sp->diag, it->bitwidth->loc, "addressing width smaller than 8 bits (%llu)",
                     (unsigned long long)v);
}

static void check_header(SemaProgram *sp, SemaUnit *u)
{
    units_warn_camel(sp, &u->ast->name);
    check_unit_params(sp, u);
    if (u->kind == UNIT_OSSPEC) {
        if (u->ast->parent)
            diag_error(sp->diag, u->ast->parent->loc,
                       "derivation clause on an osspec is not supported");
        return;         /* maps.c warns about ignored widths */
    }
    check_width(sp, u, ITEM_INBITWIDTH);
    check_width(sp, u, ITEM_OUTBITWIDTH);
    if (u->kind == UNIT_SEGMENT && !u->is_abstract) {
        /* a width that did not fold was reported by resolve.c */
        if (!u->in_given && !own_item(u, ITEM_INBITWIDTH))
            diag_warning(sp->diag, u->ast->name.loc,
                         "unit has no input bitwidth definition; assuming 64 bits");
        if (!u->out_given && !own_item(u, ITEM_OUTBITWIDTH))
            diag_warning(sp->diag, u->ast->name.loc,
                         "unit has no output bitwidth definition; assuming 64 bits");
    }
}

/* ---- unit-level flags --------------------------------------------------- */

static bool same_flags(const FlagsDef *a, const FlagsDef *b)
{
    if (a->flags.len != b->flags.len)
        return false;
    for (int i = 0; i < a->flags.len; i++) {
        const Ident *x = a->flags.items[i], *y = b->flags.items[i];
        if (strcmp(x->name, y->name) != 0)
            return false;
    }
    return true;
}

/* `flags = {..};` in a unit (the parser already warned it is deprecated). */
static void check_unit_flags(SemaProgram *sp, SemaUnit *u)
{
    Diag *d = sp->diag;
    Item *first = NULL;
    FlagsDef *inherited = u->parent ? u->parent->unit_flags : NULL;
    VEC_FOREACH(Item *, it, u->ast->items) {
        if (it->kind != ITEM_FLAGS || !it->flags)
            continue;
        if (u->kind == UNIT_OSSPEC) {
            diag_error(d, it->loc, "flags node in an osspec is not supported");
            continue;
        }
        if (u->kind != UNIT_SEGMENT) {
            units_warn_ignored(sp, u, it->loc, "flags");
            continue;
        }
        if (first) {
            units_double_def(sp, it->loc, "flags", first->loc);
            continue;
        }
        first = it;
        if (it->flags->flags.len > 64)   /* as for the global block (resolve.c) */
            diag_error(d, ((Ident *)it->flags->flags.items[64])->loc,
                       "too many flags: `%s` is the 65th, and flags_t has 64 bits",
                       ((Ident *)it->flags->flags.items[64])->name);
        if (sp->has_flags) {
            diag_error(d, it->loc, "duplicate definitions with name `flags` (global flags exist)");
            if (sp->flags.len)
                diag_note(d, ((Ident *)sp->flags.items[0])->loc, "the global flags are defined here");
        } else if (inherited && !same_flags(inherited, it->flags)) {
            diag_error(d, it->loc, "flags definition mismatch (inherited flags differ)");
            if (inherited->flags.len)
                diag_note(d, ((Ident *)inherited->flags.items[0])->loc,
                          "the flags of `%s` are defined here", u->parent->name);
        }
    }
    u->unit_flags = first ? first->flags : inherited;
}

/* ---- special methods ---------------------------------------------------- */

typedef struct SpecialSig {
    const char *name;
    const char *text;
    TypeKind    ret;
    bool        no_synth;        /* must not be synth */
    int         nparams;
    struct { const char *name; TypeKind type; } params[4];
} SpecialSig;

static const SpecialSig specials[] = {
    { "valid", "fn valid() -> bool", TYPE_BOOL, true, 0, { { NULL, TYPE_VOID } } },
    { "translate", "fn translate(va: vaddr) -> paddr", TYPE_PADDR, true, 1,
      { { "va", TYPE_VADDR } } },
    { "matchflags", "fn matchflags(flgs: flags) -> bool", TYPE_BOOL, true, 1,
      { { "flgs", TYPE_FLAGS } } },
    { "map", "synth fn map(va: vaddr, sz: size, flgs: flags, pa: paddr)", TYPE_VOID, false, 4,
      { { "va", TYPE_VADDR }, { "sz", TYPE_SIZE }, { "flgs", TYPE_FLAGS }, { "pa", TYPE_PADDR } } },
    { "unmap", "synth fn unmap(va: vaddr, sz: size)", TYPE_VOID, false, 2,
      { { "va", TYPE_VADDR }, { "sz", TYPE_SIZE } } },
    { "protect", "synth fn protect(va: vaddr, sz: size, flgs: flags)", TYPE_VOID, false, 3,
      { { "va", TYPE_VADDR }, { "sz", TYPE_SIZE }, { "flgs", TYPE_FLAGS } } },
};
enum { N_SPECIALS = sizeof specials / sizeof specials[0] };

static const SpecialSig *special_sig(const char *name)
{
    for (int i = 0; i < N_SPECIALS; i++)
        if (strcmp(specials[i].name, name) == 0)
            return &specials[i];
    return NULL;
}

static bool is_map_like(const char *name)
{
    return strcmp(name, "map") == 0 || strcmp(name, "unmap") == 0 || strcmp(name, "protect") == 0;
}

/* Parameter i against the signature; map's `pa` may also be a unit type. */
static int special_param(SemaProgram *sp, const SpecialSig *sig, int i, Param *p)
{
    Diag *d = sp->diag;
    const char *want = sig->params[i].name;
    TypeKind ty = sig->params[i].type;
    if (!p->name.name || strcmp(p->name.name, want) != 0) {
        diag_error(d, p->name.loc, "mismatch of parameter name in special method: expected `%s` "
                   "in `%s`", want, sig->text);
        return 1;
    }
    if (p->type.kind == TYPE_NAMED && (!p->type.name || !sema_global(sp, p->type.name)))
        return 1;       /* undefined: reported with the params */
    bool pa = ty == TYPE_PADDR && strcmp(sig->name, "map") == 0;
    bool unit = p->type.kind == TYPE_NAMED && p->type.name && sema_unit(sp, p->type.name);
    if (p->type.kind != ty && !(pa && unit)) {
        diag_error(d, type_loc(p), "mismatch of parameter type in special method: expected %s%s "
                   "in `%s`", type_kind_names[ty], pa ? " or a unit type" : "", sig->text);
        return 1;
    }
    return 0;
}

/* check_special_methods: the exact signatures of §2.2, in any unit. */
static void check_special(SemaProgram *sp, SemaUnit *u, Method *m)
{
    const SpecialSig *sig = special_sig(m->name.name);
    if (!sig)
        return;
    Diag *d = sp->diag;
    int errors = 0;
    if (sig->no_synth && m->is_synth) {
        diag_error(d, m->name.loc, "this special method should not be synth");
        errors++;
    }
    TypeKind ret = m->ret ? m->ret->kind : TYPE_VOID;
    if (ret != sig->ret) {
        diag_error(d, m->ret ? m->ret->loc : m->name.loc, "mismatched return type in special "
                   "method: expected %s in `%s`", type_kind_names[sig->ret], sig->text);
        errors++;
    }
    int n = m->params.len;
    for (int i = 0; i < n && i < sig->nparams; i++)
        errors += special_param(sp, sig, i, m->params.items[i]);
    for (int i = sig->nparams; i < n; i++) {
        Param *p = m->params.items[i];
        diag_error(d, p->name.loc, "unexpected parameter in special method: `%s`", sig->text);
        errors++;
    }
    if (n < sig->nparams) {
        diag_error(d, m->name.loc, "mismatched number of parameter in special method: `%s` "
                   "takes %d, found %d", sig->text, sig->nparams, n);
        errors++;
    }
    if (errors && u->ast->form == SYNTAX_LEGACY)
        diag_note(d, m->name.loc, "2021-style signatures are not converted; the current "
                  "signature is `%s`", sig->text);
}

/* A default for a special method a concrete segment leaves out. */
static SMethod *default_method(SemaProgram *sp, SemaUnit *u, const SpecialSig *sig)
{
    Arena *a = sp->arena;
    Loc loc = u->ast->name.loc;
    SMethod *m = arena_alloc(a, sizeof *m);
    m->owner = u;
    m->name = sig->name;
    m->is_default = true;
    m->loc = loc;
    m->ret.kind = sig->ret;
    for (int i = 0; i < sig->nparams; i++) {
        Param *p = arena_alloc(a, sizeof *p);
        p->name.name = sig->params[i].name;
        p->name.loc = p->loc = p->type.loc = loc;
        p->type.kind = sig->params[i].type;
        vec_push(a, &m->params, p);
    }
    if (sig->ret == TYPE_VOID) {
        m->is_synth = true;
    } else if (strcmp(sig->name, "translate") == 0) {
        m->body = ast_path1(a, "va", loc);          /* translate(va) = va */
        m->body->ty = TYPE_VADDR;
    } else {
        m->body = ast_expr(a, EXPR_BOOL, loc);      /* valid = matchflags = true */
        m->body->boolean = true;
        m->body->ty = TYPE_BOOL;
    }
    return m;
}

/* ---- translate's mixed preconditions ------------------------------------ */

static bool is_param_path(const Expr *e, const PtrVec *params)
{
    if (!e || e->kind != EXPR_PATH || e->path.segs.len != 1)
        return false;
    const Ident *id = e->path.segs.items[0];
    VEC_FOREACH(Param *, p, *params)
        if (p->name.name && strcmp(p->name.name, id->name) == 0)
            return true;
    return false;
}

/* Does e mention state (want_state) or one of the params? */
static bool mentions(const Expr *e, const PtrVec *params, bool want_state)
{
    if (!e)
        return false;
    switch (e->kind) {
    case EXPR_PATH: {
        const Ident *head = e->path.segs.len ? e->path.segs.items[0] : NULL;
        if (want_state)
            return head && strcmp(head->name, "state") == 0;
        return is_param_path(e, params);
    }
    case EXPR_CALL:
        VEC_FOREACH(Expr *, x, e->call.args)
            if (mentions(x, params, want_state))
                return true;
        return false;
    case EXPR_SLICE:
        return mentions(e->slice.base, params, want_state) || mentions(e->slice.lo, params, want_state) ||
               mentions(e->slice.hi, params, want_state);
    case EXPR_ELEM:
        return mentions(e->elem.base, params, want_state) || mentions(e->elem.index, params, want_state);
    case EXPR_BINOP:
        return mentions(e->bin.lhs, params, want_state) || mentions(e->bin.rhs, params, want_state);
    case EXPR_UNOP:
        return mentions(e->un.operand, params, want_state);
    case EXPR_IF:
        return mentions(e->ifelse.cond, params, want_state) ||
               mentions(e->ifelse.then, params, want_state) || mentions(e->ifelse.els, params, want_state);
    case EXPR_QUANT:
        return mentions(e->quant.body, params, want_state);
    default:
        return false;
    }
}

static void check_mixed(SemaProgram *sp, const Expr *e, const PtrVec *params)
{
    if (!e)
        return;
    if (e->kind == EXPR_BINOP && e->bin.op == OP_LAND) {
        check_mixed(sp, e->bin.lhs, params);
        check_mixed(sp, e->bin.rhs, params);
        return;
    }
    if (!mentions(e, params, true) || !mentions(e, params, false))
        return;
    bool cmp = e->kind == EXPR_BINOP && (e->bin.op == OP_LT || e->bin.op == OP_GT ||
                                         e->bin.op == OP_LE || e->bin.op == OP_GE);
    if (cmp && (is_param_path(e->bin.lhs, params) || is_param_path(e->bin.rhs, params)))
        return;
    diag_error(sp->diag, e->loc, "unsupported mixed pre-condition form detected: a clause that "
               "mentions both state and a parameter must be `param OP e` or `e OP param` with OP "
               "one of < > <= >=");
}

/* ---- methods ------------------------------------------------------------ */

static const char *const prop_names[] = {
#define X(k, s) s,
    METHOD_PROPS(X)
#undef X
};
enum { N_PROPS = sizeof prop_names / sizeof prop_names[0] };

static unsigned method_props(SemaProgram *sp, SemaUnit *u, Method *m)
{
    Diag *d = sp->diag;
    bool os = u->kind == UNIT_OSSPEC;
    unsigned props = 0;
    VEC_FOREACH(Decorator *, dc, m->decorators) {
        const char *name = dc->name.name ? dc->name.name : "";
        int k = 0;
        while (k < N_PROPS && strcmp(prop_names[k], name) != 0)
            k++;
        if (k == N_PROPS) {
            diag_error(d, dc->name.loc, "unsupported method property `%s`", name);
            continue;
        }
        bool os_prop = k == PROP_MALLOC_BIT_ || k == PROP_MFREE_BIT_;
        if (os_prop != os) {
            diag_error(d, dc->name.loc, "unsupported method property `%s` in %s context", name,
                       os ? "OSSpec" : "non-OSSpec");
            continue;
        }
        if (dc->arg)
            diag_error(d, dc->name.loc, "method property `%s` doesn't support arguments", name);
        if (props & (1u << k))
            diag_warning(d, dc->name.loc, "ignoring double defined property `%s`", name);
        props |= 1u << k;
    }
    /* #[remap] / #[invariant] mark predicates over the state */
    if (props & (MPROP(PROP_REMAP) | MPROP(PROP_INVARIANT))) {
        if (!m->ret || m->ret->kind != TYPE_BOOL)
            diag_warning(d, m->ret ? m->ret->loc : m->name.loc,
                         "methods with properties must have a boolean return type");
        if (m->requires.len)
            diag_warning(d, ((Expr *)m->requires.items[0])->loc,
                         "methods with properties should not have a requires clause");
    }
    return props;
}

static void check_modifiers(SemaProgram *sp, SemaUnit *u, Method *m)
{
    Diag *d = sp->diag;
    Loc at = m->name.loc;
    if (m->body && (m->is_extern || m->is_abstract || m->is_synth))
        diag_error(d, at, "method defined as %s cannot have a body",
                   m->is_extern ? "extern" : m->is_abstract ? "abstract" : "synth");
    if (!m->body && !m->is_extern && !m->is_abstract && !m->is_synth)
        diag_error(d, at, "method with no body must be declared extern, abstract or synth");
    if (m->is_synth && m->is_abstract && !m->is_extern)
        diag_warning(d, at, "declaring a synth method abstract has no effect");
    if (m->is_extern && m->is_abstract)
        diag_error(d, at, "an extern method cannot be abstract");
    if (m->is_extern && m->is_synth)
        diag_error(d, at, "an extern method cannot be synth");
    if (u->kind == UNIT_OSSPEC) {
        if (m->is_abstract)
            diag_error(d, at, "OS specification does not support abstract methods");
        if (m->is_synth)
            diag_error(d, at, "OS specification does not support synth methods");
        return;
    }
    if (m->is_extern)
        diag_error(d, at, "%s specifications do not allow extern functions",
                   unit_kind_names[u->kind]);
    if (m->is_abstract && !u->is_abstract)
        diag_error(d, at, "method `%s::%s` is declared abstract, but enclosing unit is not",
                   u->name, m->name.name);
}

/* A method param must not repeat another or shadow a unit param, a unit
 * const or a global name (the reference has no shadowing). */
static void check_param_name(SemaProgram *sp, SemaUnit *u, Method *m, int i)
{
    Param *p = m->params.items[i];
    const char *name = p->name.name;
    units_warn_snake(sp, &p->name, "parameter");
    for (int j = 0; j < i; j++) {
        Param *q = m->params.items[j];
        if (q->name.name && strcmp(q->name.name, name) == 0) {
            units_double_def(sp, p->name.loc, name, q->name.loc);
            return;
        }
    }
    Param *up = units_param(u, name);
    if (up) {
        units_double_def(sp, p->name.loc, name, up->name.loc);
        return;
    }
    VEC_FOREACH(SConst *, k, u->consts)
        if (k->ast && strcmp(k->ast->name.name, name) == 0) {
            units_double_def(sp, p->name.loc, name, k->ast->name.loc);
            return;
        }
    Symbol *g = sema_global(sp, name);
    if (g)
        units_double_def(sp, p->name.loc, name, g->loc);
}

static void check_params(SemaProgram *sp, SemaUnit *u, Method *m, bool *flags_reported)
{
    for (int i = 0; i < m->params.len; i++) {
        Param *p = m->params.items[i];
        if (!p->name.name)
            continue;
        check_param_name(sp, u, m, i);
        SemaType t;
        units_resolve_type(sp, u, &p->type, &t);
        /* 2021 specs had no flags declarations: their flags are the empty set */
        if (p->type.kind == TYPE_FLAGS && !sp->has_flags && !u->unit_flags && !*flags_reported &&
            u->ast->form != SYNTAX_LEGACY) {
            diag_error(sp->diag, type_loc(p), "type `flags` used but no flags {} block is defined");
            *flags_reported = true;
        }
    }
}

static SemaType method_ret(SemaProgram *sp, SemaUnit *u, Method *m)
{
    SemaType t = { .kind = TYPE_VOID };
    if (!m->ret) {
        if (!m->is_extern && !is_map_like(m->name.name))
            diag_error(sp->diag, m->name.loc,
                       "return type `()` is only allowed for map/unmap/protect");
        return t;
    }
    TypeKind k = m->ret->kind;
    if (m->is_extern) {
        if (!units_resolve_type(sp, u, m->ret, &t))
            t.kind = TYPE_INT;
        return t;
    }
    if (k == TYPE_NAMED || k == TYPE_FLAGS) {
        diag_error(sp->diag, m->ret->loc, "unsupported type: function returns only support "
                   "built-in types other than flags (found `%s`)",
                   k == TYPE_NAMED && m->ret->name ? m->ret->name : type_kind_names[k]);
        t.kind = k == TYPE_FLAGS ? TYPE_FLAGS : TYPE_INT;
        return t;
    }
    t.kind = k;
    return t;
}

static SMethod *new_method(SemaProgram *sp, SemaUnit *u, Method *m, bool *flags_reported)
{
    SMethod *sm = arena_alloc(sp->arena, sizeof *sm);
    sm->ast = m;
    sm->owner = u;
    sm->name = m->name.name;
    sm->is_abstract = m->is_abstract;
    sm->is_synth = m->is_synth;
    sm->is_extern = m->is_extern;
    sm->params = m->params;
    sm->requires = m->requires;
    sm->ensures = m->ensures;
    sm->body = m->body;
    sm->loc = m->loc;
    units_warn_snake(sp, &m->name, "method");
    sm->props = method_props(sp, u, m);
    check_modifiers(sp, u, m);
    check_params(sp, u, m, flags_reported);
    sm->ret = method_ret(sp, u, m);
    check_special(sp, u, m);
    if (strcmp(sm->name, "translate") == 0)
        VEC_FOREACH(Expr *, r, m->requires) check_mixed(sp, r, &m->params);
    return sm;
}

/* Add an own method: it may override an inherited abstract method only. */
static void add_method(SemaProgram *sp, SemaUnit *u, SMethod *sm, int inherited)
{
    for (int i = 0; i < u->methods.len; i++) {
        SMethod *old = u->methods.items[i];
        if (strcmp(old->name, sm->name) != 0)
            continue;
        Loc at = sm->ast->name.loc;
        Loc first = old->ast ? old->ast->name.loc : old->loc;
        if (i >= inherited || old->owner == u) {
            units_double_def(sp, at, sm->name, first);
        } else if (old->is_abstract) {
            u->methods.items[i] = sm;
        } else {
            diag_error(sp->diag, at, "duplicate definitions with name `%s` (overrides the "
                       "non-abstract method of `%s`)", sm->name, old->owner->name);
            diag_note(sp->diag, first, "`%s` was first defined here", sm->name);
        }
        return;
    }
    Param *up = units_param(u, sm->name);
    Symbol *g = up ? NULL : sema_global(sp, sm->name);
    if (up || g)
        units_double_def(sp, sm->ast->name.loc, sm->name, up ? up->name.loc : g->loc);
    vec_push(sp->arena, &u->methods, sm);
}

static void build_methods(SemaProgram *sp, SemaUnit *u)
{
    SemaUnit *p = u->parent;
    if (p && p->kind == UNIT_SEGMENT && u->kind == UNIT_SEGMENT)
        VEC_FOREACH(SMethod *, m, p->methods)
            if (!m->is_default)
                vec_push(sp->arena, &u->methods, m);
    int inherited = u->methods.len;
    bool flags_reported = false;
    VEC_FOREACH(Item *, it, u->ast->items)
        if (it->kind == ITEM_METHOD && it->method && it->method->name.name)
            add_method(sp, u, new_method(sp, u, it->method, &flags_reported), inherited);
}

/* ---- segments ----------------------------------------------------------- */

static void check_segment(SemaProgram *sp, SemaUnit *u)
{
    Diag *d = sp->diag;
    VEC_FOREACH(Item *, it, u->ast->items) {
        if (it->kind == ITEM_MAPS)
            units_warn_ignored(sp, u, it->loc, "maps");
        else if (it->kind == ITEM_EXTERN_TYPE)
            diag_error(d, it->loc, "extern type in a segment is not supported");
    }
    if (u->is_abstract)
        return;
    Loc at = u->ast->name.loc;
    if (!u->has_state)
        diag_error(d, at, "segment unit has no state definition");
    if (!u->has_iface)
        diag_error(d, at, "segment unit has no interface definition");
    VEC_FOREACH(SMethod *, m, u->methods)
        if (m->is_abstract && m->owner != u) {
            diag_error(d, at, "method `%s::%s` is declared abstract, but enclosing unit `%s` is "
                       "not (it is not implemented here)", m->owner->name, m->name, u->name);
            diag_note(d, m->ast ? m->ast->name.loc : m->loc, "`%s` is declared here", m->name);
        }
    for (int i = 0; i < N_SPECIALS; i++) {
        if (sema_method(u, specials[i].name))
            continue;
        diag_warning(d, at, "segment unit has no `%s` method defined; using default implementation",
                     specials[i].name);
        vec_push(sp->arena, &u->methods, default_method(sp, u, &specials[i]));
    }
}

/* ---- driver ------------------------------------------------------------- */

static void check_unit(UnitsCtx *c, SemaUnit *u)
{
    SemaProgram *sp = c->sp;
    check_header(sp, u);
    check_unit_flags(sp, u);
    build_methods(sp, u);
    switch (u->kind) {
    case UNIT_SEGMENT:
        check_segment(sp, u);
        break;
    case UNIT_STATICMAP:
        maps_check_staticmap(c, u);
        break;
    case UNIT_ENUM:
        maps_check_enum(c, u);
        break;
    case UNIT_OSSPEC:
        maps_check_osspec(c, u);
        break;
    }
}

static void report_cycle(UnitsCtx *c, SemaUnit *u, Loc use)
{
    int k = 0;
    while (k < c->chain.len && c->chain.items[k] != u)
        k++;
    Loc at = k + 1 < c->uses.len ? *(Loc *)c->uses.items[k + 1] : use;
    for (int i = k; i < c->chain.len; i++)
        vec_push(c->sp->arena, &c->broken, c->chain.items[i]);
    if (k + 1 >= c->chain.len) {
        diag_error(c->sp->diag, at, "definition cycle: %s `%s` contains itself",
                   unit_kind_names[u->kind], u->name);
        return;
    }
    char buf[512];
    size_t n = 0;
    for (int i = k; i < c->chain.len && n < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s -> ",
                              ((SemaUnit *)c->chain.items[i])->name);
    if (n < sizeof buf)
        snprintf(buf + n, sizeof buf - n, "%s", u->name);
    diag_error(c->sp->diag, at, "definition cycle: %s", buf);
}

static bool is_broken(const UnitsCtx *c, const SemaUnit *u)
{
    VEC_FOREACH(SemaUnit *, b, c->broken)
        if (b == u)
            return true;
    return false;
}

bool units_ensure(UnitsCtx *c, SemaUnit *u, Loc use)
{
    if (!u || !u->ast)
        return false;
    if (u->units_state == 2)
        return !is_broken(c, u);
    if (u->units_state == 1) {
        report_cycle(c, u, use);
        return false;
    }
    u->units_state = 1;
    if (u->parent)
        units_ensure(c, u->parent, u->ast->parent ? u->ast->parent->loc : use);
    Loc *l = arena_alloc(c->sp->arena, sizeof *l);
    *l = use;
    vec_push(c->sp->arena, &c->chain, u);
    vec_push(c->sp->arena, &c->uses, l);
    check_unit(c, u);
    c->chain.len--;
    c->uses.len--;
    u->units_state = 2;
    return !is_broken(c, u);
}

void units_check(SemaProgram *sp)
{
    UnitsCtx c = { sp, { 0 }, { 0 }, { 0 }, 0 };
    VEC_FOREACH(SemaUnit *, u, sp->units) units_ensure(&c, u, u->ast ? u->ast->name.loc : (Loc){ 0 });

    /* A program describes one OS environment: a second osspec is ambiguous. */
    int n = 0;
    VEC_FOREACH(SemaUnit *, u, sp->units) n += u->kind == UNIT_OSSPEC;
    bool first = true;
    VEC_FOREACH(SemaUnit *, u, sp->units) {
        if (u->kind != UNIT_OSSPEC)
            continue;
        if (!first)
            diag_error(sp->diag, u->ast->name.loc, "expected a single OS specification, but found %d", n);
        first = false;
    }
}
