/* docker-daemon: and containers-storage: references (ref_engine.h), in skopeo's spelling.
 * Names follow the distribution grammar: an optional host[:port]/ first component,
 * lowercase path components, a tag of at most 128 characters. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "image/ref_engine.h"
#include "image/ref_grammar.h"

#define DD_PREFIX "docker-daemon:"
#define CS_PREFIX "containers-storage:"


/* NAME[:TAG] into out->repo / out->tag (tag defaults to latest). */
static int parse_name(const char *text, const char *name, ds_ref *out, ds_err *err) {
    const char *ls = strrchr(name, '/');
    const char *tc = strrchr(ls ? ls : name, ':');
    size_t nl = tc ? (size_t)(tc - name) : strlen(name);
    if (!nl) return ds_fail(err, "%s: no image name before the tag", text);
    char *repo = ds_xstrndup(name, nl);
    const char *path = repo;
    /* One grammar for every transport (image/ref_grammar.h). */
    size_t dl = ds_ref_domain_len(repo);
    if (dl) {
        if (!ds_ref_domain_valid(repo, dl)) {
            ds_fail(err, "%s: bad registry host '%.*s' in the name", text, (int)dl, repo);
            free(repo);
            return -1;
        }
        path = repo + dl + 1;
    }
    if (strlen(repo) > DS_REF_NAME_MAX) {
        ds_fail(err, "%s: the name is longer than %d characters", text, DS_REF_NAME_MAX);
        free(repo);
        return -1;
    }
    if (!ds_ref_path_valid(path, strlen(path))) {
        ds_fail(err, "%s: bad image name '%s' (lowercase letters, digits and the separators . _ __ -, components "
                     "joined by /)", text, repo);
        free(repo);
        return -1;
    }
    if (!strcmp(repo, "sha256")) {
        /* "sha256:TAG" would read back as an image ID. */
        ds_fail(err, "%s: the name 'sha256' reads as an image ID; write docker.io/library/sha256", text);
        free(repo);
        return -1;
    }
    if (tc && !ds_ref_tag_valid(tc + 1, strlen(tc + 1))) {
        ds_fail(err, "%s: bad tag '%s' (letters, digits, '_', '.', '-'; at most 128)", text, tc + 1);
        free(repo);
        return -1;
    }
    out->repo = repo;
    out->tag = ds_xstrdup(tc ? tc + 1 : "latest");
    return 0;
}

static bool is_hex64(const char *s) { return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64; }

static int parse_daemon(const char *text, const char *rest, ds_ref *out, ds_err *err) {
    if (!*rest) return ds_fail(err, "%s: no image named; write docker-daemon:NAME[:TAG] or docker-daemon:sha256:ID", text);
    if (!strncmp(rest, "sha256:", 7)) {
        if (!ds_digest_valid(rest))
            return ds_fail(err, "%s: bad image ID '%s' (want sha256: and 64 lowercase hex digits)", text, rest);
        out->digest = ds_xstrdup(rest);
        return 0;
    }
    if (strchr(rest, '@'))
        return ds_fail(err, "%s: a docker-daemon reference is NAME[:TAG] or sha256:ID (the image ID), not NAME@DIGEST",
                       text);
    return parse_name(text, rest, out, err);
}

static int parse_storage(const char *text, const char *rest, ds_ref *out, ds_err *err) {
    if (rest[0] == '[') {
        const char *rb = strchr(rest, ']');
        if (!rb) return ds_fail(err, "%s: the storage spec '[' has no closing ']'", text);
        out->host = ds_xstrndup(rest + 1, (size_t)(rb - rest - 1));
        ds_storage_spec sp;
        if (ds_storage_spec_parse(out->host, text, &sp, err) < 0) return -1;
        ds_storage_spec_free(&sp);
        rest = rb + 1;
    }
    if (!*rest)
        return ds_fail(err, "%s: no image named; write containers-storage:[[STORAGE]]NAME[:TAG]", text);
    if (!strncmp(rest, "sha256:", 7) || is_hex64(rest)) {
        char *d = strncmp(rest, "sha256:", 7) ? ds_xasprintf("sha256:%s", rest) : ds_xstrdup(rest);
        if (!ds_digest_valid(d)) {
            ds_fail(err, "%s: bad image ID '%s' (want sha256: and 64 lowercase hex digits)", text, rest);
            free(d);
            return -1;
        }
        out->digest = d;
        return 0;
    }
    const char *at = strchr(rest, '@');
    char *name = at ? ds_xstrndup(rest, (size_t)(at - rest)) : ds_xstrdup(rest);
    int r = 0;
    if (at && !ds_digest_valid(at + 1))
        r = ds_fail(err, "%s: bad digest '%s' (want sha256: and 64 lowercase hex digits)", text, at + 1);
    if (r == 0) r = parse_name(text, name, out, err);
    if (r == 0 && at) {
        out->digest = ds_xstrdup(at + 1);
        /* NAME@DIGEST names one manifest; a tag given with it is only decoration. */
        const char *ls = strrchr(name, '/');
        if (!strchr(ls ? ls : name, ':')) { free(out->tag); out->tag = NULL; }
    }
    free(name);
    return r;
}

