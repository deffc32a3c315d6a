/* distill-sensor internals: shared by the sensor's files only (a static binary, libc only). */
#ifndef DS_SENSOR_H
#define DS_SENSOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "trace/trace_vocab.h"

/* Path kinds and operation bits: DS_TRACE_* from the one vocabulary the log reader uses too. */

/* ---- small utilities (sensor_util.c) ---- */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* "distill-sensor: ..." */
void add_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* also goes in the log */
uint64_t hash_str(const char *s);
/* String → pointer map (open addressing). */
typedef struct strmap { char **keys; void **vals; uint64_t *hashes; size_t cap, len; } strmap;
void **strmap_slot(strmap *m, const char *key, bool create); /* NULL when absent and !create */
void strmap_clear(strmap *m, void (*free_val)(void *));

/* ---- processes (sensor_procs.c) ---- */
typedef struct fsinfo { int refs; char *cwd; char *root; } fsinfo; /* root "/" unless chroot */

typedef struct pending {  /* a syscall seen at entry, waiting for its result */
    int nr;
    const struct scspec *spec;
    struct resolved *res[2]; /* resolved paths (index 1: second path of rename/link) */
    unsigned op[2];
    int fd_arg;              /* for fchdir/mmap */
    bool follow_open_dir;    /* open with O_DIRECTORY */
    bool rdonly;             /* open without write access, O_TRUNC or O_TMPFILE */
    bool want_dir;           /* O_DIRECTORY */
    char *exec_path;         /* execve: resolved path (normalized, not symlink-resolved) */
    char **exec_argv;
    int bind_port;           /* bind to an IPv4/IPv6 port below 1024: the port (0: none) */
    char **exec_envp;
    char *exec_cwd;
} pending;

typedef struct deferred { /* a read-only access whose result is predicted: resolved after resuming */
    bool active;
    char *raw, *base;
    bool follow, want_dir, o_path;
    unsigned op;
    bool is_open;
} deferred;

typedef struct thread {
    pid_t tid;
    fsinfo *fs;
    bool awaiting_parent;    /* stopped before its parent's fork event: hold it */
    bool expect_first_stop;  /* parent event seen, child's first stop not yet */
    bool want_exit;          /* resume with PTRACE_SYSCALL to see the result */
    bool in_syscall;         /* --syscalls mode: between entry and exit stop */
    bool got_stop;           /* the stop signal was forwarded to it */
    bool has_pending;
    pending p;
    deferred d;
    struct thread *next;
} thread;

thread *thread_find(pid_t tid);
thread *thread_new(pid_t tid);
void thread_remove(pid_t tid);
void thread_rekey(thread *t, pid_t new_tid);
size_t thread_count(void);
void thread_foreach(void (*fn)(thread *, void *), void *arg);
void pending_clear(pending *p);
fsinfo *fs_new(const char *cwd, const char *root);
fsinfo *fs_copy(const fsinfo *f);
void fs_unref(fsinfo *f);
/* Path of FD (or the cwd when fd is AT_FDCWD) of TID, from the kernel: readlink /proc/TID/fd/FD, in the
 * process's root. Written to buf; NULL when not a path (socket, pipe, closed). */
const char *fd_path(thread *t, int fd, char *buf, size_t len);
/* The thread group (process) and parent of TID, from /proc/TID/status; -1 on error. */
int proc_ids(pid_t tid, pid_t *tgid, pid_t *ppid);

/* ---- paths (sensor_paths.c) ---- */
typedef struct resolved {
    char *path;       /* canonical absolute path of the final component */
    int kind;         /* DS_TRACE_* kind from lstat when resolved */
    size_t nlinks;
    char **links;     /* canonical paths of the symlinks walked */
    unsigned gen;
    int refs;         /* the request cache holds one; a pending syscall holds one */
    pid_t owner;      /* walked /proc/self or /proc/thread-self: valid only for this tid */
} resolved;
/* Resolve RAW (from the tracee) relative to BASE (canonical dir) under the process root.
 * Cached: the result is borrowed (valid until the namespace changes; take a ref to keep it).
 * Returns NULL for an empty path. */
