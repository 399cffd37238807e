/*
 * model.c - the reference interval map (see model.h).
 *
 * A sorted array of disjoint intervals, kept maximally coalesced: two
 * neighbours are merged when they touch, their pa ranges are contiguous and
 * their flags are equal. Every update is "split at the range boundaries,
 * edit the intervals inside, coalesce around the range".
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "model: out of memory\n");
        exit(2);
    }
    return q;
}

void model_init(model *m, const model_arch *arch)
{
    memset(m, 0, sizeof *m);
    m->arch = *arch;
}

void model_free(model *m)
{
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

void model_clear(model *m)
{
    m->n = 0;
}

uint64_t model_pa_max(const model *m)
{
    uint64_t mx = 0;
    for (unsigned i = 0; i < m->arch.nsizes; i++)
        if (m->arch.pa_limit[i] > mx)
            mx = m->arch.pa_limit[i];
    return mx;
}

size_t model_lower(const model *m, uint64_t va)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid].end > va)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

const model_ival *model_find(const model *m, uint64_t va)
{
    size_t i = model_lower(m, va);
    if (i < m->n && m->v[i].va <= va)
        return &m->v[i];
    return NULL;
}

bool model_any_mapped(const model *m, uint64_t va, uint64_t size)
{
    size_t i = model_lower(m, va);
    return i < m->n && m->v[i].va < va + size;
}

static void reserve(model *m, size_t extra)
{
    if (m->n + extra <= m->cap)
        return;
    size_t cap = m->cap ? m->cap * 2 : 64;
    while (cap < m->n + extra)
        cap *= 2;
    m->v = xrealloc(m->v, cap * sizeof *m->v);
    m->cap = cap;
}

static void insert_at(model *m, size_t i, model_ival iv)
{
    reserve(m, 1);
    memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof *m->v);
    m->v[i] = iv;
    m->n++;
}

static void erase(model *m, size_t i, size_t j)
{
    if (j <= i)
        return;
    memmove(&m->v[i], &m->v[j], (m->n - j) * sizeof *m->v);
    m->n -= j - i;
}

/* Make x an interval boundary (split the interval strictly containing x). */
static void split_at(model *m, uint64_t x)
{
    size_t i = model_lower(m, x);
    if (i < m->n && m->v[i].va < x) {
        model_ival a = m->v[i], b = m->v[i];
        a.end = x;
        b.pa = a.pa + (x - a.va);
        b.va = x;
        m->v[i] = a;
        insert_at(m, i + 1, b);
    }
}

static bool mergeable(const model_ival *a, const model_ival *b)
{
    return a->end == b->va && a->pa + (a->end - a->va) == b->pa && a->flags == b->flags;
}

/* Coalesce the intervals with indices in [lo, hi] (clamped) and their
 * immediate neighbours. */
static void coalesce(model *m, size_t lo, size_t hi)
{
    if (m->n == 0)
        return;
    if (lo > 0)
        lo--;
    if (hi >= m->n)
        hi = m->n - 1;
    if (hi + 1 < m->n)
        hi++;
    if (lo >= hi)
        return;
    size_t w = lo;
    for (size_t r = lo + 1; r <= hi; r++) {
        if (mergeable(&m->v[w], &m->v[r]))
            m->v[w].end = m->v[r].end;
        else
            m->v[++w] = m->v[r];
    }
    erase(m, w + 1, hi + 1);
}

/* Split at both ends; return the index range [*i0, *i1) inside [va, end). */
static void span(model *m, uint64_t va, uint64_t end, size_t *i0, size_t *i1)
{
    split_at(m, va);
    split_at(m, end);
    *i0 = model_lower(m, va);
    size_t j = *i0;
    while (j < m->n && m->v[j].va < end)
        j++;
    *i1 = j;
}

static bool args_ok(const model *m, uint64_t va, uint64_t size)
{
    if (size == 0 || ((va | size) & (MODEL_GRANULE - 1)) != 0)
        return false;
    if (va + size < va || va + size > m->arch.va_limit)
        return false;
    return true;
}

