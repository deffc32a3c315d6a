/* A small string-keyed hash map (open addressing, keys copied). Used to remember
 * which paths a layer wrote (opaque dirs) and per-path layer statistics. */
#ifndef DS_FS_FSMAP_H
#define DS_FS_FSMAP_H
#include <stddef.h>

typedef struct ds_fsmap_slot {
    char *key;   /* NULL = empty */
    void *value;
} ds_fsmap_slot;

typedef struct ds_fsmap {
    ds_fsmap_slot *slots;
    size_t cap, len;
} ds_fsmap;

void ds_fsmap_init(ds_fsmap *m);
/* Frees keys; values are freed with free_value when not NULL. */
void ds_fsmap_free(ds_fsmap *m, void (*free_value)(void *));
void *ds_fsmap_get(const ds_fsmap *m, const char *key);
int ds_fsmap_has(const ds_fsmap *m, const char *key);
/* Insert or replace; returns the slot (its key is the map's copy). */
ds_fsmap_slot *ds_fsmap_put(ds_fsmap *m, const char *key, void *value);
/* Iterate: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].key) ... */

#endif
