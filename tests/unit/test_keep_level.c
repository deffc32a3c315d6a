/* Unit tests for the keep levels (src/minify/keep_level.c, packages.c, pyimports.c): a
 * hand-made tree with a dpkg database (hostile entries included), an app tree, a data
 * directory, a Python standard library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "build/build_int.h"
#include "minify/minify.h"
#include "minify/packages.h"
#include "minify/pyimports.h"
#include "util/fsutil.h"

static char *root;

static void put(const char *rel, const char *data, mode_t mode) {
    char *p = ds_xasprintf("%s%s", root, rel);
    ds_err e;
    char *dir = ds_xstrdup(p);
    *strrchr(dir, '/') = 0;
    assert_int_equal(ds_mkdirs(dir, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, data, strlen(data), mode, &e), 0);
    free(dir);
    free(p);
}
static void lnk(const char *target, const char *rel) {
    char *p = ds_xasprintf("%s%s", root, rel);
    char *dir = ds_xstrdup(p);
    *strrchr(dir, '/') = 0;
    ds_err e;
    ds_mkdirs(dir, 0755, &e);
    assert_int_equal(symlink(target, p), 0);
    free(dir);
    free(p);
}

static const char status[] =
    "Package: foo\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nDepends: foo-data (>= 1), libc6 | libc7, gone\n\n"
    "Package: tzdata\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
    "Package: foo-data\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nDepends: tzdata\n\n"
    "Package: tool\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n"
    "Package: evil\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
    "Package: libpython3.11-stdlib\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n"
    "Package: python3-pkgx\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
    "Package: removed\nStatus: deinstall ok config-files\nVersion: 1\nArchitecture: amd64\n";

static int setup(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-test-keeplevel", &root, &e), 0);
    put("/usr/bin/app", "#!app\n", 0755);
    put("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0644);
    put("/etc/group", "root:x:0:\n", 0644);
    put("/usr/lib/foo/used.so", "used", 0644);
    put("/usr/lib/foo/unused-plugin.so", "plugin, not ELF", 0644);
    put("/usr/bin/foo-helper", "a program of a library package", 0755);
    put("/usr/share/foo/templates/t.html", "template", 0644);
    put("/usr/share/doc/foo/README", "0123456789", 0644);
    put("/usr/share/man/man1/foo.1.gz", "man", 0644);
    put("/usr/share/foo-data/table.dat", "data", 0644);
    put("/usr/bin/tool", "tool", 0755);
    put("/usr/share/tool/extra", "extra", 0644);
    put("/usr/share/removed/file", "r", 0644);
    put("/usr/share/zoneinfo/Asia/Tokyo", "TZif", 0644);
    put("/usr/share/zoneinfo/right/Asia/Tokyo", "TZifR", 0644);
    lnk("Asia/Tokyo", "/usr/share/zoneinfo/right/Japan");
    put("/usr/share/foo/man/man1/foo-own.1.gz", "own", 0644);
    put("/etc/services", "http 80/tcp\n", 0644);
    /* hostile: a list naming paths outside, links out and a cycle between two packages */
    put("/etc/shadow", "image's own shadow", 0600);
    lnk("/../../../../etc/shadow", "/usr/share/evil/out");
    lnk("../p2/loop", "/usr/share/p1/loop");
    lnk("../p1/loop", "/usr/share/p2/loop");
    put("/var/lib/dpkg/status", status, 0644);
    put("/var/lib/dpkg/info/foo:amd64.list",
        "/.\n/usr\n/usr/lib\n/usr/lib/foo\n/usr/lib/foo/used.so\n/usr/lib/foo/unused-plugin.so\n"
        "/usr/share/foo/templates/t.html\n/usr/bin/foo-helper\n/usr/share/doc/foo/README\n/usr/share/man/man1/foo.1.gz\n"
        "/usr/share/foo/man/man1/foo-own.1.gz\n", 0644);
    put("/var/lib/dpkg/info/tzdata.list", "/usr/share/zoneinfo/Asia/Tokyo\n/usr/share/zoneinfo/right/Asia/Tokyo\n"
        "/usr/share/zoneinfo/right/Japan\n", 0644);
    put("/var/lib/dpkg/info/foo-data.list", "/usr/share/foo-data\n/usr/share/foo-data/table.dat\n", 0644);
    put("/var/lib/dpkg/info/tool:amd64.list", "/usr/bin/tool\n/usr/share/tool/extra\n", 0644);
    put("/var/lib/dpkg/info/removed:amd64.list", "/usr/share/removed/file\n", 0644);
    put("/var/lib/dpkg/info/evil.list",
        "../../etc/shadow\n/../../etc/shadow-nope\n/usr/share/evil/out\n/usr/share/p1/loop\n/usr/share/p2/loop\n"
        "/usr/share/evil/../../../../../../../tmp/x\n", 0644);
    /* the app's own tree */
    put("/srv/app/app.py", "import os\ndef route():\n    import json\n    from lib import helper\n", 0644);
    put("/srv/app/templates/about.html", "about", 0644);
    put("/srv/app/static/style.css", "css", 0644);
    put("/srv/app/lib/__init__.py", "", 0644);
    put("/srv/app/lib/helper.py", "import statistics\nimport pkgx\n", 0644);
    /* an npm package in the app's tree: its docs and tests stay out */
    put("/srv/app/node_modules/m/package.json", "{\"name\":\"m\",\"version\":\"1.0.0\"}", 0644);
    put("/srv/app/node_modules/m/index.js", "module.exports = 1;\n", 0644);
    put("/srv/app/node_modules/m/README.md", "# m\n", 0644);
    put("/srv/app/node_modules/m/test/t.js", "require('tape');\n", 0644);
    /* a Python package a kept module imports: whole, less its test suite and type stubs */
    put("/usr/lib/python3/dist-packages/pkgx/__init__.py", "", 0644);
    put("/usr/lib/python3/dist-packages/pkgx/core.py", "", 0644);
    put("/usr/lib/python3/dist-packages/pkgx/__init__.pyi", "stub", 0644);
    put("/usr/lib/python3/dist-packages/pkgx/tests/test_a.py", "import never\n", 0644);
    put("/var/lib/dpkg/info/python3-pkgx.list",
        "/usr/lib/python3/dist-packages/pkgx\n/usr/lib/python3/dist-packages/pkgx/__init__.py\n"
        "/usr/lib/python3/dist-packages/pkgx/core.py\n/usr/lib/python3/dist-packages/pkgx/__init__.pyi\n"
        "/usr/lib/python3/dist-packages/pkgx/tests\n/usr/lib/python3/dist-packages/pkgx/tests/test_a.py\n", 0644);
    /* a data directory the app wrote in, and a declared volume */
    put("/var/lib/db/base/1", "table 1", 0600);
    put("/var/lib/db/base/2", "table 2, never read", 0600);
    put("/data/vol/file", "volume content", 0644);
    /* a Python standard library */
    put("/usr/lib/python3.11/os.py", "import abc\n", 0644);
    put("/usr/lib/python3.11/abc.py", "", 0644);
    put("/usr/lib/python3.11/json/__init__.py", "from .decoder import JSONDecoder\n", 0644);
    put("/usr/lib/python3.11/json/decoder.py", "import re\ndef f():\n    import unused_lazy\n", 0644);
    put("/usr/lib/python3.11/re.py", "", 0644);
    put("/usr/lib/python3.11/unused_lazy.py", "", 0644);
    put("/usr/lib/python3.11/never.py", "", 0644);
    put("/usr/lib/python3.11/statistics.py", "from _statistics import x\n", 0644);
    put("/usr/lib/python3.11/lib-dynload/_statistics.cpython-311-x86_64-linux-gnu.so", "so", 0644);
    put("/usr/lib/python3.11/encodings/__init__.py", "", 0644);
    put("/usr/lib/python3.11/encodings/cp1252.py", "", 0644);
    put("/var/lib/dpkg/info/libpython3.11-stdlib:amd64.list",
        "/usr/lib/python3.11\n/usr/lib/python3.11/os.py\n/usr/lib/python3.11/abc.py\n/usr/lib/python3.11/json\n"
        "/usr/lib/python3.11/json/__init__.py\n/usr/lib/python3.11/json/decoder.py\n/usr/lib/python3.11/re.py\n"
        "/usr/lib/python3.11/unused_lazy.py\n/usr/lib/python3.11/never.py\n/usr/lib/python3.11/statistics.py\n"
        "/usr/lib/python3.11/lib-dynload\n/usr/lib/python3.11/lib-dynload/_statistics.cpython-311-x86_64-linux-gnu.so\n"
        "/usr/lib/python3.11/encodings/__init__.py\n/usr/lib/python3.11/encodings/cp1252.py\n", 0644);
    char *tmp = ds_xasprintf("%s/tmp", root);
    mkdir(tmp, 01777);
    free(tmp);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(root, &e);
    free(root);
    return 0;
}

