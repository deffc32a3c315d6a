/* Shared by the command files: exit codes, error printing, common flags. */
#ifndef DS_CLI_CLI_H
#define DS_CLI_CLI_H
#include <stdbool.h>
#include "image/image.h"
#include "util/err.h"

/* Exit codes, the same for every command (documented in README and distill(1)). */
enum {
    DS_EXIT_OK = 0,      /* done */
    DS_EXIT_FAILED = 1,  /* ran fine, and a check failed: a test, a policy, a CI limit, --fail-on */
    DS_EXIT_USAGE = 2,   /* bad flags or arguments */
    DS_EXIT_ERROR = 3,   /* could not do the job: bad input, I/O, runtime or network error */
};

/* "distill CMD: message" on stderr; returns DS_EXIT_ERROR. */
int cli_error(const char *cmd, const ds_err *err);
/* "distill CMD: message\nTry 'distill CMD --help'." on stderr; returns DS_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Transport flags shared by every command that reads or writes images:
 *   --platform OS/ARCH[/VARIANT]  --src-tls-verify=BOOL  --dest-tls-verify=BOOL  --tls-verify=BOOL
 *   --authfile PATH  --src-creds USER:PASS  --dest-creds USER:PASS  --compress gzip|zstd|none
 * Returns 1 when argv[*i] was one of them (and advances *i past its value), 0 when
 * not, -1 on a bad value (message printed). */
int cli_transport_flag(const char *cmd, int argc, char **argv, int *i, ds_opts *opts);
#define CLI_TRANSPORT_HELP \
    "  --platform OS/ARCH[/VARIANT]  pick this platform from a multi-arch image (default: this machine);\n" \
    "                                for rootfs:DIR the platform recorded (default: its ELF files')\n" \
    "  --src-tls-verify=BOOL         require HTTPS and verify certificates when reading (default true)\n" \
    "  --dest-tls-verify=BOOL        the same when writing (false allows plain-HTTP registries)\n" \
    "  --authfile PATH               registry credentials (default: $REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json)\n" \
    "  --src-creds USER:PASS, --dest-creds USER:PASS   credentials on the command line\n"

/* --platform given and a single-platform image of another platform was opened (no index to pick
 * from): warn on stderr as podman does, "WARNING: image platform (linux/amd64) does not match the
 * expected platform (linux/arm64)"; the image is still used. */
void cli_platform_warn(const ds_opts *opts, const ds_image *img);

/* 1 when arg is -h or --help. */
bool cli_is_help(const char *arg);

/* The commands: each in src/cli/cmd_NAME.c, each with its own usage text. */
int cmd_copy(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_list_tags(int argc, char **argv);
int cmd_layers(int argc, char **argv);
int cmd_squash(int argc, char **argv);
int cmd_ldd(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_harden(int argc, char **argv);
int cmd_build(int argc, char **argv);

#endif
