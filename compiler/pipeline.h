/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pipeline.h - a spec file down to LIR in one call: load, check,
 * synthesize and prove, lower to the IR, lower to LIR, check the LIR.
 *
 * For the in-process users of the compiler: `vrsc jit` and `vrsc
 * translate` (session.c), the engine tests and the JIT benchmark.
 * `vrsc build` runs the stages itself (it can stop after any of them).
 */
#ifndef VRSC_PIPELINE_H
#define VRSC_PIPELINE_H

#include <stdbool.h>

#include "diag.h"
#include "lir.h"

typedef struct PipelineOptions {
    const char **include_dirs;   /* -I, as for load_program */
    int          n_include_dirs;
    bool         smt;            /* the Z3 sanity checks of vrsc check */
} PipelineOptions;

/* The LIR of the spec at path, generated names starting with prefix.
 * NULL when something failed: the errors are on d, and *io_error says
 * whether the file could not be read (pass NULL if it does not matter). A
 * module lir_check rejects is an internal error, reported on d's stream. */
LModule *pipeline_lir(Arena *a, Diag *d, const char *path, const char *prefix, const PipelineOptions *o,
                      bool *io_error);

#endif
