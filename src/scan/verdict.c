/* The distroless verdict and the auditor's facts: shells, package managers,
 * network tools, setuid files, world-writable paths, run user, accounts, distro,
 * libc family, CA certificates and tzdata. Each finding names its evidence. */
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>
#include "fs/passwd.h"
#include "scan/scan_internal.h"

static const char *const BIN_DIRS[] = {"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin",
                                       "/usr/local/sbin", NULL};
static const char *const SHELLS[] = {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox", NULL};
static const char *const PKG_MANAGERS[] = {"apt", "apt-get", "dpkg", "apk", "rpm", "yum", "dnf",
                                           "microdnf", "pip", "pip3", NULL};
static const char *const NET_TOOLS[] = {"curl", "wget", "nc", "ncat", "netcat", NULL};

const char *ds_base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

char *ds_trim_dup(const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return ds_xstrndup(s, n);
}

static bool in_list(const char *const *l, const char *name) {
    for (; *l; l++)
        if (strcmp(*l, name) == 0) return true;
    return false;
}

/* pip3.11 and the like count as pip. */
static bool is_pkg_manager(const char *name) {
    if (in_list(PKG_MANAGERS, name)) return true;
    if (strncmp(name, "pip3.", 5) == 0 && name[5]) {
        for (const char *p = name + 5; *p; p++)
            if (!isdigit((unsigned char)*p)) return false;
        return true;
    }
    return false;
}

/* An executable regular file at the end of the in-root resolution of PATH: the
 * resolved path (malloc'd), else NULL. */
static char *resolve_exec(const ds_tree *t, const char *path) {
    char *r = ds_root_resolve(t->root, path, true);
    if (!r) return NULL;
    const ds_fentry *e = ds_tree_find(t, r);
    if (!e || !S_ISREG(e->mode) || !(e->mode & 0111)) { free(r); return NULL; }
    return r;
}

static void add_evidence(ds_strlist *l, const char *path, const char *resolved) {
    if (strcmp(path, resolved) == 0) ds_strlist_add(l, path);
    else ds_strlist_addf(l, "%s -> %s", path, resolved);
}

/* Outside the standard dirs only directories that hold commands count
 * (/opt/x/bin, /busybox): /etc/cron.daily/dpkg is a script about dpkg, not dpkg. */
static bool in_bin_like_dir(const char *path) {
    const char *sl = strrchr(path, '/');
    if (!sl || sl == path) return false;
    const char *ps = sl - 1;
    while (ps > path && *ps != '/') ps--;
    size_t n = (size_t)(sl - ps - 1);
    return (n == 3 && strncmp(ps + 1, "bin", 3) == 0) || (n == 4 && strncmp(ps + 1, "sbin", 4) == 0) ||
           (n == 7 && strncmp(ps + 1, "busybox", 7) == 0);
}

/* Every candidate: the names in each bin dir (through symlinked dirs such as
 * merged /bin), then tree entries with those names anywhere (e.g. /busybox/sh). */
static void find_tools(const ds_tree *t, bool (*match)(const char *), const char *const *names,
                       ds_strlist *out) {
    ds_strlist seen = {0};
    for (const char *const *d = BIN_DIRS; *d; d++) {
        for (const char *const *n = names; *n; n++) {
            char *p = ds_xasprintf("%s/%s", *d, *n);
            char *r = resolve_exec(t, p);
            if (r) { add_evidence(out, p, r); ds_strlist_add(&seen, p); }
            free(r);
            free(p);
        }
    }
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *e = &t->e[i];
        if (!S_ISREG(e->mode) && !S_ISLNK(e->mode)) continue;
        if (!match(ds_base(e->path)) || ds_strlist_has(&seen, e->path) || !in_bin_like_dir(e->path)) continue;
        char *r = resolve_exec(t, e->path);
        if (r) { add_evidence(out, e->path, r); ds_strlist_add(&seen, e->path); }
        free(r);
    }
    ds_strlist_free(&seen);
}

static bool is_shell(const char *n) { return in_list(SHELLS, n); }
static bool is_net(const char *n) { return in_list(NET_TOOLS, n); }

static void find_busybox_applets(const ds_tree *t, ds_verdict *v) {
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *bb = &t->e[i];
        if (!S_ISREG(bb->mode) || strcmp(ds_base(bb->path), "busybox") != 0) continue;
        for (size_t j = 0; j < t->n; j++) {
            const ds_fentry *e = &t->e[j];
            if (j == i) continue;
            bool hit = false;
            if (S_ISREG(e->mode) && e->ino == bb->ino && bb->nlink > 1) hit = true;
            else if (S_ISLNK(e->mode)) {
                char *r = ds_root_resolve(t->root, e->path, true);
                hit = r && strcmp(r, bb->path) == 0;
                free(r);
            }
            if (!hit) continue;
            ds_strlist_addf(&v->busybox_applets, "%s -> %s", e->path, bb->path);
            /* An applet named like a shell is a shell. */
            if (is_shell(ds_base(e->path)) && !strstr(e->path, "busybox")) {
                char *ev = ds_xasprintf("%s -> %s", e->path, bb->path);
                if (!ds_strlist_has(&v->shells, ev) && !ds_strlist_has(&v->shells, e->path))
                    ds_strlist_add(&v->shells, ev);
                free(ev);
            }
        }
    }
}

