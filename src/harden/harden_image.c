/* Harden an image: unpack, apply the rules, write one more layer (or one squashed layer),
 * a config with the run user, and an OCI manifest. */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fs/layer_writer.h"
#include "fs/unpack.h"
#include "harden/harden_image.h"
#include "build/entrypoint.h"
#include "image/image_config.h"
#include "harden/harden_int.h"
#include "image/blob.h"
#include "util/progress.h"
#include "image/image_write.h"
#include "store/store.h"
#include "util/fsutil.h"
#include "util/source_date.h"
#include "util/strvec.h"

typedef ds_strvec strset;

static void set_add(strset *s, const char *p) { ds_strvec_push(s, p); }

/* p and every parent directory of it. */
static void set_add_with_parents(strset *s, const char *p) {
    set_add(s, p);
    char *c = ds_xstrdup(p);
    for (char *sl = strrchr(c, '/'); sl; sl = strrchr(c, '/')) {
        *sl = 0;
        set_add(s, c);
    }
    free(c);
}

static int in_set(const char *rel, void *arg) { return ds_strvec_bsearch(arg, rel); }

/* The diff: changed and created paths (with their parents) and a whiteout for each removal. */
static int mark_diff(const char *root, const ds_harden_report *rep, strset *s, ds_err *err) {
    for (size_t i = 0; i < rep->n_changes; i++) {
        const char *rel = rep->changes[i].path + 1;
        if (rep->changes[i].action != DS_HA_REMOVE) { set_add_with_parents(s, rel); continue; }
        const char *slash = strrchr(rel, '/');
        char *wh = slash ? ds_xasprintf("%.*s/.wh.%s", (int)(slash - rel), rel, slash + 1) : ds_xasprintf(".wh.%s", rel);
        char *full = ds_xasprintf("%s/%s", root, wh);
        int fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            int r = ds_fail_errno(err, "%s: create whiteout", full);
            free(full); free(wh);
            return r;
        }
        if (fd >= 0) close(fd);
        set_add_with_parents(s, wh);
        free(full);
        free(wh);
    }
    ds_strvec_sort_unique(s);
    return 0;
}

static char *summary_text(const ds_harden_report *rep) {
    json_t *j = ds_harden_report_json(rep);
    json_t *sum = json_object_get(j, "summary"), *v;
    const char *k;
    char *out = ds_xasprintf("distill harden: %zu changes", rep->n_changes);
    json_object_foreach(sum, k, v) {
        char *n = ds_xasprintf("%s, %s %lld", out, k, (long long)json_integer_value(v));
        free(out);
        out = n;
    }
    json_decref(j);
    return out;
}

static int write_image(ds_image *img, const char *dst_ref, const ds_opts *topts, bool squash, const ds_layer_out *lo,
                       const ds_harden_report *rep, ds_harden_image_result *res, ds_err *err) {
    int64_t when_t;
    if (ds_source_date_or(0, &when_t, err) < 0) return -1;
    char when[32];
    ds_rfc3339(when_t, when);
    json_t *cfgdoc = json_deep_copy(img->config);
    if (!json_is_object(cfgdoc)) { json_decref(cfgdoc); cfgdoc = json_object(); }
    json_t *cfg = json_object_get(cfgdoc, "config");
    if (!json_is_object(cfg)) { cfg = json_object(); json_object_set_new(cfgdoc, "config", cfg); }
    json_object_set_new(cfg, "User", json_string(rep->config_user));
    json_t *rootfs = json_object_get(cfgdoc, "rootfs");
    if (!json_is_object(rootfs)) { rootfs = json_object(); json_object_set_new(cfgdoc, "rootfs", rootfs); }
    json_object_set_new(rootfs, "type", json_string("layers"));
    json_t *diffs = json_object_get(rootfs, "diff_ids");
    if (squash || !json_is_array(diffs)) { diffs = json_array(); json_object_set_new(rootfs, "diff_ids", diffs); }
    json_array_append_new(diffs, json_string(lo->diff_id));
    json_t *hist = json_object_get(cfgdoc, "history");
    if (squash || !json_is_array(hist)) { hist = json_array(); json_object_set_new(cfgdoc, "history", hist); }
    char *comment = summary_text(rep);
    json_array_append_new(hist, json_pack("{s:s, s:s, s:s}", "created", when, "created_by",
                                          squash ? "distill harden --squash" : "distill harden", "comment", comment));
    free(comment);
    /* The source's layers as they are (from the source), then the hardening layer. */
    size_t n = squash ? 1 : img->n_layers + 1;
    ds_write_layer *wl = ds_xcalloc(n, sizeof *wl);
    for (size_t i = 0; i + 1 < n; i++) wl[i].desc = img->layers[i];
    wl[n - 1].desc = (ds_desc){.media_type = (char *)lo->media_type, .size = lo->size};
    memcpy(wl[n - 1].desc.digest, lo->digest, DS_DIGEST_LEN + 1);
    wl[n - 1].path = lo->blob_path;
    int rc = ds_image_write(dst_ref, topts, cfgdoc, wl, n, NULL, img, res->manifest_digest, err);
    if (rc == 0) res->n_layers = n;
    free(wl);
    json_decref(cfgdoc);
    return rc;
}

