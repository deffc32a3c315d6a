/* The trace log written by distill-sensor (docs/trace.md has the format), loaded for later stages.
 *
 *   {"schema":1,"version":2,"arch":"x86_64","main_pid":N,"command":[...],"exit_code":N|null,"signal":"SIGKILL"|null,
 *    "syscalls_complete":false, "pinned_cpu":0|null,
 *    "files":[{"path":"/abs","kind":"file","ops":["open","stat"],"ok":true,"epochs":[0,3],"write_epochs":[1,1]}],
 *    "execs":[{"path":"/usr/bin/x","argv":["x"],"envp":["K=V"],"cwd":"/","uid":0,"gid":0,
 *              "pid":2,"ppid":1,"epoch":1,"ok":true}],
 *    "syscalls":["openat",...], "denied_binds":[{"path":"/usr/sbin/nginx","port":80}],
 *    "warnings":["..."]}
 *
 * Every path is absolute and normalized, as seen from the traced program's root. Paths in `files`
 * are canonical: no component before the last is a symlink; every symlink walked on the way to an
 * accessed path has its own entry (kind "symlink", op "follow").
 *
 * Paths are bytes, JSON is UTF-8: a path, argv element or command element that is not valid UTF-8
 * is written as readable lossy text (each invalid byte U+FFFD) plus its exact bytes in hex in a
 * twin key: {"path":"/d/caf\ufffd","path_hex":"2f642f636166e9"}; "argv_hex"/"command_hex" are
 * arrays parallel to argv/command (null for elements that are valid UTF-8), present only when
 * needed. Valid UTF-8 is written as it is, with no twin. The loader returns the exact bytes (a NUL
 * cannot occur: refused) and refuses a twin that is not hex. Helpers: util/path_json.h.
 *
 * Epochs (version 2) count the successful execs of the traced tree: exec number N has epoch N,
 * and an access made after N execs and before the next has epoch N. They order a path's accesses
 * against the execs, e.g. before or after an entry point script exec'd its server. Version 1 logs
 * (no epochs, envp, cwd, ids) still load: those fields read as unknown (-1, NULL). */
#ifndef DS_TRACE_TRACE_LOG_H
#define DS_TRACE_TRACE_LOG_H
#include <stdbool.h>
#include <stddef.h>
#include "trace/trace_vocab.h"
#include "util/err.h"

/* ds_trace_kind and the DS_TRACE_OP_* bits: trace/trace_vocab.h (shared with the sensor). */

typedef struct ds_trace_file {
    char *path;
    ds_trace_kind kind;
    unsigned ops;  /* DS_TRACE_OP_* */
    bool ok;       /* at least one access to this path succeeded */
    long first_epoch, last_epoch; /* of any access; -1 when unknown (version 1) */
    long write_epoch, last_write_epoch; /* first and last successful write (create, unlink, rename, attr,
                                         * open for writing); -1 when never written (or version 1) */
} ds_trace_file;

typedef struct ds_trace_exec {
    char *path;    /* absolute, normalized (as resolved by the sensor; not symlink-resolved) */
    char **argv;   /* NULL-terminated */
    size_t argc;
    bool ok;
    char **envp;   /* NULL-terminated; NULL when the log has none (version 1) */
    size_t nenvp;
    char *cwd;     /* NULL when unknown */
    long uid, gid; /* effective ids after the exec; -1 when unknown */
    long pid, ppid; /* the process that exec'd (first one, for execs deduplicated); -1 when unknown */
    long epoch;    /* this exec's number (1, 2, ...); 0 for a failed exec, -1 when unknown */
} ds_trace_exec;

/* A bind to an IPv4/IPv6 port below 1024 refused with EACCES (no CAP_NET_BIND_SERVICE). */
typedef struct ds_trace_denied_bind {
    char *path;    /* the program that called bind (its /proc/PID/exe) */
    int port;
} ds_trace_denied_bind;

typedef struct ds_trace {
    int version;
    long main_pid;          /* the traced command's process (the container's entry point); -1 when unknown */
    char *arch;             /* "x86_64", "aarch64", ... */
    char **command;         /* NULL-terminated */
    size_t ncommand;
    int exit_code;          /* -1 when the command was killed by a signal (or never ran) */
    char *signal;           /* "SIGKILL" when killed by a signal, else NULL */
    bool syscalls_complete; /* true only with `--syscalls` (every syscall was seen) */
    int pinned_cpu;         /* the one CPU the sensor and the traced tree ran on; -1 when not pinned */
    ds_trace_file *files;   /* sorted by path (strcmp), unique */
    size_t nfiles;
    ds_trace_exec *execs;   /* in order of first execution */
    size_t nexecs;
    char **syscalls;        /* sorted names, unique */
    size_t nsyscalls;
    char **warnings;
    size_t nwarnings;
    ds_trace_denied_bind *denied_binds; /* "denied_binds" (absent in older logs: none) */
    size_t ndenied_binds;
} ds_trace;

/* Load a log file / parse a log held in memory. On error *out is NULL and err names the input. */
int ds_trace_load(const char *path, ds_trace **out, ds_err *err);
int ds_trace_parse(const char *data, size_t len, const char *name, ds_trace **out, ds_err *err);
void ds_trace_free(ds_trace *t);

/* The entry for an exact path, or NULL (binary search). */
const ds_trace_file *ds_trace_find(const ds_trace *t, const char *path);

/* Names used in the JSON: "file", "dir", ...; "open", "stat", ... (bit index 0..DS_TRACE_OP_COUNT-1). */
const char *ds_trace_kind_name(ds_trace_kind k);
int ds_trace_kind_parse(const char *name); /* -1 when unknown */
const char *ds_trace_op_name(unsigned bit_index);
int ds_trace_op_parse(const char *name);   /* the bit (1u << i), or 0 when unknown */

#endif
