/* The gzip members of the app's program and its libraries, made on an idle thread while
 * the app is traced: whatever the keep level and whatever the trace shows, the candidate
 * holds the program the entry point runs and what the loader needs for it, and those are
 * most of a layer's bytes (PostgreSQL: 71 of 132 MB). The trace leaves one CPU mostly
 * free, so the candidate's layer job later finds these members made (util/gz_cache.h) and
 * compresses only the rest. Stopped when the first layer job starts: from then on that job
 * has the idle CPU. Everything is read inside the source root (fs/root_path.h). */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "build/build_int.h"
#include "elf/resolve.h"
#include "fs/root_path.h"
#include "util/compress.h"
#include "util/gz_cache.h"
#include "util/idle_threads.h"

struct ds_precompress_job {
    pthread_t th;
    bool running;
    atomic_bool stop;
    char *root, *path_env, *ld_library_path, *program;
    ds_gz_cache *cache;
};

/* The in-image path the command runs: as given when it has a '/', else the first PATH
 * directory that has it (the runtime's lookup). NULL when none does. */
static char *find_program(const ds_rp *r, const char *cmd, const char *path_env) {
    if (strchr(cmd, '/')) return ds_xstrdup(cmd);
    if (!path_env) path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char *copy = ds_xstrdup(path_env), *save = NULL, *found = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *in = ds_xasprintf("%s/%s", d, cmd);
        struct stat st;
        char *real = ds_rp_resolve(r, in, 0, &st, NULL, NULL);
        if (real && S_ISREG(st.st_mode)) found = in;
        else free(in);
        free(real);
    }
    free(copy);
    return found;
}

/* A script's interpreter ("#!/usr/bin/python3", "#!/usr/bin/env node"), else the program. */
static char *interpreter_of(const ds_rp *r, char *program, const char *path_env) {
    int fd = ds_rp_open_at(r, program, O_RDONLY, 0);
    if (fd < 0) return program;
    char line[256];
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n < 3 || line[0] != '#' || line[1] != '!') return program;
    line[n] = 0;
    line[strcspn(line, "\n")] = 0;
    char *save = NULL, *interp = strtok_r(line + 2, " \t", &save);
    if (!interp || *interp != '/') return program;
    const char *base = strrchr(interp, '/') + 1;
    if (!strcmp(base, "env")) {
        char *arg = strtok_r(NULL, " \t", &save);
        while (arg && *arg == '-') arg = strtok_r(NULL, " \t", &save); /* env -S and the like */
        char *found = arg ? find_program(r, arg, path_env) : NULL;
        if (!found) return program;
        free(program);
        return found;
    }
    free(program);
    return ds_xstrdup(interp);
}

typedef struct { dev_t dev; ino_t ino; } file_id;

/* One DS_GZ_MEMBER piece of a big file, as the layer writer cuts it. */
typedef struct { int fd; off_t off; size_t len; } piece;

typedef struct {
    ds_precompress_job *j;
    piece *v;
    size_t n;
    atomic_size_t next;
} work;

/* The pieces of the file at path (a regular file of DS_GZ_FILE_ALIGN and more, not seen
 * before), its fd kept open in *fds. */
static void add_file(const ds_rp *r, const char *path, file_id **seen, size_t *n_seen, int **fds, size_t *n_fds,
                     work *w) {
    int fd = ds_rp_open_at(r, path, O_RDONLY, 0);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)DS_GZ_FILE_ALIGN) { close(fd); return; }
    for (size_t i = 0; i < *n_seen; i++)
        if ((*seen)[i].dev == st.st_dev && (*seen)[i].ino == st.st_ino) { close(fd); return; }
    *seen = ds_xrealloc(*seen, (*n_seen + 1) * sizeof **seen);
    (*seen)[(*n_seen)++] = (file_id){st.st_dev, st.st_ino};
    *fds = ds_xrealloc(*fds, (*n_fds + 1) * sizeof **fds);
    (*fds)[(*n_fds)++] = fd;
    for (off_t off = 0; off < st.st_size; off += DS_GZ_MEMBER) {
        size_t len = st.st_size - off < (off_t)DS_GZ_MEMBER ? (size_t)(st.st_size - off) : DS_GZ_MEMBER;
        w->v = ds_xrealloc(w->v, (w->n + 1) * sizeof *w->v);
        w->v[w->n++] = (piece){fd, off, len};
    }
}

