/* The files a build leaves in --out-dir: report.json (the JSON edge of ds_build_result and
 * the closure), seccomp.json, the Dockerfile, and a copy of the tests' artifacts. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "build/build_int.h"
#include "util/path_json.h"
#include "util/fsutil.h"
#include "util/json_doc.h"

static int write_text(const char *dir, const char *name, const char *text, ds_err *err) {
    char *p = ds_xasprintf("%s/%s", dir, name);
    int r = ds_write_file_atomic(p, text, strlen(text), 0644, err);
    free(p);
    return r;
}

static int copy_artifacts(const char *from, const char *out_dir) {
    if (!ds_exists(from)) return 0;
    char *dst = ds_xasprintf("%s/test-artifacts", out_dir);
    ds_err e;
    ds_mkdirs(dst, 0755, &e);
    int st = -1;
    pid_t p = fork();
    if (p == 0) {
        execlp("cp", "cp", "-a", "--", from, dst, (char *)NULL);
        _exit(127);
    }
    if (p > 0) waitpid(p, &st, 0);
    free(dst);
    return st;
}

static json_t *step_json(const ds_build_step *s) {
    json_t *r;
    if (!strcmp(s->kind, "start") || !strcmp(s->kind, "app"))
        r = json_pack("{s:s, s:s, s:s, s:i, s:b}", "stage", s->stage, "kind", s->kind, "command", s->command, "exit",
                      s->exit, "passed", s->passed);
    else if (!strcmp(s->kind, "probe"))
        r = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b}", "stage", s->stage, "kind", s->kind, "command", s->command,
                      "exit", s->exit, "http_status", s->http_status, "passed", s->passed);
    else
        r = json_pack("{s:s, s:s, s:s, s:i, s:f, s:b}", "stage", s->stage, "kind", s->kind, "command", s->command,
                      "exit", s->exit, "seconds", s->seconds, "passed", s->passed);
    if (!r) /* a command that is not UTF-8 */
        r = json_pack("{s:s, s:s, s:o, s:i, s:b}", "stage", s->stage, "kind", s->kind, "command",
                      ds_json_bytes(s->command), "exit", s->exit, "passed", s->passed);
    if (s->timed_out) json_object_set_new(r, "timed_out", json_true());
    return r;
}

static json_t *tools_json(const ds_tool_note *v, size_t n, const char *note_key) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:o, s:o}", "path", ds_json_bytes(v[i].path), note_key,
                                           ds_json_lossy(v[i].note)));
    return a;
}

static json_t *strings_json(char *const *v, size_t n, bool exact) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, exact ? ds_json_bytes(v[i]) : ds_json_lossy(v[i]));
    return a;
}

