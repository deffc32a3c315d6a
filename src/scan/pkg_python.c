/* Python distributions: *.dist-info/METADATA (+ RECORD for the files) and
 * *.egg-info (a directory with PKG-INFO, or a single file), wherever they are. */
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "scan/pkgdb.h"
#include "scan/scan_internal.h"

/* Header fields end at the first blank line (the description follows). */
int ds_python_parse_metadata(const char *text, size_t len, ds_pkg *p) {
    const char *s = text, *end = text + len;
    char *classifier_license = NULL;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - s);
        if (ll == 0 || (ll == 1 && *s == '\r')) break;
        const char *colon = memchr(s, ':', ll);
        if (colon && s[0] != ' ' && s[0] != '\t') {
            size_t kl = (size_t)(colon - s);
            char *val = ds_trim_dup(colon + 1, (size_t)(le - colon - 1));
            char **slot = NULL;
            if (kl == 4 && !strncasecmp(s, "Name", 4)) slot = &p->name;
            else if (kl == 7 && !strncasecmp(s, "Version", 7)) slot = &p->version;
            else if (kl == 18 && !strncasecmp(s, "License-Expression", 18)) {
                free(p->license); p->license = val; val = NULL;
            } else if (kl == 7 && !strncasecmp(s, "License", 7)) slot = &p->license;
            else if (kl == 10 && !strncasecmp(s, "Classifier", 10) && !strncmp(val, "License :: ", 11)) {
                const char *last = strrchr(val, ':');
                if (!classifier_license && last) classifier_license = ds_trim_dup(last + 1, strlen(last + 1));
            }
            /* Multi-line License texts and UNKNOWN say nothing useful. */
            if (slot && !*slot && *val && strcmp(val, "UNKNOWN")) { *slot = val; val = NULL; }
            free(val);
        }
        s = nl ? nl + 1 : end;
    }
    if (!p->license && classifier_license) { p->license = classifier_license; classifier_license = NULL; }
    free(classifier_license);
    return p->name && p->version ? 0 : -1;
}

static void add_file(const char *path, const char *line, size_t n, void *arg) {
    (void)line; (void)n;
    if (path) ds_strlist_add(&((ds_pkg *)arg)->files, path);
}

static void add_record(ds_pkg *p, const char *root, const char *info_dir) {
    char *rec = ds_xasprintf("%s/RECORD", info_dir), *text = NULL;
    size_t len = 0;
    ds_err e;
    int rc = ds_root_read(root, rec, &text, &len, 64 << 20, &e);
    if (rc < 0) { free(rec); return; }
    p->db_file = rec;
    const char *sl = strrchr(info_dir, '/');
    char *site = ds_xstrndup(info_dir, sl ? (size_t)(sl - info_dir) : 0);
    ds_python_record_each(text, len, site, add_file, p);
    free(site);
    free(text);
}

static char *pypi_name(const char *n) {
    char *o = ds_xstrdup(n);
    for (char *p = o; *p; p++) {
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        if (*p == '_' || *p == '.') *p = '-';
    }
    return o;
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int ds_python_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *f = &t->e[i];
        const char *meta = NULL;
        char *meta_path = NULL;
        bool dir = S_ISDIR(f->mode);
        if (dir && ends_with(f->path, ".dist-info")) meta = "METADATA";
        else if (dir && ends_with(f->path, ".egg-info")) meta = "PKG-INFO";
        else if (S_ISREG(f->mode) && ends_with(f->path, ".egg-info")) meta_path = ds_xstrdup(f->path);
        else continue;
        if (!meta_path) meta_path = ds_xasprintf("%s/%s", f->path, meta);
        char *text = NULL;
        size_t len;
        ds_err e;
        if (ds_root_read(t->root, meta_path, &text, &len, 16 << 20, &e) < 0) { free(meta_path); continue; }
        ds_pkg tmp;
        memset(&tmp, 0, sizeof tmp);
        if (ds_python_parse_metadata(text, len, &tmp) == 0) {
            ds_pkg *p = ds_pkglist_add(out);
            *p = tmp;
            p->type = ds_xstrdup("pypi");
            p->source = ds_xstrdup(meta_path);
            p->ecosystem = ds_xstrdup("PyPI");
            char *n = pypi_name(p->name);
            p->purl = ds_purl("pypi", NULL, n, p->version, NULL);
            free(n);
            if (dir && meta && !strcmp(meta, "METADATA")) add_record(p, t->root, f->path);
        } else {
            free(tmp.name); free(tmp.version); free(tmp.license);
            ds_strlist_addf(ctx->notes, "%s: no Name/Version", meta_path);
        }
        free(text);
        free(meta_path);
    }
    (void)err;
    return 0;
}
