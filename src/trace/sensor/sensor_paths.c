/* Path resolution the way the kernel walks it, component by component, so every symlink on the
 * way is seen and the recorded path is canonical. Two caches keep it cheap:
 *   - requests: "follow-flag + root + absolute lexical path" → resolved result, valid until the
 *     namespace changes (a successful create/unlink/rename bumps g_generation);
 *   - components: canonical path → dir or symlink (+ target), for non-final components.
 * lstat/readlink go through /proc/PID/root when the process is chrooted, so a chroot works. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sensor.h"

unsigned g_generation = 1;

typedef struct comp { int kind; char *target; } comp;

static strmap requests;   /* key → resolved* */
static strmap components; /* canonical → comp* */
strmap g_files;           /* canonical → fentry* (read by sensor_json.c) */

static int mode_kind(mode_t m) {
    if (S_ISREG(m)) return DS_TRACE_FILE;
    if (S_ISDIR(m)) return DS_TRACE_DIR;
    if (S_ISLNK(m)) return DS_TRACE_SYMLINK;
    if (S_ISSOCK(m)) return DS_TRACE_SOCKET;
    if (S_ISFIFO(m)) return DS_TRACE_FIFO;
    if (S_ISCHR(m) || S_ISBLK(m)) return DS_TRACE_DEVICE;
    return DS_TRACE_OTHER;
}

/* The path as the sensor can reach it (through /proc/PID/root for a chrooted process). */
static const char *host_path(thread *t, const char *canonical, char *buf, size_t len) {
    if (!t || !t->fs || !strcmp(t->fs->root, "/")) return canonical;
    snprintf(buf, len, "/proc/%d/root%s", (int)t->tid, canonical);
    return buf;
}

int lstat_kind(thread *t, const char *canonical) {
    char buf[PATH_MAX + 64];
    struct stat st;
    if (lstat(host_path(t, canonical, buf, sizeof buf), &st) < 0) return DS_TRACE_MISSING;
    return mode_kind(st.st_mode);
}

static char *read_link(thread *t, const char *canonical) {
    char buf[PATH_MAX + 64], target[PATH_MAX];
    ssize_t n = readlink(host_path(t, canonical, buf, sizeof buf), target, sizeof target - 1);
    if (n < 0) return NULL;
    target[n] = 0;
    return xstrdup(target);
}

/* A growable string for the current canonical path. */
typedef struct sbuf { char *s; size_t len, cap; } sbuf;
static void sb_set(sbuf *b, const char *s) {
    size_t n = strlen(s);
    if (n + 1 > b->cap) { b->cap = n + 256; b->s = xrealloc(b->s, b->cap); }
    memcpy(b->s, s, n + 1);
    b->len = n;
}
static void sb_push(sbuf *b, const char *name, size_t n) {
    if (b->len + n + 2 > b->cap) { b->cap = b->len + n + 256; b->s = xrealloc(b->s, b->cap); }
    if (!(b->len == 1 && b->s[0] == '/')) b->s[b->len++] = '/';
    memcpy(b->s + b->len, name, n);
    b->len += n;
    b->s[b->len] = 0;
}
static void sb_pop(sbuf *b) {
    char *slash = strrchr(b->s, '/');
    if (!slash || slash == b->s) { b->len = 1; b->s[1] = 0; b->s[0] = '/'; return; }
    *slash = 0;
    b->len = (size_t)(slash - b->s);
}

char *normalize_path(const char *base, const char *raw) {
    sbuf b = {0};
    sb_set(&b, raw[0] == '/' ? "/" : (base ? base : "/"));
    for (const char *p = raw; *p;) {
        while (*p == '/') p++;
        const char *e = p;
        while (*e && *e != '/') e++;
        size_t n = (size_t)(e - p);
        if (n == 0) break;
        if (n == 1 && p[0] == '.') {}
        else if (n == 2 && p[0] == '.' && p[1] == '.') sb_pop(&b);
        else sb_push(&b, p, n);
        p = e;
    }
    return b.s;
}

