/* SHA-256 digests in OCI form ("sha256:<64 hex>"), using OpenSSL (hardware SHA where present). */
#ifndef DS_UTIL_DIGEST_H
#define DS_UTIL_DIGEST_H
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

#define DS_DIGEST_LEN 71 /* "sha256:" + 64 hex */

typedef struct ds_sha256 { void *ctx; uint64_t bytes; } ds_sha256;
void ds_sha256_init(ds_sha256 *h);
void ds_sha256_update(ds_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (at least DS_DIGEST_LEN+1 bytes) and frees the context. */
void ds_sha256_final(ds_sha256 *h, char out[DS_DIGEST_LEN + 1]);

void ds_sha256_buf(const void *data, size_t len, char out[DS_DIGEST_LEN + 1]);
int ds_sha256_file(const char *path, char out[DS_DIGEST_LEN + 1], uint64_t *size, ds_err *err);
/* 1 when s is "sha256:" followed by 64 lowercase hex digits (safe to use as a file name). */
int ds_digest_valid(const char *s);

#endif
