/* Package metadata stays (scanners read it) but stops listing removed files:
 * var/lib/dpkg/info/PKG.list and PKG.md5sums, distroless' status.d/PKG.md5sums, and
 * apk's lib/apk/db/installed.
 * Packages stay in status even when only their directories and docs remain: dpkg
 * itself would still call them installed, and scanners see what is left. The files are
 * read and rewritten by the same line readers as scan and build's metadata writer
 * (scan/pkgdb.h), so the three agree on what a line names. */
#include <stdio.h>
#include <string.h>
#include "harden/harden_int.h"
#include "scan/pkgdb.h"

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

/* The shared readers' keep callback (scan/pkgdb.h): a removed file is not kept; the
 * first four are named for the plan. */
typedef struct drop_ctx {
    hr_ctx *c;
    char **bases;
    size_t n_bases, dropped;
    char *names;
} drop_ctx;

static bool still_there(const char *path, void *arg) {
    drop_ctx *d = arg;
    if (!listed_removed(d->c, d->bases, d->n_bases, path)) return true;
    if (d->dropped < 4) {
        char *n = ds_xasprintf("%s%s%s", d->names, d->dropped ? ", " : "", path);
        free(d->names);
        d->names = n;
    }
    d->dropped++;
    return false;
}

/* A dpkg file list (.list) or md5sums, or apk's installed database, minus the removed files. */
static void edit_db(hr_ctx *c, const char *rel, int kind, char **bases, size_t n_bases) {
    if (hr_allowed(c, rel) || hr_planned_remove(c, rel)) return;
    size_t len;
    char *data = hr_read_rel(c, rel, &len);
    if (!data) return;
    drop_ctx d = {.c = c, .bases = bases, .n_bases = n_bases, .names = ds_xstrdup("")};
    size_t out_len;
    /* Packages stay listed even with no file left (see the top of this file): drop_empty false. */
    char *out = kind == 'a' ? ds_apk_filter(data, len, still_there, &d, false, &out_len, NULL, NULL)
                            : ds_dpkg_list_filter(data, len, kind == 'm', still_there, &d, &out_len, NULL, NULL);
    free(data);
    plan_edit(c, rel, out, out_len, d.dropped, d.names);
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
            if (ends_with(e->rel, ".list") && d == 0) edit_db(c, e->rel, 'l', bases, c->n_removed);
            else if (ends_with(e->rel, ".md5sums")) edit_db(c, e->rel, 'm', bases, c->n_removed);
        }
    }
    static const char *const apk_dbs[] = {"lib/apk/db/installed", "usr/lib/apk/db/installed"};
    for (int d = 0; d < 2; d++) {
        const hr_entry *e = hr_find_entry(c, apk_dbs[d]);
        if (e && S_ISREG(e->st.st_mode)) edit_db(c, apk_dbs[d], 'a', bases, c->n_removed);
    }
    free(bases);
    return 0;
}
