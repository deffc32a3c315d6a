/* Static inspection of an unpacked image root: what kind of image it is (the
 * distroless verdict), which packages it holds, and the data the SBOM, policy,
 * vulnerability and HTML writers work from. Nothing from the image is ever
 * executed; every path read is resolved inside the root (symlinks included). */
#ifndef DS_SCAN_SCAN_H
#define DS_SCAN_SCAN_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"
#include "util/strvec.h"

/* A growable list of strings (owned): util/strvec.h's. */
typedef ds_strvec ds_strlist;
#define ds_strlist_add ds_strvec_push
#define ds_strlist_addf ds_strvec_pushf
#define ds_strlist_has ds_strvec_has
#define ds_strlist_free ds_strvec_free

/* One entry of the tree, as lstat saw it. path is absolute inside the image ("/usr/bin/sh"). */
typedef struct ds_fentry {
    char *path;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    off_t size;
    ino_t ino;
    nlink_t nlink;
    char *link; /* symlink target as stored, or NULL */
} ds_fentry;

typedef struct ds_tree {
    char *root;        /* host path of the root directory */
    ds_fentry *e;      /* sorted by path */
    size_t n, cap;
    uint64_t total_size; /* sum of regular file sizes (hard links counted once) */
    /* Paths this process may not read (a mode-000 file when not root, a directory it cannot
     * enter): the scan cannot see into them, so what it reports may be incomplete. Image
     * paths, a directory's with a trailing "/", in walk order. */
    ds_strlist unreadable;
} ds_tree;

/* Walk ROOT (never following symlinks) into an index sorted by path. */
int ds_tree_load(const char *root, ds_tree *t, ds_err *err);
void ds_tree_free(ds_tree *t);
/* Entry for an exact image path (no symlink resolution), or NULL. */
const ds_fentry *ds_tree_find(const ds_tree *t, const char *path);
/* Index of the first entry whose path is not before path (strcmp order); t->n when none.
 * Every path starting with "DIR/" is one run of entries from ds_tree_lower_bound(t, "DIR/"). */
size_t ds_tree_lower_bound(const ds_tree *t, const char *path);

/* Wrappers over fs/root_path.h that open ROOT on each call. Resolve an image path the
 * way the kernel would if ROOT were "/": symlinks followed (at most 40), ".." never
 * above the root. Returns the resolved image path (malloc'd, absolute), or NULL when a
 * component is missing or loops. With follow_last false the last component is not followed. */
char *ds_root_resolve(const char *root, const char *path, bool follow_last);
/* Read a file of the image (resolved in the root) whole; max_len 0 = no limit. */
int ds_root_read(const char *root, const char *path, char **data, size_t *len, size_t max_len, ds_err *err);
/* Host path for an already resolved image path: ROOT + path (malloc'd). */
char *ds_root_host_path(const char *root, const char *image_path);

/* A package found in the image. */
typedef struct ds_pkg {
    char *type;       /* purl type: deb, apk, rpm, pypi, npm, golang, maven */
    char *name;
    char *version;
    char *arch;       /* may be NULL */
    char *license;    /* as recorded, may be NULL */
    char *source;     /* where it was found: "/var/lib/dpkg/status", "/app/x.jar", ... */
    char *purl;
    char *origin;     /* source package (deb Source:, apk o:), which distro advisories name; may be NULL */
    char *ecosystem;  /* OSV ecosystem: "Debian:12", "Alpine:v3.19", "PyPI", "npm", "Go", "Maven" */
    ds_strlist files; /* files it owns (image paths) */
    /* For the metadata writer (src/minify/pkg_meta.c), from the database that listed it: */
    char *record;     /* dpkg: its control paragraph; apk: its record; else NULL */
    char *db_file;    /* dpkg: the file list its files came from (info/P.list, status.d/P.md5sums); rpm: the db */
    int64_t rpm_hnum; /* rpm: its row in the Packages table */
} ds_pkg;

typedef struct ds_pkglist {
    ds_pkg *v;
    size_t n, cap;
} ds_pkglist;
ds_pkg *ds_pkglist_add(ds_pkglist *l);
void ds_pkglist_free(ds_pkglist *l);
/* Sort by type, then name, then version; makes every output deterministic. */
void ds_pkglist_sort(ds_pkglist *l);

/* /etc/os-release */
typedef struct ds_distro {
    char *id;          /* "debian", "alpine", ... or NULL */
    char *version_id;  /* "12", "3.19.1" */
    char *codename;
    char *pretty;
} ds_distro;

