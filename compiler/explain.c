/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * explain.c - how `vrsc jit` and `vrsc translate` say where an address
 * goes and why: a translation or its fault, a walk level by level with the
 * entries decoded into their fields, and a dump of the mapped space as
 * coalesced ranges. Text for people, or JSON with one object per line and
 * a stable key order (docs/jit.md).
 *
 * Input: walks classified by session.c (SessWalk) and the IR's names (units,
 * state fields and slices, flags). Output: lines in an Out buffer, which
 * formats numbers by hand, because `vrsc translate` prints millions of
 * lines a second.
 */
#include <string.h>

#include "session.h"

/* ---- the output buffer -------------------------------------------------------------- */

void out_init(Out *o, FILE *f, bool json)
{
    o->f = f;
    o->json = json;
    o->n = 0;
}

void out_flush(Out *o)
{
    if (o->n)
        fwrite(o->buf, 1, o->n, o->f);
    o->n = 0;
    fflush(o->f);
}

static void put(Out *o, const char *s, size_t len)
{
    if (o->n + len > sizeof o->buf) {
        fwrite(o->buf, 1, o->n, o->f);
        o->n = 0;
        if (len > sizeof o->buf) {
            fwrite(s, 1, len, o->f);
            return;
        }
    }
    memcpy(o->buf + o->n, s, len);
    o->n += len;
}

void out_str(Out *o, const char *s)
{
    put(o, s, strlen(s));
}

void out_ch(Out *o, char c)
{
    put(o, &c, 1);
}

void out_hex(Out *o, uint64_t v)
{
    char b[20];
    int i = sizeof b;
    do {
        b[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    b[--i] = 'x';
    b[--i] = '0';
    put(o, b + i, sizeof b - (size_t)i);
}

void out_dec(Out *o, uint64_t v)
{
    char b[24];
    int i = sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, b + i, sizeof b - (size_t)i);
}

void out_size(Out *o, uint64_t v)
{
    static const char units[] = "KMGTPE";
    int k = -1;
    while (v && !(v & 1023) && k < 5) {
        v >>= 10;
        k++;
    }
    if (k < 0) {
        out_hex(o, v);
        return;
    }
    out_dec(o, v);
    out_ch(o, units[k]);
}

void out_jstr(Out *o, const char *s)
{
    size_t n = 0;
    while (s[n] && s[n] != '"' && s[n] != '\\' && (unsigned char)s[n] >= 0x20)
        n++;
    if (!s[n]) {
        /* nothing to escape (names, hex numbers): in one piece */
        out_ch(o, '"');
        put(o, s, n);
        out_ch(o, '"');
        return;
    }
    out_ch(o, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            out_ch(o, '\\');
            out_ch(o, (char)*p);
        } else if (*p < 0x20) {
            char b[8];
            snprintf(b, sizeof b, "\\u%04x", *p);
            out_str(o, b);
        } else {
            out_ch(o, (char)*p);
        }
    }
    out_ch(o, '"');
}

void out_jhex(Out *o, uint64_t v)
{
    out_ch(o, '"');
    out_hex(o, v);
    out_ch(o, '"');
}

void out_open(Out *o)
{
    out_ch(o, '{');
    o->fresh = true;
}

void out_key(Out *o, const char *k)
{
    if (!o->fresh)
        out_ch(o, ',');
    o->fresh = false;
    out_jstr(o, k);
    out_ch(o, ':');
}

void out_end(Out *o)
{
    if (o->json)
        out_ch(o, '}');
    out_ch(o, '\n');
}

void out_flags(Out *o, const Session *s, uint64_t flags)
{
    bool any = false;
    VEC_FOREACH(const char *, f, s->ir->flags)
        if (flags & ir_flag(s->ir, f_i)) {
            if (any)
                out_ch(o, ' ');
            out_str(o, f);
            any = true;
        }
    uint64_t known = ir_flags_all(s->ir);
    if (flags & ~known) {
        if (any)
            out_ch(o, ' ');
        out_hex(o, flags & ~known);
        any = true;
    }
    if (!any)
        out_str(o, "no flags");
}

void out_jflags(Out *o, const Session *s, uint64_t flags)
{
    bool any = false;
    out_ch(o, '[');
    VEC_FOREACH(const char *, f, s->ir->flags)
        if (flags & ir_flag(s->ir, f_i)) {
            if (any)
                out_ch(o, ',');
            out_jstr(o, f);
            any = true;
        }
    out_ch(o, ']');
}

