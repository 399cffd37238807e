/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * compose.c - the unit graph: roots, group roots, levels, page sizes.
 *
 * Runs after layout, units and typecheck. Its input is the checked units
 * (kinds, widths, the `map` method of each segment, staticmap entries and
 * enum variants); its output is SemaUnit.child/maps_table/is_root/
 * is_group_root and SemaProgram.comp. This is the composition model of the
 * reference (velosicomposition, reference-compiler.md §1.6): edges run from
 * a segment to the unit its map's `pa` names (a table), from a staticmap to
 * each distinct element unit and from an enum to each variant. Roots are the
 * units nothing references; group roots are the separately allocated tables
 * (the roots plus every unit a segment maps as a table). Abstract units are
 * templates and osspecs are not hardware, so neither takes part.
 *
 * Levels: walking each root depth-first, every (unit, depth) gets one Level
 * saying which VA bits select its entry and which leaf page sizes can be
 * mapped there. A parent always hands its child `va & (2^k - 1)` (k = the
 * child's input width), so every unit's input bit 0 is VA bit 0; the walk
 * still carries that offset explicitly so index bits stay relative to the
 * root if a window is ever shifted. A cycle in the graph is an error; the
 * walk skips the closing edge, so nothing here loops on bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema.h"

/* One unit of the graph: its out-edges and DFS bookkeeping. */
typedef struct Node Node;
typedef struct Edge {
    Node *to;
    Loc   loc;              /* the reference: `pa`'s type, map element, variant */
} Edge;

struct Node {
    SemaUnit *unit;
    PtrVec    out;          /* Edge*, in a stable order */
    bool      member;       /* takes part: not abstract, not an osspec */
    bool      referenced;   /* some member has an edge to it */
    int       color;        /* cycle search: 0 new, 1 on the stack, 2 done */
    bool      on_path;      /* level walk: on the current root path */
};

/* Units by pointer, for edge targets (open addressing on the address). */
typedef struct Graph {
    SemaProgram *sp;
    Node        *nodes;
    int          n;
    int         *slots;     /* node index + 1; 0 = empty */
    unsigned     mask;
} Graph;

static unsigned ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0x9e3779b97f4a7c15u;
    return (unsigned)(x >> 24);
}

static Node *node_of(const Graph *g, const SemaUnit *u)
{
    if (!u)
        return NULL;
    for (unsigned h = ptr_hash(u) & g->mask;; h = (h + 1) & g->mask) {
        int s = g->slots[h];
        if (s == 0)
            return NULL;
        if (g->nodes[s - 1].unit == u)
            return &g->nodes[s - 1];
    }
}

static bool is_member(const SemaUnit *u)
{
    return u && !u->is_abstract && u->kind != UNIT_OSSPEC;
}

/* A unit's input width for composition. An enum's input is that of its
 * variants (units.c requires them to agree), whatever the enum says. */
static uint64_t in_bits(const SemaUnit *u)
{
    if (u->kind == UNIT_ENUM)
        VEC_FOREACH(SemaUnit *, v, u->variants)
            return v->inbitwidth;
    return u->inbitwidth;
}

/* The 4th parameter of a segment's map method (`pa`), or NULL. */
static const Param *map_pa(const SemaUnit *u)
{
    SMethod *m = sema_method(u, "map");
    if (!m || m->params.len < 4)
        return NULL;
    return m->params.items[3];
}

/* A segment whose map's `pa` is a physical address maps leaf pages. */
static bool is_leaf_segment(const SemaUnit *u)
{
    if (!u || u->kind != UNIT_SEGMENT)
        return false;
    const Param *pa = map_pa(u);
    return pa && pa->type.kind == TYPE_PADDR;
}

static void add_edge(Graph *g, Node *from, SemaUnit *to, Loc loc)
{
    Node *t = node_of(g, to);
    if (!t || t->unit->kind == UNIT_OSSPEC)
        return;
    VEC_FOREACH(Edge *, o, from->out)
        if (o->to == t)
            return;
    Edge *e = arena_alloc(g->sp->arena, sizeof *e);
    e->to = t;
    e->loc = loc;
    vec_push(g->sp->arena, &from->out, e);
    if (from->member)
        t->referenced = true;
}

/* Where a staticmap names `to`: the first element written with that name. */
static Loc elem_loc(const SemaUnit *u, const MapEntry *e)
{
    const MapDef *md = u->map;
    if (md && e->unit)
        VEC_FOREACH(MapElem *, el, md->elems)
            if (el->unit.name && strcmp(el->unit.name, e->unit->name) == 0)
                return el->unit.loc;
    return e->loc;
}

