/* Which programs each rule removes, by name, when they sit in a bin directory
 * (any directory named bin or sbin, and distroless' /busybox). */
#include <fnmatch.h>
#include <string.h>
#include "harden/harden.h"

typedef struct { const char *rule; bool strict_only; const char *const *globs; } name_rule;

static const char *const shells[] = {"sh", "bash", "rbash", "dash", "ash", "zsh", "zsh5", "ksh", "ksh93", "mksh",
                                     "pdksh", "csh", "tcsh", "fish", "yash", "posh", NULL};
static const char *const busybox[] = {"busybox", "busybox.*", NULL};
static const char *const pkg[] = {"apt", "apt-*", "aptitude*", "dpkg", "dpkg-*", "apk", "rpm", "rpm2*", "rpmdb",
                                  "rpmquery", "rpmverify", "yum", "yum-*", "dnf", "dnf-*", "dnf[0-9]", "microdnf",
                                  "pip", "pip[0-9]*", "easy_install*", NULL};
static const char *const compilers[] = {"gcc", "gcc-[0-9]*", "*-gcc", "*-gcc-[0-9]*", "cc", "c++", "g++", "g++-[0-9]*",
                                        "*-g++", "*-g++-[0-9]*", "c89", "c99", "c89-gcc", "c99-gcc", "clang",
                                        "clang-[0-9]*", "clang++", "clang++-[0-9]*", "tcc", NULL};
static const char *const debuggers[] = {"gdb", "gdbserver", "gdb-multiarch", "strace", "ltrace", "lldb", "lldb-*", NULL};
static const char *const network[] = {"curl", "wget", "wget2", "nc", "nc.openbsd", "nc.traditional", "ncat", "netcat",
                                      "socat", "telnet", "ftp", "tftp", NULL};
static const char *const linktool[] = {"ln", NULL};
/* language interpreters: removed unless the entry point runs them (harden.h, keep_interpreters) */
static const char *const interpreters[] = {"perl", "perl5*", "python", "python[0-9]*", "pypy*", "ruby", "ruby[0-9]*",
                                           "irb", "irb[0-9]*", "node", "nodejs", "php", "php[0-9]*", "php-cgi*", "lua",
                                           "lua[0-9]*", "luajit*", "tclsh", "tclsh[0-9]*", "wish", "wish[0-9]*", NULL};
/* strict: tools an intruder uses to change identity, permissions, mounts or reach out. */
static const char *const admin[] = {"su", "sudo", "sudoedit", "doas", "runuser", "login", "mount", "umount", "chmod",
                                    "chown", "chgrp", "chattr", "mknod", "mkfifo", "setcap", "capsh", "setpriv",
                                    "nsenter", "unshare", "chroot", "passwd", "chpasswd", "chsh", "chfn", "newgrp",
                                    "sg", "gpasswd", "useradd", "usermod", "userdel", "groupadd", "groupmod",
                                    "groupdel", "adduser", "deluser", "addgroup", "delgroup", "install", NULL};
static const char *const strict_net[] = {"ssh", "scp", "sftp", "rsync", "ping", "ping6", "nmap", "tcpdump", NULL};
static const char *const strict_build[] = {"cpp", "cpp-[0-9]*", "as", "ld", "ld.*", "*-as", "*-ld", "*-ld.*", "make",
                                           "gmake", "objcopy", "objdump", NULL};

static const name_rule rules[] = {
    {DS_HR_SHELL, false, shells},       {DS_HR_BUSYBOX, false, busybox},  {DS_HR_PKG_MANAGER, false, pkg},
    {DS_HR_COMPILER, false, compilers}, {DS_HR_DEBUGGER, false, debuggers}, {DS_HR_NETWORK, false, network},
    {DS_HR_LINK_TOOL, false, linktool}, {DS_HR_INTERPRETER, false, interpreters}, {DS_HR_ADMIN, true, admin},       {DS_HR_NETWORK, true, strict_net},
    {DS_HR_COMPILER, true, strict_build},
};

static bool in_bin_dir(const char *path, size_t dirlen) {
    /* The directory's own name is what counts: .../bin, .../sbin, /busybox. */
    const char *d = path;
    size_t n = dirlen;
    const char *s = memrchr(d, '/', n);
    const char *name = s ? s + 1 : d;
    size_t nl = (size_t)(d + n - name);
    if (nl == 3 && !memcmp(name, "bin", 3)) return true;
    if (nl == 4 && !memcmp(name, "sbin", 4)) return true;
    if (nl == 7 && !memcmp(name, "busybox", 7) && name == path + 1 - (*path != '/')) return true;
    return false;
}

const char *ds_harden_path_rule(const char *path, ds_harden_profile profile) {
    const char *slash = strrchr(path, '/');
    if (!slash) return NULL;
    const char *base = slash + 1;
    if (!*base || !in_bin_dir(path, (size_t)(slash - path))) return NULL;
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        if (rules[i].strict_only && profile != DS_HARDEN_STRICT) continue;
        for (const char *const *g = rules[i].globs; *g; g++)
            if (!fnmatch(*g, base, 0)) return rules[i].rule;
    }
    return NULL;
}
