/* docker-archive:PATH[:REPO:TAG] — what `docker save` / `podman save` write.
 * Read: every regular file of the tar is extracted to a private temp dir under a
 * generated name (archive names are only lookup keys, so nothing can be written
 * elsewhere), hashed on the way; symlinks and hard links inside the archive are
 * followed by name. An OCI manifest is synthesised from manifest.json.
 * Write: Config as <hex>.json, layers as <hex>.tar (plain tars, as docker save
 * writes), manifest.json last; a temp file renamed into place. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/blob.h"
#include "util/compress.h"
#include "image/docker_archive.h"
#include "image/manifest.h"
#include "image/transport.h"
#include "util/fsutil.h"
#include "util/cleanup.h"

typedef struct {
    char *name;       /* normalised archive path */
    char *file;       /* extracted file, or NULL for links */
    char *link;       /* symlink/hard link target, normalised, or NULL */
    char digest[DS_DIGEST_LEN + 1];
    int64_t size;
    ds_compress comp;
} da_entry;

typedef struct {
    char *tmp;
    char *what;
    da_entry *e;
    size_t n, cap;
    char *manifest;   /* synthesised OCI manifest */
} da_src;

/* Normalise an archive path: no leading "./" or "/", "." and ".." resolved; NULL when it leaves the root. */
static char *norm_path(const char *base_dir, const char *p) {
    char *joined = p[0] == '/' || !base_dir || !*base_dir ? ds_xstrdup(p) : ds_xasprintf("%s/%s", base_dir, p);
    char *out = ds_xmalloc(strlen(joined) + 1);
    size_t ol = 0;
    char *save = NULL;
    for (char *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, ".")) continue;
        if (!strcmp(c, "..")) {
            if (ol == 0) { free(joined); free(out); return NULL; }
            while (ol > 0 && out[ol - 1] != '/') ol--;
            if (ol > 0) ol--;
            continue;
        }
        if (ol) out[ol++] = '/';
        size_t n = strlen(c);
        memcpy(out + ol, c, n);
        ol += n;
    }
    out[ol] = 0;
    free(joined);
    return out;
}

static da_entry *find(da_src *d, const char *name) {
    for (size_t i = d->n; i-- > 0;)
        if (!strcmp(d->e[i].name, name)) return &d->e[i];
    return NULL;
}

/* Follow links (at most 16) to the entry holding the data. */
static da_entry *resolve(da_src *d, const char *name) {
    char *n = norm_path(NULL, name);
    if (!n) return NULL;
    da_entry *e = NULL;
    for (int hops = 0; hops < 16; hops++) {
        e = find(d, n);
        free(n);
        if (!e || !e->link) return e && e->file ? e : NULL;
        n = ds_xstrdup(e->link);
    }
    free(n);
    return NULL;
}

static void da_free(da_src *d) {
    if (!d) return;
    if (d->tmp) { ds_err e; ds_rmtree(d->tmp, &e); free(d->tmp); }
    for (size_t i = 0; i < d->n; i++) { free(d->e[i].name); free(d->e[i].file); free(d->e[i].link); }
    free(d->e); free(d->what); free(d->manifest);
    free(d);
}

