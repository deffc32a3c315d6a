/* Registry credentials: "user:pass" flags and the auth files podman, skopeo and docker write
 * ({"auths": {"host[:port][/namespace]": {"auth": base64("user:pass")}}}), and the credential
 * helpers they name (credHelpers / credsStore -> docker-credential-NAME). Identity tokens
 * (OAuth refresh tokens) are not supported. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
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

static bool helper_name_ok(const char *h) {
    if (!h || !*h || strlen(h) > 64) return false;
    for (; *h; h++)
        if (!(isalnum((unsigned char)*h) || *h == '-' || *h == '_' || *h == '.')) return false;
    return true;
}

int ds_reg_authjson_lookup(const char *json, size_t len, const char *name, const char *host,
                           const char *repo, char **user, char **pass, char **helper, ds_err *err) {
    *user = *pass = NULL;
    if (helper) *helper = NULL;
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) return ds_fail(err, "%s: invalid JSON at line %d: %s", name, je.line, je.text);
    if (!json_is_object(root)) { json_decref(root); return ds_fail(err, "%s: not a JSON object", name); }
    json_t *auths = json_object_get(root, "auths");
    if (auths && !json_is_object(auths)) { json_decref(root); return ds_fail(err, "%s: \"auths\" is not an object", name); }
    /* A helper named for this very host wins, as in docker. */
    const char *h = json_string_value(json_object_get(json_object_get(root, "credHelpers"), host));
    if (helper && h) {
        int r = helper_name_ok(h) ? (*helper = ds_xstrdup(h), 2)
                                  : ds_fail(err, "%s: bad credential helper name for %s", name, host);
        json_decref(root);
        return r;
    }
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
    const char *store = json_string_value(json_object_get(root, "credsStore"));
    if (r == 0 && helper && store && *store) {
        if (helper_name_ok(store)) { *helper = ds_xstrdup(store); r = 2; }
        else r = ds_fail(err, "%s: bad credsStore name", name);
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
    char *helper = NULL;
    int r = ds_reg_authjson_lookup(data, len, path, host, repo, user, pass, &helper, err);
    explicit_bzero(data, len);
    free(data);
    if (r == 2) {
        /* docker keys Docker Hub as its legacy v1 URL */
        const char *server = !strcmp(host, "docker.io") || !strcmp(host, "index.docker.io")
                                 ? "https://index.docker.io/v1/" : host;
        r = ds_reg_run_cred_helper(helper, server, user, pass, err);
        if (r == 1) *origin = ds_xasprintf("docker-credential-%s (named in %s)", helper, path);
        free(helper);
        return r;
    }
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

int ds_reg_run_cred_helper(const char *helper, const char *server, char **user, char **pass, ds_err *err) {
    *user = *pass = NULL;
    char *prog = ds_xasprintf("docker-credential-%s", helper);
    int in[2], out[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) {
        ds_fail_errno(err, "%s", prog); free(prog); return -1;
    }
    if (pipe2(out, O_CLOEXEC) < 0) {
        ds_fail_errno(err, "%s", prog); close(in[0]); close(in[1]); free(prog); return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[1], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0); /* library code stays quiet */
    char *argv[] = {prog, (char *)"get", NULL};
    extern char **environ;
    pid_t pid;
    int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[1]);
    close(out[1]);
    if (rc != 0) {
        close(in[0]); close(out[0]);
        errno = rc;
        ds_fail_errno(err, "credential helper %s (named in the auth file) cannot run", prog);
        free(prog);
        return -1;
    }
    /* MSG_NOSIGNAL: a helper that exits early must not kill us with SIGPIPE. */
    send(in[0], server, strlen(server), MSG_NOSIGNAL);
    close(in[0]);
    size_t cap = 65536, n = 0;
    char *buf = ds_xmalloc(cap + 1);
    for (;;) {
        ssize_t k = read(out[0], buf + n, cap - n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
        if (n == cap) break;
    }
    buf[n] = 0;
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    int r = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (strstr(buf, "not found")) r = 0; /* "credentials not found in native keychain" */
        else r = ds_fail(err, "credential helper %s failed for %s (exit %d)", prog, server,
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else {
        json_t *j = json_loadb(buf, n, 0, NULL);
        const char *u = json_string_value(json_object_get(j, "Username"));
        const char *s = json_string_value(json_object_get(j, "Secret"));
        if (!j) r = ds_fail(err, "credential helper %s answered something that is not JSON", prog);
        else if (u && s && strcmp(u, "<token>")) { /* "<token>": an identity token, not supported */
            *user = ds_xstrdup(u);
            *pass = ds_xstrdup(s);
            r = 1;
        }
        json_decref(j);
    }
    explicit_bzero(buf, n);
    free(buf);
    free(prog);
    return r;
}
