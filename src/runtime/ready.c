/* Waiting until a started container is ready: every exposed port accepts a TCP
 * connection on 127.0.0.1, or the ready command exits 0, or (with neither) it has run
 * for a short settle time. The same loop for runc, crun, podman and the Docker Engine. */
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "runtime/runtime_int.h"
#include "util/cleanup.h"
#include "util/proc.h"

double ds_rt_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The ready command, in its own process group, stopped with the group after limit_s. */
static int run_ready_cmd(const char *cmd, double limit_s) {
    pid_t p = fork();
    if (p < 0) return -1;
    if (p == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY);
        dup2(in, 0); dup2(out, 1); dup2(out, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(p, p);
    ds_cleanup_register_child_group(p);
    int st = ds_wait_group(p, limit_s, 2, NULL);
    ds_cleanup_forget_child(p);
    return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int ds_ready_wait(void *h, ds_ready_state_fn state, const char *id, const int *ports, size_t n_ports,
                  const char *ready_cmd, double timeout_s, ds_err *err) {
    double deadline = ds_rt_now() + timeout_s;
    double settle_until = ds_rt_now() + 1.0;
    for (;;) {
        bool ok = false;
        char how[512] = "stopped";
        if (!state(h, &ok, how, sizeof how)) {
            /* Ran to completion with status 0 (a batch job): as ready as it will ever be. */
            if (ok) return 0;
            return ds_fail(err, "container %s %s before it was ready", id, how);
        }
        if (ds_interrupted) return ds_fail(err, "interrupted");
        bool ready;
        if (ready_cmd) {
            double left = deadline - ds_rt_now();
            ready = run_ready_cmd(ready_cmd, left > 1 ? left : 1) == 0;
        } else if (n_ports) {
            ready = true;
            for (size_t i = 0; i < n_ports && ready; i++) ready = ds_tcp_probe(ports[i]) == 0;
        } else {
            ready = ds_rt_now() >= settle_until;
        }
        if (ready) return 0;
        if (ds_rt_now() > deadline)
            return ds_fail(err, "container %s not ready after %.0f s (%s)", id, timeout_s,
                           ready_cmd ? "the ready command kept failing" : "a port did not accept connections");
        usleep(100 * 1000);
    }
}
