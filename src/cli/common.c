#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"

int cli_error(const char *cmd, const ds_err *err) {
    /* One line whatever the input named in it holds: control bytes (a newline in a
     * path, a tag, a config field) are shown as \xNN. */
    const char *m = err && err->msg[0] ? err->msg : "failed";
    fprintf(stderr, "distill %s: ", cmd);
    for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) fprintf(stderr, "\\x%02x", *p);
        else fputc(*p, stderr);
    }
    fputc('\n', stderr);
    return DS_EXIT_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "distill %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'distill %s --help'.\n", cmd);
    va_end(ap);
    return DS_EXIT_USAGE;
}

bool cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }
