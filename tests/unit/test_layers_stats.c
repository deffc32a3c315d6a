/* Layer analysis with dive's definitions, on layers built in the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include "fs_test_helpers.h"
#include "layers/layer_stats.h"
#include "util/fsutil.h"

static char *dir;

static char *layer(int n, const tar_ent *t, size_t cnt, char comp) {
    char *p = ds_xasprintf("%s/l%d", dir, n);
    make_tar(p, comp, t, cnt);
    return p;
}

static char *repeat(char c, size_t n) {
    char *s = ds_xmalloc(n + 1);
    memset(s, c, n);
    s[n] = 0;
    return s;
}

static void test_dive_figures(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-unit-layers", &dir, &e), 0);
    char *a100 = repeat('a', 100), *a120 = repeat('A', 120), *x50 = repeat('x', 50), *big = repeat('B', 5000);
    tar_ent l1[] = {{'f', "a", a100, 0, 0, 0, 0, 0, 0}, {'d', "d", 0, 0, 0, 0, 0, 0, 0}, {'f', "d/x", x50, 0, 0, 0, 0, 0, 0}};
    tar_ent l2[] = {{'f', "big", big, 0, 0, 0, 0, 0, 0}};
    tar_ent l3[] = {{'f', ".wh.big", "", 0, 0, 0, 0, 0, 0}, {'f', "a", a120, 0, 0, 0, 0, 0, 0}, {'f', ".wh.d", "", 0, 0, 0, 0, 0, 0}};
    char *p1 = layer(1, l1, 3, 'g'), *p2 = layer(2, l2, 1, 'z'), *p3 = layer(3, l3, 3, 'n');
    ds_layers_analyzer *an = ds_layers_analyzer_new();
    assert_int_equal(ds_layers_analyzer_add(an, p1, NULL, &e), 0);
    assert_int_equal(ds_layers_analyzer_add(an, p2, "application/vnd.oci.image.layer.v1.tar+zstd", &e), 0);
    assert_int_equal(ds_layers_analyzer_add(an, p3, NULL, &e), 0);
    ds_layers_report r;
    ds_layers_analyzer_finish(an, &r);
    assert_int_equal(r.n_layers, 3);
    assert_int_equal(r.layers[0].added, 2);
    assert_int_equal(r.layers[0].files_size, 150);
    assert_int_equal(r.layers[1].added, 1);
    assert_int_equal(r.layers[1].files_size, 5000);
    assert_true(r.layers[1].uncompressed_size > 5000);
    assert_true(r.layers[1].compressed_size < r.layers[1].uncompressed_size);
    assert_int_equal(r.layers[2].added, 0);
    assert_int_equal(r.layers[2].changed, 1);
    assert_int_equal(r.layers[2].deleted, 2);
    assert_int_equal(r.size_bytes, 5150 + 120);
    assert_int_equal(r.user_size_bytes, 5120);
    /* a: 100+120, d: 0 + 50 hidden, big: 5000 + 0 */
    assert_int_equal(r.wasted_bytes, 5270);
    assert_true(fabs(r.efficiency - 150.0 / 5320.0) < 1e-9);
    assert_true(fabs(r.user_wasted_ratio - 5270.0 / 5120.0) < 1e-9);
    assert_int_equal(r.n_wasted, 3);
    assert_string_equal(r.wasted[0].path, "/big");
    assert_int_equal(r.wasted[0].wasted, 5000);
    assert_int_equal(r.wasted[0].layers, 2);
    assert_string_equal(r.wasted[1].path, "/a");
    assert_string_equal(r.wasted[2].path, "/d");
    ds_layers_report_free(&r);
    free(p1); free(p2); free(p3); free(a100); free(a120); free(x50); free(big);
}