int ds_build_write_outputs(ds_bctx *c, const ds_closure *clo, const ds_trace *trace, const json_t *seccomp,
                           const json_t *rconfig, const json_t *harden, const ds_candidate *cand,
                           const char *cand_tree, double t_report, double t0, ds_err *err) {
    const ds_build_opts *o = c->o;
    const ds_build_result *res = c->res;
    json_t *kept = json_array();
    for (size_t i = 0; i < clo->keep.n; i++) {
        struct stat st;
        char *h = ds_xasprintf("%s%s", c->rootfs, clo->keep.v[i].path);
        json_int_t size = lstat(h, &st) == 0 && S_ISREG(st.st_mode) ? (json_int_t)st.st_size : 0;
        free(h);
        json_array_append_new(kept, json_pack("{s:o, s:o, s:I}", DS_JK_PATH, ds_json_bytes(clo->keep.v[i].path),
                                              "reason", ds_json_lossy(clo->keep.v[i].reason), DS_JK_SIZE, size));
    }
    json_t *dropped = ds_tools_left_out(c->rootfs, &clo->keep);
    json_t *packages = ds_package_shares(c->rootfs, c->scan, &clo->keep);
    json_t *command = json_array();
    for (size_t i = 0; i < trace->ncommand; i++) json_array_append_new(command, ds_json_bytes(trace->command[i]));
    json_t *tests = json_array();
    for (size_t i = 0; i < res->n_steps; i++) json_array_append_new(tests, step_json(&res->steps[i]));
    json_t *timings = json_object();
    for (int s = 0; s < DS_STAGE_COUNT; s++)
        if (res->seconds[s] > 0) json_object_set_new(timings, ds_build_stage_name(s), json_real(res->seconds[s]));
    json_object_set_new(timings, "report", json_real(ds_build_now() - t_report));
    json_object_set_new(timings, "total", json_real(ds_build_now() - t0));
    const char *arch = trace->arch && *trace->arch ? trace->arch : (c->img->arch ? c->img->arch : "");
    bool written = res->outcome == DS_BUILD_WRITTEN;
    json_t *report = ds_json_doc();
    json_object_update_new(report, json_pack(
        "{s:o, s:o, s:s, s:{s:s, s:I, s:I}, s:{s:s, s:I, s:I}, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, "
        "s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        DS_JK_SOURCE, ds_json_bytes(o->src), DS_JK_DESTINATION, ds_json_bytes(o->dst), "result",
        written ? "written" : "failed", "before", DS_JK_DIGEST, res->source_digest, "files",
        (json_int_t)res->before.files, DS_JK_SIZE, (json_int_t)res->before.bytes, "after", DS_JK_DIGEST,
        res->manifest_digest, "files", (json_int_t)res->after.files, DS_JK_SIZE, (json_int_t)res->after.bytes,
        "used_size", (json_int_t)res->used_bytes, "runtime", res->runtime, "user",
        res->user, "user_reason", res->user_reason ? res->user_reason : "", "arch", arch, "kept", kept, "packages",
        packages, "tools_used", tools_json(clo->used_tools, clo->n_used_tools, "argv"), "tools_seen_dropped",
        tools_json(clo->dropped_tools, clo->n_dropped_tools, "why"), "written_by_app",
        strings_json(clo->written, clo->n_written, true), "warnings", strings_json(clo->warnings, clo->n_warnings, false), "tests", tests, "timings", timings, "tools_dropped", dropped,
        "command", command));
    if (o->n_checks)
        json_object_set_new(report, "checks", json_pack("{s:I, s:I}", "passed", (json_int_t)res->checks_passed,
                                                        "failed", (json_int_t)res->checks_failed));
    json_object_set_new(report, "runtime_reason", json_string(res->runtime_why ? res->runtime_why : ""));
    if (harden) json_object_set(report, "harden", (json_t *)harden);
    json_object_set_new(report, "store", ds_store_stats_json(&res->store));
    if (res->n_filecaps) {
        json_t *fc = json_array();
        for (size_t i = 0; i < res->n_filecaps; i++)
            json_array_append_new(fc, json_pack("{s:o, s:s, s:i}", "path", ds_json_bytes(res->filecaps[i].path),
                                                "capability", "cap_net_bind_service", "port", res->filecaps[i].port));
        json_object_set_new(report, "file_capabilities", fc);
    }
    json_t *ep = ds_ep_report(c);
    if (ep) json_object_set_new(report, "entrypoint", ep);
    if (clo->keep_level) json_object_set(report, "keep_level", clo->keep_level);
    if (res->missing_known) {
        json_t *m = json_array();
        for (size_t i = 0; i < res->n_missing; i++) json_array_append_new(m, ds_json_bytes(res->missing[i]));
        json_object_set_new(report, "missing", m);
    }
    /* Paths that are not UTF-8: readable text plus "<key>_hex" with the exact bytes. */
    ds_json_export(report);
    int rc = -1;
    if (ds_mkdirs(o->out_dir, 0755, err) < 0) goto out;
    char *text = json_dumps(report, JSON_INDENT(2));
    int w = write_text(o->out_dir, "report.json", text, err);
    free(text);
    if (w < 0) goto out;
    text = json_dumps(seccomp, JSON_INDENT(2));
    w = write_text(o->out_dir, "seccomp.json", text, err);
    free(text);
    if (w < 0) goto out;
    /* The Dockerfile with its build context (the layer), and the result's SBOMs: only when
     * there is a result. */
    if (res->outcome == DS_BUILD_WRITTEN) {
        if (ds_build_context_layer(cand->layer_path, cand->tar_path[0] ? cand->tar_path : NULL, cand->diff_id,
                                   o->out_dir, err) < 0) goto out;
        ds_image_config rc;
        if (ds_image_config_parse(rconfig, &rc, err) < 0) { ds_err_wrap(err, "the result's config"); goto out; }
        text = ds_dockerfile(o->src, c->img->manifest_digest, cand->diff_id, &rc, res->user);
        ds_image_config_free(&rc);
        w = write_text(o->out_dir, "Dockerfile", text, err);
        free(text);
        if (w < 0) goto out;
        if (ds_build_write_sboms(cand_tree, o->dst, res->manifest_digest, o->out_dir, err) < 0) goto out;
    }
    if (o->test_artifacts) copy_artifacts(o->test_artifacts, o->out_dir);
    rc = 0;
out:
    json_decref(report);
    return rc;
}
