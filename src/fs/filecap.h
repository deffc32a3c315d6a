/* File capabilities: the security.capability xattr (struct vfs_cap_data, revision 2), which
 * libarchive carries in a layer's PAX headers (SCHILY.xattr.security.capability) and docker,
 * podman and runc honour when the image runs as a non-root user. */
#ifndef DS_FS_FILECAP_H
#define DS_FS_FILECAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

#define DS_FILECAP_XATTR "security.capability"
#define DS_FILECAP_V2_SIZE 20            /* magic_etc + 2 x {permitted, inheritable}, little-endian */
#define DS_CAP_NET_BIND_SERVICE 10       /* linux/capability.h */

/* Encode permitted caps (bit n = capability n; inheritable none) as revision 2; effective sets
 * VFS_CAP_FLAGS_EFFECTIVE so the caps are effective at exec (what `setcap cap_x+ep` writes). */
void ds_filecap_encode(uint64_t permitted, bool effective, unsigned char out[DS_FILECAP_V2_SIZE]);
/* Decode revision 1, 2 or 3 (3: the rootid is ignored). -1 with err on anything else. */
int ds_filecap_decode(const void *buf, size_t len, uint64_t *permitted, uint64_t *inheritable, bool *effective,
                      ds_err *err);
/* Add caps to the permitted set of the regular file at in-image path `path` under root
 * (kept inside it, no symlink followed), effective at exec. Existing caps are kept. */
int ds_filecap_add(const char *root, const char *path, uint64_t caps, ds_err *err);
#endif
