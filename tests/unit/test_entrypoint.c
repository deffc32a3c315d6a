/* Unit tests for the hand-over detection of entry point scripts (src/build/entrypoint_flatten.c)
 * on synthetic trace logs (version 2), and the baking of the script's files (entrypoint_bake.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "build/entrypoint.h"
#include "util/fsutil.h"

static char *root;

static void put(const char *rel, const char *text, mode_t mode) {
    char *p = ds_xasprintf("%s%s", root, rel);
    char *d = ds_xstrdup(p);
    *strrchr(d, '/') = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(d, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, text, strlen(text), mode, &e), 0);
    free(d);
    free(p);
}

static int setup(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-unit-ep", &root, &e), 0);
    put("/entry.sh", "#!/bin/sh\nset -e\n/docker-entrypoint.d/10.sh\nexec \"$@\"\n", 0755);
    put("/docker-entrypoint.d/10.sh", "#!/bin/sh\nenvsubst '${APP_PORT}' < /t > /etc/app.conf\n", 0755);
    put("/argenv.sh", "#!/bin/sh\nexec app --workers \"${WORKERS}\"\n", 0755);
    put("/usr/bin/app", "\177ELF", 0755);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(root, &e);
    free(root);
    return 0;
}

/* The official style: /entry.sh (epoch 1) runs 10.sh and envsubst, setpriv (4), then app (5). */
static const char handover[] =
    "{\"version\":2,\"main_pid\":2,\"files\":["
    "{\"path\":\"/bin/dash\",\"kind\":\"file\",\"ops\":[\"exec\"],\"ok\":true,\"epochs\":[1,2]},"
    "{\"path\":\"/etc/app.conf\",\"kind\":\"file\",\"ops\":[\"open\",\"create\"],\"ok\":true,\"epochs\":[3,5],\"write_epochs\":[3,3]},"
    "{\"path\":\"/lib/libc.so.6\",\"kind\":\"file\",\"ops\":[\"open\",\"map\"],\"ok\":true,\"epochs\":[1,5]},"
    "{\"path\":\"/proc/self/fd\",\"kind\":\"dir\",\"ops\":[\"open\",\"create\"],\"ok\":true,\"epochs\":[1,1],\"write_epochs\":[1,1]},"
    "{\"path\":\"/run/app\",\"kind\":\"dir\",\"ops\":[\"create\"],\"ok\":true,\"epochs\":[1,5],\"write_epochs\":[1,1]},"
    "{\"path\":\"/run/app/app.pid\",\"kind\":\"file\",\"ops\":[\"create\"],\"ok\":true,\"epochs\":[5,5],\"write_epochs\":[5,5]},"
    "{\"path\":\"/var/log/app.log\",\"kind\":\"file\",\"ops\":[\"create\"],\"ok\":true,\"epochs\":[1,6],\"write_epochs\":[1,6]},"
    "{\"path\":\"/usr/bin/app\",\"kind\":\"file\",\"ops\":[\"exec\"],\"ok\":true,\"epochs\":[5,5]},"
    "{\"path\":\"/usr/bin/envsubst\",\"kind\":\"file\",\"ops\":[\"exec\"],\"ok\":true,\"epochs\":[3,3]},"
    "{\"path\":\"/usr/bin/setpriv\",\"kind\":\"file\",\"ops\":[\"exec\"],\"ok\":true,\"epochs\":[4,4]}],"
    "\"execs\":["
    "{\"path\":\"/entry.sh\",\"argv\":[\"/entry.sh\",\"app\",\"-f\"],\"envp\":[\"PATH=/usr/bin:/bin\",\"HOSTNAME=x\",\"HOME=/root\",\"APP_PORT=81\"],"
    "\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":2,\"ppid\":1,\"epoch\":1,\"ok\":true},"
    "{\"path\":\"/docker-entrypoint.d/10.sh\",\"argv\":[\"/docker-entrypoint.d/10.sh\"],\"envp\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":3,\"ppid\":2,\"epoch\":2,\"ok\":true},"
    "{\"path\":\"/usr/bin/envsubst\",\"argv\":[\"envsubst\"],\"envp\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":4,\"ppid\":3,\"epoch\":3,\"ok\":true},"
    "{\"path\":\"/usr/bin/setpriv\",\"argv\":[\"setpriv\",\"--reuid=33\",\"app\",\"-f\"],\"envp\":[\"PATH=/usr/bin:/bin\",\"HOSTNAME=x\",\"HOME=/root\",\"APP_PORT=81\",\"PWD=/\"],"
    "\"cwd\":\"/srv\",\"uid\":0,\"gid\":0,\"pid\":2,\"ppid\":1,\"epoch\":4,\"ok\":true},"
    "{\"path\":\"/usr/bin/app\",\"argv\":[\"app\",\"-f\"],\"envp\":[\"PATH=/usr/bin:/bin\",\"HOSTNAME=x\",\"HOME=/root\",\"APP_PORT=81\",\"PWD=/\"],"
    "\"cwd\":\"/srv\",\"uid\":33,\"gid\":33,\"pid\":2,\"ppid\":1,\"epoch\":5,\"ok\":true},"
    "{\"path\":\"/usr/bin/helper\",\"argv\":[\"helper\"],\"envp\":[],\"cwd\":\"/\",\"uid\":33,\"gid\":33,\"pid\":9,\"ppid\":2,\"epoch\":6,\"ok\":true}]}";

