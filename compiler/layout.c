/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * layout.c - state and interface layouts of every segment.
 *
 * Input: the SemaUnits of resolve.c (params, parent, widths). Output, per
 * segment: SemaUnit.state and .iface (SField*, inherited fields first, then
 * the unit's own), state_params / iface_params and has_state / has_iface.
 * Checks §2.2 "State" and "Interface" of the language reference: params,
 * field names, sizes, mem offsets and bases, byte-range overlap, slice
 * ranges and overlap, `reg` fields shared across units (the first definition
 * wins; later ones must agree in size and layout), merging of repeated
 * Layout / ReadActions / WriteActions blocks, the coupling of an interface
 * field with its same-named state field (copied layout, default actions) and
 * the structural action checks (lvalue destinations, conflicting
 * destinations). The types in actions are checked later by typecheck.c.
 * Staticmaps and OS specs ignore state and interface blocks with a warning.
 */
#include <stdio.h>
#include <string.h>

#include "sema.h"
#include "units.h"

typedef struct Lay {
    SemaProgram *sp;
    SField     **regs;      /* open-addressing set: first definition of each shared register */
    int          nregs, regs_cap;
} Lay;

/* ---- small helpers ------------------------------------------------------ */

/* Expression text for messages, truncated. */
typedef struct Buf {
    char   s[128];
    size_t n;
} Buf;

static void put(Buf *b, const char *s)
{
    while (s && *s && b->n + 4 < sizeof b->s)
        b->s[b->n++] = *s++;
    if (s && *s && b->n + 4 >= sizeof b->s && b->n < sizeof b->s - 3) {
        memcpy(b->s + b->n, "...", 3);
        b->n += 3;
    }
    b->s[b->n] = '\0';
}

static void put_expr(Buf *b, const Expr *e, int depth)
{
    char num[32];
    if (!e || depth > 6) {
        put(b, "...");
        return;
    }
    switch (e->kind) {
    case EXPR_NUM:
        snprintf(num, sizeof num, "%llu", (unsigned long long)e->num.value);
        put(b, e->num.text ? e->num.text : num);
        break;
    case EXPR_BOOL:
        put(b, e->boolean ? "true" : "false");
        break;
    case EXPR_PATH:
        for (int i = 0; i < e->path.segs.len; i++) {
            const Ident *id = e->path.segs.items[i];
            if (i)
                put(b, ".");
            put(b, id->name);
        }
        break;
    case EXPR_SLICE:
        put_expr(b, e->slice.base, depth + 1);
        put(b, "[");
        put_expr(b, e->slice.lo, depth + 1);
        put(b, "..");
        put_expr(b, e->slice.hi, depth + 1);
        put(b, "]");
        break;
    case EXPR_BINOP:
        put_expr(b, e->bin.lhs, depth + 1);
        put(b, " ");
        put(b, binop_spelling[e->bin.op]);
        put(b, " ");
        put_expr(b, e->bin.rhs, depth + 1);
        break;
    case EXPR_UNOP:
        put(b, unop_spelling[e->un.op]);
        put_expr(b, e->un.operand, depth + 1);
        break;
    case EXPR_CALL:
        put_expr(b, e->call.callee, depth + 1);
        put(b, "(..)");
        break;
    default:
        put(b, expr_kind_names[e->kind]);
        put(b, " expression");
        break;
    }
}

static const char *expr_text(Lay *c, const Expr *e)
{
    Buf b = { .n = 0 };
    b.s[0] = '\0';
    put_expr(&b, e, 0);
    return arena_strdup(c->sp->arena, b.s);
}

/* The value of a literal (sizes, offsets and slice bounds are NUM tokens;
 * anything else goes through the constant folder). */
static bool literal(Lay *c, const SemaUnit *u, Expr *e, uint64_t *out)
{
    if (!e)
        return false;
    if (e->kind == EXPR_NUM) {
        *out = e->num.value;
        return true;
    }
    return const_eval(c->sp, u, e, NULL, true, out);
}

static Param *find_param(PtrVec params, const char *name)
{
    VEC_FOREACH(Param *, p, params)
        if (p->name.name && strcmp(p->name.name, name) == 0)
            return p;
    return NULL;
}

static bool same_typeref(const TypeRef *a, const TypeRef *b)
{
    if (a->kind != b->kind)
        return false;
    return a->kind != TYPE_NAMED || (a->name && b->name && strcmp(a->name, b->name) == 0);
}

/* ---- params ------------------------------------------------------------- */

/* state(..) / interface(..) params name unit params, with the same type. */
static void block_params(Lay *c, SemaUnit *u, FieldBlock *b, PtrVec *out, int inherited)
{
    Diag *d = c->sp->diag;
    const char *blk = b->is_interface ? "interface" : "state";
    VEC_FOREACH(Param *, p, b->params) {
        const char *name = p->name.name;
        if (!name)
            continue;
        Param *dup = find_param(*out, name);
        if (dup) {
            int idx = 0;
            while (idx < out->len && out->items[idx] != dup)
                idx++;
            if (idx < inherited) {
                diag_error(d, p->name.loc, "%s parameter `%s` already defined in parent %s", blk, name,
                           blk);
                diag_note(d, dup->name.loc, "`%s` is defined here", name);
            } else {
                units_double_def(c->sp, p->name.loc, name, dup->name.loc);
            }
            continue;
        }
        Param *up = units_param(u, name);
        if (!up) {
            const char *kind = units_symbol_kind(c->sp, u, name);
            if (kind)
                diag_error(d, p->name.loc,
                           "parameter `%s` was defined as a different kind of symbol (%s)", name, kind);
            else
                diag_error(d, p->name.loc,
                           "no symbol named `%s` found in the current scope (%s parameters must be "
                           "unit parameters)", name, blk);
            continue;
        }
        if (!same_typeref(&up->type, &p->type)) {
            diag_error(d, p->type.loc.file ? p->type.loc : p->loc,
                       "parameter type mismatch: must have the same type as the unit parameter");
            diag_note(d, up->loc, "unit parameter `%s` is declared here", name);
        }
        vec_push(c->sp->arena, out, p);
    }
}

/* ---- fields ------------------------------------------------------------- */

/* Size in bytes: 1, 2, 4 or 8; 16/32/64 are taken as bits. *ok is cleared
 * (and 8 returned) when the size is unusable. */
static uint64_t field_size(Lay *c, SemaUnit *u, Field *f, bool *ok)
{
    uint64_t n;
    *ok = false;
    if (!f->size || !literal(c, u, f->size, &n))
        return 8;
    switch (n) {
    case 1: case 2: case 4: case 8:
        *ok = true;
        return n;
    case 16: case 32: case 64:
        diag_warning(c->sp->diag, f->size->loc,
                     "size in bits given, bytes expected; converting to %llu bytes",
                     (unsigned long long)(n / 8));
        *ok = true;
        return n / 8;
    default:
        diag_error(c->sp->diag, f->size->loc, "unsupported size of the memory field: %llu",
                   (unsigned long long)n);
        return 8;
    }
}

/* mem/mmio: the base names a unit param; the offset is a multiple of the size. */
static void field_base_offset(Lay *c, SemaUnit *u, Field *f, SField *sf, bool size_ok)
{
    Diag *d = c->sp->diag;
    sf->base = f->base.name;
    if (f->base.name && !units_param(u, f->base.name)) {
        const char *kind = units_symbol_kind(c->sp, u, f->base.name);
        if (kind)
            diag_error(d, f->base.loc,
                       "`%s` is not a parameter (%s): the base of a memory field must be a unit "
                       "parameter", f->base.name, kind);
        else
            diag_error(d, f->base.loc, "no symbol named `%s` found in the current scope",
                       f->base.name);
    }
    uint64_t off = 0;
    if (f->offset && literal(c, u, f->offset, &off)) {
        sf->offset = off;
        if (size_ok && off % sf->size)
            diag_error(d, f->offset->loc, "offset is not a multiple of size of the memory field");
    }
}

static SField *new_field(Lay *c, SemaUnit *u, Field *f, bool iface, bool *size_ok)
{
    SField *sf = arena_alloc(c->sp->arena, sizeof *sf);
    sf->ast = f;
    sf->kind = f->kind;
    sf->is_interface = iface;
    sf->name = f->name.name;
    sf->loc = f->name.loc;
    units_warn_snake(c->sp, &f->name, "field");
    *size_ok = false;
    if (f->kind == FIELD_INSTR)
        return sf;          /* an instruction has no storage */
    sf->size = field_size(c, u, f, size_ok);
    if (f->kind == FIELD_MEM || f->kind == FIELD_MMIO)
        field_base_offset(c, u, f, sf, *size_ok);
    return sf;
}

/* ---- slices ------------------------------------------------------------- */

static uint64_t bit_mask(unsigned lo, unsigned hi)
{
    if (hi > 64)
        hi = 64;
    if (lo >= hi)
        return 0;
    uint64_t w = hi - lo;
    return (w == 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1)) << lo;
}

