/* The Docker Engine as a runtime (--runtime docker), through the Engine API on DOCKER_HOST's
 * unix socket (image/engine_http.c):
 *   start: the tree is written as one uncompressed layer tar and imported as a temporary
 *          image (POST /images/create?fromSrc=-), a container is created from it with the
 *          run spec (user, supplementary groups, env, workdir, host or no network, the
 *          sensor and the log dir bind-mounted, CAP_SYS_PTRACE for the sensor, a seccomp
 *          profile) and started;
 *   state: GET /containers/NAME/json; the container's output is copied into the stdio log
 *          (GET .../logs, demultiplexed) once it ended or was stopped;
 *   stop:  POST .../stop?t=GRACE (SIGTERM, then SIGKILL after GRACE);
 *   free:  the container (with its anonymous volumes) and the image are removed.
 * Nothing else is created: the network is the host's (or none), no named volume, no
 * network object. A first interrupt only sets ds_interrupted (ds_cleanup_defer_begin)
 * so that the pipeline reaches free. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fs/layer_writer.h"
#include "image/engine.h"
#include "runtime/runtime_int.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/json_doc.h"

typedef struct dk {
    ds_engine *e;       /* the runtime's connection (borrowed) */
    char *name;         /* container name, and the image's repository */
    char *image;        /* NAME:run */
    char *tmp;          /* the layer tar, the seccomp profile */
    char *stdio_log;
    bool image_made, created, exited, logs_copied;
    int exit_code;
    char how[1200];     /* how it ended, for messages */
} dk;

static char *new_name(const char *prefix) {
    static atomic_uint n;
    char *s = ds_xasprintf("%s-%d-%u", prefix ? prefix : "distill", (int)getpid(), atomic_fetch_add(&n, 1));
    for (char *p = s; *p; p++) /* an image repository is lower case */
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_')) *p = '-';
    return s;
}

/* One call whose answer must have one of the wanted statuses; the engine's message otherwise. */
static int call(dk *d, const char *method, const char *path, const char *json, long timeout, long want1, long want2,
                char **body, ds_err *err) {
    long st = 0;
    char *b = NULL;
    size_t len = 0;
    if (ds_engine_call(d->e, method, path, json, timeout, &st, &b, &len, err) < 0) return -1;
    if (st != want1 && st != want2) {
        char *t = ds_engine_error_text(st, b, len);
        ds_fail(err, "docker: %s %s: %s", method, path, t);
        free(t);
        free(b);
        return -1;
    }
    if (body) *body = b;
    else free(b);
    return 0;
}

