/* Safe layer application: see unpack.h for the rules. Each entry is split into a
 * parent (resolved with openat2(RESOLVE_IN_ROOT), created when missing) and a
 * last component that is only ever used with *at() calls that do not follow it. */
#include "fs/unpack.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/layer_reader.h"
#include "fs/root_path.h"
#include "util/digest.h"
#include "util/strmap.h"
#include "util/fsutil.h"
#include "util/progress.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

void ds_unpack_opts_default(ds_unpack_opts *o) {
    memset(o, 0, sizeof *o);
    bool root = geteuid() == 0;
    o->keep_owners = root;
    o->keep_xattrs = true;
    o->allow_devices = root;
}

/* Open rel below rootfd as if rootfd were "/": symlinks and ".." cannot leave it and no
 * mount point is crossed (openat2, or the same walk where it is missing: fs/root_path.h). */
static int open_in_root(int rootfd, const char *rel, int flags) {
    return ds_rp_open_at(&(ds_rp){.fd = rootfd}, rel, flags, DS_RP_NO_XDEV);
}

typedef struct dir_meta {
    char *rel;
    mode_t mode;
    struct timespec mtime;
    bool has_mtime;
} dir_meta;

typedef struct applier {
    int rootfd;
    const char *blob;
    const ds_unpack_opts *o;
    bool is_root;
    ds_strmap written;          /* paths this layer wrote: whiteouts only hide lower layers */
    dir_meta *dirs;             /* directory modes and mtimes, applied after the layer */
    size_t ndirs, capdirs;
    dir_meta *restore;          /* not root: lower directories opened up for writing, and their modes */
    size_t nrestore, caprestore;
    char *cache_rel;            /* last parent resolved, and its O_PATH fd */
    int cache_fd;
} applier;

static void cache_drop(applier *ap) {
    if (ap->cache_fd >= 0) close(ap->cache_fd);
    ap->cache_fd = -1;
    free(ap->cache_rel);
    ap->cache_rel = NULL;
}

static int entry_fail(applier *ap, ds_err *err, const char *entry, const char *what) {
    /* Hostile names are cut and their control bytes escaped: the error stays one line. */
    char *t = ds_entry_text(entry);
    int r = ds_fail(err, "%s: entry '%s': %s", ap->blob, t, what);
    free(t);
    return r;
}
static int entry_fail_errno(applier *ap, ds_err *err, const char *entry, const char *what) {
    int e = errno;
    char *t = ds_entry_text(entry);
    int r = ds_fail(err, "%s: entry '%s': %s: %s", ap->blob, t, what, strerror(e));
    free(t);
    err->code = e;
    return r;
}

/* Remove whatever is at pfd/base (nothing there is fine). */
static int remove_at(applier *ap, int pfd, const char *base, const char *entry, ds_err *err) {
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return 0;
        return entry_fail_errno(ap, err, entry, "stat");
    }
    if (S_ISDIR(st.st_mode)) {
        cache_drop(ap); /* the cached parent may be inside what goes away */
        /* Constant descriptors: a 2000-level directory from a lower layer is legal. */
        if (ds_rmtree_at(pfd, base) < 0) return entry_fail_errno(ap, err, entry, "remove directory");
        return 0;
    }
    if (S_ISLNK(st.st_mode)) cache_drop(ap);
    if (unlinkat(pfd, base, 0) < 0 && errno != ENOENT) return entry_fail_errno(ap, err, entry, "remove");
    return 0;
}

/* The parent directory of an entry, resolved in the root; missing components are
 * created (0755) when create is set. Returns a borrowed O_PATH fd, or -1 (with
 * err set) — or -2 when !create and it does not exist. */
