/* The layer reader: gzip layers decompressed in memory (several members, zero padding,
 * growth past the size hint, the size limit), mislabelled and zstd layers, and corrupt
 * or truncated gzip still failing with the blob named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <libdeflate.h>
#include "fs/layer_reader.h"
#include "fs/unpack.h"
#include "fs_test_helpers.h"
#include "util/compress.h"
#include "util/fsutil.h"

static char *dir;

static int setup(void **state) {
    (void)state;
    ds_err e;
    return ds_mkdtemp("distill-test-reader", &dir, &e);
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(dir, &e);
    free(dir);
    return 0;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* in[0..len) as gzip members cut at the given offsets (ascending, < len), then `pad` zero bytes. */
static char *gzip_members(const char *name, const void *in, size_t len, const size_t *cuts, size_t ncuts,
                          size_t pad, size_t *out_len) {
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
    size_t cap = libdeflate_gzip_compress_bound(c, len) * (ncuts + 1) + pad + 64, o = 0;
    unsigned char *out = ds_xmalloc(cap);
    size_t start = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        size_t n = libdeflate_gzip_compress(c, (const char *)in + start, end - start, out + o, cap - o);
        assert_true(n > 0);
        o += n;
        start = end;
    }
    memset(out + o, 0, pad);
    o += pad;
    libdeflate_free_compressor(c);
    char *path = ds_xasprintf("%s/%s", dir, name);
    write_file(path, out, o);
    free(out);
    if (out_len) *out_len = o;
    return path;
}

/* Every entry as "name=content;" (content of regular files only). -1 on a read error.
 * in_memory: 1 = must have been gunzipped in memory (libarchive sees no compression),
 * 0 = must be streamed through a libarchive filter, -1 = either. */
static int read_layer(const char *path, const char *media_type, int in_memory, char **listing, ds_err *err) {
    struct archive *a;
    if (ds_layer_reader_open(path, media_type, &a, err) < 0) return -1;
    if (in_memory >= 0) assert_int_equal(archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE, in_memory);
    size_t cap = 1 << 16, len = 0;
    char *s = ds_xmalloc(cap);
    s[0] = 0;
    int rc = 0;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) { rc = ds_fail(err, "%s: %s", path, archive_error_string(a)); break; }
        const char *nm = archive_entry_pathname(e);
        size_t need = len + strlen(nm) + (size_t)archive_entry_size(e) + 4;
        if (need > cap) { cap = need * 2; s = ds_xrealloc(s, cap); }
        len += (size_t)sprintf(s + len, "%s=", nm);
        la_ssize_t n;
        while ((n = archive_read_data(a, s + len, cap - len - 2)) > 0) len += (size_t)n;
        if (n < 0) { rc = ds_fail(err, "%s: %s", path, archive_error_string(a)); break; }
        s[len++] = ';';
        s[len] = 0;
    }
    archive_read_free(a);
    if (rc < 0) { free(s); return -1; }
    *listing = s;
    return 0;
}

static char *big_content(size_t n) {
    char *d = ds_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) d[i] = (char)('a' + (i * 31 + i / 977) % 26);
    d[n] = 0;
    return d;
}

static char *plain_tar(const char *name, const char *big, char **bytes, size_t *len) {
    tar_ent ents[] = {
        {.type = 'd', .path = "etc"},
        {.type = 'f', .path = "etc/hostname", .data = "box\n"},
        {.type = 'f', .path = "usr/lib/big", .data = big},
        {.type = 'l', .path = "usr/lib/link", .data = "big"},
        {.type = 'f', .path = "zz-last", .data = "end"},
    };
    char *p = ds_xasprintf("%s/%s", dir, name);
    make_tar(p, 'n', ents, sizeof ents / sizeof *ents);
    ds_err e;
    assert_int_equal(ds_read_file(p, bytes, len, 0, &e), 0);
    return p;
}

/* Several members (as pigz and distill's own writer make), trailing zero padding,
 * with and without a media type: the same entries as the plain tar. */
