/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * arena.h - bump allocation, one arena per compilation.
 *
 * Every AST node, string and list of a compilation lives in one Arena and is
 * freed wholesale by arena_free(). Nothing in the front end calls free() on an
 * individual node, so error paths cannot leak.
 */
#ifndef VRSC_ARENA_H
#define VRSC_ARENA_H

#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;

typedef struct Arena {
    ArenaChunk *head;
    size_t      used_bytes;   /* payload handed out, for stats */
} Arena;

void  arena_init(Arena *a);
void  arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t size);            /* zeroed, 16-byte aligned */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A growable array of pointers whose storage lives in the arena. */
typedef struct PtrVec {
    void  **items;
    int     len;
    int     cap;
} PtrVec;

void vec_push(Arena *a, PtrVec *v, void *item);

#define VEC_FOREACH(type, var, vec)                                            \
    for (int var##_i = 0; var##_i < (vec).len; var##_i++)                      \
        for (type var = (type)(vec).items[var##_i]; var; var = NULL)

#endif
