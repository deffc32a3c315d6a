/* Registry authentication: WWW-Authenticate challenges (RFC 7235), Basic, and the
 * distribution token flow (Bearer realm/service/scope -> GET realm -> token -> retry). */
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>
#include "image/registry.h"

/* ---- the challenge parser (untrusted input: fuzzed) --------------------------- */

static bool tchar(char ch) {
    return isalnum((unsigned char)ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}
static const char *skip_ws(const char *p) { while (*p == ' ' || *p == '\t') p++; return p; }

void ds_reg_challenge_free(ds_reg_challenge *ch) {
    if (!ch) return;
    free(ch->scheme); free(ch->realm); free(ch->service); free(ch->scope);
    memset(ch, 0, sizeof *ch);
}

/* A quoted-string (backslash escapes) or a lenient token (up to , or space). */
static const char *read_value(const char *p, char **out) {
    if (*p == '"') {
        p++;
        size_t cap = strlen(p) + 1, n = 0;
        char *v = ds_xmalloc(cap);
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            v[n++] = *p++;
        }
        if (*p != '"') { free(v); return NULL; } /* unterminated */
        v[n] = 0;
        *out = v;
        return p + 1;
    }
    const char *s = p;
    while (*p && *p != ',' && *p != ' ' && *p != '\t') p++;
    *out = ds_xstrndup(s, (size_t)(p - s));
    return p;
}

int ds_reg_parse_challenge(const char *header, ds_reg_challenge *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    if (!header) return ds_fail(err, "no WWW-Authenticate challenge in the 401 answer");
    ds_reg_challenge best = {0}, cur = {0};
    const char *p = header;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (!*p) break;
        const char *s = p;
        while (tchar(*p)) p++;
        if (p == s) goto bad;
        cur.scheme = ds_xstrndup(s, (size_t)(p - s));
        for (char *q = cur.scheme; *q; q++) *q = (char)tolower((unsigned char)*q);
        p = skip_ws(p);
        /* auth-params until the next scheme (a token not followed by '=') or the end */
        for (;;) {
            while (*p == ' ' || *p == '\t' || *p == ',') p++;
            const char *ns = p;
            while (tchar(*p)) p++;
            size_t nl = (size_t)(p - ns);
            const char *after = skip_ws(p);
            if (nl == 0 || *after != '=') {
                if (nl == 0 && *p && *p != ',') { /* token68 leftovers or junk: skip a char */
                    if (!*p) break;
                    p++;
                    continue;
                }
                p = ns; /* the next challenge starts here */
                break;
            }
            p = skip_ws(after + 1);
            char *val = NULL;
            p = read_value(p, &val);
            if (!p) goto bad;
            char **slot = NULL;
            if (nl == 5 && !strncasecmp(ns, "realm", 5)) slot = &cur.realm;
            else if (nl == 7 && !strncasecmp(ns, "service", 7)) slot = &cur.service;
            else if (nl == 5 && !strncasecmp(ns, "scope", 5)) slot = &cur.scope;
            if (slot) { free(*slot); *slot = val; } else free(val);
            p = skip_ws(p);
            if (*p && *p != ',') {
                /* a token68 ("Basic abc==") or a new scheme right after: handled above */
                continue;
            }
        }
        /* Keep the first Bearer, or the first Basic when no Bearer is offered. */
        bool take = !best.scheme || (strcmp(best.scheme, "bearer") && !strcmp(cur.scheme, "bearer"));
        if (take && (!strcmp(cur.scheme, "bearer") || !strcmp(cur.scheme, "basic"))) {
            ds_reg_challenge_free(&best);
            best = cur;
        } else {
            ds_reg_challenge_free(&cur);
        }
        memset(&cur, 0, sizeof cur);
    }
    if (!best.scheme)
        return ds_fail(err, "the registry asks for an authentication scheme distill does not speak (%.80s)", header);
    if (!strcmp(best.scheme, "bearer") && (!best.realm || !*best.realm)) {
        ds_reg_challenge_free(&best);
        return ds_fail(err, "Bearer challenge without a realm (%.80s)", header);
    }
    *out = best;
    return 0;
bad:
    ds_reg_challenge_free(&cur);
    ds_reg_challenge_free(&best);
    return ds_fail(err, "malformed WWW-Authenticate header (%.80s)", header);
}

/* ---- Basic and Bearer ---------------------------------------------------------- */

static char *basic_value(const char *user, const char *pass) {
    char *plain = ds_xasprintf("%s:%s", user, pass);
    size_t n = strlen(plain);
    char *b64 = ds_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)n);
    explicit_bzero(plain, n);
    free(plain);
    char *v = ds_xasprintf("Basic %s", b64);
    explicit_bzero(b64, strlen(b64));
    free(b64);
    return v;
}

static void free_secret(char *s) { if (s) { explicit_bzero(s, strlen(s)); free(s); } }

static void append_param(char **url, const char *key, const char *val, bool *first) {
    char *e = curl_easy_escape(NULL, val, 0);
    char *n = ds_xasprintf("%s%s%s=%s", *url, *first ? (strchr(*url, '?') ? "&" : "?") : "&", key, e ? e : "");
    curl_free(e);
    free(*url);
    *url = n;
    *first = false;
}

