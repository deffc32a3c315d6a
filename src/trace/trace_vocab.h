/* The trace log's vocabulary: path kinds and operation bits, and their JSON names. One
 * definition for the sensor, which writes the log, and the library, which reads it.
 * Header-only because the static sensor links no library code. */
#ifndef DS_TRACE_TRACE_VOCAB_H
#define DS_TRACE_TRACE_VOCAB_H
#include <string.h>

typedef enum ds_trace_kind {
    DS_TRACE_FILE = 0,
    DS_TRACE_DIR,
    DS_TRACE_SYMLINK,
    DS_TRACE_SOCKET,
    DS_TRACE_FIFO,
    DS_TRACE_DEVICE,
    DS_TRACE_MISSING, /* lstat found nothing when it was recorded */
    DS_TRACE_OTHER,
} ds_trace_kind;
#define DS_TRACE_KIND_COUNT 8

/* What was done to a path (bitmask in ds_trace_file.ops). */
enum {
    DS_TRACE_OP_OPEN = 1u << 0,     /* open/openat/openat2/creat (reading or writing) */
    DS_TRACE_OP_STAT = 1u << 1,     /* stat family, statfs, xattr reads, inotify watch */
    DS_TRACE_OP_EXEC = 1u << 2,     /* execve target, or the #! interpreter the kernel ran */
    DS_TRACE_OP_READLINK = 1u << 3,
    DS_TRACE_OP_LIST = 1u << 4,     /* opened as a directory (O_DIRECTORY), i.e. to list it */
    DS_TRACE_OP_MAP = 1u << 5,      /* mmap'ed executable, or the ELF interpreter the kernel loaded */
    DS_TRACE_OP_CHDIR = 1u << 6,    /* chdir/fchdir/chroot */
    DS_TRACE_OP_CONNECT = 1u << 7,  /* connect/bind/sendto on a unix socket path */
    DS_TRACE_OP_CREATE = 1u << 8,   /* O_CREAT, mkdir, mknod, symlink/link/rename target */
    DS_TRACE_OP_ACCESS = 1u << 9,   /* access/faccessat */
    DS_TRACE_OP_UNLINK = 1u << 10,  /* unlink/rmdir */
    DS_TRACE_OP_RENAME = 1u << 11,  /* rename source */
    DS_TRACE_OP_FOLLOW = 1u << 12,  /* a symlink walked on the way to another path */
    DS_TRACE_OP_ATTR = 1u << 13,    /* chmod/chown/utimes/truncate/xattr writes */
};
#define DS_TRACE_OP_COUNT 14

/* JSON name of kind k ("file", "dir", ...); "other" when out of range. */
static inline const char *ds_trace_vocab_kind(unsigned k) {
    static const char *const names[DS_TRACE_KIND_COUNT] = {"file", "dir",    "symlink", "socket",
                                                           "fifo", "device", "missing", "other"};
    return k < DS_TRACE_KIND_COUNT ? names[k] : "other";
}

/* JSON name of operation bit index i ("open", "stat", ...); NULL when out of range. */
static inline const char *ds_trace_vocab_op(unsigned i) {
    static const char *const names[DS_TRACE_OP_COUNT] = {"open",    "stat",   "exec",   "readlink", "list",
                                                         "map",     "chdir",  "connect", "create",  "access",
                                                         "unlink",  "rename", "follow", "attr"};
    return i < DS_TRACE_OP_COUNT ? names[i] : NULL;
}

/* The kind named name, or -1. */
static inline int ds_trace_vocab_kind_parse(const char *name) {
    for (unsigned i = 0; i < DS_TRACE_KIND_COUNT; i++)
        if (!strcmp(name, ds_trace_vocab_kind(i))) return (int)i;
    return -1;
}

/* The operation bit named name, or 0. */
static inline unsigned ds_trace_vocab_op_parse(const char *name) {
    for (unsigned i = 0; i < DS_TRACE_OP_COUNT; i++)
        if (!strcmp(name, ds_trace_vocab_op(i))) return 1u << i;
    return 0;
}

#endif
