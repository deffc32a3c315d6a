/* Near matches for an image name an engine does not have: the other tags of the
 * same repository first (what a typo in the tag wants), else names within a small
 * edit distance of the repository, or containing it. Names are compared after
 * docker.io/library normalisation, shown as the engine spells them. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "image/docker_archive.h"
#include "image/engine.h"

/* "docker.io/library/app:src" -> repo "app" (familiar form), tag "src". */
static void split(const char *name, char **repo, char **tag) {
    char *n = ds_docker_normalize_name(name);
    char *at = strchr(n, '@');
    if (at) *at = 0;
    const char *ls = strrchr(n, '/');
    char *c = strrchr(ls ? ls : n, ':');
    *tag = ds_xstrdup(c ? c + 1 : "");
    if (c) *c = 0;
    const char *r = n;
    if (!strncmp(r, "docker.io/library/", 18)) r += 18;
    else if (!strncmp(r, "docker.io/", 10)) r += 10;
    else if (!strncmp(r, "localhost/", 10)) r += 10;
    *repo = ds_xstrdup(r);
    free(n);
}

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 256 || lb > 256) return (size_t)-1;
    size_t prev[257], cur[257];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof *cur);
    }
    return prev[lb];
}

typedef struct { const char *name; size_t score; } cand;

static int by_score(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return strcmp(x->name, y->name);
}

char *ds_engine_near_matches(const char *want, const char *const *names, size_t n, size_t max, bool *same_repo) {
    char *wr, *wt;
    split(want, &wr, &wt);
    cand *same = ds_xcalloc(n ? n : 1, sizeof *same), *near = ds_xcalloc(n ? n : 1, sizeof *near);
    size_t ns = 0, nn = 0;
    size_t lim = strlen(wr) / 4 > 2 ? strlen(wr) / 4 : 2;
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !*names[i] || strstr(names[i], "<none>")) continue;
        char *r, *t;
        split(names[i], &r, &t);
        if (!strcmp(r, wr)) {
            if (strcmp(t, wt)) same[ns++] = (cand){names[i], edit_distance(t, wt)};
        } else {
            size_t d = edit_distance(r, wr);
            bool contains = strlen(wr) >= 3 && (strstr(r, wr) || strstr(wr, r));
            if (d <= lim || contains) near[nn++] = (cand){names[i], contains && d > lim ? lim + 1 : d};
        }
        free(r); free(t);
    }
    if (same_repo) *same_repo = ns > 0;
    cand *use = ns ? same : near;
    size_t nu = ns ? ns : nn;
    qsort(use, nu, sizeof *use, by_score);
    size_t cap = 64, len = 0;
    char *out = ds_xmalloc(cap);
    out[0] = 0;
    for (size_t i = 0; i < nu && i < max; i++) {
        /* The same name can come twice (an image with several tags lists each). */
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++) dup = !strcmp(use[k].name, use[i].name);
        if (dup) continue;
        size_t need = len + strlen(use[i].name) + 3;
        if (need > cap) { cap = need * 2; out = ds_xrealloc(out, cap); }
        len += (size_t)sprintf(out + len, "%s%s", len ? ", " : "", use[i].name);
    }
    free(same); free(near); free(wr); free(wt);
    return out;
}

char *ds_engine_near_text(const char *want, const char *const *names, size_t n, size_t n_images) {
    bool same = false;
    char *m = ds_engine_near_matches(want, names, n, 8, &same);
    char *out = *m ? ds_xasprintf(" (%s: %s)", same ? "other tags" : "similar names", m)
                   : ds_xasprintf(" (none of its %zu images has a similar name)", n_images);
    free(m);
    return out;
}

char *ds_engine_near_json(const char *want, const char *list, size_t len, const char *key) {
    json_t *j = json_loadb(list, len, 0, NULL);
    size_t cap = 16, n = 0, i, k;
    const char **names = ds_xcalloc(cap, sizeof *names);
    json_t *img, *t;
    json_array_foreach(j, i, img) {
        json_array_foreach(json_object_get(img, key), k, t) {
            if (!json_is_string(t)) continue;
            if (n == cap) { cap *= 2; names = ds_xrealloc(names, cap * sizeof *names); }
            names[n++] = json_string_value(t);
        }
    }
    char *out = ds_engine_near_text(want, names, n, json_array_size(j));
    free(names);
    json_decref(j);
    return out;
}
