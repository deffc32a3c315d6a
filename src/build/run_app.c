/* One run of a tree as a container: start it (under the sensor for trace and diagnose),
 * wait until it is ready, run setup, the tests (or port probes), the checks (never while
 * tracing), teardown, stop it, and load the sensor's log. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "build/build_int.h"
#include "util/fsutil.h"

double ds_build_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ds_build_note(ds_bctx *c, const char *fmt, ...) {
    if (!c->ev || !c->ev->note) return;
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0) m = NULL;
    va_end(ap);
    if (m) c->ev->note(c->ev->ctx, m);
    free(m);
}

typedef struct strv { char **v; size_t n; } strv;
static void strv_add(strv *s, char *x) { s->v = ds_xrealloc(s->v, (s->n + 1) * sizeof *s->v); s->v[s->n++] = x; }

/* Absolute: the runtime bind-mounts it from the bundle directory, where a relative path means nothing. */
static char *absolute(const char *p) {
    char *r = realpath(p, NULL);
    return r ? r : ds_xstrdup(p);
}

static char *find_sensor(const char *flag) {
    if (flag) return absolute(flag);
    const char *env = getenv("DISTILL_SENSOR");
    if (env && *env) return absolute(env);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            const char *cands[] = {"%s/distill-sensor", "%s/../libexec/distill/distill-sensor", "%s/../lib/distill/distill-sensor"};
            for (size_t i = 0; i < 3; i++) {
                char *p = ds_xasprintf(cands[i], self);
                if (access(p, X_OK) == 0) return p;
                free(p);
            }
        }
    }
    return NULL;
}

static void log_tail(ds_bctx *c, const char *path) {
    if (!c->ev || !c->ev->log_tail) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *lines[10] = {0};
    char buf[512];
    size_t n = 0;
    while (fgets(buf, sizeof buf, f)) { free(lines[n % 10]); lines[n % 10] = ds_xstrdup(buf); n++; }
    fclose(f);
    char *ordered[10];
    size_t k = 0;
    for (size_t i = n > 10 ? n - 10 : 0; i < n; i++) ordered[k++] = lines[i % 10];
    if (k) c->ev->log_tail(c->ev->ctx, path, ordered, k);
    for (size_t i = 0; i < 10; i++) free(lines[i]);
}

/* The last non-empty line the container printed (its own words for why it stopped), malloc'd or NULL. */
static char *last_line(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char buf[512], *last = NULL;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = 0;
        if (!*buf) continue;
        free(last);
        last = ds_xstrdup(buf);
    }
    fclose(f);
    return last;
}

/* Append a step (command is taken over) and count it as a failure of rr when it failed. */
static ds_build_step *add_step(ds_bctx *c, ds_run_result *rr, const char *stage, const char *kind, char *command,
                               int exit, bool passed) {
    ds_build_result *res = c->res;
    res->steps = ds_xrealloc(res->steps, (res->n_steps + 1) * sizeof *res->steps);
    ds_build_step *s = &res->steps[res->n_steps++];
    *s = (ds_build_step){.stage = stage, .kind = kind, .command = command, .exit = exit, .passed = passed};
    if (!passed) {
        rr->failures++;
        if (rr->failed < 0) rr->failed = (ssize_t)(res->n_steps - 1);
    }
    return s;
}

static int step(ds_bctx *c, const char *stage, const char *kind, const char *cmd, ds_run_result *rr) {
    if (ds_interrupted) return -1;
    ds_test_env te = {.host = "127.0.0.1", .name = c->name, .tag = c->tag, .stage = stage};
    double secs = 0;
    bool late = false;
    ds_err err = {0};
    if (c->ev && c->ev->step_start) c->ev->step_start(c->ev->ctx, stage, kind, cmd);
    int st = ds_test_run(cmd, &te, 2, c->o->test_timeout, &secs, &late, &err);
    ds_build_step *s = add_step(c, rr, stage, kind, ds_xstrdup(cmd), st, st == 0 && !late);
    s->seconds = secs;
    s->timed_out = late;
    if (c->ev && c->ev->step_end) c->ev->step_end(c->ev->ctx, s);
    return st;
}

