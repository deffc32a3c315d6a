/* Package metadata for exactly what a build kept, in the forms scanners read, so that a
 * distilled image still names its packages (trivy, grype, syft and `distill scan`):
 *  - dpkg: var/lib/dpkg/status.d/PKG (the package's control paragraph from the source's
 *    status or status.d) and status.d/PKG.md5sums with the kept files only, as Google
 *    distroless does. No var/lib/dpkg/status, no info/, no maintainer scripts: there is
 *    no dpkg to use them (whatever of them the closure kept is removed). And the package's
 *    /usr/share/doc/PKG/copyright, where scanners read its license.
 *  - apk: lib/apk/db/installed with the kept packages and their kept files only.
 *  - rpm (SQLite rpmdb): the database with the rows of the packages that kept no file
 *    deleted from every table (VACUUMed: the same input gives the same bytes). A kept
 *    package's header still lists all its files: headers are signed blobs, rewriting one
 *    would break its signature. Berkeley DB / NDB databases are not written.
 *  - Python dist-info: METADATA, and RECORD with the kept files only (plus METADATA and
 *    RECORD). egg-info distributions have no file list: they are carried over only when
 *    the closure kept them.
 *  - npm: the package.json of every package that kept a file.
 *  - Go build info and Java META-INF/maven are inside the kept files already.
 *  - The distribution's release files (etc/os-release and its target, debian_version,
 *    alpine-release, redhat-release): scanners match packages to a distribution's
 *    advisories only when they know it.
 * A package with no kept file is not listed. Packages come from the scan library's
 * readers run on the source (src/scan/pkg_*.c, pkgdb.h); a file counts as kept when its
 * listed path, resolved in the source (the last component not followed), is in the kept
 * set and was written. Everything written is deterministic (sorted, no clock). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/root_path.h"
#include "minify/minify.h"
#include "minify/pkg_meta_int.h"
#include "minify/srcscan.h"
#include "scan/pkgdb.h"
#include "scan/scan.h"
#include "util/fsutil.h"

/* A stanza or record larger than this is not carried over (no real package has one). */
#define MAX_RECORD (1u << 20)

typedef struct pm {
    const char *src, *dst;
    const ds_pathmap *keep;
    ds_root sroot;        /* the source, its directories resolved once (a package lists thousands of paths) */
    const ds_srcscan *scan; /* the source's walk (the lstat of every entry) and packages */
    ds_strlist *notes;
    const char *skip_dir; /* files under this directory do not count (a dist-info's own files) */
    const char *skip_file;
    size_t files, kept;   /* of the package being looked at */
} pm;

/* The canonical source path of a listed path (last component not followed), or NULL. */
static char *canon(pm *x, const char *path, struct stat *st) {
    return ds_srcscan_entry(x->scan, &x->sroot, path, st);
}

/* A listed file: not a directory, nor a symlink to one (usrmerge's /bin, /lib listed by
 * every package that has files there). Returns its canonical path or NULL. */
static char *listed_file(pm *x, const char *path) {
    struct stat st;
    char *c = canon(x, path, &st);
    if (c && S_ISLNK(st.st_mode)) {
        const ds_rpath_res *t = ds_root_lookup(&x->sroot, c);
        if (t->exists && S_ISDIR(t->mode)) st.st_mode = S_IFDIR;
    }
    if (c && S_ISDIR(st.st_mode)) { free(c); c = NULL; }
    return c;
}

/* A listed file, by its canonical path c (may be NULL), kept and written. */
static bool kept_canonical(pm *x, const char *c) {
    bool k = false;
    if (c && ds_pathmap_get(x->keep, c)) {
        if (!x->dst) {
            k = true;
        } else {
            char *h = ds_xasprintf("%s%s", x->dst, c);
            struct stat dst;
            k = lstat(h, &dst) == 0 && !S_ISDIR(dst.st_mode);
            free(h);
        }
    }
    return k;
}

static bool is_kept(pm *x, const char *path) {
    char *c = listed_file(x, path);
    bool k = kept_canonical(x, c);
    free(c);
    return k;
}

static bool under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && path[n] == '/';
}

/* Counts the package's files (listed non-directories that exist) and the kept ones. */
static void count_files(pm *x, const ds_pkg *p) {
    x->files = x->kept = 0;
    for (size_t i = 0; i < p->files.n; i++) {
        const char *f = p->files.v[i];
        if (x->skip_dir && under(f, x->skip_dir)) continue;
        if (x->skip_file && !strcmp(f, x->skip_file)) continue;
        char *c = listed_file(x, f);
        if (c) {
            x->files++;
            if (kept_canonical(x, c)) x->kept++;
        }
        free(c);
    }
}

