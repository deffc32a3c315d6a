/* distill list-tags: the names an image location holds, as skopeo list-tags prints them
 * ({"Repository": ..., "Tags": [...]}): the ref names of an oci: layout or oci-archive (index.json),
 * the RepoTags of a docker-archive (manifest.json), the tags of a registry repository (the
 * distribution API's tags/list, following its Link pagination). Nothing is extracted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image/blob.h"
#include "image/list_tags.h"
#include "image/manifest.h"
#include "image/registry.h"
#include "util/fsutil.h"

#define MAX_PAGES 10000

static void add_unique(json_t *tags, const char *t) {
    size_t i;
    json_t *v;
    json_array_foreach(tags, i, v) if (!strcmp(json_string_value(v), t)) return;
    json_array_append_new(tags, json_string(t));
}

static int index_names(const char *raw, size_t len, const char *what, json_t *tags, ds_err *err) {
    json_t *idx = json_loadb(raw, len, 0, NULL);
    json_t *ms = json_object_get(idx, "manifests");
    if (!json_is_array(ms)) { json_decref(idx); return ds_fail(err, "%s: index.json is not a valid OCI index", what); }
    size_t i;
    json_t *e;
    json_array_foreach(ms, i, e) {
        const char *rn = json_string_value(json_object_get(json_object_get(e, "annotations"), DS_ANN_REF_NAME));
        if (rn) add_unique(tags, rn);
    }
    json_decref(idx);
    return 0;
}

static int layout_tags(const char *dir, const char *what, json_t *tags, ds_err *err) {
    char *lp = ds_xasprintf("%s/oci-layout", dir), *ip = ds_xasprintf("%s/index.json", dir);
    char *raw = NULL;
    size_t len = 0;
    int r = 0;
    if (!ds_exists(lp)) r = ds_exists(dir) ? ds_fail(err, "%s: not an OCI image layout (no oci-layout file)", what)
                                           : ds_fail(err, "%s: no such directory", what);
    else if (ds_read_file(ip, &raw, &len, DS_MAX_MANIFEST, err) < 0) r = ds_err_wrap(err, "%s", what);
    else r = index_names(raw, len, what, tags, err);
    free(raw); free(lp); free(ip);
    return r;
}

static int docker_archive_tags(const char *path, const char *what, json_t *tags, ds_err *err) {
    char *raw = NULL;
    size_t len = 0;
    if (ds_tar_read_entry(path, "manifest.json", what, "a docker archive", &raw, &len, err) < 0) return -1;
    json_t *j = json_loadb(raw, len, 0, NULL);
    free(raw);
    if (!json_is_array(j)) { json_decref(j); return ds_fail(err, "%s: manifest.json is not an array of images", what); }
    size_t i, k;
    json_t *img, *t;
    json_array_foreach(j, i, img) json_array_foreach(json_object_get(img, "RepoTags"), k, t)
        if (json_is_string(t)) add_unique(tags, json_string_value(t));
    json_decref(j);
    return 0;
}

/* "<URL>; rel="next"" -> URL (resolved against the registry), or NULL. */
static char *next_link(const ds_reg_client *c, const char *link) {
    if (!link || !strstr(link, "rel=\"next\"")) return NULL;
    const char *lt = strchr(link, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (!gt) return NULL;
    char *u = ds_xstrndup(lt + 1, (size_t)(gt - lt - 1));
    char *abs = ds_reg_resolve_location(c, u);
    free(u);
    return abs;
}

static int registry_tags(const ds_ref *ref, const ds_opts *o, const char *what, json_t *tags, char **repository, ds_err *err) {
    ds_reg_client *c = NULL;
    if (ds_reg_client_open(&c, ref, o->src_tls_verify, o->src_creds, "--creds", o->authfile, "pull", err) < 0)
        return ds_err_wrap(err, "%s", what);
    *repository = ds_xasprintf("%s/%s", ref->host, c->repo);
    const char *ps = getenv("DISTILL_TAGS_PAGE_SIZE"); /* tests: small pages exercise pagination */
    long page = ps && *ps ? strtol(ps, NULL, 10) : 1000;
    if (page < 1 || page > 10000) page = 1000;
    char *base = ds_reg_url(c, "tags/list", NULL);
    char *url = ds_xasprintf("%s?n=%ld", base, page);
    free(base);
    int r = 0;
    for (int pages = 0; url && r == 0; pages++) {
        if (pages == MAX_PAGES) { r = ds_fail(err, "%s: more than %d pages of tags", what, MAX_PAGES); break; }
        ds_reg_req rq = {.method = "GET", .url = url, .accept = "application/json", .out_fd = -1, .max_body = 16u << 20};
        ds_reg_resp resp = {0};
        r = ds_reg_request(c, &rq, &resp, err);
        if (r < 0) ds_err_wrap(err, "%s", what);
        else if (resp.status != 200) {
            char *t = ds_reg_error_text(&resp);
            r = resp.status == 404 ? ds_fail(err, "%s: repository not found (%s)", what, t)
                : resp.status == 403 ? ds_fail(err, "%s: access denied (%s)", what, t)
                : ds_fail(err, "%s: the registry answered %s", what, t);
            free(t);
        } else {
            json_t *j = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
            json_t *ts = json_object_get(j, "tags");
            if (!json_is_object(j) || !(json_is_array(ts) || json_is_null(ts) || !ts))
                r = ds_fail(err, "%s: the registry's tag list is not {\"name\", \"tags\": [...]}", what);
            size_t i;
            json_t *t;
            json_array_foreach(ts, i, t) if (json_is_string(t) && r == 0) add_unique(tags, json_string_value(t));
            json_decref(j);
        }
        free(url);
        url = r == 0 ? next_link(c, resp.link) : NULL;
        ds_reg_resp_free(&resp);
    }
    free(url);
    ds_reg_client_free(c);
    return r;
}

int ds_list_tags(const char *ref_text, const ds_opts *opts, json_t **out, ds_err *err) {
    ds_opts defaults;
    if (!opts) { ds_opts_init(&defaults); opts = &defaults; }
    ds_ref ref;
    if (ds_ref_parse(ref_text, &ref, err) < 0) return -1;
    int r = 0;
    char *repository = NULL;
    json_t *tags = json_array();
    const char *slash = ref.transport == DS_T_DOCKER ? strrchr(ref_text, '/') : NULL;
    if (ref.transport == DS_T_DOCKER && slash && strpbrk(slash, ":@"))
        r = ds_fail(err, "%s: list-tags takes a repository, not an image: drop the :TAG or @DIGEST", ref_text);
    else if (ref.transport != DS_T_DOCKER && (ref.tag || ref.digest)) {
        char *nm = ref.repo ? ds_ref_docker_name(&ref) : ds_xstrdup(ref.digest ? ref.digest : ref.tag);
        r = ds_fail(err, "%s: list-tags takes a layout or an archive, not one image in it: drop the %s%s", ref_text,
                    ref.digest ? "@" : ":", nm);
        free(nm);
    }
    else if (ref.transport == DS_T_ROOTFS)
        r = ds_fail(err, "%s: a directory tree has no tags (list-tags reads oci:, oci-archive:, docker-archive: and docker://)", ref_text);
    if (r == 0) {
        char *what = ds_ref_format(&ref);
        switch (ref.transport) {
        case DS_T_OCI: r = layout_tags(ref.path, what, tags, err); break;
        case DS_T_OCI_ARCHIVE: {
            char *raw = NULL;
            size_t len = 0;
            r = ds_tar_read_entry(ref.path, "index.json", what, "an oci-archive", &raw, &len, err);
            if (r == 0) r = index_names(raw, len, what, tags, err);
            free(raw);
            break;
        }
        case DS_T_DOCKER_ARCHIVE: r = docker_archive_tags(ref.path, what, tags, err); break;
        case DS_T_DOCKER: r = registry_tags(&ref, opts, what, tags, &repository, err); break;
        default: r = ds_fail(err, "%s: no tags to list", what);
        }
        if (r == 0 && !repository) repository = ds_xstrdup(what);
        free(what);
    }
    ds_ref_free(&ref);
    if (r < 0) { json_decref(tags); free(repository); return -1; }
    *out = json_pack("{s:s, s:o}", "Repository", repository, "Tags", tags);
    free(repository);
    return 0;
}