/* ---- one level's entry -------------------------------------------------------------- */

static const char *const access_names[] = { "read", "write", "exec" };

/* A level's unit by name: an entry no variant accepted is named by its
 * choice (PdEntry, not the PdEntryTable the trace falls back to). */
static const char *unit_name(const Session *s, const SessLevel *l)
{
    const IrUnit *c = l->ok || !l->unit ? NULL : session_choice_of(s, l->unit);
    return c ? c->name : l->unit ? l->unit->name : "?";
}

/* Does the level's raw value mean anything (the state is read from one
 * word)? A unit read from several registers has no one raw word. */
static bool has_raw(const SessLevel *l)
{
    return l->unit && l->unit->kind == IR_SEGMENT && lir_single_read(l->unit) != NULL;
}

/* Where a level's entry lives: its memory address, register or MMIO window. */
static void where(Out *o, const SessLevel *l)
{
    const IrUnit *u = l->unit;
    const SFieldIO *one = u && u->kind == IR_SEGMENT ? lir_single_read(u) : NULL;
    const SField *f = one ? one->field : NULL;
    if (f && f->kind == FIELD_REG) {
        if (o->json) {
            out_key(o, "reg");
            out_jstr(o, f->name);
        } else {
            out_str(o, " reg ");
            out_str(o, f->name);
        }
        return;
    }
    if (!u || !u->params.len)
        return;
    uint64_t at = l->param0 + (f ? f->offset : 0);
    bool mmio = f && f->kind == FIELD_MMIO;
    if (o->json) {
        out_key(o, mmio ? "mmio" : "entry");
        out_jhex(o, at);
    } else {
        out_str(o, mmio ? " mmio " : " at ");
        out_hex(o, at);
    }
}

/* The same as JSON members: level, unit, index, where, raw. */
static void level_json(Out *o, int k, const char *name, const SessLevel *l)
{
    out_key(o, "level");
    out_dec(o, (uint64_t)k);
    out_key(o, "unit");
    out_jstr(o, name);
    out_key(o, "index");
    if (l->index == UINT64_MAX)
        out_str(o, "null");
    else
        out_dec(o, l->index);
    where(o, l);
    if (has_raw(l)) {
        out_key(o, "raw");
        out_jhex(o, l->raw);
    }
}

/* PREFIX K: UNIT [INDEX], where it lives, then RAW_SEP and the raw value:
 * a level as text (walk, and the level of a fault). */
static void level_text(Out *o, const char *prefix, int k, const char *name, const SessLevel *l, const char *raw_sep)
{
    out_str(o, prefix);
    out_dec(o, (uint64_t)k);
    out_str(o, ": ");
    out_str(o, name);
    if (l->index != UINT64_MAX) {
        out_str(o, " [");
        out_dec(o, l->index);
        out_ch(o, ']');
    }
    where(o, l);
    if (has_raw(l)) {
        out_str(o, raw_sep);
        out_hex(o, l->raw);
    }
}

/* "level K: UNIT [I] at PA, raw R" or its JSON keys, of the level the
 * fault names. */
static void level_detail(Out *o, const Session *s, const SessWalk *w)
{
    if (w->fault_level < 0)
        return;
    int k = w->fault_level;
    const SessLevel *l = &w->lv[k];
    const char *name = unit_name(s, l);
    if (o->json)
        level_json(o, k, name, l);
    else
        level_text(o, " at level ", k, name, l, ", raw ");
}

