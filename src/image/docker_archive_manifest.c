/* manifest.json of `docker save` / `podman save`: [{Config, RepoTags, Layers}, ...]. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "image/docker_archive.h"

char *ds_docker_normalize_name(const char *name) {
    const char *slash = strchr(name, '/');
    const char *last = strrchr(name, '/');
    bool has_tag = strchr(last ? last : name, ':') != NULL || strchr(name, '@') != NULL;
    bool has_host = slash && (memchr(name, '.', (size_t)(slash - name)) || memchr(name, ':', (size_t)(slash - name)) ||
                              !strncmp(name, "localhost/", 10));
    return ds_xasprintf("%s%s%s%s", has_host ? "" : "docker.io/", !has_host && !slash ? "library/" : "", name,
                        has_tag ? "" : ":latest");
}

void ds_docker_entry_free(ds_docker_entry *e) {
    if (!e) return;
    free(e->config);
    for (size_t i = 0; i < e->n_layers; i++) free(e->layers[i]);
    free(e->layers);
    memset(e, 0, sizeof *e);
}

static bool has_tag(json_t *img, const char *want_norm) {
    json_t *tags = json_object_get(img, "RepoTags");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *s = json_string_value(t);
        if (!s) continue;
        char *n = ds_docker_normalize_name(s);
        bool eq = !strcmp(n, want_norm);
        free(n);
        if (eq) return true;
    }
    return false;
}

int ds_docker_manifest_parse(const char *raw, size_t len, const char *want_tag, const char *what,
                             ds_docker_entry *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *j = json_loadb(raw, len, 0, &je);
    if (!j) return ds_fail(err, "%s: manifest.json is not valid JSON: %s (line %d)", what, je.text, je.line);
    if (!json_is_array(j) || json_array_size(j) == 0) {
        json_decref(j);
        return ds_fail(err, "%s: manifest.json is not a non-empty array of images", what);
    }
    size_t n = json_array_size(j);
    json_t *img = NULL;
    int r = 0;
    if (want_tag) {
        char *w = ds_docker_normalize_name(want_tag);
        for (size_t i = 0; i < n && !img; i++)
            if (has_tag(json_array_get(j, i), w)) img = json_array_get(j, i);
        free(w);
        if (!img) {
            char avail[512] = "";
            size_t al = 0;
            for (size_t i = 0; i < n && al < sizeof avail - 1; i++) {
                json_t *tags = json_object_get(json_array_get(j, i), "RepoTags");
                for (size_t k = 0; k < json_array_size(tags) && al < sizeof avail - 1; k++) {
                    const char *s = json_string_value(json_array_get(tags, k));
                    if (s) al += (size_t)snprintf(avail + al, sizeof avail - al, "%s%s", al ? ", " : "", s);
                }
            }
            r = ds_fail(err, "%s: no image tagged %s in the archive (it has: %s)", what, want_tag, al ? avail : "no tags");
        }
    } else if (n > 1) {
        r = ds_fail(err, "%s: the archive holds %zu images; name one as docker-archive:PATH:REPO:TAG", what, n);
    } else {
        img = json_array_get(j, 0);
    }
    if (r == 0) {
        const char *cfg = json_string_value(json_object_get(img, "Config"));
        json_t *ls = json_object_get(img, "Layers");
        if (!json_is_object(img) || !cfg || !*cfg) r = ds_fail(err, "%s: manifest.json entry has no Config", what);
        else if (!json_is_array(ls)) r = ds_fail(err, "%s: manifest.json entry has no Layers array", what);
        else {
            size_t nl = json_array_size(ls);
            out->config = ds_xstrdup(cfg);
            out->layers = ds_xcalloc(nl ? nl : 1, sizeof *out->layers);
            for (size_t i = 0; i < nl; i++) {
                const char *l = json_string_value(json_array_get(ls, i));
                if (!l || !*l) { r = ds_fail(err, "%s: manifest.json layer %zu is not a file name", what, i + 1); break; }
                out->layers[out->n_layers++] = ds_xstrdup(l);
            }
        }
    }
    json_decref(j);
    if (r < 0) ds_docker_entry_free(out);
    return r;
}
