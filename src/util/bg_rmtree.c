#include "util/bg_rmtree.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "util/err.h"
#include "util/fsutil.h"

struct ds_bg_rmtree {
    pthread_t th;
    char *path;
};

static void *rm_main(void *arg) {
    ds_bg_rmtree *r = arg;
    /* nice 19, not SCHED_IDLE: a build waiting for its layer wakes every idle thread of the
     * process (ds_threads_wake_idle), and this one should not compete with the layer then. */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    ds_rmtree(r->path, &(ds_err){0});
    return NULL;
}

ds_bg_rmtree *ds_bg_rmtree_start(const char *path) {
    if (!path) return NULL;
    ds_bg_rmtree *r = ds_xcalloc(1, sizeof *r);
    r->path = ds_xstrdup(path);
    /* Signals are the main thread's (the interrupt handler's). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int ok = pthread_create(&r->th, NULL, rm_main, r) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (ok) return r;
    ds_rmtree(r->path, &(ds_err){0});
    free(r->path);
    free(r);
    return NULL;
}

void ds_bg_rmtree_join(ds_bg_rmtree *r) {
    if (!r) return;
    pthread_join(r->th, NULL);
    free(r->path);
    free(r);
}
