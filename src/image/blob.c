#include <archive.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "util/fsutil.h"
#include "image/blob.h"

int ds_blob_verify(const char *path, const ds_desc *d, const char *image, ds_err *err) {
    struct stat st;
    if (stat(path, &st) < 0) return ds_fail_errno(err, "%s: blob %s", image, d->digest);
    if (!S_ISREG(st.st_mode)) return ds_fail(err, "%s: blob %s is not a regular file", image, d->digest);
    if (st.st_size != d->size)
        return ds_fail(err, "%s: blob %s has the wrong size: %lld bytes, the manifest says %lld", image, d->digest,
                       (long long)st.st_size, (long long)d->size);
    char got[DS_DIGEST_LEN + 1];
    uint64_t n = 0;
    if (ds_sha256_file(path, got, &n, err) < 0) return ds_err_wrap(err, "%s: blob %s", image, d->digest);
    if (strcmp(got, d->digest))
        return ds_fail(err, "%s: blob %s is corrupt: its content hashes to %s", image, d->digest, got);
    return 0;
}

int ds_image_mkdtemp(const ds_opts *opts, const char *prefix, char **out, ds_err *err) {
    if (!opts || !opts->tmpdir || !*opts->tmpdir || !strcmp(opts->tmpdir, ds_tmpdir())) return ds_mkdtemp(prefix, out, err);
    char *t = ds_xasprintf("%s/%s-XXXXXX", opts->tmpdir, prefix);
    if (ds_mkdtemp_path(t, out, err) < 0) { errno = err->code; return ds_fail_errno(err, "--tmpdir %s", opts->tmpdir); }
    return 0;
}

int ds_digest_set_has(const ds_digest_set *s, const char *digest) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], digest)) return 1;
    return 0;
}

void ds_digest_set_add(ds_digest_set *s, const char *digest) {
    if (ds_digest_set_has(s, digest)) return;
    if (s->n == s->cap) { s->cap = s->cap ? s->cap * 2 : 16; s->v = ds_xrealloc(s->v, s->cap * sizeof *s->v); }
    snprintf(s->v[s->n++], DS_DIGEST_LEN + 1, "%s", digest);
}

void ds_digest_set_free(ds_digest_set *s) { free(s->v); memset(s, 0, sizeof *s); }

const char *ds_archive_err(struct archive *a) {
    static _Thread_local char buf[512];
    const char *m = archive_error_string(a);
    int e = archive_errno(a);
    if (!m) m = "archive error";
    /* libarchive files its own verdicts under errno values (ARCHIVE_ERRNO_FILE_FORMAT is
     * EILSEQ, ARCHIVE_ERRNO_PROGRAMMER EINVAL): their strerror ("Invalid or incomplete
     * multibyte or wide character") says nothing true about the input. Only a system
     * errno is worth adding. */
    if (e == EILSEQ || e == EINVAL) e = 0;
    if (e > 0 && !strstr(m, strerror(e))) snprintf(buf, sizeof buf, "%s: %s", m, strerror(e));
    else snprintf(buf, sizeof buf, "%s", m);
    return buf;
}

int ds_archive_not_tar(struct archive *a) {
    int e = archive_errno(a);
    return e == EILSEQ || e == -1 || e == 0; /* ARCHIVE_ERRNO_FILE_FORMAT, _MISC */
}
