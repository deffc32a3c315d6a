/* Unit tests for the trace log loader (src/trace/trace_log.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "util/path_json.h"
#include "trace/trace_log.h"
#include "util/fsutil.h"

static const char good[] =
    "{\"version\":1,\"arch\":\"x86_64\",\"command\":[\"/bin/app\",\"-x\"],\"exit_code\":3,\"signal\":null,"
    "\"syscalls_complete\":false,"
    "\"files\":[{\"path\":\"/usr/bin/app\",\"kind\":\"file\",\"ops\":[\"exec\",\"map\"],\"ok\":true},"
    "{\"path\":\"/lib\",\"kind\":\"symlink\",\"ops\":[\"follow\"],\"ok\":true},"
    "{\"path\":\"/etc/missing\",\"kind\":\"missing\",\"ops\":[\"open\",\"stat\"],\"ok\":false}],"
    "\"execs\":[{\"path\":\"/usr/bin/app\",\"argv\":[\"app\",\"-x\"],\"ok\":true}],"
    "\"syscalls\":[\"openat\",\"execve\"],\"warnings\":[\"w1\"]}";

static void test_parse_good(void **state) {
    (void)state;
    ds_trace *t = NULL;
    ds_err e;
    assert_int_equal(ds_trace_parse(good, strlen(good), "good", &t, &e), 0);
    assert_int_equal(t->version, 1);
    assert_string_equal(t->arch, "x86_64");
    assert_int_equal(t->ncommand, 2);
    assert_string_equal(t->command[1], "-x");
    assert_null(t->command[2]);
    assert_int_equal(t->exit_code, 3);
    assert_null(t->signal);
    assert_false(t->syscalls_complete);
    assert_int_equal(t->nfiles, 3);
    /* sorted by path */
    assert_string_equal(t->files[0].path, "/etc/missing");
    assert_string_equal(t->files[1].path, "/lib");
    const ds_trace_file *f = ds_trace_find(t, "/usr/bin/app");
    assert_non_null(f);
    assert_int_equal(f->kind, DS_TRACE_FILE);
    assert_int_equal(f->ops, DS_TRACE_OP_EXEC | DS_TRACE_OP_MAP);
    assert_true(f->ok);
    f = ds_trace_find(t, "/etc/missing");
    assert_non_null(f);
    assert_false(f->ok);
    assert_int_equal(f->kind, DS_TRACE_MISSING);
    assert_null(ds_trace_find(t, "/nope"));
    assert_int_equal(ds_trace_find(t, "/lib")->ops, DS_TRACE_OP_FOLLOW);
    assert_int_equal(t->nexecs, 1);
    assert_int_equal(t->execs[0].argc, 2);
    assert_string_equal(t->execs[0].argv[0], "app");
    assert_int_equal(t->nsyscalls, 2);
    assert_string_equal(t->syscalls[0], "execve"); /* sorted */
    assert_int_equal(t->nwarnings, 1);
    ds_trace_free(t);
}

static void test_signal_and_minimal(void **state) {
    (void)state;
    const char *doc = "{\"version\":1,\"exit_code\":null,\"signal\":\"SIGKILL\",\"files\":[]}";
    ds_trace *t = NULL;
    ds_err e;
    assert_int_equal(ds_trace_parse(doc, strlen(doc), "min", &t, &e), 0);
    assert_int_equal(t->exit_code, -1);
    assert_string_equal(t->signal, "SIGKILL");
    assert_int_equal(t->nfiles, 0);
    assert_int_equal(t->nexecs, 0);
    assert_int_equal(t->nsyscalls, 0);
    assert_null(t->command[0]);
    ds_trace_free(t);
}

