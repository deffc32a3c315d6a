/* Unit tests for image reading/writing on small hand-made layouts: platform
 * picking, digest/size verification, hostile oci-archives, (de)compression, copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "util/compress.h"
#include "image/manifest.h"
#include "util/fsutil.h"

static char *tmp; /* per test */

static int setup(void **state) {
    (void)state;
    ds_err e;
    return ds_mkdtemp("distill-unit-image", &tmp, &e);
}
static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(tmp, &e);
    free(tmp);
    return 0;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Store bytes as a blob of layout dir; returns a descriptor JSON. */
static json_t *blob(const char *dir, const char *mt, const void *data, size_t len) {
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_buf(data, len, d);
    char *p = ds_xasprintf("%s/blobs/sha256/%s", dir, d + 7);
    write_file(p, data, len);
    free(p);
    return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", d, "size", (json_int_t)len);
}

static json_t *blob_json(const char *dir, const char *mt, json_t *doc) {
    char *s = json_dumps(doc, JSON_COMPACT);
    json_t *d = blob(dir, mt, s, strlen(s));
    free(s);
    json_decref(doc);
    return d;
}

/* A plain tar with one file, the bytes given. */
static void make_tar(const char *path, const char *name, const char *content) {
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(content));
    archive_write_header(a, e);
    archive_write_data(a, content, strlen(content));
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
}

/* An image manifest for arch with one layer (plain tar of "hello-ARCH"); returns its descriptor. */
static json_t *make_image(const char *dir, const char *arch, const char *variant) {
    char *tp = ds_xasprintf("%s/layer-%s.tar", tmp, arch);
    char *content = ds_xasprintf("hello-%s\n", arch);
    make_tar(tp, "hello.txt", content);
    char *data;
    size_t len;
    ds_err e;
    assert_int_equal(ds_read_file(tp, &data, &len, 0, &e), 0);
    char diff[DS_DIGEST_LEN + 1];
    ds_sha256_buf(data, len, diff);
    json_t *layer = blob(dir, DS_MT_OCI_LAYER, data, len);
    free(data); free(tp); free(content);
    json_t *cfg = json_pack("{s:s, s:s, s:{s:[s], s:[s]}, s:{s:s, s:[s]}, s:[{s:s}]}", "os", "linux", "architecture",
                            arch, "config", "Cmd", "/bin/true", "Env", "A=1", "rootfs", "type", "layers", "diff_ids",
                            diff, "history", "created_by", "test");
    if (variant) json_object_set_new(cfg, "variant", json_string(variant));
    json_t *cd = blob_json(dir, DS_MT_OCI_CONFIG, cfg);
    json_t *m = json_pack("{s:i, s:s, s:o, s:[o]}", "schemaVersion", 2, "mediaType", DS_MT_OCI_MANIFEST, "config", cd,
                          "layers", layer);
    json_t *md = blob_json(dir, DS_MT_OCI_MANIFEST, m);
    json_object_set_new(md, "platform", json_pack("{s:s, s:s}", "os", "linux", "architecture", arch));
    if (variant) json_object_set_new(json_object_get(md, "platform"), "variant", json_string(variant));
    return md;
}

