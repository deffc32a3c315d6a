/* Background work that yields to everything else: a thread in SCHED_IDLE runs only on a CPU
 * nothing else wants, and any other task that wakes preempts it at once (nice only lowers its
 * share, and a woken task may still wait for it). Threads it creates inherit the policy. */
#ifndef DS_UTIL_IDLE_THREADS_H
#define DS_UTIL_IDLE_THREADS_H

/* The calling thread to SCHED_IDLE; 0, or -1 with errno (then it stays as it was). */
int ds_thread_make_idle(void);
/* Every SCHED_IDLE thread of this process back to the normal policy (the work they do is now
 * what the caller waits for). */
void ds_threads_wake_idle(void);

#endif
