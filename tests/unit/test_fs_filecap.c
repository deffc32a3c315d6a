/* File capabilities (fs/filecap.h): the security.capability bytes are exactly what
 * `setcap cap_net_bind_service+ep` writes (VFS_CAP_REVISION_2), decoding refuses what the kernel
 * would refuse, ds_filecap_add stays in the root and keeps what a file had, and the xattr goes
 * through a layer (PAX SCHILY.xattr) and back out of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/filecap.h"
#include "fs/layer_writer.h"
#include "fs/unpack.h"
#include "util/fsutil.h"

static const unsigned char net_bind_ep[DS_FILECAP_V2_SIZE] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00,
                                                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

static void test_encode(void **state) {
    (void)state;
    unsigned char b[DS_FILECAP_V2_SIZE];
    ds_filecap_encode(1ull << DS_CAP_NET_BIND_SERVICE, true, b);
    assert_memory_equal(b, net_bind_ep, sizeof b);
    ds_filecap_encode(1ull << DS_CAP_NET_BIND_SERVICE, false, b);
    assert_int_equal(b[0], 0); /* no VFS_CAP_FLAGS_EFFECTIVE */
    assert_int_equal(b[3], 2);
    /* a capability above 31 goes into data[1] (CAP_BPF is 39) */
    ds_filecap_encode(1ull << 39, true, b);
    assert_int_equal(b[5], 0);
    assert_int_equal(b[12], 0x80);
}

static void test_decode(void **state) {
    (void)state;
    uint64_t p, i;
    bool eff;
    ds_err e = {0};
    assert_int_equal(ds_filecap_decode(net_bind_ep, sizeof net_bind_ep, &p, &i, &eff, &e), 0);
    assert_true(p == 1ull << DS_CAP_NET_BIND_SERVICE);
    assert_true(i == 0);
    assert_true(eff);
    unsigned char b[DS_FILECAP_V2_SIZE];
    ds_filecap_encode((1ull << 39) | 5, false, b);
    assert_int_equal(ds_filecap_decode(b, sizeof b, &p, &i, &eff, &e), 0);
    assert_true(p == ((1ull << 39) | 5));
    assert_false(eff);
    /* revision 3 (with a rootid) is read; its rootid is not ours to judge */
    unsigned char v3[24] = {0x01, 0, 0, 3, 0, 4, 0, 0};
    assert_int_equal(ds_filecap_decode(v3, sizeof v3, &p, &i, &eff, &e), 0);
    assert_true(p == 1ull << DS_CAP_NET_BIND_SERVICE);
    /* refused: short, a length that is not the revision's, unknown revision, unknown flags */
    assert_int_equal(ds_filecap_decode(b, 3, &p, &i, &eff, &e), -1);
    assert_non_null(strstr(e.msg, "too short"));
    assert_int_equal(ds_filecap_decode(b, 19, &p, &i, &eff, &e), -1);
    assert_non_null(strstr(e.msg, "revision 2 takes 20"));
    unsigned char bad[20] = {0, 0, 0, 9};
    assert_int_equal(ds_filecap_decode(bad, sizeof bad, &p, &i, &eff, &e), -1);
    assert_non_null(strstr(e.msg, "unknown revision"));
    unsigned char flags[20] = {0x02, 0, 0, 2};
    assert_int_equal(ds_filecap_decode(flags, sizeof flags, &p, &i, &eff, &e), -1);
    assert_non_null(strstr(e.msg, "unknown flags"));
}