static bool is_stage(const char *a, const char *b) { return !strcmp(a, b); }

/* 0 when something listens on PORT. After a run of our own (the trace, before verify) the
 * runtime may still be tearing the last container down (podman's conmon, dockerd): give the
 * port up to 10 s to close before calling it someone else's. */
static int port_busy(const ds_runtime *rt, int port, bool after_own_run) {
    for (int tries = after_own_run ? 100 : 1;; ) {
        int busy = rt->ops->port_in_use ? rt->ops->port_in_use(rt->ctx, port) : ds_tcp_probe(port);
        if (busy != 0 || --tries <= 0) return busy;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int ds_build_run_app(ds_bctx *c, const char *tree, const char *user, bool trace, const char *stage,
                     const json_t *seccomp, ds_run_result *rr, ds_err *err) {
    memset(rr, 0, sizeof *rr);
    rr->failed = -1;
    ds_exec_user xu = {0};
    if (ds_exec_user_resolve(tree, user, &xu, err) < 0) return -1;
    const ds_build_opts *o = c->o;
    const ds_runtime *rt = c->rt;
    char *logdir = ds_xasprintf("%s/log-%d-%s", c->work, c->runs++, stage);
    char *stdio_log = ds_xasprintf("%s.out", logdir);
    char *sensor = NULL;
    strv args = {0};
    void *ct = NULL;
    bool started = false;
    int r = -1;
    if (ds_mkdirs(logdir, 0777, err) < 0) goto out;
    chmod(logdir, 0777); /* the app may run as any user and the sensor writes as it */
    if (trace) {
        sensor = find_sensor(o->sensor);
        if (!sensor) { ds_fail(err, "distill-sensor not found (install it next to distill, or give --sensor PATH)"); goto out; }
        strv_add(&args, DS_SENSOR_MOUNT);
        strv_add(&args, "--out");
        strv_add(&args, DS_LOG_MOUNT "/trace.json");
        strv_add(&args, "--syscalls");
        if (o->no_pin) strv_add(&args, "--no-pin");
        strv_add(&args, "--");
    }
    for (size_t i = 0; i < c->n_cmd; i++) strv_add(&args, c->cmd[i]);
    ds_run_spec spec = {.kind = rt->kind, .network = o->network_none ? DS_NET_NONE : DS_NET_HOST, .rootfs = tree,
                        .args = args.v, .n_args = args.n, .env = c->env, .n_env = c->n_env,
                        .cwd = c->cfg.working_dir, .uid = xu.uid, .gid = xu.gid, .additional_gids = xu.sgids,
                        .n_additional_gids = xu.n_sgids, .home = xu.home, .sensor_path = sensor, .log_dir = logdir,
                        .seccomp = seccomp, .name = "distill-build", .stdio_log = stdio_log,
                        .keep_upper = is_stage(stage, "trace") ? c->keep_upper : NULL};
    /* With the host's network, a port already taken would make us test someone else's server. */
    if (!o->network_none)
        for (size_t i = 0; i < c->cfg.n_tcp_ports; i++) {
            int port = c->cfg.tcp_ports[i];
            int busy = port_busy(rt, port, c->runs > 1);
            if (busy == 0) {
                ds_fail(err, "port %d is already in use on this machine: stop what listens there first", port);
                goto out;
            }
        }
    if (rt->ops->start(rt->ctx, &spec, &ct, err) < 0) goto out;
    started = true;
    ds_err rerr = {0};
    bool start_failed = false;
    if (rt->ops->wait_ready(ct, c->cfg.tcp_ports, c->cfg.n_tcp_ports, o->ready_cmd, o->ready_timeout, &rerr) < 0) {
        /* Never ready (crashed, or a port never opened): a failed run, not an error of ours. */
        log_tail(c, stdio_log);
        char *ll = last_line(stdio_log);
        char *what = ll ? ds_xasprintf("%s; it said: %s", rerr.msg, ll) : ds_xstrdup(rerr.msg);
        free(ll);
        add_step(c, rr, stage, "start", what, -1, false);
        start_failed = true;
    }
    if (!rr->failures && o->setup) step(c, stage, "setup", o->setup, rr);
    if (!rr->failures) {
        for (size_t i = 0; i < o->n_tests; i++) step(c, stage, "test", o->tests[i], rr);
        if (o->n_tests == 0 && rt->ops->running(ct)) {
            /* No tests: probe each port, and compare the candidate with the source. */
            for (size_t i = 0; i < c->cfg.n_tcp_ports; i++) {
                int port = c->cfg.tcp_ports[i], http = 0;
                int ok = ds_probe_port(port, &http) == 0;
                bool first = is_stage(stage, "trace");
                if (first) c->probe_status[i] = http;
                bool passed = ok && (first || http == c->probe_status[i]);
                char *what = ds_xasprintf("probe 127.0.0.1:%d (%s)", port, http ? "HTTP GET /" : "connect");
                ds_build_step *s = add_step(c, rr, stage, "probe", what, passed ? 0 : 1, passed);
                s->http_status = http;
            }
        }
        /* The held-out checks: the candidate only (and its diagnose run, to name what they lacked). */
        if (!is_stage(stage, "trace")) {
            size_t before = c->res->n_steps;
            for (size_t i = 0; i < o->n_checks; i++) step(c, stage, "check", o->checks[i], rr);
            if (is_stage(stage, "verify")) {
                c->res->checks_passed = c->res->checks_failed = 0;
                for (size_t i = before; i < c->res->n_steps; i++)
                    if (c->res->steps[i].passed) c->res->checks_passed++;
                    else c->res->checks_failed++;
            }
        }
    }
    if (o->teardown && !start_failed) step(c, stage, "teardown", o->teardown, rr);
    if (ds_interrupted) {
        ds_fail(err, "interrupted: container stopped and removed");
        rt->ops->stop(ct, 2, NULL, &(ds_err){0});
        goto out;
    }
    /* An app that ran to completion with status 0 (a batch job) is fine; any other exit is a failure. */
    bool exited_early = !rt->ops->running(ct);
    int code = 0;
    if (rt->ops->stop(ct, trace ? 15 : 3, &code, err) < 0) goto out;
    if (exited_early && code != 0 && rr->failed < 0) {
        log_tail(c, stdio_log);
        char *what = ds_xasprintf("the app exited with status %d during the %s run", code, stage);
        add_step(c, rr, stage, "app", what, code, false);
    }
    if (trace) {
        char *tp = ds_xasprintf("%s/trace.json", logdir);
        int lr = ds_build_trace_load(tp, &rr->trace, err);
        free(tp);
        if (lr < 0) { log_tail(c, stdio_log); goto out; }
    }
    r = 0;
out:
    if (started) rt->ops->free(ct);
    ds_exec_user_free(&xu);
    free(args.v);
    free(sensor);
    free(logdir);
    free(stdio_log);
    return r;
}

void ds_run_result_clear(ds_run_result *rr) {
    ds_trace_free(rr->trace);
    memset(rr, 0, sizeof *rr);
    rr->failed = -1;
}

void ds_build_diagnose(ds_bctx *c, const char *cand_tree, const char *user) {
    ds_run_result again;
    ds_err e2 = {0};
    ds_build_result *res = c->res;
    for (size_t i = 0; i < res->n_missing; i++) free(res->missing[i]);
    free(res->missing);
    res->missing = NULL;
    res->n_missing = 0;
    res->missing_known = false;
    if (ds_build_run_app(c, cand_tree, user, true, "diagnose", NULL, &again, &e2) == 0 && again.trace) {
        res->n_missing = ds_missing_files(c->rootfs, cand_tree, again.trace, &res->missing);
        res->missing_known = true;
        ds_build_denied_binds_take(c, again.trace);
    } else {
        ds_build_denied_binds_take(c, NULL);
        ds_build_note(c, "could not trace the failing run: %s", e2.msg[0] ? e2.msg : "no trace log");
    }
    ds_run_result_clear(&again);
}
