/* A root image that harden turns non-root may stop working, and harden does not run it (unless
 * --test). Static checks, as warnings in the report: a port below 1024 in ExposedPorts (a
 * non-root user cannot bind it without cap_net_bind_service), and places the entry point writes
 * that the new user cannot: nginx's temp paths, pid and log files (its defaults as Debian builds
 * it, or what /etc/nginx/nginx.conf says), and the config's Volumes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harden/harden_int.h"

static void warn(ds_harden_report *rep, char *msg) {
    rep->warnings = ds_xrealloc(rep->warnings, (rep->n_warnings + 1) * sizeof *rep->warnings);
    rep->warnings[rep->n_warnings++] = msg;
}

static bool root_user(const char *u) {
    if (!u || !*u) return true;
    size_t n = strcspn(u, ":");
    return (n == 4 && !strncmp(u, "root", 4)) || (n == 1 && u[0] == '0');
}

static bool can_write(const struct stat *st, uid_t uid, gid_t gid) {
    if (st->st_uid == uid) return st->st_mode & 0200;
    if (st->st_gid == gid) return st->st_mode & 0020;
    return st->st_mode & 0002;
}

/* Would uid:gid be able to write `path` (the file or directory, or create it in its parent)?
 * When not, the message names the entry that refuses it. */
static char *write_refused(hr_ctx *c, const ds_harden_report *rep, const char *path, bool want_dir) {
    char *rel = hr_resolve(c, path, true);
    const hr_entry *e = rel ? hr_find_entry(c, rel) : NULL;
    char *msg = NULL;
    if (e) {
        /* an existing directory nginx writes into, or a file it opens for writing */
        if ((want_dir || !S_ISDIR(e->st.st_mode)) && !can_write(&e->st, rep->uid, rep->gid))
            msg = ds_xasprintf("/%s is owned by %u:%u, mode %04o", rel, (unsigned)e->st.st_uid, (unsigned)e->st.st_gid,
                               (unsigned)(e->st.st_mode & 07777));
    } else {
        char *dir = ds_xstrdup(path);
        char *sl = strrchr(dir, '/');
        if (sl && sl != dir) {
            *sl = 0;
            char *prel = hr_resolve(c, dir, true);
            const hr_entry *p = prel ? hr_find_entry(c, prel) : NULL;
            if (p && S_ISDIR(p->st.st_mode) && !can_write(&p->st, rep->uid, rep->gid))
                msg = ds_xasprintf("it does not exist and /%s is owned by %u:%u, mode %04o", prel,
                                   (unsigned)p->st.st_uid, (unsigned)p->st.st_gid, (unsigned)(p->st.st_mode & 07777));
            free(prel);
        }
        free(dir);
    }
    free(rel);
    return msg;
}

typedef struct { const char *directive, *dflt; bool dir; } nginx_path;
/* Debian's nginx: --http-client-body-temp-path=/var/lib/nginx/body and so on. */
static const nginx_path nginx_paths[] = {
    {"client_body_temp_path", "/var/lib/nginx/body", true}, {"proxy_temp_path", "/var/lib/nginx/proxy", true},
    {"fastcgi_temp_path", "/var/lib/nginx/fastcgi", true},  {"uwsgi_temp_path", "/var/lib/nginx/uwsgi", true},
    {"scgi_temp_path", "/var/lib/nginx/scgi", true},        {"pid", "/run/nginx.pid", false},
    {"error_log", "/var/log/nginx/error.log", false},       {"access_log", NULL, false},
};

/* The value of `directive` in nginx.conf text (first one, comments skipped), malloc'd; NULL if absent. */
static char *nginx_value(const char *conf, const char *directive) {
    size_t dl = strlen(directive);
    for (const char *line = conf; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *p = line;
        while (p < line + len && (*p == ' ' || *p == '\t')) p++;
        if ((size_t)(line + len - p) > dl && !strncmp(p, directive, dl) && (p[dl] == ' ' || p[dl] == '\t')) {
            p += dl;
            while (*p == ' ' || *p == '\t') p++;
            size_t vl = strcspn(p, " \t;#\n");
            if (vl) return ds_xstrndup(p, vl);
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static void check_nginx(hr_ctx *c, ds_harden_report *rep, const char *prog) {
    char *conf = hr_read_rel(c, "etc/nginx/nginx.conf", NULL);
    for (size_t i = 0; i < sizeof nginx_paths / sizeof *nginx_paths; i++) {
        const nginx_path *np = &nginx_paths[i];
        char *v = conf ? nginx_value(conf, np->directive) : NULL;
        const char *path = v ? v : np->dflt;
        if (path && path[0] == '/') {
            char *why = write_refused(c, rep, path, np->dir);
            if (why)
                warn(rep, ds_xasprintf("entry point %s writes %s (%s%s): %s, so %s (uid %u) cannot%s", prog, path,
                                       np->directive, v ? "" : ", its default", why, rep->user_name ? rep->user_name : "?",
                                       (unsigned)rep->uid, np->dir ? " create or use it" : " write it"));
            free(why);
        }
        free(v);
    }
    free(conf);
}

void hr_warn_nonroot(hr_ctx *c, ds_harden_report *rep) {
    if (!c->o->config || rep->uid == 0) return;
    if (!root_user(c->cfg.user)) return;
    const char *name = rep->user_name ? rep->user_name : "?";
    for (size_t i = 0; i < c->cfg.n_exposed_ports; i++) {
        const char *key = c->cfg.exposed_ports[i];
        char *end = NULL;
        long port = strtol(key, &end, 10);
        if (end != key && port > 0 && port < 1024)
            warn(rep, ds_xasprintf("the image ran as root and now runs as %s (uid %u): it exposes port %s, below 1024, "
                                   "which a non-root user cannot bind without cap_net_bind_service; check it with "
                                   "--test, or let distill build give the server that capability",
                                   name, (unsigned)rep->uid, key));
    }
    for (size_t i = 0; i < c->n_ep_keep; i++) {
        const char *b = strrchr(c->ep_keep[i], '/');
        if (!strcmp(b ? b + 1 : c->ep_keep[i], "nginx")) {
            char *prog = ds_xasprintf("/%s", c->ep_keep[i]);
            check_nginx(c, rep, prog);
            free(prog);
            break;
        }
    }
    for (size_t i = 0; i < c->cfg.n_volumes; i++) {
        const char *key = c->cfg.volumes[i];
        if (key[0] != '/') continue;
        char *why = write_refused(c, rep, key, true);
        if (why) warn(rep, ds_xasprintf("volume %s: %s, so %s (uid %u) cannot write there", key, why, name, (unsigned)rep->uid));
        free(why);
    }
}
