/* Unit tests for src/util: errors, digests, atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "util/digest.h"
#include "util/err.h"
#include "util/fsutil.h"

static void test_err_wrap(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_fail(&e, "bad %s", "thing"), -1);
    ds_err_wrap(&e, "layer %d", 3);
    assert_string_equal(e.msg, "layer 3: bad thing");
}

static void test_sha256_known(void **state) {
    (void)state;
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_buf("", 0, d);
    assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_true(ds_digest_valid(d));
    assert_false(ds_digest_valid("sha256:../../etc/passwd"));
    assert_false(ds_digest_valid("sha512:e3b0"));
}

static void test_atomic_write_and_read(void **state) {
    (void)state;
    ds_err e;
    char *dir = NULL;
    assert_int_equal(ds_mkdtemp("distill-unit", &dir, &e), 0);
    char *p = ds_xasprintf("%s/a/b/c.txt", dir);
    char *parent = ds_xasprintf("%s/a/b", dir);
    assert_int_equal(ds_mkdirs(parent, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, "hello", 5, 0644, &e), 0);
    char *data; size_t len;
    assert_int_equal(ds_read_file(p, &data, &len, 0, &e), 0);
    assert_int_equal(len, 5);
    assert_string_equal(data, "hello");
    free(data);
    assert_int_equal(ds_read_file(p, &data, &len, 3, &e), -1);
    assert_non_null(strstr(e.msg, "too large"));
    char *missing = ds_xasprintf("%s/nope", dir);
    assert_int_equal(ds_read_file(missing, &data, &len, 0, &e), -1);
    assert_non_null(strstr(e.msg, "nope"));
    assert_int_equal(ds_rmtree(dir, &e), 0);
    assert_false(ds_exists(dir));
    free(missing); free(p); free(parent); free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_wrap),
        cmocka_unit_test(test_sha256_known),
        cmocka_unit_test(test_atomic_write_and_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
