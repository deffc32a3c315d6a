/* Safe layer application: hostile tars are refused or contained and nothing is
 * ever created outside the root; whiteouts and opaque dirs follow the OCI spec;
 * metadata (modes, owners, mtimes, xattrs, hard links) is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include "fs/unpack.h"
#include "fs/layer_reader.h"
#include "fs_test_helpers.h"
#include "util/digest.h"
#include "util/fsutil.h"

typedef struct sandbox {
    char *base;     /* grandparent: "../../x" from the root would land here */
    char *parent;   /* base/p: "../x" would land here */
    char *root;     /* base/p/root */
    char *layer;    /* base/layer.tar (outside the root, inside the listing) */
    char *before;   /* listing of base without the root */
    char *token;    /* a unique name used by escape attempts */
} sandbox;

static int sb_setup(void **state) {
    sandbox *s = ds_xcalloc(1, sizeof *s);
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-unit-unpack", &s->base, &e), 0);
    s->parent = ds_xasprintf("%s/p", s->base);
    s->root = ds_xasprintf("%s/p/root", s->base);
    s->layer = ds_xasprintf("%s/layer.tar", s->base);
    assert_int_equal(ds_mkdirs(s->root, 0755, &e), 0);
    /* A file outside that hostile links aim at. */
    char *outside = ds_xasprintf("%s/outside", s->parent);
    assert_int_equal(ds_write_file_atomic(outside, "precious", 8, 0644, &e), 0);
    free(outside);
    s->token = ds_xasprintf("escape-%d", (int)getpid());
    *state = s;
    return 0;
}

static int sb_teardown(void **state) {
    sandbox *s = *state;
    ds_err e;
    ds_rmtree(s->base, &e);
    free(s->base); free(s->parent); free(s->root); free(s->layer); free(s->before); free(s->token);
    free(s);
    return 0;
}

/* Snapshot what is outside the root (the layer file is written before). */
static void sb_snapshot(sandbox *s) {
    free(s->before);
    s->before = listing(s->base, s->root);
}

/* Nothing new outside the root, the outside file untouched, no escape name in $TMPDIR or /. */
static void sb_assert_contained(sandbox *s) {
    char *after = listing(s->base, s->root);
    assert_string_equal(s->before, after);
    free(after);
    char *outside = ds_xasprintf("%s/outside", s->parent);
    char *data = read_all(outside);
    assert_non_null(data);
    assert_string_equal(data, "precious");
    struct stat st;
    assert_int_equal(lstat(outside, &st), 0);
    assert_int_equal(st.st_nlink, 1);
    free(data); free(outside);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
    char *t1 = ds_xasprintf("%s/%s", tmp, s->token), *t2 = ds_xasprintf("/%s", s->token);
    assert_false(ds_exists(t1));
    assert_false(ds_exists(t2));
    free(t1); free(t2);
}

static int apply(sandbox *s, const tar_ent *ents, size_t n, ds_err *e) {
    make_tar(s->layer, 'n', ents, n);
    sb_snapshot(s);
    ds_unpack_opts o;
    ds_unpack_opts_default(&o);
    return ds_layer_apply(s->root, s->layer, NULL, &o, e);
}

static char *in_root(sandbox *s, const char *rel) { return ds_xasprintf("%s/%s", s->root, rel); }

