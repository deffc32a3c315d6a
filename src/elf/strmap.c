#include "elf/strmap.h"
#include <stdint.h>
#include <string.h>
#include "util/err.h"

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ull; }
    return h;
}

void *ds_strmap_get(const ds_strmap *m, const char *key, int *found) {
    if (found) *found = 0;
    if (!m->cap) return NULL;
    for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return NULL;
        if (!strcmp(m->keys[i], key)) { if (found) *found = 1; return m->vals[i]; }
    }
}

static void insert(char **keys, void **vals, size_t cap, char *key, void *val) {
    size_t i = hash(key) & (cap - 1);
    while (keys[i]) i = (i + 1) & (cap - 1);
    keys[i] = key; vals[i] = val;
}

void ds_strmap_put(ds_strmap *m, const char *key, void *val) {
    if (m->cap) {
        for (size_t i = hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
            if (!strcmp(m->keys[i], key)) { m->vals[i] = val; return; }
    }
    if ((m->len + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        char **nk = ds_xcalloc(nc, sizeof *nk);
        void **nv = ds_xcalloc(nc, sizeof *nv);
        for (size_t i = 0; i < m->cap; i++) if (m->keys[i]) insert(nk, nv, nc, m->keys[i], m->vals[i]);
        free(m->keys); free(m->vals);
        m->keys = nk; m->vals = nv; m->cap = nc;
    }
    insert(m->keys, m->vals, m->cap, ds_xstrdup(key), val);
    m->len++;
}

void ds_strmap_free(ds_strmap *m, void (*free_val)(void *)) {
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        free(m->keys[i]);
        if (free_val) free_val(m->vals[i]);
    }
    free(m->keys); free(m->vals);
    memset(m, 0, sizeof *m);
}
