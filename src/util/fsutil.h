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
/* The same without the fsync, for a tree that is thrown away when the work fails (a build's
 * candidate): the rename still replaces whatever PATH was (a symlink is never written through). */
int ds_write_file_replace(const char *path, const void *data, size_t len, mode_t mode, ds_err *err);
/* Read a whole file (NUL-terminated for convenience; len excludes the NUL). max_len 0 = no limit. */
int ds_read_file(const char *path, char **data, size_t *len, size_t max_len, ds_err *err);
/* The same from an open fd (not closed), naming `label` in messages. */
int ds_read_fd(int fd, const char *label, char **data, size_t *len, size_t max_len, ds_err *err);
/* Where every command puts its temporary work (one documented default, distill(1)):
 * the directory given to ds_tmpdir_set (the CLI's --tmpdir), else $TMPDIR, else /var/tmp.
 * /var/tmp rather than /tmp: an unpacked image can take gigabytes, and /tmp is a RAM-backed
 * tmpfs on many systems; /var/tmp is on disk (FHS). ds_tmpdir_source names where it came
 * from ("--tmpdir", "$TMPDIR" or "default") for messages. */
void ds_tmpdir_set(const char *dir);
const char *ds_tmpdir(void);
const char *ds_tmpdir_source(void);
/* A fresh private temporary directory "PREFIX-XXXXXX" under ds_tmpdir(), returned malloc'd;
 * registered for removal on interrupt until ds_rmtree removes it. An error names the
 * directory and where it came from ("--tmpdir /x: ..."). */
int ds_mkdtemp(const char *prefix, char **out, ds_err *err);
/* mkdtemp(tmpl) (tmpl malloc'd, ending in XXXXXX; owned by *out or freed on failure),
 * registered for removal on interrupt (util/cleanup.h) like ds_mkdtemp's. */
int ds_mkdtemp_path(char *tmpl, char **out, ds_err *err);
/* Best effort, no error: ask ext4 to spread the subdirectories of dir over its block groups
 * (FS_TOPDIR_FL, chattr +T, the Orlov allocator's "top of a hierarchy"). Without a journal,
 * ext4 skips every inode freed in the last minute when it allocates one, one buffer lookup
 * each; the trees of a build made just after another one's were removed would otherwise
 * land in the group that holds those thousands of freed inodes. Other file systems ignore it. */
void ds_dir_spread_children(const char *dir);
/* Path of a sibling temp name for atomic replacement of `path`: "DIR/.NAME.tmp-PID-N".
 * Registered for removal on interrupt: call ds_cleanup_forget(tmp) after the rename. */
char *ds_tmp_sibling(const char *path);
/* 1 when path is a directory holding nothing but . and .., 0 otherwise (or unreadable). */
int ds_dir_empty(const char *path);
/* 1 when path exists (lstat), 0 otherwise. */
int ds_exists(const char *path);
/* SIZE bytes of the regular file in to out (a new empty regular file), at the same offsets: a
 * reflink where the filesystem shares blocks (btrfs, xfs), else the data ranges (SEEK_DATA/
 * SEEK_HOLE) copied in the kernel or by read/write, holes left as holes; out ends SIZE long.
 * EIO when in is shorter. The bytes copied count as progress. */
int ds_copy_fd_data(int in, int out, off_t size);
/* "dir/name", or name when dir is "" (paths relative to a tree's root). malloc'd. */
char *ds_rel_join(const char *dir, const char *name);
/* Copy a regular file (data only) with mode. */
int ds_copy_file(const char *src, const char *dst, mode_t mode, ds_err *err);

#endif
