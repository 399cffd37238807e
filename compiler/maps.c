/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * maps.c - static maps, enums and OS specs (continued from units.c).
 *
 * Static maps: the `maps [..]` node, its #[repr] property, and the element
 * list. Every element is expanded into SemaUnit.entries (MapEntry: element
 * unit, arguments with the comprehension variable folded in, source range,
 * offset), sorted by source address. vrsc checks ranges, offsets, sizes and
 * overlap for explicit lists too (the reference checks only comprehensions).
 * The map's inbitwidth becomes the size the elements cover.
 * Enums: variants name existing non-enum units with the same inbitwidth,
 * their arguments are the enum's params in the variant's param order, and
 * all variants have compatible state and interface. Fills SemaUnit.variants.
 * OS specs: extern types and their properties, ignored nodes and the
 * completeness of map/unmap/protect. Argument types are typecheck.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema.h"
#include "units.h"

/* Maps are expanded into one MapEntry per element: at most this many per
 * map and in the whole program, so a huge comprehension cannot exhaust
 * memory. */
enum { MAX_MAP_ENTRIES = 1 << 20, MAX_PROGRAM_ENTRIES = 1 << 22 };

static Item *own_item(const SemaUnit *u, ItemKind kind)
{
    VEC_FOREACH(Item *, it, u->ast->items)
        if (it->kind == kind)
            return it;
    return NULL;
}

/* 2^bits, saturated at UINT64_MAX for bits >= 64. */
static uint64_t pow2_sat(uint64_t bits) { return bits >= 64 ? UINT64_MAX : (uint64_t)1 << bits; }

/* ---- map properties ----------------------------------------------------- */

static void map_props(SemaProgram *sp, SemaUnit *u, MapDef *map)
{
    Diag *d = sp->diag;
    bool seen = false;
    VEC_FOREACH(Decorator *, dc, map->decorators) {
        const char *name = dc->name.name ? dc->name.name : "";
        if (strcmp(name, "repr") != 0) {
            diag_error(d, dc->name.loc, "unsupported unit property `%s`", name);
            continue;
        }
        if (seen) {
            diag_warning(d, dc->name.loc, "duplicate unit property `repr`; ignoring it");
            continue;
        }
        seen = true;
        if (!dc->arg || !dc->arg->name)
            diag_error(d, dc->name.loc, "repr requires one argument (array or list)");
        else if (strcmp(dc->arg->name, "list") == 0)
            u->repr_list = true;
        else if (strcmp(dc->arg->name, "array") != 0)
            diag_error(d, dc->arg->loc, "invalid argument `%s` to repr (expected array or list)",
                       dc->arg->name);
    }
}

/* ---- elements ----------------------------------------------------------- */

/* The element's unit, checked like a call: it exists, is a concrete unit and
 * gets as many arguments as it has params. NULL if it cannot be used. */
static SemaUnit *elem_unit(UnitsCtx *c, MapElem *el)
{
    Diag *d = c->sp->diag;
    const char *name = el->unit.name;
    Symbol *s = name ? sema_global(c->sp, name) : NULL;
    if (!s) {
        diag_error(d, el->unit.loc, "no symbol named `%s` found in the current scope",
                   name ? name : "?");
        return NULL;
    }
    if (s->kind != SYM_UNIT) {
        diag_error(d, el->unit.loc, "symbol named `%s` was defined with a different kind (%s, not a "
                   "unit)", name, sym_kind_names[s->kind]);
        return NULL;
    }
    SemaUnit *e = s->unit;
    if (e->kind == UNIT_OSSPEC) {
        diag_error(d, el->unit.loc, "unit `%s` is an OS specification and cannot be a map element",
                   name);
        return NULL;
    }
    if (e->is_abstract)
        diag_error(d, el->unit.loc, "attempted to instantiate abstract unit `%s`", name);
    int n = e->params.len, m = el->args.len;
    if (m < n)
        diag_error(d, el->unit.loc, "this function takes %d argument%s but %d argument%s supplied",
                   n, n == 1 ? "" : "s", m, m == 1 ? " was" : "s were");
    for (int i = n; i < m; i++)
        diag_error(d, ((Expr *)el->args.items[i])->loc, "unexpected argument");
    return units_ensure(c, e, el->unit.loc) ? e : NULL;
}

