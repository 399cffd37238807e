/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * session.c - a spec run in-process: the core `vrsc jit` and `vrsc
 * translate` share (docs/jit.md).
 *
 * Input: a spec file and options. The spec goes down to LIR the way `vrsc
 * build` takes it (load, check, synthesize and prove, lower); one root's
 * range driver (LModule.roots) is then run by an engine (engine.h): the
 * JIT, or the interpreter when vrsc has no libgccjit or the JIT fails.
 * Page-table memory is a vrs_hosted (runtime/vrs_hosted.h) seen by the
 * engine as an EngineMem, so an entry pointing outside it is a counted
 * fault, never a crash. The driver's context is a uint64_t[] (field 0 the
 * env). Output: calls of the driver (map/unmap/protect/resolve), its traced
 * walk classified into a result or a fault, state records decoded for
 * display, and memory images loaded and saved. How results read is
 * explain.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "session.h"
#include "pipeline.h"

const char *const sess_fault_json[] = {
#define X(k, j, t) j,
    SESS_FAULTS(X)
#undef X
};

const char *const sess_fault_text[] = {
#define X(k, j, t) t,
    SESS_FAULTS(X)
#undef X
};

/* By LIR status (lir.h), with the meaning docs/driver.md gives it. */
#define SESS_STATUSES(X)                                                       \
    X("OK",     "done")                                                        \
    X("EINVAL", "an argument breaks a requires: alignment, range or size")     \
    X("EEXIST", "a different mapping is in the way")                           \
    X("ENOENT", "nothing mapped there")                                        \
    X("ENOMEM", "a table allocation failed; nothing changed")

const char *const sess_status_names[] = {
#define X(n, t) n,
    SESS_STATUSES(X)
#undef X
};

static const char *const status_texts[] = {
#define X(n, t) t,
    SESS_STATUSES(X)
#undef X
};

const char *session_status_name(uint64_t status)
{
    return status <= LIR_ENOMEM ? sess_status_names[status] : "?";
}

const char *session_status_text(uint64_t status)
{
    return status <= LIR_ENOMEM ? status_texts[status] : "unknown status";
}

/* ---- numbers ------------------------------------------------------------------------ */

bool session_parse_num(const char *tok, uint64_t *v)
{
    const char *p = tok;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    uint64_t n = 0;
    int digits = 0;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else if (*p == '_' && digits && p[1] && p[1] != '_')
            continue;
        else
            break;
        if (n > (UINT64_MAX - d) / base)
            return false;
        n = n * base + d;
        digits++;
    }
    if (!digits)
        return false;
    unsigned shift = 0;
    switch (*p) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: break;
    }
    if (shift) {
        p++;
        if (p[0] == 'i' && p[1] == 'B')
            p += 2;
        else if (p[0] == 'B')
            p++;
        if (n > (UINT64_MAX >> shift))
            return false;
        n <<= shift;
    }
    if (*p)
        return false;
    *v = n;
    return true;
}

bool session_parse_engine(const char *arg, EngineKind *k)
{
    if (strcmp(arg, "jit") == 0)
        *k = ENGINE_JIT;
    else if (strcmp(arg, "interp") == 0)
        *k = ENGINE_INTERP;
    else
        return false;
    return true;
}

bool session_getline(FILE *f, char *buf, size_t cap, size_t *len, bool *too_long, bool *nul)
{
    size_t n = 0, total = 0;
    int c;
    *too_long = *nul = false;
    while ((c = getc(f)) != EOF && c != '\n') {
        total++;
        if (c == 0)
            *nul = true;
        if (n + 1 < cap)
            buf[n++] = (char)c;
        else
            *too_long = true;
    }
    buf[n] = 0;
    *len = total;
    return c != EOF || total > 0;
}

/* ---- the engine --------------------------------------------------------------------- */

/* The JIT compiles what a session needs when it first needs it
 * (jit_compile_some, jit_add): start-up pays only for resolve, which
 * `translate` runs for every address; the traced walk (`walk`, and the
 * explanation of a fault) compiles on its first use, and the first map,
 * unmap or protect compiles the three mutators together. */
