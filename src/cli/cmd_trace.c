/* distill trace: run a command under distill-sensor on this machine (or inside a tree with --root)
 * and show what it touched. The sensor does the tracing; this file finds it, runs it, and prints. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/options.h"
#include "trace/minimal_dev.h"
#include "trace/trace_log.h"
#include "trace/trace_limits.h"

#define DS_STR_(x) #x
#define DS_STR(x) DS_STR_(x)
#include "util/cleanup.h"
#include "util/fsutil.h"

static const char usage_text[] =
    "Usage: distill trace [OPTIONS] -- CMD [ARGS...]\n"
    "Run CMD under the distill sensor and record every path it and its children open, exec, stat,\n"
    "list, map, connect to or create, with the symlinks walked on the way.\n"
    "CMD's standard output and error stay its own: distill writes nothing on standard output; its\n"
    "summary and --json go to standard error (as strace's output does), the log to --out or --json-fd.\n"
    "\n"
    "  -o, --out FILE   write the JSON log to FILE (atomically; checked before CMD runs). Without\n"
    "                   --out no file is written\n"
    "  --json           write the JSON log on standard error (mixed with CMD's own errors: prefer\n"
    "                   --out or --json-fd for a clean document)\n"
    "  --json-fd N      write the JSON log on file descriptor N (e.g. 3>log.json); CMD does not inherit it\n"
    "  --summary        a short human summary on standard error (the default when neither --json\n"
    "                   nor --json-fd is given)\n"
    "  --root DIR       run CMD inside DIR (chroot in a private mount namespace; needs root);\n"
    "                   paths are then logged as seen inside DIR; nothing is written into DIR\n"
    "  --syscalls       stop at every syscall to record the complete syscall set (slow)\n"
    "  --no-pin         let CMD use every CPU (by default the sensor and CMD share the CPU the sensor\n"
    "                   started on: each stop is then two context switches, not two cross-CPU wake-ups)\n"
    "  --timeout SECS   stop CMD with SIGTERM after SECS (0 = never, the default; at most 1000000)\n"
    "  --grace SECS     how long a stopped CMD may take to exit before SIGKILL (default 5, at most 1000000)\n"
    "\n"
    "Exit status: CMD's own status (128+N when killed by signal N); 2 on a usage error; 3 when the\n"
    "trace could not be made or the log cannot be written (found before CMD runs). The sensor:\n"
    "$DISTILL_SENSOR, else distill-sensor next to distill, else /usr/local/libexec/distill/distill-sensor.\n";

/* A usage error on one line (the value and its allowed range say enough). */
static int usage_line(const char *fmt, const char *flag, const char *v) {
    fprintf(stderr, "distill trace: ");
    fprintf(stderr, fmt, flag, v);
    fputc('\n', stderr);
    return DS_EXIT_USAGE;
}

/* Whole seconds, 0 .. DS_TRACE_MAX_SECS (what the sensor accepts). */
static bool secs_ok(const char *v) {
    if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 7) return false;
    return strtol(v, NULL, 10) <= DS_TRACE_MAX_SECS;
}

/* Write all of buf to fd (a pipe may take it in pieces). */
static int write_all(int fd, const char *buf, size_t len) {
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        buf += w; len -= (size_t)w;
    }
    return 0;
}

static volatile pid_t sensor_pid;
static void forward(int sig) { if (sensor_pid > 0) kill(sensor_pid, sig); }

static char *find_sensor(void) {
    const char *env = getenv("DISTILL_SENSOR");
    if (env && *env) return access(env, X_OK) == 0 ? ds_xstrdup(env) : NULL;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *p = ds_xasprintf("%s/distill-sensor", dirname(self));
        if (access(p, X_OK) == 0) return p;
        free(p);
    }
    const char *inst = "/usr/local/libexec/distill/distill-sensor";
    return access(inst, X_OK) == 0 ? ds_xstrdup(inst) : NULL;
}

/* In the child with --root: private mounts, /proc and a minimal /dev inside DIR when it has those dirs,
 * chroot, then exec the (static) sensor from an fd opened before the chroot. */
