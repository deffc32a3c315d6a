/* The closure: which files of an unpacked image an app needs, from what a traced
 * run saw plus what static analysis says (ELF dependencies, symlink chains,
 * parent directories) plus the essentials of a distroless image; and writing
 * that subset out as a new tree. */
#ifndef DS_MINIFY_MINIFY_H
#define DS_MINIFY_MINIFY_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "minify/pathmap.h"
#include "minify/srcscan.h"
#include "trace/trace_log.h"
#include "util/err.h"

/* Distroless' non-root user (the distroless :nonroot images). */
#define DS_NONROOT_UID 65532u
#define DS_NONROOT_NAME "nonroot"

/* How much of what the app touched is kept (--keep-level). */
typedef enum ds_keep_level {
    DS_KEEP_FILE = 0,  /* the files it used (plus static rules): the smallest result */
    DS_KEEP_PACKAGE,   /* the whole package of any file it used, the app's own tree, runtime data */
} ds_keep_level;
/* "package" / "file" -> the level; -1 when unknown. */
int ds_keep_level_parse(const char *name);
const char *ds_keep_level_name(ds_keep_level l);

typedef struct ds_minify_opts {
    const char *ld_library_path;      /* from the image Env, or NULL */
    const char *path_env;             /* PATH from the image Env, to find argv[0] */
    char *const *command;             /* the app's argv (entrypoint + cmd) */
    size_t n_command;
    char *const *keep_globs;          /* --keep: fnmatch patterns on absolute paths; a matching dir keeps all below */
    size_t n_keep_globs;
    char *const *keep_packages;       /* --keep-package: dpkg package names */
    size_t n_keep_packages;
    bool keep_shell;
    /* Keep a shell that only ran programs absent from the image (the build's retry when the
     * verify failed without it); by default it is left out (ds_closure.n_absent_shells). */
    bool keep_absent_shells;
    const char *workdir;              /* the image's WorkingDir: the runtime chdirs there before the app runs */
    ds_keep_level keep_level;         /* zero: file */
    char *const *volumes;             /* the image config's Volumes: kept whole at every level */
    size_t n_volumes;
    /* The source's walk and packages, read once by the caller (NULL: read when needed). It
     * must outlive the closure, which keeps the pointer for ds_closure_write_tree. */
    const ds_srcscan *src_scan;
    /* The package level's index of src_scan's packages, built by the caller (NULL: built when
     * needed): it depends on the source only (packages.h). It must outlive the closure. */
    const struct ds_pkgindex *pkgindex;
} ds_minify_opts;

/* A tool the closure saw: a path (exact bytes) and a note (the argv it ran with, as JSON
 * text, or why it was left out). */
typedef struct ds_tool_note {
    char *path;
    char *note;
} ds_tool_note;

typedef struct ds_closure {
    ds_pathmap keep;        /* sorted: path -> reason */
    ds_tool_note *dropped_tools; /* shells/package managers/coreutils found in SRC and left out: note = why */
    size_t n_dropped_tools;
    ds_tool_note *used_tools;    /* tools kept because the app ran them: note = argv as JSON text */
    size_t n_used_tools;
    size_t n_absent_shells;      /* shells left out that the app ran only for absent programs */
    char **warnings;        /* sentences (may hold bytes of paths that are not UTF-8) */
    size_t n_warnings;
    char **written;         /* paths the app created/renamed/removed (to chown for a non-root user) */
    size_t n_written;
    uint16_t machine;       /* ELF e_machine of the app, 0 unknown */
    /* What the keep level did: {level, packages:[{type,name,state,files,bytes,kept_files,
     * kept_bytes}], rules:{rule: bytes added}, docs_left_out:{class: bytes},
     * plugins_left_out:[{package,path,adds_bytes,hint}], bytes, file_level_bytes}. */
    json_t *keep_level;
    const ds_srcscan *src_scan; /* ds_minify_opts.src_scan (not owned) */
} ds_closure;

/* trace: the sensor's log of the app's run (may be NULL: only static rules apply). */
int ds_closure_compute(const char *src_root, const ds_trace *trace, const ds_minify_opts *opts,
                       ds_closure **out, ds_err *err);
