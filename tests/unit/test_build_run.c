/* ds_build_run end to end with a fake runtime: SRC (a rootfs: tree) -> trace -> closure ->
 * candidate -> verify -> DST (an oci: layout in a temp dir). The fake "runs" a tree by
 * checking that the files the app needs exist in it (writing ok/missing/denied into a status
 * file the host-side tests read) and, under the sensor, writing a canned sensor log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "build/build_int.h"
#include "image/image.h"
#include "util/digest.h"
#include "util/fsutil.h"

static char *tmp;

/* A group of paths the app reaches from run number `from_run` on (0 = the trace), and the
 * status file its test reads. */
typedef struct need {
    const char *status;  /* relative to tmp */
    const char *paths[4];
    int from_run;
    bool root_only;      /* "denied" unless the run user is root */
    uint32_t owner_uid;  /* not 0: "denied" unless the run user is root or this uid (its files) */
    /* "denied" unless the run user is root or /app/run has cap_net_bind_service (with_cap:
     * denied even then); the sensor logs the refused bind of /app/run to port 80. */
    bool bind80, cap_not_enough;
} need;

typedef struct fake {
    need needs[4];
    size_t n_needs;
    int starts;          /* runs started so far */
    int live;            /* handles not yet freed */
    uint32_t uids[8];
    bool never_ready;
} fake;

typedef struct fake_ct {
    fake *f;
    bool running;
} fake_ct;

static void put(const char *rel, const char *text, mode_t mode) {
    char *p = ds_xasprintf("%s%s", tmp, rel), *d = ds_xstrdup(p);
    *strrchr(d, '/') = 0;
    ds_err e;
    assert_int_equal(ds_mkdirs(d, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, text, strlen(text), mode, &e), 0);
    free(p);
    free(d);
}

