/* Accounts: a non-root run user that exists; no login shell and a locked password for
 * every account; no hashes in shadow files; root (every uid-0 account) removed from
 * passwd and shadow, and the root group (gid 0) from group files unless the run user's
 * group is 0. Each account change is reported on its own; the edited file is written once. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fs/passwd.h"
#include "harden/harden_int.h"

typedef ds_passwd_row row;
typedef ds_passwd_file table;

/* data: the file's bytes (freed here), NULL when it is missing. */
static void table_parse(table *t, char *data, size_t len) {
    memset(t, 0, sizeof *t);
    if (!data) return;
    ds_passwd_parse(data, len, 3, t); /* comments and junk (under 3 fields) are kept as they are */
    free(data);
}

static void table_free(table *t) { ds_passwd_free(t); }

static bool is_num(const char *s) {
    if (!s || !*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

static row *find_by(table *t, int field, const char *val) { return ds_passwd_find(t, field, val); }

static bool locked_pw(const char *pw) {
    return !strcmp(pw, "*") || !strcmp(pw, "!") || !strcmp(pw, "!*") || !strcmp(pw, "!!");
}

static bool nologin_shell(const char *sh) {
    const char *b = strrchr(sh, '/');
    b = b ? b + 1 : sh;
    return !strcmp(b, "nologin") || !strcmp(b, "false");
}

static bool in_list(char **v, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s)) return true;
    return false;
}

/* "a,b,root,c" without the removed names. */
static char *strip_members(const char *list, char **removed, size_t n_removed, bool *changed) {
    char *copy = ds_xstrdup(list), *p = copy, *tok;
    char *out = ds_xstrdup("");
    while ((tok = strsep(&p, ","))) {
        if (!*tok) continue;
        if (in_list(removed, n_removed, tok)) { *changed = true; continue; }
        char *n = ds_xasprintf("%s%s%s", out, *out ? "," : "", tok);
        free(out);
        out = n;
    }
    free(copy);
    return out;
}

/* The report items of one file share it; the first carries the new content. */
typedef struct { hr_ctx *c; const char *rel; hr_item *first; } file_edit;

static void note(file_edit *fe, const char *rule, char *detail) {
    hr_item *it = hr_plan_add(fe->c, rule, fe->rel, DS_HA_EDIT, detail);
    if (!fe->first) fe->first = it;
}

static void finish(file_edit *fe, char *buf, size_t len) {
    if (!fe->first) { free(buf); return; }
    /* hr_plan_add may have moved the array: find the first item again by path. */
    for (size_t i = 0; i < fe->c->n_items; i++)
        /* CREATE: the file was missing (an image without /etc/passwd gets one). */
        if ((fe->c->items[i].action == DS_HA_EDIT || fe->c->items[i].action == DS_HA_CREATE) &&
            !strcmp(fe->c->items[i].rel, fe->rel)) {
            hr_item *it = &fe->c->items[i];
            const hr_entry *e = hr_find_entry(fe->c, fe->rel);
            /* Only a regular file lends its mode and owner: a symlink's 0777 would make
             * the new /etc/passwd world-writable. */
            if (e && !S_ISREG(e->st.st_mode)) e = NULL;
            it->content = buf;
            it->content_len = len;
            it->mode = e ? e->st.st_mode & 07777 : 0644;
            it->uid = e ? e->st.st_uid : 0;
            it->gid = e ? e->st.st_gid : 0;
            return;
        }
    free(buf);
}

static void put_fields(FILE *f, const row *r) {
    for (int i = 0; i < r->nf; i++) fprintf(f, "%s%s", i ? ":" : "", r->f[i]);
    fputc('\n', f);
}

typedef struct {
    char *name;
    unsigned uid, gid;
    bool create_user, create_group;
} run_user;

static bool root_spec(const char *s) {
    return !strcmp(s, "root") || !strcmp(s, "0") || !strncmp(s, "0:", 2) || !strncmp(s, "root:", 5);
}

