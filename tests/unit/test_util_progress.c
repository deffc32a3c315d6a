/* Progress events (util/progress.h): what the library reports reaches the one installed
 * handler and nothing else; the line format ("LABEL  12.3 MiB / 40.1 MiB  8.2 MiB/s").
 * The scratch default (ds_tmpdir: --tmpdir, $TMPDIR, /var/tmp) and messages that name the
 * user's path rather than a temp sibling or a library's internal code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image/blob.h"
#include "image/image.h"
#include "util/fsutil.h"
#include "util/progress.h"

typedef struct {
    int n;
    ds_progress_kind kind[16];
    char text[16][128];
    uint64_t done[16], total[16];
} rec;

static void record(const ds_progress_event *ev, void *ud) {
    rec *r = ud;
    if (r->n >= 16) return;
    r->kind[r->n] = ev->kind;
    snprintf(r->text[r->n], sizeof r->text[r->n], "%s", ev->text);
    r->done[r->n] = ev->done;
    r->total[r->n] = ev->total;
    r->n++;
}

static void test_no_handler_is_silent(void **s) {
    (void)s;
    ds_progress_set_handler(NULL, NULL);
    assert_false(ds_progress_enabled());
    ds_progress("status %d", 1);
    ds_progress_task(10, "task");
    ds_progress_add(5);
    assert_false(ds_progress_task_active());
    ds_progress_done();
}

static void test_events_reach_the_handler(void **s) {
    (void)s;
    rec r = {0};
    ds_progress_set_handler(record, &r);
    assert_true(ds_progress_enabled());
    ds_progress_done(); /* nothing shown yet: no clear */
    assert_int_equal(r.n, 0);
    ds_progress_bytes(7); /* no task: ignored */
    assert_int_equal(r.n, 0);
    ds_progress("Walking %s", "/x");
    ds_progress_task(0, "Copying blob %s", "sha256:ab");
    ds_progress_total(100);
    ds_progress_add(40);
    ds_progress_add(60);
    ds_progress_total(5); /* already known: kept */
    ds_progress_bytes(100);
    assert_true(ds_progress_task_active());
    ds_progress_done();
    assert_false(ds_progress_task_active());
    ds_progress_set_handler(NULL, NULL);
    assert_int_equal(r.n, 6);
    assert_int_equal(r.kind[0], DS_PROGRESS_STATUS);
    assert_string_equal(r.text[0], "Walking /x");
    assert_int_equal(r.kind[1], DS_PROGRESS_BYTES);
    assert_string_equal(r.text[1], "Copying blob sha256:ab");
    assert_int_equal(r.done[1], 0);
    assert_int_equal(r.done[2], 40);
    assert_int_equal(r.total[2], 100);
    assert_int_equal(r.done[3], 100);
    assert_int_equal(r.total[4], 100);
    assert_int_equal(r.kind[5], DS_PROGRESS_CLEAR);
}

/* A muted thread (a background job's) reports nothing; the main thread's reports still go. */
static void *muted_reporter(void *arg) {
    (void)arg;
    ds_progress_mute_thread();
    ds_progress("from the job");
    ds_progress_task(10, "job task");
    ds_progress_add(5);
    ds_progress_done();
    return (void *)(intptr_t)(ds_progress_enabled() || ds_progress_task_active());
}

static void test_muted_thread(void **s) {
    (void)s;
    rec r = {0};
    ds_progress_set_handler(record, &r);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, muted_reporter, NULL), 0);
    void *enabled_there;
    pthread_join(th, &enabled_there);
    assert_null(enabled_there);
    assert_int_equal(r.n, 0);
    assert_true(ds_progress_enabled());
    ds_progress("from main");
    ds_progress_set_handler(NULL, NULL);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.text[0], "from main");
}

static void test_format(void **s) {
    (void)s;
    char out[256];
    ds_progress_event ev = {.kind = DS_PROGRESS_BYTES, .text = "Copying blob sha256:abc...",
                            .done = (uint64_t)(12.3 * 1048576), .total = (uint64_t)(40.1 * 1048576)};
    ds_progress_format(&ev, 1.5, 200, out, sizeof out);
    assert_string_equal(out, "Copying blob sha256:abc...  12.3 MiB / 40.1 MiB  8.2 MiB/s");
    ds_progress_format(&ev, 0.1, 200, out, sizeof out); /* too early for a rate */
    assert_string_equal(out, "Copying blob sha256:abc...  12.3 MiB / 40.1 MiB");
    ev.total = 0;
    ds_progress_format(&ev, 0.1, 200, out, sizeof out); /* total unknown */
    assert_string_equal(out, "Copying blob sha256:abc...  12.3 MiB");
    ev.total = (uint64_t)(40.1 * 1048576);
    ds_progress_format(&ev, 1.5, 40, out, sizeof out); /* narrow: the label is cut, not the numbers */
    assert_true(strlen(out) <= 39);
    assert_non_null(strstr(out, "  12.3 MiB / 40.1 MiB  8.2 MiB/s"));
    ev = (ds_progress_event){.kind = DS_PROGRESS_STATUS, .text = "name\033]0;x\007 here"};
    ds_progress_format(&ev, 0, 80, out, sizeof out);
    assert_string_equal(out, "name?]0;x? here");
    ev = (ds_progress_event){.kind = DS_PROGRESS_BYTES, .text = "t", .done = 999, .total = 2048};
    ds_progress_format(&ev, 0, 80, out, sizeof out);
    assert_string_equal(out, "t  999 B / 2.0 KiB");
}

