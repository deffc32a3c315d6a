/* Unit tests for src/minify: the closure rules on a small hand-made tree and trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "build/build.h"
#include "fs/layer_writer.h"
#include "minify/minify.h"
#include "util/fsutil.h"

static char *root, *out;

static void put(const char *rel, const char *data, mode_t mode) {
    char *p = ds_xasprintf("%s%s", root, rel);
    ds_err e;
    char *dir = ds_xstrdup(p);
    *strrchr(dir, '/') = 0;
    assert_int_equal(ds_mkdirs(dir, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, data, strlen(data), mode, &e), 0);
    free(dir);
    free(p);
}
static void lnk(const char *target, const char *rel) {
    char *p = ds_xasprintf("%s%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
    free(p);
}

static int setup(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-test-minify", &root, &e), 0);
    put("/usr/bin/app", "#!app\n", 0755);
    put("/usr/bin/dash", "shell\n", 0755);
    put("/usr/bin/unused", "x\n", 0755);
    put("/usr/lib/libfoo.so.1.2", "lib\n", 0644);
    put("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n", 0644);
    put("/etc/group", "root:x:0:\n", 0644);
    put("/usr/lib/os-release", "ID=debian\n", 0644);
    put("/srv/app/__pycache__/mod.cpython-311.pyc", "pyc", 0644);
    put("/srv/app/mod.py", "print(1)\n", 0644);
    put("/srv/app/other.py", "print(2)\n", 0644);
    put("/opt/keep/a/b.txt", "kept by glob\n", 0644);
    put("/var/lib/app/state", "s\n", 0644);
    put("/srv/data/.placeholder", "", 0644);
    put("/home/app/.profile", "x", 0644);
    put("/usr/share/foo/data.txt", "foo data\n", 0644);
    put("/var/lib/dpkg/info/foo:amd64.list", "/.\n/usr\n/usr/share\n/usr/share/foo\n/usr/share/foo/data.txt\n/lib/libfoo.so.1\n", 0644);
    char *hl1 = ds_xasprintf("%s/usr/bin/app", root), *hl2 = ds_xasprintf("%s/usr/bin/app-alias", root);
    assert_int_equal(link(hl1, hl2), 0);
    free(hl1); free(hl2);
    lnk("usr/bin", "/bin");
    lnk("usr/lib", "/lib");
    lnk("dash", "/usr/bin/sh");
    lnk("libfoo.so.1.2", "/usr/lib/libfoo.so.1");
    lnk("../usr/lib/os-release", "/etc/os-release");
    char *t = ds_xasprintf("%s/tmp", root);
    mkdir(t, 0755);
    free(t);
    out = ds_xasprintf("%s-out", root);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(root, &e);
    ds_rmtree(out, &e);
    free(root);
    free(out);
    return 0;
}

static ds_trace *parse_trace(const char *text) {
    ds_trace *t = NULL;
    ds_err e = {0};
    if (ds_trace_parse(text, strlen(text), "test trace", &t, &e) < 0) fail_msg("%s", e.msg);
    return t;
}

static ds_trace *trace(void) {
    return parse_trace(
        "{\"version\":1,\"files\":["
        "{\"path\":\"/bin/app\",\"kind\":\"file\",\"ops\":[\"exec\"],\"ok\":true},"
        "{\"path\":\"/lib/libfoo.so.1\",\"kind\":\"file\",\"ops\":[\"open\",\"map\"],\"ok\":true},"
        "{\"path\":\"/bin/sh\",\"kind\":\"file\",\"ops\":[\"stat\"],\"ok\":true},"
        "{\"path\":\"/proc/self/maps\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"/etc/missing.conf\",\"kind\":\"missing\",\"ops\":[\"open\"],\"ok\":false},"
        "{\"path\":\"/srv/app/__pycache__/mod.cpython-311.pyc\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"/var/lib/app/state\",\"kind\":\"file\",\"ops\":[\"open\",\"create\"],\"ok\":true},"
        "{\"path\":\"/srv/data/new.db\",\"kind\":\"file\",\"ops\":[\"open\",\"create\"],\"ok\":true}"
        "],\"execs\":[{\"path\":\"/bin/app\",\"argv\":[\"app\"],\"ok\":true}],\"syscalls\":[\"read\"]}");
}

static void test_closure_rules(void **state) {
    (void)state;
    ds_trace *t = trace();
    char *cmd[] = {"app"};
    char *globs[] = {"/opt/keep"};
    ds_minify_opts o = {.command = cmd, .n_command = 1, .keep_globs = globs, .n_keep_globs = 1,
                        .path_env = "/bin", .workdir = "/home/app"};
    ds_closure *c = NULL;
    ds_err e = {0};
    assert_int_equal(ds_closure_compute(root, t, &o, &c, &e), 0);
    const char *want[] = {"/", "/bin", "/usr", "/usr/bin", "/usr/bin/app", "/lib", "/usr/lib/libfoo.so.1",
                          "/usr/lib/libfoo.so.1.2", "/etc/passwd", "/etc/group", "/etc/os-release",
                          "/usr/lib/os-release", "/srv/app/mod.py", "/srv/app/__pycache__/mod.cpython-311.pyc",
                          "/opt/keep/a/b.txt", "/tmp", "/var/lib/app/state", "/srv/data", "/home/app",
                          /* data is never partially kept: the directory the app wrote in, whole */
                          "/srv/data/.placeholder"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!ds_pathmap_get(&c->keep, want[i])) fail_msg("expected %s to be kept", want[i]);
    }
    const char *not[] = {"/usr/bin/sh", "/usr/bin/dash", "/usr/bin/unused", "/proc/self/maps", "/proc",
                         "/etc/missing.conf", "/srv/app/other.py", "/usr/bin/app-alias",
                         "/srv/data/new.db", "/home/app/.profile"};
    for (size_t i = 0; i < sizeof not / sizeof *not; i++)
        if (ds_pathmap_get(&c->keep, not[i])) fail_msg("expected %s to be dropped", not[i]);
    assert_int_equal(c->n_dropped_tools, 2); /* /bin/sh's link and dash */
    assert_int_equal(c->n_written, 2);
    for (size_t i = 1; i < c->keep.n; i++) assert_true(strcmp(c->keep.v[i - 1].path, c->keep.v[i].path) < 0);

    /* --keep-shell keeps them. */
    ds_closure *c2 = NULL;
    o.keep_shell = true;
    assert_int_equal(ds_closure_compute(root, t, &o, &c2, &e), 0);
    assert_non_null(ds_pathmap_get(&c2->keep, "/usr/bin/dash"));
    ds_closure_free(c2);

    /* Written out: passwd gets nonroot, /tmp 1777, written paths chowned, metadata kept. */
    ds_user_setup u = {.add_nonroot = true, .chown_written = true, .chown_uid = 65532, .chown_gid = 65532};
    assert_int_equal(ds_closure_write_tree(root, c, &u, out, &e), 0);
    char *p = ds_xasprintf("%s/etc/passwd", out), *data = NULL;
    size_t len;
    assert_int_equal(ds_read_file(p, &data, &len, 0, &e), 0);
    assert_non_null(strstr(data, "www-data:x:33"));
    assert_non_null(strstr(data, "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"));
    free(data); free(p);
    struct stat st;
    p = ds_xasprintf("%s/tmp", out);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 01777);
    free(p);
    p = ds_xasprintf("%s/usr/bin/app", out);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    free(p);
    p = ds_xasprintf("%s/bin", out);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    free(p);
    if (getuid() == 0) {
        p = ds_xasprintf("%s/var/lib/app", out);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_uid, 65532);
        free(p);
        p = ds_xasprintf("%s/home/nonroot", out);
        assert_int_equal(lstat(p, &st), 0);
        assert_int_equal(st.st_uid, 65532);
        free(p);
    }
    ds_closure_free(c);
    ds_trace_free(t);
}

