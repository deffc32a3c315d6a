/* Paths inside the root: resolved with openat2(RESOLVE_IN_ROOT), so an absolute or
 * ../ symlink target can never lead out of the tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "harden/harden_int.h"

/* openat2 is missing on old kernels, under valgrind and behind some seccomp filters:
 * then the same resolution is done by hand below (DISTILL_NO_OPENAT2=1 forces it). */
static atomic_int openat2_state; /* 0 unknown, 1 works, -1 unavailable */

static int openat2_in_root(int root_fd, const char *path, int flags, unsigned long long resolve) {
    struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = resolve};
    while (*path == '/') path++;
    if (!*path) path = ".";
    if (openat2_state == 0 && getenv("DISTILL_NO_OPENAT2")) openat2_state = -1;
    if (openat2_state < 0) { errno = ENOSYS; return -1; }
    int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd >= 0) openat2_state = 1;
    else if (errno == ENOSYS || (errno == EPERM && openat2_state == 0)) openat2_state = -1;
    return fd;
}

/* The fallback: canonical path built one component at a time; ".." never climbs above
 * the root; a symlink's target is spliced into what is left (absolute ones restart at
 * the root); at most 40 links. Works because the tree is private: nothing races us. */
static char *resolve_by_hand(int root_fd, const char *path, bool follow_last) {
    char *canon = ds_xstrdup(""), *rest = ds_xstrdup(path), *p = rest;
    int links = 0;
    for (;;) {
        while (*p == '/') p++;
        if (!*p) break;
        char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *comp = ds_xstrndup(p, len);
        p += len;
        const char *q = p;
        while (*q == '/') q++;
        bool last = !*q;
        if (!strcmp(comp, ".")) { free(comp); continue; }
        if (!strcmp(comp, "..")) {
            char *sl = strrchr(canon, '/');
            if (sl) *sl = 0; else canon[0] = 0;
            free(comp);
            continue;
        }
        char *cand = *canon ? ds_xasprintf("%s/%s", canon, comp) : ds_xstrdup(comp);
        free(comp);
        struct stat st;
        if (fstatat(root_fd, cand, &st, AT_SYMLINK_NOFOLLOW) < 0) { free(cand); goto fail; }
        if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(root_fd, cand, target, sizeof target - 1);
            free(cand);
            if (n < 0 || ++links > 40) goto fail;
            target[n] = 0;
            if (target[0] == '/') canon[0] = 0;
            char *nrest = ds_xasprintf("%s/%s", target, p);
            free(rest);
            rest = p = nrest;
            continue;
        }
        if (!last && !S_ISDIR(st.st_mode)) { free(cand); goto fail; }
        free(canon);
        canon = cand;
    }
    free(rest);
    return canon;
fail:
    free(rest);
    free(canon);
    return NULL;
}

char *hr_full(const hr_ctx *c, const char *rel) {
    while (*rel == '/') rel++;
    return *rel ? ds_xasprintf("%s/%s", c->root_real, rel) : ds_xstrdup(c->root_real);
}

char *hr_resolve(const hr_ctx *c, const char *path, bool follow_last) {
    int fd = openat2_in_root(c->root_fd, path, O_PATH | (follow_last ? 0 : O_NOFOLLOW),
                             RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0) return openat2_state < 0 ? resolve_by_hand(c->root_fd, path, follow_last) : NULL;
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
    int fd = openat2_in_root(c->root_fd, rel, flags | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd >= 0 || openat2_state >= 0) return fd;
    /* By hand: every component must be a real directory (no symlink, no ..). */
    while (*rel == '/') rel++;
    char *copy = ds_xstrdup(*rel ? rel : ".");
    for (char *s = strchr(copy, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        struct stat st;
        bool ok = strcmp(copy, "..") && !strstr(copy, "/..") && fstatat(c->root_fd, copy, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISDIR(st.st_mode);
        *s = '/';
        if (!ok) { free(copy); errno = ELOOP; return -1; }
    }
    fd = openat(c->root_fd, copy, flags | O_NOFOLLOW | O_CLOEXEC);
    free(copy);
    return fd;
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