/* The fault-specific part of a fault line (after "fault"). */
static void fault_detail(Out *o, Session *s, const SessWalk *w)
{
    if (o->json) {
        out_key(o, "fault");
        out_jstr(o, sess_fault_json[w->fault]);
    } else {
        out_str(o, sess_fault_text[w->fault]);
    }
    switch (w->fault) {
    case SF_NOT_MAPPED:
    case SF_INVALID:
    case SF_TOO_DEEP:
        level_detail(o, s, w);
        break;
    case SF_OUTSIDE:
        level_detail(o, s, w);
        if (o->json) {
            out_key(o, "mem_pa");
            out_jhex(o, w->table_outside ? w->lv[w->fault_level].out : w->mem_pa);
            out_key(o, "mem_size");
            out_jhex(o, s->mem.size);
        } else {
            out_str(o, w->table_outside ? ": its table at " : ": ");
            out_hex(o, w->table_outside ? w->lv[w->fault_level].out : w->mem_pa);
            out_str(o, " is past the end of memory (");
            out_hex(o, s->mem.size);
            out_str(o, " bytes)");
        }
        break;
    case SF_BAD_VA:
        if (o->json) {
            out_key(o, "limit");
            out_jhex(o, s->space);
        } else {
            out_str(o, " (addresses are below ");
            out_hex(o, s->space);
            out_ch(o, ')');
        }
        break;
    case SF_NO_ROOT:
        if (!o->json)
            out_str(o, " (after load, set it: root PA)");
        break;
    case SF_ENGINE:
        if (o->json) {
            out_key(o, "message");
            out_jstr(o, s->error);
        } else {
            out_str(o, ": ");
            out_str(o, s->error);
        }
        break;
    default:
        break;
    }
}

/* ---- results ------------------------------------------------------------------------ */

static void head(Out *o, const char *cmd, uint64_t va, const Access *acc)
{
    if (!o->json)
        return;
    out_open(o);
    out_key(o, "cmd");
    out_jstr(o, cmd);
    out_key(o, "va");
    out_jhex(o, va);
    if (acc) {
        out_key(o, "access");
        out_jstr(o, access_names[acc->kind]);
    }
}

static void hit(Out *o, Session *s, const char *cmd, uint64_t va, uint64_t pa, uint64_t flags, uint64_t psz,
                const Access *acc)
{
    int need = acc ? session_access_flag(s, acc->kind) : -1;
    bool denied = need >= 0 && !(flags & ir_flag(s->ir, need));
    const char *fname = need >= 0 ? s->ir->flags.items[need] : "";
    head(o, cmd, va, acc);
    if (o->json) {
        out_key(o, "result");
        out_jstr(o, denied ? "fault" : "ok");
        if (denied) {
            out_key(o, "fault");
            out_jstr(o, "permission");
            out_key(o, "missing");
            out_jstr(o, fname);
        }
        out_key(o, "pa");
        out_jhex(o, pa);
        out_key(o, "page_size");
        out_jhex(o, psz);
        out_key(o, "flags");
        out_jflags(o, s, flags);
        out_end(o);
        return;
    }
    out_hex(o, va);
    if (denied) {
        out_str(o, ": fault: permission: ");
        out_str(o, access_names[acc->kind]);
        out_str(o, " needs ");
        out_str(o, fname);
        out_str(o, " (-> ");
    } else {
        out_str(o, " -> ");
    }
    out_hex(o, pa);
    out_str(o, denied ? ", " : " (");
    out_size(o, psz);
    out_str(o, " page, ");
    out_flags(o, s, flags);
    out_str(o, ")\n");
}

void explain_hit(Out *o, Session *s, uint64_t va, uint64_t pa, uint64_t flags, uint64_t psz, const Access *acc)
{
    hit(o, s, "translate", va, pa, flags, psz, acc);
}

void explain_result(Out *o, Session *s, const char *cmd, const SessWalk *w, const Access *acc)
{
    if (w->fault == SF_NONE) {
        hit(o, s, cmd, w->va, w->pa, w->flags, w->psz, acc);
        return;
    }
    head(o, cmd, w->va, acc);
    if (o->json) {
        out_key(o, "result");
        out_jstr(o, "fault");
    } else {
        out_hex(o, w->va);
        out_str(o, ": fault: ");
    }
    fault_detail(o, s, w);
    out_end(o);
}

uint64_t explain_access(Out *o, Session *s, uint64_t va, const Access *acc, uint64_t *ok)
{
    uint64_t last = va + acc->width - 1, a = va, lines = 0;
    SessWalk w;
    *ok = 0;
    /* every page the access touches, from its first byte on */
    for (;;) {
        session_walk(s, a, &w);
        lines++;
        *ok += w.fault == SF_NONE;
        explain_result(o, s, "translate", &w, acc);
        uint64_t next;
        if (w.fault == SF_NONE) {
            next = session_leaf_end(s, &w, last + 1);
        } else {
            if (!w.span || w.fault == SF_BAD_VA || w.fault == SF_ENGINE || w.fault == SF_NO_ROOT)
                return lines;
            next = (a & ~(w.span - 1)) + w.span;
        }
        if (next <= a || next > last)
            return lines;
        a = next;
    }
}

