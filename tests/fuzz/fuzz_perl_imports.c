/* libFuzzer: the Perl use/require reader of the package keep level (src/minify/perlimports.c),
 * which reads the image's .pm/.pl files. The first byte picks the flags (top level only). */
#include <stdint.h>
#include <string.h>
#include "minify/perlimports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!size) return 0;
    ds_perl_uses u = {0};
    ds_perl_imports((const char *)data + 1, size - 1, data[0] & 1u, &u);
    /* every name is a relative path without "..", as the caller joins it to a search dir */
    for (size_t i = 0; i < u.files.n; i++)
        if (!u.files.v[i][0] || u.files.v[i][0] == '/' || strstr(u.files.v[i], "..")) __builtin_trap();
    for (size_t i = 0; i < u.xs.n; i++)
        if (!u.xs.v[i][0] || strchr(u.xs.v[i], '/') || strstr(u.xs.v[i], "..")) __builtin_trap();
    ds_perl_uses_free(&u);
    return 0;
}