/* From a file (path) or a stream (fd >= 0: a pipe or socket from an engine, read once). */
static int extract(da_src *d, const char *path, int fd, ds_err *err) {
    struct stat st;
    if (fd < 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return ds_fail(err, "%s: is a directory (a docker archive is a file)", d->what);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a);
    if ((fd >= 0 ? archive_read_open_fd(a, fd, 1 << 20) : archive_read_open_filename(a, path, 1 << 20)) != ARCHIVE_OK) {
        int r = ds_archive_not_tar(a) ? ds_fail(err, "%s: not a docker archive (not a tar file)", d->what)
                                      : ds_fail(err, "%s: %s", d->what, ds_archive_err(a));
        archive_read_free(a);
        return r;
    }
    char *buf = ds_xmalloc(1 << 20);
    struct archive_entry *ae;
    int ar, r = 0;
    size_t n_headers = 0;
    while (r == 0 && (ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
        n_headers++;
        const char *en = archive_entry_pathname(ae);
        mode_t type = archive_entry_filetype(ae);
        const char *hl = archive_entry_hardlink(ae);
        if (!en || (type != AE_IFREG && type != AE_IFLNK && !hl)) continue; /* dirs and the like carry nothing */
        char *name = norm_path(NULL, en);
        if (!name || !*name) { free(name); continue; }
        if (d->n == d->cap) { d->cap = d->cap ? d->cap * 2 : 32; d->e = ds_xrealloc(d->e, d->cap * sizeof *d->e); }
        da_entry *e = &d->e[d->n];
        memset(e, 0, sizeof *e);
        e->name = name;
        if (hl) {
            e->link = norm_path(NULL, hl);
            d->n++;
            continue;
        }
        if (type == AE_IFLNK) {
            const char *target = archive_entry_symlink(ae);
            char *dir = ds_xstrdup(name);
            char *sl = strrchr(dir, '/');
            if (sl) *sl = 0; else dir[0] = 0;
            e->link = target ? norm_path(dir, target) : NULL;
            free(dir);
            d->n++;
            continue;
        }
        e->file = ds_xasprintf("%s/e%zu", d->tmp, d->n);
        d->n++;
        int fd = open(e->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) { r = ds_fail_errno(err, "%s: create %s", d->what, e->file); break; }
        ds_sha256 h;
        ds_sha256_init(&h);
        bool first = true;
        for (;;) {
            la_ssize_t n = archive_read_data(a, buf, 1 << 20);
            if (n < 0) { r = ds_fail(err, "%s: %s: %s", d->what, en, ds_archive_err(a)); break; }
            if (n == 0) break;
            if (first) { e->comp = ds_compress_sniff(buf, (size_t)n); first = false; }
            ds_sha256_update(&h, buf, (size_t)n);
            e->size += n;
            for (la_ssize_t off = 0; off < n;) {
                ssize_t w = write(fd, buf + off, (size_t)(n - off));
                if (w < 0) { if (errno == EINTR) continue; r = ds_fail_errno(err, "%s: write %s", d->what, e->file); break; }
                off += w;
            }
            if (r < 0) break;
        }
        ds_sha256_final(&h, e->digest);
        if (close(fd) < 0 && r == 0) r = ds_fail_errno(err, "%s: write %s", d->what, e->file);
    }
    if (r == 0 && ar != ARCHIVE_EOF) {
        /* Failing at the first header: the file is something else (JSON, a gzip of one, empty). */
        if (d->n == 0 && n_headers == 0 && ds_archive_not_tar(a)) r = ds_fail(err, "%s: not a docker archive (not a tar file)", d->what);
        else r = ds_fail(err, "%s: %s", d->what, ds_archive_err(a));
    }
    free(buf);
    archive_read_free(a);
    return r;
}

/* When a file name carries a sha256 hex (<hex>.json, blobs/sha256/<hex>), it must match. */
static const char *name_hex(const char *name) {
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strspn(base, "0123456789abcdef");
    if (n != 64 || (base[64] && strcmp(base + 64, ".json") && strcmp(base + 64, ".tar"))) return NULL;
    return base;
}

/* The OCI manifest a reader of the archive sees: docker-archive stores none, so it is rebuilt from
 * manifest.json and the files. Writing builds the same one from what it stored (da_put_manifest),
 * so the digest `copy` prints is the digest `inspect` reports. */
static json_t *synth_manifest(const char *config_digest, int64_t config_size) {
    return json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2, "mediaType", DS_MT_OCI_MANIFEST,
                     "config", "mediaType", DS_MT_OCI_CONFIG, "digest", config_digest, "size", (json_int_t)config_size,
                     "layers");
}

