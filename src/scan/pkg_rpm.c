/* rpm: the SQLite database (/var/lib/rpm/rpmdb.sqlite, rpm >= 4.16: Fedora 33+, RHEL 9,
 * Rocky/Alma 9, ...). Each row of table Packages holds one header blob:
 *   be32 il (index entries), be32 dl (data bytes), il x {be32 tag, type, offset, count}, data.
 * The database is opened read-only and immutable (no -wal/-shm written into the
 * image). Berkeley DB (Packages) and NDB (Packages.db) databases are only noted. */
#include <ctype.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include "scan/scan_internal.h"

enum { RPM_INT32 = 4, RPM_STRING = 6, RPM_STRING_ARRAY = 8, RPM_I18NSTRING = 9 };
enum {
    TAG_NAME = 1000, TAG_VERSION = 1001, TAG_RELEASE = 1002, TAG_EPOCH = 1003, TAG_LICENSE = 1014,
    TAG_ARCH = 1022, TAG_SOURCERPM = 1044, TAG_DIRINDEXES = 1116, TAG_BASENAMES = 1117, TAG_DIRNAMES = 1118,
};

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct hdr {
    const unsigned char *index, *data;
    uint32_t il, dl;
} hdr;

/* Entry for TAG: data pointer and count, bounds-checked; false when absent or bad. */
static bool entry(const hdr *h, uint32_t tag, uint32_t want_type, const unsigned char **p, uint32_t *count) {
    for (uint32_t i = 0; i < h->il; i++) {
        const unsigned char *e = h->index + (size_t)i * 16;
        if (be32(e) != tag) continue;
        uint32_t type = be32(e + 4), off = be32(e + 8), cnt = be32(e + 12);
        if (type != want_type && !(want_type == RPM_STRING && type == RPM_I18NSTRING) &&
            !(want_type == RPM_STRING_ARRAY && type == RPM_I18NSTRING))
            return false;
        if (off >= h->dl) return false;
        *p = h->data + off;
        *count = cnt;
        return true;
    }
    return false;
}

/* The i-th NUL-terminated string from p (within the data area), or NULL. */
static const char *nth_string(const hdr *h, const unsigned char *p, uint32_t n) {
    const unsigned char *end = h->data + h->dl;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *z = memchr(p, 0, (size_t)(end - p));
        if (!z) return NULL;
        p = z + 1;
        if (p >= end) return NULL;
    }
    if (!memchr(p, 0, (size_t)(end - p))) return NULL;
    return (const char *)p;
}

static char *str_tag(const hdr *h, uint32_t tag) {
    const unsigned char *p;
    uint32_t c;
    if (!entry(h, tag, RPM_STRING, &p, &c)) return NULL;
    const char *s = nth_string(h, p, 0);
    return s ? ds_xstrdup(s) : NULL;
}

static char *rpm_ecosystem(const ds_distro *d) {
    static const struct { const char *id, *eco; } M[] = {
        {"rhel", "Red Hat"}, {"rocky", "Rocky Linux"}, {"almalinux", "AlmaLinux"}, {"ol", "Oracle Linux"},
        {"opensuse-leap", "openSUSE"}, {"sles", "SUSE"}, {"azurelinux", "Azure Linux"}, {"mariner", "Mariner"},
    };
    const char *id = d && d->id ? d->id : NULL;
    for (size_t i = 0; id && i < sizeof M / sizeof *M; i++)
        if (!strcmp(id, M[i].id)) return ds_xstrdup(M[i].eco);
    /* No OSV ecosystem of its own (Fedora, ...): "rpm:<id>" keeps the rpm ordering. */
    return ds_xasprintf("rpm:%s", id ? id : "unknown");
}

