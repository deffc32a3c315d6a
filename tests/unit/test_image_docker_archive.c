/* Unit tests for docker-archive reading: manifest.json parsing and tag choice,
 * symlinked layers, corrupt layers and configs, links pointing out of the archive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include "image/docker_archive.h"
#include "image/image.h"
#include "util/fsutil.h"

static char *tmp;
static int setup(void **s) { (void)s; ds_err e; return ds_mkdtemp("distill-unit-da", &tmp, &e); }
static int teardown(void **s) { (void)s; ds_err e; ds_rmtree(tmp, &e); free(tmp); return 0; }

typedef struct { const char *name; const char *data; const char *symlink; } ent;

static void write_tar(const char *path, const ent *es, size_t n) {
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, es[i].name);
        archive_entry_set_perm(e, 0644);
        if (es[i].symlink) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, es[i].symlink);
            archive_entry_set_size(e, 0);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_size(e, (la_int64_t)strlen(es[i].data));
        }
        archive_write_header(a, e);
        if (!es[i].symlink) archive_write_data(a, es[i].data, strlen(es[i].data));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

/* A fake "layer" (any bytes: only digests matter here) and a config naming its diff_id. */
static const char *LAYER = "not really a tar, but hashed like one\n";

static char *config_for(const char *layer) {
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_buf(layer, strlen(layer), d);
    return ds_xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", d);
}

static char *hex_of(const char *s) {
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_buf(s, strlen(s), d);
    return ds_xstrdup(d + 7);
}

static int open_ref(const char *fmt, ds_image **img, ds_err *e) {
    char *ref = ds_xasprintf(fmt, tmp);
    int r = ds_image_open(ref, NULL, img, e);
    free(ref);
    return r;
}

static void test_symlinked_layer_and_tags(void **state) {
    (void)state;
    char *cfg = config_for(LAYER), *ch = hex_of(cfg), *lh = hex_of(LAYER);
    char *cname = ds_xasprintf("%s.json", ch), *lname = ds_xasprintf("%s.tar", lh);
    char *target = ds_xasprintf("../%s", lname);
    char *man = ds_xasprintf("[{\"Config\":\"%s\",\"RepoTags\":[\"nginx:latest\"],\"Layers\":[\"abc/layer.tar\"]},"
                             "{\"Config\":\"%s\",\"RepoTags\":[\"localhost/other:2\"],\"Layers\":[\"%s\"]}]",
                             cname, cname, lname);
    ent es[] = {{lname, LAYER, NULL}, {"abc/layer.tar", NULL, target}, {cname, cfg, NULL}, {"manifest.json", man, NULL}};
    char *p = ds_xasprintf("%s/a.tar", tmp);
    write_tar(p, es, 4);
    ds_image *img = NULL;
    ds_err e = {0};
    if (open_ref("docker-archive:%s/a.tar:docker.io/library/nginx", &img, &e) < 0) fail_msg("%s", e.msg);
    assert_int_equal(img->n_layers, 1);
    assert_string_equal(img->layers[0].digest + 7, lh);
    assert_string_equal(img->layers[0].media_type, DS_MT_OCI_LAYER);
    assert_string_equal(img->config_desc.digest + 7, ch);
    char *bp;
    bool t;
    assert_int_equal(ds_image_blob_path(img, &img->layers[0], &bp, &t, &e), 0);
    free(bp);
    ds_image_close(img);
    assert_int_equal(open_ref("docker-archive:%s/a.tar:localhost/other:2", &img, &e), 0);
    ds_image_close(img);
    assert_int_equal(open_ref("docker-archive:%s/a.tar", &img, &e), -1);
    assert_non_null(strstr(e.msg, "holds 2 images"));
    assert_int_equal(open_ref("docker-archive:%s/a.tar:nope", &img, &e), -1);
    assert_non_null(strstr(e.msg, "nginx:latest, localhost/other:2"));
    free(cfg); free(ch); free(lh); free(cname); free(lname); free(target); free(man); free(p);
}

