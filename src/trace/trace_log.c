/* Loader for the sensor's JSON log (format in trace_log.h and docs/trace.md). Strict about types so
 * a later stage never acts on a half-understood log; unknown top-level keys are ignored so the
 * format can grow. */
#include "trace/trace_log.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "util/path_json.h"
#include "util/fsutil.h"

#define MAX_LOG_BYTES (1024u * 1024u * 1024u)

const char *ds_trace_kind_name(ds_trace_kind k) { return ds_trace_vocab_kind((unsigned)k); }
int ds_trace_kind_parse(const char *name) { return ds_trace_vocab_kind_parse(name); }
const char *ds_trace_op_name(unsigned i) { return ds_trace_vocab_op(i); }
int ds_trace_op_parse(const char *name) { return (int)ds_trace_vocab_op_parse(name); }

static void free_strv(char **v) {
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}

void ds_trace_free(ds_trace *t) {
    if (!t) return;
    free(t->arch);
    free_strv(t->command);
    free(t->signal);
    for (size_t i = 0; i < t->nfiles; i++) free(t->files[i].path);
    free(t->files);
    for (size_t i = 0; i < t->nexecs; i++) {
        free(t->execs[i].path);
        free_strv(t->execs[i].argv);
        free_strv(t->execs[i].envp);
        free(t->execs[i].cwd);
    }
    free(t->execs);
    free_strv(t->syscalls);
    free_strv(t->warnings);
    for (size_t i = 0; i < t->ndenied_binds; i++) free(t->denied_binds[i].path);
    free(t->denied_binds);
    free(t);
}

/* The exact bytes of a string that may have a "_hex" twin (path_json.h): the twin when present
 * (decoded, refused when it is not hex or holds a NUL), else the string itself. */
static int exact_string(json_t *s, json_t *hex, const char *what, char **out, ds_err *err) {
    *out = NULL;
    if (hex && !json_is_null(hex)) {
        if (!json_is_string(hex)) return ds_fail(err, "%s_hex: expected a string of hex digits", what);
        const char *why = NULL;
        *out = ds_hex_decode(json_string_value(hex), json_string_length(hex), &why);
        if (!*out) return ds_fail(err, "%s_hex: %s", what, why);
        return 0;
    }
    if (strlen(json_string_value(s)) != json_string_length(s)) return ds_fail(err, "%s: contains a NUL", what);
    *out = ds_xstrdup(json_string_value(s));
    return 0;
}

/* A JSON array of strings (or absent when optional) → NULL-terminated vector. hex, when not
 * NULL, is the parallel "_hex" array: null or the exact bytes of each element. */
static int strv_from(json_t *a, json_t *hex, const char *what, bool optional, char ***out, size_t *n, ds_err *err) {
    *out = NULL; *n = 0;
    if (!a && optional && !hex) { *out = ds_xcalloc(1, sizeof(char *)); return 0; }
    if (!json_is_array(a)) return ds_fail(err, "%s: expected an array of strings", what);
    size_t len = json_array_size(a);
    if (hex && (!json_is_array(hex) || json_array_size(hex) != len))
        return ds_fail(err, "%s_hex: expected an array as long as %s", what, what);
    char **v = ds_xcalloc(len + 1, sizeof(char *));
    for (size_t i = 0; i < len; i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s)) { free_strv(v); return ds_fail(err, "%s[%zu]: expected a string", what, i); }
        json_t *h = hex ? json_array_get(hex, i) : NULL;
        if (!h || json_is_null(h)) { v[i] = ds_xstrndup(json_string_value(s), json_string_length(s)); continue; }
        char name[96];
        snprintf(name, sizeof name, "%s[%zu]", what, i);
        if (exact_string(s, h, name, &v[i], err) < 0) {
            free_strv(v);
            return -1;
        }
    }
    *out = v; *n = len;
    return 0;
}