static char *const cfg_env[] = {"PATH=/usr/bin:/bin", "APP_PORT=81"};
static char *const command[] = {"/entry.sh", "app", "-f"};

static ds_trace *parse(const char *doc) {
    ds_trace *t = NULL;
    ds_err e;
    if (ds_trace_parse(doc, strlen(doc), "synthetic.json", &t, &e) < 0) fail_msg("%s", e.msg);
    return t;
}

static void test_handover_flattens(void **state) {
    (void)state;
    ds_trace *t = parse(handover);
    ds_handover_input in = {.config_env = cfg_env, .n_config_env = 2, .command = command, .n_command = 3};
    ds_handover h;
    ds_handover_analyze(t, root, &in, &h);
    assert_true(h.script);
    assert_true(h.flatten);
    assert_null(h.why);
    assert_string_equal(h.script_path, "/entry.sh");
    assert_string_equal(h.final_path, "/usr/bin/app");
    assert_int_equal(h.epoch, 5);
    assert_int_equal(h.nchain, 3);
    assert_int_equal(h.argc, 2);
    assert_string_equal(h.argv[0], "/usr/bin/app");
    assert_string_equal(h.argv[1], "-f");
    /* HOSTNAME, HOME (the runtime's: not in the config) and PWD left out. */
    assert_int_equal(h.nenv, 2);
    assert_string_equal(h.env[0], "PATH=/usr/bin:/bin");
    assert_string_equal(h.env[1], "APP_PORT=81");
    assert_string_equal(h.cwd, "/srv");
    assert_int_equal(h.uid, 33);
    assert_int_equal(h.gid, 33);
    assert_true(h.dropped);
    /* Written before the hand-over: app.conf, /run/app, the log (emptied: the app writes it again);
     * not /proc, not the app's own pid file. */
    assert_int_equal(h.nbaked, 3);
    assert_string_equal(h.baked[0], "/etc/app.conf");
    assert_false(h.baked_empty[0]);
    assert_string_equal(h.baked[1], "/run/app");
    assert_string_equal(h.baked[2], "/var/log/app.log");
    assert_true(h.baked_empty[2]);
    /* APP_PORT is referenced by 10.sh and set in the config: baked at its build-time value. */
    assert_int_equal(h.nvars, 1);
    assert_string_equal(h.vars[0], "APP_PORT");

    /* The closure's view: without the shell, envsubst and setpriv; with libc, app, the config. */
    ds_trace v;
    ds_handover_view(t, &h, &v);
    bool dash = false, setpriv = false, libc = false, app = false;
    for (size_t i = 0; i < v.nfiles; i++) {
        dash |= !strcmp(v.files[i].path, "/bin/dash");
        setpriv |= !strcmp(v.files[i].path, "/usr/bin/setpriv");
        libc |= !strcmp(v.files[i].path, "/lib/libc.so.6");
        app |= !strcmp(v.files[i].path, "/usr/bin/app");
    }
    assert_false(dash);
    assert_false(setpriv);
    assert_true(libc);
    assert_true(app);
    assert_int_equal(v.nexecs, 2); /* app and the helper it runs */
    assert_string_equal(v.command[0], "/usr/bin/app");
    json_t *j = ds_handover_json(&h, "auto", "flattened", NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "config"), "User")), "33:33");
    assert_int_equal(json_array_size(json_object_get(j, "baked")), 3);
    json_decref(j);
    ds_handover_view_free(&v);
    ds_handover_free(&h);
    ds_trace_free(t);
}

