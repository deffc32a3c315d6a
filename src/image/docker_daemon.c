/* docker-daemon:NAME[:TAG] | docker-daemon:sha256:ID — a Docker Engine through its API.
 * Read: GET /images/NAME/json (the image ID, or near matches when it is not there),
 * then GET /images/NAME/get streamed straight into the docker-archive reader: each
 * file of the export is written once, hashed on the way, into a private scratch dir
 * (the transport interface hands out verified local files, and a layer can only be
 * checked against the config's diff_ids once the whole export, config last, has
 * arrived); the tar itself is never stored. The exported config must be the image ID.
 * Write: POST /images/load with a docker-archive streamed from the blobs (gzip layers as
 * they are: the engine decompresses and checks them against the diff_ids), manifest.json
 * last. A copy that fails before commit cuts the upload off (no manifest.json, a broken
 * request), so the engine loads nothing. After the load the tag must name our config. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "image/engine.h"
#include "image/ref_engine.h"
#include "image/transport.h"

/* Near matches from GET /images/json, as " (...)" text. */
static char *near_text(ds_engine *e, const char *name) {
    long st = 0;
    char *body = NULL;
    size_t len = 0;
    ds_err ig;
    if (ds_engine_get(e, "/images/json", &st, &body, &len, &ig) < 0 || st != 200) { free(body); return ds_xstrdup(""); }
    char *out = ds_engine_near_json(name, body, len, "RepoTags");
    free(body);
    return out;
}

/* GET /images/NAME/json: the image ID (config digest). */
static int inspect(ds_engine *e, const char *name, bool near, char id[DS_DIGEST_LEN + 1], ds_err *err) {
    char *path = ds_xasprintf("/images/%s/json", name);
    long st = 0;
    char *body = NULL;
    size_t len = 0;
    int r = ds_engine_get(e, path, &st, &body, &len, err);
    free(path);
    if (r < 0) return -1;
    if (st == 404) {
        char *m = near ? near_text(e, name) : ds_xstrdup("");
        r = ds_fail(err, "%s: no such image in the Docker engine at %s%s", e->what, e->sock, m);
        free(m);
    } else if (st != 200) {
        char *t = ds_engine_error_text(st, body, len);
        r = ds_fail(err, "%s: GET /images/%s/json: %s", e->what, name, t);
        free(t);
    } else {
        json_t *j = json_loadb(body, len, 0, NULL);
        const char *v = json_string_value(json_object_get(j, "Id"));
        if (!v || !ds_digest_valid(v)) r = ds_fail(err, "%s: the engine's image has no sha256 Id", e->what);
        else snprintf(id, DS_DIGEST_LEN + 1, "%s", v);
        json_decref(j);
    }
    free(body);
    return r;
}



int ds_docker_daemon_source_open(ds_source *s, ds_err *err) {
    char *what = ds_ref_format(s->ref);
    char *name = ds_ref_engine_name(s->ref);
    ds_engine *e = NULL;
    char id[DS_DIGEST_LEN + 1] = "";
    int r = ds_engine_open(what, &e, err);
    if (r == 0) r = inspect(e, name, s->ref->repo != NULL, id, err);
    ds_engine_xfer *x = NULL;
    int fd = -1;
    if (r == 0) {
        char *path = ds_xasprintf("/images/%s/get", name);
        r = ds_engine_stream_start(e, "GET", path, &fd, &x, err);
        free(path);
    }
    if (r == 0) {
        ds_err rerr;
        int rr = ds_docker_archive_source_open_fd(s, fd, &rerr);
        close(fd);
        long st = 0;
        char *body = NULL;
        size_t blen = 0;
        ds_err xerr;
        int xr = ds_engine_stream_finish(x, false, &st, &body, &blen, &xerr);
        if (st != 0 && st != 200) {
            char *t = ds_engine_error_text(st, body, blen);
            r = ds_fail(err, "%s: the Docker engine at %s refused the export: %s", what, e->sock, t);
            free(t);
        } else if (xr < 0 && rr < 0) {
            r = ds_fail(err, "%s: the export from the Docker engine at %s ended early (%s)", what, e->sock,
                        ds_docker_archive_msg_tail(&xerr, what));
        } else if (rr < 0) {
            r = ds_fail(err, "%s: the export from the Docker engine at %s is damaged or cut short: %s", what, e->sock,
                        ds_docker_archive_msg_tail(&rerr, what));
        } else if (xr < 0) {
            *err = xerr;
            r = -1;
        }
        free(body);
        if (rr == 0 && r < 0) { s->ops->close(s); s->ops = NULL; }
        char cfg[DS_DIGEST_LEN + 1];
        if (r == 0 && ds_docker_archive_config_digest(s, cfg, err) == 0 && strcmp(cfg, id)) {
            r = ds_fail(err, "%s: the engine exported config %s, not the image %s it named", what, cfg, id);
            s->ops->close(s);
            s->ops = NULL;
        }
    }
    ds_engine_free(e);
    free(name);
    free(what);
    return r;
}

/* --- writing ------------------------------------------------------------------- */

typedef struct {
    ds_engine *e;
    ds_engine_xfer *x;
    int fd;
    ds_dest inner;     /* the docker-archive writer, in stream mode */
    bool inner_open;
    char *name, *what;
    char config[DS_DIGEST_LEN + 1];
} dd_dst;

