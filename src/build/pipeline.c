/* ds_build_run: the stages of `distill build`, from SRC to DST.
 *   open, unpack, trace (the app under the sensor, driven by its tests), closure, candidate
 *   (the minimal tree, optionally hardened), verify (the same tests plus the checks, on the
 *   candidate; --user auto tries nonroot first), write (only when everything passed). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "build/build_int.h"
#include "fs/unpack.h"
#include "harden/harden.h"
#include "image/blob.h"
#include "minify/minify.h"
#include "minify/packages.h"
#include "util/bg_rmtree.h"
#include "util/fsutil.h"
#include "util/gz_cache.h"

static const char *const stage_names[DS_STAGE_COUNT] = {"open",      "unpack", "trace", "closure",
                                                        "candidate", "verify", "write"};
const char *ds_build_stage_name(ds_build_stage s) { return s < DS_STAGE_COUNT ? stage_names[s] : "?"; }

void ds_build_opts_init(ds_build_opts *o) {
    memset(o, 0, sizeof *o);
    ds_opts_init(&o->topts);
    o->ready_timeout = 60;
    o->test_timeout = DS_TEST_TIMEOUT_DEFAULT;
    o->user = "auto";
}

void ds_build_result_free(ds_build_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_steps; i++) free(r->steps[i].command);
    free(r->steps);
    for (size_t i = 0; i < r->n_missing; i++) free(r->missing[i]);
    free(r->missing);
    free(r->user_reason);
    ds_build_filecaps_free(r->filecaps, r->n_filecaps);
    free(r->entrypoint_line);
    free(r->runtime_why);
    free(r);
}

static void stage(ds_bctx *c, ds_build_stage s, const char *what) {
    c->t_stage = ds_build_now();
    if (c->ev && c->ev->stage_start) c->ev->stage_start(c->ev->ctx, s, what);
}
static void stage_end(ds_bctx *c, ds_build_stage s) {
    double d = ds_build_now() - c->t_stage;
    c->res->seconds[s] += d;
    if (c->ev && c->ev->stage_end) c->ev->stage_end(c->ev->ctx, s, d);
}
static void warning(ds_bctx *c, const char *msg) {
    if (c->ev && c->ev->warning) c->ev->warning(c->ev->ctx, msg);
}

/* The work dir's child NAME-SUFFIX, SUFFIX the work dir's own random one (mkdtemp's). ext4's
 * Orlov allocator places a new directory of a top directory (the work dir is one:
 * ds_dir_spread_children) in the block group its name hashes to, and every inode under it
 * near there; with the same name each build, a tree lands where the last build's was just
 * removed, and without a journal ext4 steps over each inode freed in the last 5 s one by one
 * (recently_deleted()). PostgreSQL's candidate trees took 0.06-0.09 s instead of 0.045 back
 * to back. */
static char *work_child(const ds_bctx *c, const char *name) {
    const char *dash = strrchr(c->work, '-');
    return ds_xasprintf("%s/%s-%s", c->work, name, dash && !strchr(dash, '/') ? dash + 1 : "0");
}

static char *tree_path(const ds_bctx *c, int n) {
    char name[32];
    snprintf(name, sizeof name, "candidate-%d", n);
    return work_child(c, name);
}

static char *default_name(const char *ref) {
    const char *s = ref;
    const char *colon = strstr(s, "://");
    s = colon ? colon + 3 : (strchr(s, ':') ? strchr(s, ':') + 1 : s);
    const char *slash = strrchr(s, '/');
    if (slash && slash[1]) s = slash + 1;
    size_t n = strcspn(s, ":@");
    return ds_xstrndup(s, n);
}

static const char default_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void ds_build_env_and_command(ds_bctx *c) {
    c->env = ds_xcalloc(c->cfg.n_env + 2, sizeof *c->env);
    for (size_t i = 0; i < c->cfg.n_env; i++) c->env[c->n_env++] = c->cfg.env[i];
    if (!ds_image_config_env(&c->cfg, "PATH")) c->env[c->n_env++] = (char *)default_path;
    if (c->o->n_command) {
        c->cmd = ds_xcalloc(c->o->n_command + 1, sizeof *c->cmd);
        for (size_t i = 0; i < c->o->n_command; i++) c->cmd[c->n_cmd++] = c->o->command[i];
        return;
    }
    c->cmd = ds_xcalloc(c->cfg.n_entrypoint + c->cfg.n_cmd + 1, sizeof *c->cmd);
    for (size_t i = 0; i < c->cfg.n_entrypoint; i++) c->cmd[c->n_cmd++] = c->cfg.entrypoint[i];
    for (size_t i = 0; i < c->cfg.n_cmd; i++) c->cmd[c->n_cmd++] = c->cfg.cmd[i];
}