static ds_trace *trace(void) {
    const char *text =
        "{\"version\":1,\"files\":["
        "{\"path\":\"/usr/bin/app\",\"kind\":\"file\",\"ops\":[\"exec\"],\"ok\":true},"
        "{\"path\":\"/usr/lib/foo/used.so\",\"kind\":\"file\",\"ops\":[\"open\",\"map\"],\"ok\":true},"
        "{\"path\":\"/usr/bin/tool\",\"kind\":\"file\",\"ops\":[\"stat\"],\"ok\":true},"
        "{\"path\":\"/usr/share/evil/out\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"/usr/share/p1/loop\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":false},"
        "{\"path\":\"/srv/app/app.py\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"/usr/lib/python3.11/os.py\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"/var/lib/db/base/1\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"/var/lib/db/postmaster.pid\",\"kind\":\"file\",\"ops\":[\"open\",\"create\"],\"ok\":true}"
        "],\"execs\":[{\"path\":\"/usr/bin/app\",\"argv\":[\"app\"],\"ok\":true}],\"syscalls\":[\"read\"]}";
    ds_trace *t = NULL;
    ds_err e = {0};
    if (ds_trace_parse(text, strlen(text), "test trace", &t, &e) < 0) fail_msg("%s", e.msg);
    return t;
}

