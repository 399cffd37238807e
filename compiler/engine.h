/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * engine.h - running LIR in the compiler's own process: the reference
 * interpreter (lir_interp.c) and the libgccjit backend (jit.c) behind one
 * interface, for `vrsc jit`, `vrsc translate` and the differential tests.
 *
 * Calling convention (both engines, and the compiled C driver agree):
 *   - arguments and results are 64-bit; a bool is 0/1, a pointer is the
 *     host address;
 *   - a record is an array of 64-bit words, field k at word k (the env
 *     field holds a struct vrs_env *), so a caller builds a driver context
 *     as uint64_t ctx[n];
 *   - env operations go to the struct vrs_env the caller passes inside its
 *     records and arguments (runtime/vrs_env.h), except page-table memory:
 *     MEM reads and writes go to the EngineMem, bounds-checked. An access
 *     outside [0, size) reads 0, writes nothing, and is counted in `faults`
 *     with the first bad address in `fault_pa`: a corrupt memory image
 *     gives a fault, never a crash.
 */
#ifndef VRSC_ENGINE_H
#define VRSC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "lir.h"

typedef struct EngineMem {
    uint8_t  *base;        /* host address of physical address 0 */
    uint64_t  size;        /* bytes of physical memory */
    uint64_t  faults;      /* accesses outside [0, size) */
    uint64_t  fault_pa;    /* the first of them */
} EngineMem;

typedef enum EngineKind { ENGINE_INTERP, ENGINE_JIT } EngineKind;

/* ---- the interpreter (lir_interp.c) ---- */
typedef struct LInterp LInterp;

LInterp *linterp_new(const LModule *m, EngineMem *mem);
void     linterp_free(LInterp *in);
/* Runs f with f->nparams arguments. Calls nest at most 256 deep; deeper
 * (or a statement budget of 2^32 exhausted) stops the run: the result is
 * 0 and linterp_error says why. */
uint64_t    linterp_call(LInterp *in, const LFn *f, const uint64_t *args);
const char *linterp_error(const LInterp *in);   /* NULL: no error */
/* The statement budget of later top-level calls (default 2^32). */
void        linterp_set_budget(LInterp *in, uint64_t statements);
void        linterp_clear_error(LInterp *in);

/* ---- the JIT (jit.c) ---- */
typedef struct Jit Jit;

/* Is libgccjit compiled in? */
bool jit_available(void);
/* Compiles every function of m in one libgccjit context at -O2; every
 * one is callable. NULL on failure, with libgccjit's error text in *err
 * (static or arena storage owned by the caller's process; never NULL on
 * failure). For x86-64, over a second. */
Jit     *jit_compile(const LModule *m, EngineMem *mem, const char **err);
/* Compiles entry[0..n) (n >= 1) and every function they call, directly or
 * not, in one context tuned for compile time (jit.c says how). Only the
 * entries are callable: jit_call of any other function returns 0 and
 * jit_native NULL, whether it was compiled into an entry or not, so a
 * caller lists every function it calls. `vrsc translate` needs a root's
 * resolve and walk: 2 entries of x86-64's 168 functions. */
Jit     *jit_compile_some(const LModule *m, LFn *const *entry, int n, EngineMem *mem, const char **err);
/* Makes entry[0..n) callable too (the REPL's map, unmap, protect, init,
 * fini on its first change): those not callable yet are compiled with
 * their closure, as jit_compile_some does, in one new context. False on
 * failure, j unchanged. */
bool     jit_add(Jit *j, LFn *const *entry, int n, const char **err);
void     jit_free(Jit *j);
/* f(args): 0 if f is not callable (above) or args is NULL and f has
 * parameters. */
uint64_t jit_call(Jit *j, const LFn *f, const uint64_t *args);
/* The native code of f (its real C signature: uint64_t/bool/pointer
 * arguments as in the LIR), for benchmarks and fast loops; NULL if f is
 * not callable. */
void    *jit_native(Jit *j, const LFn *f);
/* Milliseconds (wall) the compiles of j took, jit_add's included. */
double   jit_compile_ms(const Jit *j);

#endif
