/* --entrypoint in the build pipeline: the calls pipeline.c makes around its stages.
 *   begin       before the trace run: keep the run's overlay upper dir (the script's writes)
 *   after_trace analyse the hand-over; when flattening, the closure sees the trace without the
 *               script phase and the verify runs the final program directly
 *   user        the result's user: the final program's uid:gid (with --user auto)
 *   bake        the script's files into each candidate tree
 *   config      the flattened config into the result's config
 *   fallback    the verify failed without the script: back to the source's entry point
 *   end         restore what was swapped, free */
#include <stdio.h>
#include <string.h>
#include "build/build_int.h"
#include "build/entrypoint.h"
#include "util/fsutil.h"

struct ds_ep_state {
    int mode;
    ds_handover h;
    bool analysed, active;
    char *upper;
    ds_trace view;
    bool have_view;
    char **saved_cmd, **saved_env, *saved_workdir;
    size_t saved_n_cmd, saved_n_env;
    bool swapped;
    char user[64];
    char *failed_test;
    const char *verdict;
};

static const char *mode_name(int m) { return m == DS_EP_KEEP ? "keep" : m == DS_EP_FLATTEN ? "flatten" : "auto"; }

int ds_ep_begin(ds_bctx *c, ds_err *err) {
    int m = ds_entrypoint_mode_parse(c->o->entrypoint);
    if (m < 0) return ds_fail(err, "--entrypoint: auto, keep or flatten, got '%s'", c->o->entrypoint);
    c->ep = ds_xcalloc(1, sizeof *c->ep);
    c->ep->mode = m;
    c->ep->verdict = m == DS_EP_KEEP ? "kept (--entrypoint keep)" : "not a script";
    if (m != DS_EP_KEEP) {
        c->ep->upper = ds_xasprintf("%s/trace-upper", c->work);
        c->keep_upper = c->ep->upper;
    }
    return 0;
}

static void swap_in(ds_bctx *c) {
    struct ds_ep_state *s = c->ep;
    if (s->swapped) return;
    s->saved_cmd = c->cmd; s->saved_n_cmd = c->n_cmd;
    s->saved_env = c->env; s->saved_n_env = c->n_env;
    s->saved_workdir = c->cfg.working_dir;
    c->cmd = s->h.argv; c->n_cmd = s->h.argc;
    c->env = s->h.env; c->n_env = s->h.nenv;
    c->cfg.working_dir = s->h.cwd;
    s->swapped = true;
}

static void swap_out(ds_bctx *c) {
    struct ds_ep_state *s = c->ep;
    if (!s || !s->swapped) return;
    c->cmd = s->saved_cmd; c->n_cmd = s->saved_n_cmd;
    c->env = s->saved_env; c->n_env = s->saved_n_env;
    c->cfg.working_dir = s->saved_workdir;
    s->swapped = false;
}

const ds_trace *ds_ep_after_trace(ds_bctx *c, const ds_trace *trace, ds_err *err) {
    struct ds_ep_state *s = c->ep;
    c->keep_upper = NULL;
    if (!s || s->mode == DS_EP_KEEP) return trace;
    ds_handover_input in = {.volumes = c->cfg.volumes, .n_volumes = c->cfg.n_volumes, .config_env = c->cfg.env,
                            .n_config_env = c->cfg.n_env, .command = c->cmd, .n_command = c->n_cmd};
    ds_handover_analyze(trace, c->rootfs, &in, &s->h);
    s->analysed = true;
    if (!s->h.script) {
        if (s->mode == DS_EP_FLATTEN) {
            ds_fail(err, "--entrypoint flatten: the entry point %s is not a script handing over to a program",
                    c->n_cmd ? c->cmd[0] : "?");
            return NULL;
        }
        return trace;
    }
    if (s->h.flatten && !ds_exists(s->upper)) {
        free(s->h.why);
        s->h.why = ds_xstrdup("the trace run's changes to the tree could not be kept (a temporary directory on "
                              "another file system?): the script is kept");
        s->h.flatten = false;
    }
    if (!s->h.flatten) {
        if (s->mode == DS_EP_FLATTEN) {
            ds_fail(err, "--entrypoint flatten: cannot leave the script out: %s", s->h.why);
            return NULL;
        }
        s->verdict = "kept";
        return trace;
    }
    s->active = true;
    s->verdict = "flattened";
    snprintf(s->user, sizeof s->user, "%ld:%ld", s->h.uid, s->h.gid);
    ds_handover_view(trace, &s->h, &s->view);
    s->have_view = true;
    swap_in(c);
    ds_build_note(c, "entry point: %s hands over to %s; trying the result without the script (%zu file(s) it wrote "
                  "baked in)", s->h.script_path, s->h.final_path, s->h.nbaked);
    return &s->view;
}

