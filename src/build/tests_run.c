/* The app's tests run on this machine, by the shell, as the seed's scripts did. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "build/build.h"
#include "util/cleanup.h"
#include "util/proc.h"

char *ds_test_expand(const char *cmd, const ds_test_env *env) {
    static const char *const keys[] = {"{LOCALHOST}", "{NAME}", "{CONTAINER_TAG}"};
    const char *vals[] = {env->host, env->name, env->tag};
    size_t cap = strlen(cmd) + 1, n = 0;
    char *out = ds_xmalloc(cap);
    for (const char *p = cmd; *p;) {
        bool hit = false;
        for (int k = 0; k < 3; k++) {
            size_t kl = strlen(keys[k]);
            if (!strncmp(p, keys[k], kl)) {
                const char *v = vals[k] ? vals[k] : "";
                size_t vl = strlen(v);
                cap += vl;
                out = ds_xrealloc(out, cap);
                memcpy(out + n, v, vl);
                n += vl;
                p += kl;
                hit = true;
                break;
            }
        }
        if (!hit) out[n++] = *p++;
    }
    out[n] = 0;
    return out;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ds_test_run(const char *cmd, const ds_test_env *env, int out_fd, double timeout_s, double *seconds,
                bool *timed_out, ds_err *err) {
    char *ex = ds_test_expand(cmd, env);
    double t0 = now_s();
    pid_t p = fork();
    if (p < 0) { free(ex); return ds_fail_errno(err, "fork for test %s", cmd); }
    if (p == 0) {
        /* Its own process group, so an interrupt stops the whole test (sh and what it runs). */
        setpgid(0, 0);
        if (out_fd >= 0) { dup2(out_fd, 1); dup2(out_fd, 2); }
        setenv("DISTILL_HOST", env->host ? env->host : "", 1);
        setenv("DISTILL_NAME", env->name ? env->name : "", 1);
        setenv("DISTILL_TAG", env->tag ? env->tag : "", 1);
        if (env->stage) setenv("DISTILL_STAGE", env->stage, 1);
        execl("/bin/sh", "sh", "-c", ex, (char *)NULL);
        _exit(127);
    }
    free(ex);
    setpgid(p, p); /* also here: no race with an interrupt right after fork */
    ds_cleanup_register_child_group(p); /* an interrupt stops the test too */
    bool late = false;
    int st = ds_wait_group(p, timeout_s, 5, &late);
    ds_cleanup_forget_child(p);
    if (timed_out) *timed_out = late;
    if (st < 0) return ds_fail_errno(err, "wait for test %s", cmd);
    if (seconds) *seconds = now_s() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int ds_probe_port(int port, int *http_status) {
    *http_status = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { close(fd); return -1; }
    static const char req[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: distill-probe\r\n\r\n";
    signal(SIGPIPE, SIG_IGN);
    if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char buf[64] = "";
        if (poll(&pfd, 1, 3000) == 1) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            if (n > 0) {
                buf[n] = 0;
                int code;
                if (sscanf(buf, "HTTP/%*d.%*d %d", &code) == 1) *http_status = code;
            }
        }
    }
    close(fd);
    return 0;
}
