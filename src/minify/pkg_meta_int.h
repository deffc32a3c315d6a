/* Internal to the metadata writer (src/minify/pkg_meta*.c). */
#ifndef DS_MINIFY_PKG_META_INT_H
#define DS_MINIFY_PKG_META_INT_H
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

/* Deletes, in the SQLite rpm database at host path HOST (a copy: it is modified), the rows
 * of every package whose hnum is not in keep_hnums (sorted or not), then VACUUMs it. */
int ds_rpmdb_prune(const char *host, const int64_t *keep_hnums, size_t n_keep, ds_err *err);
#endif
