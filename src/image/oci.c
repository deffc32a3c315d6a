/* oci:PATH[:REF] — the OCI image layout (image-spec image-layout.md).
 * Read: index.json names the image (by org.opencontainers.image.ref.name), blobs
 * are verified when handed out. Write: a new layout is built in a temp dir beside
 * PATH and renamed into place; an existing layout gets its blobs added and
 * index.json replaced atomically. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/blob.h"
#include "image/manifest.h"
#include "image/transport.h"
#include "util/fsutil.h"
#include "util/cleanup.h"

typedef struct {
    char *dir;
    char *owned_tmp;   /* removed on close (oci-archive extraction) */
    char *name;        /* the reference, for messages */
    ds_digest_set verified;
} oci_src;

static char *blob_file(const char *dir, const char *digest) {
    return ds_xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
}

static int read_index(const char *dir, const char *name, json_t **out, ds_err *err) {
    char *p = ds_xasprintf("%s/index.json", dir);
    char *raw = NULL;
    size_t len = 0;
    int r = ds_read_file(p, &raw, &len, DS_MAX_MANIFEST, err);
    free(p);
    if (r < 0) {
        if (err->code == ENOENT) return ds_fail(err, "%s: not an OCI image layout (no index.json)", name);
        return ds_err_wrap(err, "%s", name);
    }
    json_error_t je;
    json_t *j = json_loadb(raw, len, 0, &je);
    free(raw);
    if (!j || !json_is_object(j) || !json_is_array(json_object_get(j, "manifests"))) {
        json_decref(j);
        return ds_fail(err, "%s: index.json is not a valid OCI index%s%s", name, j ? "" : ": ", j ? "" : je.text);
    }
    *out = j;
    return 0;
}

static int read_blob_bytes(oci_src *o, const ds_desc *d, bool check_size, char **raw, size_t *len, ds_err *err) {
    char *p = blob_file(o->dir, d->digest);
    int r = ds_read_file(p, raw, len, DS_MAX_MANIFEST, err);
    free(p);
    if (r < 0) return ds_err_wrap(err, "%s: manifest %s", o->name, d->digest);
    char got[DS_DIGEST_LEN + 1];
    ds_sha256_buf(*raw, *len, got);
    if (strcmp(got, d->digest)) {
        free(*raw); *raw = NULL;
        return ds_fail(err, "%s: blob %s is corrupt: %zu bytes hashing to %s", o->name, d->digest, *len, got);
    }
    if (check_size && (int64_t)*len != d->size) {
        int r = ds_fail(err, "%s: blob %s has the wrong size: %zu bytes, index.json says %lld", o->name, d->digest, *len,
                        (long long)d->size);
        free(*raw); *raw = NULL;
        return r;
    }
    return 0;
}

