/* Unit tests for image references (skopeo spellings), good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>
#include "image/image.h"

static void expect_ok(const char *text, ds_transport t, const char *path, const char *tag, const char *host,
                      const char *repo, const char *digest) {
    ds_ref r;
    ds_err e = {0};
    int rc = ds_ref_parse(text, &r, &e);
    if (rc != 0) fail_msg("%s: %s", text, e.msg);
    assert_int_equal(r.transport, t);
#define S(field, want) \
    if (want) { assert_non_null(r.field); assert_string_equal(r.field, want); } else assert_null(r.field)
    S(path, path);
    S(tag, tag);
    S(host, host);
    S(repo, repo);
    S(digest, digest);
#undef S
    ds_ref_free(&r);
}

static void expect_bad(const char *text, const char *needle) {
    ds_ref r;
    ds_err e = {0};
    int rc = ds_ref_parse(text, &r, &e);
    if (rc == 0) { ds_ref_free(&r); fail_msg("%s: parsed but should not", text); }
    if (needle && !strstr(e.msg, needle)) fail_msg("%s: message '%s' lacks '%s'", text, e.msg, needle);
}

#define DG "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_local(void **state) {
    (void)state;
    expect_ok("oci:/tmp/layout", DS_T_OCI, "/tmp/layout", NULL, NULL, NULL, NULL);
    expect_ok("oci:/tmp/layout:latest", DS_T_OCI, "/tmp/layout", "latest", NULL, NULL, NULL);
    expect_ok("oci:rel/dir:v1.2", DS_T_OCI, "rel/dir", "v1.2", NULL, NULL, NULL);
    expect_ok("oci:x:a:b", DS_T_OCI, "x", "a:b", NULL, NULL, NULL); /* first colon splits, as skopeo */
    expect_ok("oci-archive:/tmp/a.tar", DS_T_OCI_ARCHIVE, "/tmp/a.tar", NULL, NULL, NULL, NULL);
    expect_ok("oci-archive:/tmp/a.tar:v1", DS_T_OCI_ARCHIVE, "/tmp/a.tar", "v1", NULL, NULL, NULL);
    expect_ok("docker-archive:/tmp/d.tar", DS_T_DOCKER_ARCHIVE, "/tmp/d.tar", NULL, NULL, NULL, NULL);
    /* docker-archive: repo and tag in their own fields, the tag defaulting to latest */
    expect_ok("docker-archive:/tmp/d.tar:nginx:1.25", DS_T_DOCKER_ARCHIVE, "/tmp/d.tar", "1.25", NULL, "nginx", NULL);
    expect_ok("docker-archive:/tmp/d.tar:nginx", DS_T_DOCKER_ARCHIVE, "/tmp/d.tar", "latest", NULL, "nginx", NULL);
    expect_ok("docker-archive:d.tar:localhost/app:2", DS_T_DOCKER_ARCHIVE, "d.tar", "2", NULL, "localhost/app", NULL);
    expect_ok("docker-archive:d.tar:127.0.0.1:5000/a/b:c", DS_T_DOCKER_ARCHIVE, "d.tar", "c", NULL,
              "127.0.0.1:5000/a/b", NULL);
    expect_ok("docker-archive:d.tar:127.0.0.1:5000/a/b", DS_T_DOCKER_ARCHIVE, "d.tar", "latest", NULL,
              "127.0.0.1:5000/a/b", NULL);
    /* oci and oci-archive: a manifest by digest (untagged manifests too) */
    expect_ok("oci:/tmp/layout@" DG, DS_T_OCI, "/tmp/layout", NULL, NULL, NULL, DG);
    expect_ok("oci:/tmp/layout/@" DG, DS_T_OCI, "/tmp/layout", NULL, NULL, NULL, DG);
    expect_ok("oci-archive:/tmp/a.tar@" DG, DS_T_OCI_ARCHIVE, "/tmp/a.tar", NULL, NULL, NULL, DG);
    expect_ok("oci:/tmp/with@at", DS_T_OCI, "/tmp/with@at", NULL, NULL, NULL, NULL); /* no "algo:" after '@' */
    expect_ok("oci:/tmp/l:name@x", DS_T_OCI, "/tmp/l", "name@x", NULL, NULL, NULL);
    expect_ok("oci:/tmp/layout/:v1", DS_T_OCI, "/tmp/layout", "v1", NULL, NULL, NULL);
    expect_ok("rootfs:/srv/root//", DS_T_ROOTFS, "/srv/root", NULL, NULL, NULL, NULL);
    expect_ok("rootfs:/", DS_T_ROOTFS, "/", NULL, NULL, NULL, NULL);
    expect_ok("rootfs:/srv/root", DS_T_ROOTFS, "/srv/root", NULL, NULL, NULL, NULL);
    expect_ok("rootfs:/srv/with:colon", DS_T_ROOTFS, "/srv/with:colon", NULL, NULL, NULL, NULL);
}

