#include "util/strmap.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/err.h"

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

void ds_strmap_init(ds_strmap *m) { memset(m, 0, sizeof *m); }

void ds_strmap_free(ds_strmap *m, void (*free_value)(void *)) {
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        free(m->slots[i].key);
        if (free_value) free_value(m->slots[i].value);
    }
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static ds_strmap_slot *find(const ds_strmap *m, const char *key) {
    if (!m->cap) return NULL;
    size_t i = hash_str(key) & (m->cap - 1);
    for (;;) {
        ds_strmap_slot *s = &m->slots[i];
        if (!s->key || !strcmp(s->key, key)) return s;
        i = (i + 1) & (m->cap - 1);
    }
}

void *ds_strmap_get(const ds_strmap *m, const char *key) {
    ds_strmap_slot *s = find(m, key);
    return s && s->key ? s->value : NULL;
}

int ds_strmap_has(const ds_strmap *m, const char *key) {
    ds_strmap_slot *s = find(m, key);
    return s && s->key;
}

static void grow(ds_strmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    ds_strmap_slot *old = m->slots;
    size_t ocap = m->cap;
    m->slots = ds_xcalloc(ncap, sizeof *m->slots);
    m->cap = ncap;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key) continue;
        *find(m, old[i].key) = old[i];
    }
    free(old);
}

ds_strmap_slot *ds_strmap_put(ds_strmap *m, const char *key, void *value) {
    if ((m->len + 1) * 4 >= m->cap * 3) grow(m);
    ds_strmap_slot *s = find(m, key);
    if (!s->key) { s->key = ds_xstrdup(key); m->len++; }
    s->value = value;
    return s;
}

void *ds_strmap_find(const ds_strmap *m, const char *key, int *found) {
    ds_strmap_slot *s = find(m, key);
    *found = s && s->key;
    return *found ? s->value : NULL;
}
