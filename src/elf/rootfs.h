/* Looking up paths inside an image root without ever leaving it: symlinks are
 * followed by hand, absolute targets restart at the root, ".." stops at the root.
 * Every symlink met on the way is recorded (the minifier keeps link and target). */
#ifndef DS_ELF_ROOTFS_H
#define DS_ELF_ROOTFS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/strmap.h"
#include "util/err.h"

typedef struct ds_rpath_res {
    bool exists;
    mode_t mode;      /* of the final target */
    char *real;       /* canonical in-image path, "/..." with no symlink in it */
    char **links;     /* canonical in-image paths of the symlinks followed */
    size_t n_links;
} ds_rpath_res;

typedef struct ds_root {
    int fd;           /* O_PATH directory of the root */
    char *dir;        /* as given */
    ds_strmap cache;  /* in-image path -> ds_rpath_res* */
    unsigned steps;   /* work done by the current lookup */
} ds_root;

int ds_root_open(ds_root *r, const char *dir, ds_err *err);
void ds_root_close(ds_root *r);
/* "a//b/./c/" -> "/a/b/./c" style cleanup: leading '/', single slashes, no trailing '/'. */
char *ds_path_clean(const char *path);
/* Resolve an in-image path (relative paths are taken from "/"). The result is cached
 * and owned by r; never NULL. */
const ds_rpath_res *ds_root_lookup(ds_root *r, const char *path);
/* Open the canonical in-image path `real` read-only, confined to the root. */
int ds_root_open_file(ds_root *r, const char *real, ds_err *err);

/* Read a whole (small) regular file at an in-image path; 1 when read, 0 when it
 * does not exist, -1 on error. *data is NUL-terminated and malloc'd. */
int ds_root_read_file(ds_root *r, const char *path, size_t max, char **data, size_t *len, ds_err *err);

#endif