/* The import answers with a stream of JSON messages; an error is one of them. */
static int import_answer(const char *body, ds_err *err) {
    const char *p = body;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_t *j = json_loadb(p, n, 0, NULL);
        const char *e = json_string_value(json_object_get(j, "error"));
        if (e) {
            ds_fail(err, "docker: importing the tree: %s", e);
            json_decref(j);
            return -1;
        }
        json_decref(j);
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

static int send_all(int fd, const char *buf, size_t n) {
    for (size_t off = 0; off < n;) {
        ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}

static int import_tree(dk *d, const char *rootfs, ds_err *err) {
    ds_layer_out lo;
    if (ds_layer_write_tree(rootfs, DS_COMPRESS_NONE, d->tmp, NULL, NULL, &lo, err) < 0)
        return ds_err_wrap(err, "docker: the tree to import");
    int in = open(lo.blob_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        ds_fail_errno(err, "docker: %s", lo.blob_path);
        unlink(lo.blob_path);
        ds_layer_out_free(&lo);
        return -1;
    }
    char *path = ds_xasprintf("/images/create?fromSrc=-&repo=%s&tag=run", d->name);
    int fd = -1;
    ds_engine_xfer *x = NULL;
    int r = ds_engine_stream_start(d->e, "POST", path, &fd, &x, err);
    if (r == 0) {
        d->image_made = true; /* from here on, free removes whatever the engine made of it */
        bool abort = false;
        char *buf = ds_xmalloc(1 << 20);
        for (;;) {
            if (ds_interrupted) { abort = true; break; }
            ssize_t k = read(in, buf, 1 << 20);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) { ds_fail_errno(err, "docker: %s", lo.blob_path); abort = true; break; }
            if (k == 0) break;
            if (send_all(fd, buf, (size_t)k) < 0) break; /* the engine gave up: its answer says why */
        }
        free(buf);
        close(fd);
        long st = 0;
        char *body = NULL;
        size_t len = 0;
        ds_err ferr = {0};
        r = ds_engine_stream_finish(x, abort, &st, &body, &len, &ferr);
        if (abort) r = ds_interrupted ? ds_fail(err, "interrupted") : -1;
        else if (r < 0) *err = ferr;
        else if (st != 200) {
            char *t = ds_engine_error_text(st, body, len);
            r = ds_fail(err, "docker: importing the tree: %s", t);
            free(t);
        } else {
            r = import_answer(body, err);
        }
        free(body);
    }
    free(path);
    close(in);
    unlink(lo.blob_path);
    ds_layer_out_free(&lo);
    return r;
}


static int create_body(dk *d, const ds_run_spec *spec, char **out, ds_err *err) {
    json_t *env = ds_json_strv(spec->env, spec->n_env);
    bool has_home = false;
    for (size_t i = 0; i < spec->n_env; i++) has_home |= !strncmp(spec->env[i], "HOME=", 5);
    /* The engine sets HOME from the image's passwd too; the spec's value is the same lookup. */
    if (!has_home) json_array_append_new(env, json_pack("s+", "HOME=", spec->home && *spec->home ? spec->home : "/"));
    json_t *groups = json_array();
    for (size_t i = 0; i < spec->n_additional_gids; i++) {
        char g[16];
        snprintf(g, sizeof g, "%u", spec->additional_gids[i]);
        json_array_append_new(groups, json_string(g));
    }
    json_t *binds = json_array(), *caps = json_array(), *secopt = json_array();
    if (spec->sensor_path) {
        json_array_append_new(binds, json_pack("s++", spec->sensor_path, ":" DS_SENSOR_MOUNT, ":ro"));
        json_array_append_new(caps, json_string("SYS_PTRACE"));
    }
    if (spec->log_dir) json_array_append_new(binds, json_pack("s++", spec->log_dir, ":" DS_LOG_MOUNT, ":rw"));
    if (spec->seccomp) {
        /* The API takes the profile itself, not a file name (the CLI reads the file). */
        char *text = json_dumps(spec->seccomp, JSON_COMPACT);
        if (!text) {
            json_decref(env); json_decref(groups); json_decref(binds); json_decref(caps); json_decref(secopt);
            return ds_fail(err, "docker: cannot serialise the seccomp profile");
        }
        json_array_append_new(secopt, json_pack("s+", "seccomp=", text));
        free(text);
    }
    char user[32];
    snprintf(user, sizeof user, "%u:%u", spec->uid, spec->gid);
    json_t *hc = json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:s, s:{}}, s:b}", "NetworkMode",
                           spec->network == DS_NET_HOST ? "host" : "none", "Binds", binds, "GroupAdd", groups, "CapAdd",
                           caps, "SecurityOpt", secopt, "LogConfig", "Type", "json-file", "Config", "AutoRemove", 0);
    json_t *body = json_pack("{s:s, s:o, s:o, s:s, s:s, s:b, s:b, s:b, s:b, s:o}", "Image", d->image, "Cmd",
                             ds_json_strv(spec->args, spec->n_args), "Env", env, "User", user, "WorkingDir",
                             spec->cwd && *spec->cwd ? spec->cwd : "/", "Tty", 0, "OpenStdin", 0, "AttachStdout", 0,
                             "AttachStderr", 0, "HostConfig", hc);
    if (!body) return ds_fail(err, "docker: cannot build the container's configuration");
    *out = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    return 0;
}

/* The container's output so far into the stdio log (replacing what an earlier copy wrote):
 * the engine multiplexes stdout and stderr in frames of an 8-byte header and a payload. */
static void copy_logs(dk *d) {
    if (!d->created || !d->stdio_log) return;
    char *path = ds_xasprintf("/containers/%s/logs?stdout=1&stderr=1&tail=10000", d->name);
    long st = 0;
    char *b = NULL;
    size_t len = 0;
    ds_err e = {0};
    int r = ds_engine_call(d->e, "GET", path, NULL, 60, &st, &b, &len, &e);
    free(path);
    if (r < 0 || st != 200) { free(b); return; }
    int fd = open(d->stdio_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        const unsigned char *p = (const unsigned char *)b;
        size_t off = 0;
        while (off + 8 <= len) {
            size_t n = (size_t)p[off + 4] << 24 | (size_t)p[off + 5] << 16 | (size_t)p[off + 6] << 8 | p[off + 7];
            off += 8;
            if (n > len - off) n = len - off;
            if (write(fd, p + off, n) < 0) break;
            off += n;
        }
        close(fd);
    }
    free(b);
    d->logs_copied = true;
}

/* Refresh exited/exit_code from the engine; 1 while running. */
static int refresh(dk *d) {
    if (d->exited) return 0;
    char *path = ds_xasprintf("/containers/%s/json", d->name);
    char *b = NULL;
    ds_err e = {0};
    int r = call(d, "GET", path, NULL, 30, 200, 200, &b, &e);
    free(path);
    if (r < 0) {
        d->exited = true;
        d->exit_code = -1;
        snprintf(d->how, sizeof d->how, "could not be inspected (%s)", e.msg);
        return 0;
    }
    json_t *j = json_loads(b, 0, NULL);
    free(b);
    json_t *state = json_object_get(j, "State");
    int running = json_is_true(json_object_get(state, "Running"));
    if (!running) {
        d->exited = true;
        d->exit_code = (int)json_integer_value(json_object_get(state, "ExitCode"));
        const char *why = json_string_value(json_object_get(state, "Error"));
        if (json_is_true(json_object_get(state, "OOMKilled"))) snprintf(d->how, sizeof d->how, "was killed (out of memory)");
        else if (why && *why) snprintf(d->how, sizeof d->how, "exited with status %d (%s)", d->exit_code, why);
        else snprintf(d->how, sizeof d->how, "exited with status %d", d->exit_code);
        copy_logs(d);
    }
    json_decref(j);
    return running;
}