int ds_rpm_parse_header(const unsigned char *blob, size_t len, const char *source, const ds_pkgctx *ctx,
                        ds_pkglist *out) {
    if (len < 8) return -1;
    hdr h;
    h.il = be32(blob);
    h.dl = be32(blob + 4);
    if (h.il > 100000 || h.dl > (256u << 20) || (uint64_t)8 + (uint64_t)h.il * 16 + h.dl > len) return -1;
    h.index = blob + 8;
    h.data = blob + 8 + (size_t)h.il * 16;
    char *name = str_tag(&h, TAG_NAME);
    if (!name || !*name) { free(name); return -1; }
    char *ver = str_tag(&h, TAG_VERSION), *rel = str_tag(&h, TAG_RELEASE);
    const unsigned char *ep;
    uint32_t c;
    long epoch = -1;
    if (entry(&h, TAG_EPOCH, RPM_INT32, &ep, &c) && c >= 1 && (size_t)(ep - h.data) + 4 <= h.dl) epoch = (long)be32(ep);
    ds_pkg *p = ds_pkglist_add(out);
    p->type = ds_xstrdup("rpm");
    p->name = name;
    char *vr = rel ? ds_xasprintf("%s-%s", ver ? ver : "", rel) : ds_xstrdup(ver ? ver : "");
    p->version = epoch > 0 ? ds_xasprintf("%ld:%s", epoch, vr) : ds_xstrdup(vr);
    p->arch = str_tag(&h, TAG_ARCH);
    p->license = str_tag(&h, TAG_LICENSE);
    p->source = ds_xstrdup(source);
    char *srpm = str_tag(&h, TAG_SOURCERPM);
    if (srpm) {
        /* "openssl-3.0.7-24.el9.src.rpm" -> "openssl": drop ".src.rpm", then -release, then -version. */
        char *dash = strrchr(srpm, '-');
        if (dash) { *dash = 0; dash = strrchr(srpm, '-'); if (dash) *dash = 0; }
        p->origin = srpm;
    }
    const ds_distro *d = ctx ? ctx->distro : NULL;
    p->ecosystem = rpm_ecosystem(d);
    char q[256] = "";
    size_t ql = 0;
    if (p->arch) ql += (size_t)snprintf(q + ql, sizeof q - ql, "arch=%s", p->arch);
    if (epoch > 0 && ql < sizeof q) ql += (size_t)snprintf(q + ql, sizeof q - ql, "%sepoch=%ld", ql ? "&" : "", epoch);
    if (d && d->id && d->version_id && ql < sizeof q)
        snprintf(q + ql, sizeof q - ql, "%sdistro=%s-%s", ql ? "&" : "", d->id, d->version_id);
    p->purl = ds_purl("rpm", d && d->id ? d->id : NULL, name, vr, q);
    free(vr); free(ver); free(rel);
    /* Files: dirnames[dirindexes[i]] + basenames[i]. */
    const unsigned char *bn, *dn, *di;
    uint32_t nb, nd, ni;
    if (entry(&h, TAG_BASENAMES, RPM_STRING_ARRAY, &bn, &nb) && entry(&h, TAG_DIRNAMES, RPM_STRING_ARRAY, &dn, &nd) &&
        entry(&h, TAG_DIRINDEXES, RPM_INT32, &di, &ni) && ni == nb && nb <= h.dl && nd <= h.dl &&
        (size_t)(di - h.data) + (size_t)ni * 4 <= h.dl) {
        const char **dirs = ds_xcalloc(nd ? nd : 1, sizeof *dirs);
        const unsigned char *q2 = dn;
        const unsigned char *end = h.data + h.dl;
        for (uint32_t i = 0; i < nd && q2 < end; i++) {
            const unsigned char *z = memchr(q2, 0, (size_t)(end - q2));
            if (!z) break;
            dirs[i] = (const char *)q2;
            q2 = z + 1;
        }
        const unsigned char *b = bn;
        for (uint32_t i = 0; i < nb && b < end; i++) {
            const unsigned char *z = memchr(b, 0, (size_t)(end - b));
            if (!z) break;
            uint32_t k = be32(di + (size_t)i * 4);
            if (k < nd && dirs[k]) ds_strlist_addf(&p->files, "%s%s", dirs[k], (const char *)b);
            b = z + 1;
        }
        free(dirs);
    }
    return 0;
}

/* SQLite URIs need '%', '?' and '#' escaped in the path. */
static char *sqlite_uri(const char *path) {
    size_t n = strlen(path);
    char *o = ds_xmalloc(n * 3 + 32), *q = o;
    q += sprintf(q, "file:");
    for (const char *s = path; *s; s++) {
        if (*s == '%' || *s == '?' || *s == '#') q += sprintf(q, "%%%02X", (unsigned char)*s);
        else *q++ = *s;
    }
    strcpy(q, "?immutable=1");
    return o;
}

static int read_sqlite(const char *host, const char *img_path, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    char *uri = sqlite_uri(host);
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        int r = ds_fail(err, "%s: %s", img_path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return r;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT hnum, blob FROM Packages", -1, &st, NULL) != SQLITE_OK) {
        int r = ds_fail(err, "%s: %s", img_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return r;
    }
    size_t bad = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 1);
        int n = sqlite3_column_bytes(st, 1);
        if (!b || n <= 0 || ds_rpm_parse_header(b, (size_t)n, img_path, ctx, out) < 0) { bad++; continue; }
        out->v[out->n - 1].rpm_hnum = sqlite3_column_int64(st, 0);
        out->v[out->n - 1].db_file = ds_xstrdup(img_path);
    }
    int r = 0;
    if (rc != SQLITE_DONE) r = ds_fail(err, "%s: %s", img_path, sqlite3_errmsg(db));
    if (bad) ds_strlist_addf(ctx->notes, "%s: %zu unreadable package headers", img_path, bad);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return r;
}

int ds_rpm_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    static const char *const SQLITE_DBS[] = {"/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite", NULL};
    bool done = false;
    for (const char *const *d = SQLITE_DBS; *d && !done; d++) {
        char *r = ds_root_resolve(t->root, *d, true);
        const ds_fentry *e = r ? ds_tree_find(t, r) : NULL;
        if (e && S_ISREG(e->mode)) {
            char *host = ds_root_host_path(t->root, r);
            if (read_sqlite(host, *d, ctx, out, err) < 0) ds_strlist_add(ctx->notes, err->msg);
            free(host);
            done = true;
        }
        free(r);
    }
    static const char *const OTHER[] = {"/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db",
                                        "/usr/lib/sysimage/rpm/Packages", "/usr/lib/sysimage/rpm/Packages.db", NULL};
    for (const char *const *d = OTHER; *d && !done; d++)
        if (ds_tree_find(t, *d))
            ds_strlist_addf(ctx->notes, "%s: Berkeley DB / NDB rpm databases are not read (rpm packages are missing from the list)", *d);
    return 0;
}
