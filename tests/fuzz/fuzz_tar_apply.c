/* Fuzz the layer applier: any bytes, as a layer (compression sniffed), applied to a
 * fresh root. It must never crash, and never create anything next to the root. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/unpack.h"
#include "util/fsutil.h"

static char *base, *root, *layer;

static void cleanup(void) {
    ds_err e;
    if (base) ds_rmtree(base, &e);
}

static void init(void) {
    ds_err e;
    if (ds_mkdtemp("distill-fuzz-tar", &base, &e) < 0) { fprintf(stderr, "%s\n", e.msg); abort(); }
    root = ds_xasprintf("%s/root", base);
    layer = ds_xasprintf("%s/layer", base);
    atexit(cleanup);
}

/* Only "root" and "layer" may exist in base. */
static void assert_nothing_escaped(void) {
    DIR *d = opendir(base);
    if (!d) abort();
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "root") || !strcmp(n, "layer")) continue;
        fprintf(stderr, "escaped: %s/%s\n", base, n);
        abort();
    }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!base) init();
    ds_err e;
    ds_rmtree(root, &e);
    if (mkdir(root, 0755) < 0) abort();
    FILE *f = fopen(layer, "wb");
    if (!f) abort();
    fwrite(data, 1, size, f);
    fclose(f);
    ds_unpack_opts o;
    ds_unpack_opts_default(&o);
    o.allow_devices = false; /* never mknod on the fuzzing host */
    size_t skipped = 0;
    o.skipped_devices = &skipped;
    (void)ds_layer_apply(root, layer, NULL, &o, &e);
    assert_nothing_escaped();
    ds_rmtree(root, &e);
    return 0;
}
