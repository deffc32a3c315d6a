/* Stored layers flattened into one plain tree: what an overlay of them shows, without overlayfs.
 * Layers are applied bottom first, each read as an overlay upper dir reads: a 0:0 character
 * device removes what is below, a directory with trusted.overlay.opaque=y hides what is below,
 * another directory merges with one below, anything else replaces what is below. A directory's
 * attributes are those of the topmost layer that has it (set after its children, so the times
 * stay). Files are hard links to the stored files (DS_FLAT_LINK) or copies (DS_FLAT_COPY,
 * ds_copy_fd_data:
 * FICLONE where the filesystem shares blocks, else the data ranges, holes kept as holes), so
 * a copy can be edited without touching the store. Hard links inside a layer stay hard links.
 *
 * Both trees are opened by paths relative to their roots (one directory fd at a time, so a
 * 2000-level tree needs no more under ulimit -n 1024); the destination's directories are
 * opened with no symlink allowed on the way (ds_rp_open_at, DS_RP_NO_SYMLINKS): nothing is
 * ever written outside dst. trusted.overlay.* attributes are the store's, never copied. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/root_path.h"
#include "store/store_int.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/strmap.h"
#include "util/strvec.h"

typedef struct {
    int src, dst;        /* the layer tree's root, dst's root (O_PATH) */
    ds_flat_mode mode;
    bool devices, owners;
    ds_strmap links;     /* "dev:ino" of a multiply linked file of this layer -> its dst path */
    ds_strvec dirs;      /* this layer's directories, parents first: their attributes at the end */
    ds_err *err;
} flat;

