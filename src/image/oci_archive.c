/* oci-archive:PATH[:REF] — a tar of an OCI image layout. Reading extracts it to a
 * private temp dir, accepting only the entries a layout has (oci-layout,
 * index.json, blobs/sha256/<hex>, and their directories): anything else, links
 * included, is refused, so a hostile archive cannot write anywhere. Writing
 * streams blobs straight into a tar beside PATH, renamed into place at commit. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/blob.h"
#include "image/manifest.h"
#include "image/transport.h"
#include "util/fsutil.h"
#include "util/cleanup.h"

/* Map an archive entry name to a path inside the layout, or NULL when it does not
 * belong in one. *is_dir says the name is one of the layout's directories. */
static const char *layout_name(const char *name, bool *is_dir) {
    while (name[0] == '.' && name[1] == '/') name += 2;
    while (name[0] == '/') return NULL; /* absolute: refused */
    static const char *dirs[] = {".", "./", "", "blobs", "blobs/", "blobs/sha256", "blobs/sha256/"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (!strcmp(name, dirs[i])) { *is_dir = true; return name; }
    *is_dir = false;
    if (!strcmp(name, "oci-layout") || !strcmp(name, "index.json")) return name;
    if (!strncmp(name, "blobs/sha256/", 13)) {
        char d[DS_DIGEST_LEN + 8];
        snprintf(d, sizeof d, "sha256:%s", name + 13);
        if (strlen(name + 13) == 64 && ds_digest_valid(d)) return name;
    }
    return NULL;
}

static int extract_layout(const char *archive_path, const char *name, const char *dir, ds_err *err) {
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a); /* a gzip'd tar of a layout is seen in the wild */
    if (archive_read_open_filename(a, archive_path, 1 << 20) != ARCHIVE_OK) {
        int r = ds_fail(err, "%s: %s", name, ds_archive_err(a));
        archive_read_free(a);
        return r;
    }
    char *bd = ds_xasprintf("%s/blobs/sha256", dir);
    int r = ds_mkdirs(bd, 0700, err);
    free(bd);
    struct archive_entry *e;
    int ar;
    char *buf = ds_xmalloc(1 << 20);
    while (r == 0 && (ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *en = archive_entry_pathname(e);
        bool is_dir = false;
        const char *rel = en ? layout_name(en, &is_dir) : NULL;
        mode_t type = archive_entry_filetype(e);
        if (!rel || (is_dir ? type != AE_IFDIR : type != AE_IFREG) || archive_entry_hardlink(e) ||
            archive_entry_symlink(e)) {
            r = ds_fail(err, "%s: refusing archive entry '%.200s': an oci-archive holds only oci-layout, index.json "
                        "and blobs/sha256/<hex> files", name, en ? en : "(no name)");
            break;
        }
        if (is_dir) continue;
        char *out = ds_xasprintf("%s/%s", dir, rel);
        int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            r = errno == EEXIST ? ds_fail(err, "%s: archive entry '%.200s' appears twice", name, en)
                                : ds_fail_errno(err, "%s: create %s", name, out);
            free(out);
            break;
        }
        for (;;) {
            la_ssize_t n = archive_read_data(a, buf, 1 << 20);
            if (n < 0) { r = ds_fail(err, "%s: %s: %s", name, en, ds_archive_err(a)); break; }
            if (n == 0) break;
            for (la_ssize_t off = 0; off < n;) {
                ssize_t w = write(fd, buf + off, (size_t)(n - off));
                if (w < 0) { if (errno == EINTR) continue; r = ds_fail_errno(err, "%s: write %s", name, out); break; }
                off += w;
            }
            if (r < 0) break;
        }
        if (close(fd) < 0 && r == 0) r = ds_fail_errno(err, "%s: write %s", name, out);
        free(out);
    }
    if (r == 0 && ar != ARCHIVE_EOF) r = ds_fail(err, "%s: %s", name, ds_archive_err(a));
    free(buf);
    archive_read_free(a);
    return r;
}

int ds_oci_archive_source_open(ds_source *s, ds_err *err) {
    char *name = ds_ref_format(s->ref);
    char *tmp = NULL;
    if (ds_image_mkdtemp(&s->opts, "distill-oci-archive", &tmp, err) < 0) { free(name); return -1; }
    if (extract_layout(s->ref->path, name, tmp, err) < 0) {
        ds_err e; ds_rmtree(tmp, &e); free(tmp); free(name);
        return -1;
    }
    free(name);
    return ds_oci_layout_source_init(s, tmp, tmp, err); /* tmp is owned (and removed) by the layout reader */
}

/* --- writing ------------------------------------------------------------------ */

typedef struct {
    char *final, *tmp;
    struct archive *a;
    ds_digest_set have;
    char mdigest[DS_DIGEST_LEN + 1];
    size_t mlen;
    char *mt;
    json_t *old_index; /* the index.json of the archive being added to, or NULL for a new one */
    char *bad_blob;    /* a blob of that archive that does not hash to its name */
} arch_dst;

