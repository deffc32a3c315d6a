/* Image users, resolved against the image's own passwd and group files. */
#include <stdio.h>
#include <string.h>
#include "build/build.h"
#include "fs/passwd.h"

static bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++) if (*s < '0' || *s > '9') return false;
    return true;
}

/* Look up name (or id text) in the image's colon file (in-root, fs/passwd.h): field 0 name,
 * 2 id, 3 gid. A row whose id is not a number is skipped (never read as 0, root). */
static int lookup(const char *root, const char *file, const char *key, bool by_id, uint32_t *id, uint32_t *gid) {
    ds_passwd_file t;
    ds_err e;
    if (ds_passwd_read(root, file, 3, &t, &e) < 0) return -1;
    int found = -1;
    for (size_t i = 0; i < t.n && found < 0; i++) {
        const ds_passwd_row *r = &t.rows[i];
        unsigned v;
        if (r->nf < 3 || strcmp(r->f[by_id ? 2 : 0], key) || ds_passwd_id(r->f[2], &v) < 0) continue;
        *id = v;
        if (gid && r->nf > 3 && ds_passwd_id(r->f[3], &v) == 0) *gid = v;
        found = 0;
    }
    ds_passwd_free(&t);
    return found;
}

int ds_user_resolve(const char *root, const char *spec, uint32_t *uid, uint32_t *gid, ds_err *err) {
    *uid = 0;
    *gid = 0;
    if (!spec || !*spec) return 0;
    char *u = ds_xstrdup(spec);
    char *g = strchr(u, ':');
    if (g) *g++ = 0;
    int r = 0;
    uint32_t pgid = 0;
    if (all_digits(u)) {
        *uid = (uint32_t)strtoul(u, NULL, 10);
        if (lookup(root, "/etc/passwd", u, true, &(uint32_t){0}, &pgid) == 0) *gid = pgid;
    } else if (lookup(root, "/etc/passwd", u, false, uid, &pgid) == 0) {
        *gid = pgid;
    } else {
        r = ds_fail(err, "user %s: not in the image's /etc/passwd", u);
    }
    if (r == 0 && g && *g) {
        if (all_digits(g)) *gid = (uint32_t)strtoul(g, NULL, 10);
        else if (lookup(root, "/etc/group", g, false, gid, NULL) < 0)
            r = ds_fail(err, "group %s: not in the image's /etc/group", g);
    }
    free(u);
    return r;
}
