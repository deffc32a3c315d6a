/* fs/root_path: lookups and opens never leave the root, whatever the tree holds.
 * Every open case runs twice: with openat2 and with the hand walk (DISTILL_NO_OPENAT2=1).
 * The tree sits in BASE/root; BASE/outside.txt and the host's /etc/passwd are what an
 * escape would reach, and their contents differ from the tree's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fs/root_path.h"
#include "util/fsutil.h"
#include "util/strvec.h"

static char *base, *root;

static void put(const char *rel, const char *text) {
    ds_err e;
    char *p = ds_xasprintf("%s/%s", root, rel);
    assert_int_equal(ds_write_file_atomic(p, text, strlen(text), 0644, &e), 0);
    free(p);
}
static void dir(const char *rel) {
    char *p = ds_xasprintf("%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}
static void ln(const char *target, const char *rel) {
    char *p = ds_xasprintf("%s/%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
    free(p);
}

static int setup(void **state) {
    (void)state;
    ds_err e;
    if (ds_mkdtemp("distill-unit-rootpath", &base, &e) < 0) return -1;
    root = ds_xasprintf("%s/root", base);
    char *out = ds_xasprintf("%s/outside.txt", base);
    ds_write_file_atomic(out, "OUTSIDE\n", 8, 0644, &e);
    free(out);
    mkdir(root, 0755);
    dir("etc");
    dir("data");
    dir("data/sub");
    put("etc/passwd", "inside\n");
    put("data/file", "data\n");
    ln("/etc/passwd", "abs");                        /* absolute: the tree's, not the host's */
    ln("../../../../../../../../etc/passwd", "climb"); /* ../ far past the root */
    ln("/../../etc/../../etc/passwd", "absclimb");
    ln("../outside.txt", "up");                      /* names BASE/outside.txt if it escaped */
    ln("/", "rootlink");
    ln("loop2", "loop1");
    ln("loop1", "loop2");
    ln("self", "self");
    ln("hop2", "hop1");                              /* symlink to a symlink to a file */
    ln("/data/../data/file", "hop2");
    ln("sub", "data/subl");                          /* a directory symlink in the middle */
    ln("/etc/passwd", "data/sub/abs2");              /* absolute, from below the root */
    ln("../../../../../../etc/passwd", "data/sub/rel2");
    ln("missing", "dangling");
    /* a chain of 40 links works, 41 is a loop (the kernel's limit) */
    for (int i = 0; i < 41; i++) {
        char *name = ds_xasprintf("chain/c%d", i), *next = ds_xasprintf("c%d", i + 1);
        if (i == 0) dir("chain");
        ln(next, name);
        free(name);
        free(next);
    }
    put("chain/c41", "end\n");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(base, &e);
    free(base);
    free(root);
    unsetenv("DISTILL_NO_OPENAT2");
    return 0;
}

static void use_openat2(bool on) {
    setenv("DISTILL_NO_OPENAT2", on ? "0" : "1", 1);
}

/* Resolve path in the root: the canonical path, or "ERR:<errno name>" (static buffer). */
static const char *res(const ds_rp *r, const char *path, int flags) {
    static char buf[PATH_MAX + 16];
    errno = 0;
    char *c = ds_rp_resolve(r, path, flags, NULL, NULL, NULL);
    if (!c) {
        snprintf(buf, sizeof buf, "ERR:%s", errno == ENOENT ? "ENOENT" : errno == ELOOP ? "ELOOP" :
                 errno == ENOTDIR ? "ENOTDIR" : errno == ENAMETOOLONG ? "ENAMETOOLONG" : strerror(errno));
        return buf;
    }
    snprintf(buf, sizeof buf, "%s", c);
    free(c);
    return buf;
}