static SSlice *new_slice(Lay *c, SField *sf, const char *name, unsigned lo, unsigned hi, Loc loc)
{
    SSlice *s = arena_alloc(c->sp->arena, sizeof *s);
    s->name = name;
    s->lo = lo;
    s->hi = hi;
    s->loc = loc;
    s->field = sf;
    vec_push(c->sp->arena, &sf->slices, s);
    return s;
}

static void add_slice(Lay *c, SemaUnit *u, SField *sf, Slice *s, bool size_ok)
{
    Diag *d = c->sp->diag;
    uint64_t lo, hi, bits = sf->size * 8;
    if (!s->name.name || !literal(c, u, s->lo, &lo) || !literal(c, u, s->hi, &hi))
        return;
    if (lo == hi)
        diag_warning(d, s->loc, "empty range");
    else if (lo > hi)
        diag_warning(d, s->loc, "start of range is larger than the end");
    if (size_ok && (lo > bits || hi > bits))
        diag_error(d, s->loc, "end of range exceeds maximum number of bits of field (%llu)",
                   (unsigned long long)bits);
    SSlice *dup = sema_slice(sf, s->name.name);
    if (dup) {
        const char *full = arena_printf(c->sp->arena, "%s.%s.%s",
                                        sf->is_interface ? "interface" : "state", sf->name,
                                        s->name.name);
        units_double_def(c->sp, s->name.loc, full, dup->loc);
        return;
    }
    /* keep bounds inside the field so later stages can build masks blindly;
     * a reversed range is empty, as in the reference */
    if (lo > bits)
        lo = bits;
    if (hi > bits)
        hi = bits;
    if (hi < lo)
        hi = lo;
    new_slice(c, sf, s->name.name, (unsigned)lo, (unsigned)hi, s->loc);
}

