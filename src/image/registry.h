/* Internal to the docker:// transport: an OCI distribution API client over libcurl.
 *   registry_http.c    the client, one HTTP exchange with retries, URL building
 *   registry_auth.c    WWW-Authenticate challenges, Basic/Bearer, the token flow
 *   registry_authfile.c credentials from --creds and the usual auth files
 *   registry_source.c / registry_dest.c   the transport vtables
 * Passwords and tokens never appear in error messages. */
#ifndef DS_IMAGE_REGISTRY_H
#define DS_IMAGE_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/digest.h"
#include "util/err.h"

struct ds_ref;

typedef struct ds_reg_client {
    char *host;       /* "host[:port]" as written in the reference (auth file key, messages) */
    char *endpoint;   /* where requests go (docker.io -> registry-1.docker.io) */
    char *repo;       /* "library/debian" */
    const char *scheme; /* "https" or "http" (decided by the ping) */
    bool tls_verify;  /* false: https without verification, then plain http */
    char *user, *pass;  /* Basic credentials, or NULL */
    char *creds_origin; /* where they came from ("--src-creds", an auth file path) */
    const char *creds_flag; /* the flag that would give them ("--src-creds"), for hints */
    const char *actions; /* token scope actions: "pull" or "pull,push" */
    char *token;      /* current Bearer token */
    bool use_basic;   /* the registry asked for Basic */
    void *curl;       /* CURL*, reused so connections are kept alive */
    char errbuf[256];
} ds_reg_client;

typedef struct ds_reg_resp {
    long status;
    char *body;            /* the response body in memory (error bodies too), NUL-terminated */
    size_t len;
    char *content_type, *location, *docker_digest, *www_auth, *link;
    int64_t content_length; /* -1 when absent */
    /* When the request streamed into out_fd: what was written. */
    char digest[DS_DIGEST_LEN + 1];
    uint64_t bytes;
} ds_reg_resp;

typedef struct ds_reg_req {
    const char *method;        /* GET, HEAD, POST, PUT */
    const char *url;           /* absolute */
    const char *accept;        /* optional Accept value */
    const char *content_type;  /* optional Content-Type for the body */
    const void *body;          /* request body from memory (POST/PUT) */
    size_t body_len;
    const char *upload_path;   /* or from a file (PUT) */
    int out_fd;                /* >= 0: a 2xx body is streamed into this file and hashed */
    size_t max_body;           /* limit for in-memory bodies (0 = 1 MiB) */
    bool follow;               /* follow redirects (blob downloads go to storage backends) */
    const char *authorization; /* full Authorization value, or NULL */
    const char *progress;      /* a label for byte progress on a terminal ("pull sha256:..."), or NULL */
} ds_reg_req;

/* Client lifetime, for a docker:// ref from ds_ref_parse (its host and repo already
 * follow the grammar). creds "user:pass" (may be NULL) wins over auth files; creds_flag
 * names it in messages. actions is "pull" or "pull,push". The ping (GET /v2/) picks http/https. */
int ds_reg_client_open(ds_reg_client **out, const struct ds_ref *ref, bool tls_verify, const char *creds,
                       const char *creds_flag, const char *authfile, const char *actions, ds_err *err);
void ds_reg_client_free(ds_reg_client *c);

/* "scheme://endpoint/v2/<repo>/<kind>/<ref>" (kind "manifests", "blobs", "blobs/uploads/";
 * ref may be NULL/""). Returns malloc'd. */
char *ds_reg_url(const ds_reg_client *c, const char *kind, const char *ref);
/* Resolve a Location header against the registry base (absolute or relative). */
char *ds_reg_resolve_location(const ds_reg_client *c, const char *location);
/* docker.io and friends: the API endpoint and the implicit "library/" namespace. */
char *ds_reg_endpoint_for(const char *host);
char *ds_reg_repo_for(const char *host, const char *repo);

/* One HTTP exchange, retried on transient failures (timeouts, resets, 429/502/503/504). */
int ds_reg_http(ds_reg_client *c, const ds_reg_req *rq, ds_reg_resp *resp, ds_err *err);
/* The same with authentication: on a 401 answer the challenge (Basic or Bearer) once and retry. */
int ds_reg_request(ds_reg_client *c, const ds_reg_req *rq, ds_reg_resp *resp, ds_err *err);
void ds_reg_resp_free(ds_reg_resp *r);
/* A short text for an error answer: "MANIFEST_UNKNOWN: manifest unknown" or "HTTP 500". */
char *ds_reg_error_text(const ds_reg_resp *r);

/* WWW-Authenticate (RFC 7235). Picks Bearer if offered, else Basic. */
typedef struct ds_reg_challenge {
    char *scheme;  /* "bearer" or "basic", lowercased */
    char *realm, *service, *scope;
} ds_reg_challenge;
int ds_reg_parse_challenge(const char *header, ds_reg_challenge *out, ds_err *err);
void ds_reg_challenge_free(ds_reg_challenge *ch);
/* The distribution token flow: GET realm?service=&scope= (with Basic creds if any). */
int ds_reg_fetch_token(ds_reg_client *c, const ds_reg_challenge *ch, ds_err *err);

/* Where blobs were pulled from in this process (endpoint, repo), so a push to another
 * repository of the same registry can mount them instead of uploading. Thread-safe. */
void ds_reg_note_origin(const char *endpoint, const char *repo, const char *digest);
/* The repository of `endpoint` a blob came from, other than not_repo; malloc'd or NULL. */
char *ds_reg_find_origin(const char *endpoint, const char *digest, const char *not_repo);

/* Credentials. "user:pass" -> parts. */
int ds_reg_split_creds(const char *creds, char **user, char **pass, ds_err *err);
/* Look host (and host/repo namespaces) up in one auth JSON document ({"auths": {...}}).
 * Returns 1 found, 0 not there, -1 malformed (err names `name`). When helper is not NULL and
 * the document names a credential helper for host (credHelpers, else credsStore when "auths"
 * has nothing usable), returns 2 with *helper = its name (run docker-credential-NAME). */
int ds_reg_authjson_lookup(const char *json, size_t len, const char *name, const char *host,
                           const char *repo, char **user, char **pass, char **helper, ds_err *err);
/* Run `docker-credential-NAME get` with the server on stdin. 1 found, 0 it has none, -1 error. */
int ds_reg_run_cred_helper(const char *helper, const char *server, char **user, char **pass, ds_err *err);
/* Search authfile (if set, only it), else $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * ~/.config/containers/auth.json, ~/.docker/config.json. 1 found (*origin = the file), 0 none. */
int ds_reg_find_creds(const char *authfile, const char *host, const char *repo, char **user,
                      char **pass, char **origin, ds_err *err);

#endif