static void expect_error(const char *doc, const char *needle) {
    ds_trace *t = (ds_trace *)1;
    ds_err e;
    assert_int_equal(ds_trace_parse(doc, strlen(doc), "bad.json", &t, &e), -1);
    assert_null(t);
    if (!strstr(e.msg, needle) || !strstr(e.msg, "bad.json")) fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("not json", "not valid JSON");
    expect_error("[]", "expected a JSON object");
    expect_error("{\"version\":3,\"files\":[]}", "version");
    expect_error("{\"version\":2,\"main_pid\":-1,\"files\":[]}", "main_pid");
    expect_error("{\"version\":2,\"files\":[{\"path\":\"/a\",\"kind\":\"file\",\"ops\":[],\"ok\":true,\"epochs\":[3,1]}]}", "epochs");
    expect_error("{\"version\":2,\"files\":[{\"path\":\"/a\",\"kind\":\"file\",\"ops\":[],\"ok\":true,\"write_epochs\":[\"x\",1]}]}", "write_epochs");
    expect_error("{\"version\":2,\"files\":[],\"execs\":[{\"path\":\"/a\",\"argv\":[],\"ok\":true,\"cwd\":\"rel\"}]}", "not absolute");
    expect_error("{\"version\":2,\"files\":[],\"execs\":[{\"path\":\"/a\",\"argv\":[],\"ok\":true,\"envp\":[1]}]}", "envp[0]");
    expect_error("{\"version\":2,\"files\":[],\"execs\":[{\"path\":\"/a\",\"argv\":[],\"ok\":true,\"uid\":-3}]}", "uid");
    expect_error("{\"version\":1}", "files");
    expect_error("{\"version\":1,\"files\":[{\"path\":\"rel\",\"kind\":\"file\",\"ops\":[],\"ok\":true}]}", "not absolute");
    expect_error("{\"version\":1,\"files\":[{\"path\":\"/a\",\"kind\":\"blob\",\"ops\":[],\"ok\":true}]}", "unknown kind");
    expect_error("{\"version\":1,\"files\":[{\"path\":\"/a\",\"kind\":\"file\",\"ops\":[\"eat\"],\"ok\":true}]}", "unknown operation");
    expect_error("{\"version\":1,\"files\":[{\"path\":\"/a\",\"kind\":\"file\",\"ops\":[],\"ok\":true},"
                 "{\"path\":\"/a\",\"kind\":\"file\",\"ops\":[],\"ok\":false}]}", "twice");
    expect_error("{\"version\":1,\"files\":[{\"path\":\"/a\",\"kind\":\"file\",\"ops\":[]}]}", "expected {path");
    expect_error("{\"version\":1,\"files\":[],\"execs\":[{\"path\":\"/a\",\"argv\":[1],\"ok\":true}]}", "argv[0]");
    expect_error("{\"version\":1,\"files\":[],\"exit_code\":\"x\"}", "exit_code");
    expect_error("{\"version\":1,\"files\":[{\"path\":\"/a\\u0000b\",\"kind\":\"file\",\"ops\":[],\"ok\":true}]}", "bad.json");
}

/* denied_binds: optional, each {path, port 1-65535}, path with its _hex twin like any path. */
static void test_denied_binds(void **state) {
    (void)state;
    const char *doc = "{\"version\":1,\"files\":[],\"denied_binds\":[{\"path\":\"/usr/sbin/nginx\",\"port\":80},"
                      "{\"path\":\"/x\\ufffd\",\"path_hex\":\"2f78e9\",\"port\":443}]}";
    ds_trace *t = NULL;
    ds_err e = {0};
    assert_int_equal(ds_trace_parse(doc, strlen(doc), "t.json", &t, &e), 0);
    assert_int_equal(t->ndenied_binds, 2);
    assert_string_equal(t->denied_binds[0].path, "/usr/sbin/nginx");
    assert_int_equal(t->denied_binds[0].port, 80);
    assert_string_equal(t->denied_binds[1].path, "/x\xe9");
    ds_trace_free(t);
    const char *none = "{\"version\":1,\"files\":[]}";
    assert_int_equal(ds_trace_parse(none, strlen(none), "t.json", &t, &e), 0);
    assert_int_equal(t->ndenied_binds, 0);
    ds_trace_free(t);
    expect_error("{\"version\":1,\"files\":[],\"denied_binds\":{}}", "denied_binds: expected an array");
    expect_error("{\"version\":1,\"files\":[],\"denied_binds\":[{\"path\":\"/a\",\"port\":0}]}", "denied_binds[0]");
    expect_error("{\"version\":1,\"files\":[],\"denied_binds\":[{\"path\":\"/a\",\"port\":70000}]}", "port 1-65535");
    expect_error("{\"version\":1,\"files\":[],\"denied_binds\":[{\"port\":80}]}", "denied_binds[0]");
    expect_error("{\"version\":1,\"files\":[],\"denied_binds\":[{\"path\":\"/a\",\"path_hex\":\"zz\",\"port\":80}]}",
                 "denied_binds[0].path_hex");
}

