/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * session.h - a spec compiled in-process and run by an engine over
 * simulated physical memory: the shared core of `vrsc jit` (repl.c) and
 * `vrsc translate` (translate.c). docs/jit.md describes both commands.
 *
 * Two sections:
 *   - session.c: the spec down to LIR (load, check, synthesize and prove,
 *     lower), the engine (the JIT, or the interpreter as the fallback), the
 *     hosted memory and the root driver's context; calls of the root's
 *     map/unmap/protect/resolve/walk; images (load, save) and the root
 *     table; a walk classified into a result or a fault; a unit's state
 *     decoded into fields.
 *   - explain.c: how results read, as text or JSON lines, into an Out
 *     buffer: numbers, sizes, flags, a translation or its fault, a walk's
 *     levels, and the coalesced ranges of a dump.
 * Nothing here knows how a page table works: where an address goes comes
 * from the LIR functions (LRoot.resolve and LRoot.walk), its fields from
 * the unit's decode/load.
 */
#ifndef VRSC_SESSION_H
#define VRSC_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "engine.h"
#include "ir.h"
#include "lir.h"
#include "vrs_hosted.h"

/* ---- session.c ----------------------------------------------------------------------- */

typedef struct SessionOptions {
    const char  *spec;
    const char **include_dirs;
    int          n_include_dirs;
    const char  *unit;          /* the root unit to drive; NULL: the first one */
    EngineKind   engine;
    uint64_t     mem_bytes;     /* simulated memory of a fresh session */
    ColorMode    color;
    FILE        *err;           /* diagnostics and the fallback notice */
    bool         no_table;      /* start without a table (an image comes next) */
} SessionOptions;

#define SESSION_DEFAULT_MEM (UINT64_C(256) << 20)
#define SESSION_MAX_LEVELS  16

/* What kind of root the session drives. */
typedef enum SessRootKind {
    ROOT_POINTER,   /* a segment pointing at a table (x86 CR3): `root PA` maps it */
    ROOT_TABLE,     /* a table: `root PA` sets its base */
    ROOT_SEGMENT    /* a segment without a table: `root PA` moves its
                       registers' address (its first parameter) */
} SessRootKind;

/* Why a translation stopped. */
#define SESS_FAULTS(X)                                                         \
    X(SF_NONE,       "ok",             "ok")                                  \
    X(SF_NOT_MAPPED, "not_mapped",     "not mapped")                          \
    X(SF_INVALID,    "invalid",        "invalid entry (reserved bits set)")   \
    X(SF_OUTSIDE,    "outside_memory", "entry outside memory")                \
    X(SF_BAD_VA,     "bad_va",         "address outside the input space")     \
    X(SF_TOO_DEEP,   "too_deep",       "walk deeper than the trace")          \
    X(SF_PERMISSION, "permission",     "permission")                          \
    X(SF_NO_ROOT,    "no_root",        "no root table")                       \
    X(SF_ENGINE,     "engine_error",   "engine error")

typedef enum SessFault {
#define X(k, j, t) k,
    SESS_FAULTS(X)
#undef X
} SessFault;

extern const char *const sess_fault_json[];
extern const char *const sess_fault_text[];

typedef struct SessLevel {
    const IrUnit *unit;         /* the segment read (the variant that matched) */
    uint64_t      param0, index, raw, out;
    bool          ok;
} SessLevel;

/* A walk: LRoot.walk's trace, classified. */
typedef struct SessWalk {
    uint64_t   va;
    uint64_t   status;          /* the walk's LIR status */
    int        levels;
    SessLevel  lv[SESSION_MAX_LEVELS];
    SessFault  fault;
    int        fault_level;     /* the level the fault names (-1: none) */
    bool       table_outside;   /* SF_OUTSIDE: that level points at a table
                                   wholly outside memory */
    uint64_t   pa, flags, psz;  /* SF_NONE */
    uint64_t   span;            /* a fault: the input span of the faulting level */
    uint64_t   mem_pa;          /* SF_OUTSIDE: the first address outside memory */
} SessWalk;

typedef uint64_t SessResolveFn(uint64_t *ctx, uint64_t va, uint64_t *pa, uint64_t *flags, uint64_t *psz);
typedef uint64_t SessWalkFn(uint64_t *ctx, uint64_t va, uint64_t *trace);