/* Content read through ds_rp_open_at, or "ERR:<errno>" (static buffer). */
static const char *cat(const ds_rp *r, const char *path, int flags) {
    static char buf[256];
    int fd = ds_rp_open_at(r, path, O_RDONLY, flags);
    if (fd < 0) { snprintf(buf, sizeof buf, "ERR:%d", errno); return buf; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

static void open_root(ds_rp *r, const char *dir_) {
    ds_err e;
    assert_int_equal(ds_rp_open(r, dir_, &e), 0);
}

static void test_hostile_links_resolve_inside(void **state) {
    (void)state;
    ds_rp r;
    open_root(&r, root);
    assert_string_equal(res(&r, "/abs", 0), "/etc/passwd");
    assert_string_equal(res(&r, "climb", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/absclimb", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/../../../etc/passwd", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/..", 0), "/");
    assert_string_equal(res(&r, "/rootlink/../rootlink/etc/./passwd", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/up", 0), "ERR:ENOENT");
    assert_string_equal(res(&r, "/up", DS_RP_NOFOLLOW), "/up");
    assert_string_equal(res(&r, "/data/subl/abs2", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/data/sub/rel2", 0), "/etc/passwd");
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_string_equal(cat(&r, "/abs", 0), "inside\n");
        assert_string_equal(cat(&r, "climb", 0), "inside\n");
        assert_string_equal(cat(&r, "/absclimb", 0), "inside\n");
        assert_string_equal(cat(&r, "../../../../etc/passwd", 0), "inside\n");
        assert_string_equal(cat(&r, "/rootlink/rootlink/etc/passwd", 0), "inside\n");
        assert_string_equal(cat(&r, "/data/subl/abs2", 0), "inside\n");
        assert_string_equal(cat(&r, "data/sub/rel2", 0), "inside\n");
        assert_int_equal(ds_rp_open_at(&r, "/up", O_RDONLY, 0), -1);
        assert_int_equal(errno, ENOENT);
    }
    ds_rp_close(&r);
}

static void test_symlink_loops(void **state) {
    (void)state;
    ds_rp r;
    open_root(&r, root);
    assert_string_equal(res(&r, "/loop1", 0), "ERR:ELOOP");
    assert_string_equal(res(&r, "/self/x", 0), "ERR:ELOOP");
    assert_string_equal(res(&r, "/loop1", DS_RP_NOFOLLOW), "/loop1");
    assert_string_equal(res(&r, "/chain/c1", 0), "/chain/c41");    /* 40 links */
    assert_string_equal(res(&r, "/chain/c0", 0), "ERR:ELOOP");     /* 41 links */
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_string_equal(cat(&r, "/chain/c1", 0), "end\n");
        assert_int_equal(ds_rp_open_at(&r, "/chain/c0", O_RDONLY, 0), -1);
        assert_int_equal(errno, ELOOP);
        assert_int_equal(ds_rp_open_at(&r, "/loop1", O_RDONLY, 0), -1);
        assert_int_equal(errno, ELOOP);
    }
    ds_rp_close(&r);
}

static void test_symlink_to_symlink(void **state) {
    (void)state;
    ds_rp r;
    open_root(&r, root);
    struct stat st;
    char *c = ds_rp_resolve(&r, "/hop1", 0, &st, NULL, NULL);
    assert_string_equal(c, "/data/file");
    assert_true(S_ISREG(st.st_mode));
    free(c);
    c = ds_rp_resolve(&r, "/hop1", DS_RP_NOFOLLOW, &st, NULL, NULL);
    assert_string_equal(c, "/hop1");
    assert_true(S_ISLNK(st.st_mode));
    free(c);
    assert_string_equal(res(&r, "/data/subl/../file", 0), "/data/file"); /* .. after a link: from its target */
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_string_equal(cat(&r, "/hop1", 0), "data\n");
        /* O_PATH|O_NOFOLLOW gives the link itself */
        int fd = ds_rp_open_at(&r, "/hop1", O_PATH | O_NOFOLLOW, 0);
        assert_true(fd >= 0);
        assert_int_equal(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
        assert_true(S_ISLNK(st.st_mode));
        close(fd);
    }
    ds_rp_close(&r);
}

static void test_missing_components(void **state) {
    (void)state;
    ds_rp r;
    open_root(&r, root);
    assert_string_equal(res(&r, "/nope/file", 0), "ERR:ENOENT");
    assert_string_equal(res(&r, "/dangling/x", 0), "ERR:ENOENT");
    assert_string_equal(res(&r, "/dangling", DS_RP_NOFOLLOW), "/dangling");
    assert_string_equal(res(&r, "/data/file/x", 0), "ERR:ENOTDIR");
    assert_string_equal(res(&r, "/data/file/.", 0), "ERR:ENOTDIR");
    assert_string_equal(res(&r, "/data/file/", 0), "/data/file"); /* trailing slashes are ignored */
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_int_equal(ds_rp_open_at(&r, "/nope/file", O_RDONLY, 0), -1);
        assert_int_equal(errno, ENOENT);
        assert_int_equal(ds_rp_open_at(&r, "/data/file/x", O_RDONLY, 0), -1);
        assert_int_equal(errno, ENOTDIR);
        assert_string_equal(cat(&r, "/data/file/", 0), "data\n");
    }
    ds_rp_close(&r);
}

static void test_too_long(void **state) {
    (void)state;
    ds_rp r;
    open_root(&r, root);
    size_t n = PATH_MAX + 10;
    char *p = ds_xmalloc(n + 1);
    for (size_t i = 0; i < n; i += 2) { p[i] = 'a'; p[i + 1] = '/'; }
    p[n] = 0;
    assert_string_equal(res(&r, p, 0), "ERR:ENAMETOOLONG");
    /* the same bytes, but "./" repeated: still refused on length, as the kernel does */
    for (size_t i = 0; i < n; i += 2) p[i] = '.';
    assert_string_equal(res(&r, p, 0), "ERR:ENAMETOOLONG");
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_int_equal(ds_rp_open_at(&r, p, O_RDONLY, 0), -1);
        assert_int_equal(errno, ENAMETOOLONG);
    }
    memset(p, 'x', NAME_MAX + 1);
    p[NAME_MAX + 1] = 0;
    assert_string_equal(res(&r, p, 0), "ERR:ENAMETOOLONG");
    free(p);
    /* A canonical result past PATH_MAX, reached through a short path and a link into a
     * tree of 200-byte names: deep/N/N/... (25 levels), deep/jump -> N/N/... (15 levels). */
    char name[201];
    memset(name, 'n', 200);
    name[200] = 0;
    int d = openat(r.fd, ".", O_RDONLY | O_DIRECTORY);
    assert_true(d >= 0);
    assert_int_equal(mkdirat(d, "deep", 0755), 0);
    char *hop = ds_xstrdup("");
    for (int i = 0; i < 26; i++) {
        int next = openat(d, i ? name : "deep", O_RDONLY | O_DIRECTORY);
        assert_true(next >= 0);
        close(d);
        d = next;
        if (i < 25) assert_int_equal(mkdirat(d, name, 0755), 0);
        if (i < 15) { char *h = ds_xasprintf("%s%s/", hop, name); free(hop); hop = h; }
    }
    close(d);
    char *lk = ds_xasprintf("%s/deep/jump", root);
    assert_int_equal(symlink(hop, lk), 0);
    free(lk);
    free(hop);
    char *in = ds_xasprintf("/deep/jump/%s/%s", name, name); /* 17 levels: 3422 bytes */
    assert_int_equal(strlen(res(&r, in, 0)), 5 + 17 * 201);
    free(in);
    in = ds_xasprintf("/deep/jump/%s/%s/%s/%s/%s/%s/%s/%s", name, name, name, name, name, name, name, name);
    assert_string_equal(res(&r, in, 0), "ERR:ENAMETOOLONG"); /* 23 levels: 4628 bytes */
    free(in);
    /* Deeper than the fds a process may hold: 1100 levels of "d" (2205 bytes), every mode. */
    d = openat(r.fd, "deep", O_RDONLY | O_DIRECTORY);
    char *many = ds_xstrdup("/deep");
    for (int i = 0; i < 1100; i++) {
        assert_int_equal(mkdirat(d, "d", 0755), 0);
        int next = openat(d, "d", O_RDONLY | O_DIRECTORY);
        close(d);
        d = next;
        char *m = ds_xasprintf("%s/d", many);
        free(many);
        many = m;
    }
    close(d);
    assert_string_equal(res(&r, many, 0), many);
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        int fd = ds_rp_open_at(&r, many, O_RDONLY | O_DIRECTORY, 0);
        assert_true(fd >= 0);
        close(fd);
    }
    /* ... and back up all the way and past the root, through a link at the bottom */
    char *target = ds_xstrdup("");
    for (int i = 0; i < 1103; i++) { char *t = ds_xasprintf("%s../", target); free(target); target = t; }
    char *t = ds_xasprintf("%setc/passwd", target);
    char *lk2 = ds_xasprintf("%s%s/back", root, many);
    assert_int_equal(symlink(t, lk2), 0);
    char *full = ds_xasprintf("%s/back", many);
    assert_string_equal(res(&r, full, 0), "/etc/passwd");
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_string_equal(cat(&r, full, 0), "inside\n");
    }
    free(full);
    free(lk2);
    free(t);
    free(target);
    free(many);
    ds_rp_close(&r);
}

static void test_root_given_as_symlink(void **state) {
    (void)state;
    char *lk = ds_xasprintf("%s/root-link", base);
    assert_int_equal(symlink("root", lk), 0);
    ds_rp r;
    open_root(&r, lk);
    assert_string_equal(res(&r, "/abs", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/..", 0), "/");
    assert_string_equal(res(&r, "/up", 0), "ERR:ENOENT");
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_string_equal(cat(&r, "/climb", 0), "inside\n");
        assert_string_equal(cat(&r, "/../outside.txt", 0), "ERR:2");
    }
    ds_rp_close(&r);
    free(lk);
}

/* A running process's root, reached through the /proc magic link, as for a live container. */
static void test_live_proc_root(void **state) {
    (void)state;
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* chroot needs root; otherwise the cwd magic link is the same kind of root */
        char how = chdir(root) == 0 && chroot(".") == 0 ? 'r' : 'c';
        if (write(pfd[1], &how, 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char how = 0;
    assert_int_equal(read(pfd[0], &how, 1), 1);
    close(pfd[0]);
    close(pfd[1]);
    char *proc = ds_xasprintf("/proc/%d/%s", (int)pid, how == 'r' ? "root" : "cwd");
    ds_rp r;
    open_root(&r, proc);
    assert_string_equal(res(&r, "/abs", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/climb", 0), "/etc/passwd");
    assert_string_equal(res(&r, "/up", 0), "ERR:ENOENT");
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_string_equal(cat(&r, "/absclimb", 0), "inside\n");
        assert_string_equal(cat(&r, "../outside.txt", 0), "ERR:2");
    }
    ds_rp_close(&r);
    free(proc);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void test_no_symlinks_mode(void **state) {
    (void)state;
    ds_rp r;
    open_root(&r, root);
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        assert_string_equal(cat(&r, "etc/passwd", DS_RP_NO_SYMLINKS), "inside\n");
        assert_int_equal(ds_rp_open_at(&r, "abs", O_RDONLY, DS_RP_NO_SYMLINKS), -1);
        assert_int_equal(errno, ELOOP);
        assert_int_equal(ds_rp_open_at(&r, "rootlink/etc/passwd", O_RDONLY, DS_RP_NO_SYMLINKS), -1);
        assert_int_equal(errno, ELOOP);
        assert_int_equal(ds_rp_open_at(&r, "../outside.txt", O_RDONLY, DS_RP_NO_SYMLINKS), -1);
        assert_int_equal(errno, EXDEV);
        /* the root itself */
        int fd = ds_rp_open_at(&r, "", O_RDONLY | O_DIRECTORY, DS_RP_NO_SYMLINKS);
        assert_true(fd >= 0);
        close(fd);
    }
    ds_rp_close(&r);
}

/* unpack's flag: /proc is its own mount below "/" on every Linux host. */
static void test_no_xdev_mode(void **state) {
    (void)state;
    ds_rp r;
    open_root(&r, "/");
    for (int m = 0; m < 2; m++) {
        use_openat2(m == 0);
        int fd = ds_rp_open_at(&r, "proc/version", O_RDONLY, 0);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(ds_rp_open_at(&r, "proc/version", O_RDONLY, DS_RP_NO_XDEV), -1);
        assert_int_equal(errno, EXDEV);
        assert_int_equal(ds_rp_open_at(&r, "/proc", O_PATH, DS_RP_NO_XDEV), -1);
        assert_int_equal(errno, EXDEV);
    }
    ds_rp_close(&r);
}

static void test_cached_lookup_records_links(void **state) {
    (void)state;
    ds_root t;
    ds_err e;
    assert_int_equal(ds_root_open(&t, root, &e), 0);
    const ds_rpath_res *x = ds_root_lookup(&t, "//hop1/");
    assert_true(x->exists);
    assert_true(S_ISREG(x->mode));
    assert_string_equal(x->real, "/data/file");
    assert_int_equal(x->n_links, 2);
    assert_string_equal(x->links[0], "/hop1");
    assert_string_equal(x->links[1], "/hop2");
    assert_ptr_equal(ds_root_lookup(&t, "/hop1"), x); /* cached under the cleaned path */
    x = ds_root_lookup(&t, "/dangling");
    assert_false(x->exists);
    assert_null(x->real);
    assert_int_equal(x->n_links, 1);
    assert_string_equal(x->links[0], "/dangling");
    x = ds_root_lookup(&t, "/data/subl/../subl");
    assert_true(x->exists && S_ISDIR(x->mode));
    assert_string_equal(x->real, "/data/sub");
    assert_int_equal(x->n_links, 1); /* the same link twice is recorded once */
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(ds_root_read_file(&t, "/climb", 100, &data, &len, &e), 1);
    assert_string_equal(data, "inside\n");
    assert_int_equal(len, 7);
    free(data);
    assert_int_equal(ds_root_read_file(&t, "/up", 100, &data, &len, &e), 0);
    assert_int_equal(ds_root_read_file(&t, "/data", 100, &data, &len, &e), 0);
    assert_int_equal(ds_root_read_file(&t, "/climb", 3, &data, &len, &e), -1);
    assert_non_null(strstr(e.msg, "too large"));
    ds_root_close(&t);
}

static void collect_link(void *ud, const char *l) {
    ds_strvec *v = ud;
    if (!ds_strvec_has(v, l)) ds_strvec_push(v, l);
}

/* The cached lookup answers a path from its directory's cached result (one open for the
 * last component): it must say exactly what the full walk says, for every kind of path,
 * whichever of a path and its parents was asked first, with openat2 and without. */
static void test_cached_lookup_matches_walk(void **state) {
    (void)state;
    static const char *const paths[] = {
        "/", "/etc", "/etc/passwd", "/data/file", "/data/sub", "/abs", "/climb", "/absclimb", "/up",
        "/rootlink", "/rootlink/etc/passwd", "/rootlink/rootlink/data/subl/abs2", "/loop1", "/loop1/x",
        "/self/x", "/hop1", "/hop2", "/data/subl", "/data/subl/abs2", "/data/subl/rel2", "/data/sub/rel2",
        "/dangling", "/dangling/x", "/data/file/x", "/data/file/x/y", "/chain/c0", "/chain/c1", "/chain/c41",
        "/etc/../etc/passwd", "/data/sub/../file", "/missing", "/missing/a/b", "/data/./file", "/up/x",
        "/data/subl/../file", "/rootlink/..", "/abs/x"};
    size_t n = sizeof paths / sizeof *paths;
    for (int mode = 0; mode < 2; mode++) {
        use_openat2(mode == 0);
        for (int order = 0; order < 2; order++) {
            ds_root t;
            ds_rp w;
            ds_err e;
            assert_int_equal(ds_root_open(&t, root, &e), 0);
            open_root(&w, root);
            for (size_t k = 0; k < n; k++) {
                const char *p = paths[order ? n - 1 - k : k];
                ds_strvec links = {0};
                struct stat st;
                char *want = ds_rp_resolve(&w, p, 0, &st, collect_link, &links);
                const ds_rpath_res *x = ds_root_lookup(&t, p);
                if (want) {
                    assert_true(x->exists);
                    assert_string_equal(x->real, want);
                    assert_int_equal(x->mode, st.st_mode);
                } else {
                    assert_false(x->exists);
                }
                assert_int_equal(x->n_links, links.n);
                for (size_t i = 0; i < links.n; i++) assert_true(ds_strvec_has(&links, x->links[i]));
                free(want);
                ds_strvec_free(&links);
                /* the entry itself (a final symlink not followed) */
                struct stat ws, es;
                errno = 0;
                want = ds_rp_resolve(&w, p, DS_RP_NOFOLLOW, &ws, NULL, NULL);
                char *got = ds_root_entry(&t, p, &es);
                if (want) {
                    assert_non_null(got);
                    assert_string_equal(got, want);
                    assert_int_equal(es.st_mode, ws.st_mode);
                    assert_int_equal(es.st_ino, ws.st_ino);
                } else {
                    assert_null(got);
                }
                free(want);
                free(got);
            }
            ds_rp_close(&w);
            ds_root_close(&t);
        }
    }
}

static void test_path_clean(void **state) {
    (void)state;
    char *c = ds_path_clean("a//b/./c/");
    assert_string_equal(c, "/a/b/./c");
    free(c);
    c = ds_path_clean("///");
    assert_string_equal(c, "/");
    free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_links_resolve_inside),
        cmocka_unit_test(test_symlink_loops),
        cmocka_unit_test(test_symlink_to_symlink),
        cmocka_unit_test(test_missing_components),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_root_given_as_symlink),
        cmocka_unit_test(test_live_proc_root),
        cmocka_unit_test(test_no_symlinks_mode),
        cmocka_unit_test(test_no_xdev_mode),
        cmocka_unit_test(test_cached_lookup_records_links),
        cmocka_unit_test(test_cached_lookup_matches_walk),
        cmocka_unit_test(test_path_clean),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
