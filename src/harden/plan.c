/* The plan: every change, recorded before anything is touched. */
#include <fnmatch.h>
#include <string.h>
#include "harden/harden_int.h"

hr_item *hr_plan_add(hr_ctx *c, const char *rule, const char *rel, ds_harden_action a, char *detail) {
    if (c->n_items == c->cap_items) {
        c->cap_items = c->cap_items ? c->cap_items * 2 : 64;
        c->items = ds_xrealloc(c->items, c->cap_items * sizeof *c->items);
    }
    hr_item *it = &c->items[c->n_items++];
    memset(it, 0, sizeof *it);
    it->rule = rule;
    it->rel = ds_xstrdup(rel);
    it->action = a;
    it->detail = detail ? detail : ds_xstrdup("");
    return it;
}

void hr_index_removed(hr_ctx *c) {
    free(c->removed);
    c->removed = ds_xcalloc(c->n_items + 1, sizeof *c->removed);
    c->n_removed = 0;
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].action == DS_HA_REMOVE) c->removed[c->n_removed++] = c->items[i].rel;
    qsort(c->removed, c->n_removed, sizeof *c->removed, hr_strcmp_p);
}

static bool in_sorted(char *const *v, size_t n, const char *s) {
    return n && bsearch(&s, v, n, sizeof *v, hr_strcmp_p) != NULL;
}

bool hr_planned_remove(const hr_ctx *c, const char *rel) {
    if (in_sorted(c->removed, c->n_removed, rel)) return true;
    char *p = ds_xstrdup(rel);
    bool hit = false;
    for (char *s = strrchr(p, '/'); s && !hit; s = strrchr(p, '/')) {
        *s = 0;
        hit = in_sorted(c->removed, c->n_removed, p);
    }
    free(p);
    return hit;
}

static bool has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

bool hr_allowed(const hr_ctx *c, const char *rel) {
    char *abs = ds_xasprintf("/%s", rel);
    bool yes = in_sorted(c->keep, c->n_keep, rel);
    for (size_t i = 0; i < c->o->n_allow && !yes; i++) {
        const char *pat = c->o->allow[i];
        if (!fnmatch(pat, abs, 0)) yes = true;
        /* A literal directory keeps everything below it. */
        else if (!has_glob(pat)) {
            size_t n = strlen(pat);
            while (n > 1 && pat[n - 1] == '/') n--;
            if (n > 1 && !strncmp(abs, pat, n) && abs[n] == '/') yes = true;
        }
    }
    free(abs);
    return yes;
}

bool hr_blocks_removal(const hr_ctx *c, const char *rel) {
    if (hr_allowed(c, rel)) return true;
    size_t n = strlen(rel);
    for (size_t i = 0; i < c->n_keep; i++)
        if (!strncmp(c->keep[i], rel, n) && c->keep[i][n] == '/') return true;
    for (size_t i = 0; i < c->o->n_allow; i++) {
        const char *pat = c->o->allow[i];
        if (pat[0] == '/' && !strncmp(pat + 1, rel, n) && pat[n + 1] == '/') return true;
    }
    return false;
}