typedef struct SessStats {
    uint64_t commands, errors;
    uint64_t ops[4], ops_ok[4];  /* map, unmap, protect, resolve/translate */
    uint64_t walks;
    uint64_t mem_faults;         /* engine accesses outside memory, summed */
} SessStats;

typedef struct Session {
    Arena          a;
    Diag           d;
    SessionOptions opt;
    const IrProgram *ir;
    LModule       *m;
    const LRoot   *root;
    SessRootKind   kind;
    const IrUnit  *ptr_unit;     /* ROOT_POINTER: the segment variant with the child table */
    uint64_t       space;        /* input addresses are below it (0: all 64 bits) */
    int            access_flag[3];   /* session_access_flag, computed once */
    bool          *partial;      /* by IrProgram.units index: a leaf whose
                                    translate bounds va by its state */
    /* the engine */
    EngineKind     engine;
    LInterp       *in;
    Jit           *jit;
    SessResolveFn *nresolve;     /* the JIT's native functions */
    SessWalkFn    *nwalk;
    char           error[256];   /* the last engine error ("" if none) */
    /* memory and the context */
    vrs_hosted    *h;
    EngineMem      mem;
    uint64_t      *ctx;          /* uint64_t[root->ctx->fields.len] */
    int            nctx;
    int            ctx_raw, ctx_cached;   /* -1: none */
    int            root_reg;     /* the root register's number (-1: none) */
    uint64_t      *trace;        /* uint64_t[root->trace->fields.len] */
    uint64_t       scratch;      /* a frame for trying a unit's unmap on an entry */
    uint64_t       own_frames;   /* frames the session took (scratch, registers),
                                    not the driver's tables */
    bool           have_root;    /* false after `load` until `root` */
    uint64_t       image_bytes;  /* what the last load copied (0: none) */
    char           image[256];   /* its file name */
    SessStats      st;
} Session;

/* Compiles the spec and starts a fresh session (an empty table installed).
 * NULL on failure, with the exit status (1: errors in the spec, 2: usage or
 * I/O) in *status; the diagnostics went to opt->err. */
Session *session_open(const SessionOptions *opt, int *status);
void     session_close(Session *s);

/* Runs an LIR function with 64-bit arguments in the session's engine. An
 * interpreter error leaves its text in s->error and returns 0. */
uint64_t session_call(Session *s, const LFn *f, const uint64_t *args);

/* The root driver's operations (their LIR status; done as the driver
 * sets it). false: an engine error (s->error). */
bool session_map(Session *s, uint64_t va, uint64_t size, uint64_t flags, uint64_t pa, uint64_t *status,
                 uint64_t *done);
bool session_unmap(Session *s, uint64_t va, uint64_t size, uint64_t *status, uint64_t *done);
bool session_protect(Session *s, uint64_t va, uint64_t size, uint64_t flags, uint64_t *status, uint64_t *done);

/* The fast path: the root's resolve (native through the JIT). Returns the
 * LIR status; a walk that touched memory outside [0, size) gives RETRY
 * (call session_walk for the fault). */
uint64_t session_resolve(Session *s, uint64_t va, uint64_t *pa, uint64_t *flags, uint64_t *psz);
/* The traced walk of va, classified (never fails: an engine error is
 * SF_ENGINE). */
void     session_walk(Session *s, uint64_t va, SessWalk *w);

/* Images and the root table. On failure false and a message in err. */
bool session_load(Session *s, const char *path, uint64_t at, uint64_t headroom, char *err, size_t n);
bool session_save(Session *s, const char *path, char *err, size_t n);
bool session_set_root(Session *s, uint64_t pa, char *err, size_t n);
/* The root table's address now (the register's or the param's target; a
 * segment root: its registers' address). */
bool session_root_pa(Session *s, uint64_t *pa);

/* A unit's state record read back: from the raw word (decode) or through
 * the interface at param0 (load). Returns the number of fields filled
 * (0: the state cannot be read with what the trace holds). */
int session_decode(Session *s, const IrUnit *u, uint64_t raw, uint64_t param0, uint64_t *st, int max);

/* The choice (enum) a segment is a variant of, NULL if none. */
const IrUnit *session_choice_of(const Session *s, const IrUnit *u);

/* The flag an access kind needs (0 read, 1 write, 2 exec): the shortest
 * flag name containing "read", "writ" or "exec" that every leaf under the
 * root can read back; -1 if there is none (the access is then not
 * checked). */
