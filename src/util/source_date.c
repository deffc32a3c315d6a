#include "util/source_date.h"
#include <errno.h>
#include <stdlib.h>
#include <time.h>

int ds_source_date_epoch(int64_t *out, bool *set, ds_err *err) {
    const char *s = getenv("SOURCE_DATE_EPOCH");
    *set = false;
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || s[0] == '-' || s[0] == '+' || s[0] == ' ' || v < 0 || v > DS_SOURCE_DATE_MAX)
        return ds_fail(err, "SOURCE_DATE_EPOCH=%.40s: expected whole seconds since 1970 (0 to %lld)", s,
                       (long long)DS_SOURCE_DATE_MAX);
    *out = (int64_t)v;
    *set = true;
    return 0;
}

int ds_source_date_or(int64_t fallback, int64_t *out, ds_err *err) {
    bool set;
    int64_t v = 0;
    if (ds_source_date_epoch(&v, &set, err) < 0) return -1;
    *out = set ? v : fallback;
    return 0;
}

void ds_rfc3339(int64_t t, char buf[32]) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)) buf[0] = 0;
}
