/* distill build SRC DST: run SRC under the sensor while its tests drive it, keep
 * the closure of what it used, verify the candidate with the same tests, and only
 * then write DST. The stages: open, unpack, trace, closure, candidate, verify, write. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include "build/build.h"
#include "cli/cli.h"
#include "fs/unpack.h"
#include "harden/harden.h"
#include "minify/minify.h"
#include "runtime/runtime.h"
#include "trace/path_json.h"
#include "util/fsutil.h"
#include "util/progress.h"

#define CMD "build"

static const char usage[] =
    "Usage: distill build SRC DST [options] [-- CMD ARGS...]\n"
    "Run SRC with its tests under a tracing sensor, keep only the files the app used\n"
    "(plus their ELF dependencies, symlink chains and parent dirs), verify the result\n"
    "with the same tests, and write it to DST only if every test passed.\n"
    "\n"
    "  --runtime runc|crun|podman    container runtime (default: the first found)\n"
    "  --network host|none           host (default): the app's ports are on 127.0.0.1;\n"
    "                                none: own network namespace, only --ready-cmd/tests inside\n"
    "  --test CMD                    a test, run on this machine by sh -c (repeatable)\n"
    "  --setup CMD, --teardown CMD   before / after the tests\n"
    "                                placeholders {LOCALHOST} {NAME} {CONTAINER_TAG}, also in\n"
    "                                $DISTILL_HOST $DISTILL_NAME $DISTILL_TAG ($DISTILL_STAGE=trace|verify)\n"
    "  --ready-cmd CMD               ready when CMD exits 0 (default: every exposed TCP port accepts)\n"
    "  --ready-timeout S             give up waiting after S seconds (default 60)\n"
    "  --user auto|NAME|UID[:GID]    run user of the result (auto: nonroot 65532 if the tests pass,\n"
    "                                else the source's user)\n"
    "  --keep GLOB                   also keep paths matching GLOB (a matching dir keeps all below)\n"
    "  --keep-shell                  keep shells and tools even if the app did not run them\n"
    "  --keep-package NAME           keep every file of a dpkg package (repeatable)\n"
    "  --keep-level package|file     package (default): keep the whole package of any file the app\n"
    "                                used, the app's own tree and runtime data; file: only the\n"
    "                                files it used (smallest; for complete tests). Volumes and the\n"
    "                                directories the app wrote in are kept whole at both levels\n"
    "  --out-dir DIR                 write report.json, seccomp.json and a Dockerfile there\n"
    "  --test-artifacts DIR          copy DIR (what the tests wrote) to OUT-DIR/test-artifacts\n"
    "  --seccomp-verify              run the verify stage under the generated seccomp profile\n"
    "  --no-pin                      let the traced app use every CPU (by default the sensor and the app\n"
    "                                share one CPU, which makes each trace stop several times cheaper)\n"
    "  --harden                      also apply distill harden's rules to the candidate (non-root\n"
    "                                user only; programs the app ran are allowed), then verify\n"
    "  --config FILE                 project file (default ./distill.yaml when present)\n"
    "  --name NAME, --tag TAG        values of {NAME} and {CONTAINER_TAG}\n"
    "  --sensor PATH                 distill-sensor binary (default: next to distill)\n"
    "  --keep-work                   keep the work directory (for debugging)\n"
    "  -q, --quiet                   no progress lines\n"
    CLI_TRANSPORT_HELP
    "  --compress gzip|zstd|none     layer compression of the result (default gzip)\n"
    "\n"
    "Exit status: 0 DST written, 1 a test failed (DST untouched), 2 usage, 3 error.\n";

typedef struct strv { char **v; size_t n; } strv;
static void strv_add(strv *s, char *x) { s->v = ds_xrealloc(s->v, (s->n + 1) * sizeof *s->v); s->v[s->n++] = x; }

typedef struct bopts {
    const char *src, *dst, *runtime, *network, *setup, *teardown, *ready_cmd, *user, *out_dir;
    const char *test_artifacts, *config, *name, *tag, *sensor, *keep_level;
    double ready_timeout;
    strv tests, keep, pkgs, cmd;
    bool keep_shell, seccomp_verify, keep_work, quiet, harden, no_pin;
    ds_opts topts;
} bopts;

typedef struct bctx {
    bopts *o;
    ds_image *img;
    char *work, *rootfs;
    ds_runtime_kind rt;
    ds_network net;
    strv env;
    const char *cwd;
    int *ports;
    size_t n_ports;
    json_t *tests;    /* results, all stages */
    json_t *timings;
    int *probe_status; /* per port, from the trace run (when no --test) */
    int runs;
    double t_stage;
    bool cmd_from_cli;
    json_t *rconfig; /* the result's config */
} bctx;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const stage_names[] = {"open", "unpack", "trace", "closure", "candidate", "verify", "write"};
static void stage(bctx *c, const char *name, const char *what) {
    c->t_stage = now_s();
    int no = 0;
    for (int i = 0; i < 7; i++)
        if (!strcmp(stage_names[i], name)) no = i + 1;
    ds_progress("distill build [%d/7] %s: %s", no, name, what);
}
static void stage_end(bctx *c, const char *name) {
    double prev = json_real_value(json_object_get(c->timings, name));
    json_object_set_new(c->timings, name, json_real(prev + now_s() - c->t_stage));
    ds_progress_done();
}