static char *new_layout(const char *name) {
    char *dir = ds_xasprintf("%s/%s", tmp, name);
    char *b = ds_xasprintf("%s/blobs/sha256", dir);
    ds_err e;
    assert_int_equal(ds_mkdirs(b, 0755, &e), 0);
    free(b);
    char *l = ds_xasprintf("%s/oci-layout", dir);
    write_file(l, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
    free(l);
    return dir;
}

static void write_index(const char *dir, json_t *manifests) {
    json_t *idx = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", DS_MT_OCI_INDEX, "manifests", manifests);
    char *s = json_dumps(idx, JSON_COMPACT);
    char *p = ds_xasprintf("%s/index.json", dir);
    write_file(p, s, strlen(s));
    free(p); free(s);
    json_decref(idx);
}

static char *single_layout(const char *name, const char *ref) {
    char *dir = new_layout(name);
    json_t *md = make_image(dir, "amd64", NULL);
    json_object_del(md, "platform");
    if (ref) json_object_set_new(md, "annotations", json_pack("{s:s}", DS_ANN_REF_NAME, ref));
    write_index(dir, json_pack("[o]", md));
    return dir;
}

static void test_open_single(void **state) {
    (void)state;
    char *dir = single_layout("one", "v1");
    char *ref = ds_xasprintf("oci:%s:v1", dir);
    ds_image *img = NULL;
    ds_err e = {0};
    if (ds_image_open(ref, NULL, &img, &e) < 0) fail_msg("%s", e.msg);
    assert_string_equal(img->os, "linux");
    assert_string_equal(img->arch, "amd64");
    assert_int_equal(img->n_layers, 1);
    assert_string_equal(img->manifest_media_type, DS_MT_OCI_MANIFEST);
    ds_image_close(img);
    /* Unnamed reference to a one-image layout works; a wrong name lists what exists. */
    char *ref2 = ds_xasprintf("oci:%s", dir);
    assert_int_equal(ds_image_open(ref2, NULL, &img, &e), 0);
    ds_image_close(img);
    char *ref3 = ds_xasprintf("oci:%s:nope", dir);
    assert_int_equal(ds_image_open(ref3, NULL, &img, &e), -1);
    assert_non_null(strstr(e.msg, "no image named 'nope'"));
    assert_non_null(strstr(e.msg, "v1"));
    char *ref4 = ds_xasprintf("oci:%s/missing", tmp);
    assert_int_equal(ds_image_open(ref4, NULL, &img, &e), -1);
    assert_non_null(strstr(e.msg, "not an OCI image layout"));
    free(ref); free(ref2); free(ref3); free(ref4); free(dir);
}

static char *multi_layout(void) {
    char *dir = new_layout("multi");
    json_t *a = make_image(dir, "amd64", NULL);
    json_t *b = make_image(dir, "arm64", "v8");
    json_t *att = json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType", DS_MT_OCI_MANIFEST, "digest",
                            json_string_value(json_object_get(a, "digest")), "size",
                            json_integer_value(json_object_get(a, "size")), "platform", "os", "unknown", "architecture",
                            "unknown");
    json_t *idx = json_pack("{s:i, s:s, s:[o,o,o]}", "schemaVersion", 2, "mediaType", DS_MT_OCI_INDEX, "manifests", att, b, a);
    json_t *id = blob_json(dir, DS_MT_OCI_INDEX, idx);
    json_object_set_new(id, "annotations", json_pack("{s:s}", DS_ANN_REF_NAME, "latest"));
    write_index(dir, json_pack("[o]", id));
    return dir;
}

static void test_platform_pick(void **state) {
    (void)state;
    char *dir = multi_layout();
    char *ref = ds_xasprintf("oci:%s:latest", dir);
    ds_opts o;
    ds_opts_init(&o);
    ds_image *img = NULL;
    ds_err e = {0};
    o.platform = "linux/arm64";
    if (ds_image_open(ref, &o, &img, &e) < 0) fail_msg("%s", e.msg);
    assert_string_equal(img->arch, "arm64");
    assert_string_equal(img->variant, "v8");
    ds_image_close(img);
    o.platform = "linux/arm64/v8";
    assert_int_equal(ds_image_open(ref, &o, &img, &e), 0);
    assert_string_equal(img->arch, "arm64");
    ds_image_close(img);
    o.platform = "linux/amd64";
    assert_int_equal(ds_image_open(ref, &o, &img, &e), 0);
    assert_string_equal(img->arch, "amd64");
    ds_image_close(img);
    /* Default: this machine. */
    char host[64];
    ds_platform_host(host, sizeof host);
    o.platform = NULL;
    if (!strncmp(host, "linux/amd64", 11) || !strncmp(host, "linux/arm64", 11)) {
        assert_int_equal(ds_image_open(ref, &o, &img, &e), 0);
        assert_string_equal(img->arch, host + 6);
        ds_image_close(img);
    }
    o.platform = "linux/s390x";
    assert_int_equal(ds_image_open(ref, &o, &img, &e), -1);
    assert_non_null(strstr(e.msg, "no image for platform linux/s390x"));
    assert_non_null(strstr(e.msg, "linux/arm64/v8, linux/amd64"));
    assert_null(strstr(e.msg, "unknown"));
    o.platform = "linux/arm64/v7";
    assert_int_equal(ds_image_open(ref, &o, &img, &e), -1);
    o.platform = "garbage";
    assert_int_equal(ds_image_open(ref, &o, &img, &e), -1);
    assert_non_null(strstr(e.msg, "bad platform"));
    free(ref); free(dir);
}

