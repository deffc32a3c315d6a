/* The source's walk and package databases, read once per build (see srcscan.h). */
#include <errno.h>
#include <string.h>
#include "minify/srcscan.h"
#include "scan/pkgdb.h"

int ds_srcscan_load(const char *root, ds_srcscan **out, ds_err *err) {
    *out = NULL;
    ds_srcscan *s = ds_xcalloc(1, sizeof *s);
    s->root = ds_xstrdup(root);
    if (ds_tree_load(root, &s->tree, err) < 0) {
        ds_srcscan_free(s);
        return -1;
    }
    char *os = NULL;
    ds_err e;
    if (ds_root_read(root, "/etc/os-release", &os, NULL, 1 << 20, &e) == 0 ||
        ds_root_read(root, "/usr/lib/os-release", &os, NULL, 1 << 20, &e) == 0)
        ds_distro_parse(os, &s->distro);
    free(os);
    ds_pkgctx ctx = {.root = root, .distro = &s->distro, .notes = &s->notes};
    int (*readers[])(const ds_tree *, const ds_pkgctx *, ds_pkglist *, ds_err *) = {
        ds_dpkg_scan, ds_apk_scan, ds_rpm_scan, ds_python_scan, ds_npm_scan,
    };
    for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
        if (readers[i](&s->tree, &ctx, &s->pkgs, &e) < 0) ds_strlist_add(&s->notes, e.msg);
    *out = s;
    return 0;
}

void ds_srcscan_free(ds_srcscan *s) {
    if (!s) return;
    ds_tree_free(&s->tree);
    ds_distro_free(&s->distro);
    ds_pkglist_free(&s->pkgs);
    ds_strlist_free(&s->notes);
    free(s->root);
    free(s);
}

static void fill_stat(const ds_fentry *fe, struct stat *st) {
    memset(st, 0, sizeof *st);
    st->st_mode = fe->mode;
    st->st_size = fe->size;
    st->st_uid = fe->uid;
    st->st_gid = fe->gid;
    st->st_ino = fe->ino;
    st->st_nlink = fe->nlink;
}

static int seen_in_walk(void *ud, const char *real, struct stat *st) {
    const ds_fentry *fe = ds_tree_find(&((const ds_srcscan *)ud)->tree, real);
    if (!fe) return -1;
    fill_stat(fe, st);
    return 0;
}

int ds_srcscan_lstat(const ds_srcscan *s, const char *root, const char *real, struct stat *st) {
    if (s && seen_in_walk((void *)s, real, st) == 0) return 0;
    char *h = ds_xasprintf("%s%s", root, strcmp(real, "/") ? real : "");
    int r = lstat(h, st);
    free(h);
    return r;
}

void ds_srcscan_attach(const ds_srcscan *s, ds_root *r) {
    if (!s || strcmp(s->root, r->rp.dir)) return;
    r->seen = seen_in_walk;
    r->seen_ud = (void *)s;
}

bool ds_srcscan_walk_form(const char *p) {
    if (p[0] != '/' || !p[1]) return false;
    for (const char *c = p; *c;) { /* c: at a '/' */
        const char *n = c + 1;
        size_t len = strcspn(n, "/");
        if (!len || (len == 1 && n[0] == '.') || (len == 2 && n[0] == '.' && n[1] == '.')) return false;
        c = n + len;
    }
    return true;
}

char *ds_srcscan_entry(const ds_srcscan *s, ds_root *r, const char *path, struct stat *st) {
    /* Named as the walk names entries and seen by it: no symlink on its way (the walk never
     * went through one), so the path is its own canonical name. Most package lists' paths. */
    if (s && ds_srcscan_walk_form(path) && !strcmp(s->root, r->rp.dir)) {
        const ds_fentry *fe = ds_tree_find(&s->tree, path);
        if (fe) {
            if (st) fill_stat(fe, st);
            return ds_xstrdup(path);
        }
    }
    bool absent;
    char *name = ds_root_entry_name(r, path, &absent);
    const ds_fentry *fe = name ? ds_tree_find(&s->tree, name) : NULL;
    if (fe) {
        if (st) fill_stat(fe, st);
        return name;
    }
    free(name);
    if (absent) {
        errno = ENOENT;
        return NULL;
    }
    return ds_root_entry(r, path, st);
}
