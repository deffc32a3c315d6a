/* Unit tests for the engine transports' pure parts: docker-daemon: / containers-storage:
 * references and storage specs, DOCKER_HOST, near matches for a missing image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "image/engine.h"
#include "image/image.h"
#include "image/ref_engine.h"

#define ID "sha256:5dbf02eccf8737e7ad2ad800e7cd0f34fc8d8f35a7f1ea57d0234d967a851ec6"

static void expect_ok(const char *text, ds_transport t, const char *repo, const char *tag, const char *digest,
                      const char *host, const char *name) {
    ds_ref r;
    ds_err e = {0};
    if (ds_ref_parse(text, &r, &e) != 0) fail_msg("%s: %s", text, e.msg);
    assert_int_equal(r.transport, t);
#define S(field, want) \
    if (want) { assert_non_null(r.field); assert_string_equal(r.field, want); } else assert_null(r.field)
    S(repo, repo);
    S(tag, tag);
    S(digest, digest);
    S(host, host);
#undef S
    assert_null(r.path);
    char *n = ds_ref_engine_name(&r);
    assert_string_equal(n, name);
    free(n);
    char *f = ds_ref_format(&r);
    ds_ref r2;
    if (ds_ref_parse(f, &r2, &e) != 0) fail_msg("%s -> %s: %s", text, f, e.msg);
    char *f2 = ds_ref_format(&r2);
    assert_string_equal(f, f2);
    /* The formatted text must carry every field, the decoration tag of NAME:TAG@DIGEST too. */
#define SAME(field) \
    if (r.field) { assert_non_null(r2.field); assert_string_equal(r.field, r2.field); } else assert_null(r2.field)
    SAME(repo);
    SAME(tag);
    SAME(digest);
    SAME(host);
#undef SAME
    free(f); free(f2);
    ds_ref_free(&r2);
    ds_ref_free(&r);
}

static void expect_bad(const char *text, const char *needle) {
    ds_ref r;
    ds_err e = {0};
    if (ds_ref_parse(text, &r, &e) == 0) { ds_ref_free(&r); fail_msg("%s: parsed but should not", text); }
    if (!strstr(e.msg, needle)) fail_msg("%s: message '%s' lacks '%s'", text, e.msg, needle);
    if (strncmp(e.msg, text, strlen(text))) fail_msg("%s: message '%s' does not name the input", text, e.msg);
}

static void test_daemon_refs(void **state) {
    (void)state;
    expect_ok("docker-daemon:app:src", DS_T_DOCKER_DAEMON, "app", "src", NULL, NULL, "app:src");
    expect_ok("docker-daemon:app", DS_T_DOCKER_DAEMON, "app", "latest", NULL, NULL, "app:latest");
    expect_ok("docker-daemon:localhost:5000/x/app:1.2", DS_T_DOCKER_DAEMON, "localhost:5000/x/app", "1.2", NULL, NULL,
              "localhost:5000/x/app:1.2");
    expect_ok("docker-daemon:docker.io/library/nginx", DS_T_DOCKER_DAEMON, "docker.io/library/nginx", "latest", NULL,
              NULL, "docker.io/library/nginx:latest");
    expect_ok("docker-daemon:" ID, DS_T_DOCKER_DAEMON, NULL, NULL, ID, NULL, ID);
    expect_bad("docker-daemon:", "no image named");
    expect_bad("docker-daemon:App:src", "bad image name 'App'");
    expect_bad("docker-daemon:app:s@rc", "not NAME@DIGEST");
    expect_bad("docker-daemon:app@" ID, "not NAME@DIGEST");
    expect_bad("docker-daemon:sha256:abc", "bad image ID");
    expect_bad("docker-daemon:app:-x", "bad tag");
    expect_bad("docker-daemon::tag", "no image name");
    expect_bad("docker-daemon:bad_host.:1/x", "bad registry host");
}

