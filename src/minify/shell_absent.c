/* A shell the app ran only to start programs the image does not have (PHP's mail() runs
 * `sh -c "/usr/sbin/sendmail -t -i"` with no sendmail installed): the shell did nothing the app
 * needs, so the closure leaves it out. Static and conservative: every run of the shell must be
 * `SHELL -c SCRIPT` whose simple commands are all plain words naming a program that is in no
 * PATH directory of the image; any quoting, expansion, redirection, builtin or a program that
 * exists keeps the shell. The build verifies the result without it (and keeps it if that fails). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "minify/closure_int.h"
#include "util/fsutil.h"

static const char *const builtins[] = {
    ":", ".", "[", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export",
    "false", "fg", "getopts", "hash", "jobs", "kill", "local", "printf", "pwd", "read", "readonly", "return", "set",
    "shift", "source", "test", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset", "wait", NULL,
};

static bool is_builtin(const char *w) {
    for (const char *const *b = builtins; *b; b++)
        if (!strcmp(w, *b)) return true;
    return false;
}

static bool exists_in(ds_cctx *x, const char *p) { return ds_closure_lookup(x, p)->exists; }

/* The program word names nothing in the image (absolute, relative or through PATH). */
static bool absent(ds_cctx *x, const char *word, const char *path_env) {
    if (strchr(word, '/')) return word[0] == '/' && !exists_in(x, word);
    char *copy = ds_xstrdup(path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    bool found = false;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/') { found = true; break; } /* a relative PATH entry: cannot tell */
        char *p = ds_xasprintf("%s/%s", d, word);
        found = exists_in(x, p);
        free(p);
    }
    free(copy);
    return !found;
}

/* Every simple command of script names an absent program; *first gets the first one. */
static bool script_only_absent(ds_cctx *x, const char *script, const char *path_env, char **first) {
    if (strpbrk(script, "$`'\"\\(){}<>*?[]~#!=%")) return false;
    char *copy = ds_xstrdup(script);
    bool ok = true;
    size_t commands = 0;
    char *save = NULL;
    for (char *cmd = strtok_r(copy, ";&|\n", &save); cmd && ok; cmd = strtok_r(NULL, ";&|\n", &save)) {
        char *w = cmd + strspn(cmd, " \t");
        size_t n = strcspn(w, " \t");
        if (!n) continue;
        w[n] = 0;
        commands++;
        if (is_builtin(w) || !absent(x, w, path_env)) ok = false;
        else if (!*first) *first = ds_xstrdup(script);
    }
    free(copy);
    return ok && commands > 0;
}

char *ds_shell_only_absent(ds_cctx *x, const ds_trace *t, const char *real, const char *path_env) {
    if (!t) return NULL;
    char *first = NULL;
    size_t runs = 0;
    for (size_t i = 0; i < t->nexecs; i++) {
        const ds_trace_exec *e = &t->execs[i];
        const ds_rpath_res *r = ds_closure_lookup(x, e->path);
        if (!r->exists || strcmp(r->real, real)) continue;
        runs++;
        if (!e->ok || e->argc != 3 || strcmp(e->argv[1], "-c") || !script_only_absent(x, e->argv[2], path_env, &first)) {
            free(first);
            return NULL;
        }
    }
    /* A script the app ran whose #! names this shell needs it. */
    for (size_t i = 0; runs && i < t->nexecs; i++) {
        const ds_rpath_res *r = ds_closure_lookup(x, t->execs[i].path);
        if (!r->exists || !strcmp(r->real, real)) continue;
        int fd = ds_rp_open_at(&x->tree.rp, r->real, O_RDONLY, 0);
        if (fd < 0) continue;
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n < 3 || buf[0] != '#' || buf[1] != '!') continue;
        buf[n] = 0;
        char *p = buf + 2 + strspn(buf + 2, " \t");
        p[strcspn(p, " \t\n")] = 0;
        const ds_rpath_res *ir = *p ? ds_closure_lookup(x, p) : NULL;
        if (ir && ir->exists && !strcmp(ir->real, real)) { free(first); return NULL; }
    }
    if (!runs) { free(first); return NULL; }
    char *why = ds_xasprintf("ran only `%s`, whose program is not in the image: left out (the verify runs without it)",
                             first ? first : "?");
    free(first);
    return why;
}
