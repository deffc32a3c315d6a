/* Reading back the sensor's log after a run. The log dir is writable from inside the
 * container, so the file is opened without following a link the app may have planted
 * there, must be a regular file of sane size, and its content never reaches a message.
 * The format itself is the trace module's business (src/trace/trace_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "build/build.h"

#define MAX_LOG_BYTES ((off_t)1 << 30)

int ds_build_trace_load(const char *path, ds_trace **out, ds_err *err) {
    *out = NULL;
    /* O_NONBLOCK: a FIFO planted under the name must not hang us before fstat refuses it. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return ds_fail_errno(err, "trace %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_LOG_BYTES) {
        close(fd);
        return ds_fail(err, "trace %s: not a regular file of at most 1 GiB", path);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = ds_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if ((off_t)n >= MAX_LOG_BYTES) { free(buf); close(fd); return ds_fail(err, "trace %s: larger than 1 GiB", path); }
            cap *= 2;
            buf = ds_xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { int e = ds_fail_errno(err, "trace %s: read", path); free(buf); close(fd); return e; }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    ds_err perr = {0};
    int rc = ds_trace_parse(buf, n, path, out, &perr);
    free(buf);
    /* The parser's message may quote the file (JSON error context, a bad path): not shown. */
    if (rc < 0) return ds_fail(err, "trace %s: not a valid distill-sensor log (version 1)", path);
    return 0;
}
