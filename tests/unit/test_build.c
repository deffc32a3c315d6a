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
#include "build/build_int.h"
#include "util/gz_cache.h"
#include "fs/layer_writer.h"
#include "util/digest.h"
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

/* report.json's before/after numbers: non-directories, directories (not the root), bytes of
 * regular files with hard links counted once, however many names and trees share them. */
static void test_tree_stats(void **state) {
    (void)state;
    put("/stats/a", "12345");
    put("/stats/sub/c", "abc");
    put("/stats/sub/deeper/d", "");
    char *a = ds_xasprintf("%s/stats/a", tmp), *b = ds_xasprintf("%s/stats/sub/b", tmp);
    char *l = ds_xasprintf("%s/stats/l", tmp), *out = ds_xasprintf("%s/stats-outside-link", tmp);
    char *root = ds_xasprintf("%s/stats", tmp);
    assert_int_equal(link(a, b), 0);
    assert_int_equal(link(a, out), 0); /* a third name outside the tree: still one inode */
    assert_int_equal(symlink("a", l), 0);
    ds_tree_stats st;
    ds_err e;
    assert_int_equal(ds_tree_stats_of(root, &st, &e), 0);
    assert_int_equal(st.files, 5); /* a, b, l, c, d */
    assert_int_equal(st.dirs, 2);
    assert_int_equal(st.bytes, 5 + 3);
    /* from the walk a scan took: the same numbers */
    ds_tree t;
    assert_int_equal(ds_tree_load(root, &t, &e), 0);
    ds_tree_stats fw;
    ds_tree_stats_from(&t, &fw);
    assert_int_equal(fw.files, st.files);
    assert_int_equal(fw.dirs, st.dirs);
    assert_int_equal(fw.bytes, st.bytes);
    ds_tree_free(&t);
    char *gone = ds_xasprintf("%s/stats-not-there", tmp);
    assert_int_equal(ds_tree_stats_of(gone, &st, &e), -1);
    unlink(out);
    free(a); free(b); free(l); free(out); free(root); free(gone);
}

static void test_oci_config(void **state) {
    (void)state;
    char *args[] = {"/usr/sbin/nginx", "-g", "daemon off;"};
    char *env[] = {"PATH=/usr/bin"};
    uint32_t groups[] = {109, 4000000000u};
    ds_run_spec s = {.kind = DS_RT_RUNC, .args = args, .n_args = 3, .env = env, .n_env = 1, .uid = 65532,
                     .gid = 65532, .sensor_path = "/x/distill-sensor", .log_dir = "/x/log", .cwd = "/srv",
                     .additional_gids = groups, .n_additional_gids = 2};
    json_t *c = ds_oci_config(&s, "/r/merged", "id1");
    /* As docker and podman run it: supplementary groups, umask 022, the host's name on its network. */
    json_t *u = json_object_get(json_object_get(c, "process"), "user");
    assert_int_equal(json_integer_value(json_object_get(u, "umask")), 022);
    assert_int_equal(json_array_size(json_object_get(u, "additionalGids")), 2);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(u, "additionalGids"), 1)), 4000000000LL);
    char hn[256] = "";
    gethostname(hn, sizeof hn);
    assert_string_equal(json_string_value(json_object_get(c, "hostname")), hn);
    /* HOME ("/" without a passwd home) and HOSTNAME join the env, as the engines add them. */
    char *envs = json_dumps(json_object_get(json_object_get(c, "process"), "env"), 0);
    char *want = ds_xasprintf("[\"PATH=/usr/bin\", \"HOME=/\", \"HOSTNAME=%s\"]", hn);
    assert_string_equal(envs, want);
    free(envs);
    free(want);
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
    char *env2[] = {"PATH=/usr/bin", "HOME=/mine"};
    s.env = env2;
    s.n_env = 2;
    s.home = "/var/www";
    c = ds_oci_config(&s, "/r", "id2");
    char *text = json_dumps(c, 0);
    assert_non_null(strstr(text, "\"HOME=/mine\""));
    assert_null(strstr(text, "/var/www"));
    assert_non_null(strstr(text, "\"hostname\": \"distill\""));
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