static void test_docker(void **state) {
    (void)state;
    expect_ok("docker://127.0.0.1:5000/app", DS_T_DOCKER, NULL, "latest", "127.0.0.1:5000", "app", NULL);
    expect_ok("docker://127.0.0.1:5000/team/app:v2", DS_T_DOCKER, NULL, "v2", "127.0.0.1:5000", "team/app", NULL);
    expect_ok("docker://localhost/app:1", DS_T_DOCKER, NULL, "1", "localhost", "app", NULL);
    expect_ok("docker://registry.example.com/a/b/c", DS_T_DOCKER, NULL, "latest", "registry.example.com", "a/b/c", NULL);
    expect_ok("docker://127.0.0.1:5000/app@" DG, DS_T_DOCKER, NULL, NULL, "127.0.0.1:5000", "app", DG);
    expect_ok("docker://127.0.0.1:5000/app:v1@" DG, DS_T_DOCKER, NULL, "v1", "127.0.0.1:5000", "app", DG);
    expect_ok("docker://[::1]:5000/app", DS_T_DOCKER, NULL, "latest", "[::1]:5000", "app", NULL);
    expect_ok("docker://h.io/my_app-x.y__z:T_1.0-rc", DS_T_DOCKER, NULL, "T_1.0-rc", "h.io", "my_app-x.y__z", NULL);
}