/* ------------------------------------------------------------------ args */

static int parse_args(int argc, char **argv, bopts *o) {
    strv pos = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            o->cmd.n = 0; /* the last `--` wins (project file first, then the command line) */
            for (int k = i + 1; k < argc; k++) {
                /* The command goes into the OCI runtime's config.json, whose strings are UTF-8:
                 * another byte would be dropped or changed on the way, so say so instead. */
                if (!ds_utf8_valid(argv[k])) {
                    char *hex = ds_hex_of(argv[k]);
                    cli_usage_error(CMD, "argument %d after -- is not UTF-8 (bytes %s): an OCI runtime cannot pass it",
                                    k - i, hex);
                    free(hex);
                    free(pos.v);
                    return -1;
                }
                strv_add(&o->cmd, argv[k]);
            }
            break;
        }
        int t = cli_transport_flag(CMD, argc, argv, &i, &o->topts);
        if (t < 0) return -1;
        if (t > 0) continue;
        static const char *const valued[] = {"--runtime", "--network", "--test", "--setup", "--teardown",
                                             "--ready-cmd", "--ready-timeout", "--user", "--keep",
                                             "--keep-package", "--out-dir", "--test-artifacts", "--config",
                                             "--name", "--tag", "--sensor", "--keep-level"};
        const char *v = NULL;
        int which = -1;
        for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) {
            size_t l = strlen(valued[k]);
            if (!strncmp(a, valued[k], l) && a[l] == '=') { v = a + l + 1; which = (int)k; break; }
            if (!strcmp(a, valued[k])) {
                if (i + 1 >= argc) { cli_usage_error(CMD, "%s needs a value", a); return -1; }
                v = argv[++i];
                which = (int)k;
                break;
            }
        }
        if (which >= 0) {
            switch (which) {
            case 0: o->runtime = v; break;
            case 1: o->network = v; break;
            case 2: strv_add(&o->tests, (char *)v); break;
            case 3: o->setup = v; break;
            case 4: o->teardown = v; break;
            case 5: o->ready_cmd = v; break;
            case 6: {
                char *end;
                o->ready_timeout = strtod(v, &end);
                if (*end || o->ready_timeout <= 0) { cli_usage_error(CMD, "--ready-timeout: not a number of seconds: %s", v); return -1; }
                break;
            }
            case 7: o->user = v; break;
            case 8: strv_add(&o->keep, (char *)v); break;
            case 9: strv_add(&o->pkgs, (char *)v); break;
            case 10: o->out_dir = v; break;
            case 11: o->test_artifacts = v; break;
            case 12: o->config = v; break;
            case 13: o->name = v; break;
            case 14: o->tag = v; break;
            case 15: o->sensor = v; break;
            case 16:
                if (ds_keep_level_parse(v) < 0) { cli_usage_error(CMD, "--keep-level: package or file, got %s", v); return -1; }
                o->keep_level = v;
                break;
            }
            continue;
        }
        if (!strcmp(a, "--keep-shell")) o->keep_shell = true;
        else if (!strcmp(a, "--seccomp-verify")) o->seccomp_verify = true;
        else if (!strcmp(a, "--no-pin")) o->no_pin = true;
        else if (!strcmp(a, "--keep-work")) o->keep_work = true;
        else if (!strcmp(a, "--harden")) o->harden = true;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) o->quiet = true;
        else if (a[0] == '-' && a[1]) { free(pos.v); cli_usage_error(CMD, "unknown option %s", a); return -1; }
        else strv_add(&pos, (char *)a);
    }
    if (pos.n > 0) o->src = pos.v[0];
    if (pos.n > 1) o->dst = pos.v[1];
    size_t extra = pos.n;
    free(pos.v);
    if (extra > 2) { cli_usage_error(CMD, "too many arguments (put the app's command after --)"); return -1; }
    return 0;
}

/* ------------------------------------------------------------------ helpers */

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

