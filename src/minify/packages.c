/* The package ownership index of the package keep level (see packages.h). */
#include <string.h>
#include <sys/stat.h>
#include "minify/packages.h"
#include "scan/scan.h"
#include "util/fsutil.h"

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

const char *ds_doc_class(const char *path) {
    static const struct { const char *pre, *cls; } c[] = {
        {"/usr/share/doc/", "doc"}, {"/usr/share/doc-base/", "doc"}, {"/usr/share/man/", "man"},
        {"/usr/share/info/", "info"}, {"/usr/share/lintian/", "lintian"}, {"/usr/share/bug/", "doc"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        if (!strncmp(path, c[i].pre, strlen(c[i].pre))) return c[i].cls;
    /* a package's own man tree, which /usr/share/man links into (PostgreSQL's
     * /usr/share/postgresql/15/man/man1/psql.1.gz) */
    const char *m = !strncmp(path, "/usr/share/", 11) ? strstr(path, "/man/man") : NULL;
    if (m && m[8] >= '0' && m[8] <= '9' && strchr(m + 8, '/')) return "man";
    return NULL;
}

static bool code_name(const char *p, mode_t mode) {
    static const char *const suf[] = {".py", ".pyc", ".js", ".mjs", ".cjs", ".pm", ".pl", ".rb", ".php", ".jar",
                                      ".class", ".so", ".node", ".lua", ".sh"};
    if (S_ISREG(mode) && (mode & 0111)) return true;
    for (size_t i = 0; i < sizeof suf / sizeof *suf; i++)
        if (ends_with(p, suf[i])) return true;
    return strstr(p, ".so.") != NULL;
}

/* First index of t with path >= key. */
static size_t lower_bound(const ds_tree *t, const char *key) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->e[mid].path, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Every entry of the tree at dir and below it. */
static void add_subtree(const ds_tree *t, const char *dir, ds_strlist *files) {
    ds_strlist_add(files, dir);
    char *pre = ds_xasprintf("%s/", dir);
    size_t pl = strlen(pre);
    for (size_t i = lower_bound(t, pre); i < t->n && !strncmp(t->e[i].path, pre, pl); i++)
        ds_strlist_add(files, t->e[i].path);
    free(pre);
}

static char *dir_of(const char *p) {
    const char *s = strrchr(p, '/');
    return s && s != p ? ds_xstrndup(p, (size_t)(s - p)) : ds_xstrdup("/");
}

/* Ruby gems: DIR/specifications/NAME-VER.gemspec owns DIR/gems/NAME-VER and itself. */
static void scan_gems(const ds_tree *t, ds_pkglist *out) {
    for (size_t i = 0; i < t->n; i++) {
        const char *p = t->e[i].path;
        const char *sp = strstr(p, "/specifications/");
        if (!sp || !S_ISREG(t->e[i].mode) || !ends_with(p, ".gemspec") || strchr(sp + 16, '/')) continue;
        char *base = ds_xstrndup(p, (size_t)(sp - p));
        char *nv = ds_xstrndup(sp + 16, strlen(sp + 16) - 8);
        char *gdir = ds_xasprintf("%s/gems/%s", base, nv);
        ds_pkg *k = ds_pkglist_add(out);
        memset(k, 0, sizeof *k);
        k->type = ds_xstrdup("gem");
        char *dash = strrchr(nv, '-');
        k->name = dash ? ds_xstrndup(nv, (size_t)(dash - nv)) : ds_xstrdup(nv);
        ds_strlist_add(&k->files, p);
        if (ds_tree_find(t, gdir)) add_subtree(t, gdir, &k->files);
        free(base); free(nv); free(gdir);
    }
}

/* PHP composer: DIR/vendor/composer/installed.json; each DIR/vendor/A/B with a composer.json. */
static void scan_composer(const ds_tree *t, ds_pkglist *out) {
    for (size_t i = 0; i < t->n; i++) {
        const char *p = t->e[i].path;
        if (!ends_with(p, "/composer.json") || !S_ISREG(t->e[i].mode)) continue;
        const char *v = strstr(p, "/vendor/");
        if (!v) continue;
        const char *a = v + 8, *b = strchr(a, '/');
        if (!b || strcmp(strchr(b + 1, '/') ? strchr(b + 1, '/') : "", "/composer.json")) continue;
        char *marker = ds_xasprintf("%.*s/vendor/composer/installed.json", (int)(v - p), p);
        bool installed = ds_tree_find(t, marker) != NULL;
        free(marker);
        if (!installed || !strncmp(a, "composer/", 9)) continue;
        char *dir = dir_of(p);
        ds_pkg *k = ds_pkglist_add(out);
        memset(k, 0, sizeof *k);
        k->type = ds_xstrdup("composer");
        k->name = ds_xstrdup(a);
        k->name[strlen(k->name) - strlen("/composer.json")] = 0;
        add_subtree(t, dir, &k->files);
        free(dir);
    }
}

/* An egg-info without a file list: its top_level.txt names the import packages beside it
 * (into files, the package's own list being empty). */
static void python_top_level(const ds_tree *t, const ds_pkg *p, ds_strlist *files) {
    if (p->files.n || !p->source || !strstr(p->source, ".egg-info")) return;
    const char *e = strstr(p->source, ".egg-info");
    char *info = ds_xstrndup(p->source, (size_t)(e - p->source) + 9);
    char *site = dir_of(info);
    char *tl = ds_xasprintf("%s/top_level.txt", info), *text = NULL;
    ds_err err;
    ds_strlist_add(files, info);
    const ds_fentry *fe = ds_tree_find(t, info);
    if (fe && S_ISDIR(fe->mode)) add_subtree(t, info, files);
    if (ds_root_read(t->root, tl, &text, NULL, 1 << 20, &err) == 0) {
        char *save = NULL;
        for (char *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
            if (!*l || strchr(l, '/') || !strcmp(l, ".") || !strcmp(l, "..")) continue;
            char *d = ds_xasprintf("%s/%s", site, l), *f = ds_xasprintf("%s/%s.py", site, l);
            if (ds_tree_find(t, d)) add_subtree(t, d, files);
            if (ds_tree_find(t, f)) ds_strlist_add(files, f);
            free(d); free(f);
        }
    }
    free(text); free(tl); free(site); free(info);
}

/* deb Depends of every installed package of one status text: name -> strlist*. */
static void deb_depends(const char *text, ds_strmap *deps) {
    const char *p = text;
    while (*p) {
        const char *end = strstr(p, "\n\n");
        if (!end) end = p + strlen(p);
        char *name = ds_control_field(p, end, "Package");
        char *dep = ds_control_field(p, end, "Depends");
        char *pre = ds_control_field(p, end, "Pre-Depends");
        if (name && !ds_strmap_has(deps, name)) {
            ds_strlist *l = ds_xcalloc(1, sizeof *l);
            for (int k = 0; k < 2; k++) {
                char *all = k ? pre : dep, *save = NULL;
                for (char *d = all ? strtok_r(all, ",", &save) : NULL; d; d = strtok_r(NULL, ",", &save)) {
                    d += strspn(d, " \t\n");
                    size_t n = strcspn(d, " \t\n(|:");
                    if (n) {
                        char *x = ds_xstrndup(d, n);
                        ds_strlist_add(l, x);
                        free(x);
                    }
                }
            }
            ds_strmap_put(deps, name, l);
        }
        free(name); free(dep); free(pre);
        p = *end ? end + 2 : end;
    }
}

static void free_strlist(void *v) {
    ds_strlist_free(v);
    free(v);
}

static void own_files(ds_pkgindex *ix, ds_root *tree, const ds_srcscan *scan, size_t k, const ds_strlist *files) {
    ds_kpkg *kp = &ix->v[k];
    for (size_t i = 0; i < files->n; i++) {
        const char *f = files->v[i];
        if (f[0] != '/' || !strcmp(f, "/.") || !strcmp(f, "/")) continue;
        /* The entry itself (a symlink stays a symlink: its target is another file's), resolved
         * inside the root: ".." and absolute links never leave it, a loop owns nothing. A last
         * component "." or ".." names no entry of its own. */
        bool plain = ds_srcscan_walk_form(f);
        if (!plain) {
            char *clean = ds_path_clean(f);
            const char *base = strrchr(clean, '/') + 1;
            plain = *base && strcmp(base, ".") && strcmp(base, "..");
            free(clean);
        }
        struct stat st;
        char *name = plain ? ds_srcscan_entry(scan, tree, f, &st) : NULL;
        if (!name) continue;
        /* First owner wins: a file both a deb and a language database list is the deb's. */
        if (!strcmp(name, "/") || ds_strmap_has(&ix->owner, name)) { free(name); continue; }
        ds_strmap_put(&ix->owner, name, (void *)(k + 1));
        kp->files = ds_xrealloc(kp->files, (kp->n_files + 1) * sizeof *kp->files);
        kp->files[kp->n_files++] = name;
        if (S_ISREG(st.st_mode)) kp->bytes += st.st_size;
        if (!S_ISDIR(st.st_mode) && code_name(name, st.st_mode)) kp->has_code = true;
    }
}

int ds_pkgindex_build(ds_root *tree, const ds_srcscan *scan, ds_pkgindex *ix, ds_err *err) {
    memset(ix, 0, sizeof *ix);
    ds_strmap_init(&ix->owner);
    ds_srcscan *own = NULL;
    if (!scan && ds_srcscan_load(tree->rp.dir, &own, err) < 0) return -1;
    if (!scan) scan = own;
    const ds_tree *t = &scan->tree;
    /* OS packages first (the scan's readers' order), then gems and composer packages. */
    ds_pkglist extra = {0};
    scan_gems(t, &extra);
    scan_composer(t, &extra);
    ds_err e = {0};
    ds_strmap deps;
    ds_strmap_init(&deps);
    char *text = NULL;
    if (ds_root_read_file(tree, "/var/lib/dpkg/status", 256u << 20, &text, NULL, &e) > 0) deb_depends(text, &deps);
    free(text);
    for (size_t i = 0; i < t->n; i++) {
        const char *p = t->e[i].path;
        if (strncmp(p, "/var/lib/dpkg/status.d/", 23) || !S_ISREG(t->e[i].mode) || ends_with(p, ".md5sums")) continue;
        text = NULL;
        if (ds_root_read_file(tree, p, 16u << 20, &text, NULL, &e) > 0) deb_depends(text, &deps);
        free(text);
    }
    size_t n = scan->pkgs.n + extra.n;
    ix->v = ds_xcalloc(n + 1, sizeof *ix->v);
    for (size_t i = 0; i < n; i++) {
        const ds_pkg *p = i < scan->pkgs.n ? &scan->pkgs.v[i] : &extra.v[i - scan->pkgs.n];
        if (!p->name || !p->type) continue;
        ds_strlist top = {0};
        if (!strcmp(p->type, "pypi")) python_top_level(t, p, &top);
        size_t k = ix->n++;
        ix->v[k].type = ds_xstrdup(p->type);
        ix->v[k].name = ds_xstrdup(p->name);
        own_files(ix, tree, scan, k, top.n ? &top : &p->files);
        ds_strlist_free(&top);
        ds_strlist *d = !strcmp(p->type, "deb") ? ds_strmap_get(&deps, p->name) : NULL;
        for (size_t j = 0; d && j < d->n; j++) {
            ix->v[k].depends = ds_xrealloc(ix->v[k].depends, (ix->v[k].n_depends + 1) * sizeof(char *));
            ix->v[k].depends[ix->v[k].n_depends++] = ds_xstrdup(d->v[j]);
        }
    }
    ds_strmap_free(&deps, free_strlist);
    ds_pkglist_free(&extra);
    ds_srcscan_free(own);
    return 0;
}

long ds_pkgindex_owner(const ds_pkgindex *ix, const char *path) {
    void *v = ds_strmap_get(&ix->owner, path);
    if (v) return (long)((size_t)v - 1);
    const char *pc = strstr(path, "/__pycache__/");
    if (pc && ends_with(path, ".pyc") && !strchr(pc + 13, '/')) {
        const char *name = pc + 13;
        char *py = ds_xasprintf("%.*s/%.*s.py", (int)(pc - path), path, (int)strcspn(name, "."), name);
        v = ds_strmap_get(&ix->owner, py);
        free(py);
        if (v) return (long)((size_t)v - 1);
    }
    return -1;
}

long ds_pkgindex_find(const ds_pkgindex *ix, const char *type, const char *name) {
    size_t nl = strcspn(name, ":");
    for (size_t i = 0; i < ix->n; i++)
        if (!strcmp(ix->v[i].type, type) && strlen(ix->v[i].name) == nl && !strncmp(ix->v[i].name, name, nl))
            return (long)i;
    return -1;
}

void ds_pkgindex_free(ds_pkgindex *ix) {
    for (size_t i = 0; i < ix->n; i++) {
        ds_kpkg *k = &ix->v[i];
        for (size_t j = 0; j < k->n_files; j++) free(k->files[j]);
        for (size_t j = 0; j < k->n_depends; j++) free(k->depends[j]);
        free(k->files); free(k->depends); free(k->type); free(k->name);
    }
    free(ix->v);
    ds_strmap_free(&ix->owner, NULL);
    memset(ix, 0, sizeof *ix);
}
