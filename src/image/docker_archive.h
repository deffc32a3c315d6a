/* docker-archive manifest.json parsing from bytes (fuzzed in tests/fuzz/fuzz_docker_manifest.c). */
#ifndef DS_IMAGE_DOCKER_ARCHIVE_H
#define DS_IMAGE_DOCKER_ARCHIVE_H
#include <stddef.h>
#include "util/err.h"

typedef struct ds_docker_entry {
    char *config;      /* archive path of the config JSON */
    char **layers;     /* archive paths of the layer tars, bottom first */
    size_t n_layers;
} ds_docker_entry;

/* Pick the image named want_tag ("repo:tag", compared after docker.io/library
 * normalisation), or the only image when want_tag is NULL. */
int ds_docker_manifest_parse(const char *raw, size_t len, const char *want_tag, const char *what,
                             ds_docker_entry *out, ds_err *err);
void ds_docker_entry_free(ds_docker_entry *e);
/* "nginx" -> "docker.io/library/nginx:latest"; malloc'd. */
char *ds_docker_normalize_name(const char *name);

#endif
