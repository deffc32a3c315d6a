/* Java archives (*.jar, *.war, *.ear): META-INF/maven/GROUP/ARTIFACT/pom.properties,
 * else the MANIFEST's Implementation-/Bundle- fields. libarchive reads the zip;
 * nested archives (jars inside a war or a Spring Boot jar) are not opened. */
#include <archive.h>
#include <archive_entry.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include "scan/scan_internal.h"

static char *prop(const char *text, const char *key) {
    size_t kl = strlen(key);
    for (const char *s = text; s && *s;) {
        const char *nl = strchr(s, '\n');
        size_t ll = nl ? (size_t)(nl - s) : strlen(s);
        if (ll > kl && !strncmp(s, key, kl) && (s[kl] == '=' || s[kl] == ':'))
            return ds_trim_dup(s + kl + 1, ll - kl - 1);
        s = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static void add_maven(ds_pkglist *out, const char *src, const char *g, const char *a, const char *v, const char *lic) {
    ds_pkg *p = ds_pkglist_add(out);
    p->type = ds_xstrdup("maven");
    p->name = g && *g ? ds_xasprintf("%s:%s", g, a) : ds_xstrdup(a);
    p->version = v ? ds_xstrdup(v) : NULL;
    p->license = lic ? ds_xstrdup(lic) : NULL;
    p->source = ds_xstrdup(src);
    p->ecosystem = ds_xstrdup("Maven");
    p->purl = ds_purl("maven", g && *g ? g : NULL, a, v, NULL);
    ds_strlist_add(&p->files, src);
}

static char *read_entry(struct archive *ar, la_int64_t size) {
    if (size < 0 || size > (1 << 20)) return NULL;
    char *buf = ds_xmalloc((size_t)size + 1);
    la_ssize_t n = archive_read_data(ar, buf, (size_t)size);
    if (n < 0) { free(buf); return NULL; }
    buf[n] = 0;
    return buf;
}

static void scan_jar(const char *host, const char *img_path, ds_pkglist *out, ds_strlist *notes) {
    struct archive *ar = archive_read_new();
    archive_read_support_format_zip(ar);
    if (archive_read_open_filename(ar, host, 65536) != ARCHIVE_OK) {
        ds_strlist_addf(notes, "%s: %s", img_path, archive_error_string(ar));
        archive_read_free(ar);
        return;
    }
    struct archive_entry *ent;
    size_t found = 0;
    char *manifest = NULL;
    while (archive_read_next_header(ar, &ent) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(ent);
        if (!name) continue;
        if (!fnmatch("META-INF/maven/*/*/pom.properties", name, FNM_PATHNAME)) {
            char *t = read_entry(ar, archive_entry_size(ent));
            if (!t) continue;
            char *g = prop(t, "groupId"), *a = prop(t, "artifactId"), *v = prop(t, "version");
            if (a) { add_maven(out, img_path, g, a, v, NULL); found++; }
            free(g); free(a); free(v); free(t);
        } else if (!strcmp(name, "META-INF/MANIFEST.MF") && !manifest) {
            manifest = read_entry(ar, archive_entry_size(ent));
        }
    }
    if (!found && manifest) {
        char *title = prop(manifest, "Implementation-Title");
        if (!title) title = prop(manifest, "Bundle-SymbolicName");
        char *ver = prop(manifest, "Implementation-Version");
        if (!ver) ver = prop(manifest, "Bundle-Version");
        char *vendor = prop(manifest, "Implementation-Vendor-Id");
        char *lic = prop(manifest, "Bundle-License");
        if (!title) {
            /* The file name without its extension. */
            const char *b = ds_base(img_path);
            const char *dot = strrchr(b, '.');
            title = ds_xstrndup(b, dot ? (size_t)(dot - b) : strlen(b));
        }
        if (ver) add_maven(out, img_path, vendor, title, ver, lic);
        free(title); free(ver); free(vendor); free(lic);
    }
    free(manifest);
    archive_read_free(ar);
}

static bool is_archive_name(const char *p) {
    size_t n = strlen(p);
    return n > 4 && (!strcmp(p + n - 4, ".jar") || !strcmp(p + n - 4, ".war") || !strcmp(p + n - 4, ".ear"));
}

int ds_java_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err) {
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *f = &t->e[i];
        if (!S_ISREG(f->mode) || !is_archive_name(f->path)) continue;
        char *host = ds_root_host_path(t->root, f->path);
        scan_jar(host, f->path, out, ctx->notes);
        free(host);
    }
    (void)err;
    return 0;
}