resolved *resolve_path(thread *t, const char *base, const char *raw, bool follow);
/* Uncached; the caller owns the result (refs 1). */
resolved *resolve_fresh(thread *t, const char *base, const char *raw, bool follow);
resolved *res_ref(resolved *r);
void res_unref(resolved *r);
void paths_mutated(const char *canonical);  /* the namespace changed: drop caches that saw it */
/* Record an access in the output table. */
/* One path of the log. Epochs count the successful execs so far (g_epoch): they place an access
 * before or after an exec, e.g. an entry point script's hand-over to its server. */
typedef struct fentry {
    int kind; unsigned ops; bool ok;
    unsigned first_epoch, last_epoch; /* of any access */
    int write_epoch, last_write_epoch; /* successful writes (create, unlink, rename, attr, open for writing); -1 none */
} fentry;
/* Not an operation of the log: passed with op, marks an open with write access. */
#define SENSOR_OP_WRITE (1u << 30)
#define SENSOR_WRITE_OPS (DS_TRACE_OP_CREATE | DS_TRACE_OP_UNLINK | DS_TRACE_OP_RENAME | DS_TRACE_OP_ATTR | SENSOR_OP_WRITE)
extern unsigned g_epoch;
void record(const char *path, int kind, unsigned op, bool ok);
void record_resolved(const resolved *r, unsigned op, bool ok);
char *normalize_path(const char *base, const char *raw); /* lexical, for exec paths */
int lstat_kind(thread *t, const char *canonical);
void paths_free_all(void);

/* ---- syscall table and handlers (sensor_syscalls.c) ---- */
typedef struct scspec {
    int nr;
    const char *name;
    unsigned char handler;
    signed char dirfd, path, flags; /* argument indexes, -1 when none */
    signed char dirfd2, path2;
    unsigned short op, op2;
    unsigned char follow;           /* F_* */
} scspec;
const scspec *spec_for(int nr);
size_t spec_count(void);
const scspec *spec_at(size_t i);
void on_entry(thread *t, int nr, const uint64_t args[6]);
void on_exit_(thread *t, int64_t rval, bool is_error);
void on_exec_event(thread *t);
void finish_deferred(thread *t); /* after the tracee was resumed */
void deferred_clear(deferred *d);
const char *syscall_name(int nr);
void note_syscall(int nr);

/* ---- exec details (sensor_exec.c) ---- */
void record_exec_interpreters(thread *t, const resolved *exe);
/* What the log says of an exec besides its path and argv (sensor_exec.c). */
typedef struct execinfo {
    char **envp;        /* owned; NULL when unknown */
    char *cwd;          /* owned */
    long uid, gid;      /* effective, after the exec; -1 unknown */
    pid_t pid, ppid;    /* the process that exec'd and its parent */
    unsigned epoch;     /* g_epoch after this exec (0 for a failed one) */
} execinfo;
/* Takes ownership of path, argv and info's strings. Execs are deduplicated on path, argv, envp,
 * cwd and ids (the first one's pid wins), except the main process's, which are all kept. */
void exec_log_add(char *path, char **argv, execinfo *info, bool ok);
/* The effective uid and gid of TID from /proc/TID/status; -1 each on error. */
void proc_creds(pid_t tid, long *uid, long *gid);
extern pid_t g_main_tracee;
/* A bind to a port below 1024 refused with EACCES: which program (/proc/TID/exe) and port. */
typedef struct denied_bind { char *path; int port; } denied_bind;
void denied_bind_add(pid_t tid, int port);
extern denied_bind *g_denied_binds;
extern size_t g_n_denied_binds;

/* ---- the seccomp filter (sensor_filter.c) ---- */
/* In the child, before exec; all = every syscall stops (--syscalls). 0 or -1 with errno. */
int install_filter(bool all);
uint32_t native_audit_arch(void);
const char *native_arch_name(void);

/* ---- tracee memory (sensor_mem.c) ---- */
char *read_string(pid_t pid, uint64_t addr, size_t max);   /* malloc'd, NULL on fault */
int read_mem(pid_t pid, uint64_t addr, void *buf, size_t len);
char **read_argv(pid_t pid, uint64_t addr);

/* ---- output (sensor_json.c) ---- */
int write_log(const char *out_path, int out_fd, char **command, int exit_code, int signal,
              bool syscalls_complete);

extern bool g_full_syscalls;
extern bool g_exact;
extern uint8_t g_seen_nr[1024];
extern char **g_warnings;
extern size_t g_nwarnings;
extern unsigned g_generation;
extern bool g_privileged;
extern int g_pinned_cpu; /* the CPU the sensor and the traced tree share; -1 when not pinned */

#endif
