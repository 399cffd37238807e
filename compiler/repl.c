/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * repl.c - `vrsc jit SPEC.vrs`: an interactive page-table debugger.
 *
 * Input: commands, from a terminal (line editing and history through
 * libedit when vrsc was built with it), a --batch file, -e strings or a
 * pipe. Each command runs against one Session (session.c): the spec's
 * root driver, compiled by the JIT or interpreted, over simulated physical
 * memory that starts with an empty table or holds a loaded image. Output:
 * one result per line (explain.c), text or --json. A bad command, number,
 * flag or file is an error that names the token and the session goes on;
 * the exit status says whether any command failed. The commands are the
 * X-macro table below; docs/jit.md describes them.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VRSC_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "session.h"

enum { MAX_TOKENS = 64, MAX_LINE = 1 << 16 };

/* The limit of one dump's walks, so a corrupt image whose every entry
 * points at the same table cannot keep the session busy for hours. */
#define DUMP_MAX_WALKS (UINT64_C(1) << 22)

typedef struct Repl {
    Session    *s;
    Out         out;
    bool        json;
    bool        echo;        /* print each command before its output */
    bool        interactive;
    const char *src;         /* where commands come from, for messages */
    long        line;
    long        errors;
    bool        quit;
} Repl;

typedef struct Cmd Cmd;
typedef void CmdFn(Repl *r, int argc, char **argv);

/* NAME, minimum and maximum arguments (-1: any), usage, what it does */
#define REPL_COMMANDS(X)                                                                          \
    X(map,       3, -1, "map VA SIZE PA [FLAG...]",                                               \
      "map [VA, VA+SIZE) to PA with the flags (the driver's map)")                                \
    X(unmap,     2, 2,  "unmap VA SIZE", "unmap [VA, VA+SIZE)")                                   \
    X(protect,   2, -1, "protect VA SIZE [FLAG...]", "change the flags of [VA, VA+SIZE)")         \
    X(translate, 1, 3,  "translate VA [read|write|exec] [WIDTH]",                                 \
      "where VA goes, or why it faults; every page of WIDTH bytes")                               \
    X(walk,      1, 1,  "walk VA", "every level: unit, index, entry, raw value and fields")       \
    X(dump,      0, 2,  "dump [VA SIZE]", "the mappings as coalesced ranges")                     \
    X(load,      1, 3,  "load IMAGE [--at PA]", "a raw physical memory image (then: root PA)")    \
    X(root,      1, 1,  "root PA", "use the root table (a segment: its registers) at PA")         \
    X(save,      1, 1,  "save IMAGE", "write simulated memory to a raw image")                    \
    X(stats,     0, 0,  "stats", "counters: commands, operations, tables, faults")                \
    X(help,      0, 1,  "help [COMMAND]", "this list")                                            \
    X(quit,      0, 0,  "quit", "end the session (also: exit, end of input)")

#define X(n, lo, hi, u, h) static CmdFn cmd_##n;
REPL_COMMANDS(X)
#undef X

struct Cmd {
    const char *name;
    int         min, max;
    const char *usage, *help;
    CmdFn      *fn;
};

static const Cmd commands[] = {
#define X(n, lo, hi, u, h) { #n, lo, hi, u, h, cmd_##n },
    REPL_COMMANDS(X)
#undef X
};

#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

/* ---- errors ------------------------------------------------------------------------- */