/* Version 2: the exec's environment, cwd, ids and epochs, and the files' epochs. */
static void test_v2_fields(void **state) {
    (void)state;
    const char *doc = "{\"version\":2,\"main_pid\":2,\"files\":["
                      "{\"path\":\"/etc/x\",\"kind\":\"file\",\"ops\":[\"open\",\"create\"],\"ok\":true,\"epochs\":[1,3],\"write_epochs\":[1,2]},"
                      "{\"path\":\"/y\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true}],"
                      "\"execs\":[{\"path\":\"/s.sh\",\"argv\":[\"/s.sh\"],\"envp\":[\"A=1\",\"B=2\"],\"cwd\":\"/w\","
                      "\"uid\":0,\"gid\":0,\"pid\":2,\"ppid\":1,\"epoch\":1,\"ok\":true}]}";
    ds_trace *t = NULL;
    ds_err e;
    assert_int_equal(ds_trace_parse(doc, strlen(doc), "v2.json", &t, &e), 0);
    assert_int_equal(t->version, 2);
    assert_int_equal(t->main_pid, 2);
    assert_int_equal(t->files[0].first_epoch, 1);
    assert_int_equal(t->files[0].last_epoch, 3);
    assert_int_equal(t->files[0].write_epoch, 1);
    assert_int_equal(t->files[0].last_write_epoch, 2);
    assert_int_equal(t->files[1].first_epoch, -1);
    assert_int_equal(t->files[1].write_epoch, -1);
    assert_int_equal(t->execs[0].nenvp, 2);
    assert_string_equal(t->execs[0].envp[1], "B=2");
    assert_string_equal(t->execs[0].cwd, "/w");
    assert_int_equal(t->execs[0].pid, 2);
    assert_int_equal(t->execs[0].ppid, 1);
    assert_int_equal(t->execs[0].uid, 0);
    assert_int_equal(t->execs[0].epoch, 1);
    ds_trace_free(t);
}

static void test_names_roundtrip(void **state) {
    (void)state;
    for (unsigned i = 0; i < DS_TRACE_OP_COUNT; i++)
        assert_int_equal(ds_trace_op_parse(ds_trace_op_name(i)), 1u << i);
    assert_null(ds_trace_op_name(DS_TRACE_OP_COUNT));
    for (int k = DS_TRACE_FILE; k <= DS_TRACE_OTHER; k++)
        assert_int_equal(ds_trace_kind_parse(ds_trace_kind_name((ds_trace_kind)k)), k);
    assert_int_equal(ds_trace_kind_parse("nope"), -1);
}

static void test_load_file(void **state) {
    (void)state;
    ds_err e;
    char *dir = NULL;
    assert_int_equal(ds_mkdtemp("distill-unit", &dir, &e), 0);
    char *p = ds_xasprintf("%s/t.json", dir);
    assert_int_equal(ds_write_file_atomic(p, good, strlen(good), 0644, &e), 0);
    ds_trace *t = NULL;
    assert_int_equal(ds_trace_load(p, &t, &e), 0);
    assert_int_equal(t->nfiles, 3);
    ds_trace_free(t);
    char *q = ds_xasprintf("%s/none.json", dir);
    assert_int_equal(ds_trace_load(q, &t, &e), -1);
    assert_non_null(strstr(e.msg, "none.json"));
    ds_rmtree(dir, &e);
    free(p); free(q); free(dir);
}

/* Every byte 0x01-0xff in one name (and in argv and the command): written by ds_json_export (the
 * representation the sensor writes), parsed back to the exact bytes. */
