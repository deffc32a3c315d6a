#include "image/image_config.h"
#include <stdio.h>
#include <string.h>
#include "util/fsutil.h"

static char *opt_str(const json_t *o, const char *key, const char *where, int *bad, ds_err *err) {
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_string(v)) { *bad = ds_fail(err, "image config: %s%s is not a string", where, key); return NULL; }
    const char *s = json_string_value(v);
    return *s ? ds_xstrdup(s) : NULL;
}

static int str_list(const json_t *o, const char *key, char ***out, size_t *n, ds_err *err) {
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v)) return ds_fail(err, "image config: config.%s is not a list", key);
    *out = ds_xcalloc(json_array_size(v) + 1, sizeof **out);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e)) return ds_fail(err, "image config: config.%s[%zu] is not a string", key, i);
        (*out)[(*n)++] = ds_xstrdup(json_string_value(e));
    }
    return 0;
}

static int key_list(const json_t *o, const char *key, char ***out, size_t *n, ds_err *err) {
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_object(v)) return ds_fail(err, "image config: config.%s is not a mapping", key);
    *out = ds_xcalloc(json_object_size(v) + 1, sizeof **out);
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e) (*out)[(*n)++] = ds_xstrdup(k);
    return 0;
}

int ds_image_config_parse(const json_t *doc, ds_image_config *c, ds_err *err) {
    memset(c, 0, sizeof *c);
    int bad = 0;
    if (!json_is_object(doc)) return ds_fail(err, "image config: not a JSON object");
    c->os = opt_str(doc, "os", "", &bad, err);
    if (!bad) c->architecture = opt_str(doc, "architecture", "", &bad, err);
    if (!bad) c->variant = opt_str(doc, "variant", "", &bad, err);
    const json_t *in = json_object_get(doc, "config");
    if (bad) goto fail;
    if (!in || json_is_null(in)) return 0;
    if (!json_is_object(in)) { ds_fail(err, "image config: config is not a mapping"); goto fail; }
    if (str_list(in, "Entrypoint", &c->entrypoint, &c->n_entrypoint, err) < 0 ||
        str_list(in, "Cmd", &c->cmd, &c->n_cmd, err) < 0 || str_list(in, "Env", &c->env, &c->n_env, err) < 0 ||
        key_list(in, "ExposedPorts", &c->exposed_ports, &c->n_exposed_ports, err) < 0 ||
        key_list(in, "Volumes", &c->volumes, &c->n_volumes, err) < 0)
        goto fail;
    c->working_dir = opt_str(in, "WorkingDir", "config.", &bad, err);
    if (!bad) c->user = opt_str(in, "User", "config.", &bad, err);
    if (!bad) c->stop_signal = opt_str(in, "StopSignal", "config.", &bad, err);
    if (bad) goto fail;
    c->tcp_ports = ds_xcalloc(c->n_exposed_ports + 1, sizeof *c->tcp_ports);
    for (size_t i = 0; i < c->n_exposed_ports; i++) {
        int port;
        char proto[8] = "tcp";
        /* "8080", "8080/tcp", "53/udp": only TCP ports can be waited for and probed. */
        if (sscanf(c->exposed_ports[i], "%d/%7s", &port, proto) < 1 || strcmp(proto, "tcp") || port <= 0 ||
            port > 65535)
            continue;
        c->tcp_ports[c->n_tcp_ports++] = port;
    }
    const json_t *labels = json_object_get(in, "Labels");
    if (labels && !json_is_null(labels)) {
        if (!json_is_object(labels)) { ds_fail(err, "image config: config.Labels is not a mapping"); goto fail; }
        c->labels = ds_xcalloc(json_object_size(labels) + 1, sizeof *c->labels);
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)labels, k, v) {
            if (!json_is_string(v)) { ds_fail(err, "image config: config.Labels[%s] is not a string", k); goto fail; }
            c->labels[c->n_labels].key = ds_xstrdup(k);
            c->labels[c->n_labels++].value = ds_xstrdup(json_string_value(v));
        }
    }
    return 0;
fail:
    ds_image_config_free(c);
    return -1;
}

static void free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void ds_image_config_free(ds_image_config *c) {
    if (!c) return;
    free(c->os); free(c->architecture); free(c->variant);
    free_list(c->entrypoint, c->n_entrypoint);
    free_list(c->cmd, c->n_cmd);
    free_list(c->env, c->n_env);
    free(c->working_dir); free(c->user); free(c->stop_signal);
    free_list(c->exposed_ports, c->n_exposed_ports);
    free(c->tcp_ports);
    free_list(c->volumes, c->n_volumes);
    for (size_t i = 0; i < c->n_labels; i++) { free(c->labels[i].key); free(c->labels[i].value); }
    free(c->labels);
    memset(c, 0, sizeof *c);
}

const char *ds_image_config_env(const ds_image_config *c, const char *name) {
    size_t l = strlen(name);
    for (size_t i = 0; i < c->n_env; i++)
        if (!strncmp(c->env[i], name, l) && c->env[i][l] == '=') return c->env[i] + l + 1;
    return NULL;
}