static ino_t ino_of(const char *dir, const char *rel, uid_t *uid) {
    char *p = ds_xasprintf("%s%s", dir, rel);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    free(p);
    if (uid) *uid = st.st_uid;
    return st.st_ino;
}

static void layer_of(const char *tree, char *diff_id) {
    ds_layer_out lo;
    ds_err e = {0};
    if (ds_layer_write_tree(tree, DS_COMPRESS_NONE, "/tmp", NULL, NULL, &lo, &e) < 0) fail_msg("%s", e.msg);
    strcpy(diff_id, lo.diff_id);
    unlink(lo.blob_path);
    ds_layer_out_free(&lo);
}

/* The closure of the fixture's app run from /home/app. */
static ds_closure *app_closure(const ds_trace *t) {
    char *cmd[] = {"app"};
    ds_minify_opts o = {.command = cmd, .n_command = 1, .path_env = "/bin", .workdir = "/home/app"};
    ds_closure *c = NULL;
    ds_err e = {0};
    if (ds_closure_compute(root, t, &o, &c, &e) != 0) fail_msg("%s", e.msg);
    return c;
}

/* link_from: kept files and symlinks are the source's own inodes, not copies; what the run user
 * setup changes (passwd, the paths the app wrote) and a file with xattrs get inodes of their
 * own, the source stays as it was, and the layer of the tree is the same as from copies. */
