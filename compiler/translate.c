/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * translate.c - `vrsc translate SPEC.vrs --image MEM --root PA ...`: batch
 * checking of a raw physical memory image (saved by QEMU's pmemsave, taken
 * from a crash dump, or written by a generated driver).
 *
 * Input: the spec, the image and its root table, and addresses (--va
 * lists, a --range with a step, or a --va-file), or --summary. Output: one
 * line per address (explain.c's translate line, text or JSON), or the
 * mapped space as coalesced ranges. This is the fast path: the hot loop
 * calls the root driver's resolve through its native JIT signature, and
 * only an address that does not resolve takes the traced walk that says
 * why. docs/jit.md describes the command.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session.h"

typedef struct Batch {
    Session *s;
    Out      out;
    Access   acc;
    uint64_t count;           /* addresses translated */
    long     errors;
} Batch;

static void one(Batch *b, uint64_t va)
{
    uint64_t pa, fl, psz;
    b->count++;
    if (b->acc.width > 1) {
        if (va + b->acc.width - 1 < va) {
            out_flush(&b->out);
            fprintf(stderr, "vrsc translate: 0x%llx + --width is past the end of the address space\n",
                    (unsigned long long)va);
            b->errors++;
            return;
        }
        explain_access(&b->out, b->s, va, &b->acc, &pa);
        return;
    }
    if (session_resolve(b->s, va, &pa, &fl, &psz) == LIR_OK) {
        explain_hit(&b->out, b->s, va, pa, fl, psz, &b->acc);
        return;
    }
    SessWalk w;
    session_walk(b->s, va, &w);
    explain_result(&b->out, b->s, "translate", &w, &b->acc);
}

/* "0x1000,0x2000" */
static bool va_list_arg(Batch *b, const char *arg)
{
    char tok[128];
    const char *p = arg;
    for (;;) {
        size_t n = strcspn(p, ",");
        uint64_t va;
        if (n >= sizeof tok || (memcpy(tok, p, n), tok[n] = 0, !session_parse_num(tok, &va))) {
            out_flush(&b->out);
            fprintf(stderr, "vrsc translate: bad address '%.*s' in --va\n", (int)(n < 100 ? n : 100), p);
            b->errors++;
        } else {
            one(b, va);
        }
        if (!p[n])
            return true;
        p += n + 1;
    }
}

static void va_file(Batch *b, const char *path, FILE *f)
{
    char buf[256];
    size_t len;
    bool too_long, nul;
    long line = 0;
    while (session_getline(f, buf, sizeof buf, &len, &too_long, &nul)) {
        line++;
        char *p = buf + strspn(buf, " \t");
        p[strcspn(p, "#\r")] = 0;
        for (char *q = p + strlen(p); q > p && (q[-1] == ' ' || q[-1] == '\t');)
            *--q = 0;
        if (!*p && !too_long && !nul)
            continue;
        uint64_t va;
        if (too_long || nul || !session_parse_num(p, &va)) {
            out_flush(&b->out);
            fprintf(stderr, "%s:%ld: error: bad address '%.100s'\n", path, line, p);
            b->errors++;
            continue;
        }
        one(b, va);
    }
}

static const char usage_text[] =
    "Usage: vrsc translate SPEC.vrs --image MEM --root PA ADDRESSES [OPTION]...\n"
    "Translate addresses through the page table in a raw physical memory image.\n"
    "\n"
    "Addresses (one of):\n"
    "      --va=VA[,VA...]       these addresses (repeatable)\n"
    "      --range LO HI         every STEP bytes from LO up to (not including) HI\n"
    "      --va-file=FILE        one address a line ('#' comments; - for stdin)\n"
    "      --summary             the mapped space as coalesced ranges (with --range:\n"
    "                            of that range)\n"
    "Options:\n"
    "      --image=FILE          the raw physical memory image (required)\n"
    "      --at=PA               where the image starts in physical memory (default 0)\n"
    "      --root=PA             the root table (required unless the root is a segment)\n"
    "      --step=N              --range step (default: the smallest page)\n"
    "      --access=read|write|exec  the access to check permissions for (default read)\n"
    "      --width=N             the access width: a line per page it touches (default 1)\n"
    "      --max-walks=N         --summary stops after N walks (default 64M), so a\n"
    "                            corrupt table whose entries loop cannot take hours\n"
    "      --json                one JSON object per line\n"
    "      --engine=jit|interp   the JIT (default) or the interpreter\n"
    "      --unit=NAME           the root unit (default: the first)\n"
    "      --stats               print the count and rate on stderr\n"
    "  -I DIR                    also look for imports in DIR\n"
    "      --color=WHEN          color compiler diagnostics: auto, always, never\n"
    "  -h, --help                show this help and exit\n"
    "\n"
    "Faults are results, not errors. Exit status: 0 ok, 1 a bad address or\n"
    "errors in the spec, 2 usage or I/O error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return diag_usage("translate", fmt, arg);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct Args {
    SessionOptions so;
    const char    *incs[64];
    const char    *image, *va_file;
    const char    *vas[256];
    int            nvas;
    uint64_t       at, root, lo, hi, step, width, max_walks;
    bool           have_root, have_range, summary, json, stats;
    int            access;
} Args;

