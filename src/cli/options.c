#include "cli/options.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "build/build.h"
#include "cli/cli.h"
#include "util/fsutil.h"

void cli_list_free(cli_list *l) {
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void list_add(cli_list *l, char *s) {
    l->v = ds_xrealloc(l->v, (l->n + 2) * sizeof *l->v);
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
}

static int compress_fn(void *t, const char *v, char *why, size_t n) {
    if (strcmp(v, "gzip") && strcmp(v, "zstd") && strcmp(v, "none")) {
        snprintf(why, n, "expected gzip, zstd or none, got '%s'", v);
        return -1;
    }
    ((ds_opts *)t)->compress = v;
    return 0;
}

/* --tmpdir: every temp dir of the run, also those made without opts (ds_mkdtemp). */
static int tmpdir_fn(void *t, const char *v, char *why, size_t n) {
    ((ds_opts *)t)->tmpdir = v;
    ds_tmpdir_set(v);
    return 0;
}

/* -q / --quiet: no progress lines (the CLI's handler is removed). */
static int quiet_fn(void *t, const char *v, char *why, size_t n) {
    cli_progress_off();
    return 0;
}

void cli_transport_table(cli_opt *out, ds_opts *o, unsigned which) {
    size_t n = 0;
    if (which & CLI_T_SRC) {
        out[n++] = (cli_opt){.name = "platform", .kind = CLI_STR, .target = &o->platform};
        out[n++] = (cli_opt){.name = "src-tls-verify", .kind = CLI_BOOL, .target = &o->src_tls_verify};
        out[n++] = (cli_opt){.name = "src-creds", .kind = CLI_STR, .target = &o->src_creds};
    }
    if (which & CLI_T_DEST) {
        out[n++] = (cli_opt){.name = "dest-tls-verify", .kind = CLI_BOOL, .target = &o->dest_tls_verify};
        out[n++] = (cli_opt){.name = "dest-creds", .kind = CLI_STR, .target = &o->dest_creds};
    }
    if (which & CLI_T_AUTH) {
        out[n++] = (cli_opt){.name = "authfile", .kind = CLI_STR, .target = &o->authfile};
        out[n++] = (cli_opt){.name = "tls-verify", .kind = CLI_BOOL, .target = &o->src_tls_verify,
                             .target2 = &o->dest_tls_verify};
    }
    if (which & CLI_T_COMPRESS) out[n++] = (cli_opt){.name = "compress", .kind = CLI_FN, .target = o, .fn = compress_fn};
    if (which & CLI_T_TMPDIR) {
        out[n++] = (cli_opt){.name = "tmpdir", .kind = CLI_FN, .target = o, .fn = tmpdir_fn};
        /* Every command with temporary work shows progress, and takes -q (a command's own
         * "quiet" entry, looked up first, wins). */
        out[n++] = (cli_opt){.name = "quiet", .short_name = 'q', .kind = CLI_FN, .flag_only = true, .fn = quiet_fn};
    }
    if (which & CLI_T_STORE) {
        o->use_store = true; /* a command that takes the flags uses the store unless --no-store */
        out[n++] = (cli_opt){.name = "store", .kind = CLI_STR, .target = &o->store_dir};
        out[n++] = (cli_opt){.name = "no-store", .kind = CLI_BOOL, .target = &o->no_store};
        out[n++] = (cli_opt){.name = "verify-store", .kind = CLI_BOOL, .target = &o->verify_store};
    }
    out[n] = (cli_opt){0};
}

static const cli_opt *find_long(const cli_opt *t, const char *name, size_t len) {
    for (; t && t->kind != CLI_END; t++)
        if (strlen(t->name) == len && !strncmp(t->name, name, len)) return t;
    return NULL;
}
static const cli_opt *find_short(const cli_opt *t, char c) {
    for (; t && t->kind != CLI_END; t++)
        if (t->short_name && t->short_name == c) return t;
    return NULL;
}

static bool takes_value(const cli_opt *o) { return o->kind != CLI_BOOL && !(o->kind == CLI_FN && o->flag_only); }

/* Store v (NULL for a flag given alone) into o's target; -1 after printing a usage error. */
static int apply(const char *cmd, const cli_opt *o, const char *v) {
    char why[256] = "";
    switch (o->kind) {
    case CLI_BOOL: {
        bool b;
        if (!v || !strcmp(v, "true") || !strcmp(v, "1")) b = true;
        else if (!strcmp(v, "false") || !strcmp(v, "0")) b = false;
        else return cli_usage_error(cmd, "--%s: expected true or false, got '%s'", o->name, v), -1;
        *(bool *)o->target = b;
        if (o->target2) *(bool *)o->target2 = b;
        return 0;
    }
    case CLI_STR: *(const char **)o->target = v; return 0;
    case CLI_LIST: list_add(o->target, (char *)v); return 0;
    case CLI_SECONDS: {
        char *end;
        double d = strtod(v, &end);
        if (!*v || *end || !isfinite(d) || d < 0 || (d == 0 && !o->zero_ok))
            return cli_usage_error(cmd, "--%s: not a number of seconds%s: '%s'", o->name,
                                   o->zero_ok ? " (0 = no limit)" : "", v), -1;
        if (o->max > 0 && d > o->max)
            return cli_usage_error(cmd, "--%s: at most %g seconds, got '%s'", o->name, o->max, v), -1;
        *(double *)o->target = d;
        return 0;
    }
    case CLI_CHOICE: {
        size_t l = strlen(v);
        for (const char *p = o->choices; *p;) {
            size_t k = strcspn(p, "|");
            if (k == l && !strncmp(p, v, l) && l) { *(const char **)o->target = v; return 0; }
            p += k + (p[k] == '|');
        }
        char *alts = ds_xstrdup(o->choices);
        for (char *p = alts; *p; p++) if (*p == '|') *p = ',';
        cli_usage_error(cmd, "--%s: expected one of %s, got '%s'", o->name, alts, v);
        free(alts);
        return -1;
    }
    case CLI_FN:
        if (o->fn(o->target, v, why, sizeof why) < 0) {
            /* "--allow bin/sh: expected ..." when the reason starts with the value, else "--flag: reason". */
            bool names_value = v && *v && !strncmp(why, v, strlen(v));
            return cli_usage_error(cmd, "--%s%s%s", o->name, names_value ? " " : ": ", why), -1;
        }
        return 0;
    case CLI_END: break;
    }
    return -1;
}

/* A transport flag this command does not take: say why instead of "unknown". */
static int misplaced(const char *cmd, const char *name, size_t len) {
    static const char *const writes[] = {"dest-tls-verify", "dest-creds", "compress"};
    static const char *const reads[] = {"src-tls-verify", "src-creds", "platform", "authfile", "tls-verify"};
    for (size_t i = 0; i < 3; i++)
        if (strlen(writes[i]) == len && !strncmp(writes[i], name, len))
            return cli_usage_error(cmd, "--%s is for commands that write an image; %s writes none", writes[i], cmd), -1;
    for (size_t i = 0; i < 5; i++)
        if (strlen(reads[i]) == len && !strncmp(reads[i], name, len))
            return cli_usage_error(cmd, "--%s is for commands that read an image; %s reads none", reads[i], cmd), -1;
    return cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name), -1;
}

