#include "util/strvec.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/err.h"

void ds_strvec_take(ds_strvec *s, char *str) {
    if (s->n + 2 > s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = ds_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
}

void ds_strvec_push(ds_strvec *s, const char *str) { ds_strvec_take(s, ds_xstrdup(str)); }

void ds_strvec_pushf(ds_strvec *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *str = NULL;
    if (vasprintf(&str, fmt, ap) < 0) abort();
    va_end(ap);
    ds_strvec_take(s, str);
}

bool ds_strvec_has(const ds_strvec *s, const char *str) {
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], str)) return true;
    return false;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void ds_strvec_sort_unique(ds_strvec *s) {
    if (!s->n) return;
    qsort(s->v, s->n, sizeof *s->v, cmp);
    size_t w = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (w && !strcmp(s->v[w - 1], s->v[i])) { free(s->v[i]); continue; }
        s->v[w++] = s->v[i];
    }
    s->n = w;
    s->v[w] = NULL;
}

bool ds_strvec_bsearch(const ds_strvec *s, const char *str) {
    return s->n && bsearch(&str, s->v, s->n, sizeof *s->v, cmp) != NULL;
}

void ds_strvec_free(ds_strvec *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}
