/* Image references in skopeo's spelling: TRANSPORT:REFERENCE. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "image/image.h"
#include "image/ref_engine.h"

void ds_ref_free(ds_ref *ref) {
    if (!ref) return;
    free(ref->path); free(ref->tag); free(ref->host); free(ref->repo); free(ref->digest);
    memset(ref, 0, sizeof *ref);
}

static const struct { const char *prefix; ds_transport t; } transports[] = {
    {"oci-archive:", DS_T_OCI_ARCHIVE},
    {"oci:", DS_T_OCI},
    {"docker-archive:", DS_T_DOCKER_ARCHIVE},
    {"docker://", DS_T_DOCKER},
    {"rootfs:", DS_T_ROOTFS},
};

/* Distribution spec: path components [a-z0-9]+ joined by '.', '_', '__' or '-'+. */
static int repo_valid(const char *r) {
    if (!*r || strlen(r) > 255) return 0;
    const char *p = r;
    for (;;) {
        const char *start = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - start);
        if (n == 0) return 0;
        if (!islower((unsigned char)start[0]) && !isdigit((unsigned char)start[0])) return 0;
        if (!islower((unsigned char)p[-1]) && !isdigit((unsigned char)p[-1])) return 0;
        for (const char *q = start; q < p; q++) {
            unsigned char c = (unsigned char)*q;
            if (islower(c) || isdigit(c)) continue;
            if (c == '-') continue;
            if (c == '.' || c == '_') {
                /* '.', '_' or '__' between alphanumerics */
                if (c == '.' && (q[1] == '.' || q[1] == '_' || q[1] == '-')) return 0;
                if (c == '_' && q[1] == '_' && q + 2 < p && (q[2] == '_' || q[2] == '.')) return 0;
                continue;
            }
            return 0;
        }
        if (!*p) return 1;
        p++;
    }
}

static int tag_valid(const char *t) {
    size_t n = strlen(t);
    if (n == 0 || n > 128) return 0;
    if (!(isalnum((unsigned char)t[0]) || t[0] == '_')) return 0;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!(isalnum(c) || c == '_' || c == '.' || c == '-')) return 0;
    }
    return 1;
}

static int host_valid(const char *h) {
    if (!*h) return 0;
    const char *colon = strrchr(h, ':');
    const char *end = h + strlen(h);
    if (h[0] == '[') { /* [ipv6]:port */
        const char *rb = strchr(h, ']');
        if (!rb) return 0;
        colon = rb[1] == ':' ? rb + 1 : NULL;
        if (rb[1] && !colon) return 0;
    }
    if (colon) {
        if (!colon[1] || colon[1] == '0') return 0;
        long port = 0;
        for (const char *p = colon + 1; *p; p++) {
            if (!isdigit((unsigned char)*p)) return 0;
            port = port * 10 + (*p - '0');
            if (port > 65535) return 0;
        }
        end = colon;
    }
    if (h[0] == '[') return 1;
    for (const char *p = h; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '.' || c == '-')) return 0;
    }
    return end > h;
}

/* docker://HOST[:PORT]/REPO[:TAG][@sha256:HEX] */
static int parse_docker(const char *text, const char *rest, ds_ref *out, ds_err *err) {
    if (!*rest) return ds_fail(err, "%s: no image named; write docker://HOST[:PORT]/REPO[:TAG]", text);
    const char *slash = strchr(rest, '/');
    /* The first component is a host only if it looks like one (skopeo's rule): a dot, a port or localhost. */
    if (!slash || !(memchr(rest, '.', (size_t)(slash - rest)) || memchr(rest, ':', (size_t)(slash - rest)) ||
                    (slash - rest == 9 && !strncmp(rest, "localhost", 9)) || rest[0] == '[')) {
        return ds_fail(err, "%s: no registry host; write docker://HOST[:PORT]/REPO[:TAG], e.g. docker://127.0.0.1:5000/%s",
                       text, rest);
    }
    char *host = ds_xstrndup(rest, (size_t)(slash - rest));
    if (!host_valid(host)) { ds_fail(err, "%s: bad registry host '%s'", text, host); free(host); return -1; }
    char *name = ds_xstrdup(slash + 1);
    char *digest = NULL, *tag = NULL;
    char *at = strchr(name, '@');
    if (at) {
        *at = 0;
        if (!ds_digest_valid(at + 1)) {
            ds_fail(err, "%s: bad digest '%s' (want sha256: and 64 lowercase hex digits)", text, at + 1);
            free(host); free(name); return -1;
        }
        digest = ds_xstrdup(at + 1);
    }
    char *lastslash = strrchr(name, '/');
    char *colon = strrchr(lastslash ? lastslash : name, ':');
    if (colon) {
        *colon = 0;
        if (!tag_valid(colon + 1)) {
            ds_fail(err, "%s: bad tag '%s' (letters, digits, '_', '.', '-'; at most 128)", text, colon + 1);
            free(host); free(name); free(digest); return -1;
        }
        tag = ds_xstrdup(colon + 1);
    }
    if (!repo_valid(name)) {
        ds_fail(err, "%s: bad repository name '%s' (lowercase letters, digits and separators)", text, name);
        free(host); free(name); free(digest); free(tag); return -1;
    }
    if (!tag && !digest) tag = ds_xstrdup("latest");
    out->host = host; out->repo = name; out->tag = tag; out->digest = digest;
    return 0;
}

