#include "util/fsutil.h"
#include "util/cleanup.h"
#include "util/progress.h"
#include <errno.h>
#include <linux/fs.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* rm -rf by file descriptors, never by path: a tree may be deeper than PATH_MAX
 * (a layer can hold a 4095-char name under a temp dir), which nftw cannot remove.
 * Constant fds: descend into the first subdirectory, come back up with "..".
 * Never follows symlinks, never crosses into another filesystem. */
static int open_dir_at(int dfd, const char *name) {
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st; /* not root: a read-only directory must be opened up to be emptied */
        if (fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700) fchmod(fd, (st.st_mode | 0700) & 07777);
    }
    return fd;
}

/* Empties cur of everything but subdirectories; *sub gets the first one (malloc'd), if any. */
static int empty_dir(int cur, dev_t dev, char **sub) {
    *sub = NULL;
    int fd = dup(cur);
    if (fd < 0) return -1;
    DIR *d = fdopendir(fd);
    if (!d) { close(fd); return -1; }
    struct dirent *de;
    int rc = 0;
    while ((errno = 0, de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        struct stat st;
        if (fstatat(cur, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) { if (errno == ENOENT) continue; rc = -1; break; }
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) { errno = EXDEV; rc = -1; break; } /* a mount point: not ours to empty */
            *sub = ds_xstrdup(de->d_name);
            break;
        }
        if (unlinkat(cur, de->d_name, 0) < 0 && errno != ENOENT) { rc = -1; break; }
    }
    if (rc == 0 && !*sub && errno) rc = -1;
    int e = errno;
    closedir(d);
    errno = e;
    return rc;
}

int ds_rmtree_at(int top, const char *name) {
    struct stat st;
    if (fstatat(top, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlinkat(top, name, 0) < 0 && errno != ENOENT ? -1 : 0;
    char **stack = NULL; /* names from the top directory down to cur */
    size_t depth = 0, cap = 0;
    int cur = open_dir_at(top, name), rc = 0;
    if (cur < 0) rc = -1;
    while (rc == 0) {
        char *sub;
        if (empty_dir(cur, st.st_dev, &sub) < 0) { rc = -1; break; }
        if (sub) {
            int next = open_dir_at(cur, sub);
            if (next < 0) { free(sub); rc = -1; break; }
            close(cur);
            cur = next;
            if (depth == cap) { cap = cap ? cap * 2 : 16; stack = ds_xrealloc(stack, cap * sizeof *stack); }
            stack[depth++] = sub;
            continue;
        }
        /* cur is empty: remove it from its parent and go on there. */
        if (!depth) break;
        int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) { rc = -1; break; }
        close(cur);
        cur = up;
        char *sname = stack[--depth];
        if (unlinkat(cur, sname, AT_REMOVEDIR) < 0 && errno != ENOENT) { free(sname); rc = -1; break; }
        free(sname);
    }
    int e = errno;
    if (cur >= 0) close(cur);
    if (rc == 0 && unlinkat(top, name, AT_REMOVEDIR) < 0 && errno != ENOENT) { rc = -1; e = errno; }
    while (depth) free(stack[--depth]);
    free(stack);
    errno = e;
    return rc;
}

int ds_rmtree(const char *path, ds_err *err) {
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : ds_fail_errno(err, "%s", path);
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) < 0) return ds_fail_errno(err, "rm %s", path);
        ds_cleanup_removed(path);
        return 0;
    }
    /* Split into the parent (opened by path once) and the last name. */
    char *dir = ds_xstrdup(path);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') dir[--n] = 0;
    char *slash = strrchr(dir, '/');
    char *base_copy = ds_xstrdup(slash ? slash + 1 : dir);
    if (slash == dir) dir[1] = 0;
    else if (slash) *slash = 0;
    /* O_PATH: only search permission is needed on the parent, as for rm. */
    int top = open(slash ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (top < 0 || !strcmp(base_copy, ".") || !strcmp(base_copy, "..")) {
        int r = top < 0 ? ds_fail_errno(err, "rm -r %s", path) : ds_fail(err, "rm -r %s: name the directory itself", path);
        if (top >= 0) close(top);
        free(base_copy);
        return r;
    }
    int rc = ds_rmtree_at(top, base_copy), e = errno;
    close(top);
    free(base_copy);
    if (rc < 0) { errno = e; return ds_fail_errno(err, "rm -r %s", path); }
    ds_cleanup_removed(path); /* gone: nothing left for an interrupt to remove */
    return 0;
}