/* True when scope SC ("repository:NAME:a,b") asks for nothing OURS does not: the same resource
 * and a subset of its actions, in any order (registries list actions in map order). */
static bool scope_covered(const char *sc, const char *ours) {
    const char *sa = strrchr(sc, ':'), *oa = strrchr(ours, ':');
    if (!sa || !oa || sa - sc != oa - ours || strncmp(sc, ours, (size_t)(sa - sc))) return false;
    for (const char *a = sa + 1; *a;) {
        size_t n = strcspn(a, ",");
        bool found = false;
        for (const char *b = oa + 1; *b && !found;) {
            size_t m = strcspn(b, ",");
            found = m == n && !strncmp(a, b, n);
            b += m + (b[m] == ',');
        }
        if (!found) return false;
        a += n + (a[n] == ',');
    }
    return true;
}

int ds_reg_fetch_token(ds_reg_client *c, const ds_reg_challenge *ch, ds_err *err) {
    char *url = ds_xstrdup(ch->realm);
    bool first = true;
    if (ch->service) append_param(&url, "service", ch->service, &first);
    char *ours = ds_xasprintf("repository:%s:%s", c->repo, c->actions);
    append_param(&url, "scope", ours, &first);
    /* The challenge may ask for several scopes, space-separated (a mount needs pull on the
     * source repository too): one scope parameter each, as the token spec wants. */
    if (ch->scope) {
        char *all = ds_xstrdup(ch->scope), *save = NULL;
        for (char *sc = strtok_r(all, " ", &save); sc; sc = strtok_r(NULL, " ", &save))
            if (!scope_covered(sc, ours)) append_param(&url, "scope", sc, &first);
        free(all);
    }
    free(ours);
    char *auth = c->user ? basic_value(c->user, c->pass ? c->pass : "") : NULL;
    ds_reg_req rq = {.method = "GET", .url = url, .out_fd = -1, .follow = true, .authorization = auth,
                     .accept = "application/json"};
    ds_reg_resp resp = {0};
    int r = ds_reg_http(c, &rq, &resp, err);
    free_secret(auth);
    if (r < 0) {
        ds_err_wrap(err, "registry %s: token server", c->host);
        free(url);
        ds_reg_resp_free(&resp);
        return -1;
    }
    if (resp.status == 401 || resp.status == 403) {
        r = c->user ? ds_fail(err, "registry %s: the token server %s rejected the credentials from %s (HTTP %ld)",
                              c->host, ch->realm, c->creds_origin ? c->creds_origin : "?", resp.status)
                    : ds_fail(err, "registry %s: the token server %s requires credentials and none were found "
                                   "(HTTP %ld; give %s USER:PASSWORD or use an auth file)",
                              c->host, ch->realm, resp.status, c->creds_flag ? c->creds_flag : "--creds");
    } else if (resp.status != 200) {
        char *t = ds_reg_error_text(&resp);
        r = ds_fail(err, "registry %s: the token server %s answered %s", c->host, ch->realm, t);
        free(t);
    } else {
        json_t *j = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
        const char *tok = json_string_value(json_object_get(j, "token"));
        if (!tok || !*tok) tok = json_string_value(json_object_get(j, "access_token"));
        if (!tok || !*tok) {
            r = ds_fail(err, "registry %s: the token server %s returned no token", c->host, ch->realm);
        } else {
            free_secret(c->token);
            c->token = ds_xstrdup(tok);
        }
        json_decref(j);
    }
    free(url);
    ds_reg_resp_free(&resp);
    return r;
}

/* ---- authenticated requests ------------------------------------------------------ */

int ds_reg_request(ds_reg_client *c, const ds_reg_req *rq0, ds_reg_resp *resp, ds_err *err) {
    ds_reg_req rq = *rq0;
    bool sent_creds = false;
    for (int round = 0;; round++) {
        char *auth = NULL;
        if (c->token) auth = ds_xasprintf("Bearer %s", c->token);
        else if (c->use_basic && c->user) { auth = basic_value(c->user, c->pass ? c->pass : ""); sent_creds = true; }
        rq.authorization = auth;
        int r = ds_reg_http(c, &rq, resp, err);
        free_secret(auth);
        if (r < 0 || resp->status != 401) return r;
        if (round == 1) break;
        ds_reg_challenge ch;
        if (ds_reg_parse_challenge(resp->www_auth, &ch, err) < 0)
            return ds_err_wrap(err, "registry %s", c->host);
        bool bearer = !strcmp(ch.scheme, "bearer");
        if (bearer) {
            r = ds_reg_fetch_token(c, &ch, err);
            if (c->user) sent_creds = true;
        }
        ds_reg_challenge_free(&ch);
        if (r < 0) return -1;
        if (!bearer) {
            if (!c->user) break; /* Basic without credentials: say so below */
            c->use_basic = true;
        }
    }
    if (sent_creds)
        return ds_fail(err, "registry %s rejected the credentials from %s for %s (HTTP 401)", c->host,
                       c->creds_origin ? c->creds_origin : "?", c->repo);
    return ds_fail(err, "registry %s requires authentication for %s and no credentials were found "
                        "(give %s USER:PASSWORD, or log in with podman/skopeo/docker login, or --authfile)",
                   c->host, c->repo, c->creds_flag ? c->creds_flag : "--creds");
}
