/* Traced threads with their cwd/root and fd table, shared like the kernel shares them
 * (CLONE_FS / CLONE_FILES), so relative and *at paths resolve without reading /proc per call. */
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
    free(p->exec_path);
    if (p->exec_argv) {
        for (char **a = p->exec_argv; *a; a++) free(*a);
        free(p->exec_argv);
    }
    memset(p, 0, sizeof *p);
}

void thread_remove(pid_t tid) {
    thread *t = unlink_thread(tid);
    if (!t) return;
    if (t->fs) fs_unref(t->fs);
    if (t->fds) fd_unref(t->fds);
    pending_clear(&t->p);
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

fdtab *fd_new(void) {
    fdtab *f = xcalloc(1, sizeof *f);
    f->refs = 1;
    return f;
}
fdtab *fd_copy(const fdtab *f, bool drop_cloexec) {
    fdtab *n = fd_new();
    for (int i = 0; i < f->cap; i++)
        if (f->path[i] && !(drop_cloexec && f->cloexec[i])) fdt_set(n, i, f->path[i], f->cloexec[i]);
    return n;
}
void fd_unref(fdtab *f) {
    if (--f->refs > 0) return;
    for (int i = 0; i < f->cap; i++) free(f->path[i]);
    free(f->path); free(f->cloexec); free(f);
}
void fdt_set(fdtab *f, int fd, const char *path, bool cloexec) {
    if (fd < 0 || fd > 1 << 20) return;
    if (fd >= f->cap) {
        int ncap = f->cap ? f->cap : 64;
        while (ncap <= fd) ncap *= 2;
        f->path = xrealloc(f->path, (size_t)ncap * sizeof *f->path);
        f->cloexec = xrealloc(f->cloexec, (size_t)ncap);
        memset(f->path + f->cap, 0, (size_t)(ncap - f->cap) * sizeof *f->path);
        memset(f->cloexec + f->cap, 0, (size_t)(ncap - f->cap));
        f->cap = ncap;
    }
    free(f->path[fd]);
    f->path[fd] = path ? xstrdup(path) : NULL;
    f->cloexec[fd] = cloexec;
}
const char *fdt_get(fdtab *f, int fd) { return fd >= 0 && fd < f->cap ? f->path[fd] : NULL; }

const char *fd_path(thread *t, int fd) {
    const char *p = fdt_get(t->fds, fd);
    if (p) return p;
    /* Not opened under our eyes (inherited, passed over a socket): ask the kernel once. */
    char link[64], buf[PATH_MAX];
    snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)t->tid, fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0 || buf[0] != '/') return NULL;
    buf[n] = 0;
    const char *root = t->fs->root;
    size_t rl = strlen(root);
    if (strcmp(root, "/") && !strncmp(buf, root, rl) && (buf[rl] == '/' || !buf[rl]))
        memmove(buf, buf[rl] ? buf + rl : "/", strlen(buf[rl] ? buf + rl : "/") + 1);
    fdt_set(t->fds, fd, buf, false);
    return fdt_get(t->fds, fd);
}