/* Is every granule of [va, va+size) mapped to pa + offset with these flags? */
bool model_identical(const model *m, uint64_t va, uint64_t size, uint64_t pa,
                            uint64_t flags)
{
    uint64_t end = va + size, cur = va;
    size_t i = model_lower(m, va);
    for (; i < m->n && cur < end; i++) {
        const model_ival *iv = &m->v[i];
        if (iv->va > cur)
            return false;
        if (iv->pa - iv->va != pa - va || iv->flags != flags)
            return false;
        cur = iv->end;
    }
    return cur >= end;
}

uint64_t model_piece(const model *m, uint64_t va, uint64_t pa, uint64_t rem)
{
    uint64_t best = m->arch.page_size[0];
    for (unsigned k = 0; k < m->arch.nsizes; k++) {
        uint64_t s = m->arch.page_size[k];
        if ((va & (s - 1)) == 0 && (pa & (s - 1)) == 0 && rem >= s)
            best = s;
    }
    return best;
}

static uint64_t limit_of(const model *m, uint64_t s)
{
    for (unsigned k = 0; k < m->arch.nsizes; k++)
        if (m->arch.page_size[k] == s)
            return m->arch.pa_limit[k];
    return 0;
}

static uint64_t min_limit(const model *m)
{
    uint64_t lo = model_pa_max(m);
    for (unsigned k = 0; k < m->arch.nsizes; k++)
        if (m->arch.pa_limit[k] < lo)
            lo = m->arch.pa_limit[k];
    return lo;
}

/* Is some granule of [va, va+size) mapped other than to pa + offset with
 * these flags? */
static bool conflicts(const model *m, uint64_t va, uint64_t size, uint64_t pa, uint64_t flags)
{
    for (size_t i = model_lower(m, va); i < m->n && m->v[i].va < va + size; i++)
        if (m->v[i].pa - m->v[i].va != pa - va || m->v[i].flags != flags)
            return true;
    return false;
}

unsigned model_predict_map(const model *m, uint64_t va, uint64_t size, uint64_t flags,
                           uint64_t pa)
{
    if (!args_ok(m, va, size) || (pa & (MODEL_GRANULE - 1)) != 0)
        return M_EINVAL;
    if (pa + size < pa || pa + size > model_pa_max(m))
        return M_EINVAL;

    unsigned r = 0;
    /* EEXIST: some granule is mapped differently. */
    for (size_t i = model_lower(m, va); i < m->n && m->v[i].va < va + size; i++) {
        const model_ival *iv = &m->v[i];
        if (iv->pa - iv->va != pa - va || iv->flags != flags) {
            r |= M_EEXIST;
            break;
        }
    }
    /* EINVAL: a piece that must be created needs a page size that cannot
     * reach its physical address (x86-32: 4 KiB frames are 32-bit, 4 MiB
     * frames 40-bit with PSE-36). Pieces that are already mapped exactly
     * like this need not be created. A large piece whose slot already holds
     * a different mapping may be broken into smaller pages before the
     * conflict is found, so there EINVAL is allowed too if the smallest
     * size cannot reach it (docs/driver.md does not order the checks).
     * Only pieces whose pa ends above the lowest limit can fail, so most
     * requests skip the loop. */
    uint64_t lo_limit = min_limit(m);
    if (pa + size > lo_limit) {
        uint64_t off = 0;
        while (off < size) {
            uint64_t s = model_piece(m, va + off, pa + off, size - off);
            if (pa + off + s > limit_of(m, s) &&
                !model_identical(m, va + off, s, pa + off, flags)) {
                r |= M_EINVAL;
                break;
            }
            if (pa + off + s > lo_limit && conflicts(m, va + off, s, pa + off, flags)) {
                r |= M_EINVAL;
                break;
            }
            off += s;
        }
    }
    return r ? r : M_OK;
}