/* Supplementary groups and HOME as runc (and so docker and podman) give them. */
static void test_exec_user(void **state) {
    (void)state;
    put("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\npostgres:x:101:104::/var/lib/postgresql:/bin/bash\n"
                       "short:x:102:102\n");
    put("/etc/group", "root:x:0:\nssl-cert:x:109:postgres\npostgres:x:104:\nother:x:7:alice,postgres,bob\n"
                      "dup:x:109:postgres\nbad:x:notanumber:postgres\nnear:x:8:postgresql,xpostgres\n");
    ds_exec_user u;
    ds_err e;
    assert_int_equal(ds_exec_user_resolve(tmp, "postgres", &u, &e), 0);
    assert_int_equal(u.uid, 101);
    assert_int_equal(u.gid, 104);
    assert_string_equal(u.home, "/var/lib/postgresql");
    assert_int_equal(u.n_sgids, 2); /* ssl-cert and other; the duplicate gid once, no near names */
    assert_int_equal(u.sgids[0], 109);
    assert_int_equal(u.sgids[1], 7);
    ds_exec_user_free(&u);
    /* By uid: the same name, so the same groups. */
    assert_int_equal(ds_exec_user_resolve(tmp, "101", &u, &e), 0);
    assert_int_equal(u.n_sgids, 2);
    ds_exec_user_free(&u);
    /* An explicit group: that group alone. */
    assert_int_equal(ds_exec_user_resolve(tmp, "101:104", &u, &e), 0);
    assert_int_equal(u.n_sgids, 0);
    assert_int_equal(u.gid, 104);
    ds_exec_user_free(&u);
    /* No passwd entry (or a short one): HOME is /. */
    assert_int_equal(ds_exec_user_resolve(tmp, "5000", &u, &e), 0);
    assert_string_equal(u.home, "/");
    assert_int_equal(u.n_sgids, 0);
    ds_exec_user_free(&u);
    assert_int_equal(ds_exec_user_resolve(tmp, "short", &u, &e), 0);
    assert_string_equal(u.home, "/");
    ds_exec_user_free(&u);
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
    json_error_t je;
    json_t *cfg = json_loads("{\"config\":{\"Env\":[\"A=b c\",\"BAD KEY=x\",\"NL=a\\nRUN evil\"],"
                             "\"Entrypoint\":[\"/usr/bin/app\"],\"Cmd\":[\"-v\"],\"WorkingDir\":\"/srv\","
                             "\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{\"/data\":{}},\"StopSignal\":\"SIGQUIT\","
                             "\"Labels\":{\"a\\\"]\\nRUN x\":\"v\"}}}", 0, &je);
    assert_non_null(cfg);
    ds_image_config ic;
    ds_err e;
    assert_int_equal(ds_image_config_parse(cfg, &ic, &e), 0);
    char *df = ds_dockerfile("oci:/x:latest", "sha256:aa", "sha256:bb", &ic, "65532:65532");
    /* The layer is the build context: no stage from the source, no COPY that follows symlinks. */
    assert_null(strstr(df, "AS build"));
    assert_null(strstr(df, "\nCOPY"));
    assert_non_null(strstr(df, "FROM scratch\nADD " DS_CONTEXT_LAYER " /\n"));
    assert_non_null(strstr(df, "diff ID sha256:bb"));
    assert_non_null(strstr(df, "ENV A=\"b c\"\n"));
    assert_null(strstr(df, "BAD KEY"));
    assert_null(strstr(df, "ENV NL"));
    assert_non_null(strstr(df, "WORKDIR /srv\n"));
    assert_non_null(strstr(df, "VOLUME [\"/data\"]\n"));
    assert_non_null(strstr(df, "STOPSIGNAL SIGQUIT\n"));
    assert_non_null(strstr(df, "USER 65532:65532\n"));
    assert_non_null(strstr(df, "ENTRYPOINT [\"/usr/bin/app\"]\n"));
    assert_non_null(strstr(df, "CMD [\"-v\"]\n"));
    assert_non_null(strstr(df, "EXPOSE 80/tcp\n"));
    /* No user value can start a line of its own. */
    assert_null(strstr(df, "\nRUN"));
    free(df);
    /* A hostile source reference stays inside the comment. */
    df = ds_dockerfile("oci:/x\nRUN evil", "sha256:aa", "sha256:bb", &ic, "65532:65532");
    assert_null(strstr(df, "\nRUN"));
    free(df);
    ds_image_config_free(&ic);
    json_decref(cfg);
    /* Entrypoint [] is written (it clears a base image's); an absent Cmd is not. */
    cfg = json_loads("{\"config\":{\"Entrypoint\":[]}}", 0, &je);
    assert_int_equal(ds_image_config_parse(cfg, &ic, &e), 0);
    df = ds_dockerfile("oci:/x:latest", "sha256:aa", "sha256:bb", &ic, "");
    assert_non_null(strstr(df, "ENTRYPOINT []\n"));
    assert_null(strstr(df, "CMD"));
    assert_null(strstr(df, "USER"));
    free(df);
    ds_image_config_free(&ic);
    json_decref(cfg);
}

