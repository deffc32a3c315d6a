/* What a distroless image leaves out unless the app itself runs it: shells,
 * package managers and the coreutils-style tools an attacker would use. */
#include <stdlib.h>
#include <string.h>
#include "harden/harden.h"
#include "minify/minify.h"

static const char *const tools[] = {
    /* shells */
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox", "toybox", "rbash",
    /* package managers */
    "apt", "apt-get", "apt-cache", "apt-config", "apt-key", "apt-mark", "aptitude", "dpkg", "dpkg-deb",
    "dpkg-query", "dpkg-divert", "dpkg-split", "dpkg-trigger", "dpkg-statoverride", "dpkg-realpath",
    "dpkg-maintscript-helper", "apk", "rpm", "yum", "dnf", "microdnf", "zypper", "pip", "pip3",
    /* network fetchers */
    "curl", "wget", "nc", "netcat", "ncat", "socat", "telnet", "ssh", "scp",
    /* coreutils and friends */
    "ls", "cat", "cp", "mv", "rm", "ln", "mkdir", "rmdir", "chmod", "chown", "chgrp", "touch", "dd", "df",
    "du", "echo", "env", "head", "tail", "tee", "sed", "awk", "gawk", "mawk", "grep", "egrep", "fgrep",
    "find", "xargs", "sort", "uniq", "cut", "tr", "wc", "id", "whoami", "uname", "hostname", "ps", "kill",
    "sleep", "date", "stat", "readlink", "realpath", "mktemp", "install", "base64", "md5sum", "sha256sum",
    "tar", "gzip", "gunzip", "zcat", "bzip2", "xz", "su", "sudo", "login", "passwd", "mount", "umount",
    "chroot", "nohup", "nice", "printf", "test", "[", "true", "false", "yes", "seq", "basename", "dirname",
    "more", "less", "vi", "nano", "perl", "which", "tempfile", "run-parts", "start-stop-daemon",
};

bool ds_is_shell_or_tool(const char *path) {
    /* The harden rules' classes too (compilers, debuggers, network tools, ...), so both commands agree. */
    const char *rule = ds_harden_path_rule(path, DS_HARDEN_DEFAULT);
    /* Interpreters: the closure keeps what the app used; harden decides from the entry point. */
    if (rule && strcmp(rule, DS_HR_PKG_CACHE) && strcmp(rule, DS_HR_INTERPRETER)) return true;
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    /* Only programs: a file in a bin or sbin directory (so /etc/passwd is not "passwd"). */
    size_t dl = (size_t)(b - path);
    bool in_bin = (dl >= 4 && !strncmp(b - 4, "bin/", 4)) || dl == 0;
    if (!in_bin) return false;
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++)
        if (!strcmp(b, tools[i])) return true;
    return false;
}
