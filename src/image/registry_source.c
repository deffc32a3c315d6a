/* docker:// as a source: manifests by tag or digest, blobs downloaded to verified temp files. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/registry.h"
#include "image/transport.h"
#include "util/fsutil.h"

#define MANIFEST_ACCEPT DS_MT_OCI_MANIFEST ", " DS_MT_OCI_INDEX ", " DS_MT_DOCKER_MANIFEST ", " DS_MT_DOCKER_LIST
#define MANIFEST_MAX (4u << 20)

typedef struct reg_src {
    ds_reg_client *c;
    char *name; /* "docker://host/repo" for messages */
} reg_src;

static bool known_manifest_type(const char *mt) {
    return !strcmp(mt, DS_MT_OCI_MANIFEST) || !strcmp(mt, DS_MT_OCI_INDEX) ||
           !strcmp(mt, DS_MT_DOCKER_MANIFEST) || !strcmp(mt, DS_MT_DOCKER_LIST);
}

/* The media type: Content-Type when it is a manifest type, else the document's mediaType,
 * else what its shape says (an index has "manifests"). */
static char *manifest_type(const char *content_type, const char *raw, size_t len) {
    if (content_type) {
        char *mt = ds_xstrndup(content_type, strcspn(content_type, "; "));
        if (known_manifest_type(mt)) return mt;
        free(mt);
    }
    json_t *j = json_loadb(raw, len, 0, NULL);
    const char *m = json_string_value(json_object_get(j, "mediaType"));
    char *out = ds_xstrdup(m && *m ? m : json_object_get(j, "manifests") ? DS_MT_OCI_INDEX : DS_MT_OCI_MANIFEST);
    json_decref(j);
    return out;
}

/* 404 and friends, worded for people. */
static int answer_error(const char *what, const ds_reg_resp *resp, ds_err *err) {
    char *t = ds_reg_error_text(resp);
    int r;
    if (resp->status == 404 && resp->body && strstr(resp->body, "NAME_UNKNOWN"))
        r = ds_fail(err, "%s: repository not found (%s)", what, t);
    else if (resp->status == 404)
        r = ds_fail(err, "%s: not found (%s)", what, t);
    else if (resp->status == 403)
        r = ds_fail(err, "%s: access denied (%s)", what, t);
    else
        r = ds_fail(err, "%s: the registry answered %s", what, t);
    free(t);
    return r;
}

static int src_get_manifest(ds_source *s, const char *digest, char **raw, size_t *len,
                            char **media_type, ds_err *err) {
    reg_src *p = s->priv;
    const ds_ref *ref = s->ref;
    const char *want = digest ? digest : ref->digest ? ref->digest : ref->tag ? ref->tag : "latest";
    bool by_digest = digest || ref->digest;
    if (by_digest && !ds_digest_valid(want))
        return ds_fail(err, "%s: unsupported or malformed digest '%s' (sha256 only)", p->name, want);
    char *what = ds_xasprintf("%s%s%s", p->name, by_digest ? "@" : ":", want);
    char *url = ds_reg_url(p->c, "manifests", want);
    ds_reg_req rq = {.method = "GET", .url = url, .accept = MANIFEST_ACCEPT, .out_fd = -1,
                     .max_body = MANIFEST_MAX};
    ds_reg_resp resp = {0};
    int r = ds_reg_request(p->c, &rq, &resp, err);
    free(url);
    if (r < 0) { ds_err_wrap(err, "%s", what); goto out; }
    if (resp.status == 404 && !(resp.body && strstr(resp.body, "NAME_UNKNOWN"))) {
        r = ds_fail(err, "%s: manifest unknown (HTTP 404)", what);
        goto out;
    }
    if (resp.status != 200) { r = answer_error(what, &resp, err); goto out; }
    if (!resp.body || !resp.len) { r = ds_fail(err, "%s: the registry sent an empty manifest", what); goto out; }
    char got[DS_DIGEST_LEN + 1];
    ds_sha256_buf(resp.body, resp.len, got);
    if (by_digest && strcmp(got, want)) {
        r = ds_fail(err, "%s: manifest digest mismatch: the registry sent %s", what, got);
        goto out;
    }
    if (resp.docker_digest && !strncmp(resp.docker_digest, "sha256:", 7) && strcmp(resp.docker_digest, got)) {
        r = ds_fail(err, "%s: manifest digest mismatch: Docker-Content-Digest says %s, the bytes are %s",
                    what, resp.docker_digest, got);
        goto out;
    }
    *media_type = manifest_type(resp.content_type, resp.body, resp.len);
    *raw = resp.body;
    *len = resp.len;
    resp.body = NULL;
    r = 0;
out:
    ds_reg_resp_free(&resp);
    free(what);
    return r;
}

