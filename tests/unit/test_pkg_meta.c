/* Unit tests for issue 12: DEP-5/free-text licenses to SPDX expressions, the shared
 * package-database line readers and filters (scan/pkgdb.h), and the metadata writer of
 * distill build (minify/pkg_meta.c) on small trees written here, hostile ones included:
 * names and paths reaching outside the tree, a huge stanza, a symlink cycle, a symlinked
 * metadata directory in the result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "minify/minify.h"
#include "scan/pkgdb.h"
#include "scan/scan.h"
#include "util/fsutil.h"

static void expect_spdx(const char *in, const char *want) {
    ds_strlist refs = {0};
    char *got = ds_spdx_expression(in, &refs);
    if (!want) assert_null(got);
    else {
        if (!got || strcmp(got, want)) fprintf(stderr, "license '%s': want '%s', got '%s'\n", in, want, got ? got : "(null)");
        assert_non_null(got);
        assert_string_equal(got, want);
    }
    free(got);
    ds_strlist_free(&refs);
}

static void test_dep5_to_spdx(void **state) {
    (void)state;
    expect_spdx("GPL-2+", "GPL-2.0-or-later");
    expect_spdx("GPL-2", "GPL-2.0-only");
    expect_spdx("GPL-3.0+", "GPL-3.0-or-later");
    expect_spdx("LGPL-2.1+", "LGPL-2.1-or-later");
    expect_spdx("LGPL-2", "LGPL-2.0-only");
    expect_spdx("GPLv2+", "GPL-2.0-or-later");
    expect_spdx("AGPL-3", "AGPL-3.0-only");
    expect_spdx("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later");
    expect_spdx("GPL-2.0-or-later", "GPL-2.0-or-later");
    expect_spdx("Expat", "MIT");
    expect_spdx("BSD-3-clause", "BSD-3-Clause");
    expect_spdx("bsd-2-clause", "BSD-2-Clause");
    expect_spdx("Apache-2.0", "Apache-2.0");
    expect_spdx("Artistic", "Artistic-1.0");
    expect_spdx("Zlib", "Zlib");
    expect_spdx("CC0", "CC0-1.0");
    expect_spdx("public-domain", "LicenseRef-public-domain");
    expect_spdx("GPL", "LicenseRef-GPL");
    expect_spdx("GPL-2+ or Artistic", "GPL-2.0-or-later OR Artistic-1.0");
    expect_spdx("GPL-2+ and BSD-3-clause", "GPL-2.0-or-later AND BSD-3-Clause");
    expect_spdx("GPL-1+ or Artistic, and BSD-3-clause", "(GPL-1.0-or-later OR Artistic-1.0) AND (BSD-3-Clause)");
    expect_spdx("(MIT OR Apache-2.0) AND Zlib", "(MIT OR Apache-2.0) AND Zlib");
    expect_spdx("GPL-2+ with GCC exception-3.1", "GPL-2.0-or-later WITH GCC-exception-3.1");
    expect_spdx("GPL-2+ with OpenSSL exception", "LicenseRef-GPL-2-plus-with-OpenSSL-exception");
    expect_spdx("Perl", "(Artistic-1.0-Perl OR GPL-1.0-or-later)");
    expect_spdx("BSD License", "LicenseRef-BSD-License");
    expect_spdx("", NULL);
    expect_spdx("UNKNOWN", NULL);
    expect_spdx(NULL, NULL);
    /* Broken syntax and free text: one LicenseRef, never an invalid expression. */
    expect_spdx("GPL-2+ or", "LicenseRef-GPL-2-plus-or");
    expect_spdx("((MIT", "LicenseRef-MIT");
    expect_spdx("Permission is hereby granted, free of charge: to any person", "LicenseRef-Permission-is-hereby-granted-free-of-charge-to-any-person");
    /* The refs list names each LicenseRef once, with the text as recorded. */
    ds_strlist refs = {0};
    char *a = ds_spdx_expression("public-domain and GPL and public-domain", &refs);
    assert_string_equal(a, "LicenseRef-public-domain AND LicenseRef-GPL AND LicenseRef-public-domain");
    assert_int_equal(refs.n, 2);
    char *id, *name;
    ds_spdx_ref_split(refs.v[0], &id, &name);
    assert_string_equal(id, "LicenseRef-public-domain");
    assert_string_equal(name, "public-domain");
    free(id); free(name); free(a);
    ds_strlist_free(&refs);
    /* Deep nesting is refused, not recursed into. */
    char deep[400];
    memset(deep, '(', 200);
    strcpy(deep + 200, "MIT");
    char *d = ds_spdx_expression(deep, NULL);
    assert_non_null(d);
    assert_int_equal(strncmp(d, "LicenseRef-", 11), 0);
    free(d);
}

