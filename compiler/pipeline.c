/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pipeline.c - a spec file down to LIR in one call (pipeline.h). Every
 * stage reports on the same Diag; the first stage with errors stops it.
 * Synthesis always proves: LIR that runs must come from proven programs.
 */
#include "pipeline.h"

#include "ir.h"
#include "load.h"
#include "sema.h"
#include "synth.h"

LModule *pipeline_lir(Arena *a, Diag *d, const char *path, const char *prefix, const PipelineOptions *o,
                      bool *io_error)
{
    static const PipelineOptions none = { NULL, 0, false };
    if (!o)
        o = &none;
    if (io_error)
        *io_error = false;
    LoadOptions lo = { o->include_dirs, o->n_include_dirs, true };
    Program *prog = load_program(a, d, path, &lo);
    if (prog->io_error) {
        if (io_error)
            *io_error = true;
        return NULL;
    }
    SemaOptions so = { o->smt };
    SemaProgram *sp = !d->errors ? sema_check(a, d, prog, &so) : NULL;
    SynthOptions syo = { true, NULL, NULL };
    SynthResult *syn = sp && !d->errors ? synth_program(sp, &syo) : NULL;
    IrProgram *ir = syn && !d->errors ? ir_lower(sp, syn, prefix) : NULL;
    LModule *m = ir && !d->errors ? lir_lower(a, ir) : NULL;
    if (m && !lir_check(m, d->out))
        return NULL;
    return m;
}
