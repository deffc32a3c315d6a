/* Applying layer tars to a directory tree, safely: nothing is ever written
 * outside the root, whatever the tar says (../, absolute names, symlinks or hard
 * links pointing out, a symlink replaced by a directory, ...). Whiteouts
 * (.wh.NAME) and opaque directories (.wh..wh..opq) follow the OCI image spec.
 *
 * How: every path is resolved below the root with openat2(RESOLVE_IN_ROOT), so a
 * symlink (absolute or relative, with any number of ..) resolves as if the root
 * were "/" (as container runtimes do); the last component is always handled with
 * *at() calls that do not follow it. Names with a ".." component are refused;
 * leading "/" and "./" are dropped. */
#ifndef DS_FS_UNPACK_H
#define DS_FS_UNPACK_H
#include <stdbool.h>
#include <stddef.h>
#include "util/err.h"

typedef struct ds_unpack_opts {
    bool keep_owners;   /* chown to the tar's numeric uid/gid (default when root) */
    bool keep_xattrs;
    bool allow_devices; /* mknod device nodes (only when root; else skipped and counted) */
    size_t *skipped_devices; /* optional: incremented for each device node not created */
    /* Optional: called for each regular file written, after its data and attributes, with its
     * fd and the sha256 ("sha256:<hex>") of its content (holes as zeros), hashed while it is
     * written: one pass for a caller that wants every file's hash (the layer store). */
    void (*on_file)(void *ud, int fd, const char *sha256);
    void *on_file_ud;
} ds_unpack_opts;
void ds_unpack_opts_default(ds_unpack_opts *o);

/* Apply one layer blob (a local file; compression taken from media_type, or sniffed
 * when media_type is NULL) to the tree at root_dir. */
int ds_layer_apply(const char *root_dir, const char *blob_path, const char *media_type,
                   const ds_unpack_opts *opts, ds_err *err);

/* The same for a tar stream already opened (ds_layer_reader_open or _open_mem), which it
 * frees; blob_path only names the layer in errors. */
struct archive;
int ds_layer_apply_archive(const char *root_dir, const char *blob_path, struct archive *a,
                           const ds_unpack_opts *opts, ds_err *err);

/* The image-level loop (every layer of an image, in order) is ds_image_unpack in image/image.h. */

#endif