static bool keep_named_keep(const char *path, void *arg) {
    (void)arg;
    return strstr(path, "keep") != NULL;
}

static void test_filters(void **state) {
    (void)state;
    const char md5[] = "0123456789abcdef0123456789abcdef  usr/bin/keep\n"
                       "0123456789abcdef0123456789abcdef  usr/bin/drop\n"
                       "garbage-without-a-path\n";
    size_t n, k, d;
    char *o = ds_dpkg_list_filter(md5, sizeof md5 - 1, true, keep_named_keep, NULL, &n, &k, &d);
    assert_string_equal(o, "0123456789abcdef0123456789abcdef  usr/bin/keep\ngarbage-without-a-path\n");
    assert_int_equal(k, 1);
    assert_int_equal(d, 1);
    free(o);
    const char list[] = "/.\n/usr\n/usr/bin/keep\n/usr/bin/drop";
    o = ds_dpkg_list_filter(list, sizeof list - 1, false, keep_named_keep, NULL, &n, &k, &d);
    assert_string_equal(o, "/.\n/usr/bin/keep\n");
    assert_int_equal(d, 2);
    free(o);
    const char apk[] = "C:Q1abc=\nP:keeper\nV:1.0-r0\nF:usr/bin\nR:keep\na:0:0:755\nZ:Q1zz=\nR:drop\na:0:0:755\nZ:Q1yy=\n\n"
                       "P:dropper\nV:2.0\nF:usr/lib\nR:gone.so\nZ:Q1xx=\n\n"
                       "P:meta\nV:1\n";
    o = ds_apk_filter(apk, sizeof apk - 1, keep_named_keep, NULL, true, &n, &k, &d);
    assert_string_equal(o, "C:Q1abc=\nP:keeper\nV:1.0-r0\nF:usr/bin\nR:keep\na:0:0:755\nZ:Q1zz=\n\n");
    assert_int_equal(k, 1);
    assert_int_equal(d, 2);
    free(o);
    /* Without drop_empty (harden), records stay. */
    o = ds_apk_filter(apk, sizeof apk - 1, keep_named_keep, NULL, false, &n, &k, &d);
    assert_non_null(strstr(o, "P:dropper\nV:2.0\nF:usr/lib\n\n"));
    assert_non_null(strstr(o, "P:meta\nV:1\n"));
    free(o);
    const char rec[] = "../../../bin/keep-tool,sha256=x,10\nkeep/__init__.py,,\npkg/drop.py,sha256=y,3\n\"q,uoted\",,\n";
    o = ds_python_record_filter(rec, sizeof rec - 1, "/usr/lib/python3/dist-packages", keep_named_keep, NULL, &n, &k, &d);
    assert_string_equal(o, "../../../bin/keep-tool,sha256=x,10\nkeep/__init__.py,,\n\"q,uoted\",,\n");
    free(o);
    char *norm = ds_path_normalize("/a/../../../b/./c//d/..");
    assert_string_equal(norm, "/b/c");
    free(norm);
}

/* ---- the writer on a small tree ---- */
static char *g_dir, *g_src, *g_dst;

