/* The Docker Engine API over its unix socket (libcurl's CURLOPT_UNIX_SOCKET_PATH):
 * a probe connect() first, so that a missing socket, a refused connection and a
 * permission problem each get their own message; GET /_ping must answer "OK" with an
 * Api-Version header (anything else is not a Docker engine); then the API version is
 * chosen and every path is versioned (/v1.41/...). Streams run in a thread that moves
 * the body between curl and one end of a socket pair. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "image/engine.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "0"
#endif

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int ds_engine_socket_path(const char *host, char **out, ds_err *err) {
    if (!host || !*host) { *out = ds_xstrdup("/var/run/docker.sock"); return 0; }
    if (strncmp(host, "unix://", 7))
        return ds_fail(err, "DOCKER_HOST=%s: only unix:// sockets are supported (a local engine)", host);
    if (host[7] != '/') return ds_fail(err, "DOCKER_HOST=%s: want unix:///ABSOLUTE/PATH", host);
    if (strlen(host + 7) >= sizeof ((struct sockaddr_un *)0)->sun_path)
        return ds_fail(err, "DOCKER_HOST=%s: the socket path is too long for a unix socket", host);
    *out = ds_xstrdup(host + 7);
    return 0;
}

void ds_engine_free(ds_engine *e) {
    if (!e) return;
    free(e->sock); free(e->what); free(e->version);
    free(e);
}

/* Why connect() fails, in the user's terms. */
static int probe(ds_engine *e, ds_err *err) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ds_fail_errno(err, "%s: socket", e->what);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", e->sock);
    int r = 0;
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno == EINTR) continue;
        int en = errno;
        if (en == ENOENT)
            r = ds_fail(err, "%s: no Docker engine: %s does not exist (is dockerd running? DOCKER_HOST=unix://PATH "
                             "names another socket)", e->what, e->sock);
        else if (en == ECONNREFUSED)
            r = ds_fail(err, "%s: the Docker engine at %s is not running (connection refused)", e->what, e->sock);
        else if (en == EACCES || en == EPERM)
            r = ds_fail(err, "%s: permission denied on the Docker engine socket %s (run as root or as a member of "
                             "the socket's group, usually 'docker')", e->what, e->sock);
        else {
            errno = en;
            r = ds_fail_errno(err, "%s: cannot connect to the Docker engine socket %s", e->what, e->sock);
        }
        break;
    }
    close(fd);
    return r;
}

typedef struct {
    char *body;
    size_t len, max;
    bool overflow;
    char api[16];
    char cerr[CURL_ERROR_SIZE]; /* curl's reason when the exchange failed */
} membuf;

static size_t mem_write(char *data, size_t sz, size_t n, void *ud) {
    membuf *m = ud;
    size_t len = sz * n;
    if (m->len + len > m->max) { m->overflow = true; return 0; }
    m->body = ds_xrealloc(m->body, m->len + len + 1);
    memcpy(m->body + m->len, data, len);
    m->len += len;
    m->body[m->len] = 0;
    return len;
}

static void header_value(const char *data, size_t len, const char *name, char *out, size_t outsz) {
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(data, name, nl) || data[nl] != ':') return;
    const char *v = data + nl + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t')) { v++; vl--; }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
    snprintf(out, outsz, "%.*s", (int)vl, v);
}

static size_t mem_header(char *data, size_t sz, size_t n, void *ud) {
    membuf *m = ud;
    size_t len = sz * n;
    header_value(data, len, "Api-Version", m->api, sizeof m->api);
    return len;
}

static CURL *handle(ds_engine *e, const char *url, char *errbuf) {
    pthread_once(&curl_once, curl_init_once);
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, e->sock);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "distill/" DISTILL_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    errbuf[0] = 0;
    return h;
}

static const char *curl_text(CURLcode c, const char *errbuf) { return errbuf[0] ? errbuf : curl_easy_strerror(c); }

/* One exchange in memory. path is absolute ("/_ping", "/v1.41/version"); method NULL = GET;
 * json: a request body sent as application/json (NULL = none). */
