/* Test driver for the docker:// transport alone (built by test_registry.sh against
 * build/libdistill.a): push an OCI layout to a registry, or pull an image into one,
 * through ds_registry_source_open / ds_registry_dest_open and plain file I/O.
 *   registry_driver push LAYOUT docker://HOST/REPO[:TAG|@DIGEST] [OPTS]   prints the manifest digest
 *   registry_driver pull docker://HOST/REPO[:TAG|@DIGEST] LAYOUT [OPTS]   prints the manifest digest
 *   OPTS: --tls-verify=false --creds USER:PASS --authfile FILE */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/registry.h"
#include "image/transport.h"
#include "util/fsutil.h"

static int die(const char *m) { fprintf(stderr, "registry_driver: %s\n", m); return 3; }

static int parse_ref(const char *text, ds_ref *r) {
    memset(r, 0, sizeof *r);
    if (strncmp(text, "docker://", 9)) return -1;
    const char *s = text + 9, *slash = strchr(s, '/');
    if (!slash) return -1;
    r->transport = DS_T_DOCKER;
    r->host = ds_xstrndup(s, (size_t)(slash - s));
    const char *rest = slash + 1, *at = strchr(rest, '@');
    if (at) { r->repo = ds_xstrndup(rest, (size_t)(at - rest)); r->digest = ds_xstrdup(at + 1); return 0; }
    const char *colon = strrchr(rest, ':');
    if (colon) { r->repo = ds_xstrndup(rest, (size_t)(colon - rest)); r->tag = ds_xstrdup(colon + 1); }
    else { r->repo = ds_xstrdup(rest); r->tag = ds_xstrdup("latest"); }
    return 0;
}

static void fill_desc(json_t *j, ds_desc *d) {
    memset(d, 0, sizeof *d);
    d->media_type = (char *)json_string_value(json_object_get(j, "mediaType"));
    snprintf(d->digest, sizeof d->digest, "%s", json_string_value(json_object_get(j, "digest")) ?: "");
    d->size = json_integer_value(json_object_get(j, "size"));
}

static char *blob_file(const char *layout, const char *digest) {
    return ds_xasprintf("%s/blobs/sha256/%s", layout, digest + 7);
}

static int push(const char *layout, ds_dest *d, ds_err *err) {
    char *p = ds_xasprintf("%s/index.json", layout), *raw = NULL;
    size_t len;
    int r = ds_read_file(p, &raw, &len, 0, err);
    free(p);
    if (r < 0) return -1;
    json_t *idx = json_loads(raw, 0, NULL);
    free(raw);
    ds_desc md;
    fill_desc(json_array_get(json_object_get(idx, "manifests"), 0), &md);
    char *mpath = blob_file(layout, md.digest);
    r = ds_read_file(mpath, &raw, &len, 0, err);
    free(mpath);
    if (r == 0) {
        json_t *m = json_loadb(raw, len, 0, NULL);
        ds_desc cd;
        fill_desc(json_object_get(m, "config"), &cd);
        char *bp = blob_file(layout, cd.digest);
        r = d->ops->put_blob(d, &cd, bp, err);
        free(bp);
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(m, "layers"), i, l) {
            if (r < 0) break;
            ds_desc ld;
            fill_desc(l, &ld);
            bp = blob_file(layout, ld.digest);
            r = d->ops->put_blob(d, &ld, bp, err);
            free(bp);
        }
        if (r == 0) r = d->ops->put_manifest(d, raw, len, md.media_type, err);
        if (r == 0) { printf("%s\n", md.digest); r = d->ops->commit(d, err); }
        else d->ops->abort(d);
        json_decref(m);
        free(raw);
    } else d->ops->abort(d);
    json_decref(idx);
    return r;
}

static int save_blob(ds_source *s, const ds_desc *d, const char *layout, ds_err *err) {
    char *path = NULL;
    bool tmp = false;
    if (s->ops->blob_path(s, d, &path, &tmp, err) < 0) return -1;
    char *dst = blob_file(layout, d->digest);
    int r = ds_copy_file(path, dst, 0644, err);
    if (tmp) unlink(path);
    free(path); free(dst);
    return r;
}

static int pull(ds_source *s, const char *layout, ds_err *err) {
    char *raw = NULL, *mt = NULL;
    size_t len;
    if (s->ops->get_manifest(s, NULL, &raw, &len, &mt, err) < 0) return -1;
    char dg[DS_DIGEST_LEN + 1];
    ds_sha256_buf(raw, len, dg);
    char *dir = ds_xasprintf("%s/blobs/sha256", layout);
    int r = ds_mkdirs(dir, 0755, err);
    free(dir);
    json_t *m = json_loadb(raw, len, 0, NULL);
    if (r == 0 && json_object_get(m, "manifests")) { /* an index: keep it and follow the first */
        r = -1;
        ds_err_clear(err);
        ds_fail(err, "index pull not supported by this driver");
    }
    if (r == 0) {
        ds_desc cd;
        fill_desc(json_object_get(m, "config"), &cd);
        r = save_blob(s, &cd, layout, err);
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(m, "layers"), i, l) {
            if (r < 0) break;
            ds_desc ld;
            fill_desc(l, &ld);
            r = save_blob(s, &ld, layout, err);
        }
    }
    if (r == 0) {
        char *mp = blob_file(layout, dg);
        r = ds_write_file_atomic(mp, raw, len, 0644, err);
        free(mp);
        char *ip = ds_xasprintf("%s/index.json", layout);
        char *idx = ds_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}", mt, dg, len);
        if (r == 0) r = ds_write_file_atomic(ip, idx, strlen(idx), 0644, err);
        char *op = ds_xasprintf("%s/oci-layout", layout);
        if (r == 0) r = ds_write_file_atomic(op, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, err);
        free(ip); free(idx); free(op);
        if (r == 0) printf("%s\n", dg);
    }
    json_decref(m);
    free(raw); free(mt);
    return r;
}

int main(int argc, char **argv) {
    if (argc < 4) return die("usage: push LAYOUT REF | pull REF LAYOUT [--tls-verify=false] [--creds U:P] [--authfile F]");
    ds_opts o;
    ds_opts_init(&o);
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--tls-verify=false")) o.src_tls_verify = o.dest_tls_verify = false;
        else if (!strcmp(argv[i], "--creds") && i + 1 < argc) o.src_creds = o.dest_creds = argv[++i];
        else if (!strcmp(argv[i], "--authfile") && i + 1 < argc) o.authfile = argv[++i];
        else return die("unknown option");
    }
    bool is_push = !strcmp(argv[1], "push");
    const char *ref_text = is_push ? argv[3] : argv[2];
    const char *layout = is_push ? argv[2] : argv[3];
    ds_ref ref;
    if (parse_ref(ref_text, &ref) < 0) return die("bad docker:// reference");
    ds_err err = {0};
    int r;
    if (is_push) {
        ds_dest d = {.ref = ref, .opts = o};
        r = ds_registry_dest_open(&d, &err);
        if (r == 0) r = push(layout, &d, &err);
    } else {
        ds_source s = {.ref = &ref, .opts = o};
        r = ds_registry_source_open(&s, &err);
        if (r == 0) { r = pull(&s, layout, &err); s.ops->close(&s); }
    }
    free(ref.host); free(ref.repo); free(ref.tag); free(ref.digest);
    if (r < 0) { fprintf(stderr, "registry_driver: %s\n", err.msg); return 3; }
    return 0;
}
