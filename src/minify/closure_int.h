/* Shared by the files of src/minify that add to a closure (closure.c, keep_level.c). */
#ifndef DS_MINIFY_CLOSURE_INT_H
#define DS_MINIFY_CLOSURE_INT_H
#include <stdint.h>
#include "elf/resolve.h"
#include "fs/root_path.h"
#include "minify/minify.h"

typedef struct ds_cctx {
    const char *root;
    ds_root tree;      /* lookups inside root, cached for the whole closure */
    ds_closure *c;
    ds_err *err;
    int64_t *rule_bytes; /* when set: bytes of the regular files newly kept are added there */
    ds_elf_ctx *elf;   /* created on first use, freed by the closure */
    struct ds_kl *kl;  /* the package level's state (keep_level.c), NULL at file level */
} ds_cctx;

/* /proc, /sys, /dev, /.distill: never kept. */
bool ds_closure_skipped(const char *path);
/* ds_root_lookup through the cached parent directory (one lstat for a path whose last
 * component is not a symlink, instead of a walk from the root); the same result. */
const ds_rpath_res *ds_closure_lookup(ds_cctx *x, const char *path);
/* Keep path (resolved inside the root, with every symlink hop on the way) when it exists.
 * *resolved_out (may be NULL) gets the canonical in-image path. 1 kept, 0 absent. */
int ds_closure_keep(ds_cctx *x, const char *path, const char *reason, char **resolved_out);
/* Keep a directory and everything below it (symlinks inside it are kept with their targets). */
void ds_closure_keep_tree(ds_cctx *x, const char *dir, const char *reason);
/* The ELF resolver of the closure (created on first use), or NULL with a warning. */
/* shell_absent.c: why the shell at canonical `real` can go (every run of it in the trace was
 * `SH -c SCRIPT` starting only programs the image lacks), malloc'd; NULL when it is needed. */
char *ds_shell_only_absent(ds_cctx *x, const ds_trace *t, const char *real, const char *path_env);
ds_elf_ctx *ds_closure_elf(ds_cctx *x, const ds_minify_opts *opts);
/* ELF e_machine of a host file; *is_elf says whether it is one. */
uint16_t ds_closure_elf_machine(const char *host_path, bool *is_elf);

/* Rule 2, every level: Volumes and the directories the app wrote in, kept whole. */
void ds_keep_data_dirs(ds_cctx *x, const ds_trace *trace, const ds_minify_opts *opts);
/* The package level's rules (whole packages, the app's tree, runtime data, a standard
 * library at module level); fills c->keep_level. */
int ds_keep_level_apply(ds_cctx *x, const ds_trace *trace, const ds_minify_opts *opts);
/* After the rest of the closure: per-package states into c->keep_level; frees x->kl. */
void ds_keep_level_finish(ds_cctx *x);
#endif
