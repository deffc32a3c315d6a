/* Small building blocks of the scanner: string lists, package lists, purls,
 * and path resolution that never leaves the image root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scan/scan.h"
#include "util/fsutil.h"

void ds_strlist_add(ds_strlist *l, const char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = ds_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = ds_xstrdup(s);
}

void ds_strlist_addf(ds_strlist *l, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    va_end(ap);
    ds_strlist_add(l, s);
    free(s);
}

bool ds_strlist_has(const ds_strlist *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return true;
    return false;
}

void ds_strlist_free(ds_strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

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

/* Resolution works on a stack of components: symlink targets are spliced in
 * front of the remaining ones; an absolute target restarts at the root. */
char *ds_root_resolve(const char *root, const char *path, bool follow_last) {
    char resolved[PATH_MAX] = "";
    size_t rlen = 0;
    char *rest = ds_xstrdup(path);
    int links = 0;
    char *out = NULL;
    for (;;) {
        char *p = rest;
        while (*p == '/') p++;
        if (!*p) break;
        char *slash = strchr(p, '/');
        size_t clen = slash ? (size_t)(slash - p) : strlen(p);
        char comp[NAME_MAX + 1];
        if (clen > NAME_MAX) goto done;
        memcpy(comp, p, clen);
        comp[clen] = 0;
        char *after = ds_xstrdup(slash ? slash : "");
        bool last = true;
        for (const char *a = after; *a; a++)
            if (*a != '/') { last = false; break; }
        free(rest);
        rest = after;
        if (strcmp(comp, ".") == 0) continue;
        if (strcmp(comp, "..") == 0) {
            while (rlen > 0 && resolved[rlen - 1] != '/') rlen--;
            if (rlen > 0) rlen--;
            resolved[rlen] = 0;
            continue;
        }
        if (rlen + 1 + clen >= sizeof resolved) goto done;
        size_t save = rlen;
        resolved[rlen++] = '/';
        memcpy(resolved + rlen, comp, clen + 1);
        rlen += clen;
        char *host = ds_root_host_path(root, resolved);
        struct stat st;
        int r = lstat(host, &st);
        if (r < 0) { free(host); goto done; }
        if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
            if (++links > 40) { free(host); goto done; }
            char target[PATH_MAX];
            ssize_t tl = readlink(host, target, sizeof target - 1);
            free(host);
            if (tl < 0) goto done;
            target[tl] = 0;
            char *nrest = ds_xasprintf("%s%s", target, rest);
            free(rest);
            rest = nrest;
            if (target[0] == '/') rlen = 0;
            else rlen = save;
            resolved[rlen] = 0;
            continue;
        }
        free(host);
        if (!last && !S_ISDIR(st.st_mode)) goto done;
    }
    out = ds_xstrdup(rlen ? resolved : "/");
done:
    free(rest);
    return out;
}

int ds_root_read(const char *root, const char *path, char **data, size_t *len, size_t max_len, ds_err *err) {
    char *r = ds_root_resolve(root, path, true);
    if (!r) {
        errno = ENOENT;
        return ds_fail_errno(err, "%s (in %s)", path, root);
    }
    char *host = ds_root_host_path(root, r);
    free(r);
    /* The resolved path has no symlinks left; O_NOFOLLOW guards against a swap. */
    int fd = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int rc = ds_fail_errno(err, "%s (in %s)", path, root);
        free(host);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        free(host);
        return ds_fail(err, "%s (in %s): not a regular file", path, root);
    }
    close(fd);
    int rc = ds_read_file(host, data, len, max_len, err);
    free(host);
    return rc;
}