static void error(Repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void error(Repl *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->errors++;
    r->s->st.errors++;
    if (r->json) {
        out_open(&r->out);
        out_key(&r->out, "error");
        out_jstr(&r->out, msg);
        if (!r->interactive) {
            out_key(&r->out, "source");
            out_jstr(&r->out, r->src);
            out_key(&r->out, "line");
            out_dec(&r->out, (uint64_t)r->line);
        }
        out_end(&r->out);
        return;
    }
    out_flush(&r->out);
    if (r->interactive)
        fprintf(stderr, "error: %s\n", msg);
    else
        fprintf(stderr, "%s:%ld: error: %s\n", r->src, r->line, msg);
}

/* ---- arguments ---------------------------------------------------------------------- */

static bool num(Repl *r, const char *what, const char *tok, uint64_t *v)
{
    if (session_parse_num(tok, v))
        return true;
    error(r, "bad %s '%s' (a number: 0x hex or decimal, with K/M/G/T)", what, tok);
    return false;
}

static bool flags(Repl *r, int argc, char **argv, uint64_t *fl)
{
    const PtrVec *names = &r->s->ir->flags;
    *fl = 0;
    for (int i = 0; i < argc; i++) {
        int k = -1;
        VEC_FOREACH(const char *, f, *names)
            if (strcmp(f, argv[i]) == 0)
                k = f_i;
        if (k >= 0 && k < 64) {
            *fl |= ir_flag(r->s->ir, k);
            continue;
        }
        if (strcmp(argv[i], "none") == 0)
            continue;
        char list[256] = "";
        size_t n = 0;
        VEC_FOREACH(const char *, f, *names)
            n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s", f_i ? ", " : "", f);
        error(r, "unknown flag '%s' (flags: %s)", argv[i], names->len ? list : "none");
        return false;
    }
    return true;
}

static bool have_root(Repl *r)
{
    if (r->s->have_root)
        return true;
    error(r, "no root table since 'load': give it with 'root PA'");
    return false;
}

/* ---- the commands ------------------------------------------------------------------- */

static void op_result(Repl *r, const char *cmd, uint64_t va, uint64_t size, const uint64_t *pa,
                      const uint64_t *fl, uint64_t st, uint64_t done)
{
    Out *o = &r->out;
    Session *s = r->s;
    int k = strcmp(cmd, "map") == 0 ? 0 : strcmp(cmd, "unmap") == 0 ? 1 : 2;
    s->st.ops[k]++;
    s->st.ops_ok[k] += st == LIR_OK;
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, cmd);
        out_key(o, "va");
        out_jhex(o, va);
        out_key(o, "size");
        out_jhex(o, size);
        if (pa) {
            out_key(o, "pa");
            out_jhex(o, *pa);
        }
        if (fl) {
            out_key(o, "flags");
            out_jflags(o, s, *fl);
        }
        out_key(o, "status");
        out_jstr(o, session_status_name(st));
        out_key(o, "done");
        out_jhex(o, done);
        out_end(o);
        return;
    }
    out_str(o, session_status_name(st));
    if (st != LIR_OK) {
        out_str(o, ": ");
        out_str(o, session_status_text(st));
        out_ch(o, '\n');
        return;
    }
    out_str(o, k == 0 ? ": mapped " : k == 1 ? ": unmapped " : ": protected ");
    out_hex(o, va);
    out_ch(o, '-');
    out_hex(o, va + done);
    if (pa) {
        out_str(o, " -> ");
        out_hex(o, *pa);
    }
    if (fl) {
        out_str(o, " (");
        out_flags(o, s, *fl);
        out_ch(o, ')');
    }
    out_ch(o, '\n');
}

static void cmd_map(Repl *r, int argc, char **argv)
{
    uint64_t va, size, pa, fl, st, done;
    if (!num(r, "VA", argv[0], &va) || !num(r, "SIZE", argv[1], &size) || !num(r, "PA", argv[2], &pa)
        || !flags(r, argc - 3, argv + 3, &fl) || !have_root(r))
        return;
    if (!session_map(r->s, va, size, fl, pa, &st, &done)) {
        error(r, "engine: %s", r->s->error);
        return;
    }
    op_result(r, "map", va, size, &pa, &fl, st, done);
}

static void cmd_unmap(Repl *r, int argc, char **argv)
{
    uint64_t va, size, st, done;
    (void)argc;
    if (!num(r, "VA", argv[0], &va) || !num(r, "SIZE", argv[1], &size) || !have_root(r))
        return;
    if (!session_unmap(r->s, va, size, &st, &done)) {
        error(r, "engine: %s", r->s->error);
        return;
    }
    op_result(r, "unmap", va, size, NULL, NULL, st, done);
}

static void cmd_protect(Repl *r, int argc, char **argv)
{
    uint64_t va, size, fl, st, done;
    if (!num(r, "VA", argv[0], &va) || !num(r, "SIZE", argv[1], &size) || !flags(r, argc - 2, argv + 2, &fl)
        || !have_root(r))
        return;
    if (!session_protect(r->s, va, size, fl, &st, &done)) {
        error(r, "engine: %s", r->s->error);
        return;
    }
    op_result(r, "protect", va, size, NULL, &fl, st, done);
}

