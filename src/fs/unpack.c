/* Safe layer application — placeholder until it lands (issue 2). */
#include <string.h>
#include "fs/unpack.h"

void ds_unpack_opts_default(ds_unpack_opts *o) { memset(o, 0, sizeof *o); }
int ds_layer_apply(const char *root_dir, const char *blob_path, const char *media_type, const ds_unpack_opts *opts, ds_err *err) {
    (void)root_dir; (void)media_type; (void)opts;
    return ds_fail(err, "%s: layer unpacking is not implemented yet", blob_path);
}
int ds_image_unpack(ds_image *img, const char *root_dir, const ds_unpack_opts *opts, ds_err *err) {
    (void)img; (void)opts;
    return ds_fail(err, "%s: unpacking is not implemented yet", root_dir);
}