static bool jit_ready(Session *s, const LFn *f)
{
    if (jit_native(s->jit, f))
        return true;
    const LRoot *r = s->root;
    LFn *one[1] = { (LFn *)f };
    LFn *mut[3] = { r->map, r->unmap, r->protect };
    bool mutator = f == r->map || f == r->unmap || f == r->protect;
    const char *err = NULL;
    if (jit_add(s->jit, mutator ? mut : one, mutator ? 3 : 1, &err))
        return true;
    /* A compile on first use failed: the rest of the session interprets
     * (as when the start-up compile fails), so the failure is paid and
     * reported once, not on every command. What the JIT compiled stays in
     * use; both engines run the same LIR. */
    fprintf(s->opt.err, "vrsc: the JIT failed on %s (%s): using the interpreter\n", f->name, err ? err : "?");
    s->engine = ENGINE_INTERP;
    s->in = linterp_new(s->m, &s->mem);
    if (!s->in)
        snprintf(s->error, sizeof s->error, "%s: the JIT failed, and no memory for the interpreter", f->name);
    return false;
}

uint64_t session_call(Session *s, const LFn *f, const uint64_t *args)
{
    if (s->in) {
        uint64_t r = linterp_call(s->in, f, args);
        const char *e = linterp_error(s->in);
        if (e) {
            snprintf(s->error, sizeof s->error, "%s: %s", f->name, e);
            linterp_clear_error(s->in);
            return 0;
        }
        return r;
    }
    if (!jit_ready(s, f))
        return s->in ? session_call(s, f, args) : 0;
    return jit_call(s->jit, f, args);
}

static uint64_t ptr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* Accesses outside memory are counted per call: the count so far goes to
 * the stats, so EngineMem.fault_pa names this call's first. */
static void faults_reset(Session *s)
{
    s->st.mem_faults += s->mem.faults;
    s->mem.faults = 0;
}

static bool op_call(Session *s, const LFn *f, const uint64_t *args, uint64_t *status)
{
    s->error[0] = 0;
    faults_reset(s);
    *status = session_call(s, f, args);
    return !s->error[0];
}

bool session_map(Session *s, uint64_t va, uint64_t size, uint64_t flags, uint64_t pa, uint64_t *status,
                 uint64_t *done)
{
    *done = 0;
    uint64_t args[6] = { ptr(s->ctx), va, size, flags, pa, ptr(done) };
    return op_call(s, s->root->map, args, status);
}

bool session_unmap(Session *s, uint64_t va, uint64_t size, uint64_t *status, uint64_t *done)
{
    *done = 0;
    uint64_t args[4] = { ptr(s->ctx), va, size, ptr(done) };
    return op_call(s, s->root->unmap, args, status);
}

bool session_protect(Session *s, uint64_t va, uint64_t size, uint64_t flags, uint64_t *status, uint64_t *done)
{
    *done = 0;
    uint64_t args[5] = { ptr(s->ctx), va, size, flags, ptr(done) };
    return op_call(s, s->root->protect, args, status);
}

uint64_t session_resolve(Session *s, uint64_t va, uint64_t *pa, uint64_t *flags, uint64_t *psz)
{
    uint64_t f0 = s->mem.faults, r;
    if (!s->have_root)
        return LIR_RETRY;
    if (s->nresolve) {
        r = s->nresolve(s->ctx, va, pa, flags, psz);
    } else {
        uint64_t args[5] = { ptr(s->ctx), va, ptr(pa), ptr(flags), ptr(psz) };
        s->error[0] = 0;
        r = session_call(s, s->root->resolve, args);
        if (s->error[0])
            return LIR_RETRY;
    }
    return s->mem.faults != f0 ? LIR_RETRY : r;
}

static uint64_t span_of(const IrUnit *u)
{
    return !u || u->inbits >= 64 ? 0 : (uint64_t)1 << u->inbits;
}

/* Does an entry that is not valid still hold a mapping, or did unmap leave
 * it so (x86 keeps the frame bits of an entry whose present bit unmap
 * cleared)? The unit's own unmap program, tried on a copy of the raw
 * word in the scratch frame, decides: if it changes nothing, the entry
 * holds nothing and the address is not mapped; otherwise the entry is one
 * the hardware would reject (reserved bits, a bad combination). Entries
 * that are not one word of memory: nonzero means invalid. */