static void assert_in_root_file(sandbox *s, const char *rel, const char *content) {
    char *p = in_root(s, rel);
    char *d = read_all(p);
    assert_non_null(d);
    assert_string_equal(d, content);
    free(d); free(p);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_dotdot_refused(void **state) {
    sandbox *s = *state;
    char *name = ds_xasprintf("../%s", s->token);
    tar_ent t[] = {{'f', name, "x", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_non_null(strstr(e.msg, name));
    assert_non_null(strstr(e.msg, "leaves the tree"));
    sb_assert_contained(s);
    free(name);
}

static void test_dotdot_deep_refused(void **state) {
    sandbox *s = *state;
    char *name = ds_xasprintf("a/../../../%s", s->token);
    tar_ent t[] = {{'d', "a", 0, 0, 0, 0, 0, 0, 0}, {'f', name, "x", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_non_null(strstr(e.msg, name));
    sb_assert_contained(s);
    free(name);
}

static void test_absolute_contained(void **state) {
    sandbox *s = *state;
    char *name = ds_xasprintf("/%s", s->token);
    char *name2 = ds_xasprintf("/etc/%s", s->token);
    tar_ent t[] = {{'f', name, "abs", 0, 0, 0, 0, 0, 0}, {'f', name2, "abs2", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), 0);
    assert_in_root_file(s, s->token, "abs");
    char *rel2 = ds_xasprintf("etc/%s", s->token);
    assert_in_root_file(s, rel2, "abs2");
    char *real = ds_xasprintf("/etc/%s", s->token);
    assert_false(ds_exists(real));
    sb_assert_contained(s);
    free(name); free(name2); free(rel2); free(real);
}

static void test_symlink_to_slash_then_file(void **state) {
    sandbox *s = *state;
    char *through = ds_xasprintf("lnk/%s", s->token);
    tar_ent t[] = {{'l', "lnk", "/", 0, 0, 0, 0, 0, 0}, {'f', through, "through", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), 0);
    assert_in_root_file(s, s->token, "through");
    sb_assert_contained(s);
    free(through);
}

static void test_symlink_dotdot_then_file(void **state) {
    sandbox *s = *state;
    char *through = ds_xasprintf("a/up/%s", s->token);
    tar_ent t[] = {{'d', "a", 0, 0, 0, 0, 0, 0, 0},
                   {'l', "a/up", "../../../../..", 0, 0, 0, 0, 0, 0},
                   {'f', through, "through", 0, 0, 0, 0, 0, 0},
                   {'l', "rel", "../outside", 0, 0, 0, 0, 0, 0},
                   {'h', "hl-through", "a/up/rel", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    /* The hard link resolves a/up/rel in the root: the symlink "rel" itself, not ../outside. */
    assert_int_equal(apply(s, t, N(t), &e), 0);
    assert_in_root_file(s, s->token, "through");
    char *hl = in_root(s, "hl-through");
    struct stat st;
    assert_int_equal(lstat(hl, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    free(hl);
    sb_assert_contained(s);
    free(through);
}

static void test_symlink_then_file_replaces_link(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'l', "victim", "../outside", 0, 0, 0, 0, 0, 0},
                   {'f', "victim", "overwritten", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), 0);
    assert_in_root_file(s, "victim", "overwritten");
    sb_assert_contained(s);
}

static void test_hardlink_outside_refused(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'h', "h1", "../outside", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_non_null(strstr(e.msg, "'h1'"));
    sb_assert_contained(s);
    /* Absolute and through-a-symlink targets resolve inside the root, where nothing is. */
    tar_ent t2[] = {{'h', "h2", "/outside", 0, 0, 0, 0, 0, 0}};
    assert_int_equal(apply(s, t2, N(t2), &e), -1);
    assert_non_null(strstr(e.msg, "does not exist"));
    sb_assert_contained(s);
    tar_ent t3[] = {{'l', "up", "../", 0, 0, 0, 0, 0, 0}, {'h', "h3", "up/outside", 0, 0, 0, 0, 0, 0}};
    assert_int_equal(apply(s, t3, N(t3), &e), -1);
    assert_non_null(strstr(e.msg, "'h3'"));
    sb_assert_contained(s);
}

static void test_hardlink_missing_target(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'h', "dangling", "no/such/file", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_non_null(strstr(e.msg, "'dangling'"));
    assert_non_null(strstr(e.msg, "no/such/file"));
    sb_assert_contained(s);
}

static void test_symlink_replaced_by_dir(void **state) {
    sandbox *s = *state;
    tar_ent l1[] = {{'l', "d", "../", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, l1, N(l1), &e), 0);
    char *f = ds_xasprintf("d/%s", s->token);
    tar_ent l2[] = {{'d', "d", 0, 0, 0, 0, 0, 0, 0}, {'f', f, "in-dir", 0, 0, 0, 0, 0, 0}};
    assert_int_equal(apply(s, l2, N(l2), &e), 0);
    char *d = in_root(s, "d");
    struct stat st;
    assert_int_equal(lstat(d, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_in_root_file(s, f, "in-dir");
    sb_assert_contained(s);
    free(f); free(d);
}

static void test_whiteout_dotdot_refused(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'f', "sub/.wh..", "", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_non_null(strstr(e.msg, "sub/.wh.."));
    sb_assert_contained(s);
    tar_ent t2[] = {{'f', ".wh...", "", 0, 0, 0, 0, 0, 0}};
    assert_int_equal(apply(s, t2, N(t2), &e), -1);
    assert_non_null(strstr(e.msg, ".wh..."));
    sb_assert_contained(s);
    /* A whiteout through a symlink pointing up removes inside the root only. */
    tar_ent t3[] = {{'l', "up", "../", 0, 0, 0, 0, 0, 0}, {'f', "up/.wh.outside", "", 0, 0, 0, 0, 0, 0}};
    assert_int_equal(apply(s, t3, N(t3), &e), 0);
    sb_assert_contained(s);
}

static void test_opaque_and_whiteouts(void **state) {
    sandbox *s = *state;
    tar_ent l1[] = {{'d', "a", 0, 0, 0, 0, 0, 0, 0},     {'f', "a/x", "x", 0, 0, 0, 0, 0, 0},
                    {'d', "a/sub", 0, 0, 0, 0, 0, 0, 0}, {'f', "a/sub/z", "z", 0, 0, 0, 0, 0, 0},
                    {'f', "keep", "k", 0, 0, 0, 0, 0, 0}, {'f', "gone", "g", 0, 0, 0, 0, 0, 0},
                    {'d', "gdir", 0, 0, 0, 0, 0, 0, 0},  {'f', "gdir/f", "f", 0, 0, 0, 0, 0, 0},
                    {'d', "b", 0, 0, 0, 0, 0, 0, 0},     {'f', "b/old", "o", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, l1, N(l1), &e), 0);
    /* Layer 2: "a" opaque with its marker after a same-layer child; "b" opaque first. */
    tar_ent l2[] = {{'d', "a", 0, 0, 0, 0, 0, 0, 0},
                    {'d', "a/sub", 0, 0, 0, 0, 0, 0, 0},
                    {'f', "a/sub/w", "w", 0, 0, 0, 0, 0, 0},
                    {'f', "a/new", "n", 0, 0, 0, 0, 0, 0},
                    {'f', "a/.wh..wh..opq", "", 0, 0, 0, 0, 0, 0},
                    {'d', "b", 0, 0, 0, 0, 0, 0, 0},
                    {'f', "b/.wh..wh..opq", "", 0, 0, 0, 0, 0, 0},
                    {'f', "b/new", "bn", 0, 0, 0, 0, 0, 0},
                    {'f', ".wh.gone", "", 0, 0, 0, 0, 0, 0},
                    {'f', ".wh.gdir", "", 0, 0, 0, 0, 0, 0},
                    {'f', ".wh.never-existed", "", 0, 0, 0, 0, 0, 0},
                    {'f', "nodir/.wh.x", "", 0, 0, 0, 0, 0, 0}};
    if (apply(s, l2, N(l2), &e) != 0) fail_msg("%s", e.msg);
    char *got = listing(s->root, NULL);
    char *want = ds_xasprintf("%1$s/a\n%1$s/a/new\n%1$s/a/sub\n%1$s/a/sub/w\n%1$s/b\n%1$s/b/new\n%1$s/keep\n", s->root);
    assert_string_equal(got, want);
    free(got); free(want);
    sb_assert_contained(s);
}

static void test_whiteout_same_layer_kept(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'f', "f", "mine", 0, 0, 0, 0, 0, 0}, {'f', ".wh.f", "", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), 0);
    assert_in_root_file(s, "f", "mine");
}

static void test_metadata_kept(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'d', "bin", 0, 0750, 0, 0, 1111111, 0, 0},
                   {'f', "bin/su", "suid", 04755, 0, 0, 2222222, 0, 0},
                   {'f', "bin/owned", "o", 0640, 1234, 5678, 3333333, "user.distill", "yes"},
                   {'h', "bin/su-link", "bin/su", 0, 0, 0, 0, 0, 0},
                   {'l', "bin/ln", "su", 0, 42, 43, 4444444, 0, 0},
                   {'p', "fifo", 0, 0, 0, 0, 5555555, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), 0);
    struct stat st, st2;
    char *p = in_root(s, "bin/su");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 04755);
    assert_int_equal(st.st_mtime, 2222222);
    char *p2 = in_root(s, "bin/su-link");
    assert_int_equal(lstat(p2, &st2), 0);
    assert_int_equal(st.st_ino, st2.st_ino);
    free(p); free(p2);
    p = in_root(s, "bin");
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(st.st_mtime, 1111111); /* set after its children were written */
    free(p);
    p = in_root(s, "bin/owned");
    assert_int_equal(lstat(p, &st), 0);
    if (geteuid() == 0) { assert_int_equal(st.st_uid, 1234); assert_int_equal(st.st_gid, 5678); }
    char v[16] = {0};
    ssize_t n = getxattr(p, "user.distill", v, sizeof v - 1);
    if (n >= 0 || errno != ENOTSUP) { assert_int_equal(n, 3); assert_string_equal(v, "yes"); }
    free(p);
    p = in_root(s, "bin/ln");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(st.st_mtime, 4444444);
    if (geteuid() == 0) assert_int_equal(st.st_uid, 42);
    free(p);
    p = in_root(s, "fifo");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0644);
    free(p);
}

static void test_devices_skipped_when_not_allowed(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'c', "null", 0, 0, 0, 0, 0, 0, 0}, {'f', "after", "a", 0, 0, 0, 0, 0, 0}};
    make_tar(s->layer, 'n', t, N(t));
    size_t skipped = 0;
    ds_unpack_opts o;
    ds_unpack_opts_default(&o);
    o.allow_devices = false;
    o.skipped_devices = &skipped;
    ds_err e;
    assert_int_equal(ds_layer_apply(s->root, s->layer, NULL, &o, &e), 0);
    assert_int_equal(skipped, 1);
    char *p = in_root(s, "null");
    assert_false(ds_exists(p));
    free(p);
    assert_in_root_file(s, "after", "a");
    if (geteuid() == 0) {
        o.allow_devices = true;
        assert_int_equal(ds_layer_apply(s->root, s->layer, NULL, &o, &e), 0);
        struct stat st;
        p = in_root(s, "null");
        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        free(p);
    }
}

static void test_compressions_sniffed(void **state) {
    sandbox *s = *state;
    const char kinds[] = {'g', 'z', 'n'};
    const char *mts[] = {"application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+zstd",
                         "application/vnd.oci.image.layer.v1.tar"};
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "file-%c", kinds[i]);
        tar_ent t[] = {{'f', name, "compressed", 0, 0, 0, 0, 0, 0}};
        make_tar(s->layer, kinds[i], t, 1);
        ds_err e;
        assert_int_equal(ds_layer_apply(s->root, s->layer, NULL, NULL, &e), 0);
        assert_in_root_file(s, name, "compressed");
        assert_int_equal(ds_layer_apply(s->root, s->layer, mts[i], NULL, &e), 0);
    }
}

