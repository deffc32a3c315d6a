/* distill-sensor: runs a command under ptrace + seccomp and writes what it touched (docs/trace.md).
 *
 *   distill-sensor [--out FILE|-] [--out-fd N] [--syscalls] [--exact] [--timeout SECS] [--grace SECS] [--] CMD ARGS...
 *
 * Built static with no library so it can be bind-mounted into any image as its entry point (PID 1):
 * it forwards signals, reaps every zombie (child subreaper), follows every process and thread, and
 * exits with the command's status (128+N when killed by signal N). Its own failures exit 125. */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sensor.h"
#include "trace/trace_limits.h"

#define EXIT_SENSOR 125
bool g_privileged;
int g_pinned_cpu = -1;

static volatile sig_atomic_t got_sig[65];
static volatile sig_atomic_t got_alarm;
static volatile pid_t g_main_pid;
static volatile sig_atomic_t g_main_alive;
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};

static void on_signal(int sig) {
    if (sig == SIGALRM) { got_alarm = 1; return; }
    got_sig[sig] = 1;
    /* Forward at once to the app (kill is async-signal-safe); the loop forwards to daemons. */
    if (g_main_alive) kill(g_main_pid, sig);
}

static void usage(void) {
    fputs("Usage: distill-sensor [--out FILE|-] [--out-fd N] [--syscalls] [--exact] [--no-pin] [--timeout SECS] [--grace SECS] [--] CMD [ARGS...]\n"
          "Runs CMD under ptrace and writes the paths it touched as JSON (default ./distill-trace.json,\n"
          "or $DISTILL_TRACE_OUT). Exits with CMD's status; 125 on its own errors, 127 when CMD is not found.\n"
          "The sensor and CMD share one CPU unless --no-pin (a stop then costs two context switches on\n"
          "that CPU instead of two cross-CPU wake-ups).\n",
          stderr);
}

static bool is_stop_signal(int sig) { return sig == SIGTERM || sig == SIGINT || sig == SIGQUIT; }

/* Signals every traced process whose parent is the sensor (the app and orphaned daemons). */
struct fwd { int sig; bool include_main; };
static void forward_one(thread *t, void *arg) {
    struct fwd *f = arg;
    pid_t tgid, ppid;
    if (t->tid == g_main_pid && !f->include_main) return;
    if (is_stop_signal(f->sig) && t->got_stop) return; /* each process gets the stop signal once */
    if (proc_ids(t->tid, &tgid, &ppid) < 0) return;
    if (tgid != t->tid) { t->got_stop = true; return; } /* a thread: its process is signalled */
    if (ppid != getpid()) return;
    if (is_stop_signal(f->sig)) t->got_stop = true;
    kill(t->tid, f->sig);
}
static void forward_to_roots(int sig, bool include_main) {
    struct fwd f = {sig, include_main};
    thread_foreach(forward_one, &f);
}
static void kill_one(thread *t, void *arg) { (void)arg; kill(t->tid, SIGKILL); }

static void resume(thread *t, int sig) {
    int req = t->want_exit ? PTRACE_SYSCALL : PTRACE_CONT;
    ptrace(req, t->tid, 0, (void *)(long)sig);
}

/* The syscall a tracee is in at a ptrace event stop (to name fork/clone/clone3/vfork). */
static int current_syscall(pid_t pid) {
#if defined(__x86_64__)
    errno = 0;
    long nr = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user_regs_struct, orig_rax), 0);
    return errno ? -1 : (int)nr;
#elif defined(__aarch64__)
    int nr = -1;
    struct iovec iov = {&nr, sizeof nr};
    return ptrace(PTRACE_GETREGSET, pid, (void *)0x404 /* NT_ARM_SYSTEM_CALL */, &iov) == 0 ? nr : -1;
