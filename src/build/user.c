/* Image users, resolved against the image's own passwd and group files. */
#include <stdio.h>
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
