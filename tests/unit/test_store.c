/* The layer store's parts that need no overlay: where the store is, the manifest check
 * (a changed, added or removed file, a mode or an mtime is noticed; content only with the
 * full check), and prune's order (least recently used go first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store.h"
#include "store/store_int.h"
#include "util/fsutil.h"

static void test_dir_for(void **state) {
    (void)state;
    ds_opts o;
    ds_opts_init(&o);
    assert_null(ds_store_dir_for(&o)); /* library callers get no store unless they ask */
    o.use_store = true;
    o.store_dir = "/x/store";
    char *d = ds_store_dir_for(&o);
    assert_string_equal(d, "/x/store");
    free(d);
    o.store_dir = NULL;
    setenv("DISTILL_STORE", "/y/store", 1);
    d = ds_store_dir_for(&o);
    assert_string_equal(d, "/y/store");
    free(d);
    unsetenv("DISTILL_STORE");
    d = ds_store_dir_for(&o);
    assert_non_null(d);
    if (geteuid() == 0) assert_string_equal(d, "/var/cache/distill");
    else assert_non_null(strstr(d, "/distill"));
    free(d);
    o.no_store = true;
    assert_null(ds_store_dir_for(&o));
}

static void put(const char *dir, const char *name, const char *text) {
    char *p = ds_xasprintf("%s/%s", dir, name);
    ds_err e;
    assert_int_equal(ds_write_file_atomic(p, text, strlen(text), 0644, &e), 0);
    free(p);
}

/* In place (same inode): the directory's mtime stays. */
static void overwrite(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int check(const char *tree, json_t *m, bool verify, char *why) {
    ds_err e;
    return ds_store_manifest_check(tree, m, verify, why, 256, &e);
}

static void test_manifest_check(void **state) {
    (void)state;
    ds_err e;
    char *base, why[256];
    assert_int_equal(ds_mkdtemp("distill-unit-store", &base, &e), 0);
    char *sub = ds_xasprintf("%s/etc", base);
    assert_int_equal(mkdir(sub, 0755), 0);
    put(sub, "conf", "hello\n");
    put(base, "top", "t\n");
    char *link = ds_xasprintf("%s/link", base);
    assert_int_equal(symlink("etc/conf", link), 0);
    free(link);
    json_t *m;
    assert_int_equal(ds_store_manifest_make(base, true, &m, &e), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "files")), 4);
    assert_int_equal(check(base, m, false, why), 0);
    assert_int_equal(check(base, m, true, why), 0);
    char *conf = ds_xasprintf("%s/conf", sub);
    struct stat st;
    assert_int_equal(stat(conf, &st), 0);
    /* same size, same mtime, other bytes: only the full check sees it */
    overwrite(conf, "HELLO\n");
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, conf, ts, 0), 0);
    assert_int_equal(check(base, m, false, why), 0);
    assert_int_equal(check(base, m, true, why), 1);
    assert_non_null(strstr(why, "content changed"));
    overwrite(conf, "hello\n");
    assert_int_equal(utimensat(AT_FDCWD, conf, ts, 0), 0);
    assert_int_equal(check(base, m, true, why), 0);
    /* a changed size */
    overwrite(conf, "hello world\n");
    assert_int_equal(check(base, m, false, why), 1);
    overwrite(conf, "hello\n");
    assert_int_equal(utimensat(AT_FDCWD, conf, ts, 0), 0);
    /* a changed mode */
    assert_int_equal(chmod(conf, 0600), 0);
    assert_int_equal(check(base, m, false, why), 1);
    assert_non_null(strstr(why, "mode"));
    assert_int_equal(chmod(conf, st.st_mode & 07777), 0);
    assert_int_equal(utimensat(AT_FDCWD, conf, ts, 0), 0);
    assert_int_equal(check(base, m, false, why), 0);
    /* an added file (the directory's mtime changes too, but the count says it first) */
    put(base, "added", "x");
    assert_int_equal(check(base, m, false, why), 1);
    char *added = ds_xasprintf("%s/added", base);
    unlink(added);
    /* a removed file */
    char *top = ds_xasprintf("%s/top", base);
    unlink(top);
    assert_int_equal(check(base, m, false, why), 1);
    json_decref(m);
    assert_int_equal(ds_rmtree(base, &e), 0);
    free(sub); free(conf); free(added); free(top); free(base);
}

static void layer(const char *dir, const char *hex, long used, long disk) {
    char *d = ds_xasprintf("%s/layers/%s", dir, hex), *t = ds_xasprintf("%s/tree", d);
    ds_err e;
    assert_int_equal(ds_mkdirs(t, 0755, &e), 0);
    char *text = ds_xasprintf("{\"diff_id\":\"sha256:%s\",\"size\":%ld,\"disk\":%ld,\"files\":1}", hex, disk, disk);
    put(d, "manifest.json", text);
    put(d, "used", "");
    char *u = ds_xasprintf("%s/used", d);
    struct timespec ts[2] = {{used, 0}, {used, 0}};
    assert_int_equal(utimensat(AT_FDCWD, u, ts, 0), 0);
    free(u); free(text); free(t); free(d);
}

static void test_prune_order(void **state) {
    (void)state;
    ds_err e;
    char *dir;
    assert_int_equal(ds_mkdtemp("distill-unit-store", &dir, &e), 0);
    char a[65], b[65], c[65];
    memset(a, 'a', 64); memset(b, 'b', 64); memset(c, 'c', 64);
    a[64] = b[64] = c[64] = 0;
    layer(dir, a, 1000, 100);
    layer(dir, b, 3000, 100);
    layer(dir, c, 2000, 100);
    ds_store_entry *en;
    size_t n;
    assert_int_equal(ds_store_list(dir, &en, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(en[0].chain_id[7], 'b'); /* newest first */
    assert_int_equal(en[1].chain_id[7], 'c');
    assert_int_equal(en[2].chain_id[7], 'a');
    free(en);
    size_t removed;
    uint64_t freed;
    assert_int_equal(ds_store_prune(dir, 250, &removed, &freed, &e), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(freed, 100);
    assert_int_equal(ds_store_list(dir, &en, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(en[0].chain_id[7], 'b');
    assert_int_equal(en[1].chain_id[7], 'c');
    free(en);
    assert_int_equal(ds_store_prune(dir, 0, &removed, &freed, &e), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(ds_store_list(dir, &en, &n, &e), 0);
    assert_int_equal(n, 0);
    free(en);
    char *tmp = ds_xasprintf("%s/tmp", dir);
    assert_true(ds_dir_empty(tmp)); /* nothing half-removed left */
    free(tmp);
    assert_int_equal(ds_rmtree(dir, &e), 0);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_for),
        cmocka_unit_test(test_manifest_check),
        cmocka_unit_test(test_prune_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
