/* Unit tests for image references (skopeo spellings), good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
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
    expect_ok("docker-archive:/tmp/d.tar:nginx:1.25", DS_T_DOCKER_ARCHIVE, "/tmp/d.tar", "nginx:1.25", NULL, NULL, NULL);
    expect_ok("docker-archive:/tmp/d.tar:nginx", DS_T_DOCKER_ARCHIVE, "/tmp/d.tar", "nginx:latest", NULL, NULL, NULL);
    expect_ok("docker-archive:d.tar:localhost/app:2", DS_T_DOCKER_ARCHIVE, "d.tar", "localhost/app:2", NULL, NULL, NULL);
    expect_ok("docker-archive:d.tar:127.0.0.1:5000/a/b:c", DS_T_DOCKER_ARCHIVE, "d.tar", "127.0.0.1:5000/a/b:c", NULL,
              NULL, NULL);
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
}

static void test_format_roundtrip(void **state) {
    (void)state;
    const char *in[] = {"oci:/a/b:v1", "oci:/a/b", "oci-archive:x.tar:t", "docker-archive:d.tar:app:1",
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