static void synth_layer(json_t *m, ds_compress comp, const char *digest, int64_t size) {
    const char *mt = comp == DS_COMPRESS_GZIP ? DS_MT_OCI_LAYER_GZIP : comp == DS_COMPRESS_ZSTD ? DS_MT_OCI_LAYER_ZSTD : DS_MT_OCI_LAYER;
    json_array_append_new(json_object_get(m, "layers"),
                          json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)size));
}

static int build(da_src *d, const char *tag, ds_err *err) {
    da_entry *me = resolve(d, "manifest.json");
    if (!me) return ds_fail(err, "%s: not a docker archive (no manifest.json)", d->what);
    char *raw = NULL;
    size_t len = 0;
    if (ds_read_file(me->file, &raw, &len, DS_MAX_MANIFEST, err) < 0) return ds_err_wrap(err, "%s", d->what);
    ds_docker_entry de;
    int r = ds_docker_manifest_parse(raw, len, tag, d->what, &de, err);
    free(raw);
    if (r < 0) return -1;
    da_entry *ce = resolve(d, de.config);
    if (!ce) { r = ds_fail(err, "%s: config %s named in manifest.json is not in the archive", d->what, de.config); goto out; }
    const char *hx = name_hex(de.config);
    if (hx && strncmp(hx, ce->digest + 7, 64)) {
        r = ds_fail(err, "%s: config %s is corrupt: its content hashes to %s", d->what, de.config, ce->digest);
        goto out;
    }
    char *craw = NULL;
    size_t clen = 0;
    if (ds_read_file(ce->file, &craw, &clen, DS_MAX_MANIFEST, err) < 0) { r = ds_err_wrap(err, "%s", d->what); goto out; }
    json_t *cfg = json_loadb(craw, clen, 0, NULL);
    free(craw);
    json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
    json_t *m = synth_manifest(ce->digest, ce->size);
    for (size_t i = 0; i < de.n_layers && r == 0; i++) {
        da_entry *le = resolve(d, de.layers[i]);
        if (!le) { r = ds_fail(err, "%s: layer %s named in manifest.json is not in the archive", d->what, de.layers[i]); break; }
        const char *did = json_string_value(json_array_get(diff_ids, i));
        if (le->comp == DS_COMPRESS_NONE && did && strcmp(did, le->digest)) {
            r = ds_fail(err, "%s: layer %s is corrupt: it hashes to %s, the config's diff_id is %s", d->what, de.layers[i],
                        le->digest, did);
            break;
        }
        synth_layer(m, le->comp, le->digest, le->size);
    }
    if (r == 0 && json_is_array(diff_ids) && json_array_size(diff_ids) != de.n_layers)
        r = ds_fail(err, "%s: manifest.json lists %zu layers, the config %zu", d->what, de.n_layers, json_array_size(diff_ids));
    json_decref(cfg);
    if (r == 0) d->manifest = json_dumps(m, JSON_COMPACT);
    json_decref(m);
out:
    ds_docker_entry_free(&de);
    return r;
}

static int da_get_manifest(ds_source *s, const char *digest, char **raw, size_t *len, char **media_type, ds_err *err) {
    da_src *d = s->priv;
    if (digest) return ds_fail(err, "%s: a docker archive has no manifest %s", d->what, digest);
    *raw = ds_xstrdup(d->manifest);
    *len = strlen(d->manifest);
    *media_type = ds_xstrdup(DS_MT_OCI_MANIFEST);
    return 0;
}

static int da_blob_path(ds_source *s, const ds_desc *desc, char **path, bool *is_temp, ds_err *err) {
    da_src *d = s->priv;
    for (size_t i = 0; i < d->n; i++) {
        da_entry *e = &d->e[i];
        if (e->file && !strcmp(e->digest, desc->digest)) {
            if (e->size != desc->size)
                return ds_fail(err, "%s: blob %s has the wrong size: %lld bytes, the manifest says %lld", d->what,
                               desc->digest, (long long)e->size, (long long)desc->size);
            *path = ds_xstrdup(e->file); /* hashed while extracting */
            *is_temp = false;
            return 0;
        }
    }
    return ds_fail(err, "%s: blob %s is not in the archive", d->what, desc->digest);
}

