#include "util/progress.h"
#include <stdarg.h>
#include <stdio.h>

static ds_progress_handler handler;
static void *handler_ud;
static struct {
    bool active;
    char label[256];
    uint64_t done, total;
} task;
static bool shown; /* something was reported since the last clear */

void ds_progress_set_handler(ds_progress_handler fn, void *ud) {
    handler = fn;
    handler_ud = ud;
    task.active = false;
    shown = false;
}

bool ds_progress_enabled(void) { return handler != NULL; }

static void emit(ds_progress_kind kind, const char *text, uint64_t done, uint64_t total) {
    ds_progress_event ev = {.kind = kind, .text = text, .done = done, .total = total};
    handler(&ev, handler_ud);
}

void ds_progress(const char *fmt, ...) {
    if (!handler) return;
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
    if (!handler) return;
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

bool ds_progress_task_active(void) { return handler && task.active; }

void ds_progress_bytes(uint64_t done) {
    if (!handler || !task.active) return;
    task.done = done;
    emit(DS_PROGRESS_BYTES, task.label, task.done, task.total);
}

void ds_progress_add(uint64_t n) {
    if (!handler || !task.active) return;
    ds_progress_bytes(task.done + n);
}

void ds_progress_total(uint64_t total) {
    if (handler && task.active && !task.total) task.total = total;
}

void ds_progress_done(void) {
    if (!handler) return;
    task.active = false;
    if (shown) emit(DS_PROGRESS_CLEAR, "", 0, 0);
    shown = false;
}
