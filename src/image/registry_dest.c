/* docker:// as a destination: blobs first (skipped when the registry has them), the manifest
 * last. The manifest PUT is the atomic step, so commit and abort have nothing to do. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include "image/registry.h"
#include "image/transport.h"

typedef struct reg_dst {
    ds_reg_client *c;
    char *name; /* "docker://host/repo" for messages */
} reg_dst;

static int answer_error(const char *what, const ds_reg_resp *resp, ds_err *err) {
    char *t = ds_reg_error_text(resp);
    int r = resp->status == 403 ? ds_fail(err, "%s: access denied (%s)", what, t)
                                : ds_fail(err, "%s: the registry answered %s", what, t);
    free(t);
    return r;
}

/* HEAD: 1 the registry has it, 0 not, -1 error. */
static int blob_exists(reg_dst *p, const ds_desc *desc, ds_err *err) {
    char *url = ds_reg_url(p->c, "blobs", desc->digest);
    ds_reg_req rq = {.method = "HEAD", .url = url, .out_fd = -1, .follow = true};
    ds_reg_resp resp = {0};
    int r = ds_reg_request(p->c, &rq, &resp, err);
    free(url);
    if (r == 0) {
        if (resp.status == 200) r = (resp.content_length < 0 || resp.content_length == desc->size) ? 1 : 0;
        else if (resp.status == 404) r = 0;
        else r = answer_error("HEAD blob", &resp, err);
    }
    ds_reg_resp_free(&resp);
    return r;
}

static int dst_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    reg_dst *p = d->priv;
    if (!ds_digest_valid(desc->digest))
        return ds_fail(err, "%s: unsupported or malformed blob digest '%s'", p->name, desc->digest);
    int have = blob_exists(p, desc, err);
    if (have < 0) return ds_err_wrap(err, "%s: blob %s", p->name, desc->digest);
    if (have) return 0;

    /* Pulled from another repository of this registry in this run: ask for a mount. A registry
     * that cannot mount answers 202 with an upload session, which we then use as usual; one
     * that refuses it (no pull right on the source) gets a plain upload request instead. */
    char *from = ds_reg_find_origin(p->c->endpoint, desc->digest, p->c->repo);
    ds_reg_resp resp = {0};
    char *put_url = NULL;
    int r;
    for (;;) {
        char *url = ds_reg_url(p->c, "blobs/uploads/", NULL);
        if (from) {
            char *dg = curl_easy_escape(NULL, desc->digest, 0), *fr = curl_easy_escape(NULL, from, 0);
            char *m = ds_xasprintf("%s?mount=%s&from=%s", url, dg, fr);
            curl_free(dg); curl_free(fr);
            free(url);
            url = m;
        }
        ds_reg_req rq = {.method = "POST", .url = url, .out_fd = -1};
        r = ds_reg_request(p->c, &rq, &resp, err);
        free(url);
        if (!from || (r == 0 && (resp.status == 201 || resp.status == 202))) break;
        free(from);
        from = NULL;
        ds_reg_resp_free(&resp);
    }
    free(from);
    if (r < 0) goto fail;
    if (resp.status == 201) { /* mounted */
        if (resp.docker_digest && strcmp(resp.docker_digest, desc->digest)) {
            r = ds_fail(err, "the registry mounted %s instead", resp.docker_digest);
            goto fail;
        }
        ds_reg_resp_free(&resp);
        return 0;
    }
    if (resp.status != 202 || !resp.location) {
        r = answer_error(resp.status == 202 ? "upload start without a Location" : "upload start", &resp, err);
        goto fail;
    }
    char *loc = ds_reg_resolve_location(p->c, resp.location);
    if (!loc) { r = ds_fail(err, "upload start: unusable Location '%.200s'", resp.location); goto fail; }
    char *esc = curl_easy_escape(NULL, desc->digest, 0);
    put_url = ds_xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", esc);
    curl_free(esc);
    free(loc);
    ds_reg_resp_free(&resp);

    char label[48];
    snprintf(label, sizeof label, "Pushing blob %.19s", desc->digest);
    ds_reg_req put = {.method = "PUT", .url = put_url, .out_fd = -1, .upload_path = path,
                      .content_type = "application/octet-stream", .progress = label};
    r = ds_reg_request(p->c, &put, &resp, err);
    if (r < 0) goto fail;
    if (resp.status != 201 && resp.status != 204) { r = answer_error("upload", &resp, err); goto fail; }
    if (resp.docker_digest && !strncmp(resp.docker_digest, "sha256:", 7) && strcmp(resp.docker_digest, desc->digest)) {
        r = ds_fail(err, "the registry stored it as %s", resp.docker_digest);
        goto fail;
    }
    free(put_url);
    ds_reg_resp_free(&resp);
    return 0;
