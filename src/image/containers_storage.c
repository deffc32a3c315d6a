/* containers-storage:[[STORAGE]]NAME[:TAG] — podman's local store, through podman itself
 * (never its files): the STORAGE spec becomes --storage-driver/--root/--runroot/
 * --storage-opt. Read: `podman image inspect` (the ID, or near matches from
 * `podman images`), then `podman image save --format docker-archive` with its stdout
 * streamed into the docker-archive reader (each file written once, hashed on the way;
 * the tar is never stored). Write: a docker-archive streamed into `podman load`'s stdin,
 * manifest.json last: a copy that fails before commit sends no manifest.json, so podman
 * loads nothing. After the load the name must resolve to our config. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "image/engine.h"
#include "image/ref_engine.h"
#include "image/transport.h"
#include "util/fsutil.h"

extern char **environ;

typedef struct { char **v; size_t n, cap; } argv_t;

static void arg(argv_t *a, const char *s) {
    if (a->n + 2 > a->cap) { a->cap = a->cap ? a->cap * 2 : 16; a->v = ds_xrealloc(a->v, a->cap * sizeof *a->v); }
    a->v[a->n++] = ds_xstrdup(s);
    a->v[a->n] = NULL;
}

static void argv_free(argv_t *a) {
    for (size_t i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
}

/* podman [storage flags] */
static int podman_argv(const ds_ref *ref, const char *what, argv_t *a, ds_err *err) {
    const char *prog = getenv("DISTILL_PODMAN");
    arg(a, prog && *prog ? prog : "podman");
    if (!ref->host) return 0;
    ds_storage_spec sp;
    if (ds_storage_spec_parse(ref->host, what, &sp, err) < 0) return -1;
    if (sp.driver) { arg(a, "--storage-driver"); arg(a, sp.driver); }
    if (sp.root) { arg(a, "--root"); arg(a, sp.root); }
    if (sp.runroot) { arg(a, "--runroot"); arg(a, sp.runroot); }
    for (size_t i = 0; sp.options[i]; i++) { arg(a, "--storage-opt"); arg(a, sp.options[i]); }
    ds_storage_spec_free(&sp);
    return 0;
}

/* Start podman with stdin/stdout on in_fd/out_fd (-1: /dev/null) and stderr into a memfd. */
static int spawn(const char *what, char **argv, int in_fd, int out_fd, pid_t *pid, int *errfd, ds_err *err) {
    int ef = memfd_create("podman-stderr", MFD_CLOEXEC);
    if (ef < 0) return ds_fail_errno(err, "%s: memfd_create", what);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0) posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, ef, 2);
    int rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        close(ef);
        if (rc == ENOENT) return ds_fail(err, "%s: %s is not installed (containers-storage: goes through podman)", what, argv[0]);
        errno = rc;
        return ds_fail_errno(err, "%s: cannot run %s", what, argv[0]);
    }
    *errfd = ef;
    return 0;
}

/* Wait for podman; the last line of its stderr in *msg (malloc'd) when it failed. */
static int reap(pid_t pid, int errfd, char **msg) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    *msg = NULL;
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        char *buf = NULL;
        size_t len = 0;
        ds_err ig;
        lseek(errfd, 0, SEEK_SET);
        if (ds_read_fd(errfd, "podman stderr", &buf, &len, 1 << 20, &ig) < 0) buf = ds_xstrdup("");
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) buf[--len] = 0;
        char *last = strrchr(buf, '\n');
        const char *l = last ? last + 1 : buf;
        if (!strncmp(l, "Error: ", 7)) l += 7;
        *msg = *l ? ds_xstrdup(l)
                  : WIFEXITED(status) ? ds_xasprintf("exit %d", WEXITSTATUS(status))
                                      : ds_xasprintf("killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        free(buf);
    }
    close(errfd);
    return ok ? 0 : -1;
}

/* Run podman to completion, stdout in memory (through a memfd: no pipe to keep draining). */
static int run(const char *what, argv_t *a, char **out, size_t *len, char **msg, ds_err *err) {
    int of = memfd_create("podman-stdout", MFD_CLOEXEC);
    if (of < 0) return ds_fail_errno(err, "%s: memfd_create", what);
    pid_t pid;
    int ef;
    if (spawn(what, a->v, -1, of, &pid, &ef, err) < 0) { close(of); return -1; }
    int r = reap(pid, ef, msg);
    ds_err ig;
    lseek(of, 0, SEEK_SET);
    if (ds_read_fd(of, "podman", out, len, 64u << 20, &ig) < 0) { *out = ds_xstrdup(""); *len = 0; }
    close(of);
    return r;
}

