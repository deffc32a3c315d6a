#include "layers/layer_stats.h"
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include "fs/layer_reader.h"
#include "util/strmap.h"

typedef struct path_rec {
    int64_t cur_size;   /* size in the stacked tree */
    int64_t cumulative;
    int64_t min_size;
    int64_t contrib;    /* what the last layer added to cumulative (duplicates replace it) */
    int last_layer;     /* last layer that had this path (-1 none) */
    int layers;
    bool present, is_dir;
    /* Direct children (records are created for every parent), so that hiding a
     * directory costs its subtree, not a scan of every path: a layer of 100k
     * opaque whiteouts over 100k paths stays linear. */
    struct path_rec **kids;
    size_t nkids, capkids;
} path_rec;

struct ds_layers_analyzer {
    ds_strmap paths;
    ds_layer_stat *layers;
    size_t n, cap;
};

ds_layers_analyzer *ds_layers_analyzer_new(void) {
    ds_layers_analyzer *an = ds_xcalloc(1, sizeof *an);
    ds_strmap_init(&an->paths);
    return an;
}

static void rec_free(void *p) {
    path_rec *r = p;
    if (r) free(r->kids);
    free(r);
}

void ds_layers_analyzer_free(ds_layers_analyzer *an) {
    if (!an) return;
    ds_strmap_free(&an->paths, rec_free);
    for (size_t i = 0; i < an->n; i++) { free(an->layers[i].media_type); free(an->layers[i].created_by); }
    free(an->layers);
    free(an);
}

/* The record of rel ("" is the root), created with its parents when missing. */
static path_rec *rec_get(ds_layers_analyzer *an, const char *rel) {
    path_rec *r = ds_strmap_get(&an->paths, rel);
    if (r) return r;
    r = ds_xcalloc(1, sizeof *r);
    r->last_layer = -1;
    r->min_size = -1;
    ds_strmap_put(&an->paths, rel, r);
    if (!*rel) return r;
    const char *slash = strrchr(rel, '/');
    char *parent = slash ? ds_xstrndup(rel, (size_t)(slash - rel)) : ds_xstrdup("");
    path_rec *p = rec_get(an, parent);
    free(parent);
    if (p->nkids == p->capkids) {
        p->capkids = p->capkids ? p->capkids * 2 : 4;
        p->kids = ds_xrealloc(p->kids, p->capkids * sizeof *p->kids);
    }
    p->kids[p->nkids++] = r;
    return r;
}

/* The path shows up in layer `layer` with `size` (dive's node visit). */
static void rec_seen(path_rec *r, int layer, int64_t size) {
    if (r->last_layer == layer) {
        r->cumulative -= r->contrib; /* same path twice in one layer: the last one counts */
    } else {
        r->layers++;
        r->last_layer = layer;
    }
    r->contrib = size;
    r->cumulative += size;
    if (r->min_size < 0 || size < r->min_size) r->min_size = size;
}

/* Hide every present path below dir (from lower layers only when only_lower).
 * Returns the bytes hidden. */
static int64_t hide_below(ds_layers_analyzer *an, const char *dir, int layer, bool only_lower) {
    path_rec *d = ds_strmap_get(&an->paths, dir);
    if (!d) return 0;
    int64_t sum = 0;
    path_rec **stack = NULL;
    size_t n = 0, cap = 0;
    for (path_rec *cur = d;;) {
        for (size_t i = 0; i < cur->nkids; i++) {
            if (n == cap) { cap = cap ? cap * 2 : 64; stack = ds_xrealloc(stack, cap * sizeof *stack); }
            stack[n++] = cur->kids[i];
        }
        if (!n) break;
        cur = stack[--n];
        if (!cur->present || (only_lower && cur->last_layer == layer)) continue;
        sum += cur->cur_size;
        cur->present = false;
    }
    free(stack);
    return sum;
}

int ds_layers_analyzer_add(ds_layers_analyzer *an, const char *blob_path, const char *media_type, ds_err *err) {
    struct archive *a;
    if (ds_layer_reader_open(blob_path, media_type, &a, err) < 0) return -1;
    if (an->n == an->cap) {
        an->cap = an->cap ? an->cap * 2 : 8;
        an->layers = ds_xrealloc(an->layers, an->cap * sizeof *an->layers);
    }
    int layer = (int)an->n;
    ds_layer_stat *st = &an->layers[an->n];
    memset(st, 0, sizeof *st);
    st->media_type = media_type ? ds_xstrdup(media_type) : NULL;
    struct stat bst;
    if (stat(blob_path, &bst) == 0) st->compressed_size = bst.st_size;
    int rc = 0;
    for (;;) {
        struct archive_entry *e;
        int r = ds_layer_next(a, blob_path, &e, err);
        if (r <= 0) { rc = r; break; }
        const char *name = archive_entry_pathname(e);
        char *rel = NULL;
        if (!name || ds_clean_tar_path(name, &rel) < 0) {
            char *t = ds_entry_text(name ? name : "");
            rc = ds_fail(err, "%s: entry '%s': name leaves the tree (..)", blob_path, t);
            free(t);
            break;
        }
        if (!*rel) { free(rel); continue; }
        char *slash = strrchr(rel, '/');
        const char *base = slash ? slash + 1 : rel;
        if (!strcmp(base, ".wh..wh..opq")) {
            /* Opaque directory: lower children hidden; dive does not count these as nodes. */
            st->deleted++;
            if (slash) *slash = 0; else rel[0] = 0;
            hide_below(an, rel, layer, true);
        } else if (!strncmp(base, ".wh.", 4)) {
            st->deleted++;
            char *victim = slash ? ds_xasprintf("%.*s/%s", (int)(slash - rel), rel, base + 4) : ds_xstrdup(base + 4);
            path_rec *v = rec_get(an, victim);
            /* Whatever is below goes too, even when the directory itself never had
             * an entry of its own (tars need not list parents). A file has nothing
             * below: its whiteout counts 0. */
            int64_t size = hide_below(an, victim, layer, false);
            v->present = false;
            rec_seen(v, layer, size);
            free(victim);
        } else {
            int64_t size = archive_entry_hardlink(e) ? 0 : archive_entry_size(e);
            if (size < 0) size = 0;
            bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
            path_rec *p = rec_get(an, rel);
            if (!is_dir) {
                if (p->present && p->last_layer != layer) st->changed++;
                else if (!p->present) st->added++;
            }
            st->files_size += size;
            p->present = true;
            p->is_dir = is_dir;
            p->cur_size = size;
            rec_seen(p, layer, size);
        }
        free(rel);
        r = archive_read_data_skip(a);
        if (r < ARCHIVE_WARN) {
            /* Name the entry whose data is broken, as the unpacker does. */
            char *t = ds_entry_text(name);
            rc = ds_fail(err, "%s: entry '%s': %s", blob_path, t, archive_error_string(a) ? archive_error_string(a) : "bad tar");
            free(t);
            break;
        }
    }
    if (rc == 0) st->uncompressed_size = archive_filter_bytes(a, 0);
    archive_read_free(a);
    if (rc < 0) { free(st->media_type); return -1; }
    an->n++;
    return 0;
}

