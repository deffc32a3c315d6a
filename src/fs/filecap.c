/* security.capability as the kernel reads it (include/uapi/linux/capability.h). */
#include "fs/filecap.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "fs/root_path.h"

#define VFS_CAP_REVISION_MASK 0xFF000000u
#define VFS_CAP_REVISION_1 0x01000000u
#define VFS_CAP_REVISION_2 0x02000000u
#define VFS_CAP_REVISION_3 0x03000000u
#define VFS_CAP_FLAGS_EFFECTIVE 0x000001u

static void put_le32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
static uint32_t get_le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ds_filecap_encode(uint64_t permitted, bool effective, unsigned char out[DS_FILECAP_V2_SIZE]) {
    put_le32(out, VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0));
    put_le32(out + 4, (uint32_t)permitted);          /* data[0].permitted */
    put_le32(out + 8, 0);                            /* data[0].inheritable */
    put_le32(out + 12, (uint32_t)(permitted >> 32)); /* data[1].permitted */
    put_le32(out + 16, 0);                           /* data[1].inheritable */
}

int ds_filecap_decode(const void *buf, size_t len, uint64_t *permitted, uint64_t *inheritable, bool *effective,
                      ds_err *err) {
    const unsigned char *p = buf;
    if (len < 4) return ds_fail(err, DS_FILECAP_XATTR ": %zu bytes, too short", len);
    uint32_t magic = get_le32(p), rev = magic & VFS_CAP_REVISION_MASK;
    size_t want = rev == VFS_CAP_REVISION_1 ? 12 : rev == VFS_CAP_REVISION_2 ? 20 : rev == VFS_CAP_REVISION_3 ? 24 : 0;
    if (!want) return ds_fail(err, DS_FILECAP_XATTR ": unknown revision 0x%08x", (unsigned)magic);
    if (len != want) return ds_fail(err, DS_FILECAP_XATTR ": %zu bytes, revision %u takes %zu", len, magic >> 24, want);
    if (magic & ~(VFS_CAP_REVISION_MASK | VFS_CAP_FLAGS_EFFECTIVE))
        return ds_fail(err, DS_FILECAP_XATTR ": unknown flags 0x%08x", (unsigned)magic);
    *permitted = get_le32(p + 4);
    *inheritable = get_le32(p + 8);
    if (want >= 20) {
        *permitted |= (uint64_t)get_le32(p + 12) << 32;
        *inheritable |= (uint64_t)get_le32(p + 16) << 32;
    }
    *effective = magic & VFS_CAP_FLAGS_EFFECTIVE;
    return 0;
}

int ds_filecap_add(const char *root, const char *path, uint64_t caps, ds_err *err) {
    ds_rp rp;
    if (ds_rp_open(&rp, root, err) < 0) return -1;
    int fd = ds_rp_open_at(&rp, path, O_RDONLY, DS_RP_NO_SYMLINKS);
    int e = errno;
    ds_rp_close(&rp);
    if (fd < 0) return ds_fail(err, "%s: %s", path, strerror(e));
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) < 0) { ds_fail_errno(err, "%s", path); goto out; }
    if (!S_ISREG(st.st_mode)) { ds_fail(err, "%s: not a regular file", path); goto out; }
    unsigned char cur[24];
    ssize_t n = fgetxattr(fd, DS_FILECAP_XATTR, cur, sizeof cur);
    uint64_t perm = 0, inh = 0;
    bool eff = true;
    if (n >= 0) {
        if (ds_filecap_decode(cur, (size_t)n, &perm, &inh, &eff, err) < 0) { ds_err_wrap(err, "%s", path); goto out; }
        if (inh) { ds_fail(err, "%s: has inheritable file capabilities: left as they are", path); goto out; }
    } else if (errno != ENODATA) {
        ds_fail_errno(err, "%s: read " DS_FILECAP_XATTR, path);
        goto out;
    }
    unsigned char v[DS_FILECAP_V2_SIZE];
    ds_filecap_encode(perm | caps, true, v);
    if (fsetxattr(fd, DS_FILECAP_XATTR, v, sizeof v, 0) < 0) { ds_fail_errno(err, "%s: set " DS_FILECAP_XATTR, path); goto out; }
    rc = 0;
out:
    close(fd);
    return rc;
}
