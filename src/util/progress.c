#include "util/progress.h"
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int state = -1; /* -1: not decided yet */
static bool open_line;

void ds_progress_enable(bool on) { state = on; }
bool ds_progress_enabled(void) {
    if (state < 0) state = isatty(2);
    return state;
}
void ds_progress(const char *fmt, ...) {
    if (!ds_progress_enabled()) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("\r", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\033[K", stderr);
    va_end(ap);
    open_line = true;
}
void ds_progress_done(void) {
    if (open_line && ds_progress_enabled()) fputs("\r\033[K", stderr);
    open_line = false;
}