static ds_closure *closure(ds_keep_level level) {
    ds_trace *t = trace();
    char *cmd[] = {"/usr/bin/app", "/srv/app/app.py"};
    char *vols[] = {"/data/vol"};
    ds_minify_opts o = {.command = cmd, .n_command = 2, .path_env = "/usr/bin", .workdir = "/",
                        .keep_level = level, .volumes = vols, .n_volumes = 1};
    ds_closure *c = NULL;
    ds_err e = {0};
    if (ds_closure_compute(root, t, &o, &c, &e) < 0) fail_msg("%s", e.msg);
    ds_trace_free(t);
    for (size_t i = 0; i < c->keep.n; i++) {
        assert_int_equal(c->keep.v[i].path[0], '/');
        assert_null(strstr(c->keep.v[i].path, ".."));
    }
    return c;
}

#define KEPT(c, p) do { if (!ds_pathmap_get(&(c)->keep, p)) fail_msg("expected %s kept", p); } while (0)
#define DROPPED(c, p) do { if (ds_pathmap_get(&(c)->keep, p)) fail_msg("expected %s left out (%s)", p, ds_pathmap_get(&(c)->keep, p)); } while (0)

static const json_t *pkg(const ds_closure *c, const char *name) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(c->keep_level, "packages"), i, p)
        if (!strcmp(json_string_value(json_object_get(p, "name")), name)) return p;
    return NULL;
}