static void test_volume_init_kept(void **state) {
    (void)state;
    ds_trace *t = parse(handover);
    char *const vols[] = {"/run/app"};
    ds_handover_input in = {.volumes = vols, .n_volumes = 1, .command = command, .n_command = 3};
    ds_handover h;
    ds_handover_analyze(t, root, &in, &h);
    assert_true(h.script);
    assert_false(h.flatten);
    assert_non_null(strstr(h.why, "declared volume /run/app"));
    ds_handover_free(&h);
    ds_trace_free(t);
}

/* The script backgrounds the server and waits: the main process's last program is the shell. */
static void test_background_kept(void **state) {
    (void)state;
    const char *doc =
        "{\"version\":2,\"main_pid\":2,\"files\":[],\"execs\":["
        "{\"path\":\"/entry.sh\",\"argv\":[\"/entry.sh\"],\"envp\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":2,\"ppid\":1,\"epoch\":1,\"ok\":true},"
        "{\"path\":\"/bin/mkdir\",\"argv\":[\"mkdir\"],\"envp\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":3,\"ppid\":2,\"epoch\":2,\"ok\":true},"
        "{\"path\":\"/usr/bin/app\",\"argv\":[\"app\"],\"envp\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":4,\"ppid\":2,\"epoch\":3,\"ok\":true}]}";
    ds_trace *t = parse(doc);
    ds_handover_input in = {0};
    ds_handover h;
    ds_handover_analyze(t, root, &in, &h);
    assert_true(h.script);
    assert_false(h.flatten);
    assert_non_null(strstr(h.why, "stays the parent of /usr/bin/app"));
    ds_handover_free(&h);
    ds_trace_free(t);
}

/* exec app --workers "${WORKERS}": the command line holds a run-time variable. */
static void test_runtime_variable_kept(void **state) {
    (void)state;
    const char *doc =
        "{\"version\":2,\"main_pid\":7,\"files\":[],\"execs\":["
        "{\"path\":\"/argenv.sh\",\"argv\":[\"/argenv.sh\"],\"envp\":[\"WORKERS=4\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":7,\"ppid\":1,\"epoch\":1,\"ok\":true},"
        "{\"path\":\"/usr/bin/app\",\"argv\":[\"app\",\"--workers\",\"4\"],\"envp\":[\"WORKERS=4\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":7,\"ppid\":1,\"epoch\":2,\"ok\":true}]}";
    ds_trace *t = parse(doc);
    char *const cmd[] = {"/argenv.sh"};
    ds_handover_input in = {.command = cmd, .n_command = 1};
    ds_handover h;
    ds_handover_analyze(t, root, &in, &h);
    assert_false(h.flatten);
    assert_string_equal(h.var, "WORKERS");
    assert_non_null(strstr(h.why, "$WORKERS"));
    ds_handover_free(&h);
    ds_trace_free(t);
    /* The same as sh -c 'exec app --workers "$WORKERS"'. */
    const char *doc2 =
        "{\"version\":2,\"main_pid\":7,\"files\":[],\"execs\":["
        "{\"path\":\"/bin/sh\",\"argv\":[\"/bin/sh\",\"-c\",\"exec app --workers \\\"$WORKERS\\\"\"],\"envp\":[\"WORKERS=4\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":7,\"ppid\":1,\"epoch\":1,\"ok\":true},"
        "{\"path\":\"/usr/bin/app\",\"argv\":[\"app\",\"--workers\",\"4\"],\"envp\":[\"WORKERS=4\"],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":7,\"ppid\":1,\"epoch\":2,\"ok\":true}]}";
    t = parse(doc2);
    char *const cmd2[] = {"/bin/sh", "-c", "exec app --workers \"$WORKERS\""};
    ds_handover_input in2 = {.command = cmd2, .n_command = 3};
    ds_handover_analyze(t, root, &in2, &h);
    assert_true(h.script);
    assert_false(h.flatten);
    assert_string_equal(h.var, "WORKERS");
    ds_handover_free(&h);
    ds_trace_free(t);
}

