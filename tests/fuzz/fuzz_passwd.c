/* Fuzz the one passwd/group reader (fs/passwd.c): rows keep their line, fields stay inside
 * it, ids parse or are refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fs/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_passwd_file t;
    ds_passwd_parse((const char *)data, size, 3, &t);
    for (size_t i = 0; i < t.n; i++) {
        const ds_passwd_row *r = &t.rows[i];
        if (!r->line || !r->line[0] || r->nf > DS_PASSWD_MAXF) abort();
        size_t total = 0;
        for (int k = 0; k < r->nf; k++) total += strlen(r->f[k]) + 1;
        if (r->nf && total - 1 != strlen(r->line)) abort(); /* the fields joined by ':' are the line */
        unsigned id;
        if (r->nf > 2) (void)ds_passwd_id(r->f[2], &id);
    }
    if (t.n) (void)ds_passwd_find(&t, 0, t.rows[0].line);
    ds_passwd_free(&t);
    return 0;
}
