/* Image rough edges (issue 15): the platform of a rootfs: tree, --platform matching, archive
 * destinations that exist (added to, or refused), the docker-archive digest, list-tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf/arch.h"
#include "image/image.h"
#include "image/list_tags.h"
#include "image/manifest.h"
#include "image/transport.h"
#include "util/fsutil.h"

static char *tmp;
static int setup(void **s) { (void)s; ds_err e; return ds_mkdtemp("distill-unit-edges", &tmp, &e); }
static int teardown(void **s) { (void)s; ds_err e; ds_rmtree(tmp, &e); free(tmp); return 0; }

static char *P(const char *rel) { return ds_xasprintf("%s/%s", tmp, rel); }

static void put(const char *rel, const void *data, size_t len) {
    char *p = P(rel);
    char *dir = ds_xstrdup(p);
    *strrchr(dir, '/') = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(dir, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, data, len, 0755, &e), 0);
    free(dir); free(p);
}

/* A 64-byte ELF header: class, byte order, machine, flags; enough for the platform probe. */
static void put_elf(const char *rel, int cls, int data, uint16_t machine, uint32_t flags) {
    unsigned char h[64] = {0x7f, 'E', 'L', 'F', (unsigned char)cls, (unsigned char)data, 1};
    bool le = data == ELFDATA2LSB;
    h[18] = le ? machine & 0xff : machine >> 8;
    h[19] = le ? machine >> 8 : machine & 0xff;
    size_t fo = cls == ELFCLASS64 ? 48 : 36;
    for (int i = 0; i < 4; i++) h[fo + (size_t)(le ? i : 3 - i)] = (unsigned char)(flags >> (8 * i));
    put(rel, h, sizeof h);
}

static void test_elf_oci_arch(void **state) {
    (void)state;
    const char *v;
    ds_elf_info in = {.cls = ELFCLASS64, .data = ELFDATA2LSB, .machine = EM_X86_64};
    assert_string_equal(ds_elf_oci_arch(&in, &v), "amd64");
    assert_null(v);
    in.machine = EM_AARCH64;
    assert_string_equal(ds_elf_oci_arch(&in, &v), "arm64");
    assert_string_equal(v, "v8");
    in = (ds_elf_info){.cls = ELFCLASS32, .data = ELFDATA2LSB, .machine = EM_ARM, .flags = EF_ARM_ABI_FLOAT_HARD};
    assert_string_equal(ds_elf_oci_arch(&in, &v), "arm");
    assert_string_equal(v, "v7");
    in = (ds_elf_info){.cls = ELFCLASS64, .data = ELFDATA2MSB, .machine = EM_S390};
    assert_string_equal(ds_elf_oci_arch(&in, &v), "s390x");
    in.machine = 0x1234;
    assert_null(ds_elf_oci_arch(&in, &v));
}

static void test_platform_matches(void **state) {
    (void)state;
    assert_true(ds_platform_matches("linux/amd64", "linux", "amd64", NULL));
    assert_false(ds_platform_matches("linux/arm64", "linux", "amd64", NULL));
    assert_true(ds_platform_matches("linux/arm64", "linux", "arm64", "v8"));
    assert_true(ds_platform_matches("linux/arm64/v8", "linux", "arm64", NULL));
    assert_false(ds_platform_matches("linux/arm/v6", "linux", "arm", "v7"));
    assert_false(ds_platform_matches("windows/amd64", "linux", "amd64", NULL));
    assert_false(ds_platform_matches("linux/amd64", NULL, NULL, NULL));
}

static void test_rootfs_platform(void **state) {
    (void)state;
    char out[128];
    ds_err e = {0};
    put_elf("arm/usr/bin/a", ELFCLASS64, ELFDATA2LSB, EM_AARCH64, 0);
    put_elf("arm/usr/bin/b", ELFCLASS64, ELFDATA2LSB, EM_AARCH64, 0);
    put_elf("arm/usr/bin/c", ELFCLASS64, ELFDATA2LSB, EM_X86_64, 0); /* a stray one: the majority wins */
    put("arm/usr/bin/script", "#!/bin/sh\n", 10);
    char *arm = P("arm");
    assert_int_equal(ds_rootfs_platform(arm, "rootfs:arm", NULL, out, sizeof out, &e), 0);
    assert_string_equal(out, "linux/arm64/v8");
    assert_int_equal(ds_rootfs_platform(arm, "rootfs:arm", "linux/arm64", out, sizeof out, &e), 0);
    assert_string_equal(out, "linux/arm64");
    assert_int_equal(ds_rootfs_platform(arm, "rootfs:arm", "linux/amd64", out, sizeof out, &e), -1);
    assert_non_null(strstr(e.msg, "contradicts"));
    assert_non_null(strstr(e.msg, "2 of 3"));
    /* A symlink out of the tree is not followed. */
    char *s390 = P("s390");
    assert_int_equal(ds_mkdirs(s390, 0755, &e), 0);
    char *link = P("s390/bin");
    char *target = P("arm/usr/bin");
    assert_int_equal(symlink(target, link), 0);
    char host[128];
    ds_platform_host(host, sizeof host);
    assert_int_equal(ds_rootfs_platform(s390, "rootfs:s390", NULL, out, sizeof out, &e), 0);
    assert_string_equal(out, host);
    put_elf("s390/sbin/x", ELFCLASS64, ELFDATA2MSB, EM_S390, 0);
    assert_int_equal(ds_rootfs_platform(s390, "rootfs:s390", NULL, out, sizeof out, &e), 0);
    assert_string_equal(out, "linux/s390x");
    free(arm); free(s390); free(link); free(target);
}

