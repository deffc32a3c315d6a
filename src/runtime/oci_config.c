/* The OCI runtime config.json for runc/crun: what `docker run` would give the
 * process (default capabilities, /proc, /dev, /sys read-only, masked paths),
 * with the host network namespace so tests reach 127.0.0.1:PORT. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "runtime/runtime.h"

/* Docker's default capability set (moby oci/caps/defaults.go). */
static const char *const default_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};

static const char *const masked_paths[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strarr(const char *const *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *mount(const char *dst, const char *type, const char *src, const char *const *opts, size_t n) {
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
                     "options", strarr(opts, n));
}
#define MOUNT(dst, type, src, ...)                                                               \
    mount(dst, type, src, (const char *const[]){__VA_ARGS__},                                    \
          sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

json_t *ds_oci_config(const ds_run_spec *spec, const char *rootfs_path, const char *id) {
    json_t *caps = strarr(default_caps, sizeof default_caps / sizeof *default_caps);
    /* The sensor traces its own child: no extra privilege in the kernel's eyes, but some
     * hosts' Yama settings want CAP_SYS_PTRACE even for that. */
    if (spec->sensor_path) json_array_append_new(caps, json_string("CAP_SYS_PTRACE"));

    /* With the host's network, docker and podman give the host's name (which the host's
     * /etc/hosts, bound in below, resolves): an app that looks up its own name works. */
    char host[256] = "distill";
    if (spec->network == DS_NET_HOST && (gethostname(host, sizeof host) < 0 || !*host))
        snprintf(host, sizeof host, "distill");
    host[sizeof host - 1] = 0;
    json_t *env = json_array();
    bool has_home = false, has_hostname = false;
    for (size_t i = 0; i < spec->n_env; i++) {
        json_array_append_new(env, json_string(spec->env[i]));
        has_home |= !strncmp(spec->env[i], "HOME=", 5);
        has_hostname |= !strncmp(spec->env[i], "HOSTNAME=", 9);
    }
    /* As docker and podman: HOME from the user's passwd entry, HOSTNAME the container's name. */
    if (!has_home) json_array_append_new(env, json_pack("s+", "HOME=", spec->home && *spec->home ? spec->home : "/"));
    if (!has_hostname) json_array_append_new(env, json_pack("s+", "HOSTNAME=", host));
    json_t *args = json_array();
    for (size_t i = 0; i < spec->n_args; i++) json_array_append_new(args, json_string(spec->args[i]));

    /* No more open files than we may have ourselves (raising it needs privileges we may lack). */
    struct rlimit rl = {1048576, 1048576};
    getrlimit(RLIMIT_NOFILE, &rl);
    json_int_t nofile = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576 : (json_int_t)rl.rlim_max;
    json_t *gids = json_array();
    for (size_t i = 0; i < spec->n_additional_gids; i++)
        json_array_append_new(gids, json_integer((json_int_t)spec->additional_gids[i]));
    /* umask 022 as docker and podman set it: without it the app would get whatever distill's
     * caller had (a 077 shell makes every file the app creates unreadable to others). */
    json_t *user = json_pack("{s:I, s:I, s:i, s:o}", "uid", (json_int_t)spec->uid, "gid", (json_int_t)spec->gid,
                             "umask", 022, "additionalGids", gids);
    json_t *process = json_pack(
        "{s:b, s:o, s:o, s:o, s:s, s:{s:O, s:O, s:O, s:O}, s:[{s:s, s:I, s:I}], s:b}",
        "terminal", 0, "user", user, "args", args, "env", env,
        "cwd", spec->cwd && *spec->cwd ? spec->cwd : "/", "capabilities", "bounding", caps,
        "effective", caps, "permitted", caps, "inheritable", caps, "rlimits", "type", "RLIMIT_NOFILE",
        "hard", nofile, "soft", nofile, "noNewPrivileges", 0);
    json_decref(caps);

    json_t *mounts = json_array();
    json_array_append_new(mounts, MOUNT("/proc", "proc", "proc", "nosuid", "noexec", "nodev"));
    json_array_append_new(mounts, MOUNT("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"));
    json_array_append_new(mounts, MOUNT("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance",
                                        "ptmxmode=0666", "mode=0620", "gid=5"));
    json_array_append_new(mounts, MOUNT("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
    json_array_append_new(mounts, MOUNT("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"));
    /* A fresh sysfs needs a fresh network namespace; with the host's, bind it read-only. */
    if (spec->network == DS_NET_HOST)
        json_array_append_new(mounts, MOUNT("/sys", "bind", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro"));
    else
        json_array_append_new(mounts, MOUNT("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"));
    if (access("/etc/resolv.conf", R_OK) == 0)
        json_array_append_new(mounts, MOUNT("/etc/resolv.conf", "bind", "/etc/resolv.conf", "rbind", "ro"));
    if (access("/etc/hosts", R_OK) == 0)
        json_array_append_new(mounts, MOUNT("/etc/hosts", "bind", "/etc/hosts", "rbind", "ro"));
    if (spec->sensor_path)
        json_array_append_new(mounts, MOUNT(DS_SENSOR_MOUNT, "bind", spec->sensor_path, "rbind", "ro"));
    if (spec->log_dir)
        json_array_append_new(mounts, MOUNT(DS_LOG_MOUNT, "bind", spec->log_dir, "rbind", "rw"));

    json_t *ns = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}]", "type", "pid", "type", "ipc", "type", "uts",
                           "type", "mount");
    if (spec->network == DS_NET_NONE) json_array_append_new(ns, json_pack("{s:s}", "type", "network"));

    char cg[256];
    snprintf(cg, sizeof cg, "/distill/%s", id);
    json_t *linux = json_pack("{s:s, s:o, s:o, s:o, s:{}}", "cgroupsPath", cg, "namespaces", ns,
                              "maskedPaths", strarr(masked_paths, sizeof masked_paths / sizeof *masked_paths),
                              "readonlyPaths", strarr(readonly_paths, sizeof readonly_paths / sizeof *readonly_paths),
                              "resources");
    if (spec->seccomp) json_object_set(linux, "seccomp", (json_t *)spec->seccomp);

    return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", "1.0.2", "process", process,
                     "root", "path", rootfs_path, "readonly", 0, "hostname", host, "mounts", mounts,
                     "linux", linux);
}
