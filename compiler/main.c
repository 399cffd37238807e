/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main.c - the `vrsc` command line.
 *
 * Subcommands share one option parser and one pipeline entry: load the spec
 * and its imports (load.c), then run the stage the subcommand asks for.
 * Exit status: 0 ok, 1 errors in the input, 2 usage or I/O error. Output is
 * produced in memory and written only when the whole command succeeded, so
 * a failing run never leaves partial output behind.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "load.h"
#include "parse.h"
#include "sema.h"
#include "synth.h"
#include "ir.h"
#include "emit_c.h"
#include "lir.h"
#include "session.h"

#ifndef VRSC_VERSION
#define VRSC_VERSION "0.1.0"
#endif

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2 };

typedef struct Options {
    ColorMode    color;
    bool         werror;
    bool         dump_ast;
    bool         locations;
    bool         check;       /* fmt --check */
    bool         in_place;    /* fmt -i */
    bool         no_sema;     /* check --no-sema: parse only */
    bool         no_smt;      /* check --no-smt: skip the Z3 checks */
    bool         dump_sema;   /* check --dump-sema */
    const char  *format;      /* graph --format: "dot" (default) or "svg" */
    const char  *output;      /* graph -o FILE */
    bool         no_synth;    /* check --no-synth */
    bool         no_verify;   /* check/synth --no-verify: skip the proofs */
    bool         no_times;    /* synth --no-times: leave times out (golden files) */
    const char  *unit;        /* synth --unit NAME */
    const char  *break_prog;  /* --test-break=UNIT.OP: corrupt a program (tests) */
    const char  *prefix;      /* build --prefix NAME */
    bool         header_only; /* build --header-only */
    bool         dump_ir;     /* build --dump-ir */
    bool         dump_lir;    /* build --dump-lir */
    int          max_errors;
    int          argc;        /* after -Werror was taken out */
    PtrVec       include_dirs;
    Arena        arena;       /* for option storage */
} Options;

static const char usage_text[] =
    "Usage: vrsc COMMAND [OPTION]... FILE...\n"
    "Compile VelosiRaptor (.vrs) address-translation specifications.\n"
    "\n"
    "Commands:\n"
    "  check FILE...          parse and check specs (and their imports)\n"
    "  parse [--dump-ast] FILE\n"
    "                         parse a spec; --dump-ast prints its syntax tree\n"
    "  fmt [--check] [-i] FILE...\n"
    "                         print specs in canonical current syntax;\n"
    "                         legacy and transitional syntax is converted\n"
    "  synth [--unit NAME] FILE\n"
    "                         synthesize map/unmap/protect of every segment,\n"
    "                         prove them with Z3, and print them\n"
    "  build [--prefix NAME] [--header-only] -o DIR FILE\n"
    "                         synthesize, prove and write a C driver:\n"
    "                         DIR/NAME.h and DIR/NAME.c (NAME: the file stem)\n"
    "  graph [--format=dot|svg] [-o FILE] FILE\n"
    "                         check a spec and draw its unit hierarchy as\n"
    "                         Graphviz DOT (or SVG, through graphviz `dot`)\n"
    "  jit [OPTION]... FILE   debug page tables interactively: map, translate,\n"
    "                         walk, dump, load images (vrsc jit --help)\n"
    "  translate FILE --image MEM --root PA (--va VA | --range LO HI | ...)\n"
    "                         translate addresses in a memory image\n"
    "                         (vrsc translate --help)\n"
    "\n"
    "Options:\n"
    "  -I DIR                 also look for imports in DIR\n"
    "      --color=WHEN       color diagnostics: auto (default), always, never\n"
    "  -Werror                treat warnings as errors\n"
    "      --max-errors=N     stop after N errors (default 100, 0 = no limit)\n"
    "      --no-sema          (check) parse only, skip semantic analysis\n"
    "      --no-smt           (check) skip the Z3 sanity checks\n"
    "      --dump-sema        (check) print the checked program\n"
    "      --no-synth         (check) skip synthesis\n"
    "      --no-verify        (check, synth) do not prove the programs\n"
    "      --unit=NAME        (synth) only this unit\n"
    "      --no-times         (synth) leave times out of the output\n"
    "      --dump-ast         (parse) print the syntax tree\n"
    "      --no-locations     (parse) leave source spans out of the dump\n"
    "      --check            (fmt) report files that are not formatted; exit 1\n"
    "  -i, --in-place         (fmt) rewrite the files\n"
    "      --format=FMT       (graph) dot (default) or svg\n"
    "  -o, --output=FILE      (graph) write to FILE instead of standard output;\n"
    "                         (build) the output directory\n"
    "      --prefix=NAME      (build) prefix of generated names and files\n"
    "      --header-only      (build) one header of static inline functions\n"
    "      --dump-ir          (build) print the lowered IR instead\n"
    "      --dump-lir         (build) print the IR's functions (LIR) instead\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 errors in the input, 2 usage or I/O error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return diag_usage(NULL, fmt, arg);
}