char *ds_tmp_sibling(const char *path) {
    static atomic_uint counter;
    const char *slash = strrchr(path, '/');
    unsigned n = atomic_fetch_add(&counter, 1);
    char *tmp = slash ? ds_xasprintf("%.*s/.%s.tmp-%d-%u", (int)(slash - path), path, slash + 1, (int)getpid(), n)
                      : ds_xasprintf(".%s.tmp-%d-%u", path, (int)getpid(), n);
    /* Registered before it exists, so an interrupt never misses it; after the rename the
     * name is gone, so a caller that forgets ds_cleanup_forget loses nothing. */
    ds_cleanup_register(tmp);
    return tmp;
}

/* Messages name PATH, the file the user asked for, never the temp sibling (an internal name
 * the user never gave: "/out/.r.html.tmp-123-0"). */
static int write_file_renamed(const char *path, const void *data, size_t len, mode_t mode, bool sync, ds_err *err) {
    char *tmp = ds_tmp_sibling(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) { int r = ds_fail_errno(err, "%s: cannot write", path); ds_cleanup_forget(tmp); free(tmp); return r; }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int r = ds_fail_errno(err, "%s: cannot write", path);
            close(fd); unlink(tmp); ds_cleanup_forget(tmp); free(tmp);
            return r;
        }
        p += w; left -= (size_t)w;
    }
    if ((sync && fsync(fd) < 0) || close(fd) < 0) {
        int r = ds_fail_errno(err, "%s: cannot write", path);
        unlink(tmp); ds_cleanup_forget(tmp); free(tmp);
        return r;
    }
    if (rename(tmp, path) < 0) {
        int r = ds_fail_errno(err, "%s: cannot put it in place", path);
        unlink(tmp); ds_cleanup_forget(tmp); free(tmp);
        return r;
    }
    ds_cleanup_forget(tmp);
    free(tmp);
    return 0;
}

int ds_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, ds_err *err) {
    return write_file_renamed(path, data, len, mode, true, err);
}

int ds_write_file_replace(const char *path, const void *data, size_t len, mode_t mode, ds_err *err) {
    return write_file_renamed(path, data, len, mode, false, err);
}

int ds_read_file(const char *path, char **data, size_t *len, size_t max_len, ds_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ds_fail_errno(err, "%s", path);
    int rc = ds_read_fd(fd, path, data, len, max_len, err);
    close(fd);
    return rc;
}

int ds_read_fd(int fd, const char *label, char **data, size_t *len, size_t max_len, ds_err *err) {
    struct stat st;
    if (fstat(fd, &st) < 0) return ds_fail_errno(err, "%s", label);
    if (!S_ISREG(st.st_mode)) return ds_fail(err, "%s: not a regular file", label);
    if (max_len && (size_t)st.st_size > max_len)
        return ds_fail(err, "%s: too large (%lld bytes, limit %zu)", label, (long long)st.st_size, max_len);
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = ds_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (max_len && n >= max_len) { free(buf); return ds_fail(err, "%s: too large", label); }
            cap *= 2; buf = ds_xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) { if (errno == EINTR) continue; free(buf); return ds_fail_errno(err, "%s: read", label); }
        if (r == 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    *data = buf;
    if (len) *len = n;
    return 0;
}

static const char *tmpdir_flag; /* --tmpdir, borrowed from argv */

void ds_tmpdir_set(const char *dir) { tmpdir_flag = dir && *dir ? dir : NULL; }

const char *ds_tmpdir_source(void) {
    if (tmpdir_flag) return "--tmpdir";
    const char *e = getenv("TMPDIR");
    return e && *e ? "$TMPDIR" : "default";
}