static const char *const access_words[] = { "read", "write", "exec" };

static void cmd_translate(Repl *r, int argc, char **argv)
{
    Access acc = { 0, 1 };
    uint64_t va;
    bool have_kind = false, have_width = false;
    if (!num(r, "VA", argv[0], &va))
        return;
    for (int i = 1; i < argc; i++) {
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (strcmp(argv[i], access_words[j]) == 0)
                k = j;
        if (k >= 0 && !have_kind) {
            acc.kind = k;
            have_kind = true;
        } else if (k < 0 && !have_width && session_parse_num(argv[i], &acc.width)) {
            have_width = true;
        } else {
            error(r, "bad argument '%s' (translate VA [read|write|exec] [WIDTH])", argv[i]);
            return;
        }
    }
    if (!acc.width || va + acc.width - 1 < va) {
        error(r, "bad WIDTH '%s' (1 or more bytes, not past the end of the address space)", argv[argc - 1]);
        return;
    }
    if (!have_root(r))
        return;
    uint64_t ok = 0;
    r->s->st.ops[3] += explain_access(&r->out, r->s, va, &acc, &ok);
    r->s->st.ops_ok[3] += ok;
}

static void cmd_walk(Repl *r, int argc, char **argv)
{
    uint64_t va;
    SessWalk w;
    (void)argc;
    if (!num(r, "VA", argv[0], &va) || !have_root(r))
        return;
    session_walk(r->s, va, &w);
    explain_walk(&r->out, r->s, &w);
}

static void cmd_dump(Repl *r, int argc, char **argv)
{
    uint64_t lo = 0, size = 0, hi = r->s->space;
    if (argc == 1) {
        error(r, "dump takes VA and SIZE, or nothing");
        return;
    }
    if (argc == 2) {
        if (!num(r, "VA", argv[0], &lo) || !num(r, "SIZE", argv[1], &size))
            return;
        hi = lo + size < lo ? 0 : lo + size;
        if (!size) {
            error(r, "bad SIZE '%s' (at least 1)", argv[1]);
            return;
        }
    }
    if (!have_root(r))
        return;
    explain_dump(&r->out, r->s, lo, hi, DUMP_MAX_WALKS);
}

static void cmd_load(Repl *r, int argc, char **argv)
{
    uint64_t at = 0;
    const char *file = NULL;
    char err[512];
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--at") == 0) {
            if (i + 1 >= argc) {
                error(r, "'--at' needs a PA");
                return;
            }
            if (!num(r, "PA", argv[++i], &at))
                return;
        } else if (!file) {
            file = argv[i];
        } else {
            error(r, "unexpected argument '%s' (load IMAGE [--at PA])", argv[i]);
            return;
        }
    }
    if (!file) {
        error(r, "load needs an IMAGE file");
        return;
    }
    /* room above the image for the tables new maps allocate */
    if (!session_load(r->s, file, at, UINT64_C(16) << 20, err, sizeof err)) {
        error(r, "load: %s", err);
        return;
    }
    Out *o = &r->out;
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, "load");
        out_key(o, "file");
        out_jstr(o, file);
        out_key(o, "at");
        out_jhex(o, at);
        out_key(o, "bytes");
        out_jhex(o, r->s->image_bytes);
        out_key(o, "memory");
        out_jhex(o, r->s->mem.size);
        out_end(o);
        return;
    }
    out_str(o, "loaded ");
    out_str(o, file);
    out_str(o, ": ");
    out_hex(o, r->s->image_bytes);
    out_str(o, " bytes at ");
    out_hex(o, at);
    out_str(o, ", memory ");
    out_hex(o, r->s->mem.size);
    out_str(o, " bytes");
    if (!r->s->have_root)
        out_str(o, "; now give the root table: root PA");
    out_ch(o, '\n');
}