static void da_close(ds_source *s) { da_free(s->priv); s->priv = NULL; }

static const struct ds_source_ops da_source_ops = {da_get_manifest, da_blob_path, da_close};

/* by_name: pick the image the reference names (a file); a stream from an engine holds one image. */
static int da_open(ds_source *s, const char *path, int fd, bool by_name, ds_err *err) {
    da_src *d = ds_xcalloc(1, sizeof *d);
    d->what = ds_ref_format(s->ref);
    char *want = by_name ? ds_ref_docker_name(s->ref) : NULL;
    if (ds_image_mkdtemp(&s->opts, "distill-docker-archive", &d->tmp, err) < 0 || extract(d, path, fd, err) < 0 ||
        build(d, want, err) < 0) {
        free(want);
        da_free(d);
        return -1;
    }
    free(want);
    s->priv = d;
    s->ops = &da_source_ops;
    return 0;
}

int ds_docker_archive_source_open(ds_source *s, ds_err *err) { return da_open(s, s->ref->path, -1, true, err); }

int ds_docker_archive_source_open_fd(ds_source *s, int fd, ds_err *err) { return da_open(s, NULL, fd, false, err); }

int ds_docker_archive_config_digest(ds_source *s, char out[DS_DIGEST_LEN + 1], ds_err *err) {
    char *raw = NULL, *mt = NULL;
    size_t len = 0;
    if (s->ops->get_manifest(s, NULL, &raw, &len, &mt, err) < 0) return -1;
    json_t *j = json_loadb(raw, len, 0, NULL);
    const char *d = json_string_value(json_object_get(json_object_get(j, "config"), "digest"));
    snprintf(out, DS_DIGEST_LEN + 1, "%s", d ? d : "");
    json_decref(j);
    free(raw); free(mt);
    return 0;
}

void ds_docker_archive_ref_named(ds_ref *r, const char *name) {
    const char *sl = strrchr(name, '/');
    const char *c = strrchr(sl ? sl : name, ':');
    r->transport = DS_T_DOCKER_ARCHIVE;
    r->repo = c ? ds_xstrndup(name, (size_t)(c - name)) : ds_xstrdup(name);
    r->tag = ds_xstrdup(c ? c + 1 : "latest");
}

const char *ds_docker_archive_msg_tail(const ds_err *err, const char *what) {
    size_t n = strlen(what);
    return !strncmp(err->msg, what, n) && !strncmp(err->msg + n, ": ", 2) ? err->msg + n + 2 : err->msg;
}

/* --- writing ------------------------------------------------------------------ */

typedef struct {
    char *final, *tmp, *what;
    int fd;           /* stream mode (>= 0): the tar goes to this socket, nothing is renamed */
    bool pass_gzip;   /* stream mode: gzip layers go as they are (the engines decompress them) */
    struct archive *a;
    ds_digest_set have;
    json_t *manifest;   /* the image manifest given to put_manifest */
    json_t *names;      /* blob digest -> file name in the archive */
    json_t *stored;     /* blob digest -> [digest, size] of the file stored (layers are stored plain) */
    json_t *old_images; /* manifest.json of the archive being added to, or NULL for a new one */
    json_t *old_files;  /* its regular files: name -> digest */
    ds_opts opts;
} da_dst;

static bool is_config_mt(const char *mt) {
    return mt && (strstr(mt, "config") || strstr(mt, "container.image"));
}

