/* Which installed package owns which file of an unpacked image, for the package keep
 * level: dpkg (status + info/NAME.list, and distroless status.d), apk, rpm, Python
 * distributions (RECORD, or the top-level import package of an egg-info), npm packages
 * (the directory holding a package.json under node_modules), Ruby gems
 * (specifications/NAME-VER.gemspec + gems/NAME-VER) and PHP composer packages
 * (vendor/NAME/NAME beside vendor/composer/installed.json).
 * The databases are read by the src/scan readers; every listed path is resolved inside
 * the root (fs/root_path.h): a path that climbs out, dangles or loops owns nothing. */
#ifndef DS_MINIFY_PACKAGES_H
#define DS_MINIFY_PACKAGES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fs/root_path.h"
#include "minify/srcscan.h"
#include "util/err.h"
#include "util/strmap.h"

typedef struct ds_kpkg {
    char *type;       /* deb, apk, rpm, pypi, npm, gem, composer */
    char *name;
    char **files;     /* canonical in-image paths of its regular files, links and dirs */
    size_t n_files;
    char **depends;   /* deb Depends (first of each alternative, no version) */
    size_t n_depends;
    int64_t bytes;    /* regular files */
    bool has_code;    /* an executable, an ELF object or a source file of a language */
} ds_kpkg;

typedef struct ds_pkgindex {
    ds_kpkg *v;
    size_t n;
    ds_strmap owner;  /* canonical path -> (void *)(index + 1) */
} ds_pkgindex;

/* Index every package database found in the tree (tree is the closure's cached root; scan
 * its walk and packages, or NULL to read them here). */
int ds_pkgindex_build(ds_root *tree, const ds_srcscan *scan, ds_pkgindex *ix, ds_err *err);
/* Index of the package owning canonical path, or -1. A __pycache__/X.*.pyc no database
 * lists belongs to the owner of X.py beside the __pycache__ directory. */
long ds_pkgindex_owner(const ds_pkgindex *ix, const char *path);
/* Index of the package named name (deb: also "name:arch"), or -1. */
long ds_pkgindex_find(const ds_pkgindex *ix, const char *type, const char *name);
void ds_pkgindex_free(ds_pkgindex *ix);

/* Documentation class of a path ("doc", "man", "info", "lintian") or NULL for runtime files. */
const char *ds_doc_class(const char *path);

#endif
