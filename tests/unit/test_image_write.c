/* The one image writer (config + layers -> DST) and the one SOURCE_DATE_EPOCH reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image/image_write.h"
#include "util/fsutil.h"
#include "util/source_date.h"

static void test_source_date_epoch(void **state) {
    (void)state;
    static const struct { const char *v; int rc; bool set; int64_t want; } rows[] = {
        {NULL, 0, false, 0}, {"", 0, false, 0}, {"0", 0, true, 0}, {"86400", 0, true, 86400},
        {"253402300799", 0, true, 253402300799LL}, {"253402300800", -1, false, 0}, {"-1", -1, false, 0},
        {"+5", -1, false, 0}, {" 5", -1, false, 0}, {"5 ", -1, false, 0}, {"12abc", -1, false, 0},
        {"1e9", -1, false, 0}, {"99999999999999999999999", -1, false, 0}, {"0x10", -1, false, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        if (rows[i].v) setenv("SOURCE_DATE_EPOCH", rows[i].v, 1);
        else unsetenv("SOURCE_DATE_EPOCH");
        int64_t v = -7;
        bool set = true;
        ds_err e = {0};
        int rc = ds_source_date_epoch(&v, &set, &e);
        if (rc != rows[i].rc) fail_msg("SOURCE_DATE_EPOCH=%s: rc %d", rows[i].v ? rows[i].v : "(unset)", rc);
        assert_int_equal(set, rows[i].set);
        if (rc == 0 && set) assert_int_equal(v, rows[i].want);
        if (rc < 0) {
            assert_non_null(strstr(e.msg, "SOURCE_DATE_EPOCH="));
            assert_null(strchr(e.msg, '\n'));
        }
        int64_t o = 0;
        rc = ds_source_date_or(42, &o, &e);
        assert_int_equal(rc, rows[i].rc);
        if (rc == 0) assert_int_equal(o, rows[i].set ? rows[i].want : 42);
    }
    unsetenv("SOURCE_DATE_EPOCH");
    char buf[32];
    ds_rfc3339(86400, buf);
    assert_string_equal(buf, "1970-01-02T00:00:00Z");
    ds_rfc3339(253402300799LL, buf);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
}

#define LD "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static void test_compose_sorted_deterministic(void **state) {
    (void)state;
    /* Same content, keys inserted in other orders: the same bytes and digests. */
    json_t *a = json_loads("{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Env\":[\"A=1\"],\"Cmd\":[\"x\"]},"
                           "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" LD "\"]}}", 0, NULL);
    json_t *b = json_loads("{\"rootfs\":{\"diff_ids\":[\"" LD "\"],\"type\":\"layers\"},\"config\":{\"Cmd\":[\"x\"],"
                           "\"Env\":[\"A=1\"]},\"architecture\":\"amd64\",\"os\":\"linux\"}", 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    ds_write_layer wl = {.desc = {.media_type = (char *)DS_MT_DOCKER_LAYER_GZIP, .digest = LD, .size = 10}};
    json_t *ann = json_pack("{s:s, s:s}", "z", "1", "a", "2");
    ds_image_doc da, db;
    ds_err e = {0};
    assert_int_equal(ds_image_compose(a, &wl, 1, ann, &da, &e), 0);
    assert_int_equal(ds_image_compose(b, &wl, 1, ann, &db, &e), 0);
    assert_string_equal(da.config_raw, db.config_raw);
    assert_string_equal(da.manifest_raw, db.manifest_raw);
    assert_string_equal(da.manifest_digest, db.manifest_digest);
    assert_string_equal(da.config_raw, "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"x\"],\"Env\":[\"A=1\"]},"
                                       "\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[\"" LD "\"],\"type\":\"layers\"}}");
    char want[DS_DIGEST_LEN + 1];
    ds_sha256_buf(da.config_raw, strlen(da.config_raw), want);
    assert_string_equal(da.config_digest, want);
    ds_sha256_buf(da.manifest_raw, strlen(da.manifest_raw), want);
    assert_string_equal(da.manifest_digest, want);
    /* OCI media types (docker's gzip layer becomes OCI's), annotations sorted, keys sorted. */
    char *m = ds_xasprintf("{\"annotations\":{\"a\":\"2\",\"z\":\"1\"},\"config\":{\"digest\":\"%s\",\"mediaType\":\"%s\","
                           "\"size\":%zu},\"layers\":[{\"digest\":\"" LD "\",\"mediaType\":\"%s\",\"size\":10}],"
                           "\"mediaType\":\"%s\",\"schemaVersion\":2}",
                           da.config_digest, DS_MT_OCI_CONFIG, da.config_len, DS_MT_OCI_LAYER_GZIP, DS_MT_OCI_MANIFEST);
    assert_string_equal(da.manifest_raw, m);
    free(m);
    ds_image_doc_free(&da);
    ds_image_doc_free(&db);
    /* Not an object: an error, not a crash. */
    json_t *arr = json_array();
    assert_int_equal(ds_image_compose(arr, &wl, 1, NULL, &da, &e), -1);
    json_decref(arr);
    json_decref(ann);
    json_decref(a);
    json_decref(b);
}

