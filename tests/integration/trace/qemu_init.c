/* /init of the initramfs booted by test_trace_qemu.sh under qemu-system-aarch64/-s390x: runs each line of
 * /runs.txt ("NAME KILL_MS ARGV...", space separated; KILL_MS > 0 sends SIGTERM to the command after
 * that many milliseconds; a NAME starting with "nobody-" runs as uid/gid 65534), then prints on the
 * serial console, between marker lines the host looks for, the exit status, /tmp/NAME.json (the
 * sensor's log, when the line wrote one) and the command's stdout and stderr. Then it execs the
 * command in /pid1.txt (which becomes PID 1) or powers the machine off. Static, no shell needed. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void print_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
}

static void run_line(char *line) {
    char *argv[64];
    int argc = 0;
    for (char *tok = strtok(line, " \n"); tok && argc < 63; tok = strtok(NULL, " \n")) argv[argc++] = tok;
    argv[argc] = NULL;
    if (argc < 3) return;
    const char *name = argv[0];
    long kill_ms = atol(argv[1]);
    char out[256], err[256], json[256];
    snprintf(out, sizeof out, "/tmp/%s.out", name);
    snprintf(err, sizeof err, "/tmp/%s.err", name);
    snprintf(json, sizeof json, "/tmp/%s.json", name);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1); dup2(e, 2); close(o); close(e);
        /* "nobody-*" lines run unprivileged (busybox's setpriv cannot change ids) */
        if (!strncmp(name, "nobody-", 7) && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)) {
            dprintf(2, "init: cannot become nobody: %s\n", strerror(errno));
            _exit(126);
        }
        execv(argv[2], argv + 2);
        dprintf(2, "init: exec %s: %s\n", argv[2], strerror(errno));
        _exit(126);
    }
    if (kill_ms > 0) {
        usleep((useconds_t)kill_ms * 1000);
        kill(pid, SIGTERM);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("\n@@@ RUN %s rc=%d ms=%ld\n@@@ JSON %s\n", name, rc, ms, name);
    print_file(json);
    printf("\n@@@ OUT %s\n", name);
    print_file(out);
    printf("\n@@@ ERR %s\n", name);
    print_file(err);
    printf("\n@@@ END %s\n", name);
    fflush(stdout);
}

int main(void) {
    mkdir("/proc", 0755); mkdir("/dev", 0755); mkdir("/tmp", 01777);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int c = open("/dev/console", O_RDWR);
    if (c >= 0) { dup2(c, 0); dup2(c, 1); dup2(c, 2); if (c > 2) close(c); }
    setenv("PATH", "/usr/bin:/bin", 1);
    /* For distill-sensor-asan. The leak check at exit takes seconds under TCG: runs that want it
     * set detect_leaks=1 themselves (busybox env). */
    setenv("ASAN_OPTIONS", "detect_leaks=0:exitcode=99", 1);
    /* Reaping orphans is the sensor's job (a subreaper); init only waits for its own children. */
    printf("\n@@@ BOOTED\n");
    FILE *f = fopen("/runs.txt", "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) run_line(line);
    if (f) fclose(f);
    printf("\n@@@ DONE\n");
    fflush(stdout);
    /* /pid1.txt (ARGV...): exec'd last, so it becomes PID 1 (a container's entry point); its exit
     * panics the kernel, whose message carries the exit code, and qemu (-no-reboot) stops. */
    FILE *p1 = fopen("/pid1.txt", "r");
    if (p1 && fgets(line, sizeof line, p1)) {
        char *argv[64];
        int argc = 0;
        for (char *tok = strtok(line, " \n"); tok && argc < 63; tok = strtok(NULL, " \n")) argv[argc++] = tok;
        argv[argc] = NULL;
        printf("\n@@@ PID1\n");
        fflush(stdout);
        if (argc) execv(argv[0], argv);
        printf("init: exec %s: %s\n", argc ? argv[0] : "(none)", strerror(errno));
    }
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
