/* The one reader of colon files: /etc/passwd, /etc/group, /etc/shadow, /etc/gshadow, read
 * from an image's tree through fs/root_path (a symlink planted at /etc/passwd resolves inside
 * the root, never to this machine's file; a FIFO does not hang; only a regular file is read).
 * Hostile input is expected: lines of any length, missing fields, no newline at the end,
 * NUL bytes, comments. Every line is kept (so an editor can write the file back); a line
 * with fewer than min_fields fields, a comment or a blank line has nf = 0. */
#ifndef DS_FS_PASSWD_H
#define DS_FS_PASSWD_H
#include <stdbool.h>
#include <stddef.h>
#include "util/err.h"

#define DS_PASSWD_MAXF 12         /* fields kept per line; the rest stay joined in the last */
#define DS_PASSWD_MAX_BYTES (64u << 20)

typedef struct ds_passwd_row {
    char *line;                   /* the line as read (no '\n'; cut at a NUL byte) */
    char *f[DS_PASSWD_MAXF];      /* fields; an editor may point them elsewhere */
    int nf;
    char *buf;                    /* owns the field strings */
} ds_passwd_row;

typedef struct ds_passwd_file {
    ds_passwd_row *rows;
    size_t n;
    bool present;                 /* the file exists (and is a regular file) */
} ds_passwd_file;

/* Split data[0..len) into rows. Blank lines are dropped. */
void ds_passwd_parse(const char *data, size_t len, int min_fields, ds_passwd_file *out);
/* path ("/etc/passwd") inside the tree at root. A missing file (or one that is not a regular
 * file) is not an error: out->present is false. -1 only on a read error. */
int ds_passwd_read(const char *root, const char *path, int min_fields, ds_passwd_file *out, ds_err *err);
void ds_passwd_free(ds_passwd_file *t);

/* The first row whose field `field` is val, or NULL. */
ds_passwd_row *ds_passwd_find(const ds_passwd_file *t, int field, const char *val);

/* Field numbers. */
enum { DS_PW_NAME = 0, DS_PW_PASSWD = 1, DS_PW_UID = 2, DS_PW_GID = 3, DS_PW_GECOS = 4, DS_PW_HOME = 5, DS_PW_SHELL = 6 };
enum { DS_GR_NAME = 0, DS_GR_PASSWD = 1, DS_GR_GID = 2, DS_GR_MEMBERS = 3 };

/* A decimal id field (no sign, no spaces, fits 32 bits): 0 and *id, else -1. */
int ds_passwd_id(const char *s, unsigned *id);

#endif
