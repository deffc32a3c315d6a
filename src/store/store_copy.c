/* copy SRC rootfs:DIR through the layer store: the layers found or made in the store (a
 * second copy of an image unpacks nothing), then DIR made from them as a copy the user owns
 * (reflinks where the filesystem can, never hard links: an edit of DIR must not reach the
 * store), in a temp sibling renamed into place as the rootfs: destination does. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/manifest.h"
#include "store/store_int.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fsutil.h"
#include "util/progress.h"

/* Not for the store (1): another transport, --compress, the store off or unusable, a layer
 * the rootfs: destination would skip (not a layer media type). */
static int wanted(ds_image *img, const ds_ref *ref, const ds_opts *opts, ds_store_stats *st, char **dir) {
    if (ref->transport != DS_T_ROOTFS || (opts->compress && *opts->compress)) return 1;
    *dir = ds_store_dir_for(opts);
    if (!*dir) return 1;
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    if (ds_store_usable(img, &uo, st)) return 1;
    for (size_t i = 0; i < img->n_layers; i++)
        if (ds_mt_compression(img->layers[i].media_type) < 0) {
            snprintf(st->why_not, sizeof st->why_not, "layer %zu is not a layer media type", i + 1);
            return 1;
        }
    return 0;
}

int ds_store_copy_rootfs(ds_image *img, const char *dst_ref, const ds_opts *opts, char out_digest[DS_DIGEST_LEN + 1],
                         ds_store_stats *st, ds_err *err) {
    memset(st, 0, sizeof *st);
    ds_ref ref;
    ds_err perr;
    if (ds_ref_parse(dst_ref, &ref, &perr) < 0) return 1; /* ds_image_copy says what is wrong */
    char *dir = NULL, *name = NULL, *work = NULL, **trees = NULL;
    int rc = wanted(img, &ref, opts, st, &dir), lock = -1;
    if (rc) goto out;
    rc = -1;
    if (ds_dest_check(&img->ref, dst_ref, err) < 0) goto out;
    name = ds_ref_format(&ref);
    struct stat sb;
    if (lstat(ref.path, &sb) == 0 && !(S_ISDIR(sb.st_mode) && ds_dir_empty(ref.path))) {
        ds_fail(err, "%s: exists and is not an empty directory", name);
        goto out;
    }
    lock = ds_store_open_locked(dir, false, err);
    if (lock < 0) goto out;
    int ready = ds_store_layers_ready(dir, opts, img, st, &trees, err);
    if (ready < 0) ds_err_wrap(err, "%s", name); /* as the plain copy says it: of the destination */
    if (ready) { rc = ready; goto out; }
    work = ds_tmp_sibling(ref.path);
    if (ds_mkdirs(work, 0755, err) < 0) {
        errno = err->code; /* the message named the temp sibling: say it of the user's directory */
        ds_fail_errno(err, "%s: cannot create it", name);
        goto out;
    }
    ds_progress_task(0, "Copying %zu stored layer(s) into %s...", img->n_layers, name);
    int f = ds_store_flatten((const char *const *)trees, img->n_layers, work, DS_FLAT_COPY, true, err);
    ds_progress_done();
    if (f < 0) { ds_err_wrap(err, "%s", name); goto out; }
    /* rename() replaces an empty directory, never a non-empty one. */
    if (rename(work, ref.path) < 0) { ds_fail_errno(err, "%s: rename into place", name); goto out; }
    ds_cleanup_forget(work);
    free(work);
    work = NULL;
    /* What ds_image_copy prints for rootfs: (the manifest is not rewritten without --compress). */
    ds_sha256_buf(img->manifest_raw, img->manifest_len, out_digest);
    st->used = true;
    rc = 0;
out:
    if (work) { ds_err e; ds_rmtree(work, &e); ds_cleanup_forget(work); }
    if (lock >= 0) close(lock);
    if (trees) for (size_t i = 0; i < img->n_layers + 2; i++) free(trees[i]);
    free(trees);
    free(work);
    free(name);
    free(dir);
    ds_ref_free(&ref);
    return rc;
}
