/* config + layers -> DST; see image_write.h. */
#include "image/image_write.h"
#include <string.h>
#include <unistd.h>
#include "image/blob.h"
#include "image/transport.h"
#include "util/fsutil.h"

const char *ds_oci_layer_media_type(const char *mt) {
    if (!mt || !*mt) return DS_MT_OCI_LAYER_GZIP;
    if (!strcmp(mt, DS_MT_DOCKER_LAYER_GZIP)) return DS_MT_OCI_LAYER_GZIP;
    if (!strcmp(mt, DS_MT_DOCKER_LAYER)) return DS_MT_OCI_LAYER;
    if (!strcmp(mt, DS_MT_DOCKER_LAYER_ZSTD)) return DS_MT_OCI_LAYER_ZSTD;
    return mt;
}

static json_t *desc_json(const char *mt, const char *digest, int64_t size) {
    return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)size);
}

void ds_image_doc_free(ds_image_doc *doc) {
    if (!doc) return;
    free(doc->config_raw);
    free(doc->manifest_raw);
    memset(doc, 0, sizeof *doc);
}

int ds_image_compose(const json_t *config, const ds_write_layer *layers, size_t n_layers, const json_t *annotations,
                     ds_image_doc *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(config)) return ds_fail(err, "image config: not a JSON object");
    out->config_raw = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    if (!out->config_raw) return ds_fail(err, "image config: cannot serialise it");
    out->config_len = strlen(out->config_raw);
    ds_sha256_buf(out->config_raw, out->config_len, out->config_digest);
    json_t *ls = json_array();
    for (size_t i = 0; i < n_layers; i++)
        json_array_append_new(ls, desc_json(ds_oci_layer_media_type(layers[i].desc.media_type), layers[i].desc.digest,
                                            layers[i].desc.size));
    json_t *man = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType", DS_MT_OCI_MANIFEST, "config",
                            desc_json(DS_MT_OCI_CONFIG, out->config_digest, (int64_t)out->config_len), "layers", ls);
    if (json_is_object(annotations) && json_object_size(annotations))
        json_object_set_new(man, "annotations", json_deep_copy(annotations));
    out->manifest_raw = json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(man);
    if (!out->manifest_raw) { ds_image_doc_free(out); return ds_fail(err, "image manifest: cannot serialise it"); }
    out->manifest_len = strlen(out->manifest_raw);
    ds_sha256_buf(out->manifest_raw, out->manifest_len, out->manifest_digest);
    return 0;
}

/* The transports take blobs as files: a small one goes through a private scratch file. */
int ds_dest_put_blob_mem(ds_dest *d, const ds_desc *desc, const void *data, size_t len, ds_err *err) {
    char *dir = NULL;
    if (ds_image_mkdtemp(&d->opts, "distill-blob", &dir, err) < 0) return -1;
    char *p = ds_xasprintf("%s/blob", dir);
    int r = ds_write_file_atomic(p, data, len, 0644, err);
    if (r == 0) r = ds_dest_put_blob(d, desc, p, err);
    ds_err ignored;
    ds_rmtree(dir, &ignored);
    free(p);
    free(dir);
    return r;
}

static int put_layer(ds_dest *d, const ds_write_layer *l, ds_image *from, ds_err *err) {
    ds_desc desc = l->desc;
    desc.media_type = (char *)ds_oci_layer_media_type(l->desc.media_type);
    if (l->path) return ds_dest_put_blob(d, &desc, l->path, err);
    if (!from) return ds_fail(err, "layer %s: no file and no source image", l->desc.digest);
    char *path = NULL;
    bool is_temp = false;
    int r = ds_image_blob_path(from, &l->desc, &path, &is_temp, err);
    if (r == 0) r = ds_dest_put_blob(d, &desc, path, err);
    if (path && is_temp) unlink(path);
    free(path);
    return r;
}

int ds_image_put(const char *dst_ref, const ds_opts *opts, const ds_image_doc *doc, const ds_write_layer *layers,
                 size_t n_layers, ds_image *from, char out_digest[DS_DIGEST_LEN + 1], ds_err *err) {
    ds_dest *d = NULL;
    if (ds_dest_open(dst_ref, opts, &d, err) < 0) return -1;
    int r = 0;
    for (size_t i = 0; i < n_layers && r == 0; i++) r = put_layer(d, &layers[i], from, err);
    if (r == 0) {
        ds_desc cd = {.media_type = DS_MT_OCI_CONFIG, .size = (int64_t)doc->config_len};
        memcpy(cd.digest, doc->config_digest, sizeof cd.digest);
        r = ds_dest_put_blob_mem(d, &cd, doc->config_raw, doc->config_len, err);
    }
    if (r == 0) r = ds_dest_put_manifest(d, doc->manifest_raw, doc->manifest_len, DS_MT_OCI_MANIFEST, err);
    if (r < 0) { ds_dest_abort(d); return -1; }
    /* What inspect will say of it (docker-archive stores no manifest: its reader's digest). */
    if (out_digest) ds_dest_digest(d, doc->manifest_raw, doc->manifest_len, out_digest);
    return ds_dest_commit(d, err); /* commit frees d, and aborts when it fails */
}

int ds_image_write(const char *dst_ref, const ds_opts *opts, const json_t *config, const ds_write_layer *layers,
                   size_t n_layers, const json_t *annotations, ds_image *from, char manifest_digest[DS_DIGEST_LEN + 1],
                   ds_err *err) {
    ds_image_doc doc;
    if (ds_image_compose(config, layers, n_layers, annotations, &doc, err) < 0) return -1;
    int r = ds_image_put(dst_ref, opts, &doc, layers, n_layers, from, manifest_digest, err);
    ds_image_doc_free(&doc);
    return r;
}