static void test_index_pick_json(void **state) {
    (void)state;
    const char *D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const char *D2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    json_t *idx = json_pack("{s:[{s:s,s:I,s:{s:s,s:s,s:s}}, {s:s,s:I,s:{s:s,s:s,s:s}}]}", "manifests", "digest", D1,
                            "size", (json_int_t)1, "platform", "os", "linux", "architecture", "arm", "variant", "v6",
                            "digest", D2, "size", (json_int_t)2, "platform", "os", "linux", "architecture", "arm",
                            "variant", "v7");
    ds_desc d;
    ds_err e;
    assert_int_equal(ds_index_pick(idx, "linux/arm/v7", "t", &d, &e), 0);
    assert_string_equal(d.digest, D2);
    ds_desc_free(&d);
    assert_int_equal(ds_index_pick(idx, "linux/arm", "t", &d, &e), 0);
    assert_string_equal(d.digest, D1);
    ds_desc_free(&d);
    assert_int_equal(ds_index_pick(idx, "windows/arm", "t", &d, &e), -1);
    assert_non_null(strstr(e.msg, "linux/arm/v6, linux/arm/v7"));
    json_decref(idx);
}

static void flip_byte(const char *path) {
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    int c = fgetc(f);
    fseek(f, 0, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);
}

static void test_corrupt_blob(void **state) {
    (void)state;
    char *dir = single_layout("corrupt", "v1");
    char *ref = ds_xasprintf("oci:%s:v1", dir);
    ds_image *img = NULL;
    ds_err e = {0};
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), 0);
    char *lp = ds_xasprintf("%s/blobs/sha256/%s", dir, img->layers[0].digest + 7);
    char *dg = ds_xstrdup(img->layers[0].digest);
    ds_image_close(img);
    flip_byte(lp); /* same size, other content */
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), 0);
    char *p = NULL;
    bool is_temp;
    assert_int_equal(ds_image_blob_path(img, &img->layers[0], &p, &is_temp, &e), -1);
    assert_non_null(strstr(e.msg, dg));
    assert_non_null(strstr(e.msg, "corrupt"));
    assert_non_null(strstr(e.msg, ref));
    /* and copy refuses it too */
    char *dst = ds_xasprintf("oci:%s/copy", tmp);
    assert_int_equal(ds_image_copy(img, dst, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "corrupt"));
    assert_false(ds_exists(dst + 4));
    ds_image_close(img);
    flip_byte(lp);
    FILE *f = fopen(lp, "ab");
    fputc('x', f);
    fclose(f);
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), 0);
    assert_int_equal(ds_image_blob_path(img, &img->layers[0], &p, &is_temp, &e), -1);
    assert_non_null(strstr(e.msg, "wrong size"));
    ds_image_close(img);
    free(lp); free(dg); free(ref); free(dir); free(dst);
}

