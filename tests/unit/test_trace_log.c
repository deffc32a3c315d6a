/* Unit tests for the trace log loader (src/trace/trace_log.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
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
    expect_error("{\"version\":2,\"files\":[]}", "version");
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_signal_and_minimal),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_names_roundtrip),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
