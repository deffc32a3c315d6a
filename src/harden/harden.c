/* ds_harden_tree: walk, plan every rule, check the entry point survives, apply, report. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "harden/harden_int.h"
#include "util/json_doc.h"
#include "util/path_json.h"

int ds_harden_profile_parse(const char *name, ds_harden_profile *out, ds_err *err) {
    if (!strcmp(name, "default")) { *out = DS_HARDEN_DEFAULT; return 0; }
    if (!strcmp(name, "strict")) { *out = DS_HARDEN_STRICT; return 0; }
    return ds_fail(err, "%s: unknown profile (expected default or strict)", name);
}

void ds_harden_opts_init(ds_harden_opts *o) { memset(o, 0, sizeof *o); }

const char *ds_harden_action_name(ds_harden_action a) {
    switch (a) {
    case DS_HA_REMOVE: return "remove";
    case DS_HA_CHMOD: return "chmod";
    case DS_HA_XATTR: return "remove-xattr";
    case DS_HA_EDIT: return "edit";
    case DS_HA_CREATE: return "create";
    }
    return "?";
}

void ds_harden_report_init(ds_harden_report *r) { memset(r, 0, sizeof *r); }

void ds_harden_report_free(ds_harden_report *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_changes; i++) {
        free(r->changes[i].path);
        free(r->changes[i].detail);
    }
    free(r->changes);
    free(r->user_name);
    free(r->config_user);
    for (size_t i = 0; i < r->n_warnings; i++) free(r->warnings[i]);
    free(r->warnings);
    free(r->shell_verdict);
    memset(r, 0, sizeof *r);
}

json_t *ds_harden_report_json(const ds_harden_report *r) {
    json_t *changes = json_array(), *summary = json_object();
    for (size_t i = 0; i < r->n_changes; i++) {
        const ds_harden_change *ch = &r->changes[i];
        /* Paths and details name files of the image: bytes, made JSON by ds_json_export. */
        json_array_append_new(changes, json_pack("{s:s, s:o, s:s, s:o}", "rule", ch->rule, DS_JK_PATH,
                                                 ds_json_bytes(ch->path), "action", ds_harden_action_name(ch->action),
                                                 "detail", ds_json_bytes(ch->detail)));
        json_t *n = json_object_get(summary, ch->rule);
        json_object_set_new(summary, ch->rule, json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    json_t *user = r->user_name ? json_pack("{s:o, s:I, s:I, s:o}", "name", ds_json_bytes(r->user_name), "uid",
                                            (json_int_t)r->uid, "gid", (json_int_t)r->gid, "config",
                                            ds_json_bytes(r->config_user))
                                : json_null();
    json_t *warnings = json_array();
    for (size_t i = 0; i < r->n_warnings; i++) json_array_append_new(warnings, ds_json_bytes(r->warnings[i]));
    json_t *j = json_pack("{s:b, s:o, s:o, s:o, s:o}", "applied", r->applied, "user", user, "summary", summary, "changes",
                          changes, "warnings", warnings);
    if (r->shell_verdict) json_object_set_new(j, "shell", ds_json_bytes(r->shell_verdict));
    ds_json_export(j);
    return j;
}

typedef struct { const hr_item *it; size_t idx; } sorted_item;
static int cmp_sorted(const void *a, const void *b) {
    const sorted_item *x = a, *y = b;
    int c = strcmp(x->it->rel, y->it->rel);
    return c ? c : (x->idx < y->idx ? -1 : 1);
}

static void fill_report(hr_ctx *c, ds_harden_report *rep) {
    sorted_item *s = ds_xcalloc(c->n_items + 1, sizeof *s);
    for (size_t i = 0; i < c->n_items; i++) s[i] = (sorted_item){&c->items[i], i};
    qsort(s, c->n_items, sizeof *s, cmp_sorted);
    rep->changes = ds_xcalloc(c->n_items + 1, sizeof *rep->changes);
    rep->cap = c->n_items;
    for (size_t i = 0; i < c->n_items; i++) {
        const hr_item *it = s[i].it;
        rep->changes[i] = (ds_harden_change){it->rule, ds_xasprintf("/%s", it->rel), it->action, ds_xstrdup(it->detail)};
    }
    rep->n_changes = c->n_items;
    free(s);
}

