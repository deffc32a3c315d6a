/* Alpine apk: /lib/apk/db/installed, records of "K:value" lines separated by
 * blank lines (P name, V version, A arch, L license, F dir, R file in that dir). */
#include <string.h>
#include "scan/scan_internal.h"

static void finish(ds_pkg *p, const ds_pkgctx *ctx) {
    const ds_distro *d = ctx ? ctx->distro : NULL;
    const char *ns = d && d->id ? d->id : "alpine";
    char *q;
    if (p->arch && d && d->version_id) q = ds_xasprintf("arch=%s&distro=%s", p->arch, d->version_id);
    else if (p->arch) q = ds_xasprintf("arch=%s", p->arch);
    else q = NULL;
    p->type = ds_xstrdup("apk");
    p->purl = ds_purl("apk", ns, p->name, p->version, q);
    free(q);
    /* OSV names Alpine releases "Alpine:v3.19" (major.minor). */
    if (d && d->version_id) {
        const char *dot = strchr(d->version_id, '.');
        const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
        size_t n = dot2 ? (size_t)(dot2 - d->version_id) : strlen(d->version_id);
        p->ecosystem = ds_xasprintf("Alpine:v%.*s", (int)n, d->version_id);
    } else {
        p->ecosystem = ds_xstrdup("Alpine");
    }
}

int ds_apk_parse_installed(const char *text, size_t len, const char *source, const ds_pkgctx *ctx,
                           ds_pkglist *out, ds_err *err) {
    const char *p = text, *end = text + len;
    ds_pkg cur;
    memset(&cur, 0, sizeof cur);
    char *dir = NULL;
    for (;;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        const char *le = nl ? nl : end;
        bool blank = le == p;
        if (blank || p >= end) {
            if (cur.name) {
                ds_pkg *np = ds_pkglist_add(out);
                *np = cur;
                np->source = ds_xstrdup(source);
                finish(np, ctx);
            } else {
                free(cur.version); free(cur.arch); free(cur.license); free(cur.origin);
                ds_strlist_free(&cur.files);
            }
            memset(&cur, 0, sizeof cur);
            free(dir);
            dir = NULL;
            if (p >= end) break;
        } else if (le - p >= 2 && p[1] == ':') {
            char *v = ds_xstrndup(p + 2, (size_t)(le - p - 2));
            char **slot = NULL;
            switch (p[0]) {
            case 'P': slot = &cur.name; break;
            case 'V': slot = &cur.version; break;
            case 'A': slot = &cur.arch; break;
            case 'L': slot = &cur.license; break;
            case 'o': slot = &cur.origin; break;
            case 'F': free(dir); dir = v; v = NULL; break;
            case 'R':
                ds_strlist_addf(&cur.files, "/%s%s%s", dir ? dir : "", dir ? "/" : "", v);
                break;
            default: break;
            }
            if (slot && !*slot) { *slot = v; v = NULL; }
            free(v);
        }
        if (!nl) p = end;
        else p = nl + 1;
    }
    (void)err;
    return 0;
}

int ds_apk_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    char *text = NULL;
    size_t len;
    ds_err e;
    if (ds_root_read(t->root, "/lib/apk/db/installed", &text, &len, 256 << 20, &e) < 0) return 0;
    int rc = ds_apk_parse_installed(text, len, "/lib/apk/db/installed", ctx, out, err);
    free(text);
    return rc;
}
