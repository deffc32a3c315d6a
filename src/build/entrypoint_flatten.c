/* The hand-over of an entry point script, read from the sensor's log (entrypoint.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "build/entrypoint.h"
#include "fs/root_path.h"
#include "minify/minify.h"
#include "util/fsutil.h"
#include "util/json_doc.h"

#define MAX_SCRIPT_BYTES (1024u * 1024u)

int ds_entrypoint_mode_parse(const char *s) {
    if (!s || !strcmp(s, "auto")) return DS_EP_AUTO;
    if (!strcmp(s, "keep")) return DS_EP_KEEP;
    if (!strcmp(s, "flatten")) return DS_EP_FLATTEN;
    return -1;
}

static const char *base_name(const char *p) {
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

bool ds_is_shell_program(const char *path) {
    static const char *const shells[] = {"sh", "bash", "dash", "ash", "zsh", "ksh", "ksh93", "mksh", "pdksh", "csh",
                                         "tcsh", "fish", "busybox", "toybox", "rbash", "yash", "posh"};
    const char *b = base_name(path);
    for (size_t i = 0; i < sizeof shells / sizeof *shells; i++)
        if (!strcmp(b, shells[i])) return true;
    return false;
}

/* Script interpreters besides the shells: the entry point is "a script run by an interpreter". */
static bool is_interpreter(const char *path) {
    static const char *const names[] = {"python", "python2", "python3", "perl", "ruby", "node", "php", "lua", "tclsh", "env"};
    const char *b = base_name(path);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t n = strlen(names[i]);
        if (!strncmp(b, names[i], n) && (!b[n] || isdigit((unsigned char)b[n]) || b[n] == '.')) return true;
    }
    return false;
}

/* The text of an in-image file when it starts with "#!" (a script), else NULL. */
static char *script_text(ds_root *r, const char *path) {
    char *data = NULL;
    size_t len = 0;
    ds_err e = {0};
    if (ds_root_read_file(r, path, MAX_SCRIPT_BYTES, &data, &len, &e) != 1) return NULL;
    if (len < 2 || data[0] != '#' || data[1] != '!') { free(data); return NULL; }
    return data;
}

static void strv_push(char ***v, size_t *n, char *s) {
    *v = ds_xrealloc(*v, (*n + 2) * sizeof **v);
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

static bool strv_has(char **v, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s)) return true;
    return false;
}

