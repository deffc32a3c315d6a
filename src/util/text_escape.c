/* Control bytes and invalid UTF-8 from an image, spelled \xNN for text output. */
#include "util/text_escape.h"
#include <stdio.h>
#include <string.h>
#include "util/err.h"
#include "util/utf8_seq.h"

char *ds_text_escape(const char *s) {
    if (!s) return ds_xstrdup("");
    char *out = ds_xmalloc(strlen(s) * 4 + 1), *w = out;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = ds_utf8_seq(p);
        bool c1 = n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
        if (n == 1 && *p >= 0x20 && *p != 0x7f) {
            *w++ = (char)*p++;
        } else if (n > 1 && !c1) {
            memcpy(w, p, n);
            w += n;
            p += n;
        } else {
            /* A control byte, a C1 control (both of its bytes) or a byte of no sequence. */
            for (size_t i = 0; i < (n ? n : 1); i++) w += sprintf(w, "\\x%02x", p[i]);
            p += n ? n : 1;
        }
    }
    *w = 0;
    return out;
}
