/* The one writer of "config + layers -> DST": candidate (build), squash, harden and the
 * rootfs: source all compose their image here, so every image distill makes is written the
 * same way: OCI manifest and config, compact JSON with sorted keys (same inputs, same bytes,
 * same digests), small blobs (config, manifest) from memory, the manifest last, then commit. */
#ifndef DS_IMAGE_IMAGE_WRITE_H
#define DS_IMAGE_IMAGE_WRITE_H
#include "image/image.h"

typedef struct ds_write_layer {
    ds_desc desc;     /* digest and size of the blob as stored; media type (docker types become OCI) */
    const char *path; /* a local file holding it; NULL: read it from the `from` image */
} ds_write_layer;

/* The serialised image: what ds_image_compose makes and ds_image_put writes. */
typedef struct ds_image_doc {
    char *config_raw;
    size_t config_len;
    char config_digest[DS_DIGEST_LEN + 1];
    char *manifest_raw;
    size_t manifest_len;
    char manifest_digest[DS_DIGEST_LEN + 1];
} ds_image_doc;

/* The OCI media type for a layer media type (docker's tar, tar.gzip, tar.zstd map to OCI's). */
const char *ds_oci_layer_media_type(const char *mt);

/* config (the whole image config document, rootfs.diff_ids included) and the layers ->
 * config and manifest bytes. annotations (an object, may be NULL) go on the manifest. */
int ds_image_compose(const json_t *config, const ds_write_layer *layers, size_t n_layers, const json_t *annotations,
                     ds_image_doc *out, ds_err *err);
void ds_image_doc_free(ds_image_doc *doc);

/* Write a composed image to dst_ref: layers, config, manifest, commit; on any failure the
 * destination is left as it was. `from` (may be NULL) supplies layers that have no path.
 * out_digest (may be NULL) gets the manifest digest a reader of DST reports (ds_dest_digest:
 * doc->manifest_digest, except for docker-archive, which stores no manifest). */
int ds_image_put(const char *dst_ref, const ds_opts *opts, const ds_image_doc *doc, const ds_write_layer *layers,
                 size_t n_layers, ds_image *from, char out_digest[DS_DIGEST_LEN + 1], ds_err *err);

/* compose + put; manifest_digest (may be NULL) gets the digest as ds_image_put says. */
int ds_image_write(const char *dst_ref, const ds_opts *opts, const json_t *config, const ds_write_layer *layers,
                   size_t n_layers, const json_t *annotations, ds_image *from, char manifest_digest[DS_DIGEST_LEN + 1],
                   ds_err *err);

/* A blob from memory (a config, a small file): what ds_image_put uses for the config. */
int ds_dest_put_blob_mem(ds_dest *d, const ds_desc *desc, const void *data, size_t len, ds_err *err);

#endif