static int get_parent(applier *ap, const char *parent, bool create, const char *entry, ds_err *err) {
    if (ap->cache_rel && !strcmp(ap->cache_rel, parent)) return ap->cache_fd;
    cache_drop(ap);
    int fd = open_in_root(ap->rootfd, parent, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
        if (!create) return -2;
        /* Walk the components: each missing one is created in the resolved previous one. */
        char *p = ds_xstrdup(parent);
        int prev = dup(ap->rootfd);
        if (prev < 0) { free(p); return entry_fail_errno(ap, err, entry, "dup"); }
        char *comp = p;
        for (;;) {
            char *slash = strchr(comp, '/');
            if (slash) *slash = 0;
            int next = openat(prev, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0 && errno == ENOTDIR) {
                /* Maybe a symlink: resolve the whole prefix in the root. */
                next = open_in_root(ap->rootfd, p, O_PATH | O_DIRECTORY);
            }
            if (next < 0 && errno == ENOENT) {
                if (mkdirat(prev, comp, 0755) < 0 && errno != EEXIST) {
                    int r = entry_fail_errno(ap, err, entry, "create parent directory");
                    close(prev); free(p);
                    return r;
                }
                next = openat(prev, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            }
            if (next < 0) {
                int r = errno == ELOOP || errno == ENOTDIR || errno == ENOENT
                            ? entry_fail(ap, err, entry, "a parent is not a directory (or a symlink to nothing)")
                            : entry_fail_errno(ap, err, entry, "open parent directory");
                close(prev); free(p);
                return r;
            }
            close(prev);
            prev = next;
            if (!slash) break;
            *slash = '/';
            comp = slash + 1;
        }
        free(p);
        fd = prev;
    } else if (fd < 0) {
        if (errno == ENOTDIR && !create) return -2;
        return entry_fail_errno(ap, err, entry, "open parent directory");
    }
    ap->cache_rel = ds_xstrdup(parent);
    ap->cache_fd = fd;
    return fd;
}

static int apply_xattrs(applier *ap, int fd, struct archive_entry *e, const char *entry, ds_err *err) {
    if (!ap->o->keep_xattrs || archive_entry_xattr_count(e) == 0) return 0;
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        /* Overlay's own attributes would change how the tree reads when mounted. */
        if (!strncmp(name, "trusted.overlay.", 16)) continue;
        if (fsetxattr(fd, name, value, size, 0) < 0) {
            if (errno == ENOTSUP || errno == EPERM || errno == EACCES || errno == EINVAL) continue;
            return entry_fail_errno(ap, err, entry, "set xattr");
        }
    }
    return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2]) {
    if (archive_entry_mtime_is_set(e)) {
        ts[1].tv_sec = archive_entry_mtime(e);
        ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    } else {
        ts[1].tv_sec = 0; ts[1].tv_nsec = UTIME_OMIT;
    }
    if (archive_entry_atime_is_set(e)) {
        ts[0].tv_sec = archive_entry_atime(e);
        ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        ts[0] = ts[1];
    }
}