/* The state fields of u (read from the level's entry) with their named
 * slices: a line each, or a JSON object of objects. `as` prefixes the
 * text lines (a variant's name). */
static void unit_fields(Out *o, Session *s, const IrUnit *u, const SessLevel *l, const char *as)
{
    uint64_t st[64];
    int n = session_decode(s, u, l->raw, l->param0, st, 64);
    if (o->json)
        out_open(o);
    for (int k = 0; k < n; k++) {
        const SField *f = u->su->state.items[k];
        if (o->json) {
            out_key(o, f->name);
            out_open(o);
            out_key(o, "value");
            out_jhex(o, st[k]);
        } else {
            out_str(o, "    ");
            if (as) {
                out_str(o, "as ");
                out_str(o, as);
                out_str(o, ": ");
            }
            out_str(o, f->name);
            out_str(o, " = ");
            out_hex(o, st[k]);
        }
        bool first = true;
        VEC_FOREACH(const SSlice *, sl, f->slices) {
            if (sl->implicit)
                continue;
            unsigned w = sl->hi - sl->lo;
            uint64_t v = (w >= 64 ? st[k] : st[k] >> sl->lo & (((uint64_t)1 << w) - 1));
            if (o->json) {
                out_key(o, sl->name);
                out_jhex(o, v);
                continue;
            }
            out_str(o, first ? ": " : " ");
            first = false;
            out_str(o, sl->name);
            out_ch(o, '=');
            if (w <= 3)
                out_dec(o, v);
            else
                out_hex(o, v);
        }
        if (o->json)
            out_ch(o, '}');
        else
            out_ch(o, '\n');
    }
    if (o->json)
        out_ch(o, '}');
}

/* A level's fields; an entry no variant of its choice accepted is shown
 * as each variant would read it (which one has the reserved bits?). */
static void fields(Out *o, Session *s, const SessLevel *l)
{
    const IrUnit *c = l->ok || !l->unit ? NULL : session_choice_of(s, l->unit);
    if (o->json) {
        out_key(o, "fields");
        unit_fields(o, s, l->unit, l, NULL);
    } else if (!c) {
        unit_fields(o, s, l->unit, l, NULL);
    }
    if (!c)
        return;
    if (o->json) {
        out_key(o, "variants");
        out_open(o);
    }
    VEC_FOREACH(const IrUnit *, v, c->variants) {
        if (o->json)
            out_key(o, v->name);
        unit_fields(o, s, v, l, v->name);
    }
    if (o->json)
        out_ch(o, '}');
}

void explain_walk(Out *o, Session *s, const SessWalk *w)
{
    for (int k = 0; k < w->levels; k++) {
        const SessLevel *l = &w->lv[k];
        const char *name = unit_name(s, l);
        if (o->json) {
            head(o, "walk", w->va, NULL);
            level_json(o, k, name, l);
            out_key(o, "ok");
            out_str(o, l->ok ? "true" : "false");
            if (l->ok) {
                out_key(o, "out");
                out_jhex(o, l->out);
            }
            fields(o, s, l);
            out_end(o);
            continue;
        }
        level_text(o, "level ", k, name, l, " = ");
        if (l->ok) {
            out_str(o, " -> ");
            out_hex(o, l->out);
        } else {
            out_str(o, ": not valid for this address");
        }
        out_ch(o, '\n');
        fields(o, s, l);
    }
    explain_result(o, s, "walk", w, NULL);
}

/* ---- dump --------------------------------------------------------------------------- */

typedef struct Range {
    bool     on;
    uint64_t va, end, pa, psz, flags, pages;
    bool     partial;           /* a part of one page (a bounded segment) */
} Range;

