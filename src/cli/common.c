#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "image/manifest.h"
#include "util/fsutil.h"
#include "util/progress.h"
#include "util/text_escape.h"

int cli_error(const char *cmd, const ds_err *err) {
    /* One line whatever the input named in it holds: control bytes (a newline in a
     * path, a tag, a config field) are shown as \xNN. */
    const char *m = err && err->msg[0] ? err->msg : "failed";
    ds_progress_done(); /* a progress line on the terminal goes before the message */
    char *shown = ds_text_escape(m);
    fprintf(stderr, "distill %s: %s\n", cmd, shown);
    free(shown);
    return DS_EXIT_ERROR;
}

static char *shown_ring[8];
static unsigned shown_next;

const char *cli_shown(const char *s) {
    unsigned i = shown_next++ % 8;
    free(shown_ring[i]);
    shown_ring[i] = ds_text_escape(s);
    return shown_ring[i];
}

void cli_shown_free(void) {
    for (unsigned i = 0; i < 8; i++) { free(shown_ring[i]); shown_ring[i] = NULL; }
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ds_progress_done();
    fprintf(stderr, "distill %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'distill %s --help'.\n", cmd);
    va_end(ap);
    return DS_EXIT_USAGE;
}

bool cli_same_output(void) {
    struct stat o, e;
    if (fstat(1, &o) < 0 || fstat(2, &e) < 0) return false;
    return o.st_dev == e.st_dev && o.st_ino == e.st_ino && o.st_rdev == e.st_rdev;
}

bool cli_is_help(const char *arg) { return !strcmp(arg, "-h") || !strcmp(arg, "--help"); }

void cli_platform_warn(const ds_opts *opts, const ds_image *img) {
    if (!opts->platform || img->index_digest[0]) return; /* no flag, or it picked from an index */
    if (ds_platform_matches(opts->platform, img->os, img->arch, img->variant)) return;
    fprintf(stderr, "WARNING: image platform (%s/%s%s%s) does not match the expected platform (%s)\n",
            img->os ? img->os : "unknown", img->arch ? img->arch : "unknown", img->variant ? "/" : "",
            img->variant ? img->variant : "", opts->platform);
}