/* A plain program, a version 1 log: nothing to flatten. */
static void test_not_a_script(void **state) {
    (void)state;
    const char *doc = "{\"version\":2,\"main_pid\":2,\"files\":[],\"execs\":["
                      "{\"path\":\"/usr/bin/app\",\"argv\":[\"app\"],\"envp\":[],\"cwd\":\"/\",\"uid\":0,\"gid\":0,\"pid\":2,\"ppid\":1,\"epoch\":1,\"ok\":true}]}";
    ds_trace *t = parse(doc);
    ds_handover_input in = {0};
    ds_handover h;
    ds_handover_analyze(t, root, &in, &h);
    assert_false(h.script);
    assert_false(h.flatten);
    ds_handover_free(&h);
    ds_trace_free(t);
    t = parse("{\"version\":1,\"files\":[],\"execs\":[{\"path\":\"/entry.sh\",\"argv\":[],\"ok\":true}]}");
    ds_handover_analyze(t, root, &in, &h);
    assert_false(h.script);
    ds_handover_free(&h);
    ds_trace_free(t);
    assert_int_equal(ds_entrypoint_mode_parse("flatten"), DS_EP_FLATTEN);
    assert_int_equal(ds_entrypoint_mode_parse(NULL), DS_EP_AUTO);
    assert_int_equal(ds_entrypoint_mode_parse("maybe"), -1);
}

/* Baking: content, mode and a whiteout; a symlinked directory in the result is not written through. */
static void test_bake(void **state) {
    (void)state;
    ds_err e;
    char *up = ds_xasprintf("%s/upper", root), *tree = ds_xasprintf("%s/tree", root);
    char *p = ds_xasprintf("%s/etc", up);
    assert_int_equal(ds_mkdirs(p, 0755, &e), 0);
    free(p);
    p = ds_xasprintf("%s/etc/app.conf", up);
    assert_int_equal(ds_write_file_atomic(p, "port 81\n", 8, 0640, &e), 0);
    free(p);
    p = ds_xasprintf("%s/etc/old", up);
    if (mknod(p, S_IFCHR | 0000, makedev(0, 0)) < 0) { free(p); skip(); }
    free(p);
    p = ds_xasprintf("%s/etc", tree);
    assert_int_equal(ds_mkdirs(p, 0755, &e), 0);
    free(p);
    p = ds_xasprintf("%s/etc/old", tree);
    assert_int_equal(ds_write_file_atomic(p, "x", 1, 0644, &e), 0);
    free(p);
    p = ds_xasprintf("%s/run", up);
    assert_int_equal(ds_mkdirs(p, 0755, &e), 0);
    free(p);
    char name[64];
    snprintf(name, sizeof name, "distill-ep-unit-%d", (int)getpid());
    p = ds_xasprintf("%s/run/%s", up, name);
    assert_int_equal(ds_write_file_atomic(p, "y", 1, 0644, &e), 0);
    free(p);
    p = ds_xasprintf("%s/run", tree);
    assert_int_equal(symlink("/tmp", p), 0); /* hostile: must not write to the host's /tmp */
    free(p);
    ds_handover h = {0};
    char *baked[] = {"/etc/app.conf", "/etc/old", NULL};
    bool empty[] = {false, false};
    h.baked = baked;
    h.nbaked = 2;
    h.baked_empty = empty;
    assert_int_equal(ds_handover_bake(&h, up, tree, &e), 0);
    p = ds_xasprintf("%s/etc/app.conf", tree);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(ds_read_file(p, &data, &len, 100, &e), 0);
    assert_string_equal(data, "port 81\n");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    free(data);
    free(p);
    p = ds_xasprintf("%s/etc/old", tree);
    assert_int_equal(access(p, F_OK), -1);
    free(p);
    char *inrun = ds_xasprintf("/run/%s", name), *host = ds_xasprintf("/tmp/%s", name);
    char *baked2[] = {inrun, NULL};
    h.baked = baked2;
    h.nbaked = 1;
    assert_int_equal(ds_handover_bake(&h, up, tree, &e), -1);
    assert_int_equal(access(host, F_OK), -1);
    free(inrun);
    free(host);
    free(up);
    free(tree);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handover_flattens),  cmocka_unit_test(test_volume_init_kept),
        cmocka_unit_test(test_background_kept),    cmocka_unit_test(test_runtime_variable_kept),
        cmocka_unit_test(test_not_a_script),       cmocka_unit_test(test_bake),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