typedef struct ds_verdict {
    ds_strlist shells;          /* "/bin/sh -> /usr/bin/dash" */
    ds_strlist pkg_managers;
    ds_strlist net_tools;
    ds_strlist busybox_applets; /* links to a busybox binary */
    ds_strlist setuid;          /* "/usr/bin/su (4755 root)" */
    ds_strlist world_writable;
    ds_strlist login_accounts;  /* "root:/bin/bash" */
    ds_strlist empty_password;
    char *user;                 /* as configured, NULL = unknown */
    int user_is_root;           /* 1 yes, 0 no, -1 unknown */
    char *user_evidence;
    ds_distro distro;
    char *family;               /* "glibc", "musl", "static", "none" */
    ds_strlist interpreters;    /* "/lib64/ld-linux-x86-64.so.2 (123 files)" */
    size_t n_elf;
    char *ca_certs;             /* path of the bundle, or NULL */
    char *tzdata;               /* path of zoneinfo, or NULL */
    bool distroless;            /* no shell and no package manager */
} ds_verdict;

/* Size of each top-level directory, for the report chart. */
typedef struct ds_dirsize {
    char *name;
    uint64_t bytes;
} ds_dirsize;

typedef struct ds_scan_opts {
    const char *user;       /* the run user from the image config or --user; NULL = unknown */
    json_t *labels;         /* image config labels (borrowed), may be NULL */
    const char *image_ref;  /* for the reports */
    const char *digest;     /* the image's manifest digest "sha256:..." when it is an image, or NULL */
} ds_scan_opts;

typedef struct ds_scan {
    char *image_ref;
    char *digest;           /* manifest digest, or NULL (rootfs:) */
    char *image_purl;       /* pkg:oci/NAME@sha256:... when digest is known, else NULL */
    ds_tree tree;
    ds_verdict verdict;
    ds_pkglist pkgs;
    ds_strlist notes;       /* what could not be read, and why (non-fatal) */
    ds_dirsize *dirs;
    size_t n_dirs;
    json_t *labels;         /* owned copy or NULL */
} ds_scan;

/* pkg:oci purl of an image reference at its manifest digest (malloc'd). */
char *ds_image_purl(const char *ref, const char *digest);

/* The whole static scan of ROOT: tree, verdict, packages. */
int ds_scan_root(const char *root, const ds_scan_opts *opts, ds_scan *out, ds_err *err);
void ds_scan_free(ds_scan *s);

/* Parts, callable alone (tests, fuzzers). */
int ds_verdict_compute(const ds_tree *t, const char *user, ds_verdict *v, ds_err *err);
void ds_verdict_free(ds_verdict *v);
int ds_distro_parse(const char *text, ds_distro *d);
void ds_distro_free(ds_distro *d);

/* Package databases. Each parser takes the database text so fuzzers can call it. */
typedef struct ds_pkgctx {
    const char *root;         /* host root, NULL in tests: then no files/licenses are looked up */
    const ds_distro *distro;
    ds_strlist *notes;
} ds_pkgctx;
int ds_dpkg_parse_status(const char *text, size_t len, const char *source, const ds_pkgctx *ctx,
                         ds_pkglist *out, ds_err *err);
int ds_dpkg_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err);
int ds_apk_parse_installed(const char *text, size_t len, const char *source, const ds_pkgctx *ctx,
                           ds_pkglist *out, ds_err *err);
int ds_apk_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err);
/* One rpm header blob (a row of rpmdb.sqlite's Packages table). */
int ds_rpm_parse_header(const unsigned char *blob, size_t len, const char *source, const ds_pkgctx *ctx,
                        ds_pkglist *out);
int ds_rpm_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err);
int ds_python_parse_metadata(const char *text, size_t len, ds_pkg *p);
int ds_python_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err);
int ds_npm_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err);
/* Go: data is the content of the .go.buildinfo section (or any buffer holding it). */
int ds_go_parse_buildinfo(const unsigned char *data, size_t len, const char *source, ds_pkglist *out);
int ds_go_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err);
int ds_java_scan(const ds_tree *t, const ds_pkgctx *ctx, ds_pkglist *out, ds_err *err);

/* Deb-style control paragraphs: value of FIELD in a paragraph [p, end), malloc'd or NULL. */
char *ds_control_field(const char *p, const char *end, const char *field);

/* A license as recorded (DEP-5 short names, SPDX, "GPLv2+", free text) as a valid SPDX
 * expression (malloc'd), or NULL when it says nothing (NOASSERTION). Names that are no
 * SPDX id become LicenseRef-<name>; each is added once to refs (may be NULL) as
 * "LicenseRef-x<TAB>name as recorded" (split with ds_spdx_ref_split). */
char *ds_spdx_expression(const char *recorded, ds_strlist *refs);
void ds_spdx_ref_split(const char *entry, char **id, char **name);

/* Package URL (purl spec percent-encoding). qualifiers: "k=v&k=v" already encoded, or NULL. */
char *ds_purl(const char *type, const char *ns, const char *name, const char *version, const char *qualifiers);
char *ds_purl_encode(const char *s);

#endif