static void cmd_root(Repl *r, int argc, char **argv)
{
    uint64_t pa;
    char err[512];
    (void)argc;
    if (!num(r, "PA", argv[0], &pa))
        return;
    if (!session_set_root(r->s, pa, err, sizeof err)) {
        error(r, "root: %s", err);
        return;
    }
    Out *o = &r->out;
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, "root");
        out_key(o, "pa");
        out_jhex(o, pa);
        out_end(o);
        return;
    }
    out_str(o, r->s->kind == ROOT_SEGMENT ? "root registers at " : "root table at ");
    out_hex(o, pa);
    out_ch(o, '\n');
}

static void cmd_save(Repl *r, int argc, char **argv)
{
    char err[512];
    (void)argc;
    if (!session_save(r->s, argv[0], err, sizeof err)) {
        error(r, "save: %s", err);
        return;
    }
    Out *o = &r->out;
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, "save");
        out_key(o, "file");
        out_jstr(o, argv[0]);
        out_key(o, "bytes");
        out_jhex(o, r->s->mem.size);
        out_end(o);
        return;
    }
    out_str(o, "saved ");
    out_hex(o, r->s->mem.size);
    out_str(o, " bytes to ");
    out_str(o, argv[0]);
    out_ch(o, '\n');
}

static void stat_line(Out *o, const char *key, uint64_t v, bool hex)
{
    if (o->json) {
        out_key(o, key);
        if (hex)
            out_jhex(o, v);
        else
            out_dec(o, v);
        return;
    }
    out_str(o, key);
    out_str(o, ": ");
    if (hex)
        out_hex(o, v);
    else
        out_dec(o, v);
    out_ch(o, '\n');
}

static void cmd_stats(Repl *r, int argc, char **argv)
{
    Session *s = r->s;
    Out *o = &r->out;
    vrs_hosted_stats hs = vrs_hosted_get_stats(s->h);
    static const char *const ops[] = { "map", "unmap", "protect", "translate" };
    uint64_t root = 0;
    bool have = session_root_pa(s, &root);
    (void)argc;
    (void)argv;
    if (o->json) {
        out_open(o);
        out_key(o, "cmd");
        out_jstr(o, "stats");
        out_key(o, "engine");
        out_jstr(o, s->engine == ENGINE_JIT ? "jit" : "interp");
    } else {
        /* the one line that differs between engines */
        out_str(o, "engine: ");
        out_str(o, s->engine == ENGINE_JIT ? "jit" : "interp");
        out_ch(o, '\n');
    }
    if (o->json) {
        out_key(o, "root_unit");
        out_jstr(o, s->root->unit->name);
        out_key(o, "root");
        if (have)
            out_jhex(o, root);
        else
            out_str(o, "null");
    } else {
        out_str(o, "root: ");
        out_str(o, s->root->unit->name);
        if (have) {
            out_str(o, s->kind == ROOT_SEGMENT ? ", registers at " : ", table at ");
            out_hex(o, root);
        } else if (s->kind != ROOT_SEGMENT) {
            out_str(o, ", no table");
        }
        out_ch(o, '\n');
    }
    stat_line(o, "memory", s->mem.size, true);
    stat_line(o, "image", s->image_bytes, true);
    /* the session's own frames (scratch, registers) are not tables */
    stat_line(o, "tables_live", hs.live_tables - s->own_frames, false);
    stat_line(o, "table_bytes", hs.live_bytes - s->own_frames * VRS_HOSTED_FRAME, true);
    stat_line(o, "tables_allocated", hs.allocs - s->own_frames, false);
    stat_line(o, "tables_freed", hs.frees, false);
    stat_line(o, "tlb_invalidations", hs.tlb_invalidations, false);
    stat_line(o, "commands", s->st.commands, false);
    stat_line(o, "errors", s->st.errors, false);
    for (int k = 0; k < 4; k++) {
        char key[32];
        stat_line(o, ops[k], s->st.ops[k], false);
        snprintf(key, sizeof key, "%s_ok", ops[k]);
        stat_line(o, key, s->st.ops_ok[k], false);
    }
    stat_line(o, "walks", s->st.walks, false);
    stat_line(o, "memory_faults", s->st.mem_faults + s->mem.faults, false);
    if (o->json)
        out_end(o);
}

