/* The cached lookup over root_path.c: ldd asks for the same library directories again and
 * again, and the minifier needs every symlink hop, so results are kept per root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "fs/root_path.h"
#include "util/fsutil.h"

int ds_root_open(ds_root *r, const char *dir, ds_err *err) {
    memset(r, 0, sizeof *r);
    return ds_rp_open(&r->rp, dir, err);
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
    ds_rp_close(&r->rp);
    ds_strmap_free(&r->cache, res_free);
}

static void add_link(void *ud, const char *l) {
    ds_rpath_res *x = ud;
    for (size_t i = 0; i < x->n_links; i++) if (!strcmp(x->links[i], l)) return;
    x->links = ds_xrealloc(x->links, (x->n_links + 1) * sizeof *x->links);
    x->links[x->n_links++] = ds_xstrdup(l);
}

/* The entry at a canonical in-image path (no symlink on the way), not followed: one open
 * below the root (openat2 refuses any symlink, or the walk does). 0 with st, -1 with errno. */
static int stat_canonical(ds_root *r, const char *real, struct stat *st) {
    if (r->seen && r->seen(r->seen_ud, real, st) == 0) return 0;
    int fd = ds_rp_open_at(&r->rp, real, O_PATH | O_NOFOLLOW, DS_RP_NO_SYMLINKS);
    if (fd < 0) return -1;
    int rc = fstat(fd, st);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* clean's parent and last component, when the last is a plain name (not "." or ".."). */
static bool split_last(const char *clean, char **parent, const char **base) {
    const char *slash = strrchr(clean, '/');
    if (!slash || !slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, "..")) return false;
    *parent = slash == clean ? ds_xstrdup("/") : ds_xstrndup(clean, (size_t)(slash - clean));
    *base = slash + 1;
    return true;
}

/* The canonical path of `base` in the canonical directory `dir`, or NULL when too long. */
static char *join_canonical(const char *dir, const char *base) {
    char *real = ds_xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", base);
    if (strlen(real) >= PATH_MAX) { free(real); return NULL; }
    return real;
}

/* A miss resolved from its parent's cached result: every symlink on the way to the parent
 * was followed (and recorded) there, so when the last component is no symlink the answer
 * is the parent's plus one open; an absent parent (or one that is no directory) means an
 * absent entry. Returns false when the full walk must decide (the last component is a
 * symlink, the name would be too long, or anything unusual). */
static bool lookup_from_parent(ds_root *r, const char *clean, ds_rpath_res *x) {
    char *parent;
    const char *base;
    if (!split_last(clean, &parent, &base)) return false;
    const ds_rpath_res *p = ds_root_lookup(r, parent);
    free(parent);
    /* The walk would stop where the parent's did, having followed the same links. */
    bool done = !p->exists || !S_ISDIR(p->mode);
    char *real = done ? NULL : join_canonical(p->real, base);
    if (!done && !real) return false;
    struct stat st;
    if (!done && stat_canonical(r, real, &st) == 0) {
        done = !S_ISLNK(st.st_mode);
        if (done) { x->exists = true; x->mode = st.st_mode; x->real = real; real = NULL; }
    } else if (!done) {
        done = errno == ENOENT;
    }
    free(real);
    for (size_t i = 0; done && i < p->n_links; i++) add_link(x, p->links[i]);
    return done;
}

const ds_rpath_res *ds_root_lookup(ds_root *r, const char *path) {
    char *clean = ds_path_clean(path);
    int found;
    ds_rpath_res *x = ds_strmap_find(&r->cache, clean, &found);
    if (!found) {
        x = ds_xcalloc(1, sizeof *x);
        if (!lookup_from_parent(r, clean, x)) {
            struct stat st;
            x->real = ds_rp_resolve(&r->rp, clean, 0, &st, add_link, x);
            /* Not found, a loop (ELOOP) and a name too long are all "absent", as the loader sees it. */
            if (x->real) { x->exists = true; x->mode = st.st_mode; }
        }
        ds_strmap_put(&r->cache, clean, x);
    }
    free(clean);
    return x;
}

char *ds_root_entry_name(ds_root *r, const char *path, bool *absent) {
    *absent = false;
    char *clean = ds_path_clean(path), *parent, *real = NULL;
    const char *base;
    if (split_last(clean, &parent, &base)) {
        const ds_rpath_res *p = ds_root_lookup(r, parent);
        free(parent);
        if (!p->exists || !S_ISDIR(p->mode)) *absent = true;
        else real = join_canonical(p->real, base);
    }
    free(clean);
    return real;
}

char *ds_root_entry(ds_root *r, const char *path, struct stat *st_out) {
    struct stat own, *st = st_out ? st_out : &own;
    bool absent;
    char *real = ds_root_entry_name(r, path, &absent);
    if (real) {
        if (stat_canonical(r, real, st) == 0) return real;
        absent = errno == ENOENT;
        free(real);
    }
    if (absent) { /* ENOTDIR is ENOENT here: neither resolves */
        errno = ENOENT;
        return NULL;
    }
    return ds_rp_resolve(&r->rp, path, DS_RP_NOFOLLOW, st, NULL, NULL);
}

int ds_root_open_file(ds_root *r, const char *real, ds_err *err) {
    int fd = ds_rp_open_at(&r->rp, real, O_RDONLY | O_NOFOLLOW, 0);
    if (fd < 0) return ds_fail_errno(err, "%s", real);
    return fd;
}

int ds_root_read_file(ds_root *r, const char *path, size_t max, char **data, size_t *len, ds_err *err) {
    const ds_rpath_res *x = ds_root_lookup(r, path);
    if (!x->exists || !S_ISREG(x->mode)) return 0;
    int fd = ds_root_open_file(r, x->real, err);
    if (fd < 0) return -1;
    int rc = ds_read_fd(fd, path, data, len, max, err);
    close(fd);
    return rc < 0 ? -1 : 1;
}
