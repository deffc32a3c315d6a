/* Paths in JSON: lossy readable text plus exact bytes in hex (format in path_json.h). */
#include "util/path_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/err.h"

char *ds_utf8_replace(const char *s, const char *repl) {
    size_t rl = strlen(repl);
    char *out = ds_xmalloc(strlen(s) * (rl > 4 ? rl : 4) + 1), *w = out;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = ds_utf8_seq(p);
        if (n) { memcpy(w, p, n); w += n; p += n; }
        else { memcpy(w, repl, rl); w += rl; p++; }
    }
    *w = 0;
    return out;
}

char *ds_utf8_lossy(const char *s) { return ds_utf8_replace(s, "\xef\xbf\xbd"); }

char *ds_hex_of(const char *s) {
    static const char digits[] = "0123456789abcdef";
    size_t len = strlen(s);
    char *out = ds_xmalloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[(unsigned char)s[i] >> 4];
        out[2 * i + 1] = digits[(unsigned char)s[i] & 15];
    }
    out[len * 2] = 0;
    return out;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *ds_hex_decode(const char *hex, size_t len, const char **why) {
    if (len % 2) { *why = "odd number of hex digits"; return NULL; }
    char *out = ds_xmalloc(len / 2 + 1);
    for (size_t i = 0; i < len; i += 2) {
        int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
        if (hi < 0 || lo < 0) { free(out); *why = "not a hex digit"; return NULL; }
        if (!hi && !lo) { free(out); *why = "a NUL byte (00)"; return NULL; }
        out[i / 2] = (char)(hi << 4 | lo);
    }
    out[len / 2] = 0;
    return out;
}

json_t *ds_json_bytes(const char *s) {
    return s ? json_string_nocheck(s) : json_null();
}

json_t *ds_json_lossy(const char *s) {
    if (!s) return json_null();
    char *t = ds_utf8_lossy(s);
    json_t *j = json_string(t);
    free(t);
    return j;
}

/* The string value is not valid UTF-8 (jansson's unchecked strings may hold anything). */
static bool bad_string(const json_t *v) {
    return json_is_string(v) && (strlen(json_string_value(v)) != json_string_length(v) ||
                                 !ds_utf8_valid(json_string_value(v)));
}

static void fix_array(json_t *a, json_t **hex_out) {
    size_t i;
    json_t *e;
    json_t *hex = NULL;
    json_array_foreach(a, i, e) {
        if (bad_string(e)) {
            if (!hex) {
                hex = json_array();
                for (size_t k = 0; k < json_array_size(a); k++) json_array_append_new(hex, json_null());
            }
            char *h = ds_hex_of(json_string_value(e));
            json_array_set_new(hex, i, json_string(h));
            free(h);
            json_array_set_new(a, i, ds_json_lossy(json_string_value(e)));
        } else {
            ds_json_export(e);
        }
    }
    if (hex_out) *hex_out = hex;
    else json_decref(hex);
}

void ds_json_export(json_t *v) {
    if (json_is_array(v)) { fix_array(v, NULL); return; }
    if (!json_is_object(v)) return;
    /* Keys collected first: members are added while walking. */
    size_t n = json_object_size(v), k = 0;
    char **keys = ds_xcalloc(n + 1, sizeof *keys);
    const char *key;
    json_t *m;
    json_object_foreach(v, key, m) keys[k++] = ds_xstrdup(key);
    for (size_t i = 0; i < k; i++) {
        char *hk = ds_xasprintf("%s_hex", keys[i]);
        m = json_object_get(v, keys[i]);
        json_t *hex = NULL;
        if (bad_string(m)) {
            char *h = ds_hex_of(json_string_value(m));
            hex = json_string(h);
            free(h);
            json_object_set_new(v, keys[i], ds_json_lossy(json_string_value(m)));
        } else if (json_is_array(m)) {
            fix_array(m, &hex);
        } else {
            ds_json_export(m);
        }
        if (hex) json_object_set_new(v, hk, hex);
        free(hk);
        free(keys[i]);
    }
    free(keys);
}
