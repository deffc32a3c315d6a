/* An image's layers, in order, applied to one tree (fs/unpack.c applies each). */
#include <dirent.h>
#include <string.h>
#include <unistd.h>
#include "fs/unpack.h"
#include "image/image.h"
#include "util/fsutil.h"
#include "util/progress.h"

int ds_image_unpack(ds_image *img, const char *root_dir, const ds_unpack_opts *opts, ds_err *err) {
    if (ds_mkdirs(root_dir, 0755, err) < 0) return -1;
    DIR *d = opendir(root_dir);
    if (!d) return ds_fail_errno(err, "%s", root_dir);
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) { empty = false; break; }
    closedir(d);
    if (!empty) return ds_fail(err, "%s: not empty (unpacking needs an empty directory)", root_dir);
    for (size_t i = 0; i < img->n_layers; i++) {
        ds_desc *l = &img->layers[i];
        char *path = NULL;
        bool is_temp = false;
        /* The count is of the uncompressed tar, whose size is known only at its end. */
        ds_progress_task(0, "Unpacking layer %zu/%zu %.19s...", i + 1, img->n_layers, l->digest);
        if (ds_image_blob_path(img, l, &path, &is_temp, err) < 0) {
            ds_progress_done();
            return ds_err_wrap(err, "layer %zu (%s)", i + 1, l->digest);
        }
        int r = ds_layer_apply(root_dir, path, l->media_type, opts, err);
        if (is_temp) unlink(path);
        free(path);
        if (r < 0) { ds_progress_done(); return ds_err_wrap(err, "layer %zu (%s)", i + 1, l->digest); }
    }
    ds_progress_done();
    return 0;
}