static void test_corrupt_manifest(void **state) {
    (void)state;
    char *dir = single_layout("badman", NULL);
    char *ref = ds_xasprintf("oci:%s", dir);
    ds_image *img = NULL;
    ds_err e = {0};
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), 0);
    char *mp = ds_xasprintf("%s/blobs/sha256/%s", dir, img->manifest_digest + 7);
    char *cp = ds_xasprintf("%s/blobs/sha256/%s", dir, img->config_desc.digest + 7);
    ds_image_close(img);
    flip_byte(cp);
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), -1);
    assert_non_null(strstr(e.msg, "corrupt"));
    flip_byte(cp);
    flip_byte(mp);
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), -1);
    assert_non_null(strstr(e.msg, "corrupt"));
    free(mp); free(cp); free(ref); free(dir);
}

/* An oci-archive with one hostile entry next to a valid layout. */
static void hostile_archive(const char *path, const char *name, mode_t type, const char *link) {
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    const char *names[] = {"oci-layout", name};
    for (int i = 0; i < 2; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_filetype(e, i ? type : AE_IFREG);
        archive_entry_set_perm(e, 0644);
        const char *data = i ? "pwned\n" : "{\"imageLayoutVersion\":\"1.0.0\"}";
        if (i && type == AE_IFLNK) archive_entry_set_symlink(e, link);
        if (i && link && type == AE_IFREG) archive_entry_set_hardlink(e, link);
        bool has_data = type == AE_IFREG && !(i && link);
        archive_entry_set_size(e, has_data || !i ? (la_int64_t)strlen(data) : 0);
        archive_write_header(a, e);
        if (has_data || !i) archive_write_data(a, data, strlen(data));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

static void test_hostile_oci_archive(void **state) {
    (void)state;
    struct { const char *name; mode_t type; const char *link; } cases[] = {
        {"../escape", AE_IFREG, NULL},
        {"/tmp/abs-escape", AE_IFREG, NULL},
        {"blobs/sha256/../../../escape", AE_IFREG, NULL},
        {"blobs/sha256/nothex", AE_IFREG, NULL},
        {"blobs/sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", AE_IFREG, NULL},
        {"extra-file", AE_IFREG, NULL},
        {"index.json", AE_IFLNK, "/etc/passwd"},
        {"blobs", AE_IFLNK, "/tmp"},
        {"index.json", AE_IFREG, "oci-layout"}, /* hard link */
        {"blobs/sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", AE_IFCHR, NULL},
        {"oci-layout", AE_IFREG, NULL}, /* duplicate */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *ap = ds_xasprintf("%s/hostile%zu.tar", tmp, i);
        hostile_archive(ap, cases[i].name, cases[i].type, cases[i].link);
        char *ref = ds_xasprintf("oci-archive:%s", ap);
        ds_image *img = NULL;
        ds_err e = {0};
        assert_int_equal(ds_image_open(ref, NULL, &img, &e), -1);
        if (!strstr(e.msg, "refusing archive entry") && !strstr(e.msg, "appears twice"))
            fail_msg("case %zu (%s): unexpected message: %s", i, cases[i].name, e.msg);
        free(ap); free(ref);
    }
    char *esc = ds_xasprintf("%s/escape", tmp);
    assert_false(ds_exists(esc));
    assert_false(ds_exists("/tmp/abs-escape"));
    free(esc);
}

static void test_compress_roundtrip(void **state) {
    (void)state;
    /* ~3 MB of compressible, not trivial data */
    size_t n = 3u << 20;
    char *data = ds_xmalloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (char)("abcdefgh"[(i * 7 + i / 1000) % 8] ^ (i % 251 == 0));
    char *in = ds_xasprintf("%s/plain", tmp);
    write_file(in, data, n);
    char want[DS_DIGEST_LEN + 1];
    ds_sha256_buf(data, n, want);
    ds_compress kinds[] = {DS_COMPRESS_GZIP, DS_COMPRESS_ZSTD, DS_COMPRESS_NONE};
    for (int k = 0; k < 3; k++) {
        char *c = ds_xasprintf("%s/c%d", tmp, k), *back = ds_xasprintf("%s/b%d", tmp, k);
        char cd[DS_DIGEST_LEN + 1], bd[DS_DIGEST_LEN + 1];
        int64_t cs, bs;
        ds_err e;
        assert_int_equal(ds_compress_file(in, kinds[k], c, cd, &cs, &e), 0);
        ds_compress sn;
        assert_int_equal(ds_compress_sniff_file(c, &sn, &e), 0);
        assert_int_equal(sn, kinds[k]);
        assert_int_equal(ds_decompress_file(c, -1, back, bd, &bs, &e), 0);
        assert_string_equal(bd, want);
        assert_int_equal(bs, (int64_t)n);
        if (kinds[k] != DS_COMPRESS_NONE) assert_true(cs < (int64_t)n);
        /* truncated input is an error, not a short tar */
        if (kinds[k] != DS_COMPRESS_NONE) {
            char *t = ds_xasprintf("%s/t%d", tmp, k);
            char *cdata;
            size_t clen;
            assert_int_equal(ds_read_file(c, &cdata, &clen, 0, &e), 0);
            write_file(t, cdata, clen / 2);
            assert_int_equal(ds_decompress_file(t, kinds[k], back, NULL, NULL, &e), -1);
            free(cdata); free(t);
        }
        free(c); free(back);
    }
    /* Two gzip members concatenated (zlib path). */
    char *mm = ds_xasprintf("%s/multi.gz", tmp);
    gzFile g = gzopen(mm, "wb");
    gzwrite(g, data, (unsigned)(n / 2));
    gzclose(g);
    g = gzopen(mm, "ab");
    gzwrite(g, data + n / 2, (unsigned)(n - n / 2));
    gzclose(g);
    char *back = ds_xasprintf("%s/multi.out", tmp);
    char bd[DS_DIGEST_LEN + 1];
    ds_err e;
    if (ds_decompress_file(mm, DS_COMPRESS_GZIP, back, bd, NULL, &e) < 0) fail_msg("%s", e.msg);
    assert_string_equal(bd, want);
    /* Recompression: gzip (one member: in memory; two members: through a file) -> zstd -> plain. */
    char *one = ds_xasprintf("%s/c0", tmp), *z = ds_xasprintf("%s/re.zst", tmp);
    const char *ins[] = {one, mm};
    for (int k = 0; k < 2; k++) {
        int64_t zs;
        if (ds_recompress_file(ins[k], -1, DS_COMPRESS_ZSTD, z, NULL, &zs, &e) < 0) fail_msg("%s", e.msg);
        ds_compress sn;
        assert_int_equal(ds_compress_sniff_file(z, &sn, &e), 0);
        assert_int_equal(sn, DS_COMPRESS_ZSTD);
        assert_int_equal(ds_decompress_file(z, -1, back, bd, NULL, &e), 0);
        assert_string_equal(bd, want);
    }
    free(one); free(z);
    free(mm); free(back); free(in); free(data);
}

/* The gzip stream (layers compressed while their tar is written) gives the very bytes of
 * ds_compress_file on the whole input, however the writes are cut: empty, one byte, one byte
 * over a member, and several members; and a failed close leaves no file. */
static void test_gzip_stream_matches_file(void **state) {
    (void)state;
    size_t sizes[] = {0, 1, DS_GZ_MEMBER + 1, (33u << 20) + 12345};
    size_t max = sizes[3];
    unsigned char *data = ds_xmalloc(max);
    uint32_t x = 12345;
    for (size_t i = 0; i < max; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = i % 4096 == 0 || i < 65536 ? (unsigned char)(x >> 24) : (unsigned char)"layer"[i % 5]; /* mostly repetitive: quick under valgrind */
    }
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        char *in = ds_xasprintf("%s/gs-in", tmp), *f = ds_xasprintf("%s/gs-file", tmp), *g = ds_xasprintf("%s/gs-stream", tmp);
        write_file(in, (const char *)data, n);
        char fd[DS_DIGEST_LEN + 1], sd[DS_DIGEST_LEN + 1];
        int64_t fs, ss;
        ds_err e;
        assert_int_equal(ds_compress_file(in, DS_COMPRESS_GZIP, f, fd, &fs, &e), 0);
        ds_gz_stream *gz;
        assert_int_equal(ds_gz_stream_open(g, DS_GZIP_COPY_LEVEL, &gz, &e), 0);
        size_t off = 0, step = 1;
        while (off < n) { /* uneven pieces: 1, 3, 9, ... bytes, then big ones */
            size_t len = step < n - off ? step : n - off;
            assert_int_equal(ds_gz_stream_write(gz, data + off, len, &e), 0);
            off += len;
            step = step * 3 + 1;
        }
        assert_int_equal(ds_gz_stream_close(gz, true, sd, &ss, &e), 0);
        assert_string_equal(fd, sd);
        assert_int_equal(fs, ss);
        char *back = ds_xasprintf("%s/gs-back", tmp), bd[DS_DIGEST_LEN + 1], want[DS_DIGEST_LEN + 1];
        assert_int_equal(ds_decompress_file(g, -1, back, bd, NULL, &e), 0);
        ds_sha256_buf(data, n, want);
        assert_string_equal(bd, want);
        free(back); free(in); free(f); free(g);
    }
    char *g = ds_xasprintf("%s/gs-failed", tmp);
    ds_gz_stream *gz;
    ds_err e;
    assert_int_equal(ds_gz_stream_open(g, DS_GZIP_COPY_LEVEL, &gz, &e), 0);
    assert_int_equal(ds_gz_stream_write(gz, data, 20u << 20, &e), 0);
    assert_int_equal(ds_gz_stream_close(gz, false, NULL, NULL, &e), -1);
    struct stat st;
    assert_int_not_equal(lstat(g, &st), 0);
    /* Cancelled while its members are being compressed: a write waiting for a worker stops
     * ("cancelled") or, if the workers were quicker, goes on; the close waits for what the
     * workers hold (ASan would see their buffers freed under them) and leaves no file. */
    atomic_bool cancel = false;
    assert_int_equal(ds_gz_stream_open(g, DS_GZIP_LAYER_LEVEL, &gz, &e), 0);
    ds_gz_stream_set_cancel(gz, &cancel);
    assert_int_equal(ds_gz_stream_write(gz, data, 16u << 20, &e), 0);
    atomic_store(&cancel, true);
    int w = 0;
    for (int i = 0; i < 4 && w == 0; i++) w = ds_gz_stream_write(gz, data, 16u << 20, &e);
    if (w < 0) assert_non_null(strstr(e.msg, "cancelled"));
    assert_int_equal(ds_gz_stream_close(gz, false, NULL, NULL, &e), -1);
    assert_int_not_equal(lstat(g, &st), 0);
    free(g);
    free(data);
}

static void test_copy_roundtrip(void **state) {
    (void)state;
    char *dir = single_layout("src", "v1");
    char *ref = ds_xasprintf("oci:%s:v1", dir);
    ds_image *img = NULL;
    ds_err e = {0};
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), 0);
    const char *dests[] = {"docker-archive:%s/d.tar:localhost/t:1", "oci-archive:%s/o.tar:x", "oci:%s/lay:a"};
    const char *compress[] = {NULL, "zstd", "gzip"};
    for (int i = 0; i < 3; i++) {
        char *dst = ds_xasprintf(dests[i], tmp);
        ds_opts o;
        ds_opts_init(&o);
        o.compress = compress[i];
        char dg[DS_DIGEST_LEN + 1];
        if (ds_image_copy(img, dst, &o, dg, &e) < 0) fail_msg("%s: %s", dst, e.msg);
        ds_image *back = NULL;
        if (ds_image_open(dst, NULL, &back, &e) < 0) fail_msg("%s: %s", dst, e.msg);
        assert_string_equal(back->manifest_digest, dg);
        assert_int_equal(back->config_len, img->config_len);
        assert_memory_equal(back->config_raw, img->config_raw, img->config_len);
        int want = i == 0 ? DS_COMPRESS_NONE : i == 1 ? DS_COMPRESS_ZSTD : DS_COMPRESS_GZIP;
        assert_int_equal(ds_mt_compression(back->layers[0].media_type), want);
        char *p;
        bool t;
        assert_int_equal(ds_image_blob_path(back, &back->layers[0], &p, &t, &e), 0);
        if (t) unlink(p);
        free(p);
        ds_image_close(back);
        free(dst);
    }
    /* Copy without changes keeps the manifest digest. */
    char *same = ds_xasprintf("oci:%s/lay:b", tmp);
    char dg[DS_DIGEST_LEN + 1];
    assert_int_equal(ds_image_copy(img, same, NULL, dg, &e), 0);
    assert_string_equal(dg, img->manifest_digest);
    /* both names now in one layout */
    char *ra = ds_xasprintf("oci:%s/lay:a", tmp);
    ds_image *x;
    assert_int_equal(ds_image_open(ra, NULL, &x, &e), 0);
    ds_image_close(x);
    /* A destination that is a plain file is refused and left alone. */
    char *fp = ds_xasprintf("%s/afile", tmp);
    write_file(fp, "keep", 4);
    char *bad = ds_xasprintf("oci:%s", fp);
    assert_int_equal(ds_image_copy(img, bad, NULL, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "not an OCI image layout"));
    ds_image_close(img);
    free(same); free(ra); free(fp); free(bad); free(ref); free(dir);
}

