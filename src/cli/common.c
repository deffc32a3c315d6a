#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "image/manifest.h"

int cli_error(const char *cmd, const ds_err *err) {
    /* One line whatever the input named in it holds: control bytes (a newline in a
     * path, a tag, a config field) are shown as \xNN. */
    const char *m = err && err->msg[0] ? err->msg : "failed";
    fprintf(stderr, "distill %s: ", cmd);
    for (const unsigned char *p = (const unsigned char *)m; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) fprintf(stderr, "\\x%02x", *p);
        else fputc(*p, stderr);
    }
    fputc('\n', stderr);
    return DS_EXIT_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "distill %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'distill %s --help'.\n", cmd);
    va_end(ap);
    return DS_EXIT_USAGE;
}

bool cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }

/* Accepts "--flag=value" and "--flag value". */
static const char *flag_value(const char *name, int argc, char **argv, int *i, int *matched) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    *matched = 0;
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') { *matched = 1; return a + n + 1; }
    if (a[n] != 0) return NULL;
    *matched = 1;
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

static int parse_bool(const char *cmd, const char *flag, const char *v, bool *out) {
    if (!v || !strcmp(v, "true") || !strcmp(v, "1")) { *out = true; return 1; }
    if (!strcmp(v, "false") || !strcmp(v, "0")) { *out = false; return 1; }
    cli_usage_error(cmd, "%s: expected true or false, got '%s'", flag, v);
    return -1;
}

int cli_transport_flag(const char *cmd, int argc, char **argv, int *i, ds_opts *opts) {
    const char *a = argv[*i];
    int m;
    /* Boolean flags: "--x" alone means true; only "--x=false" sets false. */
    static const char *bools[] = {"--src-tls-verify", "--dest-tls-verify", "--tls-verify"};
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(bools[k]);
        if (strncmp(a, bools[k], n) || (a[n] && a[n] != '=')) continue;
        bool v;
        if (parse_bool(cmd, bools[k], a[n] ? a + n + 1 : NULL, &v) < 0) return -1;
        if (k != 1) opts->src_tls_verify = v;
        if (k != 0) opts->dest_tls_verify = v;
        return 1;
    }
    static const char *vals[] = {"--platform", "--authfile", "--src-creds", "--dest-creds", "--compress", "--tmpdir"};
    for (int k = 0; k < 6; k++) {
        const char *v = flag_value(vals[k], argc, argv, i, &m);
        if (!m) continue;
        if (!v) { cli_usage_error(cmd, "%s needs a value", vals[k]); return -1; }
        switch (k) {
        case 0: opts->platform = v; break;
        case 1: opts->authfile = v; break;
        case 2: opts->src_creds = v; break;
        case 3: opts->dest_creds = v; break;
        case 4:
            if (strcmp(v, "gzip") && strcmp(v, "zstd") && strcmp(v, "none")) {
                cli_usage_error(cmd, "--compress: expected gzip, zstd or none, got '%s'", v);
                return -1;
            }
            opts->compress = v;
            break;
        case 5: opts->tmpdir = v; break;
        }
        return 1;
    }
    return 0;
}

void cli_platform_warn(const ds_opts *opts, const ds_image *img) {
    if (!opts->platform || img->index_digest[0]) return; /* no flag, or it picked from an index */
    if (ds_platform_matches(opts->platform, img->os, img->arch, img->variant)) return;
    fprintf(stderr, "WARNING: image platform (%s/%s%s%s) does not match the expected platform (%s)\n",
            img->os ? img->os : "unknown", img->arch ? img->arch : "unknown", img->variant ? "/" : "",
            img->variant ? img->variant : "", opts->platform);
}