static void dk_free(void *h);

static int dk_start(void *ctx, const ds_run_spec *spec, void **h, ds_err *err) {
    *h = NULL;
    if (!spec->rootfs || spec->n_args == 0) return ds_fail(err, "container: a root tree and a command are needed");
    dk *d = ds_xcalloc(1, sizeof *d);
    d->e = ctx;
    d->name = new_name(spec->name);
    d->image = ds_xasprintf("%s:run", d->name);
    d->stdio_log = spec->stdio_log ? ds_xstrdup(spec->stdio_log) : NULL;
    /* Until dk_free: an interrupt is left to the orderly removal of container and image. */
    ds_cleanup_defer_begin();
    char *body = NULL, *path = NULL;
    if (ds_mkdtemp("distill-engine-run", &d->tmp, err) < 0) goto fail;
    if (import_tree(d, spec->rootfs, err) < 0) goto fail;
    if (create_body(d, spec, &body, err) < 0) goto fail;
    path = ds_xasprintf("/containers/create?name=%s", d->name);
    if (call(d, "POST", path, body, 120, 201, 201, NULL, err) < 0) goto fail;
    d->created = true;
    free(path);
    path = ds_xasprintf("/containers/%s/start", d->name);
    ds_err serr = {0};
    if (call(d, "POST", path, NULL, 120, 204, 304, NULL, &serr) < 0) {
        /* The engine could not start the process (no such executable, a bad user): the
         * container ended before it was ready, as with runc, with the engine's words. */
        if (ds_interrupted) { ds_fail(err, "interrupted"); goto fail; }
        d->exited = true;
        d->exit_code = 127;
        snprintf(d->how, sizeof d->how, "did not start (%s)", serr.msg);
        if (d->stdio_log) {
            int fd = open(d->stdio_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd >= 0) { dprintf(fd, "%s\n", serr.msg); close(fd); }
        }
        d->logs_copied = true;
    }
    free(path);
    free(body);
    *h = d;
    return 0;
fail:
    free(path);
    free(body);
    dk_free(d);
    return -1;
}

static int dk_state(void *h, bool *ok, char *how, size_t n) {
    dk *d = h;
    if (refresh(d)) return 1;
    *ok = d->exit_code == 0;
    snprintf(how, n, "%s", d->how);
    return 0;
}

static int dk_wait_ready(void *h, const int *ports, size_t n, const char *cmd, double t, ds_err *err) {
    dk *d = h;
    int r = ds_ready_wait(h, dk_state, d->name, ports, n, cmd, t, err);
    if (r < 0) copy_logs(d); /* the pipeline shows the output's last lines next */
    return r;
}

static int dk_running(void *h) { return refresh(h); }

static int dk_stop(void *h, int grace_s, int *code, ds_err *err) {
    dk *d = h;
    if (refresh(d)) {
        char *path = ds_xasprintf("/containers/%s/stop?t=%d", d->name, grace_s);
        int r = call(d, "POST", path, NULL, grace_s + 60, 204, 304, NULL, err);
        free(path);
        if (r < 0) return -1;
        if (refresh(d)) return ds_fail(err, "docker: container %s still runs after stop", d->name);
    }
    if (!d->logs_copied) copy_logs(d);
    if (code) *code = d->exit_code;
    return 0;
}

static void dk_free(void *h) {
    dk *d = h;
    if (!d) return;
    ds_err e = {0};
    if (d->created) {
        if (!d->logs_copied) copy_logs(d);
        char *path = ds_xasprintf("/containers/%s?force=1&v=1", d->name);
        call(d, "DELETE", path, NULL, 120, 204, 404, NULL, &e);
        free(path);
    }
    if (d->image_made) {
        char *path = ds_xasprintf("/images/%s?force=1", d->image);
        call(d, "DELETE", path, NULL, 120, 200, 404, NULL, &e);
        free(path);
    }
    if (d->tmp) ds_rmtree(d->tmp, &e);
    ds_cleanup_defer_end();
    free(d->tmp); free(d->name); free(d->image); free(d->stdio_log);
    free(d);
}

static void dk_close(void *ctx) { ds_engine_free(ctx); }

int ds_docker_probe(char **what, ds_err *err) {
    ds_engine *e = NULL;
    if (ds_engine_open("docker", &e, err) < 0) return -1;
    *what = ds_xasprintf("the Docker engine %s answers at %s", e->version, e->sock);
    ds_engine_free(e);
    return 0;
}

int ds_runtime_docker(ds_runtime *out, ds_err *err) {
    static const ds_runtime_ops ops = {.start = dk_start, .wait_ready = dk_wait_ready, .running = dk_running,
                                       .stop = dk_stop, .free = dk_free, .close = dk_close};
    ds_engine *e = NULL;
    if (ds_engine_open("--runtime docker", &e, err) < 0) return -1;
    *out = (ds_runtime){.ops = &ops, .ctx = e, .kind = DS_RT_DOCKER};
    return 0;
}
