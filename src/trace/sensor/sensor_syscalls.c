/* Which syscalls stop (the table) and what each means for the log: paths are read and resolved at
 * entry (while the arguments are still in the tracee's memory and the file is still there for
 * unlink/rename), and recorded at exit with the result. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>
#include "sensor.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef O_PATH
#define O_PATH 010000000
#endif

enum { H_PATH, H_OPEN, H_OPENAT2, H_CREAT, H_EXEC, H_CHDIR, H_FCHDIR, H_CHROOT, H_TWO, H_SYMLINK,
       H_MMAP, H_SOCK, H_SENDTO, H_SOCKETCALL, H_URING };
enum { FY = 1, FN, F_NOFOLLOW_FLAG, F_FOLLOW_FLAG };  /* follow the last symlink: yes, no, by flag */
#define CWD_ -2 /* "dirfd" meaning the cwd */

#define E(n, h, d, p, fl, d2, p2, op, op2, fo) {SYS_##n, #n, h, d, p, fl, d2, p2, op, op2, fo},
static const scspec table[] = {
    /* the *at family (every architecture) */
    E(openat, H_OPEN, 0, 1, 2, -1, -1, DS_TRACE_OP_OPEN, 0, FY)
#ifdef SYS_openat2
    E(openat2, H_OPENAT2, 0, 1, 2, -1, -1, DS_TRACE_OP_OPEN, 0, FY)
#endif
#ifdef SYS_newfstatat
    E(newfstatat, H_PATH, 0, 1, 3, -1, -1, DS_TRACE_OP_STAT, 0, F_NOFOLLOW_FLAG)
#endif
#if defined(SYS_fstatat) && !defined(SYS_newfstatat)
    E(fstatat, H_PATH, 0, 1, 3, -1, -1, DS_TRACE_OP_STAT, 0, F_NOFOLLOW_FLAG)
#endif
#ifdef SYS_statx
    E(statx, H_PATH, 0, 1, 2, -1, -1, DS_TRACE_OP_STAT, 0, F_NOFOLLOW_FLAG)
#endif
    E(faccessat, H_PATH, 0, 1, -1, -1, -1, DS_TRACE_OP_ACCESS, 0, FY)
#ifdef SYS_faccessat2
    E(faccessat2, H_PATH, 0, 1, 3, -1, -1, DS_TRACE_OP_ACCESS, 0, F_NOFOLLOW_FLAG)
#endif
    E(readlinkat, H_PATH, 0, 1, -1, -1, -1, DS_TRACE_OP_READLINK, 0, FN)
    E(mkdirat, H_PATH, 0, 1, -1, -1, -1, DS_TRACE_OP_CREATE, 0, FN)
    E(mknodat, H_PATH, 0, 1, -1, -1, -1, DS_TRACE_OP_CREATE, 0, FN)
    E(unlinkat, H_PATH, 0, 1, -1, -1, -1, DS_TRACE_OP_UNLINK, 0, FN)
#ifdef SYS_renameat
    E(renameat, H_TWO, 0, 1, -1, 2, 3, DS_TRACE_OP_RENAME, DS_TRACE_OP_CREATE, FN)
#endif
    E(renameat2, H_TWO, 0, 1, -1, 2, 3, DS_TRACE_OP_RENAME, DS_TRACE_OP_CREATE, FN)
    E(linkat, H_TWO, 0, 1, 4, 2, 3, DS_TRACE_OP_STAT, DS_TRACE_OP_CREATE, F_FOLLOW_FLAG)
    E(symlinkat, H_SYMLINK, 1, 2, -1, -1, -1, DS_TRACE_OP_CREATE, 0, FN)
    E(fchmodat, H_PATH, 0, 1, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(fchownat, H_PATH, 0, 1, 4, -1, -1, DS_TRACE_OP_ATTR, 0, F_NOFOLLOW_FLAG)
    E(utimensat, H_PATH, 0, 1, 3, -1, -1, DS_TRACE_OP_ATTR, 0, F_NOFOLLOW_FLAG)
    E(name_to_handle_at, H_PATH, 0, 1, 4, -1, -1, DS_TRACE_OP_STAT, 0, F_FOLLOW_FLAG)
    E(execve, H_EXEC, CWD_, 0, -1, -1, -1, DS_TRACE_OP_EXEC, 0, FY)
    E(execveat, H_EXEC, 0, 1, 4, -1, -1, DS_TRACE_OP_EXEC, 0, F_NOFOLLOW_FLAG)
    E(chdir, H_CHDIR, CWD_, 0, -1, -1, -1, DS_TRACE_OP_CHDIR, 0, FY)
    E(fchdir, H_FCHDIR, -1, -1, -1, -1, -1, DS_TRACE_OP_CHDIR, 0, FY)
    E(chroot, H_CHROOT, CWD_, 0, -1, -1, -1, DS_TRACE_OP_CHDIR, 0, FY)
    E(statfs, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_STAT, 0, FY)
    E(truncate, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(getxattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_STAT, 0, FY)
    E(lgetxattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_STAT, 0, FN)
    E(listxattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_STAT, 0, FY)
    E(llistxattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_STAT, 0, FN)
    E(setxattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(lsetxattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FN)
    E(removexattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(lremovexattr, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FN)
    E(inotify_add_watch, H_PATH, CWD_, 1, -1, -1, -1, DS_TRACE_OP_STAT, 0, FY)
#ifdef SYS_mmap
    E(mmap, H_MMAP, -1, -1, -1, -1, -1, DS_TRACE_OP_MAP, 0, 0)
#endif
    E(connect, H_SOCK, -1, -1, -1, -1, -1, DS_TRACE_OP_CONNECT, 0, FY)
    E(bind, H_SOCK, -1, -1, -1, -1, -1, DS_TRACE_OP_CREATE, 0, FN)
    E(sendto, H_SENDTO, -1, -1, -1, -1, -1, DS_TRACE_OP_CONNECT, 0, FY)
#ifdef SYS_socketcall
    /* s390x's glibc (built for kernels older than 4.3) reaches connect/bind/sendto through it */
    E(socketcall, H_SOCKETCALL, -1, -1, -1, -1, -1, DS_TRACE_OP_CONNECT, 0, FY)
#endif
#ifdef SYS_io_uring_setup
    E(io_uring_setup, H_URING, -1, -1, -1, -1, -1, 0, 0, 0)  /* only to say what the sensor cannot see */
#endif
    /* the old path calls (x86_64 has them; aarch64 and riscv64 do not) */
#ifdef SYS_open
    E(open, H_OPEN, CWD_, 0, 1, -1, -1, DS_TRACE_OP_OPEN, 0, FY)
    E(creat, H_CREAT, CWD_, 0, -1, -1, -1, DS_TRACE_OP_OPEN | DS_TRACE_OP_CREATE, 0, FY)
    E(stat, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_STAT, 0, FY)
    E(lstat, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_STAT, 0, FN)
    E(access, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ACCESS, 0, FY)
    E(readlink, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_READLINK, 0, FN)
    E(mkdir, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_CREATE, 0, FN)
    E(rmdir, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_UNLINK, 0, FN)
    E(unlink, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_UNLINK, 0, FN)
    E(rename, H_TWO, CWD_, 0, -1, CWD_, 1, DS_TRACE_OP_RENAME, DS_TRACE_OP_CREATE, FN)
    E(link, H_TWO, CWD_, 0, -1, CWD_, 1, DS_TRACE_OP_STAT, DS_TRACE_OP_CREATE, FN)
    E(symlink, H_SYMLINK, CWD_, 1, -1, -1, -1, DS_TRACE_OP_CREATE, 0, FN)
    E(chmod, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(chown, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(lchown, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FN)
    E(utime, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(utimes, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(futimesat, H_PATH, 0, 1, -1, -1, -1, DS_TRACE_OP_ATTR, 0, FY)
    E(mknod, H_PATH, CWD_, 0, -1, -1, -1, DS_TRACE_OP_CREATE, 0, FN)
#endif
};
#undef E

size_t spec_count(void) { return sizeof table / sizeof *table; }
const scspec *spec_at(size_t i) { return &table[i]; }

#define MAXNR 1024
static const scspec *by_nr[MAXNR];
static const char *names[MAXNR];
uint8_t g_seen_nr[MAXNR];
bool g_full_syscalls;

static void init_tables(void) {
    static bool done;
    if (done) return;
    done = true;
#define X(n) if (SYS_##n >= 0 && SYS_##n < MAXNR && !names[SYS_##n]) names[SYS_##n] = #n;
#include "syscall_names.h"
#undef X
    for (size_t i = 0; i < spec_count(); i++)
        if (table[i].nr >= 0 && table[i].nr < MAXNR) by_nr[table[i].nr] = &table[i];
}

const scspec *spec_for(int nr) {
    init_tables();
    return nr >= 0 && nr < MAXNR ? by_nr[nr] : NULL;
}
const char *syscall_name(int nr) {
    init_tables();
    return nr >= 0 && nr < MAXNR ? names[nr] : NULL;
}
void note_syscall(int nr) { if (nr >= 0 && nr < MAXNR) g_seen_nr[nr] = 1; }

/* The directory a dirfd argument stands for (NULL when unknown). A real dirfd is asked of the
 * kernel (one readlink) rather than cached: without tracing every close() a cache can be stale,
 * and a stale directory would put invented paths in the log (docs/trace.md). */
static char dirbuf[PATH_MAX];
static const char *dir_base(thread *t, int dirfd) {
    if (dirfd == AT_FDCWD || dirfd == CWD_) return t->fs->cwd;
    return fd_path(t, dirfd, dirbuf, sizeof dirbuf);
}

static bool want_follow(const scspec *s, const uint64_t a[6]) {
    switch (s->follow) {
    case FN: return false;
    case F_NOFOLLOW_FLAG: return s->flags < 0 || !(a[s->flags] & AT_SYMLINK_NOFOLLOW);
    case F_FOLLOW_FLAG: return s->flags >= 0 && (a[s->flags] & AT_SYMLINK_FOLLOW);
    default: return true;
    }
}

/* Reads and resolves one (dirfd, path) argument pair. NULL when there is nothing to record. */
static resolved *path_arg(thread *t, const uint64_t a[6], int dirfd_idx, int path_idx, bool follow) {
    char *raw = read_string(t->tid, a[path_idx], PATH_MAX);
    if (!raw) return NULL;
    const char *base = dirfd_idx == CWD_ ? t->fs->cwd : dir_base(t, (int)a[dirfd_idx]);
    resolved *r = NULL;
    /* "" (with AT_EMPTY_PATH) means the fd itself: it was recorded when it was opened. */
    if (*raw && (raw[0] == '/' || base)) r = resolve_path(t, base, raw, follow);
    free(raw);
    return r;
}

static resolved *sockaddr_arg(thread *t, uint64_t addr, uint64_t len) {
    struct sockaddr_un sun;
    if (!addr || len <= offsetof(struct sockaddr_un, sun_path)) return NULL;
    if (len > sizeof sun) len = sizeof sun;
    memset(&sun, 0, sizeof sun);
    if (read_mem(t->tid, addr, &sun, len) < 0) return NULL;
    if (sun.sun_family != AF_UNIX || !sun.sun_path[0]) return NULL; /* abstract or unnamed */
    char path[sizeof sun.sun_path + 1];
    memcpy(path, sun.sun_path, sizeof sun.sun_path);
    path[sizeof sun.sun_path] = 0;
    return resolve_path(t, t->fs->cwd, path, true);
}

/* The port of an IPv4/IPv6 address below 1024 (binding it needs CAP_NET_BIND_SERVICE), else 0. */
static int privileged_port(thread *t, uint64_t addr, uint64_t len) {
    struct sockaddr_in6 sa;
    if (!addr || len < sizeof(struct sockaddr_in)) return 0;
    if (len > sizeof sa) len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    if (read_mem(t->tid, addr, &sa, len) < 0) return 0;
    if (sa.sin6_family != AF_INET && sa.sin6_family != AF_INET6) return 0;
    int port = ntohs(sa.sin6_port); /* sin_port and sin6_port share their offset */
    return port > 0 && port < 1024 ? port : 0;
}

bool g_exact;

/* Read-only accesses need no exit stop: their result is certain from the sensor's own resolution
 * of the path (it must walk it anyway to see the symlinks). A missing path fails (ENOENT/ENOTDIR);
 * an existing one succeeds for stat/access, for readlink of a symlink, and for a read-only open,
 * except O_DIRECTORY on a non-directory (ENOTDIR), O_NOFOLLOW on a symlink (ELOOP) and a socket
 * (ENXIO) unless O_PATH. Only EACCES on an existing path is then logged ok (the safe direction
 * for a minifier). --exact takes every exit stop instead.
 * The work is done after the tracee was resumed (finish_deferred), so it overlaps with the
 * tracee's own run: the raw path and the dirfd's directory are read before resuming. */
bool g_exact;

void deferred_clear(deferred *d) {
    free(d->raw);
    free(d->base);
    memset(d, 0, sizeof *d);
}

static bool predicted_ok(const deferred *d, int kind) {
    if (kind == DS_TRACE_MISSING) return false;
    if (!d->is_open) return d->op != DS_TRACE_OP_READLINK || kind == DS_TRACE_SYMLINK;
    if (d->want_dir && kind != DS_TRACE_DIR) return false;
    if (d->o_path) return true;
    return kind != DS_TRACE_SYMLINK && kind != DS_TRACE_SOCKET;
}

void finish_deferred(thread *t) {
    deferred *d = &t->d;
    if (!d->active) return;
    resolved *r = resolve_path(t, d->base, d->raw, d->follow);
    if (r) record_resolved(r, d->op, predicted_ok(d, r->kind));
    deferred_clear(d);
}

/* Sets up t->d for a read-only access; false when the call needs its exit stop. */
static bool defer(thread *t, const scspec *s, const uint64_t a[6], unsigned op, bool follow, bool is_open,
                  bool want_dir, bool o_path) {
    if (g_exact) return false;
    char *raw = read_string(t->tid, a[s->path], PATH_MAX);
    if (!raw) return true; /* NULL or unreadable: nothing to record, nothing to wait for */
    const char *base = s->dirfd == CWD_ ? t->fs->cwd : dir_base(t, (int)a[s->dirfd]);
    if (!*raw || (raw[0] != '/' && !base)) { free(raw); return true; }
    deferred_clear(&t->d);
    t->d = (deferred){.active = true, .raw = raw, .base = xstrdup(base ? base : "/"), .follow = follow,
                      .want_dir = want_dir, .o_path = o_path, .op = op, .is_open = is_open};
    return true;
}

void on_entry(thread *t, int nr, const uint64_t a[6]) {
    note_syscall(nr);
    const scspec *s = spec_for(nr);
    pending_clear(&t->p);
    t->has_pending = false;
    t->want_exit = false;
    if (!s || !t->fs) return;
    pending *p = &t->p;
    p->nr = nr;
    p->spec = s;
    p->op[0] = s->op;
    p->op[1] = s->op2;
    bool follow = want_follow(s, a);
    switch (s->handler) {
    case H_OPEN: case H_OPENAT2: case H_CREAT: {
        uint64_t flags = s->handler == H_CREAT ? (O_CREAT | O_WRONLY | O_TRUNC) : a[s->flags];
        if (s->handler == H_OPENAT2) {
            uint64_t how = 0;
            if (read_mem(t->tid, a[2], &how, sizeof how) < 0) how = 0;
            flags = how;
        }
        if (flags & O_NOFOLLOW) follow = false;
        if (flags & O_CREAT) p->op[0] |= DS_TRACE_OP_CREATE;
        if ((flags & O_DIRECTORY) && !(flags & O_PATH)) p->op[0] |= DS_TRACE_OP_LIST;
        p->want_dir = flags & O_DIRECTORY;
        p->rdonly = (flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC) && (flags & __O_TMPFILE) != __O_TMPFILE;
        if (!p->rdonly) p->op[0] |= SENSOR_OP_WRITE;
        if (p->rdonly && !(flags & O_CREAT) && defer(t, s, a, p->op[0], follow, true, p->want_dir, flags & O_PATH)) {
            pending_clear(p);
            return;
        }
        p->res[0] = path_arg(t, a, s->dirfd, s->path, follow);
        break;
    }
    case H_PATH: case H_CHDIR: case H_CHROOT:
        if (s->handler == H_PATH && (s->op == DS_TRACE_OP_STAT || s->op == DS_TRACE_OP_ACCESS || s->op == DS_TRACE_OP_READLINK) &&
            defer(t, s, a, s->op, follow, false, false, false)) {
            pending_clear(p);
            return;
        }
        p->res[0] = path_arg(t, a, s->dirfd, s->path, follow);
        if (!p->res[0]) return;
        break;
    case H_SYMLINK:
        p->res[0] = path_arg(t, a, s->dirfd, s->path, false);
        if (!p->res[0]) return;
        break;
    case H_TWO:
        p->res[0] = path_arg(t, a, s->dirfd, s->path, follow);
        p->res[1] = path_arg(t, a, s->dirfd2, s->path2, false);
        if (!p->res[0] && !p->res[1]) return;
        break;
    case H_EXEC: {
        char *raw = read_string(t->tid, a[s->path], PATH_MAX);
        if (!raw) return;
        const char *base = s->dirfd == CWD_ ? t->fs->cwd : dir_base(t, (int)a[s->dirfd]);
        if (*raw && (raw[0] == '/' || base)) {
            p->res[0] = resolve_path(t, base, raw, follow);
            p->exec_path = normalize_path(base, raw);
        } else if (!*raw && s->flags >= 0 && (a[s->flags] & AT_EMPTY_PATH)) {
            const char *fp = fd_path(t, (int)a[s->dirfd], dirbuf, sizeof dirbuf);   /* fexecve */
            if (fp) { p->res[0] = resolve_path(t, "/", fp, true); p->exec_path = xstrdup(fp); }
        }
        free(raw);
        if (!p->exec_path) return;
        p->exec_argv = read_argv(t->tid, a[s->path + 1]);
        p->exec_envp = read_argv(t->tid, a[s->path + 2]);
        p->exec_cwd = xstrdup(t->fs->cwd);
        break;
    }
    case H_FCHDIR: p->fd_arg = (int)a[0]; break;
    case H_MMAP: {
        uint64_t m[6];
#if defined(__s390x__)
        /* s390x's mmap is old_mmap: its one argument points to {addr, len, prot, flags, fd, offset}
         * (the filter cannot look behind a pointer, so every mmap stops here). */
        if (read_mem(t->tid, a[0], m, sizeof m) < 0) return;
#else
        memcpy(m, a, sizeof m);
#endif
        /* The filter's condition again, for --syscalls mode where every call stops. */
        if ((m[3] & MAP_ANONYMOUS) || !(m[2] & PROT_EXEC) || (int)m[4] < 0) return;
        p->fd_arg = (int)m[4];
        break;
    }
    case H_SOCK:
        if (nr == SYS_bind) p->bind_port = privileged_port(t, a[1], a[2]);
        p->res[0] = sockaddr_arg(t, a[1], a[2]);
        if (!p->res[0] && !p->bind_port) return;
        break;
    case H_SENDTO: p->res[0] = sockaddr_arg(t, a[4], a[5]); if (!p->res[0]) return; break;
    case H_SOCKETCALL: {
        /* socketcall(call, args): args points to the call's arguments (unsigned longs). Only
         * bind (2), connect (3) and sendto (11) carry a path; the filter lets the others pass. */
        uint64_t m[6];
        if ((a[0] != 2 && a[0] != 3 && a[0] != 11) || read_mem(t->tid, a[1], m, sizeof m) < 0) return;
        if (a[0] == 2) { p->op[0] = DS_TRACE_OP_CREATE; p->bind_port = privileged_port(t, m[1], m[2]); }
        p->res[0] = a[0] == 11 ? sockaddr_arg(t, m[4], m[5]) : sockaddr_arg(t, m[1], m[2]);
        if (!p->res[0] && !p->bind_port) return;
        break;
    }
    case H_URING:
        add_warning("a traced process set up io_uring: files it opens or stats through the ring "
                    "(IORING_OP_OPENAT, OPENAT2, STATX) are not seen; check the result with its tests");
        return;
    }
    res_ref(p->res[0]);
    res_ref(p->res[1]);
    t->has_pending = true;
    t->want_exit = true;
}

/* A successful call that changed the namespace: re-resolve what was missing, drop stale caches.
 * Returns a reference the caller releases. */
static resolved *after_success(thread *t, resolved *r, unsigned op) {
    if (!r) return r;
    if (op & (DS_TRACE_OP_CREATE | DS_TRACE_OP_UNLINK | DS_TRACE_OP_RENAME)) paths_mutated(r->path);
    /* Created by this call (O_CREAT, mkdir, bind…): look again so the kind is right. */
    if (r->kind == DS_TRACE_MISSING) return resolve_fresh(t, "/", r->path, false);
    return res_ref(r);
}
static void record_after_success(thread *t, resolved *r, unsigned op) {
    resolved *f = after_success(t, r, op);
    record_resolved(f, op, true);
    res_unref(f);
}

void on_exit_(thread *t, int64_t rval, bool is_error) {
    if (!t->has_pending) return;
    pending *p = &t->p;
    const scspec *s = p->spec;
    bool ok = !is_error;
    switch (s->handler) {
    case H_OPEN: case H_OPENAT2: case H_CREAT:
        if (!p->res[0]) break;
        if (ok) record_after_success(t, p->res[0], p->op[0]);
        else record_resolved(p->res[0], p->op[0], false);
        break;
    case H_PATH: case H_SYMLINK: case H_SOCK: case H_SENDTO: case H_SOCKETCALL: {
        resolved *r = p->res[0];
        if (p->bind_port && rval == -EACCES) denied_bind_add(t->tid, p->bind_port);
        if (!r) break;
        if (ok && (p->op[0] & DS_TRACE_OP_UNLINK)) paths_mutated(r->path);
        if (ok && !(p->op[0] & DS_TRACE_OP_UNLINK)) record_after_success(t, r, p->op[0]);
        else record_resolved(r, p->op[0], ok);
        break;
    }
    case H_TWO:
        if (p->res[0]) { if (ok) paths_mutated(p->res[0]->path); record_resolved(p->res[0], p->op[0], ok); }
        if (p->res[1]) { if (ok) record_after_success(t, p->res[1], p->op[1]); else record_resolved(p->res[1], p->op[1], false); }
        break;
    case H_CHDIR:
        record_resolved(p->res[0], p->op[0], ok);
        if (ok) { free(t->fs->cwd); t->fs->cwd = xstrdup(p->res[0]->path); }
        break;
    case H_FCHDIR: {
        const char *d = ok ? fd_path(t, AT_FDCWD, dirbuf, sizeof dirbuf) : NULL;
        if (d) { free(t->fs->cwd); t->fs->cwd = xstrdup(d); }
        if (d) record(d, DS_TRACE_DIR, DS_TRACE_OP_CHDIR, true);
        break;
    }
    case H_CHROOT:
        record_resolved(p->res[0], p->op[0], ok);
        if (ok) {
            const char *nr = p->res[0]->path, *old = t->fs->root;
            char *root = !strcmp(old, "/") ? xstrdup(nr) : !strcmp(nr, "/") ? xstrdup(old) : xasprintf("%s%s", old, nr);
            free(t->fs->root);
            t->fs->root = root;
            add_warning("a traced process called chroot(%s): its paths are logged relative to its new root", root);
        }
        break;
    case H_EXEC:
        if (p->res[0]) record_resolved(p->res[0], DS_TRACE_OP_EXEC, false);
        /* A PATH search's misses stay in files (missing) but not in the execs list. */
        if (rval != -ENOENT && rval != -ENOTDIR) {
            execinfo in = {.envp = p->exec_envp, .cwd = p->exec_cwd, .pid = t->tid, .ppid = -1};
            pid_t tgid;
            if (proc_ids(t->tid, &tgid, &in.ppid) == 0 && tgid > 0) in.pid = tgid;
            proc_creds(t->tid, &in.uid, &in.gid);
            exec_log_add(p->exec_path, p->exec_argv, &in, false);
            p->exec_path = NULL;
            p->exec_argv = NULL;
            p->exec_envp = NULL;
            p->exec_cwd = NULL;
        }
        break;
    case H_MMAP:
        if (ok) {
            /* Ask the kernel: with predicted opens the table may not know this fd. */
            const char *src = fd_path(t, p->fd_arg, dirbuf, sizeof dirbuf);
            if (src) record(src, lstat_kind(t, src), DS_TRACE_OP_MAP, true);
        }
        break;
    }
    pending_clear(p);
    t->has_pending = false;
    t->want_exit = false;
}

void on_exec_event(thread *t) {
    pending *p = &t->p;
    g_epoch++; /* what the new program touches comes after everything before its exec */
    if (t->has_pending && p->spec && p->spec->handler == H_EXEC && p->exec_path) {
        record_resolved(p->res[0], DS_TRACE_OP_EXEC, true);
        if (p->res[0]) {
            struct stat st;
            if (!g_privileged && stat(p->res[0]->path, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
                add_warning("%s is set-user/group-ID: under ptrace it runs without those privileges "
                            "(run the sensor as root to trace it faithfully)", p->res[0]->path);
            record_exec_interpreters(t, p->res[0]);
        }
        execinfo in = {.envp = p->exec_envp, .cwd = p->exec_cwd, .pid = t->tid, .ppid = -1, .epoch = g_epoch};
        pid_t tgid;
        proc_ids(t->tid, &tgid, &in.ppid);
        proc_creds(t->tid, &in.uid, &in.gid);
        exec_log_add(p->exec_path, p->exec_argv, &in, true);
        p->exec_path = NULL;
        p->exec_argv = NULL;
        p->exec_envp = NULL;
        p->exec_cwd = NULL;
    } else {
        char link[64], buf[PATH_MAX];
        snprintf(link, sizeof link, "/proc/%d/exe", (int)t->tid);
        ssize_t n = readlink(link, buf, sizeof buf - 1);
        if (n > 0) { buf[n] = 0; record(buf, DS_TRACE_FILE, DS_TRACE_OP_EXEC, true); }
    }
    pending_clear(p);
    t->has_pending = false;
    t->want_exit = false;
}