static void scan_modes(const ds_tree *t, ds_verdict *v) {
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *e = &t->e[i];
        if (S_ISLNK(e->mode)) continue;
        if (S_ISREG(e->mode) && (e->mode & (S_ISUID | S_ISGID)))
            ds_strlist_addf(&v->setuid, "%s (%s%s%04o uid %u gid %u)", e->path,
                            (e->mode & S_ISUID) ? "setuid " : "", (e->mode & S_ISGID) ? "setgid " : "",
                            (unsigned)(e->mode & 07777), (unsigned)e->uid, (unsigned)e->gid);
        if (!(e->mode & S_IWOTH)) continue;
        if (S_ISDIR(e->mode) && (e->mode & S_ISVTX)) continue; /* /tmp-like: fine */
        if (S_ISDIR(e->mode) || S_ISREG(e->mode))
            ds_strlist_addf(&v->world_writable, "%s (%s %04o)", e->path, S_ISDIR(e->mode) ? "dir" : "file",
                            (unsigned)(e->mode & 07777));
    }
}

static bool nologin_shell(const char *sh) {
    const char *b = ds_base(sh);
    return strcmp(b, "nologin") == 0 || strcmp(b, "false") == 0 || strcmp(b, "sync") == 0 ||
           strcmp(b, "halt") == 0 || strcmp(b, "shutdown") == 0;
}

static void scan_accounts(const ds_tree *t, ds_verdict *v, const char *user_name, long *user_uid) {
    ds_passwd_file pw, sh;
    ds_err e;
    if (ds_passwd_read(t->root, "/etc/passwd", 7, &pw, &e) == 0) {
        for (size_t i = 0; i < pw.n; i++) {
            char **f = pw.rows[i].f;
            if (pw.rows[i].nf < 7) continue;
            unsigned id;
            if (user_name && strcmp(f[0], user_name) == 0 && ds_passwd_id(f[2], &id) == 0) *user_uid = (long)id;
            const char *shell = f[6][0] ? f[6] : "/bin/sh";
            if (!nologin_shell(shell)) {
                char *r = resolve_exec(t, shell);
                ds_strlist_addf(&v->login_accounts, "%s (uid %s) %s%s", f[0], f[2], shell,
                                r ? "" : " (missing in image)");
                free(r);
            }
            if (f[1][0] == 0) ds_strlist_addf(&v->empty_password, "%s (/etc/passwd)", f[0]);
        }
        ds_passwd_free(&pw);
    }
    if (ds_passwd_read(t->root, "/etc/shadow", 2, &sh, &e) == 0) {
        for (size_t i = 0; i < sh.n; i++)
            if (sh.rows[i].nf >= 2 && sh.rows[i].f[1][0] == 0)
                ds_strlist_addf(&v->empty_password, "%s (/etc/shadow)", sh.rows[i].f[0]);
        ds_passwd_free(&sh);
    }
}

int ds_distro_parse(const char *text, ds_distro *d) {
    memset(d, 0, sizeof *d);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (eq) {
            char *key = ds_trim_dup(p, (size_t)(eq - p));
            char *val = ds_trim_dup(eq + 1, len - (size_t)(eq + 1 - p));
            size_t vl = strlen(val);
            if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
                memmove(val, val + 1, vl - 2);
                val[vl - 2] = 0;
            }
            char **slot = strcmp(key, "ID") == 0 ? &d->id
                        : strcmp(key, "VERSION_ID") == 0 ? &d->version_id
                        : strcmp(key, "VERSION_CODENAME") == 0 ? &d->codename
                        : strcmp(key, "PRETTY_NAME") == 0 ? &d->pretty : NULL;
            if (slot && !*slot) { *slot = val; val = NULL; }
            free(key);
            free(val);
        }
        p += len;
        if (*p) p++;
    }
    return d->id ? 0 : -1;
}

void ds_distro_free(ds_distro *d) {
    free(d->id); free(d->version_id); free(d->codename); free(d->pretty);
    memset(d, 0, sizeof *d);
}

static void scan_distro(const ds_tree *t, ds_verdict *v) {
    char *txt = NULL;
    ds_err e;
    if (ds_root_read(t->root, "/etc/os-release", &txt, NULL, 1 << 20, &e) < 0 &&
        ds_root_read(t->root, "/usr/lib/os-release", &txt, NULL, 1 << 20, &e) < 0)
        return;
    ds_distro_parse(txt, &v->distro);
    free(txt);
}

typedef struct interp_count { char *path; size_t n; } interp_count;