/* Writers that call the destination API directly with gzip layers still get a
 * docker-archive of plain tars (what docker save writes). */
static void test_docker_archive_dest_decompresses(void **state) {
    (void)state;
    char *dir = single_layout("gz", "v1");
    char *src = ds_xasprintf("oci:%s:v1", dir), *gz = ds_xasprintf("oci:%s/gzl:v1", tmp);
    ds_image *img = NULL;
    ds_err e = {0};
    ds_opts o;
    ds_opts_init(&o);
    o.compress = "gzip";
    assert_int_equal(ds_image_open(src, NULL, &img, &e), 0);
    assert_int_equal(ds_image_copy(img, gz, &o, NULL, &e), 0);
    ds_image_close(img);
    assert_int_equal(ds_image_open(gz, NULL, &img, &e), 0);
    assert_int_equal(ds_mt_compression(img->layers[0].media_type), DS_COMPRESS_GZIP);
    char *dst = ds_xasprintf("docker-archive:%s/direct.tar:localhost/direct:1", tmp);
    ds_dest *d = NULL;
    assert_int_equal(ds_dest_open(dst, NULL, &d, &e), 0);
    char *lp, *cp;
    bool t;
    assert_int_equal(ds_image_blob_path(img, &img->layers[0], &lp, &t, &e), 0);
    assert_int_equal(ds_image_blob_path(img, &img->config_desc, &cp, &t, &e), 0);
    assert_int_equal(ds_dest_put_blob(d, &img->layers[0], lp, &e), 0);
    assert_int_equal(ds_dest_put_blob(d, &img->config_desc, cp, &e), 0);
    assert_int_equal(ds_dest_put_manifest(d, img->manifest_raw, img->manifest_len, img->manifest_media_type, &e), 0);
    if (ds_dest_commit(d, &e) < 0) fail_msg("%s", e.msg);
    const char *diff = json_string_value(json_array_get(json_object_get(json_object_get(img->config, "rootfs"), "diff_ids"), 0));
    ds_image *back = NULL;
    if (ds_image_open(dst, NULL, &back, &e) < 0) fail_msg("%s", e.msg);
    assert_string_equal(back->layers[0].digest, diff);
    assert_string_equal(back->layers[0].media_type, DS_MT_OCI_LAYER);
    ds_image_close(back);
    ds_image_close(img);
    free(lp); free(cp); free(dst); free(src); free(gz); free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_single, setup, teardown),
        cmocka_unit_test_setup_teardown(test_platform_pick, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_pick_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_oci_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compress_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_stream_matches_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_docker_archive_dest_decompresses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
