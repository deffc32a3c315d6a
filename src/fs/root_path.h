/* Paths inside an image root: the one place that resolves and opens them.
 *
 * Contract: every lookup and every open stays inside the root, whatever the tree holds.
 * Symlinks are followed as if the root were "/": an absolute target restarts at the root,
 * ".." never climbs above it. This holds for hostile trees and for live roots (a running
 * container's /proc/PID/root, whose files may change under us, in another mount namespace):
 *  - lookups walk one directory fd at a time (each opened O_NOFOLLOW from the previous one),
 *    never through a host path string; ".." at the root stays there, and below it is the
 *    real parent of a real directory, so it matches the canonical path kept beside it;
 *  - opens use openat2(RESOLVE_IN_ROOT), and the same walk where openat2 is missing (old
 *    kernels, valgrind, seccomp filters); DISTILL_NO_OPENAT2=1 forces the walk.
 *    openat2 also detects a directory renamed out from under it mid-lookup; the walk
 *    cannot, but from inside a container nothing can be moved above its own root.
 * Rules shared by both: at most 40 symlinks per path (then ELOOP); a component longer than
 * NAME_MAX or a path of PATH_MAX bytes or more: ENAMETOOLONG; every component before the
 * last must be a directory (ENOTDIR); trailing slashes are ignored; an empty symlink target
 * is ENOENT. A root given as a symlink is followed once, at open. Lookups also refuse a
 * canonical result of PATH_MAX bytes or more (ENAMETOOLONG), as the old callers did;
 * opens do not (any depth: a layer can legally hold 2000 directory levels).
 *
 * Where the callers differ on purpose, it is a flag or a thin wrapper, not a copy:
 *  - DS_RP_NOFOLLOW keeps a final symlink itself (lstat rather than stat): harden, scan.
 *  - DS_RP_NO_SYMLINKS (opens) fails on any symlink: harden acts on entries it walked,
 *    never through a link.
 *  - DS_RP_NO_XDEV refuses to cross a mount point: unpack writes only into its own tree.
 *  - ds_root_* below: the cached lookup that records every symlink met (ldd, minify,
 *    build report); the scan wrappers (scan.h) take a root path string per call; harden's
 *    (harden_int.h) return root-relative paths. Size caps are each caller's, via ds_read_fd.
 */
#ifndef DS_FS_ROOT_PATH_H
#define DS_FS_ROOT_PATH_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "util/err.h"
#include "util/strmap.h"

/* An open root: an O_PATH directory fd and the directory as given. A caller that holds
 * its own directory fd may pass (ds_rp){.fd = fd} to the functions below. */
typedef struct ds_rp {
    int fd;
    char *dir;
} ds_rp;

#define DS_RP_NOFOLLOW 1    /* do not follow a symlink in the last component */
#define DS_RP_NO_SYMLINKS 2 /* ds_rp_open_at: any symlink on the way is ELOOP, ".." above the root EXDEV */
#define DS_RP_NO_XDEV 4     /* crossing a mount point is EXDEV */

/* Called with the canonical in-image path ("/a/b") of each symlink as it is followed. */
typedef void (*ds_rp_link_fn)(void *ud, const char *link);

int ds_rp_open(ds_rp *r, const char *dir, ds_err *err);
void ds_rp_close(ds_rp *r);

/* Canonical in-image path of `path` (absolute, or relative to "/"): "/" or "/a/b", no
 * symlink, "." or ".." in it; malloc'd. NULL with errno when it does not resolve.
 * st (may be NULL) gets the final entry's stat (lstat with DS_RP_NOFOLLOW). */
char *ds_rp_resolve(const ds_rp *r, const char *path, int flags, struct stat *st, ds_rp_link_fn on_link, void *ud);

/* open(2) of `path` inside the root; oflags as for open (O_CLOEXEC is added; O_NOFOLLOW
 * means DS_RP_NOFOLLOW). An fd, or -1 with errno. */
int ds_rp_open_at(const ds_rp *r, const char *path, int oflags, int flags);

/* "a//b/./c/" -> "/a/b/./c": leading '/', single slashes, no trailing '/' (text only). */
char *ds_path_clean(const char *path);

/* --- The cached lookup (root_lookup.c): every path resolved once per root, with the
 * symlinks followed on the way, which the minifier keeps beside their targets. */
typedef struct ds_rpath_res {
    bool exists;
    mode_t mode;      /* of the final target */
    char *real;       /* canonical in-image path, "/..." with no symlink in it */
    char **links;     /* canonical in-image paths of the symlinks followed, even when it does not exist */
    size_t n_links;
} ds_rpath_res;

typedef struct ds_root {
    ds_rp rp;
    ds_strmap cache;  /* cleaned in-image path -> ds_rpath_res* */
    /* Optional (set after ds_root_open): the lstat of a canonical in-image path from a walk of
     * the same root taken before; 0 with st when the walk saw it, -1 when it cannot say (then
     * the lookup asks the file system). Saves a syscall per directory on an overlay. */
    int (*seen)(void *ud, const char *real, struct stat *st);
    void *seen_ud;
} ds_root;

int ds_root_open(ds_root *r, const char *dir, ds_err *err);
void ds_root_close(ds_root *r);
/* Resolve an in-image path (relative paths are taken from "/"), following the last
 * symlink too. The result is cached and owned by r; never NULL. */
const ds_rpath_res *ds_root_lookup(ds_root *r, const char *path);
/* The canonical in-image path of the entry `path` names, its last component not followed
 * (a symlink stays itself), with its lstat in st (may be NULL): ds_rp_resolve(DS_RP_NOFOLLOW) through the
 * cached lookup of its directory. malloc'd; NULL with errno when it does not resolve. */
char *ds_root_entry(ds_root *r, const char *path, struct stat *st);
/* The canonical path `path`'s entry has when it exists: its directory resolved through the
 * cached lookup, its last component as named (not looked at). malloc'd; NULL with *absent
 * when the directory does not resolve (nor does the entry), NULL alone when only the full
 * walk can say (a last component "." or "..", a name too long). */
char *ds_root_entry_name(ds_root *r, const char *path, bool *absent);
/* Open the canonical in-image path `real` read-only (not following a final symlink). */
int ds_root_open_file(ds_root *r, const char *real, ds_err *err);
/* Read a whole regular file of at most max bytes; 1 when read, 0 when it does not exist
 * or is not a regular file, -1 on error. *data is NUL-terminated and malloc'd. */
int ds_root_read_file(ds_root *r, const char *path, size_t max, char **data, size_t *len, ds_err *err);

#endif