static int cmp_wasted(const void *a, const void *b) {
    const ds_wasted_path *x = a, *y = b;
    if (x->wasted != y->wasted) return x->wasted > y->wasted ? -1 : 1;
    return strcmp(x->path, y->path);
}

void ds_layers_analyzer_finish(ds_layers_analyzer *an, ds_layers_report *out) {
    memset(out, 0, sizeof *out);
    out->n_layers = an->n;
    out->layers = an->layers;
    an->layers = NULL;
    an->n = 0;
    for (size_t i = 0; i < out->n_layers; i++) {
        out->size_bytes += out->layers[i].files_size;
        if (i) out->user_size_bytes += out->layers[i].files_size;
    }
    int64_t min_sum = 0, cum_sum = 0;
    size_t cap = 0;
    for (size_t i = 0; i < an->paths.cap; i++) {
        ds_strmap_slot *s = &an->paths.slots[i];
        if (!s->key) continue;
        path_rec *r = s->value;
        if (!r->layers) continue;
        min_sum += r->min_size;
        cum_sum += r->cumulative;
        if (r->layers < 2) continue;
        out->wasted_bytes += r->cumulative;
        if (!r->cumulative) continue;
        if (out->n_wasted == cap) { cap = cap ? cap * 2 : 16; out->wasted = ds_xrealloc(out->wasted, cap * sizeof *out->wasted); }
        ds_wasted_path *w = &out->wasted[out->n_wasted++];
        w->path = ds_xasprintf("/%s", s->key);
        w->wasted = r->cumulative;
        w->layers = r->layers;
    }
    if (out->n_wasted) qsort(out->wasted, out->n_wasted, sizeof *out->wasted, cmp_wasted);
    out->efficiency = cum_sum ? (double)min_sum / (double)cum_sum : 1.0;
    out->user_wasted_ratio = out->user_size_bytes ? (double)out->wasted_bytes / (double)out->user_size_bytes : 0.0;
    ds_layers_analyzer_free(an);
}

void ds_layers_report_free(ds_layers_report *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_layers; i++) { free(r->layers[i].media_type); free(r->layers[i].created_by); }
    free(r->layers);
    for (size_t i = 0; i < r->n_wasted; i++) free(r->wasted[i].path);
    free(r->wasted);
    memset(r, 0, sizeof *r);
}

int ds_layers_analyze_image(ds_image *img, ds_layers_report *out, ds_err *err) {
    ds_layers_analyzer *an = ds_layers_analyzer_new();
    for (size_t i = 0; i < img->n_layers; i++) {
        ds_desc *l = &img->layers[i];
        char *path = NULL;
        bool is_temp = false;
        if (ds_image_blob_path(img, l, &path, &is_temp, err) < 0) {
            ds_layers_analyzer_free(an);
            return ds_err_wrap(err, "layer %zu (%s)", i + 1, l->digest);
        }
        int r = ds_layers_analyzer_add(an, path, l->media_type, err);
        if (is_temp) unlink(path);
        free(path);
        if (r < 0) { ds_layers_analyzer_free(an); return ds_err_wrap(err, "layer %zu (%s)", i + 1, l->digest); }
    }
    ds_layers_analyzer_finish(an, out);
    /* History entries that made a layer, in order, name the command. */
    json_t *hist = img->config ? json_object_get(img->config, "history") : NULL;
    size_t li = 0, hi;
    json_t *h;
    if (json_is_array(hist)) {
        json_array_foreach(hist, hi, h) {
            if (json_is_true(json_object_get(h, "empty_layer"))) continue;
            if (li >= out->n_layers) break;
            const char *cb = json_string_value(json_object_get(h, "created_by"));
            if (cb) out->layers[li].created_by = ds_xstrdup(cb);
            li++;
        }
    }
    for (size_t i = 0; i < out->n_layers && i < img->n_layers; i++) {
        memcpy(out->layers[i].digest, img->layers[i].digest, sizeof out->layers[i].digest);
        out->layers[i].compressed_size = img->layers[i].size;
    }
    return 0;
}
