/* Blob checks shared by the transports (internal to src/image). */
#ifndef DS_IMAGE_BLOB_H
#define DS_IMAGE_BLOB_H
#include "image/image.h"

/* Check that the file at path has d->size bytes and hashes to d->digest. The error
 * names the blob and `image` (the reference text). */
int ds_blob_verify(const char *path, const ds_desc *d, const char *image, ds_err *err);

/* A small set of digests (verified blobs, blobs already written). */
typedef struct ds_digest_set { char (*v)[DS_DIGEST_LEN + 1]; size_t n, cap; } ds_digest_set;
int ds_digest_set_has(const ds_digest_set *s, const char *digest);
void ds_digest_set_add(ds_digest_set *s, const char *digest);
void ds_digest_set_free(ds_digest_set *s);

/* The OCI layout reader, also used by oci-archive on the extracted tree. When
 * owned_tmp is not NULL, it is removed (rm -r) on close. */
int ds_oci_layout_source_init(ds_source *s, const char *dir, char *owned_tmp, ds_err *err);

/* Tar writing shared by oci-archive and docker-archive (in oci_archive.c): a tar at
 * a temp sibling of path, files streamed in, renamed over path on finish. */
struct archive;
/* libarchive's message plus the system reason when it has one ("Write error" alone
 * does not say the disk is full). The text lives until the next call in this thread. */
const char *ds_archive_err(struct archive *a);
int ds_tar_create(const char *path, const char *what, struct archive **out, char **tmp_out, ds_err *err);
int ds_tar_add_file(struct archive *a, const char *name, const char *path, const char *what, ds_err *err);
int ds_tar_finish(struct archive *a, const char *tmp, const char *path, const char *what, ds_err *err);

/* Carry the entries of an existing archive at path into the tar `out` (tar_carry.c), so a second image
 * is added to an archive instead of replacing it. The entry named `capture` (index.json, manifest.json)
 * is read into captured (NUL-terminated) instead of copied; filter (may be NULL) returns 1 to drop an
 * entry, 0 to copy it, -1 to refuse (err set); copied (may be NULL) is told each regular file copied,
 * with its sha256 and size. A file that is not a tar, or has no `capture` entry, is refused as "not
 * KIND" ("an oci-archive", "a docker archive"). */
typedef struct ds_tar_carry {
    const char *capture;
    char *captured;
    size_t captured_len;
    int (*filter)(const char *name, unsigned type, void *ctx, ds_err *err);
    void (*copied)(const char *name, const char *digest, int64_t size, void *ctx);
    void *ctx;
} ds_tar_carry;
int ds_tar_carry_over(const char *path, const char *what, const char *kind, struct archive *out, ds_tar_carry *c,
                      ds_err *err);

/* The regular file `entry` of the tar at path, in memory (NUL-terminated, at most DS_MAX_MANIFEST);
 * without extracting anything else. "WHAT: not KIND (...)" when the file is no tar or lacks it. */
int ds_tar_read_entry(const char *path, const char *entry, const char *what, const char *kind, char **data, size_t *len,
                      ds_err *err);

/* A private scratch directory under opts->tmpdir (--tmpdir), else $TMPDIR or /var/tmp. */
int ds_image_mkdtemp(const ds_opts *opts, const char *prefix, char **out, ds_err *err);

#endif
