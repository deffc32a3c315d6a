/* dpkg: /var/lib/dpkg/status (files from info/NAME.list) and the distroless
 * layout /var/lib/dpkg/status.d/NAME (files from status.d/NAME.md5sums).
 * Licenses come from /usr/share/doc/NAME/copyright when it is there. */
#include <ctype.h>
#include <dirent.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "scan/pkgdb.h"
#include "scan/scan_internal.h"

/* Field values may continue on lines starting with a space; we keep the first
 * line only, which is all the single-line fields we read need. */
char *ds_control_field(const char *p, const char *end, const char *field) {
    size_t fl = strlen(field);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > fl && p[fl] == ':' && strncasecmp(p, field, fl) == 0)
            return ds_trim_dup(p + fl + 1, (size_t)(le - p - (ptrdiff_t)fl - 1));
        p = nl ? nl + 1 : end;
    }
    return NULL;
}

static bool status_installed(const char *status) {
    if (!status) return true; /* distroless status.d files may omit it */
    const char *w = strrchr(status, ' ');
    w = w ? w + 1 : status;
    return strcmp(w, "not-installed") != 0 && strcmp(w, "config-files") != 0;
}

static char *distro_qualifier(const ds_distro *d) {
    if (!d || !d->id) return NULL;
    if (d->version_id) return ds_xasprintf("%s-%s", d->id, d->version_id);
    if (d->codename) return ds_xasprintf("%s-%s", d->id, d->codename);
    return ds_xstrdup(d->id);
}

/* OSV ecosystem: "Debian:12", "Ubuntu:22.04". */
static char *deb_ecosystem(const ds_distro *d) {
    const char *id = d && d->id ? d->id : "debian";
    char *name = ds_xstrdup(id);
    name[0] = (char)toupper((unsigned char)name[0]);
    char *r = d && d->version_id ? ds_xasprintf("%s:%s", name, d->version_id) : ds_xstrdup(name);
    free(name);
    return r;
}

static void fill_deb(ds_pkg *p, const ds_pkgctx *ctx) {
    p->type = ds_xstrdup("deb");
    const char *ns = ctx && ctx->distro && ctx->distro->id ? ctx->distro->id : "debian";
    char *dq = distro_qualifier(ctx ? ctx->distro : NULL);
    char *q;
    if (p->arch && dq) q = ds_xasprintf("arch=%s&distro=%s", p->arch, dq);
    else if (p->arch) q = ds_xasprintf("arch=%s", p->arch);
    else q = dq ? ds_xasprintf("distro=%s", dq) : NULL;
    p->purl = ds_purl("deb", ns, p->name, p->version, q);
    p->ecosystem = deb_ecosystem(ctx ? ctx->distro : NULL);
    free(q);
    free(dq);
}

int ds_dpkg_parse_status(const char *text, size_t len, const char *source, const ds_pkgctx *ctx,
                         ds_pkglist *out, ds_err *err) {
    size_t pos = 0;
    const char *ps, *pe;
    while (ds_control_next(text, len, &pos, &ps, &pe)) {
        char *name = ds_control_field(ps, pe, "Package");
        char *status = ds_control_field(ps, pe, "Status");
        if (!name || !*name || !status_installed(status)) { free(name); free(status); continue; }
        free(status);
        ds_pkg *p = ds_pkglist_add(out);
        p->name = name;
        p->version = ds_control_field(ps, pe, "Version");
        p->arch = ds_control_field(ps, pe, "Architecture");
        p->license = ds_control_field(ps, pe, "License"); /* rare, but some tools record it */
        p->source = ds_xstrdup(source);
        p->record = ds_xstrndup(ps, (size_t)(pe - ps));
        char *src = ds_control_field(ps, pe, "Source");
        if (src) {
            /* "Source: glibc (2.36-9+deb12u4)": the name is the first word. */
            p->origin = ds_xstrndup(src, strcspn(src, " "));
            free(src);
        }
        fill_deb(p, ctx);
    }
    (void)err;
    return 0;
}

static void add_file(const char *path, const char *line, size_t n, void *arg) {
    (void)line; (void)n;
    if (path) ds_strlist_add(&((ds_pkg *)arg)->files, path);
}

/* Known license texts, for copyright files that are not machine-readable. */
static char *guess_license(const char *text) {
    static const struct { const char *needle, *spdx; } K[] = {
        {"Apache License, Version 2.0", "Apache-2.0"},
        {"GNU LESSER GENERAL PUBLIC LICENSE", "LGPL"},
        {"GNU Lesser General Public License", "LGPL"},
        {"GNU GENERAL PUBLIC LICENSE", "GPL"},
        {"GNU General Public License", "GPL"},
        {"Permission is hereby granted, free of charge", "MIT"},
        {"Redistribution and use in source and binary forms", "BSD"},
        {"/usr/share/common-licenses/GPL-3", "GPL-3"},
        {"/usr/share/common-licenses/GPL-2", "GPL-2"},
        {"/usr/share/common-licenses/LGPL-2.1", "LGPL-2.1"},
        {"public domain", "public-domain"},
    };
    for (size_t i = 0; i < sizeof K / sizeof *K; i++)
        if (strstr(text, K[i].needle)) return ds_xstrdup(K[i].spdx);
    return NULL;
}

