/* Squashing an image to one layer: unpack every layer (whiteouts applied, hard
 * links kept) into a private temp tree, write it back as one deterministic layer,
 * carry the config over with one diff_id and the history marked as squashed. */
#ifndef DS_LAYERS_SQUASH_H
#define DS_LAYERS_SQUASH_H
#include "fs/layer_writer.h"
#include "image/image.h"

typedef struct ds_squash_result {
    char manifest_digest[DS_DIGEST_LEN + 1];
    char layer_digest[DS_DIGEST_LEN + 1];
    int64_t layer_size;        /* compressed */
    int64_t source_size;       /* Σ of the source's layer blob sizes */
} ds_squash_result;

/* Builds the squashed config from the source one (exposed for tests): rootfs has one
 * diff_id, every old history entry becomes empty_layer, a "distill squash" entry ends it
 * (dated SOURCE_DATE_EPOCH, else the source's "created"). NULL when SOURCE_DATE_EPOCH is malformed. */
json_t *ds_squash_config(const json_t *src_config, const char *diff_id, size_t n_src_layers, ds_err *err);

int ds_image_squash(ds_image *src, const char *dst_ref, const ds_opts *opts, ds_compress compress,
                    ds_squash_result *res, ds_err *err);

#endif