/* Everything but the command word; GNU getopt permutes, so options may
 * follow file names. Returns the index of the first file, or -1. */
static int parse_options(int argc, char **argv, Options *o, int *status)
{
    enum { OPT_COLOR = 256, OPT_DUMP_AST, OPT_NO_LOC, OPT_CHECK, OPT_MAX_ERRORS, OPT_WERROR,
           OPT_NO_SEMA, OPT_NO_SMT, OPT_DUMP_SEMA, OPT_FORMAT, OPT_NO_SYNTH, OPT_NO_VERIFY,
           OPT_NO_TIMES, OPT_UNIT, OPT_TEST_BREAK, OPT_PREFIX, OPT_HEADER_ONLY, OPT_DUMP_IR, OPT_DUMP_LIR };
    static const struct option longopts[] = {
        { "color", required_argument, NULL, OPT_COLOR },
        { "colour", required_argument, NULL, OPT_COLOR },
        { "dump-ast", no_argument, NULL, OPT_DUMP_AST },
        { "no-locations", no_argument, NULL, OPT_NO_LOC },
        { "check", no_argument, NULL, OPT_CHECK },
        { "in-place", no_argument, NULL, 'i' },
        { "max-errors", required_argument, NULL, OPT_MAX_ERRORS },
        { "no-sema", no_argument, NULL, OPT_NO_SEMA },
        { "no-smt", no_argument, NULL, OPT_NO_SMT },
        { "dump-sema", no_argument, NULL, OPT_DUMP_SEMA },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "no-synth", no_argument, NULL, OPT_NO_SYNTH },
        { "no-verify", no_argument, NULL, OPT_NO_VERIFY },
        { "no-times", no_argument, NULL, OPT_NO_TIMES },
        { "unit", required_argument, NULL, OPT_UNIT },
        { "test-break", required_argument, NULL, OPT_TEST_BREAK },
        { "prefix", required_argument, NULL, OPT_PREFIX },
        { "header-only", no_argument, NULL, OPT_HEADER_ONLY },
        { "dump-ir", no_argument, NULL, OPT_DUMP_IR },
        { "dump-lir", no_argument, NULL, OPT_DUMP_LIR },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    /* -Werror is a single-dash long option, as in GCC: take it out first. */
    int kept = 1;
    bool after_dashdash = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            after_dashdash = true;
        if (!after_dashdash && strcmp(argv[i], "-Werror") == 0)
            o->werror = true;
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    o->argc = argc;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":I:o:ihV", longopts, NULL)) != -1) {
        switch (c) {
        case 'I':
            vec_push(&o->arena, &o->include_dirs, optarg);
            break;
        case 'i':
            o->in_place = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            *status = EXIT_OK;
            return -1;
        case 'V':
            printf("vrsc %s\n", VRSC_VERSION);
            *status = EXIT_OK;
            return -1;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") == 0)
                o->color = COLOR_AUTO;
            else if (strcmp(optarg, "always") == 0)
                o->color = COLOR_ALWAYS;
            else if (strcmp(optarg, "never") == 0)
                o->color = COLOR_NEVER;
            else {
                *status = usage_error("invalid argument '%s' for '--color' (auto, always, never)", optarg);
                return -1;
            }
            break;
        case OPT_DUMP_AST:
            o->dump_ast = true;
            break;
        case OPT_NO_LOC:
            o->locations = false;
            break;
        case OPT_CHECK:
            o->check = true;
            break;
        case OPT_NO_SEMA:
            o->no_sema = true;
            break;
        case OPT_NO_SMT:
            o->no_smt = true;
            break;
        case OPT_DUMP_SEMA:
            o->dump_sema = true;
            break;
        case OPT_NO_SYNTH:
            o->no_synth = true;
            break;
        case OPT_NO_VERIFY:
            o->no_verify = true;
            break;
        case OPT_NO_TIMES:
            o->no_times = true;
            break;
        case OPT_UNIT:
            o->unit = optarg;
            break;
        case OPT_TEST_BREAK:
            o->break_prog = optarg;
            break;
        case OPT_PREFIX:
            o->prefix = optarg;
            break;
        case OPT_HEADER_ONLY:
            o->header_only = true;
            break;
        case OPT_DUMP_IR:
            o->dump_ir = true;
            break;
        case OPT_DUMP_LIR:
            o->dump_lir = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "dot") != 0 && strcmp(optarg, "svg") != 0) {
                *status = usage_error("invalid argument '%s' for '--format' (dot, svg)", optarg);
                return -1;
            }
            o->format = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case OPT_MAX_ERRORS: {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || n < 0 || n > 1000000) {
                *status = usage_error("invalid argument '%s' for '--max-errors'", optarg);
                return -1;
            }
            o->max_errors = (int)n;
            break;
        }
        case ':':
            *status = usage_error("option '%s' requires an argument", argv[optind - 1]);
            return -1;
        default:
            *status = usage_error("unrecognized option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    return optind;
}