/* Where an enum names the variant v. */
static Loc variant_loc(const SemaUnit *u, const SemaUnit *v)
{
    if (u->ast)
        VEC_FOREACH(EnumVariant *, ev, u->ast->variants)
            if (ev->name.name && strcmp(ev->name.name, v->name) == 0)
                return ev->name.loc;
    return u->ast ? u->ast->name.loc : (Loc){ 0 };
}

static void build_graph(Graph *g, SemaProgram *sp)
{
    Arena *a = sp->arena;
    g->sp = sp;
    g->n = sp->units.len;
    g->nodes = arena_alloc(a, sizeof *g->nodes * (size_t)(g->n ? g->n : 1));
    unsigned cap = 16;
    while (cap < 2u * (unsigned)g->n)
        cap *= 2;
    g->mask = cap - 1;
    g->slots = arena_alloc(a, sizeof *g->slots * cap);
    for (int i = 0; i < g->n; i++) {
        SemaUnit *u = sp->units.items[i];
        g->nodes[i].unit = u;
        g->nodes[i].member = is_member(u);
        if (!u)
            continue;
        unsigned h = ptr_hash(u) & g->mask;
        while (g->slots[h])
            h = (h + 1) & g->mask;
        g->slots[h] = i + 1;
    }

    for (int i = 0; i < g->n; i++) {
        Node *nd = &g->nodes[i];
        SemaUnit *u = nd->unit;
        if (!nd->member)
            continue;
        switch (u->kind) {
        case UNIT_SEGMENT: {
            const Param *pa = map_pa(u);
            if (pa && pa->type.kind == TYPE_NAMED && pa->type.name) {
                SemaUnit *c = sema_unit(sp, pa->type.name);
                if (c && c->kind != UNIT_OSSPEC && node_of(g, c)) {
                    u->child = c;
                    u->maps_table = true;
                    add_edge(g, nd, c, pa->type.loc);
                }
            }
            break;
        }
        case UNIT_STATICMAP:
            VEC_FOREACH(MapEntry *, e, u->entries)
                if (e->unit)
                    add_edge(g, nd, e->unit, elem_loc(u, e));
            break;
        case UNIT_ENUM:
            VEC_FOREACH(SemaUnit *, v, u->variants)
                if (v)
                    add_edge(g, nd, v, variant_loc(u, v));
            break;
        case UNIT_OSSPEC:
            break;
        }
    }
}

/* ---- cycles ------------------------------------------------------------ */

/* Report the cycle that the edge `closing` (out of stack[top]) closes at
 * stack[from]: "A -> B -> ... -> A", at the closing reference. */
static void report_cycle(Graph *g, Node **stack, int from, int top, const Edge *closing)
{
    SemaProgram *sp = g->sp;
    size_t len = 1;
    for (int i = from; i <= top; i++)
        len += strlen(stack[i]->unit->name) + 4;
    len += strlen(stack[from]->unit->name);
    char *path = arena_alloc(sp->arena, len);
    char *p = path;
    for (int i = from; i <= top; i++) {
        size_t k = strlen(stack[i]->unit->name);
        memcpy(p, stack[i]->unit->name, k);
        memcpy(p + k, " -> ", 4);
        p += k + 4;
    }
    strcpy(p, stack[from]->unit->name);
    diag_error(sp->diag, closing->loc, "cycle in the unit hierarchy: %s", path);
}

/* Iterative DFS in definition order; each back edge is one cycle. */
static void find_cycles(Graph *g)
{
    if (g->n == 0)
        return;
    Node **stack = malloc(sizeof *stack * (size_t)g->n);
    int  *next = malloc(sizeof *next * (size_t)g->n);
    if (!stack || !next) {
        free(stack);
        free(next);
        diag_plain(g->sp->diag, DIAG_ERROR, "out of memory");
        return;
    }
    for (int r = 0; r < g->n; r++) {
        Node *root = &g->nodes[r];
        if (!root->member || root->color)
            continue;
        int top = 0;
        stack[0] = root;
        next[0] = 0;
        root->color = 1;
        while (top >= 0) {
            Node *nd = stack[top];
            if (next[top] == nd->out.len) {
                nd->color = 2;
                top--;
                continue;
            }
            const Edge *e = nd->out.items[next[top]++];
            Node *t = e->to;
            if (t->color == 1) {
                int from = top;
                while (stack[from] != t)
                    from--;
                report_cycle(g, stack, from, top, e);
            } else if (t->color == 0) {
                t->color = 1;
                top++;
                stack[top] = t;
                next[top] = 0;
            }
        }
    }
    free(stack);
    free(next);
}

