/* libFuzzer: the Ruby require reader of the package keep level (src/minify/rbimports.c),
 * which reads the image's .rb files. The first byte picks the flags (top level only). */
#include <stdint.h>
#include <string.h>
#include "minify/rbimports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size) return 0;
    ds_rb_uses u = {0};
    ds_rb_imports((const char *)data + 1, size - 1, data[0] & 1u, &u);
    /* every name is a relative path without "..", as the caller joins it to a search dir */
    for (size_t i = 0; i < u.requires.n; i++)
        if (!u.requires.v[i][0] || u.requires.v[i][0] == '/' || strstr(u.requires.v[i], "..")) __builtin_trap();
    for (size_t i = 0; i < u.relative.n; i++)
        if (!u.relative.v[i][0] || u.relative.v[i][0] == '/' || strstr(u.relative.v[i], "..")) __builtin_trap();
    ds_rb_uses_free(&u);
    return 0;
}
