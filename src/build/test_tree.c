/* `distill harden --test`: the hardened tree run once as its image would run (entry point,
 * env, user, workdir, ports), driven by the tests, through the same runtime machinery as
 * build's verify stage. No sensor, no closure. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "build/build_int.h"
#include "image/blob.h"
#include "util/fsutil.h"

int ds_build_test_tree(const char *tree, const json_t *config, const char *user, const ds_build_opts *o,
                       const ds_build_events *ev, ds_build_result **out, ds_err *err) {
    *out = NULL;
    if (!(o->ready_timeout > 0)) return ds_fail(err, "the ready timeout must be a positive number of seconds");
    ds_runtime rt;
    if (ds_build_runtime_open(o->runtime, &rt, err) < 0) return -1;
    ds_build_result *res = ds_xcalloc(1, sizeof *res);
    res->runtime = ds_runtime_name(rt.kind);
    snprintf(res->user, sizeof res->user, "%s", user ? user : "");
    ds_bctx c = {.o = o, .ev = ev, .rt = &rt, .res = res, .name = o->name ? o->name : "app",
                 .tag = o->tag ? o->tag : "latest"};
    ds_run_result rr = {.failed = -1};
    int rc = -1;
    if (ds_image_config_parse(config, &c.cfg, err) < 0) goto out;
    ds_build_env_and_command(&c);
    if (!c.n_cmd) { ds_fail(err, "the image has no entrypoint or cmd to test"); goto out; }
    c.probe_status = ds_xcalloc(c.cfg.n_tcp_ports + 1, sizeof *c.probe_status);
    if (ds_image_mkdtemp(&o->topts, "distill-test", &c.work, err) < 0) goto out;
    chmod(c.work, 0755);
    if (ds_build_run_app(&c, tree, user, false, "verify", NULL, &rr, err) < 0) goto out;
    res->outcome = rr.failures ? DS_BUILD_CANDIDATE_FAILED : DS_BUILD_WRITTEN;
    if (rr.failed >= 0) res->failed = &res->steps[rr.failed];
    rc = 0;
out:
    ds_run_result_clear(&rr);
    if (c.work) {
        if (o->keep_work) ds_build_note(&c, "work directory kept: %s", c.work);
        else ds_rmtree(c.work, &(ds_err){0});
    }
    ds_image_config_free(&c.cfg);
    free(c.work); free(c.probe_status); free(c.env); free(c.cmd);
    ds_build_filecaps_free(c.denied, c.n_denied);
    ds_runtime_close(&rt);
    if (rc < 0) ds_build_result_free(res);
    else *out = res;
    return rc;
}