/* Zeros become holes (a zstd layer of zeros is ~30000:1: writing them would let a
 * small blob fill the disk); data around them, and a zero tail, are kept. */
typedef struct { int calls; char sha[DS_DIGEST_LEN + 1]; } seen_hash;
static void on_file(void *ud, int fd, const char *sha256) {
    seen_hash *h = ud;
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0); /* the written file itself, still open */
    assert_true(S_ISREG(st.st_mode));
    h->calls++;
    snprintf(h->sha, sizeof h->sha, "%s", sha256);
}

static void test_zeros_unpacked_as_holes(void **state) {
    sandbox *s = *state;
    const size_t mb = 1 << 20, size = 16 * mb;
    char *data = ds_xcalloc(1, size);
    memcpy(data + 3 * mb, "middle", 6);
    memcpy(data, "head", 4);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, s->layer), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "zeros");
    archive_entry_set_mode(e, AE_IFREG | 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, size), (la_ssize_t)size);
    archive_entry_free(e);
    archive_write_free(a);
    ds_err err;
    /* The hash taken while writing (on_file) covers the skipped zero blocks and the trailing hole. */
    ds_unpack_opts o;
    ds_unpack_opts_default(&o);
    seen_hash seen = {0};
    o.on_file = on_file;
    o.on_file_ud = &seen;
    assert_int_equal(ds_layer_apply(s->root, s->layer, NULL, &o, &err), 0);
    char want[DS_DIGEST_LEN + 1];
    ds_sha256_buf(data, size, want);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.sha, want);
    char *p = in_root(s, "zeros");
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_size, (off_t)size);
    assert_true(st.st_blocks * 512 < (blkcnt_t)(4 * mb)); /* most of it is holes */
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char *back = ds_xmalloc(size);
    assert_int_equal(fread(back, 1, size, f), size);
    fclose(f);
    assert_memory_equal(back, data, size);
    free(back); free(data); free(p);
}