static int da_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    da_dst *o = d->priv;
    if (!ds_digest_valid(desc->digest)) return ds_fail(err, "bad digest %s", desc->digest);
    if (ds_digest_set_has(&o->have, desc->digest)) return 0;
    bool cfg = is_config_mt(desc->media_type);
    ds_compress comp = DS_COMPRESS_NONE;
    if (!cfg && ds_compress_sniff_file(path, &comp, err) < 0) return ds_err_wrap(err, "%s", o->what);
    /* docker save writes plain layer tars: a compressed layer is stored decompressed, as <diff_id>.tar. */
    char *plain = NULL, *scratch = NULL;
    char hexsrc[DS_DIGEST_LEN + 1];
    int64_t size = desc->size;
    snprintf(hexsrc, sizeof hexsrc, "%s", desc->digest);
    if (comp != DS_COMPRESS_NONE && !(o->pass_gzip && comp == DS_COMPRESS_GZIP)) {
        if (ds_image_mkdtemp(&o->opts, "distill-docker-archive-w", &scratch, err) < 0) return ds_err_wrap(err, "%s", o->what);
        plain = ds_xasprintf("%s/layer.tar", scratch);
        if (ds_decompress_file(path, (int)comp, plain, hexsrc, &size, err) < 0) {
            ds_err_wrap(err, "%s: layer %s", o->what, desc->digest);
            ds_err e; ds_rmtree(scratch, &e); free(scratch); free(plain);
            return -1;
        }
        path = plain;
    }
    char *name = ds_xasprintf("%s.%s", hexsrc + 7, cfg ? "json" : "tar");
    /* Adding to an existing archive that has this very file already: not written twice. */
    const char *had = json_string_value(json_object_get(o->old_files, name));
    int r = had && !strcmp(had, hexsrc) ? 0 : ds_tar_add_file(o->a, name, path, o->what, err);
    if (scratch) { ds_err e; ds_rmtree(scratch, &e); free(scratch); free(plain); }
    if (r == 0) {
        ds_digest_set_add(&o->have, desc->digest);
        json_object_set_new(o->names, desc->digest, json_string(name));
        json_object_set_new(o->stored, desc->digest, json_pack("[s, I]", hexsrc, (json_int_t)size));
    }
    free(name);
    return r;
}

static int da_put_manifest(ds_dest *d, const char *raw, size_t len, const char *mt, ds_err *err) {
    da_dst *o = d->priv;
    json_t *j;
    char *dmt;
    bool is_index;
    if (ds_manifest_load(raw, len, mt, o->what, &j, &dmt, &is_index, err) < 0) return -1;
    free(dmt);
    if (is_index) { json_decref(j); return ds_fail(err, "%s: a docker archive holds one image, not an index", o->what); }
    json_decref(o->manifest);
    o->manifest = j;
    /* The digest a reader will report: that of the manifest rebuilt from what is stored. */
    d->written_digest[0] = 0;
    ds_desc cfg, *layers = NULL;
    size_t n = 0;
    ds_err e = {0};
    if (ds_manifest_parse(j, o->what, &cfg, &layers, &n, &e) < 0) return 0; /* commit reports it */
    json_t *cs = json_object_get(o->stored, cfg.digest);
    json_t *m = cs ? synth_manifest(cfg.digest, json_integer_value(json_array_get(cs, 1))) : NULL;
    for (size_t i = 0; i < n && m; i++) {
        json_t *ls = json_object_get(o->stored, layers[i].digest);
        if (!ls) { json_decref(m); m = NULL; break; }
        synth_layer(m, DS_COMPRESS_NONE, json_string_value(json_array_get(ls, 0)), json_integer_value(json_array_get(ls, 1)));
    }
    if (m) {
        char *txt = json_dumps(m, JSON_COMPACT);
        ds_sha256_buf(txt, strlen(txt), d->written_digest);
        free(txt);
        json_decref(m);
    }
    ds_desc_free(&cfg);
    for (size_t i = 0; i < n; i++) ds_desc_free(&layers[i]);
    free(layers);
    return 0;
}

static void da_dst_free(ds_dest *d) {
    da_dst *o = d->priv;
    if (!o) return;
    if (o->a) archive_write_free(o->a);
    if (o->tmp) { unlink(o->tmp); ds_cleanup_forget(o->tmp); }
    free(o->final); free(o->tmp); free(o->what);
    json_decref(o->manifest);
    json_decref(o->names);
    json_decref(o->stored);
    json_decref(o->old_images);
    json_decref(o->old_files);
    ds_digest_set_free(&o->have);
    free(o);
    d->priv = NULL;
}

