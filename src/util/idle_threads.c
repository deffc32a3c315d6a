#include "util/idle_threads.h"
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int ds_thread_make_idle(void) {
    struct sched_param sp = {0};
    return sched_setscheduler((pid_t)syscall(SYS_gettid), SCHED_IDLE, &sp);
}

void ds_threads_wake_idle(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return;
    struct sched_param sp = {0};
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0) continue;
        if (sched_getscheduler((pid_t)tid) == SCHED_IDLE) sched_setscheduler((pid_t)tid, SCHED_OTHER, &sp);
    }
    closedir(d);
}
