/* The registry client's HTTP layer: libcurl, one reused handle per client, retries on
 * transient failures, response headers the distribution API needs, bodies to memory or
 * streamed (and hashed) into a file. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "image/image.h"
#include "image/registry.h"
#include "util/progress.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "0"
#endif

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- names and URLs ------------------------------------------------------ */

static bool is_docker_hub(const char *host) {
    return !strcmp(host, "docker.io") || !strcmp(host, "index.docker.io") ||
           !strcmp(host, "registry-1.docker.io");
}

char *ds_reg_endpoint_for(const char *host) {
    return ds_xstrdup(is_docker_hub(host) ? "registry-1.docker.io" : host);
}

char *ds_reg_repo_for(const char *host, const char *repo) {
    if (is_docker_hub(host) && !strchr(repo, '/')) return ds_xasprintf("library/%s", repo);
    return ds_xstrdup(repo);
}

char *ds_reg_url(const ds_reg_client *c, const char *kind, const char *ref) {
    return ds_xasprintf("%s://%s/v2/%s/%s%s%s", c->scheme, c->endpoint, c->repo, kind,
                        ref && *ref && kind[strlen(kind) - 1] != '/' ? "/" : "", ref ? ref : "");
}

char *ds_reg_resolve_location(const ds_reg_client *c, const char *loc) {
    char *base = ds_reg_url(c, "blobs/uploads/", NULL);
    char *out = NULL;
    CURLU *u = curl_url();
    if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK) {
        char *s = NULL;
        if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) { out = ds_xstrdup(s); curl_free(s); }
    }
    if (u) curl_url_cleanup(u);
    free(base);
    return out;
}

/* ---- responses ------------------------------------------------------------ */

void ds_reg_resp_free(ds_reg_resp *r) {
    if (!r) return;
    free(r->body); free(r->content_type); free(r->location); free(r->docker_digest); free(r->www_auth); free(r->link);
    memset(r, 0, sizeof *r);
}

static void resp_reset(ds_reg_resp *r) {
    ds_reg_resp_free(r);
    r->content_length = -1;
}

char *ds_reg_error_text(const ds_reg_resp *r) {
    if (r->body && r->len) {
        json_t *j = json_loadb(r->body, r->len, 0, NULL);
        json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
        const char *code = json_string_value(json_object_get(e0, "code"));
        const char *msg = json_string_value(json_object_get(e0, "message"));
        if (code) {
            char *s = msg ? ds_xasprintf("HTTP %ld %s: %s", r->status, code, msg)
                          : ds_xasprintf("HTTP %ld %s", r->status, code);
            json_decref(j);
            return s;
        }
        json_decref(j);
    }
    return ds_xasprintf("HTTP %ld", r->status);
}

/* ---- one exchange ------------------------------------------------------- */

typedef struct sink {
    CURL *h;
    ds_reg_resp *resp;
    int fd;          /* >= 0: 2xx bodies go here */
    ds_sha256 sha;
    bool hashing;
    size_t max;
    bool overflow;
    int werrno;
} sink;

static size_t on_body(char *data, size_t sz, size_t n, void *ud) {
    sink *s = ud;
    size_t len = sz * n;
    long code = 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
    if (s->fd >= 0 && code >= 200 && code < 300) {
        for (size_t off = 0; off < len;) {
            ssize_t w = write(s->fd, data + off, len - off);
            if (w < 0) { if (errno == EINTR) continue; s->werrno = errno; return 0; }
            off += (size_t)w;
        }
        ds_sha256_update(&s->sha, data, len);
        s->resp->bytes += len;
        return len;
    }
    ds_reg_resp *r = s->resp;
    if (r->len + len > s->max) { s->overflow = true; return 0; }
    r->body = ds_xrealloc(r->body, r->len + len + 1);
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = 0;
    return len;
}

static char *trimmed(const char *v, size_t n) {
    while (n && (*v == ' ' || *v == '\t')) { v++; n--; }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    return ds_xstrndup(v, n);
}

