/* The interrupt registry and its async-signal-safe remover (design in cleanup.h). */
#include "util/cleanup.h"
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t ds_interrupted;

enum { FREE = 0, BUSY = 1, LIVE = 2 };
enum { KIND_PATH = 0, KIND_MOUNT = 1 };

#define N_SLOTS 128
#define N_CHILDREN 32

typedef struct {
    atomic_int state;
    int kind;
    unsigned long seq; /* registration order: newest removed first (children before parents) */
    char path[PATH_MAX];
} slot;

static slot slots[N_SLOTS];
static atomic_ulong next_seq;
static atomic_int deferred;
static atomic_int removed_late;
static struct { atomic_int state; pid_t pid; bool group; } children[N_CHILDREN];

/* Normal context only: an absolute copy of path in out (PATH_MAX), or -1. */
static int absolute(const char *path, char *out) {
    size_t n = strlen(path);
    if (path[0] == '/') {
        if (n >= PATH_MAX) return -1;
        memcpy(out, path, n + 1);
        return 0;
    }
    if (!getcwd(out, PATH_MAX)) return -1;
    size_t c = strlen(out);
    if (c + 1 + n >= PATH_MAX) return -1;
    out[c] = '/';
    memcpy(out + c + 1, path, n + 1);
    return 0;
}

/* A full registry reclaims the entries whose path is gone (a temp renamed or
 * unlinked by code that did not call forget): a leak then costs nothing. */
static void reclaim(void) {
    for (int i = 0; i < N_SLOTS; i++) {
        int live = LIVE;
        struct stat st;
        if (atomic_load(&slots[i].state) != LIVE || lstat(slots[i].path, &st) == 0 || errno != ENOENT) continue;
        if (atomic_compare_exchange_strong(&slots[i].state, &live, BUSY)) atomic_store(&slots[i].state, FREE);
    }
}

static int add(const char *path, int kind) {
    char abs[PATH_MAX];
    if (!path || absolute(path, abs) < 0) return -1;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < N_SLOTS; i++) {
            int fr = FREE;
            if (!atomic_compare_exchange_strong(&slots[i].state, &fr, BUSY)) continue;
            memcpy(slots[i].path, abs, strlen(abs) + 1);
            slots[i].kind = kind;
            slots[i].seq = atomic_fetch_add(&next_seq, 1);
            atomic_store(&slots[i].state, LIVE); /* published only when complete */
            return 0;
        }
        reclaim();
    }
    return -1;
}

static bool drop(const char *path, int kind) {
    char abs[PATH_MAX];
    if (!path || absolute(path, abs) < 0) return false;
    for (int i = 0; i < N_SLOTS; i++) {
        int live = LIVE;
        if (atomic_load(&slots[i].state) != LIVE || slots[i].kind != kind || strcmp(slots[i].path, abs)) continue;
        if (atomic_compare_exchange_strong(&slots[i].state, &live, BUSY)) {
            atomic_store(&slots[i].state, FREE);
            return true;
        }
    }
    return false;
}

int ds_cleanup_register(const char *path) { return add(path, KIND_PATH); }
void ds_cleanup_forget(const char *path) { drop(path, KIND_PATH); }
int ds_cleanup_register_mount(const char *path) { return add(path, KIND_MOUNT); }
void ds_cleanup_forget_mount(const char *path) { drop(path, KIND_MOUNT); }

void ds_cleanup_removed(const char *path) {
    if (drop(path, KIND_PATH) && ds_interrupted) atomic_fetch_add(&removed_late, 1);
}

int ds_cleanup_removed_after_interrupt(void) { return atomic_load(&removed_late); }

static int add_child(pid_t pid, bool group) {
    for (int i = 0; i < N_CHILDREN; i++) {
        int fr = FREE;
        if (!atomic_compare_exchange_strong(&children[i].state, &fr, BUSY)) continue;
        children[i].pid = pid;
        children[i].group = group;
        atomic_store(&children[i].state, LIVE);
        return 0;
    }
    return -1;
}