/* Takes pieces until none is left or the job is stopped. */
static void *worker(void *arg) {
    work *w = arg;
    ds_thread_make_idle();
    unsigned char *buf = ds_xmalloc(DS_GZ_MEMBER);
    while (!atomic_load(&w->j->stop)) {
        size_t i = atomic_fetch_add(&w->next, 1);
        if (i >= w->n) break;
        size_t got = 0;
        while (got < w->v[i].len) {
            ssize_t n = pread(w->v[i].fd, buf + got, w->v[i].len - got, w->v[i].off + (off_t)got);
            if (n <= 0) break;
            got += (size_t)n;
        }
        ds_thread_make_idle(); /* again: a wake of the idle threads (the scan's finish) is not for these */
        if (got == w->v[i].len) ds_gz_cache_add(w->j->cache, buf, got);
    }
    free(buf);
    return NULL;
}

static void *job_main(void *arg) {
    ds_precompress_job *j = arg;
    ds_thread_make_idle();
    ds_rp r;
    if (ds_rp_open(&r, j->root, &(ds_err){0}) < 0) return NULL;
    char *program = find_program(&r, j->program, j->path_env);
    if (program) program = interpreter_of(&r, program, j->path_env);
    char **paths = NULL;
    size_t n = 0;
    ds_err e = {0};
    work w = {.j = j};
    atomic_init(&w.next, 0);
    file_id *seen = NULL;
    int *fds = NULL;
    size_t n_seen = 0, n_fds = 0;
    if (program && !atomic_load(&j->stop) &&
        ds_elf_needed_files(j->root, program, j->ld_library_path, &paths, &n, NULL, NULL, &e) == 0) {
        add_file(&r, program, &seen, &n_seen, &fds, &n_fds, &w);
        for (size_t i = 0; i < n; i++) add_file(&r, paths[i], &seen, &n_seen, &fds, &n_fds, &w);
        /* One worker: a second, even in SCHED_IDLE, made PostgreSQL's trace 0.14 s longer on
         * two CPUs (0.35 -> 0.49 s) for what the layer job would have done in less. */
        worker(&w);
    }
    for (size_t i = 0; i < n_fds; i++) close(fds[i]);
    free(fds);
    free(seen);
    free(w.v);
    ds_strv_free(paths, n);
    free(program);
    ds_rp_close(&r);
    return NULL;
}

static char *dup_or_null(const char *s) { return s ? ds_xstrdup(s) : NULL; }

ds_precompress_job *ds_precompress_start(const char *root, const char *program, const char *path_env,
                                         const char *ld_library_path, ds_gz_cache *cache) {
    ds_precompress_job *j = ds_xcalloc(1, sizeof *j);
    atomic_init(&j->stop, false);
    j->root = ds_xstrdup(root);
    j->program = ds_xstrdup(program);
    j->path_env = dup_or_null(path_env);
    j->ld_library_path = dup_or_null(ld_library_path);
    j->cache = cache;
    sigset_t all, old; /* signals are the main thread's (the interrupt handler's) */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    j->running = pthread_create(&j->th, NULL, job_main, j) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return j;
}

void ds_precompress_stop(ds_precompress_job *j) {
    if (j) atomic_store(&j->stop, true);
}

void ds_precompress_wait(ds_precompress_job *j) {
    if (j && j->running) {
        pthread_join(j->th, NULL);
        j->running = false;
    }
}

void ds_precompress_free(ds_precompress_job *j) {
    if (!j) return;
    atomic_store(&j->stop, true);
    if (j->running) pthread_join(j->th, NULL);
    free(j->root); free(j->program); free(j->path_env); free(j->ld_library_path);
    free(j);
}
