/* Opening images for reading and destinations for writing: pick the transport from
 * the reference, resolve an index to one platform, verify manifest and config. */
#include <string.h>
#include <unistd.h>
#include "image/blob.h"
#include "image/manifest.h"
#include "image/transport.h"
#include "util/fsutil.h"

static int source_open(ds_source *s, ds_transport t, ds_err *err) {
    switch (t) {
    case DS_T_OCI: return ds_oci_source_open(s, err);
    case DS_T_OCI_ARCHIVE: return ds_oci_archive_source_open(s, err);
    case DS_T_DOCKER_ARCHIVE: return ds_docker_archive_source_open(s, err);
    case DS_T_DOCKER: return ds_registry_source_open(s, err);
    case DS_T_ROOTFS: return ds_rootfs_source_open(s, err);
    case DS_T_DOCKER_DAEMON: return ds_docker_daemon_source_open(s, err);
    case DS_T_CONTAINERS_STORAGE: return ds_cstorage_source_open(s, err);
    }
    return ds_fail(err, "unknown transport");
}

static void layers_free(ds_desc *l, size_t n) {
    for (size_t i = 0; i < n; i++) ds_desc_free(&l[i]);
    free(l);
}

void ds_image_close(ds_image *img) {
    if (!img) return;
    if (img->src) {
        if (img->src->ops && img->src->ops->close) img->src->ops->close(img->src);
        free(img->src);
    }
    free(img->manifest_raw);
    free(img->manifest_media_type);
    json_decref(img->manifest);
    ds_desc_free(&img->config_desc);
    free(img->config_raw);
    json_decref(img->config);
    layers_free(img->layers, img->n_layers);
    free(img->os); free(img->arch); free(img->variant);
    ds_ref_free(&img->ref);
    free(img);
}

/* Fetch the manifest (following at most two index levels) into img. */
static int load_manifest(ds_image *img, const char *name, const char *platform, ds_err *err) {
    ds_source *s = img->src;
    char *raw = NULL, *mt = NULL;
    size_t len = 0;
    if (s->ops->get_manifest(s, NULL, &raw, &len, &mt, err) < 0) return -1;
    for (int depth = 0;; depth++) {
        json_t *j = NULL;
        char *doc_mt = NULL;
        bool is_index = false;
        int r = ds_manifest_load(raw, len, mt, name, &j, &doc_mt, &is_index, err);
        free(mt); mt = NULL;
        if (r < 0) { free(raw); return -1; }
        if (!is_index) {
            img->manifest_raw = raw;
            img->manifest_len = len;
            img->manifest = j;
            img->manifest_media_type = doc_mt;
            ds_sha256_buf(raw, len, img->manifest_digest);
            return 0;
        }
        free(doc_mt);
        if (depth == 0) ds_sha256_buf(raw, len, img->index_digest);
        ds_desc pick;
        r = depth >= 2 ? ds_fail(err, "%s: indexes nested too deeply", name) : ds_index_pick(j, platform, name, &pick, err);
        json_decref(j);
        free(raw); raw = NULL;
        if (r < 0) return -1;
        if (s->ops->get_manifest(s, pick.digest, &raw, &len, &mt, err) < 0) { ds_desc_free(&pick); return -1; }
        char got[DS_DIGEST_LEN + 1];
        ds_sha256_buf(raw, len, got);
        if (strcmp(got, pick.digest) || (int64_t)len != pick.size) {
            r = ds_fail(err, "%s: manifest %s is corrupt (hashes to %s, %zu bytes, expected %lld)", name, pick.digest,
                        got, len, (long long)pick.size);
            ds_desc_free(&pick); free(raw); free(mt);
            return r;
        }
        if (!mt && pick.media_type[0]) mt = ds_xstrdup(pick.media_type);
        ds_desc_free(&pick);
    }
}

