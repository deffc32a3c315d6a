/* The pieces of `distill build` that are not the closure or the runtime: users,
 * the host-side tests, probes, the candidate image, seccomp profile, Dockerfile,
 * the project file. src/cli/cmd_build.c strings them together. */
#ifndef DS_BUILD_BUILD_H
#define DS_BUILD_BUILD_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "image/image.h"
#include "image/image_config.h"
#include "minify/minify.h"
#include "fs/layer_writer.h"
#include "trace/trace_log.h"
#include "util/err.h"

/* ---- users ---- */
/* Resolve an image user ("", "name", "uid", "uid:gid", "name:group") against root's
 * /etc/passwd and /etc/group, like the runtimes do. */
int ds_user_resolve(const char *root, const char *spec, uint32_t *uid, uint32_t *gid, ds_err *err);
/* What the runtimes give that user besides uid and gid (runc's GetExecUser, used by docker and
 * podman): without an explicit group in spec, the groups of root's /etc/group that list the
 * user's name as a member; with one, none. home: the passwd entry's, else "/". */
typedef struct ds_exec_user {
    uint32_t uid, gid;
    uint32_t *sgids; /* malloc'd */
    size_t n_sgids;
    char *home;      /* malloc'd */
} ds_exec_user;
int ds_exec_user_resolve(const char *root, const char *spec, ds_exec_user *out, ds_err *err);
void ds_exec_user_free(ds_exec_user *u);

/* ---- host-side tests ---- */
typedef struct ds_test_env {
    const char *host; /* {LOCALHOST} / DISTILL_HOST */
    const char *name; /* {NAME} / DISTILL_NAME */
    const char *tag;  /* {CONTAINER_TAG} / DISTILL_TAG */
    const char *stage; /* DISTILL_STAGE: "trace" or "verify" */
} ds_test_env;
/* cmd with {LOCALHOST}, {NAME}, {CONTAINER_TAG} replaced (malloc'd). */
char *ds_test_expand(const char *cmd, const ds_test_env *env);
/* Run `sh -c CMD` (expanded) on this machine in its own process group, stdout and stderr
 * to out_fd. With timeout_s > 0, a command still running after timeout_s seconds is stopped
 * with its whole process group (SIGTERM, then SIGKILL 5 s later) and *timed_out set.
 * Returns the exit status (0-255; 128+N for a signal), or -1 with err when it could not start. */
int ds_test_run(const char *cmd, const ds_test_env *env, int out_fd, double timeout_s, double *seconds,
                bool *timed_out, ds_err *err);

/* Probe a TCP port on 127.0.0.1: HTTP GET / when it answers HTTP. *http_status gets the
 * status code (0 when not HTTP). Returns 0 when something accepted the connection. */
int ds_probe_port(int port, int *http_status);

/* ---- the candidate image ---- */
typedef struct ds_candidate {
    char layer_path[4096];
    char tar_path[4096];   /* the layer uncompressed (asked for with keep_tar), or "" */
    char *layer_media_type;
    char layer_digest[DS_DIGEST_LEN + 1];
    char diff_id[DS_DIGEST_LEN + 1];
    int64_t layer_size;
    char *config_raw;
    char config_digest[DS_DIGEST_LEN + 1];
    char *manifest_raw;
    char manifest_digest[DS_DIGEST_LEN + 1];
} ds_candidate;
/* One deterministic layer of tree (in work_dir), config (the source's, or with the command
 * given after `--` as Entrypoint) carried over with
 * `user` as User, a history entry, and annotations naming the source digest. lw (may be NULL):
 * with keep_tar the uncompressed layer is kept too (tar_path), for --out-dir's build context;
 * cancel and released for a write on another thread (ds_candidate_job). */
int ds_candidate_make(const ds_image *src, const json_t *config, const char *tree, const char *user,
                      const char *compress, const char *work_dir, const ds_layer_write_opts *lw, ds_candidate *out,
                      ds_err *err);
/* ds_candidate_make on a thread of its own in SCHED_IDLE (no progress reports), started before
 * the verify run of the tree it writes: much of its work is done by the time the run passes.
 * Nothing may change the tree until the job is finished or cancelled. Never NULL (when no
 * thread can start, finish makes the candidate itself). */
typedef struct ds_candidate_job ds_candidate_job;
struct ds_gz_cache;
/* gz_cache (may be NULL; must outlive the job): gzip members made ahead (layer_writer.h). */
ds_candidate_job *ds_candidate_job_start(const ds_image *src, const json_t *config, const char *tree,
                                         const char *user, const char *compress, const char *work_dir,
                                         bool keep_tar, struct ds_gz_cache *gz_cache);