/* ---- levels ------------------------------------------------------------ */

static unsigned ceil_log2(uint64_t n)
{
    unsigned k = 0;
    while (k < 64 && ((uint64_t)1 << k) < n)
        k++;
    return k;
}

static unsigned clamp64(uint64_t v)
{
    return v > 64 ? 64 : (unsigned)v;
}

/* The input bits of one staticmap entry: the narrowest element unit's. */
static unsigned entry_bits(const SemaUnit *u)
{
    uint64_t k = UINT64_MAX;
    VEC_FOREACH(MapEntry *, e, u->entries)
        if (e->unit && in_bits(e->unit) < k)
            k = in_bits(e->unit);
    return k == UINT64_MAX ? 0 : clamp64(k);
}

/* VA bits [*lo, *hi) selecting u's entry, relative to u's input bit `off`.
 * A staticmap of N entries of k bits indexes [k, k + log2 N); when entries
 * carry source ranges (an explicit list may leave gaps or mix sizes) the
 * highest range end decides the top. Other units have one entry: an empty
 * range at the top of their input. */
static void index_bits(const SemaUnit *u, unsigned off, unsigned *lo, unsigned *hi)
{
    if (u->kind != UNIT_STATICMAP) {
        *lo = *hi = clamp64(off + (uint64_t)clamp64(in_bits(u)));
        return;
    }
    unsigned k = entry_bits(u);
    uint64_t max_hi = 0;
    VEC_FOREACH(MapEntry *, e, u->entries)
        if (e->src_hi > e->src_lo && e->src_hi > max_hi)
            max_hi = e->src_hi;
    unsigned top = max_hi ? ceil_log2(max_hi) : k + ceil_log2((uint64_t)u->entries.len);
    if (top < k)
        top = k;
    *lo = clamp64((uint64_t)off + k);
    *hi = clamp64((uint64_t)off + top);
}

static void add_page_size(Arena *a, PtrVec *v, uint64_t log2)
{
    int at = 0;
    while (at < v->len && *(uint64_t *)v->items[at] < log2)
        at++;
    if (at < v->len && *(uint64_t *)v->items[at] == log2)
        return;
    uint64_t *p = arena_alloc(a, sizeof *p);
    *p = log2;
    vec_push(a, v, p);
    memmove(&v->items[at + 1], &v->items[at], sizeof(void *) * (size_t)(v->len - 1 - at));
    v->items[at] = p;
}

/* Leaf pages mappable by one entry of u: a leaf segment maps 2^inbits; an
 * enum maps whatever its leaf-segment variants map. */
static void entry_pages(Arena *a, const SemaUnit *u, PtrVec *out)
{
    if (is_leaf_segment(u)) {
        add_page_size(a, out, u->inbitwidth);
    } else if (u && u->kind == UNIT_ENUM) {
        VEC_FOREACH(SemaUnit *, v, u->variants)
            if (is_leaf_segment(v))
                add_page_size(a, out, v->inbitwidth);
    }
}

/* Pages mappable at u's level: its own, or (staticmap) its entries'. */
static void level_pages(Arena *a, const SemaUnit *u, PtrVec *out)
{
    if (u->kind == UNIT_STATICMAP) {
        VEC_FOREACH(MapEntry *, e, u->entries)
            entry_pages(a, e->unit, out);
    } else {
        entry_pages(a, u, out);
    }
}

/* (node, depth) pairs already given a Level in the current root's walk. */
typedef struct Seen {
    const Node *node;
    int         depth;
} Seen;

typedef struct SeenSet {
    Seen    *slots;
    unsigned mask;
    unsigned used;
} SeenSet;

static unsigned seen_hash(const Node *nd, int depth)
{
    return ptr_hash(nd) ^ ((unsigned)depth * 0x85ebca6bu);
}

