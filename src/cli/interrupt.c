/* The interrupt handler (design: util/cleanup.h).
 *
 * The handler runs on the main thread only: a library thread (gzip workers, a resolver)
 * that receives the process-directed signal re-sends it to the main thread with tgkill,
 * so the work being cleaned up is frozen while it is removed. Everything it calls is
 * async-signal-safe: the registry's remover (raw syscalls, static buffers), kill,
 * waitpid, nanosleep, write, sigaction, sigprocmask, raise.
 *
 * Two modes:
 *  - default: stop the registered children (SIGTERM, 3 s, SIGKILL), detach the registered
 *    mounts, remove the registered paths, print one line, and re-raise the signal with the
 *    default action so the shell sees 128+N.
 *  - while a container runs (ds_cleanup_deferred): the first signal only sets
 *    ds_interrupted and is forwarded to the registered children (the runtime, a test);
 *    the command stops and deletes the container the orderly way and returns, and
 *    cli_interrupt_finish then does the default steps. A second signal does them at once. */
#include "cli/interrupt.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "util/cleanup.h"

static const int handled[] = {SIGINT, SIGTERM, SIGHUP};
static pid_t owner_pid;
static pid_t main_tid;

static void put_str(char *buf, size_t *n, const char *s) {
    while (*s) buf[(*n)++] = *s++;
}

static void put_int(char *buf, size_t *n, int v) {
    char tmp[16];
    int k = 0;
    if (v < 0) v = 0;
    do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v && k < 15);
    while (k) buf[(*n)++] = tmp[--k];
}

static _Noreturn void die_of(int sig) {
    ds_cleanup_stop_children(3000);
    int removed = ds_cleanup_run() + ds_cleanup_removed_after_interrupt();
    char msg[96];
    size_t n = 0;
    put_str(msg, &n, "distill: interrupted, removed ");
    put_int(msg, &n, removed);
    put_str(msg, &n, removed == 1 ? " temporary path\n" : " temporary paths\n");
    ssize_t w = write(2, msg, n);
    (void)w;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached: the default action of these signals terminates */
}

static void on_signal(int sig) {
    int saved = errno;
    if (getpid() != owner_pid) {
        /* A child between fork and exec: the registry is the parent's, not ours to act on. */
        signal(sig, SIG_DFL);
        raise(sig);
        errno = saved;
        return;
    }
    if ((pid_t)syscall(SYS_gettid) != main_tid) {
        syscall(SYS_tgkill, owner_pid, main_tid, sig);
        errno = saved;
        return;
    }
    if (ds_cleanup_deferred() && !ds_interrupted) {
        ds_interrupted = sig;
        ds_cleanup_signal_children(sig);
        errno = saved;
        return;
    }
    ds_interrupted = sig;
    die_of(sig);
}

void cli_interrupt_install(void) {
    owner_pid = getpid();
    main_tid = (pid_t)syscall(SYS_gettid);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) sigaddset(&sa.sa_mask, handled[i]);
    /* No SA_RESTART: a blocking wait returns EINTR and the deferred mode's loops see the flag. */
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) {
        struct sigaction old;
        if (sigaction(handled[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue; /* nohup */
        sigaction(handled[i], &sa, NULL);
    }
}

void cli_interrupt_finish(void) {
    int sig = ds_interrupted;
    if (!sig) return;
    sigset_t old;
    ds_cleanup_block(&old); /* the remover's state is static: no handler run in the middle */
    die_of(sig);
}
