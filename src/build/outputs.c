/* What build writes besides the image: a seccomp profile, and a Dockerfile with the
 * distilled layer as its build context. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "build/build.h"
#include "util/compress.h"
#include "util/cleanup.h"
#include "util/fsutil.h"
#include "util/json_doc.h"

/* What any process needs between the runtime's seccomp install and the app's first
 * traced instruction, and to exit: not always visible in a trace. */
static const char *const always[] = {
    "execve", "execveat", "exit", "exit_group", "rt_sigreturn", "rt_sigaction", "rt_sigprocmask",
    "brk", "mmap", "munmap", "mprotect", "arch_prctl", "set_tid_address", "set_robust_list", "rseq",
    "prlimit64", "futex", "getpid", "gettid", "close", "read", "write", "fstat", "newfstatat", "openat",
    "access", "faccessat", "faccessat2", "pread64", "uname", "getrandom", "capget", "capset", "prctl",
    "setgroups", "setuid", "setgid", "fcntl", "getppid", "wait4", "kill", "tgkill", "nanosleep",
    "clock_gettime", "clock_nanosleep", "sigaltstack", "restart_syscall",
    /* runc's init between installing the filter and execve (closing fds, checking /proc) */
    "fstatfs", "statfs", "getdents64", "close_range", "fchdir", "chdir", "setresuid", "setresgid",
    "getuid", "geteuid", "getgid", "getegid", "dup3", "write", "epoll_pwait", "epoll_ctl", "epoll_create1",
    "pipe2", "readlinkat", "lseek", "getcwd", "sched_yield", "madvise", "sched_getaffinity", "clone", "clone3",
};