static int request_m(ds_engine *e, const char *method, const char *path, const char *json, long timeout, membuf *m,
                     long *status, ds_err *err) {
    char errbuf[CURL_ERROR_SIZE];
    char *url = ds_xasprintf("http://localhost%s", path);
    CURL *h = handle(e, url, errbuf);
    free(url);
    if (!h) return ds_fail(err, "%s: cannot start libcurl", e->what);
    if (!method) method = "GET";
    struct curl_slist *hl = NULL;
    if (!strcmp(method, "POST")) {
        hl = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json ? json : "");
    } else if (strcmp(method, "GET")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mem_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, m);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, mem_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, m);
    CURLcode c = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    int r = 0;
    if (m->overflow)
        r = ds_fail(err, "%s: %s %s: the answer from %s is larger than %zu bytes", e->what, method, path, e->sock, m->max);
    else if (c != CURLE_OK) {
        snprintf(m->cerr, sizeof m->cerr, "%s", curl_text(c, errbuf));
        r = ds_fail(err, "%s: %s %s on %s: %s", e->what, method, path, e->sock, m->cerr);
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);
    return r;
}

static int request(ds_engine *e, const char *path, long timeout, membuf *m, long *status, ds_err *err) {
    return request_m(e, NULL, path, NULL, timeout, m, status, err);
}

char *ds_engine_error_text(long status, const char *body, size_t len) {
    if (body && len) {
        json_t *j = json_loadb(body, len, 0, NULL);
        const char *msg = json_string_value(json_object_get(j, "message"));
        if (msg) {
            char *s = ds_xasprintf("HTTP %ld: %s", status, msg);
            json_decref(j);
            return s;
        }
        json_decref(j);
    }
    return ds_xasprintf("HTTP %ld", status);
}

static int api_num(const char *v) {
    int maj = 0, min = 0;
    if (sscanf(v, "%d.%d", &maj, &min) != 2 || maj < 0 || min < 0 || maj > 99 || min > 999) return -1;
    return maj * 100 + min;
}

int ds_engine_open(const char *what, ds_engine **out, ds_err *err) {
    ds_engine *e = ds_xcalloc(1, sizeof *e);
    e->what = ds_xstrdup(what);
    if (ds_engine_socket_path(getenv("DOCKER_HOST"), &e->sock, err) < 0) {
        ds_err_wrap(err, "%s", what);
        ds_engine_free(e);
        return -1;
    }
    if (probe(e, err) < 0) { ds_engine_free(e); return -1; }
    membuf m = {.max = 4096};
    long st = 0;
    int r = request(e, "/_ping", 30, &m, &st, err);
    if (r < 0) {
        /* Something listens, but what it said is not HTTP an engine speaks. */
        r = ds_fail(err, "%s: %s is not a Docker engine socket: GET /_ping got no HTTP answer (%s)", what, e->sock,
                    m.cerr);
    } else if (st != 200 || !m.api[0] || !m.body || strncmp(m.body, "OK", 2)) {
        char *b = m.body ? ds_xstrndup(m.body, m.len > 60 ? 60 : m.len) : ds_xstrdup("");
        for (char *p = b; *p; p++) if (*p < ' ' || *p > '~') *p = ' ';
        r = ds_fail(err, "%s: %s is not a Docker engine socket: GET /_ping answered HTTP %ld%s%s%s%s", what, e->sock, st,
                    *b ? " '" : "", b, *b ? "'" : "", m.api[0] ? "" : " without an Api-Version header");
        free(b);
    }
    char api[16];
    snprintf(api, sizeof api, "%s", m.api);
    free(m.body);
    if (r < 0) { ds_engine_free(e); return -1; }
    int have = api_num(api), want = api_num(DS_ENGINE_API_MAX);
    if (have < 0) {
        r = ds_fail(err, "%s: %s answers /_ping with a bad Api-Version '%s'", what, e->sock, api);
    } else if (have < DS_ENGINE_API_MIN) {
        r = ds_fail(err, "%s: the Docker engine at %s speaks API %s, older than %d.%d (Docker 1.13), the oldest distill "
                         "supports: upgrade the engine", what, e->sock, api, DS_ENGINE_API_MIN / 100, DS_ENGINE_API_MIN % 100);
    }
    if (r < 0) { ds_engine_free(e); return -1; }
    snprintf(e->api, sizeof e->api, "%s", have < want ? api : DS_ENGINE_API_MAX);
    /* /version: the engine's own version, and the oldest API it still serves. */
    char *vp = ds_xasprintf("/v%s/version", e->api);
    membuf v = {.max = 1 << 16};
    r = request(e, vp, 30, &v, &st, err);
    free(vp);
    if (r == 0 && st != 200) {
        char *t = ds_engine_error_text(st, v.body, v.len);
        r = ds_fail(err, "%s: GET /v%s/version on %s: %s", what, e->api, e->sock, t);
        free(t);
    }
    if (r == 0) {
        json_t *j = json_loadb(v.body ? v.body : "", v.len, 0, NULL);
        const char *ver = json_string_value(json_object_get(j, "Version"));
        const char *minv = json_string_value(json_object_get(j, "MinAPIVersion"));
        e->version = ds_xstrdup(ver ? ver : "?");
        if (!j) r = ds_fail(err, "%s: %s answers /version with something that is not JSON", what, e->sock);
        else if (minv && api_num(minv) > api_num(e->api))
            r = ds_fail(err, "%s: the Docker engine at %s (version %s) serves API %s and newer, distill speaks %s", what,
                        e->sock, e->version, minv, e->api);
        json_decref(j);
    }
    free(v.body);
    if (r < 0) { ds_engine_free(e); return -1; }
    *out = e;
    return 0;
}