static int copy(const char *src_fmt, const char *dst_fmt, char digest[DS_DIGEST_LEN + 1], ds_err *e) {
    char *src = ds_xasprintf(src_fmt, tmp), *dst = ds_xasprintf(dst_fmt, tmp);
    ds_image *img = NULL;
    int r = ds_image_open(src, NULL, &img, e);
    if (r == 0) r = ds_image_copy(img, dst, NULL, digest, e);
    ds_image_close(img);
    free(src); free(dst);
    return r;
}

static void inspect_digest(const char *fmt, char out[DS_DIGEST_LEN + 1]) {
    char *ref = ds_xasprintf(fmt, tmp);
    ds_image *img = NULL;
    ds_err e = {0};
    assert_int_equal(ds_image_open(ref, NULL, &img, &e), 0);
    memcpy(out, img->manifest_digest, DS_DIGEST_LEN + 1);
    ds_image_close(img);
    free(ref);
}

static char *tags_of(const char *fmt) {
    char *ref = ds_xasprintf(fmt, tmp);
    json_t *o = NULL;
    ds_err e = {0};
    int r = ds_list_tags(ref, NULL, &o, &e);
    free(ref);
    if (r < 0) return ds_xasprintf("error: %s", e.msg);
    char *txt = json_dumps(json_object_get(o, "Tags"), JSON_COMPACT);
    json_decref(o);
    return txt;
}

static void test_archives_added_to(void **state) {
    (void)state;
    put("t1/a", "one\n", 4);
    put("t2/b", "two\n", 4);
    char d1[DS_DIGEST_LEN + 1], d2[DS_DIGEST_LEN + 1], got[DS_DIGEST_LEN + 1];
    ds_err e = {0};
    assert_int_equal(copy("rootfs:%s/t1", "oci-archive:%s/oa.tar:one", d1, &e), 0);
    assert_int_equal(copy("rootfs:%s/t2", "oci-archive:%s/oa.tar:two", d2, &e), 0);
    inspect_digest("oci-archive:%s/oa.tar:one", got);
    assert_string_equal(got, d1);
    inspect_digest("oci-archive:%s/oa.tar:two", got);
    assert_string_equal(got, d2);
    char *t = tags_of("oci-archive:%s/oa.tar");
    assert_string_equal(t, "[\"one\",\"two\"]");
    free(t);

    assert_int_equal(copy("rootfs:%s/t1", "docker-archive:%s/da.tar:x/one:1", d1, &e), 0);
    inspect_digest("docker-archive:%s/da.tar", got);
    assert_string_equal(got, d1); /* the digest copy prints is the one inspect reports */
    assert_int_equal(copy("rootfs:%s/t2", "docker-archive:%s/da.tar:x/two:1", d2, &e), 0);
    inspect_digest("docker-archive:%s/da.tar:x/one:1", got);
    assert_string_equal(got, d1);
    inspect_digest("docker-archive:%s/da.tar:x/two:1", got);
    assert_string_equal(got, d2);
    t = tags_of("docker-archive:%s/da.tar");
    assert_string_equal(t, "[\"x/one:1\",\"x/two:1\"]");
    free(t);

    /* Unrelated files are refused and left as they were. */
    put("notes.txt", "text\n", 5);
    put("plain.tar.json", "{\"a\":1}", 7);
    assert_int_equal(copy("rootfs:%s/t1", "docker-archive:%s/notes.txt", got, &e), -1);
    assert_non_null(strstr(e.msg, "is not a docker archive"));
    assert_int_equal(copy("rootfs:%s/t1", "oci-archive:%s/plain.tar.json", got, &e), -1);
    assert_non_null(strstr(e.msg, "is not an oci-archive"));
    char *p = P("notes.txt"), *data = NULL;
    size_t len = 0;
    assert_int_equal(ds_read_file(p, &data, &len, 100, &e), 0);
    assert_string_equal(data, "text\n");
    free(p); free(data);
    /* A docker archive is not an oci-archive, nor the reverse. */
    assert_int_equal(copy("rootfs:%s/t1", "oci-archive:%s/da.tar:v", got, &e), -1);
    assert_int_equal(copy("rootfs:%s/t1", "docker-archive:%s/oa.tar:x/y:1", got, &e), -1);

    t = tags_of("oci-archive:%s/oa.tar:one");
    assert_non_null(strstr(t, "not one image"));
    free(t);
    t = tags_of("docker-archive:%s/notes.txt");
    assert_non_null(strstr(t, "not a docker archive"));
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf_oci_arch),
        cmocka_unit_test(test_platform_matches),
        cmocka_unit_test_setup_teardown(test_rootfs_platform, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archives_added_to, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