static int oci_get_manifest(ds_source *s, const char *digest, char **raw, size_t *len, char **media_type, ds_err *err) {
    oci_src *o = s->priv;
    *media_type = NULL;
    if (digest) {
        ds_desc d = {.size = -1};
        if (!ds_digest_valid(digest)) return ds_fail(err, "%s: bad digest %s", o->name, digest);
        memcpy(d.digest, digest, DS_DIGEST_LEN + 1);
        return read_blob_bytes(o, &d, false, raw, len, err);
    }
    json_t *idx;
    if (read_index(o->dir, o->name, &idx, err) < 0) return -1;
    json_t *ms = json_object_get(idx, "manifests");
    size_t n = json_array_size(ms);
    const char *want = s->ref->tag, *want_digest = s->ref->digest;
    long found = -1;
    size_t n_platform = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(ms, i);
        const char *rn = json_string_value(json_object_get(json_object_get(e, "annotations"), DS_ANN_REF_NAME));
        const char *dg = json_string_value(json_object_get(e, "digest"));
        if (json_object_get(e, "platform")) n_platform++;
        if (want_digest) { if (found < 0 && dg && !strcmp(dg, want_digest)) found = (long)i; }
        else if (want ? (rn && !strcmp(rn, want)) : true) { if (found < 0 || want) found = (long)i; }
    }
    int r = 0;
    if (n == 0) {
        r = ds_fail(err, "%s: the layout holds no image", o->name);
    } else if (want_digest && found < 0) {
        r = ds_fail(err, "%s: no manifest %s in the layout's index.json", o->name, want_digest);
    } else if (want && found < 0) {
        char avail[512] = "";
        size_t al = 0;
        for (size_t i = 0; i < n && al < sizeof avail - 1; i++) {
            const char *rn = json_string_value(json_object_get(json_object_get(json_array_get(ms, i), "annotations"), DS_ANN_REF_NAME));
            if (rn) al += (size_t)snprintf(avail + al, sizeof avail - al, "%s%s", al ? ", " : "", rn);
        }
        r = ds_fail(err, "%s: no image named '%s' in the layout (it has: %s)", o->name, want, al ? avail : "no named images");
    } else if (!want && !want_digest && n > 1) {
        if (n_platform == n) {
            /* A multi-platform layout without names: index.json is the index to pick from. */
            char *txt = json_dumps(idx, JSON_COMPACT);
            *raw = txt; *len = strlen(txt);
            *media_type = ds_xstrdup(DS_MT_OCI_INDEX);
            json_decref(idx);
            return 0;
        }
        r = ds_fail(err, "%s: the layout holds %zu images; name one as oci:PATH:REF or oci:PATH@DIGEST", o->name, n);
    }
    if (r < 0) { json_decref(idx); return -1; }
    ds_desc d;
    if (ds_desc_parse(json_array_get(ms, (size_t)found), &d, o->name, err) < 0) { json_decref(idx); return -1; }
    json_decref(idx);
    r = read_blob_bytes(o, &d, true, raw, len, err);
    if (r == 0 && d.media_type[0]) *media_type = ds_xstrdup(d.media_type);
    ds_desc_free(&d);
    return r;
}

static int oci_blob_path(ds_source *s, const ds_desc *d, char **path, bool *is_temp, ds_err *err) {
    oci_src *o = s->priv;
    if (!ds_digest_valid(d->digest)) return ds_fail(err, "%s: bad digest %s", o->name, d->digest);
    char *p = blob_file(o->dir, d->digest);
    if (!ds_digest_set_has(&o->verified, d->digest)) {
        if (ds_blob_verify(p, d, o->name, err) < 0) { free(p); return -1; }
        ds_digest_set_add(&o->verified, d->digest);
    }
    *path = p;
    *is_temp = false;
    return 0;
}

static void oci_close(ds_source *s) {
    oci_src *o = s->priv;
    if (!o) return;
    if (o->owned_tmp) { ds_err e; ds_rmtree(o->owned_tmp, &e); free(o->owned_tmp); }
    free(o->dir); free(o->name);
    ds_digest_set_free(&o->verified);
    free(o);
    s->priv = NULL;
}

static const struct ds_source_ops oci_source_ops = {oci_get_manifest, oci_blob_path, oci_close};

int ds_oci_layout_source_init(ds_source *s, const char *dir, char *owned_tmp, ds_err *err) {
    oci_src *o = ds_xcalloc(1, sizeof *o);
    o->dir = ds_xstrdup(dir);
    o->owned_tmp = owned_tmp;
    o->name = ds_ref_format(s->ref);
    s->priv = o;
    s->ops = &oci_source_ops;
    char *lay = ds_xasprintf("%s/oci-layout", dir);
    char *raw = NULL;
    int r = ds_read_file(lay, &raw, NULL, 1 << 16, err);
    free(lay);
    if (r < 0) {
        r = err->code == ENOENT ? ds_fail(err, "%s: not an OCI image layout (no oci-layout file)", o->name)
                                : ds_err_wrap(err, "%s", o->name);
        oci_close(s); s->ops = NULL;
        return r;
    }
    json_t *j = json_loads(raw, 0, NULL);
    free(raw);
    const char *v = json_string_value(json_object_get(j, "imageLayoutVersion"));
    if (!v || strncmp(v, "1.", 2)) {
        json_decref(j);
        r = ds_fail(err, "%s: unsupported oci-layout (imageLayoutVersion must be 1.x)", o->name);
        oci_close(s); s->ops = NULL;
        return r;
    }
    json_decref(j);
    return 0;
}