static void strv_free(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* The value of NAME in a "K=V" vector, or NULL. */
static const char *env_get(char *const *env, size_t n, const char *name) {
    size_t l = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (!strncmp(env[i], name, l) && env[i][l] == '=') return env[i] + l + 1;
    return NULL;
}

/* Variables a shell script references: $NAME and ${NAME...}. */
static void script_vars(const char *text, char ***vars, size_t *n) {
    for (const char *p = text; (p = strchr(p, '$')); p++) {
        const char *s = p + 1;
        if (*s == '{') s++;
        if (!isalpha((unsigned char)*s) && *s != '_') continue;
        const char *e = s;
        while (isalnum((unsigned char)*e) || *e == '_') e++;
        char *name = ds_xstrndup(s, (size_t)(e - s));
        if (strv_has(*vars, *n, name)) free(name);
        else strv_push(vars, n, name);
    }
}

/* What the runtime or the shell puts in every process's environment: not the image's to carry.
 * HOME only when it is the one the runtime gave the entry point (derived from passwd) and the
 * image config does not set it; a HOME the script (or gosu, su-exec) changed is carried. */
static bool injected(const char *kv, const ds_handover_input *in, const ds_trace_exec *first) {
    static const char *const always[] = {"HOSTNAME", "PWD", "OLDPWD", "SHLVL", "_", "container", "TERM"};
    size_t l = strcspn(kv, "=");
    for (size_t i = 0; i < sizeof always / sizeof *always; i++)
        if (strlen(always[i]) == l && !strncmp(kv, always[i], l)) return true;
    if (l == 4 && !strncmp(kv, "HOME", 4)) {
        const char *cfg = env_get(in->config_env, in->n_config_env, "HOME");
        const char *given = first->envp ? env_get(first->envp, first->nenvp, "HOME") : NULL;
        return !cfg && given && !strcmp(given, kv + 5);
    }
    return false;
}

static bool under(const char *path, const char *dir) {
    size_t l = strlen(dir);
    while (l > 1 && dir[l - 1] == '/') l--;
    if (l == 1 && dir[0] == '/') return true;
    return !strncmp(path, dir, l) && (path[l] == '/' || !path[l]);
}

/* Paths the container's own machinery writes: never baked. */
static bool runtime_path(const char *p) {
    return under(p, "/proc") || under(p, "/sys") || under(p, "/dev") || under(p, "/.distill") ||
           !strcmp(p, "/etc/hostname") || !strcmp(p, "/etc/hosts") || !strcmp(p, "/etc/resolv.conf") || !strcmp(p, "/");
}

static int cmp_exec_epoch(const void *a, const void *b) {
    long x = (*(const ds_trace_exec *const *)a)->epoch, y = (*(const ds_trace_exec *const *)b)->epoch;
    return x < y ? -1 : x > y;
}

static void set_why(ds_handover *h, char *why) {
    free(h->why);
    h->why = why;
    h->flatten = false;
}

void ds_handover_analyze(const ds_trace *t, const char *root, const ds_handover_input *in, ds_handover *h) {
    memset(h, 0, sizeof *h);
    h->uid = h->gid = -1;
    if (!t || t->version < 2 || t->main_pid < 0) return;
    const ds_trace_exec **chain = ds_xcalloc(t->nexecs + 1, sizeof *chain);
    size_t n = 0;
    for (size_t i = 0; i < t->nexecs; i++)
        if (t->execs[i].ok && t->execs[i].pid == t->main_pid && t->execs[i].epoch > 0) chain[n++] = &t->execs[i];
    if (n < 1) { free(chain); return; }
    qsort(chain, n, sizeof *chain, cmp_exec_epoch);
    ds_root r;
    bool have_root = root && ds_root_open(&r, root, &(ds_err){0}) == 0;
    const ds_trace_exec *first = chain[0], *last = chain[n - 1];
    char *first_text = have_root ? script_text(&r, first->path) : NULL;
    bool script = first_text || ds_is_shell_program(first->path) || is_interpreter(first->path);
    if (!script) goto out;
    h->script = true;
    h->script_path = ds_xstrdup(first->path);
    for (size_t i = 0; i < n; i++) strv_push(&h->chain, &h->nchain, ds_xstrdup(chain[i]->path));
    h->epoch = last->epoch;
    h->final_path = ds_xstrdup(last->path);
    h->flatten = true;

    /* The scripts the shell ran: the entry point's and every script executed before the hand-over
     * (the .d directory's), for the variables they reference. */
    char **vars = NULL;
    size_t nvars = 0;
    if (first_text) script_vars(first_text, &vars, &nvars);
    /* sh -c 'SCRIPT': the script is the argument. */
    for (size_t a = 1; a + 1 < first->argc && !first_text; a++)
        if (!strcmp(first->argv[a], "-c")) { script_vars(first->argv[a + 1], &vars, &nvars); break; }
    for (size_t i = 0; have_root && i < t->nexecs; i++) {
        const ds_trace_exec *e = &t->execs[i];
        if (!e->ok || e->epoch <= 0 || e->epoch >= h->epoch || e == first) continue;
        char *txt = script_text(&r, e->path);
        if (txt) script_vars(txt, &vars, &nvars);
        free(txt);
    }
    /* And the text files only the script phase read (templates rendered with envsubst). */
    for (size_t i = 0; have_root && i < t->nfiles; i++) {
        const ds_trace_file *f = &t->files[i];
        if (!f->ok || f->kind != DS_TRACE_FILE || !(f->ops & DS_TRACE_OP_OPEN) || f->write_epoch >= 0 ||
            f->first_epoch < 1 || f->last_epoch >= h->epoch)
            continue;
        char *data = NULL;
        size_t len = 0;
        if (ds_root_read_file(&r, f->path, 256u * 1024u, &data, &len, &(ds_err){0}) == 1 && strlen(data) == len)
            script_vars(data, &vars, &nvars);
        free(data);
    }

    /* 1. The script must hand over: the last program of the main process is not a shell. */
    char *last_text = have_root && n > 1 ? script_text(&r, last->path) : NULL;
    if (n == 1 || ds_is_shell_program(last->path) || last_text) {
        /* The server it started: its last child that is not a shell or a tool. */
        const char *child = NULL;
        long child_epoch = -1;
        for (size_t i = 0; i < t->nexecs; i++)
            if (t->execs[i].ok && t->execs[i].ppid == t->main_pid && t->execs[i].epoch > child_epoch &&
                !ds_is_shell_program(t->execs[i].path) && !ds_is_shell_or_tool(t->execs[i].path)) {
                child = t->execs[i].path;
                child_epoch = t->execs[i].epoch;
            }
        set_why(h, child ? ds_xasprintf("the entry point script %s stays the parent of %s (it runs it in the background "
                                        "and waits, or traps signals) instead of exec'ing it: its shell is kept",
                                        first->path, child)
                         : ds_xasprintf("the entry point script %s never exec's a program that is not a shell: its "
                                        "shell is kept", first->path));
    }
    free(last_text);

    /* 2. First-start initialisation of a volume must run in each new container. */
    for (size_t i = 0; h->flatten && i < t->nfiles; i++) {
        const ds_trace_file *f = &t->files[i];
        if (!f->ok || f->write_epoch < 0 || f->write_epoch >= h->epoch) continue;
        for (size_t v = 0; v < in->n_volumes; v++)
            if (under(f->path, in->volumes[v])) {
                set_why(h, ds_xasprintf("the entry point script writes into the declared volume %s (%s): "
                                        "first-start initialisation must run in every new container, so the script "
                                        "and its shell are kept", in->volumes[v], f->path));
                break;
            }
    }

    /* 3. A final command line built from a variable a user may set at `docker run`. */
    static const char *const not_user[] = {"PATH", "HOME", "HOSTNAME", "PWD", "SHLVL", "IFS", "OLDPWD"};
    for (size_t v = 0; h->flatten && v < nvars; v++) {
        bool skip = false;
        for (size_t k = 0; k < sizeof not_user / sizeof *not_user; k++) skip |= !strcmp(vars[v], not_user[k]);
        const char *val = first->envp ? env_get(first->envp, first->nenvp, vars[v]) : NULL;
        if (skip || !val || !*val) continue;
        for (size_t a = 1; a < last->argc; a++) {
            bool given = false;
            for (size_t c = 0; c < in->n_command; c++) given |= !strcmp(in->command[c], last->argv[a]);
            if (given || !strstr(last->argv[a], val)) continue;
            h->var = ds_xstrdup(vars[v]);
            set_why(h, ds_xasprintf("the final command line (%s) holds the value of $%s, which the script reads and "
                                    "a user may set at run time: the script and its shell are kept",
                                    last->argv[a], vars[v]));
            break;
        }
    }
    for (size_t v = 0; v < nvars; v++) {
        const char *val = first->envp ? env_get(first->envp, first->nenvp, vars[v]) : NULL;
        if (val && env_get(in->config_env, in->n_config_env, vars[v])) strv_push(&h->vars, &h->nvars, ds_xstrdup(vars[v]));
    }
    strv_free(vars, nvars);

    /* The flattened config: the program's own argv, environment, cwd and ids. */
    strv_push(&h->argv, &h->argc, ds_xstrdup(last->path));
    for (size_t a = 1; a < last->argc; a++) strv_push(&h->argv, &h->argc, ds_xstrdup(last->argv[a]));
    for (size_t i = 0; last->envp && i < last->nenvp; i++)
        if (!injected(last->envp[i], in, first)) strv_push(&h->env, &h->nenv, ds_xstrdup(last->envp[i]));
    if (!h->env) h->env = ds_xcalloc(1, sizeof(char *));
    h->cwd = ds_xstrdup(last->cwd ? last->cwd : "/");
    h->uid = last->uid;
    h->gid = last->gid;
    h->dropped = last->uid != first->uid || last->gid != first->gid;
    if (h->flatten && (last->uid < 0 || last->gid < 0 || !last->envp || !last->cwd))
        set_why(h, ds_xstrdup("the trace does not say with which environment, directory or ids the final program "
                              "ran: the script is kept"));

    /* The files the script phase wrote (trace order is path order: parents first). */
    h->baked_empty = ds_xcalloc(t->nfiles + 1, sizeof *h->baked_empty);
    for (size_t i = 0; i < t->nfiles; i++) {
        const ds_trace_file *f = &t->files[i];
        if (!f->ok || f->write_epoch < 0 || f->write_epoch >= h->epoch || runtime_path(f->path)) continue;
        h->baked_empty[h->nbaked] = f->kind == DS_TRACE_FILE && f->last_write_epoch >= h->epoch;
        strv_push(&h->baked, &h->nbaked, ds_xstrdup(f->path));
    }
out:
    free(first_text);
    if (have_root) ds_root_close(&r);
    free(chain);
}

void ds_handover_free(ds_handover *h) {
    free(h->script_path);
    free(h->why);
    free(h->var);
    free(h->final_path);
    strv_free(h->argv, h->argc);
    strv_free(h->env, h->nenv);
    free(h->cwd);
    strv_free(h->chain, h->nchain);
    strv_free(h->baked, h->nbaked);
    free(h->baked_empty);
    strv_free(h->vars, h->nvars);
    memset(h, 0, sizeof *h);
}

void ds_handover_view(const ds_trace *t, const ds_handover *h, ds_trace *view) {
    *view = *t;
    view->files = ds_xcalloc(t->nfiles + 1, sizeof *view->files);
    view->execs = ds_xcalloc(t->nexecs + 1, sizeof *view->execs);
    view->nfiles = view->nexecs = 0;
    for (size_t i = 0; i < t->nfiles; i++) {
        const ds_trace_file *f = &t->files[i];
        if (f->last_epoch >= 0 && f->last_epoch < h->epoch) continue;
        view->files[view->nfiles++] = *f;
    }
    for (size_t i = 0; i < t->nexecs; i++) {
        const ds_trace_exec *e = &t->execs[i];
        if (e->ok && e->epoch >= 0 && e->epoch < h->epoch) continue;
        view->execs[view->nexecs++] = *e;
    }
    /* The command the result runs is the final program's. */
    view->command = h->argv;
    view->ncommand = h->argc;
}

void ds_handover_view_free(ds_trace *view) {
    free(view->files);
    free(view->execs);
    memset(view, 0, sizeof *view);
}


json_t *ds_handover_json(const ds_handover *h, const char *mode, const char *verdict, const char *failed_test) {
    json_t *o = json_pack("{s:s, s:s}", "mode", mode, "verdict", verdict);
    if (!h->script) return o;
    json_object_set_new(o, "script", json_string(h->script_path));
    json_object_set_new(o, "chain", ds_json_strv(h->chain, h->nchain));
    if (h->why) json_object_set_new(o, "reason", json_string(h->why));
    if (h->var) json_object_set_new(o, "runtime_variable", json_string(h->var));
    if (failed_test) json_object_set_new(o, "failed_without_script", json_string(failed_test));
    if (h->argv) {
        json_t *cfg = json_pack("{s:o, s:o, s:s}", "Entrypoint", ds_json_strv(h->argv, h->argc), "Env",
                                ds_json_strv(h->env, h->nenv), "WorkingDir", h->cwd);
        char user[64];
        snprintf(user, sizeof user, "%ld:%ld", h->uid, h->gid);
        json_object_set_new(cfg, "User", json_string(user));
        json_object_set_new(o, "config", cfg);
    }
    json_t *baked = json_array();
    for (size_t i = 0; i < h->nbaked; i++)
        json_array_append_new(baked, h->baked_empty[i] ? json_pack("{s:s, s:b}", "path", h->baked[i], "emptied", 1)
                                                       : json_pack("{s:s}", "path", h->baked[i]));
    json_object_set_new(o, "baked", baked);
    json_object_set_new(o, "baked_variables", ds_json_strv(h->vars, h->nvars));
    return o;
}
