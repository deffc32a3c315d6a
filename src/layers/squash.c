#include "layers/squash.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fs/unpack.h"
#include "image/blob.h"
#include "util/fsutil.h"
#include "util/progress.h"

/* SOURCE_DATE_EPOCH as the reproducible-builds spec says: an integer of seconds;
 * malformed is an error, not a silent fallback. Returns 0 (unset: *set = false) or -1. */
static int source_date_epoch(long long *out, bool *set, ds_err *err) {
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    *set = false;
    if (!sde || !*sde) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(sde, &end, 10);
    /* 253402300799 is 9999-12-31T23:59:59Z, the last date RFC 3339 can write. */
    if (errno || *end || end == sde || v < 0 || v > 253402300799LL)
        return ds_fail(err, "SOURCE_DATE_EPOCH=%.40s: expected whole seconds since 1970 (0 to 253402300799)", sde);
    *out = v;
    *set = true;
    return 0;
}

/* The squash entry's date: SOURCE_DATE_EPOCH, else the source's own "created",
 * so the same source always gives the same config. */
static char *squash_created(const json_t *src_config) {
    long long v;
    bool set;
    ds_err e;
    if (source_date_epoch(&v, &set, &e) == 0 && set) {
        time_t t = (time_t)v;
        struct tm tm;
        char buf[32];
        if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm)) return ds_xstrdup(buf);
    }
    const char *c = json_string_value(json_object_get(src_config, "created"));
    return ds_xstrdup(c ? c : "1970-01-01T00:00:00Z");
}

json_t *ds_squash_config(const json_t *src_config, const char *diff_id, size_t n_src_layers) {
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
    char *created = squash_created(src_config);
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
    long long sde;
    bool sde_set;
    if (source_date_epoch(&sde, &sde_set, err) < 0) return -1;
    char *tmp = tmp_base(opts, err);
    if (!tmp) return -1;
    char *root = ds_xasprintf("%s/rootfs", tmp);
    char *cfg_path = ds_xasprintf("%s/config.json", tmp);
    ds_layer_out lo = {0};
    json_t *cfg = NULL, *man = NULL;
    char *cfg_raw = NULL, *man_raw = NULL;
    ds_dest *dest = NULL;
    ds_err ignored;
    int rc = -1;

    for (size_t i = 0; i < src->n_layers; i++) res->source_size += src->layers[i].size;
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    if (ds_image_unpack(src, root, &uo, err) < 0) goto out;
    if (ds_layer_write_tree(root, compress, tmp, NULL, NULL, &lo, err) < 0) goto out;
    ds_rmtree(root, &ignored); /* free the space before the destination is written */

    cfg = ds_squash_config(src->config, lo.diff_id, src->n_layers);
    cfg_raw = json_dumps(cfg, JSON_COMPACT);
    if (!cfg_raw) { ds_fail(err, "%s: cannot serialise the config", dst_ref); goto out; }
    size_t cfg_len = strlen(cfg_raw);
    if (ds_write_file_atomic(cfg_path, cfg_raw, cfg_len, 0644, err) < 0) goto out;
    ds_desc cdesc = {.media_type = DS_MT_OCI_CONFIG, .size = (int64_t)cfg_len};
    ds_sha256_buf(cfg_raw, cfg_len, cdesc.digest);
    ds_desc ldesc = {.media_type = (char *)lo.media_type, .size = lo.size};
    memcpy(ldesc.digest, lo.digest, sizeof ldesc.digest);

    man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType", DS_MT_OCI_MANIFEST,
                    "config", "mediaType", DS_MT_OCI_CONFIG, "digest", cdesc.digest, "size", (json_int_t)cdesc.size,
                    "layers", "mediaType", lo.media_type, "digest", lo.digest, "size", (json_int_t)lo.size);
    man_raw = json_dumps(man, JSON_COMPACT);
    if (!man_raw) { ds_fail(err, "%s: cannot serialise the manifest", dst_ref); goto out; }

    ds_progress_task((uint64_t)lo.size, "Writing %s", dst_ref);
    if (ds_dest_open(dst_ref, opts, &dest, err) < 0) goto out;
    if (ds_dest_put_blob(dest, &ldesc, lo.blob_path, err) < 0) goto out;
    if (ds_dest_put_blob(dest, &cdesc, cfg_path, err) < 0) goto out;
    if (ds_dest_put_manifest(dest, man_raw, strlen(man_raw), DS_MT_OCI_MANIFEST, err) < 0) goto out;
    ds_dest_digest(dest, man_raw, strlen(man_raw), res->manifest_digest); /* what inspect will say */
    if (ds_dest_commit(dest, err) < 0) { dest = NULL; goto out; }
    dest = NULL; /* committed: the destination owns itself now */
    memcpy(res->layer_digest, lo.digest, sizeof res->layer_digest);
    res->layer_size = lo.size;
    rc = 0;
out:
    ds_progress_done();
    if (dest) ds_dest_abort(dest);
    if (ds_rmtree(tmp, &ignored) < 0 && rc == 0) rc = ds_fail(err, "%s: %s", tmp, ignored.msg);
    ds_layer_out_free(&lo);
    json_decref(cfg);
    json_decref(man);
    free(cfg_raw); free(man_raw); free(root); free(cfg_path); free(tmp);
    return rc;
}