static void test_write_tree_links(void **state) {
    (void)state;
    ds_trace *t = trace();
    ds_closure *c = app_closure(t);
    ds_err e = {0};
    char *xf = ds_xasprintf("%s/usr/lib/libfoo.so.1.2", root);
    assert_int_equal(lsetxattr(xf, "user.distill", "1", 1, 0), 0);
    char *copied = ds_xasprintf("%s-copied", root), *linked = ds_xasprintf("%s-linked", root);
    ds_user_setup u = {.add_nonroot = true, .chown_written = true, .chown_uid = 65532, .chown_gid = 65532};
    assert_int_equal(ds_closure_write_tree(root, c, &u, copied, &e), 0);
    const char *from[] = {root, NULL};
    u.link_from = from;
    assert_int_equal(ds_closure_write_tree(root, c, &u, linked, &e), 0);

    assert_int_equal(ino_of(linked, "/usr/bin/app", NULL), ino_of(root, "/usr/bin/app", NULL));
    assert_int_not_equal(ino_of(copied, "/usr/bin/app", NULL), ino_of(root, "/usr/bin/app", NULL));
    assert_int_equal(ino_of(linked, "/usr/lib/libfoo.so.1", NULL), ino_of(root, "/usr/lib/libfoo.so.1", NULL));
    assert_int_equal(ino_of(linked, "/bin", NULL), ino_of(root, "/bin", NULL));
    /* xattrs: copied, never a link */
    assert_int_not_equal(ino_of(linked, "/usr/lib/libfoo.so.1.2", NULL), ino_of(root, "/usr/lib/libfoo.so.1.2", NULL));
    char *lx = ds_xasprintf("%s/usr/lib/libfoo.so.1.2", linked), v[8] = {0};
    assert_int_equal(lgetxattr(lx, "user.distill", v, sizeof v), 1);
    free(lx);
    /* written by the app: its own inode, chowned there and not in the source */
    uid_t su, lu;
    assert_int_not_equal(ino_of(linked, "/var/lib/app/state", &lu), ino_of(root, "/var/lib/app/state", &su));
    if (getuid() == 0) { assert_int_equal(lu, 65532); assert_int_equal(su, 0); }
    /* passwd: rewritten in the result, the source's unchanged */
    assert_int_not_equal(ino_of(linked, "/etc/passwd", NULL), ino_of(root, "/etc/passwd", NULL));
    char *p = ds_xasprintf("%s/etc/passwd", root), *data = NULL;
    size_t len;
    assert_int_equal(ds_read_file(p, &data, &len, 0, &e), 0);
    assert_null(strstr(data, "nonroot"));
    free(data); free(p);
    char a[DS_DIGEST_LEN + 1], b[DS_DIGEST_LEN + 1];
    layer_of(copied, a);
    layer_of(linked, b);
    assert_string_equal(a, b);

    lremovexattr(xf, "user.distill");
    free(xf);
    ds_rmtree(copied, &e);
    ds_rmtree(linked, &e);
    free(copied); free(linked);
    ds_closure_free(c);
    ds_trace_free(t);
}