static int fake_start(void *ctx, const ds_run_spec *spec, void **h, ds_err *err) {
    fake *f = ctx;
    int run = f->starts++;
    if (run < 8) f->uids[run] = spec->uid;
    json_t *files = json_array();
    bool denied = false;
    for (size_t i = 0; i < f->n_needs; i++) {
        const need *n = &f->needs[i];
        if (run < n->from_run) continue;
        const char *st = "ok";
        for (size_t k = 0; k < 4 && n->paths[k]; k++) {
            char *host = ds_xasprintf("%s%s", spec->rootfs, n->paths[k]);
            struct stat sb;
            if (lstat(host, &sb) < 0) st = "missing";
            free(host);
            json_array_append_new(files, json_pack("{s:s, s:s, s:[s], s:b}", "path", n->paths[k], "kind", "file",
                                                   "ops", "open", "ok", 1));
        }
        if (n->root_only && spec->uid != 0 && !strcmp(st, "ok")) st = "denied";
        if (n->owner_uid && spec->uid != 0 && spec->uid != n->owner_uid && !strcmp(st, "ok")) st = "denied";
        if (n->bind80 && spec->uid != 0 && !strcmp(st, "ok")) {
            char *host = ds_xasprintf("%s/app/run", spec->rootfs);
            unsigned char v[32];
            ssize_t vl = getxattr(host, "security.capability", v, sizeof v);
            free(host);
            bool cap = vl == 20 && v[3] == 2 && v[0] == 1 && v[5] == 0x04; /* v2, effective, bit 10 */
            if (!cap || n->cap_not_enough) st = "denied";
            if (!cap) denied = true;
        }
        char *sp = ds_xasprintf("%s/%s", tmp, n->status);
        if (ds_write_file_atomic(sp, st, strlen(st), 0644, err) < 0) { free(sp); json_decref(files); return -1; }
        free(sp);
    }
    if (spec->sensor_path) {
        json_t *argv = json_array();
        for (size_t i = 0; i < spec->n_args; i++) json_array_append_new(argv, json_string(spec->args[i]));
        /* What the sensor would say of the app: past its own `--`. */
        size_t skip = 0;
        while (skip < spec->n_args && strcmp(spec->args[skip], "--")) skip++;
        json_t *cmd = json_array();
        for (size_t i = skip + 1; i < spec->n_args; i++) json_array_append_new(cmd, json_string(spec->args[i]));
        json_array_append_new(files, json_pack("{s:s, s:s, s:[s], s:b}", "path", "/app/run", "kind", "file", "ops",
                                               "exec", "ok", 1));
        json_t *log = json_pack("{s:i, s:s, s:o, s:i, s:b, s:o, s:[{s:s, s:[s], s:b}], s:[s, s], s:[]}", "version", 1,
                                "arch", "x86_64", "command", cmd, "exit_code", 0, "syscalls_complete", 1, "files",
                                files, "execs", "path", "/app/run", "argv", "/app/run", "ok", 1, "syscalls", "openat",
                                "read", "warnings");
        if (denied)
            json_object_set_new(log, "denied_binds", json_pack("[{s:s, s:i}]", "path", "/app/run", "port", 80));
        json_decref(argv);
        char *p = ds_xasprintf("%s/trace.json", spec->log_dir);
        char *text = json_dumps(log, 0);
        int r = ds_write_file_atomic(p, text, strlen(text), 0644, err);
        free(text);
        free(p);
        json_decref(log);
        if (r < 0) return -1;
    } else {
        json_decref(files);
    }
    fake_ct *c = ds_xcalloc(1, sizeof *c);
    c->f = f;
    c->running = true;
    f->live++;
    *h = c;
    return 0;
}
static int fake_wait_ready(void *h, const int *ports, size_t n, const char *cmd, double t, ds_err *err) {
    fake_ct *c = h;
    if (c->f->never_ready) { c->running = false; return ds_fail(err, "container fake exited with status 1 before it was ready"); }
    return 0;
}
static int fake_running(void *h) { return ((fake_ct *)h)->running; }
static int fake_stop(void *h, int grace, int *code, ds_err *err) {
    ((fake_ct *)h)->running = false;
    if (code) *code = 0;
    return 0;
}
static void fake_free(void *h) {
    fake_ct *c = h;
    c->f->live--;
    free(c);
}
static int fake_port(void *ctx, int port) { return -1; }
static const ds_runtime_ops fake_ops = {.start = fake_start, .wait_ready = fake_wait_ready, .running = fake_running,
                                        .stop = fake_stop, .free = fake_free, .port_in_use = fake_port};

/* What the events said. */
typedef struct seen {
    int stages_started, stages_ended, steps, warnings;
    char notes[4096];
    char missing[1024];
} seen;
static void ev_stage_start(void *ctx, ds_build_stage s, const char *what) { ((seen *)ctx)->stages_started++; }
static void ev_stage_end(void *ctx, ds_build_stage s, double secs) { ((seen *)ctx)->stages_ended++; }
static void ev_step_end(void *ctx, const ds_build_step *s) { ((seen *)ctx)->steps++; }
static void ev_warning(void *ctx, const char *m) { ((seen *)ctx)->warnings++; }
static void ev_note(void *ctx, const char *m) {
    seen *s = ctx;
    strncat(s->notes, m, sizeof s->notes - strlen(s->notes) - 2);
    strcat(s->notes, "\n");
}
static void ev_missing(void *ctx, const char *src, char *const *paths, size_t n) {
    seen *s = ctx;
    for (size_t i = 0; i < n; i++) {
        strncat(s->missing, paths[i], sizeof s->missing - strlen(s->missing) - 2);
        strcat(s->missing, " ");
    }
}