static void test_every_byte_roundtrip(void **state) {
    (void)state;
    char name[300], arg[300];
    size_t n = 0;
    name[n++] = '/';
    for (unsigned b = 1; b <= 0xff; b++) name[n++] = (char)b;
    name[n] = 0;
    for (unsigned b = 1; b <= 0xff; b++) arg[b - 1] = (char)(0x100 - b); /* reversed: ff fe ... 01 */
    arg[0xff] = 0;
    assert_false(ds_utf8_valid(name));
    json_t *doc = json_pack("{s:i, s:[o,o], s:[{s:o, s:s, s:[s], s:b}, {s:s, s:s, s:[], s:b}], s:[{s:o, s:[s,o], s:b}]}",
                            "version", 1, "command", ds_json_bytes("app"), ds_json_bytes(arg), "files", "path",
                            ds_json_bytes(name), "kind", "file", "ops", "open", "ok", 1, "path", "/caf\xc3\xa9",
                            "kind", "file", "ops", "ok", 1, "execs", "path", ds_json_bytes(name), "argv", "x",
                            ds_json_bytes(arg), "ok", 1);
    assert_non_null(doc);
    assert_null(json_dumps(doc, JSON_COMPACT)); /* jansson refuses the raw bytes: export is needed */
    ds_json_export(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    assert_non_null(text);
    /* the valid UTF-8 name is written as it is, without a _hex twin */
    assert_non_null(strstr(text, "{\"path\":\"/caf\xc3\xa9\",\"kind\""));
    assert_non_null(strstr(text, "\"command_hex\":[null,\"fffefd"));
    assert_non_null(strstr(text, "\"argv_hex\":[null,\"fffefd"));
    ds_trace *t = NULL;
    ds_err e;
    if (ds_trace_parse(text, strlen(text), "rt", &t, &e) < 0) fail_msg("%s", e.msg);
    free(text);
    assert_int_equal(t->nfiles, 2);
    const ds_trace_file *f = ds_trace_find(t, name);
    assert_non_null(f);
    assert_memory_equal(f->path, name, n + 1);
    assert_non_null(ds_trace_find(t, "/caf\xc3\xa9"));
    assert_string_equal(t->execs[0].path, name);
    assert_int_equal(t->execs[0].argc, 2);
    assert_string_equal(t->execs[0].argv[0], "x");
    assert_string_equal(t->execs[0].argv[1], arg);
    assert_int_equal(t->ncommand, 2);
    assert_string_equal(t->command[1], arg);
    ds_trace_free(t);
}

/* What the sensor writes for DIR/caf\xe9 (hand-written, so the loader is tested on its own). */
static void test_sensor_form(void **state) {
    (void)state;
    const char *doc = "{\"version\":1,\"command\":[\"a\"],\"files\":["
                      "{\"path\":\"/d/caf\\ufffd\",\"path_hex\":\"2F642F636166E9\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
                      "{\"path\":\"/d/\\ufffd\\ufffd\",\"path_hex\":\"2f642ffffe\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
                      "{\"path\":\"/d/caf\\u00e9\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true}],"
                      "\"execs\":[{\"path\":\"/bin/cat\",\"argv\":[\"cat\",\"/d/caf\\ufffd\"],\"argv_hex\":[null,\"2f642f636166e9\"],\"ok\":true}]}";
    ds_trace *t = NULL;
    ds_err e;
    if (ds_trace_parse(doc, strlen(doc), "s", &t, &e) < 0) fail_msg("%s", e.msg);
    assert_int_equal(t->nfiles, 3);
    assert_non_null(ds_trace_find(t, "/d/caf\xe9"));
    assert_non_null(ds_trace_find(t, "/d/\xff\xfe"));
    assert_non_null(ds_trace_find(t, "/d/caf\xc3\xa9"));
    assert_null(ds_trace_find(t, "/d/caf\xef\xbf\xbd")); /* the lossy text is not a path */
    assert_string_equal(t->execs[0].argv[1], "/d/caf\xe9");
    assert_string_equal(t->execs[0].argv[0], "cat");
    ds_trace_free(t);
}

static void test_bad_hex(void **state) {
    (void)state;
#define F(extra) "{\"version\":1,\"files\":[{\"path\":\"/a\"," extra ",\"kind\":\"file\",\"ops\":[],\"ok\":true}]}"
    expect_error(F("\"path_hex\":\"2f6\""), "files[0].path_hex: odd number of hex digits");
    expect_error(F("\"path_hex\":\"2f6g\""), "files[0].path_hex: not a hex digit");
    expect_error(F("\"path_hex\":\"2f 6\""), "files[0].path_hex: not a hex digit");
    expect_error(F("\"path_hex\":\"2f0061\""), "files[0].path_hex: a NUL byte");
    expect_error(F("\"path_hex\":42"), "files[0].path_hex: expected a string");
    expect_error(F("\"path_hex\":\"61\""), "not absolute");
    expect_error(F("\"path_hex\":\"\""), "not absolute");
#undef F
#define E(extra) "{\"version\":1,\"files\":[],\"execs\":[{\"path\":\"/a\",\"argv\":[\"a\",\"b\"]," extra ",\"ok\":true}]}"
    expect_error(E("\"argv_hex\":[null]"), "execs[0].argv_hex: expected an array as long as");
    expect_error(E("\"argv_hex\":\"61\""), "execs[0].argv_hex: expected an array");
    expect_error(E("\"argv_hex\":[null,\"6x\"]"), "execs[0].argv[1]_hex: not a hex digit");
    expect_error(E("\"argv_hex\":[null,7]"), "execs[0].argv[1]_hex: expected a string");
    expect_error(E("\"path_hex\":\"2f00\""), "execs[0].path_hex: a NUL byte");
#undef E
    expect_error("{\"version\":1,\"files\":[],\"command\":[\"a\"],\"command_hex\":[\"zz\"]}", "command[0]_hex: not a hex digit");
    expect_error("{\"version\":1,\"files\":[],\"command_hex\":[\"61\"]}", "command: expected an array");
    /* two spellings of the same bytes are still one path */
    expect_error("{\"version\":1,\"files\":[{\"path\":\"/a\",\"kind\":\"file\",\"ops\":[],\"ok\":true},"
                 "{\"path\":\"/x\",\"path_hex\":\"2f61\",\"kind\":\"file\",\"ops\":[],\"ok\":true}]}", "twice");
}

static void test_utf8_rules(void **state) {
    (void)state;
    assert_true(ds_utf8_valid("/plain"));
    assert_true(ds_utf8_valid("/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80"));
    assert_false(ds_utf8_valid("/\xc0\xaf"));         /* overlong '/' */
    assert_false(ds_utf8_valid("/\xe0\x80\xaf"));     /* overlong */
    assert_false(ds_utf8_valid("/\xed\xa0\x80"));     /* surrogate */
    assert_false(ds_utf8_valid("/\xf4\x90\x80\x80")); /* above U+10FFFF */
    assert_false(ds_utf8_valid("/\xf5\x80\x80\x80"));
    assert_false(ds_utf8_valid("/\xc3"));             /* cut short */
    char *l = ds_utf8_lossy("/caf\xe9\xc3\xa9");
    assert_string_equal(l, "/caf\xef\xbf\xbd\xc3\xa9");
    free(l);
    char *q = ds_utf8_replace("/a\xff\xfe", "?");
    assert_string_equal(q, "/a??");
    free(q);
    char *h = ds_hex_of("/\x01\xff");
    assert_string_equal(h, "2f01ff");
    const char *why = NULL;
    char *back = ds_hex_decode(h, strlen(h), &why);
    assert_string_equal(back, "/\x01\xff");
    free(back);
    free(h);
    /* export leaves valid documents alone */
    json_t *j = json_pack("{s:s, s:[s,s], s:{s:s}}", "path", "/caf\xc3\xa9", "argv", "a", "b", "in", "path", "/x");
    char *before = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    ds_json_export(j);
    char *after = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(before, after);
    free(before); free(after);
    /* nested object member and a message array */
    json_object_set_new(json_object_get(j, "in"), "path", ds_json_bytes("/\xe9"));
    ds_json_export(j);
    after = json_dumps(json_object_get(j, "in"), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(after, "{\"path\":\"/\xef\xbf\xbd\",\"path_hex\":\"2fe9\"}");
    free(after);
    json_decref(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_signal_and_minimal),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_denied_binds),
        cmocka_unit_test(test_v2_fields),
        cmocka_unit_test(test_names_roundtrip),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_every_byte_roundtrip),
        cmocka_unit_test(test_sensor_form),
        cmocka_unit_test(test_bad_hex),
        cmocka_unit_test(test_utf8_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
