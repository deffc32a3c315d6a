/* Deterministic layers: the same tree twice (and with other mtimes) gives the same
 * digests; entries sorted, numeric owners only, fixed mtime, hard links kept; the
 * layer unpacks back to the same tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "fs/layer_writer.h"
#include "fs/unpack.h"
#include "fs_test_helpers.h"
#include "util/fsutil.h"
#include "util/gz_cache.h"

typedef struct fx { char *dir, *tree, *out; } fx;

static void put(const char *tree, const char *rel, const char *data, mode_t mode) {
    ds_err e;
    char *p = ds_xasprintf("%s/%s", tree, rel);
    assert_int_equal(ds_write_file_atomic(p, data, strlen(data), mode, &e), 0);
    assert_int_equal(chmod(p, mode), 0);
    free(p);
}

static int setup(void **state) {
    fx *f = ds_xcalloc(1, sizeof *f);
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-unit-writer", &f->dir, &e), 0);
    f->tree = ds_xasprintf("%s/tree", f->dir);
    f->out = ds_xasprintf("%s/out", f->dir);
    char *sub = ds_xasprintf("%s/usr/bin", f->tree);
    assert_int_equal(ds_mkdirs(sub, 0755, &e), 0);
    assert_int_equal(ds_mkdirs(f->out, 0755, &e), 0);
    free(sub);
    put(f->tree, "usr/bin/tool", "#!/bin/true\n", 04755);
    put(f->tree, "zeta", "last", 0600);
    put(f->tree, "alpha", "first", 0644);
    put(f->tree, "usr/bin/a-b", "dash sorts before slash", 0644);
    char *a = ds_xasprintf("%s/usr/bin/tool", f->tree), *b = ds_xasprintf("%s/usr/bin/tool-hardlink", f->tree);
    assert_int_equal(link(a, b), 0);
    free(a); free(b);
    char *l = ds_xasprintf("%s/usr/bin/link", f->tree);
    assert_int_equal(symlink("tool", l), 0);
    free(l);
    char *o = ds_xasprintf("%s/alpha", f->tree);
    assert_int_equal(lchown(o, 4321, 8765), 0);
    free(o);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    ds_err e;
    ds_rmtree(f->dir, &e);
    free(f->dir); free(f->tree); free(f->out); free(f);
    return 0;
}

static void write_layer(fx *f, ds_compress c, ds_layer_out *o) {
    ds_err e;
    if (ds_layer_write_tree(f->tree, c, f->out, NULL, NULL, o, &e) != 0) fail_msg("%s", e.msg);
    char d[DS_DIGEST_LEN + 1];
    uint64_t size;
    assert_int_equal(ds_sha256_file(o->blob_path, d, &size, &e), 0);
    assert_string_equal(d, o->digest);
    assert_int_equal((int64_t)size, o->size);
}

static void touch_all(fx *f, time_t t) {
    const char *rels[] = {"alpha", "zeta", "usr", "usr/bin", "usr/bin/tool", "usr/bin/a-b"};
    for (size_t i = 0; i < 6; i++) {
        char *p = ds_xasprintf("%s/%s", f->tree, rels[i]);
        struct timespec ts[2] = {{t, 123}, {t, 456}};
        assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
        free(p);
    }
}

static void test_same_tree_same_digests(void **state) {
    fx *f = *state;
    ds_compress kinds[] = {DS_COMPRESS_GZIP, DS_COMPRESS_ZSTD, DS_COMPRESS_NONE};
    for (int k = 0; k < 3; k++) {
        ds_layer_out a, b, c;
        touch_all(f, 1000);
        write_layer(f, kinds[k], &a);
        write_layer(f, kinds[k], &b);
        touch_all(f, 2000000000);
        write_layer(f, kinds[k], &c);
        assert_string_equal(a.digest, b.digest);
        assert_string_equal(a.diff_id, b.diff_id);
        assert_string_equal(a.digest, c.digest);
        assert_string_equal(a.diff_id, c.diff_id);
        if (kinds[k] == DS_COMPRESS_NONE) assert_string_equal(a.digest, a.diff_id);
        else assert_string_not_equal(a.digest, a.diff_id);
        unlink(a.blob_path); unlink(b.blob_path); unlink(c.blob_path);
        ds_layer_out_free(&a); ds_layer_out_free(&b); ds_layer_out_free(&c);
    }
    /* A content change changes the digest. */
    ds_layer_out a, b;
    write_layer(f, DS_COMPRESS_GZIP, &a);
    put(f->tree, "zeta", "LAST", 0600);
    write_layer(f, DS_COMPRESS_GZIP, &b);
    assert_string_not_equal(a.diff_id, b.diff_id);
    unlink(a.blob_path); unlink(b.blob_path);
    ds_layer_out_free(&a); ds_layer_out_free(&b);
}

/* keep_tar: the kept tar is the layer uncompressed, byte for byte (it hashes to the diff ID),
 * and the blob is the same as without it; an uncompressed layer needs no second copy. */