static void test_opaque_and_single_layer(void **state) {
    (void)state;
    ds_err e;
    tar_ent l1[] = {{'d', "e", 0, 0, 0, 0, 0, 0, 0}, {'f', "e/p", "0123456789", 0, 0, 0, 0, 0, 0}};
    tar_ent l2[] = {{'d', "e", 0, 0, 0, 0, 0, 0, 0}, {'f', "e/.wh..wh..opq", "", 0, 0, 0, 0, 0, 0}, {'f', "e/q", "12345", 0, 0, 0, 0, 0, 0}};
    tar_ent l3[] = {{'f', "e/p", "again", 0, 0, 0, 0, 0, 0}};
    char *p1 = layer(1, l1, 2, 'n'), *p2 = layer(2, l2, 3, 'n'), *p3 = layer(3, l3, 1, 'n');
    ds_layers_analyzer *an = ds_layers_analyzer_new();
    assert_int_equal(ds_layers_analyzer_add(an, p1, NULL, &e), 0);
    ds_layers_report r;
    /* One layer: nothing wasted, efficiency 1. */
    ds_layers_analyzer *one = ds_layers_analyzer_new();
    assert_int_equal(ds_layers_analyzer_add(one, p1, NULL, &e), 0);
    ds_layers_analyzer_finish(one, &r);
    assert_int_equal(r.wasted_bytes, 0);
    assert_true(r.efficiency == 1.0);
    assert_true(r.user_wasted_ratio == 0.0);
    ds_layers_report_free(&r);
    assert_int_equal(ds_layers_analyzer_add(an, p2, NULL, &e), 0);
    assert_int_equal(ds_layers_analyzer_add(an, p3, NULL, &e), 0);
    ds_layers_analyzer_finish(an, &r);
    assert_int_equal(r.layers[1].deleted, 1);
    assert_int_equal(r.layers[1].added, 1);
    assert_int_equal(r.layers[2].added, 1);  /* hidden by the opaque dir: added again, not changed */
    assert_int_equal(r.layers[2].changed, 0);
    assert_int_equal(r.wasted_bytes, 15);    /* e/p: 10 + 5; "e" twice with 0 bytes */
    ds_layers_report_free(&r);
    free(p1); free(p2); free(p3);
}

/* A whiteout of a directory that no entry listed (only its children did) hides
 * them, and hides nothing beside it that merely shares the prefix ("dx"). */
static void test_whiteout_unlisted_dir(void **state) {
    (void)state;
    ds_err e;
    tar_ent l1[] = {{'f', "d/a/b/x", "0123456789", 0, 0, 0, 0, 0, 0}, {'f', "dx/y", "1234567", 0, 0, 0, 0, 0, 0}};
    tar_ent l2[] = {{'f', ".wh.d", "", 0, 0, 0, 0, 0, 0}};
    tar_ent l3[] = {{'f', "d/a/b/x", "abc", 0, 0, 0, 0, 0, 0}, {'f', "dx/.wh..wh..opq", "", 0, 0, 0, 0, 0, 0}};
    char *p1 = layer(11, l1, 2, 'n'), *p2 = layer(12, l2, 1, 'n'), *p3 = layer(13, l3, 2, 'n');
    ds_layers_analyzer *an = ds_layers_analyzer_new();
    assert_int_equal(ds_layers_analyzer_add(an, p1, NULL, &e), 0);
    assert_int_equal(ds_layers_analyzer_add(an, p2, NULL, &e), 0);
    assert_int_equal(ds_layers_analyzer_add(an, p3, NULL, &e), 0);
    ds_layers_report r;
    ds_layers_analyzer_finish(an, &r);
    assert_int_equal(r.layers[2].added, 1);   /* d/a/b/x was hidden: added again */
    assert_int_equal(r.layers[2].changed, 0);
    assert_int_equal(r.wasted_bytes, 13);     /* d/a/b/x: 10 + 3; /d once; dx/y once */
    ds_layers_report_free(&r);
    free(p1); free(p2); free(p3);
}

static void test_bad_layer(void **state) {
    (void)state;
    ds_err e;
    tar_ent t[] = {{'f', "../up", "x", 0, 0, 0, 0, 0, 0}};
    char *p = layer(9, t, 1, 'n');
    ds_layers_analyzer *an = ds_layers_analyzer_new();
    assert_int_equal(ds_layers_analyzer_add(an, p, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "../up"));
    char *missing = ds_xasprintf("%s/missing", dir);
    assert_int_equal(ds_layers_analyzer_add(an, missing, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "missing"));
    ds_layers_analyzer_free(an);
    free(p); free(missing);
    ds_rmtree(dir, &e);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dive_figures), cmocka_unit_test(test_opaque_and_single_layer),
        cmocka_unit_test(test_whiteout_unlisted_dir), cmocka_unit_test(test_bad_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