static void print_log_tail(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *lines[10] = {0};
    char buf[512];
    size_t n = 0;
    while (fgets(buf, sizeof buf, f)) { free(lines[n % 10]); lines[n % 10] = ds_xstrdup(buf); n++; }
    fclose(f);
    if (n) fprintf(stderr, "distill build: last lines of the container's output (%s):\n", path);
    for (size_t i = n > 10 ? n - 10 : 0; i < n; i++) fprintf(stderr, "  | %s", lines[i % 10]);
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

typedef struct run_result {
    int failures;
    json_t *failed;  /* the first failing step {kind, command, exit} or NULL */
    ds_trace *trace; /* when run with the sensor */
} run_result;

static int step(bctx *c, const char *stage_name, const char *kind, const char *cmd, run_result *rr) {
    if (ds_interrupted) return -1;
    ds_test_env te = {.host = "127.0.0.1", .name = c->o->name, .tag = c->o->tag, .stage = stage_name};
    double secs = 0;
    ds_err err = {0};
    ds_progress_done();
    fprintf(stderr, "distill build: %s %s: %s\n", stage_name, kind, cmd);
    int st = ds_test_run(cmd, &te, 2, &secs, &err);
    json_t *r = json_pack("{s:s, s:s, s:s, s:i, s:f, s:b}", "stage", stage_name, "kind", kind, "command", cmd,
                          "exit", st, "seconds", secs, "passed", st == 0);
    json_array_append(c->tests, r);
    if (st != 0) {
        rr->failures++;
        if (!rr->failed) rr->failed = json_incref(r);
    }
    json_decref(r);
    return st;
}

/* Run tree as a container (with the sensor when trace), drive it with the tests. */
static int run_app(bctx *c, const char *tree, uint32_t uid, uint32_t gid, bool trace, const char *stage_name,
                   const json_t *seccomp, run_result *rr, ds_err *err) {
    memset(rr, 0, sizeof *rr);
    char *logdir = ds_xasprintf("%s/log-%d-%s", c->work, c->runs++, stage_name);
    char *stdio_log = ds_xasprintf("%s.out", logdir);
    char *sensor = NULL;
    strv args = {0};
    ds_container *ct = NULL;
    int r = -1;
    if (ds_mkdirs(logdir, 0777, err) < 0) goto out;
    chmod(logdir, 0777); /* the app may run as any user and the sensor writes as it */
    if (trace) {
        sensor = find_sensor(c->o->sensor);
        if (!sensor) { ds_fail(err, "distill-sensor not found (install it next to distill, or give --sensor PATH)"); goto out; }
        strv_add(&args, DS_SENSOR_MOUNT);
        strv_add(&args, "--out");
        strv_add(&args, DS_LOG_MOUNT "/trace.json");
        strv_add(&args, "--syscalls");
        if (c->o->no_pin) strv_add(&args, "--no-pin");
        strv_add(&args, "--");
    }
    for (size_t i = 0; i < c->o->cmd.n; i++) strv_add(&args, c->o->cmd.v[i]);
    ds_run_spec spec = {.kind = c->rt, .network = c->net, .rootfs = tree, .args = args.v, .n_args = args.n,
                        .env = c->env.v, .n_env = c->env.n, .cwd = c->cwd, .uid = uid, .gid = gid,
                        .sensor_path = sensor, .log_dir = logdir, .seccomp = seccomp, .name = "distill-build",
                        .stdio_log = stdio_log};
    /* With the host's network, a port already taken would make us test someone else's server. */
    if (c->net == DS_NET_HOST)
        for (size_t i = 0; i < c->n_ports; i++)
            if (ds_tcp_probe(c->ports[i]) == 0) {
                ds_fail(err, "port %d is already in use on this machine: stop what listens there first", c->ports[i]);
                goto out;
            }
    if (ds_container_start(&spec, &ct, err) < 0) goto out;
    ds_err rerr = {0};
    if (ds_container_wait_ready(ct, c->ports, c->n_ports, c->o->ready_cmd, c->o->ready_timeout, &rerr) < 0) {
        /* Never ready (crashed, or a port never opened): a failed run, not an error of ours. */
        print_log_tail(stdio_log);
        char *ll = last_line(stdio_log);
        char *what = ll ? ds_xasprintf("%s; it said: %s", rerr.msg, ll) : ds_xstrdup(rerr.msg);
        free(ll);
        json_t *res = json_pack("{s:s, s:s, s:s, s:i, s:b}", "stage", stage_name, "kind", "start", "command",
                                what, "exit", -1, "passed", 0);
        free(what);
        json_array_append(c->tests, res);
        rr->failures++;
        rr->failed = res;
    }
    if (!rr->failures && c->o->setup) step(c, stage_name, "setup", c->o->setup, rr);
    if (!rr->failures) {
        for (size_t i = 0; i < c->o->tests.n; i++) step(c, stage_name, "test", c->o->tests.v[i], rr);
        if (c->o->tests.n == 0 && ds_container_running(ct)) {
            /* No tests: probe each port, and compare the candidate with the source. */
            for (size_t i = 0; i < c->n_ports; i++) {
                int http = 0;
                int ok = ds_probe_port(c->ports[i], &http) == 0;
                bool first = !strcmp(stage_name, "trace");
                if (first) c->probe_status[i] = http;
                bool passed = ok && (first || http == c->probe_status[i]);
                char *what = ds_xasprintf("probe 127.0.0.1:%d (%s)", c->ports[i], http ? "HTTP GET /" : "connect");
                json_t *res = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b}", "stage", stage_name, "kind", "probe",
                                        "command", what, "exit", passed ? 0 : 1, "http_status", http, "passed", passed);
                free(what);
                json_array_append(c->tests, res);
                if (!passed) { rr->failures++; if (!rr->failed) rr->failed = json_incref(res); }
                json_decref(res);
            }
        }
    }
    if (c->o->teardown && !(rr->failed && !strcmp(json_string_value(json_object_get(rr->failed, "kind")), "start")))
        step(c, stage_name, "teardown", c->o->teardown, rr);
    /* An app that ran to completion with status 0 (a batch job) is fine; any other exit is a failure. */
    if (ds_interrupted) {
        ds_fail(err, "interrupted: container stopped and removed");
        ds_container_stop(ct, 2, NULL, &(ds_err){0});
        goto out;
    }
    bool exited_early = !ds_container_running(ct);
    int code = 0;
    if (ds_container_stop(ct, trace ? 15 : 3, &code, err) < 0) goto out;
    if (exited_early && code != 0 && !rr->failed) {
        print_log_tail(stdio_log);
        char *what = ds_xasprintf("the app exited with status %d during the %s run", code, stage_name);
        json_t *res = json_pack("{s:s, s:s, s:s, s:i, s:b}", "stage", stage_name, "kind", "app", "command", what,
                                "exit", code, "passed", 0);
        free(what);
        json_array_append(c->tests, res);
        rr->failures++;
        if (!rr->failed) rr->failed = json_incref(res);
        json_decref(res);
    }
    if (trace) {
        char *tp = ds_xasprintf("%s/trace.json", logdir);
        int lr = ds_build_trace_load(tp, &rr->trace, err);
        free(tp);
        if (lr < 0) { print_log_tail(stdio_log); goto out; }
    }
    r = 0;