static int setup(void **state) {
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-test-build-run", &tmp, &e), 0);
    put("/src/app/run", "#!/app/run\n", 0755);
    put("/src/app/data/a.txt", "used by the trace\n", 0644);
    put("/src/app/data/b.txt", "used only later\n", 0644);
    put("/src/app/data/c.txt", "never used\n", 0644);
    put("/src/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
    put("/src/etc/group", "root:x:0:\n", 0644);
    put("/src/bin/sh", "not really a shell\n", 0755);
    return 0;
}
static int teardown(void **state) {
    ds_err e;
    ds_rmtree(tmp, &e);
    free(tmp);
    return 0;
}

typedef struct run {
    ds_build_opts o;
    char *src, *dst, *out_dir, *tests[2], *checks[1];
    char *cmd[1];
    seen s;
    ds_build_events ev;
    ds_build_result *res;
    json_t *report;
} run;

static void run_init(run *r, const char *name) {
    memset(r, 0, sizeof *r);
    ds_build_opts_init(&r->o);
    r->src = ds_xasprintf("rootfs:%s/src", tmp);
    char *d = ds_xasprintf("%s/%s", tmp, name);
    ds_err e;
    assert_int_equal(ds_mkdirs(d, 0755, &e), 0);
    r->dst = ds_xasprintf("oci:%s/img:v1", d);
    r->out_dir = ds_xasprintf("%s/rep", d);
    free(d);
    r->cmd[0] = "/app/run";
    r->o.src = r->src;
    r->o.dst = r->dst;
    r->o.out_dir = r->out_dir;
    r->o.sensor = "/bin/true";
    /* The pipeline, not the keep rules: exactly the files the fake app used (and its data). */
    r->o.keep_level = "file";
    r->o.command = r->cmd;
    r->o.n_command = 1;
    r->o.ready_timeout = 5;
    r->ev = (ds_build_events){.ctx = &r->s, .stage_start = ev_stage_start, .stage_end = ev_stage_end,
                              .step_end = ev_step_end, .warning = ev_warning, .note = ev_note,
                              .missing = ev_missing};
}

static int run_go(run *r, fake *f) {
    ds_runtime rt = {.ops = &fake_ops, .ctx = f, .kind = DS_RT_RUNC};
    ds_err err = {0};
    int rc = ds_build_run_with(&r->o, &rt, &r->ev, &r->res, &err);
    if (rc < 0) fail_msg("ds_build_run: %s", err.msg);
    assert_int_equal(f->live, 0);
    char *p = ds_xasprintf("%s/report.json", r->out_dir);
    json_error_t je;
    r->report = json_load_file(p, 0, &je);
    free(p);
    return rc;
}

static void run_free(run *r) {
    ds_build_result_free(r->res);
    json_decref(r->report);
    free(r->src); free(r->dst); free(r->out_dir);
    for (int i = 0; i < 2; i++) free(r->tests[i]);
    free(r->checks[0]);
}

static const char *rep_str(const run *r, const char *key) { return json_string_value(json_object_get(r->report, key)); }

static bool dst_exists(const run *r) {
    char *dir = ds_xstrdup(r->dst + 4);
    *strrchr(dir, ':') = 0;
    char *idx = ds_xasprintf("%s/index.json", dir);
    bool e = ds_exists(idx);
    free(dir);
    free(idx);
    return e;
}

static void test_written(void **state) {
    fake f = {.needs = {{.status = "st-a", .paths = {"/app/data/a.txt"}}}, .n_needs = 1};
    run r;
    run_init(&r, "written");
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-a", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_true(dst_exists(&r));
    assert_int_equal(strlen(r.res->manifest_digest), DS_DIGEST_LEN);
    assert_string_equal(r.res->user, "65532:65532");
    assert_int_equal(f.starts, 2); /* trace, verify */
    assert_int_equal(f.uids[0], 0);
    assert_int_equal(f.uids[1], 65532);
    assert_int_equal(r.s.stages_started, DS_STAGE_COUNT);
    assert_int_equal(r.s.stages_ended, DS_STAGE_COUNT);
    assert_int_equal(r.s.steps, 2);
    assert_int_equal(r.s.warnings, 0);
    /* The report, keys as before. */
    assert_non_null(r.report);
    assert_string_equal(rep_str(&r, "result"), "written");
    assert_string_equal(rep_str(&r, "user"), "65532:65532");
    assert_string_equal(rep_str(&r, "user_reason"), "nonroot passed every test");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.report, "after"), "digest")),
                        r.res->manifest_digest);
    json_t *tests = json_object_get(r.report, "tests");
    assert_int_equal(json_array_size(tests), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(tests, 1), "stage")), "verify");
    assert_null(json_object_get(r.report, "missing"));
    assert_null(json_object_get(r.report, "checks"));
    /* What was kept: the file the trace saw, not the one it did not; no shell. */
    bool a = false, c = false, sh = false;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(r.report, "kept"), i, k) {
        const char *p = json_string_value(json_object_get(k, "path"));
        a |= !strcmp(p, "/app/data/a.txt");
        c |= !strcmp(p, "/app/data/c.txt");
        sh |= !strcmp(p, "/bin/sh");
    }
    assert_true(a);
    assert_false(c);
    assert_false(sh);
    char *df = ds_xasprintf("%s/Dockerfile", r.out_dir), *sc = ds_xasprintf("%s/seccomp.json", r.out_dir);
    assert_true(ds_exists(df));
    assert_true(ds_exists(sc));
    free(df);
    free(sc);
    run_free(&r);
}