/* Report the first bit of each slice that an earlier slice already covers. */
static void slice_overlap(Lay *c, SField *sf, int first)
{
    uint64_t seen = 0;
    for (int i = 0; i < sf->slices.len; i++) {
        SSlice *s = sf->slices.items[i];
        uint64_t m = bit_mask(s->lo, s->hi);
        if (i >= first && (seen & m)) {
            int bit = __builtin_ctzll(seen & m);
            diag_error(c->sp->diag, s->loc, "field slices overlap at bit %d", bit);
            for (int j = 0; j < i; j++) {
                SSlice *o = sf->slices.items[j];
                if (bit_mask(o->lo, o->hi) & ((uint64_t)1 << bit)) {
                    diag_note(c->sp->diag, o->loc, "overlaps slice `%s`", o->name);
                    break;
                }
            }
        }
        seen |= m;
    }
}

static void add_slices(Lay *c, SemaUnit *u, SField *sf, PtrVec slices, bool size_ok)
{
    int first = sf->slices.len;
    VEC_FOREACH(Slice *, s, slices) add_slice(c, u, sf, s, size_ok);
    slice_overlap(c, sf, first);
}

static void implicit_slice(Lay *c, SField *sf)
{
    SSlice *s = new_slice(c, sf, "val", 0, (unsigned)(sf->size * 8), sf->loc);
    s->implicit = true;
}

/* ---- memory overlap and shared registers -------------------------------- */

/* Byte ranges of `mem` fields with the same base must be disjoint; fields
 * from `own` on are the unit's own. */