static void test_storage_refs(void **state) {
    (void)state;
    expect_ok("containers-storage:app:src", DS_T_CONTAINERS_STORAGE, "app", "src", NULL, NULL, "app:src");
    expect_ok("containers-storage:[overlay@/var/lib/x+/run/x]app", DS_T_CONTAINERS_STORAGE, "app", "latest", NULL,
              "overlay@/var/lib/x+/run/x", "app:latest");
    expect_ok("containers-storage:[/r:opt=1,b=2]localhost/app:1", DS_T_CONTAINERS_STORAGE, "localhost/app", "1", NULL,
              "/r:opt=1,b=2", "localhost/app:1");
    expect_ok("containers-storage:app@" ID, DS_T_CONTAINERS_STORAGE, "app", NULL, ID, NULL, "app@" ID);
    expect_ok("containers-storage:oi/x:c@" ID, DS_T_CONTAINERS_STORAGE, "oi/x", "c", ID, NULL, "oi/x@" ID);
    expect_ok("containers-storage:" ID, DS_T_CONTAINERS_STORAGE, NULL, NULL, ID, NULL, ID);
    expect_ok("containers-storage:5dbf02eccf8737e7ad2ad800e7cd0f34fc8d8f35a7f1ea57d0234d967a851ec6",
              DS_T_CONTAINERS_STORAGE, NULL, NULL, ID, NULL, ID);
    expect_bad("containers-storage:", "no image named");
    expect_bad("containers-storage:[/x]", "no image named");
    expect_bad("containers-storage:[/x", "no closing ']'");
    expect_bad("containers-storage:[]app", "empty storage spec");
    expect_bad("containers-storage:[overlay@rel/x]app", "not an absolute path");
    expect_bad("containers-storage:[/x+rel]app", "run root 'rel'");
    expect_bad("containers-storage:[b!@/x]app", "bad storage driver");
    expect_bad("containers-storage:[b@d@/x]app", "not an absolute path");
    expect_bad("containers-storage:app@sha256:12", "bad digest");
    expect_bad("containers-storage:Up", "bad image name");
    expect_bad("containers-storage:sha256", "reads as an image ID"); /* would format as sha256:latest */
}

static void test_storage_spec(void **state) {
    (void)state;
    ds_storage_spec s;
    ds_err e = {0};
    assert_int_equal(ds_storage_spec_parse("vfs@/a/b+/c:x=1,y", "t", &s, &e), 0);
    assert_string_equal(s.driver, "vfs");
    assert_string_equal(s.root, "/a/b");
    assert_string_equal(s.runroot, "/c");
    assert_string_equal(s.options[0], "x=1");
    assert_string_equal(s.options[1], "y");
    assert_null(s.options[2]);
    ds_storage_spec_free(&s);
    assert_int_equal(ds_storage_spec_parse("/only/root", "t", &s, &e), 0);
    assert_null(s.driver);
    assert_string_equal(s.root, "/only/root");
    assert_null(s.runroot);
    assert_null(s.options[0]);
    ds_storage_spec_free(&s);
}

static void test_docker_host(void **state) {
    (void)state;
    char *p = NULL;
    ds_err e = {0};
    assert_int_equal(ds_engine_socket_path(NULL, &p, &e), 0);
    assert_string_equal(p, "/var/run/docker.sock");
    free(p);
    assert_int_equal(ds_engine_socket_path("unix:///tmp/d.sock", &p, &e), 0);
    assert_string_equal(p, "/tmp/d.sock");
    free(p);
    assert_int_equal(ds_engine_socket_path("tcp://127.0.0.1:2375", &p, &e), -1);
    assert_non_null(strstr(e.msg, "only unix://"));
    assert_int_equal(ds_engine_socket_path("unix://rel.sock", &p, &e), -1);
    char longp[300];
    memset(longp, 'a', sizeof longp);
    memcpy(longp, "unix:///", 8);
    longp[sizeof longp - 1] = 0;
    assert_int_equal(ds_engine_socket_path(longp, &p, &e), -1);
    assert_non_null(strstr(e.msg, "too long"));
}

static void test_near_matches(void **state) {
    (void)state;
    const char *names[] = {"app:src", "app:min", "docker.io/library/nginx:latest", "apq:1", "other/thing:2",
                           "<none>:<none>", "localhost/app:v9"};
    size_t n = sizeof names / sizeof *names;
    bool same = false;
    char *m = ds_engine_near_matches("app:nope", names, n, 8, &same);
    assert_true(same);
    assert_non_null(strstr(m, "app:src"));
    assert_non_null(strstr(m, "app:min"));
    assert_null(strstr(m, "nginx"));
    assert_non_null(strstr(m, "localhost/app:v9")); /* podman resolves "app" to localhost/app too */
    free(m);
    m = ds_engine_near_matches("docker.io/library/app:x", names, n, 8, &same);
    assert_true(same);
    assert_non_null(strstr(m, "app:src"));
    free(m);
    m = ds_engine_near_matches("ngnix", names, n, 8, &same);
    assert_false(same);
    assert_string_equal(m, "docker.io/library/nginx:latest");
    free(m);
    m = ds_engine_near_matches("zzzzzzzzzz", names, n, 8, &same);
    assert_string_equal(m, "");
    free(m);
    m = ds_engine_near_matches("app:src", names, n, 1, &same); /* the same tag is not a near match */
    assert_string_equal(m, "app:min");
    free(m);
    char *t = ds_engine_near_text("zzzzzzzzzz", names, n, 5);
    assert_string_equal(t, " (none of its 5 images has a similar name)");
    free(t);
    t = ds_engine_near_text("app:x", names, n, 5);
    assert_non_null(strstr(t, " (other tags: "));
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_daemon_refs),
        cmocka_unit_test(test_storage_refs),
        cmocka_unit_test(test_storage_spec),
        cmocka_unit_test(test_docker_host),
        cmocka_unit_test(test_near_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
