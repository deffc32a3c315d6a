/* Fuzz ds_ref_parse (the one reference grammar): any text either parses into a ref that
 * formats back and parses again to the same fields, or is refused with a one-line error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "image/image.h"

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    ds_ref r;
    ds_err e;
    if (ds_ref_parse(text, &r, &e) == 0) {
        char *f = ds_ref_format(&r);
        ds_ref r2;
        if (ds_ref_parse(f, &r2, &e) != 0) abort();
        if (r.transport != r2.transport || !same(r.host, r2.host) || !same(r.repo, r2.repo) ||
            !same(r.tag, r2.tag) || !same(r.digest, r2.digest)) abort();
        ds_ref_free(&r2);
        free(f);
        ds_ref_free(&r);
    } else if (strchr(e.msg, '\n') && !strchr(text, '\n')) {
        abort(); /* a multi-line error from a one-line reference */
    }
    free(text);
    return 0;
}
