/* A growable vector of owned strings, always NULL-terminated (usable as an argv). The one
 * string vector of the library: scan's ds_strlist, elf's ds_dirlist, harden's path sets and
 * the runtime's argv builders are this. */
#ifndef DS_UTIL_STRVEC_H
#define DS_UTIL_STRVEC_H
#include <stdbool.h>
#include <stddef.h>

typedef struct ds_strvec {
    char **v; /* v[n] == NULL once anything was added */
    size_t n, cap;
} ds_strvec;

void ds_strvec_push(ds_strvec *s, const char *str);   /* a copy */
void ds_strvec_take(ds_strvec *s, char *str);         /* takes ownership of a malloc'd str */
void ds_strvec_pushf(ds_strvec *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ds_strvec_has(const ds_strvec *s, const char *str);
void ds_strvec_sort_unique(ds_strvec *s);             /* strcmp order, duplicates dropped */
bool ds_strvec_bsearch(const ds_strvec *s, const char *str); /* after ds_strvec_sort_unique */
void ds_strvec_free(ds_strvec *s);

#endif
