/* Paths inside the root, for harden: root-relative ("etc/passwd", "" for the root) over
 * fs/root_path.h, which keeps every lookup and open inside the tree. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "harden/harden_int.h"
#include "util/fsutil.h"

char *hr_full(const hr_ctx *c, const char *rel) {
    while (*rel == '/') rel++;
    return *rel ? ds_xasprintf("%s/%s", c->root_real, rel) : ds_xstrdup(c->root_real);
}

char *hr_resolve(const hr_ctx *c, const char *path, bool follow_last) {
    char *canon = ds_rp_resolve(&c->rp, path, follow_last ? 0 : DS_RP_NOFOLLOW, NULL, NULL, NULL);
    if (!canon) return NULL;
    char *rel = ds_xstrdup(canon + 1);
    free(canon);
    return rel;
}

/* Harden only acts on entries it walked: a symlink anywhere on the way is refused. */
int hr_open(const hr_ctx *c, const char *rel, int flags) {
    return ds_rp_open_at(&c->rp, rel, flags, DS_RP_NO_SYMLINKS);
}

char *hr_read_rel(const hr_ctx *c, const char *rel, size_t *len) {
    /* O_NONBLOCK: a FIFO planted at etc/passwd must not hang the run. */
    int fd = hr_open(c, rel, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return NULL;
    char *buf = NULL;
    ds_err e;
    int rc = ds_read_fd(fd, rel, &buf, len, 64 << 20, &e);
    close(fd);
    return rc < 0 ? NULL : buf;
}

int hr_strcmp_p(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}
