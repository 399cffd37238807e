/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * load.h - a spec and everything it imports, as one Program.
 */
#ifndef VRSC_LOAD_H
#define VRSC_LOAD_H

#include "ast.h"
#include "diag.h"

typedef struct Program {
    PtrVec specs;          /* Spec*: every file once, imports before importers */
    bool   io_error;       /* the root file itself could not be read */
} Program;

typedef struct LoadOptions {
    const char **include_dirs;   /* -I, searched after the importer's directory */
    int          n_include_dirs;
    bool         follow_imports;
} LoadOptions;

/* Read and parse path and (optionally) its imports, recursively: diamonds
 * load once, cycles and missing files are errors at the `import` line. */
Program *load_program(Arena *a, Diag *d, const char *path, const LoadOptions *opt);

#endif
