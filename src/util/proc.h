/* Waiting for a child that leads its own process group, with a time limit. */
#ifndef DS_UTIL_PROC_H
#define DS_UTIL_PROC_H
#include <stdbool.h>
#include <sys/types.h>

/* Wait for pid (the leader of its own process group). With timeout_s > 0, a child still
 * running after timeout_s seconds gets SIGTERM on its whole group, then SIGKILL after
 * grace_s more, and *timed_out is set; every process of the group is signalled, so a
 * shell's children do not outlive it. Returns the wait status, or -1 (errno) when the
 * wait failed. */
int ds_wait_group(pid_t pid, double timeout_s, double grace_s, bool *timed_out);

#endif
