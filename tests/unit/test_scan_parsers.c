/* Unit tests for the scan parsers and helpers, on small fixtures written here:
 * dpkg status (and status.d), apk installed, Python METADATA, Go build info,
 * purls, in-root symlink resolution, policy YAML/JSON, OSV matching, CVSS,
 * HTML escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "scan/report.h"
#include "scan/scan.h"
#include "util/fsutil.h"

static const char STATUS[] =
    "Package: libc6\n"
    "Status: install ok installed\n"
    "Architecture: amd64\n"
    "Multi-Arch: same\n"
    "Source: glibc (2.36-9+deb12u4)\n"
    "Version: 2.36-9+deb12u4\n"
    "Description: GNU C Library\n"
    " continuation line: with a colon\n"
    "\n"
    "Package: gone\n"
    "Status: deinstall ok config-files\n"
    "Version: 1.0\n"
    "Architecture: all\n"
    "\n\n"
    "Package: tzdata\n"
    "Status: install ok installed\n"
    "Version: 1:2024a-0+deb12u1\n"
    "Architecture: all\n";

static void test_dpkg_status(void **state) {
    (void)state;
    ds_distro d = {.id = "debian", .version_id = "12"};
    ds_strlist notes = {0};
    ds_pkgctx ctx = {.root = NULL, .distro = &d, .notes = &notes};
    ds_pkglist l = {0};
    ds_err e;
    assert_int_equal(ds_dpkg_parse_status(STATUS, strlen(STATUS), "/var/lib/dpkg/status", &ctx, &l, &e), 0);
    assert_int_equal(l.n, 2); /* config-files only: not installed */
    assert_string_equal(l.v[0].name, "libc6");
    assert_string_equal(l.v[0].version, "2.36-9+deb12u4");
    assert_string_equal(l.v[0].arch, "amd64");
    assert_string_equal(l.v[0].origin, "glibc");
    assert_string_equal(l.v[0].ecosystem, "Debian:12");
    assert_string_equal(l.v[0].purl, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12");
    assert_string_equal(l.v[1].purl, "pkg:deb/debian/tzdata@1%3A2024a-0%2Bdeb12u1?arch=all&distro=debian-12");
    assert_null(l.v[1].origin);
    ds_pkglist_free(&l);
    /* Truncated input in the middle of a field. */
    assert_int_equal(ds_dpkg_parse_status(STATUS, 20, "x", &ctx, &l, &e), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].name, "libc6");
    assert_null(l.v[0].version);
    ds_pkglist_free(&l);
    ds_strlist_free(&notes);
}

static void test_apk_installed(void **state) {
    (void)state;
    static const char DB[] =
        "C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\n"
        "P:busybox\nV:1.36.1-r15\nA:x86_64\nL:GPL-2.0-only\nF:bin\nR:busybox\nF:etc\nR:securetty\n\n"
        "V:9.9\nA:x86_64\n"; /* no P: dropped */
    ds_distro d = {.id = "alpine", .version_id = "3.19.1"};
    ds_strlist notes = {0};
    ds_pkgctx ctx = {.distro = &d, .notes = &notes};
    ds_pkglist l = {0};
    ds_err e;
    assert_int_equal(ds_apk_parse_installed(DB, strlen(DB), "/lib/apk/db/installed", &ctx, &l, &e), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].name, "musl");
    assert_string_equal(l.v[0].license, "MIT");
    assert_int_equal(l.v[0].files.n, 2);
    assert_string_equal(l.v[0].files.v[0], "/lib/ld-musl-x86_64.so.1");
    assert_string_equal(l.v[0].ecosystem, "Alpine:v3.19");
    assert_string_equal(l.v[0].purl, "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=3.19.1");
    assert_string_equal(l.v[1].files.v[1], "/etc/securetty");
    ds_pkglist_free(&l);
    ds_strlist_free(&notes);
}