static void test_gzip_members(void **state) {
    (void)state;
    char *big = big_content(300000), *tar, *want, *got;
    size_t tlen;
    char *plain = plain_tar("plain.tar", big, &tar, &tlen);
    ds_err e;
    assert_int_equal(read_layer(plain, "application/vnd.oci.image.layer.v1.tar", 1, &want, &e), 0);
    assert_non_null(strstr(want, "etc/hostname=box\n;"));
    assert_non_null(strstr(want, "zz-last=end;"));
    size_t cuts[] = {1, 700, 150001, tlen - 3};
    for (size_t k = 0; k < 3; k++) {
        size_t n = k == 0 ? 0 : k == 1 ? 2 : 4;
        char *nm = ds_xasprintf("m%zu.tar.gz", k);
        char *gz = gzip_members(nm, tar, tlen, cuts + (k == 1 ? 1 : 0), n, k == 2 ? 1024 : 0, NULL);
        const char *types[] = {"application/vnd.oci.image.layer.v1.tar+gzip", NULL,
                               "application/vnd.docker.image.rootfs.diff.tar.gzip"};
        for (int t = 0; t < 3; t++) {
            if (read_layer(gz, types[t], 1, &got, &e) < 0) fail_msg("%s", e.msg);
            assert_string_equal(got, want);
            free(got);
        }
        free(gz);
        free(nm);
    }
    /* A plain tar labelled gzip, and zstd labelled or sniffed, read as before. */
    if (read_layer(plain, "application/vnd.oci.image.layer.v1.tar+gzip", 1, &got, &e) < 0) fail_msg("%s", e.msg);
    assert_string_equal(got, want);
    free(got);
    char *zst = ds_xasprintf("%s/l.tar.zst", dir);
    assert_int_equal(ds_compress_file(plain, DS_COMPRESS_ZSTD, zst, NULL, NULL, &e), 0);
    const char *ztypes[] = {"application/vnd.oci.image.layer.v1.tar+zstd", NULL};
    for (int t = 0; t < 2; t++) {
        if (read_layer(zst, ztypes[t], 0, &got, &e) < 0) fail_msg("%s", e.msg);
        assert_string_equal(got, want);
        free(got);
    }
    free(zst);
    free(want);
    free(plain);
    free(tar);
    free(big);
}