/* Owner, xattrs, mode, times on an open fd, in that order (chown clears setuid and caps). */
static int meta_fd(applier *ap, int fd, struct archive_entry *e, bool set_mode_times, const char *entry, ds_err *err) {
    if (ap->o->keep_owners && fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
        return entry_fail_errno(ap, err, entry, "chown");
    if (apply_xattrs(ap, fd, e, entry, err) < 0) return -1;
    if (!set_mode_times) return 0;
    if (fchmod(fd, archive_entry_mode(e) & 07777) < 0) return entry_fail_errno(ap, err, entry, "chmod");
    struct timespec ts[2];
    entry_times(e, ts);
    if (futimens(fd, ts) < 0) return entry_fail_errno(ap, err, entry, "set times");
    return 0;
}

/* The same for things we cannot open (symlinks, fifos, devices). */
static int meta_at(applier *ap, int pfd, const char *base, struct archive_entry *e, bool is_link, const char *entry, ds_err *err) {
    if (ap->o->keep_owners &&
        fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
        return entry_fail_errno(ap, err, entry, "chown");
    if (!is_link && fchmodat(pfd, base, archive_entry_mode(e) & 07777, 0) < 0)
        return entry_fail_errno(ap, err, entry, "chmod");
    struct timespec ts[2];
    entry_times(e, ts);
    if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0) return entry_fail_errno(ap, err, entry, "set times");
    return 0;
}

static bool all_zero(const char *p, size_t len) {
    return len && p[0] == 0 && !memcmp(p, p + 1, len - 1);
}

/* Blocks of zeros are not written but left as holes: a layer of zeros compresses
 * ~30000:1 with zstd, so a 3 MB blob could otherwise fill 100 GB of disk here. The
 * file reads the same; ftruncate sets its size. */
/* h (when not NULL) takes the content up to `to`: the bytes at `hashed` were hashed already,
 * those between are holes (zeros). Blocks come in increasing offsets. */
static void hash_zeros(ds_sha256 *h, la_int64_t *hashed, la_int64_t to) {
    static const char zeros[1 << 16];
    while (*hashed < to) {
        size_t n = (size_t)(to - *hashed > (la_int64_t)sizeof zeros ? (la_int64_t)sizeof zeros : to - *hashed);
        ds_sha256_update(h, zeros, n);
        *hashed += (la_int64_t)n;
    }
}

static int write_data(applier *ap, struct archive *a, int fd, struct archive_entry *e, ds_sha256 *h, bool *h_ok,
                      const char *entry, ds_err *err) {
    const void *buf;
    size_t len;
    la_int64_t off, end = 0, written = 0, hashed = 0;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &len, &off);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return entry_fail(ap, err, entry, archive_error_string(a) ? archive_error_string(a) : "read error");
        const char *p = buf;
        if (off + (la_int64_t)len > end) end = off + (la_int64_t)len;
        if (h && *h_ok && off >= hashed) {
            hash_zeros(h, &hashed, off);
            ds_sha256_update(h, p, len);
            hashed += (la_int64_t)len;
        } else if (h) {
            *h_ok = false; /* blocks out of order (libarchive gives none): no hash, the caller reads the file */
        }
        if (all_zero(p, len)) continue;
        while (len) {
            ssize_t w = pwrite(fd, p, len, off);
            if (w < 0) { if (errno == EINTR) continue; return entry_fail_errno(ap, err, entry, "write"); }
            p += w; len -= (size_t)w; off += w;
        }
        if (off > written) written = off;
    }
    /* Holes at the end (sparse entries, skipped zeros) still count in the size. */
    if (archive_entry_size_is_set(e) && end < archive_entry_size(e)) end = archive_entry_size(e);
    if (written < end && ftruncate(fd, end) < 0) return entry_fail_errno(ap, err, entry, "truncate");
    if (h && *h_ok) hash_zeros(h, &hashed, end);
    return 0;
}

static void defer_dir(applier *ap, const char *rel, struct archive_entry *e) {
    if (ap->ndirs == ap->capdirs) {
        ap->capdirs = ap->capdirs ? ap->capdirs * 2 : 64;
        ap->dirs = ds_xrealloc(ap->dirs, ap->capdirs * sizeof *ap->dirs);
    }
    dir_meta *d = &ap->dirs[ap->ndirs++];
    d->rel = ds_xstrdup(rel);
    d->mode = archive_entry_mode(e) & 07777;
    d->has_mtime = archive_entry_mtime_is_set(e);
    d->mtime.tv_sec = archive_entry_mtime(e);
    d->mtime.tv_nsec = archive_entry_mtime_nsec(e);
}

/* Not root, a read-only directory of a lower layer cannot take new entries: open it
 * up (u+rwx) for the rest of this layer, and put its mode back at the end. */
static int make_writable(applier *ap, int pfd, const char *parent_rel) {
    if (ap->is_root) return -1;
    /* pfd is an O_PATH descriptor, and a mode-000 directory cannot even be opened
     * through it ("." needs search permission): chmod it through /proc instead. */
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pfd);
    struct stat st;
    int r = -1;
    if (fstat(pfd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0700) != 0700 &&
        chmod(proc, (st.st_mode | 0700) & 07777) == 0) {
        if (ap->nrestore == ap->caprestore) {
            ap->caprestore = ap->caprestore ? ap->caprestore * 2 : 8;
            ap->restore = ds_xrealloc(ap->restore, ap->caprestore * sizeof *ap->restore);
        }
        dir_meta *d = &ap->restore[ap->nrestore++];
        d->rel = ds_xstrdup(parent_rel);
        d->mode = st.st_mode & 07777;
        d->has_mtime = false;
        r = 0;
    }
    return r;
}

static int apply_dir_meta(applier *ap, dir_meta *list, size_t n, ds_err *err);

