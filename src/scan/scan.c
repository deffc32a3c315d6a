/* The whole static scan of an unpacked root: index, verdict, packages, sizes. */
#include <string.h>
#include <sys/stat.h>
#include "scan/scan_internal.h"

static int dirsize_cmp(const void *a, const void *b) {
    const ds_dirsize *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return strcmp(x->name, y->name);
}

typedef struct hlink { ino_t ino; size_t idx; } hlink;
static int hlink_cmp(const void *a, const void *b) {
    const hlink *x = a, *y = b;
    if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Bytes of regular files under each top-level entry (files at the top count under "/").
 * A hard-linked file counts once (at its first path), as in the total. */
static void dir_sizes(ds_scan *s) {
    const ds_tree *t = &s->tree;
    bool *dup = ds_xcalloc(t->n ? t->n : 1, sizeof *dup);
    hlink *hl = NULL;
    size_t nh = 0;
    for (size_t i = 0; i < t->n; i++)
        if (S_ISREG(t->e[i].mode) && t->e[i].nlink > 1) {
            hl = ds_xrealloc(hl, (nh + 1) * sizeof *hl);
            hl[nh].ino = t->e[i].ino;
            hl[nh++].idx = i;
        }
    if (nh) qsort(hl, nh, sizeof *hl, hlink_cmp);
    for (size_t k = 1; k < nh; k++)
        if (hl[k].ino == hl[k - 1].ino) dup[hl[k].idx] = true;
    free(hl);
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *e = &t->e[i];
        const char *p = e->path + 1;
        const char *sl = strchr(p, '/');
        char *top;
        if (sl) top = ds_xasprintf("/%.*s", (int)(sl - p), p);
        else if (S_ISDIR(e->mode)) top = ds_xasprintf("/%s", p);
        else top = ds_xstrdup("/");
        size_t k;
        for (k = 0; k < s->n_dirs; k++)
            if (strcmp(s->dirs[k].name, top) == 0) break;
        if (k == s->n_dirs) {
            s->dirs = ds_xrealloc(s->dirs, (s->n_dirs + 1) * sizeof *s->dirs);
            s->dirs[k].name = top;
            s->dirs[k].bytes = 0;
            s->n_dirs++;
        } else {
            free(top);
        }
        if (S_ISREG(e->mode) && !dup[i]) s->dirs[k].bytes += (uint64_t)e->size;
    }
    free(dup);
    if (s->n_dirs) qsort(s->dirs, s->n_dirs, sizeof *s->dirs, dirsize_cmp);
}

/* What could not be read is said, not left out in silence: first a count, then the paths
 * (at most 20; the JSON and text output carry the same notes). */
static void note_unreadable(ds_scan *s) {
    const ds_strlist *u = &s->tree.unreadable;
    if (!u->n) return;
    ds_strlist_addf(&s->notes, "%zu path%s could not be read (permission denied): the results may be incomplete; "
                    "scan as a user that can read the whole image (e.g. root)", u->n, u->n == 1 ? "" : "s");
    for (size_t i = 0; i < u->n && i < 20; i++) ds_strlist_addf(&s->notes, "not readable: %s", u->v[i]);
    if (u->n > 20) ds_strlist_addf(&s->notes, "not readable: ... and %zu more", u->n - 20);
}

int ds_scan_root(const char *root, const ds_scan_opts *opts, ds_scan *s, ds_err *err) {
    memset(s, 0, sizeof *s);
    s->image_ref = ds_xstrdup(opts && opts->image_ref ? opts->image_ref : root);
    if (opts && opts->labels) s->labels = json_deep_copy(opts->labels);
    if (opts && opts->digest && !strncmp(opts->digest, "sha256:", 7)) {
        s->digest = ds_xstrdup(opts->digest);
        s->image_purl = ds_image_purl(s->image_ref, s->digest);
    }
    if (ds_tree_load(root, &s->tree, err) < 0) return -1;
    note_unreadable(s);
    if (ds_verdict_compute(&s->tree, opts ? opts->user : NULL, &s->verdict, err) < 0) return -1;
    ds_pkgctx ctx = {.root = root, .distro = &s->verdict.distro, .notes = &s->notes};
    int (*scanners[])(const ds_tree *, const ds_pkgctx *, ds_pkglist *, ds_err *) = {
        ds_dpkg_scan, ds_apk_scan, ds_rpm_scan, ds_python_scan, ds_npm_scan, ds_go_scan, ds_java_scan,
    };
    for (size_t i = 0; i < sizeof scanners / sizeof *scanners; i++) {
        ds_err e;
        if (scanners[i](&s->tree, &ctx, &s->pkgs, &e) < 0) ds_strlist_add(&s->notes, e.msg);
    }
    ds_pkglist_sort(&s->pkgs);
    dir_sizes(s);
    return 0;
}

/* pkg:oci/NAME@sha256:...?repository_url=...&tag=...: NAME is the last component of the
 * repository (lowercase), the transport prefix and the tag dropped. */
char *ds_image_purl(const char *ref, const char *digest) {
    const char *r = ref;
    static const char *const pfx[] = {"docker://", "oci-archive:", "oci:", "docker-archive:", "containers-storage:"};
    for (size_t i = 0; i < sizeof pfx / sizeof *pfx; i++)
        if (!strncmp(r, pfx[i], strlen(pfx[i]))) { r += strlen(pfx[i]); break; }
    char *repo = ds_xstrdup(r);
    char *at = strchr(repo, '@');
    if (at) *at = 0;
    char *tag = NULL;
    char *sl = strrchr(repo, '/');
    char *colon = strrchr(sl ? sl : repo, ':');
    if (colon) { *colon = 0; tag = colon + 1; }
    while (*repo && repo[strlen(repo) - 1] == '/') repo[strlen(repo) - 1] = 0;
    sl = strrchr(repo, '/');
    char *name = ds_xstrdup(sl ? sl + 1 : repo);
    for (char *c = name; *c; c++) if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    if (!*name) { free(name); name = ds_xstrdup("image"); }
    char *q = NULL;
    bool registry = !strncmp(ref, "docker://", 9);
    if (registry) {
        char *ru = ds_purl_encode(repo);
        q = tag && *tag ? ds_xasprintf("repository_url=%s&tag=%s", ru, tag) : ds_xasprintf("repository_url=%s", ru);
        free(ru);
    } else if (tag && *tag) {
        char *et = ds_purl_encode(tag);
        q = ds_xasprintf("tag=%s", et);
        free(et);
    }
    char *p = ds_purl("oci", NULL, name, digest, q);
    free(q); free(name); free(repo);
    return p;
}

void ds_scan_free(ds_scan *s) {
    free(s->image_ref);
    free(s->digest);
    free(s->image_purl);
    ds_tree_free(&s->tree);
    ds_verdict_free(&s->verdict);
    ds_pkglist_free(&s->pkgs);
    ds_strlist_free(&s->notes);
    for (size_t i = 0; i < s->n_dirs; i++) free(s->dirs[i].name);
    free(s->dirs);
    json_decref(s->labels);
    memset(s, 0, sizeof *s);
}
