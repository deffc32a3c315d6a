#include "elf/ldcache.h"
#include <string.h>

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache"
#define NEW_VERSION "1.1"
#define EXT_MAGIC 0xeaa42174u
#define EXT_TAG_HWCAPS 1u
#define HWCAP_EXTENSION (1ull << 62)
#define NEW_HDR 48
#define NEW_ENT 24
#define OLD_HDR 16
#define OLD_ENT 12
#define MAX_ENTRIES (1u << 22)

typedef struct rd { const unsigned char *p; size_t len; int be; } rd;
static uint32_t g32(const rd *r, size_t off) {
    const unsigned char *q = r->p + off;
    return r->be ? (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3]
                 : (uint32_t)q[3] << 24 | (uint32_t)q[2] << 16 | (uint32_t)q[1] << 8 | q[0];
}
static uint64_t g64(const rd *r, size_t off) {
    return r->be ? (uint64_t)g32(r, off) << 32 | g32(r, off + 4) : (uint64_t)g32(r, off + 4) << 32 | g32(r, off);
}
/* A NUL-terminated string at `off` inside [base, len), or NULL. */
static const char *str_at(const char *data, size_t len, size_t base, uint64_t off) {
    if (off >= len - base) return NULL;
    const char *s = data + base + off;
    return memchr(s, 0, len - base - off) ? s : NULL;
}

int ds_ldcache_parse(const void *buf, size_t len, const char *name, ds_ldcache *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    size_t base = 0;
    const unsigned char *b = buf;
    if (len >= OLD_HDR && !memcmp(b, OLD_MAGIC, strlen(OLD_MAGIC))) {
        /* Old table first: skip it (the loader only reads the new one), then align to 8. */
        uint32_t n = (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 | (uint32_t)b[15] << 24;
        uint32_t nbe = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        if ((uint64_t)n * OLD_ENT > len) n = nbe;
        if ((uint64_t)n * OLD_ENT > len) return ds_fail(err, "%s: old-format table runs past the end", name);
        base = (OLD_HDR + (size_t)n * OLD_ENT + 7) & ~(size_t)7;
    }
    if (base > len || len - base < NEW_HDR || memcmp(b + base, NEW_MAGIC, 17) || memcmp(b + base + 17, NEW_VERSION, 3))
        return ds_fail(err, "%s: not a glibc-ld.so.cache1.1 file", name);
    rd r = {b, len, 0};
    uint8_t endian = b[base + 28];
    if (endian == 3) r.be = 1;
    else if (endian != 2) {
        /* Unknown byte order (written by an old ldconfig): pick the one whose count fits. */
        uint32_t n = g32(&r, base + 20);
        if ((uint64_t)n * NEW_ENT > len - base - NEW_HDR) r.be = 1;
    }
    uint32_t nlibs = g32(&r, base + 20);
    uint32_t ext = g32(&r, base + 32);
    if (nlibs > MAX_ENTRIES || (uint64_t)nlibs * NEW_ENT > len - base - NEW_HDR)
        return ds_fail(err, "%s: %u entries do not fit in %zu bytes", name, nlibs, len);
    out->data = ds_xmalloc(len + 1);
    memcpy(out->data, buf, len);
    out->data[len] = 0;
    out->len = len;
    r.p = (const unsigned char *)out->data;
    /* The glibc-hwcaps extension: names of subdirectories that entries refer to by index. */
    const char **hw = NULL;
    uint32_t n_hw = 0;
    if (ext && ext <= len - base && len - base - ext >= 8 && g32(&r, base + ext) == EXT_MAGIC) {
        uint32_t count = g32(&r, base + ext + 4);
        for (uint32_t i = 0; i < count && i < 64; i++) {
            size_t so = base + ext + 8 + (size_t)i * 16;
            if (so > len || len - so < 16) break;
            uint32_t tag = g32(&r, so), off = g32(&r, so + 8), size = g32(&r, so + 12);
            if (tag != EXT_TAG_HWCAPS || off > len - base || size > len - base - off || size % 4) continue;
            n_hw = size / 4;
            hw = ds_xcalloc(n_hw ? n_hw : 1, sizeof *hw);
            for (uint32_t k = 0; k < n_hw; k++) hw[k] = str_at(out->data, len, base, g32(&r, base + off + k * 4));
            break;
        }
    }
    out->e = ds_xcalloc(nlibs ? nlibs : 1, sizeof *out->e);
    for (uint32_t i = 0; i < nlibs; i++) {
        size_t eo = base + NEW_HDR + (size_t)i * NEW_ENT;
        ds_ldcache_entry *e = &out->e[out->n];
        e->flags = (int32_t)g32(&r, eo);
        e->key = str_at(out->data, len, base, g32(&r, eo + 4));
        e->value = str_at(out->data, len, base, g32(&r, eo + 8));
        uint64_t hwcap = g64(&r, eo + 16);
        if (!e->key || !e->value) continue; /* the loader skips entries with bad offsets */
        if ((hwcap >> 32) == (HWCAP_EXTENSION >> 32)) {
            uint32_t idx = (uint32_t)hwcap;
            if (idx >= n_hw || !hw[idx]) continue;
            e->hwcaps = hw[idx];
        } else {
            e->hwcap = hwcap;
        }
        out->n++;
    }
    free(hw);
    return 0;
}

void ds_ldcache_free(ds_ldcache *c) {
    free(c->data); free(c->e);
    memset(c, 0, sizeof *c);
}