/* Output far beyond the ISIZE hint and 4x the input (zeros): the buffer grows; the limit holds. */
static void test_gunzip_mem_growth_and_limit(void **state) {
    (void)state;
    size_t n = 3u << 20;
    char *zeros = calloc(1, n);
    size_t cuts[] = {1u << 20, (2u << 20) + 5};
    size_t glen;
    char *gz = gzip_members("zeros.gz", zeros, n, cuts, 2, 0, &glen);
    char *data;
    size_t dlen;
    ds_err e;
    assert_int_equal(ds_read_file(gz, &data, &dlen, 0, &e), 0);
    assert_true(dlen * 4 < n);
    unsigned char *out;
    size_t out_len;
    assert_int_equal(ds_gunzip_mem(data, dlen, DS_GUNZIP_MEM_LIMIT, "zeros.gz", &out, &out_len, &e), 0);
    assert_int_equal(out_len, n);
    assert_memory_equal(out, zeros, n);
    free(out);
    /* Over the limit: 1, nothing returned (the caller streams instead). */
    assert_int_equal(ds_gunzip_mem(data, dlen, 2u << 20, "zeros.gz", &out, &out_len, &e), 1);
    assert_int_equal(ds_gunzip_mem(data, dlen, n, "zeros.gz", &out, &out_len, &e), 0);
    free(out);
    assert_int_equal(ds_gunzip_file_mem(gz, n - 1, &out, &out_len, &e), 1);
    /* One member whose ISIZE is over the limit: 1 at once. */
    char *one = gzip_members("one.gz", zeros, n, NULL, 0, 0, NULL);
    assert_int_equal(ds_gunzip_file_mem(one, n - 1, &out, &out_len, &e), 1);
    assert_int_equal(ds_gunzip_file_mem(one, n, &out, &out_len, &e), 0);
    assert_int_equal(out_len, n);
    free(out);
    free(one);
    /* Not gzip: 1 too. */
    char *plain = ds_xasprintf("%s/zeros", dir);
    write_file(plain, zeros, 100);
    assert_int_equal(ds_gunzip_file_mem(plain, DS_GUNZIP_MEM_LIMIT, &out, &out_len, &e), 1);
    /* Too short, and garbage after a member: errors naming the input. */
    assert_int_equal(ds_gunzip_mem(data, 10, DS_GUNZIP_MEM_LIMIT, "short.gz", &out, &out_len, &e), -1);
    assert_non_null(strstr(e.msg, "short.gz"));
    char *tail = ds_xmalloc(dlen + 4);
    memcpy(tail, data, dlen);
    memcpy(tail + dlen, "\1\0\0\0", 4); /* not zero padding, and a small "ISIZE" */
    assert_int_equal(ds_gunzip_mem(tail, dlen + 4, DS_GUNZIP_MEM_LIMIT, "tail.gz", &out, &out_len, &e), -1);
    assert_non_null(strstr(e.msg, "tail.gz"));
    /* An empty gzip is an empty output. */
    char *empty = gzip_members("empty.gz", "", 0, NULL, 0, 0, NULL);
    assert_int_equal(ds_gunzip_file_mem(empty, DS_GUNZIP_MEM_LIMIT, &out, &out_len, &e), 0);
    assert_int_equal(out_len, 0);
    free(out);
    free(empty);
    free(tail);
    free(plain);
    free(data);
    free(gz);
    free(zeros);
}

/* Corrupt and truncated gzip layers fail, in a reader and in the applier, naming the blob. */
static void test_corrupt_gzip_layer(void **state) {
    (void)state;
    char *big = big_content(200000), *tar, *got;
    size_t tlen;
    char *plain = plain_tar("c.tar", big, &tar, &tlen);
    size_t glen;
    char *gz = gzip_members("c.tar.gz", tar, tlen, NULL, 0, 0, &glen);
    char *bytes;
    size_t blen;
    ds_err e;
    assert_int_equal(ds_read_file(gz, &bytes, &blen, 0, &e), 0);
    for (int k = 0; k < 3; k++) {
        char *bad = ds_xasprintf("%s/bad%d.tar.gz", dir, k);
        if (k == 0) {
            char *c = ds_xmalloc(blen);
            memcpy(c, bytes, blen);
            for (size_t i = blen / 3; i < blen / 3 + 64; i++) c[i] ^= 0x5a;
            write_file(bad, c, blen);
            free(c);
        } else if (k == 1) {
            write_file(bad, bytes, blen / 2);
        } else {
            write_file(bad, bytes, blen - 6); /* the trailer cut */
        }
        const char *types[] = {"application/vnd.oci.image.layer.v1.tar+gzip", NULL};
        for (int t = 0; t < 2; t++) {
            e.msg[0] = 0;
            assert_int_equal(read_layer(bad, types[t], -1, &got, &e), -1);
            assert_non_null(strstr(e.msg, bad));
            assert_null(strchr(e.msg, '\n'));
            char *root = ds_xasprintf("%s/root%d%d", dir, k, t);
            assert_int_equal(ds_mkdirs(root, 0755, &e), 0);
            e.msg[0] = 0;
            if (k < 2) {
                assert_int_equal(ds_layer_apply(root, bad, types[t], NULL, &e), -1);
                assert_non_null(strstr(e.msg, bad));
            }
            free(root);
        }
        free(bad);
    }
    free(bytes);
    free(gz);
    free(plain);
    free(tar);
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_gunzip_mem_growth_and_limit),
        cmocka_unit_test(test_corrupt_gzip_layer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