int ds_image_open(const char *ref_text, const ds_opts *opts, ds_image **out, ds_err *err) {
    ds_opts defaults;
    if (!opts) { ds_opts_init(&defaults); opts = &defaults; }
    if (opts->platform && !ds_platform_valid(opts->platform))
        return ds_fail(err, "%s: bad platform '%s' (want OS/ARCH[/VARIANT], e.g. linux/arm64)", ref_text, opts->platform);
    ds_image *img = ds_xcalloc(1, sizeof *img);
    if (ds_ref_parse(ref_text, &img->ref, err) < 0) { free(img); return -1; }
    img->src = ds_xcalloc(1, sizeof *img->src);
    img->src->ref = &img->ref;
    img->src->opts = *opts;
    if (source_open(img->src, img->ref.transport, err) < 0) {
        img->src->ops = NULL; /* nothing to close */
        ds_image_close(img);
        return -1;
    }
    if (load_manifest(img, ref_text, opts->platform, err) < 0) goto fail;
    if (ds_manifest_parse(img->manifest, ref_text, &img->config_desc, &img->layers, &img->n_layers, err) < 0) goto fail;
    char *cpath = NULL;
    bool is_temp = false;
    if (img->src->ops->blob_path(img->src, &img->config_desc, &cpath, &is_temp, err) < 0) goto fail;
    int r = ds_read_file(cpath, &img->config_raw, &img->config_len, DS_MAX_MANIFEST, err);
    if (is_temp) unlink(cpath);
    free(cpath);
    if (r < 0) goto fail;
    if (ds_config_load(img->config_raw, img->config_len, ref_text, &img->config, &img->os, &img->arch, &img->variant, err) < 0)
        goto fail;
    *out = img;
    return 0;
fail:
    ds_image_close(img);
    return -1;
}

int ds_image_blob_path(ds_image *img, const ds_desc *d, char **path, bool *is_temp, ds_err *err) {
    *is_temp = false;
    return img->src->ops->blob_path(img->src, d, path, is_temp, err);
}

/* --- destinations ---------------------------------------------------------- */

int ds_dest_open(const char *ref_text, const ds_opts *opts, ds_dest **out, ds_err *err) {
    ds_dest *d = ds_xcalloc(1, sizeof *d);
    if (ds_ref_parse(ref_text, &d->ref, err) < 0) { free(d); return -1; }
    if (opts) d->opts = *opts;
    else ds_opts_init(&d->opts);
    /* oci and oci-archive only: the engines say it in their own words. */
    if (d->ref.digest && (d->ref.transport == DS_T_OCI || d->ref.transport == DS_T_OCI_ARCHIVE)) {
        ds_fail(err, "%s: a destination is named by a tag (%s:PATH:REF), not by a digest", ref_text,
                d->ref.transport == DS_T_OCI ? "oci" : "oci-archive");
        ds_ref_free(&d->ref);
        free(d);
        return -1;
    }
    int r;
    switch (d->ref.transport) {
    case DS_T_OCI: r = ds_oci_dest_open(d, err); break;
    case DS_T_OCI_ARCHIVE: r = ds_oci_archive_dest_open(d, err); break;
    case DS_T_DOCKER_ARCHIVE: r = ds_docker_archive_dest_open(d, err); break;
    case DS_T_DOCKER: r = ds_registry_dest_open(d, err); break;
    case DS_T_ROOTFS: r = ds_rootfs_dest_open(d, err); break;
    case DS_T_DOCKER_DAEMON: r = ds_docker_daemon_dest_open(d, err); break;
    case DS_T_CONTAINERS_STORAGE: r = ds_cstorage_dest_open(d, err); break;
    default: r = ds_fail(err, "%s: unknown transport", ref_text);
    }
    if (r < 0) { ds_ref_free(&d->ref); free(d); return -1; }
    *out = d;
    return 0;
}

int ds_dest_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    return d->ops->put_blob(d, desc, path, err);
}

int ds_dest_put_manifest(ds_dest *d, const char *raw, size_t len, const char *media_type, ds_err *err) {
    return d->ops->put_manifest(d, raw, len, media_type, err);
}

void ds_dest_digest(const ds_dest *d, const char *raw, size_t len, char out[DS_DIGEST_LEN + 1]) {
    if (d->written_digest[0]) memcpy(out, d->written_digest, DS_DIGEST_LEN + 1);
    else ds_sha256_buf(raw, len, out);
}

/* commit and abort both free the destination. */
int ds_dest_commit(ds_dest *d, ds_err *err) {
    int r = d->ops->commit(d, err);
    if (r < 0) d->ops->abort(d);
    ds_ref_free(&d->ref);
    free(d);
    return r;
}

void ds_dest_abort(ds_dest *d) {
    if (!d) return;
    d->ops->abort(d);
    ds_ref_free(&d->ref);
    free(d);
}