static bool holds_nothing(Session *s, const IrUnit *u, uint64_t raw)
{
    const LUnitFns *fns = u && u->kind == IR_SEGMENT ? lir_unit_fns(s->m, u) : NULL;
    const SFieldIO *one = fns ? lir_single_read(u) : NULL;
    const SField *f = one ? one->field : NULL;
    if (!f || !fns->do_[SYN_UNMAP] || f->kind != FIELD_MEM || u->params.len != 1 || !f->size || f->size > 8
        || f->offset + f->size > VRS_HOSTED_FRAME || !s->scratch || s->scratch + VRS_HOSTED_FRAME > s->mem.size)
        return raw == 0;
    uint64_t at = s->scratch + f->offset, after = 0;
    unsigned w = (unsigned)f->size;
    uint64_t mask = w == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * w)) - 1;
    vrs_hosted_write(s->h, at, w, raw & mask);
    uint64_t args[4] = { s->ctx[0], s->scratch, 0, u->map_size };
    uint64_t faults = s->mem.faults;
    session_call(s, fns->do_[SYN_UNMAP], args);
    s->mem.faults = faults;
    vrs_hosted_read(s->h, at, w, &after);
    vrs_hosted_write(s->h, at, w, 0);
    return after == (raw & mask);
}

void session_walk(Session *s, uint64_t va, SessWalk *w)
{
    memset(w, 0, sizeof *w);
    w->va = va;
    w->fault_level = -1;
    s->st.walks++;
    if (!s->have_root) {
        w->fault = SF_NO_ROOT;
        return;
    }
    int nwords = s->root->trace->fields.len;
    memset(s->trace, 0, sizeof(uint64_t) * (size_t)nwords);
    faults_reset(s);
    s->error[0] = 0;
    if (!s->nwalk && s->jit && !s->in && jit_ready(s, s->root->walk))
        s->nwalk = (SessWalkFn *)jit_native(s->jit, s->root->walk);
    if (s->nwalk) {
        w->status = s->nwalk(s->ctx, va, s->trace);
    } else if (s->error[0]) {
        w->fault = SF_ENGINE;
        return;
    } else {
        uint64_t args[3] = { ptr(s->ctx), va, ptr(s->trace) };
        w->status = session_call(s, s->root->walk, args);
    }
    if (s->error[0]) {
        w->fault = SF_ENGINE;
        return;
    }
    uint64_t n = s->trace[LTRACE_LEVELS];
    int max = s->root->max_levels < SESSION_MAX_LEVELS ? s->root->max_levels : SESSION_MAX_LEVELS;
    w->levels = n > (uint64_t)max ? max : (int)n;
    for (int k = 0; k < w->levels; k++) {
        const uint64_t *t = s->trace + LTRACE_LEVEL0 + k * LTRACE_PER;
        SessLevel *l = &w->lv[k];
        l->unit = t[LTRACE_UNIT] < (uint64_t)s->ir->units.len ? s->ir->units.items[t[LTRACE_UNIT]] : NULL;
        l->param0 = t[LTRACE_PARAM0];
        l->index = t[LTRACE_INDEX];
        l->raw = t[LTRACE_RAW];
        l->ok = t[LTRACE_OK] != 0;
        l->out = t[LTRACE_OUT];
    }
    if (w->status == LIR_OK && !s->mem.faults) {
        w->fault = SF_NONE;
        w->pa = s->trace[LTRACE_PA];
        w->flags = s->trace[LTRACE_FLAGS];
        w->psz = s->trace[LTRACE_PSZ];
        return;
    }
    w->fault_level = w->levels - 1;
    if (s->mem.faults) {
        w->fault = SF_OUTSIDE;
        w->mem_pa = s->mem.fault_pa;
        /* a table wholly outside memory: the entry pointing at it is the
         * fault, and all it covers is skipped at once */
        int k = w->levels - 2;
        if (k >= 0 && w->lv[k].ok && w->lv[k].out >= s->mem.size) {
            w->fault_level = k;
            w->table_outside = true;
        }
    } else if (w->status == LIR_EINVAL && !w->levels) {
        w->fault = SF_BAD_VA;
    } else if (w->levels && w->lv[w->levels - 1].ok) {
        w->fault = SF_TOO_DEEP;
    } else {
        const SessLevel *last = w->levels ? &w->lv[w->levels - 1] : NULL;
        w->fault = last && last->raw && !holds_nothing(s, last->unit, last->raw) ? SF_INVALID : SF_NOT_MAPPED;
    }
    w->span = w->fault == SF_BAD_VA ? 0 : w->fault_level >= 0 ? span_of(w->lv[w->fault_level].unit) : s->space;
}

