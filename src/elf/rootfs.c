#include "elf/rootfs.h"
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LINKS 40

int ds_root_open(ds_root *r, const char *dir, ds_err *err) {
    memset(r, 0, sizeof *r);
    r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->fd < 0) return ds_fail_errno(err, "%s", dir);
    r->dir = ds_xstrdup(dir);
    return 0;
}

static void res_free(void *p) {
    ds_rpath_res *x = p;
    if (!x) return;
    free(x->real);
    for (size_t i = 0; i < x->n_links; i++) free(x->links[i]);
    free(x->links);
    free(x);
}

void ds_root_close(ds_root *r) {
    if (r->fd >= 0) close(r->fd);
    free(r->dir);
    ds_strmap_free(&r->cache, res_free);
    r->fd = -1;
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

static void add_link(ds_rpath_res *x, const char *l) {
    for (size_t i = 0; i < x->n_links; i++) if (!strcmp(x->links[i], l)) return;
    x->links = ds_xrealloc(x->links, (x->n_links + 1) * sizeof *x->links);
    x->links[x->n_links++] = ds_xstrdup(l);
}
static void add_links(ds_rpath_res *x, const ds_rpath_res *from) {
    for (size_t i = 0; i < from->n_links; i++) add_link(x, from->links[i]);
}

static const ds_rpath_res *lookup(ds_root *r, const char *clean, int depth);

/* `clean` is a cleaned path; not cached yet. */
static ds_rpath_res *compute(ds_root *r, const char *clean, int depth) {
    ds_rpath_res *x = ds_xcalloc(1, sizeof *x);
    /* A hostile tree can make symlink chains branch; bound the work per lookup. */
    if (++r->steps > 20000) return x;
    if (!strcmp(clean, "/")) { x->exists = true; x->mode = S_IFDIR | 0755; x->real = ds_xstrdup("/"); return x; }
    const char *slash = strrchr(clean, '/');
    char *dir = slash == clean ? ds_xstrdup("/") : ds_xstrndup(clean, (size_t)(slash - clean));
    const char *base = slash + 1;
    const ds_rpath_res *d = lookup(r, dir, depth);
    free(dir);
    if (!d->exists || !S_ISDIR(d->mode)) { add_links(x, d); return x; }
    add_links(x, d);
    if (!strcmp(base, ".")) { x->exists = true; x->mode = d->mode; x->real = ds_xstrdup(d->real); return x; }
    if (!strcmp(base, "..")) {
        /* d->real is canonical, so its lexical parent is the real parent; "/.." is "/". */
        const char *s = strrchr(d->real, '/');
        x->real = s == d->real ? ds_xstrdup("/") : ds_xstrndup(d->real, (size_t)(s - d->real));
        x->exists = true; x->mode = S_IFDIR | 0755;
        return x;
    }
    char *cand = !strcmp(d->real, "/") ? ds_xasprintf("/%s", base) : ds_xasprintf("%s/%s", d->real, base);
    struct stat st;
    if (fstatat(r->fd, cand + 1, &st, AT_SYMLINK_NOFOLLOW) < 0) { free(cand); return x; }
    if (!S_ISLNK(st.st_mode)) { x->exists = true; x->mode = st.st_mode; x->real = cand; return x; }
    add_link(x, cand);
    if (depth >= MAX_LINKS) { free(cand); return x; } /* ELOOP: not found, as the loader sees it */
    char target[4096];
    ssize_t n = readlinkat(r->fd, cand + 1, target, sizeof target - 1);
    if (n <= 0) { free(cand); return x; }
    target[n] = 0;
    char *next = target[0] == '/' ? ds_path_clean(target) : ds_xasprintf("%s/%s", d->real, target);
    free(cand);
    char *nc = ds_path_clean(next);
    free(next);
    const ds_rpath_res *t = lookup(r, nc, depth + 1);
    free(nc);
    add_links(x, t);
    if (t->exists) { x->exists = true; x->mode = t->mode; x->real = ds_xstrdup(t->real); }
    return x;
}

static const ds_rpath_res *lookup(ds_root *r, const char *clean, int depth) {
    int found;
    ds_rpath_res *x = ds_strmap_find(&r->cache, clean, &found);
    if (found) return x;
    x = compute(r, clean, depth);
    /* Results cut short by the link limit depend on the depth: do not cache those. */
    if ((depth == 0 || x->exists) && r->steps <= 20000) ds_strmap_put(&r->cache, clean, x);
    else {
        /* keep it alive for the caller: cache under a depth-qualified key */
        char *k = ds_xasprintf("%s\x01%d", clean, depth);
        int f2; ds_rpath_res *old = ds_strmap_find(&r->cache, k, &f2);
        ds_strmap_put(&r->cache, k, x);
        if (f2) res_free(old);
        free(k);
    }
    return x;
}

const ds_rpath_res *ds_root_lookup(ds_root *r, const char *path) {
    char *c = ds_path_clean(path);
    r->steps = 0;
    const ds_rpath_res *x = lookup(r, c, 0);
    free(c);
    return x;
}

int ds_root_open_file(ds_root *r, const char *real, ds_err *err) {
    const char *rel = real[0] == '/' ? real + 1 : real;
    if (!*rel) rel = ".";
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, r->fd, rel, &how, sizeof how);
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
        /* Old kernel or seccomp: `real` has no symlink in it, and O_NOFOLLOW guards the last one. */
        fd = openat(r->fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0) return ds_fail_errno(err, "%s", real);
    return fd;
}

int ds_root_read_file(ds_root *r, const char *path, size_t max, char **data, size_t *len, ds_err *err) {
    const ds_rpath_res *x = ds_root_lookup(r, path);
    if (!x->exists || !S_ISREG(x->mode)) return 0;
    int fd = ds_root_open_file(r, x->real, err);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { close(fd); return ds_fail(err, "%s: not a regular file", path); }
    if ((uint64_t)st.st_size > max) { close(fd); return ds_fail(err, "%s: too large (%lld bytes)", path, (long long)st.st_size); }
    char *buf = ds_xmalloc((size_t)st.st_size + 1);
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { free(buf); close(fd); return ds_fail_errno(err, "%s: read", path); }
        if (k == 0) break;
        n += (size_t)k;
    }
    close(fd);
    buf[n] = 0;
    *data = buf;
    if (len) *len = n;
    return 1;
}