/* A user or group part of --user / the config's User: a number below 2^32-1 (the
 * "no id" value), or a name as useradd accepts it. The spec is written into
 * /etc/passwd and /etc/group, so ':' or a newline (from a hostile config) must
 * never get through. */
static bool id_part_ok(const char *s) {
    if (!*s) return false;
    if (is_num(s)) {
        errno = 0;
        unsigned long long v = strtoull(s, NULL, 10);
        return errno == 0 && v < 4294967295ULL;
    }
    size_t n = strlen(s);
    if (n > 32 || s[0] == '-') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isalnum(ch) || ch == '_' || ch == '.' || ch == '-' || (ch == '$' && i == n - 1))) return false;
    }
    return true;
}

/* Decide the run user from --user, else the config's User, else nonroot 65532:65532. */
static int pick_user(hr_ctx *c, table *pw, table *gr, run_user *ru, ds_err *err) {
    const char *spec = c->o->user;
    bool from_flag = spec != NULL;
    if (!spec) {
        spec = c->cfg.user; /* NULL when absent or "" */
        if (spec && root_spec(spec)) spec = NULL;
    }
    if (from_flag && !*spec) return ds_fail(err, "--user: empty (want NAME|UID[:GID])");
    if (from_flag && root_spec(spec)) return ds_fail(err, "--user %s: the run user must not be root", spec);
    memset(ru, 0, sizeof *ru);
    char *user = ds_xstrdup(spec ? spec : "nonroot");
    char *group = strchr(user, ':');
    if (group) *group++ = 0;
    if (!id_part_ok(user) || (group && !id_part_ok(group))) {
        /* Shown escaped: the message stays one line whatever the config holds. */
        char shown[128];
        size_t k = 0;
        for (const char *p = spec; *p && k < sizeof shown - 5; p++)
            k += (size_t)(isprint((unsigned char)*p) ? snprintf(shown + k, 2, "%c", *p)
                                                     : snprintf(shown + k, 5, "\\x%02x", (unsigned char)*p));
        shown[k] = 0;
        int r = ds_fail(err, "%s '%s': not NAME|UID[:GID] (names: letters, digits, '_', '.', '-'; ids below 4294967295)",
                        from_flag ? "--user" : "the image's config User", shown);
        free(user);
        return r;
    }
    row *r = is_num(user) ? find_by(pw, 2, user) : find_by(pw, 0, user);
    if (r && r->nf >= 4) {
        ru->name = ds_xstrdup(r->f[0]);
        ru->uid = (unsigned)strtoul(r->f[2], NULL, 10);
        ru->gid = (unsigned)strtoul(r->f[3], NULL, 10);
    } else {
        ru->create_user = true;
        if (is_num(user)) {
            ru->uid = (unsigned)strtoul(user, NULL, 10);
            ru->name = ds_xstrdup(find_by(pw, 0, "nonroot") ? "app" : "nonroot");
        } else {
            ru->name = ds_xstrdup(user);
            ru->uid = 65532;
            char num[16];
            for (;;) {
                snprintf(num, sizeof num, "%u", ru->uid);
                if (!find_by(pw, 2, num)) break;
                ru->uid++;
            }
        }
        ru->gid = ru->uid;
    }
    if (group) {
        row *g = is_num(group) ? find_by(gr, 2, group) : find_by(gr, 0, group);
        if (g) ru->gid = (unsigned)strtoul(g->f[2], NULL, 10);
        else if (is_num(group)) ru->gid = (unsigned)strtoul(group, NULL, 10);
        else {
            int r = ds_fail(err, "--user %s: no group '%s' in /etc/group", spec, group);
            free(user); free(ru->name);
            return r;
        }
    }
    free(user);
    if (ru->uid == 0) { free(ru->name); return ds_fail(err, "--user %s: the run user must not be root (uid 0)", spec); }
    char num[16];
    snprintf(num, sizeof num, "%u", ru->gid);
    ru->create_group = !find_by(gr, 2, num);
    return 0;
}

static const char *nologin_path(hr_ctx *c) {
    static const char *const cands[] = {"/usr/sbin/nologin", "/sbin/nologin"};
    for (int i = 0; i < 2; i++) {
        char *r = hr_resolve(c, cands[i], true);
        bool ok = r && !hr_planned_remove(c, r);
        free(r);
        if (ok) return cands[i];
    }
    return cands[0];
}