static void test_package_level(void **state) {
    (void)state;
    ds_closure *c = closure(DS_KEEP_PACKAGE);
    /* the whole package of a used file, without its documentation */
    KEPT(c, "/usr/lib/foo/unused-plugin.so");
    KEPT(c, "/usr/share/foo/templates/t.html");
    DROPPED(c, "/usr/share/doc/foo/README");
    DROPPED(c, "/usr/share/man/man1/foo.1.gz");
    DROPPED(c, "/usr/share/foo/man/man1/foo-own.1.gz"); /* its own man tree */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c->keep_level, "docs_left_out"), "man")), 3 + 3);
    /* used as a library: its programs stay out unless the app ran one */
    DROPPED(c, "/usr/bin/foo-helper");
    assert_int_equal(json_integer_value(json_object_get(c->keep_level, "programs_left_out_bytes")), 30);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c->keep_level, "docs_left_out"), "doc")), 10);
    /* runtime data it depends on (no code in it); a package only stat'ed is not used */
    KEPT(c, "/usr/share/foo-data/table.dat");
    DROPPED(c, "/usr/share/tool/extra");
    DROPPED(c, "/usr/share/removed/file");
    assert_string_equal(json_string_value(json_object_get(pkg(c, "foo"), "state")), "whole");
    assert_string_equal(json_string_value(json_object_get(pkg(c, "foo-data"), "state")), "whole");
    assert_string_equal(json_string_value(json_object_get(pkg(c, "tool"), "state")), "partial");
    /* the app's own tree, whole */
    KEPT(c, "/srv/app/templates/about.html");
    KEPT(c, "/srv/app/static/style.css");
    KEPT(c, "/srv/app/lib/helper.py");
    /* a distroless base's data */
    KEPT(c, "/usr/share/zoneinfo/Asia/Tokyo");
    /* ... less the leap-second zones, which no one used, counted once (tzdata, data that
     * foo-data depends on, is kept whole too) */
    assert_string_equal(json_string_value(json_object_get(pkg(c, "tzdata"), "state")), "whole");
    DROPPED(c, "/usr/share/zoneinfo/right");
    DROPPED(c, "/usr/share/zoneinfo/right/Asia/Tokyo");
    DROPPED(c, "/usr/share/zoneinfo/right/Japan");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c->keep_level, "left_out"),
                                                        "leap-second time zones (zoneinfo/right)")), 5);
    KEPT(c, "/etc/services");
    /* the standard library at module level: imports (lazy ones of the app too), their
     * imports at module level, extension modules, codecs; not the rest */
    KEPT(c, "/usr/lib/python3.11/abc.py");
    KEPT(c, "/usr/lib/python3.11/json/__init__.py");
    KEPT(c, "/usr/lib/python3.11/json/decoder.py");
    KEPT(c, "/usr/lib/python3.11/re.py");
    KEPT(c, "/usr/lib/python3.11/statistics.py");
    KEPT(c, "/usr/lib/python3.11/lib-dynload/_statistics.cpython-311-x86_64-linux-gnu.so");
    KEPT(c, "/usr/lib/python3.11/encodings/cp1252.py");
    DROPPED(c, "/usr/lib/python3.11/unused_lazy.py"); /* inside a function of a standard module */
    DROPPED(c, "/usr/lib/python3.11/never.py");
    assert_string_equal(json_string_value(json_object_get(pkg(c, "libpython3.11-stdlib"), "state")), "modules");
    /* a package an import brings: whole, without its tests (whose imports are not followed)
     * and type stubs; the app tree's npm package without its docs and tests */
    KEPT(c, "/usr/lib/python3/dist-packages/pkgx/core.py");
    DROPPED(c, "/usr/lib/python3/dist-packages/pkgx/tests/test_a.py");
    DROPPED(c, "/usr/lib/python3/dist-packages/pkgx/__init__.pyi");
    KEPT(c, "/srv/app/node_modules/m/index.js");
    DROPPED(c, "/srv/app/node_modules/m/README.md");
    DROPPED(c, "/srv/app/node_modules/m/test/t.js");
    const json_t *lo = json_object_get(c->keep_level, "left_out");
    assert_int_equal(json_integer_value(json_object_get(lo, "test suites")), 13 + 17);
    assert_int_equal(json_integer_value(json_object_get(lo, "type stubs")), 4);
    assert_int_equal(json_integer_value(json_object_get(lo, "package documentation (*.md)")), 4);
    /* what the file level keeps of each package: foo's used.so only */
    assert_int_equal(json_integer_value(json_object_get(pkg(c, "foo"), "file_level_bytes")), 4);
    assert_true(json_integer_value(json_object_get(pkg(c, "foo"), "kept_bytes")) > 4);
    /* data: the directory written in and the volume, whole */
    KEPT(c, "/var/lib/db/base/2");
    KEPT(c, "/data/vol/file");
    /* hostile entries: inside the root or nothing */
    DROPPED(c, "/usr/share/p1/loop/x");
    assert_true(json_integer_value(json_object_get(c->keep_level, "bytes")) >
                json_integer_value(json_object_get(c->keep_level, "file_level_bytes")));
    ds_closure_free(c);
}