/* Same name after docker.io/library normalisation. */
static bool same_tag(const char *a, const char *b) {
    char *na = ds_docker_normalize_name(a), *nb = ds_docker_normalize_name(b);
    bool eq = !strcmp(na, nb);
    free(na); free(nb);
    return eq;
}

/* manifest.json: the images already in the archive (the tag moves off any of them to the new
 * image; an image left with no tag stays), then the new one, or the tag added to an entry that is
 * the same image (same config). */
static json_t *merged_images(da_dst *o, const char *tag, const char *cname, json_t *layer_names) {
    json_t *all = o->old_images ? json_deep_copy(o->old_images) : json_array();
    size_t i;
    json_t *img;
    json_t *same = NULL;
    json_array_foreach(all, i, img) {
        const char *c = json_string_value(json_object_get(img, "Config"));
        if (c && !strcmp(c, cname) && json_equal(json_object_get(img, "Layers"), layer_names)) same = img;
        json_t *tags = json_object_get(img, "RepoTags");
        for (size_t k = json_array_size(tags); tag && k-- > 0;) {
            const char *t = json_string_value(json_array_get(tags, k));
            if (t && same_tag(t, tag)) json_array_remove(tags, k);
        }
    }
    if (same) {
        json_t *tags = json_object_get(same, "RepoTags");
        if (!json_is_array(tags)) { tags = json_array(); json_object_set_new(same, "RepoTags", tags); }
        if (tag) json_array_append_new(tags, json_string(tag));
        json_decref(layer_names);
    } else {
        json_t *tags = json_array();
        if (tag) json_array_append_new(tags, json_string(tag));
        json_array_append_new(all, json_pack("{s:s, s:o, s:o}", "Config", cname, "RepoTags", tags, "Layers", layer_names));
    }
    return all;
}

static int da_commit(ds_dest *d, ds_err *err) {
    da_dst *o = d->priv;
    if (!o->manifest) return ds_fail(err, "%s: no manifest was written", o->what);
    ds_desc cfg, *layers = NULL;
    size_t n = 0;
    if (ds_manifest_parse(o->manifest, o->what, &cfg, &layers, &n, err) < 0) return -1;
    int r = 0;
    json_t *ls = json_array();
    const char *cn = json_string_value(json_object_get(o->names, cfg.digest));
    char *cname = ds_xstrdup(cn ? cn : "");
    if (!cn) r = ds_fail(err, "%s: config %s was not written", o->what, cfg.digest);
    for (size_t i = 0; i < n && r == 0; i++) {
        const char *ln = json_string_value(json_object_get(o->names, layers[i].digest));
        if (!ln) {
            r = ds_fail(err, "%s: layer %s was not written", o->what, layers[i].digest);
            break;
        }
        json_array_append_new(ls, json_string(ln));
    }
    ds_desc_free(&cfg);
    for (size_t i = 0; i < n; i++) ds_desc_free(&layers[i]);
    free(layers);
    if (r < 0) { json_decref(ls); free(cname); return -1; }
    char *rt = ds_ref_docker_name(&d->ref); /* "repo:tag", as RepoTags spells it */
    json_t *top = merged_images(o, rt, cname, ls);
    free(rt);
    free(cname);
    char *txt = json_dumps(top, JSON_COMPACT);
    json_decref(top);
    r = ds_tar_add_bytes(o->a, "manifest.json", txt, strlen(txt), o->what, err);
    free(txt);
    if (r < 0) return -1;
    if (o->fd >= 0) {
        /* Stream mode: the end-of-archive blocks, flushed to the socket; its owner closes it. */
        r = archive_write_close(o->a) == ARCHIVE_OK ? 0 : ds_fail(err, "%s: %s", o->what, ds_archive_err(o->a));
        archive_write_free(o->a);
        o->a = NULL;
        if (r < 0) return -1;
        da_dst_free(d);
        return 0;
    }
    r = ds_tar_finish(o->a, o->tmp, o->final, o->what, err);
    o->a = NULL;
    if (r < 0) return -1;
    free(o->tmp);
    o->tmp = NULL;
    da_dst_free(d);
    return 0;
}