static void test_python_metadata(void **state) {
    (void)state;
    static const char M[] = "Metadata-Version: 2.1\nName: Requests_OAuth\nVersion: 1.3.1\nLicense: UNKNOWN\n"
                            "Classifier: License :: OSI Approved :: BSD License\n\nLicense: not a header\n";
    ds_pkg p;
    memset(&p, 0, sizeof p);
    assert_int_equal(ds_python_parse_metadata(M, strlen(M), &p), 0);
    assert_string_equal(p.name, "Requests_OAuth");
    assert_string_equal(p.version, "1.3.1");
    assert_string_equal(p.license, "BSD License");
    free(p.name); free(p.version); free(p.license);
    memset(&p, 0, sizeof p);
    assert_int_equal(ds_python_parse_metadata("Name: x\n", 8, &p), -1);
    free(p.name);
}

/* A Go >= 1.18 buildinfo blob: 32-byte header, then varint strings. */
static size_t put_str(unsigned char *b, const char *s) {
    size_t n = strlen(s), k = 0;
    size_t v = n;
    do { b[k++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>= 7; } while (v);
    memcpy(b + k, s, n);
    return k + n;
}

static void test_go_buildinfo(void **state) {
    (void)state;
    unsigned char blob[2048] = {0};
    memcpy(blob + 100, "\xff Go buildinf:", 14);
    blob[114] = 8;
    blob[115] = 2;
    char mod[1024];
    snprintf(mod, sizeof mod, "%s%s%s", "0123456789abcdef",
             "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
             "dep\tgithub.com/pkg/errors\tv0.9.1\th1:abc=\n"
             "dep\tgolang.org/x/net\tv0.1.0\th1:def=\n=>\tgolang.org/x/net\tv0.17.0\th1:ghi=\n"
             "build\t-compiler=gc\n",
             "fedcba9876543210");
    size_t off = 132;
    off += put_str(blob + off, "go1.21.5");
    off += put_str(blob + off, mod);
    ds_pkglist l = {0};
    assert_int_equal(ds_go_parse_buildinfo(blob, off, "/app", &l), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.v[0].name, "stdlib");
    assert_string_equal(l.v[0].version, "v1.21.5");
    assert_string_equal(l.v[1].name, "example.com/app");
    assert_string_equal(l.v[1].version, "(devel)");
    assert_string_equal(l.v[1].purl, "pkg:golang/example.com/app");
    assert_string_equal(l.v[2].purl, "pkg:golang/github.com/pkg/errors@v0.9.1");
    assert_string_equal(l.v[3].version, "v0.17.0"); /* the replacement wins */
    ds_pkglist_free(&l);
    /* Truncated: the varint runs past the end. */
    assert_int_equal(ds_go_parse_buildinfo(blob, 134, "/app", &l), -1);
    /* Old format flag. */
    blob[115] = 0;
    assert_int_equal(ds_go_parse_buildinfo(blob, off, "/app", &l), -1);
    ds_pkglist_free(&l);
}

/* rpm header blob from the seed corpus of the fuzzer (a real rpmbuild package). */
static void test_rpm_header(void **state) {
    (void)state;
    char *blob = NULL;
    size_t len = 0;
    ds_err e;
    assert_int_equal(ds_read_file("tests/fuzz/corpus/rpm_header/pkg0", &blob, &len, 0, &e), 0);
    ds_distro d = {.id = "fedora", .version_id = "39"};
    ds_strlist notes = {0};
    ds_pkgctx ctx = {.distro = &d, .notes = &notes};
    ds_pkglist l = {0};
    assert_int_equal(ds_rpm_parse_header((unsigned char *)blob, len, "db", &ctx, &l), 0);
    assert_int_equal(l.n, 1);
    assert_non_null(strstr(l.v[0].purl, "pkg:rpm/fedora/"));
    assert_int_equal(l.v[0].files.n, 1);
    /* Every truncation is refused or parsed without reading past the end (ASan watches). */
    for (size_t n = 0; n < len; n += 7) {
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, blob, n);
        ds_rpm_parse_header(cut, n, "db", &ctx, &l);
        free(cut);
    }
    ds_pkglist_free(&l);
    ds_strlist_free(&notes);
    free(blob);
    assert_true(ds_ver_cmp_rpm("1.0~rc1-1", "1.0-1") < 0);
    assert_true(ds_ver_cmp_rpm("1.0^git1-1", "1.0-1") > 0);
    assert_true(ds_ver_cmp_rpm("1.0^git1-1", "1.0.1-1") < 0);
    assert_true(ds_ver_cmp_rpm("2:0.1-1", "1:9.9-9") > 0);
    assert_true(ds_ver_cmp_rpm("1.10-1.el9", "1.9-1.el9") > 0);
    assert_true(ds_ver_cmp_rpm("1.0a-1", "1.0-1") > 0);
    assert_true(ds_ver_cmp_rpm("1.0-1.el9_2", "1.0-1.el9") > 0);
    assert_int_equal(ds_ver_cmp_rpm("1.01-1", "1.1-1"), 0);
    assert_true(ds_ver_cmp_ecosystem("Rocky Linux", "1.0~rc1-1", "1.0-1") < 0);
    /* Expected values from rpm 4.18's own rpm.vercmp(). */
    static const struct { const char *a, *b; int r; } V[] = {
        {"1.0~rc1", "1.0", -1}, {"1.0^git1", "1.0", 1}, {"1.0^git1", "1.0.1", -1}, {"1.01", "1.1", 0},
        {"1.0a", "1.0", 1}, {"a", "b", -1}, {"1.0", "1.0.0", -1}, {"1_0", "1.0", 0}, {"2.0~", "2.0~~", 1},
        {"1.0^", "1.0", 1}, {"1.0^^", "1.0^", 1}, {"abc", "123", -1},
    };
    for (size_t i = 0; i < sizeof V / sizeof *V; i++) {
        int r = ds_ver_cmp_rpm(V[i].a, V[i].b);
        r = r < 0 ? -1 : r > 0;
        if (r != V[i].r) fail_msg("rpm %s vs %s: expected %d got %d", V[i].a, V[i].b, V[i].r, r);
    }
}

