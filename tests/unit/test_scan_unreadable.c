/* A scan by a user who cannot read part of the image says so in its notes: a mode-000
 * /etc/passwd and a mode-700 directory owned by someone else, scanned by an unprivileged
 * user (a forked child that drops to nobody when the tests run as root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "scan/scan.h"
#include "util/fsutil.h"

static char *tmp;
static int setup(void **s) {
    (void)s;
    ds_err e;
    if (ds_mkdtemp("distill-unit-unreadable", &tmp, &e) < 0) return -1;
    chmod(tmp, 0755);
    char *p = ds_xasprintf("%s/root/etc", tmp);
    ds_mkdirs(p, 0755, &e);
    free(p);
    p = ds_xasprintf("%s/root/secret", tmp);
    mkdir(p, 0700);
    free(p);
    p = ds_xasprintf("%s/root/secret/inside", tmp);
    ds_write_file_atomic(p, "x", 1, 0644, &e);
    free(p);
    p = ds_xasprintf("%s/root/etc/passwd", tmp);
    ds_write_file_atomic(p, "root:x:0:0:root:/root:/bin/sh\n", 30, 0000, &e);
    free(p);
    p = ds_xasprintf("%s/root/etc/hostname", tmp);
    ds_write_file_atomic(p, "box\n", 4, 0644, &e);
    free(p);
    return 0;
}
static int teardown(void **s) { (void)s; ds_err e; ds_rmtree(tmp, &e); free(tmp); return 0; }

static bool has_note(const ds_scan *s, const char *text) {
    for (size_t i = 0; i < s->notes.n; i++)
        if (strstr(s->notes.v[i], text)) return true;
    return false;
}

/* In the child: 0 when the notes name both paths and nothing readable. */
static int scan_as_nobody(const char *root) {
    if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0))
        return 10;
    ds_scan s;
    ds_err e;
    if (ds_scan_root(root, NULL, &s, &e) < 0) return 11;
    int rc = 0;
    if (!has_note(&s, "2 paths could not be read (permission denied)")) rc = 12;
    if (!has_note(&s, "not readable: /etc/passwd")) rc = 13;
    if (!has_note(&s, "not readable: /secret/")) rc = 14;
    if (has_note(&s, "/etc/hostname")) rc = 15;
    if (s.tree.unreadable.n != 2) rc = 16;
    ds_scan_free(&s);
    return rc;
}

static void test_unreadable_paths_are_noted(void **st) {
    (void)st;
    char *root = ds_xasprintf("%s/root", tmp);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* under valgrind the child is checked for leaks too */
        int r = scan_as_nobody(root);
        free(root);
        _exit(r);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    if (geteuid() == 0) { /* root with its capabilities reads everything: no such note */
        ds_scan s;
        ds_err e;
        assert_int_equal(ds_scan_root(root, NULL, &s, &e), 0);
        assert_int_equal(s.tree.unreadable.n, 0);
        assert_false(has_note(&s, "could not be read"));
        ds_scan_free(&s);
    }
    free(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreadable_paths_are_noted),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