/* Errors already reported for an element: each kind is reported once, not
 * once per expanded entry. */
typedef struct ElemErr {
    bool src, size, exceeds, map_size, off, off_size, args;
} ElemErr;

static void fold_args(SemaProgram *sp, SemaUnit *u, MapElem *el, const ConstBinding *b, MapEntry *me,
                      ElemErr *err)
{
    VEC_FOREACH(Expr *, a, el->args) {
        uint64_t v;
        int errors = sp->diag->errors;
        if (!err->args && const_eval(sp, u, a, b, false, &v)) {
            Expr *n = ast_num(sp->arena, v, NULL, a->loc);
            n->is_const = true;
            n->cval = v;
            n->ty = TYPE_INT;
            vec_push(sp->arena, &me->args, n);
            continue;
        }
        if (sp->diag->errors != errors)
            err->args = true;       /* e.g. overflow: say it once, keep the expression */
        vec_push(sp->arena, &me->args, a);
    }
}

/* The input range the entry covers: `lo..hi =>` if written, else the
 * element's whole input space at position pos. */
static bool entry_source(SemaProgram *sp, SemaUnit *u, SemaUnit *e, MapElem *el, const ConstBinding *b,
                         uint64_t pos, MapEntry *me, ElemErr *err)
{
    Diag *d = sp->diag;
    uint64_t esize = pow2_sat(e->inbitwidth);
    if (!el->src_lo || !el->src_hi) {
        uint64_t ein = e->inbitwidth;
        uint64_t fit = ein >= 64 ? 1 : (uint64_t)1 << (64 - ein);     /* 0: 2^64 */
        if (fit && pos >= fit) {
            if (!err->map_size)
                diag_error(d, el->loc, "element %llu (2^%llu each) does not fit in a 64-bit input "
                           "space", (unsigned long long)pos, (unsigned long long)ein);
            err->map_size = true;
            return false;
        }
        me->src_lo = ein >= 64 ? 0 : pos << ein;
        me->src_hi = ein >= 64 || (fit && pos + 1 == fit) ? UINT64_MAX : (pos + 1) << ein;
        return true;
    }
    uint64_t lo, hi;
    bool ok_lo = const_eval(sp, u, el->src_lo, b, false, &lo);
    bool ok_hi = const_eval(sp, u, el->src_hi, b, false, &hi);
    if (!ok_lo || !ok_hi) {
        if (!err->src)
            diag_error(d, el->src_lo->loc, "evaluated source range is not constant");
        err->src = true;
        return false;
    }
    uint64_t size = hi > lo ? hi - lo : 0;
    if (!units_is_pow2(size)) {
        if (!err->size)
            diag_error(d, el->src_lo->loc, "range has not a power of two size (%#llx)",
                       (unsigned long long)size);
        err->size = true;
    } else if (size > esize) {
        if (!err->exceeds)
            diag_error(d, el->src_lo->loc, "source range exceeds input unit size (%#llx > 2^%llu of "
                       "`%s`)", (unsigned long long)size, (unsigned long long)e->inbitwidth, e->name);
        err->exceeds = true;
    }
    me->src_lo = lo;
    me->src_hi = hi > lo ? hi : lo;
    return true;
}