int ds_engine_get(ds_engine *e, const char *path, long *status, char **body, size_t *len, ds_err *err) {
    char *p = ds_xasprintf("/v%s%s", e->api, path);
    membuf m = {.max = 64u << 20};
    int r = request(e, p, 300, &m, status, err);
    free(p);
    if (r < 0) { free(m.body); return -1; }
    *body = m.body ? m.body : ds_xstrdup("");
    *len = m.len;
    return 0;
}

int ds_engine_call(ds_engine *e, const char *method, const char *path, const char *json, long timeout_s,
                   long *status, char **body, size_t *len, ds_err *err) {
    char *p = ds_xasprintf("/v%s%s", e->api, path);
    membuf m = {.max = 64u << 20};
    int r = request_m(e, method, p, json, timeout_s, &m, status, err);
    free(p);
    if (r < 0) { free(m.body); return -1; }
    if (body) *body = m.body ? m.body : ds_xstrdup("");
    else free(m.body);
    if (len) *len = m.len;
    return 0;
}

/* --- streams --------------------------------------------------------------------- */

struct ds_engine_xfer {
    pthread_t th;
    CURL *h;
    int fd;           /* the thread's end of the socket pair */
    bool post;
    atomic_bool abort_upload, done;
    CURLcode cc;
    char errbuf[CURL_ERROR_SIZE];
    membuf resp;      /* POST answer, or a GET's non-2xx body */
    int werrno;       /* GET: the reader went away */
    char *path, *what, *sock;
};

static size_t stream_write(char *data, size_t sz, size_t n, void *ud) {
    ds_engine_xfer *x = ud;
    size_t len = sz * n;
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    if (x->post || code < 200 || code >= 300) return mem_write(data, sz, n, &x->resp);
    for (size_t off = 0; off < len;) {
        ssize_t w = send(x->fd, data + off, len - off, MSG_NOSIGNAL);
        if (w < 0) { if (errno == EINTR) continue; x->werrno = errno; return 0; }
        off += (size_t)w;
    }
    return len;
}

static size_t stream_read(char *buf, size_t sz, size_t n, void *ud) {
    ds_engine_xfer *x = ud;
    for (;;) {
        ssize_t k = read(x->fd, buf, sz * n);
        if (k < 0 && errno == EINTR) continue;
        if (k > 0) return (size_t)k;
        /* The writer closed its end: the body is complete, unless the writer gave up. */
        return atomic_load(&x->abort_upload) || k < 0 ? CURL_READFUNC_ABORT : 0;
    }
}

