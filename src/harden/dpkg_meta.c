/* Package metadata stays (scanners read it) but stops listing removed files:
 * var/lib/dpkg/info/PKG.list and PKG.md5sums, distroless' status.d/PKG.md5sums, and
 * apk's lib/apk/db/installed.
 * Packages stay in status even when only their directories and docs remain: dpkg
 * itself would still call them installed, and scanners see what is left. */
#include <stdio.h>
#include <string.h>
#include "harden/harden_int.h"

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static const char *base_of(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Is the listed path (absolute, or relative to the root for md5sums) a removed file? */
static bool listed_removed(hr_ctx *c, char **bases, size_t n_bases, const char *path) {
    const char *b = base_of(path);
    if (!bsearch(&b, bases, n_bases, sizeof *bases, hr_strcmp_p)) return false;
    char *canon = hr_resolve(c, path, false);
    bool gone = canon && hr_planned_remove(c, canon);
    free(canon);
    return gone;
}

/* Plan the rewritten metadata file `rel` (content out, owned by the plan from here on),
 * keeping the file's mode and owner; nothing when no line was dropped. Frees names. */
static void plan_edit(hr_ctx *c, const char *rel, char *out, size_t out_len, size_t dropped, char *names) {
    if (!dropped) { free(out); free(names); return; }
    hr_item *it = hr_plan_add(c, DS_HR_PKG_METADATA, rel, DS_HA_EDIT,
                              ds_xasprintf("%zu removed file%s no longer listed: %s%s", dropped, dropped == 1 ? "" : "s",
                                           names, dropped > 4 ? ", ..." : ""));
    free(names);
    const hr_entry *e = hr_find_entry(c, rel);
    it->content = out;
    it->content_len = out_len;
    it->mode = e ? e->st.st_mode & 07777 : 0644;
    it->uid = e ? e->st.st_uid : 0;
    it->gid = e ? e->st.st_gid : 0;
}

static void edit_one(hr_ctx *c, const char *rel, bool md5, char **bases, size_t n_bases) {
    if (hr_allowed(c, rel) || hr_planned_remove(c, rel)) return;
    size_t len;
    char *data = hr_read_rel(c, rel, &len);
    if (!data) return;
    char *out = NULL, *names = ds_xstrdup("");
    size_t out_len = 0, dropped = 0;
    FILE *f = open_memstream(&out, &out_len);
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        const char *path = l;
        if (md5) {
            const char *sp = strstr(l, "  ");
            path = sp ? sp + 2 : NULL;
        }
        if (path && *path && listed_removed(c, bases, n_bases, path)) {
            if (dropped < 4) {
                char *n = ds_xasprintf("%s%s%s%s", names, dropped ? ", " : "", *path == '/' ? "" : "/", path);
                free(names);
                names = n;
            }
            dropped++;
            continue;
        }
        fprintf(f, "%s\n", l);
    }
    fclose(f);
    free(data);
    plan_edit(c, rel, out, out_len, dropped, names);
}

/* apk's installed database: "F:dir" opens a folder, "R:name" a file in it, followed by its
 * "a:" (acl) and "Z:" (checksum) lines. A removed file loses its R: line and those. */
static void edit_apk(hr_ctx *c, const char *rel, char **bases, size_t n_bases) {
    if (hr_allowed(c, rel) || hr_planned_remove(c, rel)) return;
    size_t len;
    char *data = hr_read_rel(c, rel, &len);
    if (!data) return;
    char *out = NULL, *names = ds_xstrdup("");
    size_t out_len = 0, dropped = 0;
    FILE *f = open_memstream(&out, &out_len);
    char *folder = ds_xstrdup("");
    bool skipping = false;
    char *p = data;
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *l = ds_xstrndup(p, n);
        p += n + (nl ? 1 : 0);
        if (skipping && (!strncmp(l, "a:", 2) || !strncmp(l, "Z:", 2))) { free(l); continue; }
        skipping = false;
        if (!strncmp(l, "F:", 2)) { free(folder); folder = ds_xstrdup(l + 2); }
        else if (!*l) { free(folder); folder = ds_xstrdup(""); }
        else if (!strncmp(l, "R:", 2)) {
            char *path = ds_xasprintf("/%s%s%s", folder, *folder ? "/" : "", l + 2);
            if (listed_removed(c, bases, n_bases, path)) {
                if (dropped < 4) {
                    char *nn = ds_xasprintf("%s%s%s", names, dropped ? ", " : "", path);
                    free(names);
                    names = nn;
                }
                dropped++;
                skipping = true;
                free(path);
                free(l);
                continue;
            }
            free(path);
        }
        fprintf(f, "%s\n", l);
        free(l);
    }
    fclose(f);
    free(folder);
    free(data);
    plan_edit(c, rel, out, out_len, dropped, names);
}

int hr_plan_dpkg(hr_ctx *c, ds_err *err) {
    (void)err;
    if (!c->n_removed) return 0;
    char **bases = ds_xcalloc(c->n_removed, sizeof *bases);
    for (size_t i = 0; i < c->n_removed; i++) bases[i] = (char *)base_of(c->removed[i]);
    qsort(bases, c->n_removed, sizeof *bases, hr_strcmp_p);
    static const char *const dirs[] = {"var/lib/dpkg/info/", "var/lib/dpkg/status.d/"};
    size_t n_ents = c->n_ents;
    for (size_t i = 0; i < n_ents; i++) {
        const hr_entry *e = &c->ents[i];
        if (!S_ISREG(e->st.st_mode)) continue;
        for (int d = 0; d < 2; d++) {
            size_t dl = strlen(dirs[d]);
            if (strncmp(e->rel, dirs[d], dl) || strchr(e->rel + dl, '/')) continue;
            if (ends_with(e->rel, ".list") && d == 0) edit_one(c, e->rel, false, bases, c->n_removed);
            else if (ends_with(e->rel, ".md5sums")) edit_one(c, e->rel, true, bases, c->n_removed);
        }
    }
    static const char *const apk_dbs[] = {"lib/apk/db/installed", "usr/lib/apk/db/installed"};
    for (int d = 0; d < 2; d++) {
        const hr_entry *e = hr_find_entry(c, apk_dbs[d]);
        if (e && S_ISREG(e->st.st_mode)) edit_apk(c, apk_dbs[d], bases, c->n_removed);
    }
    free(bases);
    return 0;
}
