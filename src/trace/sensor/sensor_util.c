/* Allocation, messages and a string map for the sensor. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sensor.h"

char **g_warnings;
size_t g_nwarnings;

static void oom(void) {
    static const char m[] = "distill-sensor: out of memory\n";
    if (write(2, m, sizeof m - 1) < 0) {}
    _exit(125);
}
void *xmalloc(size_t n) { void *p = malloc(n ? n : 1); if (!p) oom(); return p; }
void *xcalloc(size_t n, size_t m) { void *p = calloc(n ? n : 1, m ? m : 1); if (!p) oom(); return p; }
void *xrealloc(void *p, size_t n) { p = realloc(p, n ? n : 1); if (!p) oom(); return p; }
char *xstrdup(const char *s) { char *p = strdup(s); if (!p) oom(); return p; }
char *xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) oom();
    va_end(ap);
    return s;
}

void warnx_(const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "distill-sensor: %s\n", buf);
}

void add_warning(const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < g_nwarnings; i++)
        if (!strcmp(g_warnings[i], buf)) return;
    if (g_nwarnings >= 100) return;
    fprintf(stderr, "distill-sensor: warning: %s\n", buf);
    g_warnings = xrealloc(g_warnings, (g_nwarnings + 2) * sizeof *g_warnings);
    g_warnings[g_nwarnings++] = xstrdup(buf);
    g_warnings[g_nwarnings] = NULL; /* written as a NULL-terminated list */
}

uint64_t hash_str(const char *s) { /* FNV-1a */
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ull; }
    /* murmur3 finalizer: FNV's low bits alone (the table index) cluster on similar paths */
    h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33; h *= 0xc4ceb53a185ec4ull; h ^= h >> 33;
    return h;
}

static void strmap_grow(strmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    char **nk = xcalloc(ncap, sizeof *nk);
    void **nv = xcalloc(ncap, sizeof *nv);
    uint64_t *nh = xcalloc(ncap, sizeof *nh);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = m->hashes[i] & (ncap - 1);
        while (nk[j]) j = (j + 1) & (ncap - 1);
        nk[j] = m->keys[i]; nv[j] = m->vals[i]; nh[j] = m->hashes[i];
    }
    free(m->keys); free(m->vals); free(m->hashes);
    m->keys = nk; m->vals = nv; m->hashes = nh; m->cap = ncap;
}

void **strmap_slot(strmap *m, const char *key, bool create) {
    if (!m->cap) { if (!create) return NULL; strmap_grow(m); }
    if (create && (m->len + 1) * 2 > m->cap) strmap_grow(m);
    uint64_t h = hash_str(key);
    size_t j = h & (m->cap - 1);
    while (m->keys[j]) {
        if (m->hashes[j] == h && !strcmp(m->keys[j], key)) return &m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!create) return NULL;
    m->keys[j] = xstrdup(key);
    m->vals[j] = NULL;
    m->hashes[j] = h;
    m->len++;
    return &m->vals[j];
}

void strmap_clear(strmap *m, void (*free_val)(void *)) {
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        free(m->keys[i]);
        if (free_val) free_val(m->vals[i]);
    }
    free(m->keys); free(m->vals); free(m->hashes);
    m->keys = NULL; m->vals = NULL; m->hashes = NULL; m->cap = m->len = 0;
}