/* The build context layer: the blob decompressed, checked against the diff ID. */
static void test_context_layer(void **state) {
    (void)state;
    put("/tree/etc/hostname", "box\n");
    char *tree = ds_xasprintf("%s/tree", tmp), *work = ds_xasprintf("%s/work", tmp);
    char *out = ds_xasprintf("%s/out", tmp);
    ds_err e;
    assert_int_equal(ds_mkdirs(work, 0755, &e), 0);
    assert_int_equal(ds_mkdirs(out, 0755, &e), 0);
    ds_layer_out lo = {0};
    assert_int_equal(ds_layer_write_tree(tree, DS_COMPRESS_GZIP, work, NULL, NULL, &lo, &e), 0);
    assert_int_equal(ds_build_context_layer(lo.blob_path, NULL, lo.diff_id, out, &e), 0);
    char *tar = ds_xasprintf("%s/" DS_CONTEXT_LAYER, out);
    char got[DS_DIGEST_LEN + 1];
    assert_int_equal(ds_sha256_file(tar, got, NULL, &e), 0);
    assert_string_equal(got, lo.diff_id);
    unlink(tar);
    /* The writer's kept tar is moved, not copied: gone from the work dir, the same bytes. */
    ds_layer_out kept = {0};
    assert_int_equal(ds_layer_write_tree_with(tree, DS_COMPRESS_GZIP, work, &(ds_layer_write_opts){.keep_tar = true}, &kept, &e), 0);
    assert_int_equal(ds_build_context_layer(kept.blob_path, kept.tar_path, kept.diff_id, out, &e), 0);
    assert_int_equal(access(kept.tar_path, F_OK), -1);
    assert_int_equal(ds_sha256_file(tar, got, NULL, &e), 0);
    assert_string_equal(got, lo.diff_id);
    unlink(tar);
    unlink(kept.blob_path);
    ds_layer_out_free(&kept);
    /* A wrong diff ID: refused, nothing left (no temp file either). */
    assert_int_equal(ds_build_context_layer(lo.blob_path, NULL, "sha256:00", out, &e), -1);
    assert_non_null(strstr(e.msg, "diff ID"));
    assert_int_equal(ds_dir_empty(out), 1);
    ds_layer_out_free(&lo);
    free(tar); free(tree); free(work); free(out);
}

/* The candidate written on the job's thread is the one ds_candidate_make writes (same
 * digests); a cancelled job stops without leaving a file; a cancel set before the write
 * stops the layer writer at its first block, leaving nothing, and says so. */