static size_t on_header(char *data, size_t sz, size_t n, void *ud) {
    sink *s = ud;
    ds_reg_resp *r = s->resp;
    size_t len = sz * n;
    if (len >= 5 && !strncmp(data, "HTTP/", 5)) { /* a new response (after a redirect or 100) */
        free(r->content_type); free(r->location); free(r->docker_digest); free(r->www_auth); free(r->link);
        r->content_type = r->location = r->docker_digest = r->www_auth = r->link = NULL;
        r->content_length = -1;
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon) return len;
    size_t nl = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vl = len - nl - 1;
    char **slot = NULL;
    if (nl == 12 && !strncasecmp(data, "Content-Type", nl)) slot = &r->content_type;
    else if (nl == 8 && !strncasecmp(data, "Location", nl)) slot = &r->location;
    else if (nl == 21 && !strncasecmp(data, "Docker-Content-Digest", nl)) slot = &r->docker_digest;
    else if (nl == 16 && !strncasecmp(data, "WWW-Authenticate", nl)) slot = &r->www_auth;
    else if (nl == 4 && !strncasecmp(data, "Link", nl)) slot = &r->link; /* tags/list pagination */
    else if (nl == 14 && !strncasecmp(data, "Content-Length", nl)) {
        char *t = trimmed(v, vl);
        char *end;
        long long x = strtoll(t, &end, 10);
        if (end != t && *end == 0 && x >= 0) r->content_length = x;
        free(t);
        return len;
    }
    if (slot) {
        char *t = trimmed(v, vl);
        /* Several Bearer/Basic challenges may come as separate headers: keep them all. */
        if (*slot && slot == &r->www_auth) {
            char *both = ds_xasprintf("%s, %s", *slot, t);
            free(t);
            t = both;
        }
        free(*slot);
        *slot = t;
    }
    return len;
}

/* Byte progress for big blobs, reported to the current progress task (util/progress.h):
 * a caller's ("Copying blob ...") when one is running, else one named by rq->progress. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    (void)ud;
    curl_off_t done = ulnow ? ulnow : dlnow, total = ultotal ? ultotal : dltotal;
    if (total > 0) ds_progress_total((uint64_t)total);
    if (done > 0) ds_progress_bytes((uint64_t)done);
    return 0;
}

static bool transient_curl(CURLcode rc) {
    return rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE || rc == CURLE_HTTP2 ||
           rc == CURLE_HTTP2_STREAM;
}

static bool transient_status(long st) { return st == 429 || st == 502 || st == 503 || st == 504; }

static int one_attempt(ds_reg_client *c, const ds_reg_req *rq, ds_reg_resp *resp, CURLcode *rc_out,
                       ds_err *err) {
    CURL *h = c->curl;
    curl_easy_reset(h);
    resp_reset(resp);
    sink s = {.h = h, .resp = resp, .fd = rq->out_fd, .max = rq->max_body ? rq->max_body : (1u << 20)};
    if (s.fd >= 0) {
        if (ftruncate(s.fd, 0) != 0 || lseek(s.fd, 0, SEEK_SET) != 0)
            return ds_fail_errno(err, "%s: cannot reset the download file", rq->url);
        ds_sha256_init(&s.sha);
        s.hashing = true;
    }
    FILE *up = NULL;
    struct curl_slist *hdrs = NULL;
    char *line = NULL;
    if (rq->accept) { line = ds_xasprintf("Accept: %s", rq->accept); hdrs = curl_slist_append(hdrs, line); free(line); }
    if (rq->content_type) { line = ds_xasprintf("Content-Type: %s", rq->content_type); hdrs = curl_slist_append(hdrs, line); free(line); }
    if (rq->authorization) { line = ds_xasprintf("Authorization: %s", rq->authorization); hdrs = curl_slist_append(hdrs, line); free(line); }
    hdrs = curl_slist_append(hdrs, "Expect:");

    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "distill/" DISTILL_VERSION);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);   /* give up on a stalled transfer */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);        /* fewer, larger writes for blobs */
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
    if (rq->progress && ds_progress_enabled()) {
        if (!ds_progress_task_active()) ds_progress_task(0, "%s", rq->progress);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, NULL);
    }
    if (rq->follow) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    }
    long verify = c->tls_verify ? 1L : 0L;
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);

    if (!strcmp(rq->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (rq->upload_path) {
        up = fopen(rq->upload_path, "rb");
        if (!up) {
            curl_slist_free_all(hdrs);
            if (s.hashing) { char d[DS_DIGEST_LEN + 1]; ds_sha256_final(&s.sha, d); }
            return ds_fail_errno(err, "%s: cannot open for upload", rq->upload_path);
        }
        fseeko(up, 0, SEEK_END);
        off_t size = ftello(up);
        rewind(up);
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READDATA, up);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
        if (strcmp(rq->method, "PUT")) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    } else if (!strcmp(rq->method, "POST") || !strcmp(rq->method, "PUT") || !strcmp(rq->method, "PATCH")) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? (const char *)rq->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        if (strcmp(rq->method, "POST")) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    } else if (strcmp(rq->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    }

    c->errbuf[0] = 0;
    CURLcode rc = curl_easy_perform(h);
    *rc_out = rc;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    if (up) fclose(up);
    curl_slist_free_all(hdrs);
    if (s.hashing) ds_sha256_final(&s.sha, resp->digest);
    if (rc != CURLE_OK) {
        if (s.werrno) { errno = s.werrno; return ds_fail_errno(err, "%s: cannot write the download", rq->url); }
        if (s.overflow) return ds_fail(err, "%s: the answer is larger than %zu bytes", rq->url, s.max);
        const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_COULDNT_CONNECT)
            return ds_fail(err, "cannot connect to registry %s (%s)", c->host, why);
        if (rc == CURLE_COULDNT_RESOLVE_HOST)
            return ds_fail(err, "cannot resolve registry host %s (%s)", c->host, why);
        if (rc == CURLE_SSL_CONNECT_ERROR && c->tls_verify)
            return ds_fail(err, "%s %s: %s (a plain-HTTP registry? then use --tls-verify=false)",
                           rq->method, rq->url, why);
        return ds_fail(err, "%s %s: %s", rq->method, rq->url, why);
    }
    return 0;
}