static char *near_text(const ds_ref *ref, const char *what, const char *name) {
    argv_t a = {0};
    ds_err ig;
    char *out = NULL, *msg = NULL;
    size_t len = 0;
    if (podman_argv(ref, what, &a, &ig) < 0) { argv_free(&a); return ds_xstrdup(""); }
    arg(&a, "images"); arg(&a, "--format"); arg(&a, "json");
    int r = run(what, &a, &out, &len, &msg, &ig);
    argv_free(&a);
    free(msg);
    if (r < 0) { free(out); return ds_xstrdup(""); }
    char *res = ds_engine_near_json(name, out, len, "Names");
    free(out);
    return res;
}

/* `podman image inspect --format {{.Id}} NAME`: the ID as "sha256:HEX". */
static int inspect(const ds_ref *ref, const char *what, const char *name, bool near, char id[DS_DIGEST_LEN + 1],
                   ds_err *err) {
    argv_t a = {0};
    if (podman_argv(ref, what, &a, err) < 0) { argv_free(&a); return -1; }
    arg(&a, "image"); arg(&a, "inspect"); arg(&a, "--format"); arg(&a, "{{.Id}}"); arg(&a, name);
    char *out = NULL, *msg = NULL;
    size_t len = 0;
    int r = run(what, &a, &out, &len, &msg, err);
    argv_free(&a);
    if (r < 0 && msg) {
        if (strstr(msg, "not known") || strstr(msg, "no such image") || strstr(msg, "image not found")) {
            char *m = near ? near_text(ref, what, name) : ds_xstrdup("");
            ds_fail(err, "%s: no such image in podman's store%s", what, m);
            free(m);
        } else {
            ds_fail(err, "%s: podman image inspect: %s", what, msg);
        }
    } else if (r == 0) {
        while (len && (out[len - 1] == '\n' || out[len - 1] == ' ')) out[--len] = 0;
        char *d = ds_xasprintf("sha256:%s", out);
        if (!ds_digest_valid(d)) r = ds_fail(err, "%s: podman image inspect answered '%.80s', not an image ID", what, out);
        else snprintf(id, DS_DIGEST_LEN + 1, "%s", d);
        free(d);
    }
    free(out); free(msg);
    return r;
}



int ds_cstorage_source_open(ds_source *s, ds_err *err) {
    char *what = ds_ref_format(s->ref);
    char *name = ds_ref_engine_name(s->ref);
    char id[DS_DIGEST_LEN + 1] = "";
    int r = inspect(s->ref, what, name, s->ref->repo != NULL, id, err);
    argv_t a = {0};
    if (r == 0) r = podman_argv(s->ref, what, &a, err);
    int p[2] = {-1, -1};
    if (r == 0 && pipe2(p, O_CLOEXEC) < 0) r = ds_fail_errno(err, "%s: pipe", what);
    pid_t pid = -1;
    int ef = -1;
    if (r == 0) {
        /* The ID itself, so that the store cannot change between the inspect and the save. */
        arg(&a, "image"); arg(&a, "save"); arg(&a, "-q"); arg(&a, "--format"); arg(&a, "docker-archive"); arg(&a, id + 7);
        r = spawn(what, a.v, -1, p[1], &pid, &ef, err);
        close(p[1]);
        if (r < 0) close(p[0]);
    }
    argv_free(&a);
    if (r == 0) {
        ds_err rerr;
        int rr = ds_docker_archive_source_open_fd(s, p[0], &rerr);
        close(p[0]); /* podman gets EPIPE if it still writes */
        char *msg = NULL;
        int pr = reap(pid, ef, &msg);
        if (pr < 0) r = ds_fail(err, "%s: podman image save: %s", what, msg);
        else if (rr < 0)
            r = ds_fail(err, "%s: the export from podman is damaged or cut short: %s", what, ds_docker_archive_msg_tail(&rerr, what));
        free(msg);
        if (rr == 0 && r < 0) { s->ops->close(s); s->ops = NULL; }
        char cfg[DS_DIGEST_LEN + 1];
        if (r == 0 && ds_docker_archive_config_digest(s, cfg, err) == 0 && strcmp(cfg, id)) {
            r = ds_fail(err, "%s: podman exported config %s, not the image %s", what, cfg, id);
            s->ops->close(s);
            s->ops = NULL;
        }
    }
    free(name);
    free(what);
    return r;
}