int cli_parse(const char *cmd, const char *usage, const cli_opt *own, const cli_opt *shared, int argc, char **argv,
              cli_list *pos, cli_list *rest) {
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (cli_is_help(argv[i])) { fputs(usage, stdout); return 1; }
    }
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (rest) {
                rest->n = 0; /* the last `--` wins (project file first, then the command line) */
                for (int k = i + 1; k < argc; k++) list_add(rest, argv[k]);
            } else {
                for (int k = i + 1; k < argc; k++) list_add(pos, argv[k]);
            }
            break;
        }
        const cli_opt *o = NULL;
        const char *v = NULL;
        bool has_eq = false;
        if (a[0] == '-' && a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(own, name, len);
            if (!o) o = find_long(shared, name, len);
            if (!o) return misplaced(cmd, name, len);
            if (eq) { v = eq + 1; has_eq = true; }
        } else if (a[0] == '-' && a[1] && !a[2]) {
            o = find_short(own, a[1]);
            if (!o) o = find_short(shared, a[1]);
            if (!o) return cli_usage_error(cmd, "unknown option '%s'", a), -1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(cmd, "unknown option '%s'", a), -1;
        } else if (!pos) {
            /* The first argument starts the command (`distill trace ls -l`). */
            for (int k = i; k < argc; k++) list_add(rest, argv[k]);
            break;
        } else {
            list_add(pos, a);
            continue;
        }
        if (takes_value(o) && !has_eq) {
            if (i + 1 >= argc) return cli_usage_error(cmd, "--%s needs a value", o->name), -1;
            v = argv[++i];
        } else if (!takes_value(o) && has_eq && o->kind != CLI_BOOL) {
            return cli_usage_error(cmd, "--%s takes no value", o->name), -1;
        }
        if (apply(cmd, o, v) < 0) return -1;
    }
    return 0;
}

void cli_hold_free(cli_hold *h) {
    for (int i = 0; i < h->n; i++) free(h->v[i]);
    free(h->v);
    h->v = NULL;
    h->n = 0;
}

int cli_parse_project(const char *cmd, const char *usage, const cli_opt *own, const cli_opt *shared, int argc,
                      char **argv, cli_list *pos, cli_list *rest, cli_hold *hold) {
    const char *cfg = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (cli_is_help(argv[i])) { fputs(usage, stdout); return 1; }
        if (!strcmp(argv[i], "--config") && i + 1 < argc) cfg = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9)) cfg = argv[i] + 9;
    }
    if (!cfg && ds_exists("distill.yaml")) cfg = "distill.yaml";
    if (cfg) {
        ds_err err = {0};
        if (ds_project_file_args(cfg, &hold->v, &hold->n, &err) < 0) return cli_usage_error(cmd, "%s", err.msg), -1;
        cli_list file_pos = {0};
        int r = cli_parse(cmd, usage, own, shared, hold->n, hold->v, &file_pos, rest);
        size_t extra = file_pos.n;
        cli_list_free(&file_pos);
        if (r < 0) { fprintf(stderr, "distill %s: (in the project file %s)\n", cmd, cfg); return -1; }
        if (extra) return cli_usage_error(cmd, "project file %s: a value without a key", cfg), -1;
    }
    return cli_parse(cmd, usage, own, shared, argc, argv, pos, rest);
}