int ds_cleanup_register_child(pid_t pid) { return add_child(pid, false); }
int ds_cleanup_register_child_group(pid_t pid) { return add_child(pid, true); }

void ds_cleanup_forget_child(pid_t pid) {
    for (int i = 0; i < N_CHILDREN; i++) {
        int live = LIVE;
        if (atomic_load(&children[i].state) != LIVE || children[i].pid != pid) continue;
        if (atomic_compare_exchange_strong(&children[i].state, &live, BUSY)) atomic_store(&children[i].state, FREE);
    }
}

void ds_cleanup_defer_begin(void) { atomic_fetch_add(&deferred, 1); }
void ds_cleanup_defer_end(void) { atomic_fetch_sub(&deferred, 1); }
bool ds_cleanup_deferred(void) { return atomic_load(&deferred) > 0; }

static void interrupt_set(sigset_t *s) {
    sigemptyset(s);
    sigaddset(s, SIGINT);
    sigaddset(s, SIGTERM);
    sigaddset(s, SIGHUP);
}

void ds_cleanup_block(sigset_t *old) {
    sigset_t s;
    interrupt_set(&s);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

void ds_cleanup_unblock(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

int ds_cleanup_count(void) {
    int n = 0;
    for (int i = 0; i < N_SLOTS; i++) n += atomic_load(&slots[i].state) == LIVE && slots[i].kind == KIND_PATH;
    return n;
}

/* ---- children ---------------------------------------------------------- */

void ds_cleanup_signal_children(int sig) {
    for (int i = 0; i < N_CHILDREN; i++)
        if (atomic_load(&children[i].state) == LIVE && children[i].pid > 0)
            kill(children[i].group ? -children[i].pid : children[i].pid, sig);
}

void ds_cleanup_stop_children(int grace_ms) {
    static bool reaped[N_CHILDREN];
    ds_cleanup_signal_children(SIGTERM);
    struct timespec tick = {0, 20 * 1000 * 1000};
    for (int waited = 0;; waited += 20) {
        int left = 0;
        for (int i = 0; i < N_CHILDREN; i++) {
            reaped[i] = false;
            if (atomic_load(&children[i].state) != LIVE || children[i].pid <= 0) continue;
            pid_t r = waitpid(children[i].pid, NULL, WNOHANG);
            if (r == children[i].pid || (r < 0 && errno == ECHILD)) reaped[i] = true;
            else left++;
        }
        if (!left || waited >= grace_ms) break;
        nanosleep(&tick, NULL);
    }
    for (int i = 0; i < N_CHILDREN; i++) {
        if (atomic_load(&children[i].state) != LIVE || children[i].pid <= 0) continue;
        /* A group outlives its reaped leader (sh gone, its sleep still there): kill it all. */
        if (children[i].group) kill(-children[i].pid, SIGKILL);
        if (!reaped[i]) {
            kill(children[i].pid, SIGKILL);
            waitpid(children[i].pid, NULL, 0);
        }
        children[i].pid = 0;
    }
}

/* ---- the remover: raw syscalls and static buffers only ------------------ */

#define MAX_DEPTH 16384
static unsigned rm_skip[MAX_DEPTH];      /* subdirectories at this level that could not be emptied */
static unsigned char rm_failed[MAX_DEPTH];
static char rm_buf[32768] __attribute__((aligned(16)));
static char rm_name[256];

struct dirent64_raw {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Open a directory (never a symlink to one) and make it ours to empty: u+rwx.
 * The name was just seen as a directory inside our private (0700) temp tree, so
 * nobody else can swap it for a symlink before the fchmodat. */
static int open_dir(int dfd, const char *name) {
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700) fchmod(fd, (st.st_mode | 0700) & 07777);
    }
    return fd;
}

/* Remove the non-directories of the directory fd and the empty subdirectories; 1 with
 * rm_name set to a subdirectory to descend into, 0 when nothing is left to try here.
 * Subdirectories that failed before keep their order, so skipping the first
 * rm_skip[depth] non-removable ones skips exactly those. */
static int scan_level(int fd, dev_t dev, unsigned depth) {
    if (lseek(fd, 0, SEEK_SET) < 0) { rm_failed[depth] = 1; return 0; }
    unsigned skipped = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, rm_buf, sizeof rm_buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { rm_failed[depth] = 1; return 0; }
        if (n == 0) return 0;
        for (long off = 0; off < n;) {
            struct dirent64_raw *d = (struct dirent64_raw *)(rm_buf + off);
            off += d->d_reclen;
            const char *name = d->d_name;
            if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]))) continue;
            struct stat st;
            bool dir = d->d_type == DT_DIR;
            if (d->d_type == DT_DIR || d->d_type == DT_UNKNOWN) {
                if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                    if (errno != ENOENT) rm_failed[depth] = 1;
                    continue;
                }
                dir = S_ISDIR(st.st_mode);
            }
            if (!dir) {
                if (unlinkat(fd, name, 0) < 0 && errno != ENOENT) rm_failed[depth] = 1;
                continue;
            }
            if (unlinkat(fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) continue;
            int e = errno;
            if (skipped < rm_skip[depth]) { skipped++; continue; }
            size_t len = strlen(name);
            if (st.st_dev != dev || (e != ENOTEMPTY && e != EEXIST) || len >= sizeof rm_name) {
                /* another filesystem (never entered), or not ours to remove */
                rm_skip[depth]++;
                skipped++;
                rm_failed[depth] = 1;
                continue;
            }
            memcpy(rm_name, name, len + 1);
            return 1;
        }
    }
}