static void setup_diag(Diag *d, const Options *o)
{
    diag_init(d, stderr, o->color);
    d->werror = o->werror;
    d->max_errors = o->max_errors;
}

static LoadOptions load_options(const Options *o, bool follow)
{
    LoadOptions lo = { (const char **)o->include_dirs.items, o->include_dirs.len, follow };
    return lo;
}

/* check --dump-sema: the dump is built in memory, then written at once. */
static void print_sema_dump(const SemaProgram *sp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        diag_plain(sp->diag, DIAG_ERROR, "out of memory");
        return;
    }
    sema_dump(mem, sp);
    fclose(mem);
    fwrite(buf, 1, len, stdout);
    free(buf);
}

/* check / parse: load with imports; check then runs semantic analysis;
 * parse --dump-ast prints every file. */
static int cmd_check(Options *o, char **files, int n, bool dump, bool sema)
{
    int status = EXIT_OK;
    for (int i = 0; i < n; i++) {
        Arena a;
        arena_init(&a);
        Diag d;
        setup_diag(&d, o);
        LoadOptions lo = load_options(o, true);
        Program *prog = load_program(&a, &d, files[i], &lo);
        if (sema && !d.errors && !prog->io_error) {
            SemaOptions so = { !o->no_smt };
            SemaProgram *sp = sema_check(&a, &d, prog, &so);
            if (o->dump_sema && sp && !d.errors)
                print_sema_dump(sp);
            if (sp && !d.errors && !o->no_synth) {
                SynthOptions syo = { !o->no_verify, NULL, o->break_prog };
                synth_program(sp, &syo);
            }
        }
        if (prog->io_error)
            status = EXIT_USAGE;
        else if (d.errors && status == EXIT_OK)
            status = EXIT_INPUT;
        if (dump && !d.errors && !prog->io_error) {
            DumpOptions dopt = { o->locations };
            char *buf = NULL;
            size_t len = 0;
            FILE *mem = open_memstream(&buf, &len);
            if (mem) {
                VEC_FOREACH(Spec *, spec, prog->specs) ast_dump(mem, spec, &dopt);
                fclose(mem);
                fwrite(buf, 1, len, stdout);
                free(buf);
            }
        }
        diag_fini(&d);
        arena_free(&a);
    }
    fflush(stdout);
    return status;
}

/* One file through the checker: the arena and diagnostics a command
 * works in, the loaded program and, if it checked clean, the checked one. */
typedef struct Checked {
    Arena        a;
    Diag         d;
    Program     *prog;
    SemaProgram *sp;            /* NULL unless everything so far is clean */
} Checked;

static void checked_open(Checked *c, Options *o, const char *file)
{
    arena_init(&c->a);
    setup_diag(&c->d, o);
    LoadOptions lo = load_options(o, true);
    c->prog = load_program(&c->a, &c->d, file, &lo);
    c->sp = NULL;
    if (!c->d.errors && !c->prog->io_error) {
        SemaOptions so = { !o->no_smt };
        c->sp = sema_check(&c->a, &c->d, c->prog, &so);
        if (c->d.errors)
            c->sp = NULL;
    }
}

