/* One layer into the store: found and checked, or made in tmp/ and renamed into layers/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/layer_reader.h"
#include "fs/unpack.h"
#include "store/store_int.h"
#include "util/cleanup.h"
#include "util/compress.h"
#include "util/fsutil.h"

static void touch(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) { futimens(fd, NULL); close(fd); }
}

/* The uncompressed tar of blob, opened, with its sha256. 1: cannot be hashed here (a stream
 * our decompressors refuse: the caller unpacks without the store, as before). */
static int open_hashed(const char *blob, const ds_desc *l, const char *scratch, struct archive **a,
                       char diff[DS_DIGEST_LEN + 1], ds_err *err) {
    ds_compress kind;
    if (ds_compress_sniff_file(blob, &kind, err) < 0) return -1;
    if (kind == DS_COMPRESS_NONE) {
        /* A plain tar's blob digest (checked by the source) is its DiffID. */
        snprintf(diff, DS_DIGEST_LEN + 1, "%s", l->digest);
        return ds_layer_reader_open(blob, NULL, a, err);
    }
    if (kind == DS_COMPRESS_GZIP) {
        unsigned char *buf;
        size_t len;
        ds_err e2;
        if (ds_gunzip_file_mem(blob, DS_GUNZIP_MEM_LIMIT, &buf, &len, &e2) == 0) {
            ds_sha256_buf(buf, len, diff);
            return ds_layer_reader_open_mem(buf, len, blob, a, err);
        }
    }
    ds_err e3;
    if (ds_decompress_file(blob, (int)kind, scratch, diff, NULL, &e3) < 0) { unlink(scratch); return 1; }
    return ds_layer_reader_open(scratch, NULL, a, err);
}

static void on_file(void *ud, int fd, const char *sha256) { ds_store_known_add(ud, fd, sha256); }

static int make_layer(const char *dir, ds_image *img, size_t i, const char *hex, const char *want,
                      const char *const *parents, size_t np, const ds_unpack_opts *uo, ds_err *err) {
    char *tmp = NULL, *tree = NULL, *work = NULL, *merged = NULL, *scratch = NULL, *blob = NULL;
    bool mounted = false, is_temp = false;
    json_t *man = NULL;
    int rc = -1;
    ds_desc *l = &img->layers[i];
    ds_strmap known;
    ds_strmap_init(&known);
    if (ds_mkdtemp_path(ds_xasprintf("%s/tmp/%.16s.%ld.XXXXXX", dir, hex, (long)getpid()), &tmp, err) < 0) return -1;
    tree = ds_xasprintf("%s/tree", tmp);
    work = ds_xasprintf("%s/work", tmp);
    merged = ds_xasprintf("%s/merged", tmp);
    scratch = ds_xasprintf("%s/layer.tar", tmp);
    if (ds_mkdirs(tree, 0755, err) < 0) goto out;
    const char *apply_to = tree;
    if (np) {
        if (ds_mkdirs(work, 0700, err) < 0 || ds_mkdirs(merged, 0755, err) < 0) goto out;
        if (ds_store_overlay_mount(merged, parents, np, tree, work, false, err) < 0) { rc = 1; goto out; }
        mounted = true;
        apply_to = merged;
    }
    if (ds_image_blob_path(img, l, &blob, &is_temp, err) < 0) goto out;
    struct archive *a = NULL;
    char diff[DS_DIGEST_LEN + 1];
    int o = open_hashed(blob, l, scratch, &a, diff, err);
    if (o != 0) { rc = o; goto out; }
    if (want && *want && strcmp(diff, want)) {
        archive_read_free(a);
        ds_fail(err, "the uncompressed layer is %s, the config's diff_id is %s: nothing stored", diff, want);
        goto out;
    }
    /* Each file hashed while it is written: the manifest need not read the layer again. */
    ds_unpack_opts huo = *uo;
    huo.on_file = on_file;
    huo.on_file_ud = &known;
    if (ds_layer_apply_archive(apply_to, blob, a, &huo, err) < 0) goto out;
    if (mounted) { ds_store_overlay_umount(merged); mounted = false; }
    unlink(scratch);
    ds_err e2;
    if (np && (ds_rmtree(work, &e2) < 0 || rmdir(merged) < 0)) { ds_fail(err, "%s: cannot clean up", tmp); goto out; }
    if (ds_store_manifest_make(tree, true, &known, &man, err) < 0) goto out;
    json_object_set_new(man, "diff_id", json_string(diff));
    json_object_set_new(man, "chain_id", json_sprintf("sha256:%s", hex));
    json_object_set_new(man, "blob", json_string(l->digest));
    char *mp = ds_xasprintf("%s/manifest.json", tmp);
    char *mtext = json_dumps(man, JSON_COMPACT);
    int w = ds_write_file_atomic(mp, mtext, strlen(mtext), 0600, err);
    free(mtext);
    free(mp);
    if (w < 0) goto out;
    char *up = ds_xasprintf("%s/used", tmp);
    touch(up);
    free(up);
    char *final = ds_xasprintf("%s/layers/%s", dir, hex);
    if (rename(tmp, final) < 0) { ds_fail_errno(err, "store: rename %s to %s", tmp, final); free(final); goto out; }
    ds_cleanup_forget(tmp);
    free(final);
    free(tmp);
    tmp = NULL;
    rc = 0;
out:
    if (mounted) ds_store_overlay_umount(merged);
    if (blob && is_temp) unlink(blob);
    if (tmp) { ds_err e2; unlink(scratch); ds_rmtree(tmp, &e2); }
    json_decref(man);
    ds_strmap_free(&known, free);
    free(blob); free(tmp); free(tree); free(work); free(merged); free(scratch);
    return rc;
}

