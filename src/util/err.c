#include "util/err.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void vset(ds_err *err, const char *fmt, va_list ap) {
    if (!err) return;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int ds_fail(ds_err *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    if (err) err->code = 0;
    return -1;
}

int ds_fail_errno(ds_err *err, const char *fmt, ...) {
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    vset(err, fmt, ap);
    va_end(ap);
    if (err) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(e));
        err->code = e;
    }
    errno = e;
    return -1;
}

int ds_err_wrap(ds_err *err, const char *fmt, ...) {
    if (!err) return -1;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof err->msg - n - 3;
    size_t ol = strnlen(old, rest);
    memcpy(err->msg + n + 2, old, ol);
    err->msg[n + 2 + ol] = 0;
    return -1;
}

void ds_err_clear(ds_err *err) {
    if (err) { err->code = 0; err->msg[0] = 0; }
}

void ds_freep(void *p) { free(*(void **)p); }
void ds_fclosep(void *p) { FILE *f = *(FILE **)p; if (f) fclose(f); }
void ds_closep(int *fd) { if (*fd >= 0) close(*fd); }

static void (*oom_hook)(void);
void ds_oom_set_hook(void (*fn)(void)) { oom_hook = fn; }

static void oom(void) {
    if (oom_hook) oom_hook(); /* the CLI says it on stderr; library code never prints */
    abort();
}
void *ds_xmalloc(size_t n) { void *p = malloc(n ? n : 1); if (!p) oom(); return p; }
void *ds_xcalloc(size_t n, size_t m) { void *p = calloc(n ? n : 1, m ? m : 1); if (!p) oom(); return p; }
void *ds_xrealloc(void *p, size_t n) { p = realloc(p, n ? n : 1); if (!p) oom(); return p; }
char *ds_xstrdup(const char *s) { char *p = strdup(s ? s : ""); if (!p) oom(); return p; }
char *ds_xstrndup(const char *s, size_t n) { char *p = strndup(s, n); if (!p) oom(); return p; }
char *ds_xasprintf(const char *fmt, ...) {
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) oom();
    return s;
}
