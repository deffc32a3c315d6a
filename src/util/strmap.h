/* A small string-keyed hash map (open addressing, keys copied), shared by every module.
 */
#ifndef DS_UTIL_STRMAP_H
#define DS_UTIL_STRMAP_H
#include <stddef.h>

typedef struct ds_strmap_slot {
    char *key;   /* NULL = empty */
    void *value;
} ds_strmap_slot;

typedef struct ds_strmap {
    ds_strmap_slot *slots;
    size_t cap, len;
} ds_strmap;

void ds_strmap_init(ds_strmap *m);
/* Frees keys; values are freed with free_value when not NULL. */
void ds_strmap_free(ds_strmap *m, void (*free_value)(void *));
void *ds_strmap_get(const ds_strmap *m, const char *key);
int ds_strmap_has(const ds_strmap *m, const char *key);
/* Value for key; *found says whether the key is present (values may be NULL). */
void *ds_strmap_find(const ds_strmap *m, const char *key, int *found);
/* Insert or replace; returns the slot (its key is the map's copy). */
ds_strmap_slot *ds_strmap_put(ds_strmap *m, const char *key, void *value);
/* Iterate: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].key) ... */

#endif