/* A file reached only after the trace: verify fails, DST untouched, the file named (once,
 * by the nonroot diagnose run: no retry as root). */
static void test_verify_fails(void **state) {
    fake f = {.needs = {{.status = "st-b", .paths = {"/app/data/b.txt"}, .from_run = 1}}, .n_needs = 1};
    run r;
    run_init(&r, "fails");
    r.tests[0] = ds_xasprintf("test \"$DISTILL_STAGE\" = trace || grep -qx ok %s/st-b", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_CANDIDATE_FAILED);
    assert_false(dst_exists(&r));
    assert_int_equal(f.starts, 3); /* trace, verify, diagnose */
    assert_true(r.res->missing_known);
    assert_int_equal(r.res->n_missing, 1);
    assert_string_equal(r.res->missing[0], "/app/data/b.txt");
    assert_string_equal(r.s.missing, "/app/data/b.txt ");
    assert_non_null(r.res->failed);
    assert_string_equal(r.res->failed->kind, "test");
    assert_string_equal(r.res->failed->stage, "verify");
    assert_non_null(strstr(r.s.notes, "FAILED on the candidate: test"));
    assert_string_equal(rep_str(&r, "result"), "failed");
    char *m = json_dumps(json_object_get(r.report, "missing"), 0);
    assert_string_equal(m, "[\"/app/data/b.txt\"]");
    free(m);
    run_free(&r);
}

/* Writes blob text into the layout dir; its digest in dg. */
static void put_blob(const char *dir, const char *text, char dg[DS_DIGEST_LEN + 1]) {
    ds_sha256_buf(text, strlen(text), dg);
    char *p = ds_xasprintf("%s/blobs/sha256/%s", dir, dg + 7);
    ds_err e;
    assert_int_equal(ds_write_file_atomic(p, text, strlen(text), 0644, &e), 0);
    free(p);
}