static bool keep_cb(const char *path, void *arg) { return is_kept(arg, path); }

/* Creates the directories of image path DIR in dst (modes and owners from the source's, 0755
 * root when the source has none); refuses a component of dst that is not a real directory. */
static int ensure_dir(pm *x, const char *dir, ds_err *err) {
    char *p = ds_xstrdup(dir);
    int r = 0;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s) continue;
        char save = *s;
        *s = 0;
        if (p[1]) {
            char *h = ds_xasprintf("%s%s", x->dst, p);
            struct stat st;
            if (lstat(h, &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                    r = ds_fail(err, "%s in the result is not a directory (a symlink?): refusing to write through it", p);
            } else {
                struct stat sst;
                char *sh = ds_xasprintf("%s%s", x->src, p);
                bool have = lstat(sh, &sst) == 0 && S_ISDIR(sst.st_mode);
                free(sh);
                if (mkdir(h, have ? sst.st_mode & 07777 : 0755) < 0 && errno != EEXIST) r = ds_fail_errno(err, "mkdir %s", h);
                else if (have && lchown(h, sst.st_uid, sst.st_gid) < 0 && errno != EPERM) r = ds_fail_errno(err, "chown %s", h);
                else if (have) chmod(h, sst.st_mode & 07777);
            }
            free(h);
        }
        *s = save;
        if (r < 0 || !save) break;
    }
    free(p);
    return r;
}

/* Writes DATA at image path PATH of dst (replacing whatever is there, 0644, root). */
static int put(pm *x, const char *path, const char *data, size_t len, ds_err *err) {
    char *dir = ds_xstrdup(path);
    *strrchr(dir, '/') = 0;
    int r = ensure_dir(x, *dir ? dir : "/", err);
    free(dir);
    if (r < 0) return -1;
    char *h = ds_xasprintf("%s%s", x->dst, path);
    struct stat st;
    if (lstat(h, &st) == 0 && S_ISDIR(st.st_mode)) r = ds_fail(err, "%s in the result is a directory", path);
    else r = ds_write_file_replace(h, data, len, 0644, err); /* the candidate tree: no fsync */
    if (r == 0 && lchown(h, 0, 0) < 0 && errno != EPERM) r = ds_fail_errno(err, "chown %s", h);
    free(h);
    return r;
}

/* Copies the source's file at image path PATH (resolved in the source) to the same place. */
static int copy_in(pm *x, const char *path, ds_err *err) {
    char *c = canon(x, path, NULL);
    char *data = NULL;
    size_t len = 0;
    int r = c ? ds_root_read(x->src, c, &data, &len, 16 << 20, err) : ds_fail(err, "%s: not in the source", path);
    if (r == 0) r = put(x, c, data, len, err);
    free(data);
    free(c);
    return r;
}

static void note(pm *x, const char *fmt, const char *a, const char *b) {
    if (x->notes) ds_strlist_addf(x->notes, fmt, a, b);
}

/* dpkg package names: [a-z0-9][a-z0-9+.-]* (Debian policy 5.6.1); anything else cannot be a file name here. */
static bool deb_name_ok(const char *n) {
    if (!n || !*n || strlen(n) > 200 || n[0] == '.' || n[0] == '-') return false;
    for (const char *s = n; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("+.-_", *s)))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Removes dst's copy of the source's dpkg database (what the closure may have kept of it). */
static int clear_dpkg(pm *x, ds_err *err) {
    static const char *const gone[] = {"/var/lib/dpkg/status", "/var/lib/dpkg/status-old", "/var/lib/dpkg/available",
                                       "/var/lib/dpkg/info", "/var/lib/dpkg/status.d"};
    char *base = ds_xasprintf("%s/var/lib/dpkg", x->dst);
    struct stat st;
    int r = 0;
    if (lstat(base, &st) == 0 && S_ISDIR(st.st_mode)) {
        for (size_t i = 0; i < sizeof gone / sizeof *gone && r == 0; i++) {
            char *h = ds_xasprintf("%s%s", x->dst, gone[i]);
            struct stat e;
            if (lstat(h, &e) == 0) r = S_ISDIR(e.st_mode) ? ds_rmtree(h, err) : (unlink(h) < 0 ? ds_fail_errno(err, "unlink %s", h) : 0);
            free(h);
        }
    }
    free(base);
    return r;
}

