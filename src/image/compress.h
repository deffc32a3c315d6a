/* Whole-file (de)compression of layer blobs: gzip with libdeflate (zlib for
 * multi-member or >4 GiB streams), zstd with libzstd. The input is mmap'd. */
#ifndef DS_IMAGE_COMPRESS_H
#define DS_IMAGE_COMPRESS_H
#include <stdint.h>
#include "fs/layer_writer.h" /* ds_compress */
#include "util/digest.h"
#include "util/err.h"

/* The compression a file's first bytes show: gzip (1f 8b), zstd (28 b5 2f fd), else none. */
int ds_compress_sniff_file(const char *path, ds_compress *out, ds_err *err);
ds_compress ds_compress_sniff(const void *buf, size_t len);

/* Decompress in_path (kind; -1 = sniff) into out_path (created, mode 0644).
 * digest/size (may be NULL) get the sha256 and length of the output (a diff_id). */
int ds_decompress_file(const char *in_path, int kind, const char *out_path,
                       char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err);

/* Compress in_path with kind (NONE = plain copy) into out_path; digest/size of the output. */
int ds_compress_file(const char *in_path, ds_compress kind, const char *out_path,
                     char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err);

/* in_path (compression from; -1 = sniff) recompressed as `to` into out_path, in memory when it fits. */
int ds_recompress_file(const char *in_path, int from, ds_compress to, const char *out_path,
                       char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err);

#endif
