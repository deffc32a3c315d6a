/* Image users, resolved against the image's own passwd and group files. */
#include <stdio.h>
#include <stdlib.h>
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

/* The passwd entry with uid `uid`: name and home (malloc'd), 0; -1 when there is none. */
static int passwd_by_uid(const char *root, uint32_t uid, char **name, char **home) {
    ds_passwd_file t;
    ds_err e;
    if (ds_passwd_read(root, "/etc/passwd", 3, &t, &e) < 0) return -1;
    int found = -1;
    for (size_t i = 0; i < t.n && found < 0; i++) {
        const ds_passwd_row *r = &t.rows[i];
        unsigned v;
        if (r->nf < 3 || ds_passwd_id(r->f[DS_PW_UID], &v) < 0 || v != uid) continue;
        *name = ds_xstrdup(r->f[DS_PW_NAME]);
        *home = ds_xstrdup(r->nf > DS_PW_HOME && *r->f[DS_PW_HOME] ? r->f[DS_PW_HOME] : "/");
        found = 0;
    }
    ds_passwd_free(&t);
    return found;
}

/* gids of the groups whose member list names `name`, in file order, each once. */
static void member_groups(const char *root, const char *name, ds_exec_user *u) {
    ds_passwd_file t;
    ds_err e;
    if (ds_passwd_read(root, "/etc/group", 4, &t, &e) < 0) return;
    for (size_t i = 0; i < t.n; i++) {
        const ds_passwd_row *r = &t.rows[i];
        unsigned gid;
        if (r->nf < 4 || ds_passwd_id(r->f[DS_GR_GID], &gid) < 0) continue;
        bool member = false;
        for (const char *m = r->f[DS_GR_MEMBERS]; m && *m && !member;) {
            size_t l = strcspn(m, ",");
            member = l == strlen(name) && !strncmp(m, name, l);
            m = m[l] ? m + l + 1 : NULL;
        }
        if (!member) continue;
        bool dup = false;
        for (size_t k = 0; k < u->n_sgids; k++) dup |= u->sgids[k] == gid;
        if (dup) continue;
        u->sgids = ds_xrealloc(u->sgids, (u->n_sgids + 1) * sizeof *u->sgids);
        u->sgids[u->n_sgids++] = gid;
    }
    ds_passwd_free(&t);
}

int ds_exec_user_resolve(const char *root, const char *spec, ds_exec_user *out, ds_err *err) {
    memset(out, 0, sizeof *out);
    if (ds_user_resolve(root, spec, &out->uid, &out->gid, err) < 0) return -1;
    char *name = NULL;
    if (passwd_by_uid(root, out->uid, &name, &out->home) < 0) out->home = ds_xstrdup("/");
    /* An explicit group ("user:group") means that group alone, as in runc. */
    if (name && !(spec && strchr(spec, ':'))) member_groups(root, name, out);
    free(name);
    return 0;
}

void ds_exec_user_free(ds_exec_user *u) {
    free(u->sgids);
    free(u->home);
    memset(u, 0, sizeof *u);
}