int ds_ref_parse(const char *text, ds_ref *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    if (!text || !*text) return ds_fail(err, "empty image reference");
    int er = ds_ref_parse_engine(text, out, err); /* docker-daemon:, containers-storage: */
    if (er <= 0) return er;
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof transports / sizeof *transports; i++) {
        size_t n = strlen(transports[i].prefix);
        if (!strncmp(text, transports[i].prefix, n)) { out->transport = transports[i].t; rest = text + n; break; }
    }
    if (!rest) {
        const char *c = strchr(text, ':');
        if (c && strncmp(text, "docker:", 7))
            return ds_fail(err, "%s: unknown transport '%.*s' (use oci:, oci-archive:, docker-archive:, docker://, docker-daemon:, containers-storage: or rootfs:)",
                           text, (int)(c - text), text);
        return ds_fail(err, "%s: no transport; name images as oci:PATH[:REF], oci-archive:PATH[:REF], "
                            "docker-archive:PATH[:REPO:TAG], docker://HOST/REPO[:TAG], docker-daemon:NAME[:TAG], "
                            "containers-storage:NAME[:TAG] or rootfs:DIR", text);
    }
    if (out->transport == DS_T_DOCKER) {
        if (parse_docker(text, rest, out, err) < 0) { ds_ref_free(out); return -1; }
        return 0;
    }
    /* Local transports: PATH, then optionally ':' and a name (split at the first colon, as skopeo does). */
    const char *colon = out->transport == DS_T_ROOTFS ? NULL : strchr(rest, ':');
    size_t plen = colon ? (size_t)(colon - rest) : strlen(rest);
    if (plen == 0) return ds_fail(err, "%s: no path", text);
    /* "dir/" and "dir" are one place (temp names are made beside the last component). */
    while (plen > 1 && rest[plen - 1] == '/') plen--;
    out->path = ds_xstrndup(rest, plen);
    if (colon) {
        const char *name = colon + 1;
        if (!*name) { ds_ref_free(out); return ds_fail(err, "%s: empty name after ':'", text); }
        if (out->transport == DS_T_DOCKER_ARCHIVE) {
            /* REPO[:TAG]; the tag defaults to latest. A digest is not a name here. */
            if (strchr(name, '@')) { ds_ref_free(out); return ds_fail(err, "%s: docker-archive names are REPO:TAG, not digests", text); }
            const char *ls = strrchr(name, '/');
            const char *tc = strrchr(ls ? ls : name, ':');
            char *repo = ds_xstrndup(name, tc ? (size_t)(tc - name) : strlen(name));
            /* The repo may start with a registry host ("localhost:5000/x"); check the path part only. */
            const char *rp = repo;
            const char *fs = strchr(repo, '/');
            if (fs && (memchr(repo, '.', (size_t)(fs - repo)) || memchr(repo, ':', (size_t)(fs - repo)) ||
                       !strncmp(repo, "localhost/", 10))) rp = fs + 1;
            int okrepo = repo_valid(rp);
            free(repo);
            if (!okrepo) { ds_ref_free(out); return ds_fail(err, "%s: bad repository name in '%s'", text, name); }
            if (tc && !tag_valid(tc + 1)) { ds_ref_free(out); return ds_fail(err, "%s: bad tag '%s'", text, tc + 1); }
            out->tag = tc ? ds_xstrdup(name) : ds_xasprintf("%s:latest", name);
        } else {
            /* OCI ref names: the image-spec's grammar, roughly (letters, digits and -._:@/+ ). */
            for (const char *p = name; *p; p++) {
                unsigned char ch = (unsigned char)*p;
                if (!(isalnum(ch) || strchr("-._:@/+", ch))) {
                    ds_ref_free(out);
                    return ds_fail(err, "%s: bad character '%c' in the ref name", text, ch);
                }
            }
            out->tag = ds_xstrdup(name);
        }
    }
    return 0;
}

char *ds_ref_format(const ds_ref *ref) {
    char *engine = ds_ref_format_engine(ref);
    if (engine) return engine;
    switch (ref->transport) {
    case DS_T_OCI: return ref->tag ? ds_xasprintf("oci:%s:%s", ref->path, ref->tag) : ds_xasprintf("oci:%s", ref->path);
    case DS_T_OCI_ARCHIVE:
        return ref->tag ? ds_xasprintf("oci-archive:%s:%s", ref->path, ref->tag) : ds_xasprintf("oci-archive:%s", ref->path);
    case DS_T_DOCKER_ARCHIVE:
        return ref->tag ? ds_xasprintf("docker-archive:%s:%s", ref->path, ref->tag) : ds_xasprintf("docker-archive:%s", ref->path);
    case DS_T_ROOTFS: return ds_xasprintf("rootfs:%s", ref->path);
    case DS_T_DOCKER:
        return ds_xasprintf("docker://%s/%s%s%s%s%s", ref->host, ref->repo, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                            ref->digest ? "@" : "", ref->digest ? ref->digest : "");
    default: break;
    }
    return ds_xstrdup("?");
}