static void cmd_help(Repl *r, int argc, char **argv)
{
    Out *o = &r->out;
    int only = -1;
    if (argc) {
        for (int i = 0; i < NCOMMANDS; i++)
            if (strcmp(commands[i].name, argv[0]) == 0)
                only = i;
        if (only < 0) {
            error(r, "no command '%s' (try 'help')", argv[0]);
            return;
        }
    }
    for (int i = 0; i < NCOMMANDS; i++) {
        if (only >= 0 && i != only)
            continue;
        if (o->json) {
            out_open(o);
            out_key(o, "cmd");
            out_jstr(o, "help");
            out_key(o, "usage");
            out_jstr(o, commands[i].usage);
            out_key(o, "help");
            out_jstr(o, commands[i].help);
            out_end(o);
            continue;
        }
        char pad[48];
        snprintf(pad, sizeof pad, "  %-40s ", commands[i].usage);
        out_str(o, pad);
        out_str(o, commands[i].help);
        out_ch(o, '\n');
    }
    if (only < 0 && !o->json) {
        out_str(o, "Numbers: 0x hex or decimal, with K/M/G/T (4K, 0x200000, 2M). Flags: ");
        out_flags(o, r->s, ir_flags_all(r->s->ir));
        out_str(o, ".\n");
    }
}

static void cmd_quit(Repl *r, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    r->quit = true;
}

/* ---- lines -------------------------------------------------------------------------- */

/* Splits one command into tokens (in place): blanks separate, '...' and
 * "..." quote. false on an unterminated quote or too many tokens. */
static bool tokenize(Repl *r, char *p, char **tok, int *n)
{
    *n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p)
            return true;
        if (*n == MAX_TOKENS) {
            error(r, "too many words in one command (at most %d)", MAX_TOKENS);
            return false;
        }
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            tok[(*n)++] = p;
            while (*p && *p != q)
                p++;
            if (!*p) {
                error(r, "unterminated quote %c", q);
                return false;
            }
            *p++ = 0;
            continue;
        }
        tok[(*n)++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
        if (*p)
            *p++ = 0;
    }
}

static void run_command(Repl *r, char *text)
{
    char *tok[MAX_TOKENS];
    int n;
    if (!tokenize(r, text, tok, &n) || !n)
        return;
    r->s->st.commands++;
    const char *name = strcmp(tok[0], "exit") == 0 ? "quit" : tok[0];
    for (int i = 0; i < NCOMMANDS; i++) {
        const Cmd *c = &commands[i];
        if (strcmp(c->name, name) != 0)
            continue;
        int argc = n - 1;
        if (argc < c->min || (c->max >= 0 && argc > c->max)) {
            error(r, "%s: %s arguments (usage: %s)", c->name, argc < c->min ? "too few" : "too many", c->usage);
            return;
        }
        c->fn(r, argc, tok + 1);
        return;
    }
    error(r, "unknown command '%s' (try 'help')", tok[0]);
}

static void echo(Repl *r, const char *text)
{
    text += strspn(text, " \t");
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\r' || text[n - 1] == '\n'))
        n--;
    if (!r->echo || !n)
        return;
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), text);
    if (r->json) {
        out_open(&r->out);
        out_key(&r->out, "input");
        out_jstr(&r->out, buf);
        out_end(&r->out);
        return;
    }
    out_str(&r->out, "> ");
    out_str(&r->out, buf);
    out_ch(&r->out, '\n');
}

/* One input line: '#' starts a comment, ';' separates commands (neither
 * inside quotes). */
static void run_line(Repl *r, char *line)
{
    char *start = line;
    char q = 0;
    for (char *p = line; !r->quit; p++) {
        if (q && *p) {
            if (*p == q)
                q = 0;
            continue;
        }
        if (*p == '\'' || *p == '"') {
            q = *p;
            continue;
        }
        if (*p && *p != ';' && *p != '#')
            continue;
        bool end = *p != ';';
        *p = 0;
        echo(r, start);
        run_command(r, start);
        out_flush(&r->out);
        if (end)
            return;
        start = p + 1;
    }
}

