/* libFuzzer: rpm header blobs (rows of rpmdb.sqlite's Packages table). */
#include <stdint.h>
#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_distro d = {.id = "fedora", .version_id = "39"};
    ds_strlist notes = {0};
    ds_pkgctx ctx = {.root = NULL, .distro = &d, .notes = &notes};
    ds_pkglist l = {0};
    ds_rpm_parse_header(data, size, "rpmdb.sqlite", &ctx, &l);
    ds_pkglist_free(&l);
    ds_strlist_free(&notes);
    return 0;
}