/* The fixture's rootfs as an OCI layout whose config runs it as user: "oci:DIR:v1". */
static char *oci_source_as(const char *name, const char *user) {
    ds_err e = {0};
    ds_image *img = NULL;
    char *src = ds_xasprintf("rootfs:%s/src", tmp), *dir = ds_xasprintf("%s/%s-src", tmp, name);
    char *ref = ds_xasprintf("oci:%s:v1", dir);
    assert_int_equal(ds_image_open(src, NULL, &img, &e), 0);
    ds_opts o;
    ds_opts_init(&o);
    char dg[DS_DIGEST_LEN + 1];
    if (ds_image_copy(img, ref, &o, dg, &e) < 0) fail_msg("%s: %s", ref, e.msg);
    ds_image_close(img);
    /* index -> manifest -> config: the config gets User, the manifest its new digest. */
    json_error_t je;
    char *ip = ds_xasprintf("%s/index.json", dir);
    json_t *idx = json_load_file(ip, 0, &je);
    json_t *md = json_array_get(json_object_get(idx, "manifests"), 0);
    char *mp = ds_xasprintf("%s/blobs/sha256/%s", dir, json_string_value(json_object_get(md, "digest")) + 7);
    json_t *man = json_load_file(mp, 0, &je);
    json_t *cd = json_object_get(man, "config");
    char *cp = ds_xasprintf("%s/blobs/sha256/%s", dir, json_string_value(json_object_get(cd, "digest")) + 7);
    json_t *cfg = json_load_file(cp, 0, &je);
    assert_non_null(cfg);
    json_t *inner = json_object_get(cfg, "config");
    if (!inner) json_object_set_new(cfg, "config", inner = json_object());
    json_object_set_new(inner, "User", json_string(user));
    char *ct = json_dumps(cfg, JSON_COMPACT);
    put_blob(dir, ct, dg);
    json_object_set_new(cd, "digest", json_string(dg));
    json_object_set_new(cd, "size", json_integer((json_int_t)strlen(ct)));
    char *mt = json_dumps(man, JSON_COMPACT);
    put_blob(dir, mt, dg);
    json_object_set_new(md, "digest", json_string(dg));
    json_object_set_new(md, "size", json_integer((json_int_t)strlen(mt)));
    assert_int_equal(json_dump_file(idx, ip, JSON_COMPACT), 0);
    free(ct); free(mt);
    json_decref(cfg); json_decref(man); json_decref(idx);
    free(ip); free(mp); free(cp); free(src); free(dir);
    return ref;
}

/* r builds from the fixture as an OCI source whose config runs it as user. */
static void source_as(run *r, const char *name, const char *user) {
    free(r->src);
    r->src = oci_source_as(name, user);
    r->o.src = r->src;
}

/* The source runs as a user that is not root, and nonroot cannot read that user's files:
 * straight to the source's user, without a traced run first (nonroot lacks no privilege of
 * a non-root user, only access to its files). */
static void test_nonroot_retry_nonroot_source(void **state) {
    fake f = {.needs = {{.status = "st-u", .paths = {"/app/data/a.txt"}, .owner_uid = 1500}}, .n_needs = 1};
    run r;
    run_init(&r, "retry-user");
    source_as(&r, "retry-user", "1500:1500");
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-u", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(f.starts, 3); /* trace as 1500, verify as nonroot, verify as 1500: no diagnose */
    assert_int_equal(f.uids[0], 1500);
    assert_int_equal(f.uids[1], 65532);
    assert_int_equal(f.uids[2], 1500);
    assert_string_equal(r.res->user, "1500:1500");
    assert_non_null(strstr(rep_str(&r, "user_reason"), "using the source's user 1500:1500 (not root"));
    assert_null(strstr(r.s.notes, "tracing it to tell missing files"));
    assert_true(dst_exists(&r));
    run_free(&r);
}

/* The app read a file only the source's user (not root) may read: nonroot is sure to fail,
 * so that user's candidate is written beside nonroot's (a clone, retargeted) and its layer
 * made during nonroot's verify; nonroot's tree goes, the clone is what is published. */
