/* Small building blocks of the scanner: string lists, package lists, purls,
 * and its wrappers over fs/root_path.h (paths that never leave the image root). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/root_path.h"
#include "scan/scan.h"
#include "util/fsutil.h"

ds_pkg *ds_pkglist_add(ds_pkglist *l) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = ds_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    ds_pkg *p = &l->v[l->n++];
    memset(p, 0, sizeof *p);
    return p;
}

static void pkg_free(ds_pkg *p) {
    free(p->type); free(p->name); free(p->version); free(p->arch); free(p->license);
    free(p->source); free(p->purl); free(p->ecosystem); free(p->origin);
    free(p->record); free(p->db_file);
    ds_strlist_free(&p->files);
}

void ds_pkglist_free(ds_pkglist *l) {
    for (size_t i = 0; i < l->n; i++) pkg_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int nz_cmp(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }
static int pkg_cmp(const void *x, const void *y) {
    const ds_pkg *a = x, *b = y;
    int c;
    if ((c = nz_cmp(a->type, b->type))) return c;
    if ((c = nz_cmp(a->name, b->name))) return c;
    if ((c = nz_cmp(a->version, b->version))) return c;
    if ((c = nz_cmp(a->arch, b->arch))) return c;
    return nz_cmp(a->source, b->source);
}
void ds_pkglist_sort(ds_pkglist *l) {
    if (l->n) qsort(l->v, l->n, sizeof *l->v, pkg_cmp);
}

char *ds_purl_encode(const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *o = ds_xmalloc(n * 3 + 1), *q = o;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '_' || c == '~') {
            *q++ = (char)c;
        } else {
            *q++ = '%'; *q++ = hex[c >> 4]; *q++ = hex[c & 15];
        }
    }
    *q = 0;
    return o;
}

/* Namespaces keep their '/' separators; each segment is encoded. */
static char *encode_ns(const char *ns) {
    char *out = ds_xstrdup("");
    const char *p = ns;
    while (*p) {
        const char *s = strchr(p, '/');
        size_t len = s ? (size_t)(s - p) : strlen(p);
        char *seg = ds_xstrndup(p, len);
        char *enc = ds_purl_encode(seg);
        char *n = ds_xasprintf("%s%s%s", out, *out ? "/" : "", enc);
        free(out); free(seg); free(enc);
        out = n;
        p += len;
        if (*p == '/') p++;
    }
    return out;
}

char *ds_purl(const char *type, const char *ns, const char *name, const char *version, const char *qualifiers) {
    char *ens = ns && *ns ? encode_ns(ns) : NULL;
    char *en = ds_purl_encode(name ? name : "");
    char *ev = version && *version ? ds_purl_encode(version) : NULL;
    char *r = ds_xasprintf("pkg:%s/%s%s%s%s%s%s%s", type, ens ? ens : "", ens ? "/" : "", en,
                           ev ? "@" : "", ev ? ev : "", qualifiers && *qualifiers ? "?" : "",
                           qualifiers && *qualifiers ? qualifiers : "");
    free(ens); free(en); free(ev);
    return r;
}

char *ds_root_host_path(const char *root, const char *image_path) {
    return ds_xasprintf("%s%s%s", root, image_path[0] == '/' ? "" : "/", image_path);
}

/* The scan takes the root as a path string per call: each call opens it for fs/root_path.h,
 * which keeps the lookup and the open inside it. */
char *ds_root_resolve(const char *root, const char *path, bool follow_last) {
    ds_rp rp;
    if (ds_rp_open(&rp, root, &(ds_err){0}) < 0) return NULL;
    char *r = ds_rp_resolve(&rp, path, follow_last ? 0 : DS_RP_NOFOLLOW, NULL, NULL, NULL);
    ds_rp_close(&rp);
    return r;
}

int ds_root_read(const char *root, const char *path, char **data, size_t *len, size_t max_len, ds_err *err) {
    ds_rp rp;
    char *r = NULL;
    if (ds_rp_open(&rp, root, &(ds_err){0}) == 0) r = ds_rp_resolve(&rp, path, 0, NULL, NULL, NULL);
    if (!r) {
        if (rp.fd >= 0) ds_rp_close(&rp);
        errno = ENOENT;
        return ds_fail_errno(err, "%s (in %s)", path, root);
    }
    int fd = ds_rp_open_at(&rp, r, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
    ds_rp_close(&rp);
    if (fd < 0) {
        free(r);
        return ds_fail_errno(err, "%s (in %s)", path, root);
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        free(r);
        return ds_fail(err, "%s (in %s): not a regular file", path, root);
    }
    /* Messages past this point name the host path, as reading it by name did. */
    char *host = ds_root_host_path(root, r);
    int rc = ds_read_fd(fd, host, data, len, max_len, err);
    close(fd);
    free(host);
    free(r);
    return rc;
}
