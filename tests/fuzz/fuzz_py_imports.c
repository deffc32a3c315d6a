/* libFuzzer: the Python import statement reader of the package keep level (src/minify/pyimports.c).
 * The first byte picks the package for relative imports, the flags (top level only, not __main__)
 * and whether modules exist (the ImportError fallback rule). */
#include <stdint.h>
#include <string.h>
#include "minify/pyimports.h"

/* "exists" for the try/except ImportError rule: modules with an even length */
static bool even(const char *m, void *ctx) { (void)ctx; return strlen(m) % 2 == 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size) return 0;
    static const char *const pkgs[] = {NULL, "", "a", "a.b.c"};
    ds_strlist out = {0};
    ds_py_imports((const char *)data + 1, size - 1, pkgs[data[0] & 3], (unsigned)(data[0] >> 2) & 3u, data[0] & 16 ? even : NULL, NULL, &out);
    for (size_t i = 0; i < out.n; i++)
        if (!out.v[i][0] || out.v[i][0] == '.' || strstr(out.v[i], "..")) __builtin_trap();
    ds_strlist_free(&out);
    return 0;
}