static int open_src_dir(const flat *f, const char *rel) {
    return *rel ? openat(f->src, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                : openat(f->src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int open_dst_dir(const flat *f, const char *rel) {
    if (!*rel) return openat(f->dst, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return ds_rp_open_at(&(ds_rp){.fd = f->dst}, rel, O_RDONLY | O_DIRECTORY, DS_RP_NO_SYMLINKS | DS_RP_NO_XDEV);
}

static bool is_opaque(int fd) {
    char v[4];
    return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

static void copy_xattrs(int in, int out) {
    char names[8192], val[8192];
    ssize_t n = flistxattr(in, names, sizeof names);
    for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(names + off) + 1) {
        const char *k = names + off;
        if (!strncmp(k, "trusted.overlay.", 16)) continue;
        ssize_t vl = fgetxattr(in, k, val, sizeof val);
        if (vl >= 0) fsetxattr(out, k, val, (size_t)vl, 0);
    }
}

/* Owner, then mode (chown clears set-id bits), attributes, times. */
static int set_meta_fd(const flat *f, int in, int out, const struct stat *st) {
    if (f->owners && fchown(out, st->st_uid, st->st_gid) < 0) return -1;
    if (fchmod(out, st->st_mode & 07777) < 0) return -1;
    copy_xattrs(in, out);
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    return futimens(out, t);
}

static int set_meta_at(const flat *f, int dd, const char *name, const struct stat *st, bool is_link) {
    if (f->owners && fchownat(dd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0) return -1;
    if (!is_link && fchmodat(dd, name, st->st_mode & 07777, 0) < 0) return -1;
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    return utimensat(dd, name, t, AT_SYMLINK_NOFOLLOW);
}

static int copy_file(flat *f, int sd, int dd, const char *name, const struct stat *st) {
    int in = openat(sd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) return -1;
    int out = openat(dd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) { int e = errno; close(in); errno = e; return -1; }
    int r = ds_copy_fd_data(in, out, st->st_size);
    if (r == 0) r = set_meta_fd(f, in, out, st);
    int e = errno;
    close(in);
    if (close(out) < 0 && r == 0) { r = -1; e = errno; }
    errno = e;
    return r;
}

/* One non-directory entry of the layer at dd/name (nothing there now). */
static int put_entry(flat *f, int sd, int dd, const char *name, const char *rel, const struct stat *st) {
    if (f->mode == DS_FLAT_LINK && (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode) || S_ISFIFO(st->st_mode) ||
                                    (f->devices && (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))))) {
        if (linkat(sd, name, dd, name, 0) == 0) return 0;
        if (errno != EXDEV && errno != EMLINK && errno != EPERM) return -1; /* else a copy */
    }
    switch (st->st_mode & S_IFMT) {
    case S_IFREG: {
        char key[48];
        snprintf(key, sizeof key, "%ju:%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
        const char *first = st->st_nlink > 1 ? ds_strmap_get(&f->links, key) : NULL;
        if (first && linkat(f->dst, first, dd, name, 0) == 0) return 0;
        if (copy_file(f, sd, dd, name, st) < 0) return -1;
        if (st->st_nlink > 1 && !first) ds_strmap_put(&f->links, key, ds_xstrdup(rel));
        return 0;
    }
    case S_IFLNK: {
        size_t cap = (size_t)st->st_size + 2;
        char *t = ds_xmalloc(cap);
        ssize_t n = readlinkat(sd, name, t, cap);
        if (n < 0 || (size_t)n >= cap) { free(t); if (n >= 0) errno = EIO; return -1; }
        t[n] = 0;
        int r = symlinkat(t, dd, name);
        free(t);
        return r < 0 ? -1 : set_meta_at(f, dd, name, st, true);
    }
    case S_IFCHR:
    case S_IFBLK:
        if (!f->devices) return 0; /* as the unpacker without allow_devices: not made */
        /* fallthrough */
    case S_IFIFO:
        if (mknodat(dd, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0) return -1;
        return set_meta_at(f, dd, name, st, false);
    default:
        return 0; /* sockets: not in layers */
    }
}

/* One directory of the layer: its entries over what dst has there. */
static int merge_dir(flat *f, const char *rel) {
    int sfd = open_src_dir(f, rel);
    if (sfd < 0) return ds_fail_errno(f->err, "stored layer: '%s'", *rel ? rel : ".");
    DIR *d = fdopendir(sfd);
    if (!d) { close(sfd); return ds_fail_errno(f->err, "stored layer: '%s'", *rel ? rel : "."); }
    int dd = open_dst_dir(f, rel);
    if (dd < 0) { closedir(d); return ds_fail_errno(f->err, "entry '%s'", *rel ? rel : "."); }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        const char *name = de->d_name;
        char *p = ds_rel_join(rel, name);
        struct stat st, have;
        if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) { rc = ds_fail_errno(f->err, "stored layer: '%s'", p); free(p); break; }
        bool exists = fstatat(dd, name, &have, AT_SYMLINK_NOFOLLOW) == 0;
        bool whiteout = S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
        bool opaque = false;
        if (S_ISDIR(st.st_mode)) {
            int fd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            opaque = fd >= 0 && is_opaque(fd);
            if (fd >= 0) close(fd);
        }
        /* What is below goes unless a directory merges with a directory. */
        if (exists && (whiteout || opaque || !S_ISDIR(st.st_mode) || !S_ISDIR(have.st_mode))) {
            if (ds_rmtree_at(dd, name) < 0) { rc = ds_fail_errno(f->err, "entry '%s': remove", p); free(p); break; }
            exists = false;
        }
        if (whiteout) { free(p); continue; }
        if (S_ISDIR(st.st_mode)) {
            if (!exists && mkdirat(dd, name, 0700) < 0) { rc = ds_fail_errno(f->err, "entry '%s': mkdir", p); free(p); break; }
            ds_strvec_take(&f->dirs, p);
            continue;
        }
        if (put_entry(f, sfd, dd, name, p, &st) < 0) {
            rc = ds_fail_errno(f->err, "entry '%s': %s", p, S_ISREG(st.st_mode) ? "write" : "create");
        }
        free(p);
    }
    close(dd);
    closedir(d);
    return rc;
}

/* The directories' own attributes, children before parents. */
static int finish_dirs(flat *f) {
    for (size_t i = f->dirs.n; i-- > 0;) {
        const char *rel = f->dirs.v[i];
        int s = open_src_dir(f, rel), o = s >= 0 ? open_dst_dir(f, rel) : -1;
        struct stat st;
        int r = s >= 0 && o >= 0 && fstat(s, &st) == 0 ? set_meta_fd(f, s, o, &st) : -1;
        int e = errno;
        if (s >= 0) close(s);
        if (o >= 0) close(o);
        if (r < 0) { errno = e; return ds_fail_errno(f->err, "entry '%s': attributes", *rel ? rel : "."); }
    }
    return 0;
}

static int flatten_layer(flat *f, const char *tree) {
    f->src = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (f->src < 0) return ds_fail_errno(f->err, "%s", tree);
    ds_strmap_init(&f->links);
    f->dirs = (ds_strvec){0};
    ds_strvec_push(&f->dirs, ""); /* the root's attributes are the topmost layer's, as in overlay */
    int rc = 0;
    /* Parents first: dirs grows as directories are met, and is walked in that order. */
    for (size_t i = 0; rc == 0 && i < f->dirs.n; i++) {
        if (ds_interrupted) { rc = ds_fail(f->err, "interrupted"); break; }
        char *rel = ds_xstrdup(f->dirs.v[i]);
        rc = merge_dir(f, rel);
        free(rel);
    }
    if (rc == 0) rc = finish_dirs(f);
    ds_strvec_free(&f->dirs);
    ds_strmap_free(&f->links, free);
    close(f->src);
    f->src = -1;
    return rc;
}

int ds_store_flatten(const char *const *trees, size_t n, const char *dst, ds_flat_mode mode, bool devices, ds_err *err) {
    flat f = {.src = -1, .mode = mode, .devices = devices && geteuid() == 0, .owners = geteuid() == 0, .err = err};
    f.dst = open(dst, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (f.dst < 0) return ds_fail_errno(err, "%s", dst);
    int rc = 0;
    for (size_t i = n; rc == 0 && i-- > 0;) rc = flatten_layer(&f, trees[i]); /* trees[0] is the topmost */
    close(f.dst);
    return rc;
}