const char *ds_ep_user(ds_bctx *c, const char *want) {
    if (!c->ep || !c->ep->active || strcmp(want, "auto")) return want;
    return c->ep->user;
}

bool ds_ep_bakes(const ds_bctx *c) { return c->ep && c->ep->active; }

int ds_ep_bake(ds_bctx *c, const char *tree, ds_err *err) {
    if (!ds_ep_bakes(c)) return 0;
    if (ds_handover_bake(&c->ep->h, c->ep->upper, tree, err) < 0) return ds_err_wrap(err, "--entrypoint");
    return 0;
}

void ds_ep_config(ds_bctx *c, json_t *rconfig) {
    struct ds_ep_state *s = c->ep;
    if (!s || !s->active) return;
    json_t *inner = json_object_get(rconfig, "config");
    if (!inner) { inner = json_object(); json_object_set_new(rconfig, "config", inner); }
    json_t *ep = json_array(), *env = json_array();
    for (size_t i = 0; i < s->h.argc; i++) json_array_append_new(ep, json_string(s->h.argv[i]));
    for (size_t i = 0; i < s->h.nenv; i++) json_array_append_new(env, json_string(s->h.env[i]));
    json_object_set_new(inner, "Entrypoint", ep);
    json_object_del(inner, "Cmd");
    json_object_set_new(inner, "Env", env);
    json_object_set_new(inner, "WorkingDir", json_string(s->h.cwd));
}

int ds_ep_fallback(ds_bctx *c, const char *failed, ds_err *err) {
    struct ds_ep_state *s = c->ep;
    if (!s || !s->active) return 0;
    if (s->mode == DS_EP_FLATTEN)
        return ds_fail(err, "--entrypoint flatten: the result without the script %s failed %s", s->h.script_path, failed);
    s->active = false;
    s->failed_test = ds_xstrdup(failed);
    s->verdict = "kept";
    free(s->h.why);
    s->h.why = ds_xasprintf("without the script %s the result failed %s: the script and what it needs are kept",
                            s->h.script_path, failed);
    swap_out(c);
    ds_build_note(c, "entry point: %s", s->h.why);
    return 1;
}

json_t *ds_ep_report(ds_bctx *c) {
    struct ds_ep_state *s = c->ep;
    if (!s) return NULL;
    return ds_handover_json(&s->h, mode_name(s->mode), s->verdict, s->failed_test);
}

char *ds_ep_summary(ds_bctx *c) {
    struct ds_ep_state *s = c->ep;
    if (!s || !s->h.script) return NULL;
    if (s->active) {
        char *line = ds_xasprintf("entry point flattened: %s -> %s as %s (%zu file(s) baked; shell left out)",
                                  s->h.script_path, s->h.final_path, s->user, s->h.nbaked);
        return line;
    }
    return ds_xasprintf("entry point script kept: %s", s->h.why ? s->h.why : "--entrypoint keep");
}

void ds_ep_end(ds_bctx *c) {
    struct ds_ep_state *s = c->ep;
    if (!s) return;
    swap_out(c);
    if (s->have_view) ds_handover_view_free(&s->view);
    ds_handover_free(&s->h);
    free(s->upper);
    free(s->failed_test);
    free(s);
    c->ep = NULL;
    c->keep_upper = NULL;
}
