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
#include <unistd.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "load.h"
#include "parse.h"

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
    "\n"
    "Options:\n"
    "  -I DIR                 also look for imports in DIR\n"
    "      --color=WHEN       color diagnostics: auto (default), always, never\n"
    "  -Werror                treat warnings as errors\n"
    "      --max-errors=N     stop after N errors (default 100, 0 = no limit)\n"
    "      --dump-ast         (parse) print the syntax tree\n"
    "      --no-locations     (parse) leave source spans out of the dump\n"
    "      --check            (fmt) report files that are not formatted; exit 1\n"
    "  -i, --in-place         (fmt) rewrite the files\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "Exit status: 0 success, 1 errors in the input, 2 usage or I/O error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("vrsc: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'vrsc --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* Everything but the command word; GNU getopt permutes, so options may
 * follow file names. Returns the index of the first file, or -1. */
static int parse_options(int argc, char **argv, Options *o, int *status)
{
    enum { OPT_COLOR = 256, OPT_DUMP_AST, OPT_NO_LOC, OPT_CHECK, OPT_MAX_ERRORS, OPT_WERROR };
    static const struct option longopts[] = {
        { "color", required_argument, NULL, OPT_COLOR },
        { "colour", required_argument, NULL, OPT_COLOR },
        { "dump-ast", no_argument, NULL, OPT_DUMP_AST },
        { "no-locations", no_argument, NULL, OPT_NO_LOC },
        { "check", no_argument, NULL, OPT_CHECK },
        { "in-place", no_argument, NULL, 'i' },
        { "max-errors", required_argument, NULL, OPT_MAX_ERRORS },
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
    while ((c = getopt_long(argc, argv, ":I:ihV", longopts, NULL)) != -1) {
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

/* check / parse: load with imports; parse --dump-ast prints every file. */
static int cmd_check(Options *o, char **files, int n, bool dump)
{
    int status = EXIT_OK;
    for (int i = 0; i < n; i++) {
        Arena a;
        arena_init(&a);
        Diag d;
        setup_diag(&d, o);
        LoadOptions lo = load_options(o, true);
        Program *prog = load_program(&a, &d, files[i], &lo);
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

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "no command given (check, parse, fmt)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("vrsc %s\n", VRSC_VERSION);
        return EXIT_OK;
    }

    Options o = { .color = COLOR_AUTO, .locations = true, .max_errors = 100 };
    arena_init(&o.arena);
    int status = EXIT_USAGE;
    int first = parse_options(argc - 1, argv + 1, &o, &status);
    if (first < 0)
        goto out;
    char **files = argv + 1 + first;
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
        status = cmd_check(&o, files, nfiles, strcmp(cmd, "parse") == 0 && o.dump_ast);
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
    } else {
        status = usage_error("unknown command '%s' (check, parse, fmt)", cmd);
    }
out:
    arena_free(&o.arena);
    return status;
}
