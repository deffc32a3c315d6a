/* Writing a directory tree as one deterministic layer: entries sorted by path,
 * mtimes from SOURCE_DATE_EPOCH (or 0), numeric owners only, no atime/ctime,
 * hard links kept as hard links. The same tree always gives the same digests. gzip
 * members are cut where DS_GZ_FILE_ALIGN says (util/compress.h). */
#ifndef DS_FS_LAYER_WRITER_H
#define DS_FS_LAYER_WRITER_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "util/compress.h" /* ds_compress */
#include "util/digest.h"
#include "util/err.h"

typedef struct ds_layer_out {
    char *blob_path;                   /* written blob (caller unlinks/moves it), malloc'd */
    char *tar_path;                    /* the uncompressed tar too, when asked for and compressed
                                        * (caller unlinks/moves it), malloc'd; else NULL */
    char digest[DS_DIGEST_LEN + 1];    /* of the compressed blob */
    char diff_id[DS_DIGEST_LEN + 1];   /* of the uncompressed tar */
    int64_t size;                      /* compressed size */
    int64_t uncompressed_size;
    const char *media_type;            /* OCI layer media type for the compression */
} ds_layer_out;

/* Only the paths for which filter returns 1 are written (NULL = all). `rel` is
 * the path inside the tree without a leading slash ("etc/passwd"). */
typedef int (*ds_path_filter)(const char *rel, void *arg);

int ds_layer_write_tree(const char *root_dir, ds_compress compress, const char *out_dir,
                        ds_path_filter filter, void *filter_arg, ds_layer_out *out, ds_err *err);
typedef struct ds_layer_write_opts {
    ds_path_filter filter; /* NULL = every path */
    void *filter_arg;
    /* The uncompressed tar kept in out_dir as out->tar_path too (for a compressed layer: gzip
     * writes it beside the stream from the same bytes, zstd keeps the file it compressed), so
     * a caller that needs the tar too need not decompress the blob again. */
    bool keep_tar;
    /* For a write on another thread (may be NULL): cancel, once set, stops the write at its
     * next block (-1, "cancelled", nothing left behind); released is set as soon as the write
     * no longer reads root_dir (its compression may still be finishing). */
    const atomic_bool *cancel;
    atomic_bool *released;
    /* gzip members made ahead (may be NULL; at another level than the layer's: unused): a
     * piece of a big file's data whose member is there is not compressed again. The output
     * is the same with or without it. */
    struct ds_gz_cache *gz_cache;
} ds_layer_write_opts;
int ds_layer_write_tree_with(const char *root_dir, ds_compress compress, const char *out_dir,
                             const ds_layer_write_opts *opts, ds_layer_out *out, ds_err *err);
void ds_layer_out_free(ds_layer_out *o);

#endif