/* Commands from a stream, one per line, in one fixed buffer. */
static void run_stream(Repl *r, FILE *f)
{
    char *buf = malloc(MAX_LINE + 1);
    size_t len;
    bool too_long, nul;
    if (!buf) {
        error(r, "out of memory");
        return;
    }
    while (!r->quit && session_getline(f, buf, MAX_LINE + 1, &len, &too_long, &nul)) {
        r->line++;
        if (too_long)
            error(r, "line too long (%zu bytes; at most %d)", len, MAX_LINE);
        else if (nul)
            error(r, "a NUL byte in the line");
        else
            run_line(r, buf);
    }
    free(buf);
}

/* Ctrl-C at the prompt drops the line being typed, as in a shell; it
 * does not end the session (Ctrl-D or `quit` does). */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   /* no SA_RESTART: the read at the prompt returns */
    sigaction(SIGINT, &sa, NULL);
}

#ifdef VRSC_HAVE_LIBEDIT
static void run_tty(Repl *r, const char *history)
{
    using_history();
    stifle_history(1000);
    if (history)
        read_history(history);
    catch_sigint();
    char *line;
    while (!r->quit) {
        interrupted = 0;
        if (!(line = readline("vrs> "))) {
            if (!interrupted)
                break;   /* end of input */
            fputs("^C\n", stdout);
            continue;
        }
        if (interrupted) {   /* libedit handed back the line cut short */
            free(line);
            fputs("^C\n", stdout);
            continue;
        }
        r->line++;
        if (*line)
            add_history(line);
        run_line(r, line);
        free(line);
    }
    if (history)
        write_history(history);
    clear_history();
}
#else
/* Without libedit: a prompt, then plain lines. */
static void run_tty(Repl *r, const char *history)
{
    char *buf = malloc(MAX_LINE + 1);
    size_t len;
    bool too_long, nul;
    (void)history;
    catch_sigint();
    while (buf && !r->quit) {
        fputs("vrs> ", stdout);
        fflush(stdout);
        interrupted = 0;
        bool got = session_getline(stdin, buf, MAX_LINE + 1, &len, &too_long, &nul);
        if (interrupted) {   /* the read stopped at Ctrl-C: drop the line */
            clearerr(stdin);
            fputs("^C\n", stdout);
            continue;
        }
        if (!got)
            break;
        r->line++;
        if (too_long || nul)
            error(r, "%s", too_long ? "line too long" : "a NUL byte in the line");
        else
            run_line(r, buf);
    }
    free(buf);
}
#endif

/* ---- the command line --------------------------------------------------------------- */

static const char usage_text[] =
    "Usage: vrsc jit [OPTION]... SPEC.vrs\n"
    "Debug page tables interactively: the spec's driver, compiled by the JIT,\n"
    "over simulated physical memory (an empty table, or a loaded image).\n"
    "\n"
    "Options:\n"
    "      --engine=jit|interp  run the driver compiled (default) or interpreted\n"
    "      --mem=SIZE           simulated memory (default 256M)\n"
    "      --batch=FILE         run the commands in FILE, then exit\n"
    "  -e, --exec='CMD; CMD'    run these commands, then exit (repeatable)\n"
    "      --json               one JSON object per result line\n"
    "      --echo               print each command before its output\n"
    "      --unit=NAME          the root unit to drive (default: the first)\n"
    "      --history=FILE       keep the line-editing history in FILE\n"
    "  -I DIR                   also look for imports in DIR\n"
    "      --color=WHEN         color compiler diagnostics: auto, always, never\n"
    "  -h, --help               show this help and exit\n"
    "\n"
    "Without --batch or -e, commands come from standard input (with line\n"
    "editing on a terminal). Type 'help' for the commands; docs/jit.md.\n"
    "Exit status: 0 all commands ran, 1 a command failed or the spec has\n"
    "errors, 2 usage or I/O error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return diag_usage("jit", fmt, arg);
}

typedef struct Script {
    bool        file;        /* --batch FILE, else -e text */
    const char *text;
} Script;