static void test_file_level(void **state) {
    (void)state;
    ds_closure *c = closure(DS_KEEP_FILE);
    KEPT(c, "/usr/lib/foo/used.so");
    DROPPED(c, "/usr/lib/foo/unused-plugin.so");
    DROPPED(c, "/usr/share/foo-data/table.dat");
    DROPPED(c, "/srv/app/templates/about.html");
    DROPPED(c, "/usr/share/zoneinfo/Asia/Tokyo");
    DROPPED(c, "/usr/lib/python3.11/json/__init__.py");
    /* data is never partially kept, at any level */
    KEPT(c, "/var/lib/db/base/2");
    KEPT(c, "/data/vol/file");
    assert_null(json_object_get(c->keep_level, "packages"));
    ds_closure_free(c);
}

/* The walk and the package index read ahead on a thread (while the app is traced) are the
 * ones the closure reads itself: same packages, same files, same kept paths. A root that
 * cannot be walked fails at finish, naming it. */
static void test_index_read_ahead(void **state) {
    (void)state;
    ds_source_scan_job *j = ds_source_scan_start(root, true);
    ds_srcscan *scan = NULL;
    ds_pkgindex *ix = NULL;
    ds_err e = {0};
    assert_int_equal(ds_source_scan_finish(j, &scan, &ix, &e), 0);
    assert_non_null(scan);
    assert_non_null(ix);
    ds_root tree;
    assert_int_equal(ds_root_open(&tree, root, &e), 0);
    ds_pkgindex own;
    assert_int_equal(ds_pkgindex_build(&tree, NULL, &own, &e), 0);
    ds_root_close(&tree);
    assert_int_equal(ix->n, own.n);
    for (size_t i = 0; i < own.n; i++) {
        assert_string_equal(ix->v[i].name, own.v[i].name);
        assert_int_equal(ix->v[i].n_files, own.v[i].n_files);
        for (size_t f = 0; f < own.v[i].n_files; f++) assert_string_equal(ix->v[i].files[f], own.v[i].files[f]);
    }
    ds_pkgindex_free(&own);
    /* the closure with them keeps what it keeps on its own */
    ds_closure *plain = closure(DS_KEEP_PACKAGE);
    ds_trace *t = trace();
    char *cmd[] = {"/usr/bin/app", "/srv/app/app.py"};
    char *vols[] = {"/data/vol"};
    ds_minify_opts o = {.command = cmd, .n_command = 2, .path_env = "/usr/bin", .workdir = "/",
                        .keep_level = DS_KEEP_PACKAGE, .volumes = vols, .n_volumes = 1, .src_scan = scan,
                        .pkgindex = ix};
    ds_closure *c = NULL;
    assert_int_equal(ds_closure_compute(root, t, &o, &c, &e), 0);
    assert_int_equal(c->keep.n, plain->keep.n);
    for (size_t i = 0; i < c->keep.n; i++) assert_string_equal(c->keep.v[i].path, plain->keep.v[i].path);
    ds_closure_free(c);
    ds_closure_free(plain);
    ds_trace_free(t);
    ds_pkgindex_free(ix);
    free(ix);
    ds_srcscan_free(scan);
    /* without the index (file level), and a root that is not there */
    j = ds_source_scan_start(root, false);
    assert_int_equal(ds_source_scan_finish(j, &scan, &ix, &e), 0);
    assert_null(ix);
    ds_srcscan_free(scan);
    char *gone = ds_xasprintf("%s-not-there", root);
    j = ds_source_scan_start(gone, true);
    assert_int_equal(ds_source_scan_finish(j, &scan, &ix, &e), -1);
    assert_null(scan);
    assert_non_null(strstr(e.msg, "not-there"));
    free(gone);
}