int ds_reg_http(ds_reg_client *c, const ds_reg_req *rq, ds_reg_resp *resp, ds_err *err) {
    for (int attempt = 0;; attempt++) {
        CURLcode rc = CURLE_OK;
        int r = one_attempt(c, rq, resp, &rc, err);
        bool again = (r < 0 && transient_curl(rc)) || (r == 0 && transient_status(resp->status));
        if (!again || attempt >= 2) return r;
        struct timespec ts = {0, 300000000L * (attempt + 1)};
        nanosleep(&ts, NULL);
    }
}

/* ---- client ----------------------------------------------------------------- */

void ds_reg_client_free(ds_reg_client *c) {
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    free(c->host); free(c->endpoint); free(c->repo); free(c->user);
    if (c->pass) { explicit_bzero(c->pass, strlen(c->pass)); free(c->pass); }
    if (c->token) { explicit_bzero(c->token, strlen(c->token)); free(c->token); }
    free(c->creds_origin);
    free(c);
}

/* GET /v2/: is the registry there, over which scheme. 200 and 401 both mean "an API here". */
static int ping(ds_reg_client *c, ds_err *err) {
    const char *schemes[2] = {"https", "http"};
    int n = c->tls_verify ? 1 : 2;
    for (int i = 0; i < n; i++) {
        c->scheme = schemes[i];
        char *url = ds_xasprintf("%s://%s/v2/", c->scheme, c->endpoint);
        ds_reg_req rq = {.method = "GET", .url = url, .out_fd = -1};
        ds_reg_resp resp = {0};
        ds_err e = {0};
        int r = ds_reg_http(c, &rq, &resp, &e);
        free(url);
        long st = resp.status;
        ds_reg_resp_free(&resp);
        if (r == 0 && (st == 200 || st == 401)) return 0;
        if (r == 0) { /* something answered, but not the API (404: not a registry) */
            if (i + 1 < n && st == 400) continue; /* plain-HTTP server answering a TLS hello */
            return ds_fail(err, "registry %s: %s://%s/v2/ answered HTTP %ld (not a registry API?)",
                           c->host, c->scheme, c->endpoint, st);
        }
        if (i + 1 < n) continue; /* no TLS there: try plain http */
        *err = e;
        return -1;
    }
    return -1;
}

int ds_reg_client_open(ds_reg_client **out, const ds_ref *ref, bool tls_verify, const char *creds,
                       const char *creds_flag, const char *authfile, const char *actions, ds_err *err) {
    *out = NULL;
    const char *host = ref->host, *repo = ref->repo;
    if (ref->transport != DS_T_DOCKER || !host || !repo) return ds_fail(err, "not a docker:// reference");
    pthread_once(&curl_once, curl_init_once);
    ds_reg_client *c = ds_xcalloc(1, sizeof *c);
    c->host = ds_xstrdup(host);
    c->endpoint = ds_reg_endpoint_for(host);
    c->repo = ds_reg_repo_for(host, repo);
    c->tls_verify = tls_verify;
    c->scheme = "https";
    c->actions = actions;
    c->creds_flag = creds_flag;
    c->curl = curl_easy_init();
    if (!c->curl) { ds_reg_client_free(c); return ds_fail(err, "%s: cannot initialise libcurl", host); }
    if (creds) {
        if (ds_reg_split_creds(creds, &c->user, &c->pass, err) < 0) {
            ds_err_wrap(err, "%s", creds_flag);
            ds_reg_client_free(c);
            return -1;
        }
        c->creds_origin = ds_xstrdup(creds_flag);
    } else if (ds_reg_find_creds(authfile, host, c->repo, &c->user, &c->pass, &c->creds_origin, err) < 0) {
        ds_reg_client_free(c);
        return -1;
    }
    if (ping(c, err) < 0) { ds_reg_client_free(c); return -1; }
    *out = c;
    return 0;
}
