/* distill build SRC DST: the flags, one call to ds_build_run (src/build/build_run.h), and
 * the printing of what it reports. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "build/build_run.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "util/path_json.h"
#include "util/progress.h"

#define CMD "build"

static const char usage[] =
    "Usage: distill build SRC DST [options] [-- CMD ARGS...]\n"
    "Run SRC with its tests under a tracing sensor, keep only the files the app used\n"
    "(plus their ELF dependencies, symlink chains and parent dirs), verify the result\n"
    "with the same tests, and write it to DST only if every test passed.\n"
    "\n"
    "  --runtime auto|runc|crun|podman|docker\n"
    "                                container runtime (default auto: the first of runc, crun,\n"
    "                                podman and docker that works here; docker: the Docker Engine\n"
    "                                on $DOCKER_HOST, default unix:///var/run/docker.sock)\n"
    "  --network host|none           host (default): the app's ports are on 127.0.0.1;\n"
    "                                none: own network namespace, only --ready-cmd/tests inside\n"
    "  --test CMD                    a test, run on this machine by sh -c (repeatable)\n"
    "  --check CMD                   a held-out check (repeatable): run only against the candidate,\n"
    "                                never while tracing; a failing check fails the build like a test\n"
    "  --setup CMD, --teardown CMD   before / after the tests\n"
    "                                placeholders {LOCALHOST} {NAME} {CONTAINER_TAG}, also in\n"
    "                                $DISTILL_HOST $DISTILL_NAME $DISTILL_TAG ($DISTILL_STAGE=trace|verify)\n"
    "  --test-timeout S              stop a test, check, setup or teardown (and its process group)\n"
    "                                after S seconds; it counts as failed (default 300, 0 = no limit)\n"
    "  --ready-cmd CMD               ready when CMD exits 0 (default: every exposed TCP port accepts)\n"
    "  --ready-timeout S             give up waiting after S seconds (default 60)\n"
    "  --user auto|NAME|UID[:GID]    run user of the result (auto: nonroot 65532 if the tests pass,\n"
    "                                else the source's user)\n"
    "  --keep GLOB                   also keep paths matching GLOB (a matching dir keeps all below)\n"
    "  --keep-shell                  keep shells and tools even if the app did not run them\n"
    "  --entrypoint auto|keep|flatten  an entry point script that ends by exec'ing its server\n"
    "                                (auto): the result starts the server directly, with the\n"
    "                                files the script wrote baked in and no shell, if the tests\n"
    "                                pass that way; keep: never; flatten: fail instead of keeping it\n"
    "  --keep-package NAME           keep every file of a dpkg package (repeatable)\n"
    "  --keep-level package|file     package (default): keep the whole package of any file the app\n"
    "                                used, the app's own tree and runtime data; file: only the\n"
    "                                files it used (smallest; for complete tests). Volumes and the\n"
    "                                directories the app wrote in are kept whole at both levels\n"
    "  --out-dir DIR                 write report.json, seccomp.json, the result's SBOMs\n"
    "                                (sbom.spdx.json, sbom.cdx.json) and a Dockerfile with its\n"
    "                                context rootfs.tar (the distilled layer) there\n"
    "  --test-artifacts DIR          copy DIR (what the tests wrote) to OUT-DIR/test-artifacts\n"
    "  --seccomp-verify              run the verify stage under the generated seccomp profile\n"
    "  --no-pin                      let the traced app use every CPU (by default the sensor and the app\n"
    "                                share one CPU, which makes each trace stop several times cheaper)\n"
    "  --harden                      also apply distill harden's rules to the candidate (non-root\n"
    "                                user only; programs the app ran are allowed), then verify\n"
    "  --config FILE                 project file (default ./distill.yaml when present)\n"
    "  --name NAME, --tag TAG        values of {NAME} and {CONTAINER_TAG}\n"
    "  --sensor PATH                 distill-sensor binary (default: next to distill)\n"
    "  --keep-work                   keep the work directory (for debugging)\n"
    "  --tmpdir DIR                  where the work directory goes (default: $TMPDIR or /var/tmp)\n"
    CLI_TRANSPORT_HELP
    "  --tls-verify=BOOL             both --src-tls-verify and --dest-tls-verify\n"
    "  --compress gzip|zstd|none     layer compression of the result (default gzip)\n"
    CLI_STORE_HELP
    "\n"
    "Exit status: 0 DST written, 1 a test or check failed (DST untouched), 2 usage, 3 error.\n";

/* ---- printing what the pipeline reports ---- */