static void test_keep_tar(void **state) {
    fx *f = *state;
    ds_compress kinds[] = {DS_COMPRESS_GZIP, DS_COMPRESS_ZSTD, DS_COMPRESS_NONE};
    for (int k = 0; k < 3; k++) {
        ds_layer_out plain, kept;
        ds_err e;
        write_layer(f, kinds[k], &plain);
        assert_null(plain.tar_path);
        if (ds_layer_write_tree_with(f->tree, kinds[k], f->out, &(ds_layer_write_opts){.keep_tar = true}, &kept, &e) != 0)
            fail_msg("%s", e.msg);
        assert_string_equal(plain.digest, kept.digest);
        assert_string_equal(plain.diff_id, kept.diff_id);
        if (kinds[k] == DS_COMPRESS_NONE) {
            assert_null(kept.tar_path);
        } else {
            assert_non_null(kept.tar_path);
            char d[DS_DIGEST_LEN + 1];
            uint64_t size;
            assert_int_equal(ds_sha256_file(kept.tar_path, d, &size, &e), 0);
            assert_string_equal(d, kept.diff_id);
            assert_int_equal((int64_t)size, kept.uncompressed_size);
            unlink(kept.tar_path);
        }
        unlink(plain.blob_path); unlink(kept.blob_path);
        ds_layer_out_free(&plain); ds_layer_out_free(&kept);
    }
    /* Nothing else is left in out_dir: no temp tar. */
    assert_int_equal(ds_dir_empty(f->out), 1);
}

static void test_headers_are_normalised(void **state) {
    fx *f = *state;
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    ds_layer_out o;
    write_layer(f, DS_COMPRESS_ZSTD, &o);
    unsetenv("SOURCE_DATE_EPOCH");
    assert_string_equal(o.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_zstd(a);
    assert_int_equal(archive_read_open_filename(a, o.blob_path, 65536), ARCHIVE_OK);
    struct archive_entry *e;
    char prev[4096] = "";
    int n = 0, saw_hardlink = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(e);
        assert_true(strcmp(prev, p) < 0);
        snprintf(prev, sizeof prev, "%s", p);
        assert_int_equal(archive_entry_mtime(e), 1700000000);
        assert_false(archive_entry_atime_is_set(e));
        assert_false(archive_entry_ctime_is_set(e));
        const char *un = archive_entry_uname(e), *gn = archive_entry_gname(e);
        assert_true(!un || !*un);
        assert_true(!gn || !*gn);
        if (!strcmp(p, "alpha")) { assert_int_equal(archive_entry_uid(e), 4321); assert_int_equal(archive_entry_gid(e), 8765); }
        if (!strcmp(p, "usr/bin/tool")) assert_int_equal(archive_entry_mode(e) & 07777, 04755);
        if (!strcmp(p, "usr/bin/tool-hardlink")) {
            assert_string_equal(archive_entry_hardlink(e), "usr/bin/tool");
            saw_hardlink = 1;
        }
        n++;
    }
    archive_read_free(a);
    assert_int_equal(n, 8);
    assert_true(saw_hardlink);
    /* And it unpacks to the same tree. */
    char *root = ds_xasprintf("%s/unpacked", f->dir);
    ds_err err;
    assert_int_equal(ds_mkdirs(root, 0755, &err), 0);
    if (ds_layer_apply(root, o.blob_path, o.media_type, NULL, &err) != 0) fail_msg("%s", err.msg);
    char *p1 = ds_xasprintf("%s/usr/bin/tool", root), *p2 = ds_xasprintf("%s/usr/bin/tool-hardlink", root);
    struct stat s1, s2;
    assert_int_equal(lstat(p1, &s1), 0);
    assert_int_equal(lstat(p2, &s2), 0);
    assert_int_equal(s1.st_ino, s2.st_ino);
    assert_int_equal(s1.st_mode & 07777, 04755);
    assert_int_equal(s1.st_mtime, 1700000000);
    char *data = read_all(p1);
    assert_string_equal(data, "#!/bin/true\n");
    free(data); free(p1); free(p2); free(root);
    unlink(o.blob_path);
    ds_layer_out_free(&o);
}

static int only_usr(const char *rel, void *arg) {
    (*(int *)arg)++;
    return !strncmp(rel, "usr", 3);
}

static void test_filter(void **state) {
    fx *f = *state;
    ds_layer_out o;
    ds_err e;
    int calls = 0;
    assert_int_equal(ds_layer_write_tree(f->tree, DS_COMPRESS_NONE, f->out, only_usr, &calls, &o, &e), 0);
    assert_int_equal(calls, 8);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_filename(a, o.blob_path, 65536), ARCHIVE_OK);
    struct archive_entry *ent;
    int n = 0;
    while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
        assert_int_equal(strncmp(archive_entry_pathname(ent), "usr", 3), 0);
        n++;
    }
    archive_read_free(a);
    assert_int_equal(n, 6);
    unlink(o.blob_path);
    ds_layer_out_free(&o);
}