/* A literal --allow path keeps every link of the symlink chain it resolves through. */
static void chain_add(hr_ctx *c, const char *path, char ***v, size_t *n) {
    char *cur = ds_xstrdup(path);
    for (int hop = 0; hop < 40 && cur; hop++) {
        char *canon = hr_resolve(c, cur, false);
        free(cur);
        cur = NULL;
        if (!canon || !*canon) { free(canon); break; }
        *v = ds_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = ds_xstrdup(canon);
        const hr_entry *e = hr_find_entry(c, canon);
        if (e && S_ISLNK(e->st.st_mode)) {
            char *full = hr_full(c, canon);
            char buf[PATH_MAX];
            ssize_t k = readlink(full, buf, sizeof buf - 1);
            free(full);
            if (k > 0) {
                buf[k] = 0;
                if (buf[0] == '/') cur = ds_xstrdup(buf);
                else {
                    char *slash = strrchr(canon, '/');
                    cur = slash ? ds_xasprintf("/%.*s/%s", (int)(slash - canon), canon, buf) : ds_xasprintf("/%s", buf);
                }
            }
        }
        free(canon);
    }
    free(cur);
}

static void compute_keep(hr_ctx *c) {
    for (size_t i = 0; i < c->o->n_allow; i++) {
        const char *pat = c->o->allow[i];
        if (strpbrk(pat, "*?[")) continue;
        chain_add(c, pat, &c->keep, &c->n_keep);
    }
    if (c->n_keep) qsort(c->keep, c->n_keep, sizeof *c->keep, hr_strcmp_p);
}

static void ep_add(hr_ctx *c, const char *path) { chain_add(c, path, &c->ep_keep, &c->n_ep_keep); }

bool hr_entry_uses(const hr_ctx *c, const char *rel) {
    return c->n_ep_keep && bsearch(&rel, c->ep_keep, c->n_ep_keep, sizeof *c->ep_keep, hr_strcmp_p) != NULL;
}

static void ctx_free(hr_ctx *c) {
    for (size_t i = 0; i < c->n_ents; i++) free(c->ents[i].rel);
    free(c->ents);
    for (size_t i = 0; i < c->n_items; i++) {
        free(c->items[i].rel);
        free(c->items[i].detail);
        free(c->items[i].content);
    }
    free(c->items);
    free(c->removed);
    for (size_t i = 0; i < c->n_keep; i++) free(c->keep[i]);
    free(c->keep);
    for (size_t i = 0; i < c->n_ep_keep; i++) free(c->ep_keep[i]);
    free(c->ep_keep);
    free(c->root_real);
    ds_image_config_free(&c->cfg);
    ds_rp_close(&c->rp);
}

/* The config as given (the whole blob, or its "config" object) into c->cfg. */
static int parse_config(const json_t *cfg, ds_image_config *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    if (!cfg) return 0;
    if (json_object_get(cfg, "config")) return ds_image_config_parse(cfg, out, err);
    json_t *doc = json_pack("{s:O}", "config", (json_t *)cfg);
    int r = ds_image_config_parse(doc, out, err);
    json_decref(doc);
    return r;
}

int ds_harden_tree(const char *root, const ds_harden_opts *o, ds_harden_report *rep, ds_err *err) {
    hr_ctx c = {.root = root, .o = o, .rp = {.fd = -1}};
    int rc = -1;
    ds_harden_report_free(rep);
    c.root_real = realpath(root, NULL);
    if (!c.root_real) return ds_fail_errno(err, "%s", root);
    if (parse_config(o->config, &c.cfg, err) < 0) goto out;
    ds_err oe;
    if (ds_rp_open(&c.rp, c.root_real, &oe) < 0) {
        errno = oe.code;
        ds_fail_errno(err, "%s: open", root);
        goto out;
    }
    if (hr_walk(&c, err) < 0) goto out;
    compute_keep(&c);
    hr_entrypoint_programs(&c, ep_add);
    if (c.n_ep_keep) qsort(c.ep_keep, c.n_ep_keep, sizeof *c.ep_keep, hr_strcmp_p);
    if (hr_plan_files(&c, err) < 0) goto out;
    hr_index_removed(&c);
    if (hr_plan_dpkg(&c, err) < 0) goto out;
    if (hr_plan_accounts(&c, rep, err) < 0) goto out;
    hr_index_removed(&c);
    fill_report(&c, rep);
    hr_warn_nonroot(&c, rep);
    if (hr_check_entrypoint(&c, err) < 0) goto out;
    if (!o->dry_run) {
        if (hr_apply(&c, err) < 0) { ds_err_wrap(err, "harden %s", root); goto out; }
        rep->applied = true;
    }
    rc = 0;
out:
    ctx_free(&c);
    return rc;
}