out:
    ds_container_free(ct);
    free(args.v);
    free(sensor);
    free(logdir);
    free(stdio_log);
    return r;
}

static void run_result_clear(run_result *rr) {
    json_decref(rr->failed);
    ds_trace_free(rr->trace);
    memset(rr, 0, sizeof *rr);
}

/* Run the failing candidate again under the sensor: [path] of the files SRC has that the
 * run reached and the candidate lacks. NULL (reason printed) when it could not be traced. */
static json_t *diagnose(bctx *c, const char *cand_tree, uint32_t uid, uint32_t gid) {
    run_result again = {0};
    ds_err e2 = {0};
    json_t *missing = NULL;
    if (run_app(c, cand_tree, uid, gid, true, "diagnose", NULL, &again, &e2) == 0 && again.trace)
        missing = ds_missing_files(c->rootfs, cand_tree, again.trace);
    else
        fprintf(stderr, "distill build: could not trace the failing run: %s\n", e2.msg[0] ? e2.msg : "no trace log");
    run_result_clear(&again);
    return missing;
}

static void print_missing(const char *src, const json_t *missing) {
    if (!json_array_size(missing)) {
        fprintf(stderr, "distill build: the failing run reached no file that the source has and the candidate lacks\n");
        return;
    }
    fprintf(stderr, "distill build: files in %s the candidate lacked when the tests ran:\n", src);
    size_t i;
    json_t *m;
    json_array_foreach(missing, i, m) fprintf(stderr, "  missing: %s\n", json_string_value(m));
    fprintf(stderr, "distill build: add them with --keep GLOB (or make the first run's tests reach them)\n");
}

static int write_text(const char *dir, const char *name, const char *text, ds_err *err) {
    char *p = ds_xasprintf("%s/%s", dir, name);
    int r = ds_write_file_atomic(p, text, strlen(text), 0644, err);
    free(p);
    return r;
}

static int copy_artifacts(const char *from, const char *out_dir) {
    if (!ds_exists(from)) return 0;
    char *dst = ds_xasprintf("%s/test-artifacts", out_dir);
    ds_err e;
    ds_mkdirs(dst, 0755, &e);
    int st = -1;
    pid_t p = fork();
    if (p == 0) {
        execlp("cp", "cp", "-a", "--", from, dst, (char *)NULL);
        _exit(127);
    }
    if (p > 0) waitpid(p, &st, 0);
    free(dst);
    return st;
}

/* ------------------------------------------------------------------ main */

static void build_env(bctx *c) {
    json_t *env = json_object_get(json_object_get(c->img->config, "config"), "Env");
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
        if (json_is_string(v)) strv_add(&c->env, (char *)json_string_value(v));
    if (!ds_config_env(c->img->config, "PATH"))
        strv_add(&c->env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
}

/* The config the result carries: the source's, with a command given after `--` as its
 * Entrypoint (what was traced and verified is what ships). */
static json_t *result_config(bctx *c) {
    json_t *cfg = json_deep_copy(c->img->config);
    if (!c->cmd_from_cli) return cfg;
    json_t *inner = json_object_get(cfg, "config");
    if (!inner) { inner = json_object(); json_object_set_new(cfg, "config", inner); }
    json_t *ep = json_array();
    for (size_t i = 0; i < c->o->cmd.n; i++) json_array_append_new(ep, json_string(c->o->cmd.v[i]));
    json_object_set_new(inner, "Entrypoint", ep);
    json_object_del(inner, "Cmd");
    return cfg;
}

static void image_command(bctx *c) {
    c->cmd_from_cli = c->o->cmd.n > 0;
    if (c->o->cmd.n) return;
    json_t *cfg = json_object_get(c->img->config, "config");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cfg, "Entrypoint"), i, v) strv_add(&c->o->cmd, (char *)json_string_value(v));
    json_array_foreach(json_object_get(cfg, "Cmd"), i, v) strv_add(&c->o->cmd, (char *)json_string_value(v));
}