/* The exit status (an I/O problem wins over errors in the input), after
 * which everything is freed. */
static int checked_close(Checked *c, int status)
{
    if (c->prog->io_error)
        status = EXIT_USAGE;
    else if (c->d.errors && status == EXIT_OK)
        status = EXIT_INPUT;
    diag_fini(&c->d);
    arena_free(&c->a);
    fflush(stdout);
    return status;
}

/* synth: check, synthesize, print the programs (only if all succeeded). */
static int cmd_synth(Options *o, const char *file)
{
    Checked c;
    checked_open(&c, o, file);
    if (c.sp && o->unit && !sema_unit(c.sp, o->unit))
        diag_plain(&c.d, DIAG_ERROR, "no unit named '%s'", o->unit);
    if (c.sp && !c.d.errors) {
        SynthOptions syo = { !o->no_verify, o->unit, o->break_prog };
        SynthResult *r = synth_program(c.sp, &syo);
        if (!c.d.errors) {
            char *buf = NULL;
            size_t len = 0;
            FILE *mem = open_memstream(&buf, &len);
            if (mem) {
                synth_print(mem, r, !o->no_times);
                fclose(mem);
                fwrite(buf, 1, len, stdout);
                free(buf);
            }
        }
    }
    return checked_close(&c, EXIT_OK);
}

/* The default prefix: the file stem, made a C identifier. */
static const char *default_prefix(Arena *a, const char *file)
{
    const char *b = strrchr(file, '/');
    b = b ? b + 1 : file;
    size_t n = strcspn(b, ".");
    char *p = arena_strndup(a, b, n ? n : strlen(b));
    for (char *q = p; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')))
            *q = '_';
    if (!*p || (*p >= '0' && *p <= '9'))
        p = arena_printf(a, "vrs_%s", p);
    return p;
}

static bool valid_prefix(const char *p)
{
    if (!*p || (*p >= '0' && *p <= '9'))
        return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
              || *p == '_'))
            return false;
    return true;
}

/* build: check, synthesize and prove everything, lower, emit. Nothing is
 * written unless every step succeeded. */
static int cmd_build(Options *o, const char *file)
{
    Checked c;
    checked_open(&c, o, file);
    int status = EXIT_OK;
    const char *prefix = o->prefix ? o->prefix : default_prefix(&c.a, file);
    SynthResult *r = NULL;
    if (c.sp) {
        SynthOptions syo = { !o->no_verify, NULL, o->break_prog };
        r = synth_program(c.sp, &syo);
    }
    IrProgram *ir = c.sp && r && !c.d.errors ? ir_lower(c.sp, r, prefix) : NULL;
    LModule *lm = ir && !c.d.errors ? lir_lower(&c.a, ir) : NULL;
    if (lm && !lir_check(lm, stderr)) {
        status = EXIT_USAGE;
        lm = NULL;
    }
    if (lm) {
        if (o->dump_ir)
            ir_dump(stdout, ir);
        else if (o->dump_lir)
            lir_dump(stdout, lm);
        else if (!emitc_write(lm, &c.d, o->output, o->header_only))
            status = EXIT_USAGE;
    }
    return checked_close(&c, status);
}

static bool write_file_atomic(const char *path, const char *buf, size_t len)
{
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp)
        return false;
    snprintf(tmp, n, "%s.vrsc-tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok)
        remove(tmp);
    free(tmp);
    return ok;
}