static void da_abort(ds_dest *d) { da_dst_free(d); }

static const ds_dest_ops da_dest_ops = {da_put_blob, da_put_manifest, da_commit, da_abort};

static void carry_copied(const char *name, const char *digest, int64_t size, void *ctx) {
    da_dst *o = ctx;
    (void)size;
    json_object_set_new(o->old_files, name, json_string(digest));
}

/* An existing file at PATH: a docker archive gets the new image added (its images stay), anything
 * else is refused and left as it is (skopeo refuses too). An empty file is a new archive. */
static int carry_over(da_dst *o, ds_err *err) {
    struct stat st;
    if (lstat(o->final, &st) < 0) return 0;
    if (!S_ISREG(st.st_mode))
        return ds_fail(err, "%s: exists and is not a docker archive (not a regular file); refusing to overwrite it", o->what);
    if (st.st_size == 0) return 0;
    o->old_files = json_object();
    ds_tar_carry c = {.capture = "manifest.json", .copied = carry_copied, .ctx = o};
    int r = ds_tar_carry_over(o->final, o->what, "a docker archive", o->a, &c, err);
    if (r == 0) {
        o->old_images = json_loadb(c.captured, c.captured_len, 0, NULL);
        bool ok = json_is_array(o->old_images);
        size_t i;
        json_t *img;
        json_array_foreach(o->old_images, i, img)
            if (!json_is_string(json_object_get(img, "Config"))) ok = false;
        if (!ok) r = ds_fail(err, "%s: exists and is not a docker archive (its manifest.json is not docker's); refusing to overwrite it", o->what);
    }
    free(c.captured);
    return r;
}

/* Stream mode: libarchive's writes go to the socket; MSG_NOSIGNAL, so a reader that went
 * away is an error (EPIPE) here, not a SIGPIPE. */
static la_ssize_t sock_write(struct archive *a, void *cd, const void *buf, size_t n) {
    da_dst *o = cd;
    size_t off = 0;
    while (off < n) {
        ssize_t w = send(o->fd, (const char *)buf + off, n - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            archive_set_error(a, errno, "the reader of the stream went away");
            return -1;
        }
        off += (size_t)w;
    }
    return (la_ssize_t)n;
}

int ds_docker_archive_dest_open_fd(ds_dest *d, int fd, bool pass_gzip, const char *what, ds_err *err) {
    da_dst *o = ds_xcalloc(1, sizeof *o);
    o->fd = fd;
    o->pass_gzip = pass_gzip;
    o->what = ds_xstrdup(what);
    o->names = json_object();
    o->stored = json_object();
    o->opts = d->opts;
    d->priv = o;
    d->ops = &da_dest_ops;
    o->a = archive_write_new();
    archive_write_set_format_pax_restricted(o->a);
    /* 1 MiB writes rather than libarchive's 10 KiB: fewer sends, fewer HTTP chunks. */
    archive_write_set_bytes_per_block(o->a, 1 << 20);
    archive_write_set_bytes_in_last_block(o->a, 1);
    if (archive_write_open(o->a, o, NULL, sock_write, NULL) != ARCHIVE_OK) {
        int r = ds_fail(err, "%s: %s", what, ds_archive_err(o->a));
        da_dst_free(d);
        return r;
    }
    return 0;
}

int ds_docker_archive_dest_open(ds_dest *d, ds_err *err) {
    da_dst *o = ds_xcalloc(1, sizeof *o);
    o->fd = -1;
    o->final = ds_xstrdup(d->ref.path);
    o->what = ds_ref_format(&d->ref);
    o->names = json_object();
    o->stored = json_object();
    o->opts = d->opts;
    d->priv = o;
    d->ops = &da_dest_ops;
    if (ds_tar_create(o->final, o->what, &o->a, &o->tmp, err) < 0 || carry_over(o, err) < 0) { da_dst_free(d); return -1; }
    return 0;
}
