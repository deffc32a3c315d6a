/* Line readers of the package databases (see pkgdb.h), and filters built on them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scan/pkgdb.h"
#include "util/err.h"

bool ds_control_next(const char *text, size_t len, size_t *pos, const char **ps, const char **pe) {
    const char *end = text + len, *p = text + *pos;
    while (p < end && (*p == '\n' || *p == '\r')) p++;
    if (p >= end) return false;
    const char *q = p;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (!nl) { q = end; break; }
        const char *nx = nl + 1;
        const char *r = nx;
        while (r < end && (*r == ' ' || *r == '\t' || *r == '\r')) r++;
        if (r >= end || *r == '\n') { q = nl; break; }
        q = nx;
    }
    *ps = p;
    *pe = q;
    *pos = (size_t)(q - text) + (q < end ? 1 : 0);
    return true;
}

/* Calls fn(line, line_len, arg) for each line of [text, text+len) (without '\n'). */
#define EACH_LINE(text, len, s, n, ...)                                    \
    for (const char *s = (text), *_e = (text) + (len); s < _e;) {          \
        const char *_nl = memchr(s, '\n', (size_t)(_e - s));               \
        size_t n = _nl ? (size_t)(_nl - s) : (size_t)(_e - s);             \
        __VA_ARGS__;                                                       \
        s += n + (_nl ? 1 : 0);                                            \
    }

void ds_dpkg_list_each(const char *text, size_t len, bool md5sums, ds_pkgdb_line_fn fn, void *arg) {
    EACH_LINE(text, len, s, n, {
        char *path = NULL;
        if (memchr(s, 0, n)) {
            /* a NUL inside a line cannot name a file */
        } else if (md5sums) {
            const char *sp = memchr(s, ' ', n);
            if (sp) {
                const char *f = sp;
                while (f < s + n && *f == ' ') f++;
                if (f < s + n) path = ds_xasprintf("%s%.*s", *f == '/' ? "" : "/", (int)(s + n - f), f);
            }
        } else if (n > 0 && !(n == 2 && !strncmp(s, "/.", 2))) {
            path = ds_xstrndup(s, n);
        }
        fn(path, s, n, arg);
        free(path);
    })
}

typedef struct filt {
    FILE *f;
    ds_pkgdb_keep_fn keep;
    void *arg;
    size_t kept, dropped;
} filt;

static void filt_line(const char *path, const char *line, size_t n, void *arg) {
    filt *x = arg;
    if (path) {
        if (!x->keep(path, x->arg)) { x->dropped++; return; }
        x->kept++;
    }
    fwrite(line, 1, n, x->f);
    fputc('\n', x->f);
}

static char *filt_run(filt *x, char **buf, size_t *blen, size_t *out_len, size_t *n_kept, size_t *n_dropped) {
    fclose(x->f);
    if (out_len) *out_len = *blen;
    if (n_kept) *n_kept = x->kept;
    if (n_dropped) *n_dropped = x->dropped;
    return *buf;
}

char *ds_dpkg_list_filter(const char *text, size_t len, bool md5sums, ds_pkgdb_keep_fn keep, void *arg,
                          size_t *out_len, size_t *n_kept, size_t *n_dropped) {
    char *buf = NULL;
    size_t blen = 0;
    filt x = {.f = open_memstream(&buf, &blen), .keep = keep, .arg = arg};
    if (!x.f) abort();
    ds_dpkg_list_each(text, len, md5sums, filt_line, &x);
    return filt_run(&x, &buf, &blen, out_len, n_kept, n_dropped);
}

void ds_apk_each(const char *text, size_t len, ds_apk_line_fn fn, void *arg) {
    char *dir = NULL, *file = NULL;
    bool in_record = false;
    EACH_LINE(text, len, s, n, {
        ds_apk_line l = {.line = s, .len = n};
        if (n == 0 || (n == 1 && *s == '\r')) {
            if (in_record) fn(&l, arg);
            in_record = false;
            free(dir); free(file);
            dir = file = NULL;
        } else {
            in_record = true;
            if (n >= 2 && s[1] == ':') {
                l.key = s[0] ? s[0] : '?';
                l.val = s + 2;
                l.val_len = n - 2;
                if (l.key == 'F') {
                    free(dir);
                    dir = ds_xstrndup(l.val, l.val_len); /* stops at a NUL */
                    free(file);
                    file = NULL;
                } else if (l.key == 'R') {
                    free(file);
                    file = memchr(l.val, 0, l.val_len) ? NULL /* a NUL in the name */
                           : ds_xasprintf("/%s%s%.*s", dir ? dir : "", dir && *dir ? "/" : "", (int)l.val_len, l.val);
                    l.file = file;
                } else if (l.key == 'a' || l.key == 'Z') {
                    l.file = file;
                } else {
                    free(file);
                    file = NULL;
                }
            } else {
                l.key = '?';
            }
            fn(&l, arg);
        }
    })
    if (in_record) {
        ds_apk_line l = {.line = text + len, .len = 0};
        fn(&l, arg);
    }
    free(dir);
    free(file);
}

