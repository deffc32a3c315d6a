/* libFuzzer: the package-database line readers and filters shared by scan, build's metadata
 * writer and harden (scan/pkgdb.h), and the license-to-SPDX mapping. */
#include <stdint.h>
#include <string.h>
#include "scan/pkgdb.h"
#include "scan/scan.h"

static bool keep_odd(const char *path, void *arg) {
    (void)arg;
    return strlen(path) % 2 == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *t = (const char *)data;
    size_t n, k, d;
    free(ds_dpkg_list_filter(t, size, true, keep_odd, NULL, &n, &k, &d));
    free(ds_dpkg_list_filter(t, size, false, keep_odd, NULL, &n, &k, &d));
    free(ds_apk_filter(t, size, keep_odd, NULL, true, &n, &k, &d));
    free(ds_apk_filter(t, size, keep_odd, NULL, false, &n, &k, &d));
    free(ds_python_record_filter(t, size, "/usr/lib/python3/site-packages", keep_odd, NULL, &n, &k, &d));
    size_t pos = 0;
    const char *ps, *pe;
    while (ds_control_next(t, size, &pos, &ps, &pe)) {
    }
    char *s = ds_xstrndup(t, size < 8192 ? size : 8192);
    ds_strlist refs = {0};
    free(ds_spdx_expression(s, &refs));
    ds_strlist_free(&refs);
    free(s);
    return 0;
}