int ds_oci_source_open(ds_source *s, ds_err *err) {
    return ds_oci_layout_source_init(s, s->ref->path, NULL, err);
}

/* --- writing ----------------------------------------------------------------- */

typedef struct {
    char *final;      /* PATH */
    char *work;       /* where blobs go: a fresh temp layout, or PATH itself */
    bool existing;
    char mdigest[DS_DIGEST_LEN + 1];
    size_t mlen;
    char *mt;
    ds_digest_set have;
} oci_dst;

/* Put a file into blobs/ under a temp name and rename. Always a copy (a reflink where the
 * filesystem can): a hard link would share the inode with the source image, so a later chmod or an
 * in-place write by another tool on the destination would change the source too. */
static int place_blob(const char *layout, const char *digest, const char *src, ds_err *err) {
    char *dst = blob_file(layout, digest);
    struct stat st;
    /* Already there (content-addressed): keep it unless its size shows damage. */
    struct stat sst;
    if (stat(dst, &st) == 0 && stat(src, &sst) == 0 && st.st_size == sst.st_size) { free(dst); return 0; }
    char *tmp = ds_tmp_sibling(dst);
    int r = 0;
    r = ds_copy_file(src, tmp, 0644, err);
    if (r < 0 && strstr(err->msg, tmp)) { errno = err->code; r = ds_fail_errno(err, "cannot write blob %s", digest); }
    if (r == 0 && rename(tmp, dst) < 0) r = ds_fail_errno(err, "cannot write blob %s", digest);
    if (r < 0) unlink(tmp);
    ds_cleanup_forget(tmp);
    free(tmp); free(dst);
    return r;
}

static int oci_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    oci_dst *o = d->priv;
    if (!ds_digest_valid(desc->digest)) return ds_fail(err, "bad digest %s", desc->digest);
    if (ds_digest_set_has(&o->have, desc->digest)) return 0;
    if (place_blob(o->work, desc->digest, path, err) < 0) return ds_err_wrap(err, "oci:%s", o->final);
    ds_digest_set_add(&o->have, desc->digest);
    return 0;
}

static int oci_put_manifest(ds_dest *d, const char *raw, size_t len, const char *mt, ds_err *err) {
    oci_dst *o = d->priv;
    ds_sha256_buf(raw, len, o->mdigest);
    char *p = blob_file(o->work, o->mdigest);
    int r = ds_write_file_atomic(p, raw, len, 0644, err);
    free(p);
    if (r < 0) return ds_err_wrap(err, "oci:%s", o->final);
    o->mlen = len;
    free(o->mt);
    o->mt = ds_xstrdup(mt ? mt : DS_MT_OCI_MANIFEST);
    return 0;
}

static void oci_dst_free(ds_dest *d) {
    oci_dst *o = d->priv;
    if (!o) return;
    free(o->final); free(o->work); free(o->mt);
    ds_digest_set_free(&o->have);
    free(o);
    d->priv = NULL;
}