#elif defined(__s390x__)
    /* No register the tracer can read holds the number (NT_S390_SYSTEM_CALL is only set for signal
     * restarts): it is the operand of the 2-byte SVC instruction before the PSW address ("svc NR"
     * for NR < 256), or r1 for "svc 0" (glibc's way for NR >= 256, e.g. clone3). */
    errno = 0;
    long addr = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct _user_regs_struct, psw.addr), 0);
    long r1 = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct _user_regs_struct, gprs[1]), 0);
    unsigned char svc[2];
    if (errno || read_mem(pid, (uint64_t)addr - 2, svc, sizeof svc) < 0 || svc[0] != 0x0a) return -1;
    return svc[1] ? svc[1] : (int)r1;
#else
    (void)pid;
    return -1;
#endif
}

static void on_new_child(thread *parent, pid_t child, int event) {
    note_syscall(current_syscall(parent->tid));
    thread *c = thread_find(child);
    if (!c) { c = thread_new(child); c->expect_first_stop = true; }
    long share_fs = syscall(SYS_kcmp, parent->tid, child, KCMP_FS, 0, 0);
    if (share_fs < 0) share_fs = event == PTRACE_EVENT_CLONE ? 0 : 1;       /* no kcmp: guess */
    if (c->fs) fs_unref(c->fs);
    if (share_fs == 0) { c->fs = parent->fs; c->fs->refs++; } else c->fs = fs_copy(parent->fs);
    if (c->awaiting_parent) { c->awaiting_parent = false; resume(c, 0); }
}

static void on_exec(pid_t pid) {
    unsigned long old = 0;
    ptrace(PTRACE_GETEVENTMSG, pid, 0, &old);
    if ((pid_t)old != pid && old) {
        /* A non-leader thread exec'd: it takes over the leader's pid; the old leader is gone. */
        thread *t = thread_find((pid_t)old);
        if (t) { thread_remove(pid); thread_rekey(t, pid); }
    }
    thread *t = thread_find(pid);
    if (!t) return;
    on_exec_event(t);
}

static unsigned long n_stops, n_syscall_stops;
static void on_stop(pid_t pid, int status) {
    n_stops++;
    thread *t = thread_find(pid);
    int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
    if (!t) {
        /* A new child reported before its parent's fork event: hold it until we know its parent. */
        t = thread_new(pid);
        t->awaiting_parent = true;
        return;
    }
    if (sig == (SIGTRAP | 0x80) || event == PTRACE_EVENT_SECCOMP) {
        n_syscall_stops++;
        struct __ptrace_syscall_info info;
        memset(&info, 0, sizeof info);
        if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info) <= 0) { resume(t, 0); return; }
        if (info.arch != native_audit_arch()) {
            add_warning("a traced process made syscalls of another ABI (audit arch 0x%x): their paths are not decoded", info.arch);
        } else if (info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
            uint64_t a[6];
            memcpy(a, info.seccomp.args, sizeof a);
            if (info.seccomp.nr & 0x40000000u) add_warning("x32 syscalls are not decoded");
            else on_entry(t, (int)info.seccomp.nr, a);
        } else if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
            uint64_t a[6];
            memcpy(a, info.entry.args, sizeof a);
            on_entry(t, (int)info.entry.nr, a);
            if (g_full_syscalls) t->in_syscall = true;
        } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
            on_exit_(t, info.exit.rval, info.exit.is_error);
            t->in_syscall = false;
        }
        resume(t, 0);
        finish_deferred(t); /* runs while the tracee goes on */
        return;
    }
    switch (event) {
    case PTRACE_EVENT_FORK: case PTRACE_EVENT_VFORK: case PTRACE_EVENT_CLONE: {
        unsigned long child = 0;
        if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &child) == 0 && child) on_new_child(t, (pid_t)child, event);
        resume(t, 0);
        return;
    }
    case PTRACE_EVENT_EXEC:
        on_exec(pid);
        if ((t = thread_find(pid))) resume(t, 0);
        return;
    case PTRACE_EVENT_STOP:
        if (t->expect_first_stop) { t->expect_first_stop = false; resume(t, 0); return; }
        if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
            ptrace(PTRACE_LISTEN, pid, 0, 0); /* group-stop: stay stopped until SIGCONT */
            return;
        }
        resume(t, 0);
        return;
    case 0:
        resume(t, sig); /* signal-delivery-stop: deliver it */
        return;
    default:
        resume(t, 0);
        return;
    }
}