static void test_nonroot_refused_ahead(void **state) {
    if (geteuid() != 0) fail_msg("needs root: the source's file is owned by uid 1500");
    char *a = ds_xasprintf("%s/src/app/data/a.txt", tmp);
    assert_int_equal(chown(a, 1500, 1500), 0);
    assert_int_equal(chmod(a, 0600), 0);
    fake f = {.needs = {{.status = "st-v", .paths = {"/app/data/a.txt"}, .owner_uid = 1500}}, .n_needs = 1};
    run r;
    run_init(&r, "ahead");
    source_as(&r, "ahead", "1500:1500");
    assert_int_equal(chown(a, 0, 0), 0);
    assert_int_equal(chmod(a, 0644), 0);
    r.o.keep_work = true;
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-v", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(f.starts, 3);
    assert_int_equal(f.uids[1], 65532);
    assert_int_equal(f.uids[2], 1500);
    assert_string_equal(r.res->user, "1500:1500");
    const char *k = strstr(r.s.notes, "work directory kept: ");
    assert_non_null(k);
    char *work = ds_xstrndup(k + 21, strcspn(k + 21, "\n"));
    const char *sfx = strrchr(work, '-') + 1; /* the trees are named after the work dir (pipeline.c) */
    char *c0 = ds_xasprintf("%s/candidate-0-%s", work, sfx), *c1 = ds_xasprintf("%s/candidate-1-%s", work, sfx);
    char *c1a = ds_xasprintf("%s/app/data/a.txt", c0);
    assert_false(ds_exists(c1)); /* nonroot's, cloned from the source user's first, removed */
    assert_true(ds_exists(c0));
    struct stat st;
    assert_int_equal(lstat(c1a, &st), 0);
    assert_int_equal(st.st_uid, 1500);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true(dst_exists(&r));
    ds_err e;
    ds_rmtree(work, &e);
    /* The same image as a build for that user from the start (--user 1500:1500). */
    fake g = {.needs = {{.status = "st-v", .paths = {"/app/data/a.txt"}, .owner_uid = 1500}}, .n_needs = 1};
    run u;
    run_init(&u, "ahead-user");
    free(u.src);
    u.src = ds_xstrdup(r.src);
    u.o.src = u.src;
    u.o.user = "1500:1500";
    u.tests[0] = ds_xstrdup(r.tests[0]);
    u.o.tests = u.tests;
    u.o.n_tests = 1;
    assert_int_equal(run_go(&u, &g), 0);
    assert_int_equal(u.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(g.starts, 2);
    assert_string_equal(u.res->manifest_digest, r.res->manifest_digest);
    run_free(&u);
    free(work); free(c0); free(c1); free(c1a); free(a);
    run_free(&r);
}

/* The guess wrong: the app read a file only the source's user may read, but nonroot passes
 * (the app did without it). Nonroot's tree, a clone of the source user's given nonroot, is
 * published: the same image as a build for nonroot from the start (--user nonroot). */
static void test_nonroot_refused_wrong(void **state) {
    if (geteuid() != 0) fail_msg("needs root: the source's file is owned by uid 1500");
    char *a = ds_xasprintf("%s/src/app/data/a.txt", tmp);
    assert_int_equal(chown(a, 1500, 1500), 0);
    assert_int_equal(chmod(a, 0600), 0);
    fake f = {.needs = {{.status = "st-w", .paths = {"/app/data/a.txt"}}}, .n_needs = 1};
    run r;
    run_init(&r, "wrong");
    source_as(&r, "wrong", "1500:1500");
    assert_int_equal(chown(a, 0, 0), 0);
    assert_int_equal(chmod(a, 0644), 0);
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-w", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(f.starts, 2);
    assert_int_equal(f.uids[1], 65532);
    fake g = {.needs = {{.status = "st-w", .paths = {"/app/data/a.txt"}}}, .n_needs = 1};
    run u;
    run_init(&u, "wrong-user");
    free(u.src);
    u.src = ds_xstrdup(r.src);
    u.o.src = u.src;
    u.o.user = "nonroot";
    u.tests[0] = ds_xstrdup(r.tests[0]);
    u.o.tests = u.tests;
    u.o.n_tests = 1;
    assert_int_equal(run_go(&u, &g), 0);
    assert_int_equal(u.res->outcome, DS_BUILD_WRITTEN);
    assert_string_equal(u.res->user, r.res->user);
    assert_string_equal(u.res->manifest_digest, r.res->manifest_digest);
    run_free(&u);
    free(a);
    run_free(&r);
}

/* A file missing as a non-root source's user too: named by the traced run after that user's
 * verify failed (one traced run, as for a root source). */
static void test_missing_nonroot_source(void **state) {
    fake f = {.needs = {{.status = "st-m", .paths = {"/app/data/b.txt"}, .from_run = 1}}, .n_needs = 1};
    run r;
    run_init(&r, "missing-user");
    source_as(&r, "missing-user", "1500:1500");
    r.tests[0] = ds_xasprintf("test \"$DISTILL_STAGE\" = trace || grep -qx ok %s/st-m", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_CANDIDATE_FAILED);
    assert_false(dst_exists(&r));
    assert_int_equal(f.starts, 4); /* trace, verify as nonroot, verify as 1500, diagnose */
    assert_int_equal(r.res->n_missing, 1);
    assert_string_equal(r.res->missing[0], "/app/data/b.txt");
    run_free(&r);
}

/* A privilege nonroot lacks (nothing missing): retried as the source's user, which passes. */
static void test_nonroot_retry(void **state) {
    fake f = {.needs = {{.status = "st-r", .paths = {"/app/data/a.txt"}, .root_only = true}}, .n_needs = 1};
    run r;
    run_init(&r, "retry");
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-r", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(f.starts, 4); /* trace, verify as nonroot, diagnose, verify as root */
    assert_int_equal(f.uids[1], 65532);
    assert_int_equal(f.uids[3], 0);
    assert_string_equal(r.res->user, "0:0");
    assert_non_null(strstr(rep_str(&r, "user_reason"), "using the source's user root"));
    assert_non_null(strstr(r.s.notes, "tracing it to tell missing files from a missing privilege"));
    assert_null(json_object_get(r.report, "missing"));
    assert_true(dst_exists(&r));
    run_free(&r);
}

/* A server whose bind to port 80 is refused as nonroot: the diagnose trace names /app/run,
 * the candidate is made again with cap_net_bind_service on exactly that file and verified as
 * nonroot; report.json and user_reason say so. (Setting the xattr needs root: make test.) */
static void test_bind_cap(void **state) {
    if (geteuid() != 0) fail_msg("needs root (CAP_SETFCAP) to set security.capability");
    fake f = {.needs = {{.status = "st-b", .paths = {"/app/data/a.txt"}, .bind80 = true}}, .n_needs = 1};
    run r;
    run_init(&r, "bindcap");
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-b", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(f.starts, 4); /* trace, verify as nonroot, diagnose, verify as nonroot with the cap */
    assert_int_equal(f.uids[3], 65532);
    assert_string_equal(r.res->user, "65532:65532");
    assert_int_equal(r.res->n_filecaps, 1);
    char *fc = json_dumps(json_object_get(r.report, "file_capabilities"), JSON_COMPACT);
    assert_string_equal(fc, "[{\"path\":\"/app/run\",\"capability\":\"cap_net_bind_service\",\"port\":80}]");
    free(fc);
    assert_non_null(strstr(rep_str(&r, "user_reason"), "cap_net_bind_service on /app/run (port 80)"));
    assert_non_null(strstr(r.s.notes, "bind was refused (EACCES) for /app/run (port 80)"));
    assert_true(dst_exists(&r));
    run_free(&r);

    /* The capability is not enough (another privilege): back to the source's user, and the
     * result carries no capability. */
    fake g = {.needs = {{.status = "st-c2", .paths = {"/app/data/a.txt"}, .bind80 = true, .cap_not_enough = true}},
              .n_needs = 1};
    run_init(&r, "bindcap-no");
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-c2", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    assert_int_equal(run_go(&r, &g), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(g.starts, 6); /* trace, verify, diagnose, verify+cap, diagnose, verify as root */
    assert_string_equal(r.res->user, "0:0");
    assert_int_equal(r.res->n_filecaps, 0);
    assert_null(json_object_get(r.report, "file_capabilities"));
    run_free(&r);
}

/* A held-out check: never run while tracing; failing on the candidate fails the build and
 * names what it lacked; the report counts checks apart from tests. */
static void test_check(void **state) {
    fake f = {.needs = {{.status = "st-a", .paths = {"/app/data/a.txt"}},
                        {.status = "st-c", .paths = {"/app/data/c.txt"}, .from_run = 1}},
              .n_needs = 2};
    run r;
    run_init(&r, "check");
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-a", tmp);
    r.checks[0] = ds_xasprintf("test \"$DISTILL_STAGE\" != trace && grep -qx ok %s/st-c", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    r.o.checks = r.checks;
    r.o.n_checks = 1;
    r.o.user = "nonroot";
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_CANDIDATE_FAILED);
    assert_false(dst_exists(&r));
    assert_string_equal(r.res->failed->kind, "check");
    assert_int_equal(r.res->checks_failed, 1);
    assert_int_equal(r.res->checks_passed, 0);
    assert_int_equal(r.res->n_missing, 1);
    assert_string_equal(r.res->missing[0], "/app/data/c.txt");
    size_t i, traced_checks = 0;
    json_t *t;
    json_array_foreach(json_object_get(r.report, "tests"), i, t)
        if (!strcmp(json_string_value(json_object_get(t, "kind")), "check") &&
            !strcmp(json_string_value(json_object_get(t, "stage")), "trace"))
            traced_checks++;
    assert_int_equal(traced_checks, 0);
    json_t *cs = json_object_get(r.report, "checks");
    assert_int_equal(json_integer_value(json_object_get(cs, "passed")), 0);
    assert_int_equal(json_integer_value(json_object_get(cs, "failed")), 1);
    run_free(&r);
    /* With the file kept, the check passes. */
    fake f2 = f;
    f2.starts = 0;
    run_init(&r, "check2");
    char *keep[] = {"/app/data/c.txt"};
    r.tests[0] = ds_xasprintf("grep -qx ok %s/st-a", tmp);
    r.checks[0] = ds_xasprintf("grep -qx ok %s/st-c", tmp);
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    r.o.checks = r.checks;
    r.o.n_checks = 1;
    r.o.keep = keep;
    r.o.n_keep = 1;
    assert_int_equal(run_go(&r, &f2), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_WRITTEN);
    assert_int_equal(r.res->checks_passed, 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.report, "checks"), "passed")), 1);
    run_free(&r);
}