int ds_ref_parse_engine(const char *text, ds_ref *out, ds_err *err) {
    bool dd = !strncmp(text, DD_PREFIX, strlen(DD_PREFIX));
    bool cs = !dd && !strncmp(text, CS_PREFIX, strlen(CS_PREFIX));
    if (!dd && !cs) return 1;
    memset(out, 0, sizeof *out);
    out->transport = dd ? DS_T_DOCKER_DAEMON : DS_T_CONTAINERS_STORAGE;
    int r = dd ? parse_daemon(text, text + strlen(DD_PREFIX), out, err)
               : parse_storage(text, text + strlen(CS_PREFIX), out, err);
    if (r < 0) { ds_ref_free(out); return -1; }
    return 0;
}

char *ds_ref_engine_name(const ds_ref *ref) {
    if (!ref->repo) return ds_xstrdup(ref->digest ? ref->digest : "");
    if (ref->digest) return ds_xasprintf("%s@%s", ref->repo, ref->digest);
    return ds_xasprintf("%s:%s", ref->repo, ref->tag ? ref->tag : "latest");
}

char *ds_ref_format_engine(const ds_ref *ref) {
    if (ref->transport != DS_T_DOCKER_DAEMON && ref->transport != DS_T_CONTAINERS_STORAGE) return NULL;
    /* NAME:TAG@DIGEST keeps the decoration tag, so the text parses back to the same ref;
     * the engine itself is asked for NAME@DIGEST (ds_ref_engine_name). */
    char *name = ref->repo && ref->digest && ref->tag ? ds_xasprintf("%s:%s@%s", ref->repo, ref->tag, ref->digest)
                                                      : ds_ref_engine_name(ref);
    char *out;
    if (ref->transport == DS_T_DOCKER_DAEMON) out = ds_xasprintf(DD_PREFIX "%s", name);
    else out = ds_xasprintf(CS_PREFIX "%s%s%s%s", ref->host ? "[" : "", ref->host ? ref->host : "", ref->host ? "]" : "", name);
    free(name);
    return out;
}

/* [DRIVER@]ROOT[+RUNROOT][:OPTION,...] */
int ds_storage_spec_parse(const char *spec, const char *what, ds_storage_spec *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    char *s = ds_xstrdup(spec);
    char *p = s;
    int r = 0;
    char *at = strchr(p, '@'), *slash = strchr(p, '/');
    if (at && (!slash || at < slash)) {
        *at = 0;
        out->driver = ds_xstrdup(p);
        p = at + 1;
        for (const char *q = out->driver; *q && r == 0; q++)
            if (!(isalnum((unsigned char)*q) || *q == '_' || *q == '-'))
                r = ds_fail(err, "%s: bad storage driver '%s' in [%s]", what, out->driver, spec);
        if (r == 0 && !*out->driver) r = ds_fail(err, "%s: empty storage driver before '@' in [%s]", what, spec);
    }
    char *colon = r == 0 ? strchr(p, ':') : NULL;
    size_t n_opts = 0;
    out->options = ds_xcalloc(1, sizeof *out->options);
    if (colon) {
        *colon = 0;
        char *save = NULL;
        for (char *o = strtok_r(colon + 1, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
            out->options = ds_xrealloc(out->options, (n_opts + 2) * sizeof *out->options);
            out->options[n_opts++] = ds_xstrdup(o);
            out->options[n_opts] = NULL;
        }
    }
    char *plus = r == 0 ? strchr(p, '+') : NULL;
    if (plus) { *plus = 0; out->runroot = ds_xstrdup(plus + 1); }
    if (r == 0 && *p) out->root = ds_xstrdup(p);
    if (r == 0 && out->root && out->root[0] != '/')
        r = ds_fail(err, "%s: the storage root '%s' in [%s] is not an absolute path", what, out->root, spec);
    if (r == 0 && out->runroot && out->runroot[0] != '/')
        r = ds_fail(err, "%s: the run root '%s' in [%s] is not an absolute path", what, out->runroot, spec);
    if (r == 0 && !out->driver && !out->root && !out->runroot && !n_opts)
        r = ds_fail(err, "%s: empty storage spec []: write [[DRIVER@]ROOT[+RUNROOT][:OPTIONS]] or leave it out", what);
    free(s);
    if (r < 0) ds_storage_spec_free(out);
    return r;
}

void ds_storage_spec_free(ds_storage_spec *s) {
    if (!s) return;
    free(s->driver); free(s->root); free(s->runroot);
    for (size_t i = 0; s->options && s->options[i]; i++) free(s->options[i]);
    free(s->options);
    memset(s, 0, sizeof *s);
}