/* A hostile name in an error: control bytes escaped (one line), cut to fit a ds_err. */
static void test_error_names_are_one_line(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'f', "evil\nname\x1b[31m/../x", "x", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_null(strchr(e.msg, '\n'));
    assert_null(strchr(e.msg, '\x1b'));
    assert_non_null(strstr(e.msg, "'evil\\x0Aname\\x1B[31m/../x': name leaves the tree"));
    char *nl = ds_xmalloc(2001);
    memset(nl, '\n', 2000);
    nl[2000] = 0;
    char *txt = ds_entry_text(nl);
    assert_true(strlen(txt) <= 310);
    assert_non_null(strstr(txt, "..."));
    free(txt); free(nl);
    sb_assert_contained(s);
}

static void test_garbage_is_an_error(void **state) {
    sandbox *s = *state;
    ds_err e;
    assert_int_equal(ds_write_file_atomic(s->layer, "\x1f\x8b\x08garbage-not-gzip", 20, 0644, &e), 0);
    assert_int_equal(ds_layer_apply(s->root, s->layer, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, s->layer));
}

static void test_parent_is_file(void **state) {
    sandbox *s = *state;
    tar_ent t[] = {{'f', "plain", "p", 0, 0, 0, 0, 0, 0}, {'f', "plain/child", "c", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_non_null(strstr(e.msg, "plain/child"));
    sb_assert_contained(s);
}

static void test_long_name_refused(void **state) {
    sandbox *s = *state;
    char *name = ds_xmalloc(6001);
    for (int i = 0; i < 6000; i += 2) { name[i] = 'a'; name[i + 1] = '/'; }
    name[5999] = 'f';
    name[6000] = 0;
    tar_ent t[] = {{'f', name, "deep", 0, 0, 0, 0, 0, 0}};
    ds_err e;
    assert_int_equal(apply(s, t, N(t), &e), -1);
    assert_non_null(strstr(e.msg, "name too long"));
    char *a = in_root(s, "a");
    assert_false(ds_exists(a));
    free(a); free(name);
    sb_assert_contained(s);
}

/* Not root: a read-only directory from a lower layer still takes a later layer's
 * entries and whiteouts, and keeps its mode. Run in a child that becomes nobody. */
static void test_not_root_read_only_dirs(void **state) {
    sandbox *s = *state;
    if (geteuid() != 0) { skip(); return; }
    char *root = ds_xasprintf("%s/nobody-root", s->base);
    char *l1 = ds_xasprintf("%s/l1.tar", s->base), *l2 = ds_xasprintf("%s/l2.tar", s->base), *l3 = ds_xasprintf("%s/l3.tar", s->base);
    tar_ent t1[] = {{'d', "ro", 0, 0555, 0, 0, 0, 0, 0}, {'f', "ro/a", "a", 0444, 0, 0, 0, 0, 0},
                    {'d', "gone", 0, 0500, 0, 0, 0, 0, 0}, {'d', "gone/sub", 0, 0500, 0, 0, 0, 0, 0},
                    {'f', "gone/sub/f", "f", 0400, 0, 0, 0, 0, 0}, {'d', "zero", 0, 0100, 0, 0, 0, 0, 0}};
    /* zero/ (mode 0100: no read, no write) cannot be opened to be made writable. */
    tar_ent t2[] = {{'f', "ro/b", "b", 0, 0, 0, 0, 0, 0}, {'f', "ro/.wh.a", "", 0, 0, 0, 0, 0, 0},
                    {'f', "zero/f", "z", 0, 0, 0, 0, 0, 0}};
    tar_ent t3[] = {{'f', ".wh.gone", "", 0, 0, 0, 0, 0, 0}};
    make_tar(l1, 'n', t1, 1 * N(t1));
    make_tar(l2, 'n', t2, N(t2));
    make_tar(l3, 'n', t3, N(t3));
    assert_int_equal(chmod(s->base, 0755), 0);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(chown(root, 65534, 65534), 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0) _exit(90);
        ds_err e;
        const char *layers[] = {l1, l2, l3};
        for (int i = 0; i < 3; i++)
            if (ds_layer_apply(root, layers[i], NULL, NULL, &e) < 0) { fprintf(stderr, "%s\n", e.msg); _exit(10 + i); }
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *b = ds_xasprintf("%s/ro/b", root), *a = ds_xasprintf("%s/ro/a", root), *ro = ds_xasprintf("%s/ro", root);
    char *gone = ds_xasprintf("%s/gone", root);
    assert_true(ds_exists(b));
    assert_false(ds_exists(a));
    assert_false(ds_exists(gone));
    struct stat st;
    assert_int_equal(lstat(ro, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0555);
    assert_int_equal(st.st_uid, 65534);
    char *zero = ds_xasprintf("%s/zero", root), *zf = ds_xasprintf("%s/zero/f", root);
    assert_true(ds_exists(zf));
    assert_int_equal(lstat(zero, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0100);
    free(zero); free(zf);
    free(b); free(a); free(ro); free(gone); free(root); free(l1); free(l2); free(l3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, sb_setup, sb_teardown)
int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_dotdot_refused),          T(test_dotdot_deep_refused),
        T(test_absolute_contained),      T(test_symlink_to_slash_then_file),
        T(test_symlink_dotdot_then_file), T(test_symlink_then_file_replaces_link),
        T(test_hardlink_outside_refused), T(test_hardlink_missing_target),
        T(test_symlink_replaced_by_dir), T(test_whiteout_dotdot_refused),
        T(test_opaque_and_whiteouts),    T(test_whiteout_same_layer_kept),
        T(test_metadata_kept),           T(test_devices_skipped_when_not_allowed),
        T(test_compressions_sniffed),    T(test_garbage_is_an_error),
        T(test_parent_is_file),          T(test_long_name_refused),
        T(test_not_root_read_only_dirs), T(test_zeros_unpacked_as_holes),
        T(test_error_names_are_one_line),
    };
    /* Once with openat2, once with the component walk used where openat2 is missing. */
    setenv("DISTILL_NO_OPENAT2", "0", 1);
    int failed = cmocka_run_group_tests_name("openat2", tests, NULL, NULL);
    setenv("DISTILL_NO_OPENAT2", "1", 1);
    failed += cmocka_run_group_tests_name("component-walk", tests, NULL, NULL);
    return failed;
}
