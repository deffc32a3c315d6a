/* Layer analysis without unpacking: tar entries are streamed from each layer blob
 * to count files added, changed and deleted per layer, and to measure wasted
 * space with dive's definitions, so users can compare numbers:
 *   - a path's cumulative size = Σ of its size in every layer that has it (a
 *     whiteout counts 0 for a file, the sum of what it hides for a directory);
 *   - efficiency = Σ smallest size seen per path / Σ cumulative sizes (1 if 0);
 *   - a path is inefficient when it is in ≥ 2 layers; wasted bytes = Σ of the
 *     cumulative sizes of inefficient paths;
 *   - user wasted ratio = wasted bytes / size of every layer but the first. */
#ifndef DS_LAYERS_LAYER_STATS_H
#define DS_LAYERS_LAYER_STATS_H
#include <stdint.h>
#include "image/image.h"
#include "util/err.h"

typedef struct ds_layer_stat {
    char digest[DS_DIGEST_LEN + 1]; /* "" when fed without a descriptor */
    char *media_type;
    int64_t compressed_size;   /* the blob's size */
    int64_t uncompressed_size; /* the tar stream's size */
    int64_t files_size;        /* Σ entry sizes (dive's layer size) */
    size_t added, changed, deleted; /* non-directory entries new / replacing a lower one; whiteouts */
    char *created_by;          /* from the config history (empty_layer entries skipped), may be NULL */
} ds_layer_stat;

typedef struct ds_wasted_path {
    char *path;                /* "/usr/lib/big" */
    int64_t wasted;            /* its cumulative size */
    int layers;                /* in how many layers it appears */
} ds_wasted_path;

typedef struct ds_layers_report {
    size_t n_layers;
    ds_layer_stat *layers;
    int64_t size_bytes;        /* Σ files_size */
    int64_t user_size_bytes;   /* Σ files_size of layers 2..n */
    int64_t wasted_bytes;
    double efficiency;
    double user_wasted_ratio;  /* 0.1 = 10 % (0 when there is one layer) */
    size_t n_wasted;           /* inefficient paths with bytes, biggest first */
    ds_wasted_path *wasted;
} ds_layers_report;

typedef struct ds_layers_analyzer ds_layers_analyzer;
ds_layers_analyzer *ds_layers_analyzer_new(void);
/* Feed the next layer (in image order). */
int ds_layers_analyzer_add(ds_layers_analyzer *an, const char *blob_path, const char *media_type, ds_err *err);
/* Compute the image figures; the analyzer is freed. */
void ds_layers_analyzer_finish(ds_layers_analyzer *an, ds_layers_report *out);
void ds_layers_analyzer_free(ds_layers_analyzer *an);

/* All of the above for an image: every layer blob read once, digests, compressed
 * sizes and history filled in. */
int ds_layers_analyze_image(ds_image *img, ds_layers_report *out, ds_err *err);
void ds_layers_report_free(ds_layers_report *r);

#endif