static void mem_overlap(Lay *c, PtrVec fields, int own)
{
    for (int j = own; j < fields.len; j++) {
        SField *b = fields.items[j];
        if (b->kind != FIELD_MEM || !b->base)
            continue;
        for (int i = 0; i < j; i++) {
            SField *a = fields.items[i];
            if (a->kind != FIELD_MEM || !a->base || strcmp(a->base, b->base) != 0)
                continue;
            if (a->offset < b->offset + b->size && b->offset < a->offset + a->size) {
                diag_error(c->sp->diag, b->loc, "memory field range overlap with `%s`", a->name);
                diag_note(c->sp->diag, a->loc, "`%s` covers bytes [%llu, %llu)", a->name,
                          (unsigned long long)a->offset,
                          (unsigned long long)(a->offset + a->size));
                break;
            }
        }
    }
}

static Loc slice_name_loc(const SField *f, const SSlice *s)
{
    if (f->ast)
        VEC_FOREACH(Slice *, x, f->ast->slices)
            if (x->name.name && strcmp(x->name.name, s->name) == 0)
                return x->name.loc;
    return f->loc;
}

static unsigned long name_hash(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    return h;
}

static SField *reg_find(const Lay *c, const char *name)
{
    if (!c->regs_cap)
        return NULL;
    unsigned long mask = (unsigned long)c->regs_cap - 1;
    for (unsigned long i = name_hash(name) & mask; c->regs[i]; i = (i + 1) & mask)
        if (strcmp(c->regs[i]->name, name) == 0)
            return c->regs[i];
    return NULL;
}

static void reg_insert(SField **tab, int cap, SField *f)
{
    unsigned long mask = (unsigned long)cap - 1;
    unsigned long i = name_hash(f->name) & mask;
    while (tab[i])
        i = (i + 1) & mask;
    tab[i] = f;
}

static void reg_add(Lay *c, SField *f)
{
    if ((c->nregs + 1) * 2 > c->regs_cap) {
        int cap = c->regs_cap ? c->regs_cap * 2 : 64;
        SField **tab = arena_alloc(c->sp->arena, sizeof *tab * (size_t)cap);
        for (int i = 0; i < c->regs_cap; i++)
            if (c->regs[i])
                reg_insert(tab, cap, c->regs[i]);
        c->regs = tab;
        c->regs_cap = cap;
    }
    reg_insert(c->regs, c->regs_cap, f);
    c->nregs++;
}

/* A `reg` state field is shared by every unit that names it: the first
 * definition wins, later ones must have the same size and layout. Returns
 * the field the unit gets: its own, or the first definition on a mismatch. */
static SField *shared_reg(Lay *c, SField *sf)
{
    Diag *d = c->sp->diag;
    SField *first = reg_find(c, sf->name);
    if (!first) {
        reg_add(c, sf);
        return sf;
    }
    if (first->size != sf->size) {
        diag_error(d, sf->loc, "field size mismatch: shared register fields must have the same "
                   "size (%llu vs %llu bytes)", (unsigned long long)sf->size,
                   (unsigned long long)first->size);
        diag_note(d, first->loc, "register `%s` is first defined here", first->name);
        return first;   /* the size of the register is the first definition's */
    }
    if (first->slices.len != sf->slices.len) {
        diag_error(d, sf->loc, "field layout mismatch: number of slices does not match (shared "
                   "register `%s`)", sf->name);
        diag_note(d, first->loc, "register `%s` is first defined here", first->name);
        return sf;
    }
    for (int i = 0; i < sf->slices.len; i++) {
        SSlice *a = first->slices.items[i], *b = sf->slices.items[i];
        if (strcmp(a->name, b->name) != 0)
            diag_error(d, slice_name_loc(sf, b),
                       "field slice identifier mismatch (shared register `%s`: `%s` vs %s`%s`)",
                       sf->name, b->name, a->implicit ? "implicit " : "", a->name);
        else if (a->lo != b->lo)
            diag_error(d, b->loc, "start bit offset mismatch (shared register `%s`: %u vs %u)",
                       sf->name, b->lo, a->lo);
        else if (a->hi != b->hi)
            diag_error(d, b->loc, "end bit offset mismatch (shared register `%s`: %u vs %u)",
                       sf->name, b->hi, a->hi);
        else
            continue;
        diag_note(d, a->loc, "register `%s` is first defined here", first->name);
        break;      /* keep the unit's own slices: its expressions name them */
    }
    return sf;
}

