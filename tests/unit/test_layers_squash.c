/* The squashed config: one diff_id, old history kept as empty_layer, a squash
 * entry whose date comes from SOURCE_DATE_EPOCH or the source (deterministic). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "layers/squash.h"

static const char *src_json =
    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2023-11-14T22:13:20Z\","
    "\"config\":{\"Entrypoint\":[\"/app\"],\"Env\":[\"A=1\"]},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:aa\",\"sha256:bb\"]},"
    "\"history\":[{\"created_by\":\"base\"},{\"created_by\":\"ENV A=1\",\"empty_layer\":true},{\"created_by\":\"COPY app\"}]}";

static void test_config(void **state) {
    (void)state;
    json_t *src = json_loads(src_json, 0, NULL);
    assert_non_null(src);
    ds_err e = {0};
    unsetenv("SOURCE_DATE_EPOCH");
    json_t *c = ds_squash_config(src, "sha256:cc", 2, &e);
    json_t *ids = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
    assert_int_equal(json_array_size(ids), 1);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "sha256:cc");
    json_t *h = json_object_get(c, "history");
    assert_int_equal(json_array_size(h), 4);
    size_t non_empty = 0, i;
    json_t *x;
    json_array_foreach(h, i, x) if (!json_is_true(json_object_get(x, "empty_layer"))) non_empty++;
    assert_int_equal(non_empty, 1); /* matches the one layer */
    json_t *last = json_array_get(h, 3);
    assert_string_equal(json_string_value(json_object_get(last, "created_by")), "distill squash");
    assert_string_equal(json_string_value(json_object_get(last, "created")), "2023-11-14T22:13:20Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(c, "config"), "Entrypoint"), 0)), "/app");
    /* The source is not modified. */
    assert_int_equal(json_array_size(json_object_get(json_object_get(src, "rootfs"), "diff_ids")), 2);
    char *a = json_dumps(c, JSON_COMPACT);
    json_t *c2 = ds_squash_config(src, "sha256:cc", 2, &e);
    char *b = json_dumps(c2, JSON_COMPACT);
    assert_string_equal(a, b);
    setenv("SOURCE_DATE_EPOCH", "86400", 1);
    json_t *c3 = ds_squash_config(src, "sha256:cc", 2, &e);
    unsetenv("SOURCE_DATE_EPOCH");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(c3, "history"), 3), "created")),
                        "1970-01-02T00:00:00Z");
    /* A malformed SOURCE_DATE_EPOCH is an error (the one behaviour of ds_source_date_epoch). */
    setenv("SOURCE_DATE_EPOCH", "12abc", 1);
    assert_null(ds_squash_config(src, "sha256:cc", 2, &e));
    assert_non_null(strstr(e.msg, "SOURCE_DATE_EPOCH=12abc"));
    unsetenv("SOURCE_DATE_EPOCH");
    free(a); free(b);
    json_decref(c); json_decref(c2); json_decref(c3); json_decref(src);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_config)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