/* Insert; false if already present (or on allocation failure). */
static bool seen_add(SeenSet *s, const Node *nd, int depth)
{
    if (2 * (s->used + 1) > s->mask + 1) {
        unsigned cap = s->mask ? 2 * (s->mask + 1) : 64;
        Seen *ns = calloc(cap, sizeof *ns);
        if (!ns)
            return false;
        for (unsigned i = 0; s->slots && i <= s->mask; i++) {
            if (!s->slots[i].node)
                continue;
            unsigned h = seen_hash(s->slots[i].node, s->slots[i].depth) & (cap - 1);
            while (ns[h].node)
                h = (h + 1) & (cap - 1);
            ns[h] = s->slots[i];
        }
        free(s->slots);
        s->slots = ns;
        s->mask = cap - 1;
    }
    unsigned h = seen_hash(nd, depth) & s->mask;
    while (s->slots[h].node) {
        if (s->slots[h].node == nd && s->slots[h].depth == depth)
            return false;
        h = (h + 1) & s->mask;
    }
    s->slots[h] = (Seen){ nd, depth };
    s->used++;
    return true;
}

static void add_level(SemaProgram *sp, const Node *nd, int depth, unsigned off)
{
    SemaUnit *u = nd->unit;
    Level *l = arena_alloc(sp->arena, sizeof *l);
    l->unit = u;
    l->depth = depth;
    l->inbits = in_bits(u);
    l->outbits = u->outbitwidth;
    l->entries = u->kind == UNIT_STATICMAP ? (uint64_t)u->entries.len : 1;
    index_bits(u, off, &l->index_lo, &l->index_hi);
    level_pages(sp->arena, u, &l->page_sizes);
    vec_push(sp->arena, &sp->comp.levels, l);
}

/* Depth-first from one root, children in edge order. Every unit on the
 * current path is marked, so an edge back into the path (a reported cycle)
 * is not followed. */
static void walk_root(Graph *g, Node *root)
{
    typedef struct Frame {
        Node    *node;
        int      next;
        unsigned off;
    } Frame;
    SeenSet seen = { 0 };
    int cap = 16, top = 0;
    Frame *st = malloc(sizeof *st * (size_t)cap);
    if (!st || !seen_add(&seen, root, 0))
        goto oom;
    st[0] = (Frame){ root, 0, 0 };
    root->on_path = true;
    add_level(g->sp, root, 0, 0);
    while (top >= 0) {
        Frame *f = &st[top];
        if (f->next == f->node->out.len) {
            f->node->on_path = false;
            top--;
            continue;
        }
        Node *c = ((const Edge *)f->node->out.items[f->next++])->to;
        /* every child sees the low bits of its parent's input */
        unsigned off = f->off;
        if (c->on_path || !seen_add(&seen, c, top + 1))
            continue;
        if (top + 1 == cap) {
            Frame *ns = realloc(st, sizeof *st * (size_t)cap * 2);
            if (!ns)
                goto oom;
            st = ns;
            cap *= 2;
        }
        top++;
        st[top] = (Frame){ c, 0, off };
        c->on_path = true;
        add_level(g->sp, c, top, off);
    }
    free(st);
    free(seen.slots);
    return;
oom:
    for (int i = 0; st && i <= top; i++)
        st[i].node->on_path = false;
    free(st);
    free(seen.slots);
    diag_plain(g->sp->diag, DIAG_ERROR, "out of memory");
}

void compose_program(SemaProgram *sp)
{
    Graph g = { 0 };
    build_graph(&g, sp);
    find_cycles(&g);

    Composition *c = &sp->comp;
    for (int i = 0; i < g.n; i++) {
        Node *nd = &g.nodes[i];
        if (nd->member && !nd->referenced) {
            nd->unit->is_root = true;
            vec_push(sp->arena, &c->roots, nd->unit);
        }
    }
    /* group roots: roots, and every table some segment maps */
    for (int i = 0; i < g.n; i++) {
        Node *nd = &g.nodes[i];
        if (nd->member && nd->unit->maps_table && is_member(nd->unit->child))
            nd->unit->child->is_group_root = true;
    }
    for (int i = 0; i < g.n; i++) {
        SemaUnit *u = g.nodes[i].unit;
        if (!g.nodes[i].member)
            continue;
        if (u->is_root)
            u->is_group_root = true;
        if (u->is_group_root)
            vec_push(sp->arena, &c->group_roots, u);
    }

    for (int i = 0; i < g.n; i++)
        if (g.nodes[i].member && g.nodes[i].unit->is_root)
            walk_root(&g, &g.nodes[i]);
}

const char *compose_size_name(char buf[16], uint64_t log2)
{
    static const char units[] = "KMGTPE";
    if (log2 < 10 || log2 >= 70)
        snprintf(buf, 16, "2^%llu", (unsigned long long)log2);
    else
        snprintf(buf, 16, "%u%c", 1u << (log2 % 10), units[log2 / 10 - 1]);
    return buf;
}