static void on_stage_start(void *ctx, ds_build_stage s, const char *what) {
    (void)ctx;
    ds_progress("distill build [%d/%d] %s: %s", (int)s + 1, DS_STAGE_COUNT, ds_build_stage_name(s), what);
}
static void on_stage_end(void *ctx, ds_build_stage s, double secs) {
    (void)ctx; (void)s; (void)secs;
    ds_progress_done();
}
static void on_step_start(void *ctx, const char *stage, const char *kind, const char *cmd) {
    (void)ctx;
    ds_progress_done();
    fprintf(stderr, "distill build: %s %s: %s\n", stage, kind, cli_shown(cmd));
}
static void on_step_end(void *ctx, const ds_build_step *s) {
    (void)ctx;
    if (s->timed_out)
        fprintf(stderr, "distill build: %s %s timed out after %.0f s: stopped it and its processes\n", s->stage,
                s->kind, s->seconds);
}
static void on_warning(void *ctx, const char *msg) {
    (void)ctx;
    ds_progress_done();
    fprintf(stderr, "distill build: WARNING: %s\n", cli_shown(msg));
}
static void on_note(void *ctx, const char *msg) {
    (void)ctx;
    ds_progress_done();
    fprintf(stderr, "distill build: %s\n", cli_shown(msg));
}
static void on_log_tail(void *ctx, const char *path, char *const *lines, size_t n) {
    (void)ctx;
    ds_progress_done();
    fprintf(stderr, "distill build: last lines of the container's output (%s):\n", path);
    /* The app's own output, from the image: escaped like any name, one line each. */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i]);
        char *line = ds_xstrdup(lines[i]);
        if (len && line[len - 1] == '\n') line[len - 1] = 0;
        fprintf(stderr, "  | %s\n", cli_shown(line));
        free(line);
    }
}
static void on_missing(void *ctx, const char *src, char *const *paths, size_t n) {
    (void)ctx;
    if (!n) {
        fprintf(stderr, "distill build: the failing run reached no file that the source has and the candidate lacks\n");
        return;
    }
    fprintf(stderr, "distill build: files in %s the candidate lacked when the tests ran:\n", src);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "  missing: %s\n", cli_shown(paths[i]));
    }
    fprintf(stderr, "distill build: add them with --keep GLOB (or make the first run's tests reach them)\n");
}

static int network_fn(void *t, const char *v, char *why, size_t n) {
    if (!strcmp(v, "none")) *(bool *)t = true;
    else if (!strcmp(v, "host")) *(bool *)t = false;
    else { snprintf(why, n, "host or none, got %s", v); return -1; }
    return 0;
}

