/* Running an unpacked root filesystem as a container: runc or crun on an OCI
 * bundle that distill writes itself, podman with `--rootfs`, or the Docker Engine
 * (docker.c: the tree imported as a temporary image, a container created, run and
 * removed through the Engine API). The source tree is never modified: the container's root is an
 * overlay (upper/work dirs in a private temp dir) over it.
 *
 * Network: the host's network namespace is shared, so tests on this machine
 * reach the app at 127.0.0.1:PORT (DS_NET_HOST, the default). DS_NET_NONE
 * gives the container its own empty network namespace (loopback only). */
#ifndef DS_RUNTIME_RUNTIME_H
#define DS_RUNTIME_RUNTIME_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/err.h"

typedef enum { DS_RT_RUNC = 1, DS_RT_CRUN, DS_RT_PODMAN, DS_RT_DOCKER } ds_runtime_kind;
typedef enum { DS_NET_HOST = 0, DS_NET_NONE } ds_network;

/* Parse "runc" | "crun" | "podman" | "docker"; "auto"/NULL = the first of them that works
 * here (probed: runc/crun `list` as root, `podman info`, the Docker Engine's /_ping on
 * DOCKER_HOST). *why (malloc'd, may be NULL) says why this one was chosen. */
int ds_runtime_pick(const char *name, ds_runtime_kind *out, char **why, ds_err *err);
const char *ds_runtime_name(ds_runtime_kind k);

/* Where the sensor binary and the log dir appear inside the container. */
#define DS_SENSOR_MOUNT "/.distill/distill-sensor"
#define DS_LOG_MOUNT "/.distill/log"

typedef struct ds_run_spec {
    ds_runtime_kind kind;
    ds_network network;
    const char *rootfs;        /* the tree to run (left unmodified) */
    char *const *args;         /* process argv (absolute path or resolved through PATH by the runtime) */
    size_t n_args;
    char *const *env;          /* "K=V" */
    size_t n_env;
    const char *cwd;           /* NULL = "/" */
    uint32_t uid, gid;
    const uint32_t *additional_gids; /* supplementary groups, as docker/podman give the image's user */
    size_t n_additional_gids;
    const char *home;          /* HOME when env has none (docker and podman set it from passwd); NULL = "/" */
    const char *sensor_path;   /* host path of distill-sensor, bind-mounted read-only at DS_SENSOR_MOUNT; NULL = none */
    const char *log_dir;       /* host dir bind-mounted read-write at DS_LOG_MOUNT; NULL = none */
    const json_t *seccomp;     /* an OCI seccomp object to enforce, or NULL */
    const char *name;          /* container id prefix; NULL = "distill" */
    const char *stdio_log;     /* host file receiving the container's stdout+stderr; NULL = /dev/null */
    const char *keep_upper;    /* host path (not existing): the overlay's upper dir, the run's changes to the
                                * tree, is moved there when the container is removed; NULL = removed */
} ds_run_spec;

typedef struct ds_container ds_container;

/* ds_interrupted (util/cleanup.h) is set by the CLI's SIGINT/SIGTERM/SIGHUP handler while a
 * container runs: waits give up so the container is stopped and removed, and the overlay
 * unmounted, before distill exits. */
#include "util/cleanup.h"

/* Build the OCI runtime config (config.json) for spec with root at rootfs_path. Exposed for tests. */
json_t *ds_oci_config(const ds_run_spec *spec, const char *rootfs_path, const char *id);

/* Start the container (the runtime runs in the foreground as our child). */
int ds_container_start(const ds_run_spec *spec, ds_container **out, ds_err *err);
const char *ds_container_id(const ds_container *c);
/* Wait until every port accepts a TCP connection on 127.0.0.1, or ready_cmd (run with
 * `sh -c`) exits 0; with neither, until the container has run for a short settle time.
 * Fails when the container exits first or after timeout_s seconds. */
int ds_container_wait_ready(ds_container *c, const int *ports, size_t n_ports, const char *ready_cmd,
                            double timeout_s, ds_err *err);
/* 1 when the container's process is still running. */
int ds_container_running(ds_container *c);
/* SIGTERM (forwarded by the runtime), wait up to grace_s seconds, then SIGKILL; remove the
 * container. *exit_code gets the process status (-1 when killed/unknown). */
int ds_container_stop(ds_container *c, int grace_s, int *exit_code, ds_err *err);
/* Removes the container, its bundle and the overlay; safe after stop. */
void ds_container_free(ds_container *c);

/* The runtime as the build pipeline sees it: start a tree, wait for it, stop it. The
 * native one (runc, crun, podman: the functions above) is ds_runtime_native(); the unit
 * tests of the pipeline give their own (a fake that "runs" a tree by writing a canned
 * sensor log). A handle is whatever start returned; free is called once per started handle. */
typedef struct ds_runtime_ops {
    int (*start)(void *ctx, const ds_run_spec *spec, void **handle, ds_err *err);
    int (*wait_ready)(void *handle, const int *ports, size_t n_ports, const char *ready_cmd, double timeout_s,
                      ds_err *err);
    int (*running)(void *handle);
    int (*stop)(void *handle, int grace_s, int *exit_code, ds_err *err);
    void (*free)(void *handle);
    /* Does a port on 127.0.0.1 accept connections (0)? The pipeline refuses to start an app
     * whose exposed port is taken; NULL = ds_tcp_probe. */
    int (*port_in_use)(void *ctx, int port);
    /* Release ctx (ds_runtime_close); NULL = nothing to release. */
    void (*close)(void *ctx);
} ds_runtime_ops;

typedef struct ds_runtime {
    const ds_runtime_ops *ops;
    void *ctx;
    ds_runtime_kind kind; /* reported as the runtime's name; set in each ds_run_spec */
    char *why;            /* why this runtime (ds_runtime_pick), owned; NULL = not said */
} ds_runtime;

/* runc, crun or podman through the ds_container_* functions (docker: ds_runtime_open). */
ds_runtime ds_runtime_native(ds_runtime_kind kind);
/* The runtime for kind: the native one, or a connection to the Docker Engine (an error
 * when it does not answer). Release it with ds_runtime_close (which frees why too). */
int ds_runtime_open(ds_runtime_kind kind, ds_runtime *out, ds_err *err);
void ds_runtime_close(ds_runtime *rt);

/* Overlay of lower (read-only) under a fresh upper dir in work_dir, mounted on merged. */
int ds_overlay_mount(const char *lower, const char *work_dir, char **merged, ds_err *err);
int ds_overlay_umount(const char *merged, ds_err *err);

/* Connect to 127.0.0.1:port once; 0 when it accepted. */
int ds_tcp_probe(int port);

#endif