static void test_write_oci_layout(void **state) {
    (void)state;
    char *dir = NULL;
    ds_err e = {0};
    assert_int_equal(ds_mkdtemp("distill-test-write", &dir, &e), 0);
    /* A layer blob on disk (its content does not need to be a tar for the writer). */
    char *lp = ds_xasprintf("%s/layer", dir);
    assert_int_equal(ds_write_file_atomic(lp, "hello", 5, 0644, &e), 0);
    ds_write_layer wl = {.desc = {.media_type = (char *)DS_MT_OCI_LAYER, .size = 5}, .path = lp};
    ds_sha256_buf("hello", 5, wl.desc.digest);
    json_t *cfg = json_pack("{s:s, s:s, s:{s:s, s:[s]}}", "os", "linux", "architecture", "amd64", "rootfs", "type",
                            "layers", "diff_ids", wl.desc.digest);
    char *dst = ds_xasprintf("oci:%s/out:v1", dir), *dst2 = ds_xasprintf("oci:%s/out2:v1", dir);
    char d1[DS_DIGEST_LEN + 1], d2[DS_DIGEST_LEN + 1];
    if (ds_image_write(dst, NULL, cfg, &wl, 1, NULL, NULL, d1, &e) < 0) fail_msg("%s", e.msg);
    assert_int_equal(ds_image_write(dst2, NULL, cfg, &wl, 1, NULL, NULL, d2, &e), 0);
    assert_string_equal(d1, d2);
    /* What was written opens, and is what was composed. */
    ds_image *img = NULL;
    if (ds_image_open(dst, NULL, &img, &e) < 0) fail_msg("%s", e.msg);
    assert_string_equal(img->manifest_digest, d1);
    assert_int_equal(img->n_layers, 1);
    assert_string_equal(img->layers[0].digest, wl.desc.digest);
    assert_string_equal(json_string_value(json_object_get(img->config, "os")), "linux");
    ds_image_close(img);
    /* A destination named by a digest is refused, before anything is written. */
    char *bad = ds_xasprintf("oci:%s/out3@%s", dir, d1);
    assert_int_equal(ds_image_write(bad, NULL, cfg, &wl, 1, NULL, NULL, d2, &e), -1);
    assert_non_null(strstr(e.msg, "not by a digest"));
    free(bad);
    char *p3 = ds_xasprintf("%s/out3", dir);
    assert_false(ds_exists(p3));
    free(p3);
    json_decref(cfg);
    free(dst);
    free(dst2);
    free(lp);
    ds_rmtree(dir, &e);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_date_epoch),
        cmocka_unit_test(test_compose_sorted_deterministic),
        cmocka_unit_test(test_write_oci_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
