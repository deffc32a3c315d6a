/* The progress handler the CLI installs: one transient line on stderr ("\r...\033[K"),
 * only when stderr is a terminal. Byte tasks show done / total and an average rate, as
 * skopeo does ("Copying blob sha256:abc... 12.3 MiB / 40.1 MiB  8.2 MiB/s"); updates
 * are limited to 10 a second. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"
#include "util/progress.h"

static struct {
    char label[256];
    uint64_t last_done;
    double start, last_print;
} tty;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t columns(void) {
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) return ws.ws_col;
    return 80;
}

static void put_line(const char *s) {
    fputc('\r', stderr);
    fputs(s, stderr);
    fputs("\033[K", stderr);
    fflush(stderr);
}

static void on_event(const ds_progress_event *ev, void *ud) {
    (void)ud;
    double now = now_s();
    if (ev->kind == DS_PROGRESS_CLEAR) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        tty.label[0] = 0;
        return;
    }
    if (ev->kind == DS_PROGRESS_STATUS) {
        tty.label[0] = 0;
        char line[512];
        ds_progress_format(ev, 0, columns(), line, sizeof line);
        put_line(line);
        tty.last_print = now;
        return;
    }
    bool fresh = strcmp(tty.label, ev->text) != 0 || ev->done < tty.last_done;
    if (fresh) {
        snprintf(tty.label, sizeof tty.label, "%s", ev->text);
        tty.start = now;
    }
    /* The update that reaches the total is shown at once; others at most 10 a second. */
    bool last = ev->total && ev->done >= ev->total && tty.last_done < ev->total;
    tty.last_done = ev->done;
    if (!fresh && !last && now - tty.last_print < 0.1) return;
    char line[512];
    ds_progress_format(ev, now - tty.start, columns(), line, sizeof line);
    put_line(line);
    tty.last_print = now;
}

void cli_progress_install(void) {
    if (isatty(2)) ds_progress_set_handler(on_event, NULL);
}

void cli_progress_off(void) { ds_progress_set_handler(NULL, NULL); }