static int write_deb(pm *x, const ds_pkg *p, ds_strlist *written, ds_err *err) {
    if (!deb_name_ok(p->name)) { note(x, "dpkg package %s%s: not a package name, not listed", p->name ? p->name : "", ""); return 0; }
    if (!p->record || strlen(p->record) > MAX_RECORD) { note(x, "dpkg package %s%s: stanza too large, not listed", p->name, ""); return 0; }
    char *fname = ds_xstrdup(p->name);
    if (ds_strlist_has(written, fname) && p->arch && deb_name_ok(p->arch)) {
        free(fname);
        fname = ds_xasprintf("%s_%s", p->name, p->arch);
    }
    if (ds_strlist_has(written, fname)) { note(x, "dpkg package %s%s: listed twice, the first kept", p->name, ""); free(fname); return 0; }
    ds_strlist_add(written, fname);
    char *path = ds_xasprintf("/var/lib/dpkg/status.d/%s", fname);
    char *text = ds_xasprintf("%s\n", p->record);
    int r = put(x, path, text, strlen(text), err);
    free(text);
    /* The copyright file, where scanners (and distill scan) read the package's license; only
     * when no symlink is on its way (a doc dir linked to another package's is left out). */
    char *cr = ds_xasprintf("/usr/share/doc/%s/copyright", p->name);
    struct stat cst;
    char *cc = r == 0 ? canon(x, cr, &cst) : NULL;
    if (cc && !strcmp(cc, cr) && S_ISREG(cst.st_mode)) {
        char *h = ds_xasprintf("%s%s", x->dst, cr);
        struct stat e;
        if (lstat(h, &e) < 0) r = copy_in(x, cr, err);
        free(h);
    }
    free(cc);
    free(cr);
    /* md5sums: the source's lines for the kept files. */
    char *md5 = NULL;
    if (p->db_file && ends_with(p->db_file, ".list"))
        md5 = ds_xasprintf("%.*s.md5sums", (int)(strlen(p->db_file) - 5), p->db_file);
    else if (p->db_file && ends_with(p->db_file, ".md5sums"))
        md5 = ds_xstrdup(p->db_file);
    char *data = NULL;
    size_t len = 0;
    ds_err e;
    if (r == 0 && md5 && ds_root_read(x->src, md5, &data, &len, 64 << 20, &e) == 0) {
        size_t out_len;
        char *out = ds_dpkg_list_filter(data, len, true, keep_cb, x, &out_len, NULL, NULL);
        char *mpath = ds_xasprintf("%s.md5sums", path);
        r = put(x, mpath, out, out_len, err);
        free(mpath);
        free(out);
    }
    free(data);
    free(md5);
    free(path);
    free(fname);
    return r;
}

static int write_apk(pm *x, const char *db, ds_err *err) {
    char *c = canon(x, db, NULL);
    char *data = NULL;
    size_t len = 0;
    ds_err e;
    int r = 0;
    if (c && ds_root_read(x->src, c, &data, &len, 256 << 20, &e) == 0) {
        size_t out_len;
        char *out = ds_apk_filter(data, len, keep_cb, x, true, &out_len, NULL, NULL);
        r = put(x, c, out, out_len, err);
        free(out);
    }
    free(data);
    free(c);
    return r;
}

static int write_rpm(pm *x, const char *db, const int64_t *keep_hnums, size_t n_keep, ds_err *err) {
    if (copy_in(x, db, err) < 0) return -1;
    char *c = canon(x, db, NULL);
    char *h = ds_xasprintf("%s%s", x->dst, c);
    char *tmp = ds_xasprintf("%s.distill-tmp", h);
    int r = rename(h, tmp) < 0 ? ds_fail_errno(err, "rename %s", h) : 0;
    if (r == 0) r = ds_rpmdb_prune(tmp, keep_hnums, n_keep, err);
    if (r == 0 && rename(tmp, h) < 0) r = ds_fail_errno(err, "rename %s", tmp);
    if (r < 0) { unlink(tmp); unlink(h); }
    char *j = ds_xasprintf("%s-journal", tmp);
    unlink(j);
    free(j); free(tmp); free(h); free(c);
    return r;
}

/* dist-info: METADATA as it is, RECORD with the kept files and the two written here. */
typedef struct own { pm *x; const char *meta, *rec; } own;
static bool own_keep(const char *path, void *arg) {
    own *o = arg;
    return !strcmp(path, o->meta) || !strcmp(path, o->rec) || is_kept(o->x, path);
}

