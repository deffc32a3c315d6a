/* rootfs:DIR — a plain directory tree.
 * Read: the tree becomes ONE deterministic layer (fs/layer_writer.h; gzip unless
 * --compress says otherwise) with a minimal config for this machine's platform.
 * Write: the layers are applied in order (fs/unpack.h: never outside the tree,
 * whiteouts honoured) into a temp dir beside DIR, renamed to DIR at commit. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fs/layer_writer.h"
#include "fs/unpack.h"
#include "image/blob.h"
#include "image/image_write.h"
#include "image/manifest.h"
#include "image/transport.h"
#include "util/fsutil.h"
#include "util/cleanup.h"
#include "util/source_date.h"

typedef struct {
    char *tmp, *name;
    ds_layer_out layer;
    char *config_path;
    char config_digest[DS_DIGEST_LEN + 1];
    int64_t config_size;
    char *manifest;
} rf_src;

static void rf_close(ds_source *s) {
    rf_src *r = s->priv;
    if (!r) return;
    ds_layer_out_free(&r->layer);
    if (r->tmp) { ds_err e; ds_rmtree(r->tmp, &e); }
    free(r->tmp); free(r->name); free(r->config_path); free(r->manifest);
    free(r);
    s->priv = NULL;
}

static int rf_get_manifest(ds_source *s, const char *digest, char **raw, size_t *len, char **media_type, ds_err *err) {
    rf_src *r = s->priv;
    if (digest) return ds_fail(err, "%s: a directory has no manifest %s", r->name, digest);
    *raw = ds_xstrdup(r->manifest);
    *len = strlen(r->manifest);
    *media_type = ds_xstrdup(DS_MT_OCI_MANIFEST);
    return 0;
}

static int rf_blob_path(ds_source *s, const ds_desc *d, char **path, bool *is_temp, ds_err *err) {
    rf_src *r = s->priv;
    *is_temp = false;
    if (!strcmp(d->digest, r->layer.digest) && d->size == r->layer.size) { *path = ds_xstrdup(r->layer.blob_path); return 0; }
    if (!strcmp(d->digest, r->config_digest) && d->size == r->config_size) { *path = ds_xstrdup(r->config_path); return 0; }
    return ds_fail(err, "%s: no blob %s", r->name, d->digest);
}

static const struct ds_source_ops rf_source_ops = {rf_get_manifest, rf_blob_path, rf_close};

int ds_rootfs_source_open(ds_source *s, ds_err *err) {
    rf_src *r = ds_xcalloc(1, sizeof *r);
    r->name = ds_ref_format(s->ref);
    s->priv = r;
    s->ops = &rf_source_ops;
    struct stat st;
    if (stat(s->ref->path, &st) < 0) { ds_fail_errno(err, "%s", r->name); goto fail; }
    if (!S_ISDIR(st.st_mode)) { ds_fail(err, "%s: not a directory", r->name); goto fail; }
    /* The platform first: a contradiction is found before the tree is archived. */
    char plat[128];
    if (ds_rootfs_platform(s->ref->path, r->name, s->opts.platform, plat, sizeof plat, err) < 0) goto fail;
    ds_compress comp = DS_COMPRESS_GZIP;
    if (s->opts.compress && ds_compress_parse(s->opts.compress, &comp, err) < 0) goto fail;
    if (ds_image_mkdtemp(&s->opts, "distill-rootfs", &r->tmp, err) < 0) goto fail;
    if (ds_layer_write_tree(s->ref->path, comp, r->tmp, NULL, NULL, &r->layer, err) < 0) {
        ds_err_wrap(err, "%s", r->name);
        goto fail;
    }
    char created[32];
    int64_t when;
    if (ds_source_date_or(0, &when, err) < 0) goto fail; /* the same tree gives the same image */
    ds_rfc3339(when, created);
    char *arch = strchr(plat, '/') + 1;
    char *variant = strchr(arch, '/');
    if (variant) *variant++ = 0;
    *strchr(plat, '/') = 0;
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created", created,
                            "architecture", arch, "os", plat, "config", "Env",
                            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "rootfs", "type",
                            "layers", "diff_ids", r->layer.diff_id, "history", "created", created, "created_by",
                            "distill: directory tree as one layer");
    if (variant) json_object_set_new(cfg, "variant", json_string(variant));
    ds_write_layer wl = {.desc = {.media_type = (char *)r->layer.media_type, .size = r->layer.size}};
    memcpy(wl.desc.digest, r->layer.digest, sizeof wl.desc.digest);
    ds_image_doc doc;
    int rc = ds_image_compose(cfg, &wl, 1, NULL, &doc, err);
    json_decref(cfg);
    if (rc < 0) goto fail;
    r->config_path = ds_xasprintf("%s/config.json", r->tmp);
    r->config_size = (int64_t)doc.config_len;
    memcpy(r->config_digest, doc.config_digest, sizeof r->config_digest);
    rc = ds_write_file_atomic(r->config_path, doc.config_raw, doc.config_len, 0644, err);
    r->manifest = doc.manifest_raw; /* kept, the config bytes are in the file */
    doc.manifest_raw = NULL;
    ds_image_doc_free(&doc);
    if (rc < 0) goto fail;
    return 0;
