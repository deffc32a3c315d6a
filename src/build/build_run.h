/* `distill build` as a library: SRC -> open -> unpack -> trace (the app under the sensor,
 * driven by its tests) -> closure -> candidate -> verify (the same tests, plus --check
 * commands, on the candidate) -> write DST, only when everything passed.
 *
 * The library never prints: what happens is reported through ds_build_events (each
 * callback may be NULL), the outcome through ds_build_result. The container runtime is
 * picked from opts->runtime; the pipeline talks to it through ds_runtime (runtime.h),
 * which the unit tests replace with a fake (build_int.h). */
#ifndef DS_BUILD_BUILD_RUN_H
#define DS_BUILD_BUILD_RUN_H
#include "store/store.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "build/build.h"
#include "image/image.h"
#include "util/err.h"

typedef enum ds_build_stage {
    DS_STAGE_OPEN = 0,
    DS_STAGE_UNPACK,
    DS_STAGE_TRACE,
    DS_STAGE_CLOSURE,
    DS_STAGE_CANDIDATE,
    DS_STAGE_VERIFY,
    DS_STAGE_WRITE,
    DS_STAGE_COUNT
} ds_build_stage;
const char *ds_build_stage_name(ds_build_stage s); /* "open", "unpack", ... */

#define DS_TEST_TIMEOUT_DEFAULT 300.0

typedef struct ds_build_opts {
    const char *src, *dst;          /* image references */
    ds_opts topts;                  /* transports, --compress, --tmpdir (the work dir goes there) */
    const char *runtime;            /* "runc" | "crun" | "podman" | "docker" | "auto"/NULL: the first that works */
    bool network_none;              /* own network namespace instead of the host's */
    char *const *tests; size_t n_tests;    /* run on this machine by sh -c, trace and verify */
    char *const *checks; size_t n_checks;  /* --check: verify (and diagnose) only, never traced */
    const char *setup, *teardown, *ready_cmd;
    double ready_timeout;           /* seconds, > 0 */
    double test_timeout;            /* seconds per test/check/setup/teardown; 0 = no limit */
    const char *user;               /* "auto" | "nonroot" | NAME | UID[:GID] */
    char *const *keep; size_t n_keep;                   /* --keep GLOB */
    char *const *keep_packages; size_t n_keep_packages; /* --keep-package NAME */
    const char *keep_level;    /* --keep-level package|file; NULL = package */
    bool keep_shell, seccomp_verify, keep_work, harden, no_pin;
    const char *out_dir;            /* report.json, seccomp.json, Dockerfile; NULL = none */
    const char *test_artifacts;
    const char *name, *tag;         /* {NAME}, {CONTAINER_TAG}; NULL = from SRC */
    const char *sensor;             /* distill-sensor; NULL = $DISTILL_SENSOR or next to the executable */
    char *const *command; size_t n_command; /* after `--`: replaces Entrypoint+Cmd */
    const char *entrypoint;         /* --entrypoint auto|keep|flatten; NULL = auto */
} ds_build_opts;
void ds_build_opts_init(ds_build_opts *o);

/* One host-side step of a run: a test, a check, setup/teardown, a port probe, or the
 * pseudo-steps "start" (never ready) and "app" (exited with a failure). */
typedef struct ds_build_step {
    const char *stage;   /* "trace" | "verify" | "diagnose" (static strings) */
    const char *kind;    /* "test" | "check" | "setup" | "teardown" | "probe" | "start" | "app" */
    char *command;
    int exit;            /* -1 for "start" */
    double seconds;      /* for commands */
    int http_status;     /* for probes */
    bool passed, timed_out;
} ds_build_step;

typedef struct ds_build_events {
    void *ctx;
    void (*stage_start)(void *ctx, ds_build_stage s, const char *what);
    void (*stage_end)(void *ctx, ds_build_stage s, double seconds);
    void (*step_start)(void *ctx, const char *stage, const char *kind, const char *command);
    void (*step_end)(void *ctx, const ds_build_step *step);
    /* Weak coverage and similar: the build goes on. */
    void (*warning)(void *ctx, const char *msg);
    /* A sentence about what the pipeline decided (a retry, a failure, a kept work dir). */
    void (*note)(void *ctx, const char *msg);
    /* The container's last output lines, when it never got ready or stopped with an error. */
    void (*log_tail)(void *ctx, const char *log_path, char *const *lines, size_t n);
    /* After a failed verify: what the failing run reached that SRC has and the candidate lacks
     * (n == 0: nothing; not called when the failing run could not be traced). */
    void (*missing)(void *ctx, const char *src, char *const *paths, size_t n);
} ds_build_events;

typedef enum ds_build_outcome {
    DS_BUILD_WRITTEN = 0,      /* DST written */
    DS_BUILD_SOURCE_FAILED,    /* a step failed on SRC: nothing written */
    DS_BUILD_CANDIDATE_FAILED, /* a step failed on the candidate: DST untouched */
} ds_build_outcome;

/* A program given the file capability cap_net_bind_service: as nonroot its bind to port was
 * refused (EACCES), so the candidate was retried with the capability on exactly that file. */
typedef struct ds_build_filecap {
    char *path;   /* in-image path of the program */
    int port;     /* the first port it could not bind */
} ds_build_filecap;

typedef struct ds_build_result {
    ds_build_outcome outcome;
    char source_digest[DS_DIGEST_LEN + 1];
    char manifest_digest[DS_DIGEST_LEN + 1]; /* of DST; "" unless written */
    ds_tree_stats before, after;
    int64_t used_bytes;                      /* regular files the trace saw */
    char user[64];                           /* "UID:GID" of the result */
    char *user_reason;
    char *entrypoint_line;                   /* "entry point flattened: ..." / "entry point script kept: ..." or NULL */
    const char *runtime;                     /* "runc", ... */
    char *runtime_why;                       /* why that runtime: asked for, or the first that works */
    ds_build_step *steps; size_t n_steps;    /* every stage, in order */
    const ds_build_step *failed;             /* the step that failed the build, or NULL */
    char **missing; size_t n_missing;        /* see events.missing */
    bool missing_known;
    size_t checks_passed, checks_failed;     /* of the last verify run */
    ds_build_filecap *filecaps; size_t n_filecaps; /* given in the result (user nonroot) */
    double seconds[DS_STAGE_COUNT];
    ds_store_stats store;                    /* the layer store's share of the unpack */
} ds_build_result;
void ds_build_result_free(ds_build_result *r);

/* 0 when the pipeline ran to an outcome (*out says which), -1 with err when it could not
 * (bad input, runtime or I/O error); *out is NULL then. Removes its work dir unless
 * opts->keep_work. */
int ds_build_run(const ds_build_opts *opts, const ds_build_events *ev, ds_build_result **out, ds_err *err);

/* Run a tree as an image with `config` (a whole config blob) and `user` would run (the build's
 * runtime machinery: opts->runtime, network, ready wait, setup, tests, checks, teardown,
 * timeouts; opts->src/dst are not used), once, without the sensor: `distill harden --test`.
 * 0 with *out (steps, failed; outcome DS_BUILD_WRITTEN when every step passed, else
 * DS_BUILD_CANDIDATE_FAILED), -1 with err on an error of ours. */
int ds_build_test_tree(const char *tree, const json_t *config, const char *user, const ds_build_opts *opts,
                       const ds_build_events *ev, ds_build_result **out, ds_err *err);

#endif