/* The config the result carries: the source's, with a command given after `--` as its
 * Entrypoint (what was traced and verified is what ships). */
static json_t *result_config(ds_bctx *c) {
    json_t *cfg = json_deep_copy(c->img->config);
    if (!c->o->n_command) return cfg;
    json_t *inner = json_object_get(cfg, "config");
    if (!inner) { inner = json_object(); json_object_set_new(cfg, "config", inner); }
    json_t *ep = json_array();
    for (size_t i = 0; i < c->o->n_command; i++) json_array_append_new(ep, json_string(c->o->command[i]));
    json_object_set_new(inner, "Entrypoint", ep);
    json_object_del(inner, "Cmd");
    return cfg;
}

static const ds_build_step *step_at(const ds_bctx *c, const ds_run_result *rr) {
    return rr->failed >= 0 ? &c->res->steps[rr->failed] : NULL;
}

/* "test `curl ...` failed (exit 7)" / "... timed out after 300 s" */
static char *describe(const ds_bctx *c, const ds_build_step *s) {
    if (s->timed_out) return ds_xasprintf("%s `%s` timed out after %g s", s->kind, s->command, c->o->test_timeout);
    return ds_xasprintf("%s `%s` failed (exit %d)", s->kind, s->command, s->exit);
}

/* The harden rules on the candidate; what the app ran is allowed to stay. */
static int harden_candidate(ds_bctx *c, const char *tree, const ds_closure *clo, const char *user,
                            json_t *rconfig, json_t **out, ds_err *err) {
    size_t nt = clo->n_used_tools;
    const char **allow = ds_xcalloc(nt + 1, sizeof *allow);
    for (size_t i = 0; i < nt; i++) allow[i] = clo->used_tools[i].path;
    ds_harden_opts ho;
    ds_harden_opts_init(&ho);
    ho.user = user;
    ho.config = rconfig;
    ho.allow = allow;
    ho.n_allow = nt;
    ho.keep_interpreters = true;
    ds_harden_report hrep;
    ds_harden_report_init(&hrep);
    int hr = ds_harden_tree(tree, &ho, &hrep, err);
    free(allow);
    if (hr == 0) *out = ds_harden_report_json(&hrep);
    ds_harden_report_free(&hrep);
    if (hr < 0) return ds_err_wrap(err, "--harden");
    (void)c;
    return 0;
}

/* A layer job whose tree is not published: cancelled (back once the tree is no longer read),
 * kept in old until its threads are done. */
static void retire_job(ds_candidate_job **job, ds_candidate_job ***old, size_t *n_old) {
    if (!*job) return;
    ds_candidate_job_cancel(*job);
    *old = ds_xrealloc(*old, (*n_old + 1) * sizeof **old);
    (*old)[(*n_old)++] = *job;
    *job = NULL;
}

/* The source user's candidate written ahead (its tree, its layer job) and not used: gone. */
static void drop_ahead(char **tree, ds_candidate_job **job, ds_candidate_job ***old, size_t *n_old) {
    retire_job(job, old, n_old);
    if (*tree) ds_rmtree(*tree, &(ds_err){0});
    free(*tree);
    *tree = NULL;
}

/* The candidate's layer for tree (run as user), written on its own thread from now on. */
static ds_candidate_job *start_layer(ds_bctx *c, const json_t *rconfig, const char *tree, const char *user) {
    ds_precompress_stop(c->precompress); /* the idle CPU is the layer job's from now on */
    return ds_candidate_job_start(c->img, rconfig, tree, user, c->o->topts.compress, c->work, c->o->out_dir != NULL,
                                  c->gz_cache);
}

/* The run user as the result's config spells it: the source's user by its own spelling when
 * going back to it, so a runtime gives it the supplementary groups of its name, as for the
 * source (a numeric uid:gid gets none). */
static void user_text(char *buf, size_t n, bool source_spelling, const char *src_user, uint32_t uid, uint32_t gid) {
    snprintf(buf, n, "%u:%u", uid, gid);
    if (source_spelling && src_user && *src_user && strlen(src_user) < n) snprintf(buf, n, "%s", src_user);
}

