/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit_c.h - the C backend: lowered IR -> NAME.h + NAME.c (or one header).
 *
 * Prints the LIR module (lir.h). The generated files are MIT-licensed, C11,
 * freestanding (stdint.h, stdbool.h, stddef.h and runtime/vrs_env.h), and
 * byte-identical for the same input. See docs/driver.md.
 */
#ifndef VRSC_EMIT_C_H
#define VRSC_EMIT_C_H

#include <stdbool.h>

#include "diag.h"
#include "lir.h"

/* Write DIR/PREFIX.h and DIR/PREFIX.c (header_only: just the .h). Both
 * files are produced in memory and renamed into place only when complete;
 * an I/O error is reported and returns false. */
bool emitc_write(const LModule *m, Diag *d, const char *dir, bool header_only);

#endif
