/* What the kernel opens by itself at exec, which no syscall shows: the #! interpreter of a script
 * (recursively, as binfmt_script does) and the ELF program interpreter (PT_INTERP, ld.so).
 * Also the list of execs for the log (deduplicated on path + argv). */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sensor.h"

static int open_in_root(thread *t, const char *canonical) {
    char buf[PATH_MAX + 64];
    const char *p = canonical;
    if (t->fs && strcmp(t->fs->root, "/")) { snprintf(buf, sizeof buf, "/proc/%d/root%s", (int)t->tid, canonical); p = buf; }
    return open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

/* The PT_INTERP path of an ELF file (malloc'd) or NULL. */
static char *elf_interp(int fd, const unsigned char *head, size_t n) {
    if (n < EI_NIDENT || memcmp(head, ELFMAG, SELFMAG)) return NULL;
    bool is64 = head[EI_CLASS] == ELFCLASS64;
    uint64_t phoff, phnum, phentsize;
    if (is64) {
        if (n < sizeof(Elf64_Ehdr)) return NULL;
        const Elf64_Ehdr *eh = (const void *)head;
        phoff = eh->e_phoff; phnum = eh->e_phnum; phentsize = eh->e_phentsize;
    } else {
        if (n < sizeof(Elf32_Ehdr)) return NULL;
        const Elf32_Ehdr *eh = (const void *)head;
        phoff = eh->e_phoff; phnum = eh->e_phnum; phentsize = eh->e_phentsize;
    }
    if (phnum > 256 || phentsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))) return NULL;
    for (uint64_t i = 0; i < phnum; i++) {
        unsigned char ph[sizeof(Elf64_Phdr)];
        if (pread(fd, ph, phentsize > sizeof ph ? sizeof ph : phentsize, (off_t)(phoff + i * phentsize)) <= 0) return NULL;
        uint64_t type, off, sz;
        if (is64) { const Elf64_Phdr *p = (const void *)ph; type = p->p_type; off = p->p_offset; sz = p->p_filesz; }
        else { const Elf32_Phdr *p = (const void *)ph; type = p->p_type; off = p->p_offset; sz = p->p_filesz; }
        if (type != PT_INTERP) continue;
        if (sz == 0 || sz > PATH_MAX) return NULL;
        char *s = xcalloc(1, sz + 1);
        if (pread(fd, s, sz, (off_t)off) != (ssize_t)sz) { free(s); return NULL; }
        return s;
    }
    return NULL;
}

void record_exec_interpreters(thread *t, const resolved *exe) {
    const resolved *cur = exe;
    for (int depth = 0; depth < 5 && cur && cur->kind == DS_TRACE_FILE; depth++) {
        int fd = open_in_root(t, cur->path);
        if (fd < 0) return;
        unsigned char head[512];
        ssize_t n = pread(fd, head, sizeof head - 1, 0);
        if (n <= 0) { close(fd); return; }
        head[n] = 0;
        if (n > 2 && head[0] == '#' && head[1] == '!') {
            close(fd);
            char *s = (char *)head + 2, *e;
            while (*s == ' ' || *s == '\t') s++;
            for (e = s; *e && *e != ' ' && *e != '\t' && *e != '\n'; e++) {}
            *e = 0;
            if (!*s) return;
            resolved *r = resolve_path(t, t->fs->cwd, s, true);
            record_resolved(r, DS_TRACE_OP_EXEC, true);
            cur = r;
            continue;
        }
        char *interp = elf_interp(fd, head, (size_t)n);
        close(fd);
        if (interp) {
            record_resolved(resolve_path(t, "/", interp, true), DS_TRACE_OP_MAP, true);
            free(interp);
        }
        return;
    }
}

/* ---- the execs list ---- */
typedef struct execrec { char *path; char **argv; bool ok; execinfo info; } execrec;
execrec *g_execs;
size_t g_nexecs;
unsigned g_epoch;
pid_t g_main_tracee;
static strmap exec_index; /* path, argv, envp, cwd, ids joined with \x1f / \x1e → index + 1 */

static size_t strv_len(char **v) {
    size_t n = 0;
    for (char **a = v; a && *a; a++) n += strlen(*a) + 1;
    return n;
}

static char *exec_key(const char *path, char **argv, const execinfo *in) {
    size_t n = strlen(path) + strv_len(argv) + strv_len(in->envp) + (in->cwd ? strlen(in->cwd) : 0) + 64;
    char *k = xmalloc(n), *w = k;
    w = stpcpy(w, path);
    for (char **a = argv; a && *a; a++) { *w++ = '\x1f'; w = stpcpy(w, *a); }
    *w++ = '\x1e';
    for (char **a = in->envp; a && *a; a++) { *w++ = '\x1f'; w = stpcpy(w, *a); }
    *w++ = '\x1e';
    w = stpcpy(w, in->cwd ? in->cwd : "");
    snprintf(w, 40, "\x1e%ld:%ld", in->uid, in->gid);
    return k;
}

static void free_argv(char **argv) {
    if (!argv) return;
    for (char **a = argv; *a; a++) free(*a);
    free(argv);
}

void proc_creds(pid_t tid, long *uid, long *gid) {
    char path[64], buf[512];
    *uid = *gid = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    FILE *f = fopen(path, "re");
    if (!f) return;
    while (fgets(buf, sizeof buf, f)) {
        long r, e;
        if (sscanf(buf, "Uid: %ld %ld", &r, &e) == 2) *uid = e;
        else if (sscanf(buf, "Gid: %ld %ld", &r, &e) == 2) *gid = e;
    }
    fclose(f);
}

void exec_log_add(char *path, char **argv, execinfo *info, bool ok) {
    execinfo in = info ? *info : (execinfo){.uid = -1, .gid = -1};
    if (!path) { free_argv(argv); free_argv(in.envp); free(in.cwd); return; }
    /* The main process's execs are its chain to the final program: every one is kept. */
    if (in.pid != g_main_tracee || !in.pid) {
        char *k = exec_key(path, argv, &in);
        void **slot = strmap_slot(&exec_index, k, true);
        free(k);
        if (*slot) {
            execrec *e = &g_execs[(size_t)(uintptr_t)*slot - 1];
            if (ok && !e->ok) e->info.epoch = in.epoch;
            e->ok |= ok;
            free_argv(argv);
            free_argv(in.envp);
            free(in.cwd);
            free(path);
            return;
        }
        *slot = (void *)(uintptr_t)(g_nexecs + 1);
    }
    g_execs = xrealloc(g_execs, (g_nexecs + 1) * sizeof *g_execs);
    g_execs[g_nexecs++] = (execrec){path, argv ? argv : xcalloc(1, sizeof(char *)), ok, in};
}

denied_bind *g_denied_binds;
size_t g_n_denied_binds;

void denied_bind_add(pid_t tid, int port) {
    char link[64], buf[4096];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)tid);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    if (n <= 0) return;
    buf[n] = 0;
    for (size_t i = 0; i < g_n_denied_binds; i++)
        if (g_denied_binds[i].port == port && !strcmp(g_denied_binds[i].path, buf)) return;
    g_denied_binds = xrealloc(g_denied_binds, (g_n_denied_binds + 1) * sizeof *g_denied_binds);
    g_denied_binds[g_n_denied_binds++] = (denied_bind){xstrdup(buf), port};
}
