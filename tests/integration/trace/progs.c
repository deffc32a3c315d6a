/* Small programs for the sensor's golden tests: each mode touches known paths under DIR (argv[2]). */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;
static char *p(const char *name) { static char b[8][4096]; static int i; i = (i + 1) % 8; snprintf(b[i], sizeof b[i], "%s/%s", dir, name); return b[i]; }
static void touch_read(const char *path) { int fd = open(path, O_RDONLY); if (fd >= 0) close(fd); }

static void *thread_exec(void *arg) {
    (void)arg;
    touch_read(p("thread_open"));
    execl("/bin/cat", "cat", p("thread_exec_arg"), (char *)NULL);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    const char *mode = argv[1];
    dir = argv[2];
    if (!strcmp(mode, "open")) { touch_read(p("plain")); touch_read(p("does_not_exist")); return 0; }
    if (!strcmp(mode, "openat")) {
        int d = open(p("sub"), O_RDONLY | O_DIRECTORY);
        int fd = openat(d, "in_sub", O_RDONLY);
        int d2 = dup(d);
        int fd2 = openat(d2, "../plain2", O_RDONLY);
        return fd < 0 || fd2 < 0;
    }
    if (!strcmp(mode, "chdir")) {
        if (chdir(p("sub")) < 0) return 1;
        touch_read("rel_after_chdir");
        int d = open("..", O_RDONLY | O_DIRECTORY);
        if (chdir("/") < 0 || fchdir(d) < 0) return 1;
        touch_read("rel_after_fchdir");
        struct stat st;
        return stat("sub/in_sub", &st);
    }
    if (!strcmp(mode, "symlink")) { touch_read(p("link1")); return 0; }
    if (!strcmp(mode, "shebang")) { execl(p("script.sh"), "script.sh", (char *)NULL); return 1; }
    if (!strcmp(mode, "thread")) {
        pthread_t t;
        pthread_create(&t, NULL, thread_exec, NULL);
        pthread_join(t, NULL);
        return 1;
    }
    if (!strcmp(mode, "daemon")) {
        pid_t a = fork();
        if (a == 0) {
            setsid();
            if (fork() == 0) { usleep(300000); touch_read(p("daemon_file")); _exit(0); }
            _exit(0);
        }
        waitpid(a, NULL, 0);
        return 0;
    }
    if (!strcmp(mode, "vfork")) {
        pid_t c = vfork();
        if (c == 0) { execl("/bin/cat", "cat", p("vfork_file"), (char *)NULL); _exit(127); }
        int st;
        waitpid(c, &st, 0);
        return WEXITSTATUS(st);
    }
    if (!strcmp(mode, "dlopen")) { void *h = dlopen(p("libplug.so"), RTLD_NOW); return h == NULL; }
    if (!strcmp(mode, "procself")) {
        /* /proc/self names whoever looks: it must be resolved as the tracee's, not the tracer's. */
        char b[4096];
        if (readlink("/proc/self/exe", b, sizeof b) < 0) return 1;
        touch_read("/proc/self/exe");
        touch_read("/proc/thread-self/comm");
        return 0;
    }
#if defined(__aarch64__)
    if (!strcmp(mode, "tagged")) {
        /* aarch64's tagged address ABI: a pointer with a tag in its top byte is valid in syscalls
         * once enabled; the sensor must read the path behind it. */
        if (prctl(PR_SET_TAGGED_ADDR_CTRL, PR_TAGGED_ADDR_ENABLE, 0, 0, 0) < 0) return 3;
        char *path = p("plain");
        char *tagged = (char *)((uintptr_t)path | (uintptr_t)0x2a << 56);
        int fd = open(tagged, O_RDONLY);
        return fd < 0;
    }
#endif
    if (!strcmp(mode, "fstats")) {
        /* Calls the seccomp filter lets pass by their flags or NULL arguments (low/high argument
         * words): fstat (newfstatat/statx with AT_EMPTY_PATH), futimens (utimensat, NULL path). */
        int fd = open(p("plain"), O_RDONLY);
        struct stat st;
        for (int i = 0; i < 500; i++)
            if (fstat(fd, &st) < 0 || futimens(fd, NULL) < 0) return 1;
        return 0;
    }
    if (!strcmp(mode, "nofollow")) { /* stat of the link itself, then through it */
        struct stat st;
        if (fstatat(AT_FDCWD, p("link1"), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode)) return 1;
        return stat(p("link2"), &st) < 0;
    }
    if (!strcmp(mode, "mmap")) { /* a file mapped executable is logged as map; one mapped for data is not */
        int x = open(p("exec_map"), O_RDONLY), d = open(p("data_map"), O_RDONLY);
        if (x < 0 || d < 0) return 1;
        void *a = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, x, 0);
        void *b = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, d, 0);
        return a == MAP_FAILED || b == MAP_FAILED;
    }
    if (!strcmp(mode, "sock")) { /* bind, sendto and connect with a unix socket path */
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", p("sock"));
        int srv = socket(AF_UNIX, SOCK_DGRAM, 0), c1 = socket(AF_UNIX, SOCK_DGRAM, 0), c2 = socket(AF_UNIX, SOCK_DGRAM, 0);
        if (bind(srv, (struct sockaddr *)&sa, sizeof sa) < 0) return 1;
        if (sendto(c1, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa) != 1) return 1;
        if (connect(c2, (struct sockaddr *)&sa, sizeof sa) < 0 || send(c2, "y", 1, 0) != 1) return 1;
        return unlink(sa.sun_path) < 0;
    }
    if (!strcmp(mode, "killself")) { touch_read(p("before_kill")); raise(SIGKILL); return 0; }
    if (!strcmp(mode, "list")) { /* names in DIR, one a line; then a write to DIR/null */
        DIR *d = opendir(dir);
        if (!d) return 1;
        for (struct dirent *e; (e = readdir(d));) if (e->d_name[0] != '.') printf("%s\n", e->d_name);
        closedir(d);
        FILE *f = fopen(p("null"), "w");
        return !f || fputs("x", f) < 0 || fclose(f) != 0;
    }
#ifdef SYS_io_uring_setup
    if (!strcmp(mode, "uring")) { /* the sensor only warns (it may fail here: io_uring_disabled) */
        char params[120] = {0};
        long fd = syscall(SYS_io_uring_setup, 4, params);
        if (fd >= 0) close((int)fd);
        touch_read(p("plain"));
        return 0;
    }
#endif
    if (!strcmp(mode, "latin1")) { /* names that are not UTF-8 (Latin-1 e9, ff fe), one that is; exec with such an arg */
        touch_read(p("caf\xe9"));
        touch_read(p("\xff\xfe"));
        touch_read(p("caf\xc3\xa9"));
        execl("/bin/cat", "cat", p("caf\xe9"), (char *)NULL);
        return 1;
    }
    if (!strcmp(mode, "exit")) { touch_read(p("plain")); return 42; }
    if (!strcmp(mode, "sleep")) {
        signal(SIGTERM, SIG_DFL);
        touch_read(p("before_sleep"));
        for (;;) pause();
    }
    if (!strcmp(mode, "trapterm")) {
        /* Handles SIGTERM: writes a file on the way out, exits 7. */
        sigset_t s; sigemptyset(&s); sigaddset(&s, SIGTERM); sigprocmask(SIG_BLOCK, &s, NULL);
        int sig; sigwait(&s, &sig);
        touch_read(p("on_term"));
        return 7;
    }
    return 2;
}
