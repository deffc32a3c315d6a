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

static void human(char *buf, size_t n, double v) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024.0 && u < 4) { v /= 1024.0; u++; }
    if (u == 0) snprintf(buf, n, "%.0f %s", v, units[u]);
    else snprintf(buf, n, "%.1f %s", v, units[u]);
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

/* The label part: control bytes from image names shown as '?', cut to fit `room` columns. */
static void put_label(char *out, size_t n, const char *text, size_t room) {
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && k + 1 < n && k < room; p++)
        out[k++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
    out[k] = 0;
}

void cli_progress_line(const ds_progress_event *ev, char *out, size_t n, double elapsed, size_t width) {
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
        cli_progress_line(ev, line, sizeof line, 0, columns());
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
    cli_progress_line(ev, line, sizeof line, now - tty.start, columns());
    put_line(line);
    tty.last_print = now;
}

void cli_progress_install(void) {
    if (isatty(2)) ds_progress_set_handler(on_event, NULL);
}

void cli_progress_off(void) { ds_progress_set_handler(NULL, NULL); }
