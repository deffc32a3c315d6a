/* The one passwd/group reader (fs/passwd.h) on hostile files: long lines, missing fields,
 * no newline at the end, NUL bytes, comments, symlinks out of the root, a FIFO. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "build/build.h"
#include "fs/passwd.h"
#include "util/fsutil.h"

static char *root;

static int setup(void **state) {
    (void)state;
    ds_err e;
    if (ds_mkdtemp("distill-test-passwd", &root, &e) < 0) return -1;
    char *etc = ds_xasprintf("%s/etc", root);
    int r = mkdir(etc, 0755);
    free(etc);
    return r;
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(root, &e);
    free(root);
    return 0;
}

static void put(const char *name, const void *data, size_t len) {
    char *p = ds_xasprintf("%s/etc/%s", root, name);
    unlink(p);
    ds_err e;
    assert_int_equal(ds_write_file_atomic(p, data, len, 0644, &e), 0);
    free(p);
}

static void test_parse_shapes(void **state) {
    (void)state;
    const char txt[] = "# a comment\n\nroot:x:0:0:root:/root:/bin/bash\nshort:x\n"
                       "many:x:1:2:g:/h:/s:extra:more\nlast:x:7:7::/:/sbin/nologin"; /* no final newline */
    ds_passwd_file t;
    ds_passwd_parse(txt, sizeof txt - 1, 3, &t);
    assert_true(t.present);
    assert_int_equal(t.n, 5); /* blank line dropped, the rest kept */
    assert_int_equal(t.rows[0].nf, 0);
    assert_string_equal(t.rows[0].line, "# a comment");
    assert_int_equal(t.rows[1].nf, 7);
    assert_string_equal(t.rows[1].f[DS_PW_SHELL], "/bin/bash");
    assert_int_equal(t.rows[2].nf, 0); /* two fields: junk, kept as a line */
    assert_string_equal(t.rows[2].line, "short:x");
    assert_int_equal(t.rows[3].nf, 9);
    assert_string_equal(t.rows[3].f[8], "more");
    assert_int_equal(t.rows[4].nf, 7);
    assert_string_equal(t.rows[4].f[DS_PW_SHELL], "/sbin/nologin");
    assert_string_equal(t.rows[4].f[DS_PW_GECOS], "");
    assert_non_null(ds_passwd_find(&t, DS_PW_NAME, "last"));
    assert_null(ds_passwd_find(&t, DS_PW_NAME, "short")); /* junk rows are never matched */
    assert_null(ds_passwd_find(&t, 9, "x"));              /* a field past the end */
    ds_passwd_free(&t);
    /* More fields than DS_PASSWD_MAXF: the rest stays joined in the last. */
    ds_passwd_parse("a:b:c:d:e:f:g:h:i:j:k:l:m:n", 27, 3, &t);
    assert_int_equal(t.rows[0].nf, DS_PASSWD_MAXF);
    assert_string_equal(t.rows[0].f[DS_PASSWD_MAXF - 1], "l:m:n");
    ds_passwd_free(&t);
    /* Nothing at all. */
    ds_passwd_parse("", 0, 3, &t);
    assert_true(t.present);
    assert_int_equal(t.n, 0);
    ds_passwd_free(&t);
    ds_passwd_parse("\n\n\n", 3, 3, &t);
    assert_int_equal(t.n, 0);
    ds_passwd_free(&t);
}

