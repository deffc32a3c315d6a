/* Strict UTF-8, as JSON parsers (jansson) check it: shared by the sensor, which writes trace logs,
 * and the library that reads them. Header-only because the static sensor links no library code. */
#ifndef DS_UTIL_UTF8_SEQ_H
#define DS_UTIL_UTF8_SEQ_H
#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0: no overlong forms, no surrogates,
 * nothing above U+10FFFF. p must be NUL-terminated (a NUL ends any sequence as invalid). */
static inline size_t ds_utf8_seq(const unsigned char *p) {
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t n;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) { n = 3; if (c == 0xe0) lo = 0xa0; if (c == 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; if (c == 0xf0) lo = 0x90; if (c == 0xf4) hi = 0x8f; }
    else return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++) if (p[i] < 0x80 || p[i] > 0xbf) return 0;
    return n;
}

/* The whole string is strictly valid UTF-8. */
static inline bool ds_utf8_valid(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = ds_utf8_seq(p);
        if (!n) return false;
        p += n;
    }
    return true;
}

#endif
