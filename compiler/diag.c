/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * diag.c - reading source files and printing GCC-style diagnostics.
 *
 * Input: Loc spans into SrcFiles. Output: text on the sink's stream. Source
 * excerpts are printed with control bytes and non-ASCII bytes shown as `?`
 * so a caret line always lines up, even for binary garbage.
 */
#include "diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const level_names[] = { "error", "warning", "note" };
static const char *const level_colors[] = { "\033[1;31m", "\033[1;35m", "\033[1;36m" };
#define BOLD  "\033[1m"
#define GREEN "\033[1;32m"
#define RESET "\033[0m"

void diag_init(Diag *d, FILE *out, ColorMode mode)
{
    memset(d, 0, sizeof *d);
    d->out = out;
    if (mode == COLOR_ALWAYS)
        d->color = true;
    else if (mode == COLOR_AUTO) {
        const char *term = getenv("TERM");
        d->color = isatty(fileno(out)) && term && strcmp(term, "dumb") != 0;
    }
}

void diag_fini(Diag *d)
{
    free(d->seen);
    d->seen = NULL;
    d->seen_cap = d->emitted = 0;
}

static void build_lines(SrcFile *f)
{
    if (f->line_starts)
        return;
    int n = 1;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            n++;
    f->line_starts = arena_alloc(f->arena, sizeof(int) * (size_t)(n + 1));
    int k = 0;
    f->line_starts[k++] = 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            f->line_starts[k++] = (int)i + 1;
    f->line_starts[k] = (int)f->len + 1;
    f->nlines = n;
}

/* FNV-1a over the rendered header line: identical diagnostics are dropped. */
static bool already_seen(Diag *d, const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    for (int i = 0; i < d->emitted; i++)
        if (d->seen[i] == h)
            return true;
    if (d->emitted == d->seen_cap) {
        int cap = d->seen_cap ? d->seen_cap * 2 : 64;
        unsigned long *n = realloc(d->seen, sizeof *n * (size_t)cap);
        if (!n)
            return false;
        d->seen = n;
        d->seen_cap = cap;
    }
    d->seen[d->emitted++] = h;
    return false;
}

static void print_excerpt(Diag *d, Loc loc)
{
    SrcFile *f = loc.file;
    build_lines(f);
    if (loc.first_line < 1 || loc.first_line > f->nlines)
        return;
    int start = f->line_starts[loc.first_line - 1];
    int end = f->line_starts[loc.first_line] - 1;   /* the '\n' or EOF */
    if (end > (int)f->len)
        end = (int)f->len;
    if (end > start && f->text[end - 1] == '\r')
        end--;
    /* Very long lines (minified or generated input) are clipped. */
    enum { MAX_EXCERPT = 300 };
    int shown = end - start;
    if (shown > MAX_EXCERPT)
        shown = MAX_EXCERPT;
    int width = 5;
    for (int n = loc.first_line; n >= 100000; n /= 10)
        width++;
    fprintf(d->out, "%*d | ", width, loc.first_line);
    for (int i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)f->text[start + i];
        fputc(c == '\t' || (c >= 0x20 && c < 0x7f) ? c : '?', d->out);
    }
    if (shown < end - start)
        fputs(" ...", d->out);
    fputc('\n', d->out);

    int col = loc.first_column < 1 ? 1 : loc.first_column;
    int last = loc.last_line == loc.first_line ? loc.last_column : end - start;
    if (last < col)
        last = col;
    if (col > shown + 1)
        return;
    if (last > shown)
        last = shown < col ? col : shown;
    fprintf(d->out, "%*s | ", width, "");
    for (int i = 1; i < col; i++) {
        char c = f->text[start + i - 1];
        fputc(c == '\t' ? '\t' : ' ', d->out);
    }
    if (d->color)
        fputs(GREEN, d->out);
    fputc('^', d->out);
    for (int i = col + 1; i <= last; i++)
        fputc('~', d->out);
    if (d->color)
        fputs(RESET, d->out);
    fputc('\n', d->out);
}

void diag_vreport(Diag *d, DiagLevel level, Loc loc, const char *fmt, va_list ap)
{
    if (d->stopped)
        return;
    if (level == DIAG_WARNING && d->werror)
        level = DIAG_ERROR;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);

    char head[1400];
    if (loc.file)
        snprintf(head, sizeof head, "%s:%d:%d: %s: %s", loc.file->path, loc.first_line,
                 loc.first_column, level_names[level], msg);
    else
        snprintf(head, sizeof head, "vrsc: %s: %s", level_names[level], msg);
    if (level == DIAG_NOTE) {
        if (d->last_suppressed)
            return;
    } else {
        d->last_suppressed = already_seen(d, head);
        if (d->last_suppressed)
            return;
    }
    if (level == DIAG_ERROR)
        d->errors++;
    else if (level == DIAG_WARNING)
        d->warnings++;

    if (d->color) {
        if (loc.file)
            fprintf(d->out, BOLD "%s:%d:%d: " RESET, loc.file->path, loc.first_line,
                    loc.first_column);
        else
            fputs(BOLD "vrsc: " RESET, d->out);
        fprintf(d->out, "%s%s:" RESET " %s\n", level_colors[level], level_names[level], msg);
    } else {
        fputs(head, d->out);
        fputc('\n', d->out);
    }
    if (loc.file)
        print_excerpt(d, loc);
    if (level == DIAG_ERROR && d->max_errors && d->errors >= d->max_errors) {
        fprintf(d->out, "vrsc: too many errors (%d); stopping (see --max-errors)\n", d->errors);
        d->stopped = true;
    }
}

#define DEFINE_REPORTER(name, level)                                           \
    void name(Diag *d, Loc loc, const char *fmt, ...)                          \
    {                                                                          \
        va_list ap;                                                            \
        va_start(ap, fmt);                                                     \
        diag_vreport(d, level, loc, fmt, ap);                                  \
        va_end(ap);                                                            \
    }
DEFINE_REPORTER(diag_error, DIAG_ERROR)
DEFINE_REPORTER(diag_warning, DIAG_WARNING)
DEFINE_REPORTER(diag_note, DIAG_NOTE)

void diag_plain(Diag *d, DiagLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    Loc none = { 0 };
    diag_vreport(d, level, none, fmt, ap);
    va_end(ap);
}

SrcFile *srcfile_from_string(Arena *a, const char *path, const char *text, size_t len)
{
    SrcFile *f = arena_alloc(a, sizeof *f);
    f->arena = a;
    f->path = arena_strdup(a, path);
    f->text = arena_alloc(a, len + 2);
    memcpy(f->text, text, len);
    f->len = len;
    return f;
}

SrcFile *srcfile_read(Arena *a, const char *path, const char **err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *err = strerror(errno);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(fp);
            *err = "out of memory";
            return NULL;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    int failed = ferror(fp);
    int saved = errno;
    fclose(fp);
    if (failed) {
        free(buf);
        *err = strerror(saved ? saved : EIO);
        return NULL;
    }
    SrcFile *f = srcfile_from_string(a, path, buf, len);
    free(buf);
    return f;
}

int diag_usage(const char *cmd, const char *fmt, const char *arg)
{
    const char *sp = cmd ? " " : "", *c = cmd ? cmd : "";
    fprintf(stderr, "vrsc%s%s: ", sp, c);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'vrsc%s%s --help' for more information.\n", sp, c);
    return 2;
}