static void test_purl(void **state) {
    (void)state;
    json_t *j = ds_jstr("caf\xe9 ok \xc3\xa9");
    assert_string_equal(json_string_value(j), "caf? ok \xc3\xa9");
    json_decref(j);
    char *p = ds_purl("npm", "@babel", "core", "7.0.0-beta.1", NULL);
    assert_string_equal(p, "pkg:npm/%40babel/core@7.0.0-beta.1");
    free(p);
    p = ds_purl("maven", "org.apache", "commons lang", "3.1", NULL);
    assert_string_equal(p, "pkg:maven/org.apache/commons%20lang@3.1");
    free(p);
}

static char *tmp;

static void mk(const char *rel, const char *content) {
    char *p = ds_xasprintf("%s/%s", tmp, rel);
    ds_err e;
    char *dir = ds_xstrdup(p);
    *strrchr(dir, '/') = 0;
    assert_int_equal(ds_mkdirs(dir, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, content, strlen(content), 0644, &e), 0);
    free(dir);
    free(p);
}

static void ln(const char *target, const char *rel) {
    char *p = ds_xasprintf("%s/%s", tmp, rel);
    assert_int_equal(symlink(target, p), 0);
    free(p);
}

static int setup_tree(void **state) {
    (void)state;
    ds_err e;
    if (ds_mkdtemp("distill-unit-scan", &tmp, &e) < 0) return -1;
    mk("usr/bin/dash", "#!fake");
    mk("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/usr/sbin/nologin\n");
    mk("etc/group", "root:x:0:\nweb:x:33:\n");
    mk("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    mk("var/lib/dpkg/status.d/base", "Package: base-files\nVersion: 12.4\nArchitecture: amd64\n");
    mk("var/lib/dpkg/status.d/base.md5sums", "d41d8cd98f00b204e9800998ecf8427e  etc/issue\n");
    mk("app/node_modules/@scope/lib/package.json", "{\"name\":\"@scope/lib\",\"version\":\"1.2.3\",\"license\":{\"type\":\"MIT\"}}");
    mk("app/node_modules/left-pad/package.json", "{\"name\":\"left-pad\",\"version\":\"1.3.0\",\"license\":\"WTFPL\"}");
    mk("app/node_modules/left-pad/test/package.json", "{\"name\":\"fixture\",\"version\":\"0\"}");
    mk("usr/lib/python3/site/requests-2.31.0.dist-info/METADATA", "Name: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n");
    mk("usr/lib/python3/site/requests-2.31.0.dist-info/RECORD", "requests/__init__.py,sha256=x,10\n../../../bin/req,,\n");
    char *p = ds_xasprintf("%s/usr/bin/dash", tmp);
    chmod(p, 0755);
    free(p);
    char *bin = ds_xasprintf("%s/bin", tmp);
    ds_mkdirs(bin, 0755, &e);
    free(bin);
    ln("/usr/bin/dash", "bin/sh");
    ln("../../../../../usr/bin/dash", "bin/climb");
    ln("/etc/../../../../etc/passwd", "etc/passwd-link");
    ln("loop2", "bin/loop1");
    ln("loop1", "bin/loop2");
    return 0;
}

static int teardown_tree(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(tmp, &e);
    free(tmp);
    return 0;
}

static void test_resolve_in_root(void **state) {
    (void)state;
    char *r = ds_root_resolve(tmp, "/bin/sh", true);
    assert_string_equal(r, "/usr/bin/dash");
    free(r);
    r = ds_root_resolve(tmp, "/bin/climb", true);
    assert_string_equal(r, "/usr/bin/dash");
    free(r);
    r = ds_root_resolve(tmp, "/etc/passwd-link", true);
    assert_string_equal(r, "/etc/passwd");
    free(r);
    assert_null(ds_root_resolve(tmp, "/bin/loop1", true));
    r = ds_root_resolve(tmp, "/bin/loop1", false);
    assert_string_equal(r, "/bin/loop1");
    free(r);
    assert_null(ds_root_resolve(tmp, "/usr/bin/dash/x", true));
}

static void test_scan_tree(void **state) {
    (void)state;
    ds_scan s;
    ds_err e;
    ds_scan_opts o = {.user = "web"};
    assert_int_equal(ds_scan_root(tmp, &o, &s, &e), 0);
    assert_false(s.verdict.distroless);
    assert_true(ds_strlist_has(&s.verdict.shells, "/bin/sh -> /usr/bin/dash"));
    assert_int_equal(s.verdict.user_is_root, 0);
    /* deb from status.d (files from md5sums), 2 npm (the test fixture is not a module), 1 pypi */
    assert_int_equal(s.pkgs.n, 4);
    assert_string_equal(s.pkgs.v[0].type, "deb");
    assert_string_equal(s.pkgs.v[0].files.v[0], "/etc/issue");
    assert_string_equal(s.pkgs.v[1].purl, "pkg:npm/%40scope/lib@1.2.3");
    assert_string_equal(s.pkgs.v[1].license, "MIT");
    assert_int_equal(s.pkgs.v[2].files.n, 2); /* left-pad: package.json, test/package.json */
    assert_string_equal(s.pkgs.v[2].files.v[0], "/app/node_modules/left-pad/package.json");
    assert_string_equal(s.pkgs.v[3].type, "pypi");
    assert_true(ds_strlist_has(&s.pkgs.v[3].files, "/usr/bin/req"));
    assert_true(ds_strlist_has(&s.pkgs.v[3].files, "/usr/lib/python3/site/requests/__init__.py"));

    /* Policy from YAML on the same tree. */
    static const char POL[] =
        "name: t\nfiles:\n  - path: /etc/passwd\n    mode: \"0644\"\n    owner: 0\n    matches: \"^web:\"\n"
        "  - path: /bin/sh\n    type: symlink\n  - path: /bin/sh\n    max_mode: 0700\n"
        "  - glob: /etc/*\n    max_size: 1K\nimage:\n  user_not_root: true\n  no_shell: true\n";
    json_t *pol = NULL;
    assert_int_equal(ds_policy_parse(POL, strlen(POL), "p.yaml", &pol, &e), 0);
    ds_policy_results r;
    assert_int_equal(ds_policy_eval(pol, &s, &r, &e), 0);
    size_t fails = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (!r.v[i].pass) fails++;
        if (!strcmp(r.v[i].id, "files[2] /bin/sh max_mode")) {
            assert_false(r.v[i].pass);
            assert_string_equal(r.v[i].evidence, "mode 0755 (at most 0700; extra bits 0055)");
        }
    }
    assert_int_equal(r.failed, fails);
    assert_int_equal(r.failed, 2); /* max_mode of the dash behind /bin/sh, and no_shell */
    char *x = ds_policy_junit(&r);
    assert_non_null(strstr(x, "failures=\"2\""));
    free(x);
    ds_policy_results_free(&r);
    json_decref(pol);
    assert_int_equal(ds_policy_parse("files: [\n", 9, "b.yaml", &pol, &e), -1);
    assert_non_null(strstr(e.msg, "b.yaml"));

    /* HTML: text from the image is escaped. */
    free(s.image_ref);
    s.image_ref = ds_xstrdup("rootfs:<script>alert(1)</script>");
    char *h = ds_html_report(&s, NULL, NULL);
    assert_null(strstr(h, "<script>"));
    assert_non_null(strstr(h, "&lt;script&gt;"));
    free(h);
    ds_scan_free(&s);
}

