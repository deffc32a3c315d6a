#include "fs/layer_reader.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

int ds_layer_reader_open(const char *blob_path, const char *media_type, struct archive **out, ds_err *err) {
    struct archive *a = archive_read_new();
    if (!a) return ds_fail(err, "%s: out of memory", blob_path);
    archive_read_support_format_tar(a);
    if (media_type && (strstr(media_type, "zstd"))) {
        archive_read_support_filter_zstd(a);
    } else if (media_type && strstr(media_type, "gzip")) {
        archive_read_support_filter_gzip(a);
    } else if (media_type && ends_with(media_type, ".tar")) {
        /* uncompressed: no filter */
    } else {
        /* Unknown or missing media type: let the magic bytes decide. */
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
    }
    if (archive_read_open_filename(a, blob_path, 1 << 20) != ARCHIVE_OK) {
        int r = ds_fail(err, "%s: %s", blob_path, archive_error_string(a) ? archive_error_string(a) : "cannot open");
        archive_read_free(a);
        return r;
    }
    *out = a;
    return 0;
}

int ds_clean_tar_path(const char *name, char **out) {
    size_t n = strlen(name);
    char *res = ds_xmalloc(n + 1);
    size_t o = 0;
    const char *p = name;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 1 && p[0] == '.') { p += len; continue; }
        if (len == 2 && p[0] == '.' && p[1] == '.') { free(res); return -1; }
        if (o) res[o++] = '/';
        memcpy(res + o, p, len);
        o += len;
        p += len;
    }
    res[o] = 0;
    *out = res;
    return 0;
}

char *ds_entry_text(const char *name) {
    /* At most ~300 bytes out, so that the reason after it fits in a ds_err. */
    char *out = ds_xmalloc(300 + 8), *w = out;
    const unsigned char *p = (const unsigned char *)name;
    for (; *p && w - out < 300; p++) {
        if (*p < 0x20 || *p == 0x7f) w += sprintf(w, "\\x%02X", *p);
        else *w++ = (char)*p;
    }
    if (*p) { memcpy(w, "...", 3); w += 3; }
    *w = 0;
    return out;
}