static int parse(int argc, char **argv, Args *a)
{
    enum { OPT_IMAGE = 256, OPT_AT, OPT_ROOT, OPT_VA, OPT_RANGE, OPT_STEP, OPT_VA_FILE, OPT_SUMMARY, OPT_JSON,
           OPT_ENGINE, OPT_UNIT, OPT_STATS, OPT_ACCESS, OPT_WIDTH, OPT_COLOR, OPT_MAX_WALKS };
    static const struct option longopts[] = {
        { "image", required_argument, NULL, OPT_IMAGE },
        { "at", required_argument, NULL, OPT_AT },
        { "root", required_argument, NULL, OPT_ROOT },
        { "va", required_argument, NULL, OPT_VA },
        { "range", required_argument, NULL, OPT_RANGE },
        { "step", required_argument, NULL, OPT_STEP },
        { "va-file", required_argument, NULL, OPT_VA_FILE },
        { "summary", no_argument, NULL, OPT_SUMMARY },
        { "json", no_argument, NULL, OPT_JSON },
        { "engine", required_argument, NULL, OPT_ENGINE },
        { "unit", required_argument, NULL, OPT_UNIT },
        { "stats", no_argument, NULL, OPT_STATS },
        { "access", required_argument, NULL, OPT_ACCESS },
        { "width", required_argument, NULL, OPT_WIDTH },
        { "color", required_argument, NULL, OPT_COLOR },
        { "max-walks", required_argument, NULL, OPT_MAX_WALKS },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const accesses[] = { "read", "write", "exec" };
    opterr = 0;
    optind = 1;
    int c;
    /* '+': stop at the first non-option, so --range can take its second
     * argument (HI) itself; file names are collected around it */
    while (optind < argc) {
        if ((c = getopt_long(argc, argv, "+:I:h", longopts, NULL)) == -1) {
            if (a->so.spec)
                return usage_error("unexpected argument '%s' (one spec file)", argv[optind]);
            a->so.spec = argv[optind++];
            continue;
        }
        switch (c) {
        case OPT_IMAGE:
            a->image = optarg;
            break;
        case OPT_AT:
            if (!session_parse_num(optarg, &a->at))
                return usage_error("invalid address '%s' for '--at'", optarg);
            break;
        case OPT_ROOT:
            if (!session_parse_num(optarg, &a->root))
                return usage_error("invalid address '%s' for '--root'", optarg);
            a->have_root = true;
            break;
        case OPT_VA:
            if (a->nvas == 256)
                return usage_error("%s", "too many --va options (use --va-file)");
            a->vas[a->nvas++] = optarg;
            break;
        case OPT_RANGE:
            if (optind >= argc)
                return usage_error("%s", "'--range' needs LO and HI");
            if (!session_parse_num(optarg, &a->lo))
                return usage_error("invalid address '%s' for '--range' LO", optarg);
            if (!session_parse_num(argv[optind], &a->hi))
                return usage_error("invalid address '%s' for '--range' HI", argv[optind]);
            optind++;
            if (a->hi <= a->lo)
                return usage_error("%s", "'--range LO HI' needs LO < HI");
            a->have_range = true;
            break;
        case OPT_STEP:
            if (!session_parse_num(optarg, &a->step) || !a->step)
                return usage_error("invalid step '%s' for '--step' (1 or more)", optarg);
            break;
        case OPT_VA_FILE:
            a->va_file = optarg;
            break;
        case OPT_SUMMARY:
            a->summary = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_ENGINE:
            if (!session_parse_engine(optarg, &a->so.engine))
                return usage_error("invalid argument '%s' for '--engine' (jit, interp)", optarg);
            break;
        case OPT_UNIT:
            a->so.unit = optarg;
            break;
        case OPT_STATS:
            a->stats = true;
            break;
        case OPT_ACCESS:
            a->access = -1;
            for (int k = 0; k < 3; k++)
                if (strcmp(optarg, accesses[k]) == 0)
                    a->access = k;
            if (a->access < 0)
                return usage_error("invalid argument '%s' for '--access' (read, write, exec)", optarg);
            break;
        case OPT_WIDTH:
            if (!session_parse_num(optarg, &a->width) || !a->width)
                return usage_error("invalid width '%s' for '--width' (1 or more)", optarg);
            break;
        case OPT_MAX_WALKS:
            if (!session_parse_num(optarg, &a->max_walks) || !a->max_walks)
                return usage_error("invalid count '%s' for '--max-walks' (1 or more)", optarg);
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") == 0)
                a->so.color = COLOR_AUTO;
            else if (strcmp(optarg, "always") == 0)
                a->so.color = COLOR_ALWAYS;
            else if (strcmp(optarg, "never") == 0)
                a->so.color = COLOR_NEVER;
            else
                return usage_error("invalid argument '%s' for '--color' (auto, always, never)", optarg);
            break;
        case 'I':
            if (a->so.n_include_dirs == 64)
                return usage_error("%s", "too many -I options");
            a->incs[a->so.n_include_dirs++] = optarg;
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
    if (!a->so.spec)
        return usage_error("%s", "no spec file");
    if (!a->image)
        return usage_error("%s", "no image (--image FILE)");
    int sources = (a->nvas > 0) + (a->have_range && !a->summary) + (a->va_file != NULL) + a->summary;
    if (sources == 0)
        return usage_error("%s", "no addresses (--va, --range, --va-file or --summary)");
    if (sources > 1)
        return usage_error("%s", "give one of --va, --range, --va-file and --summary (--summary may take a --range)");
    if (a->step && !a->have_range)
        return usage_error("%s", "'--step' goes with '--range'");
    return -1;
}

/* Addresses through the hot loop: lo, lo + step, ... below hi. */
static void range(Batch *b, uint64_t lo, uint64_t hi, uint64_t step)
{
    for (uint64_t va = lo; va < hi; va += step) {
        one(b, va);
        if (va + step < va)
            break;
    }
}

int translate_main(int argc, char **argv)
{
    Args *a = calloc(1, sizeof *a);
    Batch *b = calloc(1, sizeof *b);
    int status = 2;
    if (!a || !b) {
        fprintf(stderr, "vrsc translate: out of memory\n");
        goto out;
    }
    a->so = (SessionOptions){ .engine = ENGINE_JIT, .mem_bytes = VRS_HOSTED_FRAME, .color = COLOR_AUTO,
                              .err = stderr, .no_table = true };
    a->width = 1;
    a->max_walks = UINT64_C(1) << 26;
    if ((status = parse(argc, argv, a)) >= 0)
        goto out;
    a->so.include_dirs = a->incs;
    FILE *vf = NULL;
    if (a->va_file && !(vf = strcmp(a->va_file, "-") == 0 ? stdin : fopen(a->va_file, "r"))) {
        fprintf(stderr, "vrsc translate: cannot open '%s': %s\n", a->va_file, strerror(errno));
        status = 2;
        goto out;
    }
    Session *s = session_open(&a->so, &status);
    if (!s)
        goto close;
    char err[512];
    if (!session_load(s, a->image, a->at, 0, err, sizeof err)) {
        fprintf(stderr, "vrsc translate: %s\n", err);
        status = 2;
    } else if (s->kind != ROOT_SEGMENT && !a->have_root) {
        fprintf(stderr, "vrsc translate: the root table of %s is needed (--root PA)\n", s->root->unit->name);
        status = 2;
    } else if (a->have_root && !session_set_root(s, a->root, err, sizeof err)) {
        fprintf(stderr, "vrsc translate: --root: %s\n", err);
        status = 2;
    } else {
        b->s = s;
        b->acc = (Access){ a->access, a->width };
        out_init(&b->out, stdout, a->json);
        double t0 = now();
        if (a->summary) {
            uint64_t lo = a->have_range ? a->lo : 0, hi = a->have_range ? a->hi : s->space;
            explain_dump(&b->out, s, lo, hi, a->max_walks);
        } else if (a->have_range) {
            uint64_t step = a->step ? a->step : session_min_page(s);
            range(b, a->lo, a->hi, step ? step : VRS_HOSTED_FRAME);
        } else if (vf) {
            va_file(b, a->va_file, vf);
        } else {
            for (int i = 0; i < a->nvas; i++)
                va_list_arg(b, a->vas[i]);
        }
        out_flush(&b->out);
        double dt = now() - t0;
        if (a->stats && !a->summary)
            fprintf(stderr, "vrsc translate: %llu addresses in %.3f s (%.0f/s, %s)\n",
                    (unsigned long long)b->count, dt, dt > 0 ? (double)b->count / dt : 0.0,
                    s->engine == ENGINE_JIT ? "jit" : "interp");
        else if (a->stats)
            fprintf(stderr, "vrsc translate: %llu walks in %.3f s (%s)\n", (unsigned long long)s->st.walks, dt,
                    s->engine == ENGINE_JIT ? "jit" : "interp");
        status = b->errors ? 1 : 0;
    }
    session_close(s);
close:
    if (vf && vf != stdin)
        fclose(vf);
out:
    free(a);
    free(b);
    return status;
}