fail:
    free(put_url);
    ds_reg_resp_free(&resp);
    return ds_err_wrap(err, "%s: blob %s", p->name, desc->digest);
}

static int dst_put_manifest(ds_dest *d, const char *raw, size_t len, const char *media_type, ds_err *err) {
    reg_dst *p = d->priv;
    char dg[DS_DIGEST_LEN + 1];
    ds_sha256_buf(raw, len, dg);
    /* REPO:TAG@DIGEST: the digest is checked, the tag is what gets pushed. */
    const char *target = d->ref.tag ? d->ref.tag : d->ref.digest ? d->ref.digest : "latest";
    char *what = ds_xasprintf("%s%s%s", p->name, d->ref.tag || !d->ref.digest ? ":" : "@", target);
    int r = 0;
    if (d->ref.digest && strcmp(d->ref.digest, dg)) {
        r = ds_fail(err, "%s: the manifest's digest is %s, not the one named", what, dg);
        free(what);
        return r;
    }
    char *url = ds_reg_url(p->c, "manifests", target);
    ds_reg_req rq = {.method = "PUT", .url = url, .out_fd = -1, .body = raw, .body_len = len,
                     .content_type = media_type ? media_type : DS_MT_OCI_MANIFEST};
    ds_reg_resp resp = {0};
    r = ds_reg_request(p->c, &rq, &resp, err);
    free(url);
    if (r < 0) ds_err_wrap(err, "%s", what);
    else if (resp.status != 201 && resp.status != 200 && resp.status != 204) {
        char *t = ds_reg_error_text(&resp);
        r = ds_fail(err, "%s: manifest push refused: %s", what, t);
        free(t);
    } else if (resp.docker_digest && !strncmp(resp.docker_digest, "sha256:", 7) && strcmp(resp.docker_digest, dg))
        r = ds_fail(err, "%s: the registry stored the manifest as %s, expected %s", what, resp.docker_digest, dg);
    ds_reg_resp_free(&resp);
    free(what);
    return r;
}

static void dst_free(ds_dest *d) {
    reg_dst *p = d->priv;
    if (!p) return;
    ds_reg_client_free(p->c);
    free(p->name);
    free(p);
    d->priv = NULL;
}

/* The manifest PUT already made the image visible; nothing is staged. */
static int dst_commit(ds_dest *d, ds_err *err) {
    (void)err;
    dst_free(d);
    return 0;
}

/* Uploaded blobs that no manifest names are the registry's garbage to collect. */
static void dst_abort(ds_dest *d) { dst_free(d); }

static const ds_dest_ops reg_dest_ops = {
    .put_blob = dst_put_blob,
    .put_manifest = dst_put_manifest,
    .commit = dst_commit,
    .abort = dst_abort,
};

int ds_registry_dest_open(ds_dest *d, ds_err *err) {
    const ds_ref *ref = &d->ref;
    reg_dst *p = ds_xcalloc(1, sizeof *p);
    p->name = ds_xasprintf("docker://%s/%s", ref->host ? ref->host : "", ref->repo ? ref->repo : "");
    if (ds_reg_client_open(&p->c, ref, d->opts.dest_tls_verify, d->opts.dest_creds,
                           "--dest-creds", d->opts.authfile, "pull,push", err) < 0) {
        ds_err_wrap(err, "%s", p->name);
        free(p->name);
        free(p);
        return -1;
    }
    d->priv = p;
    d->ops = &reg_dest_ops;
    return 0;
}
