/* libFuzzer: whole tar archives read as docker-archive: and oci-archive: images
 * (libarchive, our entry filtering and extraction, manifest synthesis, open), and listed by
 * list-tags (the tar entry reader, index.json / manifest.json names). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "image/image.h"
#include "image/list_tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("fuzz-archive", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) { close(fd); return 0; }
    static const char *fmts[] = {"docker-archive:/proc/self/fd/%d", "oci-archive:/proc/self/fd/%d"};
    for (int i = 0; i < 2; i++) {
        char ref[64];
        snprintf(ref, sizeof ref, fmts[i], fd);
        ds_image *img = NULL;
        ds_err err;
        json_t *tags = NULL;
        if (ds_list_tags(ref, NULL, &tags, &err) == 0) json_decref(tags);
        if (ds_image_open(ref, NULL, &img, &err) == 0) {
            for (size_t k = 0; k < img->n_layers; k++) {
                char *p = NULL;
                bool t = false;
                if (ds_image_blob_path(img, &img->layers[k], &p, &t, &err) == 0) {
                    if (t) unlink(p);
                    free(p);
                }
            }
            ds_image_close(img);
        }
    }
    close(fd);
    return 0;
}