static int run(Repl *r, Session *s, const Script *scripts, FILE **files, int nscripts, bool json, bool echo,
               const char *history)
{
    r->s = s;
    r->json = json;
    r->echo = echo;
    out_init(&r->out, stdout, json);
    for (int i = 0; i < nscripts && !r->quit; i++) {
        r->line = 0;
        if (files[i]) {
            r->src = scripts[i].text;
            run_stream(r, files[i]);
        } else {
            char *text = strdup(scripts[i].text);
            r->src = "-e";
            r->line = 1;
            if (text)
                run_line(r, text);
            free(text);
        }
    }
    if (!nscripts) {
        r->interactive = isatty(0) && isatty(1);
        r->src = "<stdin>";
        if (r->interactive)
            run_tty(r, history);
        else
            run_stream(r, stdin);
    }
    out_flush(&r->out);
    return r->errors ? 1 : 0;
}

int repl_main(int argc, char **argv)
{
    enum { OPT_ENGINE = 256, OPT_MEM, OPT_BATCH, OPT_JSON, OPT_ECHO, OPT_UNIT, OPT_HISTORY, OPT_COLOR };
    static const struct option longopts[] = {
        { "engine", required_argument, NULL, OPT_ENGINE },
        { "mem", required_argument, NULL, OPT_MEM },
        { "batch", required_argument, NULL, OPT_BATCH },
        { "exec", required_argument, NULL, 'e' },
        { "json", no_argument, NULL, OPT_JSON },
        { "echo", no_argument, NULL, OPT_ECHO },
        { "unit", required_argument, NULL, OPT_UNIT },
        { "history", required_argument, NULL, OPT_HISTORY },
        { "color", required_argument, NULL, OPT_COLOR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    SessionOptions so = { .engine = ENGINE_JIT, .mem_bytes = SESSION_DEFAULT_MEM, .color = COLOR_AUTO,
                          .err = stderr };
    const char *incs[64];
    Script scripts[64];
    int nscripts = 0;
    bool json = false, echo = false;
    const char *history = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":I:e:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ENGINE:
            if (!session_parse_engine(optarg, &so.engine))
                return usage_error("invalid argument '%s' for '--engine' (jit, interp)", optarg);
            break;
        case OPT_MEM:
            if (!session_parse_num(optarg, &so.mem_bytes) || so.mem_bytes < VRS_HOSTED_FRAME
                || so.mem_bytes > (UINT64_C(1) << 43))
                return usage_error("invalid argument '%s' for '--mem' (4K to 8T)", optarg);
            break;
        case OPT_BATCH:
        case 'e':
            if (nscripts == 64)
                return usage_error("%s", "too many --batch and -e options");
            scripts[nscripts++] = (Script){ c == OPT_BATCH, optarg };
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_ECHO:
            echo = true;
            break;
        case OPT_UNIT:
            so.unit = optarg;
            break;
        case OPT_HISTORY:
            history = optarg;
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") == 0)
                so.color = COLOR_AUTO;
            else if (strcmp(optarg, "always") == 0)
                so.color = COLOR_ALWAYS;
            else if (strcmp(optarg, "never") == 0)
                so.color = COLOR_NEVER;
            else
                return usage_error("invalid argument '%s' for '--color' (auto, always, never)", optarg);
            break;
        case 'I':
            if (so.n_include_dirs == 64)
                return usage_error("%s", "too many -I options");
            incs[so.n_include_dirs++] = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case ':':
            return usage_error("option '%s' requires an argument", argv[optind - 1]);
        default:
            return usage_error("unrecognized option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("%s", "no spec file");
    if (optind + 1 < argc)
        return usage_error("unexpected argument '%s' (one spec file)", argv[optind + 1]);
    so.spec = argv[optind];
    so.include_dirs = incs;

    /* the batch files must be readable before anything runs */
    FILE *files[64] = { NULL };
    int status = 0;
    for (int i = 0; i < nscripts; i++)
        if (scripts[i].file && !(files[i] = strcmp(scripts[i].text, "-") == 0 ? stdin : fopen(scripts[i].text, "r"))) {
            fprintf(stderr, "vrsc jit: cannot open '%s': %s\n", scripts[i].text, strerror(errno));
            status = 2;
        }
    Session *s = status ? NULL : session_open(&so, &status);
    if (s) {
        Repl *r = calloc(1, sizeof *r);
        status = r ? run(r, s, scripts, files, nscripts, json, echo, history) : 2;
        free(r);
        session_close(s);
    }
    for (int i = 0; i < nscripts; i++)
        if (files[i] && files[i] != stdin)
            fclose(files[i]);
    return status;
}