/* ---- state -------------------------------------------------------------- */

static bool dup_field(Lay *c, PtrVec fields, int own, Field *f, const char *blk)
{
    SField *prev = sema_field(fields, f->name.name);
    if (!prev)
        return false;
    int idx = 0;
    while (idx < fields.len && fields.items[idx] != prev)
        idx++;
    if (idx < own) {
        diag_error(c->sp->diag, f->name.loc, "%s field `%s` already defined in parent %s", blk,
                   f->name.name, blk);
        diag_note(c->sp->diag, prev->loc, "`%s` is defined here", prev->name);
    } else {
        const char *full = arena_printf(c->sp->arena, "%s.%s", blk, f->name.name);
        units_double_def(c->sp, f->name.loc, full, prev->loc);
    }
    return true;
}

static void lay_state(Lay *c, SemaUnit *u, FieldBlock *b)
{
    int own = u->state.len;
    block_params(c, u, b, &u->state_params, u->state_params.len);
    u->has_state = true;
    VEC_FOREACH(Field *, f, b->fields) {
        if (!f->name.name || dup_field(c, u->state, own, f, "state"))
            continue;
        bool size_ok;
        SField *sf = new_field(c, u, f, false, &size_ok);
        if (f->slices.len)
            add_slices(c, u, sf, f->slices, size_ok);
        if (!sf->slices.len && f->kind != FIELD_INSTR)
            implicit_slice(c, sf);
        if (sf->kind == FIELD_REG && size_ok)
            sf = shared_reg(c, sf);
        vec_push(c->sp->arena, &u->state, sf);
    }
    mem_overlap(c, u->state, own);
}

/* ---- interface ---------------------------------------------------------- */

/* The nodes of an interface field, with repeated blocks merged. */
typedef struct Nodes {
    PtrVec layout;           /* Slice* */
    bool   has_layout, has_actions;
} Nodes;

static void collect_nodes(Lay *c, Field *f, SField *sf, Nodes *n)
{
    static const char *const what[] = { "layout", "read-action", "write-action" };
    bool seen[3] = { false, false, false };
    VEC_FOREACH(FieldNode *, nd, f->nodes) {
        int k = nd->kind == NODE_LAYOUT ? 0 : nd->kind == NODE_READ_ACTIONS ? 1 : 2;
        if (seen[k])
            diag_warning(c->sp->diag, nd->loc, "two %s blocks detected; merging them", what[k]);
        seen[k] = true;
        PtrVec *dst = k == 0 ? &n->layout : k == 1 ? &sf->read_actions : &sf->write_actions;
        VEC_FOREACH(void *, item, nd->items) vec_push(c->sp->arena, dst, item);
    }
    n->has_layout = seen[0];
    n->has_actions = seen[1] || seen[2];
}

static Expr *field_path(Arena *a, const char *root, const char *field, const char *slice, Loc loc)
{
    Expr *e = ast_path1(a, root, loc);
    const char *names[2] = { field, slice };
    for (int i = 0; i < 2 && names[i]; i++) {
        Ident *id = arena_alloc(a, sizeof *id);
        id->name = names[i];
        id->loc = loc;
        vec_push(a, &e->path.segs, id);
    }
    return e;
}

static void add_action(Lay *c, PtrVec *list, const char *from, const char *to, SField *f,
                       const char *slice)
{
    Arena *a = c->sp->arena;
    Action *ac = arena_alloc(a, sizeof *ac);
    ac->lhs = field_path(a, from, f->name, slice, f->loc);
    ac->rhs = field_path(a, to, f->name, slice, f->loc);
    ac->arrow = ARROW_RIGHT;
    ac->loc = f->loc;
    vec_push(a, list, ac);
}

/* Default actions of a coupled field: read `state.f -> interface.f`, write
 * `interface.f -> state.f`, one per slice the two layouts share (so every
 * path names a single slice); two single-slice fields are paired whole. */
static void default_actions(Lay *c, SField *in, SField *st)
{
    bool any = false;
    VEC_FOREACH(SSlice *, s, in->slices) {
        if (!sema_slice(st, s->name))
            continue;
        add_action(c, &in->read_actions, "state", "interface", in, s->name);
        add_action(c, &in->write_actions, "interface", "state", in, s->name);
        any = true;
    }
    if (!any && in->slices.len == 1 && st->slices.len == 1) {
        add_action(c, &in->read_actions, "state", "interface", in, NULL);
        add_action(c, &in->write_actions, "interface", "state", in, NULL);
    }
}