int cmd_build(int argc, char **argv) {
    ds_build_opts o;
    ds_build_opts_init(&o);
    cli_list tests = {0}, checks = {0}, keep = {0}, pkgs = {0}, pos = {0}, cmd = {0};
    const char *config = NULL;
    bool quiet = false;
    cli_hold hold = {0};
    const cli_opt own[] = {
        {.name = "runtime", .kind = CLI_CHOICE, .choices = CLI_RUNTIME_CHOICES, .target = &o.runtime},
        {.name = "network", .kind = CLI_FN, .target = &o.network_none, .fn = network_fn},
        {.name = "test", .kind = CLI_LIST, .target = &tests},
        {.name = "check", .kind = CLI_LIST, .target = &checks},
        {.name = "setup", .kind = CLI_STR, .target = &o.setup},
        {.name = "teardown", .kind = CLI_STR, .target = &o.teardown},
        {.name = "ready-cmd", .kind = CLI_STR, .target = &o.ready_cmd},
        {.name = "ready-timeout", .kind = CLI_SECONDS, .target = &o.ready_timeout, .max = 86400},
        {.name = "test-timeout", .kind = CLI_SECONDS, .target = &o.test_timeout, .zero_ok = true, .max = 86400 * 7},
        {.name = "user", .kind = CLI_STR, .target = &o.user},
        {.name = "keep", .kind = CLI_LIST, .target = &keep},
        {.name = "keep-package", .kind = CLI_LIST, .target = &pkgs},
        {.name = "keep-level", .kind = CLI_CHOICE, .choices = "package|file", .target = &o.keep_level},
        {.name = "keep-shell", .kind = CLI_BOOL, .target = &o.keep_shell},
        {.name = "entrypoint", .kind = CLI_CHOICE, .choices = "auto|keep|flatten", .target = &o.entrypoint},
        {.name = "out-dir", .kind = CLI_STR, .target = &o.out_dir},
        {.name = "test-artifacts", .kind = CLI_STR, .target = &o.test_artifacts},
        {.name = "seccomp-verify", .kind = CLI_BOOL, .target = &o.seccomp_verify},
        {.name = "no-pin", .kind = CLI_BOOL, .target = &o.no_pin},
        {.name = "harden", .kind = CLI_BOOL, .target = &o.harden},
        {.name = "config", .kind = CLI_STR, .target = &config},
        {.name = "name", .kind = CLI_STR, .target = &o.name},
        {.name = "tag", .kind = CLI_STR, .target = &o.tag},
        {.name = "sensor", .kind = CLI_STR, .target = &o.sensor},
        {.name = "keep-work", .kind = CLI_BOOL, .target = &o.keep_work},
        {.name = "quiet", .short_name = 'q', .kind = CLI_BOOL, .target = &quiet},
        {0},
    };
    cli_opt shared[CLI_T_MAX + 1];
    cli_transport_table(shared, &o.topts, CLI_T_SRC | CLI_T_DEST | CLI_T_AUTH | CLI_T_COMPRESS | CLI_T_TMPDIR | CLI_T_STORE);
    int rc = DS_EXIT_USAGE;
    int pr = cli_parse_project(CMD, usage, own, shared, argc - 1, argv + 1, &pos, &cmd, &hold);
    if (pr != 0) { rc = pr > 0 ? DS_EXIT_OK : DS_EXIT_USAGE; goto out; }
    if (pos.n > 2) { rc = cli_usage_error(CMD, "too many arguments (put the app's command after --)"); goto out; }
    if (pos.n < 2) { rc = cli_usage_error(CMD, "SRC and DST are required"); goto out; }
    for (size_t k = 0; k < cmd.n; k++)
        /* The command goes into the OCI runtime's config.json, whose strings are UTF-8:
         * another byte would be dropped or changed on the way, so say so instead. */
        if (!ds_utf8_valid(cmd.v[k])) {
            char *hex = ds_hex_of(cmd.v[k]);
            rc = cli_usage_error(CMD, "argument %zu after -- is not UTF-8 (bytes %s): an OCI runtime cannot pass it",
                                 k + 1, hex);
            free(hex);
            goto out;
        }
    if (quiet) cli_progress_off();
    /* The trees, overlays and log dirs handed to the runtime must be what an engine makes
     * whatever the caller's umask: under 077 a non-root app could not even enter "/". */
    umask(022);
    o.src = pos.v[0];
    o.dst = pos.v[1];
    o.tests = tests.v, o.n_tests = tests.n;
    o.checks = checks.v, o.n_checks = checks.n;
    o.keep = keep.v, o.n_keep = keep.n;
    o.keep_packages = pkgs.v, o.n_keep_packages = pkgs.n;
    o.command = cmd.v, o.n_command = cmd.n;

    ds_build_events ev = {.stage_start = on_stage_start, .stage_end = on_stage_end, .step_start = on_step_start,
                          .step_end = on_step_end, .warning = on_warning, .note = on_note,
                          .log_tail = on_log_tail, .missing = on_missing};
    ds_build_result *res = NULL;
    ds_err err = {0};
    if (ds_build_run(&o, &ev, &res, &err) < 0) {
        ds_progress_done();
        rc = cli_error(CMD, &err);
        goto out;
    }
    ds_progress_done();
    if (res->entrypoint_line) fprintf(stderr, "distill build: %s\n", res->entrypoint_line);
    if (res->outcome == DS_BUILD_WRITTEN) {
        fprintf(stderr, "distill build: %s -> %s: %.1f MB, %lld files -> %.1f MB, %lld files (%.1fx smaller; the app "
                        "used %.1f MB); user %s; runtime %s; %s\n",
                cli_shown(o.src), cli_shown(o.dst), res->before.bytes / 1e6, (long long)res->before.files,
                res->after.bytes / 1e6, (long long)res->after.files,
                res->after.bytes ? (double)res->before.bytes / (double)res->after.bytes : 0.0, res->used_bytes / 1e6,
                cli_shown(res->user), res->runtime, res->manifest_digest);
        for (size_t i = 0; i < res->n_filecaps; i++)
            fprintf(stderr, "distill build: %s has the file capability cap_net_bind_service (as nonroot its bind "
                            "to port %d was refused)\n", cli_shown(res->filecaps[i].path), res->filecaps[i].port);
        if (o.n_checks)
            fprintf(stderr, "distill build: %zu held-out check(s) passed on the result\n", res->checks_passed);
        printf("%s\n", res->manifest_digest);
        rc = DS_EXIT_OK;
    } else {
        rc = DS_EXIT_FAILED;
    }
    ds_build_result_free(res);
out:
    cli_shown_free();
    cli_list_free(&tests); cli_list_free(&checks); cli_list_free(&keep); cli_list_free(&pkgs);
    cli_list_free(&pos); cli_list_free(&cmd);
    cli_hold_free(&hold);
    return rc;
}
