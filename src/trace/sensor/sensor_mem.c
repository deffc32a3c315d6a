/* Reading the tracee's memory: process_vm_readv page by page (a string may end just before an
 * unmapped page), PTRACE_PEEKDATA when process_vm_readv is not allowed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include "sensor.h"

#define PAGE 4096u

static int peek_mem(pid_t pid, uint64_t addr, void *buf, size_t len) {
    unsigned char *out = buf;
    while (len) {
        uint64_t aligned = addr & ~(uint64_t)(sizeof(long) - 1);
        errno = 0;
        long w = ptrace(PTRACE_PEEKDATA, pid, (void *)(uintptr_t)aligned, 0);
        if (errno) return -1;
        size_t off = (size_t)(addr - aligned), n = sizeof(long) - off;
        if (n > len) n = len;
        memcpy(out, (unsigned char *)&w + off, n);
        out += n; addr += n; len -= n;
    }
    return 0;
}

int read_mem(pid_t pid, uint64_t addr, void *buf, size_t len) {
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len) return 0;
    return peek_mem(pid, addr, buf, len);
}

char *read_string(pid_t pid, uint64_t addr, size_t max) {
    if (!addr) return NULL;
    char *buf = xmalloc(max + 1);
    size_t got = 0;
    while (got < max) {
        size_t chunk = PAGE - (size_t)((addr + got) % PAGE);
        if (chunk > max - got) chunk = max - got;
        if (read_mem(pid, addr + got, buf + got, chunk) < 0) { free(buf); return NULL; }
        char *nul = memchr(buf + got, 0, chunk);
        if (nul) return buf;
        got += chunk;
    }
    buf[max] = 0;
    return buf;
}

char **read_argv(pid_t pid, uint64_t addr) {
    size_t n = 0, cap = 8;
    char **v = xcalloc(cap + 1, sizeof *v);
    for (; addr && n < 4096; n++) {
        uint64_t p = 0;
        if (read_mem(pid, addr + n * sizeof(void *), &p, sizeof(void *)) < 0 || !p) break;
        char *s = read_string(pid, p, 4096);
        if (!s) break;
        if (n == cap) { cap *= 2; v = xrealloc(v, (cap + 1) * sizeof *v); }
        v[n] = s;
        v[n + 1] = NULL;
    }
    v[n] = NULL;
    return v;
}
