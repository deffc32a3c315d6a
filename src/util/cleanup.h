/* What to undo when distill is interrupted (SIGINT, SIGTERM, SIGHUP).
 *
 * Code that creates temporary work registers it here and unregisters it when the
 * work is renamed into place or removed: ds_mkdtemp and ds_tmp_sibling register,
 * ds_rmtree unregisters, the rename sites call ds_cleanup_forget. On a signal the
 * CLI (src/cli/interrupt.c) stops the registered children, detaches the registered
 * mounts and removes the registered paths, newest first.
 *
 * Design: everything the signal handler touches is async-signal-safe.
 * - The registry is a fixed static array; no malloc. Each slot has an atomic state
 *   FREE -> BUSY (being written) -> LIVE; the handler only reads LIVE slots, and a
 *   slot becomes LIVE only after its path is complete, so a signal arriving in the
 *   middle of an update sees either the old or the new state, never half of one.
 * - ds_cleanup_run removes trees with raw syscalls only (openat, getdents64,
 *   fstatat, unlinkat, fchmod) and static buffers: one directory fd at a time
 *   (down into the first subdirectory, back up with ".."), so depth costs no fds
 *   and no memory beyond a fixed per-level counter. Symlinks are unlinked, never
 *   followed; other filesystems (a mount point inside) are never entered; a
 *   directory without u+rwx is chmod'ed u+rwx before it is emptied.
 * - Paths are stored absolute, so a chdir does not redirect the removal.
 * The remover keeps static state: call it only from the handler or with these
 * signals blocked (ds_cleanup_run does not re-enter). Library code never prints. */
#ifndef DS_UTIL_CLEANUP_H
#define DS_UTIL_CLEANUP_H
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Set (to the signal number) when an interrupt arrived; long waits poll it. */
extern volatile sig_atomic_t ds_interrupted;

/* Remember path (a temp file or dir that is ours to delete). Best effort: 0, or -1 when
 * the registry is full or the path is too long (the work is then merely not protected). */
int ds_cleanup_register(const char *path);
/* Forget path: it was renamed into place, handed over, or removed. */
void ds_cleanup_forget(const char *path);
/* A mount point inside registered temp work: detached (MNT_DETACH) before removal. */
int ds_cleanup_register_mount(const char *path);
void ds_cleanup_forget_mount(const char *path);
/* A child process to stop on interrupt: SIGTERM, a short grace, then SIGKILL. With
 * _group, the child leads its own process group and the whole group is signalled. */
int ds_cleanup_register_child(pid_t pid);
int ds_cleanup_register_child_group(pid_t pid);
void ds_cleanup_forget_child(pid_t pid);
/* While > 0 (a container is running), the first signal only sets ds_interrupted and is
 * forwarded to the registered children: the code stops the container the orderly way
 * (runtime kill + delete, overlay unmount) and the CLI cleans up after it returns. */
void ds_cleanup_defer_begin(void);
void ds_cleanup_defer_end(void);
bool ds_cleanup_deferred(void);

/* Block / restore SIGINT, SIGTERM, SIGHUP around a create-and-register pair. */
void ds_cleanup_block(sigset_t *old);
void ds_cleanup_unblock(const sigset_t *old);

/* Async-signal-safe. Send sig to every registered child. */
void ds_cleanup_signal_children(int sig);
/* Async-signal-safe. SIGTERM every registered child, wait up to grace_ms, SIGKILL the rest. */
void ds_cleanup_stop_children(int grace_ms);
/* Async-signal-safe. Detach registered mounts, then remove every registered path (newest
 * first) and forget it. Returns how many existed and were removed. */
int ds_cleanup_run(void);
/* Async-signal-safe rm -rf of one path (see above). 1 removed, 0 absent, -1 left something. */
int ds_cleanup_remove_tree(const char *path);
/* Number of LIVE path entries (tests). */
int ds_cleanup_count(void);
/* Paths forgotten because they were removed (ds_rmtree) after the interrupt: the orderly
 * path's share of the "removed N temporary paths" message. */
int ds_cleanup_removed_after_interrupt(void);
/* ds_rmtree's hook: forget path, counting it when an interrupt is being handled. */
void ds_cleanup_removed(const char *path);

#endif