static int write_pypi(pm *x, const ds_pkg *p, const char *info_dir, ds_err *err) {
    char *meta = ds_xasprintf("%s/METADATA", info_dir);
    int r = copy_in(x, meta, err);
    char *data = NULL;
    size_t len = 0;
    ds_err e;
    if (r == 0 && ds_root_read(x->src, p->db_file, &data, &len, 64 << 20, &e) == 0) {
        const char *sl = strrchr(info_dir, '/');
        char *site = ds_xstrndup(info_dir, sl ? (size_t)(sl - info_dir) : 0);
        own o = {x, meta, p->db_file};
        size_t out_len;
        char *out = ds_python_record_filter(data, len, site, own_keep, &o, &out_len, NULL, NULL);
        r = put(x, p->db_file, out, out_len, err);
        free(out);
        free(site);
    }
    free(data);
    free(meta);
    return r;
}

/* What scanners read to know the distribution (trivy, grype, syft: without it a dpkg
 * database is not matched against Debian's advisories): os-release and the release
 * files, as the source has them (a symlink stays a symlink, its target copied too). */
static int write_os_release(pm *x, ds_err *err) {
    static const char *const files[] = {"/etc/os-release", "/usr/lib/os-release", "/etc/debian_version",
                                        "/etc/alpine-release", "/etc/redhat-release", "/etc/system-release"};
    int r = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files && r == 0; i++) {
        struct stat st;
        char *c = canon(x, files[i], &st);
        if (!c) continue;
        char *h = ds_xasprintf("%s%s", x->dst, c);
        struct stat dst;
        bool have = lstat(h, &dst) == 0;
        if (!have && S_ISLNK(st.st_mode)) {
            char target[4096];
            char *sh = ds_xasprintf("%s%s", x->src, c);
            ssize_t n = readlink(sh, target, sizeof target - 1);
            free(sh);
            char *dir = ds_xstrdup(c);
            *strrchr(dir, '/') = 0;
            if (n > 0 && (r = ensure_dir(x, *dir ? dir : "/", err)) == 0) {
                target[n] = 0;
                if (symlink(target, h) < 0) r = ds_fail_errno(err, "symlink %s", h);
            }
            free(dir);
            /* The target, resolved in the source, is copied when it is a regular file. */
            const ds_rpath_res *tr = r == 0 ? ds_root_lookup(&x->sroot, c) : NULL;
            char *t = tr && tr->exists ? ds_xstrdup(tr->real) : NULL;
            if (t && S_ISREG(tr->mode)) {
                char *th = ds_xasprintf("%s%s", x->dst, t);
                struct stat e;
                if (lstat(th, &e) < 0) r = copy_in(x, t, err);
                free(th);
            }
            free(t);
        } else if (!have && S_ISREG(st.st_mode)) {
            r = copy_in(x, c, err);
        }
        free(h);
        free(c);
    }
    return r;
}

typedef struct run {
    pm x;
    ds_srcscan *own;   /* loaded here when the caller has none */
    const ds_srcscan *scan;
    ds_pkg *sorted;    /* the scan's packages, sorted (shallow copies: the scan owns them) */
    size_t n_sorted;
    ds_strlist wnotes; /* the writer's: what it did not list, and why */
} run;

static int run_open(run *u, const char *src_root, const ds_srcscan *scan, const ds_pathmap *keep,
                    const char *dst_root, ds_err *err) {
    memset(u, 0, sizeof *u);
    u->x.src = src_root;
    u->x.dst = dst_root;
    u->x.keep = keep;
    u->x.notes = &u->wnotes;
    u->x.sroot.rp.fd = -1;
    if (ds_root_open(&u->x.sroot, src_root, err) < 0) return -1;
    if (!scan && ds_srcscan_load(src_root, &u->own, err) < 0) return -1;
    u->scan = scan ? scan : u->own;
    u->x.scan = u->scan;
    ds_srcscan_attach(u->scan, &u->x.sroot);
    /* Sorted for the output's order; the scan keeps the readers' order for the index. */
    u->n_sorted = u->scan->pkgs.n;
    u->sorted = ds_xcalloc(u->n_sorted + 1, sizeof *u->sorted);
    if (u->n_sorted) memcpy(u->sorted, u->scan->pkgs.v, u->n_sorted * sizeof *u->sorted);
    ds_pkglist view = {.v = u->sorted, .n = u->n_sorted};
    ds_pkglist_sort(&view);
    return 0;
}

static void run_close(run *u) {
    ds_root_close(&u->x.sroot);
    free(u->sorted);
    ds_srcscan_free(u->own);
    ds_strlist_free(&u->wnotes);
}

/* Files of P that decide whether it is kept: for a dist-info its own directory does not
 * count, for npm its package.json does not. Sets x->skip_*; returns the dist-info dir (malloc'd) or NULL. */
