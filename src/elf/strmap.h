/* A small string-keyed hash map (open addressing) for the resolver's caches. */
#ifndef DS_ELF_STRMAP_H
#define DS_ELF_STRMAP_H
#include <stddef.h>

typedef struct ds_strmap {
    char **keys;
    void **vals;
    size_t cap, len;
} ds_strmap;

void *ds_strmap_get(const ds_strmap *m, const char *key, int *found);
/* Stores a copy of key; the value is owned by the caller. */
void ds_strmap_put(ds_strmap *m, const char *key, void *val);
/* Frees keys; calls free_val on each value when not NULL. */
void ds_strmap_free(ds_strmap *m, void (*free_val)(void *));

#endif
