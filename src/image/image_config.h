/* An image config (the OCI/Docker config blob) read once into C values, for the code that
 * runs or rebuilds an image: the pipeline walks these fields instead of the JSON. */
#ifndef DS_IMAGE_IMAGE_CONFIG_H
#define DS_IMAGE_IMAGE_CONFIG_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "util/err.h"

typedef struct ds_kv {
    char *key, *value;
} ds_kv;

typedef struct ds_image_config {
    char *os, *architecture, *variant;  /* top level; NULL when absent */
    char **entrypoint; size_t n_entrypoint;
    char **cmd; size_t n_cmd;
    char **env; size_t n_env;           /* "K=V" as given */
    char *working_dir;                  /* NULL when absent or "" */
    char *user;                         /* NULL when absent or "" */
    char *stop_signal;
    char **exposed_ports; size_t n_exposed_ports; /* "8080/tcp", in the config's key order */
    int *tcp_ports; size_t n_tcp_ports; /* the TCP ones of exposed_ports, as numbers */
    char **volumes; size_t n_volumes;   /* keys of Volumes */
    ds_kv *labels; size_t n_labels;
} ds_image_config;

/* doc is the whole config blob ({"architecture", "config": {...}, "rootfs", ...}). A field of
 * the wrong type (Env not a list of strings, a port that is not N/proto) is an error naming
 * it; unknown fields are ignored. */
int ds_image_config_parse(const json_t *doc, ds_image_config *out, ds_err *err);
void ds_image_config_free(ds_image_config *c);
/* Value of NAME in Env, or NULL (borrowed). */
const char *ds_image_config_env(const ds_image_config *c, const char *name);

#endif