static char *default_name(const char *ref) {
    const char *s = ref;
    const char *colon = strstr(s, "://");
    s = colon ? colon + 3 : (strchr(s, ':') ? strchr(s, ':') + 1 : s);
    const char *slash = strrchr(s, '/');
    if (slash && slash[1]) s = slash + 1;
    size_t n = strcspn(s, ":@");
    return ds_xstrndup(s, n);
}

int cmd_build(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (cli_is_help(argv[i])) { fputs(usage, stdout); return DS_EXIT_OK; }
    }
    bopts o = {.ready_timeout = 60, .user = "auto"};
    ds_opts_init(&o.topts);
    /* The project file's flags come first, so the command line wins. */
    const char *cfg = NULL;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "--config")) cfg = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9)) cfg = argv[i] + 9;
    }
    if (!cfg && ds_exists("distill.yaml")) cfg = "distill.yaml";
    char **all = NULL;
    int nall = 0;
    ds_err err = {0};
    if (cfg && ds_project_file_args(cfg, &all, &nall, &err) < 0) return cli_usage_error(CMD, "%s", err.msg);
    /* Order: the file's flags, the command line's flags, then one command: the command line's
     * (after its `--`) if it has one, else the file's. */
    int file_dd = -1, cli_dd = argc;
    for (int i = 0; i < nall; i++)
        if (!strcmp(all[i], "--")) { file_dd = i; break; }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) { cli_dd = i; break; }
    char **file_cmd = NULL;
    int n_file_cmd = 0;
    if (file_dd >= 0) {
        file_cmd = all + file_dd;
        n_file_cmd = nall - file_dd;
        nall = file_dd;
    }
    char **merged = ds_xcalloc((size_t)(nall + argc + n_file_cmd + 1), sizeof *merged);
    int nm = 0;
    for (int i = 0; i < nall; i++) merged[nm++] = all[i];
    for (int i = 1; i < cli_dd; i++) merged[nm++] = ds_xstrdup(argv[i]);
    if (cli_dd < argc) {
        for (int i = cli_dd; i < argc; i++) merged[nm++] = ds_xstrdup(argv[i]);
        for (int i = 0; i < n_file_cmd; i++) free(file_cmd[i]);
    } else {
        for (int i = 0; i < n_file_cmd; i++) merged[nm++] = file_cmd[i];
    }
    free(all);
    all = merged;
    nall = nm;
    int rc = DS_EXIT_ERROR;
    bctx c = {.o = &o, .tests = json_array(), .timings = json_object()};
    ds_closure *clo = NULL;
    ds_trace *trace = NULL;
    json_t *report = NULL, *seccomp = NULL, *harden_json = NULL;
    json_t *missing = NULL; /* what a failing candidate run lacked (from its diagnose run) */
    char *cand_tree = NULL, *name_alloc = NULL, *fallback_why = NULL;
    ds_candidate cand = {0};
    run_result rr = {0};
    if (parse_args(nall, all, &o) < 0) { rc = DS_EXIT_USAGE; goto done; }
    if (!o.src || !o.dst) { rc = cli_usage_error(CMD, "SRC and DST are required"); goto done; }
    if (o.quiet) ds_progress_enable(false);
    if (!o.name) o.name = name_alloc = default_name(o.src);
    c.net = DS_NET_HOST;
    if (o.network && !strcmp(o.network, "none")) c.net = DS_NET_NONE;
    else if (o.network && strcmp(o.network, "host")) { rc = cli_usage_error(CMD, "--network: host or none, got %s", o.network); goto done; }
    if (ds_runtime_pick(o.runtime, &c.rt, &err) < 0) goto fail;
    if (geteuid() != 0 && c.rt != DS_RT_PODMAN) { ds_fail(&err, "runc/crun need root here (or use --runtime podman)"); goto fail; }
    double t0 = now_s();
    /* ^C or a kill: src/cli/interrupt.c removes the work dir, or, while a container runs,
     * sets ds_interrupted so run_app stops and removes it and the overlay first. */

    /* 1. open */
    stage(&c, "open", o.src);
    if (ds_image_open(o.src, &o.topts, &c.img, &err) < 0) goto fail;
    /* Refuse DST = SRC or DST inside SRC before minutes of tracing, not at publish time. */
    if (ds_dest_check(&c.img->ref, o.dst, &err) < 0) goto fail;
    stage_end(&c, "open");
    /* {CONTAINER_TAG}: --tag, else the source's tag (an OCI ref name, a registry tag), else latest. */
    if (!o.tag) {
        const char *t = c.img->ref.tag;
        if (t && strchr(t, ':')) t = strrchr(t, ':') + 1; /* docker-archive "repo:tag" */
        o.tag = t && *t ? t : "latest";
    }

    /* 2. unpack */
    stage(&c, "unpack", "applying layers");
    if (ds_mkdtemp("distill-build", &c.work, &err) < 0) goto fail;
    chmod(c.work, 0755);
    c.rootfs = ds_xasprintf("%s/source", c.work);
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    uo.keep_owners = geteuid() == 0;
    if (ds_image_unpack(c.img, c.rootfs, &uo, &err) < 0) goto fail;
    stage_end(&c, "unpack");

    build_env(&c);
    image_command(&c);
    if (!o.cmd.n) { ds_fail(&err, "%s has no entrypoint or cmd: give the app's command after --", o.src); goto fail; }
    c.rconfig = result_config(&c);
    c.cwd = json_string_value(json_object_get(json_object_get(c.img->config, "config"), "WorkingDir"));
    c.n_ports = ds_config_tcp_ports(c.img->config, &c.ports);
    c.probe_status = ds_xcalloc(c.n_ports + 1, sizeof *c.probe_status);
    const char *src_user = json_string_value(json_object_get(json_object_get(c.img->config, "config"), "User"));
    uint32_t suid, sgid;
    if (ds_user_resolve(c.rootfs, src_user, &suid, &sgid, &err) < 0) goto fail;
    if (o.tests.n == 0) {
        ds_progress_done();
        if (c.n_ports)
            fprintf(stderr, "distill build: WARNING: no --test given: only probing %zu exposed port(s). Probes cover "
                            "little; files needed by anything else the app does will be missing.\n", c.n_ports);
        else
            fprintf(stderr, "distill build: WARNING: no --test and no exposed port: only checking that the app "
                            "starts (or runs to completion); anything else it does is not covered.\n");
    }

    /* 3. trace */
    stage(&c, "trace", "running the source under the sensor");
    if (run_app(&c, c.rootfs, suid, sgid, true, "trace", NULL, &rr, &err) < 0) goto fail;
    stage_end(&c, "trace");
    if (rr.failures) {
        fprintf(stderr, "distill build: %s `%s` failed (exit %d) on the SOURCE image: fix the test or the image "
                        "first; nothing written\n",
                json_string_value(json_object_get(rr.failed, "kind")),
                json_string_value(json_object_get(rr.failed, "command")),
                (int)json_integer_value(json_object_get(rr.failed, "exit")));
        rc = DS_EXIT_FAILED;
        goto done;
    }
    trace = rr.trace;
    rr.trace = NULL;
    run_result_clear(&rr);

    /* 4. closure */
    stage(&c, "closure", "computing what the app needs");
    strv volumes = {0};
    const char *vk;
    json_t *vv;
    json_object_foreach(json_object_get(json_object_get(c.img->config, "config"), "Volumes"), vk, vv)
        strv_add(&volumes, (char *)vk);
    ds_minify_opts mo = {.keep_level = (ds_keep_level)ds_keep_level_parse(o.keep_level ? o.keep_level : "package"),
                         .volumes = volumes.v, .n_volumes = volumes.n,
                         .ld_library_path = ds_config_env(c.img->config, "LD_LIBRARY_PATH"),
                         .path_env = ds_config_env(c.img->config, "PATH"),
                         .command = o.cmd.v, .n_command = o.cmd.n, .keep_globs = o.keep.v, .n_keep_globs = o.keep.n,
                         .keep_packages = o.pkgs.v, .n_keep_packages = o.pkgs.n, .keep_shell = o.keep_shell,
                         .workdir = c.cwd};
    int cr = ds_closure_compute(c.rootfs, trace, &mo, &clo, &err);
    free(volumes.v);
    if (cr < 0) goto fail;
    stage_end(&c, "closure");
    char *kl_line = ds_keep_level_summary(clo);
    fprintf(stderr, "distill build: %s\n", kl_line);
    free(kl_line);
    const char *arch = trace->arch && *trace->arch ? trace->arch : NULL;
    seccomp = ds_seccomp_profile(trace->syscalls, trace->nsyscalls, arch ? arch : c.img->arch);

    /* 5+6. candidate tree and verify; --user auto tries nonroot first. */
    bool try_nonroot = !strcmp(o.user, "auto");
    uint32_t vuid = suid, vgid = sgid;
    char user_text[64] = "";
    const char *user_why = NULL;
    if (!try_nonroot) {
        if (!strcmp(o.user, DS_NONROOT_NAME)) { vuid = vgid = DS_NONROOT_UID; }
        else if (ds_user_resolve(c.rootfs, o.user, &vuid, &vgid, &err) < 0) goto fail;
        user_why = "--user";
    }
    bool passed = false;
    for (int attempt = 0; attempt < 2 && !passed; attempt++) {
        bool nonroot = try_nonroot && attempt == 0;
        if (try_nonroot && attempt == 1) { vuid = suid; vgid = sgid; }
        if (nonroot) { vuid = vgid = DS_NONROOT_UID; }
        snprintf(user_text, sizeof user_text, "%u:%u", vuid, vgid);
        stage(&c, "candidate", "writing the minimal tree");
        if (cand_tree) ds_rmtree(cand_tree, &(ds_err){0});
        free(cand_tree);
        cand_tree = ds_xasprintf("%s/candidate-%d", c.work, attempt);
        ds_user_setup us = {.add_nonroot = vuid == DS_NONROOT_UID, .chown_written = vuid != 0,
                            .chown_uid = vuid, .chown_gid = vgid};
        if (ds_closure_write_tree(c.rootfs, clo, &us, cand_tree, &err) < 0) goto fail;
        json_decref(harden_json);
        harden_json = NULL;
        if (o.harden && vuid == 0) {
            harden_json = json_pack("{s:b, s:s}", "applied", 0, "why", "the run user is root: harden refuses it");
        } else if (o.harden) {
            /* The harden rules on the candidate; what the app ran is allowed to stay. */
            size_t nt = json_array_size(clo->used_tools), ti;
            const char **allow = ds_xcalloc(nt + 1, sizeof *allow);
            json_t *tv;
            json_array_foreach(clo->used_tools, ti, tv) allow[ti] = json_string_value(json_object_get(tv, "path"));
            ds_harden_opts ho;
            ds_harden_opts_init(&ho);
            ho.user = user_text;
            ho.config = c.rconfig;
            ho.allow = allow;
            ho.n_allow = nt;
            ds_harden_report hrep;
            ds_harden_report_init(&hrep);
            int hr = ds_harden_tree(cand_tree, &ho, &hrep, &err);
            free(allow);
            if (hr == 0) harden_json = ds_harden_report_json(&hrep);
            ds_harden_report_free(&hrep);
            if (hr < 0) { ds_err_wrap(&err, "--harden"); goto fail; }
        }
        stage_end(&c, "candidate");
        stage(&c, "verify", "running the candidate with the same tests");
        if (run_app(&c, cand_tree, vuid, vgid, false, "verify", o.seccomp_verify ? seccomp : NULL, &rr, &err) < 0)
            goto fail;
        stage_end(&c, "verify");
        if (!rr.failures) {
            passed = true;
            if (nonroot) user_why = "nonroot passed every test";
            else if (try_nonroot) user_why = fallback_why;
        } else if (nonroot) {
            /* Missing files fail as any user: name them now instead of a pointless retry as the
             * source's user. Only a failure with nothing missing (a privilege nonroot lacks,
             * such as binding port 80) is retried. */
            fprintf(stderr, "distill build: as nonroot (65532) %s `%s` failed (exit %d): tracing it to tell "
                            "missing files from a missing privilege\n",
                    json_string_value(json_object_get(rr.failed, "kind")),
                    json_string_value(json_object_get(rr.failed, "command")),
                    (int)json_integer_value(json_object_get(rr.failed, "exit")));
            missing = diagnose(&c, cand_tree, vuid, vgid);
            if (json_array_size(missing)) {
                user_why = "nonroot failed on files the candidate lacked (a user change cannot fix that): "
                           "not retried as the source's user";
                break;
            }
            json_decref(missing);
            missing = NULL;
            fallback_why = ds_xasprintf("as nonroot (65532) %s `%s` failed (exit %d): using the source's user %s",
                                        json_string_value(json_object_get(rr.failed, "kind")),
                                        json_string_value(json_object_get(rr.failed, "command")),
                                        (int)json_integer_value(json_object_get(rr.failed, "exit")),
                                        src_user && *src_user ? src_user : "root");
            fprintf(stderr, "distill build: %s\n", fallback_why);
            run_result_clear(&rr);
        }
    }
    if (!passed) {
        fprintf(stderr, "distill build: FAILED on the candidate: %s `%s` (exit %d); %s left untouched\n",
                json_string_value(json_object_get(rr.failed, "kind")),
                json_string_value(json_object_get(rr.failed, "command")),
                (int)json_integer_value(json_object_get(rr.failed, "exit")), o.dst);
        /* Run it again under the sensor to name what it reached for and did not find
         * (done already when the nonroot run failed on missing files). */
        if (!missing) missing = diagnose(&c, cand_tree, vuid, vgid);
        if (missing) print_missing(o.src, missing);
        rc = DS_EXIT_FAILED;
        goto report;
    }

    /* 7. write */
    stage(&c, "write", o.dst);
    if (ds_candidate_make(c.img, c.rconfig, cand_tree, user_text, o.topts.compress, c.work, &cand, &err) < 0) goto fail;
    if (ds_candidate_publish(&cand, o.dst, &o.topts, &err) < 0) goto fail;
    stage_end(&c, "write");
    rc = DS_EXIT_OK;

