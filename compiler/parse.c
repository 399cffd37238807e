/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * parse.c - drive the flex scanner and bison parser over one file.
 *
 * Input: a SrcFile. Output: a Spec (items and comments) in the arena, with
 * every lexical and syntax error reported to the Diag sink. The scanner runs
 * over the file's bytes directly (NULs included), so binary input is
 * diagnosed, never truncated.
 */
#include "parse.h"

#include <string.h>

#include "parser.h"
#include "lexer.h"

void parse_deprecated(Parser *p, Deprecation k, Loc loc)
{
    static const char *const text[] = {
#define X(k, s) s,
        DEPRECATIONS(X)
#undef X
    };
    if (p->deprecated & (1u << k))
        return;
    p->deprecated |= 1u << k;
    diag_warning(p->diag, loc, "%s", text[k]);
}

int vrs_lex_raw(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);

int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner)
{
    Parser *p = yyget_extra(scanner);
    int t = vrs_lex_raw(lval, lloc, scanner);
    p->prev_tok = p->cur_tok;
    p->cur_tok = t;
    p->cur_depth = p->tok_depth;
    return t;
}

Spec *parse_file(Arena *a, Diag *d, SrcFile *f)
{
    Spec *spec = arena_alloc(a, sizeof *spec);
    spec->file = f;

    Parser p = { 0 };
    p.arena = a;
    p.diag = d;
    p.file = f;
    p.spec = spec;
    p.line = 1;
    p.col = 1;

    yyscan_t scanner;
    if (yylex_init_extra(&p, &scanner) != 0) {
        diag_plain(d, DIAG_ERROR, "cannot initialise the scanner for %s", f->path);
        return spec;
    }
    p.scanner = scanner;
    /* yy_scan_bytes copies the text, so the file keeps its own buffer. */
    YY_BUFFER_STATE buf = yy_scan_bytes(f->text, (int)f->len, scanner);
    yyparse(scanner, &p);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    return spec;
}