int session_access_flag(const Session *s, int access);
/* The end of the translated region that starts at w->va (a successful
 * walk) inside its page, at most `limit` (0: no limit): the page's end,
 * except for a leaf whose translate bounds va by its state (a base/limit
 * segment), where the first address that no longer translates
 * contiguously is searched for. */
uint64_t session_leaf_end(Session *s, const SessWalk *w, uint64_t limit);
/* Does the leaf of w bound va by its state (its page may be partial)? */
bool session_leaf_partial(const Session *s, const SessWalk *w);

/* The smallest page of the spec (for a default step). */
uint64_t session_min_page(const Session *s);

/* --engine=jit|interp; false for anything else. */
bool session_parse_engine(const char *arg, EngineKind *k);

/* Numbers: decimal or 0x hex, '_' between digits, an optional K/M/G/T
 * suffix (also KiB, KB...). false: not a number, or it overflows. */
bool session_parse_num(const char *tok, uint64_t *v);

/* One line of f into buf (without its newline), in bounded memory. A line
 * longer than cap - 1 bytes is skipped to its end and reported in
 * *too_long; a NUL byte in it in *nul. false at the end of input. */
bool session_getline(FILE *f, char *buf, size_t cap, size_t *len, bool *too_long, bool *nul);

extern const char *const sess_status_names[];   /* by LIR status, "?" beyond */
const char *session_status_name(uint64_t status);
const char *session_status_text(uint64_t status);

/* ---- explain.c ------------------------------------------------------------------------ */

/* Output: a buffer written to a FILE in large chunks. */
typedef struct Out {
    FILE  *f;
    bool   json;
    bool   fresh;                            /* just after '{': no comma */
    size_t n;
    char   buf[1 << 16];
} Out;

void out_init(Out *o, FILE *f, bool json);
void out_flush(Out *o);
void out_str(Out *o, const char *s);
void out_ch(Out *o, char c);
void out_hex(Out *o, uint64_t v);            /* 0x1f */
void out_dec(Out *o, uint64_t v);
void out_size(Out *o, uint64_t v);           /* 4K, 2M, 1G, else hex */
void out_jstr(Out *o, const char *s);        /* a JSON string, quoted */
void out_jhex(Out *o, uint64_t v);           /* "0x1f" */
void out_open(Out *o);                       /* '{' */
void out_key(Out *o, const char *k);         /* ,"k": (no comma after '{') */
void out_flags(Out *o, const Session *s, uint64_t flags);    /* text: names or "no flags" */
void out_jflags(Out *o, const Session *s, uint64_t flags);   /* ["a","b"] */
void out_end(Out *o);                        /* end of a line: "}\n" or "\n" */

/* A translation of va for an access (0 read, 1 write, 2 exec), as one
 * line per page the access touches; permission checked. */
typedef struct Access {
    int      kind;              /* 0 read, 1 write, 2 exec */
    uint64_t width;             /* bytes, >= 1 */
} Access;

/* One line: the walk's result for w->va (with `access` checked). The cmd
 * is the JSON "cmd" value. */
void explain_result(Out *o, Session *s, const char *cmd, const SessWalk *w, const Access *acc);
/* An access of acc->width bytes at va: a result line per page it
 * touches (translate). Returns the lines; *ok counts the translated. */
uint64_t explain_access(Out *o, Session *s, uint64_t va, const Access *acc, uint64_t *ok);
/* `walk`: every level, its entry, raw value and decoded fields, then the
 * result line. */
void explain_walk(Out *o, Session *s, const SessWalk *w);
/* The fast line of a successful resolve (translate's hot loop): the same
 * text or JSON as explain_result. */
void explain_hit(Out *o, Session *s, uint64_t va, uint64_t pa, uint64_t flags, uint64_t psz, const Access *acc);

/* A dump of [lo, hi): mapped pages coalesced into ranges (same page size,
 * flags, contiguous va and pa), and invalid entries. Stops after
 * max_walks walks with a note. Returns the number of ranges printed. */
uint64_t explain_dump(Out *o, Session *s, uint64_t lo, uint64_t hi, uint64_t max_walks);

/* ---- the commands (repl.c, translate.c), called by main.c -------------------------- */

/* argv[0] is the command word. Exit status: 0 ok, 1 errors in the input,
 * 2 usage or I/O error. */
int repl_main(int argc, char **argv);
int translate_main(int argc, char **argv);

#endif
