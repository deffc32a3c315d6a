/* Which runtime a build uses: the one asked for, or the first of runc, crun, podman and
 * docker that works here. "Works" is probed for real: runc and crun need root and must
 * answer `list` (their state directory is usable), podman must answer `podman info`
 * (its storage and OCI runtime are set up), the Docker Engine must answer /_ping and
 * /version on DOCKER_HOST's socket. The reason is kept for the report. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "runtime/runtime_int.h"
#include "util/strvec.h"

static const ds_runtime_kind order[] = {DS_RT_RUNC, DS_RT_CRUN, DS_RT_PODMAN, DS_RT_DOCKER};
#define N_ORDER (sizeof order / sizeof *order)

static bool in_path(const char *prog) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char *copy = ds_xstrdup(path), *save = NULL;
    bool found = false;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *p = ds_xasprintf("%s/%s", d, prog);
        found = access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

static char *join(const ds_strvec *v, const char *sep) {
    char *s = ds_xstrdup("");
    for (size_t i = 0; i < v->n; i++) {
        char *t = ds_xasprintf("%s%s%s", s, i ? sep : "", v->v[i]);
        free(s);
        s = t;
    }
    return s;
}

/* 0 when kind works here, with *what saying how we know; else -1 with *what saying why not. */
static int probe(ds_runtime_kind kind, char **what) {
    const char *name = ds_runtime_name(kind);
    if (kind == DS_RT_DOCKER) {
        ds_err err = {0};
        if (ds_docker_probe(what, &err) == 0) return 0;
        /* The engine's message names what it is about ("docker: ..."); the list says it already. */
        const char *m = err.msg;
        if (!strncmp(m, "docker: ", 8)) m += 8;
        *what = ds_xstrdup(m);
        return -1;
    }
    if (!in_path(name)) { *what = ds_xasprintf("%s is not in PATH", name); return -1; }
    if (kind == DS_RT_PODMAN) {
        char *argv[] = {"podman", "info", "--format", "{{.Host.OCIRuntime.Name}}", NULL};
        if (ds_rt_run_quiet(argv, NULL) != 0) { *what = ds_xstrdup("`podman info` failed"); return -1; }
        *what = ds_xstrdup("`podman info` answers");
        return 0;
    }
    if (geteuid() != 0) { *what = ds_xasprintf("%s needs root here", name); return -1; }
    char *argv[] = {(char *)name, "list", NULL};
    if (ds_rt_run_quiet(argv, NULL) != 0) { *what = ds_xasprintf("`%s list` failed", name); return -1; }
    *what = ds_xasprintf("`%s list` answers as root", name);
    return 0;
}

int ds_runtime_pick(const char *name, ds_runtime_kind *out, char **why, ds_err *err) {
    if (why) *why = NULL;
    if (!name || !strcmp(name, "auto")) {
        ds_strvec no = {0};
        for (size_t i = 0; i < N_ORDER; i++) {
            char *what = NULL;
            if (probe(order[i], &what) == 0) {
                *out = order[i];
                if (why) {
                    char *skipped = join(&no, "; ");
                    *why = ds_xasprintf("the first of runc, crun, podman, docker that works (%s%s%s)", what,
                                        no.n ? "; not " : "", no.n ? skipped : "");
                    free(skipped);
                }
                free(what);
                ds_strvec_free(&no);
                return 0;
            }
            ds_strvec_take(&no, ds_xasprintf("%s: %s", ds_runtime_name(order[i]), what));
            free(what);
        }
        char *all = join(&no, "; ");
        ds_fail(err, "no container runtime works here (%s): install runc, crun or podman, or start a Docker engine",
                all);
        free(all);
        ds_strvec_free(&no);
        return -1;
    }
    for (size_t i = 0; i < N_ORDER; i++)
        if (!strcmp(name, ds_runtime_name(order[i]))) {
            /* The engine's own errors (not running, permission) come when it is opened. */
            if (order[i] != DS_RT_DOCKER && !in_path(name)) return ds_fail(err, "runtime %s: not found in PATH", name);
            *out = order[i];
            if (why) *why = ds_xasprintf("asked for (--runtime %s)", name);
            return 0;
        }
    return ds_fail(err, "runtime %s: unknown (use runc, crun, podman or docker)", name);
}

int ds_runtime_open(ds_runtime_kind kind, ds_runtime *out, ds_err *err) {
    if (kind == DS_RT_DOCKER) return ds_runtime_docker(out, err);
    *out = ds_runtime_native(kind);
    return 0;
}

void ds_runtime_close(ds_runtime *rt) {
    if (rt->ops && rt->ops->close) rt->ops->close(rt->ctx);
    free(rt->why);
    rt->ctx = NULL;
    rt->why = NULL;
}
