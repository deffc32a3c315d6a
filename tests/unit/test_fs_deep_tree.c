/* The layer writer on a tree deeper than the descriptor limit: 600 levels with a
 * soft RLIMIT_NOFILE of 64 (a layer can legally hold 2000 levels). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/layer_writer.h"
#include "util/fsutil.h"

static void test_deep_tree_few_fds(void **state) {
    (void)state;
    ds_err e;
    char *base, *tree, *out;
    assert_int_equal(ds_mkdtemp("distill-unit-deep", &base, &e), 0);
    tree = ds_xasprintf("%s/tree", base);
    out = ds_xasprintf("%s/out", base);
    assert_int_equal(mkdir(tree, 0755), 0);
    assert_int_equal(mkdir(out, 0755), 0);
    int fd = open(tree, O_RDONLY | O_DIRECTORY);
    for (int i = 0; i < 600; i++) {
        assert_int_equal(mkdirat(fd, "d", 0755), 0);
        if (i % 100 == 0) { int f = openat(fd, "f", O_WRONLY | O_CREAT, 0644); assert_true(f >= 0); close(f); }
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(fd);
        fd = next;
    }
    close(fd);
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    ds_layer_out o;
    int r = ds_layer_write_tree(tree, DS_COMPRESS_NONE, out, NULL, NULL, &o, &e);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    if (r < 0) fail_msg("%s", e.msg);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_filename(a, o.blob_path, 65536), ARCHIVE_OK);
    struct archive_entry *ent;
    int n = 0;
    while (archive_read_next_header(a, &ent) == ARCHIVE_OK) n++;
    archive_read_free(a);
    assert_int_equal(n, 606); /* 600 directories and 6 files */
    unlink(o.blob_path);
    ds_layer_out_free(&o);
    assert_int_equal(ds_rmtree(base, &e), 0);
    free(tree); free(out); free(base);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_deep_tree_few_fds)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