/* `@ offset`: where the range starts in the element's input space. */
static void entry_offset(SemaProgram *sp, SemaUnit *u, SemaUnit *e, MapElem *el, const ConstBinding *b,
                         MapEntry *me, ElemErr *err)
{
    Diag *d = sp->diag;
    uint64_t v, esize = pow2_sat(e->inbitwidth), size = me->src_hi - me->src_lo;
    if (!el->offset)
        return;
    if (!const_eval(sp, u, el->offset, b, false, &v)) {
        if (!err->off)
            diag_error(d, el->offset->loc, "evaluated offset expression is not constant");
        err->off = true;
        return;
    }
    me->offset = v;
    if (e->inbitwidth < 64 && v >= esize) {
        if (!err->off_size)
            diag_error(d, el->offset->loc, "offset exceeds unit size (%#llx >= 2^%llu of `%s`)",
                       (unsigned long long)v, (unsigned long long)e->inbitwidth, e->name);
        err->off_size = true;
    } else if (e->inbitwidth < 64 && size > esize - v) {
        if (!err->off_size)
            diag_error(d, el->offset->loc, "offset + range size exceeds unit size (%#llx + %#llx > "
                       "2^%llu of `%s`)", (unsigned long long)v, (unsigned long long)size,
                       (unsigned long long)e->inbitwidth, e->name);
        err->off_size = true;
    }
}

static MapEntry *new_entry(SemaProgram *sp, SemaUnit *u, SemaUnit *e, MapElem *el, const ConstBinding *b,
                           uint64_t pos, ElemErr *err)
{
    MapEntry *me = arena_alloc(sp->arena, sizeof *me);
    me->unit = e;
    me->index = b ? b->value : pos;
    me->loc = el->loc;
    fold_args(sp, u, el, b, me, err);
    if (entry_source(sp, u, e, el, b, pos, me, err))
        entry_offset(sp, u, e, el, b, me, err);
    return me;
}

/* ---- the whole map ------------------------------------------------------ */

