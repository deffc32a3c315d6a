/* Alpine apk: /lib/apk/db/installed, records of "K:value" lines separated by
 * blank lines (P name, V version, A arch, L license, F dir, R file in that dir). */
#include <string.h>
#include "scan/pkgdb.h"
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

typedef struct apk_rd {
    ds_pkg cur;
    const char *rec_start; /* first line of the record being read */
    const char *source;
    const ds_pkgctx *ctx;
    ds_pkglist *out;
} apk_rd;

static void apk_line(const ds_apk_line *l, void *arg) {
    apk_rd *x = arg;
    ds_pkg *c = &x->cur;
    if (!x->rec_start) x->rec_start = l->line;
    if (l->key == 0) {
        if (c->name) {
            ds_pkg *np = ds_pkglist_add(x->out);
            *np = *c;
            np->source = ds_xstrdup(x->source);
            np->record = ds_xstrndup(x->rec_start, (size_t)(l->line - x->rec_start));
            finish(np, x->ctx);
        } else {
            free(c->version); free(c->arch); free(c->license); free(c->origin);
            ds_strlist_free(&c->files);
        }
        memset(c, 0, sizeof *c);
        x->rec_start = NULL;
        return;
    }
    char **slot = NULL;
    switch (l->key) {
    case 'P': slot = &c->name; break;
    case 'V': slot = &c->version; break;
    case 'A': slot = &c->arch; break;
    case 'L': slot = &c->license; break;
    case 'o': slot = &c->origin; break;
    case 'R': if (l->file) ds_strlist_add(&c->files, l->file); break;
    default: break;
    }
    if (slot && !*slot) *slot = ds_xstrndup(l->val, l->val_len);
}

int ds_apk_parse_installed(const char *text, size_t len, const char *source, const ds_pkgctx *ctx,
                           ds_pkglist *out, ds_err *err) {
    apk_rd x = {.source = source, .ctx = ctx, .out = out};
    ds_apk_each(text, len, apk_line, &x);
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
