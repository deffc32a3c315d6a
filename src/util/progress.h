/* Progress events from library code. The library never prints: it reports what it is doing
 * (a status line, or a byte-counted task such as "Copying blob sha256:..." with bytes done and
 * expected) to one handler, which the CLI installs when stderr is a terminal and not --quiet
 * (src/cli/progress_tty.c). With no handler installed every call here is a cheap no-op. */
#ifndef DS_UTIL_PROGRESS_H
#define DS_UTIL_PROGRESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    DS_PROGRESS_STATUS, /* text: what is being done now ("squash: writing one layer") */
    DS_PROGRESS_BYTES,  /* text: the task's label; done of total bytes (total 0 = unknown) */
    DS_PROGRESS_CLEAR,  /* the work that was reported is over: take the line away */
} ds_progress_kind;

typedef struct ds_progress_event {
    ds_progress_kind kind;
    const char *text;
    uint64_t done, total;
} ds_progress_event;

typedef void (*ds_progress_handler)(const ds_progress_event *ev, void *ud);
/* Install (or with NULL remove) the one handler; the CLI does this once per run. */
void ds_progress_set_handler(ds_progress_handler fn, void *ud);
/* This thread reports nothing from now on (a background job beside the main thread's work:
 * the one status line is the main thread's). */
void ds_progress_mute_thread(void);
/* True when a handler is installed (callers may skip work that only feeds progress). */
bool ds_progress_enabled(void);

/* A status line (ends the current byte task). */
void ds_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start a byte-counted task: label, expected bytes (0 = unknown); done starts at 0. */
void ds_progress_task(uint64_t total, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ds_progress_task_active(void);
/* The current task has done `done` bytes (set), or n more (add); ignored with no task. */
void ds_progress_bytes(uint64_t done);
void ds_progress_add(uint64_t n);
/* Learn the total late (a registry's Content-Length); ignored when already known. */
void ds_progress_total(uint64_t total);
/* The reported work is over (ends the task, clears the line). */
void ds_progress_done(void);
/* The text of one progress line, at most width-1 columns (a wrapped line cannot be
 * rewritten with \r): a status as it is; a byte task as "LABEL  12.3 MiB / 40.1 MiB  8.2 MiB/s"
 * (no total when unknown, a rate once elapsed >= 0.5 s). The numbers are never cut, the
 * label is; control bytes (from image names) become '?'. Formatting only: never prints. */
void ds_progress_format(const ds_progress_event *ev, double elapsed, size_t width, char *out, size_t n);
#endif
