/* An image's tree through the store: each layer found or made (in order, each on top of its
 * parents), then one overlay of them all at the command's root. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "store/store_int.h"
#include "util/digest.h"
#include "util/fsutil.h"
#include "util/progress.h"

/* ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
static void chain_ids(json_t *diff_ids, size_t n, char (*out)[DS_DIGEST_LEN + 1]) {
    for (size_t i = 0; i < n; i++) {
        const char *d = json_string_value(json_array_get(diff_ids, i));
        if (i == 0) { snprintf(out[0], DS_DIGEST_LEN + 1, "%s", d); continue; }
        char *s = ds_xasprintf("%s %s", out[i - 1], d);
        ds_sha256_buf(s, strlen(s), out[i]);
        free(s);
    }
}

static bool canonical(const ds_unpack_opts *uo) {
    ds_unpack_opts d;
    ds_unpack_opts_default(&d);
    /* Devices not wanted: the tree is mounted nodev instead (they are there, but cannot be opened). */
    return !uo || (uo->keep_owners == d.keep_owners && uo->keep_xattrs == d.keep_xattrs);
}

/* The checks that send a command to the plain unpacker: 1 with st->why_not. */
int ds_store_usable(ds_image *img, const ds_unpack_opts *uo, ds_store_stats *st) {
    if (geteuid() != 0) { snprintf(st->why_not, sizeof st->why_not, "not root: the store needs overlayfs"); return 1; }
    if (!canonical(uo)) { snprintf(st->why_not, sizeof st->why_not, "unpack options differ from the store's"); return 1; }
    json_t *diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
    size_t n = img->n_layers;
    bool ok = n > 0 && json_is_array(diff_ids) && json_array_size(diff_ids) == n;
    for (size_t i = 0; ok && i < n; i++) ok = ds_digest_valid(json_string_value(json_array_get(diff_ids, i)) ?: "");
    if (!ok) { snprintf(st->why_not, sizeof st->why_not, "the config has no valid diff_id for every layer"); return 1; }
    return 0;
}

int ds_store_layers_ready(const char *dir, const ds_opts *opts, ds_image *img, ds_store_stats *st, char ***out,
                          ds_err *err) {
    size_t n = img->n_layers;
    json_t *diff_ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
    ds_unpack_opts dflt; /* layers are stored one way, whatever the command asked */
    ds_unpack_opts_default(&dflt);
    char (*chain)[DS_DIGEST_LEN + 1] = ds_xcalloc(n, sizeof *chain);
    chain_ids(diff_ids, n, chain);
    char **trees = ds_xcalloc(n + 2, sizeof *trees); /* room for the caller's extra lowers */
    int rc = 0;
    /* trees[] top first: layer i's parents are trees[n-i .. n-1]. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        trees[n - 1 - i] = ds_xasprintf("%s/layers/%s/tree", dir, chain[i] + 7);
        ds_progress_task(0, "Layer %zu/%zu %.19s (store)...", i + 1, n, img->layers[i].digest);
        int r = ds_store_layer_ensure(dir, img, i, chain[i] + 7, json_string_value(json_array_get(diff_ids, i)),
                                      (const char *const *)trees + (n - i), i, &dflt, opts->verify_store, st, err);
        if (r == 1) {
            snprintf(st->why_not, sizeof st->why_not, "layer %zu cannot be stored here (%.100s)", i + 1, err->msg);
            rc = 1;
        } else if (r < 0) {
            rc = ds_err_wrap(err, "layer %zu (%s)", i + 1, img->layers[i].digest);
        }
    }
    ds_progress_done();
    free(chain);
    if (rc != 0) {
        for (size_t i = 0; i < n + 2; i++) free(trees[i]);
        free(trees);
        return rc;
    }
    *out = trees;
    return 0;
}

/* The overlay cannot be mounted (no overlayfs, not allowed here, DISTILL_STORE_NO_OVERLAY=1):
 * the stored layers flattened into root_dir instead. Read-only trees are hard links to the
 * stored files (nobody writes to them: the runtime's overlay above the build's source never
 * writes to its lower dir); a writable one is a copy (reflinks where the filesystem can). */
static int flatten_view(char **trees, size_t n, const char *root_dir, bool writable, const ds_unpack_opts *uo,
                        ds_err *err) {
    ds_progress_task(0, "Flattening %zu stored layer(s)...", n);
    int r = ds_store_flatten((const char *const *)trees, n, root_dir, writable ? DS_FLAT_COPY : DS_FLAT_LINK,
                             uo && uo->allow_devices, err);
    ds_progress_done();
    return r;
}

int ds_store_unpack(const ds_opts *opts, ds_image *img, const char *root_dir, const char *work_dir, bool writable,
                    const ds_unpack_opts *uo, ds_store_stats *st, ds_store_view *view, ds_err *err) {
    memset(st, 0, sizeof *st);
    view->mount = NULL;
    view->lock_fd = -1;
    view->layers = NULL;
    view->n_layers = 0;
    char *dir = ds_store_dir_for(opts);
    size_t n = img->n_layers;
    char **trees = NULL;
    int rc = -1, lock = -1;
    if (!dir || ds_store_usable(img, uo, st)) goto plain;
    if (ds_mkdirs(root_dir, 0755, err) < 0) goto out;
    if (!ds_dir_empty(root_dir)) { ds_fail(err, "%s: not empty (unpacking needs an empty directory)", root_dir); goto out; }
    lock = ds_store_open_locked(dir, false, err);
    if (lock < 0) goto out;
    int ready = ds_store_layers_ready(dir, opts, img, st, &trees, err);
    if (ready == 1) goto plain;
    if (ready < 0) goto out;
    size_t nl = n;
    char *upper = NULL, *work = NULL;
    if (!writable && n == 1) {
        trees[nl++] = ds_xasprintf("%s/empty", dir); /* a read-only overlay needs two lowers */
        if (ds_mkdirs(trees[nl - 1], 0755, err) < 0) goto out;
    }
    if (writable) {
        upper = ds_xasprintf("%s/store-upper", work_dir);
        work = ds_xasprintf("%s/store-work", work_dir);
        if (ds_mkdirs(upper, 0755, err) < 0 || ds_mkdirs(work, 0700, err) < 0) { free(upper); free(work); goto out; }
    }
    int m = ds_store_overlay_mount(root_dir, (const char *const *)trees, nl, upper, work, uo && !uo->allow_devices, err);
    free(upper);
    free(work);
    if (m < 0) {
        if (flatten_view(trees, n, root_dir, writable, uo, err) < 0) {
            ds_err_wrap(err, "%s", root_dir);
            goto out;
        }
        st->flattened = true;
    } else {
        view->mount = ds_xstrdup(root_dir);
    }
    view->lock_fd = lock;
    view->layers = ds_xcalloc(n + 1, sizeof *view->layers);
    for (size_t i = 0; i < n; i++) view->layers[i] = ds_xstrdup(trees[i]);
    view->n_layers = n;
    lock = -1;
    st->used = true;
    rc = 0;
    goto out;
plain:
    ds_progress_done();
    if (lock >= 0) { close(lock); lock = -1; }
    rc = ds_image_unpack(img, root_dir, uo, err);
out:
    ds_progress_done();
    if (lock >= 0) close(lock);
    if (trees) for (size_t i = 0; i < n + 2; i++) free(trees[i]);
    free(trees);
    free(dir);
    return rc;
}
