/* Registry credentials: "user:pass" flags and the auth files podman, skopeo and docker write
 * ({"auths": {"host[:port][/namespace]": {"auth": base64("user:pass")}}}).
 * Credential helpers (credHelpers/credsStore) and identity tokens are not supported. */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include "image/registry.h"
#include "util/fsutil.h"

static void free_secret(char *s) { if (s) { explicit_bzero(s, strlen(s)); free(s); } }

int ds_reg_split_creds(const char *creds, char **user, char **pass, ds_err *err) {
    const char *colon = strchr(creds, ':');
    if (!colon || colon == creds) return ds_fail(err, "credentials must be USER:PASSWORD");
    *user = ds_xstrndup(creds, (size_t)(colon - creds));
    *pass = ds_xstrdup(colon + 1);
    return 0;
}

/* The registry part of an auths key: "https://host/v1/" -> "host", "host/ns" stays "host/ns". */
static char *normalise_key(const char *key) {
    const char *k = key;
    bool had_scheme = false;
    if (!strncmp(k, "https://", 8)) { k += 8; had_scheme = true; }
    else if (!strncmp(k, "http://", 7)) { k += 7; had_scheme = true; }
    size_t n = strlen(k);
    if (had_scheme) n = strcspn(k, "/"); /* docker's legacy keys carry an API path, not a namespace */
    while (n && k[n - 1] == '/') n--;
    return ds_xstrndup(k, n);
}

/* How well key matches host/repo: 0 no match, else the matched length (longer = more specific). */
static size_t match_len(const char *key, const char *host, const char *repo) {
    size_t hl = strlen(host);
    if (strncmp(key, host, hl)) return 0;
    if (key[hl] == 0) return hl;
    if (key[hl] != '/' || !repo) return 0;
    const char *ns = key + hl + 1;
    size_t nl = strlen(ns);
    if (strncmp(repo, ns, nl) || (repo[nl] != 0 && repo[nl] != '/')) return 0;
    return hl + 1 + nl;
}

static int decode_auth(const char *b64, const char *name, const char *key, char **user, char **pass,
                       ds_err *err) {
    size_t n = strlen(b64);
    if (n == 0 || n % 4 || n > 16384)
        return ds_fail(err, "%s: the \"auth\" of %s is not valid base64", name, key);
    unsigned char *raw = ds_xmalloc(n / 4 * 3 + 1);
    int got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
    if (got < 0) { free(raw); return ds_fail(err, "%s: the \"auth\" of %s is not valid base64", name, key); }
    if (b64[n - 1] == '=') got--;   /* EVP_DecodeBlock counts padding as zero bytes */
    if (b64[n - 2] == '=') got--;
    raw[got] = 0;
    int r = 0;
    if (memchr(raw, 0, (size_t)got)) r = ds_fail(err, "%s: the \"auth\" of %s holds a NUL byte", name, key);
    else if (ds_reg_split_creds((char *)raw, user, pass, err) < 0)
        r = ds_fail(err, "%s: the \"auth\" of %s is not base64 of USER:PASSWORD", name, key);
    explicit_bzero(raw, (size_t)got);
    free(raw);
    return r;
}

int ds_reg_authjson_lookup(const char *json, size_t len, const char *name, const char *host,
                           const char *repo, char **user, char **pass, ds_err *err) {
    *user = *pass = NULL;
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) return ds_fail(err, "%s: invalid JSON at line %d: %s", name, je.line, je.text);
    if (!json_is_object(root)) { json_decref(root); return ds_fail(err, "%s: not a JSON object", name); }
    json_t *auths = json_object_get(root, "auths");
    if (auths && !json_is_object(auths)) { json_decref(root); return ds_fail(err, "%s: \"auths\" is not an object", name); }
    const char *key, *best_key = NULL;
    json_t *v, *best = NULL;
    size_t best_len = 0;
    json_object_foreach(auths, key, v) {
        char *nk = normalise_key(key);
        size_t m = match_len(nk, host, repo);
        free(nk);
        if (m > best_len) { best_len = m; best = v; best_key = key; }
    }
    int r = 0;
    if (best) {
        const char *a = json_string_value(json_object_get(best, "auth"));
        const char *u = json_string_value(json_object_get(best, "username"));
        const char *p = json_string_value(json_object_get(best, "password"));
        if (!json_is_object(best)) r = ds_fail(err, "%s: the entry %s is not an object", name, best_key);
        else if (a && *a) r = decode_auth(a, name, best_key, user, pass, err) < 0 ? -1 : 1;
        else if (u && p) { *user = ds_xstrdup(u); *pass = ds_xstrdup(p); r = 1; }
        /* else: an entry without usable credentials (identitytoken only): treat as absent */
    }
    json_decref(root);
    return r;
}

static int try_file(const char *path, bool must_exist, const char *host, const char *repo,
                    char **user, char **pass, char **origin, ds_err *err) {
    char *data = NULL;
    size_t len = 0;
    ds_err e;
    if (ds_read_file(path, &data, &len, 4u << 20, &e) < 0) {
        if (!must_exist && (e.code == ENOENT || e.code == ENOTDIR)) return 0;
        *err = e;
        return -1;
    }
    int r = ds_reg_authjson_lookup(data, len, path, host, repo, user, pass, err);
    explicit_bzero(data, len);
    free(data);
    if (r == 1) *origin = ds_xstrdup(path);
    return r;
}

int ds_reg_find_creds(const char *authfile, const char *host, const char *repo, char **user,
                      char **pass, char **origin, ds_err *err) {
    *user = *pass = *origin = NULL;
    if (authfile && *authfile) return try_file(authfile, true, host, repo, user, pass, origin, err);
    const char *env[3] = {getenv("REGISTRY_AUTH_FILE"), getenv("XDG_RUNTIME_DIR"), getenv("HOME")};
    char *paths[4] = {0};
    int n = 0;
    if (env[0] && *env[0]) paths[n++] = ds_xstrdup(env[0]);
    if (env[1] && *env[1]) paths[n++] = ds_xasprintf("%s/containers/auth.json", env[1]);
    if (env[2] && *env[2]) {
        paths[n++] = ds_xasprintf("%s/.config/containers/auth.json", env[2]);
        paths[n++] = ds_xasprintf("%s/.docker/config.json", env[2]);
    }
    int r = 0;
    for (int i = 0; i < n && r == 0; i++) {
        r = try_file(paths[i], false, host, repo, user, pass, origin, err);
    }
    for (int i = 0; i < n; i++) free(paths[i]);
    if (r < 0) { free_secret(*pass); free(*user); *user = *pass = NULL; }
    return r;
}
