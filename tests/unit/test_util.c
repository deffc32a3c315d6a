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
#include "util/strvec.h"

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

static void test_strvec(void **state) {
    (void)state;
    ds_strvec v = {0};
    ds_strvec_push(&v, "b");
    ds_strvec_pushf(&v, "%s-%d", "a", 1);
    ds_strvec_take(&v, ds_xstrdup("b"));
    ds_strvec_push(&v, "");
    assert_int_equal(v.n, 4);
    assert_null(v.v[v.n]); /* an argv at every step */
    assert_true(ds_strvec_has(&v, "a-1"));
    assert_false(ds_strvec_has(&v, "a"));
    ds_strvec_sort_unique(&v);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.v[0], "");
    assert_string_equal(v.v[1], "a-1");
    assert_string_equal(v.v[2], "b");
    assert_null(v.v[3]);
    assert_true(ds_strvec_bsearch(&v, "b"));
    assert_false(ds_strvec_bsearch(&v, "c"));
    for (int i = 0; i < 1000; i++) ds_strvec_pushf(&v, "%04d", i);
    assert_int_equal(v.n, 1003);
    assert_null(v.v[v.n]);
    ds_strvec_free(&v);
    assert_int_equal(v.n, 0);
    assert_null(v.v);
    ds_strvec_free(&v); /* twice is fine */
    ds_strvec empty = {0};
    ds_strvec_sort_unique(&empty);
    assert_false(ds_strvec_bsearch(&empty, "x"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_wrap),
        cmocka_unit_test(test_strvec),
        cmocka_unit_test(test_sha256_known),
        cmocka_unit_test(test_atomic_write_and_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
