#include "cli/json_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/err.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p) {
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return n;
}

char *cli_utf8_text(const char *s) {
    size_t len = strlen(s);
    char *out = ds_xmalloc(len * 4 + 1), *w = out;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq(p);
        if (n) { memcpy(w, p, n); w += n; p += n; }
        else { w += sprintf(w, "\\x%02X", *p); p++; }
    }
    *w = 0;
    return out;
}

json_t *cli_json_text(const char *s) {
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    char *t = cli_utf8_text(s);
    j = json_string(t);
    free(t);
    return j ? j : json_string("");
}

void cli_json_set_text_key(json_t *obj, const char *key, json_t *value) {
    char *k = cli_utf8_text(key);
    json_object_set_new(obj, k, value);
    free(k);
}

char *cli_safe_text(const char *s) {
    if (!s) return ds_xstrdup("");
    char *out = ds_xmalloc(strlen(s) * 4 + 1), *w = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) w += sprintf(w, "\\x%02X", *p);
        else *w++ = (char)*p;
    }
    *w = 0;
    return out;
}
