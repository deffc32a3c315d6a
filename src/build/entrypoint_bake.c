/* Bake what an entry point script wrote before its hand-over into the result's tree: each path
 * from the container's overlay upper dir (its final state after the trace run) with its content,
 * mode and owner; an overlay whiteout (the script removed it) removes it. Both trees are opened
 * through fs/root_path.h with no symlink allowed on the way, so nothing is read or written
 * outside them whatever the container left there. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "build/entrypoint.h"
#include "fs/root_path.h"
#include "util/fsutil.h"

#define MAX_BAKED_BYTES (256u * 1024u * 1024u)

/* The parent directory of an in-image path opened (O_PATH) in root, creating the missing ones in
 * tree mode (mkdir -m 0755, owner root), or -1 with errno. *base points into path. */
static int open_parent(const ds_rp *r, const char *path, bool create, const char **base) {
    const char *sl = strrchr(path, '/');
    *base = sl + 1;
    char *dir = ds_xstrndup(path, (size_t)(sl - path));
    int fd = ds_rp_open_at(r, *dir ? dir : "/", O_PATH | O_DIRECTORY, DS_RP_NO_SYMLINKS);
    if (fd < 0 && errno == ENOENT && create) {
        const char *b;
        int pfd = open_parent(r, dir, true, &b);
        if (pfd >= 0) {
            if (mkdirat(pfd, b, 0755) < 0 && errno != EEXIST) { close(pfd); free(dir); return -1; }
            fd = openat(pfd, b, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(pfd);
        }
    }
    free(dir);
    return fd;
}

static int set_meta(int dfd, const char *name, const struct stat *st, bool link) {
    if (fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM) return -1;
    if (!link && fchmodat(dfd, name, st->st_mode & 07777, 0) < 0) return -1;
    return 0;
}

static int copy_regular(int ufd, const char *ubase, int cfd, const char *cbase, const struct stat *st, bool empty,
                        const char *path, ds_err *err) {
    char *data = NULL;
    size_t len = 0;
    if (!empty) {
        int in = openat(ufd, ubase, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0) return ds_fail_errno(err, "%s in the container's upper dir", path);
        int rr = ds_read_fd(in, path, &data, &len, MAX_BAKED_BYTES, err);
        close(in);
        if (rr < 0) return -1;
    }
    char tmp[300];
    snprintf(tmp, sizeof tmp, ".distill-bake-%d", (int)getpid());
    unlinkat(cfd, tmp, 0);
    int out = openat(cfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) { free(data); return ds_fail_errno(err, "bake %s", path); }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(out, data + off, len - off);
        if (w < 0) { if (errno == EINTR) continue; break; }
        off += (size_t)w;
    }
    free(data);
    if (off < len || close(out) < 0) { unlinkat(cfd, tmp, 0); return ds_fail_errno(err, "bake %s", path); }
    if (set_meta(cfd, tmp, st, false) < 0 || renameat(cfd, tmp, cfd, cbase) < 0) {
        int e = errno;
        unlinkat(cfd, tmp, 0);
        errno = e;
        return ds_fail_errno(err, "bake %s", path);
    }
    return 0;
}

static int bake_one(const ds_rp *up, const ds_rp *tr, const char *path, bool empty, ds_err *err) {
    const char *ub, *cb;
    int ufd = open_parent(up, path, false, &ub);
    if (ufd < 0) return 0; /* its directory is not in the upper dir: the path was not changed */
    struct stat st;
    if (fstatat(ufd, ub, &st, AT_SYMLINK_NOFOLLOW) < 0) { close(ufd); return 0; }
    bool whiteout = S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
    int cfd = open_parent(tr, path, !whiteout, &cb);
    if (cfd < 0) {
        close(ufd);
        if (whiteout && errno == ENOENT) return 0;
        return ds_fail_errno(err, "bake %s: its directory in the result", path);
    }
    int rc = 0;
    struct stat cst;
    bool exists = fstatat(cfd, cb, &cst, AT_SYMLINK_NOFOLLOW) == 0;
    if (whiteout) {
        if (exists && ds_rmtree_at(cfd, cb) < 0) rc = ds_fail_errno(err, "bake: remove %s", path);
    } else if (S_ISDIR(st.st_mode)) {
        if (exists && !S_ISDIR(cst.st_mode) && ds_rmtree_at(cfd, cb) < 0) rc = ds_fail_errno(err, "bake %s", path);
        else if ((!exists || !S_ISDIR(cst.st_mode)) && mkdirat(cfd, cb, 0755) < 0) rc = ds_fail_errno(err, "bake %s", path);
        else if (set_meta(cfd, cb, &st, false) < 0) rc = ds_fail_errno(err, "bake %s", path);
    } else if (S_ISREG(st.st_mode)) {
        if (exists && S_ISDIR(cst.st_mode) && ds_rmtree_at(cfd, cb) < 0) rc = ds_fail_errno(err, "bake %s", path);
        else rc = copy_regular(ufd, ub, cfd, cb, &st, empty, path, err);
    } else if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(ufd, ub, target, sizeof target - 1);
        if (n < 0) rc = ds_fail_errno(err, "bake %s", path);
        else {
            target[n] = 0;
            if (exists) ds_rmtree_at(cfd, cb);
            if (symlinkat(target, cfd, cb) < 0 || set_meta(cfd, cb, &st, true) < 0) rc = ds_fail_errno(err, "bake %s", path);
        }
    } else if (S_ISFIFO(st.st_mode)) {
        if (exists) ds_rmtree_at(cfd, cb);
        if (mkfifoat(cfd, cb, st.st_mode & 07777) < 0 || set_meta(cfd, cb, &st, false) < 0)
            rc = ds_fail_errno(err, "bake %s", path);
    } /* sockets and devices are the run's, not the image's */
    close(ufd);
    close(cfd);
    return rc;
}

int ds_handover_bake(const ds_handover *h, const char *upper, const char *tree, ds_err *err) {
    ds_rp up = {.fd = -1}, tr = {.fd = -1};
    if (ds_rp_open(&up, upper, err) < 0) return -1;
    if (ds_rp_open(&tr, tree, err) < 0) { ds_rp_close(&up); return -1; }
    int rc = 0;
    for (size_t i = 0; i < h->nbaked && rc == 0; i++)
        if (h->baked[i][0] == '/' && h->baked[i][1]) rc = bake_one(&up, &tr, h->baked[i], h->baked_empty[i], err);
    ds_rp_close(&up);
    ds_rp_close(&tr);
    return rc;
}