/* Is the image's shell removable? The entry point analysis of distill build, statically. */
static void shell_verdict(const ds_image *img, const char *root, ds_harden_report *rep) {
    ds_image_config cfg;
    if (ds_image_config_parse(img->config, &cfg, &(ds_err){0}) < 0) return;
    free(rep->shell_verdict);
    rep->shell_verdict = ds_entrypoint_static_verdict(root, cfg.entrypoint, cfg.n_entrypoint, cfg.cmd, cfg.n_cmd,
                                                      cfg.volumes, cfg.n_volumes, &rep->shell_flattenable);
    ds_image_config_free(&cfg);
}

int ds_harden_image(const char *src_ref, const char *dst_ref, ds_harden_opts *o, const ds_opts *topts, bool squash,
                    ds_harden_report *rep, ds_harden_image_result *res, ds_err *err) {
    memset(res, 0, sizeof *res);
    ds_image *img = NULL;
    char *tmp = NULL, *root = NULL;
    strset diff = {0};
    ds_layer_out lo;
    memset(&lo, 0, sizeof lo);
    ds_store_view view = DS_STORE_VIEW_INIT;
    int rc = -1;
    if (ds_image_open(src_ref, topts, &img, err) < 0) return -1;
    /* Before the long unpack: a DST that is SRC (or inside it) would change the source. */
    if (!o->dry_run && ds_dest_check(&img->ref, dst_ref, err) < 0) { ds_image_close(img); return -1; }
    if (ds_image_mkdtemp(topts, "distill-harden", &tmp, err) < 0) goto out;
    root = ds_xasprintf("%s/rootfs", tmp);
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    uo.keep_owners = geteuid() == 0;
    uo.keep_xattrs = true;
    /* From the layer store: an overlay with a private upper dir takes the rules' changes. */
    ds_store_stats st;
    if (ds_store_unpack(topts, img, root, tmp, true, &uo, &st, &view, err) < 0) { ds_err_wrap(err, "%s", src_ref); goto out; }
    o->config = img->config;
    ds_progress("Hardening the tree (%s)", src_ref);
    rc = ds_harden_tree(root, o, rep, err);
    shell_verdict(img, root, rep); /* after: the tree call starts a fresh report */
    o->config = NULL;
    if (rc < 0 || o->dry_run) goto out;
    rc = -1;
    if (o->before_write) {
        /* The tree as it will run (before the whiteouts of the diff are planted in it). */
        json_t *cfgdoc = json_deep_copy(img->config);
        json_t *cfg = json_object_get(cfgdoc, "config");
        if (json_is_object(cfg)) json_object_set_new(cfg, "User", json_string(rep->config_user));
        int br = o->before_write(o->before_write_ctx, root, cfgdoc, rep->config_user, err);
        json_decref(cfgdoc);
        if (br < 0) goto out;
    }
    ds_compress comp = DS_COMPRESS_GZIP;
    if (topts->compress && ds_compress_parse(topts->compress, &comp, err) < 0) goto out;
    if (!squash && mark_diff(root, rep, &diff, err) < 0) goto out;
    if (ds_layer_write_tree(root, comp, tmp, squash ? NULL : in_set, &diff, &lo, err) < 0) goto out;
    memcpy(res->layer_digest, lo.digest, sizeof lo.digest);
    res->layer_size = lo.size;
    ds_progress_task(0, "Writing %s", dst_ref);
    rc = write_image(img, dst_ref, topts, squash, &lo, rep, res, err);
out:
    ds_progress_done();
    if (lo.blob_path) unlink(lo.blob_path);
    ds_layer_out_free(&lo);
    ds_strvec_free(&diff);
    ds_store_view_release(&view);
    if (tmp) {
        ds_err e2;
        ds_rmtree(tmp, &e2);
    }
    free(root);
    free(tmp);
    ds_image_close(img);
    return rc;
}
