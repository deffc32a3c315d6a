/* Go binaries: the build info Go writes into every binary (.go.buildinfo):
 * "\xff Go buildinf:", pointer size, flags; with flag 2 (Go >= 1.18) the Go
 * version and the module info follow inline as varint-prefixed strings. */
#include <string.h>
#include <sys/stat.h>
#include "scan/scan_internal.h"
#include "util/fsutil.h"

static const char MAGIC[] = "\xff Go buildinf:";

/* uvarint at *p; false when it runs past end. */
static bool uvarint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

static bool read_str(const unsigned char **p, const unsigned char *end, const unsigned char **s, size_t *n) {
    uint64_t l;
    if (!uvarint(p, end, &l) || l > (uint64_t)(end - *p)) return false;
    *s = *p;
    *n = (size_t)l;
    *p += l;
    return true;
}

static void add_mod(ds_pkglist *out, const char *source, const char *path, const char *version) {
    ds_pkg *p = ds_pkglist_add(out);
    p->type = ds_xstrdup("golang");
    p->name = ds_xstrdup(path);
    p->version = ds_xstrdup(version && *version ? version : "(devel)");
    p->source = ds_xstrdup(source);
    p->ecosystem = ds_xstrdup("Go");
    /* The purl namespace is the module path up to its last segment. */
    const char *sl = strrchr(path, '/');
    char *ns = sl ? ds_xstrndup(path, (size_t)(sl - path)) : NULL;
    bool devel = !version || !*version || !strcmp(version, "(devel)");
    p->purl = ds_purl("golang", ns, sl ? sl + 1 : path, devel ? NULL : version, NULL);
    free(ns);
}

int ds_go_parse_buildinfo(const unsigned char *data, size_t len, const char *source, ds_pkglist *out) {
    const unsigned char *m = memmem(data, len, MAGIC, sizeof MAGIC - 1);
    if (!m || (size_t)(data + len - m) < 32) return -1;
    unsigned char flags = m[15];
    if (!(flags & 2)) return -1; /* Go < 1.18: pointers into the data segment; not read */
    const unsigned char *p = m + 32, *end = data + len;
    const unsigned char *vs, *ms;
    size_t vn, mn;
    if (!read_str(&p, end, &vs, &vn) || !read_str(&p, end, &ms, &mn)) return -1;
    /* modinfo is framed by 16-byte sentinels. */
    if (mn >= 33 && ms[mn - 17] == '\n') { ms += 16; mn -= 32; }
    char *ver = ds_xstrndup((const char *)vs, vn);
    size_t first = out->n;
    if (vn > 2 && !strncmp(ver, "go", 2)) {
        char *v = ds_xasprintf("v%s", ver + 2);
        /* "go1.22.1 X:boringcrypto" -> v1.22.1 */
        v[strcspn(v, " ")] = 0;
        add_mod(out, source, "stdlib", v);
        free(v);
    }
    char *mi = ds_xstrndup((const char *)ms, mn);
    char *save = NULL;
    for (char *line = strtok_r(mi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[4] = {0};
        int n = 0;
        char *s2 = NULL;
        for (char *tok = strtok_r(line, "\t", &s2); tok && n < 4; tok = strtok_r(NULL, "\t", &s2)) f[n++] = tok;
        if (n < 2) continue;
        if ((!strcmp(f[0], "mod") || !strcmp(f[0], "dep")) && n >= 2) {
            add_mod(out, source, f[1], n >= 3 ? f[2] : NULL);
        } else if (!strcmp(f[0], "=>") && n >= 3 && out->n > first) {
            /* A replacement applies to the module just before it. */
            ds_pkg *last = &out->v[out->n - 1];
            free(last->name); free(last->version); free(last->purl); free(last->type);
            free(last->source); free(last->ecosystem);
            ds_strlist_free(&last->files);
            out->n--;
            add_mod(out, source, f[1], f[2]);
        }
    }
    free(mi);
    free(ver);
    for (size_t i = first; i < out->n; i++) ds_strlist_add(&out->v[i].files, source);
    return out->n > first ? 0 : -1;
}

int ds_go_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *f = &t->e[i];
        if (!S_ISREG(f->mode) || !(f->mode & 0111) || f->size < 1024) continue;
        char *host = ds_root_host_path(t->root, f->path);
        unsigned char *d = NULL;
        size_t len = 0;
        int rc = ds_elf_section(host, ".go.buildinfo", &d, &len);
        if (rc == -2 && f->size < (256 << 20)) {
            /* Section headers stripped: look for the blob in the whole file. */
            ds_err e;
            if (ds_read_file(host, (char **)&d, &len, 256 << 20, &e) == 0 && memmem(d, len, MAGIC, sizeof MAGIC - 1)) rc = 0;
        }
        if (rc == 0) {
            if (ds_go_parse_buildinfo(d, len, f->path, out) < 0)
                ds_strlist_addf(ctx->notes, "%s: Go build info in a format older than Go 1.18 (not read)", f->path);
        }
        free(d);
        free(host);
    }
    (void)err;
    return 0;
}
