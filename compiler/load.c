/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * load.c - import resolution: files -> a Program of parsed Specs.
 *
 * `import name;` loads name.vrs beside the importing file, then along the -I
 * directories. Files are identified by their real path, so a diamond loads a
 * file once. The chain of files being loaded is kept as a stack; meeting a
 * file that is on it is a cycle, reported with the whole chain. The flattened
 * order puts each import before its importer, as the reference does.
 */
#include "load.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse.h"

typedef struct Loader {
    Arena             *arena;
    Diag              *diag;
    const LoadOptions *opt;
    Program           *prog;
    PtrVec             loaded;   /* real paths of loaded files */
    PtrVec             stack;    /* display paths of the import chain */
    PtrVec             stack_real;
} Loader;

static const char *real_path(Loader *l, const char *path)
{
    char buf[PATH_MAX];
    if (!realpath(path, buf))
        return arena_strdup(l->arena, path);
    return arena_strdup(l->arena, buf);
}

static bool is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *dir_of(Loader *l, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return ".";
    if (slash == path)
        return "/";
    return arena_strndup(l->arena, path, (size_t)(slash - path));
}

static const char *join(Loader *l, const char *dir, const char *name)
{
    if (strcmp(dir, ".") == 0)
        return arena_printf(l->arena, "%s.vrs", name);
    return arena_printf(l->arena, "%s%s%s.vrs", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

static void load_file(Loader *l, const char *path, const Item *import);

static void load_imports(Loader *l, Spec *spec)
{
    PtrVec seen = { 0 };   /* Item* of this file's imports, for duplicates */
    VEC_FOREACH(Item *, it, spec->items) {
        if (it->kind != ITEM_IMPORT)
            continue;
        bool dup = false;
        VEC_FOREACH(Item *, prev, seen)
            if (strcmp(prev->import.name, it->import.name) == 0) {
                diag_error(l->diag, it->loc, "duplicate import `%s`", it->import.name);
                diag_note(l->diag, prev->loc, "first imported here");
                dup = true;
                break;
            }
        if (dup)
            continue;
        vec_push(l->arena, &seen, it);

        const char *found = NULL;
        const char *beside = join(l, dir_of(l, spec->file->path), it->import.name);
        if (is_regular_file(beside))
            found = beside;
        for (int i = 0; !found && i < l->opt->n_include_dirs; i++) {
            const char *cand = join(l, l->opt->include_dirs[i], it->import.name);
            if (is_regular_file(cand))
                found = cand;
        }
        if (!found) {
            diag_error(l->diag, it->import.loc, "cannot find `%s.vrs` (looked in %s%s)", it->import.name,
                       dir_of(l, spec->file->path),
                       l->opt->n_include_dirs ? " and the -I directories" : "");
            continue;
        }
        load_file(l, found, it);
    }
}

static void load_file(Loader *l, const char *path, const Item *import)
{
    const char *real = real_path(l, path);
    for (int i = 0; i < l->stack_real.len; i++) {
        if (strcmp(l->stack_real.items[i], real) != 0)
            continue;
        /* a cycle: print the chain from the first occurrence */
        size_t cap = 64;
        for (int j = i; j < l->stack.len; j++)
            cap += strlen(l->stack.items[j]) + 4;
        cap += strlen(path);
        char *chain = arena_alloc(l->arena, cap);
        size_t k = 0;
        for (int j = i; j < l->stack.len; j++)
            k += (size_t)snprintf(chain + k, cap - k, "%s -> ", (const char *)l->stack.items[j]);
        snprintf(chain + k, cap - k, "%s", path);
        diag_error(l->diag, import->loc, "circular import: %s", chain);
        return;
    }
    VEC_FOREACH(const char *, done, l->loaded)
        if (strcmp(done, real) == 0)
            return;                       /* diamond: already loaded */
    vec_push(l->arena, &l->loaded, (void *)real);

    const char *err = NULL;
    SrcFile *f = srcfile_read(l->arena, path, &err);
    if (!f) {
        if (import)
            diag_error(l->diag, import->import.loc, "cannot read `%s`: %s", path, err);
        else {
            diag_plain(l->diag, DIAG_ERROR, "cannot read `%s`: %s", path, err);
            l->prog->io_error = true;
        }
        return;
    }
    Spec *spec = parse_file(l->arena, l->diag, f);
    if (l->opt->follow_imports) {
        vec_push(l->arena, &l->stack, (void *)path);
        vec_push(l->arena, &l->stack_real, (void *)real);
        load_imports(l, spec);
        l->stack.len--;
        l->stack_real.len--;
    }
    vec_push(l->arena, &l->prog->specs, spec);
}

Program *load_program(Arena *a, Diag *d, const char *path, const LoadOptions *opt)
{
    Loader l = { 0 };
    l.arena = a;
    l.diag = d;
    l.opt = opt;
    l.prog = arena_alloc(a, sizeof *l.prog);
    load_file(&l, path, NULL);
    return l.prog;
}
