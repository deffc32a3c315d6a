/* The candidate image: one deterministic layer, the source's config carried over
 * (env, entrypoint, cmd, workdir, ports, labels, stop signal), a history entry and
 * annotations naming the source digest. Same tree -> same digests: no clock is read. */
#include <string.h>
#include <unistd.h>
#include "build/build.h"
#include "fs/layer_writer.h"
#include "image/image_write.h"
#include "util/digest.h"
#include "util/fsutil.h"

static const char *const carried[] = {"Env", "Entrypoint", "Cmd", "WorkingDir", "ExposedPorts", "Labels",
                                      "StopSignal", "Volumes", "Healthcheck"};

static void candidate_layer(const ds_candidate *c, ds_write_layer *wl) {
    memset(wl, 0, sizeof *wl);
    wl->desc.media_type = c->layer_media_type;
    memcpy(wl->desc.digest, c->layer_digest, sizeof wl->desc.digest);
    wl->desc.size = c->layer_size;
    wl->path = c->layer_path;
}

int ds_candidate_make(const ds_image *src, const json_t *config, const char *tree, const char *user,
                      const char *compress, const char *work_dir, const ds_layer_write_opts *lw, ds_candidate *out,
                      ds_err *err) {
    memset(out, 0, sizeof *out);
    ds_compress comp = DS_COMPRESS_GZIP;
    if (compress && ds_compress_parse(compress, &comp, err) < 0) return -1;
    ds_layer_out lo = {0};
    if (ds_layer_write_tree_with(tree, comp, work_dir, lw ? lw : &(ds_layer_write_opts){0}, &lo, err) < 0)
        return ds_err_wrap(err, "writing the candidate layer");
    snprintf(out->layer_path, sizeof out->layer_path, "%s", lo.blob_path);
    if (lo.tar_path) snprintf(out->tar_path, sizeof out->tar_path, "%s", lo.tar_path);
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
    json_t *ann = json_pack("{s:s, s:s}", "org.opencontainers.image.base.digest", src->manifest_digest,
                            "dev.distill.source.digest", src->manifest_digest);
    ds_write_layer wl;
    candidate_layer(out, &wl);
    ds_image_doc doc;
    int r = ds_image_compose(cfg, &wl, 1, ann, &doc, err);
    json_decref(cfg);
    json_decref(ann);
    if (r < 0) return -1;
    out->config_raw = doc.config_raw; /* the candidate owns the bytes now */
    out->manifest_raw = doc.manifest_raw;
    memcpy(out->config_digest, doc.config_digest, sizeof out->config_digest);
    memcpy(out->manifest_digest, doc.manifest_digest, sizeof out->manifest_digest);
    return 0;
}

int ds_candidate_publish(const ds_candidate *c, const char *dst_ref, const ds_opts *opts, ds_err *err) {
    ds_write_layer wl;
    candidate_layer(c, &wl);
    ds_image_doc doc = {.config_raw = c->config_raw, .config_len = strlen(c->config_raw),
                        .manifest_raw = c->manifest_raw, .manifest_len = strlen(c->manifest_raw)};
    memcpy(doc.config_digest, c->config_digest, sizeof doc.config_digest);
    memcpy(doc.manifest_digest, c->manifest_digest, sizeof doc.manifest_digest);
    return ds_image_put(dst_ref, opts, &doc, &wl, 1, NULL, NULL, err);
}

void ds_candidate_clear(ds_candidate *c) {
    if (c->layer_path[0]) unlink(c->layer_path);
    if (c->tar_path[0]) unlink(c->tar_path);
    free(c->layer_media_type);
    free(c->config_raw);
    free(c->manifest_raw);
    memset(c, 0, sizeof *c);
}
