/* libFuzzer: version comparators on two strings split at the first newline;
 * checks antisymmetry, which a broken comparator (or a crash) would violate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "scan/report.h"

static int sgn(int x) { return x < 0 ? -1 : x > 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = ds_xstrndup((const char *)data, size);
    char *b = strchr(s, '\n');
    if (b) *b++ = 0; else b = s;
    int (*cmps[])(const char *, const char *) = {ds_ver_cmp_dpkg, ds_ver_cmp_apk, ds_ver_cmp_semver, ds_ver_cmp_pep440,
                                                 ds_ver_cmp_rpm};
    for (size_t i = 0; i < sizeof cmps / sizeof *cmps; i++)
        if (sgn(cmps[i](s, b)) != -sgn(cmps[i](b, s))) abort();
    free(s);
    return 0;
}