static const char *const *archs_for(const char *arch, size_t *n) {
    static const char *const x86_64[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    static const char *const arm64[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
    static const char *const arm[] = {"SCMP_ARCH_ARM"};
    static const char *const ppc[] = {"SCMP_ARCH_PPC64LE"};
    static const char *const s390x[] = {"SCMP_ARCH_S390X", "SCMP_ARCH_S390"};
    static const char *const riscv[] = {"SCMP_ARCH_RISCV64"};
    static const char *const i386[] = {"SCMP_ARCH_X86"};
#define R(a) do { *n = sizeof a / sizeof *a; return a; } while (0)
    if (!arch || !strcmp(arch, "x86_64") || !strcmp(arch, "amd64")) R(x86_64);
    if (!strcmp(arch, "aarch64") || !strcmp(arch, "arm64")) R(arm64);
    if (!strncmp(arch, "arm", 3)) R(arm);
    if (!strcmp(arch, "ppc64le")) R(ppc);
    if (!strcmp(arch, "s390x")) R(s390x);
    if (!strcmp(arch, "riscv64")) R(riscv);
    if (!strcmp(arch, "386") || !strcmp(arch, "i386") || !strcmp(arch, "i686")) R(i386);
    R(x86_64);
#undef R
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

json_t *ds_seccomp_profile(char *const *syscalls, size_t n_syscalls, const char *arch) {
    size_t na;
    const char *const *archs = archs_for(arch, &na);
    json_t *arr = json_array();
    for (size_t i = 0; i < na; i++) json_array_append_new(arr, json_string(archs[i]));
    size_t n = n_syscalls + sizeof always / sizeof *always, k = 0;
    const char **names = ds_xcalloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n_syscalls; i++)
        if (syscalls[i]) names[k++] = syscalls[i];
    for (size_t j = 0; j < sizeof always / sizeof *always; j++) names[k++] = always[j];
    qsort(names, k, sizeof *names, cmpstr);
    json_t *allowed = json_array();
    for (size_t j = 0; j < k; j++) {
        if (j && !strcmp(names[j], names[j - 1])) continue;
        /* Names libseccomp does not know on any architecture would make runtimes refuse the profile. */
        if (seccomp_syscall_resolve_name(names[j]) == __NR_SCMP_ERROR) continue;
        json_array_append_new(allowed, json_string(names[j]));
    }
    free(names);
    return json_pack("{s:s, s:i, s:o, s:[{s:o, s:s}]}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet", 1,
                     "architectures", arr, "syscalls", "names", allowed, "action", "SCMP_ACT_ALLOW");
}

static void append(char **buf, size_t *len, size_t *cap, const char *s) {
    size_t l = strlen(s);
    if (*len + l + 1 > *cap) {
        *cap = (*len + l + 1) * 2;
        *buf = ds_xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, l + 1);
    *len += l;
}

static void appendf(char **buf, size_t *len, size_t *cap, const char *fmt, const char *a, const char *b) {
    char *line = ds_xasprintf(fmt, a, b);
    append(buf, len, cap, line);
    free(line);
}

/* A JSON value in Dockerfile JSON form (escaped: a value holding quotes or newlines cannot
 * add an instruction). */
static char *json_form(const json_t *v) {
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static bool one_line(const char *s) { return s && *s && !strpbrk(s, "\n\r"); }

/* A list of strings in Dockerfile JSON form. */
static char *strv_form(char *const *v, size_t n) {
    json_t *a = ds_json_strv(v, n);
    char *f = json_form(a);
    json_decref(a);
    return f;
}

char *ds_dockerfile(const char *src_ref, const char *src_digest, const char *diff_id, const ds_image_config *sc,
                    const char *user) {
    char *buf = NULL;
    size_t len = 0, cap = 0;
    /* The source reference is user input: JSON-escaped so a newline in it stays in the comment. */
    json_t *jsrc = json_string(src_ref ? src_ref : "");
    char *qsrc = jsrc ? json_form(jsrc) : ds_xstrdup("\"?\"");
    json_decref(jsrc);
    appendf(&buf, &len, &cap,
            "# Generated by distill build from %s (%s): the files the app used, verified by its tests.\n"
            "# `docker build .` or `podman build .` in this directory makes an image with the same files.\n",
            qsrc, src_digest ? src_digest : "");
    free(qsrc);
    appendf(&buf, &len, &cap,
            "# " DS_CONTEXT_LAYER " is the distilled layer (diff ID %s). ADD unpacks it with its symlinks,\n"
            "# hard links, modes and owners: COPY --from cannot make a symlink in a FROM scratch stage.\n",
            diff_id ? diff_id : "", "");
    append(&buf, &len, &cap, "FROM scratch\nADD " DS_CONTEXT_LAYER " /\n");
    for (size_t j = 0; j < sc->n_env; j++) {
        const char *e = sc->env[j];
        const char *eq = strchr(e, '=');
        if (!eq || strpbrk(e, "\n\r") || eq == e || strcspn(e, " \t") < (size_t)(eq - e)) continue;
        json_t *val = json_string(eq + 1);
        char *q = val ? json_form(val) : NULL;
        json_decref(val);
        if (!q) continue;
        char *name = ds_xasprintf("%.*s", (int)(eq - e), e);
        appendf(&buf, &len, &cap, "ENV %s=%s\n", name, q);
        free(name);
        free(q);
    }
    for (size_t j = 0; j < sc->n_labels; j++) {
        json_t *k = json_string(sc->labels[j].key), *v = json_string(sc->labels[j].value);
        char *qk = k ? json_form(k) : NULL, *qv = v ? json_form(v) : NULL;
        json_decref(k);
        json_decref(v);
        if (qk && qv) appendf(&buf, &len, &cap, "LABEL %s=%s\n", qk, qv);
        free(qk);
        free(qv);
    }
    if (one_line(sc->working_dir)) appendf(&buf, &len, &cap, "WORKDIR %s\n", sc->working_dir, "");
    for (size_t j = 0; j < sc->n_exposed_ports; j++)
        if (one_line(sc->exposed_ports[j])) appendf(&buf, &len, &cap, "EXPOSE %s\n", sc->exposed_ports[j], "");
    if (sc->n_volumes) {
        char *f = strv_form(sc->volumes, sc->n_volumes);
        appendf(&buf, &len, &cap, "VOLUME %s\n", f, "");
        free(f);
    }
    const char *sig = sc->stop_signal;
    if (one_line(sig) && !strpbrk(sig, " \t")) appendf(&buf, &len, &cap, "STOPSIGNAL %s\n", sig, "");
    if (one_line(user)) appendf(&buf, &len, &cap, "USER %s\n", user, "");
    /* Present (even as []) is written; absent is not: an empty ENTRYPOINT clears a base's. */
    if (sc->entrypoint) {
        char *f = strv_form(sc->entrypoint, sc->n_entrypoint);
        appendf(&buf, &len, &cap, "ENTRYPOINT %s\n", f, "");
        free(f);
    }
    if (sc->cmd) {
        char *f = strv_form(sc->cmd, sc->n_cmd);
        appendf(&buf, &len, &cap, "CMD %s\n", f, "");
        free(f);
    }
    return buf;
}

int ds_build_context_layer(const char *layer_path, const char *tar_path, const char *diff_id, const char *out_dir,
                           ds_err *err) {
    char *path = ds_xasprintf("%s/%s", out_dir, DS_CONTEXT_LAYER);
    /* The layer writer's own copy of the tar: one rename, no second gunzip of ~100 MB. Another
     * file system (EXDEV) falls back to decompressing the blob into out_dir. */
    if (tar_path && rename(tar_path, path) == 0) { free(path); return 0; }
    if (tar_path && errno != EXDEV) {
        int r = ds_fail_errno(err, "%s", path);
        free(path);
        return r;
    }
    char *tmp = ds_tmp_sibling(path);
    char digest[DS_DIGEST_LEN + 1];
    int64_t size = 0;
    int r = -1;
    if (ds_decompress_file(layer_path, -1, tmp, digest, &size, err) < 0) {
        ds_err_wrap(err, "%s", path);
        goto out;
    }
    /* The tar beside the Dockerfile must be the image's layer, byte for byte. */
    if (diff_id && strcmp(digest, diff_id)) {
        ds_fail(err, "%s: the decompressed layer is %s, not the image's diff ID %s", path, digest, diff_id);
        goto out;
    }
    if (rename(tmp, path) < 0) {
        ds_fail_errno(err, "%s", path);
        goto out;
    }
    r = 0;
out:
    if (r < 0) unlink(tmp);
    ds_cleanup_forget(tmp);
    free(tmp);
    free(path);
    return r;
}