static int finish_dirs(applier *ap, ds_err *err) {
    /* Modes put back first, so that this layer's own directory entries win. */
    if (apply_dir_meta(ap, ap->restore, ap->nrestore, err) < 0) return -1;
    return apply_dir_meta(ap, ap->dirs, ap->ndirs, err);
}

static int apply_dir_meta(applier *ap, dir_meta *list, size_t n, ds_err *err) {
    /* Deepest first is not needed: setting a mode or mtime does not touch the parent. */
    for (size_t i = 0; i < n; i++) {
        dir_meta *d = &list[i];
        int fd = open_in_root(ap->rootfd, d->rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0) {
            /* Removed or replaced later in the same layer: nothing to set. */
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;
            return entry_fail_errno(ap, err, d->rel, "open directory");
        }
        if (fchmod(fd, d->mode) < 0) { int r = entry_fail_errno(ap, err, d->rel, "chmod"); close(fd); return r; }
        if (d->has_mtime) {
            struct timespec ts[2] = {d->mtime, d->mtime};
            if (futimens(fd, ts) < 0) { int r = entry_fail_errno(ap, err, d->rel, "set times"); close(fd); return r; }
        }
        close(fd);
    }
    return 0;
}

/* Opaque directory: remove every child that this layer did not write. */
static int clear_lower(applier *ap, int dfd, const char *dir_rel, const char *entry, ds_err *err) {
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return entry_fail_errno(ap, err, entry, "open opaque directory");
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); return entry_fail_errno(ap, err, entry, "open opaque directory"); }
    /* Collect names first: removing while reading a directory may skip entries. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (n == cap) { cap = cap ? cap * 2 : 16; names = ds_xrealloc(names, cap * sizeof *names); }
        names[n++] = ds_xstrdup(de->d_name);
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *rel = ds_rel_join(dir_rel, names[i]);
        if (!ds_strmap_has(&ap->written, rel)) {
            rc = remove_at(ap, fd, names[i], entry, err);
        } else {
            struct stat st;
            if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
                int cfd = openat(fd, names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd >= 0) { rc = clear_lower(ap, cfd, rel, entry, err); close(cfd); }
            }
        }
        free(rel);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

static int do_whiteout(applier *ap, const char *parent, const char *base, const char *entry, ds_err *err) {
    if (!strcmp(base, WH_OPAQUE)) {
        int pfd = get_parent(ap, parent, true, entry, err);
        if (pfd < 0) return -1;
        ds_strmap_put(&ap->written, parent, NULL);
        int dfd = dup(pfd);
        if (dfd < 0) return entry_fail_errno(ap, err, entry, "dup");
        int r = clear_lower(ap, dfd, parent, entry, err);
        close(dfd);
        cache_drop(ap);
        return r;
    }
    const char *victim = base + strlen(WH_PREFIX);
    if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
        return entry_fail(ap, err, entry, "whiteout names no file");
    char *rel = ds_rel_join(parent, victim);
    /* Whiteouts only hide lower layers, never what this layer wrote. */
    bool same_layer = ds_strmap_has(&ap->written, rel);
    free(rel);
    if (same_layer) return 0;
    int pfd = get_parent(ap, parent, false, entry, err);
    if (pfd == -2) return 0; /* nothing there to hide */
    if (pfd < 0) return -1;
    int own = dup(pfd); /* remove_at may drop the cached fd */
    if (own < 0) return entry_fail_errno(ap, err, entry, "dup");
    err->code = 0;
    int r = remove_at(ap, own, victim, entry, err);
    if (r < 0 && err->code == EACCES && make_writable(ap, own, parent) == 0) r = remove_at(ap, own, victim, entry, err);
    close(own);
    return r;
}