int ds_build_run_with(const ds_build_opts *o, const ds_runtime *rt, const ds_build_events *ev,
                      ds_build_result **out, ds_err *err) {
    *out = NULL;
    if (!o->src || !o->dst) return ds_fail(err, "SRC and DST are required");
    if (!(o->ready_timeout > 0)) return ds_fail(err, "the ready timeout must be a positive number of seconds");
    if (!(o->test_timeout >= 0)) return ds_fail(err, "the test timeout must be 0 (none) or a positive number of seconds");
    ds_build_result *res = ds_xcalloc(1, sizeof *res);
    res->runtime = ds_runtime_name(rt->kind);
    res->runtime_why = ds_xstrdup(rt->why ? rt->why : "");
    ds_bctx c = {.o = o, .ev = ev, .rt = rt, .res = res, .name = o->name, .tag = o->tag};
    ds_closure *clo = NULL;
    ds_trace *trace = NULL;
    json_t *seccomp = NULL, *harden_json = NULL, *rconfig = NULL;
    char *cand_tree = NULL, *fallback_why = NULL, *caps_why = NULL;
    ds_candidate cand = {0};
    /* The layer of the tree being verified, written meanwhile; those of failed verifies, until
     * their threads are done. */
    ds_candidate_job *cjob = NULL, **old_jobs = NULL;
    size_t n_old_jobs = 0;
    /* The source user's candidate, written beside nonroot's when nonroot looks sure to fail
     * (ds_build_nonroot_refused), and its layer job, started before nonroot's verify. */
    char *ahead_tree = NULL;
    ds_candidate_job *ahead_job = NULL;
    ds_bg_rmtree *tree_gone = NULL; /* nonroot's tree, removed while the source user's is verified */
    ds_source_scan_job *scan_job = NULL; /* the source's walk and package index, read during the trace */
    ds_pkgindex *pkgix = NULL;
    int n_trees = 0; /* candidate trees written, across the entry point fallback's second closure too */
    ds_run_result rr = {.failed = -1};
    ds_store_view sview = DS_STORE_VIEW_INIT; /* the source tree, when it comes from the layer store */
    int rc = -1;
    if (!c.name) c.name = c.name_alloc = default_name(o->src);
    double t0 = ds_build_now();
    /* ^C or a kill: src/cli/interrupt.c removes the work dir, or, while a container runs,
     * sets ds_interrupted so run_app stops and removes it and the overlay first. */

    /* 1. open */
    stage(&c, DS_STAGE_OPEN, o->src);
    if (ds_image_open(o->src, &o->topts, &c.img, err) < 0) goto fail;
    /* Refuse DST = SRC or DST inside SRC before minutes of tracing, not at publish time. */
    if (ds_dest_check(&c.img->ref, o->dst, err) < 0) goto fail;
    if (ds_image_config_parse(c.img->config, &c.cfg, err) < 0) { ds_err_wrap(err, "%s", o->src); goto fail; }
    snprintf(res->source_digest, sizeof res->source_digest, "%s", c.img->manifest_digest);
    stage_end(&c, DS_STAGE_OPEN);
    /* After the checks of SRC and DST, so that a bad input is one line. */
    if (rt->why) ds_build_note(&c, "runtime %s: %s", res->runtime, rt->why);
    /* {CONTAINER_TAG}: --tag, else the source's tag (an OCI ref name, a registry tag), else latest. */
    if (!c.tag) {
        const char *t = c.img->ref.tag;
        c.tag = t && *t ? t : "latest";
    }

    /* 2. unpack */
    stage(&c, DS_STAGE_UNPACK, "applying layers");
    if (ds_image_mkdtemp(&o->topts, "distill-build", &c.work, err) < 0) goto fail;
    chmod(c.work, 0755);
    ds_dir_spread_children(c.work); /* the source and candidate trees, away from the last build's */
    c.rootfs = work_child(&c, "source");
    ds_unpack_opts uo;
    ds_unpack_opts_default(&uo);
    uo.keep_owners = geteuid() == 0;
    if (ds_store_unpack(&o->topts, c.img, c.rootfs, c.work, false, &uo, &res->store, &sview, err) < 0) goto fail;
    stage_end(&c, DS_STAGE_UNPACK);

    ds_build_env_and_command(&c);
    if (!c.n_cmd) { ds_fail(err, "%s has no entrypoint or cmd: give the app's command after --", o->src); goto fail; }
    rconfig = result_config(&c);
    if (ds_ep_begin(&c, err) < 0) goto fail;
    c.probe_status = ds_xcalloc(c.cfg.n_tcp_ports + 1, sizeof *c.probe_status);
    const char *src_user = c.cfg.user;
    uint32_t suid, sgid;
    if (ds_user_resolve(c.rootfs, src_user, &suid, &sgid, err) < 0) goto fail;
    if (o->n_tests == 0) {
        char *w = c.cfg.n_tcp_ports
                      ? ds_xasprintf("no --test given: only probing %zu exposed port(s). Probes cover little; files "
                                     "needed by anything else the app does will be missing.", c.cfg.n_tcp_ports)
                      : ds_xstrdup("no --test and no exposed port: only checking that the app starts (or runs to "
                                   "completion); anything else it does is not covered.");
        warning(&c, w);
        free(w);
    }

    /* 3. trace; meanwhile, what the closure reads of the source alone */
    scan_job = ds_source_scan_start(c.rootfs, ds_keep_level_parse(o->keep_level ? o->keep_level : "package") ==
                                                  DS_KEEP_PACKAGE);
    /* and the members of the program's own files (precompress_job.c), for a gzip layer */
    ds_compress layer_comp = DS_COMPRESS_GZIP;
    if (o->topts.compress) ds_compress_parse(o->topts.compress, &layer_comp, &(ds_err){0});
    if (layer_comp == DS_COMPRESS_GZIP) {
        c.gz_cache = ds_gz_cache_new(DS_GZIP_LAYER_LEVEL);
        c.precompress = ds_precompress_start(c.rootfs, c.cmd[0], ds_image_config_env(&c.cfg, "PATH"),
                                             ds_image_config_env(&c.cfg, "LD_LIBRARY_PATH"), c.gz_cache);
    }
    stage(&c, DS_STAGE_TRACE, "running the source under the sensor");
    if (ds_build_run_app(&c, c.rootfs, src_user, true, "trace", NULL, &rr, err) < 0) goto fail;
    stage_end(&c, DS_STAGE_TRACE);
    if (rr.failures) {
        char *d = describe(&c, step_at(&c, &rr));
        ds_build_note(&c, "%s on the SOURCE image: fix the test or the image first; nothing written", d);
        free(d);
        res->failed = step_at(&c, &rr); /* steps no longer grow */
        res->outcome = DS_BUILD_SOURCE_FAILED;
        rc = 0;
        goto done;
    }
    trace = rr.trace;
    rr.trace = NULL;
    ds_run_result_clear(&rr);
    /* --entrypoint: the closure of the program the script hands over to, when it does. */
    const ds_trace *ctrace = ds_ep_after_trace(&c, trace, err);
    if (!ctrace) goto fail;
    ds_ep_config(&c, rconfig);

    /* 4. closure */
closure:
    drop_ahead(&ahead_tree, &ahead_job, &old_jobs, &n_old_jobs); /* written for the closure before */
    stage(&c, DS_STAGE_CLOSURE, "computing what the app needs");
    int level = ds_keep_level_parse(o->keep_level ? o->keep_level : "package");
    if (level < 0) { ds_fail(err, "--keep-level: package or file, got %s", o->keep_level); goto fail; }
    ds_minify_opts mo = {.keep_level = (ds_keep_level)level, .volumes = c.cfg.volumes, .n_volumes = c.cfg.n_volumes,
                         .ld_library_path = ds_image_config_env(&c.cfg, "LD_LIBRARY_PATH"),
                         .path_env = ds_image_config_env(&c.cfg, "PATH"), .command = c.cmd, .n_command = c.n_cmd,
                         .keep_globs = o->keep, .n_keep_globs = o->n_keep, .keep_packages = o->keep_packages,
                         .n_keep_packages = o->n_keep_packages, .keep_shell = o->keep_shell,
                         .workdir = c.cfg.working_dir};
    /* Read once: the package index, each candidate's package metadata and the report use it. */
    if (scan_job) {
        int sr = ds_source_scan_finish(scan_job, &c.scan, &pkgix, err);
        scan_job = NULL;
        if (sr < 0) goto fail;
    }
    if (!c.scan && ds_srcscan_load(c.rootfs, &c.scan, err) < 0) goto fail;
    mo.src_scan = c.scan;
    mo.pkgindex = pkgix;
    if (ds_closure_compute(c.rootfs, ctrace, &mo, &clo, err) < 0) goto fail;
    stage_end(&c, DS_STAGE_CLOSURE);
    char *kl_line = ds_keep_level_summary(clo);
    ds_build_note(&c, "%s", kl_line);
    free(kl_line);
    const char *arch = trace->arch && *trace->arch ? trace->arch : NULL;
    seccomp = ds_seccomp_profile(trace->syscalls, trace->nsyscalls, arch ? arch : c.img->arch);

    /* 5+6. candidate tree and verify; --user auto tries nonroot first. */
    const char *want_user = ds_ep_user(&c, o->user ? o->user : "auto");
    bool try_nonroot = !strcmp(want_user, "auto");
    uint32_t vuid = suid, vgid = sgid;
    const char *user_why = NULL;
    if (!try_nonroot) {
        if (!strcmp(want_user, DS_NONROOT_NAME)) { vuid = vgid = DS_NONROOT_UID; }
        else if (ds_user_resolve(c.rootfs, want_user, &vuid, &vgid, err) < 0) goto fail;
        user_why = o->user && want_user == o->user ? "--user" : "the user the entry point script handed over as";
    }
    bool passed = false;
    /* phase 0: nonroot (auto) or the given user; 1: nonroot again, with cap_net_bind_service on the
     * programs whose bind below 1024 was refused; 2: the source's user (auto only). */
    int phase = 0;
    bool shells_back = false;
    /* The setup and phase cand_tree was written with (-1: none, or for another closure). */
    ds_user_setup tree_us = {0};
    int tree_phase = -1;
    for (int attempt = 0; attempt < 3 && !passed; attempt++) {
        bool nonroot = try_nonroot && phase < 2;
        if (try_nonroot && phase == 2) { vuid = suid; vgid = sgid; }
        if (nonroot) { vuid = vgid = DS_NONROOT_UID; }
        user_text(res->user, sizeof res->user, try_nonroot && phase == 2, src_user, vuid, vgid);
        stage(&c, DS_STAGE_CANDIDATE, "writing the minimal tree");
        /* The source user's tree written ahead serves only the retry as that user after nonroot
         * failed, with the same closure. */
        bool use_ahead = ahead_tree && phase == 2 && tree_phase == 0;
        if (!use_ahead) drop_ahead(&ahead_tree, &ahead_job, &old_jobs, &n_old_jobs);
        ds_user_setup us = {.add_nonroot = vuid == DS_NONROOT_UID, .chown_written = vuid != 0,
                            .chown_uid = vuid, .chown_gid = vgid};
        /* Kept files as hard links to the source's own inodes: the runs see the tree through an
         * overlay with a private upper dir, and the layer writer only reads it. Not when
         * something changes files in place (--harden, the file capability of phase 1) or the
         * work dir outlives the build (--keep-work: someone could edit the store through it). */
        const char *plain_src[2] = {c.rootfs, NULL};
        if (!o->harden && phase != 1 && !o->keep_work)
            us.link_from = sview.mount ? (const char *const *)sview.layers : plain_src;
        /* Back to the source's user after nonroot failed: the nonroot tree (the runs never
         * write into it) retargeted in place, instead of thousands of inodes written again.
         * Not after phase 1's file capability, --harden or a baked entry point, which changed
         * files in it, nor for a closure computed again (tree_phase -1). */
        int wr = 1;
        if (use_ahead) {
            ds_bg_rmtree_join(tree_gone);
            tree_gone = ds_bg_rmtree_start(cand_tree);
            free(cand_tree);
            cand_tree = ahead_tree;
            ahead_tree = NULL;
            wr = 0;
        } else if (cand_tree && phase == 2 && tree_phase == 0 && !o->harden && !ds_ep_bakes(&c)) {
            wr = ds_closure_retarget_tree(c.rootfs, clo, &tree_us, &us, cand_tree, err);
        }
        if (wr < 0) goto fail;
        /* A source with a user who is not root goes back to that user when nonroot fails (no
         * traced run between). When the app read a file nonroot cannot, that is all but sure:
         * that user's tree is written first and its layer compressed from then on, during
         * nonroot's verify (for PostgreSQL, whose 130 MB layer takes longer than its verify
         * runs, that is what the build waited for); nonroot's tree is a clone of it (hard
         * links) given nonroot. Not where the retry writes a tree afresh (--harden, a baked
         * entry point). */
        char *refused = NULL;
        if (wr > 0 && nonroot && phase == 0 && suid != 0 && suid != DS_NONROOT_UID && !o->harden && !ds_ep_bakes(&c))
            refused = ds_build_nonroot_refused(c.rootfs, c.scan, ctrace, clo);
        if (wr > 0) {
            /* The previous attempt's tree goes only after this one is written: on ext4 without
             * a journal, creating inodes just after deleting thousands scans past every
             * recently freed one (recently_deleted()). */
            char *old_tree = cand_tree;
            cand_tree = NULL;
            if (refused) {
                ds_user_setup aus = {.chown_written = true, .chown_uid = suid, .chown_gid = sgid,
                                     .link_from = us.link_from};
                ahead_tree = tree_path(&c, n_trees++);
                wr = ds_closure_write_tree(c.rootfs, clo, &aus, ahead_tree, err);
                if (wr == 0) {
                    char auser[sizeof res->user];
                    user_text(auser, sizeof auser, true, src_user, suid, sgid);
                    ahead_job = start_layer(&c, rconfig, ahead_tree, auser);
                    cand_tree = tree_path(&c, n_trees++);
                    ds_err ce = {0};
                    int cr = ds_closure_clone_tree(clo, ahead_tree, cand_tree, &ce);
                    if (cr == 0) cr = ds_closure_retarget_tree(c.rootfs, clo, &aus, &us, cand_tree, &ce);
                    if (cr != 0) { /* only time was to be won: nonroot's tree written as it would be */
                        if (cr < 0)
                            ds_build_note(&c, "nonroot's candidate could not be cloned from the source user's "
                                          "(%s): written in full", ce.msg);
                        ds_rmtree(cand_tree, &(ds_err){0});
                        free(cand_tree);
                        cand_tree = NULL;
                    }
                }
                free(refused);
            }
            if (wr >= 0 && !cand_tree) {
                cand_tree = tree_path(&c, n_trees++); /* never the old one's name */
                wr = ds_closure_write_tree(c.rootfs, clo, &us, cand_tree, err);
            }
            if (old_tree) ds_rmtree(old_tree, &(ds_err){0});
            free(old_tree);
            if (wr < 0) goto fail;
        }
        tree_us = us;
        tree_phase = phase;
        if (ds_ep_bake(&c, cand_tree, err) < 0) goto fail;
        json_decref(harden_json);
        harden_json = NULL;
        if (o->harden && vuid == 0)
            harden_json = json_pack("{s:b, s:s}", "applied", 0, "why", "the run user is root: harden refuses it");
        else if (o->harden && harden_candidate(&c, cand_tree, clo, res->user, rconfig, &harden_json, err) < 0)
            goto fail;
        /* After the tree's chowns, which would clear a file capability, and after --harden,
         * whose file-capability rule would remove it. */
        if (phase == 1 && ds_build_bind_caps_apply(&c, cand_tree, err) < 0) goto fail;
        stage_end(&c, DS_STAGE_CANDIDATE);
        stage(&c, DS_STAGE_VERIFY, "running the candidate with the same tests");
        if (use_ahead) { /* compressed since nonroot's verify began */
            cjob = ahead_job;
            ahead_job = NULL;
        } else if (!ahead_job) {
            cjob = start_layer(&c, rconfig, cand_tree, res->user);
        }
        if (ds_build_run_app(&c, cand_tree, res->user, false, "verify", o->seccomp_verify ? seccomp : NULL, &rr,
                             err) < 0)
            goto fail;
        stage_end(&c, DS_STAGE_VERIFY);
        if (rr.failures) { /* the tree changes (or is traced) next: its layer is not needed */
            retire_job(&cjob, &old_jobs, &n_old_jobs);
        } else if (!cjob) { /* nonroot passed after all: its layer, now */
            drop_ahead(&ahead_tree, &ahead_job, &old_jobs, &n_old_jobs);
            cjob = start_layer(&c, rconfig, cand_tree, res->user);
        }
        if (rr.failures && clo->n_absent_shells && !shells_back) {
            /* Left out a shell the app ran only for programs the image lacks: that guess failed. */
            char *d = describe(&c, step_at(&c, &rr));
            ds_build_note(&c, "%s without the shell the app ran only for absent programs: retrying with it kept", d);
            free(d);
            ds_closure *again = NULL;
            mo.keep_absent_shells = true;
            if (ds_closure_compute(c.rootfs, ctrace, &mo, &again, err) < 0) goto fail;
            ds_closure_free(clo);
            clo = again;
            tree_phase = -1; /* cand_tree was written for the closure just freed */
            shells_back = true;
            ds_run_result_clear(&rr);
            attempt--;
            continue;
        }
        if (!rr.failures) {
            passed = true;
            if (nonroot && phase == 0) user_why = "nonroot passed every test";
            else if (nonroot) user_why = caps_why;
            else if (try_nonroot) user_why = fallback_why;
        } else if (nonroot && phase == 0 && suid != 0) {
            /* The source runs as a user that is not root: nonroot lacks none of its privileges
             * (a bind it could make, it made in the trace under the same runtime, and a file
             * capability stays on the program's inode), only its access to that user's own
             * files (PostgreSQL's 0700 data directory and 0600 config). Straight to the
             * source's user, without a traced run first: a file the candidate lacks fails as
             * that user too, and is named then by the same traced run. */
            char *d = describe(&c, step_at(&c, &rr));
            free(fallback_why);
            fallback_why = ds_xasprintf("as nonroot (65532) %s: using the source's user %s (not root: nonroot "
                                        "has no privilege it lacks, only no access to its files)", d, src_user);
            free(d);
            ds_build_note(&c, "%s", fallback_why);
            ds_run_result_clear(&rr);
            phase = 2;
        } else if (nonroot) {
            /* Missing files fail as any user: name them now instead of a pointless retry as the
             * source's user. Only a failure with nothing missing (a privilege nonroot lacks,
             * such as binding port 80) is retried. */
            char *d = describe(&c, step_at(&c, &rr));
            ds_build_note(&c, "as nonroot (65532) %s: tracing it to tell missing files from a missing privilege", d);
            ds_build_diagnose(&c, cand_tree, res->user);
            if (res->n_missing) {
                free(d);
                user_why = "nonroot failed on files the candidate lacked (a user change cannot fix that): "
                           "not retried as the source's user";
                break;
            }
            res->missing_known = false;
            if (phase == 0 && c.n_denied) {
                /* bind(port < 1024) refused: exactly those programs get the capability. */
                char *who = ds_build_bind_caps_describe(c.denied, c.n_denied);
                ds_build_note(&c, "as nonroot (65532) bind was refused (EACCES) for %s: retrying as nonroot "
                              "with the file capability cap_net_bind_service on %s", who,
                              c.n_denied == 1 ? "that program" : "those programs");
                free(caps_why);
                caps_why = ds_xasprintf("nonroot passed every test with the file capability cap_net_bind_service "
                                        "on %s (its bind was refused as nonroot)", who);
                free(who);
                free(d);
                ds_run_result_clear(&rr);
                phase = 1;
                continue;
            }
            /* The capability did not make it pass: the result does not carry it. */
            ds_build_filecaps_free(res->filecaps, res->n_filecaps);
            res->filecaps = NULL;
            res->n_filecaps = 0;
            free(fallback_why);
            fallback_why = ds_xasprintf("as nonroot (65532) %s: using the source's user %s", d,
                                        src_user && *src_user ? src_user : "root");
            free(d);
            ds_build_note(&c, "%s", fallback_why);
            ds_run_result_clear(&rr);
            phase = 2;
        } else {
            break;
        }
    }
    if (!passed) {
        /* Flattened and failing: once more with the entry point script (--entrypoint auto). */
        char *d = describe(&c, step_at(&c, &rr));
        int fb = ds_ep_fallback(&c, d, err);
        free(d);
        if (fb < 0) goto fail;
        if (fb > 0) {
            ds_run_result_clear(&rr);
            ds_closure_free(clo);
            clo = NULL;
            json_decref(rconfig);
            rconfig = result_config(&c);
            free(fallback_why);
            fallback_why = NULL;
            json_decref(seccomp);
            seccomp = NULL;
            ctrace = trace;
            goto closure;
        }
    }
    res->user_reason = ds_xstrdup(user_why ? user_why : "");
    res->entrypoint_line = ds_ep_summary(&c);
    if (!passed) {
        ssize_t failed_at = rr.failed;
        const ds_build_step *f = step_at(&c, &rr);
        ds_build_note(&c, "FAILED on the candidate: %s `%s` (%s%d); %s left untouched", f->kind, f->command,
                      f->timed_out ? "timed out, exit " : "exit ", f->exit, o->dst);
        /* Run it again under the sensor to name what it reached for and did not find
         * (done already when the nonroot run failed on missing files). */
        if (!res->missing_known) ds_build_diagnose(&c, cand_tree, res->user);
        if (res->missing_known && ev && ev->missing) ev->missing(ev->ctx, o->src, res->missing, res->n_missing);
        res->failed = &res->steps[failed_at];
        res->outcome = DS_BUILD_CANDIDATE_FAILED;
        goto report;
    }

    /* 7. write */
    stage(&c, DS_STAGE_WRITE, o->dst);
    {
        int jr = ds_candidate_job_finish(cjob, &cand, err);
        cjob = NULL;
        if (jr < 0) goto fail;
    }
    if (ds_candidate_publish(&cand, o->dst, &o->topts, err) < 0) goto fail;
    stage_end(&c, DS_STAGE_WRITE);
    snprintf(res->manifest_digest, sizeof res->manifest_digest, "%s", cand.manifest_digest);
    res->outcome = DS_BUILD_WRITTEN;

report:;
    double t_report = ds_build_now();
    if (c.scan) ds_tree_stats_from(&c.scan->tree, &res->before); /* the source's walk, taken once */
    else ds_tree_stats_of(c.rootfs, &res->before, &(ds_err){0});
    if (cand_tree) ds_tree_stats_of(cand_tree, &res->after, &(ds_err){0});
    res->used_bytes = ds_trace_used_bytes(c.rootfs, trace);
    if (o->out_dir &&
        ds_build_write_outputs(&c, clo, trace, seccomp, rconfig, harden_json, &cand, cand_tree, t_report, t0, err) < 0)
        goto fail;
    rc = 0;
    goto done;

fail:
    rc = -1;
done:
    /* Before the tree and the work dir go. */
    ds_candidate_job_free(cjob);
    ds_candidate_job_free(ahead_job);
    free(ahead_tree);
    ds_bg_rmtree_join(tree_gone);
    for (size_t i = 0; i < n_old_jobs; i++) ds_candidate_job_free(old_jobs[i]);
    free(old_jobs);
    ds_precompress_free(c.precompress); /* before the source tree goes; the jobs used the cache */
    ds_gz_cache_free(c.gz_cache);
    ds_run_result_clear(&rr);
    ds_store_view_release(&sview);
    ds_ep_end(&c);
    if (c.work) {
        if (o->keep_work) ds_build_note(&c, "work directory kept: %s", c.work);
        else ds_rmtree(c.work, &(ds_err){0});
    }
    ds_candidate_clear(&cand);
    ds_closure_free(clo);
    if (scan_job) { /* the build ended before its closure */
        ds_srcscan *s = NULL;
        ds_source_scan_finish(scan_job, &s, &pkgix, NULL);
        ds_srcscan_free(s);
    }
    if (pkgix) ds_pkgindex_free(pkgix);
    free(pkgix);
    ds_srcscan_free(c.scan);
    ds_trace_free(trace);
    json_decref(seccomp);
    json_decref(harden_json);
    json_decref(rconfig);
    if (c.img) ds_image_close(c.img);
    ds_image_config_free(&c.cfg);
    free(c.work); free(c.rootfs); free(c.probe_status); free(c.env); free(c.cmd);
    free(cand_tree); free(c.name_alloc); free(fallback_why); free(caps_why);
    ds_build_filecaps_free(c.denied, c.n_denied);
    if (rc < 0) ds_build_result_free(res);
    else *out = res;
    return rc;
}

int ds_build_runtime_open(const char *name, ds_runtime *rt, ds_err *err) {
    ds_runtime_kind kind;
    char *why = NULL;
    if (ds_runtime_pick(name, &kind, &why, err) < 0) return -1;
    if (geteuid() != 0 && (kind == DS_RT_RUNC || kind == DS_RT_CRUN)) {
        free(why);
        return ds_fail(err, "runc/crun need root here (or use --runtime podman or docker)");
    }
    if (ds_runtime_open(kind, rt, err) < 0) { free(why); return -1; }
    rt->why = why;
    return 0;
}

int ds_build_run(const ds_build_opts *o, const ds_build_events *ev, ds_build_result **out, ds_err *err) {
    *out = NULL;
    ds_runtime rt;
    if (ds_build_runtime_open(o->runtime, &rt, err) < 0) return -1;
    int r = ds_build_run_with(o, &rt, ev, out, err);
    ds_runtime_close(&rt);
    return r;
}
