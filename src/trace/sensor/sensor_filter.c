/* The seccomp-BPF program, built by hand (no libseccomp: the sensor is static and library-free).
 * Only the syscalls in the table (sensor_syscalls.c) return SECCOMP_RET_TRACE; a few are narrowed by
 * their arguments so hot calls that carry no new path do not stop:
 *   newfstatat/statx with AT_EMPTY_PATH (glibc's fstat), mmap without PROT_EXEC or anonymous
 *   (not on s390x, whose mmap passes a pointer to its arguments: there every mmap stops),
 *   sendto without an address, utimensat with a NULL path, socketcall (s390x) other than
 *   bind/connect/sendto.
 * A syscall of another ABI (i386 on x86_64, x32) returns TRACE too, so nothing passes unseen: the
 * sensor warns that it cannot decode it. With --syscalls every syscall returns TRACE. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "sensor.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

uint32_t native_audit_arch(void) {
#if defined(__x86_64__)
    return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
    return AUDIT_ARCH_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
    return AUDIT_ARCH_RISCV64;
#elif defined(__s390x__)
    return AUDIT_ARCH_S390X;
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return AUDIT_ARCH_PPC64LE;
#else
#error "distill-sensor: unsupported architecture"
#endif
}

const char *native_arch_name(void) {
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__aarch64__)
    return "aarch64";
#elif defined(__riscv)
    return "riscv64";
#elif defined(__s390x__)
    return "s390x";
#else
    return "ppc64le";
#endif
}

#define MAXPROG 1024
static struct sock_filter prog[MAXPROG];
static unsigned plen;

static void emit(struct sock_filter f) { if (plen < MAXPROG) prog[plen++] = f; }
#define LD(off) emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define RET(v) emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define JEQ(k, t, f) emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f)))
#define JSET(k, t, f) emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f)))
/* Low/high 32 bits of argument i (little-endian: the low word comes first). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#endif
#define TRACE SECCOMP_RET_TRACE
#define ALLOW SECCOMP_RET_ALLOW

/* Emits the per-syscall block: "if nr == N { ...; return }" (the block always returns). */
static void emit_block(int nr) {
    unsigned start = plen;
    JEQ((unsigned)nr, 0, 0); /* false-jump patched below */
    switch (nr) {
#ifdef SYS_newfstatat
    case SYS_newfstatat:
        LD(ARG_LO(3)); JSET(AT_EMPTY_PATH, 0, 1); RET(ALLOW); RET(TRACE);
        break;
#endif
#ifdef SYS_statx
    case SYS_statx:
        LD(ARG_LO(2)); JSET(AT_EMPTY_PATH, 0, 1); RET(ALLOW); RET(TRACE);
        break;
#endif
#if defined(SYS_mmap) && !defined(__s390x__) /* s390x: old_mmap, arguments behind a pointer */
    case SYS_mmap:
        LD(ARG_LO(3)); JSET(MAP_ANONYMOUS, 0, 1); RET(ALLOW);
        LD(ARG_LO(2)); JSET(PROT_EXEC, 0, 1); RET(TRACE); RET(ALLOW);
        break;
#endif
#ifdef SYS_sendto
    case SYS_sendto:
        LD(ARG_LO(4)); JEQ(0, 0, 2); LD(ARG_HI(4)); JEQ(0, 1, 0); RET(TRACE); RET(ALLOW);
        break;
#endif
#ifdef SYS_socketcall
    case SYS_socketcall: /* only bind (2), connect (3), sendto (11) */
        LD(ARG_LO(0)); JEQ(2, 3, 0); JEQ(3, 2, 0); JEQ(11, 1, 0); RET(ALLOW); RET(TRACE);
        break;
#endif
    case SYS_utimensat:
        LD(ARG_LO(1)); JEQ(0, 0, 2); LD(ARG_HI(1)); JEQ(0, 1, 0); RET(TRACE); RET(ALLOW);
        break;
    default:
        RET(TRACE);
    }
    prog[start].jf = (unsigned char)(plen - start - 1);
}

int install_filter(bool all) {
    plen = 0;
    LD(offsetof(struct seccomp_data, arch));
    JEQ(native_audit_arch(), 1, 0);
    RET(TRACE);
    LD(offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
    JSET(0x40000000u, 0, 1); /* __X32_SYSCALL_BIT: another ABI, let the sensor see it */
    RET(TRACE);
#endif
    /* --syscalls: every syscall stops once, at entry (the exit only when its result is needed),
     * half the stops of PTRACE_SYSCALL. */
    if (all) RET(TRACE);
    for (size_t i = 0; !all && i < spec_count(); i++) {
        emit_block(spec_at(i)->nr);
        if (plen + 16 >= MAXPROG) { errno = E2BIG; return -1; }
    }
    RET(ALLOW);
    struct sock_fprog fp = {.len = (unsigned short)plen, .filter = prog};
    /* As root (CAP_SYS_ADMIN) no_new_privs is not needed, so setuid programs keep working. */
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == 0) return 0;
    if (errno != EACCES) return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
}
