/* ds_image_copy: blobs carried over as they are; layers recompressed only when
 * --compress asks or the destination needs it (docker-archive holds plain tars).
 * The config never changes (diff_ids are of the uncompressed tars); the manifest
 * is rewritten only when a layer or the manifest format has to change. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/blob.h"
#include "util/compress.h"
#include "image/manifest.h"
#include "image/transport.h"
#include "util/fsutil.h"
#include "util/progress.h"

static const char *layer_mt(ds_compress c, bool oci) {
    if (oci) return c == DS_COMPRESS_GZIP ? DS_MT_OCI_LAYER_GZIP : c == DS_COMPRESS_ZSTD ? DS_MT_OCI_LAYER_ZSTD : DS_MT_OCI_LAYER;
    return c == DS_COMPRESS_GZIP ? DS_MT_DOCKER_LAYER_GZIP : DS_MT_DOCKER_LAYER;
}

/* Recompress blob `in` (compression cur) to `want` in scratch dir; fills out desc. */
static int transcode(const char *in, int cur, ds_compress want, const char *scratch, size_t i,
                     char **out_path, ds_desc *out, ds_err *err) {
    char *plain = NULL;
    const char *src = in;
    int r = 0;
    if (cur != DS_COMPRESS_NONE && want != DS_COMPRESS_NONE) {
        char *dst = ds_xasprintf("%s/layer%zu.out", scratch, i);
        int64_t n;
        if (ds_recompress_file(in, cur, want, dst, out->digest, &n, err) < 0) { free(dst); return -1; }
        out->size = n;
        *out_path = dst;
        return 0;
    }
    if (cur != DS_COMPRESS_NONE) {
        plain = ds_xasprintf("%s/layer%zu.tar", scratch, i);
        int64_t n;
        r = ds_decompress_file(in, cur, plain, want == DS_COMPRESS_NONE ? out->digest : NULL, &n, err);
        if (r < 0) { free(plain); return -1; }
        src = plain;
        if (want == DS_COMPRESS_NONE) { out->size = n; *out_path = plain; return 0; }
    }
    char *dst = ds_xasprintf("%s/layer%zu.out", scratch, i);
    int64_t n;
    r = ds_compress_file(src, want, dst, out->digest, &n, err);
    if (plain) { unlink(plain); free(plain); }
    if (r < 0) { free(dst); return -1; }
    out->size = n;
    *out_path = dst;
    return 0;
}

