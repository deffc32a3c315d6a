/* Adding an image to an existing archive instead of replacing it: the entries of the archive at
 * PATH are streamed into the new tar being written beside it (renamed over PATH at commit), except
 * those the transport rewrites (index.json, manifest.json), which are read into memory. A file that
 * is not a tar is refused, and PATH is never touched until the new archive is complete. */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include "image/blob.h"
#include "image/manifest.h"
#include "util/fsutil.h"

static const char *strip_dot(const char *n) {
    while (n[0] == '.' && n[1] == '/') n += 2;
    return n;
}

int ds_tar_carry_over(const char *path, const char *what, const char *kind, struct archive *out, ds_tar_carry *c,
                      ds_err *err) {
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a);
    if (archive_read_open_filename(a, path, 1 << 20) != ARCHIVE_OK) {
        int r = ds_fail(err, "%s: exists and is not %s (not a tar file); refusing to overwrite it", what, kind);
        archive_read_free(a);
        return r;
    }
    char *buf = ds_xmalloc(1 << 20);
    struct archive_entry *e;
    int ar, r = 0;
    size_t entries = 0;
    while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        entries++;
        const char *name = archive_entry_pathname(e);
        name = strip_dot(name ? name : "");
        mode_t type = archive_entry_filetype(e);
        if (c->capture && !strcmp(name, c->capture) && type == AE_IFREG) {
            if (archive_entry_size(e) > (la_int64_t)DS_MAX_MANIFEST) {
                r = ds_fail(err, "%s: %s of the existing archive is over %u bytes", what, c->capture, DS_MAX_MANIFEST);
                break;
            }
            size_t cap = (size_t)archive_entry_size(e) + 1, len = 0;
            free(c->captured);
            c->captured = ds_xmalloc(cap);
            for (la_ssize_t n; (n = archive_read_data(a, c->captured + len, cap - len)) != 0;) {
                if (n < 0) { r = ds_fail(err, "%s: %s: %s", what, c->capture, ds_archive_err(a)); break; }
                len += (size_t)n;
                if (len == cap) { r = ds_fail(err, "%s: %s is longer than its header says", what, c->capture); break; }
            }
            c->captured[len] = 0;
            c->captured_len = len;
            continue;
        }
        int f = c->filter ? c->filter(name, (unsigned)type, c->ctx, err) : 0;
        if (f < 0) { r = -1; break; }
        if (f > 0) continue;
        if (archive_write_header(out, e) != ARCHIVE_OK) { r = ds_fail(err, "%s: %s", what, ds_archive_err(out)); break; }
        if (type != AE_IFREG || archive_entry_hardlink(e)) continue;
        ds_sha256 h;
        ds_sha256_init(&h);
        int64_t size = 0;
        for (;;) {
            la_ssize_t n = archive_read_data(a, buf, 1 << 20);
            if (n < 0) { r = ds_fail(err, "%s: existing entry %.200s: %s", what, name, ds_archive_err(a)); break; }
            if (n == 0) break;
            ds_sha256_update(&h, buf, (size_t)n);
            size += n;
            if (archive_write_data(out, buf, (size_t)n) != n) { r = ds_fail(err, "%s: %s", what, ds_archive_err(out)); break; }
        }
        char digest[DS_DIGEST_LEN + 1];
        ds_sha256_final(&h, digest);
        if (r == 0 && c->copied) c->copied(name, digest, size, c->ctx);
    }
    if (r == 0 && ar != ARCHIVE_EOF)
        r = ds_fail(err, "%s: exists and is not %s (not a readable tar file); refusing to overwrite it", what, kind);
    if (r == 0 && c->capture && !c->captured)
        r = ds_fail(err, "%s: exists and is not %s (no %s in it); refusing to overwrite it", what, kind, c->capture);
    free(buf);
    archive_read_free(a);
    (void)entries;
    return r;
}

int ds_tar_read_entry(const char *path, const char *entry, const char *what, const char *kind, char **data, size_t *len,
                      ds_err *err) {
    *data = NULL;
    *len = 0;
    if (!ds_exists(path)) return ds_fail(err, "%s: no such file", what);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a);
    if (archive_read_open_filename(a, path, 1 << 20) != ARCHIVE_OK) {
        int r = ds_fail(err, "%s: not %s (not a tar file)", what, kind);
        archive_read_free(a);
        return r;
    }
    struct archive_entry *e;
    int ar, r = 1;
    while (r == 1 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (!name || strcmp(strip_dot(name), entry) || archive_entry_filetype(e) != AE_IFREG) continue;
        if (archive_entry_size(e) > (la_int64_t)DS_MAX_MANIFEST) {
            r = ds_fail(err, "%s: %s is over %u bytes", what, entry, DS_MAX_MANIFEST);
            break;
        }
        size_t cap = (size_t)archive_entry_size(e) + 1, n = 0;
        char *buf = ds_xmalloc(cap);
        for (la_ssize_t k; (k = archive_read_data(a, buf + n, cap - n)) != 0;) {
            if (k < 0 || (n += (size_t)k) == cap) { r = ds_fail(err, "%s: %s: %s", what, entry, ds_archive_err(a)); break; }
        }
        buf[n] = 0;
        if (r < 0) { free(buf); break; }
        free(*data);
        *data = buf; /* the last one wins, as when extracting */
        *len = n;
    }
    if (r == 1 && ar != ARCHIVE_EOF && ar != ARCHIVE_OK) r = ds_fail(err, "%s: not %s (not a readable tar file)", what, kind);
    if (r == 1 && !*data) r = ds_fail(err, "%s: not %s (no %s in it)", what, kind, entry);
    if (r == 1) r = 0;
    if (r < 0) { free(*data); *data = NULL; }
    archive_read_free(a);
    return r;
}