static int do_hardlink(applier *ap, int pfd, const char *base, const char *target_name, const char *entry, ds_err *err) {
    DS_AUTOFREE char *target = NULL;
    if (ds_clean_tar_path(target_name, &target) < 0) return entry_fail(ap, err, entry, "hard link target leaves the tree (..)");
    if (!*target) return entry_fail(ap, err, entry, "hard link to the root directory");
    if (strlen(target) >= PATH_MAX) return entry_fail(ap, err, entry, "hard link target name too long");
    char *slash = strrchr(target, '/');
    const char *tbase = slash ? slash + 1 : target;
    if (slash) *slash = 0;
    int tpfd = open_in_root(ap->rootfd, slash ? target : "", O_PATH | O_DIRECTORY);
    if (slash) *slash = '/';
    struct stat tst, cur;
    if (tpfd < 0 || fstatat(tpfd, tbase, &tst, AT_SYMLINK_NOFOLLOW) < 0) {
        if (tpfd >= 0) close(tpfd);
        char *t = ds_entry_text(target_name), *what = ds_xasprintf("hard link target '%s' does not exist", t);
        int r = entry_fail(ap, err, entry, what);
        free(what); free(t);
        return r;
    }
    if (S_ISDIR(tst.st_mode)) { close(tpfd); return entry_fail(ap, err, entry, "hard link to a directory"); }
    if (fstatat(pfd, base, &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_ino == tst.st_ino && cur.st_dev == tst.st_dev) {
        close(tpfd);
        return 0; /* already that file */
    }
    int r = remove_at(ap, pfd, base, entry, err);
    /* remove_at may drop the parent cache; pfd stays valid because the caller holds it. */
    if (r == 0 && linkat(tpfd, tbase, pfd, base, 0) < 0) r = entry_fail_errno(ap, err, entry, "hard link");
    close(tpfd);
    return r;
}

/* Create one non-whiteout entry at pfd/base. */
static int apply_node(applier *ap, struct archive *a, struct archive_entry *e, int pfd, const char *base,
                      const char *rel, const char *entry, ds_err *err) {
    int r = 0;
    const char *hl = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    if (hl) {
        r = do_hardlink(ap, pfd, base, hl, entry, err);
    } else if (type == AE_IFDIR) {
        struct stat st;
        bool exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        /* Directory over directory keeps the contents and takes the new attributes. */
        if (!exists) {
            r = remove_at(ap, pfd, base, entry, err);
            if (r == 0 && mkdirat(pfd, base, 0700) < 0) r = entry_fail_errno(ap, err, entry, "mkdir");
        }
        if (r == 0) {
            int fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) r = entry_fail_errno(ap, err, entry, "open directory");
            else { r = meta_fd(ap, fd, e, false, entry, err); close(fd); }
        }
        if (r == 0) defer_dir(ap, rel, e);
    } else if (type == AE_IFREG) {
        r = remove_at(ap, pfd, base, entry, err);
        if (r == 0) {
            /* O_EXCL|O_NOFOLLOW: never writes through a symlink that appeared meanwhile. */
            int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0) r = entry_fail_errno(ap, err, entry, "create");
            else {
                ds_sha256 h;
                bool h_ok = true;
                if (ap->o->on_file) ds_sha256_init(&h);
                r = write_data(ap, a, fd, e, ap->o->on_file ? &h : NULL, &h_ok, entry, err);
                if (r == 0) r = meta_fd(ap, fd, e, true, entry, err);
                if (ap->o->on_file) {
                    char d[DS_DIGEST_LEN + 1];
                    ds_sha256_final(&h, d); /* frees the context on failure too */
                    if (r == 0 && h_ok) ap->o->on_file(ap->o->on_file_ud, fd, d);
                }
                if (close(fd) < 0 && r == 0) r = entry_fail_errno(ap, err, entry, "close");
            }
        }
    } else if (type == AE_IFLNK) {
        const char *target = archive_entry_symlink(e);
        if (!target || !*target) r = entry_fail(ap, err, entry, "symlink without a target");
        if (r == 0) r = remove_at(ap, pfd, base, entry, err);
        if (r == 0 && symlinkat(target, pfd, base) < 0) r = entry_fail_errno(ap, err, entry, "symlink");
        if (r == 0) r = meta_at(ap, pfd, base, e, true, entry, err);
    } else if (type == AE_IFCHR || type == AE_IFBLK) {
        if (!(ap->o->allow_devices && ap->is_root)) {
            if (ap->o->skipped_devices) (*ap->o->skipped_devices)++;
        } else {
            r = remove_at(ap, pfd, base, entry, err);
            if (r == 0 && mknodat(pfd, base, type | (archive_entry_mode(e) & 07777), archive_entry_rdev(e)) < 0)
                r = entry_fail_errno(ap, err, entry, "mknod");
            if (r == 0) r = meta_at(ap, pfd, base, e, false, entry, err);
        }
    } else if (type == AE_IFIFO) {
        r = remove_at(ap, pfd, base, entry, err);
        if (r == 0 && mknodat(pfd, base, S_IFIFO | 0600, 0) < 0) r = entry_fail_errno(ap, err, entry, "mkfifo");
        if (r == 0) r = meta_at(ap, pfd, base, e, false, entry, err);
    }
    /* Sockets and unknown types are skipped: they carry no data. */
    return r;
}