int ds_store_layer_ensure(const char *dir, ds_image *img, size_t i, const char *hex, const char *want,
                          const char *const *parents, size_t np, const ds_unpack_opts *uo, bool verify,
                          ds_store_stats *st, ds_err *err) {
    char *lockp = ds_xasprintf("%s/locks/%s.lock", dir, hex);
    int lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lockp);
    if (lfd < 0) return ds_fail_errno(err, "store %s: layer lock", dir);
    while (flock(lfd, LOCK_EX) < 0)
        if (errno != EINTR || ds_interrupted) { int r = ds_fail_errno(err, "store %s: layer lock", dir); close(lfd); return r; }
    char *final = ds_xasprintf("%s/layers/%s", dir, hex);
    char *mp = ds_xasprintf("%s/manifest.json", final), *tree = ds_xasprintf("%s/tree", final);
    int rc = -1;
    json_t *man = json_load_file(mp, 0, NULL);
    bool redo = false;
    if (man) {
        char why[512] = "";
        int c = ds_store_manifest_check(tree, man, verify, why, sizeof why, err);
        if (c < 0) goto out;
        if (c == 0) {
            char *up = ds_xasprintf("%s/used", final);
            touch(up);
            free(up);
            st->layers_reused++;
            rc = 0;
            goto out;
        }
        redo = true;
    }
    if (man || ds_exists(final)) {
        /* Changed behind our back (or a manifest lost): moved aside and made again. */
        char *bad = ds_xasprintf("%s/tmp/%.16s.0.bad", dir, hex);
        ds_err e2;
        ds_rmtree(bad, &e2);
        if (rename(final, bad) < 0) { ds_fail_errno(err, "store: move aside %s", final); free(bad); goto out; }
        ds_rmtree(bad, &e2);
        free(bad);
    }
    rc = make_layer(dir, img, i, hex, want, parents, np, uo, err);
    if (rc == 0) {
        st->layers_unpacked++;
        if (redo) st->layers_redone++;
    }
out:
    json_decref(man);
    free(mp); free(tree); free(final);
    close(lfd);
    return rc;
}
