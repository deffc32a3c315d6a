/* The candidate's layer written on a thread of its own while the tests verify the tree (see
 * build.h): compressing the layer is most of a build's own CPU, and a verify run mostly waits
 * for the app. The job runs in SCHED_IDLE (the app and the runtime preempt it whenever they
 * want a CPU) until the pipeline waits for it. The runs see the tree through an overlay with
 * a private upper dir, so nothing changes the tree while the job reads it; the pipeline
 * cancels the job before it changes the tree again (a failed verify). */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "build/build.h"
#include "util/idle_threads.h"
#include "util/progress.h"

struct ds_candidate_job {
    pthread_t th;
    bool running; /* false: no thread could start; finish makes the candidate on the caller's */
    atomic_bool cancel, released, done;
    const ds_image *src;
    json_t *config; /* a copy: jansson objects are not shared between threads */
    char *tree, *user, *compress, *work_dir;
    bool keep_tar;
    struct ds_gz_cache *gz_cache;
    int rc;
    ds_candidate cand;
    ds_err err;
};

static void make(ds_candidate_job *j) {
    ds_layer_write_opts lw = {.keep_tar = j->keep_tar, .cancel = &j->cancel, .released = &j->released,
                              .gz_cache = j->gz_cache};
    j->rc = ds_candidate_make(j->src, j->config, j->tree, j->user, j->compress, j->work_dir, &lw, &j->cand, &j->err);
    atomic_store(&j->done, true);
}

static void *job_main(void *arg) {
    ds_candidate_job *j = arg;
    ds_thread_make_idle(); /* its gzip workers inherit it */
    ds_progress_mute_thread();
    make(j);
    return NULL;
}

static char *dup_or_null(const char *s) { return s ? ds_xstrdup(s) : NULL; }

ds_candidate_job *ds_candidate_job_start(const ds_image *src, const json_t *config, const char *tree,
                                         const char *user, const char *compress, const char *work_dir,
                                         bool keep_tar, struct ds_gz_cache *gz_cache) {
    ds_candidate_job *j = ds_xcalloc(1, sizeof *j);
    atomic_init(&j->cancel, false);
    atomic_init(&j->released, false);
    atomic_init(&j->done, false);
    j->src = src;
    j->config = config ? json_deep_copy(config) : NULL;
    j->tree = ds_xstrdup(tree);
    j->user = dup_or_null(user);
    j->compress = dup_or_null(compress);
    j->work_dir = ds_xstrdup(work_dir);
    j->keep_tar = keep_tar;
    j->gz_cache = gz_cache;
    /* Signals are the main thread's (the interrupt handler's): the job's threads block them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    j->running = pthread_create(&j->th, NULL, job_main, j) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return j;
}

static void job_free(ds_candidate_job *j) {
    json_decref(j->config);
    free(j->tree); free(j->user); free(j->compress); free(j->work_dir);
    free(j);
}

int ds_candidate_job_finish(ds_candidate_job *j, ds_candidate *out, ds_err *err) {
    if (j->running) {
        ds_threads_wake_idle(); /* now the build waits for it: full speed */
        pthread_join(j->th, NULL);
    } else {
        make(j);
    }
    int rc = j->rc;
    if (rc == 0) *out = j->cand;
    else if (err) *err = j->err;
    job_free(j);
    return rc;
}

void ds_candidate_job_cancel(ds_candidate_job *j) {
    if (!j || !j->running || atomic_load(&j->cancel)) return;
    atomic_store(&j->cancel, true);
    /* Back as soon as the tree is no longer read (within one tar block); the members already
     * being compressed finish on the job's idle threads, and ds_candidate_job_free waits. */
    while (!atomic_load(&j->released) && !atomic_load(&j->done))
        nanosleep(&(struct timespec){0, 200000}, NULL);
}

void ds_candidate_job_free(ds_candidate_job *j) {
    if (!j) return;
    if (j->running) {
        atomic_store(&j->cancel, true);
        pthread_join(j->th, NULL);
        if (j->rc == 0) ds_candidate_clear(&j->cand);
    }
    job_free(j);
}