static void scan_elf(const ds_tree *t, ds_verdict *v) {
    interp_count *ic = NULL;
    size_t nic = 0, n_static_exec = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ds_fentry *e = &t->e[i];
        if (!S_ISREG(e->mode) || e->size < 52) continue;
        bool lib = strstr(e->path, ".so") != NULL;
        if (!(e->mode & 0111) && !lib) continue;
        char *host = ds_root_host_path(t->root, e->path);
        bool is_elf = false;
        char *interp = NULL;
        ds_elf_peek(host, &is_elf, &interp);
        free(host);
        if (!is_elf) continue;
        v->n_elf++;
        if (!interp) {
            if (!lib && (e->mode & 0111)) n_static_exec++;
            continue;
        }
        size_t k;
        for (k = 0; k < nic; k++)
            if (strcmp(ic[k].path, interp) == 0) break;
        if (k == nic) {
            ic = ds_xrealloc(ic, (nic + 1) * sizeof *ic);
            ic[nic].path = interp;
            ic[nic++].n = 0;
        } else {
            free(interp);
        }
        ic[k].n++;
    }
    bool glibc = false, musl = false;
    for (size_t k = 0; k < nic; k++) {
        if (strstr(ic[k].path, "musl")) musl = true;
        else glibc = true;
        ds_strlist_addf(&v->interpreters, "%s (%zu files)", ic[k].path, ic[k].n);
        free(ic[k].path);
    }
    free(ic);
    if (glibc && musl) v->family = ds_xstrdup("glibc+musl");
    else if (glibc) v->family = ds_xstrdup("glibc");
    else if (musl) v->family = ds_xstrdup("musl");
    else if (n_static_exec) v->family = ds_xstrdup("static");
    else v->family = ds_xstrdup("none");
}

static const char *const CA_BUNDLES[] = {
    "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/ca-bundle.pem", NULL};

static void scan_data(const ds_tree *t, ds_verdict *v) {
    for (const char *const *c = CA_BUNDLES; *c && !v->ca_certs; c++) {
        char *r = ds_root_resolve(t->root, *c, true);
        const ds_fentry *e = r ? ds_tree_find(t, r) : NULL;
        if (e && S_ISREG(e->mode) && e->size > 0) v->ca_certs = ds_xstrdup(*c);
        free(r);
    }
    static const char *const TZ[] = {"/usr/share/zoneinfo/UTC", "/usr/share/zoneinfo/Etc/UTC",
                                     "/usr/share/zoneinfo/Europe/London", NULL};
    for (const char *const *z = TZ; *z && !v->tzdata; z++) {
        char *r = ds_root_resolve(t->root, *z, true);
        if (r) v->tzdata = ds_xstrdup("/usr/share/zoneinfo");
        free(r);
    }
}

static bool all_digits(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

int ds_verdict_compute(const ds_tree *t, const char *user, ds_verdict *v, ds_err *err) {
    memset(v, 0, sizeof *v);
    v->user_is_root = -1;
    find_tools(t, is_shell, SHELLS, &v->shells);
    find_busybox_applets(t, v);
    find_tools(t, is_pkg_manager, PKG_MANAGERS, &v->pkg_managers);
    find_tools(t, is_net, NET_TOOLS, &v->net_tools);
    scan_modes(t, v);
    scan_distro(t, v);
    scan_elf(t, v);
    scan_data(t, v);

    char *uname = NULL;
    long uid = -1;
    if (user) {
        v->user = ds_xstrdup(user);
        const char *colon = strchr(user, ':');
        uname = colon ? ds_xstrndup(user, (size_t)(colon - user)) : ds_xstrdup(user);
        if (uname[0] == 0) uid = 0;
        else if (all_digits(uname)) uid = strtol(uname, NULL, 10);
    }
    scan_accounts(t, v, uname && !all_digits(uname) && uname[0] ? uname : NULL, &uid);
    if (!user) {
        v->user_evidence = ds_xstrdup("no image config and no --user: run user unknown");
    } else if (uname[0] == 0) {
        v->user_is_root = 1;
        v->user_evidence = ds_xstrdup("config User is empty: the runtime default is root (uid 0)");
    } else if (uid < 0) {
        v->user_evidence = ds_xasprintf("user '%s' is not in /etc/passwd: uid unknown", uname);
    } else {
        v->user_is_root = uid == 0;
        v->user_evidence = ds_xasprintf("user '%s' has uid %ld%s", uname, uid,
                                        all_digits(uname) ? "" : " in /etc/passwd");
    }
    free(uname);
    v->distroless = v->shells.n == 0 && v->pkg_managers.n == 0;
    (void)err;
    return 0;
}

void ds_verdict_free(ds_verdict *v) {
    ds_strlist_free(&v->shells); ds_strlist_free(&v->pkg_managers); ds_strlist_free(&v->net_tools);
    ds_strlist_free(&v->busybox_applets); ds_strlist_free(&v->setuid); ds_strlist_free(&v->world_writable);
    ds_strlist_free(&v->login_accounts); ds_strlist_free(&v->empty_password);
    ds_strlist_free(&v->interpreters);
    free(v->user); free(v->user_evidence); free(v->family); free(v->ca_certs); free(v->tzdata);
    ds_distro_free(&v->distro);
    memset(v, 0, sizeof *v);
}