static void *stream_main(void *arg) {
    ds_engine_xfer *x = arg;
    x->cc = curl_easy_perform(x->h);
    /* The other side sees the end of the response (GET) / our reads stop (POST). */
    shutdown(x->fd, SHUT_RDWR);
    atomic_store(&x->done, true);
    return NULL;
}

static void xfer_free(ds_engine_xfer *x) {
    if (x->h) curl_easy_cleanup(x->h);
    if (x->fd >= 0) close(x->fd);
    free(x->resp.body); free(x->path); free(x->what); free(x->sock);
    free(x);
}

static struct curl_slist *post_headers(void) {
    struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/x-tar");
    hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    return curl_slist_append(hl, "Expect:");
}

int ds_engine_stream_start(ds_engine *e, const char *method, const char *path, int *fd, ds_engine_xfer **out,
                           ds_err *err) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return ds_fail_errno(err, "%s: socketpair", e->what);
    ds_engine_xfer *x = ds_xcalloc(1, sizeof *x);
    x->fd = sv[1];
    x->post = !strcmp(method, "POST");
    x->resp.max = 1 << 20;
    x->path = ds_xasprintf("/v%s%s", e->api, path);
    x->what = ds_xstrdup(e->what);
    x->sock = ds_xstrdup(e->sock);
    char *url = ds_xasprintf("http://localhost%s", x->path);
    x->h = handle(e, url, x->errbuf);
    free(url);
    if (!x->h) { close(sv[0]); xfer_free(x); return ds_fail(err, "%s: cannot start libcurl", e->what); }
    curl_easy_setopt(x->h, CURLOPT_BUFFERSIZE, 512L << 10);        /* the most curl takes */
    curl_easy_setopt(x->h, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    struct curl_slist *hl = NULL;
    if (x->post) {
        hl = post_headers();
        curl_easy_setopt(x->h, CURLOPT_POST, 1L);
        curl_easy_setopt(x->h, CURLOPT_READFUNCTION, stream_read);
        curl_easy_setopt(x->h, CURLOPT_READDATA, x);
        curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hl);
    }
    /* The header list must outlive the transfer: kept in the handle's private pointer. */
    curl_easy_setopt(x->h, CURLOPT_PRIVATE, hl);
    int rc = pthread_create(&x->th, NULL, stream_main, x);
    if (rc != 0) {
        close(sv[0]);
        curl_slist_free_all(hl);
        xfer_free(x);
        errno = rc;
        return ds_fail_errno(err, "%s: cannot start a thread", e->what);
    }
    *fd = sv[0];
    *out = x;
    return 0;
}

bool ds_engine_stream_done(ds_engine_xfer *x) { return atomic_load(&x->done); }

int ds_engine_stream_finish(ds_engine_xfer *x, bool abort, long *status, char **body, size_t *len, ds_err *err) {
    if (abort) atomic_store(&x->abort_upload, true);
    /* Our caller closed (or passed) its end; make sure the thread's reads/writes end. */
    if (abort) shutdown(x->fd, SHUT_RDWR);
    pthread_join(x->th, NULL);
    struct curl_slist *hl = NULL;
    curl_easy_getinfo(x->h, CURLINFO_PRIVATE, (char **)&hl);
    curl_slist_free_all(hl);
    long st = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
    int r = 0;
    if (abort) r = 0;
    else if (x->cc != CURLE_OK && !(x->cc == CURLE_WRITE_ERROR && x->werrno))
        r = ds_fail(err, "%s: %s %s on %s broke off: %s", x->what, x->post ? "POST" : "GET", x->path, x->sock,
                    curl_text(x->cc, x->errbuf));
    else if (x->cc != CURLE_OK)
        r = ds_fail(err, "%s: GET %s: the reader stopped", x->what, x->path);
    if (status) *status = st;
    if (body) { *body = x->resp.body ? x->resp.body : ds_xstrdup(""); x->resp.body = NULL; }
    if (len) *len = x->resp.len;
    xfer_free(x);
    return r;
}
