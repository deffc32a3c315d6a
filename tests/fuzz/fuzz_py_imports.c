/* libFuzzer: the Python import statement reader of the package keep level (src/minify/pyimports.c).
 * The first byte picks the package for relative imports and the flags (top level only, not __main__). */
#include <stdint.h>
#include <string.h>
#include "minify/pyimports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size) return 0;
    static const char *const pkgs[] = {NULL, "", "a", "a.b.c"};
    ds_strlist out = {0};
    ds_py_imports((const char *)data + 1, size - 1, pkgs[data[0] & 3], (unsigned)(data[0] >> 2) & 3u, &out);
    for (size_t i = 0; i < out.n; i++)
        if (!out.v[i][0] || out.v[i][0] == '.' || strstr(out.v[i], "..")) __builtin_trap();
    ds_strlist_free(&out);
    return 0;
}
