/* Manifests, indexes and configs: parsed from bytes, every field checked before use. */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "fs/layer_writer.h"
#include "image/manifest.h"

bool ds_mt_is_index(const char *mt) {
    return mt && (!strcmp(mt, DS_MT_OCI_INDEX) || !strcmp(mt, DS_MT_DOCKER_LIST));
}

int ds_manifest_load(const char *raw, size_t len, const char *hint, const char *what,
                     json_t **out, char **media_type, bool *is_index, ds_err *err) {
    if (len > DS_MAX_MANIFEST) return ds_fail(err, "%s: manifest too large (%zu bytes)", what, len);
    json_error_t je;
    json_t *j = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) return ds_fail(err, "%s: manifest is not valid JSON: %s (line %d)", what, je.text, je.line);
    if (!json_is_object(j)) { json_decref(j); return ds_fail(err, "%s: manifest is not a JSON object", what); }
    json_t *sv = json_object_get(j, "schemaVersion");
    if (sv && (!json_is_integer(sv) || json_integer_value(sv) != 2)) {
        json_decref(j);
        return ds_fail(err, "%s: unsupported manifest schemaVersion (only 2 is supported)", what);
    }
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    if (json_object_get(j, "mediaType") && !mt) { json_decref(j); return ds_fail(err, "%s: mediaType is not a string", what); }
    if (!mt && hint && *hint) mt = hint;
    if (!mt) mt = json_object_get(j, "manifests") ? DS_MT_OCI_INDEX : DS_MT_OCI_MANIFEST;
    bool idx = ds_mt_is_index(mt);
    if (!idx && strcmp(mt, DS_MT_OCI_MANIFEST) && strcmp(mt, DS_MT_DOCKER_MANIFEST)) {
        ds_fail(err, "%s: unsupported manifest media type %.200s", what, mt); /* mt may live in j */
        json_decref(j);
        return -1;
    }
    if (idx && !json_is_array(json_object_get(j, "manifests"))) {
        json_decref(j); return ds_fail(err, "%s: index has no manifests array", what);
    }
    *media_type = ds_xstrdup(mt);
    *is_index = idx;
    *out = j;
    return 0;
}

int ds_desc_parse(json_t *j, ds_desc *out, const char *what, ds_err *err) {
    memset(out, 0, sizeof *out);
    if (!json_is_object(j)) return ds_fail(err, "%s: descriptor is not an object", what);
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    const char *dg = json_string_value(json_object_get(j, "digest"));
    json_t *sz = json_object_get(j, "size");
    if (!dg) return ds_fail(err, "%s: descriptor has no digest", what);
    if (!ds_digest_valid(dg)) return ds_fail(err, "%s: unsupported or malformed digest '%.80s'", what, dg);
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return ds_fail(err, "%s: descriptor %s has no valid size", what, dg);
    json_t *ann = json_object_get(j, "annotations");
    if (ann && !json_is_object(ann)) return ds_fail(err, "%s: annotations of %s are not an object", what, dg);
    out->media_type = ds_xstrdup(mt ? mt : "");
    memcpy(out->digest, dg, DS_DIGEST_LEN + 1);
    out->size = json_integer_value(sz);
    out->annotations = ann;
    return 0;
}

void ds_desc_free(ds_desc *d) {
    if (!d) return;
    free(d->media_type);
    d->media_type = NULL;
}

void ds_desc_copy(ds_desc *dst, const ds_desc *src) {
    *dst = *src;
    dst->media_type = ds_xstrdup(src->media_type ? src->media_type : "");
}

int ds_manifest_parse(json_t *m, const char *what, ds_desc *config, ds_desc **layers, size_t *n_layers, ds_err *err) {
    *layers = NULL; *n_layers = 0;
    char *w = ds_xasprintf("%s: config", what);
    int cr = ds_desc_parse(json_object_get(m, "config"), config, w, err);
    free(w);
    if (cr < 0) return -1;
    json_t *ls = json_object_get(m, "layers");
    if (!json_is_array(ls)) { ds_desc_free(config); return ds_fail(err, "%s: manifest has no layers array", what); }
    size_t n = json_array_size(ls);
    ds_desc *arr = ds_xcalloc(n ? n : 1, sizeof *arr);
    for (size_t i = 0; i < n; i++) {
        char *lw = ds_xasprintf("%s: layer %zu", what, i + 1);
        int lr = ds_desc_parse(json_array_get(ls, i), &arr[i], lw, err);
        free(lw);
        if (lr < 0) {
            for (size_t k = 0; k < i; k++) ds_desc_free(&arr[k]);
            free(arr); ds_desc_free(config);
            return -1;
        }
    }
    *layers = arr; *n_layers = n;
    return 0;
}

void ds_platform_host(char *buf, size_t n) {
    struct utsname u;
    const char *arch = "unknown", *variant = NULL;
    if (uname(&u) == 0) {
        const char *m = u.machine;
        if (!strcmp(m, "x86_64")) arch = "amd64";
        else if (!strcmp(m, "aarch64") || !strcmp(m, "arm64")) { arch = "arm64"; variant = "v8"; }
        else if (!strncmp(m, "armv7", 5)) { arch = "arm"; variant = "v7"; }
        else if (!strncmp(m, "armv6", 5)) { arch = "arm"; variant = "v6"; }
        else if (!strcmp(m, "i686") || !strcmp(m, "i386")) arch = "386";
        else if (!strcmp(m, "ppc64le")) arch = "ppc64le";
        else if (!strcmp(m, "s390x")) arch = "s390x";
        else if (!strcmp(m, "riscv64")) arch = "riscv64";
        else arch = m;
    }
    snprintf(buf, n, "linux/%s%s%s", arch, variant ? "/" : "", variant ? variant : "");
}

