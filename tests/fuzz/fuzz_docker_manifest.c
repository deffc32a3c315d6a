/* libFuzzer: docker-archive manifest.json parsing and tag selection. */
#include <stdint.h>
#include <stdlib.h>
#include "image/docker_archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *tags[] = {NULL, "nginx:latest", "localhost/app:1", "docker.io/library/busybox"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
        ds_err err;
        ds_docker_entry e;
        if (ds_docker_manifest_parse((const char *)data, size, tags[i], "fuzz", &e, &err) == 0) ds_docker_entry_free(&e);
    }
    return 0;
}
