/* One option parser for every command: a table of flags, each value parsed and checked once.
 *   --flag VALUE, --flag=VALUE; booleans --flag, --flag=true|false; repeatable lists;
 *   -q style short names; `--` ends the options (the rest is the app's command where the
 *   command takes one, else plain arguments); -h/--help before `--` asks for the usage.
 * Usage errors are printed the same way for every command ("distill CMD: --flag needs a
 * value", "Try 'distill CMD --help'."). The project file (distill.yaml) is turned into the
 * same flags and parsed by the same table, before the command line (which wins). */
#ifndef DS_CLI_OPTIONS_H
#define DS_CLI_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include "image/image.h"

typedef struct cli_list {
    char **v; /* borrowed strings */
    size_t n;
} cli_list;
void cli_list_free(cli_list *l); /* the array only */

/* The values of --runtime (build, harden --test): the runtimes ds_runtime_pick knows. */
#define CLI_RUNTIME_CHOICES "auto|runc|crun|podman|docker"

typedef enum {
    CLI_END = 0,
    CLI_BOOL,    /* bool *: --x, --x=true|false|1|0 */
    CLI_STR,     /* const char **: the last one given wins */
    CLI_LIST,    /* cli_list *: repeatable */
    CLI_SECONDS, /* double *: a number of seconds, > 0 (>= 0 with .zero_ok), at most .max when set */
    CLI_CHOICE,  /* const char **: one of .choices ("a|b|c") */
    CLI_FN,      /* .fn(target, value): 0, or -1 with a reason in why */
} cli_kind;

typedef struct cli_opt {
    const char *name;  /* long name without "--" */
    char short_name;   /* 'q' for -q, or 0 */
    cli_kind kind;
    void *target;
    void *target2;     /* CLI_BOOL: a second bool set to the same value */
    const char *choices;
    double max;
    bool zero_ok;
    bool flag_only;    /* CLI_FN without a value (like a boolean) */
    int (*fn)(void *target, const char *value, char *why, size_t why_len);
} cli_opt;

/* Which shared transport flags a command accepts. */
enum {
    CLI_T_SRC = 1,      /* --src-tls-verify --src-creds --platform (reads an image) */
    CLI_T_DEST = 2,     /* --dest-tls-verify --dest-creds (writes an image) */
    CLI_T_AUTH = 4,     /* --authfile --tls-verify (with SRC and/or DEST) */
    CLI_T_COMPRESS = 8, /* --compress gzip|zstd|none */
    CLI_T_TMPDIR = 16,  /* --tmpdir DIR, and -q/--quiet */
    CLI_T_STORE = 32,   /* --store DIR --no-store --verify-store (unpacks through the layer store) */
};
#define CLI_T_MAX 16
/* Fill out[] (at least CLI_T_MAX + 1 entries) with the transport flags in `which`, ending in CLI_END. */
void cli_transport_table(cli_opt *out, ds_opts *o, unsigned which);

/* Parse argv[0..argc) (without the command name) against own and shared (either may be NULL;
 * both end with a CLI_END entry). Arguments go to pos; after `--`, to rest when rest is not
 * NULL (replacing what a project file gave), else to pos. With pos NULL, the first argument
 * that is not an option starts rest (a command and its own flags). Returns 0, 1 when help was asked
 * (usage printed on stdout), or -1 on a usage error (printed). */
int cli_parse(const char *cmd, const char *usage, const cli_opt *own, const cli_opt *shared, int argc, char **argv,
              cli_list *pos, cli_list *rest);

/* The same for a command that reads a project file: --config FILE, else ./distill.yaml when
 * present, is parsed first (its strings are kept in *hold; free with cli_hold_free after the
 * parsed values are no longer used), then argv. */
typedef struct cli_hold {
    char **v;
    int n;
} cli_hold;
int cli_parse_project(const char *cmd, const char *usage, const cli_opt *own, const cli_opt *shared, int argc,
                      char **argv, cli_list *pos, cli_list *rest, cli_hold *hold);
void cli_hold_free(cli_hold *h);

/* The usage text of every command, for `distill help CMD`. */
#endif
