/* Unit tests for picking the runtime (src/runtime/pick.c): an asked-for runtime and why, an
 * unknown name, and `auto` on a machine where nothing works (an empty PATH, no engine on
 * DOCKER_HOST): the error lists why each one was passed over. And the docker runtime's
 * error when no engine answers. These run the real probes, on inputs that make them fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runtime/runtime.h"

static char *saved_path, *saved_host;

static int setup(void **st) {
    (void)st;
    const char *p = getenv("PATH"), *h = getenv("DOCKER_HOST");
    saved_path = p ? strdup(p) : NULL;
    saved_host = h ? strdup(h) : NULL;
    return 0;
}
static int teardown(void **st) {
    (void)st;
    if (saved_path) setenv("PATH", saved_path, 1); else unsetenv("PATH");
    if (saved_host) setenv("DOCKER_HOST", saved_host, 1); else unsetenv("DOCKER_HOST");
    free(saved_path);
    free(saved_host);
    return 0;
}

static void test_asked_for(void **st) {
    (void)st;
    ds_runtime_kind k = 0;
    char *why = NULL;
    ds_err e = {0};
    /* docker is not looked up in PATH: the engine is a socket, opened later. */
    assert_int_equal(ds_runtime_pick("docker", &k, &why, &e), 0);
    assert_int_equal(k, DS_RT_DOCKER);
    assert_string_equal(why, "asked for (--runtime docker)");
    assert_string_equal(ds_runtime_name(k), "docker");
    free(why);
}

static void test_unknown(void **st) {
    (void)st;
    ds_runtime_kind k = 0;
    char *why = NULL;
    ds_err e = {0};
    assert_int_equal(ds_runtime_pick("dokcer", &k, &why, &e), -1);
    assert_null(why);
    assert_string_equal(e.msg, "runtime dokcer: unknown (use runc, crun, podman or docker)");
}

static void test_none_works(void **st) {
    (void)st;
    char dir[] = "/tmp/distill-pick-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sock[64];
    snprintf(sock, sizeof sock, "unix://%s/none.sock", dir);
    setenv("PATH", dir, 1);
    setenv("DOCKER_HOST", sock, 1);
    ds_runtime_kind k = 0;
    char *why = NULL;
    ds_err e = {0};
    assert_int_equal(ds_runtime_pick(NULL, &k, &why, &e), -1);
    assert_null(why);
    assert_non_null(strstr(e.msg, "no container runtime works here (runc: runc is not in PATH; crun: crun is not in "
                                  "PATH; podman: podman is not in PATH; docker: no Docker engine: "));
    assert_non_null(strstr(e.msg, "none.sock does not exist"));
    assert_int_equal(ds_runtime_pick("runc", &k, &why, &e), -1);
    assert_string_equal(e.msg, "runtime runc: not found in PATH");
    /* Asked for, the engine's absence is the error of opening it: one line, naming the socket. */
    ds_runtime rt;
    assert_int_equal(ds_runtime_open(DS_RT_DOCKER, &rt, &e), -1);
    assert_non_null(strstr(e.msg, "--runtime docker: no Docker engine: "));
    assert_null(strchr(e.msg, '\n'));
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asked_for),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test_setup_teardown(test_none_works, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
