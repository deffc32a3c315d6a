/* Small filesystem helpers shared by every module. */
#ifndef DS_UTIL_FSUTIL_H
#define DS_UTIL_FSUTIL_H
#include <stddef.h>
#include <sys/types.h>
#include "util/err.h"

/* mkdir -p with mode for each created component. */
int ds_mkdirs(const char *path, mode_t mode, ds_err *err);
/* rm -rf; never follows symlinks out of the tree; ENOENT is not an error. */
int ds_rmtree(const char *path, ds_err *err);
/* rm -rf of name below dirfd: never follows symlinks, never crosses a mount, constant
 * descriptors whatever the depth. 0, or -1 with errno. */
int ds_rmtree_at(int dirfd, const char *name);
/* Write data to PATH atomically: PATH.tmp.XXXXXX, fsync, rename. */
int ds_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, ds_err *err);
/* Read a whole file (NUL-terminated for convenience; len excludes the NUL). max_len 0 = no limit. */
int ds_read_file(const char *path, char **data, size_t *len, size_t max_len, ds_err *err);
/* The same from an open fd (not closed), naming `label` in messages. */
int ds_read_fd(int fd, const char *label, char **data, size_t *len, size_t max_len, ds_err *err);
/* A fresh private temporary directory under $TMPDIR (or /var/tmp), returned malloc'd. */
int ds_mkdtemp(const char *prefix, char **out, ds_err *err);
/* Path of a sibling temp name for atomic replacement of `path`: "DIR/.NAME.tmp-PID-N". */
char *ds_tmp_sibling(const char *path);
/* 1 when path is a directory holding nothing but . and .., 0 otherwise (or unreadable). */
int ds_dir_empty(const char *path);
/* 1 when path exists (lstat), 0 otherwise. */
int ds_exists(const char *path);
/* Copy a regular file (data only) with mode. */
int ds_copy_file(const char *src, const char *dst, mode_t mode, ds_err *err);

#endif
