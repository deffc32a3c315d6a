/* Image users, resolved against the image's own passwd and group files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "build/build.h"

static bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++) if (*s < '0' || *s > '9') return false;
    return true;
}

/* Look up name (or uid text) in a colon file: field 0 name, 2 id, 3 gid. */
static int lookup(const char *root, const char *file, const char *key, bool by_id, uint32_t *id, uint32_t *gid) {
    char *path = ds_xasprintf("%s%s", root, file);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return -1;
    char line[1024];
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, f)) {
        char *fields[5] = {0}, *save = NULL, *p = line;
        line[strcspn(line, "\n")] = 0;
        for (int i = 0; i < 5; i++) {
            fields[i] = p;
            p = strchr(p, ':');
            if (!p) break;
            *p++ = 0;
        }
        (void)save;
        if (!fields[2]) continue;
        if (by_id ? !strcmp(fields[2], key) : !strcmp(fields[0], key)) {
            *id = (uint32_t)strtoul(fields[2], NULL, 10);
            if (gid && fields[3]) *gid = (uint32_t)strtoul(fields[3], NULL, 10);
            found = 0;
        }
    }
    fclose(f);
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
    char *path = ds_xasprintf("%s/etc/passwd", root);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return -1;
    char line[1024];
    int found = -1;
    while (found < 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *fields[7] = {0}, *p = line;
        int n = 0;
        while (n < 7) {
            fields[n++] = p;
            p = strchr(p, ':');
            if (!p) break;
            *p++ = 0;
        }
        if (n < 3 || !all_digits(fields[2]) || strtoul(fields[2], NULL, 10) != uid) continue;
        *name = ds_xstrdup(fields[0]);
        *home = ds_xstrdup(n >= 6 && *fields[5] ? fields[5] : "/");
        found = 0;
    }
    fclose(f);
    return found;
}

/* gids of the groups whose member list names `name`, in file order, each once. */
static void member_groups(const char *root, const char *name, ds_exec_user *u) {
    char *path = ds_xasprintf("%s/etc/group", root);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *fields[4] = {0}, *p = line;
        int n = 0;
        while (n < 4) {
            fields[n++] = p;
            p = strchr(p, ':');
            if (!p) break;
            *p++ = 0;
        }
        if (n < 4 || !all_digits(fields[2])) continue;
        bool member = false;
        for (char *m = fields[3], *next; m && !member; m = next) {
            next = strchr(m, ',');
            if (next) *next++ = 0;
            member = !strcmp(m, name);
        }
        if (!member) continue;
        uint32_t gid = (uint32_t)strtoul(fields[2], NULL, 10);
        bool dup = false;
        for (size_t i = 0; i < u->n_sgids; i++) dup |= u->sgids[i] == gid;
        if (dup) continue;
        u->sgids = ds_xrealloc(u->sgids, (u->n_sgids + 1) * sizeof *u->sgids);
        u->sgids[u->n_sgids++] = gid;
    }
    fclose(f);
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
