/* Colon files (passwd, group, shadow) from an image's tree; see passwd.h. */
#include "fs/passwd.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs/root_path.h"
#include "util/fsutil.h"

void ds_passwd_parse(const char *data, size_t len, int min_fields, ds_passwd_file *out) {
    memset(out, 0, sizeof *out);
    out->present = true;
    size_t cap = 0;
    for (size_t off = 0; data && off < len;) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - (data + off)) : len - off;
        const char *l = data + off;
        off += ll + (nl ? 1 : 0);
        if (ll == 0) continue;
        if (out->n == cap) { cap = cap ? cap * 2 : 32; out->rows = ds_xrealloc(out->rows, cap * sizeof *out->rows); }
        ds_passwd_row *r = &out->rows[out->n++];
        memset(r, 0, sizeof *r);
        r->line = ds_xstrndup(l, ll); /* a NUL byte ends the line */
        if (!r->line[0]) { free(r->line); out->n--; continue; } /* blank once cut */
        if (r->line[0] == '#') continue;
        r->buf = ds_xstrdup(r->line);
        char *p = r->buf;
        while (r->nf < DS_PASSWD_MAXF) {
            r->f[r->nf++] = p;
            if (r->nf == DS_PASSWD_MAXF) break;
            p = strchr(p, ':');
            if (!p) break;
            *p++ = 0;
        }
        if (r->nf < min_fields) {
            r->nf = 0;
            memset(r->f, 0, sizeof r->f);
        }
    }
}

int ds_passwd_read(const char *root, const char *path, int min_fields, ds_passwd_file *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    ds_rp rp;
    if (ds_rp_open(&rp, root, err) < 0) return -1;
    /* O_NONBLOCK: a FIFO planted at /etc/passwd must not hang the run. */
    int fd = ds_rp_open_at(&rp, path, O_RDONLY | O_NONBLOCK, 0);
    int e = errno;
    ds_rp_close(&rp);
    if (fd < 0) {
        if (e == ENOENT || e == ENOTDIR || e == ELOOP || e == EXDEV) return 0; /* no such file in the image */
        errno = e;
        return ds_fail_errno(err, "%s (in %s)", path, root);
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) { close(fd); return 0; }
    char *data = NULL;
    size_t len = 0;
    int rc = ds_read_fd(fd, path, &data, &len, DS_PASSWD_MAX_BYTES, err);
    close(fd);
    if (rc < 0) return -1;
    ds_passwd_parse(data, len, min_fields, out);
    free(data);
    return 0;
}

void ds_passwd_free(ds_passwd_file *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->rows[i].line);
        free(t->rows[i].buf);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

ds_passwd_row *ds_passwd_find(const ds_passwd_file *t, int field, const char *val) {
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].nf > field && !strcmp(t->rows[i].f[field], val)) return &t->rows[i];
    return NULL;
}

int ds_passwd_id(const char *s, unsigned *id) {
    if (!s || !*s || strlen(s) > 10) return -1;
    unsigned long long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > 0xffffffffULL) return -1;
    *id = (unsigned)v;
    return 0;
}
