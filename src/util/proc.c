#include "util/proc.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Poll every 20 ms: waitpid has no timeout, and a SIGALRM would disturb the caller. */
static int wait_until(pid_t pid, double until, int *st) {
    for (;;) {
        pid_t r = waitpid(pid, st, until > 0 ? WNOHANG : 0);
        if (r == pid) return 1;
        if (r < 0 && errno != EINTR) return -1;
        if (until > 0 && mono() >= until) return 0;
        if (r == 0) usleep(20 * 1000);
    }
}

int ds_wait_group(pid_t pid, double timeout_s, double grace_s, bool *timed_out) {
    int st = 0;
    if (timed_out) *timed_out = false;
    int r = wait_until(pid, timeout_s > 0 ? mono() + timeout_s : 0, &st);
    if (r < 0) return -1;
    if (r == 1) return st; /* what it left running in the background is its own business */
    if (timed_out) *timed_out = true;
    kill(-pid, SIGTERM);
    r = wait_until(pid, mono() + (grace_s > 0 ? grace_s : 0.01), &st);
    kill(-pid, SIGKILL);
    if (r == 0) r = wait_until(pid, 0, &st);
    return r < 0 ? -1 : st;
}
