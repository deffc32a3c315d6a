/* /etc/ld.so.cache as glibc's loader reads it: the "glibc-ld.so.cache1.1" format
 * (alone or after the old "ld.so-1.7.0" table), with its glibc-hwcaps extension.
 * Every offset is checked; a cache in the other byte order is read as well. */
#ifndef DS_ELF_LDCACHE_H
#define DS_ELF_LDCACHE_H
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

typedef struct ds_ldcache_entry {
    int32_t flags;
    const char *key;    /* library name (soname) */
    const char *value;  /* in-image path */
    const char *hwcaps; /* glibc-hwcaps subdirectory name, or NULL for the baseline */
    uint64_t hwcap;     /* legacy hwcap bits (entries with these are skipped) */
} ds_ldcache_entry;

typedef struct ds_ldcache {
    char *data;
    size_t len;
    ds_ldcache_entry *e;
    size_t n;
} ds_ldcache;

int ds_ldcache_parse(const void *buf, size_t len, const char *name, ds_ldcache *out, ds_err *err);
void ds_ldcache_free(ds_ldcache *c);

#endif
