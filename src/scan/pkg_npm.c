/* npm: node_modules/NAME/package.json and node_modules/@SCOPE/NAME/package.json. */
#include <string.h>
#include <sys/stat.h>
#include "scan/scan_internal.h"

/* True for ".../node_modules/x/package.json" and ".../node_modules/@s/x/package.json". */
static bool is_module_manifest(const char *path) {
    size_t n = strlen(path);
    if (n < 13 || strcmp(path + n - 13, "/package.json")) return false;
    const char *end = path + n - 13; /* end of the package dir */
    const char *p = end;
    while (p > path && p[-1] != '/') p--;
    if (p == path) return false;
    const char *parent_end = p - 1, *q = parent_end;
    while (q > path && q[-1] != '/') q--;
    size_t pl = (size_t)(parent_end - q);
    if (pl == 12 && !strncmp(q, "node_modules", 12)) return true;
    if (*q == '@' && q > path) {
        const char *gp_end = q - 1, *r = gp_end;
        while (r > path && r[-1] != '/') r--;
        return (size_t)(gp_end - r) == 12 && !strncmp(r, "node_modules", 12);
    }
    return false;
}

static char *license_of(json_t *doc) {
    json_t *l = json_object_get(doc, "license");
    if (json_is_string(l)) return ds_xstrdup(json_string_value(l));
    if (json_is_object(l) && json_is_string(json_object_get(l, "type")))
        return ds_xstrdup(json_string_value(json_object_get(l, "type")));
    json_t *ls = json_object_get(doc, "licenses");
    if (json_is_array(ls) && json_array_size(ls) > 0) {
        json_t *x = json_array_get(ls, 0);
        if (json_is_object(x) && json_is_string(json_object_get(x, "type")))
            return ds_xstrdup(json_string_value(json_object_get(x, "type")));
        if (json_is_string(x)) return ds_xstrdup(json_string_value(x));
    }
    return NULL;
}

/* The package's files: regular files under its directory, not under a nested node_modules
 * (those belong to its own dependencies). The index is sorted, so they are contiguous. */
static void add_files(const ds_tree *t, size_t manifest_idx, ds_pkg *p) {
    const char *mp = t->e[manifest_idx].path;
    size_t dl = strlen(mp) - strlen("package.json"); /* keeps the trailing '/' */
    size_t lo = 0, hi = t->n;
    while (lo < hi) { /* first entry >= dir prefix */
        size_t mid = (lo + hi) / 2;
        if (strncmp(t->e[mid].path, mp, dl) < 0) lo = mid + 1; else hi = mid;
    }
    for (size_t i = lo; i < t->n && strncmp(t->e[i].path, mp, dl) == 0; i++) {
        if (!S_ISREG(t->e[i].mode)) continue;
        if (strstr(t->e[i].path + dl, "node_modules/")) continue;
        ds_strlist_add(&p->files, t->e[i].path);
    }
}

int ds_npm_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *f = &t->e[i];
        if (!S_ISREG(f->mode) || !is_module_manifest(f->path)) continue;
        char *text = NULL;
        size_t len;
        ds_err e;
        if (ds_root_read(t->root, f->path, &text, &len, 8 << 20, &e) < 0) continue;
        json_error_t je;
        json_t *doc = json_loadb(text, len, 0, &je);
        free(text);
        const char *name = json_string_value(json_object_get(doc, "name"));
        const char *ver = json_string_value(json_object_get(doc, "version"));
        if (!name || !ver) {
            json_decref(doc);
            continue;
        }
        ds_pkg *p = ds_pkglist_add(out);
        p->type = ds_xstrdup("npm");
        p->name = ds_xstrdup(name);
        p->version = ds_xstrdup(ver);
        p->license = license_of(doc);
        p->source = ds_xstrdup(f->path);
        p->ecosystem = ds_xstrdup("npm");
        const char *slash = name[0] == '@' ? strchr(name, '/') : NULL;
        if (slash) {
            char *ns = ds_xstrndup(name, (size_t)(slash - name));
            p->purl = ds_purl("npm", ns, slash + 1, ver, NULL);
            free(ns);
        } else {
            p->purl = ds_purl("npm", NULL, name, ver, NULL);
        }
        add_files(t, i, p);
        json_decref(doc);
    }
    (void)ctx; (void)err;
    return 0;
}
