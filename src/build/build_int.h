/* Inside src/build: the state one ds_build_run carries between its stages. Not for the CLI. */
#ifndef DS_BUILD_BUILD_INT_H
#define DS_BUILD_BUILD_INT_H
#include <sys/types.h>
#include "build/build_run.h"
#include "image/image_config.h"
#include "runtime/runtime.h"

/* ds_build_run with a given runtime (the unit tests' fake; ds_build_run passes the native one). */
/* --runtime NAME (auto: the first that works) picked, checked and opened; rt->why says why. */
int ds_build_runtime_open(const char *name, ds_runtime *rt, ds_err *err);
int ds_build_run_with(const ds_build_opts *opts, const ds_runtime *rt, const ds_build_events *ev,
                      ds_build_result **out, ds_err *err);

typedef struct ds_bctx {
    const ds_build_opts *o;
    const ds_build_events *ev;
    const ds_runtime *rt;
    ds_build_result *res;
    ds_image *img;
    ds_image_config cfg;
    char *work, *rootfs;
    ds_srcscan *scan;        /* the source's walk and packages, read once before the closure */
    char **env; size_t n_env;   /* borrowed from cfg, plus a default PATH */
    char **cmd; size_t n_cmd;   /* borrowed: opts->command or Entrypoint+Cmd */
    const char *name, *tag;
    char *name_alloc;
    int *probe_status;          /* per port, from the trace run (when no --test) */
    int runs;
    double t_stage;
    ds_build_filecap *denied; size_t n_denied; /* binds refused in the last diagnose run */
    struct ds_ep_state *ep;     /* --entrypoint (entrypoint_stage.c) */
    const char *keep_upper;     /* the trace run keeps its overlay upper dir there (NULL = not) */
    struct ds_gz_cache *gz_cache; /* members of the program's files, made during the trace (or NULL) */
    struct ds_precompress_job *precompress; /* what makes them, until the first layer job starts */
} ds_bctx;

/* --entrypoint auto|keep|flatten around the stages (entrypoint_stage.c, entrypoint.h). */
int ds_ep_begin(ds_bctx *c, ds_err *err);
/* The trace the closure uses: the script phase left out when flattening; NULL with err when
 * --entrypoint flatten cannot. */
const ds_trace *ds_ep_after_trace(ds_bctx *c, const ds_trace *trace, ds_err *err);
const char *ds_ep_user(ds_bctx *c, const char *want);
int ds_ep_bake(ds_bctx *c, const char *tree, ds_err *err);
/* ds_ep_bake writes into the tree (an entry point script's hand-over is being baked). */
bool ds_ep_bakes(const ds_bctx *c);
void ds_ep_config(ds_bctx *c, json_t *rconfig);
/* The flattened result failed `failed`: 1 = retry with the script (keep), -1 with err (flatten), 0 = not flattening. */
int ds_ep_fallback(ds_bctx *c, const char *failed, ds_err *err);
json_t *ds_ep_report(ds_bctx *c);
char *ds_ep_summary(ds_bctx *c);
void ds_ep_end(ds_bctx *c);

typedef struct ds_run_result {
    int failures;
    ssize_t failed;   /* index in res->steps of the first failing step, or -1 */
    ds_trace *trace;  /* when run with the sensor */
} ds_run_result;

/* Run tree as a container (under the sensor when trace), drive it with the tests (and the
 * checks, except when tracing). -1 with err on an error of ours; a failing step is a result. */
/* user: the image User spelling, resolved in tree as docker and podman do (uid, gid,
 * supplementary groups, HOME). */
int ds_build_run_app(ds_bctx *c, const char *tree, const char *user, bool trace, const char *stage,
                     const json_t *seccomp, ds_run_result *rr, ds_err *err);
void ds_run_result_clear(ds_run_result *rr);
/* Run the failing candidate again under the sensor: the files SRC has that the run reached
 * and the candidate lacks, into res->missing (missing_known false when it could not be traced). */
void ds_build_diagnose(ds_bctx *c, const char *cand_tree, const char *user);

/* source_scan_job.c: the source's walk and package databases (and, with_index, the package
 * level's index of them) read on an idle thread while the app is traced. finish waits for
 * it: *scan and *ix (NULL unless with_index; ix may be NULL) are the caller's, or -1 with
 * err (a walk that failed, as ds_srcscan_load). */
typedef struct ds_source_scan_job ds_source_scan_job;
struct ds_pkgindex;
ds_source_scan_job *ds_source_scan_start(const char *root, bool with_index);
int ds_source_scan_finish(ds_source_scan_job *j, ds_srcscan **scan, struct ds_pkgindex **ix, ds_err *err);

/* precompress_job.c: the gzip members of `program` (the entry point's command, as PATH finds
 * it in root; a script's interpreter) and of every file the loader needs for it, put into
 * cache on an idle thread (files of DS_GZ_FILE_ALIGN and more, as the layer writer cuts
 * them). stop asks it to end after the piece it is on; free stops it, waits, and frees j
 * (not the cache). Never NULL. */
typedef struct ds_precompress_job ds_precompress_job;
struct ds_gz_cache;
ds_precompress_job *ds_precompress_start(const char *root, const char *program, const char *path_env,
                                         const char *ld_library_path, struct ds_gz_cache *cache);
void ds_precompress_stop(ds_precompress_job *j);
void ds_precompress_wait(ds_precompress_job *j); /* until it has done every piece (or was stopped) */
void ds_precompress_free(ds_precompress_job *j);

/* nonroot_refused.c: the first regular file the traced app opened that nonroot (65532:65532, no
 * supplementary group) could not read in the candidate: kept, not among the paths the
 * candidate gives the run user (what the app wrote), readable neither by "other" nor as
 * 65532's. NULL when there is none (malloc'd). A guess, made before any candidate runs,
 * that the nonroot verify of a source with a non-root user will fail. */
char *ds_build_nonroot_refused(const char *root, const ds_srcscan *scan, const ds_trace *trace,
                               const ds_closure *clo);

/* bind_caps.c: keep the diagnose trace's refused binds (c->denied); give each of those programs
 * cap_net_bind_service in cand_tree and move them to res->filecaps; free c->denied. */
void ds_build_denied_binds_take(ds_bctx *c, const ds_trace *t);
int ds_build_bind_caps_apply(ds_bctx *c, const char *cand_tree, ds_err *err);
char *ds_build_bind_caps_describe(const ds_build_filecap *f, size_t n);
void ds_build_filecaps_free(ds_build_filecap *f, size_t n);

/* c->env (the config's, plus a default PATH) and c->cmd (opts->command, else Entrypoint+Cmd). */
void ds_build_env_and_command(ds_bctx *c);

void ds_build_note(ds_bctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* report.json, seccomp.json, and when the result was written the Dockerfile with its context
 * layer and the result's SBOMs (cand, cand_tree); test artifacts; into opts->out_dir. */
int ds_build_write_outputs(ds_bctx *c, const ds_closure *clo, const ds_trace *trace, const json_t *seccomp,
                           const json_t *rconfig, const json_t *harden, const ds_candidate *cand,
                           const char *cand_tree, double t_report, double t0, ds_err *err);
double ds_build_now(void);
#endif
