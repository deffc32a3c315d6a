/* libFuzzer: auth file JSON (auth.json / ~/.docker/config.json) lookup and base64 decoding. */
#include <stdint.h>
#include <string.h>
#include "image/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *hosts[][2] = {{"127.0.0.1:5000", "a/b"}, {"index.docker.io", "library/x"},
                                     {"quay.io", "team/app"}};
    for (size_t i = 0; i < 3; i++) {
        char *u = NULL, *p = NULL;
        ds_err e;
        char *helper = NULL;
        int r = ds_reg_authjson_lookup((const char *)data, size, "fuzz.json", hosts[i][0], hosts[i][1], &u, &p,
                                       &helper, &e);
        if (r == 1 && (!u || !p)) __builtin_trap();
        if (r != 1 && (u || p)) __builtin_trap();
        if ((r == 2) != (helper != NULL)) __builtin_trap();
        if (helper && (strchr(helper, '/') || !*helper)) __builtin_trap(); /* never a path */
        free(u);
        free(p);
        free(helper);
    }
    return 0;
}
