/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * graph.c - the unit hierarchy as Graphviz DOT (`vrsc graph`).
 *
 * Input: a checked SemaProgram whose composition (compose.c) is done.
 * Output: one `digraph vrs` with a node per unit that takes part in the
 * hierarchy (not abstract, not an osspec), in definition order, and its
 * edges: staticmap -> element labelled with the VA bits that pick the
 * entry, segment -> table it maps (`table`), enum -> variant (`variant`).
 * Node ids are the unit names, so the text is stable and diffable; shapes
 * tell the kinds apart and roots / group roots are filled. Nothing here
 * recomputes the composition: widths, index bits and page sizes come from
 * the first Level of each unit.
 */
#include <stdio.h>

#include "sema.h"

static bool in_graph(const SemaUnit *u)
{
    return u && !u->is_abstract && u->kind != UNIT_OSSPEC;
}

static const Level *first_level(const SemaProgram *sp, const SemaUnit *u)
{
    VEC_FOREACH(Level *, l, sp->comp.levels)
        if (l->unit == u)
            return l;
    return NULL;
}

static const char *shape_of(UnitKind k)
{
    switch (k) {
    case UNIT_STATICMAP:
        return "record";
    case UNIT_ENUM:
        return "diamond";
    default:
        return "ellipse";
    }
}

/* The label lines of u; `sep` separates them ("|" in a record, "\\n" else). */
static void node_label(FILE *out, const SemaProgram *sp, const SemaUnit *u, const char *sep)
{
    const Level *l = first_level(sp, u);
    fprintf(out, "%s%s%s", u->name, sep, unit_kind_names[u->kind]);
    if (u->is_root)
        fputs(", root", out);
    else if (u->is_group_root)
        fputs(", group root", out);
    fprintf(out, "%sin %llu, out %llu", sep,
            (unsigned long long)(l ? l->inbits : u->inbitwidth),
            (unsigned long long)(l ? l->outbits : u->outbitwidth));
    if (u->kind == UNIT_STATICMAP)
        fprintf(out, "%s%d entries", sep, u->entries.len);
    if (l && l->page_sizes.len) {
        fprintf(out, "%spages", sep);
        char buf[16];
        VEC_FOREACH(uint64_t *, p, l->page_sizes)
            fprintf(out, " %s", compose_size_name(buf, *p));
    }
}

static void edge(FILE *out, const SemaUnit *from, const SemaUnit *to, const char *label)
{
    fprintf(out, "    \"%s\" -> \"%s\" [label=\"%s\"];\n", from->name, to->name, label);
}

/* One edge from u to each distinct unit of `items` (MapEntry* if `entries`,
 * else SemaUnit*), in order. Element units are few (usually one), so the
 * distinct ones are kept in a short list rather than compared pairwise. */
static void edges_once(FILE *out, const SemaUnit *u, const PtrVec *items, bool entries,
                       const char *label)
{
    const SemaUnit *done[8];
    int ndone = 0;
    for (int i = 0; i < items->len; i++) {
        const SemaUnit *t = entries ? ((const MapEntry *)items->items[i])->unit
                                    : (const SemaUnit *)items->items[i];
        if (!in_graph(t))
            continue;
        bool dup = false;
        for (int j = 0; j < ndone && !dup; j++)
            dup = done[j] == t;
        /* past 8 distinct targets, fall back to scanning the prefix */
        for (int j = 0; ndone == 8 && j < i && !dup; j++)
            dup = (entries ? ((const MapEntry *)items->items[j])->unit
                           : (const SemaUnit *)items->items[j]) == t;
        if (dup)
            continue;
        if (ndone < 8)
            done[ndone++] = t;
        edge(out, u, t, label);
    }
}

void graph_dot(FILE *out, const SemaProgram *sp)
{
    fputs("digraph vrs {\n"
          "    rankdir=TB;\n"
          "    node [fontname=\"Helvetica\", fontsize=10];\n"
          "    edge [fontname=\"Helvetica\", fontsize=9];\n",
          out);

    VEC_FOREACH(SemaUnit *, u, sp->units) {
        if (!in_graph(u))
            continue;
        bool record = u->kind == UNIT_STATICMAP;
        fprintf(out, "    \"%s\" [shape=%s, label=\"%s", u->name, shape_of(u->kind),
                record ? "{" : "");
        node_label(out, sp, u, record ? "|" : "\\n");
        fprintf(out, "%s\"", record ? "}" : "");
        if (u->is_root)
            fputs(", style=\"filled,bold\", fillcolor=\"#ffd966\", penwidth=2", out);
        else if (u->is_group_root)
            fputs(", style=filled, fillcolor=\"#cfe2f3\"", out);
        fputs("];\n", out);
    }

    VEC_FOREACH(SemaUnit *, u, sp->units) {
        if (!in_graph(u))
            continue;
        switch (u->kind) {
        case UNIT_SEGMENT:
            if (u->maps_table && in_graph(u->child))
                edge(out, u, u->child, "table");
            break;
        case UNIT_STATICMAP: {
            const Level *l = first_level(sp, u);
            char label[32] = "entry";
            if (l && l->index_hi == l->index_lo + 1)
                snprintf(label, sizeof label, "va[%u]", l->index_lo);
            else if (l && l->index_hi > l->index_lo)
                snprintf(label, sizeof label, "va[%u:%u]", l->index_hi - 1, l->index_lo);
            /* one edge per distinct element unit, in entry order */
            edges_once(out, u, &u->entries, true, label);
            break;
        }
        case UNIT_ENUM:
            edges_once(out, u, &u->variants, false, "variant");
            break;
        case UNIT_OSSPEC:
            break;
        }
    }
    fputs("}\n", out);
}