static int oci_commit(ds_dest *d, ds_err *err) {
    oci_dst *o = d->priv;
    if (!o->mt) return ds_fail(err, "oci:%s: no manifest was written", o->final);
    json_t *idx = NULL;
    if (o->existing) {
        char *name = ds_xasprintf("oci:%s", o->final);
        int r = read_index(o->work, name, &idx, err);
        free(name);
        if (r < 0) return -1;
    } else {
        idx = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", DS_MT_OCI_INDEX, "manifests");
    }
    json_t *ms = json_object_get(idx, "manifests");
    /* The new image replaces any entry with the same name (or, unnamed, the same digest). */
    for (size_t i = json_array_size(ms); i-- > 0;) {
        json_t *e = json_array_get(ms, i);
        const char *rn = json_string_value(json_object_get(json_object_get(e, "annotations"), DS_ANN_REF_NAME));
        const char *dg = json_string_value(json_object_get(e, "digest"));
        if (d->ref.tag ? (rn && !strcmp(rn, d->ref.tag)) : (!rn && dg && !strcmp(dg, o->mdigest)))
            json_array_remove(ms, i);
    }
    json_t *e = json_pack("{s:s, s:s, s:I}", "mediaType", o->mt, "digest", o->mdigest, "size", (json_int_t)o->mlen);
    if (d->ref.tag) json_object_set_new(e, "annotations", json_pack("{s:s}", DS_ANN_REF_NAME, d->ref.tag));
    json_array_append_new(ms, e);
    char *txt = json_dumps(idx, JSON_COMPACT);
    json_decref(idx);
    char *ip = ds_xasprintf("%s/index.json", o->work);
    int r = ds_write_file_atomic(ip, txt, strlen(txt), 0644, err);
    free(ip); free(txt);
    if (r < 0) return ds_err_wrap(err, "oci:%s", o->final);
    if (!o->existing) {
        char *lp = ds_xasprintf("%s/oci-layout", o->work);
        const char *lay = "{\"imageLayoutVersion\":\"1.0.0\"}";
        r = ds_write_file_atomic(lp, lay, strlen(lay), 0644, err);
        free(lp);
        if (r < 0) return ds_err_wrap(err, "oci:%s", o->final);
        /* rename() replaces an empty directory, never a non-empty one. */
        if (rename(o->work, o->final) < 0) return ds_fail_errno(err, "oci:%s: rename %s into place", o->final, o->work);
        ds_cleanup_forget(o->work); /* the destination now: never removed on interrupt */
    }
    oci_dst_free(d);
    return 0;
}

static void oci_abort(ds_dest *d) {
    oci_dst *o = d->priv;
    if (!o) return;
    /* In an existing layout, blobs already added are harmless: nothing names them. */
    if (!o->existing && o->work) { ds_err e; ds_rmtree(o->work, &e); }
    oci_dst_free(d);
}

static const ds_dest_ops oci_dest_ops = {oci_put_blob, oci_put_manifest, oci_commit, oci_abort};

int ds_oci_dest_open(ds_dest *d, ds_err *err) {
    const char *path = d->ref.path;
    oci_dst *o = ds_xcalloc(1, sizeof *o);
    o->final = ds_xstrdup(path);
    char *ip = ds_xasprintf("%s/index.json", path);
    char *lp = ds_xasprintf("%s/oci-layout", path);
    bool has_index = ds_exists(ip), has_layout = ds_exists(lp);
    free(ip); free(lp);
    struct stat st;
    int r = 0;
    if (has_index && has_layout) {
        o->existing = true;
        o->work = ds_xstrdup(path);
        /* A damaged index.json is found now, before any blob is added to the layout. */
        char *name = ds_xasprintf("oci:%s", path);
        json_t *idx = NULL;
        r = read_index(path, name, &idx, err);
        json_decref(idx);
        free(name);
        char *bd = ds_xasprintf("%s/blobs/sha256", path);
        if (r == 0) r = ds_mkdirs(bd, 0755, err);
        /* Blobs go into blobs/sha256: a symlink there would send them out of the layout. */
        for (int k = 0; r == 0 && k < 2; k++) {
            char *sub = ds_xasprintf("%s/%s", path, k ? "blobs/sha256" : "blobs");
            if (lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
                r = ds_fail(err, "oci:%s: %s is not a directory (a symlink?): refusing to write through it", path,
                            k ? "blobs/sha256" : "blobs");
            free(sub);
        }
        free(bd);
    } else if (lstat(path, &st) == 0 && !(S_ISDIR(st.st_mode) && ds_dir_empty(path))) {
        /* Only an empty directory may stand where a new layout goes (rename replaces it). */
        r = ds_fail(err, "oci:%s: exists and is not an OCI image layout", path);
    } else {
        o->work = ds_tmp_sibling(path);
        char *bd = ds_xasprintf("%s/blobs/sha256", o->work);
        r = ds_mkdirs(bd, 0755, err);
        free(bd);
        if (r < 0) { errno = err->code; ds_fail_errno(err, "oci:%s: cannot create the layout", path); }
    }
    d->priv = o;
    d->ops = &oci_dest_ops;
    if (r < 0) { oci_abort(d); return -1; }
    return 0;
}
