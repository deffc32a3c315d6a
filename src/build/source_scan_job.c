/* What a build reads of its source and needs only at the closure: the tree's walk and its
 * package databases (ds_srcscan) and, at the package level, the index of every package's
 * files (ds_pkgindex). Neither depends on the trace, so they are read on a thread in
 * SCHED_IDLE while the app is traced (the sensor and the app run on one CPU; the other
 * is mostly free then). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include "build/build_int.h"
#include "fs/root_path.h"
#include "minify/packages.h"
#include "util/idle_threads.h"

struct ds_source_scan_job {
    pthread_t th;
    bool running;
    char *root;
    bool with_index;
    int rc;
    ds_srcscan *scan;
    ds_pkgindex *ix;
    ds_err err;
};

static void scan_now(ds_source_scan_job *j) {
    j->rc = ds_srcscan_load(j->root, &j->scan, &j->err);
    if (j->rc < 0 || !j->with_index) return;
    ds_root r;
    ds_pkgindex *ix = ds_xcalloc(1, sizeof *ix);
    if (ds_root_open(&r, j->root, &j->err) < 0) {
        j->rc = -1;
        free(ix);
        return;
    }
    ds_srcscan_attach(j->scan, &r);
    if (ds_pkgindex_build(&r, j->scan, ix, &j->err) < 0) {
        ds_pkgindex_free(ix);
        free(ix);
        j->rc = -1;
    } else {
        j->ix = ix;
    }
    ds_root_close(&r);
}

static void *scan_main(void *arg) {
    ds_thread_make_idle();
    scan_now(arg);
    return NULL;
}

ds_source_scan_job *ds_source_scan_start(const char *root, bool with_index) {
    ds_source_scan_job *j = ds_xcalloc(1, sizeof *j);
    j->root = ds_xstrdup(root);
    j->with_index = with_index;
    sigset_t all, old; /* signals are the main thread's (the interrupt handler's) */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    j->running = pthread_create(&j->th, NULL, scan_main, j) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return j;
}

int ds_source_scan_finish(ds_source_scan_job *j, ds_srcscan **scan, ds_pkgindex **ix, ds_err *err) {
    *scan = NULL;
    if (ix) *ix = NULL;
    if (j->running) {
        ds_threads_wake_idle(); /* the build waits for it now */
        pthread_join(j->th, NULL);
    } else {
        scan_now(j);
    }
    int rc = j->rc;
    if (rc < 0) {
        if (err) *err = j->err;
        ds_srcscan_free(j->scan);
    } else {
        *scan = j->scan;
        if (ix) *ix = j->ix;
        else if (j->ix) { ds_pkgindex_free(j->ix); free(j->ix); }
    }
    free(j->root);
    free(j);
    return rc;
}
