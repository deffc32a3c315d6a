/* Fuzz the layer analysis (distill layers): any bytes, fed as two layers in a row
 * (so whiteouts meet lower paths), must never crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "layers/layer_stats.h"
#include "util/fsutil.h"

static char *path;

static void cleanup(void) { if (path) unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!path) {
        const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
        path = ds_xasprintf("%s/distill-fuzz-layer-stats-%d", tmp, (int)getpid());
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    fwrite(data, 1, size, f);
    fclose(f);
    ds_err e;
    ds_layers_analyzer *an = ds_layers_analyzer_new();
    if (ds_layers_analyzer_add(an, path, NULL, &e) == 0 && ds_layers_analyzer_add(an, path, NULL, &e) == 0) {
        ds_layers_report r;
        ds_layers_analyzer_finish(an, &r);
        if (r.efficiency < 0 || r.efficiency > 1.0 || r.wasted_bytes < 0) abort();
        ds_layers_report_free(&r);
    } else {
        ds_layers_analyzer_free(an);
    }
    return 0;
}
