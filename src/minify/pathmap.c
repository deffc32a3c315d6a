#include "minify/pathmap.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/err.h"

static uint64_t hash(const char *s) { /* FNV-1a */
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void rehash(ds_pathmap *m) {
    free(m->slots);
    m->n_slots = m->n_slots ? m->n_slots * 2 : 256;
    m->slots = ds_xcalloc(m->n_slots, sizeof *m->slots);
    for (size_t i = 0; i < m->n; i++) {
        size_t s = hash(m->v[i].path) & (m->n_slots - 1);
        while (m->slots[s]) s = (s + 1) & (m->n_slots - 1);
        m->slots[s] = i + 1;
    }
}

static size_t *find_slot(const ds_pathmap *m, const char *path) {
    if (!m->n_slots) return NULL;
    size_t s = hash(path) & (m->n_slots - 1);
    while (m->slots[s]) {
        if (!strcmp(m->v[m->slots[s] - 1].path, path)) return &m->slots[s];
        s = (s + 1) & (m->n_slots - 1);
    }
    return NULL;
}

bool ds_pathmap_add(ds_pathmap *m, const char *path, const char *reason) {
    if (find_slot(m, path)) return false;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->v = ds_xrealloc(m->v, m->cap * sizeof *m->v);
    }
    m->v[m->n].path = ds_xstrdup(path);
    m->v[m->n].reason = ds_xstrdup(reason ? reason : "");
    m->n++;
    if (m->n * 2 > m->n_slots) rehash(m);
    else {
        size_t s = hash(path) & (m->n_slots - 1);
        while (m->slots[s]) s = (s + 1) & (m->n_slots - 1);
        m->slots[s] = m->n;
    }
    return true;
}

const char *ds_pathmap_get(const ds_pathmap *m, const char *path) {
    size_t *s = find_slot(m, path);
    return s ? m->v[*s - 1].reason : NULL;
}

bool ds_pathmap_remove(ds_pathmap *m, const char *path) {
    size_t *s = find_slot(m, path);
    if (!s) return false;
    size_t i = *s - 1;
    free(m->v[i].path);
    free(m->v[i].reason);
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof *m->v);
    m->n--;
    m->n_slots /= 2; /* rebuild at the same size */
    rehash(m);
    return true;
}

static int cmp(const void *a, const void *b) {
    return strcmp(((const ds_pathmap_entry *)a)->path, ((const ds_pathmap_entry *)b)->path);
}

void ds_pathmap_sort(ds_pathmap *m) {
    if (m->n) qsort(m->v, m->n, sizeof *m->v, cmp);
    if (m->n_slots) { m->n_slots /= 2; rehash(m); }
}

void ds_pathmap_free(ds_pathmap *m) {
    for (size_t i = 0; i < m->n; i++) { free(m->v[i].path); free(m->v[i].reason); }
    free(m->v);
    free(m->slots);
    memset(m, 0, sizeof *m);
}