static int cmd_fmt(Options *o, char **files, int n)
{
    int status = EXIT_OK;
    for (int i = 0; i < n; i++) {
        Arena a;
        arena_init(&a);
        Diag d;
        setup_diag(&d, o);
        LoadOptions lo = load_options(o, false);
        Program *prog = load_program(&a, &d, files[i], &lo);
        if (prog->io_error) {
            status = EXIT_USAGE;
        } else if (d.errors) {
            if (status == EXIT_OK)
                status = EXIT_INPUT;
        } else {
            Spec *spec = prog->specs.items[0];
            char *buf = NULL;
            size_t len = 0;
            FILE *mem = open_memstream(&buf, &len);
            if (!mem) {
                diag_plain(&d, DIAG_ERROR, "out of memory");
                status = EXIT_USAGE;
            } else {
                fmt_spec(mem, spec);
                fclose(mem);
                bool same = len == spec->file->len && memcmp(buf, spec->file->text, len) == 0;
                if (o->check) {
                    if (!same) {
                        fprintf(stderr, "%s: not formatted\n", files[i]);
                        if (status == EXIT_OK)
                            status = EXIT_INPUT;
                    }
                } else if (o->in_place) {
                    if (!same && !write_file_atomic(files[i], buf, len)) {
                        diag_plain(&d, DIAG_ERROR, "cannot write `%s`: %s", files[i], strerror(errno));
                        status = EXIT_USAGE;
                    }
                } else {
                    fwrite(buf, 1, len, stdout);
                }
                free(buf);
            }
        }
        diag_fini(&d);
        arena_free(&a);
    }
    fflush(stdout);
    return status;
}

/* Is `dot` an executable file in some $PATH directory? */
static bool have_dot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return false;
    while (*path) {
        size_t n = strcspn(path, ":");
        char cand[4096];
        if (n < sizeof cand - 8) {
            /* an empty entry means the current directory */
            snprintf(cand, sizeof cand, "%.*s/dot", n ? (int)n : 1, n ? path : ".");
            if (access(cand, X_OK) == 0)
                return true;
        }
        path += n;
        if (*path == ':')
            path++;
    }
    return false;
}

/* Replace the DOT text in *buf by `dot -Tsvg` of it. The DOT goes through a
 * temporary file so that popen needs only one direction. */
static int dot_to_svg(Diag *d, char **buf, size_t *len)
{
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/vrsc-graph.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        diag_plain(d, DIAG_ERROR, "cannot create a temporary file: %s", strerror(errno));
        return EXIT_USAGE;
    }
    FILE *f = fdopen(fd, "wb");
    bool ok = f && fwrite(*buf, 1, *len, f) == *len;
    if (f ? fclose(f) != 0 : close(fd) != 0)
        ok = false;
    if (!ok) {
        diag_plain(d, DIAG_ERROR, "cannot write `%s`: %s", tmpl, strerror(errno));
        remove(tmpl);
        return EXIT_USAGE;
    }
    /* single-quote the path for the shell */
    char cmd[3 * sizeof tmpl];
    size_t k = (size_t)snprintf(cmd, sizeof cmd, "exec dot -Tsvg < '");
    for (const char *c = tmpl; *c && k + 8 < sizeof cmd; c++) {
        if (*c == '\'')
            k += (size_t)snprintf(cmd + k, sizeof cmd - k, "'\\''");
        else
            cmd[k++] = *c;
    }
    snprintf(cmd + k, sizeof cmd - k, "'");
    char *svg = NULL;
    size_t svg_len = 0;
    FILE *mem = open_memstream(&svg, &svg_len);
    FILE *p = mem ? popen(cmd, "r") : NULL;
    if (p) {
        char chunk[8192];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
            fwrite(chunk, 1, n, mem);
    }
    int st = p ? pclose(p) : -1;
    if (mem)
        fclose(mem);
    remove(tmpl);
    if (st != 0 || svg_len == 0) {
        if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
            diag_plain(d, DIAG_ERROR, "graphviz `dot` not found; use --format=dot");
        else
            diag_plain(d, DIAG_ERROR, "graphviz `dot -Tsvg` failed");
        free(svg);
        return EXIT_USAGE;
    }
    free(*buf);
    *buf = svg;
    *len = svg_len;
    return EXIT_OK;
}

