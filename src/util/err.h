/* Errors: library code never prints or exits. Every fallible function takes a
 * ds_err* and returns 0 on success or -1 with a one-line message in err->msg
 * that names the input and the reason. Only src/cli/ prints the message. */
#ifndef DS_UTIL_ERR_H
#define DS_UTIL_ERR_H
#include <stdarg.h>
#include <stdlib.h>

typedef struct ds_err {
    int code;       /* an errno value when one caused it, else 0 */
    char msg[1024];
} ds_err;

/* Set the message (printf-style) and return -1, so callers can `return ds_fail(...)`. */
int ds_fail(ds_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errno)" and keeping errno in err->code. */
int ds_fail_errno(ds_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix an existing message with context: "CONTEXT: old message". Returns -1. */
int ds_err_wrap(ds_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ds_err_clear(ds_err *err);

/* Scope-bound cleanup, as crun does: early returns do not leak. */
void ds_freep(void *p);
void ds_fclosep(void *p);
void ds_closep(int *fd);
#define DS_AUTOFREE __attribute__((cleanup(ds_freep)))
#define DS_AUTOCLOSE __attribute__((cleanup(ds_closep)))
#define DS_AUTOFCLOSE __attribute__((cleanup(ds_fclosep)))

/* Allocation that cannot fail silently: aborts on out-of-memory (the only exit in library code). */
void *ds_xmalloc(size_t n);
void *ds_xcalloc(size_t n, size_t m);
void *ds_xrealloc(void *p, size_t n);
char *ds_xstrdup(const char *s);
char *ds_xstrndup(const char *s, size_t n);
char *ds_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called (async-signal-safe code only) just before an allocation failure aborts. */
void ds_oom_set_hook(void (*fn)(void));

#endif
