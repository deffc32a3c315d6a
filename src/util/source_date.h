/* SOURCE_DATE_EPOCH (reproducible-builds.org/specs/source-date-epoch): the one reader.
 * Every date distill writes into an image, a layer or an SBOM comes from here. */
#ifndef DS_UTIL_SOURCE_DATE_H
#define DS_UTIL_SOURCE_DATE_H
#include <stdbool.h>
#include <stdint.h>
#include "util/err.h"

/* The last second RFC 3339 can write: 9999-12-31T23:59:59Z. */
#define DS_SOURCE_DATE_MAX 253402300799LL

/* Unset or empty: 0 with *set = false (and *out untouched). Whole seconds since 1970 in
 * 0..DS_SOURCE_DATE_MAX: 0 with *set = true. Anything else ("1e9", "-1", "12abc", too
 * large): -1 and a one-line error naming the variable and its value. Bad is an error
 * everywhere, never a silent fallback. */
int ds_source_date_epoch(int64_t *out, bool *set, ds_err *err);

/* SOURCE_DATE_EPOCH when set, else fallback. -1 on a malformed value. */
int ds_source_date_or(int64_t fallback, int64_t *out, ds_err *err);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) of t into buf (at least 32 bytes). */
void ds_rfc3339(int64_t t, char buf[32]);

#endif