static void copy_layout(Lay *c, SField *in, const SField *st)
{
    VEC_FOREACH(SSlice *, s, st->slices) {
        SSlice *n = new_slice(c, in, s->name, s->lo, s->hi, s->loc);
        n->implicit = s->implicit;
    }
}

static bool kinds_couple(FieldKind in, FieldKind st)
{
    if (in == FIELD_INSTR)
        return true;
    if (in == FIELD_MEM)
        return st == FIELD_MEM;
    return st == FIELD_REG;      /* reg and mmio interface fields */
}

/* Couple an interface field with the same-named state field, if any. */
static void couple(Lay *c, SemaUnit *u, SField *in, const Nodes *n)
{
    SField *st = sema_field(u->state, in->name);
    if (!st)
        return;
    Diag *d = c->sp->diag;
    if (!kinds_couple(in->kind, st->kind)) {
        diag_warning(d, in->loc, "state and interface have a field with the same name, but of "
                     "different kind (%s vs %s)", field_kind_names[in->kind],
                     field_kind_names[st->kind]);
        diag_note(d, st->loc, "state field `%s` is defined here", st->name);
        return;
    }
    in->coupled = st;
    if (in->kind == FIELD_INSTR)
        return;
    if (in->size != st->size) {
        diag_warning(d, in->loc, "state and interface have a field with the same name, but of "
                     "different size (%llu vs %llu bytes)", (unsigned long long)in->size,
                     (unsigned long long)st->size);
        diag_note(d, st->loc, "state field `%s` is defined here", st->name);
    } else if (!n->has_layout) {
        copy_layout(c, in, st);
    }
    if (!in->slices.len)
        implicit_slice(c, in);
    if (!n->has_actions)
        default_actions(c, in, st);
}

static void lay_iface_field(Lay *c, SemaUnit *u, Field *f)
{
    bool size_ok;
    SField *sf = new_field(c, u, f, true, &size_ok);
    Nodes n = { .has_layout = false };
    collect_nodes(c, f, sf, &n);
    if (sf->kind == FIELD_INSTR) {
        if (n.has_layout && n.layout.len)
            diag_warning(c->sp->diag, f->name.loc,
                         "instruction `%s` has a layout description that will be ignored", sf->name);
    } else if (n.has_layout) {
        add_slices(c, u, sf, n.layout, size_ok);
    }
    couple(c, u, sf, &n);
    if (!sf->slices.len && sf->kind != FIELD_INSTR)
        implicit_slice(c, sf);
    vec_push(c->sp->arena, &u->iface, sf);
}

static void lay_iface(Lay *c, SemaUnit *u, FieldBlock *b)
{
    int own = u->iface.len;
    block_params(c, u, b, &u->iface_params, u->iface_params.len);
    u->has_iface = true;
    VEC_FOREACH(Field *, f, b->fields)
        if (f->name.name && !dup_field(c, u->iface, own, f, "interface"))
            lay_iface_field(c, u, f);
    mem_overlap(c, u->iface, own);
}

/* ---- actions ------------------------------------------------------------ */

static const Expr *dst_path(const Expr *e)
{
    return e && e->kind == EXPR_SLICE ? e->slice.base : e;
}

static bool literal_range(const Expr *e, uint64_t *lo, uint64_t *hi)
{
    if (!e || e->kind != EXPR_SLICE || !e->slice.lo || !e->slice.hi ||
        e->slice.lo->kind != EXPR_NUM || e->slice.hi->kind != EXPR_NUM)
        return false;
    *lo = e->slice.lo->num.value;
    *hi = e->slice.hi->num.value;
    return true;
}

