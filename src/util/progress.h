/* Progress lines on stderr, only when stderr is a terminal (and not with --quiet). */
#ifndef DS_UTIL_PROGRESS_H
#define DS_UTIL_PROGRESS_H
#include <stdbool.h>
void ds_progress_enable(bool on); /* default: isatty(2) */
bool ds_progress_enabled(void);
/* A transient status line ("\r...\033[K"); finished with ds_progress_done(). */
void ds_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ds_progress_done(void);
#endif