static int by_source(const void *a, const void *b)
{
    const MapEntry *x = *(MapEntry *const *)a, *y = *(MapEntry *const *)b;
    if (x->src_lo != y->src_lo)
        return x->src_lo < y->src_lo ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Sort by source address; overlapping ranges are errors at the later element
 * (once for a comprehension, whose entries share one element). */
static void sort_and_overlap(SemaProgram *sp, SemaUnit *u, bool comprehension)
{
    if (u->entries.len > 1)
        qsort(u->entries.items, (size_t)u->entries.len, sizeof(void *), by_source);
    MapEntry *widest = NULL;
    VEC_FOREACH(MapEntry *, me, u->entries) {
        if (me->src_hi <= me->src_lo)
            continue;
        if (widest && me->src_lo < widest->src_hi) {
            MapEntry *later = me->index > widest->index ? me : widest;
            MapEntry *other = later == me ? widest : me;
            diag_error(sp->diag, later->loc, "range overlap: [%#llx, %#llx) of element %s%llu "
                       "overlaps [%#llx, %#llx) of element %s%llu",
                       (unsigned long long)later->src_lo, (unsigned long long)later->src_hi,
                       comprehension ? "i=" : "", (unsigned long long)later->index,
                       (unsigned long long)other->src_lo, (unsigned long long)other->src_hi,
                       comprehension ? "i=" : "", (unsigned long long)other->index);
            if (comprehension)
                return;
        }
        if (!widest || me->src_hi > widest->src_hi)
            widest = me;
    }
}

/* Every entry must lie inside the map's input space of `bits` bits. */
static void check_map_size(SemaProgram *sp, SemaUnit *u, uint64_t bits)
{
    Loc last = { 0 };
    VEC_FOREACH(MapEntry *, me, u->entries) {
        uint64_t size = me->src_hi - me->src_lo;
        if (bits >= 64 || me->src_hi <= pow2_sat(bits))
            continue;
        if (!units_is_pow2(size) || size > pow2_sat(me->unit->inbitwidth))
            continue;       /* the range itself is wrong: reported with the element */
        if (last.file && last.first_line == me->loc.first_line && last.first_column == me->loc.first_column)
            continue;
        last = me->loc;
        diag_error(sp->diag, me->loc, "source range [%#llx, %#llx) exceeds the input size of the map "
                   "(2^%llu)", (unsigned long long)me->src_lo, (unsigned long long)me->src_hi,
                   (unsigned long long)bits);
    }
}

static bool declared_inbitwidth(const SemaUnit *u, Loc *at)
{
    Item *it = own_item(u, ITEM_INBITWIDTH);
    if (!it || !it->bitwidth || !u->in_given)
        return false;
    *at = it->bitwidth->loc;
    return true;
}

/* `maps [ E(..) for i in lo..hi ]` */
static void comprehension(UnitsCtx *c, SemaUnit *u, MapDef *map)
{
    SemaProgram *sp = c->sp;
    Diag *d = sp->diag;
    MapElem *el = map->elems.len ? map->elems.items[0] : NULL;
    if (!el || !map->lo || !map->hi)
        return;
    if (map->var.name && (units_param(u, map->var.name) || sema_global(sp, map->var.name)))
        diag_error(d, map->var.loc, "duplicate definitions with name `%s`", map->var.name);
    uint64_t lo, hi;
    bool ok = const_eval(sp, u, map->lo, NULL, true, &lo);
    ok = const_eval(sp, u, map->hi, NULL, true, &hi) && ok;
    SemaUnit *e = elem_unit(c, el);
    if (!ok)
        return;
    Loc rloc = loc_span(map->lo->loc, map->hi->loc);
    if (lo == hi)
        diag_warning(d, rloc, "empty range");
    else if (lo > hi)
        diag_warning(d, rloc, "start of range is larger than the end");
    uint64_t n = hi > lo ? hi - lo : 0;
    if (!units_is_pow2(n)) {
        diag_error(d, rloc, "range has not a power of two size (%llu)", (unsigned long long)n);
        return;
    }
    if (!e)
        return;
    uint64_t bits = e->inbitwidth + units_ceil_log2(n);
    if (e->inbitwidth >= 64 || bits >= 64) {
        diag_error(d, rloc, "inputbitwidth of %llu exceeds maximum of 64 bits",
                   (unsigned long long)bits);
        return;
    }
    Loc decl;
    if (declared_inbitwidth(u, &decl) && u->inbitwidth != bits)
        diag_warning(d, decl, "declared input address width doesn't match the size of the map (%llu)",
                     (unsigned long long)bits);
    u->inbitwidth = bits;
    u->in_given = true;
    if (n > MAX_MAP_ENTRIES || c->expanded + n > MAX_PROGRAM_ENTRIES) {
        diag_error(d, rloc, "map of %llu elements is too large to expand (at most %d per map "
                   "and %d in all maps)", (unsigned long long)n, MAX_MAP_ENTRIES,
                   MAX_PROGRAM_ENTRIES);
        return;
    }
    c->expanded += n;
    ElemErr err = { false, false, false, false, false, false, false };
    for (uint64_t k = 0; k < n; k++) {
        ConstBinding b = { map->var.name ? map->var.name : "", lo + k, NULL };
        vec_push(sp->arena, &u->entries, new_entry(sp, u, e, el, &b, k, &err));
    }
    sort_and_overlap(sp, u, true);
    check_map_size(sp, u, bits);
}

/* `maps [ a, b, .. ]`: element k without `=>` covers the element's whole
 * input space at position k. */
static void explicit_list(UnitsCtx *c, SemaUnit *u, MapDef *map)
{
    SemaProgram *sp = c->sp;
    for (int k = 0; k < map->elems.len; k++) {
        MapElem *el = map->elems.items[k];
        SemaUnit *e = elem_unit(c, el);
        if (!e)
            continue;
        ElemErr err = { false, false, false, false, false, false, false };
        vec_push(sp->arena, &u->entries, new_entry(sp, u, e, el, NULL, (uint64_t)k, &err));
    }
    sort_and_overlap(sp, u, false);
    uint64_t max_hi = 0;
    VEC_FOREACH(MapEntry *, me, u->entries)
        if (me->src_hi > max_hi)
            max_hi = me->src_hi;
    Loc decl;
    if (declared_inbitwidth(u, &decl)) {
        check_map_size(sp, u, u->inbitwidth);
        return;
    }
    u->inbitwidth = units_ceil_log2(max_hi);
}

void maps_check_staticmap(UnitsCtx *c, SemaUnit *u)
{
    SemaProgram *sp = c->sp;
    Item *first = NULL;
    if (u->is_abstract)
        diag_warning(sp->diag, u->ast->name.loc, "staticmap unit declared as abstract");
    VEC_FOREACH(Item *, it, u->ast->items) {
        if (it->kind == ITEM_EXTERN_TYPE)
            units_warn_ignored(sp, u, it->loc, "extern type");
        if (it->kind != ITEM_MAPS || !it->maps)
            continue;
        if (first)
            units_double_def(sp, it->loc, "staticmap", first->loc);
        else
            first = it;
    }
    if (!first) {
        diag_warning(sp->diag, u->ast->name.loc, "map definition missing");
        return;
    }
    u->map = first->maps;
    map_props(sp, u, u->map);
    if (u->map->comprehension)
        comprehension(c, u, u->map);
    else
        explicit_list(c, u, u->map);
    /* A table's output is what its entries output, unless it says otherwise. */
    if (!u->out_given && u->entries.len) {
        uint64_t out = 0;
        VEC_FOREACH(MapEntry *, me, u->entries)
            if (me->unit && me->unit->outbitwidth > out)
                out = me->unit->outbitwidth;
        if (out)
            u->outbitwidth = out;
    }
}

/* ---- enums -------------------------------------------------------------- */

static bool same_type(const TypeRef *a, const TypeRef *b)
{
    if (a->kind != b->kind)
        return false;
    return a->kind != TYPE_NAMED || (a->name && b->name && strcmp(a->name, b->name) == 0);
}

static const char *type_text(const TypeRef *t)
{
    return t->kind == TYPE_NAMED && t->name ? t->name : type_kind_names[t->kind];
}

/* Variant arguments: enum params whose names and types equal the variant
 * unit's params, position by position. */
static void variant_args(SemaProgram *sp, SemaUnit *u, EnumVariant *v, SemaUnit *vu)
{
    Diag *d = sp->diag;
    int n = vu->params.len, m = v->args.len;
    if (m < n)
        diag_error(d, v->name.loc, "this unit takes %d argument%s but %d %s supplied", n,
                   n == 1 ? "" : "s", m, m == 1 ? "was" : "were");
    for (int j = 0; j < m; j++) {
        Ident *a = v->args.items[j];
        if (j >= n) {
            diag_error(d, a->loc, "unexpected argument");
            continue;
        }
        Param *ep = units_param(u, a->name);
        Param *vp = vu->params.items[j];
        if (!ep) {
            diag_error(d, a->loc, "no symbol named `%s` found in the current scope (variant "
                       "arguments must be parameters of the enum)", a->name);
        } else if (!vp->name.name || strcmp(vp->name.name, a->name) != 0) {
            diag_error(d, a->loc, "inconsistency with unit parameter name (`%s` vs `%s`)", a->name,
                       vp->name.name ? vp->name.name : "?");
            diag_note(d, vp->name.loc, "parameter %d of `%s` is declared here", j + 1, vu->name);
        } else if (!same_type(&ep->type, &vp->type)) {
            diag_error(d, a->loc, "mismatched types: expected %s, found %s", type_text(&vp->type),
                       type_text(&ep->type));
        }
    }
}

static bool same_params(PtrVec a, PtrVec b)
{
    if (a.len != b.len)
        return false;
    VEC_FOREACH(Param *, p, a) {
        bool found = false;
        VEC_FOREACH(Param *, q, b)
            if (p->name.name && q->name.name && strcmp(p->name.name, q->name.name) == 0)
                found = same_type(&p->type, &q->type);
        if (!found)
            return false;
    }
    return true;
}

static bool same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

/* Same fields by name, size, base and offset (and kind, for state). */
static bool same_fields(PtrVec a, PtrVec b, bool kinds)
{
    if (a.len != b.len)
        return false;
    VEC_FOREACH(SField *, f, a) {
        SField *g = sema_field(b, f->name);
        if (!g || f->size != g->size || (kinds && f->kind != g->kind))
            return false;
        bool placed = f->kind == FIELD_MEM || f->kind == FIELD_MMIO;
        if (placed && (!same_str(f->base, g->base) || f->offset != g->offset))
            return false;
    }
    return true;
}

static void variant_compat(SemaProgram *sp, SemaUnit *u, EnumVariant *v, SemaUnit *vu)
{
    bool st = false, in = false;
    VEC_FOREACH(SemaUnit *, w, u->variants) {
        if (!st && !(same_params(w->state_params, vu->state_params) &&
                     same_fields(w->state, vu->state, true))) {
            diag_error(sp->diag, v->name.loc, "units in enum have incompatible state (`%s` and `%s`)",
                       vu->name, w->name);
            st = true;
        }
        if (!in && !(same_params(w->iface_params, vu->iface_params) &&
                     same_fields(w->iface, vu->iface, false))) {
            diag_error(sp->diag, v->name.loc, "units in enum have incompatible interface (`%s` and "
                       "`%s`)", vu->name, w->name);
            in = true;
        }
    }
}

/* The variant's unit, or NULL after reporting why it cannot be one. */
static SemaUnit *variant_unit(UnitsCtx *c, SemaUnit *u, EnumVariant *v, int i)
{
    Diag *d = c->sp->diag;
    for (int j = 0; j < i; j++) {
        EnumVariant *w = u->ast->variants.items[j];
        if (w->name.name && strcmp(w->name.name, v->name.name) == 0) {
            units_double_def(c->sp, v->name.loc, v->name.name, w->name.loc);
            return NULL;
        }
    }
    Symbol *s = sema_global(c->sp, v->name.name);
    if (!s) {
        diag_error(d, v->name.loc, "no symbol named `%s` found in the current scope", v->name.name);
        return NULL;
    }
    if (s->kind != SYM_UNIT) {
        diag_error(d, v->name.loc, "symbol named `%s` was defined with a different kind (%s, not a "
                   "unit)", v->name.name, sym_kind_names[s->kind]);
        return NULL;
    }
    SemaUnit *vu = s->unit;
    if (vu->kind == UNIT_ENUM) {
        diag_error(d, v->name.loc, "unit `%s` is an enum; nested enums are not supported", vu->name);
        return NULL;
    }
    if (vu->kind == UNIT_OSSPEC) {
        diag_error(d, v->name.loc, "unit `%s` is an OS specification and cannot be an enum variant",
                   vu->name);
        return NULL;
    }
    return units_ensure(c, vu, v->name.loc) ? vu : NULL;
}

void maps_check_enum(UnitsCtx *c, SemaUnit *u)
{
    SemaProgram *sp = c->sp;
    for (int i = 0; i < u->ast->variants.len; i++) {
        EnumVariant *v = u->ast->variants.items[i];
        if (!v->name.name)
            continue;
        SemaUnit *vu = variant_unit(c, u, v, i);
        if (!vu)
            continue;
        /* the enum takes its widths from its variants: the input width they
         * all share, and the widest output any of them produces */
        if (!u->variants.len) {
            u->inbitwidth = vu->inbitwidth;
            u->outbitwidth = vu->outbitwidth;
            u->in_given = u->out_given = true;
        } else if (vu->outbitwidth > u->outbitwidth) {
            u->outbitwidth = vu->outbitwidth;
        }
        if (u->variants.len && vu->inbitwidth != u->inbitwidth) {
            diag_error(sp->diag, v->name.loc, "unit `%s` has a different inbitwidth to the enum "
                       "(%llu vs %llu)", vu->name, (unsigned long long)vu->inbitwidth,
                       (unsigned long long)u->inbitwidth);
        }
        variant_args(sp, u, v, vu);
        variant_compat(sp, u, v, vu);
        PtrVec *args = arena_alloc(sp->arena, sizeof *args);
        *args = v->args;
        vec_push(sp->arena, &u->variants, vu);
        vec_push(sp->arena, &u->variant_args, args);
    }
}

/* ---- OS specs ----------------------------------------------------------- */

static void check_extern_type(SemaProgram *sp, SemaUnit *u, ExternType *et)
{
    Diag *d = sp->diag;
    units_warn_camel(sp, &et->name);
    unsigned seen = 0;
    VEC_FOREACH(Decorator *, dc, et->decorators) {
        const char *name = dc->name.name ? dc->name.name : "";
        unsigned bit = strcmp(name, "frame") == 0 ? 1 : strcmp(name, "desc") == 0 ? 2 : 0;
        if (!bit) {
            diag_error(d, dc->name.loc, "unsupported typeproperty `%s` (expected frame or desc)", name);
            continue;
        }
        if (dc->arg)
            diag_error(d, dc->name.loc, "type property `%s` takes no arguments", name);
        if (seen & bit)
            diag_warning(d, dc->name.loc, "ignoring double defined property `%s`", name);
        seen |= bit;
    }
    for (int i = 0; i < et->fields.len; i++) {
        Param *p = et->fields.items[i];
        if (!p->name.name)
            continue;
        bool dup = false;
        for (int j = 0; j < i && !dup; j++) {
            Param *q = et->fields.items[j];
            if (q->name.name && strcmp(q->name.name, p->name.name) == 0) {
                units_double_def(sp, p->name.loc, p->name.name, q->name.loc);
                dup = true;
            }
        }
        SemaType t;
        if (!dup)
            units_resolve_type(sp, u, &p->type, &t);
    }
}

static bool has_map_fn(const SemaUnit *u)
{
    VEC_FOREACH(SMethod *, m, u->methods)
        if (strcmp(m->name, "map") == 0 || strncmp(m->name, "map_", 4) == 0)
            return true;
    return false;
}

/* protect needs unmap and a map (or map_*); without protect, neither. */
static void check_complete(SemaProgram *sp, SemaUnit *u)
{
    Diag *d = sp->diag;
    Loc at = u->ast->name.loc;
    bool map = has_map_fn(u), unmap = sema_method(u, "unmap") != NULL;
    if (sema_method(u, "protect")) {
        if (!unmap)
            diag_error(d, at, "incomplete OS specification (missing function `unmap`)");
        if (!map)
            diag_error(d, at, "incomplete OS specification (missing function `map`)");
    } else if (map || unmap) {
        diag_error(d, at, "incomplete OS specification (missing function `protect`: %s without "
                   "protect)", map && unmap ? "map/unmap" : map ? "map" : "unmap");
    }
}

void maps_check_osspec(UnitsCtx *c, SemaUnit *u)
{
    SemaProgram *sp = c->sp;
    PtrVec types = { 0 };
    VEC_FOREACH(Item *, it, u->ast->items) {
        switch (it->kind) {
        case ITEM_INBITWIDTH:
        case ITEM_OUTBITWIDTH:
        case ITEM_MAPS:
            units_warn_ignored(sp, u, it->loc, item_kind_names[it->kind]);
            break;
        case ITEM_EXTERN_TYPE: {
            ExternType *et = it->externtype;
            if (!et || !et->name.name)
                break;
            ExternType *dup = NULL;
            VEC_FOREACH(ExternType *, o, types)
                if (strcmp(o->name.name, et->name.name) == 0)
                    dup = o;
            if (dup) {
                units_double_def(sp, et->name.loc, et->name.name, dup->name.loc);
                break;
            }
            vec_push(sp->arena, &types, et);
            check_extern_type(sp, u, et);
            break;
        }
        default:
            break;
        }
    }
    check_complete(sp, u);
}