/* The component kind for a non-final component, cached when it is a dir or a symlink. */
static comp *component(thread *t, const char *canonical, comp *tmp) {
    void **slot = strmap_slot(&components, canonical, false);
    comp *c = slot ? *slot : NULL;
    if (c && c->kind >= 0) return c;
    tmp->kind = lstat_kind(t, canonical);
    tmp->target = tmp->kind == DS_TRACE_SYMLINK ? read_link(t, canonical) : NULL;
    if (tmp->kind == DS_TRACE_DIR || (tmp->kind == DS_TRACE_SYMLINK && tmp->target)) {
        if (!c) { c = xmalloc(sizeof *c); *strmap_slot(&components, canonical, true) = c; }
        else free(c->target);
        *c = *tmp;
        return c;
    }
    return tmp;
}

/* /proc/self and /proc/thread-self name whoever looks: the sensor's own readlink would walk into the
 * sensor (and log its binary for a program that execs /proc/self/exe). Their target is made from
 * the tracee's ids instead (the sensor and its tracees share a PID namespace). NULL when CANONICAL
 * is neither or /proc is not mounted there. */
static char *proc_self_target(thread *t, const char *canonical) {
    if (!t || strncmp(canonical, "/proc/", 6)) return NULL;
    bool self = !strcmp(canonical + 6, "self"), tself = !strcmp(canonical + 6, "thread-self");
    if ((!self && !tself) || lstat_kind(t, canonical) != DS_TRACE_SYMLINK) return NULL;
    pid_t tgid, ppid;
    if (proc_ids(t->tid, &tgid, &ppid) < 0 || tgid < 0) return NULL;
    return self ? xasprintf("%d", (int)tgid) : xasprintf("%d/task/%d", (int)tgid, (int)t->tid);
}

static void add_link(resolved *r, const char *path) {
    for (size_t i = 0; i < r->nlinks; i++)
        if (!strcmp(r->links[i], path)) return;
    r->links = xrealloc(r->links, (r->nlinks + 1) * sizeof *r->links);
    r->links[r->nlinks++] = xstrdup(path);
}

/* The walk. Components to do are kept in a stack of strings (front = next). */
resolved *resolve_fresh(thread *t, const char *base, const char *raw, bool follow) {
    resolved *r = xcalloc(1, sizeof *r);
    r->gen = g_generation;
    r->refs = 1;
    size_t rawlen = strlen(raw);
    if (rawlen && raw[rawlen - 1] == '/') follow = true;
    /* Remaining path held as one string; splicing a link target prepends to it. */
    char *rest = xstrdup(raw);
    sbuf cur = {0};
    sb_set(&cur, raw[0] == '/' ? "/" : base);
    bool missing = false;
    int links = 0;
    r->kind = DS_TRACE_DIR;
    char *p = rest;
    for (;;) {
        while (*p == '/') p++;
        if (!*p) break;
        char *e = p;
        while (*e && *e != '/') e++;
        size_t n = (size_t)(e - p);
        const char *after = e;
        while (*after == '/') after++;
        bool last = !*after;
        if (n == 1 && p[0] == '.') { p = e; if (last && !missing) r->kind = lstat_kind(t, cur.s); continue; }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            sb_pop(&cur); p = e;
            if (last && !missing) r->kind = lstat_kind(t, cur.s);
            continue;
        }
        sb_push(&cur, p, n);
        p = e;
        if (missing) { r->kind = DS_TRACE_MISSING; continue; }
        comp tmp = {0}, *c;
        char *magic = proc_self_target(t, cur.s);
        if (magic) { tmp.kind = DS_TRACE_SYMLINK; tmp.target = magic; c = &tmp; r->owner = t->tid; }
        else if (last) { tmp.kind = lstat_kind(t, cur.s); tmp.target = NULL; c = &tmp; }
        else c = component(t, cur.s, &tmp);
        if (c->kind == DS_TRACE_SYMLINK && (!last || follow)) {
            char *target = c == &tmp ? (tmp.target ? tmp.target : (tmp.target = read_link(t, cur.s))) : c->target;
            if (!target || ++links > 40) { r->kind = DS_TRACE_SYMLINK; if (c == &tmp) free(tmp.target); break; }
            add_link(r, cur.s);
            char *nrest = xasprintf("%s/%s", target, p);
            if (target[0] == '/') sb_set(&cur, "/"); else sb_pop(&cur);
            if (c == &tmp) free(tmp.target);
            free(rest);
            rest = p = nrest;
            r->kind = DS_TRACE_DIR;
            continue;
        }
        if (c == &tmp) free(tmp.target);
        if (c->kind == DS_TRACE_MISSING || (!last && c->kind != DS_TRACE_DIR)) { missing = true; r->kind = DS_TRACE_MISSING; continue; }
        r->kind = c->kind;
    }
    free(rest);
    r->path = cur.s;
    return r;
}