/* A test that hangs is stopped after --test-timeout and fails the run like a failed test. */
static void test_timeout(void **state) {
    fake f = {.n_needs = 0};
    run r;
    run_init(&r, "timeout");
    r.tests[0] = ds_xstrdup("sleep 30");
    r.o.tests = r.tests;
    r.o.n_tests = 1;
    r.o.test_timeout = 0.5;
    double t0 = ds_build_now();
    assert_int_equal(run_go(&r, &f), 0);
    assert_true(ds_build_now() - t0 < 10);
    assert_int_equal(r.res->outcome, DS_BUILD_SOURCE_FAILED);
    assert_true(r.res->failed->timed_out);
    assert_false(r.res->failed->passed);
    assert_non_null(strstr(r.s.notes, "timed out after 0.5 s on the SOURCE image"));
    assert_false(dst_exists(&r));
    run_free(&r);
}

/* Never ready: a failed "start" step, not an error. */
static void test_never_ready(void **state) {
    fake f = {.never_ready = true};
    run r;
    run_init(&r, "never");
    assert_int_equal(run_go(&r, &f), 0);
    assert_int_equal(r.res->outcome, DS_BUILD_SOURCE_FAILED);
    assert_string_equal(r.res->failed->kind, "start");
    assert_non_null(strstr(r.res->failed->command, "before it was ready"));
    assert_int_equal(r.s.warnings, 1); /* no --test */
    run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written),      cmocka_unit_test(test_verify_fails), cmocka_unit_test(test_nonroot_retry),
        cmocka_unit_test(test_check),        cmocka_unit_test(test_timeout),      cmocka_unit_test(test_never_ready),
        cmocka_unit_test(test_bind_cap),     cmocka_unit_test(test_nonroot_retry_nonroot_source),
        cmocka_unit_test(test_missing_nonroot_source), cmocka_unit_test(test_nonroot_refused_ahead),
        cmocka_unit_test(test_nonroot_refused_wrong),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