static int cmp_file(const void *a, const void *b) {
    return strcmp(((const ds_trace_file *)a)->path, ((const ds_trace_file *)b)->path);
}
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* An optional non-negative integer member (at most 2^31); -1 when absent. */
static int opt_num(json_t *o, const char *key, const char *what, size_t i, long *out, ds_err *err) {
    json_t *v = json_object_get(o, key);
    *out = -1;
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0x7fffffff)
        return ds_fail(err, "%s[%zu].%s: expected a non-negative integer", what, i, key);
    *out = (long)json_integer_value(v);
    return 0;
}

/* An optional [first, last] pair, 0 <= first <= last < 2^31. */
static int opt_pair(json_t *o, const char *key, size_t i, long *first, long *last, ds_err *err) {
    json_t *e = json_object_get(o, key);
    if (!e) return 0;
    json_t *a = json_array_get(e, 0), *b = json_array_get(e, 1);
    if (!json_is_array(e) || json_array_size(e) != 2 || !json_is_integer(a) || !json_is_integer(b) ||
        json_integer_value(a) < 0 || json_integer_value(b) < json_integer_value(a) || json_integer_value(b) > 0x7fffffff)
        return ds_fail(err, "files[%zu].%s: expected [first, last], 0 <= first <= last", i, key);
    *first = (long)json_integer_value(a);
    *last = (long)json_integer_value(b);
    return 0;
}

/* "epochs" and "write_epochs" of files[i] (version 2; absent in version 1). */
static int opt_epochs(json_t *o, size_t i, long ep[4], ds_err *err) {
    if (opt_pair(o, "epochs", i, &ep[0], &ep[1], err) < 0) return -1;
    return opt_pair(o, "write_epochs", i, &ep[2], &ep[3], err);
}

static int parse_files(json_t *a, ds_trace *t, ds_err *err) {
    if (!json_is_array(a)) return ds_fail(err, "files: expected an array");
    size_t len = json_array_size(a);
    t->files = ds_xcalloc(len ? len : 1, sizeof *t->files);
    for (size_t i = 0; i < len; i++) {
        json_t *o = json_array_get(a, i);
        json_t *p = json_object_get(o, "path"), *k = json_object_get(o, "kind");
        json_t *ops = json_object_get(o, "ops"), *ok = json_object_get(o, "ok");
        if (!json_is_object(o) || !json_is_string(p) || !json_is_string(k) || !json_is_array(ops) || !json_is_boolean(ok))
            return ds_fail(err, "files[%zu]: expected {path, kind, ops, ok}", i);
        char what[64];
        snprintf(what, sizeof what, "files[%zu].path", i);
        char *ps = NULL;
        if (exact_string(p, json_object_get(o, "path_hex"), what, &ps, err) < 0) return -1;
        if (ps[0] != '/') {
            ds_fail(err, "files[%zu]: path '%s' is not absolute", i, json_string_value(p));
            free(ps);
            return -1;
        }
        int kind = ds_trace_kind_parse(json_string_value(k));
        if (kind < 0) { free(ps); return ds_fail(err, "files[%zu]: unknown kind '%s'", i, json_string_value(k)); }
        unsigned bits = 0;
        for (size_t j = 0; j < json_array_size(ops); j++) {
            json_t *s = json_array_get(ops, j);
            int bit = json_is_string(s) ? ds_trace_op_parse(json_string_value(s)) : 0;
            if (!bit) { free(ps); return ds_fail(err, "files[%zu].ops[%zu]: unknown operation", i, j); }
            bits |= (unsigned)bit;
        }
        long ep[4] = {-1, -1, -1, -1};
        if (opt_epochs(o, i, ep, err) < 0) { free(ps); return -1; }
        ds_trace_file *f = &t->files[t->nfiles++];
        f->path = ps;
        f->kind = (ds_trace_kind)kind;
        f->ops = bits;
        f->ok = json_is_true(ok);
        f->first_epoch = ep[0];
        f->last_epoch = ep[1];
        f->write_epoch = ep[2];
        f->last_write_epoch = ep[3];
    }
    qsort(t->files, t->nfiles, sizeof *t->files, cmp_file);
    for (size_t i = 1; i < t->nfiles; i++)
        if (!strcmp(t->files[i - 1].path, t->files[i].path)) {
            char *shown = ds_utf8_lossy(t->files[i].path);
            ds_fail(err, "files: path '%s' appears twice", shown);
            free(shown);
            return -1;
        }
    return 0;
}