static void test_missing_tree_is_an_error(void **state) {
    fx *f = *state;
    ds_layer_out o;
    ds_err e;
    char *nope = ds_xasprintf("%s/nope", f->dir);
    assert_int_equal(ds_layer_write_tree(nope, DS_COMPRESS_GZIP, f->out, NULL, NULL, &o, &e), -1);
    assert_non_null(strstr(e.msg, nope));
    free(nope);
    ds_compress c;
    assert_int_equal(ds_compress_parse("lz4", &c, &e), -1);
    assert_non_null(strstr(e.msg, "lz4"));
    /* Nothing left behind in out/. */
    char *l = listing(f->out, NULL);
    assert_string_equal(l, "");
    free(l);
}

/* pseudo-random bytes that deflate cannot shrink much, and a compressible tail */
static unsigned char *big_data(size_t n, unsigned seed) {
    unsigned char *b = ds_xmalloc(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        b[i] = i % 3 ? (unsigned char)x : (unsigned char)(i >> 9);
    }
    return b;
}

static void put_bytes(const char *tree, const char *rel, const unsigned char *data, size_t n) {
    ds_err e;
    char *p = ds_xasprintf("%s/%s", tree, rel);
    assert_int_equal(ds_write_file_atomic(p, data, n, 0644, &e), 0);
    free(p);
}

static void *slurp(const char *path, size_t *n) {
    char *data = NULL;
    ds_err e;
    assert_int_equal(ds_read_file(path, &data, n, 0, &e), 0);
    return data;
}

/* A big file's data is in gzip members of its own (DS_GZ_FILE_ALIGN): members made ahead
 * from its pieces are what the layer holds, and a writer given them makes the very same
 * blob; members of other bytes of the same length are not used. */
static void test_big_file_members(void **state) {
    fx *f = *state;
    ds_err e;
    size_t n = 2 * DS_GZ_MEMBER + 12345; /* two whole pieces and a short one */
    unsigned char *big = big_data(n, 7);
    put_bytes(f->tree, "usr/bin/big", big, n);
    ds_layer_out plain, with, other;
    write_layer(f, DS_COMPRESS_GZIP, &plain);
    size_t blob_len;
    unsigned char *blob = slurp(plain.blob_path, &blob_len);
    ds_gz_cache *cache = ds_gz_cache_new(DS_GZIP_LAYER_LEVEL);
    for (size_t off = 0; off < n; off += DS_GZ_MEMBER) {
        size_t len = n - off < DS_GZ_MEMBER ? n - off : DS_GZ_MEMBER;
        assert_int_equal(ds_gz_cache_add(cache, big + off, len), 0);
        size_t mlen;
        const void *m = ds_gz_cache_find(cache, big + off, len, &mlen);
        assert_non_null(m);
        assert_non_null(memmem(blob, blob_len, m, mlen)); /* a member of the layer as it is */
    }
    size_t pieces, bytes;
    ds_gz_cache_stats(cache, &pieces, &bytes);
    assert_int_equal(pieces, 3);
    assert_int_equal(bytes, n);
    ds_layer_write_opts o = {.gz_cache = cache};
    if (ds_layer_write_tree_with(f->tree, DS_COMPRESS_GZIP, f->out, &o, &with, &e) != 0) fail_msg("%s", e.msg);
    assert_string_equal(with.digest, plain.digest);
    assert_string_equal(with.diff_id, plain.diff_id);
    size_t with_len;
    unsigned char *with_blob = slurp(with.blob_path, &with_len);
    assert_int_equal(with_len, blob_len);
    assert_memory_equal(with_blob, blob, blob_len);
    /* the tar inside is the one diff_id names */
    unsigned char *tar = NULL;
    size_t tar_len = 0;
    assert_int_equal(ds_gunzip_mem(with_blob, with_len, DS_GUNZIP_MEM_LIMIT, "layer", &tar, &tar_len, &e), 0);
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_buf(tar, tar_len, d);
    assert_string_equal(d, with.diff_id);
    free(tar);
    /* other bytes, the same lengths: nothing found, the layer compressed as usual */
    ds_gz_cache *wrong = ds_gz_cache_new(DS_GZIP_LAYER_LEVEL);
    unsigned char *alt = big_data(n, 8);
    for (size_t off = 0; off < n; off += DS_GZ_MEMBER)
        assert_int_equal(ds_gz_cache_add(wrong, alt + off, n - off < DS_GZ_MEMBER ? n - off : DS_GZ_MEMBER), 0);
    size_t mlen;
    assert_null(ds_gz_cache_find(wrong, big, DS_GZ_MEMBER, &mlen));
    ds_layer_write_opts ow = {.gz_cache = wrong};
    if (ds_layer_write_tree_with(f->tree, DS_COMPRESS_GZIP, f->out, &ow, &other, &e) != 0) fail_msg("%s", e.msg);
    assert_string_equal(other.digest, plain.digest);
    unlink(plain.blob_path); unlink(with.blob_path); unlink(other.blob_path);
    ds_layer_out_free(&plain); ds_layer_out_free(&with); ds_layer_out_free(&other);
    ds_gz_cache_free(cache);
    ds_gz_cache_free(wrong);
    free(blob); free(with_blob); free(big); free(alt);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_same_tree_same_digests), T(test_keep_tar), T(test_headers_are_normalised), T(test_filter), T(test_missing_tree_is_an_error),
        T(test_big_file_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