static void test_tmpdir_default_env_flag(void **s) {
    (void)s;
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    ds_tmpdir_set(NULL);
    unsetenv("TMPDIR");
    assert_string_equal(ds_tmpdir(), "/var/tmp");
    assert_string_equal(ds_tmpdir_source(), "default");
    char base[] = "/tmp/distill-unit-tmpdir-XXXXXX";
    assert_non_null(mkdtemp(base));
    setenv("TMPDIR", base, 1);
    assert_string_equal(ds_tmpdir(), base);
    assert_string_equal(ds_tmpdir_source(), "$TMPDIR");
    ds_err e;
    char *d = NULL;
    assert_int_equal(ds_mkdtemp("distill-unit", &d, &e), 0);
    assert_int_equal(strncmp(d, base, strlen(base)), 0);
    assert_int_equal(ds_rmtree(d, &e), 0);
    free(d);
    /* --tmpdir wins over $TMPDIR, also for library code given options without one */
    char *flag = ds_xasprintf("%s/flag", base);
    assert_int_equal(mkdir(flag, 0700), 0);
    ds_tmpdir_set(flag);
    assert_string_equal(ds_tmpdir_source(), "--tmpdir");
    ds_opts o;
    ds_opts_init(&o);
    assert_int_equal(ds_image_mkdtemp(&o, "distill-unit", &d, &e), 0);
    assert_int_equal(strncmp(d, flag, strlen(flag)), 0);
    assert_int_equal(ds_rmtree(d, &e), 0);
    free(d);
    /* a --tmpdir that does not exist is named, with where it came from */
    char *missing = ds_xasprintf("%s/missing", base);
    ds_tmpdir_set(missing);
    assert_int_equal(ds_mkdtemp("distill-unit", &d, &e), -1);
    char *want = ds_xasprintf("--tmpdir %s: cannot make a temporary directory there: %s", missing, strerror(ENOENT));
    assert_string_equal(e.msg, want);
    free(want);
    ds_tmpdir_set(NULL);
    assert_int_equal(ds_rmtree(base, &e), 0);
    free(flag);
    free(missing);
    if (old) { setenv("TMPDIR", old, 1); free(old); }
    else unsetenv("TMPDIR");
}

static void test_atomic_write_names_the_path(void **s) {
    (void)s;
    ds_err e;
    assert_int_equal(ds_write_file_atomic("/nonexistent-dir-distill/r.html", "x", 1, 0644, &e), -1);
    char *want = ds_xasprintf("/nonexistent-dir-distill/r.html: cannot write: %s", strerror(ENOENT));
    assert_string_equal(e.msg, want);
    free(want);
    assert_null(strstr(e.msg, ".tmp"));
}

static void test_not_a_tar(void **s) {
    (void)s;
    ds_err e;
    char *d = NULL;
    assert_int_equal(ds_mkdtemp("distill-unit-nottar", &d, &e), 0);
    char *json = ds_xasprintf("%s/x.json", d);
    assert_int_equal(ds_write_file_atomic(json, "{\"a\": 1}\n", 9, 0644, &e), 0);
    const char *kinds[] = {"docker-archive", "oci-archive"};
    const char *says[] = {"not a docker archive (not a tar file)", "not an OCI archive (not a tar file)"};
    for (int k = 0; k < 2; k++) {
        char *ref = ds_xasprintf("%s:%s", kinds[k], json);
        ds_image *img = NULL;
        assert_int_equal(ds_image_open(ref, NULL, &img, &e), -1);
        char *want = ds_xasprintf("%s: %s", ref, says[k]);
        assert_string_equal(e.msg, want);
        assert_null(strstr(e.msg, "multibyte"));
        free(want);
        free(ref);
    }
    free(json);
    ds_rmtree(d, &e);
    free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_handler_is_silent),
        cmocka_unit_test(test_events_reach_the_handler),
        cmocka_unit_test(test_muted_thread),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_tmpdir_default_env_flag),
        cmocka_unit_test(test_atomic_write_names_the_path),
        cmocka_unit_test(test_not_a_tar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
