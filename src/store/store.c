/* The layer store's directory: where it is, its lock, what is in it, prune. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store/store_int.h"
#include "util/fsutil.h"

char *ds_store_dir_for(const ds_opts *o) {
    if (!o || !o->use_store || o->no_store) return NULL;
    if (o->store_dir && *o->store_dir) return ds_xstrdup(o->store_dir);
    const char *e = getenv("DISTILL_STORE");
    if (e && *e) return ds_xstrdup(e);
    if (geteuid() == 0) return ds_xstrdup("/var/cache/distill");
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && *x == '/') return ds_xasprintf("%s/distill", x);
    const char *h = getenv("HOME");
    if (h && *h == '/') return ds_xasprintf("%s/.cache/distill", h);
    return NULL;
}

/* tmp/NAME is "<hex16>.<pid>.XXXXXX": stale when that process is gone. */
static void clean_stale(const char *dir) {
    char *tmp = ds_xasprintf("%s/tmp", dir);
    DIR *d = opendir(tmp);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.') continue;
            const char *dot = strchr(de->d_name, '.');
            long pid = dot ? strtol(dot + 1, NULL, 10) : 0;
            if (pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM)) continue; /* still being made */
            char *p = ds_xasprintf("%s/%s", tmp, de->d_name), *m = ds_xasprintf("%s/merged", p);
            umount2(m, MNT_DETACH); /* a process killed while its overlay was mounted */
            ds_err e;
            ds_rmtree(p, &e);
            free(m);
            free(p);
        }
        closedir(d);
    }
    free(tmp);
}

int ds_store_open_locked(const char *dir, bool exclusive, ds_err *err) {
    static const char *const sub[] = {"layers", "locks", "tmp"};
    for (size_t i = 0; i < 3; i++) {
        char *p = ds_xasprintf("%s/%s", dir, sub[i]);
        int r = ds_mkdirs(p, 0700, err);
        free(p);
        if (r < 0) return ds_err_wrap(err, "store %s", dir);
    }
    char *lp = ds_xasprintf("%s/lock", dir);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lp);
    if (fd < 0) return ds_fail_errno(err, "store %s: lock", dir);
    while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
        if (errno == EINTR) continue;
        int r = ds_fail_errno(err, "store %s: lock", dir);
        close(fd);
        return r;
    }
    clean_stale(dir);
    return fd;
}

json_t *ds_store_stats_json(const ds_store_stats *st) {
    json_t *j = json_pack("{s:b, s:b, s:I, s:I, s:I}", "used", st->used, "flattened", st->flattened, "layers_unpacked", (json_int_t)st->layers_unpacked,
                          "layers_reused", (json_int_t)st->layers_reused, "layers_redone", (json_int_t)st->layers_redone);
    if (!st->used && st->why_not[0]) json_object_set_new(j, "why_not", json_string(st->why_not));
    return j;
}

void ds_store_view_release(ds_store_view *v) {
    if (v->mount) ds_store_overlay_umount(v->mount);
    free(v->mount);
    v->mount = NULL;
    if (v->lock_fd >= 0) close(v->lock_fd);
    v->lock_fd = -1;
    for (size_t i = 0; i < v->n_layers; i++) free(v->layers[i]);
    free(v->layers);
    v->layers = NULL;
    v->n_layers = 0;
}

static int read_entry(const char *dir, const char *name, ds_store_entry *e) {
    memset(e, 0, sizeof *e);
    char *mp = ds_xasprintf("%s/layers/%s/manifest.json", dir, name);
    char *up = ds_xasprintf("%s/layers/%s/used", dir, name);
    json_t *m = json_load_file(mp, 0, NULL);
    struct stat st;
    int r = -1;
    if (m) {
        snprintf(e->chain_id, sizeof e->chain_id, "sha256:%.64s", name);
        snprintf(e->diff_id, sizeof e->diff_id, "%s", json_string_value(json_object_get(m, "diff_id")) ?: "");
        e->size = (uint64_t)json_integer_value(json_object_get(m, "size"));
        e->disk = (uint64_t)json_integer_value(json_object_get(m, "disk"));
        e->files = (size_t)json_integer_value(json_object_get(m, "files"));
        if (stat(up, &st) == 0) {
            e->last_used = st.st_mtim.tv_sec;
            e->last_used_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        }
        json_decref(m);
        r = 0;
    }
    free(mp);
    free(up);
    return r;
}

static int by_last_used_desc(const void *a, const void *b) {
    const ds_store_entry *x = a, *y = b;
    if (x->last_used_ns != y->last_used_ns) return x->last_used_ns > y->last_used_ns ? -1 : 1;
    return strcmp(x->chain_id, y->chain_id);
}

static int list_unlocked(const char *dir, ds_store_entry **out, size_t *n, ds_err *err) {
    *out = NULL;
    *n = 0;
    char *lp = ds_xasprintf("%s/layers", dir);
    DIR *d = opendir(lp);
    if (!d) {
        int r = errno == ENOENT ? 0 : ds_fail_errno(err, "store %s", lp);
        free(lp);
        return r;
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strlen(de->d_name) != 64) continue;
        if (*n == cap) { cap = cap ? cap * 2 : 16; *out = ds_xrealloc(*out, cap * sizeof **out); }
        if (read_entry(dir, de->d_name, &(*out)[*n]) == 0) (*n)++;
    }
    closedir(d);
    free(lp);
    if (*n) qsort(*out, *n, sizeof **out, by_last_used_desc);
    return 0;
}

int ds_store_list(const char *dir, ds_store_entry **out, size_t *n, ds_err *err) {
    struct stat st;
    if (stat(dir, &st) < 0) {
        *out = NULL;
        *n = 0;
        if (errno == ENOENT) return 0; /* nothing stored yet */
        return ds_fail_errno(err, "store %s", dir);
    }
    int fd = ds_store_open_locked(dir, false, err);
    if (fd < 0) return -1;
    int r = list_unlocked(dir, out, n, err);
    close(fd);
    return r;
}

int ds_store_prune(const char *dir, uint64_t max_bytes, size_t *removed, uint64_t *freed, ds_err *err) {
    *removed = 0;
    *freed = 0;
    int fd = ds_store_open_locked(dir, true, err);
    if (fd < 0) return -1;
    ds_store_entry *e = NULL;
    size_t n = 0;
    int r = list_unlocked(dir, &e, &n, err);
    uint64_t total = 0;
    /* Most recently used first: keep while they fit, remove the rest. */
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (total + e[i].disk <= max_bytes) { total += e[i].disk; continue; }
        /* Renamed into tmp/ first: a half-removed layer is never seen as a layer. */
        char *from = ds_xasprintf("%s/layers/%s", dir, e[i].chain_id + 7);
        char *to = ds_xasprintf("%s/tmp/%.16s.0.prune", dir, e[i].chain_id + 7);
        ds_err e2;
        ds_rmtree(to, &e2);
        if (rename(from, to) < 0) r = ds_fail_errno(err, "store: remove %s", from);
        else if (ds_rmtree(to, err) < 0) r = -1;
        else { (*removed)++; *freed += e[i].disk; }
        free(from);
        free(to);
    }
    free(e);
    close(fd);
    return r;
}
