/* The container's root: an overlay over the (read-only) source tree, so the app can
 * write where it wants while the tree we minify from stays exactly as unpacked. */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

int ds_overlay_mount(const char *lower, const char *work_dir, char **merged, ds_err *err) {
    char *upper = ds_xasprintf("%s/upper", work_dir), *work = ds_xasprintf("%s/work", work_dir);
    char *m = ds_xasprintf("%s/merged", work_dir);
    int r = -1;
    if (ds_mkdirs(upper, 0755, err) < 0 || ds_mkdirs(work, 0700, err) < 0 || ds_mkdirs(m, 0755, err) < 0) goto out;
    if (strchr(lower, ',') || strchr(lower, ':')) {
        ds_fail(err, "overlay lower dir %s: ',' and ':' are not allowed in the path", lower);
        goto out;
    }
    char *opts = ds_xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
    sigset_t old; /* no interrupt between mounting and registering the mount */
    ds_cleanup_block(&old);
    int mr = mount("overlay", m, "overlay", 0, opts);
    if (mr == 0) ds_cleanup_register_mount(m);
    ds_cleanup_unblock(&old);
    if (mr < 0) {
        ds_fail_errno(err, "mount overlay on %s (lower %s)", m, lower);
        free(opts);
        goto out;
    }
    free(opts);
    *merged = m;
    m = NULL;
    r = 0;
out:
    free(upper); free(work); free(m);
    return r;
}

int ds_overlay_umount(const char *merged, ds_err *err) {
    if (umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return ds_fail_errno(err, "umount %s", merged);
    ds_cleanup_forget_mount(merged);
    return 0;
}
