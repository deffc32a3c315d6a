/* Unit tests for src/build and src/runtime pieces that need no container: the OCI
 * config, placeholders, users, the seccomp profile, the Dockerfile, distill.yaml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "build/build.h"
#include "image/image_config.h"
#include "runtime/runtime.h"
#include "util/fsutil.h"

static char *tmp;

static int setup(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-test-build", &tmp, &e), 0);
    return 0;
}
static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(tmp, &e);
    free(tmp);
    return 0;
}

static void put(const char *rel, const char *text) {
    char *p = ds_xasprintf("%s%s", tmp, rel), *d = ds_xstrdup(p);
    *strrchr(d, '/') = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(d, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, text, strlen(text), 0644, &e), 0);
    free(p);
    free(d);
}

static void test_oci_config(void **state) {
    (void)state;
    char *args[] = {"/usr/sbin/nginx", "-g", "daemon off;"};
    char *env[] = {"PATH=/usr/bin"};
    ds_run_spec s = {.kind = DS_RT_RUNC, .args = args, .n_args = 3, .env = env, .n_env = 1, .uid = 65532,
                     .gid = 65532, .sensor_path = "/x/distill-sensor", .log_dir = "/x/log", .cwd = "/srv"};
    json_t *c = ds_oci_config(&s, "/r/merged", "id1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "root"), "path")), "/r/merged");
    json_t *p = json_object_get(c, "process");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "user"), "uid")), 65532);
    assert_string_equal(json_string_value(json_object_get(p, "cwd")), "/srv");
    assert_int_equal(json_array_size(json_object_get(p, "args")), 3);
    /* Host network: no network namespace; the sensor mounted read-only; ptrace allowed for it. */
    json_t *ns = json_object_get(json_object_get(c, "linux"), "namespaces");
    size_t i;
    json_t *v;
    json_array_foreach(ns, i, v) assert_string_not_equal(json_string_value(json_object_get(v, "type")), "network");
    bool sensor = false;
    json_array_foreach(json_object_get(c, "mounts"), i, v)
        if (!strcmp(json_string_value(json_object_get(v, "destination")), DS_SENSOR_MOUNT)) sensor = true;
    assert_true(sensor);
    char *caps = json_dumps(json_object_get(json_object_get(p, "capabilities"), "bounding"), 0);
    assert_non_null(strstr(caps, "CAP_SYS_PTRACE"));
    assert_non_null(strstr(caps, "CAP_NET_BIND_SERVICE"));
    assert_null(strstr(caps, "CAP_SYS_ADMIN"));
    free(caps);
    json_decref(c);
    /* Own network namespace on request, and no ptrace without the sensor. */
    s.network = DS_NET_NONE;
    s.sensor_path = NULL;
    c = ds_oci_config(&s, "/r", "id2");
    char *text = json_dumps(c, 0);
    assert_non_null(strstr(text, "\"network\""));
    assert_null(strstr(text, "CAP_SYS_PTRACE"));
    free(text);
    json_decref(c);
}

static void test_expand(void **state) {
    (void)state;
    ds_test_env e = {.host = "127.0.0.1", .name = "nginx", .tag = "v1"};
    char *s = ds_test_expand("curl http://{LOCALHOST}:80/{NAME}/{CONTAINER_TAG}/{OTHER}", &e);
    assert_string_equal(s, "curl http://127.0.0.1:80/nginx/v1/{OTHER}");
    free(s);
    ds_err err;
    assert_int_equal(ds_test_run("test \"$DISTILL_NAME:$DISTILL_TAG\" = nginx:v1", &e, -1, 0, NULL, NULL, &err), 0);
    assert_int_equal(ds_test_run("exit 7", &e, -1, 0, NULL, NULL, &err), 7);
}

static void test_users(void **state) {
    (void)state;
    put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:34::/var/www:/usr/sbin/nologin\n");
    put("/etc/group", "root:x:0:\nwww-data:x:34:\nstaff:x:50:\n");
    uint32_t u, g;
    ds_err e;
    assert_int_equal(ds_user_resolve(tmp, "", &u, &g, &e), 0);
    assert_int_equal(u, 0);
    assert_int_equal(ds_user_resolve(tmp, "www-data", &u, &g, &e), 0);
    assert_int_equal(u, 33);
    assert_int_equal(g, 34);
    assert_int_equal(ds_user_resolve(tmp, "33:staff", &u, &g, &e), 0);
    assert_int_equal(g, 50);
    assert_int_equal(ds_user_resolve(tmp, "1000:1000", &u, &g, &e), 0);
    assert_int_equal(u, 1000);
    assert_int_equal(ds_user_resolve(tmp, "nobody-here", &u, &g, &e), -1);
    assert_non_null(strstr(e.msg, "nobody-here"));
}

