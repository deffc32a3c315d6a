#include "util/gz_cache.h"
#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "util/compress.h"
#include "util/err.h"

typedef struct piece {
    size_t len;
    uint32_t crc, adler;
    unsigned char *member;
    size_t member_len;
} piece;

struct ds_gz_cache {
    int level;
    pthread_mutex_t mu;
    piece *v;
    size_t n, cap;
};

ds_gz_cache *ds_gz_cache_new(int level) {
    ds_gz_cache *c = ds_xcalloc(1, sizeof *c);
    c->level = level;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void ds_gz_cache_free(ds_gz_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) free(c->v[i].member);
    free(c->v);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int ds_gz_cache_level(const ds_gz_cache *c) { return c->level; }

/* Under c->mu. A few dozen pieces per build: a scan is enough. */
static const piece *lookup(const ds_gz_cache *c, size_t len, uint32_t crc, uint32_t adler) {
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].len == len && c->v[i].crc == crc && c->v[i].adler == adler) return &c->v[i];
    return NULL;
}

int ds_gz_cache_add(ds_gz_cache *c, const void *raw, size_t len) {
    uint32_t crc = libdeflate_crc32(0, raw, len), adler = libdeflate_adler32(1, raw, len);
    pthread_mutex_lock(&c->mu);
    bool known = lookup(c, len, crc, adler) != NULL;
    pthread_mutex_unlock(&c->mu);
    if (known) return 0;
    piece p = {.len = len, .crc = crc, .adler = adler};
    if (ds_gz_member(raw, len, c->level, &p.member, &p.member_len) < 0) return -1;
    pthread_mutex_lock(&c->mu);
    if (lookup(c, len, crc, adler)) {
        free(p.member);
    } else {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->v = ds_xrealloc(c->v, c->cap * sizeof *c->v);
        }
        c->v[c->n++] = p;
    }
    pthread_mutex_unlock(&c->mu);
    return 0;
}

const void *ds_gz_cache_find(ds_gz_cache *c, const void *raw, size_t len, size_t *member_len) {
    *member_len = 0;
    pthread_mutex_lock(&c->mu);
    size_t n = c->n;
    pthread_mutex_unlock(&c->mu);
    if (!n) return NULL; /* nothing kept: no checksums to compute */
    uint32_t crc = libdeflate_crc32(0, raw, len), adler = libdeflate_adler32(1, raw, len);
    pthread_mutex_lock(&c->mu);
    const piece *p = lookup(c, len, crc, adler);
    const void *m = p ? p->member : NULL; /* members never move: only the array does */
    if (p) *member_len = p->member_len;
    pthread_mutex_unlock(&c->mu);
    return m;
}

void ds_gz_cache_stats(ds_gz_cache *c, size_t *pieces, size_t *bytes) {
    pthread_mutex_lock(&c->mu);
    size_t b = 0;
    for (size_t i = 0; i < c->n; i++) b += c->v[i].len;
    *pieces = c->n;
    *bytes = b;
    pthread_mutex_unlock(&c->mu);
}
