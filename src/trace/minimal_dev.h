/* A container-style minimal /dev for `distill trace --root`: the traced tree sees the few devices
 * programs expect (null, zero, full, random, urandom, tty, a private pts and shm, the fd links),
 * not the host's disks and consoles. Call in a private mount namespace: nothing is written into
 * the tree itself (a tmpfs is mounted over DEV_DIR). */
#ifndef DS_TRACE_MINIMAL_DEV_H
#define DS_TRACE_MINIMAL_DEV_H
#include "util/err.h"

int ds_trace_minimal_dev(const char *dev_dir, ds_err *err);

#endif
