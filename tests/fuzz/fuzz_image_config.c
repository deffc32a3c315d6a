/* libFuzzer: an image config blob (untrusted: it comes with the image) read into ds_image_config. */
#include <stdint.h>
#include "image/image_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_error_t je;
    json_t *doc = json_loadb((const char *)data, size, 0, &je);
    if (!doc) return 0;
    ds_image_config c;
    ds_err e;
    if (ds_image_config_parse(doc, &c, &e) == 0) {
        ds_image_config_env(&c, "PATH");
        ds_image_config_free(&c);
    }
    json_decref(doc);
    return 0;
}
