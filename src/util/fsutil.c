#include "util/fsutil.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ds_mkdirs(const char *path, mode_t mode, ds_err *err) {
    char *p = ds_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            int r = ds_fail_errno(err, "mkdir %s", p);
            free(p);
            return r;
        }
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST) {
        int r = ds_fail_errno(err, "mkdir %s", p);
        free(p);
        return r;
    }
    free(p);
    return 0;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)ftw;
    if (flag == FTW_DP) return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
    /* Directories we cannot enter (mode 000) get opened up, then walked again by the caller. */
    if (flag == FTW_DNR) { chmod(path, 0700); return 1; }
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int ds_rmtree(const char *path, ds_err *err) {
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : ds_fail_errno(err, "%s", path);
    if (!S_ISDIR(st.st_mode)) return unlink(path) < 0 ? ds_fail_errno(err, "rm %s", path) : 0;
    for (int tries = 0; tries < 8; tries++) {
        int r = nftw(path, rm_cb, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        if (r == 0 && lstat(path, &st) < 0) return 0;
        if (r < 0) return ds_fail_errno(err, "rm -r %s", path);
    }
    return ds_fail(err, "rm -r %s: could not remove every entry", path);
}

char *ds_tmp_sibling(const char *path) {
    static atomic_uint counter;
    const char *slash = strrchr(path, '/');
    unsigned n = atomic_fetch_add(&counter, 1);
    if (!slash) return ds_xasprintf(".%s.tmp-%d-%u", path, (int)getpid(), n);
    return ds_xasprintf("%.*s/.%s.tmp-%d-%u", (int)(slash - path), path, slash + 1, (int)getpid(), n);
}

int ds_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, ds_err *err) {
    char *tmp = ds_tmp_sibling(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) { int r = ds_fail_errno(err, "create %s", tmp); free(tmp); return r; }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int r = ds_fail_errno(err, "write %s", tmp);
            close(fd); unlink(tmp); free(tmp);
            return r;
        }
        p += w; left -= (size_t)w;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        int r = ds_fail_errno(err, "write %s", tmp);
        unlink(tmp); free(tmp);
        return r;
    }
    if (rename(tmp, path) < 0) {
        int r = ds_fail_errno(err, "rename %s to %s", tmp, path);
        unlink(tmp); free(tmp);
        return r;
    }
    free(tmp);
    return 0;
}

int ds_read_file(const char *path, char **data, size_t *len, size_t max_len, ds_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ds_fail_errno(err, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) { close(fd); return ds_fail_errno(err, "%s", path); }
    if (!S_ISREG(st.st_mode)) { close(fd); return ds_fail(err, "%s: not a regular file", path); }
    if (max_len && (size_t)st.st_size > max_len) {
        close(fd);
        return ds_fail(err, "%s: too large (%lld bytes, limit %zu)", path, (long long)st.st_size, max_len);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = ds_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (max_len && n >= max_len) { free(buf); close(fd); return ds_fail(err, "%s: too large", path); }
            cap *= 2; buf = ds_xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) { if (errno == EINTR) continue; free(buf); close(fd); return ds_fail_errno(err, "%s: read", path); }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *data = buf;
    if (len) *len = n;
    return 0;
}

int ds_mkdtemp(const char *prefix, char **out, ds_err *err) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/var/tmp";
    char *tmpl = ds_xasprintf("%s/%s-XXXXXX", base, prefix ? prefix : "distill");
    if (!mkdtemp(tmpl)) { int r = ds_fail_errno(err, "mkdtemp %s", tmpl); free(tmpl); return r; }
    *out = tmpl;
    return 0;
}

int ds_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

int ds_copy_file(const char *src, const char *dst, mode_t mode, ds_err *err) {
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return ds_fail_errno(err, "%s", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) { close(in); return ds_fail_errno(err, "%s", dst); }
    char buf[1 << 16];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0) { if (errno == EINTR) continue; close(in); close(out); return ds_fail_errno(err, "%s: read", src); }
        if (r == 0) break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0) { if (errno == EINTR) continue; close(in); close(out); return ds_fail_errno(err, "%s: write", dst); }
            off += w;
        }
    }
    close(in);
    if (close(out) < 0) return ds_fail_errno(err, "%s: close", dst);
    return 0;
}
