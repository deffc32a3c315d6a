#include "util/progress.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static ds_progress_handler handler;
static void *handler_ud;
static struct {
    bool active;
    char label[256];
    uint64_t done, total;
} task;
static bool shown; /* something was reported since the last clear */
static _Thread_local bool muted;

void ds_progress_mute_thread(void) { muted = true; }

void ds_progress_set_handler(ds_progress_handler fn, void *ud) {
    handler = fn;
    handler_ud = ud;
    task.active = false;
    shown = false;
}

bool ds_progress_enabled(void) { return handler != NULL && !muted; }

static void emit(ds_progress_kind kind, const char *text, uint64_t done, uint64_t total) {
    ds_progress_event ev = {.kind = kind, .text = text, .done = done, .total = total};
    handler(&ev, handler_ud);
}

void ds_progress(const char *fmt, ...) {
    if (!handler || muted) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    task.active = false;
    shown = true;
    emit(DS_PROGRESS_STATUS, line, 0, 0);
}

void ds_progress_task(uint64_t total, const char *fmt, ...) {
    if (!handler || muted) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(task.label, sizeof task.label, fmt, ap);
    va_end(ap);
    task.active = true;
    task.done = 0;
    task.total = total;
    shown = true;
    emit(DS_PROGRESS_BYTES, task.label, 0, total);
}

bool ds_progress_task_active(void) { return handler && !muted && task.active; }

void ds_progress_bytes(uint64_t done) {
    if (!handler || muted || !task.active) return;
    task.done = done;
    emit(DS_PROGRESS_BYTES, task.label, task.done, task.total);
}

void ds_progress_add(uint64_t n) {
    if (!handler || muted || !task.active) return;
    ds_progress_bytes(task.done + n);
}

void ds_progress_total(uint64_t total) {
    if (handler && !muted && task.active && !task.total) task.total = total;
}

void ds_progress_done(void) {
    if (!handler || muted) return;
    task.active = false;
    if (shown) emit(DS_PROGRESS_CLEAR, "", 0, 0);
    shown = false;
}

static void human(char *buf, size_t n, double v) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024.0 && u < 4) { v /= 1024.0; u++; }
    if (u == 0) snprintf(buf, n, "%.0f %s", v, units[u]);
    else snprintf(buf, n, "%.1f %s", v, units[u]);
}

/* The label part: control bytes from image names shown as '?', cut to fit `room` columns. */
static void put_label(char *out, size_t n, const char *text, size_t room) {
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && k + 1 < n && k < room; p++)
        out[k++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
    out[k] = 0;
}

void ds_progress_format(const ds_progress_event *ev, double elapsed, size_t width, char *out, size_t n) {
    /* Never wider than the terminal: a wrapped line cannot be rewritten with \r. The
     * numbers stay whole; the label is cut when it must be. */
    size_t room = width > 1 ? width - 1 : 0;
    if (ev->kind != DS_PROGRESS_BYTES) { put_label(out, n, ev->text, room); return; }
    char d[32], t[48] = "", r[48] = "";
    human(d, sizeof d, (double)ev->done);
    if (ev->total) {
        char tt[32];
        human(tt, sizeof tt, (double)ev->total);
        snprintf(t, sizeof t, " / %s", tt);
    }
    if (elapsed >= 0.5 && ev->done) {
        char rr[32];
        human(rr, sizeof rr, (double)ev->done / elapsed);
        snprintf(r, sizeof r, "  %s/s", rr);
    }
    char nums[160];
    snprintf(nums, sizeof nums, "  %s%s%s", d, t, r);
    size_t nl = strlen(nums);
    put_label(out, n, ev->text, room > nl ? room - nl : 0);
    size_t k = strlen(out);
    snprintf(out + k, n - k, "%s", nums);
}