report:;
    double t_report = now_s();
    ds_tree_stats before = {0}, after = {0};
    ds_tree_stats_of(c.rootfs, &before, &err);
    if (cand_tree) ds_tree_stats_of(cand_tree, &after, &err);
    int64_t used = ds_trace_used_bytes(c.rootfs, trace);
    if (rc == DS_EXIT_OK) {
        fprintf(stderr, "distill build: %s -> %s: %.1f MB, %lld files -> %.1f MB, %lld files (%.1fx smaller; the app "
                        "used %.1f MB); user %s; %s\n",
                o.src, o.dst, before.bytes / 1e6, (long long)before.files, after.bytes / 1e6, (long long)after.files,
                after.bytes ? (double)before.bytes / (double)after.bytes : 0.0, used / 1e6, user_text,
                cand.manifest_digest);
        printf("%s\n", cand.manifest_digest);
    }
    if (o.out_dir) {
        json_t *kept = json_array();
        for (size_t i = 0; i < clo->keep.n; i++) {
            struct stat st;
            char *h = ds_xasprintf("%s%s", c.rootfs, clo->keep.v[i].path);
            json_int_t size = lstat(h, &st) == 0 && S_ISREG(st.st_mode) ? (json_int_t)st.st_size : 0;
            free(h);
            json_array_append_new(kept, json_pack("{s:o, s:o, s:I}", "path", ds_json_bytes(clo->keep.v[i].path),
                                                  "reason", ds_json_lossy(clo->keep.v[i].reason), "size", size));
        }
        json_t *dropped = ds_tools_left_out(c.rootfs, &clo->keep);
        json_t *packages = ds_package_shares(c.rootfs, &clo->keep);
        json_t *command = json_array();
        for (size_t i = 0; i < trace->ncommand; i++) json_array_append_new(command, ds_json_bytes(trace->command[i]));
        json_object_set_new(c.timings, "report", json_real(now_s() - t_report));
        json_object_set_new(c.timings, "total", json_real(now_s() - t0));
        report = json_pack(
            "{s:i, s:s, s:s, s:s, s:{s:s, s:I, s:I}, s:{s:s, s:I, s:I}, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:O, "
            "s:O, s:O, s:O, s:O, s:O, s:o, s:o}",
            "version", 1, "source", o.src, "destination", o.dst, "result", rc == DS_EXIT_OK ? "written" : "failed",
            "before", "digest", c.img->manifest_digest, "files", (json_int_t)before.files, "bytes", (json_int_t)before.bytes,
            "after", "digest", cand.manifest_digest, "files", (json_int_t)after.files, "bytes", (json_int_t)after.bytes,
            "used_bytes", (json_int_t)used, "runtime", ds_runtime_name(c.rt), "user", user_text, "user_reason",
            user_why ? user_why : "", "arch", arch ? arch : (c.img->arch ? c.img->arch : ""), "kept", kept,
            "packages", packages, "tools_used", clo->used_tools, "tools_seen_dropped",
            clo->dropped_tools, "written_by_app", clo->written, "warnings", clo->warnings, "tests", c.tests,
            "timings", c.timings, "tools_dropped", dropped, "command", command);
        if (harden_json) json_object_set(report, "harden", harden_json);
        if (clo->keep_level) json_object_set(report, "keep_level", clo->keep_level);
        if (missing) json_object_set(report, "missing", missing);
        /* Paths that are not UTF-8: readable text plus "<key>_hex" with the exact bytes. */
        ds_json_export(report);
        if (ds_mkdirs(o.out_dir, 0755, &err) < 0) goto fail;
        char *text = json_dumps(report, JSON_INDENT(2));
        int w = write_text(o.out_dir, "report.json", text, &err);
        free(text);
        if (w < 0) goto fail;
        text = json_dumps(seccomp, JSON_INDENT(2));
        w = write_text(o.out_dir, "seccomp.json", text, &err);
        free(text);
        if (w < 0) goto fail;
        text = ds_dockerfile(o.src, clo, c.rconfig, user_text, c.rootfs);
        w = write_text(o.out_dir, "Dockerfile", text, &err);
        free(text);
        if (w < 0) goto fail;
        if (o.test_artifacts) copy_artifacts(o.test_artifacts, o.out_dir);
    }
    goto done;

fail:
    ds_progress_done();
    rc = cli_error(CMD, &err);
done:
    ds_progress_done();
    run_result_clear(&rr);
    if (c.work) {
        if (o.keep_work) fprintf(stderr, "distill build: work directory kept: %s\n", c.work);
        else ds_rmtree(c.work, &(ds_err){0});
    }
    ds_candidate_clear(&cand);
    ds_closure_free(clo);
    ds_trace_free(trace);
    json_decref(report);
    json_decref(seccomp);
    json_decref(harden_json);
    json_decref(missing);
    json_decref(c.tests);
    json_decref(c.timings);
    json_decref(c.rconfig);
    if (c.img) ds_image_close(c.img);
    free(c.work); free(c.rootfs); free(c.ports); free(c.probe_status); free(c.env.v);
    free(cand_tree); free(name_alloc); free(fallback_why);
    free(o.tests.v); free(o.keep.v); free(o.pkgs.v); free(o.cmd.v);
    for (int i = 0; i < nall; i++) free(all[i]);
    free(all);
    return rc;
}
