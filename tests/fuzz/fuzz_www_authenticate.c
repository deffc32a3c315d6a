/* libFuzzer: the WWW-Authenticate challenge parser (bytes a registry sends us). */
#include <stdint.h>
#include <string.h>
#include "image/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = ds_xstrndup((const char *)data, size);
    ds_reg_challenge ch;
    ds_err e;
    if (ds_reg_parse_challenge(s, &ch, &e) == 0) {
        /* a success always names a known scheme, and Bearer always has a realm */
        if (strcmp(ch.scheme, "bearer") && strcmp(ch.scheme, "basic")) __builtin_trap();
        if (!strcmp(ch.scheme, "bearer") && !ch.realm) __builtin_trap();
        ds_reg_challenge_free(&ch);
    }
    free(s);
    return 0;
}
