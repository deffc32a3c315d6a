/* distill harden SRC DST: lock an image down without running it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "build/build_run.h"
#include "cli/options.h"
#include "harden/harden_image.h"
#include "util/fsutil.h"
#include "util/json_doc.h"
#include "util/path_json.h"
#include "util/progress.h"

static const char usage_text[] =
    "Usage: distill harden SRC DST [OPTIONS]\n"
    "\n"
    "Lock an image down when it cannot be distilled: drop setuid/setgid bits and file\n"
    "capabilities; remove shells, busybox and its applet links, package managers and their\n"
    "caches, compilers, debuggers, network tools (curl, wget, nc) and ln; lock every account\n"
    "(no login shell, no password hash), remove root from passwd/shadow, run as a non-root\n"
    "user; no world-writable files or non-sticky world-writable directories. Package\n"
    "metadata is kept, without the removed files. DST is SRC plus one layer with the changes.\n"
    "Language interpreters (perl, python, ruby, node, php, lua, tcl) go unless the entry point\n"
    "runs them (its program, a script's #! interpreter). Refuses (exit 3, naming the file) when\n"
    "the entry point or what it needs would go. Without --test, warns when a root image becomes\n"
    "non-root and exposes a port below 1024 or its entry point writes where the new user cannot.\n"
    "\n"
    "Options:\n"
    "  --user NAME|UID[:GID]     run user (default: the image's User if not root, else nonroot 65532:65532,\n"
    "                            created when missing); the config User is set to UID:GID\n"
    "  --allow PATH              keep PATH (a glob on in-image paths; repeatable), e.g. --allow /bin/sh\n"
    "  --profile default|strict  strict also removes su, sudo, mount, chmod, chown, ssh, make, ld, ...\n"
    "  --report FILE             write every change with its rule as JSON\n"
    "  --dry-run                 list every change; write nothing\n"
    "  --squash                  write DST as one layer instead of SRC's layers plus one\n"
    "  --json                    print the report as JSON on stdout instead of a list\n"
    "  --compress gzip|zstd|none compression of the new layer (default gzip)\n"
    "  --test CMD                run the hardened image (as build runs its candidate) and test it with\n"
    "                            CMD (sh -c, on this machine; repeatable); DST is written only if every\n"
    "                            test passes (exit 1 otherwise)\n"
    "  --runtime auto|runc|crun|podman|docker  for --test (default auto: as distill build picks)\n"
    "  --ready-cmd CMD, --ready-timeout S, --test-timeout S   as for distill build\n"
    CLI_TRANSPORT_HELP
    CLI_STORE_HELP
    "\n"
    "Example:\n"
    "  distill harden oci:nginx:latest oci:nginx-hard:latest --user www-data --report harden.json\n";

static void print_changes(FILE *f, const ds_harden_report *r) {
    for (size_t i = 0; i < r->n_changes; i++) {
        const ds_harden_change *c = &r->changes[i];
        /* Paths and details are the image's file names: escaped, one change per line. */
        fprintf(f, "%-17s %-12s %s%s%s\n", c->rule, ds_harden_action_name(c->action), cli_shown(c->path),
                *c->detail ? "  " : "", cli_shown(c->detail));
    }
}

static int allow_fn(void *t, const char *v, char *why, size_t n) {
    if (v[0] != '/') { snprintf(why, n, "%s: expected an absolute in-image path", v); return -1; }
    cli_list *l = t;
    l->v = ds_xrealloc(l->v, (l->n + 2) * sizeof *l->v);
    l->v[l->n++] = (char *)v;
    l->v[l->n] = NULL;
    return 0;
}

static int profile_fn(void *t, const char *v, char *why, size_t n) {
    ds_err err = {0};
    if (ds_harden_profile_parse(v, t, &err) < 0) { snprintf(why, n, "%s", err.msg); return -1; }
    return 0;
}

/* --test: the hardened tree run through build's runtime machinery. */
typedef struct test_ctx { ds_build_opts bo; bool failed; } test_ctx;

static void on_step_start(void *ctx, const char *stage, const char *kind, const char *cmd) {
    (void)ctx; (void)stage;
    ds_progress_done();
    fprintf(stderr, "distill harden: %s: %s\n", kind, cmd);
}
static void on_note(void *ctx, const char *msg) {
    (void)ctx;
    fprintf(stderr, "distill harden: %s\n", msg);
}
static void on_log_tail(void *ctx, const char *path, char *const *lines, size_t n) {
    (void)ctx;
    fprintf(stderr, "distill harden: last lines of the container's output (%s):\n", path);
    for (size_t i = 0; i < n; i++) fprintf(stderr, "  | %s", lines[i]);
}

