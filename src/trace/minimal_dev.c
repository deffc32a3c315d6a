/* Minimal /dev (minimal_dev.h), the same set OCI runtimes give a container. */
#include "trace/minimal_dev.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
static const char *const links[][2] = {
    {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

int ds_trace_minimal_dev(const char *dev_dir, ds_err *err) {
    char p[PATH_MAX];
    if (mount("tmpfs", dev_dir, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
        return ds_fail_errno(err, "cannot mount a tmpfs on %s", dev_dir);
    for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
        char host[64];
        snprintf(host, sizeof host, "/dev/%s", devices[i]);
        if (access(host, F_OK) < 0) continue; /* a host without it: the tree goes without too */
        snprintf(p, sizeof p, "%s/%s", dev_dir, devices[i]);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) return ds_fail_errno(err, "cannot create %s", p);
        close(fd);
        if (mount(host, p, NULL, MS_BIND, NULL) < 0) return ds_fail_errno(err, "cannot bind %s on %s", host, p);
    }
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        snprintf(p, sizeof p, "%s/%s", dev_dir, links[i][0]);
        if (symlink(links[i][1], p) < 0) return ds_fail_errno(err, "cannot create %s", p);
    }
    snprintf(p, sizeof p, "%s/shm", dev_dir);
    if (mkdir(p, 01777) < 0 || mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
        return ds_fail_errno(err, "cannot mount %s", p);
    snprintf(p, sizeof p, "%s/pts", dev_dir);
    if (mkdir(p, 0755) < 0) return ds_fail_errno(err, "cannot create %s", p);
    /* A private devpts instance; without it (old kernels, no devpts) the tree has no terminals. */
    mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    return 0;
}