fail:
    rf_close(s);
    s->ops = NULL;
    return -1;
}

/* --- writing ------------------------------------------------------------------ */

typedef struct {
    char *final, *work, *name;
    bool have_manifest;
    size_t n_applied;
} rf_dst;

static bool is_layer(const ds_desc *d) { return ds_mt_compression(d->media_type) >= 0; }

static int rf_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    rf_dst *o = d->priv;
    if (!is_layer(desc)) return 0; /* config, attestations: nothing to unpack */
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    if (ds_layer_apply(o->work, path, desc->media_type, &uo, err) < 0) return ds_err_wrap(err, "%s: layer %s", o->name, desc->digest);
    o->n_applied++;
    return 0;
}

static int rf_put_manifest(ds_dest *d, const char *raw, size_t len, const char *mt, ds_err *err) {
    rf_dst *o = d->priv;
    (void)raw; (void)len; (void)mt; (void)err;
    o->have_manifest = true;
    return 0;
}

static void rf_dst_free(ds_dest *d) {
    rf_dst *o = d->priv;
    if (!o) return;
    free(o->final); free(o->work); free(o->name);
    free(o);
    d->priv = NULL;
}

static int rf_commit(ds_dest *d, ds_err *err) {
    rf_dst *o = d->priv;
    if (!o->have_manifest) return ds_fail(err, "%s: no manifest was written", o->name);
    /* rename() replaces an empty directory, never a non-empty one. */
    if (rename(o->work, o->final) < 0) return ds_fail_errno(err, "%s: rename into place", o->name);
    ds_cleanup_forget(o->work); /* the destination now: never removed on interrupt */
    rf_dst_free(d);
    return 0;
}

static void rf_abort(ds_dest *d) {
    rf_dst *o = d->priv;
    if (!o) return;
    if (o->work) { ds_err e; ds_rmtree(o->work, &e); }
    rf_dst_free(d);
}

static const ds_dest_ops rf_dest_ops = {rf_put_blob, rf_put_manifest, rf_commit, rf_abort};

int ds_rootfs_dest_open(ds_dest *d, ds_err *err) {
    rf_dst *o = ds_xcalloc(1, sizeof *o);
    o->final = ds_xstrdup(d->ref.path);
    o->name = ds_ref_format(&d->ref);
    d->priv = o;
    d->ops = &rf_dest_ops;
    struct stat st;
    if (lstat(o->final, &st) == 0 && !(S_ISDIR(st.st_mode) && ds_dir_empty(o->final))) {
        ds_fail(err, "%s: exists and is not an empty directory", o->name);
        rf_dst_free(d);
        return -1;
    }
    o->work = ds_tmp_sibling(o->final);
    if (ds_mkdirs(o->work, 0755, err) < 0) {
        errno = err->code; /* the message named the temp sibling: say it of the user's directory */
        ds_fail_errno(err, "%s: cannot create it", o->name);
        rf_abort(d);
        return -1;
    }
    return 0;
}