/* graph: check one spec (no SMT) and print its unit hierarchy. */
static int cmd_graph(Options *o, const char *file)
{
    bool svg = o->format && strcmp(o->format, "svg") == 0;
    Arena a;
    arena_init(&a);
    Diag d;
    setup_diag(&d, o);
    int status = EXIT_OK;
    char *buf = NULL;
    size_t len = 0;
    if (svg && !have_dot()) {
        diag_plain(&d, DIAG_ERROR, "graphviz `dot` not found; use --format=dot");
        status = EXIT_USAGE;
        goto done;
    }
    LoadOptions lo = load_options(o, true);
    Program *prog = load_program(&a, &d, file, &lo);
    if (prog->io_error) {
        status = EXIT_USAGE;
        goto done;
    }
    SemaOptions so = { false };
    SemaProgram *sp = d.errors ? NULL : sema_check(&a, &d, prog, &so);
    if (!sp || d.errors) {
        status = EXIT_INPUT;
        goto done;
    }
    FILE *mem = open_memstream(&buf, &len);
    if (!mem) {
        diag_plain(&d, DIAG_ERROR, "out of memory");
        status = EXIT_USAGE;
        goto done;
    }
    graph_dot(mem, sp);
    fclose(mem);
    if (svg && (status = dot_to_svg(&d, &buf, &len)) != EXIT_OK)
        goto done;
    if (o->output) {
        if (!write_file_atomic(o->output, buf, len)) {
            diag_plain(&d, DIAG_ERROR, "cannot write `%s`: %s", o->output, strerror(errno));
            status = EXIT_USAGE;
        }
    } else {
        fwrite(buf, 1, len, stdout);
        fflush(stdout);
    }
done:
    free(buf);
    diag_fini(&d);
    arena_free(&a);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "no command given (check, parse, fmt, synth, build, graph)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("vrsc %s\n", VRSC_VERSION);
        return EXIT_OK;
    }

    /* jit and translate parse their own options */
    if (strcmp(cmd, "jit") == 0)
        return repl_main(argc - 1, argv + 1);
    if (strcmp(cmd, "translate") == 0)
        return translate_main(argc - 1, argv + 1);

    Options o = { .color = COLOR_AUTO, .locations = true, .max_errors = 100 };
    arena_init(&o.arena);
    int status = EXIT_USAGE;
    int first = parse_options(argc - 1, argv + 1, &o, &status);
    if (first < 0)
        goto out;
    char **files = argv + 1 + first;
    if ((o.output && strcmp(cmd, "graph") != 0 && strcmp(cmd, "build") != 0)
        || (o.format && strcmp(cmd, "graph") != 0)) {
        status = usage_error("%s", "--format applies only to graph, -o to graph and build");
        goto out;
    }
    int nfiles = o.argc - first;

    if (strcmp(cmd, "check") == 0 || strcmp(cmd, "parse") == 0) {
        if (nfiles == 0) {
            status = usage_error("%s: no input files", cmd);
            goto out;
        }
        if (strcmp(cmd, "parse") == 0 && nfiles > 1 && o.dump_ast) {
            status = usage_error("%s", "parse --dump-ast takes one file");
            goto out;
        }
        bool is_check = strcmp(cmd, "check") == 0;
        status = cmd_check(&o, files, nfiles, !is_check && o.dump_ast, is_check && !o.no_sema);
    } else if (strcmp(cmd, "fmt") == 0) {
        if (nfiles == 0) {
            status = usage_error("%s", "fmt: no input files");
            goto out;
        }
        if (o.check && o.in_place) {
            status = usage_error("%s", "fmt: --check and -i exclude each other");
            goto out;
        }
        status = cmd_fmt(&o, files, nfiles);
    } else if (strcmp(cmd, "synth") == 0) {
        if (nfiles != 1) {
            status = usage_error("%s", nfiles ? "synth takes one file" : "synth: no input file");
            goto out;
        }
        status = cmd_synth(&o, files[0]);
    } else if (strcmp(cmd, "build") == 0) {
        if (nfiles != 1) {
            status = usage_error("%s", nfiles ? "build takes one file" : "build: no input file");
            goto out;
        }
        if (!o.output && !o.dump_ir && !o.dump_lir) {
            status = usage_error("%s", "build: no output directory (-o DIR)");
            goto out;
        }
        if (o.prefix && !valid_prefix(o.prefix)) {
            status = usage_error("build: --prefix '%s' is not a C identifier", o.prefix);
            goto out;
        }
        status = cmd_build(&o, files[0]);
    } else if (strcmp(cmd, "graph") == 0) {
        if (nfiles != 1) {
            status = usage_error("%s", nfiles ? "graph takes one file" : "graph: no input file");
            goto out;
        }
        status = cmd_graph(&o, files[0]);
    } else {
        status = usage_error("unknown command '%s' (check, parse, fmt, synth, build, graph)", cmd);
    }
out:
    arena_free(&o.arena);
    return status;
}