/* --- writing ------------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int fd, errfd;
    ds_dest inner;
    bool inner_open;
    char *name, *what;
    char config[DS_DIGEST_LEN + 1];
} cs_dst;

static void cs_free(ds_dest *d) {
    cs_dst *o = d->priv;
    if (!o) return;
    /* Without manifest.json the archive is no image: podman loads nothing. */
    if (o->inner_open) o->inner.ops->abort(&o->inner);
    if (o->fd >= 0) close(o->fd);
    if (o->pid > 0) { char *m = NULL; reap(o->pid, o->errfd, &m); free(m); }
    ds_ref_free(&o->inner.ref);
    free(o->name); free(o->what);
    free(o);
    d->priv = NULL;
}

static int podman_gone(cs_dst *o, ds_err *err) {
    close(o->fd);
    o->fd = -1;
    char *m = NULL;
    if (reap(o->pid, o->errfd, &m) < 0) ds_fail(err, "%s: podman load: %s", o->what, m);
    o->pid = -1;
    free(m);
    return -1;
}

static bool podman_exited(cs_dst *o) {
    siginfo_t si = {0};
    /* WNOWAIT: reap() collects it later, with its stderr. */
    return waitid(P_PID, (id_t)o->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == o->pid;
}

static int cs_put_blob(ds_dest *d, const ds_desc *desc, const char *path, ds_err *err) {
    cs_dst *o = d->priv;
    if (o->inner.ops->put_blob(&o->inner, desc, path, err) < 0) return podman_exited(o) ? podman_gone(o, err) : -1;
    return 0;
}

static int cs_put_manifest(ds_dest *d, const char *raw, size_t len, const char *mt, ds_err *err) {
    cs_dst *o = d->priv;
    if (o->inner.ops->put_manifest(&o->inner, raw, len, mt, err) < 0) return -1;
    json_t *j = json_loadb(raw, len, 0, NULL);
    const char *c = json_string_value(json_object_get(json_object_get(j, "config"), "digest"));
    snprintf(o->config, sizeof o->config, "%s", c ? c : "");
    json_decref(j);
    /* What `copy` prints: the image ID, as the engine shows it (it keeps no manifest). */
    snprintf(d->written_digest, sizeof d->written_digest, "%s", o->config);
    return 0;
}

static int cs_commit(ds_dest *d, ds_err *err) {
    cs_dst *o = d->priv;
    int r = o->inner.ops->commit(&o->inner, err);
    o->inner_open = false;
    if (r < 0) {
        if (o->inner.priv) o->inner.ops->abort(&o->inner);
        return podman_exited(o) ? podman_gone(o, err) : -1;
    }
    close(o->fd);
    o->fd = -1;
    char *m = NULL;
    r = reap(o->pid, o->errfd, &m);
    o->pid = -1;
    if (r < 0) ds_fail(err, "%s: podman load: %s", o->what, m);
    free(m);
    char id[DS_DIGEST_LEN + 1] = "";
    if (r == 0) r = inspect(&d->ref, o->what, o->name, false, id, err);
    if (r == 0 && strcmp(id, o->config))
        r = ds_fail(err, "%s: after the load podman's %s is %s, not the config %s that was sent", o->what, o->name, id,
                    o->config);
    if (r < 0) return -1;
    cs_free(d);
    return 0;
}

static void cs_abort(ds_dest *d) { cs_free(d); }

static const ds_dest_ops cs_dest_ops = {cs_put_blob, cs_put_manifest, cs_commit, cs_abort};

int ds_cstorage_dest_open(ds_dest *d, ds_err *err) {
    char *what = ds_ref_format(&d->ref);
    if (!d->ref.repo || d->ref.digest) {
        int r = ds_fail(err, "%s: an image ID or digest cannot be written to; name the image as "
                             "containers-storage:NAME:TAG", what);
        free(what);
        return r;
    }
    cs_dst *o = ds_xcalloc(1, sizeof *o);
    o->fd = o->errfd = -1;
    o->pid = -1;
    o->what = what;
    o->name = ds_ref_engine_name(&d->ref);
    d->priv = o;
    d->ops = &cs_dest_ops;
    argv_t a = {0};
    int r = podman_argv(&d->ref, what, &a, err);
    int sv[2] = {-1, -1};
    if (r == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) r = ds_fail_errno(err, "%s: socketpair", what);
    if (r == 0) {
        arg(&a, "load"); arg(&a, "-q");
        r = spawn(what, a.v, sv[1], -1, &o->pid, &o->errfd, err);
        close(sv[1]);
        if (r < 0) { close(sv[0]); o->pid = -1; }
        else o->fd = sv[0];
    }
    argv_free(&a);
    if (r == 0) {
        ds_docker_archive_ref_named(&o->inner.ref, o->name);
        o->inner.opts = d->opts;
        r = ds_docker_archive_dest_open_fd(&o->inner, o->fd, true, what, err);
        if (r == 0) o->inner_open = true;
    }
    if (r < 0) { cs_free(d); return -1; }
    return 0;
}