static void test_candidate_job(void **state) {
    (void)state;
    char big[70000];
    for (size_t i = 0; i < sizeof big - 1; i++) big[i] = (char)('a' + (i * 7919) % 26);
    big[sizeof big - 1] = 0;
    put("/jtree/etc/hostname", "box\n");
    put("/jtree/usr/share/big", big);
    char *tree = ds_xasprintf("%s/jtree", tmp), *work = ds_xasprintf("%s/jwork", tmp);
    ds_err e;
    assert_int_equal(ds_mkdirs(work, 0755, &e), 0);
    json_error_t je;
    json_t *cfg = json_loads("{\"config\":{\"Cmd\":[\"/app\"]},\"created\":\"2024-01-01T00:00:00Z\"}", 0, &je);
    ds_image img = {.config = cfg, .arch = "amd64", .os = "linux"};
    snprintf(img.manifest_digest, sizeof img.manifest_digest, "sha256:%064d", 0);
    ds_candidate direct, bg;
    assert_int_equal(ds_candidate_make(&img, cfg, tree, "65532:65532", NULL, work, NULL, &direct, &e), 0);
    ds_candidate_job *j = ds_candidate_job_start(&img, cfg, tree, "65532:65532", NULL, work, true, NULL);
    assert_int_equal(ds_candidate_job_finish(j, &bg, &e), 0);
    assert_string_equal(bg.layer_digest, direct.layer_digest);
    assert_string_equal(bg.manifest_digest, direct.manifest_digest);
    assert_true(bg.tar_path[0] && access(bg.tar_path, F_OK) == 0);
    ds_candidate_clear(&direct);
    ds_candidate_clear(&bg);
    assert_int_equal(ds_dir_empty(work), 1);
    /* Cancelled at once, and cancelled twice: freed with nothing left. */
    j = ds_candidate_job_start(&img, cfg, tree, "0:0", "zstd", work, false, NULL);
    ds_candidate_job_cancel(j);
    ds_candidate_job_cancel(j);
    ds_candidate_job_free(j);
    ds_candidate_job_free(NULL);
    ds_candidate_job_cancel(NULL);
    assert_int_equal(ds_dir_empty(work), 1);
    /* The layer writer itself, cancelled before it starts: fails, says why, leaves nothing. */
    ds_compress kinds[] = {DS_COMPRESS_GZIP, DS_COMPRESS_ZSTD, DS_COMPRESS_NONE};
    for (size_t k = 0; k < 3; k++) {
        atomic_bool cancel = true, released = false;
        ds_layer_out lo;
        ds_layer_write_opts o = {.keep_tar = true, .cancel = &cancel, .released = &released};
        assert_int_equal(ds_layer_write_tree_with(tree, kinds[k], work, &o, &lo, &e), -1);
        assert_non_null(strstr(e.msg, "cancelled"));
        assert_true(atomic_load(&released));
        assert_int_equal(ds_dir_empty(work), 1);
    }
    json_decref(cfg);
    free(tree); free(work);
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

/* The program the entry point runs (found in PATH inside the root, or a script's #!
 * interpreter, also through env) has its pieces compressed ahead, as the layer writer cuts
 * them; a symlink that points out of the root reaches nothing outside it. */
static void test_precompress(void **state) {
    (void)state;
    ds_err e;
    char *root = NULL;
    assert_int_equal(ds_mkdtemp("distill-unit-precompress", &root, &e), 0);
    char *bin = ds_xasprintf("%s/usr/bin", root), *prog = ds_xasprintf("%s/usr/bin/prog", root);
    assert_int_equal(ds_mkdirs(bin, 0755, &e), 0);
    char *self = NULL;
    size_t n = 0;
    assert_int_equal(ds_read_file("/proc/self/exe", &self, &n, 0, &e), 0); /* an ELF, its libraries not in root */
    assert_true(n >= DS_GZ_FILE_ALIGN);
    assert_int_equal(ds_write_file_atomic(prog, self, n, 0755, &e), 0);
    char *script = ds_xasprintf("%s/usr/bin/run", root), *env = ds_xasprintf("%s/usr/bin/env", root);
    const char *text = "#!/usr/bin/env prog\n";
    assert_int_equal(ds_write_file_atomic(script, text, strlen(text), 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(env, "#!/bin/true\n", 12, 0755, &e), 0);
    char *out = ds_xasprintf("%s/usr/bin/out", root);
    assert_int_equal(symlink("../../../../../../../../proc/self/exe", out), 0);
    size_t want = (n + DS_GZ_MEMBER - 1) / DS_GZ_MEMBER;
    const char *cmds[] = {"prog", "/usr/bin/run", "out"};
    size_t expect[] = {want, want, 0};
    for (size_t i = 0; i < 3; i++) {
        ds_gz_cache *c = ds_gz_cache_new(DS_GZIP_LAYER_LEVEL);
        ds_precompress_job *j = ds_precompress_start(root, cmds[i], "/usr/bin", NULL, c);
        ds_precompress_wait(j);
        ds_precompress_free(j);
        size_t pieces, bytes;
        ds_gz_cache_stats(c, &pieces, &bytes);
        assert_int_equal(pieces, expect[i]);
        assert_int_equal(bytes, expect[i] ? n : 0);
        if (expect[i]) {
            size_t mlen;
            assert_non_null(ds_gz_cache_find(c, self, n < DS_GZ_MEMBER ? n : DS_GZ_MEMBER, &mlen));
        }
        ds_gz_cache_free(c);
    }
    /* stopped before it starts: nothing made, nothing left running */
    ds_gz_cache *c = ds_gz_cache_new(DS_GZIP_LAYER_LEVEL);
    ds_precompress_job *j = ds_precompress_start(root, "prog", "/usr/bin", NULL, c);
    ds_precompress_stop(j);
    ds_precompress_free(j);
    ds_gz_cache_free(c);
    ds_rmtree(root, &e);
    free(root); free(bin); free(prog); free(self); free(script); free(env); free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oci_config), cmocka_unit_test(test_expand),     cmocka_unit_test(test_users), cmocka_unit_test(test_exec_user),
        cmocka_unit_test(test_seccomp),    cmocka_unit_test(test_dockerfile), cmocka_unit_test(test_context_layer), cmocka_unit_test(test_candidate_job),
        cmocka_unit_test(test_project_file),
        cmocka_unit_test(test_ports),        cmocka_unit_test(test_tree_stats),
        cmocka_unit_test(test_precompress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