static void test_corrupt(void **state) {
    (void)state;
    char *cfg = config_for(LAYER), *ch = hex_of(cfg);
    char *cname = ds_xasprintf("%s.json", ch);
    char *man = ds_xasprintf("[{\"Config\":\"%s\",\"RepoTags\":[],\"Layers\":[\"l.tar\"]}]", cname);
    /* The layer differs from the diff_id the config names. */
    ent bad_layer[] = {{"l.tar", "tampered\n", NULL}, {cname, cfg, NULL}, {"manifest.json", man, NULL}};
    char *p = ds_xasprintf("%s/b.tar", tmp);
    write_tar(p, bad_layer, 3);
    ds_image *img = NULL;
    ds_err e = {0};
    assert_int_equal(open_ref("docker-archive:%s/b.tar", &img, &e), -1);
    assert_non_null(strstr(e.msg, "l.tar is corrupt"));
    /* The config's content does not match its name. */
    ent bad_cfg[] = {{"l.tar", LAYER, NULL}, {cname, "{\"os\":\"linux\"}", NULL}, {"manifest.json", man, NULL}};
    write_tar(p, bad_cfg, 3);
    assert_int_equal(open_ref("docker-archive:%s/b.tar", &img, &e), -1);
    assert_non_null(strstr(e.msg, "is corrupt"));
    /* A layer that is a symlink out of the archive is not found (and nothing is followed on disk). */
    ent escape[] = {{"l.tar", NULL, "../../../../etc/passwd"}, {cname, cfg, NULL}, {"manifest.json", man, NULL}};
    write_tar(p, escape, 3);
    assert_int_equal(open_ref("docker-archive:%s/b.tar", &img, &e), -1);
    assert_non_null(strstr(e.msg, "not in the archive"));
    /* No manifest.json at all. */
    ent none[] = {{"l.tar", LAYER, NULL}};
    write_tar(p, none, 1);
    assert_int_equal(open_ref("docker-archive:%s/b.tar", &img, &e), -1);
    assert_non_null(strstr(e.msg, "no manifest.json"));
    free(cfg); free(ch); free(cname); free(man); free(p);
}

static void test_manifest_parse(void **state) {
    (void)state;
    struct { const char *json; const char *err; } bad[] = {
        {"", "not valid JSON"},
        {"{}", "non-empty array"},
        {"[]", "non-empty array"},
        {"[1]", "no Config"},
        {"[{\"Config\":\"\",\"Layers\":[]}]", "no Config"},
        {"[{\"Config\":\"c.json\"}]", "no Layers"},
        {"[{\"Config\":\"c.json\",\"Layers\":[3]}]", "layer 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ds_docker_entry de;
        ds_err e;
        assert_int_equal(ds_docker_manifest_parse(bad[i].json, strlen(bad[i].json), NULL, "t", &de, &e), -1);
        if (!strstr(e.msg, bad[i].err)) fail_msg("%s: %s", bad[i].json, e.msg);
    }
    const char *ok = "[{\"Config\":\"c.json\",\"RepoTags\":[\"busybox\"],\"Layers\":[\"a\",\"b\"]}]";
    ds_docker_entry de;
    ds_err e;
    assert_int_equal(ds_docker_manifest_parse(ok, strlen(ok), "docker.io/library/busybox:latest", "t", &de, &e), 0);
    assert_int_equal(de.n_layers, 2);
    assert_string_equal(de.layers[1], "b");
    ds_docker_entry_free(&de);
    char *n = ds_docker_normalize_name("localhost:5000/a/b");
    assert_string_equal(n, "localhost:5000/a/b:latest");
    free(n);
    n = ds_docker_normalize_name("user/app:1");
    assert_string_equal(n, "docker.io/user/app:1");
    free(n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_symlinked_layer_and_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_parse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
