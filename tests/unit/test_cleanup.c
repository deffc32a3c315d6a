/* util/cleanup: the interrupt registry and its async-signal-safe remover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "util/cleanup.h"
#include "util/fsutil.h"

static char *scratch(void) {
    char *d;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-unit-cleanup", &d, &e), 0);
    ds_cleanup_forget(d); /* the test's own scratch: not part of what is being tested */
    return d;
}

static void rm_scratch(char *d) {
    ds_err e;
    assert_int_equal(ds_rmtree(d, &e), 0);
    free(d);
}

static void touch(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
}

static void test_register_forget(void **state) {
    (void)state;
    int n0 = ds_cleanup_count();
    char *d = scratch();
    char *a = ds_xasprintf("%s/a", d);
    touch(a);
    assert_int_equal(ds_cleanup_register(a), 0);
    assert_int_equal(ds_cleanup_count(), n0 + 1);
    ds_cleanup_forget(a);
    assert_int_equal(ds_cleanup_count(), n0);
    assert_int_equal(ds_cleanup_run(), 0);
    assert_true(ds_exists(a)); /* forgotten: left alone */
    /* A relative name is stored absolute: a later chdir does not redirect the removal. */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(d), 0);
    assert_int_equal(ds_cleanup_register("a"), 0);
    assert_int_equal(chdir("/"), 0);
    assert_int_equal(ds_cleanup_run(), 1);
    assert_false(ds_exists(a));
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(ds_cleanup_count(), n0);
    free(a);
    rm_scratch(d);
}

static void test_mkdtemp_registers_rmtree_forgets(void **state) {
    (void)state;
    int n0 = ds_cleanup_count();
    char *t;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-unit-cleanup-reg", &t, &e), 0);
    assert_int_equal(ds_cleanup_count(), n0 + 1);
    assert_int_equal(ds_rmtree(t, &e), 0);
    assert_int_equal(ds_cleanup_count(), n0);
    free(t);
    /* ... and the interrupt path removes what is still registered. */
    assert_int_equal(ds_mkdtemp("distill-unit-cleanup-reg", &t, &e), 0);
    char *f = ds_xasprintf("%s/f", t);
    touch(f);
    assert_int_equal(ds_cleanup_run(), 1);
    assert_false(ds_exists(t));
    assert_int_equal(ds_cleanup_count(), n0);
    free(f);
    free(t);
}

/* The atomic-write temp is registered while it exists and forgotten after the rename, so
 * an interrupt afterwards never touches the destination. */
static void test_forget_after_rename(void **state) {
    (void)state;
    char *d = scratch();
    int n0 = ds_cleanup_count();
    char *dst = ds_xasprintf("%s/dest.tar", d);
    char *tmp = ds_tmp_sibling(dst);
    assert_int_equal(ds_cleanup_count(), n0 + 1);
    touch(tmp);
    assert_int_equal(rename(tmp, dst), 0);
    ds_cleanup_forget(tmp);
    assert_int_equal(ds_cleanup_count(), n0);
    assert_int_equal(ds_cleanup_run(), 0);
    assert_true(ds_exists(dst));
    /* Not forgotten (a caller that forgot): the name is gone after the rename, so nothing is lost. */
    char *tmp2 = ds_tmp_sibling(dst);
    touch(tmp2);
    assert_int_equal(rename(tmp2, dst), 0);
    assert_int_equal(ds_cleanup_run(), 0);
    assert_true(ds_exists(dst));
    /* A temp dir sibling (an oci layout being written) interrupted before its rename: removed. */
    char *work = ds_tmp_sibling(dst);
    char *blobs = ds_xasprintf("%s/blobs/sha256", work);
    ds_err e;
    assert_int_equal(ds_mkdirs(blobs, 0755, &e), 0);
    assert_int_equal(ds_cleanup_run(), 1);
    assert_false(ds_exists(work));
    assert_true(ds_exists(dst));
    /* ds_write_file_atomic leaves nothing registered. */
    assert_int_equal(ds_write_file_atomic(dst, "y", 1, 0644, &e), 0);
    assert_int_equal(ds_cleanup_count(), n0);
    free(dst); free(tmp); free(tmp2); free(work); free(blobs);
    rm_scratch(d);
}