static void dd_free(ds_dest *d) {
    dd_dst *o = d->priv;
    if (!o) return;
    if (o->x) ds_engine_stream_finish(o->x, true, NULL, NULL, NULL, &(ds_err){0});
    if (o->inner_open) o->inner.ops->abort(&o->inner);
    if (o->fd >= 0) close(o->fd);
    ds_ref_free(&o->inner.ref);
    ds_engine_free(o->e);
    free(o->name); free(o->what);
    free(o);
    d->priv = NULL;
}

/* The engine stopped reading: what it said is the real reason. */
static int engine_gone(dd_dst *o, ds_err *err) {
    long st = 0;
    char *body = NULL;
    size_t len = 0;
    ds_err xe;
    int xr = ds_engine_stream_finish(o->x, false, &st, &body, &len, &xe);
    o->x = NULL;
    if (xr < 0) *err = xe;
    else {
        char *t = ds_engine_error_text(st, body, len);
        ds_fail(err, "%s: the Docker engine at %s stopped the load: %s", o->what, o->e->sock, t);
        free(t);
    }
    free(body);
    return -1;
}

static int dd_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    dd_dst *o = d->priv;
    if (o->inner.ops->put_blob(&o->inner, desc, path, err) < 0) return ds_engine_stream_done(o->x) ? engine_gone(o, err) : -1;
    return 0;
}

static int dd_put_manifest(ds_dest *d, const char *raw, size_t len, const char *mt, ds_err *err) {
    dd_dst *o = d->priv;
    if (o->inner.ops->put_manifest(&o->inner, raw, len, mt, err) < 0) return -1;
    json_t *j = json_loadb(raw, len, 0, NULL);
    const char *c = json_string_value(json_object_get(json_object_get(j, "config"), "digest"));
    snprintf(o->config, sizeof o->config, "%s", c ? c : "");
    json_decref(j);
    /* What `copy` prints: the image ID, as the engine shows it (it keeps no manifest). */
    snprintf(d->written_digest, sizeof d->written_digest, "%s", o->config);
    return 0;
}

/* The load answer: JSON messages, one of which may be {"error": ...}. */
static int load_answer(dd_dst *o, long st, const char *body, size_t len, ds_err *err) {
    if (st != 200) {
        char *t = ds_engine_error_text(st, body, len);
        ds_fail(err, "%s: the Docker engine at %s refused the image: %s", o->what, o->e->sock, t);
        free(t);
        return -1;
    }
    json_error_t je;
    size_t off = 0;
    while (off < len) {
        json_t *j = json_loadb(body + off, len - off, JSON_DISABLE_EOF_CHECK, &je);
        if (!j) break;
        off += je.position;
        const char *e = json_string_value(json_object_get(j, "error"));
        if (e) {
            ds_fail(err, "%s: the Docker engine at %s refused the image: %s", o->what, o->e->sock, e);
            json_decref(j);
            return -1;
        }
        json_decref(j);
        while (off < len && (body[off] == '\n' || body[off] == '\r' || body[off] == ' ')) off++;
    }
    return 0;
}

static int dd_commit(ds_dest *d, ds_err *err) {
    dd_dst *o = d->priv;
    int r = o->inner.ops->commit(&o->inner, err);
    o->inner_open = false; /* commit frees it on success; on failure abort it here */
    if (r < 0) {
        if (o->inner.priv) o->inner.ops->abort(&o->inner);
        return ds_engine_stream_done(o->x) ? engine_gone(o, err) : -1;
    }
    close(o->fd);
    o->fd = -1;
    long st = 0;
    char *body = NULL;
    size_t len = 0;
    r = ds_engine_stream_finish(o->x, false, &st, &body, &len, err);
    o->x = NULL;
    if (r == 0) r = load_answer(o, st, body, len, err);
    free(body);
    char id[DS_DIGEST_LEN + 1] = "";
    if (r == 0) r = inspect(o->e, o->name, false, id, err);
    if (r == 0 && strcmp(id, o->config))
        r = ds_fail(err, "%s: after the load the engine's %s is %s, not the config %s that was sent", o->what, o->name, id,
                    o->config);
    if (r < 0) return -1;
    dd_free(d);
    return 0;
}

static void dd_abort(ds_dest *d) { dd_free(d); }

static const ds_dest_ops dd_dest_ops = {dd_put_blob, dd_put_manifest, dd_commit, dd_abort};

int ds_docker_daemon_dest_open(ds_dest *d, ds_err *err) {
    char *what = ds_ref_format(&d->ref);
    if (!d->ref.repo) {
        int r = ds_fail(err, "%s: an image ID cannot be written to; name the image as docker-daemon:NAME:TAG", what);
        free(what);
        return r;
    }
    dd_dst *o = ds_xcalloc(1, sizeof *o);
    o->fd = -1;
    o->what = what;
    o->name = ds_ref_engine_name(&d->ref);
    d->priv = o;
    d->ops = &dd_dest_ops;
    int r = ds_engine_open(what, &o->e, err);
    if (r == 0) r = ds_engine_stream_start(o->e, "POST", "/images/load?quiet=1", &o->fd, &o->x, err);
    if (r == 0) {
        ds_docker_archive_ref_named(&o->inner.ref, o->name);
        o->inner.opts = d->opts;
        r = ds_docker_archive_dest_open_fd(&o->inner, o->fd, true, what, err);
        if (r == 0) o->inner_open = true;
    }
    if (r < 0) { dd_free(d); return -1; }
    return 0;
}