int session_decode(Session *s, const IrUnit *u, uint64_t raw, uint64_t param0, uint64_t *st, int max)
{
    const LUnitFns *fns = u && u->kind == IR_SEGMENT ? lir_unit_fns(s->m, u) : NULL;
    if (!fns || fns->state->fields.len > max)
        return 0;
    memset(st, 0, sizeof(uint64_t) * (size_t)fns->state->fields.len);
    s->error[0] = 0;
    if (fns->decode) {
        uint64_t args[2] = { raw, ptr(st) };
        session_call(s, fns->decode, args);
    } else if (fns->load && u->params.len <= 1) {
        uint64_t args[3] = { s->ctx[0], param0, ptr(st) };
        if (!u->params.len)
            args[1] = ptr(st);
        faults_reset(s);
        session_call(s, fns->load, args);
    } else {
        return 0;
    }
    return s->error[0] ? 0 : u->su->state.len;
}

const IrUnit *session_choice_of(const Session *s, const IrUnit *u)
{
    VEC_FOREACH(const IrUnit *, c, s->ir->units)
        if (c->kind == IR_CHOICE)
            VEC_FOREACH(const IrUnit *, v, c->variants)
                if (v == u)
                    return c;
    return NULL;
}

int session_access_flag(const Session *s, int access)
{
    return access >= 0 && access <= 2 ? s->access_flag[access] : -1;
}

/* The leaves under unit x: segments without a child table. */
static void leaves(const IrUnit *x, const IrUnit **out, int *n, int max, int depth)
{
    if (!x || depth > 32 || *n >= max)
        return;
    if (x->kind == IR_TABLE) {
        leaves(x->elem, out, n, max, depth + 1);
    } else if (x->kind == IR_CHOICE) {
        VEC_FOREACH(const IrUnit *, v, x->variants)
            leaves(v, out, n, max, depth + 1);
    } else if (x->child) {
        leaves(x->child, out, n, max, depth + 1);
    } else {
        for (int i = 0; i < *n; i++)
            if (out[i] == x)
                return;
        out[(*n)++] = x;
    }
}

static int access_flag(const Session *s, int access)
{
    static const char *const keys[] = { "read", "writ", "exec" };
    const IrUnit *ls[64];
    int nl = 0, best = -1;
    leaves(s->root->unit, ls, &nl, 64, 0);
    VEC_FOREACH(const char *, f, s->ir->flags) {
        if (!strstr(f, keys[access]) || (best >= 0 && strlen(f) >= strlen(s->ir->flags.items[best])))
            continue;
        /* a flag some leaf cannot read back would always look missing */
        bool readable = nl > 0;
        for (int i = 0; i < nl; i++)
            readable &= f_i < ls[i]->flag_decode.len && ls[i]->flag_decode.items[f_i] != NULL;
        if (readable)
            best = f_i;
    }
    return best;
}

static int unit_index(const Session *s, const IrUnit *u)
{
    VEC_FOREACH(const IrUnit *, x, s->ir->units)
        if (x == u)
            return x_i;
    return -1;
}

bool session_leaf_partial(const Session *s, const SessWalk *w)
{
    int k = w->levels ? unit_index(s, w->lv[w->levels - 1].unit) : -1;
    return k >= 0 && s->partial[k];
}

uint64_t session_leaf_end(Session *s, const SessWalk *w, uint64_t limit)
{
    uint64_t psz = w->psz ? w->psz : 1;
    uint64_t end = (w->va & ~(psz - 1)) + psz;
    if (end <= w->va)
        end = 0;   /* the page ends at 2^64 */
    if (limit && (!end || limit < end))
        end = limit;
    if (!session_leaf_partial(s, w))
        return end;
    /* the va bound is in the state: find the first address in (va, end]
     * that does not translate on from w->pa, by bisection */
    uint64_t ok = w->va, bad = end ? end - 1 : UINT64_MAX;
    SessWalk t;
    session_walk(s, bad, &t);
    if (t.fault == SF_NONE && t.pa == w->pa + (bad - w->va) && t.flags == w->flags)
        return end;
    while (bad - ok > 1) {
        uint64_t mid = ok + (bad - ok) / 2;
        session_walk(s, mid, &t);
        if (t.fault == SF_NONE && t.pa == w->pa + (mid - w->va) && t.flags == w->flags)
            ok = mid;
        else
            bad = mid;
    }
    return bad;
}

uint64_t session_min_page(const Session *s)
{
    uint64_t best = 0;
    VEC_FOREACH(const IrUnit *, u, s->ir->units)
        if (u->kind == IR_SEGMENT && !u->child && u->page_size && (!best || u->page_size < best))
            best = u->page_size;
    return best;
}