static void test_osv(void **state) {
    (void)state;
    ds_pkglist l = {0};
    ds_pkg *p = ds_pkglist_add(&l);
    p->type = ds_xstrdup("deb");
    p->name = ds_xstrdup("libssl3");
    p->origin = ds_xstrdup("openssl");
    p->version = ds_xstrdup("3.0.11-1~deb12u2");
    p->ecosystem = ds_xstrdup("Debian:12");
    json_error_t je;
    json_t *doc = json_loads("{\"id\":\"X-1\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"openssl\"},"
                             "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"fixed\":\"3.0.11-1~deb12u3\"},{\"introduced\":\"0\"}]}],"
                             "\"ecosystem_specific\":{\"severity\":\"moderate\"}}]}", 0, &je);
    assert_non_null(doc);
    ds_findings f = {0};
    assert_int_equal(ds_vulns_match_doc(doc, "x.json", &l, &f), 0);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.v[0].severity, "MEDIUM");
    assert_string_equal(f.v[0].fixed, "3.0.11-1~deb12u3");
    json_decref(doc);
    /* The tilde makes ~deb12u1 older: no match. */
    doc = json_loads("{\"id\":\"X-2\",\"affected\":[{\"package\":{\"ecosystem\":\"Debian\",\"name\":\"libssl3\"},"
                     "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"3.0.11-1~deb12u1\"}]}]}]}", 0, &je);
    assert_int_equal(ds_vulns_match_doc(doc, "y.json", &l, &f), 0);
    assert_int_equal(f.n, 1);
    json_decref(doc);
    ds_findings_free(&f);
    ds_pkglist_free(&l);
    double sc;
    assert_int_equal(ds_cvss3_level("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &sc), 4);
    assert_true(sc > 9.79 && sc < 9.81);
    assert_int_equal(ds_cvss3_level("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", &sc), 2); /* 6.1 */
    assert_true(sc > 6.09 && sc < 6.11);
    assert_int_equal(ds_cvss3_level("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L", &sc), 1); /* 1.8 */
    assert_int_equal(ds_cvss3_level("garbage", &sc), -1);
    assert_int_equal(ds_severity_level("Important"), 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dpkg_status),
        cmocka_unit_test(test_apk_installed),
        cmocka_unit_test(test_python_metadata),
        cmocka_unit_test(test_go_buildinfo),
        cmocka_unit_test(test_purl),
        cmocka_unit_test(test_rpm_header),
        cmocka_unit_test(test_osv),
        cmocka_unit_test_setup_teardown(test_resolve_in_root, setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_scan_tree, setup_tree, teardown_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