bool ds_platform_valid(const char *p) {
    /* OS/ARCH[/VARIANT]: two or three non-empty parts of [a-z0-9._-]. */
    int parts = 1;
    size_t run = 0;
    for (const char *c = p; ; c++) {
        if (*c == '/' || !*c) {
            if (!run) return false;
            if (!*c) break;
            parts++; run = 0;
        } else if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-') {
            run++;
        } else {
            return false;
        }
    }
    return parts == 2 || parts == 3;
}

/* arm64 images usually omit "v8": treat the two spellings as one. */
static bool variant_eq(const char *arch, const char *a, const char *b) {
    if (!a) a = "";
    if (!b) b = "";
    if (!strcmp(arch, "arm64")) {
        if (!strcmp(a, "v8")) a = "";
        if (!strcmp(b, "v8")) b = "";
    }
    return !strcmp(a, b);
}

bool ds_platform_matches(const char *platform, const char *os, const char *arch, const char *variant) {
    char want[256];
    snprintf(want, sizeof want, "%s", platform);
    char *wa = strchr(want, '/');
    if (!wa || !os || !arch) return false;
    *wa++ = 0;
    char *wv = strchr(wa, '/');
    if (wv) *wv++ = 0;
    if (strcmp(want, os) || strcmp(wa, arch)) return false;
    return !wv || !*wv || variant_eq(arch, variant, wv);
}

int ds_index_pick(json_t *index, const char *platform, const char *what, ds_desc *out, ds_err *err) {
    char host[128];
    if (!platform) { ds_platform_host(host, sizeof host); platform = host; }
    char want[256];
    snprintf(want, sizeof want, "%s", platform);
    char *os = want, *arch = strchr(want, '/'), *variant = NULL;
    if (!ds_platform_valid(platform) || !arch || !arch[1]) return ds_fail(err, "%s: bad platform '%s' (want OS/ARCH[/VARIANT])", what, platform);
    *arch++ = 0;
    variant = strchr(arch, '/');
    if (variant) *variant++ = 0;
    bool any_variant = !variant || !*variant;
    json_t *ms = json_object_get(index, "manifests");
    size_t n = json_array_size(ms);
    int best = -1;
    char avail[512] = "";
    size_t al = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(ms, i);
        json_t *p = json_object_get(e, "platform");
        const char *pos = json_string_value(json_object_get(p, "os"));
        const char *parch = json_string_value(json_object_get(p, "architecture"));
        const char *pvar = json_string_value(json_object_get(p, "variant"));
        if (!pos || !parch) continue;
        if (!strcmp(pos, "unknown")) continue; /* buildkit attestations */
        if (al < sizeof avail - 1)
            al += (size_t)snprintf(avail + al, sizeof avail - al, "%s%s/%s%s%s", al ? ", " : "", pos, parch,
                                   pvar && *pvar ? "/" : "", pvar && *pvar ? pvar : "");
        if (al >= sizeof avail) al = sizeof avail - 1;
        if (strcmp(pos, os) || strcmp(parch, arch)) continue;
        if (!any_variant && !variant_eq(arch, pvar, variant)) continue;
        if (any_variant && best >= 0) continue; /* first match wins */
        if (best < 0) best = (int)i;
    }
    if (best < 0)
        return ds_fail(err, "%s: no image for platform %s in the index (it has: %s); choose one with --platform",
                       what, platform, al ? avail : "no platform entries");
    if (ds_desc_parse(json_array_get(ms, (size_t)best), out, what, err) < 0) return -1;
    return 0;
}

int ds_config_load(const char *raw, size_t len, const char *what, json_t **out,
                   char **os, char **arch, char **variant, ds_err *err) {
    if (len > DS_MAX_MANIFEST) return ds_fail(err, "%s: config too large (%zu bytes)", what, len);
    json_error_t je;
    json_t *j = json_loadb(raw, len, 0, &je);
    if (!j) return ds_fail(err, "%s: config is not valid JSON: %s (line %d)", what, je.text, je.line);
    if (!json_is_object(j)) { json_decref(j); return ds_fail(err, "%s: config is not a JSON object", what); }
    json_t *c = json_object_get(j, "config");
    if (c && !json_is_object(c) && !json_is_null(c)) { json_decref(j); return ds_fail(err, "%s: config.config is not an object", what); }
    const char *o = json_string_value(json_object_get(j, "os"));
    const char *a = json_string_value(json_object_get(j, "architecture"));
    const char *v = json_string_value(json_object_get(j, "variant"));
    *os = o ? ds_xstrdup(o) : NULL;
    *arch = a ? ds_xstrdup(a) : NULL;
    *variant = v && *v ? ds_xstrdup(v) : NULL;
    *out = j;
    return 0;
}

int ds_mt_compression(const char *mt) {
    if (!mt) return -1;
    size_t n = strlen(mt);
#define ENDS(s) (n >= sizeof(s) - 1 && !strcmp(mt + n - (sizeof(s) - 1), s))
    if (strstr(mt, "nondistributable") || strstr(mt, "foreign")) return -1;
    if (ENDS("tar+gzip") || ENDS("tar.gzip")) return DS_COMPRESS_GZIP;
    if (ENDS("tar+zstd")) return DS_COMPRESS_ZSTD;
    if (ENDS(".tar") || !strcmp(mt, DS_MT_DOCKER_LAYER)) return DS_COMPRESS_NONE;
#undef ENDS
    return -1;
}
