/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * emit_drv.c - range drivers: map/unmap/protect/resolve over whole address
 * ranges for every root of the composition.
 */
#include "emit_c_impl.h"

void drv_emit(Emit *e)
{
    (void)e;
}
