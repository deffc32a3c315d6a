/* Overlay mounts for the layer store: the new mount API (one fsconfig "lowerdir+" per layer,
 * so any number of layers and any path), else mount(2) with a lowerdir= list. */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include "store/store_int.h"
#include "util/cleanup.h"
#include "util/fsutil.h"

static const char *const FIXED[] = {"index", "off", "metacopy", "off", "redirect_dir", "off", NULL};

static int mount_new_api(const char *target, const char *const *lowers, size_t n, const char *upper,
                         const char *work, bool nodev) {
    int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0) return -1;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) r = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0);
    if (r == 0 && upper) r = fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0);
    if (r == 0 && work) r = fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0);
    for (size_t i = 0; FIXED[i] && r == 0; i += 2) r = fsconfig(fs, FSCONFIG_SET_STRING, FIXED[i], FIXED[i + 1], 0);
    if (r == 0) r = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
    int mnt = -1;
    if (r == 0) {
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, (upper ? 0 : MOUNT_ATTR_RDONLY) | (nodev ? MOUNT_ATTR_NODEV : 0));
        if (mnt < 0) r = -1;
    }
    if (r == 0) r = move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
    int e = errno;
    if (mnt >= 0) close(mnt);
    close(fs);
    errno = e;
    return r;
}

static int mount_old_api(const char *target, const char *const *lowers, size_t n, const char *upper,
                         const char *work, bool nodev) {
    size_t len = 64 + (upper ? strlen(upper) : 0) + (work ? strlen(work) : 0);
    for (size_t i = 0; i < n; i++) {
        if (strpbrk(lowers[i], ",:")) { errno = EINVAL; return -1; }
        len += strlen(lowers[i]) + 1;
    }
    char *o = ds_xmalloc(len + 128), *w = o;
    w += sprintf(w, "lowerdir=");
    for (size_t i = 0; i < n; i++) w += sprintf(w, "%s%s", i ? ":" : "", lowers[i]);
    if (upper) w += sprintf(w, ",upperdir=%s,workdir=%s", upper, work);
    sprintf(w, ",index=off,metacopy=off,redirect_dir=off");
    int r = mount("overlay", target, "overlay", (upper ? 0 : MS_RDONLY) | (nodev ? MS_NODEV : 0), o);
    int e = errno;
    free(o);
    errno = e;
    return r;
}

int ds_store_overlay_mount(const char *target, const char *const *lowers, size_t n, const char *upper,
                           const char *work, bool nodev, ds_err *err) {
    const char *no = getenv("DISTILL_STORE_NO_OVERLAY"); /* tests: a machine without overlayfs */
    if (no && !strcmp(no, "1")) { errno = ENODEV; return ds_fail_errno(err, "mount an overlay on %s (DISTILL_STORE_NO_OVERLAY=1)", target); }
    sigset_t old; /* no interrupt between mounting and registering the mount */
    ds_cleanup_block(&old);
    int r = mount_new_api(target, lowers, n, upper, work, nodev);
    if (r < 0 && (errno == ENOSYS || errno == EINVAL || errno == ENODEV)) r = mount_old_api(target, lowers, n, upper, work, nodev);
    int e = errno;
    if (r == 0) ds_cleanup_register_mount(target);
    ds_cleanup_unblock(&old);
    if (r < 0) {
        errno = e;
        return ds_fail_errno(err, "mount an overlay of %zu layer(s) on %s", n, target);
    }
    return 0;
}

void ds_store_overlay_umount(const char *target) {
    umount2(target, MNT_DETACH);
    ds_cleanup_forget_mount(target);
}
