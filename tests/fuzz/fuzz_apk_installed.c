/* libFuzzer: the apk installed-database parser. */
#include <stdint.h>
#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_distro d = {.id = "alpine", .version_id = "3.19.1"};
    ds_strlist notes = {0};
    ds_pkgctx ctx = {.root = NULL, .distro = &d, .notes = &notes};
    ds_pkglist l = {0};
    ds_err e;
    /* Not NUL-terminated on purpose: the parser works on (text, len). */
    ds_apk_parse_installed((const char *)data, size, "installed", &ctx, &l, &e);
    ds_pkglist_free(&l);
    ds_strlist_free(&notes);
    return 0;
}