/* Waits for the job at full speed: 0 with *out (as ds_candidate_make's), or -1 with its error.
 * Frees j. */
int ds_candidate_job_finish(ds_candidate_job *j, ds_candidate *out, ds_err *err);
/* Stops the job: returns once it no longer reads the tree (NULL: nothing). What it was
 * compressing finishes in the background: ds_candidate_job_free waits for it, removes what
 * it wrote and frees j, before the work dir goes. */
void ds_candidate_job_cancel(ds_candidate_job *j);
void ds_candidate_job_free(ds_candidate_job *j);
int ds_candidate_publish(const ds_candidate *c, const char *dst_ref, const ds_opts *opts, ds_err *err);
void ds_candidate_clear(ds_candidate *c);

/* ---- outputs ---- */
/* OCI/Docker seccomp profile allowing the names seen (plus what a runtime needs to exec). */
json_t *ds_seccomp_profile(char *const *syscalls, size_t n_syscalls, const char *arch);
/* The file name, in --out-dir, of the distilled layer as an uncompressed tar: the build
 * context of the Dockerfile. */
#define DS_CONTEXT_LAYER "rootfs.tar"
/* A Dockerfile that rebuilds the result: FROM scratch, ADD DS_CONTEXT_LAYER, then the
 * result's config (ENV, LABEL, WORKDIR, EXPOSE, VOLUME, STOPSIGNAL, USER, ENTRYPOINT, CMD).
 * Every user-supplied value is JSON-escaped or skipped when it spans lines. */
char *ds_dockerfile(const char *src_ref, const char *src_digest, const char *diff_id, const ds_image_config *config,
                    const char *user);
/* Write out_dir/DS_CONTEXT_LAYER atomically: the uncompressed tar at tar_path moved there
 * (when given: it was written from the bytes that gave diff_id), else the layer blob at
 * layer_path decompressed and checked to hash to diff_id (when given). */
int ds_build_context_layer(const char *layer_path, const char *tar_path, const char *diff_id, const char *out_dir,
                           ds_err *err);

/* ---- the sensor's log of a run ---- */
/* Load the log the sensor wrote into a directory the container could write: no symlink,
 * a regular file of at most 1 GiB, parsed by the trace module; no file content in err. */
int ds_build_trace_load(const char *path, ds_trace **out, ds_err *err);

/* ---- project file ---- */
/* distill.yaml: a mapping of flag names (without --) to a scalar, a boolean or a list;
 * appended to *argv as "--key" "value" pairs (lists repeat the flag). */
int ds_project_file_args(const char *path, char ***argv, int *argc, ds_err *err);


/* ---- report helpers ---- */
typedef struct ds_tree_stats {
    int64_t files;  /* non-directories */
    int64_t dirs;
    int64_t bytes;  /* regular file sizes, hard links counted once */
} ds_tree_stats;
int ds_tree_stats_of(const char *root, ds_tree_stats *out, ds_err *err);
/* The same numbers from a walk already taken (the build's source scan): no second walk. */
void ds_tree_stats_from(const ds_tree *t, ds_tree_stats *out);
/* Bytes of the regular files the trace saw (ok accesses), resolved in root. */
int64_t ds_trace_used_bytes(const char *root, const ds_trace *trace);
/* The packages of root (dpkg, apk, rpm, pypi, npm) with a file in the kept set:
 * [{type, name, package (= name), version, arch, purl, database, files, kept, share}]. */
json_t *ds_package_shares(const char *root, const ds_srcscan *scan, const ds_pathmap *keep);
/* --out-dir's sbom.spdx.json and sbom.cdx.json: the scan of the result's tree, the image
 * named image_ref at digest (its manifest digest, may be NULL when none was written). */
int ds_build_write_sboms(const char *tree, const char *image_ref, const char *digest, const char *out_dir, ds_err *err);
/* Shells/tools present in root that are not kept: [path]. */
json_t *ds_tools_left_out(const char *root, const ds_pathmap *keep);
/* The keep level's line for a person: "kept 24 packages whole (+17.5 MB over file level)". */
char *ds_keep_level_summary(const ds_closure *c);
/* Paths a (verify) trace reached that exist in src_root but not in cand_root, in trace
 * order, exact bytes: *out is a malloc'd NULL-terminated array (NULL when none). */
size_t ds_missing_files(const char *src_root, const char *cand_root, const ds_trace *trace, char ***out);
#endif