/* A nonroot tree retargeted to another user is the tree written for that user afresh (same
 * layer): passwd and group back to the source's, no /home/nonroot, the app's paths owned by
 * the new user, or by the source's owner again for root; and the other way, nonroot added. */
static void test_retarget_tree(void **state) {
    (void)state;
    ds_trace *t = trace();
    ds_closure *c = app_closure(t);
    ds_err e = {0};
    assert_true(c->n_written > 0);
    const char *from[] = {root, NULL};
    ds_user_setup nonroot = {.add_nonroot = true, .chown_written = true, .chown_uid = 65532, .chown_gid = 65532,
                             .link_from = from};
    ds_user_setup wwwdata = {.chown_written = true, .chown_uid = 33, .chown_gid = 33, .link_from = from};
    ds_user_setup rootu = {.link_from = from};
    const ds_user_setup *targets[] = {&wwwdata, &rootu};
    for (size_t i = 0; i < 2; i++) {
        char *moved = ds_xasprintf("%s-moved", root), *fresh = ds_xasprintf("%s-fresh", root);
        assert_int_equal(ds_closure_write_tree(root, c, &nonroot, moved, &e), 0);
        char *home = ds_xasprintf("%s/home/nonroot", moved);
        struct stat st;
        assert_int_equal(lstat(home, &st), 0);
        assert_int_equal(ds_closure_retarget_tree(root, c, &nonroot, targets[i], moved, &e), 0);
        assert_int_equal(lstat(home, &st), -1);
        free(home);
        char *p = ds_xasprintf("%s/etc/passwd", moved), *data = NULL;
        size_t len;
        assert_int_equal(ds_read_file(p, &data, &len, 0, &e), 0);
        assert_null(strstr(data, "nonroot"));
        free(data); free(p);
        assert_int_equal(ds_closure_write_tree(root, c, targets[i], fresh, &e), 0);
        char a[DS_DIGEST_LEN + 1], b[DS_DIGEST_LEN + 1];
        layer_of(moved, a);
        layer_of(fresh, b);
        assert_string_equal(a, b);
        if (getuid() == 0) {
            uid_t u;
            ino_of(moved, "/var/lib/app/state", &u);
            assert_int_equal(u, i == 0 ? 33 : 0);
        }
        ds_rmtree(moved, &e);
        ds_rmtree(fresh, &e);
        free(moved); free(fresh);
    }
    /* To a setup that adds nonroot from one that did not, in place: nonroot's tree */
    char *moved = ds_xasprintf("%s-moved", root), *fresh = ds_xasprintf("%s-fresh", root);
    assert_int_equal(ds_closure_write_tree(root, c, &wwwdata, moved, &e), 0);
    assert_int_equal(ds_closure_retarget_tree(root, c, &wwwdata, &nonroot, moved, &e), 0);
    assert_int_equal(ds_closure_write_tree(root, c, &nonroot, fresh, &e), 0);
    char a[DS_DIGEST_LEN + 1], b[DS_DIGEST_LEN + 1];
    layer_of(moved, a);
    layer_of(fresh, b);
    assert_string_equal(a, b);
    ds_rmtree(moved, &e);
    ds_rmtree(fresh, &e);
    free(moved); free(fresh);
    /* a tree that is not there: an error, not a half-written one elsewhere */
    assert_int_equal(ds_closure_retarget_tree(root, c, &wwwdata, &nonroot, "/nonexistent", &e), -1);
    ds_closure_free(c);
    ds_trace_free(t);
}

/* A clone of the nonroot tree, retargeted, is the tree written afresh for the other user (same
 * layer), while the nonroot tree is untouched: the clone's entries are its inodes, except what
 * the app wrote (chowned by the retarget: copies). */