static uint64_t flush_range(Out *o, Session *s, Range *r)
{
    if (!r->on)
        return 0;
    r->on = false;
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, "dump");
        out_key(o, "va");
        out_jhex(o, r->va);
        out_key(o, "end");
        out_jhex(o, r->end);
        out_key(o, "pa");
        out_jhex(o, r->pa);
        out_key(o, "size");
        out_jhex(o, r->end - r->va);
        out_key(o, "page_size");
        out_jhex(o, r->psz);
        out_key(o, "pages");
        out_dec(o, r->pages);
        if (r->partial) {
            out_key(o, "partial");
            out_str(o, "true");
        }
        out_key(o, "flags");
        out_jflags(o, s, r->flags);
        out_end(o);
        return 1;
    }
    out_hex(o, r->va);
    out_ch(o, '-');
    out_hex(o, r->end);
    out_str(o, " -> ");
    out_hex(o, r->pa);
    out_ch(o, '-');
    out_hex(o, r->pa + (r->end - r->va));
    out_ch(o, ' ');
    out_size(o, r->end - r->va);
    if (r->partial) {
        out_str(o, " (part of a ");
        out_size(o, r->psz);
        out_str(o, " page) ");
    } else {
        out_str(o, " (");
        out_dec(o, r->pages);
        out_str(o, " x ");
        out_size(o, r->psz);
        out_str(o, r->pages == 1 ? " page) " : " pages) ");
    }
    out_flags(o, s, r->flags);
    out_ch(o, '\n');
    return 1;
}

static void fault_range(Out *o, Session *s, const SessWalk *w, uint64_t lo, uint64_t end)
{
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, "dump");
        out_key(o, "va");
        out_jhex(o, lo);
        out_key(o, "end");
        out_jhex(o, end);
        out_key(o, "result");
        out_jstr(o, "fault");
    } else {
        out_hex(o, lo);
        out_ch(o, '-');
        out_hex(o, end);
        out_str(o, ": ");
    }
    fault_detail(o, s, w);
    out_end(o);
}

uint64_t explain_dump(Out *o, Session *s, uint64_t lo, uint64_t hi, uint64_t max_walks)
{
    Range r = { 0 };
    uint64_t ranges = 0, mapped = 0, walks = 0, va = lo;
    SessWalk w;
    bool stopped = false;
    /* hi == 0: up to 2^64 */
    while (hi == 0 || va < hi) {
        if (walks++ >= max_walks) {
            stopped = true;
            break;
        }
        session_walk(s, va, &w);
        uint64_t next;
        if (w.fault == SF_NONE && session_leaf_partial(s, &w)) {
            /* a bounded segment: from va to where it stops translating */
            ranges += flush_range(o, s, &r);
            next = session_leaf_end(s, &w, hi);
            r = (Range){ true, va, next ? next : UINT64_MAX, w.pa, w.psz, w.flags, 1, true };
            mapped += r.end - r.va;
            ranges += flush_range(o, s, &r);
        } else if (w.fault == SF_NONE) {
            uint64_t psz = w.psz ? w.psz : 1;
            uint64_t base = va & ~(psz - 1), pbase = w.pa - (va - base);
            if (!(r.on && r.end == base && r.pa + (r.end - r.va) == pbase && r.psz == psz && r.flags == w.flags)) {
                ranges += flush_range(o, s, &r);
                r = (Range){ true, base, base, pbase, psz, w.flags, 0, false };
            }
            r.end = base + psz;
            r.pages++;
            mapped += psz;
            next = base + psz;
        } else {
            ranges += flush_range(o, s, &r);
            if (w.fault == SF_BAD_VA)
                break;
            uint64_t span = w.span, base = span ? va & ~(span - 1) : 0;
            next = span ? base + span : 0;
            if (w.fault != SF_NOT_MAPPED) {
                fault_range(o, s, &w, base, next);
                ranges++;
                if (w.fault == SF_NO_ROOT || w.fault == SF_ENGINE)
                    break;
            }
        }
        if (next <= va)
            break;
        va = next;
    }
    ranges += flush_range(o, s, &r);
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, "dump");
        out_key(o, "ranges");
        out_dec(o, ranges);
        out_key(o, "mapped");
        out_jhex(o, mapped);
        if (stopped) {
            out_key(o, "stopped_at");
            out_jhex(o, va);
        }
        out_end(o);
    } else {
        out_dec(o, ranges);
        out_str(o, ranges == 1 ? " range, " : " ranges, ");
        out_hex(o, mapped);
        out_str(o, " bytes mapped");
        if (stopped) {
            out_str(o, "; stopped after ");
            out_dec(o, max_walks);
            out_str(o, " walks at ");
            out_hex(o, va);
            out_str(o, " (dump VA SIZE goes on from there)");
        }
        out_ch(o, '\n');
    }
    return ranges;
}
