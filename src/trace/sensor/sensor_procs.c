/* Traced threads with their cwd and root, shared like the kernel shares them (CLONE_FS), so paths
 * relative to the cwd resolve without reading /proc. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sensor.h"

#define NBUCKETS 4096
static thread *buckets[NBUCKETS];
static size_t nthreads;

thread *thread_find(pid_t tid) {
    for (thread *t = buckets[(unsigned)tid % NBUCKETS]; t; t = t->next)
        if (t->tid == tid) return t;
    return NULL;
}

thread *thread_new(pid_t tid) {
    thread *t = xcalloc(1, sizeof *t);
    t->tid = tid;
    t->next = buckets[(unsigned)tid % NBUCKETS];
    buckets[(unsigned)tid % NBUCKETS] = t;
    nthreads++;
    return t;
}

static thread *unlink_thread(pid_t tid) {
    for (thread **pp = &buckets[(unsigned)tid % NBUCKETS]; *pp; pp = &(*pp)->next) {
        if ((*pp)->tid != tid) continue;
        thread *t = *pp;
        *pp = t->next;
        nthreads--;
        return t;
    }
    return NULL;
}

void pending_clear(pending *p) {
    res_unref(p->res[0]);
    res_unref(p->res[1]);
    free(p->exec_path);
    if (p->exec_argv) {
        for (char **a = p->exec_argv; *a; a++) free(*a);
        free(p->exec_argv);
    }
    if (p->exec_envp) {
        for (char **a = p->exec_envp; *a; a++) free(*a);
        free(p->exec_envp);
    }
    free(p->exec_cwd);
    memset(p, 0, sizeof *p);
}

void thread_remove(pid_t tid) {
    thread *t = unlink_thread(tid);
    if (!t) return;
    if (t->fs) fs_unref(t->fs);
    pending_clear(&t->p);
    deferred_clear(&t->d);
    free(t);
}

void thread_rekey(thread *t, pid_t new_tid) {
    unlink_thread(t->tid);
    t->tid = new_tid;
    t->next = buckets[(unsigned)new_tid % NBUCKETS];
    buckets[(unsigned)new_tid % NBUCKETS] = t;
    nthreads++;
}

size_t thread_count(void) { return nthreads; }

void thread_foreach(void (*fn)(thread *, void *), void *arg) {
    for (size_t b = 0; b < NBUCKETS; b++)
        for (thread *t = buckets[b], *n; t; t = n) { n = t->next; fn(t, arg); }
}

fsinfo *fs_new(const char *cwd, const char *root) {
    fsinfo *f = xcalloc(1, sizeof *f);
    f->refs = 1;
    f->cwd = xstrdup(cwd);
    f->root = xstrdup(root);
    return f;
}
fsinfo *fs_copy(const fsinfo *f) { return fs_new(f->cwd, f->root); }
void fs_unref(fsinfo *f) {
    if (--f->refs > 0) return;
    free(f->cwd); free(f->root); free(f);
}

const char *fd_path(thread *t, int fd, char *buf, size_t len) {
    char link[64];
    if (fd == AT_FDCWD) snprintf(link, sizeof link, "/proc/%d/cwd", (int)t->tid);
    else if (fd < 0) return NULL;
    else snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)t->tid, fd);
    ssize_t n = readlink(link, buf, len - 1);
    if (n <= 0 || buf[0] != '/') return NULL;
    buf[n] = 0;
    /* The kernel shows paths from the sensor's root; a chrooted process sees them below its root. */
    const char *root = t->fs ? t->fs->root : "/";
    size_t rl = strlen(root);
    if (strcmp(root, "/") && !strncmp(buf, root, rl) && (buf[rl] == '/' || !buf[rl])) {
        if (!buf[rl]) strcpy(buf, "/");
        else memmove(buf, buf + rl, strlen(buf + rl) + 1);
    }
    return buf;
}

int proc_ids(pid_t tid, pid_t *tgid, pid_t *ppid) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    *tgid = *ppid = -1;
    while (fgets(buf, sizeof buf, f)) {
        if (!strncmp(buf, "Tgid:", 5)) *tgid = atoi(buf + 5);
        else if (!strncmp(buf, "PPid:", 5)) *ppid = atoi(buf + 5);
    }
    fclose(f);
    return 0;
}