static void test_index_hostile(void **state) {
    (void)state;
    ds_root tree;
    ds_err e = {0};
    assert_int_equal(ds_root_open(&tree, root, &e), 0);
    ds_pkgindex ix;
    assert_int_equal(ds_pkgindex_build(&tree, NULL, &ix, &e), 0);
    long ev = ds_pkgindex_find(&ix, "deb", "evil");
    assert_true(ev >= 0);
    for (size_t i = 0; i < ix.v[ev].n_files; i++) {
        const char *f = ix.v[ev].files[i];
        assert_int_equal(f[0], '/');
        assert_null(strstr(f, ".."));
        assert_string_not_equal(f, "/etc/shadow-nope");
    }
    /* the link itself is owned (resolved inside the root), a cycle owns its links only */
    assert_int_equal(ds_pkgindex_owner(&ix, "/usr/share/evil/out"), ev);
    assert_int_equal(ds_pkgindex_find(&ix, "deb", "removed"), -1); /* config-files only */
    long foo = ds_pkgindex_find(&ix, "deb", "foo:amd64");
    assert_true(foo >= 0);
    assert_int_equal(ds_pkgindex_owner(&ix, "/usr/lib/foo/used.so"), foo);
    assert_int_equal(ix.v[foo].n_depends, 3);
    assert_string_equal(ix.v[foo].depends[0], "foo-data");
    assert_false(ix.v[ds_pkgindex_find(&ix, "deb", "foo-data")].has_code);
    assert_true(ix.v[foo].has_code);
    ds_pkgindex_free(&ix);
    ds_root_close(&tree);
    assert_string_equal(ds_doc_class("/usr/share/man/man1/x.1.gz"), "man");
    assert_null(ds_doc_class("/usr/share/foo/x"));
}

static void test_levels_parse(void **state) {
    (void)state;
    assert_int_equal(ds_keep_level_parse("package"), DS_KEEP_PACKAGE);
    assert_int_equal(ds_keep_level_parse("file"), DS_KEEP_FILE);
    assert_int_equal(ds_keep_level_parse("packages"), -1);
    assert_int_equal(ds_keep_level_parse(""), -1);
}

static void test_py_imports(void **state) {
    (void)state;
    const char *src = "import os, sys as system\n"
                      "from a.b import (c,\n   d as e)\n"
                      "from . import sib\n"
                      "from ..up import thing\n"
                      "x = 1; import semi\n"
                      "# import commented\n"
                      "if x:\n    import guarded\n"
                      "def f():\n    import lazy\n"
                      "class K:\n    import in_class\n"
                      "import cont\\\n  inued\n"
                      "from .. import *\n";
    ds_strlist all = {0}, top = {0};
    ds_py_imports(src, strlen(src), "pkg.sub", 0, NULL, NULL, &all);
    const char *want[] = {"os", "sys", "a.b", "a.b.c", "a.b.d", "pkg.sub", "pkg.sub.sib", "pkg.up", "pkg.up.thing",
                          "semi", "guarded", "lazy", "in_class", "cont", "pkg"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!ds_strlist_has(&all, want[i])) fail_msg("expected import %s", want[i]);
    assert_false(ds_strlist_has(&all, "commented"));
    assert_false(ds_strlist_has(&all, "system"));
    ds_py_imports(src, strlen(src), "pkg.sub", DS_PY_TOP_ONLY, NULL, NULL, &top);
    assert_true(ds_strlist_has(&top, "guarded"));
    assert_false(ds_strlist_has(&top, "lazy"));
    assert_false(ds_strlist_has(&top, "in_class"));
    ds_strlist_free(&all);
    ds_strlist_free(&top);
    /* relative imports with no package, and garbage */
    ds_strlist r = {0};
    static const char bad[] = "from . import x\nfrom ...... import y\nimport\nfrom import\nimport a..b\n((((\n\0import z";
    ds_py_imports(bad, sizeof bad - 1, NULL, 0, NULL, NULL, &r);
    assert_false(ds_strlist_has(&r, "x"));
    assert_false(ds_strlist_has(&r, "a..b"));
    ds_strlist_free(&r);
}