void ds_closure_free(ds_closure *c);
/* Bytes of the regular files the closure keeps (as they are in src_root). */
int64_t ds_closure_bytes(const char *src_root, const ds_closure *c);

/* How the run user is set up in the written tree. */
typedef struct ds_user_setup {
    bool add_nonroot;          /* add nonroot:65532 to passwd/group, /home/nonroot 0700 */
    uint32_t chown_uid, chown_gid; /* owner for the paths the app wrote (when chown_written) */
    bool chown_written;
    /* When set (NULL-terminated, top first): the trees src_root is made of (the stored layers
     * of an overlay, or src_root itself when it is a plain directory). A kept regular file
     * that is the very inode of the topmost tree holding its path (same inode number, owner,
     * mode, size and mtime, no xattrs), on dst_root's file system, becomes a hard link to it
     * instead of a copy (a symlink likewise: link(2) links the symlink itself): no inode to
     * allocate, no bytes to copy. Only for a dst_root that
     * nothing writes into in place (the caller's promise: runs use an overlay over it, and no
     * --harden or file capability follows); the paths the app wrote are copied all the same,
     * since chown_written changes them. */
    const char *const *link_from;
} ds_user_setup;

/* Copy the kept paths from src_root to dst_root (must not exist or be empty) with
 * modes, owners, times, xattrs and hard links; then the essentials: /tmp 1777,
 * passwd/group with the run user, and the package metadata of what was kept (whose notes,
 * such as a package skipped for a bad name, are added to c->warnings once each). */
int ds_closure_write_tree(const char *src_root, ds_closure *c, const ds_user_setup *user,
                          const char *dst_root, ds_err *err);
/* Turn dst_root, written by ds_closure_write_tree with setup `from` (and not changed since),
 * into what it writes with setup `to` (link_from aside): nonroot added to passwd/group (both
 * replaced, not written in place) with /home/nonroot when `to` adds it and `from` did not,
 * or passwd/group and /home/nonroot back to the source's when `to` adds no nonroot; the
 * paths the app wrote chowned to `to`'s owner or back to the source's. A second candidate
 * for another user without writing thousands of inodes again. 0 done, 1 when it cannot
 * (write the tree afresh; dst_root may be half changed), -1 with err. */
int ds_closure_retarget_tree(const char *src_root, const ds_closure *c, const ds_user_setup *from,
                             const ds_user_setup *to, const char *dst_root, ds_err *err);
/* A copy of from_root (a tree ds_closure_write_tree wrote for c) at dst_root (must not
 * exist; its parent must), for ds_closure_retarget_tree to turn into another user's
 * candidate while from_root is verified: every entry but a directory is a hard link to
 * from_root's inode, except the paths the app wrote (c->written) and any other name of
 * their inodes, which the retarget chowns: copies, the hard links among them kept. 0, or
 * -1 with err. */
int ds_closure_clone_tree(const ds_closure *c, const char *from_root, const char *dst_root, ds_err *err);

/* Package metadata for what was kept (src/minify/pkg_meta.c): dpkg status.d/PKG +
 * PKG.md5sums, apk installed, the rpm SQLite db pruned, Python METADATA + RECORD, npm
 * package.json, for the packages of src_root with at least one file in keep written in
 * dst_root (scan: src_root's, or NULL to read it here). With dst_root NULL nothing is written. What is skipped (and why) goes to
 * warnings (a JSON array, may be NULL); kept_out (may be NULL) gets
 * [{type, name, package, version, arch, purl, database, files, kept, share}]. */
int ds_pkg_meta_write(const char *src_root, const ds_srcscan *scan, const ds_pathmap *keep, const char *dst_root,
                      json_t *warnings, json_t **kept_out, ds_err *err);
/* The packages of src_root with at least one file in keep, as kept_out above ([] on error). */
json_t *ds_pkg_meta_kept(const char *src_root, const ds_srcscan *scan, const ds_pathmap *keep);

/* True when basename(path) is a shell, a package manager or a coreutils-like tool. */
bool ds_is_shell_or_tool(const char *path);

#endif
