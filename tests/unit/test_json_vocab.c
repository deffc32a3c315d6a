/* The one output vocabulary (docs/json.md): ds_text_escape, the one escaper of names from an
 * image in text output; "schema" in every document the library builds; paths that are not
 * UTF-8 written as "key" + "key_hex" in scan's and harden's documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "harden/harden.h"
#include "scan/report.h"
#include "util/err.h"
#include "util/json_doc.h"
#include "util/path_json.h"
#include "util/text_escape.h"

static void expect_escaped(const char *in, const char *want) {
    char *got = ds_text_escape(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_escape_controls(void **state) {
    (void)state;
    expect_escaped("/usr/bin/ls", "/usr/bin/ls");
    expect_escaped("", "");
    expect_escaped(NULL, "");
    expect_escaped("/evil\nline\x1b[2J", "/evil\\x0aline\\x1b[2J");
    expect_escaped("a\tb\rc\x7f", "a\\x09b\\x0dc\\x7f");
    expect_escaped("\x01\x1f", "\\x01\\x1f");
    /* Backslashes stay: the escaped form is for eyes, not for decoding. */
    expect_escaped("C:\\x", "C:\\x");
}

static void test_escape_utf8(void **state) {
    (void)state;
    /* Valid UTF-8 is kept, invalid bytes are spelled out, one by one. */
    expect_escaped("caf\xc3\xa9", "caf\xc3\xa9");
    expect_escaped("\xe2\x9c\x93 ok", "\xe2\x9c\x93 ok");
    expect_escaped("caf\xe9", "caf\\xe9");
    expect_escaped("\xff\xfe", "\\xff\\xfe");
    expect_escaped("\xc0\xaf", "\\xc0\\xaf"); /* overlong '/' */
    /* 8-bit CSI, raw or as UTF-8 (U+009B): a terminal can take either as an escape. */
    expect_escaped("a\x9b" "2J", "a\\x9b2J");
    expect_escaped("a\xc2\x9b" "2J", "a\\xc2\\x9b2J");
    expect_escaped("\xc2\xa0", "\xc2\xa0"); /* U+00A0 is printable */
    /* Nothing below 0x20 or DEL survives, whatever the input. */
    unsigned char all[256];
    for (int i = 1; i < 256; i++) all[i - 1] = (unsigned char)i;
    all[255] = 0;
    char *e = ds_text_escape((const char *)all);
    for (const unsigned char *p = (const unsigned char *)e; *p; p++) assert_true(*p >= 0x20 && *p != 0x7f);
    free(e);
}

static void test_doc_schema(void **state) {
    (void)state;
    json_t *d = ds_json_doc();
    assert_int_equal(json_object_size(d), 1);
    assert_int_equal(json_integer_value(json_object_get(d, DS_JK_SCHEMA)), DS_JSON_SCHEMA);
    assert_int_equal(DS_JSON_SCHEMA, 1);
    assert_string_equal(DS_JK_SCHEMA, "schema");
    json_decref(d);
}

static void test_scan_doc(void **state) {
    (void)state;
    ds_scan s;
    memset(&s, 0, sizeof s);
    s.image_ref = ds_xstrdup("oci:img:1");
    s.digest = ds_xstrdup("sha256:0123");
    s.n_dirs = 2;
    s.dirs = ds_xcalloc(2, sizeof *s.dirs);
    s.dirs[0].name = ds_xstrdup("/usr");
    s.dirs[0].bytes = 10;
    s.dirs[1].name = ds_xstrdup("/caf\xe9");
    s.dirs[1].bytes = 5;
    s.tree.total_size = 15;
    json_t *j = ds_scan_json(&s, false);
    assert_int_equal(json_integer_value(json_object_get(j, "schema")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "image")), "oci:img:1");
    assert_string_equal(json_string_value(json_object_get(j, "digest")), "sha256:0123");
    assert_null(json_object_get(j, "image_digest"));
    assert_int_equal(json_integer_value(json_object_get(j, "size")), 15);
    json_t *d1 = json_array_get(json_object_get(j, "by_top_dir"), 1);
    assert_int_equal(json_integer_value(json_object_get(d1, "size")), 5);
    assert_string_equal(json_string_value(json_object_get(d1, "path")), "/caf\xef\xbf\xbd");
    assert_string_equal(json_string_value(json_object_get(d1, "path_hex")), "2f636166e9");
    assert_null(json_object_get(json_array_get(json_object_get(j, "by_top_dir"), 0), "path_hex"));
    /* What is exported dumps: no string is left that jansson would refuse. */
    char *txt = json_dumps(j, 0);
    assert_non_null(txt);
    free(txt);
    json_decref(j);
    ds_scan_free(&s);
}

static void test_harden_doc_paths(void **state) {
    (void)state;
    ds_harden_report r;
    ds_harden_report_init(&r);
    r.n_changes = 1;
    r.changes = ds_xcalloc(1, sizeof *r.changes);
    r.changes[0].rule = "setuid";
    r.changes[0].path = ds_xstrdup("/bin/\xff\x1b[2J");
    r.changes[0].detail = ds_xstrdup("mode 4755 -> 0755");
    r.changes[0].action = DS_HA_CHMOD;
    r.user_name = ds_xstrdup("caf\xe9");
    r.config_user = ds_xstrdup("1000:1000");
    json_t *j = ds_harden_report_json(&r);
    assert_non_null(j);
    json_t *c = json_array_get(json_object_get(j, "changes"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "path_hex")), "2f62696e2fff1b5b324a");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "user"), "name_hex")), "636166e9");
    char *txt = json_dumps(j, 0);
    assert_non_null(txt);
    free(txt);
    json_decref(j);
    ds_harden_report_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_controls),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_doc_schema),
        cmocka_unit_test(test_scan_doc),
        cmocka_unit_test(test_harden_doc_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