static bool exists_but_missing(const char *m, void *ctx) {
    (void)ctx;
    return strncmp(m, "missing", 7) != 0;
}

/* Blocks that never run here, and ImportError fallbacks. */
static void test_py_import_blocks(void **state) {
    (void)state;
    const char *src = "import typing\n"
                      "if typing.TYPE_CHECKING:\n    import typed_only\n"
                      "if sys.platform == \"win32\":\n    import winreg\nelse:\n    import posix_branch\n"
                      "if os.name == 'nt':\n    import nt_only\n"
                      "if sys.platform != 'win32':\n    def popen():\n        import nested_lazy\n    import plat_top\n"
                      "try:\n    from _fast import *\nexcept ImportError:\n    from _slow import *\n"
                      "try:\n    import missing_c\nexcept ImportError:\n    import pure_fallback\n"
                      "try:\n    import a_try\nexcept (ValueError, ModuleNotFoundError):\n    import b_alt\nfinally:\n    import in_finally\n"
                      "try:\n    x = 1\nexcept ImportError:\n    import no_import_in_try\n"
                      "if __name__ == '__main__':\n    import argparse_main\n"
                      "import after_main\n";
    ds_strlist all = {0}, lib = {0}, std = {0};
    ds_py_imports(src, strlen(src), NULL, 0, NULL, NULL, &all);
    /* never: typing-only and other systems' branches */
    assert_false(ds_strlist_has(&all, "typed_only"));
    assert_false(ds_strlist_has(&all, "winreg"));
    assert_false(ds_strlist_has(&all, "nt_only"));
    assert_true(ds_strlist_has(&all, "posix_branch"));
    assert_true(ds_strlist_has(&all, "nested_lazy"));
    assert_true(ds_strlist_has(&all, "plat_top"));
    /* without an exists function every fallback is read; the app's __main__ block too */
    assert_true(ds_strlist_has(&all, "_slow"));
    assert_true(ds_strlist_has(&all, "argparse_main"));
    ds_py_imports(src, strlen(src), NULL, DS_PY_NOT_MAIN, exists_but_missing, NULL, &lib);
    assert_true(ds_strlist_has(&lib, "_fast"));
    assert_false(ds_strlist_has(&lib, "_slow"));          /* _fast is there */
    assert_true(ds_strlist_has(&lib, "pure_fallback"));   /* missing_c is not */
    assert_false(ds_strlist_has(&lib, "b_alt"));
    assert_true(ds_strlist_has(&lib, "in_finally"));
    assert_true(ds_strlist_has(&lib, "no_import_in_try"));
    assert_false(ds_strlist_has(&lib, "argparse_main"));
    assert_true(ds_strlist_has(&lib, "after_main"));
    /* a def nested in an if block is a function body too */
    ds_py_imports(src, strlen(src), NULL, DS_PY_TOP_ONLY | DS_PY_NOT_MAIN, exists_but_missing, NULL, &std);
    assert_false(ds_strlist_has(&std, "nested_lazy"));
    assert_true(ds_strlist_has(&std, "plat_top"));
    ds_strlist_free(&all);
    ds_strlist_free(&lib);
    ds_strlist_free(&std);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_package_level),
        cmocka_unit_test(test_file_level),
        cmocka_unit_test(test_index_hostile),
        cmocka_unit_test(test_index_read_ahead),
        cmocka_unit_test(test_levels_parse),
        cmocka_unit_test(test_py_imports),
        cmocka_unit_test(test_py_import_blocks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