static int src_blob_path(ds_source *s, const ds_desc *d, char **path, bool *is_temp, ds_err *err) {
    reg_src *p = s->priv;
    if (!ds_digest_valid(d->digest))
        return ds_fail(err, "%s: unsupported or malformed blob digest '%s'", p->name, d->digest);
    const char *dir = s->opts.tmpdir && *s->opts.tmpdir ? s->opts.tmpdir : ds_tmpdir();
    char *tmp = ds_xasprintf("%s/distill-blob-XXXXXX", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        ds_fail_errno(err, "%s: cannot create a temp file in %s", p->name, dir);
        free(tmp);
        return -1;
    }
    char *url = ds_reg_url(p->c, "blobs", d->digest);
    char label[48];
    snprintf(label, sizeof label, "Pulling blob %.19s", d->digest);
    ds_reg_req rq = {.method = "GET", .url = url, .out_fd = fd, .follow = true, .progress = label};
    ds_reg_resp resp = {0};
    int r = ds_reg_request(p->c, &rq, &resp, err);
    free(url);
    if (r < 0) ds_err_wrap(err, "%s: blob %s", p->name, d->digest);
    else if (resp.status != 200) {
        char *what = ds_xasprintf("%s: blob %s", p->name, d->digest);
        r = answer_error(what, &resp, err);
        free(what);
    } else if (d->size >= 0 && resp.bytes != (uint64_t)d->size)
        r = ds_fail(err, "%s: blob %s: size mismatch: expected %lld bytes, got %llu", p->name, d->digest,
                    (long long)d->size, (unsigned long long)resp.bytes);
    else if (strcmp(resp.digest, d->digest))
        r = ds_fail(err, "%s: blob %s: digest mismatch: the downloaded bytes are %s", p->name, d->digest,
                    resp.digest);
    /* Private while unverified; once verified, the mode blobs have everywhere else, because
     * destinations may hard-link this file into place (an OCI layout) rather than copy it. */
    if (r == 0 && fchmod(fd, 0644) != 0) r = ds_fail_errno(err, "%s: chmod %s", p->name, tmp);
    /* No fsync: a temp file that is read and removed needs no durability. */
    if (close(fd) != 0 && r == 0) r = ds_fail_errno(err, "%s: writing %s", p->name, tmp);
    ds_reg_resp_free(&resp);
    if (r < 0) { unlink(tmp); free(tmp); return -1; }
    ds_reg_note_origin(p->c->endpoint, p->c->repo, d->digest);
    *path = tmp;
    *is_temp = true;
    return 0;
}

static void src_close(ds_source *s) {
    reg_src *p = s->priv;
    if (!p) return;
    ds_reg_client_free(p->c);
    free(p->name);
    free(p);
    s->priv = NULL;
}

static const struct ds_source_ops reg_source_ops = {
    .get_manifest = src_get_manifest,
    .blob_path = src_blob_path,
    .close = src_close,
};

int ds_registry_source_open(ds_source *s, ds_err *err) {
    const ds_ref *ref = s->ref;
    reg_src *p = ds_xcalloc(1, sizeof *p);
    p->name = ds_xasprintf("docker://%s/%s", ref->host ? ref->host : "", ref->repo ? ref->repo : "");
    if (ds_reg_client_open(&p->c, ref, s->opts.src_tls_verify, s->opts.src_creds,
                           "--src-creds", s->opts.authfile, "pull", err) < 0) {
        ds_err_wrap(err, "%s", p->name);
        free(p->name);
        free(p);
        return -1;
    }
    s->priv = p;
    s->ops = &reg_source_ops;
    return 0;
}
