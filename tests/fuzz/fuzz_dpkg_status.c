/* libFuzzer: the dpkg status parser (also used for distroless status.d files). */
#include <stdint.h>
#include <string.h>
#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = ds_xstrndup((const char *)data, size);
    ds_distro d = {.id = "debian", .version_id = "12"};
    ds_strlist notes = {0};
    ds_pkgctx ctx = {.root = NULL, .distro = &d, .notes = &notes};
    ds_pkglist l = {0};
    ds_err e;
    ds_dpkg_parse_status(text, strlen(text), "status", &ctx, &l, &e);
    ds_pkglist_sort(&l);
    ds_pkglist_free(&l);
    ds_strlist_free(&notes);
    free(text);
    return 0;
}