static void test_hostile_files(void **state) {
    (void)state;
    /* A 1 MiB line, then a real one: both read, no truncation into a fake entry. */
    size_t big = 1 << 20;
    char *buf = ds_xmalloc(big + 64);
    memset(buf, 'a', big);
    memcpy(buf + big - 10, ":x:0:0::/:", 10);
    const char tail[] = "\napp:x:1000:1000::/home/app:/bin/sh";
    memcpy(buf + big, tail, sizeof tail);
    put("passwd", buf, big + sizeof tail - 1);
    free(buf);
    ds_passwd_file t;
    ds_err e = {0};
    assert_int_equal(ds_passwd_read(root, "/etc/passwd", 7, &t, &e), 0);
    assert_true(t.present);
    assert_int_equal(t.n, 2);
    assert_int_equal(strlen(t.rows[0].f[0]), big - 10);
    assert_non_null(ds_passwd_find(&t, DS_PW_NAME, "app"));
    ds_passwd_free(&t);
    /* A NUL byte ends its line; the next line is still read. */
    const char nul[] = "evil\0:x:0:0::/:/bin/sh\nok:x:5:5::/:/bin/false\n";
    put("passwd", nul, sizeof nul - 1);
    assert_int_equal(ds_passwd_read(root, "/etc/passwd", 7, &t, &e), 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.rows[0].nf, 0);
    assert_null(ds_passwd_find(&t, DS_PW_UID, "0"));
    assert_non_null(ds_passwd_find(&t, DS_PW_NAME, "ok"));
    ds_passwd_free(&t);
    /* Missing file: present false, not an error. */
    assert_int_equal(ds_passwd_read(root, "/etc/nope", 3, &t, &e), 0);
    assert_false(t.present);
    ds_passwd_free(&t);
    /* A symlink to a file of this machine resolves inside the root: not found there ... */
    char *lp = ds_xasprintf("%s/etc/group", root);
    assert_int_equal(access("/etc/hostname", F_OK) == 0 || access("/etc/os-release", F_OK) == 0, 1);
    assert_int_equal(symlink(access("/etc/hostname", F_OK) == 0 ? "/etc/hostname" : "/etc/os-release", lp), 0);
    assert_int_equal(ds_passwd_read(root, "/etc/group", 3, &t, &e), 0);
    assert_false(t.present);
    ds_passwd_free(&t);
    unlink(lp);
    /* ... and an absolute /etc/passwd is the image's own, not this machine's. */
    assert_int_equal(symlink("/etc/passwd", lp), 0);
    assert_int_equal(ds_passwd_read(root, "/etc/group", 3, &t, &e), 0);
    assert_true(t.present);
    assert_int_equal(t.n, 2);
    assert_non_null(ds_passwd_find(&t, DS_PW_NAME, "ok"));
    ds_passwd_free(&t);
    unlink(lp);
    /* ... and ../../ climbs stop at the root: it reaches the image's own /etc/passwd. */
    assert_int_equal(symlink("../../../../../../etc/passwd", lp), 0);
    assert_int_equal(ds_passwd_read(root, "/etc/group", 3, &t, &e), 0);
    assert_true(t.present);
    assert_non_null(ds_passwd_find(&t, DS_PW_NAME, "ok"));
    ds_passwd_free(&t);
    unlink(lp);
    /* A FIFO does not hang the reader, a directory is not a file. */
    assert_int_equal(mkfifo(lp, 0644), 0);
    assert_int_equal(ds_passwd_read(root, "/etc/group", 3, &t, &e), 0);
    assert_false(t.present);
    ds_passwd_free(&t);
    unlink(lp);
    assert_int_equal(mkdir(lp, 0755), 0);
    assert_int_equal(ds_passwd_read(root, "/etc/group", 3, &t, &e), 0);
    assert_false(t.present);
    ds_passwd_free(&t);
    rmdir(lp);
    free(lp);
}

static void test_ids(void **state) {
    (void)state;
    unsigned id = 7;
    assert_int_equal(ds_passwd_id("0", &id), 0);
    assert_int_equal(id, 0);
    assert_int_equal(ds_passwd_id("4294967295", &id), 0);
    assert_int_equal(id, 4294967295u);
    const char *bad[] = {"", "4294967296", "-1", "+1", " 1", "1 ", "0x10", "12a", "99999999999", NULL};
    for (size_t i = 0; bad[i]; i++) {
        id = 7;
        if (ds_passwd_id(bad[i], &id) == 0) fail_msg("'%s' accepted as an id", bad[i]);
        assert_int_equal(id, 7);
    }
    assert_int_equal(ds_passwd_id(NULL, &id), -1);
}

/* The build's user lookup on a hostile passwd: a non-numeric uid is never uid 0. */
static void test_user_resolve(void **state) {
    (void)state;
    const char pw[] = "root:x:0:0::/root:/bin/sh\nodd:x:abc:def::/:/bin/sh\napp:x:1000:1001::/h:/bin/sh";
    put("passwd", pw, sizeof pw - 1);
    const char gr[] = "root:x:0:\nstaff:x:50:app";
    put("group", gr, sizeof gr - 1);
    uint32_t uid = 9, gid = 9;
    ds_err e = {0};
    assert_int_equal(ds_user_resolve(root, "app", &uid, &gid, &e), 0);
    assert_int_equal(uid, 1000);
    assert_int_equal(gid, 1001);
    assert_int_equal(ds_user_resolve(root, "app:staff", &uid, &gid, &e), 0);
    assert_int_equal(gid, 50);
    assert_int_equal(ds_user_resolve(root, "odd", &uid, &gid, &e), -1);
    assert_non_null(strstr(e.msg, "not in the image's /etc/passwd"));
    assert_int_equal(ds_user_resolve(root, "app:nogroup", &uid, &gid, &e), -1);
    assert_non_null(strstr(e.msg, "nogroup"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_shapes),
        cmocka_unit_test(test_hostile_files),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_user_resolve),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