static void test_clone_tree(void **state) {
    (void)state;
    ds_trace *t = trace();
    ds_closure *c = app_closure(t);
    ds_err e = {0};
    const char *from[] = {root, NULL};
    ds_user_setup nonroot = {.add_nonroot = true, .chown_written = true, .chown_uid = 65532, .chown_gid = 65532,
                             .link_from = from};
    ds_user_setup wwwdata = {.chown_written = true, .chown_uid = 33, .chown_gid = 33, .link_from = from};
    char *orig = ds_xasprintf("%s-orig", root), *clone = ds_xasprintf("%s-clone", root);
    char *fresh = ds_xasprintf("%s-fresh", root);
    /* a second name of what the app wrote (kept: the directory it wrote in is kept whole) */
    char *st_src = ds_xasprintf("%s/var/lib/app/state", root), *bak_src = ds_xasprintf("%s/var/lib/app/state.bak", root);
    assert_int_equal(link(st_src, bak_src), 0);
    ds_closure_free(c);
    c = app_closure(t);
    assert_non_null(ds_pathmap_get(&c->keep, "/var/lib/app/state.bak"));
    assert_int_equal(ds_closure_write_tree(root, c, &nonroot, orig, &e), 0);
    char before[DS_DIGEST_LEN + 1], a[DS_DIGEST_LEN + 1], b[DS_DIGEST_LEN + 1], after[DS_DIGEST_LEN + 1];
    layer_of(orig, before);
    assert_int_equal(ds_closure_clone_tree(c, orig, clone, &e), 0);
    assert_int_equal(ino_of(clone, "/usr/bin/app", NULL), ino_of(orig, "/usr/bin/app", NULL));
    assert_int_not_equal(ino_of(clone, "/var/lib/app/state", NULL), ino_of(orig, "/var/lib/app/state", NULL));
    assert_int_not_equal(ino_of(clone, "/var/lib/app", NULL), ino_of(orig, "/var/lib/app", NULL));
    assert_int_equal(ds_closure_retarget_tree(root, c, &nonroot, &wwwdata, clone, &e), 0);
    assert_int_equal(ds_closure_write_tree(root, c, &wwwdata, fresh, &e), 0);
    layer_of(clone, a);
    layer_of(fresh, b);
    assert_string_equal(a, b);
    layer_of(orig, after);
    assert_string_equal(before, after);
    assert_string_not_equal(before, a);
    /* the two names are one inode again, the clone's own */
    assert_int_equal(ino_of(clone, "/var/lib/app/state", NULL), ino_of(clone, "/var/lib/app/state.bak", NULL));
    assert_int_not_equal(ino_of(clone, "/var/lib/app/state.bak", NULL), ino_of(orig, "/var/lib/app/state.bak", NULL));
    if (getuid() == 0) {
        uid_t u;
        ino_of(orig, "/var/lib/app/state", &u);
        assert_int_equal(u, 65532);
        ino_of(clone, "/var/lib/app/state", &u);
        assert_int_equal(u, 33);
        ino_of(clone, "/var/lib/app/state.bak", &u);
        assert_int_equal(u, 33);
    }
    /* the other way (the build's order when nonroot looks sure to fail): the source user's
     * tree cloned and given nonroot, as a tree written for nonroot; the source user's tree,
     * whose passwd and group the clone shares, unchanged */
    char *back = ds_xasprintf("%s-back", root);
    assert_int_equal(ds_closure_clone_tree(c, fresh, back, &e), 0);
    assert_int_equal(ino_of(back, "/etc/passwd", NULL), ino_of(fresh, "/etc/passwd", NULL));
    assert_int_equal(ds_closure_retarget_tree(root, c, &wwwdata, &nonroot, back, &e), 0);
    assert_int_not_equal(ino_of(back, "/etc/passwd", NULL), ino_of(fresh, "/etc/passwd", NULL));
    layer_of(back, after);
    assert_string_equal(after, before);
    layer_of(fresh, after);
    assert_string_equal(after, b);
    ds_rmtree(back, &e);
    free(back);
    /* into an existing directory: refused before anything is written into it */
    assert_int_equal(ds_closure_clone_tree(c, orig, clone, &e), -1);
    layer_of(clone, after);
    assert_string_equal(after, a);
    unlink(bak_src);
    free(st_src); free(bak_src);
    ds_rmtree(orig, &e);
    ds_rmtree(clone, &e);
    ds_rmtree(fresh, &e);
    free(orig); free(clone); free(fresh);
    ds_closure_free(c);
    ds_trace_free(t);
}