/* 0: no conflict, 1: the same destination, 2: one contains the other. */
static int dst_conflict(const Expr *a, const Expr *b)
{
    const Expr *pa = dst_path(a), *pb = dst_path(b);
    if (!pa || !pb || pa->kind != EXPR_PATH || pb->kind != EXPR_PATH)
        return 0;
    int na = pa->path.segs.len, nb = pb->path.segs.len;
    for (int i = 0; i < na && i < nb; i++) {
        const Ident *x = pa->path.segs.items[i], *y = pb->path.segs.items[i];
        if (strcmp(x->name, y->name) != 0)
            return 0;
    }
    if (na != nb)
        return 2;
    bool sa = a->kind == EXPR_SLICE, sb = b->kind == EXPR_SLICE;
    if (!sa && !sb)
        return 1;
    if (sa != sb)
        return 2;
    uint64_t la, ha, lb, hb;
    if (!literal_range(a, &la, &ha) || !literal_range(b, &lb, &hb))
        return 0;
    return la < hb && lb < ha ? 1 : 0;
}

static void check_actions(Lay *c, PtrVec acts)
{
    Diag *d = c->sp->diag;
    for (int i = 0; i < acts.len; i++) {
        const Action *a = acts.items[i];
        const Expr *dst = action_dst(a);
        if (!dst)
            continue;
        if (dst->kind != EXPR_PATH && dst->kind != EXPR_SLICE) {
            diag_error(d, dst->loc, "destination of action `%s` is not an lvalue",
                       expr_text(c, dst));
            continue;
        }
        for (int j = 0; j < i; j++) {
            const Expr *prev = action_dst(acts.items[j]);
            int k = prev ? dst_conflict(prev, dst) : 0;
            if (!k)
                continue;
            diag_error(d, dst->loc, "conflicting action destination `%s`%s", expr_text(c, dst),
                       k == 2 ? " (full field)" : "");
            diag_note(d, prev->loc, "`%s` is already written here", expr_text(c, prev));
            break;
        }
    }
}

/* ---- units -------------------------------------------------------------- */

static void inherit(Lay *c, SemaUnit *u)
{
    SemaUnit *p = u->parent;
    if (!p || p->kind != UNIT_SEGMENT || u->kind != UNIT_SEGMENT)
        return;
    Arena *a = c->sp->arena;
    VEC_FOREACH(Param *, x, p->state_params) vec_push(a, &u->state_params, x);
    VEC_FOREACH(Param *, x, p->iface_params) vec_push(a, &u->iface_params, x);
    VEC_FOREACH(SField *, f, p->state) vec_push(a, &u->state, f);
    VEC_FOREACH(SField *, f, p->iface) vec_push(a, &u->iface, f);
    u->has_state = p->has_state;
    u->has_iface = p->has_iface;
}

/* The unit's state and interface items; a second one of a kind is DoubleDef. */
static Item *find_block(Lay *c, SemaUnit *u, ItemKind kind)
{
    Item *first = NULL;
    VEC_FOREACH(Item *, it, u->ast->items) {
        if (it->kind != kind || !it->block)
            continue;
        if (first)
            units_double_def(c->sp, it->loc, kind == ITEM_STATE ? "state" : "interface", first->loc);
        else
            first = it;
    }
    return first;
}

static void lay_unit(Lay *c, SemaUnit *u)
{
    if (u->layout_done || !u->ast)
        return;
    u->layout_done = true;
    if (u->parent)
        lay_unit(c, u->parent);
    if (u->kind != UNIT_SEGMENT) {
        VEC_FOREACH(Item *, it, u->ast->items)
            if (it->kind == ITEM_STATE || it->kind == ITEM_INTERFACE)
                units_warn_ignored(c->sp, u, it->loc, item_kind_names[it->kind]);
        return;
    }
    inherit(c, u);
    /* state first: interface fields couple to it wherever it is written */
    Item *st = find_block(c, u, ITEM_STATE);
    Item *in = find_block(c, u, ITEM_INTERFACE);
    if (st)
        lay_state(c, u, st->block);
    if (in) {
        int own = u->iface.len;
        lay_iface(c, u, in->block);
        for (int i = own; i < u->iface.len; i++) {
            SField *f = u->iface.items[i];
            check_actions(c, f->read_actions);
            check_actions(c, f->write_actions);
        }
    }
}

void layout_units(SemaProgram *sp)
{
    Lay c = { sp, NULL, 0, 0 };
    VEC_FOREACH(SemaUnit *, u, sp->units) lay_unit(&c, u);
}