static void test_seccomp(void **state) {
    (void)state;
    char *sc[] = {"accept4", "epoll_wait", "not_a_syscall_name"};
    json_t *p = ds_seccomp_profile(sc, 3, "x86_64");
    assert_string_equal(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO");
    char *text = json_dumps(p, 0);
    assert_non_null(strstr(text, "\"accept4\""));
    assert_non_null(strstr(text, "\"execve\""));
    assert_non_null(strstr(text, "SCMP_ARCH_X86_64"));
    assert_null(strstr(text, "not_a_syscall_name"));
    free(text);
    json_decref(p);
    p = ds_seccomp_profile(sc, 3, "arm64");
    text = json_dumps(p, 0);
    assert_non_null(strstr(text, "SCMP_ARCH_AARCH64"));
    free(text);
    json_decref(p);
}

static void test_dockerfile(void **state) {
    (void)state;
    put("/usr/bin/app", "x");
    ds_closure c = {0};
    ds_pathmap_add(&c.keep, "/", "root");
    ds_pathmap_add(&c.keep, "/usr", "parent");
    ds_pathmap_add(&c.keep, "/usr/bin/app", "entrypoint");
    json_error_t je;
    json_t *cfg = json_loads("{\"config\":{\"Env\":[\"A=b c\"],\"Entrypoint\":[\"/usr/bin/app\"],\"Cmd\":[\"-v\"],"
                             "\"ExposedPorts\":{\"80/tcp\":{}}}}", 0, &je);
    char *df = ds_dockerfile("oci:/x:latest", &c, cfg, "65532:65532", tmp);
    assert_non_null(strstr(df, "FROM oci:/x:latest AS build\n"));
    assert_non_null(strstr(df, "FROM scratch\n"));
    assert_non_null(strstr(df, "COPY --from=build [\"/usr/bin/app\", \"/usr/bin/app\"]\n"));
    assert_null(strstr(df, "[\"/usr\""));
    assert_non_null(strstr(df, "ENV A=\"b c\"\n"));
    assert_non_null(strstr(df, "USER 65532:65532\n"));
    assert_non_null(strstr(df, "ENTRYPOINT [\"/usr/bin/app\"]\n"));
    assert_non_null(strstr(df, "CMD [\"-v\"]\n"));
    assert_non_null(strstr(df, "EXPOSE 80/tcp\n"));
    free(df);
    /* A hostile file name cannot add an instruction. */
    put("/x\"]\nRUN evil", "x");
    ds_pathmap_add(&c.keep, "/x\"]\nRUN evil", "traced");
    df = ds_dockerfile("oci:/x:latest", &c, cfg, "65532:65532", tmp);
    assert_null(strstr(df, "\nRUN"));
    assert_non_null(strstr(df, "COPY --from=build [\"/x\\\"]\\nRUN evil\""));
    free(df);
    json_decref(cfg);
    ds_pathmap_free(&c.keep);
}

static void test_project_file(void **state) {
    (void)state;
    put("/distill.yaml", "runtime: runc\ntest:\n  - curl -f http://{LOCALHOST}/\n  - \"true\"\nkeep-shell: true\n"
                         "seccomp-verify: false\ncommand: [\"/app\", \"-x\"]\n");
    char *p = ds_xasprintf("%s/distill.yaml", tmp);
    char **argv = NULL;
    int argc = 0;
    ds_err e;
    assert_int_equal(ds_project_file_args(p, &argv, &argc, &e), 0);
    const char *want[] = {"--runtime", "runc", "--test", "curl -f http://{LOCALHOST}/", "--test", "true",
                          "--keep-shell", "--seccomp-verify=false", "--", "/app", "-x"};
    assert_int_equal(argc, 11);
    for (int i = 0; i < argc; i++) assert_string_equal(argv[i], want[i]);
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
    put("/bad.yaml", "runtime: [unclosed\n");
    free(p);
    p = ds_xasprintf("%s/bad.yaml", tmp);
    argv = NULL;
    argc = 0;
    assert_int_equal(ds_project_file_args(p, &argv, &argc, &e), -1);
    assert_non_null(strstr(e.msg, "bad.yaml"));
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
    free(p);
}

static void test_ports(void **state) {
    (void)state;
    json_error_t je;
    json_t *cfg = json_loads("{\"architecture\":\"amd64\",\"config\":{\"ExposedPorts\":{\"8080/tcp\":{},\"53/udp\":{},\"9000\":{}},"
                             "\"Env\":[\"PATH=/bin\",\"LD_LIBRARY_PATH=/opt/lib\"],\"Entrypoint\":[\"/app\"],\"Cmd\":null,"
                             "\"WorkingDir\":\"\",\"User\":\"app\",\"Volumes\":{\"/data\":{}},\"Labels\":{\"a\":\"b\"},"
                             "\"StopSignal\":\"SIGQUIT\"}}", 0, &je);
    ds_image_config c;
    ds_err err = {0};
    assert_int_equal(ds_image_config_parse(cfg, &c, &err), 0);
    assert_int_equal(c.n_tcp_ports, 2);
    assert_int_equal(c.tcp_ports[0] + c.tcp_ports[1], 8080 + 9000);
    assert_int_equal(c.n_exposed_ports, 3);
    assert_string_equal(ds_image_config_env(&c, "LD_LIBRARY_PATH"), "/opt/lib");
    assert_null(ds_image_config_env(&c, "HOME"));
    assert_int_equal(c.n_entrypoint, 1);
    assert_int_equal(c.n_cmd, 0);
    assert_null(c.working_dir);
    assert_string_equal(c.user, "app");
    assert_string_equal(c.architecture, "amd64");
    assert_string_equal(c.volumes[0], "/data");
    assert_string_equal(c.labels[0].value, "b");
    assert_string_equal(c.stop_signal, "SIGQUIT");
    ds_image_config_free(&c);
    json_decref(cfg);
    /* A field of the wrong type is named. */
    cfg = json_loads("{\"config\":{\"Env\":[\"A=1\", 7]}}", 0, &je);
    assert_int_equal(ds_image_config_parse(cfg, &c, &err), -1);
    assert_non_null(strstr(err.msg, "config.Env[1]"));
    json_decref(cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oci_config), cmocka_unit_test(test_expand),     cmocka_unit_test(test_users),
        cmocka_unit_test(test_seccomp),    cmocka_unit_test(test_dockerfile), cmocka_unit_test(test_project_file),
        cmocka_unit_test(test_ports),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