/* ---- the root ----------------------------------------------------------------------- */

static int ctx_field(const Session *s, const char *name)
{
    VEC_FOREACH(const LField *, f, s->root->ctx->fields)
        if (strcmp(f->name, name) == 0)
            return f_i;
    return -1;
}

static struct vrs_env *env_of(Session *s)
{
    return vrs_hosted_env(s->h);
}

/* The context's word of the root's k-th parameter. */
static int ctx_param(const Session *s, int k)
{
    return k < s->root->unit->params.len ? ctx_field(s, s->root->unit->params.items[k]) : -1;
}

/* A segment root's parameters (an entry's address, an MMIO window) each
 * get a zeroed frame of their own, so they never alias a table; so does
 * the scratch entry (holds_nothing). */
static bool place_frames(Session *s)
{
    for (int k = 0; k < s->root->unit->params.len; k++) {
        int f = ctx_param(s, k);
        uint64_t pa = 0;
        if (f < 0)
            continue;
        if (s->kind != ROOT_TABLE) {
            if (!vrs_alloc_table(env_of(s), VRS_HOSTED_FRAME, VRS_HOSTED_FRAME, &pa))
                return false;
            s->own_frames++;
        }
        s->ctx[f] = pa;
    }
    return true;
}

static bool place_scratch(Session *s)
{
    s->own_frames++;
    return vrs_alloc_table(env_of(s), VRS_HOSTED_FRAME, VRS_HOSTED_FRAME, &s->scratch);
}

/* A register root's cached copy, re-read the way the driver's init does. */
static void refresh_root_cache(Session *s)
{
    if (s->ctx_cached < 0)
        return;
    uint64_t *r = s->root_reg >= 0 ? vrs_hosted_reg(s->h, (unsigned)s->root_reg) : NULL;
    if (r && s->ctx_raw >= 0) {
        s->ctx[s->ctx_raw] = *r;
        s->ctx[s->ctx_cached] = 1;
    } else {
        s->ctx[s->ctx_cached] = 0;
    }
}

bool session_set_root(Session *s, uint64_t pa, char *err, size_t n)
{
    if (s->kind == ROOT_SEGMENT) {
        /* no table: PA says where the segment's registers or entry are */
        int f = ctx_param(s, 0);
        if (f < 0) {
            snprintf(err, n, "the root %s is a segment without a table or an address: there is nothing to set",
                     s->root->unit->name);
            return false;
        }
        if (pa >= s->mem.size || s->mem.size - pa < VRS_HOSTED_FRAME) {
            snprintf(err, n, "%s's registers at 0x%llx are not in memory (0x%llx bytes)", s->root->unit->name,
                     (unsigned long long)pa, (unsigned long long)s->mem.size);
            return false;
        }
        s->ctx[f] = pa;
        return true;
    }
    const IrUnit *t = s->kind == ROOT_TABLE ? s->root->unit : s->ptr_unit->child;
    if (pa >= s->mem.size || t->table_bytes > s->mem.size - pa) {
        snprintf(err, n, "a %s at 0x%llx does not fit in memory (0x%llx bytes)", t->name,
                 (unsigned long long)pa, (unsigned long long)s->mem.size);
        return false;
    }
    if (s->kind == ROOT_TABLE) {
        s->ctx[ctx_param(s, 0)] = pa;
        s->have_root = true;
        return true;
    }
    const LUnitFns *fns = lir_unit_fns(s->m, s->ptr_unit);
    const LFn *op = fns ? fns->op[SYN_MAP] : NULL;
    if (!op) {
        snprintf(err, n, "%s has no map program to point it at a table", s->ptr_unit->name);
        return false;
    }
    uint64_t args[72];
    int k = 0;
    args[k++] = s->ctx[0];
    for (int i = 0; i < s->ptr_unit->params.len && i < 64; i++)
        args[k++] = ctx_param(s, i) >= 0 ? s->ctx[ctx_param(s, i)] : 0;
    args[k++] = 0;
    args[k++] = s->ptr_unit->map_size;
    args[k++] = 0;
    args[k++] = pa;
    uint64_t st;
    if (!op_call(s, op, args, &st)) {
        snprintf(err, n, "%s", s->error);
        return false;
    }
    if (st != LIR_OK) {
        snprintf(err, n, "%s's map rejects table address 0x%llx: %s (%s)", s->ptr_unit->name,
                 (unsigned long long)pa, session_status_name(st), session_status_text(st));
        return false;
    }
    refresh_root_cache(s);
    s->have_root = true;
    return true;
}

