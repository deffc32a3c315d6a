/* ds_rmtree on what unpacked layers can hold: trees deeper than PATH_MAX, symlinks
 * that point out (never followed), directories with mode 000. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/fsutil.h"

static void test_deep_tree_removed(void **state) {
    (void)state;
    ds_err e;
    char *base;
    assert_int_equal(ds_mkdtemp("distill-unit-rmtree", &base, &e), 0);
    char *victim = ds_xasprintf("%s/victim", base), *keep = ds_xasprintf("%s/keep", base);
    assert_int_equal(mkdir(victim, 0755), 0);
    assert_int_equal(mkdir(keep, 0755), 0);
    char *precious = ds_xasprintf("%s/precious", keep);
    assert_int_equal(ds_write_file_atomic(precious, "x", 1, 0644, &e), 0);
    /* 3000 levels of "dd/": 9000 chars, far past PATH_MAX. */
    int fd = open(victim, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(mkdirat(fd, "dd", 0755), 0);
        if (i == 1500) {
            assert_int_equal(symlinkat(keep, fd, "out"), 0);   /* absolute, out of the tree */
            assert_int_equal(symlinkat("../../../../../../..", fd, "up"), 0);
            int f = openat(fd, "file", O_WRONLY | O_CREAT, 0644);
            assert_true(f >= 0);
            close(f);
        }
        int next = openat(fd, "dd", O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(fd);
        fd = next;
    }
    assert_int_equal(mkdirat(fd, "locked", 0), 0);
    close(fd);
    assert_int_equal(ds_rmtree(victim, &e), 0);
    assert_false(ds_exists(victim));
    assert_true(ds_exists(precious));
    char *slashed = ds_xasprintf("%s/", keep); /* a trailing slash names the same directory */
    assert_int_equal(ds_rmtree(slashed, &e), 0);
    assert_false(ds_exists(keep));
    assert_int_equal(ds_rmtree(victim, &e), 0); /* already gone: fine */
    assert_int_equal(ds_rmtree(base, &e), 0);
    free(slashed); free(precious); free(victim); free(keep); free(base);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_deep_tree_removed)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