int hr_plan_accounts(hr_ctx *c, ds_harden_report *rep, ds_err *err) {
    table pw, sh, gr, gs;
    size_t rl = 0;
    char *d;
    d = hr_read_rel(c, "etc/passwd", &rl);
    table_parse(&pw, d, rl);
    d = hr_read_rel(c, "etc/shadow", &rl);
    table_parse(&sh, d, rl);
    d = hr_read_rel(c, "etc/group", &rl);
    table_parse(&gr, d, rl);
    d = hr_read_rel(c, "etc/gshadow", &rl);
    table_parse(&gs, d, rl);
    run_user ru;
    int rc = pick_user(c, &pw, &gr, &ru, err);
    if (rc < 0) goto out;
    rep->user_name = ds_xstrdup(ru.name);
    rep->uid = ru.uid;
    rep->gid = ru.gid;
    rep->config_user = ds_xasprintf("%u:%u", ru.uid, ru.gid);
    const char *nologin = nologin_path(c);
    char *home = ds_xasprintf("/home/%s", ru.name);
    char **gone = NULL; /* account names removed */
    size_t n_gone = 0;

    /* /etc/passwd */
    if (!hr_allowed(c, "etc/passwd")) {
        file_edit fe = {c, "etc/passwd", NULL};
        char *buf = NULL; size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        for (size_t i = 0; i < pw.n; i++) {
            row *r = &pw.rows[i];
            if (r->nf < 7) { fprintf(f, "%s\n", r->line); continue; }
            if (!strcmp(r->f[2], "0")) {
                note(&fe, DS_HR_ROOT_ACCOUNT, ds_xasprintf("account %s (uid 0) removed: nothing runs as root", r->f[0]));
                gone = ds_xrealloc(gone, (n_gone + 1) * sizeof *gone);
                gone[n_gone++] = r->f[0];
                continue;
            }
            if (!locked_pw(r->f[1]) && strcmp(r->f[1], "x")) {
                note(&fe, DS_HR_ACCOUNT_PASSWORD, ds_xasprintf("password of %s locked", r->f[0]));
                r->f[1] = "*";
            }
            if (!nologin_shell(r->f[6])) {
                note(&fe, DS_HR_ACCOUNT_SHELL, ds_xasprintf("shell of %s: %s -> %s", r->f[0], *r->f[6] ? r->f[6] : "(empty: /bin/sh)", nologin));
                r->f[6] = (char *)nologin;
            }
            put_fields(f, r);
        }
        if (ru.create_user) {
            note(&fe, DS_HR_RUN_USER, ds_xasprintf("run user %s (%u:%u) added", ru.name, ru.uid, ru.gid));
            fprintf(f, "%s:x:%u:%u:%s:%s:%s\n", ru.name, ru.uid, ru.gid, ru.name, home, nologin);
        }
        fclose(f);
        if (!pw.present && fe.first) {
            fe.first->action = DS_HA_CREATE;
        }
        finish(&fe, buf, len);
    }

    /* /etc/shadow: no hashes; removed accounts gone */
    if (sh.present && !hr_allowed(c, "etc/shadow")) {
        file_edit fe = {c, "etc/shadow", NULL};
        char *buf = NULL; size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        for (size_t i = 0; i < sh.n; i++) {
            row *r = &sh.rows[i];
            if (r->nf < 2) { fprintf(f, "%s\n", r->line); continue; }
            if (in_list(gone, n_gone, r->f[0])) {
                note(&fe, DS_HR_ROOT_ACCOUNT, ds_xasprintf("account %s removed", r->f[0]));
                continue;
            }
            if (!locked_pw(r->f[1])) {
                note(&fe, DS_HR_ACCOUNT_PASSWORD, ds_xasprintf("password of %s locked (%s removed)", r->f[0], *r->f[1] ? "hash" : "empty password"));
                r->f[1] = "!";
            }
            put_fields(f, r);
        }
        if (ru.create_user && !find_by(&sh, 0, ru.name)) fprintf(f, "%s:!::0:99999:7:::\n", ru.name);
        fclose(f);
        finish(&fe, buf, len);
    }

    /* /etc/group and /etc/gshadow: the gid-0 group goes with root (not when --allow kept root). */
    bool root_kept = hr_allowed(c, "etc/passwd") && find_by(&pw, 2, "0");
    char **ggone = NULL;
    size_t n_ggone = 0;
    for (int k = 0; k < 2; k++) {
        table *t = k ? &gs : &gr;
        const char *rel = k ? "etc/gshadow" : "etc/group";
        if ((!t->present && (k || pw.present)) || hr_allowed(c, rel)) continue;
        file_edit fe = {c, rel, NULL};
        char *buf = NULL; size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        char **tofree = NULL;
        size_t n_tofree = 0;
        for (size_t i = 0; i < t->n; i++) {
            row *r = &t->rows[i];
            if (r->nf < (k ? 4 : 4)) { fprintf(f, "%s\n", r->line); continue; }
            bool drop = k ? in_list(ggone, n_ggone, r->f[0]) : (!strcmp(r->f[2], "0") && ru.gid != 0 && !root_kept);
            if (drop) {
                note(&fe, DS_HR_ROOT_ACCOUNT, ds_xasprintf("group %s (gid 0) removed", r->f[0]));
                if (!k) { ggone = ds_xrealloc(ggone, (n_ggone + 1) * sizeof *ggone); ggone[n_ggone++] = r->f[0]; }
                continue;
            }
            if (k && !locked_pw(r->f[1])) {
                note(&fe, DS_HR_ACCOUNT_PASSWORD, ds_xasprintf("password of group %s locked", r->f[0]));
                r->f[1] = "!";
            }
            for (int fi = k ? 2 : 3; fi <= 3; fi++) {
                bool changed = false;
                char *m = strip_members(r->f[fi], gone, n_gone, &changed);
                if (changed) {
                    note(&fe, DS_HR_ROOT_ACCOUNT, ds_xasprintf("root removed from the members of group %s", r->f[0]));
                    r->f[fi] = m;
                    tofree = ds_xrealloc(tofree, (n_tofree + 1) * sizeof *tofree);
                    tofree[n_tofree++] = m;
                } else free(m);
            }
            put_fields(f, r);
        }
        if (ru.create_group) {
            if (!k) note(&fe, DS_HR_RUN_USER, ds_xasprintf("group %s (%u) added", ru.name, ru.gid));
            if (k) fprintf(f, "%s:!::\n", ru.name);
            else fprintf(f, "%s:x:%u:\n", ru.name, ru.gid);
        }
        fclose(f);
        if (!t->present && fe.first) fe.first->action = DS_HA_CREATE;
        finish(&fe, buf, len);
        for (size_t i = 0; i < n_tofree; i++) free(tofree[i]);
        free(tofree);
    }

    /* The run user's home, when we created the user. */
    if (ru.create_user && !hr_allowed(c, home + 1)) {
        const hr_entry *h = hr_find_entry(c, "home");
        if (!h) {
            hr_item *it = hr_plan_add(c, DS_HR_RUN_USER, "home", DS_HA_CREATE, ds_xstrdup("directory 0755"));
            it->is_dir = true;
            it->mode = 0755;
        }
        if ((!h || S_ISDIR(h->st.st_mode)) && !hr_find_entry(c, home + 1)) {
            hr_item *it = hr_plan_add(c, DS_HR_RUN_USER, home + 1, DS_HA_CREATE,
                                      ds_xasprintf("home of %s: directory 0700 owned by %u:%u", ru.name, ru.uid, ru.gid));
            it->is_dir = true;
            it->mode = 0700;
            it->uid = ru.uid;
            it->gid = ru.gid;
        }
    }
    free(gone);
    free(ggone);
    free(home);
    free(ru.name);
out:
    table_free(&pw);
    table_free(&sh);
    table_free(&gr);
    table_free(&gs);
    return rc;
}
