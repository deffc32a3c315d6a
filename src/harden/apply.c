/* Applying the plan: removals first, then modes, attributes, edits and creations.
 * Every path is canonical and opened without following symlinks. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "harden/harden_int.h"
#include "util/fsutil.h"

static int set_owner_mode(hr_ctx *c, const char *rel, uid_t uid, gid_t gid, mode_t mode, ds_err *err) {
    int fd = hr_open(c, rel, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return ds_fail_errno(err, "%s/%s: open", c->root, rel);
    int r = 0;
    if (fchown(fd, uid, gid) < 0 && errno != EPERM) r = ds_fail_errno(err, "%s/%s: chown", c->root, rel);
    else if (fchmod(fd, mode) < 0) r = ds_fail_errno(err, "%s/%s: chmod", c->root, rel);
    close(fd);
    return r;
}

static int apply_one(hr_ctx *c, const hr_item *it, ds_err *err) {
    char *full = hr_full(c, it->rel);
    int r = 0;
    switch (it->action) {
    case DS_HA_REMOVE:
        r = ds_rmtree(full, err);
        break;
    case DS_HA_CHMOD: {
        int fd = hr_open(c, it->rel, O_RDONLY | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) r = ds_fail_errno(err, "%s: open", full);
        else if (fchmod(fd, st.st_mode & 07777 & ~it->mode) < 0) r = ds_fail_errno(err, "%s: chmod", full);
        if (fd >= 0) close(fd);
        break;
    }
    case DS_HA_XATTR: {
        int fd = hr_open(c, it->rel, O_RDONLY | O_NONBLOCK);
        if (fd < 0) r = ds_fail_errno(err, "%s: open", full);
        else if (fremovexattr(fd, "security.capability") < 0 && errno != ENODATA)
            r = ds_fail_errno(err, "%s: remove security.capability", full);
        if (fd >= 0) close(fd);
        break;
    }
    case DS_HA_EDIT:
    case DS_HA_CREATE:
        if (it->is_dir) {
            if (mkdir(full, 0700) < 0 && errno != EEXIST) r = ds_fail_errno(err, "%s: mkdir", full);
        } else if (it->content) {
            char *slash = strrchr(full, '/');
            if (it->action == DS_HA_CREATE && slash) {
                *slash = 0;
                r = ds_mkdirs(full, 0755, err);
                *slash = '/';
                if (r < 0) break;
            }
            r = ds_write_file_atomic(full, it->content, it->content_len, 0600, err);
        } else {
            break; /* a report-only line: its file is written by another item */
        }
        if (r == 0) r = set_owner_mode(c, it->rel, it->uid, it->gid, it->mode, err);
        break;
    }
    free(full);
    return r;
}

int hr_apply(hr_ctx *c, ds_err *err) {
    static const ds_harden_action order[] = {DS_HA_REMOVE, DS_HA_CHMOD, DS_HA_XATTR, DS_HA_CREATE, DS_HA_EDIT};
    for (size_t k = 0; k < sizeof order / sizeof *order; k++)
        for (size_t i = 0; i < c->n_items; i++)
            if (c->items[i].action == order[k] && apply_one(c, &c->items[i], err) < 0) return -1;
    return 0;
}