int ds_image_copy(ds_image *src, const char *dst_ref, const ds_opts *opts, char out_digest[DS_DIGEST_LEN + 1], ds_err *err) {
    ds_opts defaults;
    if (!opts) { ds_opts_init(&defaults); opts = &defaults; }
    ds_dest *d = NULL;
    if (ds_dest_check(&src->ref, dst_ref, err) < 0) return -1;
    /* Checked up front: scratch space is only needed for some layers, late in a long copy. */
    if (opts->tmpdir && *opts->tmpdir) {
        struct stat st;
        if (stat(opts->tmpdir, &st) < 0) return ds_fail_errno(err, "--tmpdir %s", opts->tmpdir);
        if (!S_ISDIR(st.st_mode)) return ds_fail(err, "--tmpdir %s: not a directory", opts->tmpdir);
    }
    if (ds_dest_open(dst_ref, opts, &d, err) < 0) return -1;
    ds_transport dt = d->ref.transport;
    int want = -1; /* keep */
    if (opts->compress) {
        ds_compress c = DS_COMPRESS_NONE;
        if (!strcmp(opts->compress, "gzip")) c = DS_COMPRESS_GZIP;
        else if (!strcmp(opts->compress, "zstd")) c = DS_COMPRESS_ZSTD;
        want = (int)c;
    } else if (dt == DS_T_DOCKER_ARCHIVE) {
        want = DS_COMPRESS_NONE;
    }
    if (dt == DS_T_DOCKER_ARCHIVE && want != DS_COMPRESS_NONE && want >= 0)
        want = DS_COMPRESS_NONE; /* docker load wants plain layer tars, as docker save writes */
    bool src_oci = strcmp(src->manifest_media_type, DS_MT_DOCKER_MANIFEST) != 0;
    /* OCI layouts hold OCI manifests (skopeo converts too); zstd exists only in OCI. */
    bool out_oci = src_oci || dt == DS_T_OCI || dt == DS_T_OCI_ARCHIVE || want == DS_COMPRESS_ZSTD;
    bool rewrite = out_oci != src_oci;
    char *scratch = NULL;
    char *src_name = ds_ref_format(&src->ref);
    ds_desc *nl = ds_xcalloc(src->n_layers ? src->n_layers : 1, sizeof *nl);
    int r = 0;
    for (size_t i = 0; i < src->n_layers; i++) {
        const ds_desc *l = &src->layers[i];
        ds_progress_task((uint64_t)(l->size > 0 ? l->size : 0), "Copying blob %.19s... (%zu/%zu)", l->digest, i + 1, src->n_layers);
        char *p = NULL;
        bool tmp = false;
        if (ds_image_blob_path(src, l, &p, &tmp, err) < 0) { r = -1; break; }
        int cur = ds_mt_compression(l->media_type);
        if (cur < 0 && want >= 0 && dt == DS_T_DOCKER_ARCHIVE) {
            /* Unknown layer type: trust the bytes. */
            ds_compress sn;
            if (ds_compress_sniff_file(p, &sn, err) == 0) cur = (int)sn;
        }
        ds_desc_copy(&nl[i], l);
        if (want >= 0 && cur >= 0 && cur != want) {
            if (!scratch && ds_image_mkdtemp(opts, "distill-copy", &scratch, err) < 0) { r = -1; goto next; }
            char *np = NULL;
            ds_progress_task(0, "Recompressing blob %.19s... (%zu/%zu)", l->digest, i + 1, src->n_layers);
            if (transcode(p, cur, (ds_compress)want, scratch, i, &np, &nl[i], err) < 0) {
                ds_err_wrap(err, "%s: layer %s", src_name, l->digest);
                r = -1; goto next;
            }
            free(nl[i].media_type);
            nl[i].media_type = ds_xstrdup(layer_mt((ds_compress)want, out_oci));
            rewrite = true;
            if (tmp) unlink(p);
            free(p);
            p = np; tmp = true;
        } else if (rewrite || out_oci != src_oci) {
            int c = cur >= 0 ? cur : -1;
            if (c >= 0) { free(nl[i].media_type); nl[i].media_type = ds_xstrdup(layer_mt((ds_compress)c, out_oci)); }
        }
        /* Writing the destination restarts the count (a registry source was downloaded above). */
        ds_progress_task((uint64_t)(nl[i].size > 0 ? nl[i].size : 0), "Copying blob %.19s... (%zu/%zu)", nl[i].digest,
                         i + 1, src->n_layers);
        if (ds_dest_put_blob(d, &nl[i], p, err) < 0) r = -1;
    next:
        if (p && tmp) unlink(p);
        free(p);
        if (r < 0) break;
    }
    ds_progress_done();
    if (r == 0) {
        char *cp = NULL;
        bool tmp = false;
        r = ds_image_blob_path(src, &src->config_desc, &cp, &tmp, err);
        if (r == 0) r = ds_dest_put_blob(d, &src->config_desc, cp, err);
        if (cp && tmp) unlink(cp);
        free(cp);
    }
    char *raw = NULL;
    size_t len = 0;
    const char *mt = src->manifest_media_type;
    if (r == 0 && rewrite) {
        /* Same manifest with new layer descriptors (and OCI media types when converting). */
        json_t *m = json_deep_copy(src->manifest);
        json_t *ls = json_object_get(m, "layers");
        for (size_t i = 0; i < src->n_layers; i++) {
            json_t *e = json_array_get(ls, i);
            json_object_set_new(e, "mediaType", json_string(nl[i].media_type));
            json_object_set_new(e, "digest", json_string(nl[i].digest));
            json_object_set_new(e, "size", json_integer(nl[i].size));
        }
        if (out_oci) {
            mt = DS_MT_OCI_MANIFEST;
            json_t *c = json_object_get(m, "config");
            const char *cmt = json_string_value(json_object_get(c, "mediaType"));
            if (!cmt || !strcmp(cmt, DS_MT_DOCKER_CONFIG)) json_object_set_new(c, "mediaType", json_string(DS_MT_OCI_CONFIG));
        }
        json_object_set_new(m, "mediaType", json_string(mt));
        raw = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
        len = strlen(raw);
        json_decref(m);
    } else if (r == 0) {
        raw = ds_xmalloc(src->manifest_len + 1);
        memcpy(raw, src->manifest_raw, src->manifest_len);
        len = src->manifest_len;
    }
    if (r == 0) r = ds_dest_put_manifest(d, raw, len, mt, err);
    /* The digest a reader of the destination reports (docker-archive rebuilds its manifest). */
    char written[DS_DIGEST_LEN + 1] = "";
    if (r == 0) ds_dest_digest(d, raw, len, written);
    if (r == 0) {
        r = ds_dest_commit(d, err);
        d = NULL;
    }
    if (r == 0 && out_digest) memcpy(out_digest, written, DS_DIGEST_LEN + 1);
    if (d) ds_dest_abort(d);
    free(raw);
    for (size_t i = 0; i < src->n_layers; i++) ds_desc_free(&nl[i]);
    free(nl);
    if (scratch) { ds_err e; ds_rmtree(scratch, &e); free(scratch); }
    free(src_name);
    return r;
}