static char *scope(pm *x, const ds_pkg *p) {
    x->skip_dir = x->skip_file = NULL;
    if (!strcmp(p->type, "pypi") && p->db_file && ends_with(p->db_file, "/RECORD")) {
        char *d = ds_xstrndup(p->db_file, strlen(p->db_file) - 7);
        x->skip_dir = d;
        return d;
    }
    if (!strcmp(p->type, "npm")) x->skip_file = p->source;
    return NULL;
}

static json_t *entry_json(const ds_pkg *p, size_t files, size_t kept) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f}", "type", p->type, "package", p->name, "name", p->name,
                          "files", (json_int_t)files, "kept", (json_int_t)kept, "share",
                          files ? (double)kept / (double)files : 0.0);
    if (p->version) json_object_set_new(o, "version", json_string(p->version));
    if (p->arch) json_object_set_new(o, "arch", json_string(p->arch));
    if (p->purl) json_object_set_new(o, "purl", json_string(p->purl));
    if (p->source) json_object_set_new(o, "database", json_string(p->source));
    return o;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int ds_pkg_meta_write(const char *src_root, const ds_srcscan *scan, const ds_pathmap *keep, const char *dst_root,
                      json_t *warnings, json_t **kept_out, ds_err *err) {
    if (kept_out) *kept_out = NULL;
    run u;
    if (run_open(&u, src_root, scan, keep, dst_root, err) < 0) { run_close(&u); return -1; }
    pm *x = &u.x;
    json_t *list = json_array();
    int r = dst_root ? clear_dpkg(x, err) : 0;
    if (r == 0 && dst_root) r = write_os_release(x, err);
    ds_strlist written = {0}, apk_dbs = {0}, rpm_dbs = {0};
    int64_t *hnums = NULL;
    size_t n_h = 0;
    for (size_t i = 0; i < u.n_sorted && r == 0; i++) {
        const ds_pkg *p = &u.sorted[i];
        char *info = scope(x, p);
        count_files(x, p);
        x->skip_dir = x->skip_file = NULL;
        if (x->kept) {
            json_array_append_new(list, entry_json(p, x->files, x->kept));
            if (!dst_root) {
            } else if (!strcmp(p->type, "deb")) {
                r = write_deb(x, p, &written, err);
            } else if (!strcmp(p->type, "apk")) {
                if (!ds_strlist_has(&apk_dbs, p->source)) ds_strlist_add(&apk_dbs, p->source);
            } else if (!strcmp(p->type, "rpm") && p->db_file) {
                if (!ds_strlist_has(&rpm_dbs, p->db_file)) ds_strlist_add(&rpm_dbs, p->db_file);
                hnums = ds_xrealloc(hnums, (n_h + 1) * sizeof *hnums);
                hnums[n_h++] = p->rpm_hnum;
            } else if (!strcmp(p->type, "pypi") && info) {
                r = write_pypi(x, p, info, err);
            } else if (!strcmp(p->type, "npm")) {
                r = copy_in(x, p->source, err);
            }
        }
        free(info);
    }
    for (size_t i = 0; r == 0 && i < apk_dbs.n; i++) r = write_apk(x, apk_dbs.v[i], err);
    if (n_h) qsort(hnums, n_h, sizeof *hnums, cmp_i64);
    for (size_t i = 0; r == 0 && i < rpm_dbs.n; i++) r = write_rpm(x, rpm_dbs.v[i], hnums, n_h, err);
    if (r < 0) ds_err_wrap(err, "package metadata");
    for (size_t i = 0; warnings && i < u.wnotes.n; i++) {
        bool dup = false;
        for (size_t k = 0; k < json_array_size(warnings) && !dup; k++)
            dup = !strcmp(json_string_value(json_array_get(warnings, k)) ? json_string_value(json_array_get(warnings, k)) : "", u.wnotes.v[i]);
        if (!dup) json_array_append_new(warnings, json_string(u.wnotes.v[i]));
    }
    free(hnums);
    ds_strlist_free(&written);
    ds_strlist_free(&apk_dbs);
    ds_strlist_free(&rpm_dbs);
    run_close(&u);
    if (r == 0 && kept_out) *kept_out = list;
    else json_decref(list);
    return r;
}

json_t *ds_pkg_meta_kept(const char *src_root, const ds_srcscan *scan, const ds_pathmap *keep) {
    json_t *out = NULL;
    if (ds_pkg_meta_write(src_root, scan, keep, NULL, NULL, &out, &(ds_err){0}) < 0 || !out) return json_array();
    return out;
}