int ds_cleanup_remove_tree(const char *path) {
    struct stat st;
    if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path) == 0 ? 1 : errno == ENOENT ? 0 : -1;
    int cur = open_dir(AT_FDCWD, path);
    if (cur < 0) return -1;
    unsigned depth = 0;
    rm_skip[0] = 0;
    rm_failed[0] = 0;
    for (;;) {
        if (scan_level(cur, st.st_dev, depth)) {
            int next = depth + 1 < MAX_DEPTH ? open_dir(cur, rm_name) : -1;
            if (next < 0) { rm_skip[depth]++; rm_failed[depth] = 1; continue; }
            close(cur);
            cur = next;
            depth++;
            rm_skip[depth] = 0;
            rm_failed[depth] = 0;
            continue;
        }
        if (depth == 0) break;
        /* This level is as empty as it gets: back to the parent, which removes it on its rescan. */
        int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(cur);
        if (up < 0) return -1;
        cur = up;
        depth--;
        if (rm_failed[depth + 1]) { rm_skip[depth]++; rm_failed[depth] = 1; }
    }
    close(cur);
    if (unlinkat(AT_FDCWD, path, AT_REMOVEDIR) < 0) return errno == ENOENT ? 0 : -1;
    return 1;
}

int ds_cleanup_run(void) {
    /* Mounts first (an overlay inside a temp dir is never entered by the remover). */
    for (int i = N_SLOTS - 1; i >= 0; i--)
        if (atomic_load(&slots[i].state) == LIVE && slots[i].kind == KIND_MOUNT) umount2(slots[i].path, MNT_DETACH);
    int removed = 0;
    for (;;) {
        int best = -1;
        for (int i = 0; i < N_SLOTS; i++)
            if (atomic_load(&slots[i].state) == LIVE && (best < 0 || slots[i].seq > slots[best].seq)) best = i;
        if (best < 0) break;
        int live = LIVE;
        if (!atomic_compare_exchange_strong(&slots[best].state, &live, BUSY)) continue;
        if (slots[best].kind == KIND_PATH && ds_cleanup_remove_tree(slots[best].path) > 0) removed++;
        atomic_store(&slots[best].state, FREE);
    }
    return removed;
}