static void wr(const char *root, const char *rel, const char *data) {
    char *p = ds_xasprintf("%s%s", root, rel);
    char *d = ds_xstrdup(p);
    *strrchr(d, '/') = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(d, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, data, strlen(data), 0644, &e), 0);
    free(d);
    free(p);
}

static void ln(const char *root, const char *rel, const char *target) {
    char *p = ds_xasprintf("%s%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
    free(p);
}

static char *rd(const char *root, const char *rel) {
    char *p = ds_xasprintf("%s%s", root, rel), *data = NULL;
    ds_err e;
    if (ds_read_file(p, &data, NULL, 0, &e) < 0) data = NULL;
    free(p);
    return data;
}

static bool exists(const char *root, const char *rel) {
    char *p = ds_xasprintf("%s%s", root, rel);
    struct stat st;
    bool r = lstat(p, &st) == 0;
    free(p);
    return r;
}

static int setup(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-test-pkgmeta", &g_dir, &e), 0);
    g_src = ds_xasprintf("%s/src", g_dir);
    g_dst = ds_xasprintf("%s/dst", g_dir);
    wr(g_src, "/etc/os-release", "ID=debian\nVERSION_ID=12\n");
    char *huge = ds_xmalloc(3u << 20);
    memset(huge, 'x', 3u << 20);
    memcpy(huge, "Package: huge\nStatus: install ok installed\nVersion: 1\nDescription: ", 67);
    huge[(3u << 20) - 1] = 0;
    char *status = ds_xasprintf(
        "Package: keepme\nStatus: install ok installed\nVersion: 1.2-3\nArchitecture: amd64\nSource: keepsrc\n\n"
        "Package: dropme\nStatus: install ok installed\nVersion: 9\nArchitecture: all\n\n"
        "Package: ../../../escape\nStatus: install ok installed\nVersion: 6.6.6\n\n"
        "Package: gone\nStatus: deinstall ok config-files\nVersion: 0\n\n%s\n",
        huge);
    free(huge);
    wr(g_src, "/var/lib/dpkg/status", status);
    free(status);
    wr(g_src, "/usr/bin/keep", "kept binary\n");
    wr(g_src, "/usr/bin/drop", "dropped binary\n");
    wr(g_src, "/usr/share/doc/keepme/copyright", "Format: x\n\nFiles: *\nLicense: GPL-2+\n\nFiles: a\nLicense: Expat\n");
    ln(g_src, "/bin", "usr/bin");
    ln(g_src, "/usr/bin/loop", "loop");
    wr(g_src, "/var/lib/dpkg/info/keepme.list", "/.\n/bin\n/usr/bin/keep\n/bin/keep\n/usr/bin/loop\n/../../../../etc/passwd\n");
    wr(g_src, "/var/lib/dpkg/info/keepme.md5sums",
       "11111111111111111111111111111111  usr/bin/keep\n22222222222222222222222222222222  ../../../etc/passwd\n");
    wr(g_src, "/var/lib/dpkg/info/dropme.list", "/usr/bin/drop\n");
    wr(g_src, "/var/lib/dpkg/info/dropme.md5sums", "33333333333333333333333333333333  usr/bin/drop\n");
    wr(g_src, "/var/lib/dpkg/info/huge.list", "/usr/bin/keep\n");
    wr(g_src, "/var/lib/dpkg/info/../../../escape.list", "/usr/bin/keep\n");
    wr(g_src, "/lib/apk/db/installed", "P:akeep\nV:1\nF:usr/bin\nR:keep\nZ:Q1=\nR:drop\nZ:Q2=\n\nP:adrop\nV:2\nF:usr/bin\nR:drop\n\n");
    wr(g_src, "/usr/lib/python3/dist-packages/keeppy-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: keeppy\nVersion: 1.0\n");
    wr(g_src, "/usr/lib/python3/dist-packages/keeppy-1.0.dist-info/RECORD",
       "keeppy-1.0.dist-info/METADATA,,\nkeeppy-1.0.dist-info/RECORD,,\nkeeppy/__init__.py,,\nkeeppy/drop.py,,\n");
    wr(g_src, "/usr/lib/python3/dist-packages/keeppy/__init__.py", "\n");
    wr(g_src, "/usr/lib/python3/dist-packages/keeppy/drop.py", "\n");
    wr(g_src, "/usr/lib/python3/dist-packages/droppy-2.0.dist-info/METADATA", "Name: droppy\nVersion: 2.0\n");
    wr(g_src, "/usr/lib/python3/dist-packages/droppy-2.0.dist-info/RECORD", "droppy/x.py,,\n");
    wr(g_src, "/usr/lib/python3/dist-packages/droppy/x.py", "\n");
    wr(g_src, "/app/node_modules/left-pad/package.json", "{\"name\":\"left-pad\",\"version\":\"1.3.0\",\"license\":\"WTFPL\"}");
    wr(g_src, "/app/node_modules/left-pad/index.js", "module.exports = 1;\n");
    wr(g_src, "/app/node_modules/unused/package.json", "{\"name\":\"unused\",\"version\":\"0.1.0\"}");
    wr(g_src, "/app/node_modules/unused/index.js", "\n");
    /* The result: what a closure kept, already written. */
    wr(g_dst, "/usr/bin/keep", "kept binary\n");
    ln(g_dst, "/bin", "usr/bin");
    ln(g_dst, "/usr/bin/loop", "loop");
    wr(g_dst, "/usr/lib/python3/dist-packages/keeppy/__init__.py", "\n");
    wr(g_dst, "/app/node_modules/left-pad/index.js", "module.exports = 1;\n");
    wr(g_dst, "/var/lib/dpkg/status", "stale: the closure kept the source's status\n");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(g_dir, &e);
    free(g_dir); free(g_src); free(g_dst);
    return 0;
}

static ds_pathmap kept_set(void) {
    ds_pathmap m = {0};
    const char *k[] = {"/", "/bin", "/usr", "/usr/bin", "/usr/bin/keep", "/usr/bin/loop", "/usr/lib/python3/dist-packages/keeppy/__init__.py",
                       "/app/node_modules/left-pad/index.js"};
    for (size_t i = 0; i < sizeof k / sizeof *k; i++) ds_pathmap_add(&m, k[i], "test");
    return m;
}

static void test_writer(void **state) {
    (void)state;
    ds_pathmap m = kept_set();
    json_t *warn = json_array(), *kept = NULL;
    ds_err e = {0};
    int rc = ds_pkg_meta_write(g_src, NULL, &m, g_dst, warn, &kept, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    /* dpkg: status.d/keepme with its stanza, md5sums of the kept file only. */
    char *s = rd(g_dst, "/var/lib/dpkg/status.d/keepme");
    assert_non_null(s);
    assert_string_equal(s, "Package: keepme\nStatus: install ok installed\nVersion: 1.2-3\nArchitecture: amd64\nSource: keepsrc\n");
    free(s);
    s = rd(g_dst, "/var/lib/dpkg/status.d/keepme.md5sums");
    assert_string_equal(s, "11111111111111111111111111111111  usr/bin/keep\n");
    free(s);
    assert_false(exists(g_dst, "/var/lib/dpkg/status.d/dropme"));
    assert_true(exists(g_dst, "/usr/share/doc/keepme/copyright")); /* where the license is read */
    s = rd(g_dst, "/etc/os-release"); /* scanners need the distribution */
    assert_string_equal(s, "ID=debian\nVERSION_ID=12\n");
    free(s);
    assert_false(exists(g_dst, "/var/lib/dpkg/status"));   /* the stale copy is gone */
    assert_false(exists(g_dst, "/var/lib/dpkg/status.d/huge")); /* 3 MiB stanza: refused */
    assert_false(exists(g_dir, "/escape"));
    assert_false(exists(g_dst, "/escape"));
    bool named = false;
    for (size_t i = 0; i < json_array_size(warn); i++) {
        const char *w = json_string_value(json_array_get(warn, i));
        if (strstr(w, "huge") && strstr(w, "too large")) named = true;
    }
    assert_true(named);
    /* apk: the kept package with its kept file. */
    s = rd(g_dst, "/lib/apk/db/installed");
    assert_string_equal(s, "P:akeep\nV:1\nF:usr/bin\nR:keep\nZ:Q1=\n\n");
    free(s);
    /* Python: METADATA copied, RECORD pruned; the dropped distribution absent. */
    s = rd(g_dst, "/usr/lib/python3/dist-packages/keeppy-1.0.dist-info/RECORD");
    assert_string_equal(s, "keeppy-1.0.dist-info/METADATA,,\nkeeppy-1.0.dist-info/RECORD,,\nkeeppy/__init__.py,,\n");
    free(s);
    assert_true(exists(g_dst, "/usr/lib/python3/dist-packages/keeppy-1.0.dist-info/METADATA"));
    assert_false(exists(g_dst, "/usr/lib/python3/dist-packages/droppy-2.0.dist-info"));
    /* npm: package.json of the package that kept a file only. */
    assert_true(exists(g_dst, "/app/node_modules/left-pad/package.json"));
    assert_false(exists(g_dst, "/app/node_modules/unused/package.json"));
    /* The kept list: types, versions, counts. */
    size_t i;
    json_t *p;
    bool deb = false;
    json_array_foreach(kept, i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        assert_true(strcmp(n, "dropme") && strcmp(n, "droppy") && strcmp(n, "unused") && strcmp(n, "adrop"));
        if (!strcmp(n, "keepme")) {
            deb = true;
            assert_string_equal(json_string_value(json_object_get(p, "version")), "1.2-3");
            /* /usr/bin/keep, /bin/keep (the same file), /usr/bin/loop: /bin is a link to a dir, not a file. */
            assert_int_equal(json_integer_value(json_object_get(p, "kept")), 3);
        }
    }
    assert_true(deb);
    /* Same input, same bytes: a second run, from a scan of the source read once (as a build
     * shares it between its candidates and its report), writes the same files and list. */
    char *a = rd(g_dst, "/var/lib/dpkg/status.d/keepme.md5sums");
    ds_srcscan *scan = NULL;
    assert_int_equal(ds_srcscan_load(g_src, &scan, &e), 0);
    json_t *again = NULL;
    assert_int_equal(ds_pkg_meta_write(g_src, scan, &m, g_dst, warn, &again, &e), 0);
    char *b = rd(g_dst, "/var/lib/dpkg/status.d/keepme.md5sums");
    assert_string_equal(a, b);
    assert_true(json_equal(kept, again));
    json_t *shares = ds_pkg_meta_kept(g_src, scan, &m);
    assert_true(json_equal(kept, shares));
    json_decref(shares);
    json_decref(again);
    ds_srcscan_free(scan);
    json_decref(kept);
    free(a); free(b);
    json_decref(warn);
    ds_pathmap_free(&m);
}

/* A result whose /var/lib is a symlink (to outside): the writer refuses to write through it. */
static void test_writer_symlinked_dir(void **state) {
    (void)state;
    char *out = ds_xasprintf("%s/outside", g_dir);
    ds_err e;
    assert_int_equal(ds_mkdirs(out, 0755, &e), 0);
    char *dst2 = ds_xasprintf("%s/dst2", g_dir);
    wr(dst2, "/usr/bin/keep", "kept binary\n");
    char *var = ds_xasprintf("%s/var", dst2);
    assert_int_equal(ds_mkdirs(var, 0755, &e), 0);
    free(var);
    char *lib = ds_xasprintf("%s/var/lib", dst2);
    assert_int_equal(symlink(out, lib), 0);
    ds_pathmap m = kept_set();
    assert_int_equal(ds_pkg_meta_write(g_src, NULL, &m, dst2, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "refusing to write through it"));
    char *esc = ds_xasprintf("%s/dpkg", out);
    struct stat st;
    assert_int_not_equal(lstat(esc, &st), 0);
    free(esc); free(lib); free(dst2); free(out);
    ds_pathmap_free(&m);
}

/* ---- rpm: a SQLite rpmdb with two headers made here ---- */
static void be32(unsigned char *p, uint32_t v) { p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v; }

/* Header: NAME, VERSION, RELEASE (strings), DIRINDEXES (int32), BASENAMES, DIRNAMES (string arrays). */
static unsigned char *rpm_header(const char *name, const char *dir, const char *base, size_t *len) {
    unsigned char data[512];
    size_t dl = 0;
    uint32_t off[6];
    const char *strs[3] = {name, "1.0", "1"};
    for (int i = 0; i < 3; i++) { off[i] = (uint32_t)dl; strcpy((char *)data + dl, strs[i]); dl += strlen(strs[i]) + 1; }
    while (dl % 4) data[dl++] = 0;
    off[3] = (uint32_t)dl; be32(data + dl, 0); dl += 4;
    off[4] = (uint32_t)dl; strcpy((char *)data + dl, base); dl += strlen(base) + 1;
    off[5] = (uint32_t)dl; strcpy((char *)data + dl, dir); dl += strlen(dir) + 1;
    const uint32_t tags[6] = {1000, 1001, 1002, 1116, 1117, 1118}, types[6] = {6, 6, 6, 4, 8, 8};
    unsigned char *b = calloc(1, 8 + 6 * 16 + dl);
    be32(b, 6); be32(b + 4, (uint32_t)dl);
    for (int i = 0; i < 6; i++) {
        unsigned char *e = b + 8 + i * 16;
        be32(e, tags[i]); be32(e + 4, types[i]); be32(e + 8, off[i]); be32(e + 12, 1);
    }
    memcpy(b + 8 + 6 * 16, data, dl);
    *len = 8 + 6 * 16 + dl;
    return b;
}

static void test_writer_rpm(void **state) {
    (void)state;
    char *root = ds_xasprintf("%s/rpmsrc", g_dir), *dst = ds_xasprintf("%s/rpmdst", g_dir);
    wr(root, "/etc/os-release", "ID=fedora\nVERSION_ID=39\n");
    wr(root, "/usr/bin/keep", "k\n");
    wr(root, "/usr/bin/drop", "d\n");
    wr(dst, "/usr/bin/keep", "k\n");
    char *dbdir = ds_xasprintf("%s/var/lib/rpm", root);
    ds_err e;
    assert_int_equal(ds_mkdirs(dbdir, 0755, &e), 0);
    char *dbp = ds_xasprintf("%s/rpmdb.sqlite", dbdir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(dbp, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);"
                                      "CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL);", NULL, NULL, NULL), SQLITE_OK);
    const char *names[2] = {"rkeep", "rdrop"}, *bases[2] = {"keep", "drop"};
    for (int i = 0; i < 2; i++) {
        size_t len;
        unsigned char *h = rpm_header(names[i], "/usr/bin/", bases[i], &len);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO Packages(blob) VALUES(?)", -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_blob(st, 1, h, (int)len, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        char *q = sqlite3_mprintf("INSERT INTO Name VALUES(%Q, %d, 0)", names[i], i + 1);
        assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_free(q);
        free(h);
    }
    sqlite3_close(db);
    ds_pathmap m = {0};
    ds_pathmap_add(&m, "/usr/bin/keep", "t");
    json_t *kept = NULL;
    assert_int_equal(ds_pkg_meta_write(root, NULL, &m, dst, NULL, &kept, &e), 0);
    assert_int_equal(json_array_size(kept), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(kept, 0), "name")), "rkeep");
    json_decref(kept);
    char *out = ds_xasprintf("%s/var/lib/rpm/rpmdb.sqlite", dst);
    assert_int_equal(sqlite3_open_v2(out, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM Packages), (SELECT group_concat(key) FROM Name)", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "rkeep");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* The source's database is untouched. */
    assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM Packages", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(out); free(dbp); free(dbdir); free(root); free(dst);
    ds_pathmap_free(&m);
}