typedef struct apkf {
    FILE *rec;          /* the record being read */
    char *rbuf;
    size_t rlen;
    FILE *out;
    ds_pkgdb_keep_fn keep;
    void *arg;
    bool drop_empty, skip_file, has_pkg;
    size_t rec_files, kept, dropped;
} apkf;

static void apkf_open(apkf *x) {
    x->rbuf = NULL;
    x->rlen = 0;
    x->rec = open_memstream(&x->rbuf, &x->rlen);
    if (!x->rec) abort();
    x->rec_files = 0;
    x->has_pkg = false;
    x->skip_file = false;
}

static void apkf_line(const ds_apk_line *l, void *arg) {
    apkf *x = arg;
    if (!x->rec) apkf_open(x);
    if (l->key == 0) {
        fclose(x->rec);
        x->rec = NULL;
        if (!x->drop_empty || (x->rec_files && x->has_pkg)) {
            fwrite(x->rbuf, 1, x->rlen, x->out);
            fputc('\n', x->out);
        }
        free(x->rbuf);
        x->rbuf = NULL;
        return;
    }
    if (l->key == 'R') {
        x->skip_file = !l->file || !x->keep(l->file, x->arg);
        if (x->skip_file) { x->dropped++; return; }
        x->kept++;
        x->rec_files++;
    } else if (l->key == 'a' || l->key == 'Z') {
        if (x->skip_file) return;
    } else {
        x->skip_file = false;
        if (l->key == 'P') x->has_pkg = true;
    }
    fwrite(l->line, 1, l->len, x->rec);
    fputc('\n', x->rec);
}

char *ds_apk_filter(const char *text, size_t len, ds_pkgdb_keep_fn keep, void *arg, bool drop_empty,
                    size_t *out_len, size_t *n_kept, size_t *n_dropped) {
    char *buf = NULL;
    size_t blen = 0;
    apkf x = {.out = open_memstream(&buf, &blen), .keep = keep, .arg = arg, .drop_empty = drop_empty};
    if (!x.out) abort();
    ds_apk_each(text, len, apkf_line, &x);
    if (x.rec) { fclose(x.rec); free(x.rbuf); }
    fclose(x.out);
    if (out_len) *out_len = blen;
    if (n_kept) *n_kept = x.kept;
    if (n_dropped) *n_dropped = x.dropped;
    return buf;
}

char *ds_path_normalize(const char *path) {
    char *out = ds_xmalloc(strlen(path) + 2);
    size_t n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 1 && p[0] == '.') {
        } else if (l == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/') n--;
            if (n > 0) n--;
        } else {
            out[n++] = '/';
            memcpy(out + n, p, l);
            n += l;
        }
        p += l;
    }
    if (n == 0) out[n++] = '/';
    out[n] = 0;
    return out;
}

void ds_python_record_each(const char *text, size_t len, const char *site, ds_pkgdb_line_fn fn, void *arg) {
    EACH_LINE(text, len, s, n, {
        char *path = NULL;
        if (n && s[0] != '"') {
            const char *comma = memchr(s, ',', n);
            size_t pl = comma ? (size_t)(comma - s) : n;
            while (pl && s[pl - 1] == '\r') pl--;
            if (pl && !memchr(s, 0, pl)) {
                char *abs = s[0] == '/' ? ds_xstrndup(s, pl) : ds_xasprintf("%s/%.*s", site, (int)pl, s);
                path = ds_path_normalize(abs);
                free(abs);
            }
        }
        fn(path, s, n, arg);
        free(path);
    })
}

char *ds_python_record_filter(const char *text, size_t len, const char *site, ds_pkgdb_keep_fn keep, void *arg,
                              size_t *out_len, size_t *n_kept, size_t *n_dropped) {
    char *buf = NULL;
    size_t blen = 0;
    filt x = {.f = open_memstream(&buf, &blen), .keep = keep, .arg = arg};
    if (!x.f) abort();
    ds_python_record_each(text, len, site, filt_line, &x);
    return filt_run(&x, &buf, &blen, out_len, n_kept, n_dropped);
}
