/* Paths inside the root: resolved with openat2(RESOLVE_IN_ROOT), so an absolute or
 * ../ symlink target can never lead out of the tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "harden/harden_int.h"

static int openat2_in_root(int root_fd, const char *path, int flags, unsigned long long resolve) {
    struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = resolve};
    while (*path == '/') path++;
    if (!*path) path = ".";
    return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

char *hr_full(const hr_ctx *c, const char *rel) {
    while (*rel == '/') rel++;
    return *rel ? ds_xasprintf("%s/%s", c->root_real, rel) : ds_xstrdup(c->root_real);
}

char *hr_resolve(const hr_ctx *c, const char *path, bool follow_last) {
    int fd = openat2_in_root(c->root_fd, path, O_PATH | (follow_last ? 0 : O_NOFOLLOW),
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0) return NULL;
    char proc[64], buf[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return NULL;
    buf[n] = 0;
    size_t rl = strlen(c->root_real);
    if (strncmp(buf, c->root_real, rl) != 0 || (buf[rl] != 0 && buf[rl] != '/')) return NULL;
    const char *rel = buf + rl;
    while (*rel == '/') rel++;
    return ds_xstrdup(rel);
}

int hr_open(const hr_ctx *c, const char *rel, int flags) {
    return openat2_in_root(c->root_fd, rel, flags | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
}

char *hr_read_rel(const hr_ctx *c, const char *rel, size_t *len) {
    int fd = hr_open(c, rel, O_RDONLY);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) { close(fd); return NULL; }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = ds_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) { cap *= 2; buf = ds_xrealloc(buf, cap); }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0) { if (errno == EINTR) continue; free(buf); close(fd); return NULL; }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

int hr_strcmp_p(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}
