/* What a build reads of its source's packages, once: the source does not change while it is
 * built, and the package keep level's index, the package metadata of every candidate and the
 * build report each used to walk it and read every package database again.
 * Holds the tree's walk (every entry's lstat), the distribution (os-release) and the
 * packages of the scan library's readers: dpkg, apk, rpm, Python, npm, in that order (so a
 * file both a deb and a language database list is the deb's: first owner wins). */
#ifndef DS_MINIFY_SRCSCAN_H
#define DS_MINIFY_SRCSCAN_H
#include <stdbool.h>
#include <sys/stat.h>
#include "fs/root_path.h"
#include "scan/scan.h"
#include "util/err.h"

typedef struct ds_srcscan {
    char *root;
    ds_tree tree;
    ds_distro distro;
    ds_pkglist pkgs;  /* in the readers' order */
    ds_strlist notes; /* what the readers could not read */
} ds_srcscan;

/* Walks root and reads its package databases. A reader that fails leaves a note, not an
 * error; only the walk itself fails (-1, err naming root). *out is freed with ds_srcscan_free. */
int ds_srcscan_load(const char *root, ds_srcscan **out, ds_err *err);
void ds_srcscan_free(ds_srcscan *s);
/* lstat of the canonical in-image path `real` (no symlink in it) under root: the walk's, when
 * it saw the entry (s may be NULL), else lstat(2). The build's source is an overlay of store
 * layers, where every lstat is a lookup through each layer; the walk took them all once. */
int ds_srcscan_lstat(const ds_srcscan *s, const char *root, const char *real, struct stat *st);
/* r's lookups (a ds_root opened on the same root) take what the walk saw, without a syscall. */
void ds_srcscan_attach(const ds_srcscan *s, ds_root *r);
/* p written as the walk names entries: "/a/b", no empty, "." or ".." component. */
bool ds_srcscan_walk_form(const char *p);
/* ds_root_entry (r: s->root's cached lookup) with the lstat the walk took, when it saw the
 * entry: no syscall for it (st may be NULL; mode, size, owners, inode and links are set). */
char *ds_srcscan_entry(const ds_srcscan *s, ds_root *r, const char *path, struct stat *st);

#endif
