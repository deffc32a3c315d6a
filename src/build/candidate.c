/* The candidate image: one deterministic layer, the source's config carried over
 * (env, entrypoint, cmd, workdir, ports, labels, stop signal), a history entry and
 * annotations naming the source digest. Same tree -> same digests: no clock is read. */
#include <string.h>
#include <unistd.h>
#include "build/build.h"
#include "fs/layer_writer.h"
#include "util/digest.h"
#include "util/fsutil.h"

static const char *const carried[] = {"Env", "Entrypoint", "Cmd", "WorkingDir", "ExposedPorts", "Labels",
                                      "StopSignal", "Volumes", "Healthcheck"};

int ds_candidate_make(const ds_image *src, const json_t *config, const char *tree, const char *user,
                      const char *compress, const char *work_dir, ds_candidate *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    ds_compress comp = DS_COMPRESS_GZIP;
    if (compress && ds_compress_parse(compress, &comp, err) < 0) return -1;
    ds_layer_out lo = {0};
    if (ds_layer_write_tree(tree, comp, work_dir, NULL, NULL, &lo, err) < 0)
        return ds_err_wrap(err, "writing the candidate layer");
    snprintf(out->layer_path, sizeof out->layer_path, "%s", lo.blob_path);
    out->layer_media_type = ds_xstrdup(lo.media_type);
    memcpy(out->layer_digest, lo.digest, sizeof lo.digest);
    memcpy(out->diff_id, lo.diff_id, sizeof lo.diff_id);
    out->layer_size = lo.size;
    ds_layer_out_free(&lo);

    const json_t *scfg = config ? config : src->config;
    const json_t *sc = json_object_get(scfg, "config");
    json_t *c = json_object();
    for (size_t i = 0; i < sizeof carried / sizeof *carried; i++) {
        json_t *v = json_object_get(sc, carried[i]);
        if (v && !json_is_null(v)) json_object_set_new(c, carried[i], json_deep_copy(v));
    }
    if (user && *user) json_object_set_new(c, "User", json_string(user));
    const char *created = json_string_value(json_object_get(scfg, "created"));
    char *by = ds_xasprintf("distill build (from %s)", src->manifest_digest);
    json_t *hist = json_pack("[{s:s, s:s, s:s}]", "created", created ? created : "1970-01-01T00:00:00Z",
                             "created_by", by, "comment", "minimal closure of the traced app, verified by its tests");
    free(by);
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:o}", "architecture", src->arch ? src->arch : "amd64",
                            "os", src->os ? src->os : "linux", "created", created ? created : "1970-01-01T00:00:00Z",
                            "config", c, "rootfs", "type", "layers", "diff_ids", out->diff_id, "history", hist);
    if (src->variant) json_object_set_new(cfg, "variant", json_string(src->variant));
    out->config_raw = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(cfg);
    ds_sha256_buf(out->config_raw, strlen(out->config_raw), out->config_digest);

    json_t *man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}], s:{s:s, s:s}}", "schemaVersion", 2,
                            "mediaType", DS_MT_OCI_MANIFEST, "config", "mediaType", DS_MT_OCI_CONFIG, "digest",
                            out->config_digest, "size", (json_int_t)strlen(out->config_raw), "layers", "mediaType",
                            out->layer_media_type, "digest", out->layer_digest, "size", (json_int_t)out->layer_size,
                            "annotations", "org.opencontainers.image.base.digest", src->manifest_digest,
                            "dev.distill.source.digest", src->manifest_digest);
    out->manifest_raw = json_dumps(man, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(man);
    ds_sha256_buf(out->manifest_raw, strlen(out->manifest_raw), out->manifest_digest);
    return 0;
}

int ds_candidate_publish(const ds_candidate *c, const char *dst_ref, const ds_opts *opts, ds_err *err) {
    ds_dest *d = NULL;
    if (ds_dest_open(dst_ref, opts, &d, err) < 0) return -1;
    char *cfg_path = ds_xasprintf("%s.config.json", c->layer_path);
    ds_desc ld = {.media_type = c->layer_media_type, .size = c->layer_size};
    memcpy(ld.digest, c->layer_digest, sizeof ld.digest);
    ds_desc cd = {.media_type = DS_MT_OCI_CONFIG, .size = (int64_t)strlen(c->config_raw)};
    memcpy(cd.digest, c->config_digest, sizeof cd.digest);
    int r = -1;
    if (ds_write_file_atomic(cfg_path, c->config_raw, strlen(c->config_raw), 0644, err) < 0) goto out;
    if (ds_dest_put_blob(d, &ld, c->layer_path, err) < 0) goto out;
    if (ds_dest_put_blob(d, &cd, cfg_path, err) < 0) goto out;
    if (ds_dest_put_manifest(d, c->manifest_raw, strlen(c->manifest_raw), DS_MT_OCI_MANIFEST, err) < 0) goto out;
    if (ds_dest_commit(d, err) < 0) { d = NULL; goto out; }
    d = NULL;
    r = 0;
out:
    if (d) ds_dest_abort(d);
    unlink(cfg_path);
    free(cfg_path);
    return r;
}

void ds_candidate_clear(ds_candidate *c) {
    if (c->layer_path[0]) unlink(c->layer_path);
    free(c->layer_media_type);
    free(c->config_raw);
    free(c->manifest_raw);
    memset(c, 0, sizeof *c);
}