const char *ds_tmpdir(void) {
    if (tmpdir_flag) return tmpdir_flag;
    const char *e = getenv("TMPDIR");
    return e && *e ? e : "/var/tmp";
}

void ds_dir_spread_children(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
        flags |= FS_TOPDIR_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    close(fd);
}

int ds_mkdtemp(const char *prefix, char **out, ds_err *err) {
    const char *base = ds_tmpdir();
    char *tmpl = ds_xasprintf("%s/%s-XXXXXX", base, prefix ? prefix : "distill");
    if (ds_mkdtemp_path(tmpl, out, err) == 0) return 0;
    errno = err->code;
    const char *src = ds_tmpdir_source();
    if (!strcmp(src, "default")) return ds_fail_errno(err, "temporary directory in %s", base);
    return ds_fail_errno(err, "%s %s: cannot make a temporary directory there", src, base);
}

int ds_mkdtemp_path(char *tmpl, char **out, ds_err *err) {
    sigset_t old; /* no interrupt between creating the dir and registering it */
    ds_cleanup_block(&old);
    char *made = mkdtemp(tmpl);
    if (made) ds_cleanup_register(made);
    ds_cleanup_unblock(&old);
    if (!made) { int r = ds_fail_errno(err, "mkdtemp %s", tmpl); free(tmpl); return r; }
    *out = tmpl;
    return 0;
}

int ds_dir_empty(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) return 0;
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(dir)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) { empty = 0; break; }
    closedir(dir);
    return empty;
}

char *ds_rel_join(const char *dir, const char *name) {
    return *dir ? ds_xasprintf("%s/%s", dir, name) : ds_xstrdup(name);
}

int ds_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* [off, end) of in to out at the same offsets: in the kernel (copy_file_range, no user-space
 * buffer), else by pread/pwrite. */
static int copy_range(int in, int out, off_t off, off_t end) {
    bool kernel = true;
    while (off < end) {
        size_t want = (size_t)(end - off > (8 << 20) ? (8 << 20) : end - off); /* 8 MiB steps: progress moves */
        ssize_t r;
        if (kernel) {
            off_t a = off, b = off;
            r = copy_file_range(in, &a, out, &b, want, 0);
            if (r < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) { kernel = false; continue; }
        } else {
            char buf[1 << 16];
            r = pread(in, buf, want < sizeof buf ? want : sizeof buf, off);
            for (ssize_t w = 0; r > 0 && w < r;) {
                ssize_t k = pwrite(out, buf + w, (size_t)(r - w), off + w);
                if (k < 0 && errno == EINTR) continue;
                if (k < 0) return -1;
                w += k;
            }
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) { errno = EIO; return -1; } /* in is shorter than it said */
        off += r;
        ds_progress_add((uint64_t)r);
    }
    return 0;
}

int ds_copy_fd_data(int in, int out, off_t size) {
    if (size == 0) return 0;
    if (ioctl(out, FICLONE, in) == 0) return 0;
    off_t off = 0;
    while (off < size) {
        off_t d = lseek(in, off, SEEK_DATA);
        if (d < 0 && errno == ENXIO) break; /* a hole up to the end */
        if (d < 0) d = off;                 /* no hole support: all data */
        if (d >= size) break;
        off_t h = lseek(in, d, SEEK_HOLE);
        if (h < 0 || h > size) h = size;
        if (copy_range(in, out, d, h) < 0) return -1;
        off = h;
    }
    return ftruncate(out, size);
}

int ds_copy_file(const char *src, const char *dst, mode_t mode, ds_err *err) {
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return ds_fail_errno(err, "%s", src);
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) { close(in); return ds_fail_errno(err, "%s", dst); }
    struct stat st;
    if (fstat(in, &st) < 0 || ds_copy_fd_data(in, out, st.st_size) < 0) {
        int e = errno;
        close(in); close(out);
        errno = e;
        return ds_fail_errno(err, "copy %s to %s", src, dst);
    }
    close(in);
    if (close(out) < 0) return ds_fail_errno(err, "%s: close", dst);
    return 0;
}
