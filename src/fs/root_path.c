/* Resolving and opening paths inside a root; the contract is in root_path.h. */
#include "fs/root_path.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LINKS 40

int ds_rp_open(ds_rp *r, const char *dir, ds_err *err) {
    r->dir = NULL;
    r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->fd < 0) return ds_fail_errno(err, "%s", dir);
    r->dir = ds_xstrdup(dir);
    return 0;
}

void ds_rp_close(ds_rp *r) {
    if (r->fd >= 0) close(r->fd);
    free(r->dir);
    r->fd = -1;
    r->dir = NULL;
}

char *ds_path_clean(const char *path) {
    size_t n = strlen(path);
    char *o = ds_xmalloc(n + 2), *w = o;
    *w++ = '/';
    for (const char *p = path; *p; p++) {
        if (*p == '/' && w[-1] == '/') continue;
        *w++ = *p;
    }
    if (w > o + 1 && w[-1] == '/') w--;
    *w = 0;
    return o;
}

/* The walk: the O_PATH fd of the current directory, how deep it is below the root (so
 * ".." stops at the root, and only a real directory's ".." is ever asked of the kernel),
 * and, for lookups, the canonical path it spells. A symlink's target is spliced in front
 * of what is left of the path; an absolute one goes back to the root first. One fd at a
 * time: a layer can legally hold 2000 directory levels. */
typedef struct walk {
    int root, cur;           /* cur -1: at the root */
    size_t depth;
    bool want_canon;
    char canon[PATH_MAX];    /* "" is the root */
    size_t clen;
    dev_t root_dev;          /* DS_RP_NO_XDEV */
    char last[NAME_MAX + 1]; /* final entry's name in the current directory; "" = that directory */
    struct stat st;          /* of the final entry */
} walk;

static int cur_fd(const walk *w) { return w->cur >= 0 ? w->cur : w->root; }

static void set_cur(walk *w, int fd) {
    if (w->cur >= 0) close(w->cur);
    w->cur = fd;
}

static void to_root(walk *w) {
    set_cur(w, -1);
    w->depth = 0;
    w->clen = 0;
    w->canon[0] = 0;
}

