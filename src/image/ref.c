/* Image references in skopeo's spelling: TRANSPORT:REFERENCE. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "image/image.h"
#include "image/ref_engine.h"
#include "image/ref_grammar.h"

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

/* NAME = [DOMAIN/]PATH[:TAG] checked against the grammar (ref_grammar.h); the domain is
 * required for docker://, optional for docker-archive names. On success *tag_at points
 * at the ':' before the tag (or NULL). */
static int name_check(const char *text, const char *name, bool need_domain, const char **tag_at, ds_err *err) {
    size_t dl = ds_ref_domain_len(name);
    if (need_domain && !dl)
        return ds_fail(err, "%s: no registry host; write docker://HOST[:PORT]/REPO[:TAG], e.g. docker://127.0.0.1:5000/%s",
                       text, name);
    if (dl && !ds_ref_domain_valid(name, dl)) return ds_fail(err, "%s: bad registry host '%.*s'", text, (int)dl, name);
    const char *path = dl ? name + dl + 1 : name;
    const char *ls = strrchr(path, '/');
    const char *colon = strrchr(ls ? ls : path, ':');
    size_t plen = colon ? (size_t)(colon - path) : strlen(path);
    if (!ds_ref_path_valid(path, plen) || dl + 1 + plen > DS_REF_NAME_MAX)
        return ds_fail(err, "%s: bad repository name '%.*s' (lowercase letters and digits, joined by '.', '_', '__', '-' "
                            "or '/'; at most %d characters with the host)", text, (int)plen, path, DS_REF_NAME_MAX);
    if (colon && !ds_ref_tag_valid(colon + 1, strlen(colon + 1)))
        return ds_fail(err, "%s: bad tag '%s' (letters, digits, '_', '.', '-', not starting with '.' or '-'; at most %d)",
                       text, colon + 1, DS_REF_TAG_MAX);
    *tag_at = colon;
    return 0;
}

/* docker://HOST[:PORT]/REPO[:TAG][@sha256:HEX] */
static int parse_docker(const char *text, const char *rest, ds_ref *out, ds_err *err) {
    if (!*rest) return ds_fail(err, "%s: no image named; write docker://HOST[:PORT]/REPO[:TAG]", text);
    char *name = ds_xstrdup(rest);
    char *at = strchr(name, '@');
    if (at) {
        *at = 0;
        if (!ds_digest_valid(at + 1)) {
            ds_fail(err, "%s: bad digest '%s' (want sha256: and 64 lowercase hex digits)", text, at + 1);
            free(name);
            return -1;
        }
        out->digest = ds_xstrdup(at + 1);
    }
    const char *colon;
    if (name_check(text, name, true, &colon, err) < 0) { free(name); return -1; }
    size_t dl = ds_ref_domain_len(name);
    out->host = ds_xstrndup(name, dl);
    out->repo = ds_xstrndup(name + dl + 1, colon ? (size_t)(colon - name - dl - 1) : strlen(name + dl + 1));
    if (colon) out->tag = ds_xstrdup(colon + 1);
    else if (!out->digest) out->tag = ds_xstrdup("latest");
    free(name);
    return 0;
}

/* oci:PATH@ALGO:HEX: an '@' followed by something that looks like "algorithm:" */
static const char *digest_suffix(const char *rest) {
    const char *at = strrchr(rest, '@');
    if (!at) return NULL;
    const char *p = at + 1;
    while (*p && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("+._-", *p))) p++;
    return p > at + 1 && *p == ':' ? at : NULL;
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
    /* Local transports: PATH, then optionally ':' and a name (split at the first colon, as skopeo
     * does), or for oci/oci-archive '@' and a manifest digest. */
    const char *at = out->transport == DS_T_OCI || out->transport == DS_T_OCI_ARCHIVE ? digest_suffix(rest) : NULL;
    const char *colon = out->transport == DS_T_ROOTFS || at ? NULL : strchr(rest, ':');
    size_t plen = at ? (size_t)(at - rest) : colon ? (size_t)(colon - rest) : strlen(rest);
    if (plen == 0) return ds_fail(err, "%s: no path", text);
    /* "dir/" and "dir" are one place (temp names are made beside the last component). */
    while (plen > 1 && rest[plen - 1] == '/') plen--;
    out->path = ds_xstrndup(rest, plen);
    if (!at && colon && (out->transport == DS_T_OCI || out->transport == DS_T_OCI_ARCHIVE)) {
        /* "oci:DIR@sha256/:x" trimmed to DIR@sha256 would read back as a digest: refuse the ambiguity. */
        char *t = ds_xasprintf("%s:", out->path);
        bool amb = digest_suffix(t) != NULL;
        free(t);
        if (amb) { ds_ref_free(out); return ds_fail(err, "%s: ambiguous: the path ends like a digest ('@ALGO'); rename it", text); }
    }
    if (at) {
        if (!ds_digest_valid(at + 1)) {
            ds_ref_free(out);
            return ds_fail(err, "%s: bad digest '%s' (want sha256: and 64 lowercase hex digits)", text, at + 1);
        }
        out->digest = ds_xstrdup(at + 1);
        return 0;
    }
    if (colon) {
        const char *name = colon + 1;
        if (!*name) { ds_ref_free(out); return ds_fail(err, "%s: empty name after ':'", text); }
        if (out->transport == DS_T_DOCKER_ARCHIVE) {
            /* [HOST/]REPO[:TAG]; the tag defaults to latest. A digest is not a name here. */
            if (strchr(name, '@')) { ds_ref_free(out); return ds_fail(err, "%s: docker-archive names are REPO:TAG, not digests", text); }
            const char *tc;
            if (name_check(text, name, false, &tc, err) < 0) { ds_ref_free(out); return -1; }
            out->repo = ds_xstrndup(name, tc ? (size_t)(tc - name) : strlen(name));
            out->tag = ds_xstrdup(tc ? tc + 1 : "latest");
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

char *ds_ref_docker_name(const ds_ref *ref) {
    if (!ref->repo) return NULL;
    return ds_xasprintf("%s:%s", ref->repo, ref->tag ? ref->tag : "latest");
}

char *ds_ref_format(const ds_ref *ref) {
    char *engine = ds_ref_format_engine(ref);
    if (engine) return engine;
    switch (ref->transport) {
    case DS_T_OCI:
    case DS_T_OCI_ARCHIVE: {
        const char *t = ref->transport == DS_T_OCI ? "oci" : "oci-archive";
        if (ref->digest) return ds_xasprintf("%s:%s@%s", t, ref->path, ref->digest);
        return ref->tag ? ds_xasprintf("%s:%s:%s", t, ref->path, ref->tag) : ds_xasprintf("%s:%s", t, ref->path);
    }
    case DS_T_DOCKER_ARCHIVE:
        return ref->repo ? ds_xasprintf("docker-archive:%s:%s:%s", ref->path, ref->repo, ref->tag)
                         : ds_xasprintf("docker-archive:%s", ref->path);
    case DS_T_ROOTFS: return ds_xasprintf("rootfs:%s", ref->path);
    case DS_T_DOCKER:
        return ds_xasprintf("docker://%s/%s%s%s%s%s", ref->host, ref->repo, ref->tag ? ":" : "", ref->tag ? ref->tag : "",
                            ref->digest ? "@" : "", ref->digest ? ref->digest : "");
    default: break;
    }
    return ds_xstrdup("?");
}
