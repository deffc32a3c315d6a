/* Unit tests for the docker:// client pieces that need no network: WWW-Authenticate
 * parsing, auth files, credentials, URL building and names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "image/ref_grammar.h"
#include "image/registry.h"
#include "util/fsutil.h"

static void parse_ok(const char *hdr, const char *scheme, const char *realm, const char *service,
                     const char *scope) {
    ds_reg_challenge ch;
    ds_err e = {0};
    assert_int_equal(ds_reg_parse_challenge(hdr, &ch, &e), 0);
    assert_string_equal(ch.scheme, scheme);
    if (realm) assert_string_equal(ch.realm, realm); else assert_null(ch.realm);
    if (service) assert_string_equal(ch.service, service); else assert_null(ch.service);
    if (scope) assert_string_equal(ch.scope, scope); else assert_null(ch.scope);
    ds_reg_challenge_free(&ch);
}

static void parse_bad(const char *hdr, const char *msg_part) {
    ds_reg_challenge ch;
    ds_err e = {0};
    assert_int_equal(ds_reg_parse_challenge(hdr, &ch, &e), -1);
    assert_non_null(strstr(e.msg, msg_part));
    assert_null(ch.scheme);
}

static void test_challenge_bearer(void **state) {
    (void)state;
    parse_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
             "scope=\"repository:samalba/my-app:pull,push\"",
             "bearer", "https://auth.docker.io/token", "registry.docker.io", "repository:samalba/my-app:pull,push");
    /* spaces, case, unquoted values, unknown params, escapes */
    parse_ok("bEARER   Realm = \"http://h:1/t\" , error=\"insufficient_scope\", service=reg,scope=\"a\\\"b\"",
             "bearer", "http://h:1/t", "reg", "a\"b");
    parse_ok("Bearer realm=\"http://127.0.0.1:5001/token\",service=\"svc\"", "bearer",
             "http://127.0.0.1:5001/token", "svc", NULL);
}

