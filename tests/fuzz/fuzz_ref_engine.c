/* libFuzzer: docker-daemon: / containers-storage: references (ref_engine.c), their
 * storage specs, and near matches. A reference that parses must format back to text
 * that parses to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "image/engine.h"
#include "image/ref_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0 || size > 4096) return 0;
    static const char *prefixes[] = {"docker-daemon:", "containers-storage:", "containers-storage:[", ""};
    const char *pre = prefixes[data[0] % 4];
    char *text = malloc(strlen(pre) + size);
    memcpy(text, pre, strlen(pre));
    memcpy(text + strlen(pre), data + 1, size - 1);
    text[strlen(pre) + size - 1] = 0;
    ds_ref r;
    ds_err err;
    if (ds_ref_parse(text, &r, &err) == 0) {
        char *f = ds_ref_format(&r);
        ds_ref r2;
        if (ds_ref_parse(f, &r2, &err) != 0) abort();
        char *f2 = ds_ref_format(&r2);
        if (strcmp(f, f2)) abort();
        free(f2);
        ds_ref_free(&r2);
        free(f);
        ds_ref_free(&r);
    }
    ds_storage_spec sp;
    if (ds_storage_spec_parse(text, "fuzz", &sp, &err) == 0) ds_storage_spec_free(&sp);
    /* Lines as engine names, the first as the wanted one. */
    const char *names[64];
    size_t n = 0;
    char *save = NULL;
    char *want = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && n < 64; l = strtok_r(NULL, "\n", &save)) {
        if (!want) want = l;
        else names[n++] = l;
    }
    if (want) {
        bool same;
        free(ds_engine_near_matches(want, names, n, 8, &same));
    }
    free(text);
    return 0;
}