static void enter_root(const char *root, int sensor_fd) {
    if (unshare(CLONE_NEWNS) < 0) {
        fprintf(stderr, "distill trace: --root needs a private mount namespace (run as root): %s\n", strerror(errno));
        _exit(125);
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        fprintf(stderr, "distill trace: cannot make mounts private: %s\n", strerror(errno));
        _exit(125);
    }
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof p, "%s/proc", root);
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    snprintf(p, sizeof p, "%s/dev", root);
    if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
        ds_err err = {0};
        if (ds_trace_minimal_dev(p, &err) < 0) {
            fprintf(stderr, "distill trace: --root %s: %s\n", root, err.msg);
            _exit(125);
        }
    }
    if (chroot(root) < 0 || chdir("/") < 0) {
        fprintf(stderr, "distill trace: chroot %s: %s\n", root, strerror(errno));
        _exit(125);
    }
    (void)sensor_fd;
}

static int cmp_count(const void *a, const void *b) {
    const size_t *x = *(size_t *const *)a, *y = *(size_t *const *)b;
    return x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : 0;
}

static void print_summary(FILE *o, const ds_trace *t) {
    size_t ok = 0, failed = 0, by_kind[8] = {0};
    for (size_t i = 0; i < t->nfiles; i++) {
        if (t->files[i].ok) { ok++; by_kind[t->files[i].kind]++; } else failed++;
    }
    fprintf(o, "command:  ");
    for (size_t i = 0; i < t->ncommand; i++) fprintf(o, "%s%s", i ? " " : "", t->command[i]);
    if (t->signal) fprintf(o, "\nresult:   killed by %s\n", t->signal);
    else if (t->exit_code >= 0) fprintf(o, "\nresult:   exit status %d\n", t->exit_code);
    else fprintf(o, "\nresult:   did not run\n");
    fprintf(o, "paths:    %zu used (%zu files, %zu dirs, %zu symlinks, %zu other), %zu tried and missing\n",
           ok, by_kind[DS_TRACE_FILE], by_kind[DS_TRACE_DIR], by_kind[DS_TRACE_SYMLINK],
           ok - by_kind[DS_TRACE_FILE] - by_kind[DS_TRACE_DIR] - by_kind[DS_TRACE_SYMLINK], failed);
    /* Top directories by number of used files directly in them. */
    char **dirs = ds_xcalloc(t->nfiles + 1, sizeof *dirs);
    size_t *counts = ds_xcalloc(t->nfiles + 1, sizeof *counts), nd = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        if (!t->files[i].ok || t->files[i].kind == DS_TRACE_DIR) continue;
        const char *slash = strrchr(t->files[i].path, '/');
        size_t len = slash == t->files[i].path ? 1 : (size_t)(slash - t->files[i].path);
        size_t j = 0;
        for (; j < nd; j++) if (strlen(dirs[j]) == len && !strncmp(dirs[j], t->files[i].path, len)) break;
        if (j == nd) dirs[nd++] = ds_xstrndup(t->files[i].path, len);
        counts[j]++;
    }
    size_t **order = ds_xcalloc(nd + 1, sizeof *order);
    for (size_t j = 0; j < nd; j++) order[j] = &counts[j];
    qsort(order, nd, sizeof *order, cmp_count);
    if (nd) fprintf(o, "top directories:\n");
    for (size_t k = 0; k < nd && k < 10; k++) fprintf(o, "  %6zu  %s\n", *order[k], dirs[order[k] - counts]);
    for (size_t j = 0; j < nd; j++) free(dirs[j]);
    free(dirs); free(counts); free(order);
    size_t nok = 0;
    for (size_t i = 0; i < t->nexecs; i++) nok += t->execs[i].ok;
    fprintf(o, "execs:    %zu\n", nok);
    for (size_t i = 0, shown = 0; i < t->nexecs && shown < 15; i++) {
        if (!t->execs[i].ok) continue;
        shown++;
        fprintf(o, "  %s", t->execs[i].path);
        for (size_t a = 1; a < t->execs[i].argc && a < 8; a++) fprintf(o, " %s", t->execs[i].argv[a]);
        fprintf(o, "%s\n", t->execs[i].argc > 8 ? " ..." : "");
    }
    fprintf(o, "syscalls: %zu%s\n", t->nsyscalls,
           t->syscalls_complete ? " (complete)" : " (only those that stopped: path and process syscalls; use --syscalls for all)");
    if (t->pinned_cpu >= 0) fprintf(o, "cpu:      %d (the sensor and the command shared it; --no-pin lets the command use every CPU)\n", t->pinned_cpu);
    for (size_t i = 0; i < t->nwarnings; i++) fprintf(o, "warning:  %s\n", t->warnings[i]);
}

