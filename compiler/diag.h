/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * diag.h - source files and GCC-style diagnostics.
 *
 * Every stage reports through one Diag sink, passed explicitly. A diagnostic
 * prints as `file:line:col: error|warning|note: message`, then the source
 * line and a caret with `~~~` under the whole span. The sink counts errors
 * and warnings, turns warnings into errors under -Werror, and drops exact
 * duplicates so a construct is never reported twice.
 */
#ifndef VRSC_DIAG_H
#define VRSC_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "arena.h"
#include "ast.h"

struct SrcFile {
    Arena      *arena;       /* owns text and line_starts */
    const char *path;        /* as given or resolved; shown in diagnostics */
    char       *text;        /* contents, NUL-terminated (may contain NULs) */
    size_t      len;
    int        *line_starts; /* byte offset of each line, built on demand */
    int         nlines;
};

typedef enum ColorMode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER } ColorMode;

typedef enum DiagLevel { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

typedef struct Diag {
    FILE *out;
    bool  color;
    bool  werror;
    int   errors;
    int   warnings;
    int   max_errors;        /* 0: no limit */
    bool  stopped;           /* max_errors reached: say nothing more */
    int   emitted;           /* entries in the duplicate filter */
    unsigned long *seen;     /* hashes of emitted diagnostics (malloc'd) */
    int   seen_cap;
    bool  last_suppressed;   /* a note follows its primary diagnostic */
} Diag;

void diag_init(Diag *d, FILE *out, ColorMode mode);
void diag_fini(Diag *d);

void diag_error(Diag *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(Diag *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_note(Diag *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_vreport(Diag *d, DiagLevel level, Loc loc, const char *fmt, va_list ap);

/* A diagnostic with no source location (e.g. I/O errors on the command line). */
void diag_plain(Diag *d, DiagLevel level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A command-line usage error on stderr: "vrsc[ CMD]: " fmt (one %s: arg),
 * then "Try 'vrsc[ CMD] --help' for more information.". CMD may be NULL.
 * Returns 2, the usage-error exit status. */
int diag_usage(const char *cmd, const char *fmt, const char *arg);

/* Read a whole file into a SrcFile allocated in the arena. On failure,
 * returns NULL and sets *err to a strerror text. */
SrcFile *srcfile_read(Arena *a, const char *path, const char **err);
SrcFile *srcfile_from_string(Arena *a, const char *path, const char *text, size_t len);

#endif
