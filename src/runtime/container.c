/* Start, wait for, and stop one container. The runtime CLI (runc, crun or podman)
 * runs in the foreground as our child, so its exit status is the app's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "runtime/runtime_int.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/fsutil.h"
#include "util/strvec.h"

struct ds_container {
    ds_runtime_kind kind;
    char *id;
    char *tmp;     /* bundle, overlay upper/work, pid file */
    char *merged;  /* overlay mount point (the container's root) */
    pid_t pid;     /* the runtime CLI */
    bool exited;
    int status;    /* waitpid status once exited */
    bool deleted;
    char *keep_upper; /* ds_run_spec.keep_upper */
};

const char *ds_runtime_name(ds_runtime_kind k) {
    switch (k) {
    case DS_RT_RUNC: return "runc";
    case DS_RT_CRUN: return "crun";
    case DS_RT_PODMAN: return "podman";
    case DS_RT_DOCKER: return "docker";
    }
    return "?";
}

static bool hybrid_cgroups(void) {
    return access("/sys/fs/cgroup/unified", F_OK) == 0 || access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0;
}

/* In a child about to exec crun: crun (1.8) refuses a cgroup v1/v2 hybrid host even with
 * --cgroup-manager=disabled. Give it a private mount namespace whose /sys/fs/cgroup is the cgroup2
 * hierarchy alone; it then runs, creating no cgroup (disabled), and the host is not changed.
 * Only async-signal-safe calls: this runs between fork and exec. */
