/* libFuzzer: the Go build info parser (varint strings after the magic). */
#include <stdint.h>
#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_pkglist l = {0};
    ds_go_parse_buildinfo(data, size, "/bin/app", &l);
    ds_pkglist_free(&l);
    return 0;
}