/* The walk answers for what it saw (no syscall: an entry removed since is still there, as the
 * source of a build does not change), the file system for what it did not; a ds_root opened on
 * the same root resolves its directories from it, symlinks followed as before. */
static void test_srcscan_answers_from_the_walk(void **state) {
    (void)state;
    ds_err e;
    wr(g_src, "/opt/walked/file", "seen by the walk\n");
    ds_srcscan *scan = NULL;
    assert_int_equal(ds_srcscan_load(g_src, &scan, &e), 0);
    char *f = ds_xasprintf("%s/opt/walked/file", g_src), *d = ds_xasprintf("%s/opt/walked", g_src);
    assert_int_equal(unlink(f), 0);
    assert_int_equal(rmdir(d), 0);
    wr(g_src, "/opt/later", "after the walk\n");
    struct stat st;
    assert_int_equal(ds_srcscan_lstat(scan, g_src, "/opt/walked/file", &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 17);
    assert_int_equal(ds_srcscan_lstat(scan, g_src, "/opt/later", &st), 0); /* not walked: lstat(2) */
    assert_int_equal(st.st_size, 15);
    assert_int_equal(ds_srcscan_lstat(NULL, g_src, "/opt/walked/file", &st), -1);
    assert_int_equal(ds_srcscan_lstat(scan, g_src, "/opt/never", &st), -1);

    ds_root r;
    assert_int_equal(ds_root_open(&r, g_src, &e), 0);
    ds_srcscan_attach(scan, &r);
    const ds_rpath_res *x = ds_root_lookup(&r, "/opt/walked");
    assert_true(x->exists && S_ISDIR(x->mode));
    x = ds_root_lookup(&r, "/bin/keep"); /* through the /bin -> usr/bin link */
    assert_true(x->exists && S_ISREG(x->mode));
    assert_string_equal(x->real, "/usr/bin/keep");
    assert_int_equal(x->n_links, 1);
    assert_string_equal(x->links[0], "/bin");
    /* ds_srcscan_entry: a path in the walk's form that it saw is its own name; through a
     * link, or spelled otherwise, it is resolved (the canonical name, never the spelling). */
    char *n = ds_srcscan_entry(scan, &r, "/opt/walked/file", &st);
    assert_string_equal(n, "/opt/walked/file");
    assert_int_equal(st.st_size, 17);
    free(n);
    n = ds_srcscan_entry(scan, &r, "/bin/keep", &st);
    assert_string_equal(n, "/usr/bin/keep");
    free(n);
    n = ds_srcscan_entry(scan, &r, "/opt/./walked//file", &st);
    assert_string_equal(n, "/opt/walked/file");
    free(n);
    assert_true(ds_srcscan_walk_form("/usr/bin/keep"));
    assert_false(ds_srcscan_walk_form("/"));
    assert_false(ds_srcscan_walk_form("usr/bin"));
    assert_false(ds_srcscan_walk_form("/usr//bin"));
    assert_false(ds_srcscan_walk_form("/usr/bin/"));
    assert_false(ds_srcscan_walk_form("/usr/./bin"));
    assert_false(ds_srcscan_walk_form("/usr/bin/.."));
    assert_true(ds_srcscan_walk_form("/usr/.bin/..x"));
    ds_root_close(&r);
    /* Another root: the walk is not its, its lookups ask the file system. */
    assert_int_equal(ds_root_open(&r, g_dst, &e), 0);
    ds_srcscan_attach(scan, &r);
    assert_null(r.seen);
    assert_false(ds_root_lookup(&r, "/opt/walked")->exists);
    ds_root_close(&r);

    char *later = ds_xasprintf("%s/opt/later", g_src);
    unlink(later);
    free(later); free(f); free(d);
    ds_srcscan_free(scan);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dep5_to_spdx),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_symlinked_dir),
        cmocka_unit_test(test_writer_rpm),
        cmocka_unit_test(test_srcscan_answers_from_the_walk),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