static void crun_view(ds_runtime_kind kind) {
    if (kind != DS_RT_CRUN || !hybrid_cgroups()) return;
    if (unshare(CLONE_NEWNS) < 0) return; /* crun then says why it cannot run */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) return;
    mount("none", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

/* Run argv, output to log (or /dev/null); returns the exit status or -1. RUNTIME: the runtime argv
 * runs (for crun_view), or -1 for a command that is not a runtime's. */
static int run_quiet(int runtime, char *const argv[], const char *log) {
    pid_t p = fork();
    if (p < 0) return -1;
    if (p == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : open("/dev/null", O_WRONLY);
        if (out < 0) out = open("/dev/null", O_WRONLY);
        dup2(in, 0); dup2(out, 1); dup2(out, 2);
        if (runtime >= 0) crun_view((ds_runtime_kind)runtime);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(p, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *new_id(const char *prefix) {
    static atomic_uint n;
    return ds_xasprintf("%s-%d-%u", prefix ? prefix : "distill", (int)getpid(), atomic_fetch_add(&n, 1));
}

static int write_bundle(const ds_run_spec *spec, ds_container *c, char **bundle, ds_err *err) {
    char *dir = ds_xasprintf("%s/bundle", c->tmp);
    if (ds_mkdirs(dir, 0700, err) < 0) { free(dir); return -1; }
    json_t *cfg = ds_oci_config(spec, c->merged, c->id);
    char *text = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(cfg);
    char *path = ds_xasprintf("%s/config.json", dir);
    int r = ds_write_file_atomic(path, text, strlen(text), 0600, err);
    free(path); free(text);
    if (r < 0) { free(dir); return -1; }
    *bundle = dir;
    return 0;
}

typedef ds_strvec argvb; /* NULL-terminated: an argv */
static void add(argvb *a, char *s) { ds_strvec_take(a, s); } /* takes ownership */
static void argvb_free(argvb *a) { ds_strvec_free(a); }

static int podman_argv(const ds_run_spec *spec, ds_container *c, argvb *a, ds_err *err) {
    add(a, ds_xstrdup("podman")); add(a, ds_xstrdup("run")); add(a, ds_xstrdup("--rm"));
    add(a, ds_xasprintf("--name=%s", c->id));
    add(a, ds_xasprintf("--network=%s", spec->network == DS_NET_HOST ? "host" : "none"));
    add(a, ds_xasprintf("--user=%u:%u", spec->uid, spec->gid));
    /* podman adds no supplementary groups for a numeric uid:gid: name them. */
    for (size_t i = 0; i < spec->n_additional_gids; i++) add(a, ds_xasprintf("--group-add=%u", spec->additional_gids[i]));
    add(a, ds_xasprintf("--workdir=%s", spec->cwd && *spec->cwd ? spec->cwd : "/"));
    for (size_t i = 0; i < spec->n_env; i++) add(a, ds_xasprintf("--env=%s", spec->env[i]));
    if (spec->sensor_path) {
        add(a, ds_xstrdup("--cap-add=SYS_PTRACE"));
        add(a, ds_xasprintf("--volume=%s:%s:ro", spec->sensor_path, DS_SENSOR_MOUNT));
    }
    if (spec->log_dir) add(a, ds_xasprintf("--volume=%s:%s:rw", spec->log_dir, DS_LOG_MOUNT));
    if (spec->seccomp) {
        char *path = ds_xasprintf("%s/seccomp.json", c->tmp);
        char *text = json_dumps(spec->seccomp, JSON_COMPACT);
        int r = ds_write_file_atomic(path, text, strlen(text), 0600, err);
        free(text);
        if (r < 0) { free(path); return -1; }
        add(a, ds_xasprintf("--security-opt=seccomp=%s", path));
        free(path);
    }
    add(a, ds_xstrdup("--rootfs"));
    add(a, ds_xstrdup(c->merged));
    for (size_t i = 0; i < spec->n_args; i++) add(a, ds_xstrdup(spec->args[i]));
    return 0;
}

int ds_container_start(const ds_run_spec *spec, ds_container **out, ds_err *err) {
    if (!spec->rootfs || spec->n_args == 0) return ds_fail(err, "container: a root tree and a command are needed");
    ds_container *c = ds_xcalloc(1, sizeof *c);
    c->kind = spec->kind;
    c->id = new_id(spec->name);
    c->pid = -1;
    c->keep_upper = spec->keep_upper ? ds_xstrdup(spec->keep_upper) : NULL;
    argvb a = {0};
    char *bundle = NULL;
    if (ds_mkdtemp("distill-run", &c->tmp, err) < 0) goto fail;
    if (ds_overlay_mount(spec->rootfs, c->tmp, &c->merged, err) < 0) goto fail;
    if (spec->kind == DS_RT_PODMAN) {
        if (podman_argv(spec, c, &a, err) < 0) goto fail;
    } else {
        if (write_bundle(spec, c, &bundle, err) < 0) goto fail;
        add(&a, ds_xstrdup(ds_runtime_name(spec->kind)));
        /* On a cgroup v1/v2 hybrid host crun must leave cgroups alone (and see only cgroup2: crun_view). */
        if (spec->kind == DS_RT_CRUN && hybrid_cgroups()) add(&a, ds_xstrdup("--cgroup-manager=disabled"));
        add(&a, ds_xstrdup("run"));
        add(&a, ds_xasprintf("--bundle=%s", bundle));
        add(&a, ds_xasprintf("--pid-file=%s/pid", c->tmp));
        add(&a, ds_xstrdup(c->id));
    }
    int logfd = open(spec->stdio_log ? spec->stdio_log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0) { ds_fail_errno(err, "container log %s", spec->stdio_log); goto fail; }
    c->pid = fork();
    if (c->pid < 0) { close(logfd); ds_fail_errno(err, "fork"); goto fail; }
    if (c->pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        dup2(in, 0); dup2(logfd, 1); dup2(logfd, 2);
        /* Our own process group: a ^C on the terminal reaches distill, which stops the container cleanly. */
        setpgid(0, 0);
        crun_view(spec->kind);
        execvp(a.v[0], a.v);
        dprintf(logfd, "distill: exec %s: %s\n", a.v[0], strerror(errno)); /* into the container's log */
        _exit(127);
    }
    close(logfd);
    /* Until ds_container_free: an interrupt is left to the orderly stop below (runtime
     * kill + delete, overlay unmount); a second one stops the runtime by signal. */
    ds_cleanup_register_child(c->pid);
    ds_cleanup_defer_begin();
    argvb_free(&a);
    free(bundle);
    *out = c;
    return 0;
fail:
    argvb_free(&a);
    free(bundle);
    ds_container_free(c);
    return -1;
}

const char *ds_container_id(const ds_container *c) { return c->id; }

int ds_container_running(ds_container *c) {
    if (c->exited || c->pid <= 0) return 0;
    pid_t r = waitpid(c->pid, &c->status, WNOHANG);
    if (r == c->pid) { c->exited = true; return 0; }
    return 1;
}

int ds_tcp_probe(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    close(fd);
    if (r == 0) return 0;
    /* An app listening on IPv6 only ([::]:PORT with v6only) is ready too. */
    fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    r = connect(fd, (struct sockaddr *)&s6, sizeof s6);
    close(fd);
    return r == 0 ? 0 : -1;
}

static void describe_exit(int st, char *buf, size_t n) {
    if (WIFEXITED(st)) snprintf(buf, n, "exited with status %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(buf, n, "was killed by signal %d", WTERMSIG(st));
    else snprintf(buf, n, "stopped");
}

static int native_state(void *h, bool *ok, char *how, size_t n) {
    ds_container *c = h;
    if (ds_container_running(c)) return 1;
    describe_exit(c->status, how, n);
    *ok = WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
    return 0;
}

int ds_container_wait_ready(ds_container *c, const int *ports, size_t n_ports, const char *ready_cmd,
                            double timeout_s, ds_err *err) {
    return ds_ready_wait(c, native_state, c->id, ports, n_ports, ready_cmd, timeout_s, err);
}

static void runtime_signal(ds_container *c, const char *sig) {
    if (c->kind == DS_RT_PODMAN) {
        char *s = ds_xasprintf("--signal=%s", sig);
        char *argv[] = {"podman", "kill", s, c->id, NULL};
        run_quiet((int)c->kind, argv, NULL);
        free(s);
    } else {
        char *argv[] = {(char *)ds_runtime_name(c->kind), "kill", c->id, (char *)sig, NULL};
        run_quiet((int)c->kind, argv, NULL);
    }
}

static bool wait_exit(ds_container *c, double secs) {
    double until = ds_rt_now() + secs;
    while (ds_container_running(c)) {
        if (ds_rt_now() > until) return false;
        usleep(50 * 1000);
    }
    return true;
}

int ds_container_stop(ds_container *c, int grace_s, int *exit_code, ds_err *err) {
    if (ds_container_running(c)) {
        runtime_signal(c, "TERM");
        if (!wait_exit(c, grace_s)) {
            runtime_signal(c, "KILL");
            if (!wait_exit(c, 10)) {
                kill(c->pid, SIGKILL);
                if (!wait_exit(c, 5)) return ds_fail(err, "container %s: the runtime did not exit", c->id);
            }
        }
    }
    if (exit_code) *exit_code = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1;
    return 0;
}

void ds_container_free(ds_container *c) {
    if (!c) return;
    if (c->pid > 0 && ds_container_running(c)) {
        ds_err e;
        ds_container_stop(c, 2, NULL, &e);
    }
    if (c->pid > 0 && c->kind != DS_RT_PODMAN) {
        char *argv[] = {(char *)ds_runtime_name(c->kind), "delete", "--force", c->id, NULL};
        run_quiet((int)c->kind, argv, NULL);
    } else if (c->pid > 0) {
        char *argv[] = {"podman", "rm", "--force", "--ignore", c->id, NULL};
        run_quiet((int)c->kind, argv, NULL);
    }
    if (c->pid > 0) {
        ds_cleanup_forget_child(c->pid);
        ds_cleanup_defer_end();
    }
    ds_err e;
    if (c->merged) ds_overlay_umount(c->merged, &e);
    if (c->tmp && c->keep_upper) {
        char *up = ds_xasprintf("%s/upper", c->tmp);
        rename(up, c->keep_upper); /* same file system: both in the work dir's tmp; a failure leaves it absent */
        free(up);
    }
    free(c->keep_upper);
    if (c->tmp) ds_rmtree(c->tmp, &e);
    free(c->merged);
    free(c->tmp);
    free(c->id);
    free(c);
}

/* ---- the native runtime behind ds_runtime_ops ---- */
static int nat_start(void *ctx, const ds_run_spec *spec, void **h, ds_err *err) {
    (void)ctx;
    ds_container *c = NULL;
    int r = ds_container_start(spec, &c, err);
    *h = c;
    return r;
}
static int nat_wait_ready(void *h, const int *ports, size_t n, const char *cmd, double t, ds_err *err) {
    return ds_container_wait_ready(h, ports, n, cmd, t, err);
}
static int nat_running(void *h) { return ds_container_running(h); }
static int nat_stop(void *h, int grace_s, int *code, ds_err *err) { return ds_container_stop(h, grace_s, code, err); }
static void nat_free(void *h) { ds_container_free(h); }
static int nat_port_in_use(void *ctx, int port) {
    (void)ctx;
    return ds_tcp_probe(port);
}

ds_runtime ds_runtime_native(ds_runtime_kind kind) {
    static const ds_runtime_ops ops = {.start = nat_start, .wait_ready = nat_wait_ready, .running = nat_running,
                                       .stop = nat_stop, .free = nat_free, .port_in_use = nat_port_in_use};
    return (ds_runtime){.ops = &ops, .ctx = NULL, .kind = kind};
}

int ds_rt_run_quiet(char *const argv[], const char *log) { return run_quiet(-1, argv, log); }
