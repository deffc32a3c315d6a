/* Shared by the command files: exit codes, error printing, common flags. */
#ifndef DS_CLI_CLI_H
#define DS_CLI_CLI_H
#include <stdbool.h>
#include <stddef.h>
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
/* s (a name from an image or the command line; NULL is "") made safe for text output by
 * ds_text_escape: control bytes and invalid UTF-8 as \xNN. The result lives until eight more
 * calls (so one printf can use several); cli_shown_free() frees them all. */
const char *cli_shown(const char *s);
void cli_shown_free(void);
/* "distill CMD: message\nTry 'distill CMD --help'." on stderr; returns DS_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Help lines of the shared transport flags (the flags themselves: cli/options.h). */
#define CLI_TRANSPORT_HELP \
    "  --platform OS/ARCH[/VARIANT]  pick this platform from a multi-arch image (default: this machine);\n" \
    "                                for rootfs:DIR the platform recorded (default: its ELF files')\n" \
    "  --src-tls-verify=BOOL         require HTTPS and verify certificates when reading (default true)\n" \
    "  --dest-tls-verify=BOOL        the same when writing (false allows plain-HTTP registries)\n" \
    "  --authfile PATH               registry credentials (default: $REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json)\n" \
    "  --src-creds USER:PASS, --dest-creds USER:PASS   credentials on the command line\n" \
    "  --tmpdir DIR                  temporary work (default: $TMPDIR, else /var/tmp)\n" \
    "  -q, --quiet                   no progress lines (shown only when stderr is a terminal)\n" \
    "  $DOCKER_HOST=unix://PATH      the Docker Engine of docker-daemon:NAME[:TAG] (default /var/run/docker.sock);\n" \
    "                                containers-storage:[[STORAGE]]NAME[:TAG] goes through podman\n"

/* Progress (src/cli/progress_tty.c): main installs the handler that draws one transient
 * line on stderr when stderr is a terminal; -q / --quiet takes it away again. */
void cli_progress_install(void);
void cli_progress_off(void);

/* True when stdout and stderr are the same file (one terminal, or 2>&1 into one pipe or
 * file): what was printed on stdout is then already in front of the user. */
bool cli_same_output(void);

/* --platform given and a single-platform image of another platform was opened (no index to pick
 * from): warn on stderr as podman does, "WARNING: image platform (linux/amd64) does not match the
 * expected platform (linux/arm64)"; the image is still used. */
void cli_platform_warn(const ds_opts *opts, const ds_image *img);

/* The same for commands that only read an image. */
#define CLI_SRC_HELP \
    "  --platform OS/ARCH[/VARIANT]  pick this platform from a multi-arch image (default: this machine)\n" \
    "  --src-tls-verify=BOOL         require HTTPS and verify certificates (default true; also --tls-verify)\n" \
    "  --authfile PATH               registry credentials (default: $REGISTRY_AUTH_FILE, containers auth.json, ~/.docker/config.json)\n" \
    "  --src-creds USER:PASS         credentials on the command line\n"

#define CLI_STORE_HELP \
    "  --store DIR                   the layer store (default: $DISTILL_STORE, else $XDG_CACHE_HOME/distill,\n" \
    "                                /var/cache/distill as root): each layer unpacked once, shared by commands\n" \
    "  --no-store                    unpack into a private temp tree instead\n" \
    "  --verify-store                re-hash every stored file before use (a changed layer is redone)\n"

/* 1 when arg is -h or --help. */
bool cli_is_help(const char *arg);

/* The commands: each in src/cli/cmd_NAME.c, each with its own usage text. */
int cmd_copy(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_list_tags(int argc, char **argv);
int cmd_layers(int argc, char **argv);
int cmd_squash(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_ldd(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_harden(int argc, char **argv);
int cmd_build(int argc, char **argv);

#endif