/* Pins the sensor, and so everything it starts, to the CPU it runs on. Every stop hands the CPU
 * from the tracee to the sensor and back; on one CPU that is two context switches, across CPUs it
 * is two wake-ups of a sleeping CPU, which on a VM (halt-polling, IPIs) cost about 7x more per stop
 * (bench/bench_trace.sh). The cost: the traced tree uses one CPU. Returns the CPU, or -1. */
static int pin_to_current_cpu(void) {
    int cpu = sched_getcpu();
    if (cpu < 0) return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

static void child_run(char **cmd, sigset_t *oldmask) {
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) signal(forwarded[i], SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    sigprocmask(SIG_SETMASK, oldmask, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    kill(getpid(), SIGSTOP); /* the sensor seizes us here */
    if (install_filter(g_full_syscalls) < 0) {
        fprintf(stderr, "distill-sensor: cannot install the seccomp filter: %s\n", strerror(errno));
        _exit(EXIT_SENSOR);
    }
    execvp(cmd[0], cmd);
    int e = errno;
    if (e == ENOENT) fprintf(stderr, "distill-sensor: %s: command not found\n", cmd[0]);
    else fprintf(stderr, "distill-sensor: cannot run %s: %s\n", cmd[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

static int parse_secs(const char *flag, const char *v) {
    char *end;
    long n = v ? strtol(v, &end, 10) : -1;
    if (!v || *end || n < 0 || n > DS_TRACE_MAX_SECS) { fprintf(stderr, "distill-sensor: %s needs a number of seconds\n", flag); exit(EXIT_SENSOR); }
    return (int)n;
}

int main(int argc, char **argv) {
    const char *out = getenv("DISTILL_TRACE_OUT");
    int out_fd = -1, timeout = 0, grace = 5;
    bool pin = true;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (a[0] != '-') break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(); return 0; }
        if (!strcmp(a, "--syscalls")) g_full_syscalls = true;
        else if (!strcmp(a, "--exact")) g_exact = true;
        else if (!strcmp(a, "--no-pin")) pin = false;
        else if (!strcmp(a, "--out") && i + 1 < argc) out = argv[++i];
        else if (!strncmp(a, "--out=", 6)) out = a + 6;
        else if (!strcmp(a, "--out-fd") && i + 1 < argc) out_fd = parse_secs("--out-fd", argv[++i]);
        else if (!strcmp(a, "--timeout") && i + 1 < argc) timeout = parse_secs("--timeout", argv[++i]);
        else if (!strcmp(a, "--grace") && i + 1 < argc) grace = parse_secs("--grace", argv[++i]);
        else { fprintf(stderr, "distill-sensor: unknown option '%s'\n", a); usage(); return EXIT_SENSOR; }
    }
    if (i >= argc) { usage(); return EXIT_SENSOR; }
    if (!out || !*out) out = "distill-trace.json";
    char **cmd = argv + i;
    g_privileged = geteuid() == 0;

    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "/");
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    sigset_t block, old;
    sigemptyset(&block);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns EINTR so the loop sees the flag */
    for (size_t k = 0; k < sizeof forwarded / sizeof *forwarded; k++) { sigaction(forwarded[k], &sa, NULL); sigaddset(&block, forwarded[k]); }
    sigaction(SIGALRM, &sa, NULL);
    sigprocmask(SIG_BLOCK, &block, &old);

    if (pin) g_pinned_cpu = pin_to_current_cpu();
    pid_t pid = fork();
    if (pid < 0) { fprintf(stderr, "distill-sensor: fork: %s\n", strerror(errno)); return EXIT_SENSOR; }
    if (pid == 0) child_run(cmd, &old);

    int st;
    if (waitpid(pid, &st, WSTOPPED) != pid || !WIFSTOPPED(st)) {
        fprintf(stderr, "distill-sensor: the command's process did not start\n");
        return EXIT_SENSOR;
    }
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)opts) < 0) {
        int e = errno;
        fprintf(stderr, "distill-sensor: cannot trace %s: ptrace: %s%s\n", cmd[0], strerror(e),
                e == EPERM ? " (the process is already traced, e.g. the sensor runs under strace or gdb, or ptrace "
                             "is forbidden here: kernel.yama.ptrace_scope, a seccomp policy without ptrace, "
                             "missing CAP_SYS_PTRACE)" : "");
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        add_warning("ptrace refused: %s", strerror(e));
        if (write_log(out, out_fd, cmd, -1, 0, false) < 0)
            fprintf(stderr, "distill-sensor: cannot write %s: %s\n", out, strerror(errno));
        return EXIT_SENSOR;
    }
    thread *t = thread_new(pid);
    t->fs = fs_new(cwd, "/");
    t->expect_first_stop = true;
    g_main_pid = pid;
    g_main_tracee = pid;
    g_main_alive = 1;
    kill(pid, SIGCONT);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (timeout > 0) alarm((unsigned)timeout);

    int exit_code = -1, exit_sig = 0;
    bool stopping = false, killed_all = false;
    int stop_sig = SIGTERM;
    for (;;) {
        for (int s = 1; s < 65; s++) {
            if (!got_sig[s]) continue;
            got_sig[s] = 0;
            forward_to_roots(s, false);
            if (is_stop_signal(s) && !stopping) {
                stopping = true;
                stop_sig = s;
                thread *m = thread_find(g_main_pid);
                if (m) m->got_stop = true; /* the handler signalled it already */
                alarm((unsigned)(grace ? grace : 1));
            }
        }
        if (got_alarm) {
            got_alarm = 0;
            if (!stopping) {
                add_warning("--timeout %d s reached: stopping the command with SIGTERM", timeout);
                stopping = true;
                forward_to_roots(SIGTERM, true);
                alarm((unsigned)(grace ? grace : 1));
            } else if (!killed_all) {
                if (thread_count()) add_warning("processes still running %d s after the stop signal were killed", grace);
                killed_all = true;
                thread_foreach(kill_one, NULL);
            }
        }
        int status;
        pid_t w = waitpid(-1, &status, __WALL);
        if (w < 0) {
            if (errno == EINTR) continue;
            break; /* ECHILD: nothing left to trace or reap */
        }
        if (WIFSTOPPED(status)) { on_stop(w, status); continue; }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (WIFEXITED(status)) { note_syscall(SYS_exit_group); note_syscall(SYS_exit); }
            if (w == g_main_pid) {
                g_main_alive = 0;
                if (WIFEXITED(status)) exit_code = WEXITSTATUS(status);
                else exit_sig = WTERMSIG(status);
            }
            thread_remove(w);
            /* Stopping: processes orphaned by this exit are new roots; they get the signal too. */
            if (stopping && !killed_all) forward_to_roots(stop_sig, true);
        }
    }
    alarm(0);
    if (write_log(out, out_fd, cmd, exit_code, exit_sig, g_full_syscalls) < 0) {
        fprintf(stderr, "distill-sensor: cannot write the log to %s: %s\n", out_fd >= 0 ? "the given fd" : out, strerror(errno));
        return EXIT_SENSOR;
    }
    if (getenv("DISTILL_SENSOR_STATS"))
        fprintf(stderr, "distill-sensor: %lu stops (%lu at syscalls)\n", n_stops, n_syscall_stops);
    paths_free_all();
    if (exit_sig) return 128 + exit_sig;
    return exit_code >= 0 ? exit_code : EXIT_SENSOR;
}
