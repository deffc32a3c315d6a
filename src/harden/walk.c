/* Walk the whole tree once, never following a symlink: every entry with its lstat. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "harden/harden_int.h"
#include "util/fsutil.h"

static int cmp_ent(const void *a, const void *b) {
    return strcmp(((const hr_entry *)a)->rel, ((const hr_entry *)b)->rel);
}

static void push(hr_ctx *c, const char *rel, const struct stat *st) {
    if (c->n_ents == c->cap_ents) {
        c->cap_ents = c->cap_ents ? c->cap_ents * 2 : 1024;
        c->ents = ds_xrealloc(c->ents, c->cap_ents * sizeof *c->ents);
    }
    c->ents[c->n_ents].rel = ds_xstrdup(rel);
    c->ents[c->n_ents].st = *st;
    c->n_ents++;
}

/* dfd is owned (closed here). */
static int walk_dir(hr_ctx *c, int dfd, const char *rel, int depth, ds_err *err) {
    if (depth > 256) { close(dfd); return ds_fail(err, "%s/%s: directories nested too deep", c->root, rel); }
    DIR *d = fdopendir(dfd);
    if (!d) { close(dfd); return ds_fail_errno(err, "%s/%s: open directory", c->root, rel); }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = ds_fail_errno(err, "%s/%s%s%s: stat", c->root, rel, *rel ? "/" : "", de->d_name);
            break;
        }
        char *child = ds_rel_join(rel, de->d_name);
        push(c, child, &st);
        if (S_ISDIR(st.st_mode)) {
            int cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0) rc = ds_fail_errno(err, "%s/%s: open directory", c->root, child);
            else rc = walk_dir(c, cfd, child, depth + 1, err);
        }
        free(child);
        if (rc < 0) break;
    }
    closedir(d);
    return rc;
}

int hr_walk(hr_ctx *c, ds_err *err) {
    int fd = openat(c->rp.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ds_fail_errno(err, "%s: open", c->root);
    if (walk_dir(c, fd, "", 0, err) < 0) return -1;
    qsort(c->ents, c->n_ents, sizeof *c->ents, cmp_ent);
    return 0;
}

const hr_entry *hr_find_entry(const hr_ctx *c, const char *rel) {
    hr_entry key = {.rel = (char *)rel};
    return bsearch(&key, c->ents, c->n_ents, sizeof *c->ents, cmp_ent);
}