static void test_challenge_basic_and_several(void **state) {
    (void)state;
    parse_ok("Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL);
    parse_ok("Basic", "basic", NULL, NULL, NULL);
    /* Several challenges: Bearer wins wherever it is. */
    parse_ok("Basic realm=\"b\", Bearer realm=\"https://t/x\",service=\"s\"", "bearer", "https://t/x", "s", NULL);
    parse_ok("Negotiate, Basic realm=\"b\"", "basic", "b", NULL, NULL);
    parse_ok("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==, Bearer realm=\"r\"", "bearer", "r", NULL, NULL);
}

static void test_challenge_bad(void **state) {
    (void)state;
    parse_bad("Bearer realm=\"unterminated", "malformed");
    parse_bad("Negotiate abc", "does not speak");
    parse_bad("Bearer service=\"x\"", "without a realm");
    parse_bad("", "does not speak");
    parse_bad("\"quoted\"", "malformed");
    ds_reg_challenge ch;
    ds_err e = {0};
    assert_int_equal(ds_reg_parse_challenge(NULL, &ch, &e), -1);
    assert_non_null(strstr(e.msg, "no WWW-Authenticate"));
}

static int lookup(const char *json, const char *host, const char *repo, char **u, char **p, ds_err *e) {
    return ds_reg_authjson_lookup(json, strlen(json), "auth.json", host, repo, u, p, NULL, e);
}

static void test_authjson(void **state) {
    (void)state;
    char *u = NULL, *p = NULL;
    ds_err e = {0};
    /* YWxpY2U6czNjcjp0 = "alice:s3cr:t" (the password may hold a colon) */
    const char *doc = "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"YWxpY2U6czNjcjp0\"},"
                      "\"https://index.docker.io/v1/\":{\"auth\":\"Ym9iOnB3\"},"
                      "\"quay.io/team\":{\"auth\":\"dGVhbTp0cA==\"},"
                      "\"quay.io\":{\"auth\":\"YW55OmFw\"},"
                      "\"ghcr.io\":{\"username\":\"gh\",\"password\":\"pat\"}}}";
    assert_int_equal(lookup(doc, "127.0.0.1:5000", "x/y", &u, &p, &e), 1);
    assert_string_equal(u, "alice"); assert_string_equal(p, "s3cr:t");
    free(u); free(p);
    assert_int_equal(lookup(doc, "index.docker.io", "library/debian", &u, &p, &e), 1);
    assert_string_equal(u, "bob"); assert_string_equal(p, "pw");
    free(u); free(p);
    /* the most specific namespace wins; a sibling namespace does not match */
    assert_int_equal(lookup(doc, "quay.io", "team/app", &u, &p, &e), 1);
    assert_string_equal(u, "team"); assert_string_equal(p, "tp");
    free(u); free(p);
    assert_int_equal(lookup(doc, "quay.io", "teamx/app", &u, &p, &e), 1);
    assert_string_equal(u, "any");
    free(u); free(p);
    assert_int_equal(lookup(doc, "ghcr.io", "o/r", &u, &p, &e), 1);
    assert_string_equal(u, "gh"); assert_string_equal(p, "pat");
    free(u); free(p);
    /* no match: the port is part of the key */
    assert_int_equal(lookup(doc, "127.0.0.1:5001", "x", &u, &p, &e), 0);
    assert_null(u);
    assert_int_equal(lookup(doc, "127.0.0.1", "x", &u, &p, &e), 0);
    assert_int_equal(lookup("{}", "h", "r", &u, &p, &e), 0);
    assert_int_equal(lookup("{\"credHelpers\":{\"h\":\"x\"}}", "h", "r", &u, &p, &e), 0);
}

static void test_authjson_bad(void **state) {
    (void)state;
    char *u = NULL, *p = NULL;
    ds_err e = {0};
    assert_int_equal(lookup("{\"auths\":", "h", "r", &u, &p, &e), -1);
    assert_non_null(strstr(e.msg, "auth.json: invalid JSON"));
    assert_int_equal(lookup("[1]", "h", "r", &u, &p, &e), -1);
    assert_int_equal(lookup("{\"auths\":[]}", "h", "r", &u, &p, &e), -1);
    assert_int_equal(lookup("{\"auths\":{\"h\":{\"auth\":\"!!!!\"}}}", "h", "r", &u, &p, &e), -1);
    assert_non_null(strstr(e.msg, "not valid base64"));
    assert_int_equal(lookup("{\"auths\":{\"h\":{\"auth\":\"bm9jb2xvbg==\"}}}", "h", "r", &u, &p, &e), -1);
    assert_non_null(strstr(e.msg, "USER:PASSWORD"));
    /* the message names the file, never the secret */
    assert_null(strstr(e.msg, "nocolon"));
    assert_null(u); assert_null(p);
}

static void test_authjson_helpers(void **state) {
    (void)state;
    char *u = NULL, *p = NULL, *h = NULL;
    ds_err e = {0};
    const char *doc = "{\"auths\":{\"a.example\":{\"auth\":\"YTpi\"},\"s.example\":{}},"
                      "\"credHelpers\":{\"a.example\":\"ecr-login\",\"bad.example\":\"../x\"},\"credsStore\":\"desktop\"}";
    /* credHelpers for the host wins over auths */
    assert_int_equal(ds_reg_authjson_lookup(doc, strlen(doc), "f", "a.example", "r", &u, &p, &h, &e), 2);
    assert_string_equal(h, "ecr-login");
    assert_null(u);
    free(h);
    /* an empty auths entry (what docker writes with a credsStore) falls to the store */
    assert_int_equal(ds_reg_authjson_lookup(doc, strlen(doc), "f", "s.example", "r", &u, &p, &h, &e), 2);
    assert_string_equal(h, "desktop");
    free(h);
    /* helper names are never paths */
    assert_int_equal(ds_reg_authjson_lookup(doc, strlen(doc), "f", "bad.example", "r", &u, &p, &h, &e), -1);
    assert_non_null(strstr(e.msg, "bad credential helper"));
    /* without the helper out-parameter, helpers are ignored */
    assert_int_equal(ds_reg_authjson_lookup(doc, strlen(doc), "f", "s.example", "r", &u, &p, NULL, &e), 0);
}

static void write_file(const char *dir, const char *rel, const char *text) {
    ds_err e;
    char *path = ds_xasprintf("%s/%s", dir, rel);
    char *parent = ds_xstrdup(path);
    *strrchr(parent, '/') = 0;
    assert_int_equal(ds_mkdirs(parent, 0700, &e), 0);
    assert_int_equal(ds_write_file_atomic(path, text, strlen(text), 0600, &e), 0);
    free(path); free(parent);
}

static void test_find_creds_order(void **state) {
    (void)state;
    ds_err e = {0};
    char *dir = NULL, *u, *p, *origin;
    assert_int_equal(ds_mkdtemp("distill-unit-auth", &dir, &e), 0);
    /* cmVnOnJlZw== reg:reg  eGRnOnhkZw== xdg:xdg  cG9kOnBvZA== pod:pod  ZG9jOmRvYw== doc:doc */
    write_file(dir, "regauth.json", "{\"auths\":{\"r.example\":{\"auth\":\"cmVnOnJlZw==\"}}}");
    write_file(dir, "run/containers/auth.json", "{\"auths\":{\"r.example\":{\"auth\":\"eGRnOnhkZw==\"},\"x.example\":{\"auth\":\"eGRnOnhkZw==\"}}}");
    write_file(dir, "home/.config/containers/auth.json", "{\"auths\":{\"r.example\":{\"auth\":\"cG9kOnBvZA==\"},\"p.example\":{\"auth\":\"cG9kOnBvZA==\"}}}");
    write_file(dir, "home/.docker/config.json", "{\"auths\":{\"https://d.example/v1/\":{\"auth\":\"ZG9jOmRvYw==\"}}}");
    char *regfile = ds_xasprintf("%s/regauth.json", dir), *run = ds_xasprintf("%s/run", dir),
         *home = ds_xasprintf("%s/home", dir);
    setenv("REGISTRY_AUTH_FILE", regfile, 1);
    setenv("XDG_RUNTIME_DIR", run, 1);
    setenv("HOME", home, 1);
    struct { const char *host, *user, *file_part; } cases[] = {
        {"r.example", "reg", "regauth.json"},
        {"x.example", "xdg", "run/containers/auth.json"},
        {"p.example", "pod", ".config/containers/auth.json"},
        {"d.example", "doc", ".docker/config.json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(ds_reg_find_creds(NULL, cases[i].host, "a/b", &u, &p, &origin, &e), 1);
        assert_string_equal(u, cases[i].user);
        assert_non_null(strstr(origin, cases[i].file_part));
        free(u); free(p); free(origin);
    }
    assert_int_equal(ds_reg_find_creds(NULL, "none.example", "a", &u, &p, &origin, &e), 0);
    assert_null(u);
    /* --authfile: only that file; a missing one is an error naming it */
    char *home_cfg = ds_xasprintf("%s/home/.docker/config.json", dir);
    assert_int_equal(ds_reg_find_creds(home_cfg, "r.example", "a", &u, &p, &origin, &e), 0);
    char *missing = ds_xasprintf("%s/nope.json", dir);
    assert_int_equal(ds_reg_find_creds(missing, "r.example", "a", &u, &p, &origin, &e), -1);
    assert_non_null(strstr(e.msg, "nope.json"));
    /* a missing $REGISTRY_AUTH_FILE is skipped; a malformed file in the chain is an error */
    setenv("REGISTRY_AUTH_FILE", missing, 1);
    assert_int_equal(ds_reg_find_creds(NULL, "x.example", "a", &u, &p, &origin, &e), 1);
    free(u); free(p); free(origin);
    write_file(dir, "run/containers/auth.json", "{not json");
    assert_int_equal(ds_reg_find_creds(NULL, "x.example", "a", &u, &p, &origin, &e), -1);
    assert_non_null(strstr(e.msg, "run/containers/auth.json"));
    unsetenv("REGISTRY_AUTH_FILE");
    unsetenv("XDG_RUNTIME_DIR");
    assert_int_equal(ds_rmtree(dir, &e), 0);
    free(home_cfg); free(missing); free(regfile); free(run); free(home); free(dir);
}

/* A real helper program on PATH: docker-credential-distilltest. */
static void test_cred_helper_run(void **state) {
    (void)state;
    ds_err e = {0};
    char *dir = NULL, *u, *p, *origin;
    assert_int_equal(ds_mkdtemp("distill-unit-helper", &dir, &e), 0);
    write_file(dir, "bin/docker-credential-distilltest",
               "#!/bin/sh\nread server\n[ \"$1\" = get ] || exit 3\n"
               "case $server in\n  h.example) echo '{\"ServerURL\":\"h.example\",\"Username\":\"hu\",\"Secret\":\"hs\"}';;\n"
               "  tok.example) echo '{\"Username\":\"<token>\",\"Secret\":\"x\"}';;\n"
               "  broken.example) echo 'boom' >&2; exit 1;;\n"
               "  *) echo 'credentials not found in native keychain'; exit 1;;\nesac\n");
    char *helper = ds_xasprintf("%s/bin/docker-credential-distilltest", dir);
    assert_int_equal(chmod(helper, 0755), 0);
    const char *old = getenv("PATH");
    char *saved = ds_xstrdup(old ? old : "/usr/bin:/bin");
    char *path = ds_xasprintf("%s/bin:%s", dir, saved);
    setenv("PATH", path, 1);
    assert_int_equal(ds_reg_run_cred_helper("distilltest", "h.example", &u, &p, &e), 1);
    assert_string_equal(u, "hu"); assert_string_equal(p, "hs");
    free(u); free(p);
    assert_int_equal(ds_reg_run_cred_helper("distilltest", "other.example", &u, &p, &e), 0);
    assert_int_equal(ds_reg_run_cred_helper("distilltest", "tok.example", &u, &p, &e), 0);
    assert_int_equal(ds_reg_run_cred_helper("distilltest", "broken.example", &u, &p, &e), -1);
    assert_non_null(strstr(e.msg, "docker-credential-distilltest failed"));
    assert_int_equal(ds_reg_run_cred_helper("nosuchhelper", "h.example", &u, &p, &e), -1);
    assert_non_null(strstr(e.msg, "docker-credential-nosuchhelper"));
    /* through an auth file */
    write_file(dir, "cfg.json", "{\"credHelpers\":{\"h.example\":\"distilltest\"}}");
    char *cfg = ds_xasprintf("%s/cfg.json", dir);
    assert_int_equal(ds_reg_find_creds(cfg, "h.example", "r", &u, &p, &origin, &e), 1);
    assert_string_equal(u, "hu");
    assert_non_null(strstr(origin, "docker-credential-distilltest"));
    free(u); free(p); free(origin);
    setenv("PATH", saved, 1);
    assert_int_equal(ds_rmtree(dir, &e), 0);
    free(cfg); free(helper); free(saved); free(path); free(dir);
}

static void test_origins(void **state) {
    (void)state;
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_buf("blob", 4, d);
    assert_null(ds_reg_find_origin("r.example", d, "a/b"));
    ds_reg_note_origin("r.example", "src/repo", d);
    ds_reg_note_origin("r.example", "src/repo", "sha256:not-a-digest"); /* ignored */
    char *o = ds_reg_find_origin("r.example", d, "dst/repo");
    assert_non_null(o);
    assert_string_equal(o, "src/repo");
    free(o);
    assert_null(ds_reg_find_origin("r.example", d, "src/repo"));   /* same repository: nothing to mount */
    assert_null(ds_reg_find_origin("other.example", d, "dst/repo")); /* another registry */
    for (int i = 0; i < 300; i++) ds_reg_note_origin("r.example", "filler", d); /* the ring wraps */
    o = ds_reg_find_origin("r.example", d, "dst/repo");
    assert_string_equal(o, "filler");
    free(o);
}

static void test_split_creds(void **state) {
    (void)state;
    char *u, *p;
    ds_err e;
    assert_int_equal(ds_reg_split_creds("a:b:c", &u, &p, &e), 0);
    assert_string_equal(u, "a"); assert_string_equal(p, "b:c");
    free(u); free(p);
    assert_int_equal(ds_reg_split_creds("a:", &u, &p, &e), 0);
    assert_string_equal(p, "");
    free(u); free(p);
    assert_int_equal(ds_reg_split_creds("nocolon", &u, &p, &e), -1);
    assert_int_equal(ds_reg_split_creds(":pw", &u, &p, &e), -1);
}

static void test_urls(void **state) {
    (void)state;
    ds_reg_client c = {.scheme = "http", .endpoint = "127.0.0.1:5000", .repo = "team/app"};
    char *s = ds_reg_url(&c, "manifests", "v1.2");
    assert_string_equal(s, "http://127.0.0.1:5000/v2/team/app/manifests/v1.2");
    free(s);
    s = ds_reg_url(&c, "blobs", "sha256:abc");
    assert_string_equal(s, "http://127.0.0.1:5000/v2/team/app/blobs/sha256:abc");
    free(s);
    s = ds_reg_url(&c, "blobs/uploads/", NULL);
    assert_string_equal(s, "http://127.0.0.1:5000/v2/team/app/blobs/uploads/");
    free(s);
    s = ds_reg_resolve_location(&c, "/v2/team/app/blobs/uploads/uuid?_state=x");
    assert_string_equal(s, "http://127.0.0.1:5000/v2/team/app/blobs/uploads/uuid?_state=x");
    free(s);
    s = ds_reg_resolve_location(&c, "https://storage.example/up/1?sig=2");
    assert_string_equal(s, "https://storage.example/up/1?sig=2");
    free(s);
    s = ds_reg_resolve_location(&c, "uuid-only");
    assert_string_equal(s, "http://127.0.0.1:5000/v2/team/app/blobs/uploads/uuid-only");
    free(s);
    s = ds_reg_endpoint_for("docker.io");
    assert_string_equal(s, "registry-1.docker.io");
    free(s);
    s = ds_reg_repo_for("docker.io", "debian");
    assert_string_equal(s, "library/debian");
    free(s);
    s = ds_reg_repo_for("quay.io", "debian");
    assert_string_equal(s, "debian");
    free(s);
}

/* What reaches a registry URL comes from ds_ref_parse's grammar (image/ref_grammar.h). */
#define PATH_OK(x) ds_ref_path_valid(x, strlen(x))
#define TAG_OK(x) ds_ref_tag_valid(x, strlen(x))
static void test_names(void **state) {
    (void)state;
    assert_true(PATH_OK("library/debian"));
    assert_true(PATH_OK("a.b_c__d-e--f/g0"));
    assert_false(PATH_OK("Upper"));
    assert_false(PATH_OK("a/../b"));
    assert_false(PATH_OK("a//b"));
    assert_false(PATH_OK("a/"));
    assert_false(PATH_OK("a?b"));
    assert_false(PATH_OK("a___b"));
    assert_false(PATH_OK(""));
    assert_true(TAG_OK("v1.2-rc_3"));
    assert_true(TAG_OK("_x"));
    assert_false(TAG_OK(".x"));
    assert_false(TAG_OK("a/b"));
    assert_false(TAG_OK("a#b"));
}

static void test_error_text(void **state) {
    (void)state;
    char body[] = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}";
    ds_reg_resp r = {.status = 404, .body = body, .len = strlen(body)};
    char *t = ds_reg_error_text(&r);
    assert_string_equal(t, "HTTP 404 MANIFEST_UNKNOWN: manifest unknown");
    free(t);
    ds_reg_resp r2 = {.status = 500, .body = (char *)"<html>", .len = 6};
    t = ds_reg_error_text(&r2);
    assert_string_equal(t, "HTTP 500");
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_challenge_bearer),
        cmocka_unit_test(test_challenge_basic_and_several),
        cmocka_unit_test(test_challenge_bad),
        cmocka_unit_test(test_authjson),
        cmocka_unit_test(test_authjson_bad),
        cmocka_unit_test(test_authjson_helpers),
        cmocka_unit_test(test_find_creds_order),
        cmocka_unit_test(test_cred_helper_run),
        cmocka_unit_test(test_split_creds),
        cmocka_unit_test(test_origins),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_error_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
