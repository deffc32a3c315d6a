/* Unit tests for ds_dest_check (a DST that is the source, inside it, or without a
 * parent) and ds_platform_valid (--platform syntax). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/image.h"
#include "image/manifest.h"
#include "util/fsutil.h"

static char *top;

static int setup(void **state) {
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-test-dest-check", &top, &e), 0);
    char *p = ds_xasprintf("%s/src/blobs", top);
    assert_int_equal(ds_mkdirs(p, 0755, &e), 0);
    free(p);
    p = ds_xasprintf("%s/file", top);
    assert_int_equal(ds_write_file_atomic(p, "x", 1, 0644, &e), 0);
    free(p);
    char *l = ds_xasprintf("%s/link", top);
    assert_int_equal(symlink("src", l), 0);
    free(l);
    assert_int_equal(chdir(top), 0);
    (void)state;
    return 0;
}

static int teardown(void **state) {
    ds_err e;
    assert_int_equal(chdir("/"), 0);
    ds_rmtree(top, &e);
    free(top);
    (void)state;
    return 0;
}

/* -1 with a message containing `want`, or 0 when want is NULL. */
static void expect(const char *src_text, const char *dst_text, const char *want) {
    ds_ref src;
    ds_err e = {0};
    assert_int_equal(ds_ref_parse(src_text, &src, &e), 0);
    int r = ds_dest_check(&src, dst_text, &e);
    ds_ref_free(&src);
    if (!want) {
        if (r != 0) fail_msg("%s -> %s: %s", src_text, dst_text, e.msg);
        return;
    }
    if (r != -1) fail_msg("%s -> %s: accepted, want '%s'", src_text, dst_text, want);
    if (!strstr(e.msg, want)) fail_msg("%s -> %s: '%s' lacks '%s'", src_text, dst_text, e.msg, want);
    if (strncmp(e.msg, dst_text, strlen(dst_text))) fail_msg("'%s' does not start with the destination", e.msg);
}

static void test_same_and_inside(void **state) {
    (void)state;
    expect("oci:src", "oci:src", "is the source oci:src");
    expect("oci:src", "oci:./src/", "is the source");
    expect("oci:src:latest", "oci:src:latest", "is the source");
    expect("oci:src:latest", "oci:src", "is the source");      /* an unnamed entry would make the layout ambiguous */
    expect("oci:link", "oci:src", "is the source oci:link");   /* through a symlink */
    expect("oci:src", "oci:src/blobs/../../src", "is the source");
    expect("oci:src", "oci:src/sub", "is inside the source");
    expect("oci:src", "oci:src/blobs/x", "is inside the source");
    expect("rootfs:src", "oci-archive:src/a.tar", "is inside the source");
    expect("rootfs:src", "rootfs:src", "is the source");
    expect("oci-archive:file", "oci-archive:file", "is the source");
    expect("docker-archive:file", "docker-archive:./file", "is the source");
    expect("rootfs:src/blobs", "oci:src:t", "the source rootfs:src/blobs is inside the destination");
    expect("rootfs:src/blobs", "oci:.", "is inside the destination");
    /* Allowed: another name in the same layout, a sibling, a registry. */
    expect("oci:src:latest", "oci:src:v2", NULL);
    expect("oci:src", "oci:srcx", NULL);
    expect("oci:src", "oci:../src-copy", NULL);
    expect("oci:src", "docker://127.0.0.1:5000/x:1", NULL);
    expect("docker://127.0.0.1:5000/x:1", "oci:src2", NULL);
}

static void test_parent(void **state) {
    (void)state;
    expect("oci:src", "oci:missing/x", "the parent directory missing does not exist");
    expect("oci:src", "docker-archive:missing/x.tar", "the parent directory missing does not exist");
    expect("oci:src", "rootfs:/nonexistent-distill-dir/x", "the parent directory /nonexistent-distill-dir does not exist");
    expect("oci:src", "oci:file/x", "file is not a directory");
    expect("oci:src", "oci:src/x/../../src", "does not exist"); /* src/x is missing: never created */
    expect("oci:src", "oci:new", NULL);
    expect("oci:src", "oci:new/", NULL);
    expect("oci:src", "oci:/tmp", NULL);
    struct stat st;
    assert_int_not_equal(stat("missing", &st), 0);
}

static void test_platform_valid(void **state) {
    (void)state;
    const char *good[] = {"linux/amd64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64", "linux/386"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) assert_true(ds_platform_valid(good[i]));
    const char *bad[] = {"", "linux", "linux/", "/amd64", "linux//v8", "linux/arm64/v8/x", "Linux/amd64", "linux/amd 64",
                         "linux/amd64/", "linux/\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (ds_platform_valid(bad[i])) fail_msg("'%s' accepted", bad[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_and_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parent, setup, teardown),
        cmocka_unit_test(test_platform_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