resolved *resolve_path(thread *t, const char *base, const char *raw, bool follow) {
    if (!raw || !*raw) return NULL;
    if (!base) base = "/";
    const char *root = t && t->fs ? t->fs->root : "/";
    char stackkey[1024];
    size_t need = strlen(root) + strlen(base) + strlen(raw) + 8;
    char *key = need <= sizeof stackkey ? stackkey : xmalloc(need);
    snprintf(key, need, "%c%s\x01%s%s%s", follow ? 'F' : 'N', root, raw[0] == '/' ? "" : base,
             raw[0] == '/' ? "" : "/", raw);
    void **slot = strmap_slot(&requests, key, true);
    resolved *r = *slot;
    if (!r || r->gen != g_generation || (r->owner && (!t || r->owner != t->tid))) {
        res_unref(r);
        *slot = r = resolve_fresh(t, base, raw, follow);
    }
    if (key != stackkey) free(key);
    return r;
}

resolved *res_ref(resolved *r) { if (r) r->refs++; return r; }
void res_unref(resolved *r) {
    if (!r || --r->refs > 0) return;
    for (size_t j = 0; j < r->nlinks; j++) free(r->links[j]);
    free(r->links); free(r->path); free(r);
}
static void unref_void(void *p) { res_unref(p); }

void paths_mutated(const char *canonical) {
    g_generation++;
    void **slot = strmap_slot(&components, canonical, false);
    if (slot && *slot) { comp *c = *slot; free(c->target); c->target = NULL; c->kind = -1; }
}

void record(const char *path, int kind, unsigned op, bool ok) {
    void **slot = strmap_slot(&g_files, path, true);
    fentry *e = *slot;
    if (!e) {
        e = *slot = xcalloc(1, sizeof *e);
        e->kind = kind;
        e->ok = ok;
        e->first_epoch = g_epoch;
        e->write_epoch = -1;
    } else if (ok && (!e->ok || e->kind == DS_TRACE_MISSING)) {
        e->ok = true;
        e->kind = kind;
    }
    e->last_epoch = g_epoch;
    if (ok && (op & SENSOR_WRITE_OPS)) {
        if (e->write_epoch < 0) e->write_epoch = (int)g_epoch;
        e->last_write_epoch = (int)g_epoch;
    }
    e->ops |= op & ~SENSOR_OP_WRITE;
}

void record_resolved(const resolved *r, unsigned op, bool ok) {
    if (!r) return;
    for (size_t i = 0; i < r->nlinks; i++) record(r->links[i], DS_TRACE_SYMLINK, DS_TRACE_OP_FOLLOW, ok);
    record(r->path, r->kind, op, ok);
}

static void free_comp(void *p) {
    comp *c = p;
    if (!c) return;
    free(c->target);
    free(c);
}

void paths_free_all(void) {
    strmap_clear(&requests, unref_void);
    strmap_clear(&components, free_comp);
    strmap_clear(&g_files, free);
}