static int add_entry_hdr(struct archive *a, const char *name, mode_t type, mode_t mode, int64_t size) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, 0, 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : -1;
}

static int add_bytes(arch_dst *o, const char *name, const void *data, size_t len, ds_err *err) {
    if (add_entry_hdr(o->a, name, AE_IFREG, 0644, (int64_t)len) < 0 ||
        (len && archive_write_data(o->a, data, len) != (la_ssize_t)len))
        return ds_fail(err, "oci-archive:%s: %s", o->final, ds_archive_err(o->a));
    return 0;
}

/* Used by docker_archive.c too: stream a file into the tar as `name`. */
int ds_tar_add_file(struct archive *a, const char *name, const char *path, const char *what, ds_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ds_fail_errno(err, "%s: %s", what, path);
    struct stat st;
    if (fstat(fd, &st) < 0) { close(fd); return ds_fail_errno(err, "%s: %s", what, path); }
    if (add_entry_hdr(a, name, AE_IFREG, 0644, st.st_size) < 0) {
        close(fd);
        return ds_fail(err, "%s: %s", what, ds_archive_err(a));
    }
    char *buf = ds_xmalloc(1 << 20);
    int r = 0;
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0) { if (errno == EINTR) continue; r = ds_fail_errno(err, "%s: read %s", what, path); break; }
        if (n == 0) break;
        if (archive_write_data(a, buf, (size_t)n) != n) { r = ds_fail(err, "%s: %s", what, ds_archive_err(a)); break; }
    }
    free(buf);
    close(fd);
    return r;
}

/* Open a tar for writing at a temp sibling of path. */
int ds_tar_create(const char *path, const char *what, struct archive **out, char **tmp_out, ds_err *err) {
    /* Found now rather than by the final rename, after the whole archive was written. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return ds_fail(err, "%s: is a directory (an archive is a file)", what);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    char *tmp = ds_tmp_sibling(path);
    if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
        int r = ds_fail(err, "%s: %s", what, ds_archive_err(a));
        archive_write_free(a);
        unlink(tmp); free(tmp);
        return r;
    }
    *out = a;
    *tmp_out = tmp;
    return 0;
}

int ds_tar_finish(struct archive *a, const char *tmp, const char *path, const char *what, ds_err *err) {
    int r = archive_write_close(a) == ARCHIVE_OK ? 0 : ds_fail(err, "%s: %s", what, ds_archive_err(a));
    archive_write_free(a);
    if (r == 0) {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) { fsync(fd); close(fd); }
        if (rename(tmp, path) < 0) r = ds_fail_errno(err, "%s: rename into place", what);
    }
    if (r < 0) unlink(tmp);
    ds_cleanup_forget(tmp);
    return r;
}

static int arch_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    arch_dst *o = d->priv;
    if (!ds_digest_valid(desc->digest)) return ds_fail(err, "bad digest %s", desc->digest);
    if (ds_digest_set_has(&o->have, desc->digest)) return 0;
    char *name = ds_xasprintf("blobs/sha256/%s", desc->digest + 7);
    char *what = ds_xasprintf("oci-archive:%s", o->final);
    int r = ds_tar_add_file(o->a, name, path, what, err);
    free(name); free(what);
    if (r == 0) ds_digest_set_add(&o->have, desc->digest);
    return r;
}

static int arch_put_manifest(ds_dest *d, const char *raw, size_t len, const char *mt, ds_err *err) {
    arch_dst *o = d->priv;
    ds_sha256_buf(raw, len, o->mdigest);
    if (!ds_digest_set_has(&o->have, o->mdigest)) {
        char *name = ds_xasprintf("blobs/sha256/%s", o->mdigest + 7);
        int r = add_bytes(o, name, raw, len, err);
        free(name);
        if (r < 0) return -1;
        ds_digest_set_add(&o->have, o->mdigest);
    }
    o->mlen = len;
    free(o->mt);
    o->mt = ds_xstrdup(mt ? mt : DS_MT_OCI_MANIFEST);
    return 0;
}

static void arch_free(ds_dest *d) {
    arch_dst *o = d->priv;
    if (!o) return;
    free(o->final); free(o->tmp); free(o->mt); free(o->bad_blob);
    json_decref(o->old_index);
    ds_digest_set_free(&o->have);
    free(o);
    d->priv = NULL;
}

static int arch_commit(ds_dest *d, ds_err *err) {
    arch_dst *o = d->priv;
    if (!o->mt) return ds_fail(err, "oci-archive:%s: no manifest was written", o->final);
    json_t *e = json_pack("{s:s, s:s, s:I}", "mediaType", o->mt, "digest", o->mdigest, "size", (json_int_t)o->mlen);
    if (d->ref.tag) json_object_set_new(e, "annotations", json_pack("{s:s}", DS_ANN_REF_NAME, d->ref.tag));
    json_t *idx = o->old_index ? json_incref(o->old_index)
                               : json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", DS_MT_OCI_INDEX, "manifests");
    /* As in an oci: layout, the new image replaces an entry of the same name (unnamed: of the same
     * digest); every other image of the archive stays. */
    json_t *ms = json_object_get(idx, "manifests");
    for (size_t i = json_array_size(ms); i-- > 0;) {
        json_t *x = json_array_get(ms, i);
        const char *rn = json_string_value(json_object_get(json_object_get(x, "annotations"), DS_ANN_REF_NAME));
        const char *dg = json_string_value(json_object_get(x, "digest"));
        if (d->ref.tag ? (rn && !strcmp(rn, d->ref.tag)) : (!rn && dg && !strcmp(dg, o->mdigest))) json_array_remove(ms, i);
    }
    json_array_append_new(ms, e);
    char *txt = json_dumps(idx, JSON_COMPACT);
    json_decref(idx);
    const char *lay = "{\"imageLayoutVersion\":\"1.0.0\"}";
    int r = add_bytes(o, "index.json", txt, strlen(txt), err);
    free(txt);
    if (r == 0) r = add_bytes(o, "oci-layout", lay, strlen(lay), err);
    if (r < 0) return -1;
    char *what = ds_xasprintf("oci-archive:%s", o->final);
    r = ds_tar_finish(o->a, o->tmp, o->final, what, err);
    free(what);
    o->a = NULL;
    if (r < 0) return -1;
    arch_free(d);
    return 0;
}

