#include "elf/ldconf.h"
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONF 65536
#define MAX_DEPTH 16

void ds_dirlist_add(ds_dirlist *l, const char *dir) {
    if (!ds_strvec_has(l, dir)) ds_strvec_push(l, dir);
}

void ds_dirlist_free(ds_dirlist *l) { ds_strvec_free(l); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void read_conf(ds_root *r, const char *path, ds_dirlist *out, int depth, ds_dirlist *seen);

/* `include PATTERN`: a glob in the last component only (what every distro writes). */
static void include_glob(ds_root *r, const char *pattern, ds_dirlist *out, int depth, ds_dirlist *seen) {
    const char *slash = strrchr(pattern, '/');
    char *dir = slash ? (slash == pattern ? ds_xstrdup("/") : ds_xstrndup(pattern, (size_t)(slash - pattern))) : ds_xstrdup("/");
    const char *glob = slash ? slash + 1 : pattern;
    if (strpbrk(dir, "*?[")) { free(dir); return; }
    const ds_rpath_res *d = ds_root_lookup(r, dir);
    if (!d->exists || !S_ISDIR(d->mode)) { free(dir); return; }
    int fd = ds_rp_open_at(&r->rp, d->real, O_RDONLY | O_DIRECTORY, 0);
    DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dh) { if (fd >= 0) close(fd); free(dir); return; }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dh)) && n < 4096) {
        if (de->d_name[0] == '.' && glob[0] != '.') continue;
        if (fnmatch(glob, de->d_name, FNM_PERIOD) != 0) continue;
        names = ds_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = ds_xstrdup(de->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof *names, cmp_str); /* glob(3) order */
    for (size_t i = 0; i < n; i++) {
        char *p = ds_xasprintf("%s/%s", d->real, names[i]);
        read_conf(r, p, out, depth + 1, seen);
        free(p);
        free(names[i]);
    }
    free(names);
    free(dir);
}

static void read_conf(ds_root *r, const char *path, ds_dirlist *out, int depth, ds_dirlist *seen) {
    if (depth > MAX_DEPTH) return;
    const ds_rpath_res *x = ds_root_lookup(r, path);
    if (!x->exists) return;
    for (size_t i = 0; i < seen->n; i++) if (!strcmp(seen->v[i], x->real)) return; /* include cycle */
    ds_dirlist_add(seen, x->real);
    char *data = NULL;
    ds_err e;
    if (ds_root_read_file(r, path, MAX_CONF, &data, NULL, &e) != 1) return;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        while (isspace((unsigned char)*line)) line++;
        size_t n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1])) line[--n] = 0;
        if (!n) continue;
        if (!strncmp(line, "include", 7) && isspace((unsigned char)line[7])) {
            char *pat = line + 8;
            while (isspace((unsigned char)*pat)) pat++;
            /* Relative patterns are relative to the including file's directory (ldconfig). */
            char *full;
            if (pat[0] == '/') full = ds_xstrdup(pat);
            else {
                const char *s = strrchr(x->real, '/');
                full = ds_xasprintf("%.*s/%s", (int)(s - x->real), x->real, pat);
            }
            /* Several patterns may follow one include. */
            char *s2 = NULL;
            for (char *p = strtok_r(full, " \t", &s2); p; p = strtok_r(NULL, " \t", &s2)) include_glob(r, p, out, depth, seen);
            free(full);
            continue;
        }
        if (!strncmp(line, "hwcap", 5) && isspace((unsigned char)line[5])) continue;
        char *eq = strchr(line, '='); /* legacy "DIR=TYPE" */
        if (eq) *eq = 0;
        char *clean = ds_path_clean(line);
        ds_dirlist_add(out, clean);
        free(clean);
    }
    free(data);
}

void ds_ldconf_read(ds_root *r, ds_dirlist *out) {
    ds_dirlist seen = {0};
    read_conf(r, "/etc/ld.so.conf", out, 0, &seen);
    ds_dirlist_free(&seen);
}

void ds_musl_path_read(ds_root *r, const char *arch, ds_dirlist *out) {
    char *p = ds_xasprintf("/etc/ld-musl-%s.path", arch ? arch : "");
    char *data = NULL;
    ds_err e;
    int rc = ds_root_read_file(r, p, MAX_CONF, &data, NULL, &e);
    free(p);
    if (rc != 1) data = ds_xstrdup("/lib:/usr/local/lib:/usr/lib");
    char *save = NULL;
    for (char *d = strtok_r(data, ":\n", &save); d; d = strtok_r(NULL, ":\n", &save)) {
        if (!*d) continue;
        ds_dirlist_add(out, d);
    }
    free(data);
}