static void test_bad(void **state) {
    (void)state;
    expect_bad("", "empty");
    expect_bad("/just/a/path", "no transport");
    expect_bad("nginx:latest", "unknown transport");
    expect_bad("docker:nginx", "no transport");
    expect_bad("foo:/x", "unknown transport 'foo'");
    expect_bad("oci:", "no path");
    expect_bad("oci::tag", "no path");
    expect_bad("oci:/x:", "empty name");
    expect_bad("oci:/x:bad name", "bad character");
    expect_bad("docker-archive:", "no path");
    expect_bad("docker-archive:/d.tar:UPPER:1", "bad repository");
    expect_bad("docker-archive:/d.tar:app:bad tag", "bad tag");
    expect_bad("docker-archive:/d.tar:app@" DG, "not digests");
    expect_bad("rootfs:", "no path");
    expect_bad("docker://", "no image");
    expect_bad("docker://nginx", "no registry host");
    expect_bad("docker://library/nginx:latest", "no registry host");
    expect_bad("docker://127.0.0.1:5000/", "bad repository");
    expect_bad("docker://127.0.0.1:5000/App", "bad repository");
    expect_bad("docker://127.0.0.1:5000/a//b", "bad repository");
    expect_bad("docker://127.0.0.1:5000/a-", "bad repository");
    expect_bad("docker://127.0.0.1:5000/a:-x", "bad tag");
    expect_bad("docker://127.0.0.1:5000/a:", "bad tag");
    expect_bad("docker://127.0.0.1:5000/a@sha256:abc", "bad digest");
    expect_bad("docker://127.0.0.1:5000/a@md5:e3b0c44298fc1c149afbf4c8996fb924", "bad digest");
    expect_bad("docker://127.0.0.1:99999/a", "bad registry host");
    expect_bad("docker://127.0.0.1:x/a", "bad registry host");
    expect_bad("docker://bad_host.io/a", "bad registry host");
    expect_bad("oci:/tmp/l@sha256:abc", "bad digest");
    expect_bad("oci:/tmp/l@md5:e3b0c44298fc1c149afbf4c8996fb924", "bad digest");
    expect_bad("oci-archive:/tmp/a.tar@sha256:" "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "bad digest");
    expect_bad("oci:@" DG, "no path");
}

/* One grammar (distribution/reference) for docker:// names and docker-archive names:
 * each row is checked as "docker://NAME" and as "docker-archive:x.tar:NAME" (where the
 * host is optional). */
static const struct { const char *name; bool ok; const char *why; } grammar[] = {
    {"h.io/a", true, NULL},
    {"h.io/a/b/c", true, NULL},
    {"h.io/a.b", true, NULL},
    {"h.io/a_b", true, NULL},
    {"h.io/a__b", true, NULL},
    {"h.io/a-b", true, NULL},
    {"h.io/a---b", true, NULL},
    {"h.io/a0.b1_c2__d3-e4", true, NULL},
    {"h.io/a_.b", false, "bad repository"},  /* two separators in a row */
    {"h.io/a-.b", false, "bad repository"},
    {"h.io/a.-b", false, "bad repository"},
    {"h.io/a..b", false, "bad repository"},
    {"h.io/a___b", false, "bad repository"},
    {"h.io/a._b", false, "bad repository"},
    {"h.io/_a", false, "bad repository"},
    {"h.io/a_", false, "bad repository"},
    {"h.io/.a", false, "bad repository"},
    {"h.io/a/.b", false, "bad repository"},
    {"h.io/a/-b", false, "bad repository"},
    {"h.io/a/", false, "bad repository"},
    {"h.io/A", false, "bad repository"},
    {"h.io/a:latest", true, NULL},
    {"h.io/a:_x", true, NULL},
    {"h.io/a:X.1-y_Z", true, NULL},
    {"h.io/a:.x", false, "bad tag"},
    {"h.io/a:-x", false, "bad tag"},
    {"h.io/a:x/y", false, "bad repository"}, /* ':' before a '/' is not a tag */
    {"h.io/a:a+b", false, "bad tag"},
    {"localhost/a", true, NULL},
    {"localhost:5000/a", true, NULL},
    {"127.0.0.1:5000/a", true, NULL},
    {"[::1]:5000/a", true, NULL},
    {"[::1]/a", true, NULL},
    {"[fe80::1:2]:443/a", true, NULL},
    {"Registry.Example-1.COM/a", true, NULL}, /* domains may have capitals */
    {"a-b.io/x", true, NULL},
    {"a-.b/x", false, "bad registry host"},    /* a domain component ends in an alphanumeric */
    {"-a.b/x", false, "bad registry host"},
    {"a_.b/x", false, "bad registry host"},
    {"a..b/x", false, "bad registry host"},
    {"h.io:/x", false, "bad registry host"},
    {"h.io:0/x", false, "bad registry host"},
    {"h.io:65536/x", false, "bad registry host"},
    {"h.io:80a/x", false, "bad registry host"},
    {"[::1/x", false, "bad registry host"},
    {"[zz::1]/x", false, "bad registry host"},
    {"[::1]x/a", false, "bad registry host"},
};

static void test_grammar_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof grammar / sizeof *grammar; i++) {
        char *d = ds_xasprintf("docker://%s", grammar[i].name);
        char *a = ds_xasprintf("docker-archive:x.tar:%s", grammar[i].name);
        const char *texts[] = {d, a};
        for (int k = 0; k < 2; k++) {
            ds_ref r;
            ds_err e = {0};
            int rc = ds_ref_parse(texts[k], &r, &e);
            if (grammar[i].ok && rc != 0) fail_msg("%s: %s", texts[k], e.msg);
            if (!grammar[i].ok && rc == 0) fail_msg("%s: accepted, the grammar says no", texts[k]);
            if (!grammar[i].ok && !strstr(e.msg, grammar[i].why)) fail_msg("%s: '%s' lacks '%s'", texts[k], e.msg, grammar[i].why);
            if (!grammar[i].ok && strchr(e.msg, '\n')) fail_msg("%s: a multi-line error", texts[k]);
            if (rc == 0) ds_ref_free(&r);
        }
        free(d);
        free(a);
    }
    /* 255 characters at most for the name, host included */
    char *longname = ds_xasprintf("docker://h.io/%0251d", 0);
    expect_bad(longname, "bad repository");
    free(longname);
    longname = ds_xasprintf("docker://h.io/%0250d", 0);
    expect_ok(longname, DS_T_DOCKER, NULL, "latest", "h.io", longname + 14, NULL);
    free(longname);
    char tag[140];
    memset(tag, 'a', sizeof tag);
    tag[128] = 0;
    char *t = ds_xasprintf("docker://h.io/a:%s", tag);
    expect_ok(t, DS_T_DOCKER, NULL, tag, "h.io", "a", NULL);
    free(t);
    tag[128] = 'a';
    tag[129] = 0;
    t = ds_xasprintf("docker://h.io/a:%s", tag);
    expect_bad(t, "bad tag");
    free(t);
}

static void test_format_roundtrip(void **state) {
    (void)state;
    const char *in[] = {"oci:/a/b:v1", "oci:/a/b", "oci-archive:x.tar:t", "docker-archive:d.tar:app:1",
                        "docker-archive:d.tar:localhost:5000/a/b:c", "oci:/a/b@" DG, "oci-archive:x.tar@" DG,
                        "rootfs:/r", "docker://127.0.0.1:5000/a/b:c", "docker://localhost/a@" DG};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        ds_ref r;
        ds_err e;
        assert_int_equal(ds_ref_parse(in[i], &r, &e), 0);
        char *s = ds_ref_format(&r);
        assert_string_equal(s, in[i]);
        free(s);
        ds_ref_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local),
        cmocka_unit_test(test_docker),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_grammar_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