static void arch_abort(ds_dest *d) {
    arch_dst *o = d->priv;
    if (!o) return;
    if (o->a) archive_write_free(o->a);
    if (o->tmp) unlink(o->tmp);
    arch_free(d);
}

static const ds_dest_ops arch_dest_ops = {arch_put_blob, arch_put_manifest, arch_commit, arch_abort};

/* An existing archive: its layout entries go into the new tar, its index.json is kept for commit. */
static int carry_filter(const char *name, unsigned type, void *ctx, ds_err *err) {
    arch_dst *o = ctx;
    bool is_dir = false;
    const char *rel = layout_name(name, &is_dir);
    if (!rel || (is_dir ? type != AE_IFDIR : type != AE_IFREG))
        return ds_fail(err, "oci-archive:%s: exists and is not an oci-archive (it holds '%.200s'); refusing to overwrite it",
                       o->final, name);
    return is_dir || !strcmp(rel, "oci-layout") ? 1 : 0; /* written anew */
}

static void carry_copied(const char *name, const char *digest, int64_t size, void *ctx) {
    arch_dst *o = ctx;
    (void)size;
    if (strncmp(name, "blobs/sha256/", 13) || strcmp(name + 13, digest + 7)) {
        if (!o->bad_blob) o->bad_blob = ds_xstrdup(name);
        return;
    }
    ds_digest_set_add(&o->have, digest);
}

static int carry_over(arch_dst *o, const char *what, ds_err *err) {
    struct stat st;
    if (stat(o->final, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return 0; /* a new archive */
    ds_tar_carry c = {.capture = "index.json", .filter = carry_filter, .copied = carry_copied, .ctx = o};
    int r = ds_tar_carry_over(o->final, what, "an oci-archive", o->a, &c, err);
    if (r == 0 && o->bad_blob)
        r = ds_fail(err, "%s: the existing archive is damaged (%s does not hash to its name); refusing to add to it", what,
                    o->bad_blob);
    if (r == 0) {
        json_error_t je;
        o->old_index = json_loadb(c.captured, c.captured_len, 0, &je);
        if (!json_is_object(o->old_index) || !json_is_array(json_object_get(o->old_index, "manifests")))
            r = ds_fail(err, "%s: the existing archive's index.json is not an OCI index; refusing to overwrite it", what);
    }
    free(c.captured);
    return r;
}

int ds_oci_archive_dest_open(ds_dest *d, ds_err *err) {
    arch_dst *o = ds_xcalloc(1, sizeof *o);
    o->final = ds_xstrdup(d->ref.path);
    char *what = ds_xasprintf("oci-archive:%s", o->final);
    int r = ds_tar_create(o->final, what, &o->a, &o->tmp, err);
    if (r == 0 && (add_entry_hdr(o->a, "blobs/", AE_IFDIR, 0755, 0) < 0 ||
                   add_entry_hdr(o->a, "blobs/sha256/", AE_IFDIR, 0755, 0) < 0))
        r = ds_fail(err, "%s: %s", what, ds_archive_err(o->a));
    d->priv = o;
    d->ops = &arch_dest_ops;
    if (r == 0) r = carry_over(o, what, err);
    free(what);
    if (r < 0) { arch_abort(d); return -1; }
    return 0;
}