/* A script's interpreter, seen as an exec by the kernel, is a shell the app ran: kept and reported. */
static void test_interpreter_kept(void **state) {
    (void)state;
    ds_trace *t = parse_trace("{\"version\":1,\"files\":["
                              "{\"path\":\"/bin/sh\",\"kind\":\"file\",\"ops\":[\"exec\",\"map\"],\"ok\":true}],"
                              "\"execs\":[]}");
    ds_minify_opts o = {0};
    ds_closure *c = NULL;
    ds_err e;
    assert_int_equal(ds_closure_compute(root, t, &o, &c, &e), 0);
    assert_non_null(ds_pathmap_get(&c->keep, "/usr/bin/dash"));
    assert_non_null(ds_pathmap_get(&c->keep, "/usr/bin/sh"));
    assert_int_equal(c->n_used_tools, 2);
    assert_int_equal(c->n_dropped_tools, 0);
    ds_closure_free(c);
    ds_trace_free(t);
}

/* A shell the app ran only to start a program the image lacks (PHP's mail(): sh -c sendmail)
 * is left out; one that ran a program that exists, a builtin, a redirection, or a script's
 * #! line, stays; keep_absent_shells (the build's retry) keeps it. */
static ds_closure *shell_run(const char *script, bool keep_absent) {
    json_t *j = json_pack("{s:i, s:[{s:s, s:s, s:[s], s:b}], s:[{s:s, s:[s,s,s], s:b}]}", "version", 1, "files", "path",
                          "/bin/sh", "kind", "symlink", "ops", "exec", "ok", 1, "execs", "path", "/bin/sh", "argv", "sh",
                          "-c", script, "ok", 1);
    char *text = json_dumps(j, 0);
    json_decref(j);
    ds_trace *t = parse_trace(text);
    free(text);
    ds_minify_opts o = {.path_env = "/usr/sbin:/usr/bin:/bin", .keep_absent_shells = keep_absent};
    ds_closure *c = NULL;
    ds_err e;
    assert_int_equal(ds_closure_compute(root, t, &o, &c, &e), 0);
    ds_trace_free(t);
    return c;
}

static void test_absent_shell(void **state) {
    (void)state;
    ds_closure *c = shell_run("/usr/sbin/sendmail -t -i", false);
    assert_null(ds_pathmap_get(&c->keep, "/usr/bin/dash"));
    assert_null(ds_pathmap_get(&c->keep, "/usr/bin/sh"));
    assert_int_equal(c->n_absent_shells, 2);
    assert_non_null(strstr(c->dropped_tools[0].note, "ran only `/usr/sbin/sendmail -t -i`"));
    ds_closure_free(c);
    c = shell_run("sendmail -t; mailx root", false); /* through PATH, two commands: both absent */
    assert_null(ds_pathmap_get(&c->keep, "/usr/bin/dash"));
    ds_closure_free(c);
    const char *needed[] = {"app --send", "/usr/sbin/sendmail -t > /tmp/out", "echo hi", "sendmail $ADDR",
                            "sendmail; app", "\"sendmail\" -t", ""};
    for (size_t i = 0; i < sizeof needed / sizeof *needed; i++) {
        c = shell_run(needed[i], false);
        if (!ds_pathmap_get(&c->keep, "/usr/bin/dash")) fail_msg("sh -c '%s' must keep the shell", needed[i]);
        assert_int_equal(c->n_absent_shells, 0);
        ds_closure_free(c);
    }
    c = shell_run("/usr/sbin/sendmail -t -i", true);
    assert_non_null(ds_pathmap_get(&c->keep, "/usr/bin/dash"));
    assert_int_equal(c->n_absent_shells, 0);
    ds_closure_free(c);
    /* The same shell also runs a script the app executed (#!/bin/sh): it stays. */
    put("/usr/bin/job.sh", "#!/bin/sh\nexit 0\n", 0755);
    ds_trace *t = parse_trace("{\"version\":1,\"files\":[],\"execs\":["
                              "{\"path\":\"/bin/sh\",\"argv\":[\"sh\",\"-c\",\"sendmail\"],\"ok\":true},"
                              "{\"path\":\"/usr/bin/job.sh\",\"argv\":[\"job.sh\"],\"ok\":true}]}");
    ds_minify_opts o = {.path_env = "/usr/sbin:/usr/bin"};
    ds_err e;
    assert_int_equal(ds_closure_compute(root, t, &o, &c, &e), 0);
    assert_non_null(ds_pathmap_get(&c->keep, "/usr/bin/dash"));
    ds_closure_free(c);
    ds_trace_free(t);
    char *p = ds_xasprintf("%s/usr/bin/job.sh", root);
    unlink(p);
    free(p);
}

