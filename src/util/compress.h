/* Whole-file (de)compression of layer blobs: gzip with libdeflate (zlib streaming
 * when the output is over DS_GUNZIP_MEM_LIMIT), zstd with libzstd. The input is mmap'd. */
#ifndef DS_UTIL_COMPRESS_H
#define DS_UTIL_COMPRESS_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/digest.h"
#include "util/err.h"

typedef enum { DS_COMPRESS_NONE = 0, DS_COMPRESS_GZIP, DS_COMPRESS_ZSTD } ds_compress;
/* "gzip", "zstd" or "none"; anything else is an error naming it. */
int ds_compress_parse(const char *name, ds_compress *out, ds_err *err);

/* The compression a file's first bytes show: gzip (1f 8b), zstd (28 b5 2f fd), else none. */
int ds_compress_sniff_file(const char *path, ds_compress *out, ds_err *err);
ds_compress ds_compress_sniff(const void *buf, size_t len);

/* gzip output up to this size is decompressed in one go into memory (libdeflate,
 * several times faster than zlib); bigger outputs, and outputs over 32x the input
 * (a bomb), are streamed so memory stays bounded. */
#define DS_GUNZIP_MEM_LIMIT ((size_t)1 << 30)

/* All gzip members of in[0..len) (as pigz and distill's own writer make several)
 * decompressed with libdeflate into a malloc'd *out of *out_len bytes (caller frees).
 * Returns 0; 1 when the output would be over `limit` bytes (nothing kept: stream it
 * instead); -1 on corrupt or truncated data, err naming `name`. Zero padding after
 * the last member is allowed. */
int ds_gunzip_mem(const void *in, size_t len, size_t limit, const char *name,
                  unsigned char **out, size_t *out_len, ds_err *err);

/* ds_gunzip_mem of the file at path (mmap'd); 1 too when the file is not gzip (magic). */
int ds_gunzip_file_mem(const char *path, size_t limit, unsigned char **out, size_t *out_len, ds_err *err);

/* Decompress in_path (kind; -1 = sniff) into out_path (created, mode 0644).
 * digest/size (may be NULL) get the sha256 and length of the output (a diff_id). */
int ds_decompress_file(const char *in_path, int kind, const char *out_path,
                       char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err);

/* Compress in_path with kind (NONE = plain copy) into out_path; digest/size of the output. */
int ds_compress_file(const char *in_path, ds_compress kind, const char *out_path,
                     char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err);

/* libdeflate levels: 4 for copies and for the layers distill writes, whose compression is
 * what a build with a short verify run, squash and harden wait for. On PostgreSQL's 134 MB
 * candidate tar: level 4 0.81 s of CPU for 40.3 MB, 5 0.99 s for 39.6 MB, 6 1.22 s for
 * 39.4 MB, gzip -6 4.2 s for 40.1 MB; squashed base-apt 40.8 MB against umoci's 42.7 MB. */
#define DS_GZIP_COPY_LEVEL 4
#define DS_GZIP_LAYER_LEVEL 4

/* The input of each gzip member. 4 MiB: the same size and speed as 16 MiB members (the
 * deflate window is 32 KiB), and a cancelled stream's workers finish 4 MiB each, not 16. */
#define DS_GZ_MEMBER (4u << 20)

/* In a gzip layer distill writes, a regular file of at least this size has its data in
 * members of its own: its tar header ends a member, its data is cut in DS_GZ_MEMBER pieces
 * from its first byte, and what follows starts a new one. Each piece's member then depends
 * on the file's bytes alone, so it can be made before the layer is (util/gz_cache.h: the
 * build compresses the app's program and libraries while it traces the app). 1 MiB: few
 * cuts (PostgreSQL's 134 MB tar: 40 files), most bytes (the program and its libraries). */
#define DS_GZ_FILE_ALIGN (1u << 20)

/* gzip written as it is produced, in DS_GZ_MEMBER members compressed on every core while the
 * caller still writes (so the input never touches the disk): at DS_GZIP_COPY_LEVEL and
 * without a cut, the same bytes as ds_compress_file(GZIP) of the whole input. close with ok false (or after a
 * failed write) removes out_path; digest/size (may be NULL) of the output. */
typedef struct ds_gz_stream ds_gz_stream;
int ds_gz_stream_open(const char *out_path, int level, ds_gz_stream **out, ds_err *err);
int ds_gz_stream_write(ds_gz_stream *g, const void *data, size_t len, ds_err *err);
/* Once *cancel is set (from another thread), a write waiting for a worker fails at once
 * ("cancelled") instead of waiting for the member being compressed. */
void ds_gz_stream_set_cancel(ds_gz_stream *g, const atomic_bool *cancel);
int ds_gz_stream_close(ds_gz_stream *g, bool ok, char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err);
/* Ends the member being filled here (nothing when it is empty): what is written next starts
 * a member of its own. */
int ds_gz_stream_cut(ds_gz_stream *g, ds_err *err);
/* A member compressed elsewhere (ds_gz_member of raw_len input bytes at the stream's level),
 * written in its place after a cut: the same output as writing those bytes and cutting. */
int ds_gz_stream_put_member(ds_gz_stream *g, const void *member, size_t len, size_t raw_len, ds_err *err);
/* in[0..len) as one gzip member at `level` (libdeflate), as a stream's worker makes it, into
 * a malloc'd *out (caller frees). 0, or -1 when libdeflate could not. */
int ds_gz_member(const void *in, size_t len, int level, unsigned char **out, size_t *out_len);

/* in_path (compression from; -1 = sniff) recompressed as `to` into out_path, in memory when it fits. */
int ds_recompress_file(const char *in_path, int from, ds_compress to, const char *out_path,
                       char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err);

#endif