static int parse_execs(json_t *a, ds_trace *t, ds_err *err) {
    if (!a) { t->execs = ds_xcalloc(1, sizeof *t->execs); return 0; }
    if (!json_is_array(a)) return ds_fail(err, "execs: expected an array");
    size_t len = json_array_size(a);
    t->execs = ds_xcalloc(len ? len : 1, sizeof *t->execs);
    for (size_t i = 0; i < len; i++) {
        json_t *o = json_array_get(a, i);
        json_t *p = json_object_get(o, "path"), *ok = json_object_get(o, "ok");
        if (!json_is_object(o) || !json_is_string(p) || !json_is_boolean(ok))
            return ds_fail(err, "execs[%zu]: expected {path, argv, ok}", i);
        ds_trace_exec *e = &t->execs[t->nexecs];
        char what[64];
        snprintf(what, sizeof what, "execs[%zu].argv", i);
        if (strv_from(json_object_get(o, "argv"), json_object_get(o, "argv_hex"), what, false, &e->argv, &e->argc,
                      err) < 0)
            return -1;
        t->nexecs++; /* owns argv now; path is filled next */
        snprintf(what, sizeof what, "execs[%zu].path", i);
        if (exact_string(p, json_object_get(o, "path_hex"), what, &e->path, err) < 0) return -1;
        e->ok = json_is_true(ok);
        json_t *env = json_object_get(o, "envp"), *cwd = json_object_get(o, "cwd");
        if (env || json_object_get(o, "envp_hex")) {
            snprintf(what, sizeof what, "execs[%zu].envp", i);
            if (strv_from(env, json_object_get(o, "envp_hex"), what, false, &e->envp, &e->nenvp, err) < 0) return -1;
        }
        if (cwd) {
            snprintf(what, sizeof what, "execs[%zu].cwd", i);
            if (!json_is_string(cwd)) return ds_fail(err, "%s: expected a string", what);
            if (exact_string(cwd, json_object_get(o, "cwd_hex"), what, &e->cwd, err) < 0) return -1;
            if (e->cwd[0] != '/') return ds_fail(err, "%s: '%s' is not absolute", what, json_string_value(cwd));
        }
        if (opt_num(o, "uid", "execs", i, &e->uid, err) < 0 || opt_num(o, "gid", "execs", i, &e->gid, err) < 0 ||
            opt_num(o, "pid", "execs", i, &e->pid, err) < 0 || opt_num(o, "ppid", "execs", i, &e->ppid, err) < 0 ||
            opt_num(o, "epoch", "execs", i, &e->epoch, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_denied_binds(json_t *a, ds_trace *t, ds_err *err) {
    if (!a) return 0;
    if (!json_is_array(a)) return ds_fail(err, "denied_binds: expected an array");
    size_t len = json_array_size(a);
    t->denied_binds = ds_xcalloc(len ? len : 1, sizeof *t->denied_binds);
    for (size_t i = 0; i < len; i++) {
        json_t *o = json_array_get(a, i);
        json_t *p = json_object_get(o, "path"), *port = json_object_get(o, "port");
        if (!json_is_object(o) || !json_is_string(p) || !json_is_integer(port) || json_integer_value(port) <= 0 ||
            json_integer_value(port) > 65535)
            return ds_fail(err, "denied_binds[%zu]: expected {path, port 1-65535}", i);
        char what[64];
        snprintf(what, sizeof what, "denied_binds[%zu].path", i);
        ds_trace_denied_bind *d = &t->denied_binds[t->ndenied_binds];
        if (exact_string(p, json_object_get(o, "path_hex"), what, &d->path, err) < 0) return -1;
        d->port = (int)json_integer_value(port);
        t->ndenied_binds++;
    }
    return 0;
}

static int parse_doc(json_t *root, ds_trace *t, ds_err *err) {
    if (!json_is_object(root)) return ds_fail(err, "expected a JSON object");
    json_t *v = json_object_get(root, "version");
    if (!json_is_integer(v) || (json_integer_value(v) != 1 && json_integer_value(v) != 2))
        return ds_fail(err, "unsupported trace log version (expected 1 or 2)");
    t->version = (int)json_integer_value(v);
    json_t *mp = json_object_get(root, "main_pid");
    t->main_pid = -1;
    if (mp && (!json_is_integer(mp) || json_integer_value(mp) < 0 || json_integer_value(mp) > 0x7fffffff))
        return ds_fail(err, "main_pid: expected a non-negative integer");
    if (mp) t->main_pid = (long)json_integer_value(mp);
    json_t *arch = json_object_get(root, "arch");
    t->arch = ds_xstrdup(json_is_string(arch) ? json_string_value(arch) : "");
    if (strv_from(json_object_get(root, "command"), json_object_get(root, "command_hex"), "command", true, &t->command, &t->ncommand, err) < 0) return -1;
    json_t *ec = json_object_get(root, "exit_code"), *sig = json_object_get(root, "signal");
    t->exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : -1;
    if (ec && !json_is_integer(ec) && !json_is_null(ec)) return ds_fail(err, "exit_code: expected an integer or null");
    if (json_is_string(sig)) t->signal = ds_xstrdup(json_string_value(sig));
    else if (sig && !json_is_null(sig)) return ds_fail(err, "signal: expected a string or null");
    t->syscalls_complete = json_is_true(json_object_get(root, "syscalls_complete"));
    json_t *cpu = json_object_get(root, "pinned_cpu");
    t->pinned_cpu = json_is_integer(cpu) && json_integer_value(cpu) >= 0 && json_integer_value(cpu) < 65536
                        ? (int)json_integer_value(cpu) : -1;
    if (parse_files(json_object_get(root, "files"), t, err) < 0) return -1;
    if (parse_execs(json_object_get(root, "execs"), t, err) < 0) return -1;
    if (strv_from(json_object_get(root, "syscalls"), NULL, "syscalls", true, &t->syscalls, &t->nsyscalls, err) < 0) return -1;
    qsort(t->syscalls, t->nsyscalls, sizeof(char *), cmp_str);
    if (strv_from(json_object_get(root, "warnings"), NULL, "warnings", true, &t->warnings, &t->nwarnings, err) < 0) return -1;
    if (parse_denied_binds(json_object_get(root, "denied_binds"), t, err) < 0) return -1;
    return 0;
}

int ds_trace_parse(const char *data, size_t len, const char *name, ds_trace **out, ds_err *err) {
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return ds_fail(err, "%s: not valid JSON (line %d: %s)", name, je.line, je.text);
    ds_trace *t = ds_xcalloc(1, sizeof *t);
    int rc = parse_doc(root, t, err);
    json_decref(root);
    if (rc < 0) { ds_trace_free(t); return ds_err_wrap(err, "%s", name); }
    *out = t;
    return 0;
}

int ds_trace_load(const char *path, ds_trace **out, ds_err *err) {
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    if (ds_read_file(path, &data, &len, MAX_LOG_BYTES, err) < 0) return -1;
    int rc = ds_trace_parse(data, len, path, out, err);
    free(data);
    return rc;
}

const ds_trace_file *ds_trace_find(const ds_trace *t, const char *path) {
    size_t lo = 0, hi = t->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->files[mid].path, path);
        if (!c) return &t->files[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return NULL;
}
