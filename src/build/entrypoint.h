/* Entry point scripts: see the hand-over in a trace, and flatten it.
 *
 * Most images start through a script (docker-entrypoint.sh) that sets things up and ends with
 * `exec "$@"`, possibly after a privilege drop (setpriv, su-exec, gosu). The sensor logs every
 * exec of the main process (the container's entry point) with its environment, cwd and ids,
 * and numbers the execs (epochs), so the analysis sees the chain script -> ... -> server and
 * what happened before the last exec (the hand-over). When the chain ends in a program that is
 * not a shell, the result can start that program directly (Entrypoint = its argv, Env, WorkingDir,
 * User = its uid:gid) with the files the script wrote baked in, and leave the shell out.
 *
 * It does not when the script writes into a declared volume (first-start initialisation), stays
 * the parent of the server (background job + wait, traps), or builds the final command line from
 * an environment variable a user may set at `docker run`: the reason is in the analysis. */
#ifndef DS_BUILD_ENTRYPOINT_H
#define DS_BUILD_ENTRYPOINT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "trace/trace_log.h"
#include "util/err.h"

typedef enum { DS_EP_AUTO = 0, DS_EP_KEEP, DS_EP_FLATTEN } ds_entrypoint_mode;
/* "auto" | "keep" | "flatten" (NULL = auto); -1 when unknown. */
int ds_entrypoint_mode_parse(const char *s);

typedef struct ds_handover_input {
    char *const *volumes;  /* declared volumes of the image config */
    size_t n_volumes;
    char *const *config_env; /* the image config's Env ("K=V") */
    size_t n_config_env;
    char *const *command;  /* what the container ran: Entrypoint + Cmd (or the command after --) */
    size_t n_command;
} ds_handover_input;

typedef struct ds_handover {
    bool script;      /* the entry point is a script run by a shell or interpreter */
    bool flatten;     /* ... that hands over to a program that is not a shell, and may be flattened */
    char *script_path; /* the entry point script (or the interpreter when there is no script file) */
    char *why;        /* script && !flatten: why not, one sentence */
    char *var;        /* the run-time variable the final command line depends on, when that is why */
    long epoch;       /* the hand-over exec's epoch: what has a lower epoch ran before it */
    char *final_path; /* the program handed over to */
    char **argv;      /* Entrypoint: final_path, then the program's argv[1..]; NULL-terminated */
    size_t argc;
    char **env;       /* its environment minus what the runtime and the shell add */
    size_t nenv;
    char *cwd;
    long uid, gid;
    bool dropped;     /* the uid or gid differs from the entry point's (a privilege drop) */
    char **chain;     /* the programs of the main process, in order (paths) */
    size_t nchain;
    char **baked;     /* paths written before the hand-over (sorted, parents first) */
    size_t nbaked;
    bool *baked_empty; /* parallel: written by the server again afterwards: baked as an empty file */
    char **vars;      /* environment variables the scripts reference that were set: baked at these values */
    size_t nvars;
} ds_handover;

/* Analyse the trace's chain. root: the source tree (to read the scripts). Never fails on what the
 * trace holds: h->script false means nothing to flatten (a plain program, or a log without epochs). */
void ds_handover_analyze(const ds_trace *t, const char *root, const ds_handover_input *in, ds_handover *h);
void ds_handover_free(ds_handover *h);

/* The trace as the flattened result sees it: without the execs before the hand-over and without the
 * paths only those used (last access before it). Borrowed strings; free with ds_handover_view_free. */
void ds_handover_view(const ds_trace *t, const ds_handover *h, ds_trace *view);
void ds_handover_view_free(ds_trace *view);

/* Copy each baked path from upper (the container's overlay upper dir after the trace run) into tree
 * with its content, mode and owner (a whiteout removes it from tree). Never writes outside tree. */
int ds_handover_bake(const ds_handover *h, const char *upper, const char *tree, ds_err *err);

/* report.json's "entrypoint" object: mode, verdict, reason, chain, the flattened config and the baked files. */
json_t *ds_handover_json(const ds_handover *h, const char *mode, const char *verdict, const char *failed_test);

/* A shell or script interpreter (by program name): sh, bash, dash, busybox, ... */
bool ds_is_shell_program(const char *path);

/* distill harden: the same question without a trace, from the image config and the script's text.
 * A malloc'd sentence saying whether the image's shell is removable. */
/* *flattenable: the entry point is a script distill build --entrypoint auto can flatten. */
char *ds_entrypoint_static_verdict(const char *root, char *const *entrypoint, size_t n_entrypoint,
                                   char *const *cmd, size_t n_cmd, char *const *volumes, size_t n_volumes,
                                   bool *flattenable);
#endif