bool session_root_pa(Session *s, uint64_t *pa)
{
    if (!s->have_root || (s->kind == ROOT_SEGMENT && ctx_param(s, 0) < 0))
        return false;
    if (s->kind != ROOT_POINTER) {
        *pa = s->ctx[ctx_param(s, 0)];
        return true;
    }
    SessWalk w;
    session_walk(s, 0, &w);
    s->st.walks--;
    if (w.levels < 1 || !w.lv[0].ok)
        return false;
    *pa = w.lv[0].out;
    return true;
}

/* A fresh, empty table under the root (the driver's init where it has one). */
static bool fresh_root(Session *s, char *err, size_t n)
{
    if (!place_frames(s)) {
        snprintf(err, n, "no memory for the root's registers");
        return false;
    }
    s->have_root = true;
    if (s->kind == ROOT_SEGMENT)
        return true;
    s->have_root = false;
    if (s->kind == ROOT_POINTER && s->root->init) {
        uint64_t args[1] = { ptr(s->ctx) }, st;
        if (!op_call(s, s->root->init, args, &st)) {
            snprintf(err, n, "%s", s->error);
            return false;
        }
        if (st != LIR_OK) {
            snprintf(err, n, "the driver's init failed: %s", session_status_name(st));
            return false;
        }
        s->have_root = true;
        return true;
    }
    const IrUnit *t = s->kind == ROOT_TABLE ? s->root->unit : s->ptr_unit->child;
    uint64_t pa;
    if (!vrs_alloc_table(env_of(s), t->table_bytes, t->table_bytes, &pa)) {
        snprintf(err, n, "no memory for a %s", t->name);
        return false;
    }
    return session_set_root(s, pa, err, n);
}

/* Points the engine and the context at memory h (which the session now owns). */
static void use_memory(Session *s, vrs_hosted *h)
{
    if (s->h)
        vrs_hosted_free(s->h);
    s->h = h;
    s->own_frames = 0;
    s->mem.size = vrs_hosted_phys_bytes(h);
    s->mem.base = vrs_hosted_ptr(h, 0, s->mem.size);
    s->ctx[0] = ptr(vrs_hosted_env(h));
    if (s->ctx_raw >= 0)
        s->ctx[s->ctx_raw] = 0;
    if (s->ctx_cached >= 0)
        s->ctx[s->ctx_cached] = 0;
}

bool session_load(Session *s, const char *path, uint64_t at, uint64_t headroom, char *err, size_t n)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, n, "cannot open '%s': %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, n, "'%s' is not a regular file", path);
        return false;
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (!size) {
        snprintf(err, n, "'%s' is empty", path);
        return false;
    }
    uint64_t end = at + size;
    /* and frames above the image for the scratch entry and each register
     * of a segment root */
    if (s->kind != ROOT_TABLE)
        headroom += (uint64_t)s->root->unit->params.len * VRS_HOSTED_FRAME;
    headroom += VRS_HOSTED_FRAME;
    uint64_t want = end + headroom;
    if (end < at || want < end || want > (UINT64_C(1) << 43)) {
        snprintf(err, n, "'%s' (0x%llx bytes) at 0x%llx does not fit in a simulated memory", path,
                 (unsigned long long)size, (unsigned long long)at);
        return false;
    }
    if (headroom) {
        if (want < s->opt.mem_bytes && !s->opt.no_table)
            want = s->opt.mem_bytes;
        want = (want + VRS_HOSTED_FRAME - 1) & ~(uint64_t)(VRS_HOSTED_FRAME - 1);
    }
    vrs_hosted *h = vrs_hosted_new(want);
    if (!h) {
        snprintf(err, n, "cannot allocate 0x%llx bytes of simulated memory", (unsigned long long)want);
        return false;
    }
    if (!vrs_hosted_load(h, path, at)) {
        snprintf(err, n, "%s", vrs_hosted_last_error(h));
        vrs_hosted_free(h);
        return false;
    }
    /* new tables go above the image */
    if (end < want)
        vrs_hosted_reserve(h, end);
    use_memory(s, h);
    s->image_bytes = size;
    snprintf(s->image, sizeof s->image, "%s", path);
    s->have_root = false;
    if (!place_frames(s) || !place_scratch(s)) {
        snprintf(err, n, "loaded, but no memory is left for the root's registers");
        return false;
    }
    s->have_root = s->kind == ROOT_SEGMENT;
    return true;
}