/* Does an operation with a boundary at b (not page aligned) have to split a
 * large page that no smaller page can replace? A granule mapped above the
 * smallest size's pa limit can only be part of a larger page; the page
 * containing b is then split one level down, which cannot reach its pa
 * (x86-32: a PSE-36 4 MiB page above 4 GiB cannot become 4 KiB pages). */
static bool unsplittable_at(const model *m, uint64_t b)
{
    uint64_t lo = min_limit(m);
    for (unsigned k = 1; k < m->arch.nsizes; k++) {
        uint64_t s = m->arch.page_size[k];
        if ((b & (s - 1)) == 0)
            continue;
        uint64_t slot = b & ~(s - 1);
        for (size_t i = model_lower(m, slot); i < m->n && m->v[i].va < slot + s; i++) {
            const model_ival *iv = &m->v[i];
            uint64_t a = iv->va > slot ? iv->va : slot;
            uint64_t e = iv->end < slot + s ? iv->end : slot + s;
            if (iv->pa + (e - iv->va) > lo && e > a)
                return true;
        }
    }
    return false;
}

unsigned model_predict_unmap(const model *m, uint64_t va, uint64_t size)
{
    if (!args_ok(m, va, size))
        return M_EINVAL;
    if (!model_any_mapped(m, va, size))
        return M_ENOENT;
    /* a page that must be split but cannot be: EINVAL, atomically, is
     * allowed (docs/driver.md does not cover it) */
    if (unsplittable_at(m, va) || unsplittable_at(m, va + size))
        return M_OK | M_EINVAL;
    return M_OK;
}

unsigned model_predict_protect(const model *m, uint64_t va, uint64_t size)
{
    return model_predict_unmap(m, va, size);
}

void model_map(model *m, uint64_t va, uint64_t size, uint64_t flags, uint64_t pa)
{
    size_t i0, i1;
    span(m, va, va + size, &i0, &i1);
    erase(m, i0, i1); /* identical parts: replaced by the same thing */
    model_ival iv = { va, va + size, pa, flags };
    insert_at(m, i0, iv);
    coalesce(m, i0, i0);
}

void model_unmap(model *m, uint64_t va, uint64_t size)
{
    size_t i0, i1;
    span(m, va, va + size, &i0, &i1);
    erase(m, i0, i1);
    if (m->n)
        coalesce(m, i0 ? i0 - 1 : 0, i0);
}

void model_protect(model *m, uint64_t va, uint64_t size, uint64_t flags)
{
    size_t i0, i1;
    span(m, va, va + size, &i0, &i1);
    for (size_t i = i0; i < i1; i++)
        m->v[i].flags = flags;
    if (i1 > i0)
        coalesce(m, i0, i1 - 1);
    else if (m->n)
        coalesce(m, i0 ? i0 - 1 : 0, i0);
}

unsigned model_resolve(const model *m, uint64_t va, uint64_t *pa, uint64_t *flags)
{
    if (va >= m->arch.va_limit)
        return M_EINVAL;
    const model_ival *iv = model_find(m, va);
    if (!iv)
        return M_ENOENT;
    *pa = iv->pa + (va - iv->va);
    *flags = iv->flags;
    return M_OK;
}

void model_insert_raw(model *m, uint64_t va, uint64_t size, uint64_t pa, uint64_t flags)
{
    size_t i = model_lower(m, va);
    model_ival iv = { va, va + size, pa, flags };
    insert_at(m, i, iv);
    coalesce(m, i, i);
}

bool model_check(const model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const model_ival *iv = &m->v[i];
        if (iv->va >= iv->end || ((iv->va | iv->end | iv->pa) & (MODEL_GRANULE - 1)))
            return false;
        if (i + 1 < m->n) {
            if (iv->end > m->v[i + 1].va)
                return false;
            if (mergeable(iv, &m->v[i + 1]))
                return false;
        }
    }
    return true;
}