/* Nested dirs, one thousands of levels deep (past PATH_MAX), many entries per level. */
static void test_deep_and_wide(void **state) {
    (void)state;
    char *d = scratch();
    char *top = ds_xasprintf("%s/work", d);
    assert_int_equal(mkdir(top, 0700), 0);
    int fd = open(top, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    for (int i = 0; i < 2500; i++) {
        assert_int_equal(mkdirat(fd, "dd", 0755), 0);
        if (i % 500 == 0)
            for (int k = 0; k < 40; k++) {
                char name[32];
                snprintf(name, sizeof name, "sub%d", k);
                assert_int_equal(mkdirat(fd, name, 0755), 0);
                snprintf(name, sizeof name, "sub%d/file", k);
                int f = openat(fd, name, O_WRONLY | O_CREAT, 0644);
                assert_true(f >= 0);
                close(f);
            }
        int next = openat(fd, "dd", O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(fd);
        fd = next;
    }
    close(fd);
    assert_int_equal(ds_cleanup_register(top), 0);
    assert_int_equal(ds_cleanup_run(), 1);
    assert_false(ds_exists(top));
    free(top);
    rm_scratch(d);
}

/* Symlinks inside the temp tree that point out of it are removed, never followed. */
static void test_symlinks_not_followed(void **state) {
    (void)state;
    char *d = scratch();
    char *outside = ds_xasprintf("%s/outside", d), *sentinel = ds_xasprintf("%s/outside/sentinel", d);
    char *top = ds_xasprintf("%s/work", d), *inner = ds_xasprintf("%s/work/a/b", d);
    ds_err e;
    assert_int_equal(ds_mkdirs(outside, 0755, &e), 0);
    touch(sentinel);
    assert_int_equal(ds_mkdirs(inner, 0755, &e), 0);
    char *l1 = ds_xasprintf("%s/to-dir", inner), *l2 = ds_xasprintf("%s/to-file", inner);
    char *l3 = ds_xasprintf("%s/work/up", d);
    assert_int_equal(symlink(outside, l1), 0);
    assert_int_equal(symlink(sentinel, l2), 0);
    assert_int_equal(symlink("../outside", l3), 0);
    assert_int_equal(ds_cleanup_register(top), 0);
    /* The registered path itself a symlink: the link goes, not its target. */
    char *l4 = ds_xasprintf("%s/link-top", d);
    assert_int_equal(symlink(outside, l4), 0);
    assert_int_equal(ds_cleanup_register(l4), 0);
    assert_int_equal(ds_cleanup_run(), 2);
    assert_false(ds_exists(top));
    assert_false(ds_exists(l4));
    assert_true(ds_exists(sentinel));
    struct stat st;
    assert_int_equal(lstat(sentinel, &st), 0);
    assert_int_equal((int)st.st_size, 1);
    free(outside); free(sentinel); free(top); free(inner); free(l1); free(l2); free(l3); free(l4);
    rm_scratch(d);
}

/* Read-only and mode-000 directories inside the tree. Run as an unprivileged user when we
 * are root, since root's permission checks would not exercise the chmod. */
static void test_read_only_dirs(void **state) {
    (void)state;
    char *d = scratch();
    char *top = ds_xasprintf("%s/work", d);
    char *ro = ds_xasprintf("%s/work/ro/inner", d), *none = ds_xasprintf("%s/work/none", d);
    ds_err e;
    assert_int_equal(ds_mkdirs(ro, 0755, &e), 0);
    assert_int_equal(ds_mkdirs(none, 0755, &e), 0);
    char *f1 = ds_xasprintf("%s/f", ro), *f2 = ds_xasprintf("%s/f", none);
    touch(f1);
    touch(f2);
    char *rodir = ds_xasprintf("%s/work/ro", d);
    uid_t nobody = 65534;
    if (geteuid() == 0) {
        assert_int_equal(chmod(d, 0755), 0);
        const char *own[] = {top, rodir, ro, none, f1, f2};
        for (size_t i = 0; i < sizeof own / sizeof *own; i++) assert_int_equal(lchown(own[i], nobody, nobody), 0);
        assert_int_equal(chown(d, nobody, nobody), 0); /* so the top itself can be removed */
    }
    assert_int_equal(chmod(ro, 0555), 0);
    assert_int_equal(chmod(rodir, 0500), 0);
    assert_int_equal(chmod(none, 0), 0);
    assert_int_equal(chmod(top, 0500), 0);
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        if (geteuid() == 0 && (setgid(nobody) < 0 || setuid(nobody) < 0)) _exit(90);
        _exit(ds_cleanup_remove_tree(top) == 1 ? 0 : 1);
    }
    int st;
    assert_int_equal(waitpid(p, &st, 0), p);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_false(ds_exists(top));
    free(top); free(ro); free(none); free(f1); free(f2); free(rodir);
    rm_scratch(d);
}

/* Another filesystem mounted inside the temp tree is never entered; registered as a
 * mount, it is detached first and the tree then goes entirely. */
static void test_mount_inside(void **state) {
    (void)state;
    if (geteuid() != 0) { skip(); return; }
    char *d = scratch();
    char *m = ds_xasprintf("%s/work/merged", d), *top = ds_xasprintf("%s/work", d);
    char *inside = ds_xasprintf("%s/work/merged/precious", d);
    ds_err e;
    assert_int_equal(ds_mkdirs(m, 0755, &e), 0);
    assert_int_equal(mount("tmpfs", m, "tmpfs", 0, "size=1m"), 0);
    touch(inside);
    assert_int_equal(ds_cleanup_remove_tree(top), -1);
    assert_true(ds_exists(inside));
    assert_int_equal(ds_cleanup_register(top), 0);
    assert_int_equal(ds_cleanup_register_mount(m), 0);
    assert_int_equal(ds_cleanup_run(), 1);
    assert_false(ds_exists(top));
    free(m); free(top); free(inside);
    rm_scratch(d);
}

static void test_children_stopped(void **state) {
    (void)state;
    pid_t a = fork();
    assert_true(a >= 0);
    if (a == 0) { execlp("sleep", "sleep", "30", (char *)NULL); _exit(127); }
    /* One that ignores SIGTERM: killed after the grace. */
    pid_t b = fork();
    assert_true(b >= 0);
    if (b == 0) { signal(SIGTERM, SIG_IGN); execlp("sleep", "sleep", "30", (char *)NULL); _exit(127); }
    assert_int_equal(ds_cleanup_register_child(a), 0);
    assert_int_equal(ds_cleanup_register_child(b), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ds_cleanup_stop_children(300);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    assert_int_equal(waitpid(a, NULL, WNOHANG), -1); /* both reaped already */
    assert_int_equal(errno, ECHILD);
    assert_int_equal(waitpid(b, NULL, WNOHANG), -1);
    ds_cleanup_forget_child(a);
    ds_cleanup_forget_child(b);
}

/* A full registry reclaims entries whose path is gone (temps renamed without a forget). */
static void test_full_registry_reclaims(void **state) {
    (void)state;
    char *d = scratch();
    int n0 = ds_cleanup_count();
    for (int i = 0; i < 1000; i++) {
        char *p = ds_xasprintf("%s/gone-%d", d, i);
        assert_int_equal(ds_cleanup_register(p), 0);
        free(p);
    }
    char *live = ds_xasprintf("%s/live", d);
    touch(live);
    assert_int_equal(ds_cleanup_register(live), 0);
    assert_true(ds_cleanup_count() > n0);
    assert_int_equal(ds_cleanup_run(), 1);
    assert_false(ds_exists(live));
    assert_int_equal(ds_cleanup_count(), 0);
    free(live);
    rm_scratch(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_forget),
        cmocka_unit_test(test_mkdtemp_registers_rmtree_forgets),
        cmocka_unit_test(test_forget_after_rename),
        cmocka_unit_test(test_deep_and_wide),
        cmocka_unit_test(test_symlinks_not_followed),
        cmocka_unit_test(test_read_only_dirs),
        cmocka_unit_test(test_mount_inside),
        cmocka_unit_test(test_children_stopped),
        cmocka_unit_test(test_full_registry_reclaims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
