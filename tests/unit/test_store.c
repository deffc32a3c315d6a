/* The layer store's parts that need no overlay: where the store is, the manifest check
 * (a changed, added or removed file, a mode or an mtime is noticed; content only with the
 * full check), prune's order (least recently used go first), and the flattening of stored
 * layers where no overlay can be mounted (whiteouts, opaque directories, a symlink replaced
 * by a directory, hard links, holes; hard links to the store or independent copies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
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
    assert_int_equal(ds_store_manifest_make(base, true, NULL, &m, &e), 0);
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

static char *at(const char *dir, const char *rel) { return ds_xasprintf("%s/%s", dir, rel); }

static ino_t ino_of(const char *dir, const char *rel) {
    char *p = at(dir, rel);
    struct stat st;
    ino_t r = lstat(p, &st) == 0 ? st.st_ino : 0;
    free(p);
    return r;
}

static bool there(const char *dir, const char *rel) {
    char *p = at(dir, rel);
    bool r = ds_exists(p);
    free(p);
    return r;
}

static void flatten_into(const char *const *trees, const char *base, const char *name, ds_flat_mode mode) {
    char *dst = at(base, name);
    ds_err e;
    assert_int_equal(mkdir(dst, 0755), 0);
    int r = ds_store_flatten(trees, 2, dst, mode, false, &e);
    if (r < 0) fail_msg("flatten: %s", e.msg);
    free(dst);
}

static void test_flatten(void **state) {
    (void)state;
    ds_err e;
    char *base;
    bool root = geteuid() == 0;
    assert_int_equal(ds_mkdtemp("distill-unit-flatten", &base, &e), 0);
    char *lo = at(base, "lower"), *up = at(base, "upper");
    static const char *const dirs[] = {"lower", "lower/a", "lower/d", "upper", "upper/d", "upper/s", "upper/a"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        char *p = at(base, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
    }
    put(lo, "a/gone", "lower\n");
    put(lo, "a/keep", "keep\n");
    put(lo, "d/x", "hidden by the opaque d\n");
    put(lo, "h1", "linked\n");
    char *h1 = at(lo, "h1"), *h2 = at(lo, "h2"), *s = at(lo, "s"), *sp = at(lo, "sparse");
    assert_int_equal(link(h1, h2), 0);
    assert_int_equal(symlink("a", s), 0); /* a directory above must never be written through it */
    int fd = open(sp, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "end", 3, 8 << 20), 3); /* 8 MiB of hole, then 3 bytes */
    close(fd);
    put(up, "a/new", "new\n");
    put(up, "s/z", "in the new directory s\n");
    put(up, "d/y", "the opaque d's own\n");
    char *wh = at(up, "a/gone"), *opq = at(up, "d");
    if (root) { /* overlay's forms: a 0:0 character device, trusted.overlay.opaque=y */
        assert_int_equal(mknod(wh, S_IFCHR | 0, makedev(0, 0)), 0);
        assert_int_equal(setxattr(opq, "trusted.overlay.opaque", "y", 1, 0), 0);
    }
    const char *const trees[] = {up, lo}; /* the topmost first */
    flatten_into(trees, base, "linked", DS_FLAT_LINK);
    flatten_into(trees, base, "copied", DS_FLAT_COPY);
    static const char *const outs[] = {"linked", "copied"};
    for (size_t k = 0; k < 2; k++) {
        char *o = at(base, outs[k]);
        assert_true(there(o, "a/keep") && there(o, "a/new") && there(o, "s/z") && there(o, "d/y"));
        assert_false(there(o, "a/z")); /* s was a symlink to a: replaced, not followed */
        struct stat st;
        char *sd = at(o, "s");
        assert_int_equal(lstat(sd, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        free(sd);
        assert_int_equal(ino_of(o, "h1"), ino_of(o, "h2")); /* a hard link pair stays one */
        if (root) {
            assert_false(there(o, "a/gone"));
            assert_false(there(o, "d/x"));
            char *dd = at(o, "d");
            char v[4];
            assert_true(getxattr(dd, "trusted.overlay.opaque", v, sizeof v) < 0); /* the store's, not copied */
            free(dd);
        }
        char *ps = at(o, "sparse");
        assert_int_equal(stat(ps, &st), 0);
        assert_int_equal(st.st_size, (8 << 20) + 3);
        assert_true(st.st_blocks * 512 < (1 << 20)); /* the hole stayed a hole */
        free(ps);
        free(o);
    }
    char *lk = at(base, "linked"), *cp = at(base, "copied");
    assert_int_equal(ino_of(lk, "a/keep"), ino_of(lo, "a/keep")); /* links: the stored file itself */
    assert_int_not_equal(ino_of(cp, "a/keep"), ino_of(lo, "a/keep")); /* copies: a file of its own */
    char *ck = at(cp, "a/keep");
    overwrite(ck, "edited\n");
    char *lk2 = at(lo, "a/keep"), *buf = NULL;
    size_t len;
    assert_int_equal(ds_read_file(lk2, &buf, &len, 0, &e), 0);
    assert_string_equal(buf, "keep\n"); /* editing the copy never reaches the layer */
    free(buf);
    free(lk2); free(ck); free(lk); free(cp);
    free(h1); free(h2); free(s); free(sp); free(wh); free(opq); free(lo); free(up);
    assert_int_equal(ds_rmtree(base, &e), 0);
    free(base);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_for),
        cmocka_unit_test(test_manifest_check),
        cmocka_unit_test(test_prune_order),
        cmocka_unit_test(test_flatten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