static char *mk(const char *root, const char *rel) {
    char *p = ds_xasprintf("%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("#!/bin/true\n", f);
    fclose(f);
    return p;
}

/* Setting security.capability needs CAP_SETFCAP: the unit tests run as root here (make test). */
static void test_add_and_layer(void **state) {
    (void)state;
    if (geteuid() != 0) { fail_msg("needs root (CAP_SETFCAP) to set security.capability"); }
    char *root = NULL, *out = NULL, *back = NULL;
    ds_err e = {0};
    assert_int_equal(ds_mkdtemp("distill-test-filecap", &root, &e), 0);
    assert_int_equal(ds_mkdtemp("distill-test-filecap-out", &out, &e), 0);
    assert_int_equal(ds_mkdtemp("distill-test-filecap-back", &back, &e), 0);
    char *bin = ds_xasprintf("%s/bin", root);
    assert_int_equal(mkdir(bin, 0755), 0);
    char *srv = mk(root, "bin/srv");
    char *other = mk(root, "bin/other");
    char *ln = ds_xasprintf("%s/bin/link", root);
    assert_int_equal(symlink("srv", ln), 0);
    char *esc = ds_xasprintf("%s/esc", root);
    assert_int_equal(symlink("/etc/hostname", esc), 0);

    assert_int_equal(ds_filecap_add(root, "/bin/srv", 1ull << DS_CAP_NET_BIND_SERVICE, &e), 0);
    unsigned char v[32];
    ssize_t n = getxattr(srv, DS_FILECAP_XATTR, v, sizeof v);
    assert_int_equal(n, DS_FILECAP_V2_SIZE);
    assert_memory_equal(v, net_bind_ep, DS_FILECAP_V2_SIZE);
    /* existing caps are kept (CAP_CHOWN = 0), the new one added */
    assert_int_equal(ds_filecap_add(root, "/bin/srv", 1, &e), 0);
    n = getxattr(srv, DS_FILECAP_XATTR, v, sizeof v);
    uint64_t p, i;
    bool eff;
    assert_int_equal(ds_filecap_decode(v, (size_t)n, &p, &i, &eff, &e), 0);
    assert_true(p == ((1ull << DS_CAP_NET_BIND_SERVICE) | 1));
    assert_int_equal(removexattr(srv, DS_FILECAP_XATTR), 0);
    assert_int_equal(ds_filecap_add(root, "/bin/srv", 1ull << DS_CAP_NET_BIND_SERVICE, &e), 0);
    /* never through a symlink, never outside the root, only regular files, a clear error */
    assert_int_equal(ds_filecap_add(root, "/bin/link", 1, &e), -1);
    assert_non_null(strstr(e.msg, "/bin/link"));
    assert_int_equal(ds_filecap_add(root, "/esc", 1, &e), -1);
    assert_int_equal(ds_filecap_add(root, "/bin", 1, &e), -1);
    assert_non_null(strstr(e.msg, "not a regular file"));
    assert_int_equal(ds_filecap_add(root, "/nope", 1, &e), -1);
    assert_non_null(strstr(e.msg, "/nope"));
    assert_int_equal(getxattr(other, DS_FILECAP_XATTR, v, sizeof v), -1);

    /* The layer carries it as a PAX xattr of exactly that file ... */
    ds_layer_out lo = {0};
    assert_int_equal(ds_layer_write_tree(root, DS_COMPRESS_NONE, out, NULL, NULL, &lo, &e), 0);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a);
    assert_int_equal(archive_read_open_filename(a, lo.blob_path, 10240), ARCHIVE_OK);
    struct archive_entry *ae;
    int seen = 0;
    while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
        const char *name, *path = archive_entry_pathname(ae);
        const void *val;
        size_t len;
        int here = 0;
        archive_entry_xattr_reset(ae);
        while (archive_entry_xattr_next(ae, &name, &val, &len) == ARCHIVE_OK)
            if (!strcmp(name, DS_FILECAP_XATTR)) {
                assert_true(strstr(path, "bin/srv") != NULL);
                assert_int_equal(len, DS_FILECAP_V2_SIZE);
                assert_memory_equal(val, net_bind_ep, len);
                here = 1;
            }
        seen += here; /* libarchive writes it as LIBARCHIVE.xattr and SCHILY.xattr: one file */
    }
    archive_read_free(a);
    assert_int_equal(seen, 1);
    /* ... and unpacking it sets it again. */
    assert_int_equal(ds_layer_apply(back, lo.blob_path, lo.media_type, NULL, &e), 0);
    char *srv2 = ds_xasprintf("%s/bin/srv", back);
    n = getxattr(srv2, DS_FILECAP_XATTR, v, sizeof v);
    assert_int_equal(n, DS_FILECAP_V2_SIZE);
    assert_memory_equal(v, net_bind_ep, DS_FILECAP_V2_SIZE);

    unlink(lo.blob_path);
    ds_layer_out_free(&lo);
    ds_rmtree(root, &e);
    ds_rmtree(out, &e);
    ds_rmtree(back, &e);
    free(srv2); free(root); free(out); free(back); free(bin); free(srv); free(other); free(ln); free(esc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_add_and_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
