/* Internal to the engine transports (docker-daemon:, containers-storage:).
 *   engine_http.c   the Docker Engine API over its unix socket (libcurl), streams in a thread
 *   engine_names.c  near matches for an image name that is not there
 *   docker_daemon.c / containers_storage.c   the transport vtables */
#ifndef DS_IMAGE_ENGINE_H
#define DS_IMAGE_ENGINE_H
#include <stdbool.h>
#include <stddef.h>
#include "util/err.h"

#define DS_ENGINE_API_MAX "1.41" /* the version distill speaks (Docker 20.10) */
#define DS_ENGINE_API_MIN 125    /* 1.25 (Docker 1.13): the oldest engine accepted, as major*100+minor */

typedef struct ds_engine {
    char *sock;    /* the socket path */
    char *what;    /* the reference text, for messages */
    char api[16];  /* the API version the paths use ("1.41") */
    char *version; /* the engine's own version ("20.10.24"), for messages */
} ds_engine;

/* The socket from DOCKER_HOST (unix://PATH only; default /var/run/docker.sock); malloc'd. */
int ds_engine_socket_path(const char *docker_host, char **out, ds_err *err);
/* Connect, GET /_ping (must be a Docker engine), pick the API version, GET /version. */
int ds_engine_open(const char *what, ds_engine **out, ds_err *err);
void ds_engine_free(ds_engine *e);
/* One request with the body in memory (up to 64 MiB); path is below /vAPI. */
int ds_engine_get(ds_engine *e, const char *path, long *status, char **body, size_t *len, ds_err *err);
/* The same with any method (GET, POST, DELETE) and an optional JSON request body (NULL =
 * none), giving up after timeout_s; body/len may be NULL when the answer is not wanted. */
int ds_engine_call(ds_engine *e, const char *method, const char *path, const char *json, long timeout_s,
                   long *status, char **body, size_t *len, ds_err *err);
/* "message" of an engine error body, or "HTTP N"; malloc'd. */
char *ds_engine_error_text(long status, const char *body, size_t len);

/* A request whose body streams through a socket in a thread: GET (the response body
 * is readable from *fd) or POST (the request body is written into *fd, application/x-tar).
 * The caller owns *fd and closes it (or passes it to finish). finish joins the thread:
 * abort (POST) cuts the upload off so the engine sees a broken request, not an end.
 * On success status and the in-memory part of the response (a POST's answer, a GET's
 * error body) are filled; -1 when the transfer itself failed (the error names why). */
typedef struct ds_engine_xfer ds_engine_xfer;
int ds_engine_stream_start(ds_engine *e, const char *method, const char *path, int *fd, ds_engine_xfer **out,
                           ds_err *err);
int ds_engine_stream_finish(ds_engine_xfer *x, bool abort, long *status, char **body, size_t *len, ds_err *err);
/* true once the thread has ended (the engine answered or the connection broke). */
bool ds_engine_stream_done(ds_engine_xfer *x);

/* Near matches for want among names (engine spellings): other tags of the same
 * repository (*same_repo true), else similar names. "" when none; malloc'd, at most
 * `max` names. */
char *ds_engine_near_matches(const char *want, const char *const *names, size_t n, size_t max, bool *same_repo);
/* " (other tags: ...)", " (similar names: ...)" or " (none of its N images has a similar name)"; malloc'd. */
char *ds_engine_near_text(const char *want, const char *const *names, size_t n, size_t n_images);
/* The same from an engine's image list as JSON ([{KEY: [names]}, ...]: docker's RepoTags,
 * podman's Names); a list it cannot read counts as no images. */
char *ds_engine_near_json(const char *want, const char *list, size_t len, const char *key);

#endif
