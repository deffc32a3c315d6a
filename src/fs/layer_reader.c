/* Layer blobs as tar streams. gzip, the common case, is decompressed in one go with
 * libdeflate into memory (several times faster than libarchive's zlib inflate) and the
 * tar read from there; zstd (libarchive uses libzstd, already fast), plain tar, and gzip
 * whose output is over DS_GUNZIP_MEM_LIMIT (1 GiB, so memory stays bounded) are streamed. */
#include "fs/layer_reader.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/compress.h"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* The decompressed tar, handed to libarchive as one block and freed when it closes. */
typedef struct { unsigned char *buf; size_t len; bool given; } mem_tar;

static la_ssize_t mem_tar_read(struct archive *a, void *data, const void **buf) {
    (void)a;
    mem_tar *m = data;
    if (m->given) return 0;
    m->given = true;
    *buf = m->buf;
    return (la_ssize_t)m->len;
}

static int mem_tar_close(struct archive *a, void *data) {
    (void)a;
    mem_tar *m = data;
    free(m->buf);
    free(m);
    return ARCHIVE_OK;
}

int ds_layer_next(struct archive *a, const char *blob_path, struct archive_entry **e, ds_err *err) {
    int r = archive_read_next_header(a, e);
    if (r == ARCHIVE_EOF) return 0;
    if (r < ARCHIVE_WARN)
        return ds_fail(err, "%s: %s", blob_path, archive_error_string(a) ? archive_error_string(a) : "bad tar");
    return 1;
}

int ds_layer_reader_open_mem(unsigned char *buf, size_t len, const char *name, struct archive **out, ds_err *err) {
    struct archive *a = archive_read_new();
    if (!a) { free(buf); return ds_fail(err, "%s: out of memory", name); }
    archive_read_support_format_tar(a);
    mem_tar *m = ds_xmalloc(sizeof *m);
    *m = (mem_tar){.buf = buf, .len = len};
    if (archive_read_open2(a, m, NULL, mem_tar_read, NULL, mem_tar_close) != ARCHIVE_OK) {
        int r = ds_fail(err, "%s: %s", name, archive_error_string(a) ? archive_error_string(a) : "cannot open");
        archive_read_free(a);
        return r;
    }
    *out = a;
    return 0;
}

int ds_layer_reader_open(const char *blob_path, const char *media_type, struct archive **out, ds_err *err) {
    struct archive *a = archive_read_new();
    if (!a) return ds_fail(err, "%s: out of memory", blob_path);
    archive_read_support_format_tar(a);
    bool maybe_gzip = true;
    if (media_type && (strstr(media_type, "zstd"))) {
        archive_read_support_filter_zstd(a);
        maybe_gzip = false;
    } else if (media_type && strstr(media_type, "gzip")) {
        archive_read_support_filter_gzip(a);
    } else if (media_type && ends_with(media_type, ".tar")) {
        /* uncompressed: no filter */
        maybe_gzip = false;
    } else {
        /* Unknown or missing media type: let the magic bytes decide. */
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
    }
    if (maybe_gzip) {
        /* Not gzip by its magic, too big, or corrupt: the streaming path below reads it
         * as before (and reports the error, having read what it could). */
        unsigned char *buf;
        size_t len;
        ds_err ignored;
        if (ds_gunzip_file_mem(blob_path, DS_GUNZIP_MEM_LIMIT, &buf, &len, &ignored) == 0) {
            mem_tar *m = ds_xmalloc(sizeof *m);
            *m = (mem_tar){.buf = buf, .len = len};
            /* From here libarchive owns m: its close (also on a failed open) frees it. */
            if (archive_read_open2(a, m, NULL, mem_tar_read, NULL, mem_tar_close) != ARCHIVE_OK) {
                int r = ds_fail(err, "%s: %s", blob_path, archive_error_string(a) ? archive_error_string(a) : "cannot open");
                archive_read_free(a);
                return r;
            }
            *out = a;
            return 0;
        }
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