static void test_keep_package(void **state) {
    (void)state;
    char *pk[] = {"foo"};
    ds_minify_opts o = {.keep_packages = pk, .n_keep_packages = 1};
    ds_closure *c = NULL;
    ds_err e;
    assert_int_equal(ds_closure_compute(root, NULL, &o, &c, &e), 0);
    assert_non_null(ds_pathmap_get(&c->keep, "/usr/share/foo/data.txt"));
    assert_non_null(ds_pathmap_get(&c->keep, "/usr/lib/libfoo.so.1.2")); /* through /lib and the .so link */
    assert_non_null(ds_pathmap_get(&c->keep, "/lib"));
    ds_closure_free(c);
    char *bad[] = {"no-such-package"};
    o.keep_packages = bad;
    assert_int_equal(ds_closure_compute(root, NULL, &o, &c, &e), -1);
    assert_non_null(strstr(e.msg, "no-such-package"));
}

static void test_trace_load(void **state) {
    (void)state;
    ds_err e;
    ds_trace *j = NULL;
    put("/t/good.json", "{\"version\":1,\"files\":[]}", 0644);
    put("/t/old.json", "{\"version\":7}", 0644);
    put("/t/bad.json", "secret-token {", 0644);
    char *p = ds_xasprintf("%s/t/good.json", root);
    assert_int_equal(ds_build_trace_load(p, &j, &e), 0);
    assert_non_null(j);
    ds_trace_free(j);
    free(p);
    p = ds_xasprintf("%s/t/old.json", root);
    assert_int_equal(ds_build_trace_load(p, &j, &e), -1);
    free(p);
    p = ds_xasprintf("%s/t/bad.json", root);
    assert_int_equal(ds_build_trace_load(p, &j, &e), -1);
    assert_null(strstr(e.msg, "secret")); /* a planted file's content never reaches messages */
    free(p);
    /* A log that is valid JSON but not what the sensor writes is refused by the trace module. */
    put("/t/odd.json", "{\"version\":1,\"files\":[{\"path\":\"relative\",\"kind\":\"file\",\"ops\":[],\"ok\":true}]}", 0644);
    p = ds_xasprintf("%s/t/odd.json", root);
    assert_int_equal(ds_build_trace_load(p, &j, &e), -1);
    assert_null(j);
    free(p);
    p = ds_xasprintf("%s/t/fifo.json", root);
    assert_int_equal(mkfifo(p, 0644), 0);
    assert_int_equal(ds_build_trace_load(p, &j, &e), -1); /* refused, not a hang */
    free(p);
    lnk("/etc/passwd", "/t/link.json");
    p = ds_xasprintf("%s/t/link.json", root);
    assert_int_equal(ds_build_trace_load(p, &j, &e), -1);
    free(p);
}

