/* A set of absolute in-image paths, each with the reason it is there (first reason wins). */
#ifndef DS_MINIFY_PATHMAP_H
#define DS_MINIFY_PATHMAP_H
#include <stdbool.h>
#include <stddef.h>

typedef struct ds_pathmap_entry {
    char *path;
    char *reason;
} ds_pathmap_entry;

typedef struct ds_pathmap {
    ds_pathmap_entry *v; /* insertion order until ds_pathmap_sort */
    size_t n, cap;
    size_t *slots;       /* open addressing: index+1 into v, 0 = empty */
    size_t n_slots;
} ds_pathmap;

/* Adds path (copied) with reason (copied) unless present; returns true when added. */
bool ds_pathmap_add(ds_pathmap *m, const char *path, const char *reason);
const char *ds_pathmap_get(const ds_pathmap *m, const char *path); /* the reason, or NULL */
bool ds_pathmap_remove(ds_pathmap *m, const char *path);
void ds_pathmap_sort(ds_pathmap *m); /* by path (byte order); lookups still work */
void ds_pathmap_free(ds_pathmap *m);

#endif
