/* Writes the log once, at the end: one compact JSON document (format in docs/trace.md), atomically
 * (temp file in the same directory + rename) or to an inherited fd (distill trace --root). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/utf8_seq.h"
#include "sensor.h"

typedef struct execrec { char *path; char **argv; bool ok; execinfo info; } execrec;
extern strmap g_files;
extern execrec *g_execs;
extern size_t g_nexecs;


/* JSON string. A byte that is not part of valid UTF-8 is written as U+FFFD: the readable, lossy
 * form; paths then also get their exact bytes in a "_hex" key (docs/trace.md). */
static void jstr(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') { fputc('\\', f); fputc(*p, f); }
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else if (*p < 0x80) fputc(*p, f);
        else {
            size_t n = ds_utf8_seq(p);
            if (n) { fwrite(p, 1, n, f); p += n - 1; }
            else fputs("\\ufffd", f);
        }
    }
    fputc('"', f);
}

static void jhex(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) fprintf(f, "%02x", *p);
    fputc('"', f);
}

/* "key":"readable" and, only when s is not valid UTF-8, ,"key_hex":"exact bytes". */
static void jpath(FILE *f, const char *key, const char *s) {
    fprintf(f, "\"%s\":", key);
    jstr(f, s);
    if (!ds_utf8_valid(s)) { fprintf(f, ",\"%s_hex\":", key); jhex(f, s); }
}

static void jstrv(FILE *f, char **v) {
    fputc('[', f);
    for (size_t i = 0; v && v[i]; i++) { if (i) fputc(',', f); jstr(f, v[i]); }
    fputc(']', f);
}

/* "key":[...] and, only when an element is not valid UTF-8, ,"key_hex":[null or exact bytes, ...]. */
static void jpathv(FILE *f, const char *key, char **v) {
    fprintf(f, "\"%s\":", key);
    jstrv(f, v);
    bool all_ok = true;
    for (size_t i = 0; v && v[i]; i++) all_ok = all_ok && ds_utf8_valid(v[i]);
    if (all_ok) return;
    fprintf(f, ",\"%s_hex\":[", key);
    for (size_t i = 0; v[i]; i++) {
        if (i) fputc(',', f);
        if (ds_utf8_valid(v[i])) fputs("null", f); else jhex(f, v[i]);
    }
    fputc(']', f);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void write_doc(FILE *f, char **command, int exit_code, int sig, bool complete) {
    fprintf(f, "{\"schema\":1,\"version\":2,\"arch\":\"%s\",\"main_pid\":%d,", native_arch_name(), (int)g_main_tracee); /* schema: docs/json.md */
    jpathv(f, "command", command);
    if (exit_code >= 0) fprintf(f, ",\"exit_code\":%d", exit_code); else fputs(",\"exit_code\":null", f);
    if (sig > 0) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev) fprintf(f, ",\"signal\":\"SIG%s\"", abbrev); else fprintf(f, ",\"signal\":\"SIG%d\"", sig);
    } else fputs(",\"signal\":null", f);
    fprintf(f, ",\"syscalls_complete\":%s", complete ? "true" : "false");
    if (g_pinned_cpu >= 0) fprintf(f, ",\"pinned_cpu\":%d", g_pinned_cpu); else fputs(",\"pinned_cpu\":null", f);
    fputs(",\n\"files\":[", f);
    char **keys = xcalloc(g_files.len + 1, sizeof *keys);
    size_t n = 0;
    for (size_t i = 0; i < g_files.cap; i++) if (g_files.keys[i]) keys[n++] = g_files.keys[i];
    qsort(keys, n, sizeof *keys, cmp_str);
    for (size_t i = 0; i < n; i++) {
        fentry *e = *strmap_slot(&g_files, keys[i], false);
        fputs(i ? ",\n{" : "\n{", f);
        jpath(f, "path", keys[i]);
        fprintf(f, ",\"kind\":\"%s\",\"ops\":[", ds_trace_vocab_kind((unsigned)e->kind));
        bool first = true;
        for (unsigned b = 0; b < DS_TRACE_OP_COUNT; b++)
            if (e->ops & (1u << b)) { fprintf(f, "%s\"%s\"", first ? "" : ",", ds_trace_vocab_op(b)); first = false; }
        fprintf(f, "],\"ok\":%s,\"epochs\":[%u,%u]", e->ok ? "true" : "false", e->first_epoch, e->last_epoch);
        if (e->write_epoch >= 0) fprintf(f, ",\"write_epochs\":[%d,%d]", e->write_epoch, e->last_write_epoch);
        fputc('}', f);
    }
    free(keys);
    fputs("],\n\"execs\":[", f);
    for (size_t i = 0; i < g_nexecs; i++) {
        fputs(i ? ",\n{" : "\n{", f);
        jpath(f, "path", g_execs[i].path);
        fputc(',', f);
        jpathv(f, "argv", g_execs[i].argv);
        const execinfo *in = &g_execs[i].info;
        if (in->envp) { fputc(',', f); jpathv(f, "envp", in->envp); }
        if (in->cwd) { fputc(',', f); jpath(f, "cwd", in->cwd); }
        if (in->uid >= 0) fprintf(f, ",\"uid\":%ld", in->uid);
        if (in->gid >= 0) fprintf(f, ",\"gid\":%ld", in->gid);
        fprintf(f, ",\"pid\":%d,\"ppid\":%d,\"epoch\":%u", (int)in->pid, (int)in->ppid, in->epoch);
        fprintf(f, ",\"ok\":%s}", g_execs[i].ok ? "true" : "false");
    }
    fputs("],\n\"syscalls\":[", f);
    bool first = true;
    for (int nr = 0; nr < 1024; nr++) {
        if (!g_seen_nr[nr]) continue;
        const char *name = syscall_name(nr);
        if (name) fprintf(f, "%s\"%s\"", first ? "" : ",", name);
        else fprintf(f, "%s\"syscall_%d\"", first ? "" : ",", nr);
        first = false;
    }
    fputs("],\n\"denied_binds\":[", f);
    for (size_t i = 0; i < g_n_denied_binds; i++) {
        fputs(i ? ",{" : "{", f);
        jpath(f, "path", g_denied_binds[i].path);
        fprintf(f, ",\"port\":%d}", g_denied_binds[i].port);
    }
    fputs("],\n\"warnings\":", f);
    jstrv(f, g_warnings);
    fputs("}\n", f);
}

int write_log(const char *out_path, int out_fd, char **command, int exit_code, int sig, bool complete) {
    if (out_fd >= 0 || !strcmp(out_path, "-")) {
        int fd = out_fd >= 0 ? dup(out_fd) : dup(1);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) return -1;
        write_doc(f, command, exit_code, sig, complete);
        return fclose(f) == 0 ? 0 : -1;
    }
    char *tmp = xasprintf("%s.tmp-%d", out_path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) { int e = errno; if (fd >= 0) close(fd); free(tmp); errno = e; return -1; }
    write_doc(f, command, exit_code, sig, complete);
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
    if (fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(tmp, out_path) < 0) rc = -1;
    if (rc < 0) { int e = errno; unlink(tmp); errno = e; }
    free(tmp);
    return rc;
}