static int up(walk *w) {
    while (w->clen > 0 && w->canon[w->clen - 1] != '/') w->clen--;
    if (w->clen > 0) w->clen--;
    w->canon[w->clen] = 0;
    if (--w->depth == 0) { set_cur(w, -1); return 0; }
    int fd = openat(w->cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    set_cur(w, fd);
    return 0;
}

/* 0 when every component but the last exists as a directory and the last exists;
 * -1 with errno otherwise. */
static int walk_path(walk *w, const char *path, int flags, ds_rp_link_fn on_link, void *ud) {
    if (strlen(path) >= PATH_MAX) { errno = ENAMETOOLONG; return -1; }
    if (flags & DS_RP_NO_XDEV) {
        struct stat rs;
        if (fstat(w->root, &rs) < 0) return -1;
        w->root_dev = rs.st_dev;
    }
    char *rest = ds_xstrdup(path), *p = rest;
    int links = 0, err = 0;
    for (;;) {
        while (*p == '/') p++;
        if (!*p) { /* the path names the current directory */
            w->last[0] = 0;
            if (fstat(cur_fd(w), &w->st) < 0) err = errno;
            break;
        }
        size_t len = strcspn(p, "/");
        if (len > NAME_MAX) { err = ENAMETOOLONG; break; }
        char comp[NAME_MAX + 1];
        memcpy(comp, p, len);
        comp[len] = 0;
        p += len;
        const char *q = p;
        while (*q == '/') q++;
        bool last = !*q;
        if (!strcmp(comp, ".")) continue;
        if (!strcmp(comp, "..")) {
            if (w->depth) { if (up(w) < 0) { err = errno; break; } }
            else if (flags & DS_RP_NO_SYMLINKS) { err = EXDEV; break; }
            continue;
        }
        struct stat st;
        if (fstatat(cur_fd(w), comp, &st, AT_SYMLINK_NOFOLLOW) < 0) { err = errno; break; }
        if ((flags & DS_RP_NO_XDEV) && st.st_dev != w->root_dev) { err = EXDEV; break; }
        if (S_ISLNK(st.st_mode) && !(last && (flags & DS_RP_NOFOLLOW))) {
            if ((flags & DS_RP_NO_SYMLINKS) || ++links > MAX_LINKS) { err = ELOOP; break; }
            char target[PATH_MAX];
            ssize_t n = readlinkat(cur_fd(w), comp, target, sizeof target - 1);
            if (n <= 0) { err = n < 0 ? errno : ENOENT; break; }
            target[n] = 0;
            if (on_link) {
                char *l = ds_xasprintf("%s/%s", w->canon, comp);
                on_link(ud, l);
                free(l);
            }
            if (target[0] == '/') to_root(w);
            char *next = ds_xasprintf("%s/%s", target, p);
            free(rest);
            rest = p = next;
            continue;
        }
        if (w->want_canon) {
            if (w->clen + 1 + len >= sizeof w->canon) { err = ENAMETOOLONG; break; }
            w->canon[w->clen++] = '/';
            memcpy(w->canon + w->clen, comp, len + 1);
            w->clen += len;
        }
        if (last) {
            memcpy(w->last, comp, len + 1);
            w->st = st;
            break;
        }
        if (!S_ISDIR(st.st_mode)) { err = ENOTDIR; break; }
        int fd = openat(cur_fd(w), comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) { err = errno; break; }
        set_cur(w, fd);
        w->depth++;
    }
    free(rest);
    if (err) { errno = err; return -1; }
    return 0;
}

char *ds_rp_resolve(const ds_rp *r, const char *path, int flags, struct stat *st, ds_rp_link_fn on_link, void *ud) {
    walk w = {.root = r->fd, .cur = -1, .want_canon = true};
    char *out = NULL;
    if (walk_path(&w, path, flags, on_link, ud) == 0) {
        out = ds_xstrdup(w.clen ? w.canon : "/");
        if (st) *st = w.st;
    }
    int saved = errno;
    set_cur(&w, -1);
    errno = saved;
    return out;
}

/* openat2 is missing on old kernels, under valgrind and behind some seccomp filters;
 * DISTILL_NO_OPENAT2 (not empty, not "0") is read on every open so tests can switch. */
static atomic_int openat2_state; /* 0 unknown, 1 works, -1 unavailable */

static bool openat2_usable(void) {
    const char *no = getenv("DISTILL_NO_OPENAT2");
    if (no && *no && strcmp(no, "0")) return false;
    return openat2_state >= 0;
}

/* -1 with errno ENOSYS when openat2 cannot be used at all. */
static int open_openat2(int root, const char *rel, int oflags, int flags) {
    struct open_how how = {
        .flags = (unsigned long long)(oflags | O_CLOEXEC),
        .resolve = ((flags & DS_RP_NO_SYMLINKS) ? RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
                                                : RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) |
                   ((flags & DS_RP_NO_XDEV) ? RESOLVE_NO_XDEV : 0),
    };
    /* EAGAIN: a rename or mount raced the lookup of ".." (live roots); the kernel asks to retry. */
    for (int tries = 0; tries < 16; tries++) {
        long fd = syscall(SYS_openat2, root, rel, &how, sizeof how);
        if (fd >= 0) { openat2_state = 1; return (int)fd; }
        if (errno != EAGAIN) break;
    }
    if (errno == ENOSYS || (errno == EPERM && openat2_state == 0)) {
        openat2_state = -1;
        errno = ENOSYS;
    }
    return -1;
}

int ds_rp_open_at(const ds_rp *r, const char *path, int oflags, int flags) {
    if (flags & DS_RP_NO_SYMLINKS) oflags |= O_NOFOLLOW;
    if (oflags & O_NOFOLLOW) flags |= DS_RP_NOFOLLOW;
    if (flags & DS_RP_NOFOLLOW) oflags |= O_NOFOLLOW;
    if (strlen(path) >= PATH_MAX) { errno = ENAMETOOLONG; return -1; }
    /* Trailing slashes are ignored (as by the walk); leading ones mean the root. */
    while (*path == '/') path++;
    size_t n = strlen(path);
    while (n > 0 && path[n - 1] == '/') n--;
    char rel[PATH_MAX];
    memcpy(rel, n ? path : ".", n ? n : 1);
    rel[n ? n : 1] = 0;
    if (openat2_usable()) {
        int fd = open_openat2(r->fd, rel, oflags, flags);
        if (fd >= 0 || errno != ENOSYS || openat2_state >= 0) return fd;
    }
    walk w = {.root = r->fd, .cur = -1};
    int fd = -1;
    if (walk_path(&w, rel, flags, NULL, NULL) == 0) {
        /* The last component is opened without following: a symlink there was either
         * followed by the walk, or is wanted itself (O_NOFOLLOW, O_PATH). */
        if (w.last[0]) fd = openat(cur_fd(&w), w.last, oflags | O_NOFOLLOW | O_CLOEXEC);
        else fd = openat(cur_fd(&w), ".", (oflags & ~O_NOFOLLOW) | O_CLOEXEC);
    }
    int saved = errno;
    set_cur(&w, -1);
    errno = saved;
    return fd;
}
