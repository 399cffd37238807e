/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ir.h - the lowered IR, first half: what each unit is. The second half,
 * lir.h, holds the functions built from it (lir_unit.c, lir_drv.c), which
 * the backends (C emitter, JIT, interpreter) execute; see docs/lir.md.
 *
 * lower.c builds it from the checked program and the synthesized programs.
 * Per unit it holds, with all semantics already resolved:
 *   - how each state field is read at run time (through which interface
 *     field and moves), so a backend never looks at actions or couplings;
 *   - valid(), translate's preconditions and value, matchflags() and a
 *     decoder per flag, as Sx trees over state slices (SX_STATE), the
 *     input address (SX_VAR), flags (SX_FLAG) and unit parameters
 *     (SX_PARAM);
 *   - the proven map/unmap/protect programs (SOp lists) and their
 *     argument checks;
 *   - composition: a table's index bits, entry count and the element's
 *     parameters as Sx over the table's parameters and the index (SX_VAR);
 *     an enum's variants; a segment's child table.
 * Values are 64-bit (sx.h). Every unit parameter is a 64-bit value.
 */
#ifndef VRSC_IR_H
#define VRSC_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "sema.h"
#include "synth.h"
#include "sx.h"

#define IR_UNIT_KINDS(X)                                                       \
    X(IR_SEGMENT, "segment")   /* one entry or register set */                 \
    X(IR_TABLE,   "table")     /* staticmap: entries selected by va bits */    \
    X(IR_CHOICE,  "choice")    /* enum: one of several segments */

typedef enum IrUnitKind {
#define X(k, s) k,
    IR_UNIT_KINDS(X)
#undef X
} IrUnitKind;

extern const char *const ir_unit_kind_names[];

/* How to read one state field at run time: read interface field `io`
 * (memory, MMIO or register access, or executing an instruction) and move
 * the listed bits back. `complete` is false when some bits of the state
 * field cannot be read back (they read as 0). */
typedef struct IrStateRead {
    SField   *field;       /* the state field */
    PtrVec    ios;         /* SFieldIO*: interface fields to read, in order */
    PtrVec    moves;       /* SMove*: iface bits -> state bits (the inverse of
                              the read actions) */
    bool      complete;
} IrStateRead;

typedef struct IrUnit IrUnit;
struct IrUnit {
    SemaUnit   *su;
    IrUnitKind  kind;
    const char *name;          /* as in the spec */
    const char *cname;         /* snake case, for generated names */
    unsigned    inbits, outbits;
    PtrVec      params;        /* const char*: unit parameter names */
    Loc         loc;
    /* IR_SEGMENT */
    PtrVec      io;            /* SFieldIO*: interface fields, declaration order */
    PtrVec      reads;         /* IrStateRead*, one per state field */
    bool        readable;      /* every state field can be read back */
    Sx         *valid;         /* bool, NULL: always */
    PtrVec      pre;           /* Sx*: translate's requires (bool) */
    Sx         *translate;     /* the output address (or the child's base) */
    Sx         *matchflags;    /* bool, NULL: always */
    PtrVec      flag_decode;   /* Sx* per global flag over the state, or NULL
                                  where the flag cannot be read back */
    SynthProg  *prog[SYN_COUNT];   /* NULL: the unit has no such program */
    IrUnit     *child;         /* maps a table: pa names this unit */
    uint64_t    page_size;     /* leaf: 2^inbits, the size it maps */
    uint64_t    map_size;      /* the sz its map requires (`requires sz == C`),
                                  else 2^inbits */
    /* IR_TABLE */
    uint64_t    entries;
    unsigned    index_lo, index_hi;   /* va bits selecting the entry */
    IrUnit     *elem;          /* the element unit (same for every entry) */
    PtrVec      elem_args;     /* Sx* per element param, over SX_PARAM (the
                                  table's) and SX_VAR (the index) */
    uint64_t    table_bytes;   /* memory a table occupies (0: not memory) */
    /* IR_CHOICE */
    PtrVec      variants;      /* IrUnit* (segments) */
};

typedef struct IrProgram {
    SemaProgram *sp;
    const char  *prefix;       /* generated names start with it */
    const char  *spec;         /* the spec file's base name, for back-links */
    PtrVec       units;        /* IrUnit*, definition order */
    PtrVec       roots;        /* IrUnit* */
    PtrVec       flags;        /* const char*: global flag names (at most 64) */
    /* Flag i is bit flag_bit[i] of flags_t. Chosen where the leaves keep
     * the flag (x86: writable is bit 1, as in the PTE), so that decoding
     * a leaf's flags, checking them and writing them are masks; the other
     * flags take the lowest free bits. */
    uint8_t      flag_bit[64];
    PtrVec       regs;         /* SField*: reg fields, numbered in order */
    PtrVec       instrs;       /* SField*: instr fields, numbered in order */
} IrProgram;

/* Lower a checked program with its synthesized programs. Reports what
 * cannot be lowered (at its location) and returns NULL. */
IrProgram *ir_lower(SemaProgram *sp, const SynthResult *syn, const char *prefix);

IrUnit *ir_unit(const IrProgram *ir, const SemaUnit *su);
/* Flag i as a flags_t value; every flag of the program. */
static inline uint64_t ir_flag(const IrProgram *ir, int i)
{
    return (uint64_t)1 << ir->flag_bit[i];
}
uint64_t ir_flags_all(const IrProgram *ir);
int     ir_reg_id(const IrProgram *ir, const SField *f);      /* -1 if none */
int     ir_instr_id(const IrProgram *ir, const SField *f);

/* Print the IR (vrsc build --dump-ir), for tests and debugging. */
void ir_dump(FILE *out, const IrProgram *ir);

#endif