/* An image whose /etc or /tmp is a link out of the tree: nothing is written through it. */
static void test_hostile_links(void **state) {
    (void)state;
    ds_err e;
    char *r2 = NULL, *o2 = NULL, *victim = NULL;
    assert_int_equal(ds_mkdtemp("distill-test-hostile", &r2, &e), 0);
    assert_int_equal(ds_mkdtemp("distill-test-victim", &victim, &e), 0);
    o2 = ds_xasprintf("%s-out", r2);
    char *p = ds_xasprintf("%s/etc", r2);
    assert_int_equal(symlink(victim, p), 0); /* absolute: on this machine, outside the tree */
    free(p);
    p = ds_xasprintf("%s/tmp", r2);
    assert_int_equal(symlink(victim, p), 0);
    free(p);
    ds_closure c = {0};

    ds_pathmap_add(&c.keep, "/", "root");
    ds_pathmap_add(&c.keep, "/etc", "essential");
    ds_pathmap_add(&c.keep, "/tmp", "essential");
    ds_user_setup u = {.add_nonroot = true};
    assert_int_equal(ds_closure_write_tree(r2, &c, &u, o2, &e), -1);
    assert_non_null(strstr(e.msg, "/etc"));
    struct stat st;
    p = ds_xasprintf("%s/passwd", victim);
    assert_int_equal(lstat(p, &st), -1); /* nothing written on this machine */
    free(p);
    assert_int_equal(lstat(victim, &st), 0);
    assert_int_not_equal(st.st_mode & 07777, 01777); /* /tmp's chmod did not follow the link */

    ds_pathmap_free(&c.keep);
    ds_rmtree(r2, &e);
    ds_rmtree(o2, &e);
    ds_rmtree(victim, &e);
    free(r2); free(o2); free(victim);
}

/* Traced paths are resolved inside the tree: a link climbing out with ../ lands inside, each hop
 * is kept, and a link loop keeps nothing beyond its links (and does not hang). */
static void test_resolve_stays_inside(void **state) {
    (void)state;
    lnk("../../../../srv/app/other.py", "/usr/lib/evil");
    lnk("/loop2", "/loop1");
    lnk("/loop1", "/loop2");
    ds_trace *t = parse_trace("{\"version\":1,\"files\":["
                              "{\"path\":\"/lib/evil\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
                              "{\"path\":\"/loop1/x\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true}]}");
    ds_minify_opts o = {0};
    ds_closure *c = NULL;
    ds_err e;
    assert_int_equal(ds_closure_compute(root, t, &o, &c, &e), 0);
    const char *want[] = {"/lib", "/usr/lib/evil", "/srv/app/other.py"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!ds_pathmap_get(&c->keep, want[i])) fail_msg("expected %s to be kept", want[i]);
    assert_non_null(strstr(ds_pathmap_get(&c->keep, "/usr/lib/evil"), "symlink on the way"));
    assert_null(ds_pathmap_get(&c->keep, "/loop1/x"));
    for (size_t i = 0; i < c->keep.n; i++) assert_null(strstr(c->keep.v[i].path, ".."));
    ds_closure_free(c);
    ds_trace_free(t);
}

static void test_tools(void **state) {
    (void)state;
    assert_true(ds_is_shell_or_tool("/bin/sh"));
    assert_true(ds_is_shell_or_tool("/usr/bin/apt-get"));
    assert_false(ds_is_shell_or_tool("/usr/sbin/nginx"));
    assert_false(ds_is_shell_or_tool("/etc/passwd"));
    assert_true(ds_is_shell_or_tool("/usr/bin/gcc")); /* from the harden rules */
    assert_false(ds_is_shell_or_tool("/usr/bin/python3"));
    assert_true(ds_is_shell_or_tool("/usr/sbin/passwd"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closure_rules),
        cmocka_unit_test(test_write_tree_links),
        cmocka_unit_test(test_retarget_tree),
        cmocka_unit_test(test_clone_tree),
        cmocka_unit_test(test_interpreter_kept),
        cmocka_unit_test(test_absent_shell),
        cmocka_unit_test(test_keep_package),
        cmocka_unit_test(test_trace_load),
        cmocka_unit_test(test_hostile_links),
        cmocka_unit_test(test_resolve_stays_inside),
        cmocka_unit_test(test_tools),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
