/* Static ELF dependency resolution, as the dynamic loader would do it, for any
 * architecture, without executing anything. (Owned by the ldd work, issue 3.)
 *
 * glibc rules: PT_INTERP; DT_NEEDED breadth-first, each name loaded once (matched
 * against names, sonames and file identity of what is already loaded); DT_RPATH of
 * the requesting object and of its loaders up to the executable (only when the
 * requester has no DT_RUNPATH; an object with DT_RUNPATH has no DT_RPATH); then
 * LD_LIBRARY_PATH; then the requester's own DT_RUNPATH; then /etc/ld.so.cache (or,
 * with no cache in the image, the ld.so.conf directories ldconfig would have
 * cached); then the default directories (both skipped for DF_1_NODEFLIB). The objects
 * in the image's /etc/ld.so.preload are loaded first, right after the program.
 * $ORIGIN, $LIB and $PLATFORM are expanded; glibc-hwcaps subdirectories are found
 * too. Candidates of another class/machine are skipped. musl rules when the
 * interpreter is ld-musl-*: LD_LIBRARY_PATH, then RUNPATH/RPATH of the requester and
 * its loaders, then /etc/ld-musl-ARCH.path; libc/libpthread/libdl/... are the loader. */
#ifndef DS_ELF_RESOLVE_H
#define DS_ELF_RESOLVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

/* Every path inside `root` that the loader needs to run `file` (an absolute path
 * inside the image, e.g. "/usr/sbin/nginx"): the interpreter, each library found,
 * and every symlink on the way to each of them together with its target, as
 * absolute in-image paths. ld_library_path: from the image's Env, or NULL.
 * A library that cannot be found is not an error here: it is listed in *missing
 * (may be NULL). A file that is not ELF gives 0 paths. Returns -1 only on I/O
 * errors or a malformed ELF. Arrays and strings are malloc'd; free with ds_strv_free. */
int ds_elf_needed_files(const char *root, const char *file, const char *ld_library_path,
                        char ***paths, size_t *n_paths, char ***missing, size_t *n_missing,
                        ds_err *err);
void ds_strv_free(char **v, size_t n);

/* ---- The same with a context that caches across many files (parsed objects, path
 * lookups, ld.so.cache): use it to resolve more than a handful of files. ---- */
typedef struct ds_elf_ctx ds_elf_ctx;

typedef struct ds_elf_search {
    char *dir;            /* in-image directory tried */
    const char *reason;   /* "rpath", "runpath", "ld_library_path", "ld.so.conf", "default", "musl_path" */
} ds_elf_search;

typedef struct ds_elf_obj {
    char *name;           /* as requested: DT_NEEDED string, or the path for the file/interpreter */
    char *path;           /* in-image path the loader opens; NULL when not found */
    char *real;           /* the same with every symlink resolved; NULL when not found */
    int parent;           /* index of the object whose DT_NEEDED loaded it; -1 for the file */
    const char *how;      /* "file", "interpreter", "path", "rpath", "runpath", "ld_library_path",
                             "ld.so.cache", "ld.so.conf", "default", "musl_path", "loader" */
    char *error;          /* why it was not found; NULL when found */
    ds_elf_search *searched; /* directories tried, in order */
    size_t n_searched;
    char **alternatives;  /* glibc-hwcaps variants the loader picks on capable CPUs */
    size_t n_alternatives;
    char **needed;        /* its DT_NEEDED names (after $ORIGIN... expansion) */
    int *needed_idx;      /* object each name resolved to (index into objs) */
    size_t n_needed;
} ds_elf_obj;

typedef struct ds_elf_result {
    char *file;
    bool is_elf;
    bool dynamic;         /* has a dynamic section */
    const char *flavor;   /* "glibc" or "musl" */
    uint8_t cls;          /* 1 = ELF32, 2 = ELF64 */
    uint16_t machine;
    int interp;           /* index of the interpreter in objs, or -1 */
    ds_elf_obj *objs;     /* objs[0] is the file itself */
    size_t n_objs;
    int *order;           /* objects in load order (what ldd lists), without objs[0] */
    size_t n_order;
    char **files;         /* needed files (see ds_elf_needed_files) */
    size_t n_files;
    char **missing;       /* names not found */
    size_t n_missing;
} ds_elf_result;

/* root: the image's root directory; ld_library_path may be NULL. */
int ds_elf_ctx_new(const char *root, const char *ld_library_path, ds_elf_ctx **out, ds_err *err);
void ds_elf_ctx_free(ds_elf_ctx *c);
/* Resolve `file` (in-image path). 0 with *out set (also for non-ELF files: is_elf
 * false), or -1 for I/O errors, a missing file, or a malformed ELF. */
int ds_elf_resolve(ds_elf_ctx *c, const char *file, ds_elf_result **out, ds_err *err);
void ds_elf_result_free(ds_elf_result *r);
/* 1 when the in-image path is a regular file starting with the ELF magic. */
int ds_elf_ctx_is_elf(ds_elf_ctx *c, const char *file);

#endif