static char *copyright_license(const char *root, const char *name) {
    char *path = ds_xasprintf("/usr/share/doc/%s/copyright", name);
    char *text = NULL;
    ds_err e;
    int rc = ds_root_read(root, path, &text, NULL, 4 << 20, &e);
    free(path);
    if (rc < 0) return NULL;
    /* Machine-readable copyright (DEP-5): the distinct "License:" names, joined by "and"
     * (each one may itself be "A or B"). */
    char *lic = NULL;
    ds_strlist seen = {0};
    for (const char *s = text; s && *s && seen.n < 64;) {
        if (strncmp(s, "License:", 8) == 0) {
            const char *nl = strchr(s, '\n');
            char *one = ds_trim_dup(s + 8, nl ? (size_t)(nl - s - 8) : strlen(s + 8));
            if (*one && !ds_strlist_has(&seen, one)) {
                ds_strlist_add(&seen, one);
                bool alt = strstr(one, " or ") || strstr(one, " OR ") || strchr(one, ',');
                /* "A or B" (or DEP-5's commas) in parentheses: "and" binds tighter than "or". */
                char *n = lic ? ds_xasprintf(alt ? "%s and (%s)" : "%s and %s", lic, one)
                              : ds_xasprintf(alt ? "(%s)" : "%s", one);
                free(lic);
                lic = n;
            }
            free(one);
        }
        s = strchr(s, '\n');
        if (s) s++;
    }
    ds_strlist_free(&seen);
    if (!lic) lic = guess_license(text);
    free(text);
    return lic;
}

static void enrich(ds_pkg *p, const char *root, const char *admindir, bool files_from_list) {
    if (!p->license) p->license = copyright_license(root, p->name);
    if (!files_from_list) return;
    char *text = NULL;
    size_t len = 0;
    ds_err e;
    char *path = ds_xasprintf("%s/info/%s:%s.list", admindir, p->name, p->arch ? p->arch : "");
    if (ds_root_read(root, path, &text, &len, 64 << 20, &e) < 0) {
        free(path);
        path = ds_xasprintf("%s/info/%s.list", admindir, p->name);
        if (ds_root_read(root, path, &text, &len, 64 << 20, &e) < 0) text = NULL;
    }
    if (text) {
        ds_dpkg_list_each(text, len, false, add_file, p);
        p->db_file = path;
        path = NULL;
    }
    free(path);
    free(text);
}

int ds_dpkg_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    const char *admin = "/var/lib/dpkg";
    char *text = NULL;
    size_t len = 0;
    ds_err e;
    if (ds_root_read(t->root, "/var/lib/dpkg/status", &text, &len, 256 << 20, &e) == 0) {
        size_t first = out->n;
        ds_dpkg_parse_status(text, len, "/var/lib/dpkg/status", ctx, out, err);
        free(text);
        for (size_t i = first; i < out->n; i++) enrich(&out->v[i], t->root, admin, true);
    }
    /* Distroless: one status file per package, md5sums beside it. */
    size_t pl = strlen("/var/lib/dpkg/status.d/");
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *f = &t->e[i];
        if (strncmp(f->path, "/var/lib/dpkg/status.d/", pl) != 0 || !S_ISREG(f->mode)) continue;
        if (strchr(f->path + pl, '/')) continue;
        size_t fl = strlen(f->path);
        if (fl > 8 && strcmp(f->path + fl - 8, ".md5sums") == 0) continue;
        if (ds_root_read(t->root, f->path, &text, &len, 16 << 20, &e) < 0) {
            ds_strlist_addf(ctx->notes, "%s", e.msg);
            continue;
        }
        size_t first = out->n;
        ds_dpkg_parse_status(text, len, f->path, ctx, out, err);
        free(text);
        for (size_t k = first; k < out->n; k++) {
            ds_pkg *p = &out->v[k];
            enrich(p, t->root, admin, false);
            char *md5 = ds_xasprintf("%s.md5sums", f->path);
            char *m = NULL;
            size_t ml = 0;
            if (ds_root_read(t->root, md5, &m, &ml, 64 << 20, &e) == 0) {
                ds_dpkg_list_each(m, ml, true, add_file, p);
                free(p->db_file);
                p->db_file = md5;
                md5 = NULL;
            }
            free(m);
            free(md5);
        }
    }
    return 0;
}