static int run_tests(void *ctx, const char *tree, const json_t *config, const char *user, ds_err *err) {
    test_ctx *t = ctx;
    ds_build_events ev = {.step_start = on_step_start, .note = on_note, .log_tail = on_log_tail};
    ds_build_result *res = NULL;
    if (ds_build_test_tree(tree, config, user, &t->bo, &ev, &res, err) < 0) return ds_err_wrap(err, "--test");
    int rc = 0;
    if (res->outcome != DS_BUILD_WRITTEN) {
        const ds_build_step *f = res->failed;
        t->failed = true;
        rc = f ? ds_fail(err, "%s `%s` failed on the hardened image (%s%d): DST not written", f->kind, f->command,
                         f->timed_out ? "timed out, exit " : "exit ", f->exit)
               : ds_fail(err, "the hardened image failed its tests: DST not written");
    } else {
        fprintf(stderr, "distill harden: %zu test(s) passed on the hardened image (%s)\n", t->bo.n_tests, res->runtime);
    }
    ds_build_result_free(res);
    return rc;
}

int cmd_harden(int argc, char **argv) {
    const char *cmd = "harden";
    ds_opts topts;
    ds_opts_init(&topts);
    ds_harden_opts o;
    ds_harden_opts_init(&o);
    const char *src = NULL, *dst = NULL, *report = NULL;
    bool squash = false, json = false;
    int rc = DS_EXIT_OK;
    ds_err err;
    cli_list allow_l = {0}, args = {0}, tests = {0};
    test_ctx tc = {0};
    ds_build_opts_init(&tc.bo);
    const cli_opt own[] = {
        {.name = "user", .kind = CLI_STR, .target = &o.user},
        {.name = "allow", .kind = CLI_FN, .target = &allow_l, .fn = allow_fn},
        {.name = "profile", .kind = CLI_FN, .target = &o.profile, .fn = profile_fn},
        {.name = "report", .kind = CLI_STR, .target = &report},
        {.name = "dry-run", .kind = CLI_BOOL, .target = &o.dry_run},
        {.name = "squash", .kind = CLI_BOOL, .target = &squash},
        {.name = "json", .kind = CLI_BOOL, .target = &json},
        {.name = "test", .kind = CLI_LIST, .target = &tests},
        {.name = "runtime", .kind = CLI_CHOICE, .choices = CLI_RUNTIME_CHOICES, .target = &tc.bo.runtime},
        {.name = "ready-cmd", .kind = CLI_STR, .target = &tc.bo.ready_cmd},
        {.name = "ready-timeout", .kind = CLI_SECONDS, .target = &tc.bo.ready_timeout, .max = 86400},
        {.name = "test-timeout", .kind = CLI_SECONDS, .target = &tc.bo.test_timeout, .zero_ok = true, .max = 86400 * 7},
        {0},
    };
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &topts, CLI_T_SRC | CLI_T_DEST | CLI_T_AUTH | CLI_T_COMPRESS | CLI_T_TMPDIR | CLI_T_STORE);
    int pr = cli_parse(cmd, usage_text, own, shared, argc - 1, argv + 1, &args, NULL);
    src = args.n > 0 ? args.v[0] : NULL;
    dst = args.n > 1 ? args.v[1] : NULL;
    const char *extra = args.n > 2 ? args.v[2] : NULL;
    cli_list_free(&args);
    const char **allow = (const char **)allow_l.v;
    o.n_allow = allow_l.n;
    if (pr) { free(allow); cli_list_free(&tests); return pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE; }
    tc.bo.tests = tests.v, tc.bo.n_tests = tests.n;
    tc.bo.topts = topts;
    if (tests.n && !o.dry_run) {
        o.before_write = run_tests;
        o.before_write_ctx = &tc;
        umask(022); /* as build: the tree handed to the runtime must be enterable by a non-root user */
    }
    if (extra) { free(allow); cli_list_free(&tests); return cli_usage_error(cmd, "unexpected argument %s", extra); }
    if (!src || (!dst && !o.dry_run)) { free(allow); cli_list_free(&tests); return cli_usage_error(cmd, "needs SRC and DST"); }
    if (dst && !strcmp(src, dst)) {
        free(allow); cli_list_free(&tests);
        return cli_usage_error(cmd, "DST is SRC: harden never rewrites its source; name another destination");
    }
    if (o.user && !*o.user) {
        free(allow); cli_list_free(&tests);
        return cli_usage_error(cmd, "--user: empty (want NAME|UID[:GID])");
    }
    if (o.user && (!strcmp(o.user, "root") || !strcmp(o.user, "0") || !strncmp(o.user, "0:", 2) ||
                   !strncmp(o.user, "root:", 5))) {
        free(allow); cli_list_free(&tests);
        return cli_usage_error(cmd, "--user %s: the run user must not be root", o.user);
    }
    if (report) {
        /* Checked now: finding it unwritable after DST is written would report a failure
         * for an image that was in fact written. */
        char *dir = ds_xstrdup(report);
        char *sl = strrchr(dir, '/');
        if (sl == dir) dir[1] = 0;
        else if (sl) *sl = 0;
        else strcpy(dir, ".");
        struct stat st;
        int bad = stat(dir, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : access(dir, W_OK | X_OK) < 0 ? errno : 0;
        free(dir);
        if (bad) {
            free(allow); cli_list_free(&tests);
            ds_err re;
            ds_fail(&re, "--report %s: cannot write there: %s", report, strerror(bad));
            return cli_error(cmd, &re);
        }
    }
    o.allow = allow;
    ds_harden_report rep;
    ds_harden_report_init(&rep);
    ds_harden_image_result res;
    int r = ds_harden_image(src, dst ? dst : "", &o, &topts, squash, &rep, &res, &err);
    json_t *j = ds_json_doc();
    json_object_update_new(j, ds_harden_report_json(&rep));
    json_object_set_new(j, DS_JK_SOURCE, ds_json_bytes(src));
    json_object_set_new(j, DS_JK_DESTINATION, ds_json_bytes(dst));
    json_object_set_new(j, "dry_run", json_boolean(o.dry_run));
    if (r == 0 && !o.dry_run) {
        json_object_set_new(j, DS_JK_DIGEST, json_string(res.manifest_digest));
        json_object_set_new(j, "layer", json_pack("{s:s, s:I}", DS_JK_DIGEST, res.layer_digest, DS_JK_SIZE,
                                                  (json_int_t)res.layer_size));
    }
    if (r < 0) json_object_set_new(j, DS_JK_ERROR, ds_json_bytes(err.msg));
    ds_json_export(j);
    if (json) {
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (r == 0 || o.dry_run) {
        /* After a refusal only a dry run shows the plan: nothing was changed. */
        print_changes(stdout, &rep);
    }
    if (report) {
        char *s = json_dumps(j, JSON_INDENT(2));
        size_t n = strlen(s);
        s = ds_xrealloc(s, n + 2);
        s[n] = '\n';
        s[n + 1] = 0;
        ds_err e2;
        if (ds_write_file_atomic(report, s, n + 1, 0644, &e2) < 0) {
            ds_err_wrap(&e2, "--report %s", report);
            rc = cli_error(cmd, &e2);
        }
        free(s);
    }
    json_decref(j);
    bool out_failed = fflush(stdout) != 0 || ferror(stdout);
    if (r < 0) {
        /* Refused, but a script entry point distill build can flatten: say so on the same line. */
        if (rep.shell_verdict && rep.shell_flattenable) {
            size_t l = strlen(err.msg);
            snprintf(err.msg + l, sizeof err.msg - l, "; shell: %s", rep.shell_verdict);
        }
        rc = cli_error(cmd, &err);
        if (tc.failed) rc = DS_EXIT_FAILED;
    } else if (out_failed && rc == DS_EXIT_OK) {
        /* Instead of the summary: the list (or JSON) a caller reads did not arrive. */
        ds_err oe;
        ds_fail_errno(&oe, "%s: writing the %s to standard output", dst ? dst : src, json ? "JSON report" : "list of changes");
        rc = cli_error(cmd, &oe);
    } else if (!json) {
        /* Only when harden succeeded: a failure is one line (the shell verdict is in --report). */
        if (rep.shell_verdict) fprintf(stderr, "distill harden: shell: %s\n", cli_shown(rep.shell_verdict));
        if (!tests.n)
            for (size_t i = 0; i < rep.n_warnings; i++) fprintf(stderr, "distill harden: WARNING: %s\n", cli_shown(rep.warnings[i]));
        /* The user's name comes from the image's passwd: escaped like any name from an image. */
        const char *uname = cli_shown(rep.user_name ? rep.user_name : "?");
        const char *ucfg = cli_shown(rep.config_user ? rep.config_user : "?");
        if (o.dry_run)
            fprintf(stderr, "distill harden: dry run: %zu changes, nothing written; run user %s (%s)\n", rep.n_changes,
                    uname, ucfg);
        else
            fprintf(stderr, "distill harden: %s: %zu changes in %zu layer%s, run user %s (%s), manifest %s\n", cli_shown(dst),
                    rep.n_changes, res.n_layers, res.n_layers == 1 ? "" : "s", uname, ucfg, res.manifest_digest);
    }
    cli_shown_free();
    ds_harden_report_free(&rep);
    free(allow);
    cli_list_free(&tests);
    return rc;
}