static int apply_entry(applier *ap, struct archive *a, struct archive_entry *e, ds_err *err) {
    const char *entry = archive_entry_pathname(e);
    if (!entry) return ds_fail(err, "%s: an entry has no name", ap->blob);
    DS_AUTOFREE char *rel = NULL;
    if (ds_clean_tar_path(entry, &rel) < 0) return entry_fail(ap, err, entry, "name leaves the tree (..)");
    if (!*rel) return 0; /* the root itself: its attributes stay those of the target directory */
    /* Longer names cannot be used by path anyway; refusing them also bounds the
     * depth of what we create (and later walk to remove). */
    if (strlen(rel) >= PATH_MAX) return entry_fail(ap, err, entry, "name too long");
    char *slash = strrchr(rel, '/');
    const char *base = slash ? slash + 1 : rel;
    DS_AUTOFREE char *parent = slash ? ds_xstrndup(rel, (size_t)(slash - rel)) : ds_xstrdup("");

    if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX))) return do_whiteout(ap, parent, base, entry, err);

    int pfd0 = get_parent(ap, parent, true, entry, err);
    if (pfd0 < 0) return -1;
    /* Own a copy: removing things below may drop the cache. */
    int pfd = dup(pfd0);
    if (pfd < 0) return entry_fail_errno(ap, err, entry, "dup");
    ds_strmap_put(&ap->written, rel, NULL);

    err->code = 0;
    int r = apply_node(ap, a, e, pfd, base, rel, entry, err);
    /* Nothing was read from the entry's data yet when permission is what failed. */
    if (r < 0 && err->code == EACCES && make_writable(ap, pfd, parent) == 0) {
        err->code = 0;
        r = apply_node(ap, a, e, pfd, base, rel, entry, err);
    }
    close(pfd);
    return r;
}

int ds_layer_apply(const char *root_dir, const char *blob_path, const char *media_type,
                   const ds_unpack_opts *opts, ds_err *err) {
    struct archive *a = NULL;
    if (ds_layer_reader_open(blob_path, media_type, &a, err) < 0) return -1;
    return ds_layer_apply_archive(root_dir, blob_path, a, opts, err);
}

int ds_layer_apply_archive(const char *root_dir, const char *blob_path, struct archive *a,
                           const ds_unpack_opts *opts, ds_err *err) {
    ds_unpack_opts defaults;
    if (!opts) { ds_unpack_opts_default(&defaults); opts = &defaults; }
    applier ap = {.blob = blob_path, .o = opts, .is_root = geteuid() == 0, .cache_fd = -1};
    ap.rootfd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ap.rootfd < 0) { int e = errno; archive_read_free(a); errno = e; return ds_fail_errno(err, "%s", root_dir); }
    ds_strmap_init(&ap.written);
    int rc = 0;
    while (rc == 0) {
        struct archive_entry *e;
        int r = ds_layer_next(a, blob_path, &e, err);
        if (r <= 0) { rc = r; break; }
        rc = apply_entry(&ap, a, e, err);
        ds_progress_bytes((uint64_t)archive_filter_bytes(a, 0)); /* tar bytes read so far */
    }
    if (rc == 0) rc = finish_dirs(&ap, err);
    archive_read_free(a);
    cache_drop(&ap);
    for (size_t i = 0; i < ap.ndirs; i++) free(ap.dirs[i].rel);
    free(ap.dirs);
    for (size_t i = 0; i < ap.nrestore; i++) free(ap.restore[i].rel);
    free(ap.restore);
    ds_strmap_free(&ap.written, NULL);
    close(ap.rootfd);
    return rc;
}