int cmd_trace(int argc, char **argv) {
    const char *out = NULL, *root = NULL, *timeout = NULL, *grace = NULL, *json_fd_s = NULL;
    bool json = false, summary = false, full = false, no_pin = false;
    cli_list run = {0};
    const cli_opt own[] = {
        {.name = "json", .kind = CLI_BOOL, .target = &json},
        {.name = "summary", .kind = CLI_BOOL, .target = &summary},
        {.name = "syscalls", .kind = CLI_BOOL, .target = &full},
        {.name = "no-pin", .kind = CLI_BOOL, .target = &no_pin},
        {.name = "out", .short_name = 'o', .kind = CLI_STR, .target = &out},
        {.name = "json-fd", .kind = CLI_STR, .target = &json_fd_s},
        {.name = "root", .kind = CLI_STR, .target = &root},
        {.name = "timeout", .kind = CLI_STR, .target = &timeout},
        {.name = "grace", .kind = CLI_STR, .target = &grace},
        {0},
    };
    int pr = cli_parse("trace", usage_text, own, NULL, argc - 1, argv + 1, NULL, &run);
    /* The command to run: argv[i..argc), as before (run.v points into argv). */
    int i = run.n ? argc - (int)run.n : argc;
    cli_list_free(&run);
    if (pr) return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE;
    if (i >= argc) return cli_usage_error("trace", "missing the command to run (distill trace [OPTIONS] -- CMD ARGS...)");
    if (timeout && !secs_ok(timeout))
        return usage_line("%s: expected whole seconds from 0 to " DS_STR(DS_TRACE_MAX_SECS) ", got '%s'", "--timeout", timeout);
    if (grace && !secs_ok(grace))
        return usage_line("%s: expected whole seconds from 0 to " DS_STR(DS_TRACE_MAX_SECS) ", got '%s'", "--grace", grace);
    if (out && !*out) return usage_line("%s: expected a file name%s", "--out", "");
    if (out && !strcmp(out, "-"))
        return usage_line("%s %s: standard output is CMD's; use --json-fd 3 3>&1 (or --json for standard error)", "--out", "-");
    int json_fd = -1;
    if (json_fd_s) {
        /* An inherited descriptor open for writing; checked now, not after CMD ran. */
        int fl = -1;
        if (strspn(json_fd_s, "0123456789") == strlen(json_fd_s) && *json_fd_s && strlen(json_fd_s) < 6)
            json_fd = atoi(json_fd_s);
        if (json_fd >= 0) fl = fcntl(json_fd, F_GETFL);
        if (json_fd < 0) return usage_line("%s: expected a file descriptor number, got '%s'", "--json-fd", json_fd_s);
        if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
            return usage_line("%s %s: not a descriptor open for writing (open it in the shell, e.g. 3>log.json)",
                              "--json-fd", json_fd_s);
        /* CMD must not inherit it (standard output and error are its own anyway). */
        if (json_fd > 2) fcntl(json_fd, F_SETFD, fcntl(json_fd, F_GETFD) | FD_CLOEXEC);
    }
    if (!json && json_fd < 0) summary = true;
    ds_err err = {0};
    struct stat st;
    if (root && (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))) {
        ds_fail(&err, "--root %s: not a directory", root);
        return cli_error("trace", &err);
    }
    if (out && stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
        ds_fail(&err, "--out %s: is a directory (the log is a file)", out);
        return cli_error("trace", &err);
    }
    DS_AUTOFREE char *sensor = find_sensor();
    if (!sensor) {
        ds_fail(&err, "cannot find distill-sensor (set DISTILL_SENSOR, or install it next to distill)");
        return cli_error("trace", &err);
    }
    /* The log goes to a temp file beside --out (or in $TMPDIR) and is renamed at the end: creating it
     * now refuses an unwritable place before CMD runs. */
    DS_AUTOFREE char *tmpdir = NULL;
    DS_AUTOFREE char *tmp = NULL;
    if (out) tmp = ds_tmp_sibling(out);
    else {
        if (ds_mkdtemp("distill-trace", &tmpdir, &err) < 0) return cli_error("trace", &err);
        tmp = ds_xasprintf("%s/trace.json", tmpdir);
    }
    int out_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out_fd < 0) {
        if (out) ds_fail_errno(&err, "--out %s: cannot write the log there", out);
        else ds_fail_errno(&err, "cannot create %s", tmp);
        if (out) ds_cleanup_forget(tmp);
        if (tmpdir) ds_rmtree(tmpdir, NULL);
        return cli_error("trace", &err);
    }
    int sensor_fd = open(sensor, O_RDONLY | O_CLOEXEC);
    char fdbuf[16];
    snprintf(fdbuf, sizeof fdbuf, "%d", out_fd);
    char **sargv = ds_xcalloc((size_t)(argc - i) + 16, sizeof *sargv);
    size_t n = 0;
    sargv[n++] = "distill-sensor";
    sargv[n++] = "--out-fd"; sargv[n++] = fdbuf;
    if (full) sargv[n++] = "--syscalls";
    if (no_pin) sargv[n++] = "--no-pin";
    if (timeout) { sargv[n++] = "--timeout"; sargv[n++] = (char *)timeout; }
    if (grace) { sargv[n++] = "--grace"; sargv[n++] = (char *)grace; }
    sargv[n++] = "--";
    for (int k = i; k < argc; k++) sargv[n++] = argv[k];
    sargv[n] = NULL;

    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { ds_fail_errno(&err, "fork"); free(sargv); return cli_error("trace", &err); }
    if (pid == 0) {
        if (root) enter_root(root, sensor_fd);
        if (sensor_fd >= 0) fexecve(sensor_fd, sargv, __environ);
        execv(sensor, sargv);
        fprintf(stderr, "distill trace: cannot run %s: %s\n", sensor, strerror(errno));
        _exit(125);
    }
    ds_cleanup_register_child(pid);
    free(sargv);
    if (sensor_fd >= 0) close(sensor_fd);
    close(out_fd);
    sensor_pid = pid;
    struct sigaction sa = {0}, old[4];
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    const int sigs[4] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (int k = 0; k < 4; k++) sigaction(sigs[k], &sa, &old[k]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    for (int k = 0; k < 4; k++) sigaction(sigs[k], &old[k], NULL);
    ds_cleanup_forget_child(pid);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    ds_trace *t = NULL;
    int lrc = ds_trace_load(tmp, &t, &err);
    if (lrc == 0 && out && rename(tmp, out) < 0) { ds_fail_errno(&err, "cannot write %s", out); lrc = -1; }
    if (out) ds_cleanup_forget(tmp);
    if (lrc < 0) {
        unlink(tmp);
        if (tmpdir) ds_rmtree(tmpdir, NULL);
        ds_trace_free(t);
        if (rc == 125) ds_err_wrap(&err, "the sensor failed");
        return cli_error("trace", &err);
    }
    if (json || json_fd >= 0) {
        char *data = NULL;
        size_t len = 0;
        if (ds_read_file(out ? out : tmp, &data, &len, 0, &err) == 0) {
            if (json) fwrite(data, 1, len, stderr);
            if (json_fd >= 0 && write_all(json_fd, data, len) < 0) {
                ds_fail_errno(&err, "--json-fd %d: cannot write the log", json_fd);
                lrc = -1;
            }
            free(data);
        } else lrc = -1;
    }
    if (summary) {
        /* On standard error, like strace's: standard output is CMD's alone. */
        print_summary(stderr, t);
        if (out) fprintf(stderr, "log:      %s\n", out);
    }
    if (lrc < 0) {
        if (tmpdir) { unlink(tmp); ds_rmtree(tmpdir, NULL); }
        ds_trace_free(t);
        return cli_error("trace", &err);
    }
    fflush(stdout);
    if (tmpdir) { unlink(tmp); ds_rmtree(tmpdir, NULL); }
    ds_trace_free(t);
    if (rc == 125) return DS_EXIT_ERROR;
    return rc;
}
