/* The cached lookup over root_path.c: ldd asks for the same library directories again and
 * again, and the minifier needs every symlink hop, so results are kept per root. */
#include <errno.h>
#include <fcntl.h>
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

const ds_rpath_res *ds_root_lookup(ds_root *r, const char *path) {
    char *clean = ds_path_clean(path);
    int found;
    ds_rpath_res *x = ds_strmap_find(&r->cache, clean, &found);
    if (!found) {
        x = ds_xcalloc(1, sizeof *x);
        struct stat st;
        x->real = ds_rp_resolve(&r->rp, clean, 0, &st, add_link, x);
        /* Not found, a loop (ELOOP) and a name too long are all "absent", as the loader sees it. */
        if (x->real) { x->exists = true; x->mode = st.st_mode; }
        ds_strmap_put(&r->cache, clean, x);
    }
    free(clean);
    return x;
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
