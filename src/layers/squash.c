#include "layers/squash.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fs/unpack.h"
#include "image/blob.h"
#include "image/image_write.h"
#include "store/store.h"
#include "util/fsutil.h"
#include "util/progress.h"
#include "util/source_date.h"

/* The squash entry's date: SOURCE_DATE_EPOCH, else the source's own "created",
 * so the same source always gives the same config. NULL on a malformed SOURCE_DATE_EPOCH. */
static char *squash_created(const json_t *src_config, ds_err *err) {
    int64_t v;
    bool set;
    if (ds_source_date_epoch(&v, &set, err) < 0) return NULL;
    if (set) {
        char buf[32];
        ds_rfc3339(v, buf);
        return ds_xstrdup(buf);
    }
    const char *c = json_string_value(json_object_get(src_config, "created"));
    return ds_xstrdup(c ? c : "1970-01-01T00:00:00Z");
}

json_t *ds_squash_config(const json_t *src_config, const char *diff_id, size_t n_src_layers, ds_err *err) {
    char *created = squash_created(src_config, err);
    if (!created) return NULL;
    json_t *cfg = json_is_object(src_config) ? json_deep_copy(src_config) : json_object();
    json_object_set_new(cfg, "rootfs", json_pack("{s:s, s:[s]}", "type", "layers", "diff_ids", diff_id));
    json_t *hist = json_array();
    json_t *old = json_object_get(cfg, "history");
    size_t i;
    json_t *h;
    if (json_is_array(old)) {
        json_array_foreach(old, i, h) {
            json_t *c = json_deep_copy(h);
            json_object_set_new(c, "empty_layer", json_true());
            json_array_append_new(hist, c);
        }
    }
    char comment[96];
    snprintf(comment, sizeof comment, "%zu layer%s squashed into one", n_src_layers, n_src_layers == 1 ? "" : "s");
    json_array_append_new(hist, json_pack("{s:s, s:s, s:s}", "created", created, "created_by", "distill squash", "comment", comment));
    free(created);
    json_object_set_new(cfg, "history", hist);
    return cfg;
}

static char *tmp_base(const ds_opts *opts, ds_err *err) {
    char *dir = NULL;
    return ds_image_mkdtemp(opts, "distill-squash", &dir, err) < 0 ? NULL : dir;
}

int ds_image_squash(ds_image *src, const char *dst_ref, const ds_opts *opts, ds_compress compress,
                    ds_squash_result *res, ds_err *err) {
    memset(res, 0, sizeof *res);
    int64_t sde;
    bool sde_set;
    if (ds_source_date_epoch(&sde, &sde_set, err) < 0) return -1; /* before the long unpack */
    char *tmp = tmp_base(opts, err);
    if (!tmp) return -1;
    char *root = ds_xasprintf("%s/rootfs", tmp);
    ds_layer_out lo = {0};
    ds_store_view view = DS_STORE_VIEW_INIT; /* the tree, when it comes from the layer store */
    json_t *cfg = NULL;
    ds_err ignored;
    int rc = -1;

    for (size_t i = 0; i < src->n_layers; i++) res->source_size += src->layers[i].size;
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    ds_store_stats st;
    if (ds_store_unpack(opts, src, root, tmp, false, &uo, &st, &view, err) < 0) goto out;
    if (ds_layer_write_tree(root, compress, tmp, NULL, NULL, &lo, err) < 0) goto out;
    ds_store_view_release(&view);
    ds_rmtree(root, &ignored); /* free the space before the destination is written */

    cfg = ds_squash_config(src->config, lo.diff_id, src->n_layers, err);
    if (!cfg) goto out;
    ds_write_layer wl = {.desc = {.media_type = (char *)lo.media_type, .size = lo.size}, .path = lo.blob_path};
    memcpy(wl.desc.digest, lo.digest, sizeof wl.desc.digest);
    ds_progress_task((uint64_t)lo.size, "Writing %s", dst_ref);
    if (ds_image_write(dst_ref, opts, cfg, &wl, 1, NULL, NULL, res->manifest_digest, err) < 0) goto out;
    memcpy(res->layer_digest, lo.digest, sizeof res->layer_digest);
    res->layer_size = lo.size;
    rc = 0;
out:
    ds_progress_done();
    ds_store_view_release(&view);
    if (ds_rmtree(tmp, &ignored) < 0 && rc == 0) rc = ds_fail(err, "%s: %s", tmp, ignored.msg);
    ds_layer_out_free(&lo);
    json_decref(cfg);
    free(root); free(tmp);
    return rc;
}