bool session_save(Session *s, const char *path, char *err, size_t n)
{
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    if (!tmp) {
        snprintf(err, n, "out of memory");
        return false;
    }
    snprintf(tmp, len, "%s.vrsc-tmp", path);
    bool ok = vrs_hosted_save(s->h, tmp);
    if (!ok)
        snprintf(err, n, "cannot write '%s': %s", path, strerror(errno));
    else if (rename(tmp, path) != 0) {
        snprintf(err, n, "cannot write '%s': %s", path, strerror(errno));
        remove(tmp);
        ok = false;
    }
    free(tmp);
    return ok;
}

/* ---- opening ------------------------------------------------------------------------ */

/* The generated-name prefix: the file stem made an identifier. */
static const char *stem(Arena *a, const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t n = strcspn(b, ".");
    char *p = arena_printf(a, "vrs_%.*s", (int)n, b);
    for (char *q = p; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
            *q = '_';
    return p;
}

/* The spec down to LIR. Diagnostics go to d. */
static LModule *compile(Session *s, int *status)
{
    PipelineOptions po = { s->opt.include_dirs, s->opt.n_include_dirs, false };
    bool io_error = false;
    LModule *m = pipeline_lir(&s->a, &s->d, s->opt.spec, stem(&s->a, s->opt.spec), &po, &io_error);
    if (!m)
        *status = io_error || !s->d.errors ? 2 : 1;   /* unreadable, or an internal error */
    return m;
}

static const LRoot *pick_root(Session *s)
{
    const LModule *m = s->m;
    VEC_FOREACH(const LRoot *, r, m->roots)
        if (!s->opt.unit || strcmp(r->unit->name, s->opt.unit) == 0)
            return r;
    if (s->opt.unit)
        diag_plain(&s->d, DIAG_ERROR, "no root unit named '%s' with a range driver", s->opt.unit);
    else
        diag_plain(&s->d, DIAG_ERROR, "'%s' has no root with a range driver (a table, or a segment "
                   "pointing at tables or mapping ranges)", s->opt.spec);
    VEC_FOREACH(const LRoot *, r, m->roots)
        diag_plain(&s->d, DIAG_NOTE, "root with a driver: %s", r->unit->name);
    VEC_FOREACH(const IrUnit *, u, m->no_driver)
        diag_plain(&s->d, DIAG_NOTE, "root without a driver: %s: %s", u->name,
                   (const char *)m->no_driver_why.items[u_i]);
    return NULL;
}

static void classify_root(Session *s)
{
    const IrUnit *r = s->root->unit;
    s->kind = ROOT_SEGMENT;
    s->ptr_unit = NULL;
    if (r->kind == IR_TABLE) {
        s->kind = ROOT_TABLE;
    } else if (r->kind == IR_SEGMENT && r->child) {
        s->kind = ROOT_POINTER;
        s->ptr_unit = r;
    } else if (r->kind == IR_CHOICE) {
        VEC_FOREACH(const IrUnit *, v, r->variants)
            if (v->child && !s->ptr_unit)
                s->ptr_unit = v;
        if (s->ptr_unit)
            s->kind = ROOT_POINTER;
    }
    /* the input space, as the driver bounds it */
    s->space = r->inbits >= 64 ? 0 : (uint64_t)1 << r->inbits;
    const IrUnit *v0 = r->kind == IR_CHOICE && r->variants.len ? r->variants.items[0] : r;
    if (r->kind == IR_SEGMENT && v0->prog[SYN_MAP] && v0->map_size && (!s->space || v0->map_size < s->space))
        s->space = v0->map_size;
    s->root_reg = -1;
    if (r->kind == IR_SEGMENT) {
        const SFieldIO *one = lir_single_read(r);
        if (one && one->field->kind == FIELD_REG)
            s->root_reg = ir_reg_id(s->ir, one->field);
    }
}

static bool start_engine(Session *s)
{
    s->engine = s->opt.engine;
    if (s->engine == ENGINE_JIT) {
        const char *err = NULL;
        if (!jit_available()) {
            fprintf(s->opt.err, "vrsc: this vrsc was built without libgccjit: using the interpreter\n");
            s->engine = ENGINE_INTERP;
        } else if (!(s->jit = jit_compile_some(s->m, (LFn *const[]){ s->root->resolve }, 1, &s->mem, &err))) {
            fprintf(s->opt.err, "vrsc: the JIT failed (%s): using the interpreter\n", err ? err : "?");
            s->engine = ENGINE_INTERP;
        } else {
            s->nresolve = (SessResolveFn *)jit_native(s->jit, s->root->resolve);
        }
    }
    if (s->engine == ENGINE_INTERP)
        s->in = linterp_new(s->m, &s->mem);
    return s->in || s->jit;
}

Session *session_open(const SessionOptions *opt, int *status)
{
    Session *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(opt->err, "vrsc: out of memory\n");
        *status = 2;
        return NULL;
    }
    s->opt = *opt;
    if (!s->opt.mem_bytes)
        s->opt.mem_bytes = SESSION_DEFAULT_MEM;
    arena_init(&s->a);
    /* the compiler's diagnostics are kept, and shown only if it fails */
    char *dbuf = NULL;
    size_t dlen = 0;
    FILE *dout = open_memstream(&dbuf, &dlen);
    diag_init(&s->d, dout ? dout : opt->err, opt->color == COLOR_ALWAYS ? COLOR_ALWAYS : COLOR_NEVER);
    *status = 0;
    s->m = compile(s, status);
    s->ir = s->m ? s->m->ir : NULL;
    s->root = s->m ? pick_root(s) : NULL;
    if (s->root && !s->root->walk) {
        diag_plain(&s->d, DIAG_ERROR, "internal: the root %s has no traced walk", s->root->unit->name);
        s->root = NULL;
    }
    if (!s->root && !*status)
        *status = 1;
    if (dout) {
        fclose(dout);
        if (*status)
            fwrite(dbuf, 1, dlen, opt->err);
        free(dbuf);
        s->d.out = opt->err;
    }
    if (*status) {
        session_close(s);
        return NULL;
    }
    classify_root(s);
    for (int k = 0; k < 3; k++)
        s->access_flag[k] = access_flag(s, k);
    s->partial = calloc((size_t)s->ir->units.len + 1, sizeof(bool));
    if (s->partial)
        VEC_FOREACH(const IrUnit *, u, s->ir->units)
            VEC_FOREACH(const Sx *, p, u->pre)
                s->partial[u_i] |= sx_mentions(p, SX_VAR) && sx_mentions(p, SX_STATE);
    s->nctx = s->root->ctx->fields.len;
    s->ctx = calloc((size_t)s->nctx, sizeof(uint64_t));
    s->trace = calloc((size_t)s->root->trace->fields.len, sizeof(uint64_t));
    s->ctx_raw = ctx_field(s, "root_raw");
    s->ctx_cached = ctx_field(s, "root_cached");
    vrs_hosted *h = vrs_hosted_new(s->opt.mem_bytes);
    char err[256];
    if (!s->ctx || !s->trace || !s->partial || !h) {
        fprintf(opt->err, "vrsc: cannot allocate 0x%llx bytes of simulated memory\n",
                (unsigned long long)s->opt.mem_bytes);
        vrs_hosted_free(h);
        goto fail;
    }
    use_memory(s, h);
    /* tables start above the first MiB (or 16th) of memory, as on a PC, so
     * none sits at physical address 0 */
    vrs_hosted_reserve(h, s->opt.mem_bytes / 16 < (UINT64_C(1) << 20) ? s->opt.mem_bytes / 16 : UINT64_C(1) << 20);
    if (!start_engine(s)) {
        fprintf(opt->err, "vrsc: cannot start an engine\n");
        goto fail;
    }
    if (s->opt.no_table) {
        s->have_root = false;
    } else if (!fresh_root(s, err, sizeof err)) {
        fprintf(opt->err, "vrsc: %s\n", err);
        goto fail;
    } else if (!place_scratch(s)) {
        fprintf(opt->err, "vrsc: no memory for a scratch frame\n");
        goto fail;
    }
    return s;
fail:
    *status = 2;
    session_close(s);
    return NULL;
}

void session_close(Session *s)
{
    if (!s)
        return;
    if (s->in)
        linterp_free(s->in);
    if (s->jit)
        jit_free(s->jit);
    vrs_hosted_free(s->h);
    free(s->ctx);
    free(s->trace);
    free(s->partial);
    diag_fini(&s->d);
    arena_free(&s->a);
    free(s);
}
