/* gzip members made before the layer that holds them: pieces of files compressed while the
 * build does something else (the trace), found again by their bytes when the layer writer
 * reaches them (see DS_GZ_FILE_ALIGN). A piece is known by its length and two checksums of
 * it (CRC-32 and Adler-32, 64 bits in all): the writer reuses a member only for the very
 * bytes it was made from. Thread-safe: one thread adds while another finds. */
#ifndef DS_UTIL_GZ_CACHE_H
#define DS_UTIL_GZ_CACHE_H
#include <stddef.h>

typedef struct ds_gz_cache ds_gz_cache;

/* Members at libdeflate `level` (the stream's that will use them). */
ds_gz_cache *ds_gz_cache_new(int level);
void ds_gz_cache_free(ds_gz_cache *c);
int ds_gz_cache_level(const ds_gz_cache *c);
/* raw[0..len) compressed into a member and kept (bytes already known: nothing). 0, or -1
 * when compression failed (nothing kept). */
int ds_gz_cache_add(ds_gz_cache *c, const void *raw, size_t len);
/* The member made from exactly raw[0..len), or NULL; valid until the cache is freed. */
const void *ds_gz_cache_find(ds_gz_cache *c, const void *raw, size_t len, size_t *member_len);
/* Pieces kept and the input bytes they cover. */
void ds_gz_cache_stats(ds_gz_cache *c, size_t *pieces, size_t *bytes);

#endif
