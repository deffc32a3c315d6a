/* libFuzzer: Python METADATA / PKG-INFO headers. */
#include <stdint.h>
#include <string.h>
#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_pkg p;
    memset(&p, 0, sizeof p);
    ds_python_parse_metadata((const char *)data, size, &p);
    free(p.name); free(p.version); free(p.license);
    return 0;
}
