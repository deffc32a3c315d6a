/* libFuzzer: manifest / index / config JSON through the image parsers. */
#include <stdint.h>
#include <string.h>
#include "image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ds_err err;
    json_t *j = NULL;
    char *mt = NULL;
    bool is_index = false;
    if (ds_manifest_load((const char *)data, size, NULL, "fuzz", &j, &mt, &is_index, &err) == 0) {
        if (is_index) {
            static const char *plats[] = {NULL, "linux/amd64", "linux/arm64/v8", "linux/arm/v7", "bad"};
            for (size_t i = 0; i < sizeof plats / sizeof *plats; i++) {
                ds_desc d;
                if (ds_index_pick(j, plats[i], "fuzz", &d, &err) == 0) ds_desc_free(&d);
            }
        } else {
            ds_desc cfg, *layers = NULL;
            size_t n = 0;
            if (ds_manifest_parse(j, "fuzz", &cfg, &layers, &n, &err) == 0) {
                for (size_t i = 0; i < n; i++) {
                    (void)ds_mt_compression(layers[i].media_type);
                    ds_desc_free(&layers[i]);
                }
                free(layers);
                ds_desc_free(&cfg);
            }
        }
        json_decref(j);
        free(mt);
    }
    json_t *c = NULL;
    char *os = NULL, *arch = NULL, *variant = NULL;
    if (ds_config_load((const char *)data, size, "fuzz", &c, &os, &arch, &variant, &err) == 0) {
        json_decref(c);
        free(os); free(arch); free(variant);
    }
    return 0;
}
